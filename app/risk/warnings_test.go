package risk_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/risk"
)

func riskNotices(t testing.TB, as *apitest.Client) int {
	t.Helper()
	var p struct{ Items []struct{ Kind string } }
	as.MustDo(t, "GET", "/api/v1/notifications", nil, 200, &p)
	n := 0
	for _, it := range p.Items {
		if it.Kind == "risk_warning" {
			n++
		}
	}
	return n
}

// Warnings come from the records as they change and from the daily job with a fake clock;
// a re-run or a restarted service raises nothing twice and tells the owner and their manager
// once per warning; they clear when the condition is gone.
func TestWarningsAndTheDailyJob(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		other := newCompany(t, env)
		c.assess(t, c.gm, c.cust1, "10000")
		k := c.signed(t, c.sales1, c.cust1, cny("8000"))

		// Signing raised the share warning at once: 8,000 is 80% of the limit.
		cr := creditOf(t, c.sales1, c.cust1)
		w := cr.has("exposure_share")
		if w == nil || w.Level != "medium" || cr.RiskLevel != "medium" || len(cr.Warnings) != 1 || !strings.Contains(w.Message, "华东精密机械") {
			t.Fatalf("after signing: %+v", cr)
		}
		if riskNotices(t, c.sales1) != 1 || riskNotices(t, c.mgr) != 1 || riskNotices(t, c.sales2) != 0 {
			t.Errorf("notices: owner %d, manager %d, colleague %d", riskNotices(t, c.sales1), riskNotices(t, c.mgr), riskNotices(t, c.sales2))
		}
		c.sales1.MustDo(t, "POST", "/api/v1/contracts/"+k.ID.String()+"/payment-plans", map[string]any{"installments": []map[string]any{
			{"due_date": day(5), "amount": cny("8000")}}}, 201, nil)

		// 35 days on the installment is 30 days overdue: the daily job raises it, once.
		env.Clock().Advance(35 * 24 * time.Hour)
		svc := env.Server.Risk
		if n, err := svc.EvaluateAll(context.Background()); err != nil || n != 1 {
			t.Fatalf("daily job: %d raised, %v", n, err)
		}
		if n, err := svc.EvaluateAll(context.Background()); err != nil || n != 0 {
			t.Errorf("second run: %d raised, %v", n, err)
		}
		restarted := &risk.Service{DB: env.DB, Authz: env.Server.Authz, Deals: env.Server.Deals, Notify: env.Server.Notify, Now: env.Clock().Now}
		if n, err := restarted.EvaluateAll(context.Background()); err != nil || n != 0 {
			t.Errorf("after a restart: %d raised, %v", n, err)
		}
		if n := env.CountRows(t, "risk_warnings", "tenant_id = ?", c.co.ID); n != 2 {
			t.Errorf("warnings stored: %d", n)
		}
		if n := env.CountRows(t, "outbox", "tenant_id = ? AND type = ?", c.co.ID, "risk.warning_raised"); n != 2 {
			t.Errorf("risk.warning_raised events: %d", n)
		}
		if riskNotices(t, c.sales1) != 2 || riskNotices(t, c.mgr) != 2 {
			t.Errorf("notices after the job: owner %d, manager %d", riskNotices(t, c.sales1), riskNotices(t, c.mgr))
		}
		cr = creditOf(t, c.sales1, c.cust1)
		if o := cr.has("overdue"); o == nil || o.Level != "high" || cr.RiskLevel != "high" || o.Detail["days"] != float64(30) {
			t.Errorf("overdue warning: %+v", cr)
		}

		// Lists: a level filter, the owner's scope, the auditor reads, another tenant sees none.
		var list struct{ Items []warning }
		c.auditor.MustDo(t, "GET", "/api/v1/risk/warnings?level=high", nil, 200, &list)
		if len(list.Items) != 1 || list.Items[0].Kind != "overdue" {
			t.Errorf("high warnings: %+v", list.Items)
		}
		c.sales2.MustDo(t, "GET", "/api/v1/risk/warnings", nil, 200, &list)
		if len(list.Items) != 0 {
			t.Errorf("a colleague sees %+v", list.Items)
		}
		other.gm.MustDo(t, "GET", "/api/v1/risk/warnings?customer_id="+c.cust1.String(), nil, 200, &list)
		if len(list.Items) != 0 {
			t.Errorf("another tenant sees %+v", list.Items)
		}
		env.Run(t, []apitest.Scenario{
			{Name: "list: no login", Method: "GET", URL: "/api/v1/risk/warnings", Status: 401},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/risk/warnings", As: c.tech, Status: 403},
			{Name: "list: bad level", Method: "GET", URL: "/api/v1/risk/warnings?level=severe", As: c.gm, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "level", "invalid_choice") }},
			{Name: "list: bad customer", Method: "GET", URL: "/api/v1/risk/warnings?customer_id=x", As: c.gm, Status: 422},
		})

		// Measures.
		mu := "/api/v1/risk/warnings/" + w.ID.String() + "/measures"
		env.Run(t, []apitest.Scenario{
			{Name: "measure: no login", Method: "POST", URL: mu, Body: map[string]any{"measure": "guarantee"}, Status: 401},
			{Name: "measure: another tenant", Method: "POST", URL: mu, As: other.gm, Body: map[string]any{"measure": "guarantee"}, Status: 404},
			{Name: "measure: wrong role", Method: "POST", URL: mu, As: c.auditor, Body: map[string]any{"measure": "guarantee"}, Status: 403},
			{Name: "measure: outside the scope", Method: "POST", URL: mu, As: c.sales2, Body: map[string]any{"measure": "guarantee"}, Status: 404},
			{Name: "measure: missing", Method: "POST", URL: "/api/v1/risk/warnings/" + uuid.Must(uuid.NewV7()).String() + "/measures", As: c.gm, Body: map[string]any{"measure": "guarantee"}, Status: 404},
			{Name: "measure: unknown", Method: "POST", URL: mu, As: c.gm, Body: map[string]any{"measure": "prayer"}, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "measure", "invalid_choice") }},
			{Name: "measure: other without a note", Method: "POST", URL: mu, As: c.gm, Body: map[string]any{"measure": "other"}, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "note", "required") }},
		})
		var mv warning
		c.sales1.MustDo(t, "POST", mu, map[string]any{"measure": "prepayment", "note": "下批订单预付 50%"}, 201, &mv)
		if len(mv.Measures) != 1 || mv.Measures[0].Measure != "prepayment" {
			t.Errorf("measure: %+v", mv)
		}
		if n := env.CountRows(t, "outbox", "tenant_id = ? AND type = ?", c.co.ID, "risk.measure_recorded"); n != 1 {
			t.Errorf("measure events: %d", n)
		}

		// A complaint spike through the complaint hook.
		svc.Complaints = func(_ context.Context, _ *gorm.DB, ids []uuid.UUID, _ time.Time) (map[uuid.UUID]int, error) {
			return map[uuid.UUID]int{c.cust1: 3}, nil
		}
		t.Cleanup(func() { svc.Complaints = nil })
		if n, _ := svc.EvaluateAll(context.Background()); n != 1 || creditOf(t, c.gm, c.cust1).has("complaint_spike") == nil {
			t.Errorf("complaint spike: %d raised", n)
		}
		svc.Complaints = nil

		// Paid in full: the exposure and overdue warnings clear with the payment (and the
		// complaints, now counted as none).
		c.finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": c.cust1, "contract_id": k.ID, "amount": cny("8000"), "method": "bank_transfer"}, 201, nil)
		if cr = creditOf(t, c.sales1, c.cust1); len(cr.Warnings) != 0 || cr.RiskLevel != "low" {
			t.Errorf("after payment: %+v", cr.Warnings)
		}
		// The customer's timeline shows the warnings raised and cleared.
		var tl struct {
			Items []struct{ Kind, Action string }
		}
		c.sales1.MustDo(t, "GET", "/api/v1/customers/"+c.cust1.String()+"/timeline?limit=100", nil, 200, &tl)
		raised, resolved := 0, 0
		for _, it := range tl.Items {
			if it.Kind == "risk_warning" && it.Action == "raise" {
				raised++
			}
			if it.Kind == "risk_warning" && it.Action == "resolve" {
				resolved++
			}
		}
		if raised != 3 || resolved != 3 {
			t.Errorf("timeline: %d raised, %d resolved", raised, resolved)
		}
	})
}

// The review comes due on the owner's task list review_lead_days before the validity ends,
// once; an expired assessment raises its warning.
func TestReviewTaskAndExpiry(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		c.gm.MustDo(t, "POST", assessURL(c.cust1), map[string]any{"scores": scores(80, 80, 80, 80), "proposed_limit": cny("5000"), "valid_until": day(40)}, 201, nil)
		if _, err := env.Server.Risk.EvaluateAll(context.Background()); err != nil {
			t.Fatal(err)
		}
		type tasks struct {
			Overdue []struct {
				CustomerID uuid.UUID `json:"customer_id"`
			} `json:"overdue"`
			DueToday []struct {
				CustomerID uuid.UUID `json:"customer_id"`
			} `json:"due_today"`
			Upcoming []struct {
				CustomerID uuid.UUID `json:"customer_id"`
			} `json:"upcoming"`
		}
		onList := func() bool {
			var ts tasks
			c.sales1.MustDo(t, "GET", "/api/v1/me/tasks", nil, 200, &ts)
			for _, l := range [][]struct {
				CustomerID uuid.UUID `json:"customer_id"`
			}{ts.Overdue, ts.DueToday, ts.Upcoming} {
				for _, x := range l {
					if x.CustomerID == c.cust1 {
						return true
					}
				}
			}
			return false
		}
		if onList() {
			t.Fatal("review on the task list 40 days before the end")
		}
		env.Clock().Advance(10 * 24 * time.Hour) // 30 days before the end
		if _, err := env.Server.Risk.EvaluateAll(context.Background()); err != nil {
			t.Fatal(err)
		}
		if !onList() {
			t.Error("review not on the owner's task list 30 days before the end")
		}
		if n := env.CountRows(t, "credit_assessments", "tenant_id = ? AND review_task_at IS NOT NULL", c.co.ID); n != 1 {
			t.Errorf("review tasks recorded: %d", n)
		}
		env.Clock().Advance(31 * 24 * time.Hour) // the day after valid_until
		if _, err := env.Server.Risk.EvaluateAll(context.Background()); err != nil {
			t.Fatal(err)
		}
		if w := creditOf(t, c.sales1, c.cust1).has("assessment_expired"); w == nil || w.Level != "medium" {
			t.Error("no expiry warning the day after valid_until")
		}
	})
}
