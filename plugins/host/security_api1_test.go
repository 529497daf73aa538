package host_test

import (
	"testing"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/storetest"
)

// TestAPI1PluginCallsKeepTheUsersScope (OWASP API1, object-level authorization): a module
// request runs on the acting user's behalf, and the host API's customer look-ups made for it
// (get, find, and the follow-up tasks and vehicle links built on them) see only the customers
// that user may see — not every customer of the tenant. A salesperson cannot reach a
// colleague's customer through the commercial-vehicle module or a plugin's customer search; a
// general manager (scope all) reaches both.
func TestAPI1PluginCallsKeepTheUsersScope(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			env := newEnv(t, d, "commercialvehicle", "recorder")
			acme := env.Signup(t)
			enable(t, acme, vehicleID, nil)
			enable(t, acme, recorderID, nil)
			sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
			colleague := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
			gm := acme.AddUser(t, "general_manager")
			mine := createCustomer(t, sales, "范围测试 自己的客户", "deal")
			theirs := createCustomer(t, colleague, "范围测试 同事的客户", "deal")

			vehicle := func(vin, cust string) map[string]any {
				return map[string]any{"vin": vin, "model": "J6P 6x4", "configuration": "460hp", "customer_id": cust, "purchase_date": "2025-03-18", "mileage": 1}
			}
			env.Run(t, []apitest.Scenario{
				{Name: "module: a colleague's customer cannot own my vehicle", Method: "POST", URL: cvBase + "/vehicles", As: sales,
					Body: vehicle("LFWADRJF1KA000301", theirs.ID.String()), Status: 422, Code: "validation_failed", Contains: []string{"customer_id"}},
				{Name: "module: a colleague's prospect", Method: "PUT", URL: cvBase + "/prospects/" + theirs.ID.String(), As: sales,
					Body: map[string]any{"intended_model": "J6P", "quantity": 3}, Status: 404, Code: "not_found"},
				{Name: "plugin get: a colleague's customer answers as missing", Method: "GET", URL: "/api/v1/ext/test-recorder/customer/" + theirs.ID.String(), As: sales, Status: 404},
				{Name: "plugin get: my own customer", Method: "GET", URL: "/api/v1/ext/test-recorder/customer/" + mine.ID.String(), As: sales, Status: 200, Contains: []string{mine.ID.String()}},
				{Name: "plugin find: only my customers", Method: "GET", URL: "/api/v1/ext/test-recorder/customers/范围测试", As: sales, Status: 200,
					Contains: []string{mine.ID.String()}, NotContains: []string{theirs.ID.String()}},
				{Name: "plugin find: the general manager sees both", Method: "GET", URL: "/api/v1/ext/test-recorder/customers/范围测试", As: gm, Status: 200,
					Contains: []string{mine.ID.String(), theirs.ID.String()}},
				{Name: "module: my own customer's vehicle", Method: "POST", URL: cvBase + "/vehicles", As: sales,
					Body: vehicle("LFWADRJF1KA000302", mine.ID.String()), Status: 201},
			})
			// Nothing was stored for the colleague's customer.
			var list struct{ Items []map[string]any }
			gm.MustDo(t, "GET", cvBase+"/vehicles?customer_id="+theirs.ID.String(), nil, 200, &list)
			if len(list.Items) != 0 {
				t.Errorf("vehicles of the colleague's customer: %+v", list.Items)
			}
			r := gm.Do(t, "GET", cvBase+"/prospects/"+theirs.ID.String(), nil)
			if r.Status != 404 {
				t.Errorf("colleague's prospect after the refused PUT: %d %s", r.Status, r.Body)
			}
		})
	}
}
