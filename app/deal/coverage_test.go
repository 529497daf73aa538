package deal_test

import (
	"testing"

	"github.com/smecrm/crm/app/apitest"
)

// A contract says whether it covers the customer's after-sales service (work orders are then
// proposed as contract service); it is a term like the others, set in a draft and fixed once
// under review.
func TestContractServiceCoverage(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		cust := newCustomer(t, sales, "维保客户")
		var c struct {
			contract
			ServiceCoverage bool `json:"service_coverage"`
		}
		sales.MustDo(t, "POST", "/api/v1/contracts", map[string]any{"title": "维保合同", "customer_id": cust, "amount": cny("100.00"),
			"service_coverage": true}, 201, &c)
		if !c.ServiceCoverage {
			t.Fatal("service_coverage not kept")
		}
		url := "/api/v1/contracts/" + c.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "patch: invalid", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "service_coverage": "yes"}, Status: 422},
			{Name: "patch: success", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "service_coverage": false}, Status: 200,
				Contains: []string{`"service_coverage":false`, `"version":2`}},
		})
		sales.MustDo(t, "POST", url+"/submit", map[string]any{"version": 2}, 200, nil)
		if r := sales.Do(t, "PATCH", url, map[string]any{"version": 3, "service_coverage": true}); r.Status != 409 {
			t.Errorf("coverage changed under review: %d %s", r.Status, r.Body)
		}
	})
}
