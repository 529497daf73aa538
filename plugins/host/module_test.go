package host_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/storetest"
)

const cvBase = "/api/v1/ext/commercial-vehicle"

// The commercial-vehicle module through the host: the standard rows, then the whole flow —
// vehicles, outlets and partner shops, inventory, report → diagnosis → repair → revisit with
// parts and batches, and a recall of a batch that lists the affected vehicles and customers
// and creates one follow-up task per owner.
func TestCommercialVehicleModule(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			env := newEnv(t, d, "commercialvehicle", "recorder")
			acme, other := env.Signup(t), env.Signup(t)
			sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
			// The service manager's data scope (department tree) covers the customers below: the
			// module's customer look-ups on their behalf see what they see.
			svc := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "service_manager")
			tech := acme.AddUser(t, "service_technician")
			finance := acme.AddUser(t, "finance")
			wh := acme.AddUser(t, "warehouse")

			// Not enabled yet: the module's routes do not exist for the tenant.
			sales.MustDo(t, "GET", cvBase+"/vehicles", nil, 404, nil)
			enable(t, acme, vehicleID, nil)
			enable(t, other, vehicleID, nil)

			c1 := createCustomer(t, sales, "重卡物流", "deal")
			c2 := createCustomer(t, sales, "城配快运", "deal")
			theirs := createCustomer(t, other.Owner, "别家运输", "deal")
			vin1, vin2 := "LFWADRJF1KA000001", "LFWADRJF1KA000002"
			vehicle := func(vin, cust string) map[string]any {
				return map[string]any{"vin": vin, "model": "J6P 6x4", "configuration": "460hp, AMT", "customer_id": cust,
					"purchase_date": "2025-03-18", "mileage": 12000}
			}
			var theirVehicle map[string]any
			other.Owner.MustDo(t, "POST", cvBase+"/vehicles", vehicle("LFWADRJF1KA000099", theirs.ID.String()), 201, &theirVehicle)

			env.Run(t, []apitest.Scenario{
				{Name: "no login", Method: "POST", URL: cvBase + "/vehicles", Body: vehicle(vin1, c1.ID.String()), Status: 401, Code: "unauthenticated"},
				{Name: "other tenant: its vehicle answers as missing", Method: "GET", URL: cvBase + "/vehicles/LFWADRJF1KA000099", As: sales, Status: 404, Code: "not_found"},
				{Name: "other tenant: its customer cannot own our vehicle", Method: "POST", URL: cvBase + "/vehicles", Body: vehicle(vin1, theirs.ID.String()), As: sales, Status: 422, Code: "validation_failed", Contains: []string{"customer_id"}},
				{Name: "wrong role", Method: "POST", URL: cvBase + "/vehicles", Body: vehicle(vin1, c1.ID.String()), As: finance, Status: 403, Code: "forbidden"},
				{Name: "wrong role: reading needs vehicle read", Method: "GET", URL: cvBase + "/vehicles", As: finance, Status: 403, Code: "forbidden"},
				{Name: "not found", Method: "GET", URL: cvBase + "/vehicles/LFWADRJF1KA000077", As: sales, Status: 404, Code: "not_found"},
				{Name: "not found: undeclared route", Method: "GET", URL: cvBase + "/nothing-here", As: sales, Status: 404, Code: "not_found"},
				{Name: "invalid: VIN", Method: "POST", URL: cvBase + "/vehicles", Body: vehicle("SHORT", c1.ID.String()), As: sales, Status: 422, Code: "validation_failed", Contains: []string{"vin"}},
				{Name: "invalid: the module's error in the user's language", Method: "POST", URL: cvBase + "/vehicles", Body: vehicle("SHORT", c1.ID.String()), As: sales,
					Headers: map[string]string{"Accept-Language": "zh-TW"}, Status: 422, Code: "validation_failed",
					Check: func(t *testing.T, r *apitest.Response) {
						p := r.Problem(t)
						p.WantField(t, "vin", "invalid_format")
						if !strings.Contains(string(r.Body), "請檢查標出的欄位") || !strings.Contains(string(r.Body), "格式不正確") {
							t.Errorf("not in zh-TW: %s", r.Body)
						}
					}},
				{Name: "not found: in English", Method: "GET", URL: cvBase + "/vehicles/LFWADRJF1KA000077", As: sales, Headers: map[string]string{"Accept-Language": "en"},
					Status: 404, Code: "not_found", Contains: []string{"does not exist"}},
				{Name: "invalid: malformed JSON", Method: "POST", URL: cvBase + "/vehicles", Body: `{"vin":`, As: sales, Status: 400, Code: "bad_request"},
				{Name: "success", Method: "POST", URL: cvBase + "/vehicles", Body: vehicle(vin1, c1.ID.String()), As: sales, Status: 201, Contains: []string{vin1, `"version":1`}},
				{Name: "conflict: same VIN", Method: "POST", URL: cvBase + "/vehicles", Body: vehicle(vin1, c2.ID.String()), As: sales, Status: 409, Code: "conflict"},
				{Name: "suspended-tenant guard still applies: a technician cannot register", Method: "POST", URL: cvBase + "/vehicles", Body: vehicle(vin2, c2.ID.String()), As: tech, Status: 403, Code: "forbidden"},
			})
			sales.MustDo(t, "POST", cvBase+"/vehicles", vehicle(vin2, c2.ID.String()), 201, nil)
			var list struct{ Items []map[string]any }
			sales.MustDo(t, "GET", cvBase+"/vehicles?customer_id="+c1.ID.String(), nil, 200, &list)
			if len(list.Items) != 1 || list.Items[0]["vin"] != vin1 {
				t.Errorf("vehicles of c1: %+v", list.Items)
			}
			other.Owner.MustDo(t, "GET", cvBase+"/vehicles", nil, 200, &list)
			if len(list.Items) != 1 || list.Items[0]["vin"] != "LFWADRJF1KA000099" {
				t.Errorf("other tenant sees %+v", list.Items)
			}
			// Mileage only grows; stale versions conflict.
			sales.MustDo(t, "PATCH", cvBase+"/vehicles/"+vin1, map[string]any{"mileage": 100, "version": 1}, 422, nil)
			sales.MustDo(t, "PATCH", cvBase+"/vehicles/"+vin1, map[string]any{"mileage": 15000, "version": 1}, 200, nil)
			sales.MustDo(t, "PATCH", cvBase+"/vehicles/"+vin1, map[string]any{"mileage": 16000, "version": 1}, 409, nil)

			// Service network.
			var outlet, shop map[string]any
			svc.MustDo(t, "POST", cvBase+"/outlets", map[string]any{"kind": "outlet", "name": "上海服务站", "region": "华东", "address": "上海市嘉定区",
				"capabilities": []string{"engine", "electrical"}, "technicians": []map[string]any{{"name": "李师傅", "skills": []string{"engine"}}}}, 201, &outlet)
			svc.MustDo(t, "POST", cvBase+"/outlets", map[string]any{"kind": "partner_shop", "name": "苏州合作修理厂", "region": "华东", "address": "苏州市",
				"capabilities": []string{"body"}, "technicians": []map[string]any{}}, 201, &shop)
			svc.MustDo(t, "POST", cvBase+"/outlets", map[string]any{"kind": "depot", "name": "x", "region": "y", "address": "z"}, 422, nil)
			tech.MustDo(t, "POST", cvBase+"/outlets", map[string]any{"kind": "outlet", "name": "x", "region": "y", "address": "z"}, 403, nil)
			tech.MustDo(t, "GET", cvBase+"/outlets?capability=engine", nil, 200, &list)
			if len(list.Items) != 1 || list.Items[0]["name"] != "上海服务站" {
				t.Errorf("outlets with engine capability: %+v", list.Items)
			}
			oid := outlet["id"].(string)

			// Inventory with reorder levels (the warehouse keeps it).
			wh.MustDo(t, "PUT", cvBase+"/outlets/"+oid+"/parts/BRK-100", map[string]any{"name": "制动片", "quantity": 5, "reorder_level": 2}, 200, nil)
			wh.MustDo(t, "PUT", cvBase+"/outlets/"+oid+"/parts/FLT-7", map[string]any{"name": "机油滤清器", "quantity": 10, "reorder_level": 3}, 200, nil)
			wh.MustDo(t, "PUT", cvBase+"/outlets/"+oid+"/parts/BRK-100", map[string]any{"name": "制动片", "quantity": -1, "reorder_level": 2}, 422, nil)
			sales.MustDo(t, "PUT", cvBase+"/outlets/"+oid+"/parts/BRK-100", map[string]any{"name": "制动片", "quantity": 5, "reorder_level": 2}, 403, nil)

			// Repair flow for vehicle 1: report → diagnosis → repair (2 brake pads of batch B2401) → revisit.
			var rep map[string]any
			svc.MustDo(t, "POST", cvBase+"/repairs", map[string]any{"vehicle_id": vin1, "outlet_id": oid, "complaint": "制动异响"}, 201, &rep)
			rid := rep["id"].(string)
			if rep["status"] != "reported" || rep["customer_id"] != c1.ID.String() {
				t.Errorf("reported: %+v", rep)
			}
			tech.MustDo(t, "POST", cvBase+"/repairs/"+rid+"/repair", map[string]any{"description": "x", "parts": []any{}}, 409, nil) // not diagnosed yet
			tech.MustDo(t, "POST", cvBase+"/repairs/"+rid+"/diagnosis", map[string]any{"fault": "制动片磨损", "technician": "李师傅"}, 200, nil)
			tech.MustDo(t, "POST", cvBase+"/repairs/"+rid+"/repair", map[string]any{"description": "更换制动片",
				"parts": []map[string]any{{"part_no": "BRK-100", "batch_no": "B2401", "quantity": 9}}}, 409, nil) // only 5 in stock
			tech.MustDo(t, "POST", cvBase+"/repairs/"+rid+"/repair", map[string]any{"description": "更换制动片",
				"parts": []map[string]any{{"part_no": "BRK-100", "batch_no": "B2401", "quantity": 2}, {"part_no": "FLT-7", "batch_no": "F77", "quantity": 1}}}, 200, &rep)
			if rep["status"] != "repaired" {
				t.Errorf("repaired: %+v", rep)
			}
			svc.MustDo(t, "POST", cvBase+"/repairs/"+rid+"/revisit", map[string]any{"satisfaction": 9}, 422, nil)
			svc.MustDo(t, "POST", cvBase+"/repairs/"+rid+"/revisit", map[string]any{"satisfaction": 5, "note": "满意"}, 200, &rep)
			if rep["status"] != "revisited" {
				t.Errorf("revisited: %+v", rep)
			}
			// Vehicle 2 gets the same batch; the stock falls to its reorder level.
			svc.MustDo(t, "POST", cvBase+"/repairs", map[string]any{"vehicle_id": vin2, "outlet_id": oid, "complaint": "制动距离长"}, 201, &rep)
			rid2 := rep["id"].(string)
			tech.MustDo(t, "POST", cvBase+"/repairs/"+rid2+"/diagnosis", map[string]any{"fault": "制动片磨损", "technician": "李师傅"}, 200, nil)
			tech.MustDo(t, "POST", cvBase+"/repairs/"+rid2+"/repair", map[string]any{"description": "更换制动片",
				"parts": []map[string]any{{"part_no": "BRK-100", "batch_no": "B2401", "quantity": 1}}}, 200, nil)
			wh.MustDo(t, "GET", cvBase+"/parts/reorder", nil, 200, &list)
			if len(list.Items) != 1 || list.Items[0]["part_no"] != "BRK-100" || list.Items[0]["quantity"] != float64(2) {
				t.Errorf("parts to reorder: %+v", list.Items)
			}

			// Recall of batch B2401: both vehicles, both customers, one task per owner.
			var recall struct {
				ID       string
				Vehicles []struct {
					VIN        string `json:"vin"`
					CustomerID string `json:"customer_id"`
				}
				Customers []struct {
					CustomerID string `json:"customer_id"`
					TaskID     string `json:"task_id"`
					Stored     string `json:"task_stored_in"`
				}
			}
			sales.MustDo(t, "POST", cvBase+"/recalls", map[string]any{"part_no": "BRK-100", "batch_no": "B2401", "reason": "摩擦材料不合格"}, 403, nil)
			svc.MustDo(t, "POST", cvBase+"/recalls", map[string]any{"part_no": "BRK-100", "batch_no": "B2401", "reason": "摩擦材料不合格"}, 201, &recall)
			if len(recall.Vehicles) != 2 || len(recall.Customers) != 2 {
				t.Fatalf("recall: %+v", recall)
			}
			seen := map[string]bool{}
			for _, c := range recall.Customers {
				seen[c.CustomerID] = c.TaskID != "" && c.Stored == "followup"
			}
			if !seen[c1.ID.String()] || !seen[c2.ID.String()] {
				t.Errorf("recall customers: %+v", recall.Customers)
			}
			// The tasks are the CRM's own: on the owner's task list, announced in the app.
			type task struct {
				CustomerID string `json:"customer_id"`
			}
			var tasks struct {
				DueToday []task `json:"due_today"`
				Overdue  []task `json:"overdue"`
			}
			sales.MustDo(t, "GET", "/api/v1/me/tasks", nil, 200, &tasks)
			onList := map[string]bool{}
			for _, tk := range append(tasks.DueToday, tasks.Overdue...) {
				onList[tk.CustomerID] = true
			}
			if !onList[c1.ID.String()] || !onList[c2.ID.String()] {
				t.Errorf("the owner's task list after the recall: %+v", tasks)
			}
			var notes struct {
				Items []struct {
					Title string `json:"title"`
				}
			}
			sales.MustDo(t, "GET", "/api/v1/notifications", nil, 200, &notes)
			if n := strings.Count(fmt.Sprint(notes.Items), "重卡物流") + strings.Count(fmt.Sprint(notes.Items), "城配快运"); n != 2 {
				t.Errorf("the owner's notifications after the recall: %+v", notes.Items)
			}
			if n := env.CountRows(t, "plugin_records", "tenant_id = ? AND plugin_id = ? AND type = 'followup_task'", acme.ID, vehicleID); n != 0 {
				t.Errorf("follow-up tasks kept in the plugin's store: %d", n)
			}
			// The other tenant's recall of the same batch finds nothing of ours.
			var theirRecall struct{ Vehicles []any }
			other.Owner.MustDo(t, "POST", cvBase+"/recalls", map[string]any{"part_no": "BRK-100", "batch_no": "B2401", "reason": "x"}, 201, &theirRecall)
			if len(theirRecall.Vehicles) != 0 {
				t.Errorf("other tenant's recall found %+v", theirRecall.Vehicles)
			}
			svc.MustDo(t, "GET", cvBase+"/recalls/"+recall.ID, nil, 200, nil)
			other.Owner.MustDo(t, "GET", cvBase+"/recalls/"+recall.ID, nil, 404, nil)

			// Prospects: intended model and quantity.
			sales.MustDo(t, "PUT", cvBase+"/prospects/"+c1.ID.String(), map[string]any{"intended_model": "J7 8x4", "quantity": 12}, 200, nil)
			sales.MustDo(t, "PUT", cvBase+"/prospects/"+c1.ID.String(), map[string]any{"intended_model": "J7 8x4", "quantity": 0}, 422, nil)
			other.Owner.MustDo(t, "PUT", cvBase+"/prospects/"+c1.ID.String(), map[string]any{"intended_model": "J7", "quantity": 1}, 404, nil)
			var pr map[string]any
			sales.MustDo(t, "GET", cvBase+"/prospects/"+c1.ID.String(), nil, 200, &pr)
			if pr["intended_model"] != "J7 8x4" || pr["quantity"] != float64(12) {
				t.Errorf("prospect: %+v", pr)
			}

			// Identity headers: the client's are stripped, the host's trusted ones passed.
			enable(t, acme, recorderID, nil)
			owner := *acme.Owner
			env.SignIn(t, &owner, false) // an API token, so that a forged cookie rides along
			h := env.Do(t, "POST", "/api/v1/ext/test-recorder/headers", `{"x":1}`, mergeHeaders(owner.Headers("POST"), map[string]string{
				"X-CRM-Tenant-ID": other.ID.String(), "X-CRM-User-ID": "forged", "Cookie": "crm_session=forged", "X-Forwarded-For": "1.2.3.4"}))
			if h.Status != 201 {
				t.Fatalf("headers: %d %s", h.Status, h.Body)
			}
			var echo struct {
				Headers map[string]string
				Tenant  string
			}
			if err := json.Unmarshal(h.Body, &echo); err != nil {
				t.Fatal(err)
			}
			if echo.Tenant != acme.ID.String() || echo.Headers["X-CRM-Tenant-ID"] != acme.ID.String() || echo.Headers["X-CRM-User-ID"] != acme.Owner.UserID.String() ||
				!strings.Contains(echo.Headers["X-CRM-Roles"], "owner") || echo.Headers["X-CRM-Locale"] == "" {
				t.Errorf("trusted headers: %+v", echo)
			}
			for k := range echo.Headers {
				if k == "Authorization" || k == "Cookie" || k == "X-Forwarded-For" || k == "X-Csrf-Token" || k == "X-CSRF-Token" {
					t.Errorf("client header %s reached the plugin", k)
				}
			}
		})
	}
}

func mergeHeaders(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
