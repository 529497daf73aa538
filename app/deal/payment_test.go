package deal_test

// Payment plans and payments (EXP-4): installments settle earliest-due first, partial
// payments, money no installment takes, corrections that re-settle, the overdue flag and its
// daily job under a fake clock, and the standard rows for /payments and /payment-plans.

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/tenantctx"
)

type installment struct {
	ID          uuid.UUID `json:"id"`
	DueDate     string    `json:"due_date"`
	Amount      moneyJSON `json:"amount"`
	PaidAmount  moneyJSON `json:"paid_amount"`
	Outstanding moneyJSON `json:"outstanding"`
	Status      string    `json:"status"`
	Overdue     bool      `json:"overdue"`
}

type plan struct {
	Planned      moneyJSON     `json:"planned"`
	Paid         moneyJSON     `json:"paid"`
	Outstanding  moneyJSON     `json:"outstanding"`
	Installments []installment `json:"installments"`
}

type payment struct {
	ID          uuid.UUID `json:"id"`
	Unallocated moneyJSON `json:"unallocated"`
	OwnerID     uuid.UUID `json:"owner_id"`
	Allocations []struct {
		InstallmentID uuid.UUID `json:"installment_id"`
		Amount        string    `json:"amount"`
	} `json:"allocations"`
	Version int64 `json:"version"`
}

func states(p plan) []string {
	var out []string
	for _, i := range p.Installments {
		s := i.Status + ":" + i.PaidAmount.Amount
		if i.Overdue {
			s += ":overdue"
		}
		out = append(out, s)
	}
	return out
}

func wantStates(t *testing.T, what string, p plan, want ...string) {
	t.Helper()
	got := states(p)
	if len(got) != len(want) {
		t.Fatalf("%s: %v, want %v", what, got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: %v, want %v", what, got, want)
		}
	}
}

func TestPaymentPlanSettlement(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		finance := acme.AddUser(t, "finance")
		cs := acme.AddUser(t, "customer_service")
		cust := newCustomer(t, sales, "杭州制造")
		c := signed(t, sales, acme.Owner, cust, cny("10000.00"), nil)
		foreignCust := newCustomer(t, other.Owner, "别家")
		foreign := signed(t, other.Owner, other.Owner, foreignCust, cny("10"), nil)
		draft := newContract(t, sales, cust, cny("50"), nil)

		now := env.Clock().Now()
		planURL := "/api/v1/contracts/" + c.ID.String() + "/payment-plans"
		body := map[string]any{"installments": []map[string]any{
			{"due_date": day(now, 35), "amount": cny("4000.00")},
			{"due_date": day(now, -10), "amount": cny("3000.00"), "note": "首付"},
			{"due_date": day(now, 5), "amount": cny("3000.00")},
		}}
		var p plan
		env.Run(t, []apitest.Scenario{
			{Name: "plan add: no login", Method: "POST", URL: planURL, Body: body, Status: 401},
			{Name: "plan add: other tenant", Method: "POST", URL: "/api/v1/contracts/" + foreign.ID.String() + "/payment-plans", As: sales, Body: body, Status: 404},
			{Name: "plan add: wrong role", Method: "POST", URL: planURL, As: cs, Body: body, Status: 403},
			{Name: "plan add: not found", Method: "POST", URL: "/api/v1/contracts/" + uuid.NewString() + "/payment-plans", As: sales, Body: body, Status: 404},
			{Name: "plan add: other currency", Method: "POST", URL: planURL, As: sales,
				Body: map[string]any{"installments": []map[string]any{{"due_date": day(now, 1), "amount": map[string]any{"amount": "1", "currency": "USD"}}}}, Status: 422},
			{Name: "plan add: beyond the contract amount", Method: "POST", URL: planURL, As: sales,
				Body: map[string]any{"installments": []map[string]any{{"due_date": day(now, 1), "amount": cny("10000.01")}}}, Status: 422, Contains: []string{"installments"}},
			{Name: "plan add: success", Method: "POST", URL: planURL, As: sales, Body: body, Status: 201, Check: func(t *testing.T, r *apitest.Response) { r.JSON(t, &p) }},
			{Name: "plan add: one cent too many", Method: "POST", URL: planURL, As: sales,
				Body: map[string]any{"installments": []map[string]any{{"due_date": day(now, 1), "amount": cny("0.01")}}}, Status: 422},
			{Name: "plan get: no login", Method: "GET", URL: planURL, Status: 401},
			{Name: "plan get: other tenant", Method: "GET", URL: planURL, As: other.Owner, Status: 404},
			{Name: "plan get: wrong role", Method: "GET", URL: planURL, As: acme.AddUser(t, "service_technician"), Status: 403},
			{Name: "plan get: not found", Method: "GET", URL: "/api/v1/contracts/" + uuid.NewString() + "/payment-plans", As: sales, Status: 404},
			{Name: "plan get: invalid filter", Method: "GET", URL: planURL + "?overdue=maybe", As: sales, Status: 400},
			{Name: "plan get: overdue only", Method: "GET", URL: planURL + "?overdue=true", As: sales, Status: 200, Contains: []string{day(now, -10)}, NotContains: []string{day(now, 5)}},
		})
		// earliest due first; the past-due installment is overdue at once
		wantStates(t, "planned", p, "pending:0.00:overdue", "pending:0.00", "pending:0.00")
		if p.Planned.Amount != "10000.00" || p.Outstanding.Amount != "10000.00" {
			t.Errorf("plan totals %+v", p)
		}
		var list struct{ Items []contract }
		sales.MustDo(t, "GET", "/api/v1/contracts?overdue=true", nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].ID != c.ID {
			t.Fatalf("overdue contracts %+v", list.Items)
		}

		pay := map[string]any{"customer_id": cust, "contract_id": c.ID, "amount": cny("3500.00"), "method": "bank_transfer", "reference": "BOC-1"}
		var p1 payment
		env.Run(t, []apitest.Scenario{
			{Name: "pay: no login", Method: "POST", URL: "/api/v1/payments", Body: pay, Status: 401},
			{Name: "pay: other tenant's contract", Method: "POST", URL: "/api/v1/payments", As: finance,
				Body: map[string]any{"customer_id": cust, "contract_id": foreign.ID, "amount": cny("1"), "method": "cash"}, Status: 422, Contains: []string{"contract_id"}},
			{Name: "pay: wrong role", Method: "POST", URL: "/api/v1/payments", As: sales, Body: pay, Status: 403},
			{Name: "pay: unknown customer", Method: "POST", URL: "/api/v1/payments", As: finance,
				Body: map[string]any{"customer_id": uuid.New(), "amount": cny("1"), "method": "cash"}, Status: 422},
			{Name: "pay: other currency", Method: "POST", URL: "/api/v1/payments", As: finance,
				Body: map[string]any{"customer_id": cust, "contract_id": c.ID, "amount": map[string]any{"amount": "1", "currency": "USD"}, "method": "cash"}, Status: 422},
			{Name: "pay: unsigned contract", Method: "POST", URL: "/api/v1/payments", As: finance,
				Body: map[string]any{"customer_id": cust, "contract_id": draft.ID, "amount": cny("1"), "method": "cash"}, Status: 409},
			{Name: "pay: in the future", Method: "POST", URL: "/api/v1/payments", As: finance,
				Body: map[string]any{"customer_id": cust, "amount": cny("1"), "method": "cash", "received_on": day(now, 3)}, Status: 422},
			{Name: "pay: unknown method", Method: "POST", URL: "/api/v1/payments", As: finance,
				Body: map[string]any{"customer_id": cust, "amount": cny("1"), "method": "barter"}, Status: 422},
			{Name: "pay: success", Method: "POST", URL: "/api/v1/payments", As: finance, Body: pay, Status: 201,
				Check: func(t *testing.T, r *apitest.Response) { r.JSON(t, &p1) }},
		})
		if p1.OwnerID != sales.UserID || p1.Unallocated.Amount != "0.00" || len(p1.Allocations) != 2 {
			t.Errorf("payment %+v", p1)
		}
		sales.MustDo(t, "GET", planURL, nil, 200, &p)
		wantStates(t, "after 3500", p, "paid:3000.00", "partial:500.00", "pending:0.00")
		sales.MustDo(t, "GET", "/api/v1/contracts/"+c.ID.String(), nil, 200, &c)
		if c.Overdue {
			t.Error("contract still overdue after its overdue installment was paid")
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", p1.ID, "payment.received"); n != 1 {
			t.Errorf("%d payment.received events", n)
		}

		// Ten days later the second installment (due in five days, half paid) is overdue: the
		// daily job flags it once.
		env.Clock().Advance(10 * 24 * time.Hour)
		n, err := env.Server.Deals.MarkOverdueAll(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("overdue run: %d, %v", n, err)
		}
		if n, _ := env.Server.Deals.MarkOverdueAll(context.Background()); n != 0 {
			t.Errorf("second run flagged %d again", n)
		}
		sales.MustDo(t, "GET", planURL, nil, 200, &p)
		wantStates(t, "after the job", p, "paid:3000.00", "partial:500.00:overdue", "pending:0.00")
		sales.MustDo(t, "GET", "/api/v1/contracts?overdue=true", nil, 200, &list)
		if len(list.Items) != 1 {
			t.Errorf("overdue list %+v", list.Items)
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", c.ID, "receivable.overdue"); n != 1 {
			t.Errorf("%d receivable.overdue events", n)
		}
		// what credit risk reads: 2,500 still owed on the installment due five days before the clock
		rctx := tenantctx.WithTenant(context.Background(), acme.ID)
		if err := env.DB.Read(rctx, func(tx *gorm.DB) error {
			rs, err := deal.OverdueReceivables(rctx, tx, []uuid.UUID{cust, foreignCust})
			if err != nil {
				return err
			}
			r, ok := rs[cust]
			if len(rs) != 1 || !ok || r.Overdue.StringFixed(2) != "2500.00" || r.Installments != 1 || r.OldestDue.Format(time.DateOnly) != day(now, 5) {
				t.Errorf("receivables %+v", rs)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		// The rest, and 500 more than the plan: nothing is left to take it.
		var p2 payment
		finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": cust, "contract_id": c.ID, "amount": cny("7000.00"), "method": "alipay"}, 201, &p2)
		if p2.Unallocated.Amount != "500.00" {
			t.Errorf("unallocated %+v", p2.Unallocated)
		}
		sales.MustDo(t, "GET", planURL, nil, 200, &p)
		wantStates(t, "fully paid", p, "paid:3000.00", "paid:3000.00", "paid:4000.00")

		// Correcting the first payment down to 3000 re-settles: the second payment now leaves nothing over.
		pURL := "/api/v1/payments/" + p1.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "get payment: no login", Method: "GET", URL: pURL, Status: 401},
			{Name: "get payment: other tenant", Method: "GET", URL: pURL, As: other.Owner, Status: 404},
			{Name: "get payment: wrong role", Method: "GET", URL: pURL, As: cs, Status: 403},
			{Name: "get payment: not found", Method: "GET", URL: "/api/v1/payments/" + uuid.NewString(), As: finance, Status: 404},
			{Name: "get payment: success (salesperson sees own revenue)", Method: "GET", URL: pURL, As: sales, Status: 200},
			{Name: "list payments: no login", Method: "GET", URL: "/api/v1/payments", Status: 401},
			{Name: "list payments: other tenant", Method: "GET", URL: "/api/v1/payments", As: other.Owner, Status: 200, NotContains: []string{p1.ID.String()}},
			{Name: "list payments: wrong role", Method: "GET", URL: "/api/v1/payments", As: cs, Status: 403},
			{Name: "list payments: invalid", Method: "GET", URL: "/api/v1/payments?received_after=yesterday", As: finance, Status: 422},
			{Name: "list payments: success", Method: "GET", URL: "/api/v1/payments?contract_id=" + c.ID.String(), As: finance, Status: 200, Contains: []string{p1.ID.String(), p2.ID.String()}},
			{Name: "patch payment: no login", Method: "PATCH", URL: pURL, Body: map[string]any{"version": 1}, Status: 401},
			{Name: "patch payment: other tenant", Method: "PATCH", URL: pURL, As: other.Owner, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "patch payment: wrong role", Method: "PATCH", URL: pURL, As: sales, Body: map[string]any{"version": 1}, Status: 403},
			{Name: "patch payment: not found", Method: "PATCH", URL: "/api/v1/payments/" + uuid.NewString(), As: finance, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "patch payment: other currency", Method: "PATCH", URL: pURL, As: finance, Body: map[string]any{"version": p1.Version, "amount": map[string]any{"amount": "1", "currency": "EUR"}}, Status: 422},
			{Name: "patch payment: stale", Method: "PATCH", URL: pURL, As: finance, Body: map[string]any{"version": 99, "note": "x"}, Status: 409},
			{Name: "patch payment: success", Method: "PATCH", URL: pURL, As: finance, Body: map[string]any{"version": p1.Version, "amount": cny("3000.00")}, Status: 200},
		})
		finance.MustDo(t, "GET", "/api/v1/payments/"+p2.ID.String(), nil, 200, &p2)
		if p2.Unallocated.Amount != "0.00" {
			t.Errorf("after the correction the second payment leaves %s", p2.Unallocated.Amount)
		}
		sales.MustDo(t, "GET", planURL, nil, 200, &p)
		wantStates(t, "after the correction", p, "paid:3000.00", "paid:3000.00", "paid:4000.00")
		if p.Paid.Amount != "10000.00" || p.Outstanding.Amount != "0.00" {
			t.Errorf("totals %+v", p)
		}
	})
}

// Payments recorded at the same moment against one contract all settle: settlement takes the
// contract's row lock on PostgreSQL, so no payment allocates without seeing the others.
func TestConcurrentPaymentsSettle(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		finance := acme.AddUser(t, "finance")
		cust := newCustomer(t, acme.Owner, "并发客户")
		c := signed(t, acme.Owner, acme.Owner, cust, cny("1000.00"), nil)
		now := env.Clock().Now()
		acme.Owner.MustDo(t, "POST", "/api/v1/contracts/"+c.ID.String()+"/payment-plans", map[string]any{"installments": []map[string]any{
			{"due_date": day(now, 10), "amount": cny("450.00")}, {"due_date": day(now, 20), "amount": cny("550.00")}}}, 201, nil)
		const n = 8
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			go func() {
				r := finance.Do(t, "POST", "/api/v1/payments", map[string]any{"customer_id": cust, "contract_id": c.ID, "amount": cny("125.00"), "method": "cash"})
				if r.Status != 201 {
					errs <- fmt.Errorf("status %d: %s", r.Status, r.Body)
					return
				}
				errs <- nil
			}()
		}
		for i := 0; i < n; i++ {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		var p plan
		acme.Owner.MustDo(t, "GET", "/api/v1/contracts/"+c.ID.String()+"/payment-plans", nil, 200, &p)
		wantStates(t, "after 8 × 125", p, "paid:450.00", "paid:550.00")
		if got := env.CountRows(t, "payment_allocations", "tenant_id = ?", acme.ID); got < n {
			t.Errorf("%d allocations for %d payments", got, n)
		}
	})
}

// Days are the company's: at 01:30 in Shanghai (17:30 UTC the day before) a payment received
// "today" is on the Shanghai date, and that date is not in the future.
func TestPaymentDayInTenantTimeZone(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		finance := acme.AddUser(t, "finance")
		cust := newCustomer(t, acme.Owner, "时区客户")
		at, _ := time.Parse(time.RFC3339, "2026-05-01T17:30:00Z")
		env.Clock().Advance(at.Sub(env.Clock().Now()))
		var p struct {
			ReceivedOn string `json:"received_on"`
		}
		finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": cust, "amount": cny("1"), "method": "cash"}, 201, &p)
		if p.ReceivedOn != "2026-05-02" {
			t.Errorf("default day %s, want the Shanghai date 2026-05-02", p.ReceivedOn)
		}
		finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": cust, "amount": cny("1"), "method": "cash", "received_on": "2026-05-02"}, 201, nil)
		finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": cust, "amount": cny("1"), "method": "cash", "received_on": "2026-05-03"}, 422, nil)
	})
}
