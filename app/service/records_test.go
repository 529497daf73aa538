package service_test

// Service records (第10條): times, labour hours, work done, parts from the catalogue with batch
// numbers, costs into the work order's service cost; and paid work (第9條): the fee collected on
// site with its receipt number or invoiced, the invoice request marked issued by finance, and
// closing only once invoiced.

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

func TestServiceRecords(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		other := newTeam(t, env)
		foreign := other.to(t, other.register(t, nil), "accepted")
		w := tm.to(t, tm.register(t, nil), "dispatched")
		missing := "/api/v1/work-orders/" + uuid.NewString()
		if r := tm.tech.Do(t, "POST", woURL(w, "/records"), record(nil)); r.Status != 409 {
			t.Errorf("record before acceptance: %d %s", r.Status, r.Body)
		}
		w = tm.to(t, w, "accepted")
		now := time.Now().UTC()
		full := record(map[string]any{"labour_hours": "2.5",
			"parts": []map[string]any{{"product_id": tm.product, "quantity": 2, "batch": "B2026-11"}},
			"costs": []map[string]any{{"kind": "parts", "amount": cny("380.00")}, {"kind": "travel", "amount": cny("120.50")}, {"kind": "other", "amount": map[string]any{"amount": "10", "currency": "USD"}}}})
		var rec struct {
			ID          uuid.UUID `json:"id"`
			LabourHours string    `json:"labour_hours"`
			Parts       []struct {
				ProductID uuid.UUID `json:"product_id"`
				Quantity  string    `json:"quantity"`
				Batch     string    `json:"batch"`
			} `json:"parts"`
			Costs []struct {
				Kind   string    `json:"kind"`
				Amount moneyJSON `json:"amount"`
			} `json:"costs"`
		}
		env.Run(t, []apitest.Scenario{
			{Name: "add: no login", Method: "POST", URL: woURL(w, "/records"), Body: full, Status: 401},
			{Name: "add: other tenant", Method: "POST", URL: woURL(foreign, "/records"), As: tm.tech, Body: full, Status: 404},
			{Name: "add: wrong role", Method: "POST", URL: woURL(w, "/records"), As: tm.reader, Body: full, Status: 403},
			{Name: "add: not found", Method: "POST", URL: missing + "/records", As: tm.tech, Body: full, Status: 404},
			{Name: "add: no work done", Method: "POST", URL: woURL(w, "/records"), As: tm.tech, Body: record(map[string]any{"work_done": ""}), Status: 422,
				Contains: []string{"work_done"}},
			{Name: "add: ended before started", Method: "POST", URL: woURL(w, "/records"), As: tm.tech,
				Body: record(map[string]any{"started_at": now.Add(-time.Hour), "ended_at": now.Add(-2 * time.Hour)}), Status: 422, Contains: []string{"ended_at"}},
			{Name: "add: in the future", Method: "POST", URL: woURL(w, "/records"), As: tm.tech,
				Body: record(map[string]any{"ended_at": now.Add(time.Hour)}), Status: 422, Contains: []string{"ended_at"}},
			{Name: "add: zero quantity", Method: "POST", URL: woURL(w, "/records"), As: tm.tech,
				Body: record(map[string]any{"parts": []map[string]any{{"product_id": tm.product, "quantity": 0}}}), Status: 422, Contains: []string{"parts[0].quantity"}},
			{Name: "add: another tenant's part", Method: "POST", URL: woURL(w, "/records"), As: tm.tech,
				Body: record(map[string]any{"parts": []map[string]any{{"product_id": other.product, "quantity": 1}}}), Status: 422, Contains: []string{"parts[0].product_id"}},
			{Name: "add: unknown cost kind", Method: "POST", URL: woURL(w, "/records"), As: tm.tech,
				Body: record(map[string]any{"costs": []map[string]any{{"kind": "bribe", "amount": cny("1")}}}), Status: 422},
			{Name: "add: negative cost", Method: "POST", URL: woURL(w, "/records"), As: tm.tech,
				Body: record(map[string]any{"costs": []map[string]any{{"kind": "travel", "amount": cny("-1")}}}), Status: 422, Contains: []string{"costs[0].amount.amount"}},
			{Name: "add: labour hours out of range", Method: "POST", URL: woURL(w, "/records"), As: tm.tech,
				Body: record(map[string]any{"labour_hours": "1.234"}), Status: 422, Contains: []string{"labour_hours"}},
			{Name: "add: not the technician", Method: "POST", URL: woURL(w, "/records"), As: tm.cs, Body: full, Status: 403},
			{Name: "add: success", Method: "POST", URL: woURL(w, "/records"), As: tm.tech, Body: full, Status: 201,
				Check: func(t *testing.T, r *apitest.Response) { r.JSON(t, &rec) }},
		})
		if rec.LabourHours != "2.5" || len(rec.Parts) != 1 || rec.Parts[0].Batch != "B2026-11" || rec.Parts[0].Quantity != "2" || len(rec.Costs) != 3 {
			t.Errorf("record: %+v", rec)
		}
		// Without labour hours, the time between start and end (2 hours here).
		var derived struct {
			LabourHours string `json:"labour_hours"`
		}
		tm.tech.MustDo(t, "POST", woURL(w, "/records"), record(map[string]any{"costs": []map[string]any{{"kind": "allowance", "amount": cny("50")}}}), 201, &derived)
		if derived.LabourHours != "2" {
			t.Errorf("derived labour hours %s, want 2", derived.LabourHours)
		}
		got := tm.get(t, w)
		if len(got.ServiceCost) != 2 || got.ServiceCost[0] != (moneyJSON{"550.50", "CNY"}) || got.ServiceCost[1] != (moneyJSON{"10.00", "USD"}) {
			t.Errorf("service cost %+v", got.ServiceCost)
		}
		if len(got.TravelCost) != 1 || got.TravelCost[0] != (moneyJSON{"170.50", "CNY"}) {
			t.Errorf("travel cost %+v", got.TravelCost)
		}
		env.Run(t, []apitest.Scenario{
			{Name: "list: no login", Method: "GET", URL: woURL(w, "/records"), Status: 401},
			{Name: "list: other tenant", Method: "GET", URL: woURL(foreign, "/records"), As: tm.mgr, Status: 404},
			{Name: "list: wrong role", Method: "GET", URL: woURL(w, "/records"), As: tm.sales, Status: 403},
			{Name: "list: not found", Method: "GET", URL: missing + "/records", As: tm.mgr, Status: 404},
			{Name: "list: success", Method: "GET", URL: woURL(w, "/records"), As: tm.mgr, Status: 200,
				Contains: []string{rec.ID.String(), `"batch":"B2026-11"`, `"work_done":"更换主轴轴承，试车正常"`}},
		})
	})
}

func TestPaidWork(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		other := newTeam(t, env)
		foreign := other.to(t, other.register(t, nil), "in_progress")
		missing := "/api/v1/work-orders/" + uuid.NewString()
		w := tm.to(t, tm.register(t, nil), "accepted") // no purchase date: paid
		if w.Type != "paid" {
			t.Fatalf("type %s", w.Type)
		}
		free := tm.to(t, tm.register(t, map[string]any{"purchase_date": day(time.Now(), -1, 0)}), "in_progress")
		onSite := map[string]any{"fee": cny("260.00"), "method": "on_site", "receipt_number": "SJ-0088"}
		if r := tm.tech.Do(t, "POST", woURL(w, "/charge"), onSite); r.Status != 409 {
			t.Errorf("charge before the work started: %d %s", r.Status, r.Body)
		}
		w = tm.to(t, w, "in_progress")
		env.Run(t, []apitest.Scenario{
			{Name: "charge: no login", Method: "POST", URL: woURL(w, "/charge"), Body: onSite, Status: 401},
			{Name: "charge: other tenant", Method: "POST", URL: woURL(foreign, "/charge"), As: tm.tech, Body: onSite, Status: 404},
			{Name: "charge: wrong role", Method: "POST", URL: woURL(w, "/charge"), As: tm.reader, Body: onSite, Status: 403},
			{Name: "charge: not found", Method: "POST", URL: missing + "/charge", As: tm.tech, Body: onSite, Status: 404},
			{Name: "charge: on site without receipt", Method: "POST", URL: woURL(w, "/charge"), As: tm.tech,
				Body: map[string]any{"fee": cny("260.00"), "method": "on_site"}, Status: 422, Contains: []string{"receipt_number"}},
			{Name: "charge: negative", Method: "POST", URL: woURL(w, "/charge"), As: tm.tech,
				Body: map[string]any{"fee": cny("-1"), "method": "invoice"}, Status: 422, Contains: []string{"fee.amount"}},
			{Name: "charge: free work", Method: "POST", URL: woURL(free, "/charge"), As: tm.tech, Body: onSite, Status: 409},
			{Name: "charge: success", Method: "POST", URL: woURL(w, "/charge"), As: tm.tech, Body: onSite, Status: 200,
				Contains: []string{`"fee":{"amount":"260.00","currency":"CNY"}`, `"fee_method":"on_site"`, `"receipt_number":"SJ-0088"`, `"invoice_status":"requested"`}},
		})
		invoice := map[string]any{"invoice_number": "FP-2026-001"}
		if r := tm.finance.Do(t, "POST", woURL(w, "/invoice"), invoice); r.Status != 409 {
			t.Errorf("invoice before sign-off: %d %s", r.Status, r.Body)
		}
		w = tm.to(t, w, "signed_off")
		tm.mgr.MustDo(t, "POST", woURL(w, "/countersign"), nil, 200, &w)
		refused(t, env, tm, w, tm.mgr, "/close")
		env.Run(t, []apitest.Scenario{
			{Name: "invoice: no login", Method: "POST", URL: woURL(w, "/invoice"), Body: invoice, Status: 401},
			{Name: "invoice: other tenant", Method: "POST", URL: woURL(foreign, "/invoice"), As: tm.finance, Body: invoice, Status: 404},
			{Name: "invoice: wrong role", Method: "POST", URL: woURL(w, "/invoice"), As: tm.mgr, Body: invoice, Status: 403},
			{Name: "invoice: not found", Method: "POST", URL: missing + "/invoice", As: tm.finance, Body: invoice, Status: 404},
			{Name: "invoice: no number", Method: "POST", URL: woURL(w, "/invoice"), As: tm.finance, Body: map[string]any{}, Status: 422},
			{Name: "invoice: success", Method: "POST", URL: woURL(w, "/invoice"), As: tm.finance, Body: invoice, Status: 200,
				Contains: []string{`"status":"invoiced"`, `"invoice_status":"issued"`, `"invoice_number":"FP-2026-001"`}},
			// Posting it again on the invoiced work order corrects the invoice (receivable_test.go).
			{Name: "invoice: corrected", Method: "POST", URL: woURL(w, "/invoice"), As: tm.finance, Body: map[string]any{"invoice_number": "FP-2026-001A"}, Status: 200,
				Contains: []string{`"status":"invoiced"`, `"invoice_number":"FP-2026-001A"`}},
			{Name: "charge: after the invoice", Method: "POST", URL: woURL(w, "/charge"), As: tm.tech, Body: onSite, Status: 409},
			{Name: "close: success", Method: "POST", URL: woURL(w, "/close"), As: tm.mgr, Status: 200, Contains: []string{`"status":"closed"`}},
		})
		// A paid work order signed off without a charge has no invoice request to issue.
		bare := tm.to(t, tm.register(t, nil), "signed_off")
		refused(t, env, tm, bare, tm.finance, "/invoice")
	})
}

// A fee collected on site is a payment of the sales module: finance and the customer's owner
// find it among the payments (by work order or customer), a salesperson who does not own the
// customer does not; correcting the charge corrects the payment, and a charge corrected to be
// invoiced (nothing collected) withdraws it.
func TestPaidWorkPayment(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		stranger := tm.co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		cust := newCustomer(t, tm.sales, "苏州精工")
		var w workOrder
		tm.co.Owner.MustDo(t, "POST", "/api/v1/work-orders", request(cust, nil), 201, &w)
		w = tm.to(t, w, "in_progress")
		type payment struct {
			ID          uuid.UUID  `json:"id"`
			CustomerID  uuid.UUID  `json:"customer_id"`
			WorkOrderID *uuid.UUID `json:"work_order_id"`
			Amount      moneyJSON  `json:"amount"`
			Method      string     `json:"method"`
			Reference   string     `json:"reference"`
			OwnerID     uuid.UUID  `json:"owner_id"`
		}
		type payments struct{ Items []payment }
		byOrder := "/api/v1/payments?work_order_id=" + w.ID.String()
		list := func(as *apitest.Client, url string) []payment {
			t.Helper()
			var p payments
			as.MustDo(t, "GET", url, nil, 200, &p)
			return p.Items
		}
		if got := list(tm.finance, byOrder); len(got) != 0 {
			t.Fatalf("payments before the charge: %+v", got)
		}
		tm.tech.MustDo(t, "POST", woURL(w, "/charge"), map[string]any{"fee": cny("260.00"), "method": "on_site", "receipt_number": "SJ-0088"}, 200, &w)
		got := list(tm.finance, byOrder)
		if len(got) != 1 || got[0].Amount != (moneyJSON{"260.00", "CNY"}) || got[0].Reference != "SJ-0088" || got[0].Method != "cash" ||
			got[0].CustomerID != cust || got[0].WorkOrderID == nil || *got[0].WorkOrderID != w.ID || got[0].OwnerID != tm.sales.UserID {
			t.Fatalf("payment of the on-site fee: %+v", got)
		}
		first := got[0].ID
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", first, "payment.received"); n != 1 {
			t.Errorf("%d payment.received events", n)
		}
		if r := tm.co.Owner.Do(t, "GET", woURL(w, ""), nil); !strings.Contains(string(r.Body), `"fee_payment_id":"`+first.String()+`"`) {
			t.Errorf("work order does not name its payment: %s", r.Body)
		}
		// The customer's owner sees it with their customer's payments; another salesperson not.
		if got := list(tm.sales, "/api/v1/payments?customer_id="+cust.String()); len(got) != 1 || got[0].ID != first {
			t.Errorf("the owner's list: %+v", got)
		}
		if got := list(stranger, "/api/v1/payments?customer_id="+cust.String()); len(got) != 0 {
			t.Errorf("another salesperson sees %+v", got)
		}
		if r := stranger.Do(t, "GET", "/api/v1/payments/"+first.String(), nil); r.Status != 404 {
			t.Errorf("another salesperson reads the payment: %d", r.Status)
		}
		// Corrected: the same payment, the new amount and receipt.
		tm.tech.MustDo(t, "POST", woURL(w, "/charge"), map[string]any{"version": w.Version, "fee": cny("300.00"), "method": "on_site", "receipt_number": "SJ-0089"}, 200, &w)
		if got := list(tm.finance, byOrder); len(got) != 1 || got[0].ID != first || got[0].Amount.Amount != "300.00" || got[0].Reference != "SJ-0089" {
			t.Errorf("after the correction: %+v", got)
		}
		// A refused charge changes no payment.
		if r := tm.tech.Do(t, "POST", woURL(w, "/charge"), map[string]any{"fee": cny("-5"), "method": "on_site", "receipt_number": "x"}); r.Status != 422 {
			t.Errorf("negative fee: %d", r.Status)
		}
		// To be invoiced instead: nothing was collected, the payment goes.
		tm.tech.MustDo(t, "POST", woURL(w, "/charge"), map[string]any{"version": w.Version, "fee": cny("300.00"), "method": "invoice"}, 200, &w)
		if got := list(tm.finance, byOrder); len(got) != 0 {
			t.Errorf("payment after switching to an invoice: %+v", got)
		}
		if r := tm.co.Owner.Do(t, "GET", woURL(w, ""), nil); !strings.Contains(string(r.Body), `"fee_payment_id":null`) {
			t.Errorf("work order still names a payment: %s", r.Body)
		}
	})
}
