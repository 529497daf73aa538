package cv_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/smecrm/crm/plugins/examples/commercialvehicle/cv"
	"github.com/smecrm/crm/plugins/sdk"
)

// do calls the module as the host would after its checks.
func do(t *testing.T, call *sdk.Call, route string, params map[string]string, body any, want int) map[string]any {
	t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	res, err := cv.Module{}.HandleHTTP(context.Background(), call, sdk.HTTPRequest{Route: route, Params: params, Body: raw})
	if err != nil {
		t.Fatalf("%s: %v", route, err)
	}
	if res.Status != want {
		t.Fatalf("%s: %d %s, want %d", route, res.Status, res.Body, want)
	}
	out := map[string]any{}
	_ = json.Unmarshal(res.Body, &out)
	return out
}

// The repair-and-recall flow on the SDK's in-memory host, per tenant.
func TestRecallWithFakeHost(t *testing.T) {
	m := cv.Module{}.Manifest()
	host := sdk.NewFakeHost()
	host.Manifest = &m
	owner := host.AddCustomer("t1", sdk.Customer{Name: "重卡物流", OwnerID: "u1"})
	call := host.Call("t1", nil)
	do(t, call, "createVehicle", nil, map[string]any{"vin": "LFWADRJF1KA000001", "model": "J6P", "customer_id": owner.ID, "mileage": 1}, 201)
	do(t, call, "createVehicle", nil, map[string]any{"vin": "LFWADRJF1KA000002", "model": "J6P", "customer_id": "nobody"}, 422)
	o := do(t, call, "createOutlet", nil, map[string]any{"kind": "outlet", "name": "站", "region": "华东", "address": "上海"}, 201)
	oid := o["id"].(string)
	do(t, call, "putStock", map[string]string{"id": oid, "part_no": "BRK-1"}, map[string]any{"name": "制动片", "quantity": 3, "reorder_level": 1}, 200)
	r := do(t, call, "reportRepair", nil, map[string]any{"vehicle_id": "LFWADRJF1KA000001", "outlet_id": oid, "complaint": "异响"}, 201)
	id := map[string]string{"id": r["id"].(string)}
	do(t, call, "diagnose", id, map[string]any{"fault": "磨损", "technician": "李"}, 200)
	do(t, call, "repair", id, map[string]any{"description": "更换", "parts": []map[string]any{{"part_no": "BRK-1", "batch_no": "B1", "quantity": 2}}}, 200)
	rc := do(t, call, "createRecall", nil, map[string]any{"part_no": "BRK-1", "batch_no": "B1", "reason": "缺陷"}, 201)
	if len(rc["vehicles"].([]any)) != 1 || len(host.Tasks) != 1 || host.Tasks[0].CustomerID != owner.ID {
		t.Errorf("recall %v, tasks %+v", rc, host.Tasks)
	}
	// Another tenant of the same fake host sees none of it.
	other := host.Call("t2", nil)
	rc2 := do(t, other, "createRecall", nil, map[string]any{"part_no": "BRK-1", "batch_no": "B1", "reason": "缺陷"}, 201)
	if len(rc2["vehicles"].([]any)) != 0 {
		t.Errorf("other tenant's recall: %v", rc2)
	}
}
