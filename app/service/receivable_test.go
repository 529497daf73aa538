package service_test

// The invoice of paid work as a receivable of the sales module (第9條, issue 12): issuing it
// makes an installment of the work order, due on the invoice's due date or after the tenant's
// payment terms, listed in GET /installments and counted in the customer's overdue
// receivables; the daily job flags it overdue; payments against the work order settle it;
// correcting or cancelling the invoice corrects or withdraws it until payments settle it.

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/tenantctx"
)

type receivable struct {
	ID              uuid.UUID  `json:"id"`
	ContractID      *uuid.UUID `json:"contract_id"`
	WorkOrderID     *uuid.UUID `json:"work_order_id"`
	WorkOrderNumber string     `json:"work_order_number"`
	DueDate         string     `json:"due_date"`
	Amount          moneyJSON  `json:"amount"`
	PaidAmount      moneyJSON  `json:"paid_amount"`
	Status          string     `json:"status"`
	Overdue         bool       `json:"overdue"`
	Note            string     `json:"note"`
}

type receivables struct {
	Items []receivable `json:"items"`
}

type feePayment struct {
	ID          uuid.UUID  `json:"id"`
	WorkOrderID *uuid.UUID `json:"work_order_id"`
	Unallocated moneyJSON  `json:"unallocated"`
	Allocations []struct {
		InstallmentID uuid.UUID `json:"installment_id"`
		Amount        string    `json:"amount"`
	} `json:"allocations"`
}

// invoiceable takes a paid work order of customer, registered by registrar, to signed off
// with a fee to be invoiced.
func (tm *team) invoiceable(t *testing.T, registrar *apitest.Client, customer uuid.UUID, fee string) workOrder {
	t.Helper()
	var w workOrder
	registrar.MustDo(t, "POST", "/api/v1/work-orders", request(customer, nil), 201, &w)
	w = tm.to(t, w, "in_progress")
	tm.tech.MustDo(t, "POST", woURL(w, "/charge"), map[string]any{"fee": cny(fee), "method": "invoice"}, 200, &w)
	return tm.to(t, w, "signed_off")
}

func (tm *team) receivableOf(t *testing.T, as *apitest.Client, w workOrder) []receivable {
	t.Helper()
	var l receivables
	as.MustDo(t, "GET", "/api/v1/installments?work_order_id="+w.ID.String(), nil, 200, &l)
	return l.Items
}

func TestInvoiceReceivable(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		other := newTeam(t, env)
		sh, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			t.Fatal(err)
		}
		today := env.Clock().Now().In(sh)
		w := tm.invoiceable(t, tm.cs, tm.customer, "500.00")
		foreign := other.invoiceable(t, other.cs, other.customer, "80.00")
		missing := "/api/v1/work-orders/" + uuid.NewString()
		if got := tm.receivableOf(t, tm.finance, w); len(got) != 0 {
			t.Fatalf("a receivable before the invoice: %+v", got)
		}
		due := day(today, 0, 5)
		invoice := map[string]any{"invoice_number": "FP-2026-100", "due_date": due}
		env.Run(t, []apitest.Scenario{
			{Name: "invoice: due before the invoice day", Method: "POST", URL: woURL(w, "/invoice"), As: tm.finance,
				Body: map[string]any{"invoice_number": "FP-2026-100", "due_date": day(today, 0, -1)}, Status: 422, Contains: []string{"due_date"}},
			{Name: "invoice: malformed due date", Method: "POST", URL: woURL(w, "/invoice"), As: tm.finance,
				Body: map[string]any{"invoice_number": "FP-2026-100", "due_date": "05/12/2026"}, Status: 422, Contains: []string{"due_date"}},
			{Name: "invoice: success", Method: "POST", URL: woURL(w, "/invoice"), As: tm.finance, Body: invoice, Status: 200,
				Contains: []string{`"status":"invoiced"`}},
		})
		got := tm.receivableOf(t, tm.finance, w)
		if len(got) != 1 || got[0].ContractID != nil || got[0].WorkOrderID == nil || *got[0].WorkOrderID != w.ID || got[0].WorkOrderNumber != w.Number ||
			got[0].Amount != (moneyJSON{"500.00", "CNY"}) || got[0].DueDate != due || got[0].Status != "pending" || got[0].Overdue {
			t.Fatalf("receivable %+v", got)
		}
		rec := got[0]
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", w.ID, "receivable.issued"); n != 1 {
			t.Errorf("%d receivable.issued events", n)
		}
		// On the customer: its receivables, and nothing of another customer's.
		var l receivables
		tm.finance.MustDo(t, "GET", "/api/v1/installments?customer_id="+tm.customer.String()+"&open=true", nil, 200, &l)
		if len(l.Items) != 1 || l.Items[0].ID != rec.ID {
			t.Errorf("the customer's open receivables %+v", l.Items)
		}
		tm.finance.MustDo(t, "GET", "/api/v1/installments?customer_id="+uuid.NewString(), nil, 200, &l)
		if len(l.Items) != 0 {
			t.Errorf("another customer's receivables %+v", l.Items)
		}

		// A salesperson sees the receivables of their own customers only.
		mine := newCustomer(t, tm.sales, "苏州精工")
		wm := tm.invoiceable(t, tm.co.Owner, mine, "120.00")
		tm.finance.MustDo(t, "POST", woURL(wm, "/invoice"), map[string]any{"invoice_number": "FP-2026-101"}, 200, nil)
		env.Run(t, []apitest.Scenario{
			{Name: "list: no login", Method: "GET", URL: "/api/v1/installments", Status: 401},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/installments", As: tm.tech, Status: 403},
			{Name: "list: bad filter", Method: "GET", URL: "/api/v1/installments?work_order_id=x", As: tm.finance, Status: 422},
			{Name: "list: other tenant", Method: "GET", URL: "/api/v1/installments?work_order_id=" + w.ID.String(), As: other.finance, Status: 200,
				NotContains: []string{rec.ID.String()}},
			{Name: "list: own customers only", Method: "GET", URL: "/api/v1/installments", As: tm.sales, Status: 200,
				Contains: []string{wm.Number}, NotContains: []string{rec.ID.String()}},
			{Name: "list: all", Method: "GET", URL: "/api/v1/installments", As: tm.co.Owner, Status: 200,
				Contains: []string{wm.Number, rec.ID.String()}},
		})
		// Default due date: the tenant's payment terms (30 days) after the invoice day.
		if r := tm.receivableOf(t, tm.finance, wm); len(r) != 1 || r[0].DueDate != day(today, 0, 30) {
			t.Errorf("receivable on payment terms %+v, want due %s", r, day(today, 0, 30))
		}

		// Correcting the invoice corrects its receivable.
		later := day(today, 0, 7)
		w = tm.get(t, w)
		tm.finance.MustDo(t, "POST", woURL(w, "/invoice"), map[string]any{"version": w.Version, "invoice_number": "FP-2026-100A", "due_date": later}, 200, &w)
		if r := tm.receivableOf(t, tm.finance, w); len(r) != 1 || r[0].ID != rec.ID || r[0].DueDate != later || r[0].Note != "invoice FP-2026-100A" {
			t.Errorf("corrected receivable %+v", r)
		}
		if w.InvoiceNumber != "FP-2026-100A" || w.Status != "invoiced" {
			t.Errorf("corrected work order %+v", w)
		}

		// Past its due date the daily job flags it overdue, and the customer owes it.
		env.Clock().Advance(10 * 24 * time.Hour)
		if n, err := env.Server.Deals.MarkOverdueAll(context.Background()); err != nil || n != 1 {
			t.Fatalf("overdue run: %d, %v", n, err)
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", w.ID, "receivable.overdue"); n != 1 {
			t.Errorf("%d receivable.overdue events on the work order", n)
		}
		tm.finance.MustDo(t, "GET", "/api/v1/installments?overdue=true", nil, 200, &l)
		if len(l.Items) != 1 || l.Items[0].ID != rec.ID {
			t.Errorf("overdue receivables %+v", l.Items)
		}
		overdue := func() map[uuid.UUID]deal.Receivable {
			ctx := tenantctx.WithTenant(context.Background(), tm.co.ID)
			var out map[uuid.UUID]deal.Receivable
			if err := env.DB.Read(ctx, func(tx *gorm.DB) error {
				var err error
				out, err = deal.OverdueReceivables(ctx, tx, []uuid.UUID{tm.customer, mine})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return out
		}
		if r := overdue(); r[tm.customer].Installments != 1 || r[tm.customer].Overdue.String() != "500" || r[tm.customer].OldestDue.Format(time.DateOnly) != later {
			t.Errorf("overdue receivables of the customer %+v", r)
		} else if _, ok := r[mine]; ok {
			t.Errorf("a customer whose receivable is not due owes %+v", r[mine])
		}

		// A payment against the work order settles it.
		pay := map[string]any{"customer_id": tm.customer, "work_order_id": w.ID, "amount": cny("200.00"), "method": "bank_transfer"}
		var p1 feePayment
		env.Run(t, []apitest.Scenario{
			{Name: "pay: no login", Method: "POST", URL: "/api/v1/payments", Body: pay, Status: 401},
			{Name: "pay: wrong role", Method: "POST", URL: "/api/v1/payments", As: tm.sales, Body: pay, Status: 403},
			{Name: "pay: other tenant's work order", Method: "POST", URL: "/api/v1/payments", As: tm.finance,
				Body: map[string]any{"customer_id": tm.customer, "work_order_id": foreign.ID, "amount": cny("1"), "method": "cash"}, Status: 422, Contains: []string{"work_order_id"}},
			{Name: "pay: another customer's work order", Method: "POST", URL: "/api/v1/payments", As: tm.finance,
				Body: map[string]any{"customer_id": mine, "work_order_id": w.ID, "amount": cny("1"), "method": "cash"}, Status: 422, Contains: []string{"work_order_id"}},
			{Name: "pay: contract and work order", Method: "POST", URL: "/api/v1/payments", As: tm.finance,
				Body: map[string]any{"customer_id": tm.customer, "work_order_id": w.ID, "contract_id": uuid.New(), "amount": cny("1"), "method": "cash"}, Status: 422, Contains: []string{"work_order_id"}},
			{Name: "pay: other currency", Method: "POST", URL: "/api/v1/payments", As: tm.finance,
				Body: map[string]any{"customer_id": tm.customer, "work_order_id": w.ID, "amount": map[string]any{"amount": "1", "currency": "USD"}, "method": "cash"}, Status: 422, Contains: []string{"amount.currency"}},
			{Name: "pay: success", Method: "POST", URL: "/api/v1/payments", As: tm.finance, Body: pay, Status: 201,
				Check: func(t *testing.T, r *apitest.Response) { r.JSON(t, &p1) }},
		})
		if p1.WorkOrderID == nil || *p1.WorkOrderID != w.ID || p1.Unallocated.Amount != "0.00" || len(p1.Allocations) != 1 || p1.Allocations[0].InstallmentID != rec.ID {
			t.Errorf("payment %+v", p1)
		}
		if r := tm.receivableOf(t, tm.finance, w); len(r) != 1 || r[0].Status != "partial" || r[0].PaidAmount.Amount != "200.00" || !r[0].Overdue {
			t.Errorf("after 200 %+v", r)
		}
		// Once paid in part the invoice can neither be cancelled nor change its receivable.
		w = tm.get(t, w)
		env.Run(t, []apitest.Scenario{
			{Name: "cancel: paid in part", Method: "POST", URL: woURL(w, "/invoice/cancel"), As: tm.finance, Body: map[string]any{"reason": "开错抬头"}, Status: 409, Code: "conflict"},
			{Name: "correct: paid in part", Method: "POST", URL: woURL(w, "/invoice"), As: tm.finance,
				Body: map[string]any{"invoice_number": "FP-2026-100B", "due_date": day(today, 0, 40)}, Status: 409, Code: "conflict"},
		})
		if r := tm.receivableOf(t, tm.finance, w); len(r) != 1 || r[0].DueDate != later {
			t.Errorf("a refused correction changed the receivable %+v", r)
		}
		// The invoice number alone may still be corrected: the receivable keeps its due date.
		tm.finance.MustDo(t, "POST", woURL(w, "/invoice"), map[string]any{"invoice_number": "FP-2026-100C"}, 200, &w)
		if r := tm.receivableOf(t, tm.finance, w); len(r) != 1 || r[0].DueDate != later || r[0].Note != "invoice FP-2026-100C" || r[0].PaidAmount.Amount != "200.00" {
			t.Errorf("number corrected on a part-paid receivable %+v", r)
		}
		var p2 feePayment
		tm.finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": tm.customer, "work_order_id": w.ID, "amount": cny("300.00"), "method": "cash"}, 201, &p2)
		if r := tm.receivableOf(t, tm.finance, w); len(r) != 1 || r[0].Status != "paid" || r[0].Overdue {
			t.Errorf("after 500 %+v", r)
		}
		if r := overdue(); r[tm.customer].Installments != 0 {
			t.Errorf("a settled receivable still overdue %+v", r[tm.customer])
		}
		tm.finance.MustDo(t, "GET", "/api/v1/installments?open=true&customer_id="+tm.customer.String(), nil, 200, &l)
		if len(l.Items) != 0 {
			t.Errorf("open receivables after payment %+v", l.Items)
		}
		// Correcting a payment re-settles: 300 → 250 leaves 50 owed.
		var p2v struct {
			Version int64 `json:"version"`
		}
		tm.finance.MustDo(t, "GET", "/api/v1/payments/"+p2.ID.String(), nil, 200, &p2v)
		tm.finance.MustDo(t, "PATCH", "/api/v1/payments/"+p2.ID.String(), map[string]any{"version": p2v.Version, "amount": cny("250.00")}, 200, nil)
		if r := tm.receivableOf(t, tm.finance, w); len(r) != 1 || r[0].Status != "partial" || r[0].PaidAmount.Amount != "450.00" {
			t.Errorf("after the correction %+v", r)
		}
		var pays struct {
			Items []feePayment `json:"items"`
		}
		tm.finance.MustDo(t, "GET", "/api/v1/payments?work_order_id="+w.ID.String(), nil, 200, &pays)
		if len(pays.Items) != 2 {
			t.Errorf("payments of the work order %+v", pays.Items)
		}

		// Cancelling an unpaid invoice withdraws its receivable; the work order is signed off
		// again and can be invoiced anew.
		wm = tm.get(t, wm)
		env.Run(t, []apitest.Scenario{
			{Name: "cancel: no login", Method: "POST", URL: woURL(wm, "/invoice/cancel"), Body: map[string]any{"reason": "开错抬头"}, Status: 401},
			{Name: "cancel: other tenant", Method: "POST", URL: woURL(foreign, "/invoice/cancel"), As: tm.finance, Body: map[string]any{"reason": "开错抬头"}, Status: 404},
			{Name: "cancel: wrong role", Method: "POST", URL: woURL(wm, "/invoice/cancel"), As: tm.mgr, Body: map[string]any{"reason": "开错抬头"}, Status: 403},
			{Name: "cancel: not found", Method: "POST", URL: missing + "/invoice/cancel", As: tm.finance, Body: map[string]any{"reason": "开错抬头"}, Status: 404},
			{Name: "cancel: no reason", Method: "POST", URL: woURL(wm, "/invoice/cancel"), As: tm.finance, Body: map[string]any{}, Status: 422, Contains: []string{"reason"}},
			{Name: "cancel: not invoiced", Method: "POST", URL: woURL(foreign, "/invoice/cancel"), As: other.finance, Body: map[string]any{"reason": "开错抬头"}, Status: 409},
			{Name: "cancel: success", Method: "POST", URL: woURL(wm, "/invoice/cancel"), As: tm.finance, Body: map[string]any{"version": wm.Version, "reason": "开错抬头"}, Status: 200,
				Contains: []string{`"status":"signed_off"`, `"invoice_status":"requested"`}},
			{Name: "cancel: twice", Method: "POST", URL: woURL(wm, "/invoice/cancel"), As: tm.finance, Body: map[string]any{"reason": "开错抬头"}, Status: 409},
		})
		if r := tm.receivableOf(t, tm.finance, wm); len(r) != 0 {
			t.Errorf("a cancelled invoice's receivable %+v", r)
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", wm.ID, "receivable.withdrawn"); n != 1 {
			t.Errorf("%d receivable.withdrawn events", n)
		}
		tm.finance.MustDo(t, "POST", woURL(wm, "/invoice"), map[string]any{"invoice_number": "FP-2026-102"}, 200, nil)
		if r := tm.receivableOf(t, tm.finance, wm); len(r) != 1 || r[0].Status != "pending" {
			t.Errorf("invoiced anew %+v", r)
		}
	})
}

// A fee collected on site is a payment before the invoice exists; the invoice's receivable
// is paid by it as soon as it is issued, and the fee payment is then allocated to it.
func TestInvoiceAfterOnSiteFee(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		w := tm.to(t, tm.register(t, nil), "in_progress")
		tm.tech.MustDo(t, "POST", woURL(w, "/charge"), map[string]any{"fee": cny("260.00"), "method": "on_site", "receipt_number": "SJ-0088"}, 200, &w)
		w = tm.to(t, w, "signed_off")
		tm.finance.MustDo(t, "POST", woURL(w, "/invoice"), map[string]any{"invoice_number": "FP-2026-001"}, 200, &w)
		r := tm.receivableOf(t, tm.finance, w)
		if len(r) != 1 || r[0].Status != "paid" || r[0].PaidAmount.Amount != "260.00" {
			t.Fatalf("receivable of a fee collected on site %+v", r)
		}
		var pays struct {
			Items []feePayment `json:"items"`
		}
		tm.finance.MustDo(t, "GET", "/api/v1/payments?work_order_id="+w.ID.String(), nil, 200, &pays)
		if len(pays.Items) != 1 || pays.Items[0].Unallocated.Amount != "0.00" || len(pays.Items[0].Allocations) != 1 || pays.Items[0].Allocations[0].InstallmentID != r[0].ID {
			t.Errorf("fee payment %+v", pays.Items)
		}
		tm.finance.MustDo(t, "POST", woURL(w, "/invoice/cancel"), map[string]any{"reason": "开错抬头"}, 409, nil)
		tm.mgr.MustDo(t, "POST", woURL(w, "/countersign"), nil, 200, &w)
		tm.mgr.MustDo(t, "POST", woURL(w, "/close"), nil, 200, &w)
		if w.Status != "closed" {
			t.Errorf("status %s", w.Status)
		}
	})
}

// An invoiced work order is owed like a contract's installment, so the customer's credit
// exposure counts it: an open receivable until its due date, overdue after it, gone once paid,
// each line naming the work order behind it.
func TestInvoicedWorkOrderInCreditExposure(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		w := tm.invoiceable(t, tm.cs, tm.customer, "500.00")
		type line struct {
			Bucket          string    `json:"bucket"`
			WorkOrderNumber string    `json:"work_order_number"`
			Amount          moneyJSON `json:"amount"`
		}
		var credit struct {
			Exposure struct {
				OpenReceivables    moneyJSON `json:"open_receivables"`
				OverdueReceivables moneyJSON `json:"overdue_receivables"`
			} `json:"exposure"`
			Lines []line `json:"lines"`
		}
		read := func() {
			t.Helper()
			tm.co.Owner.MustDo(t, "GET", "/api/v1/customers/"+tm.customer.String()+"/credit", nil, 200, &credit)
		}
		read()
		if len(credit.Lines) != 0 {
			t.Fatalf("exposure before the invoice: %+v", credit.Lines)
		}
		sh, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			t.Fatal(err)
		}
		due := day(env.Clock().Now().In(sh), 0, 2)
		tm.finance.MustDo(t, "POST", woURL(w, "/invoice"), map[string]any{"invoice_number": "FP-2026-300", "due_date": due}, 200, nil)
		read()
		if len(credit.Lines) != 1 || credit.Lines[0] != (line{"open_receivables", w.Number, moneyJSON{"500.00", "CNY"}}) ||
			credit.Exposure.OpenReceivables.Amount != "500.00" {
			t.Fatalf("after the invoice: %+v %+v", credit.Exposure, credit.Lines)
		}
		// Past its due date it is overdue.
		env.Clock().Advance(5 * 24 * time.Hour)
		read()
		if len(credit.Lines) != 1 || credit.Lines[0].Bucket != "overdue_receivables" || credit.Exposure.OverdueReceivables.Amount != "500.00" {
			t.Fatalf("after the due date: %+v %+v", credit.Exposure, credit.Lines)
		}
		tm.finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": tm.customer, "work_order_id": w.ID,
			"amount": cny("500.00"), "method": "cash"}, 201, nil)
		read()
		if len(credit.Lines) != 0 {
			t.Fatalf("after payment: %+v", credit.Lines)
		}
	})
}
