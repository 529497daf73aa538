package complaint_test

// The workflow end to end through the API: intake with its number, deadline and report date
// on the working-day calendar, every move and every refused one (409, nothing changes), the
// paused state, closing as not established, the follow-up case of a non-accepted outcome,
// events, audit and the customer's timeline.

import (
	"regexp"
	"testing"
	"time"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/workday"
)

func TestIntakeNumbersAndClock(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		// Taken in on the eve of National Day 2026 at 10:00 in Shanghai: the holiday week does
		// not count, the 調休 Saturday 10 October does.
		v := c.open(t, c.cs, map[string]any{"received_at": "2026-09-30T02:00:00Z", "contact_id": c.contact})
		if !regexp.MustCompile(`^KS-2026-\d{6}$`).MatchString(v.Number) {
			t.Errorf("number %q, want KS-2026-NNNNNN", v.Number)
		}
		if want := time.Date(2026, 10, 14, 16, 0, 0, 0, time.UTC); v.DueAt == nil || !v.DueAt.Equal(want) {
			t.Errorf("due_at %v, want %v (end of 14 October in Shanghai)", v.DueAt, want)
		}
		if want := time.Date(2026, 10, 10, 16, 0, 0, 0, time.UTC); v.ReportDueAt == nil || !v.ReportDueAt.Equal(want) {
			t.Errorf("report_due_at %v, want %v (end of the 調休 Saturday)", v.ReportDueAt, want)
		}
		if v.Status != "received" || v.SLAStatus != "overdue" || v.HandlerID == nil || *v.HandlerID != c.cs.UserID {
			t.Errorf("status %s sla %s handler %v", v.Status, v.SLAStatus, v.HandlerID)
		}
		second := c.open(t, c.cs, nil)
		if second.Number[:8] != "KS-"+time.Now().In(shanghai(t)).Format("2006")+"-" || second.Number == v.Number {
			t.Errorf("second number %q after %q", second.Number, v.Number)
		}
		if second.SLAStatus != "on_track" {
			t.Errorf("a fresh case: sla %s", second.SLAStatus)
		}
		// The tenant's pattern.
		c.co.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"complaints": map[string]any{"number_pattern": "TS{YY}{MM}-{SEQ:3}"}}, 200, nil)
		third := c.open(t, c.cs, nil)
		if !regexp.MustCompile(`^TS\d{4}-\d{3}$`).MatchString(third.Number) {
			t.Errorf("number %q under TS{YY}{MM}-{SEQ:3}", third.Number)
		}
		r := c.co.Owner.Do(t, "PATCH", "/api/v1/settings", map[string]any{"complaints": map[string]any{"number_pattern": "KS-{YYYY}"}})
		if r.Status != 422 {
			t.Errorf("a pattern without {SEQ}: %d", r.Status)
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", v.ID, "complaint.opened"); n != 1 {
			t.Errorf("%d complaint.opened events", n)
		}
		if n := env.CountRows(t, "audit_log", "entity = ? AND entity_id = ?", "complaint", v.ID.String()); n != 1 {
			t.Errorf("%d audit entries", n)
		}
	})
}

func shanghai(t testing.TB) *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestWorkflow(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		v := c.open(t, c.cs, nil)

		// Moves the workflow does not allow answer 409 and change nothing.
		for _, to := range []string{"plan_proposed", "approved", "resolving", "resolved"} {
			r := c.cs.Do(t, "POST", url(v, "/transition"), map[string]any{"to": to})
			if r.Status != 409 || r.Problem(t).Code != "conflict" {
				t.Errorf("received → %s: %d %s", to, r.Status, r.Body)
			}
		}
		// Closing an unresolved case needs the outcome not_established.
		if r := c.cs.Do(t, "POST", url(v, "/transition"), map[string]any{"to": "closed"}); r.Status != 409 {
			t.Errorf("close unresolved: %d", r.Status)
		}
		if got := c.get(t, v); got.Status != "received" || got.Version != v.Version || len(got.History) != 1 {
			t.Fatalf("refused moves changed the case: %+v", got)
		}

		v = c.move(t, c.cs, v, "investigating")
		// Waiting for the customer pauses the clock; back to the status it paused.
		due := *v.DueAt
		v = c.move(t, c.cs, v, "waiting_customer")
		if !v.Paused || v.Status != "waiting_customer" {
			t.Fatalf("paused: %+v", v)
		}
		if r := c.cs.Do(t, "POST", url(v, "/transition"), map[string]any{"to": "plan_proposed"}); r.Status != 409 {
			t.Errorf("waiting → plan_proposed (it paused investigating): %d", r.Status)
		}
		pausedAt := *v.PausedAt
		env.Clock().Advance(3 * time.Hour)
		v = c.move(t, c.cs, v, "investigating")
		// The deadline moves by the working time the pause covered (none on a day off).
		cal := workday.New(shanghai(t), nil)
		resumedAt := v.History[len(v.History)-1].At
		paused := cal.WorkingTime(pausedAt, resumedAt, nil)
		if v.DueAt == nil || (cal.WorkingTime(due, *v.DueAt, nil)-paused).Abs() > time.Second {
			t.Errorf("after a pause of %s working time due_at %v, was %v", paused, v.DueAt, due)
		}
		// Recomputing does not drift: another unrelated move keeps the deadline.
		resumed := *v.DueAt
		c.cs.MustDo(t, "PATCH", url(v, ""), map[string]any{"version": v.Version, "root_cause": "热处理温度偏低"}, 200, &v)
		v = c.move(t, c.cs, v, "plan_proposed")
		if !v.DueAt.Equal(resumed) {
			t.Errorf("due_at drifted: %v, was %v", v.DueAt, resumed)
		}
		// Approving the plan needs an approved remedy and none pending.
		if r := c.cs.Do(t, "POST", url(v, "/transition"), map[string]any{"to": "approved"}); r.Status != 409 {
			t.Errorf("approve without remedies: %d", r.Status)
		}
		rem := c.propose(t, v, map[string]any{"kind": "compensation", "amount": cny("800.00"), "description": "赔偿误工损失"})
		if rem.ApproverRole != "sales_manager" || rem.Status != "pending" {
			t.Fatalf("remedy %+v", rem)
		}
		if r := c.cs.Do(t, "POST", url(v, "/transition"), map[string]any{"to": "resolving"}); r.Status != 409 {
			t.Errorf("resolving before approval (第25條.6): %d", r.Status)
		}
		c.salesMgr.MustDo(t, "POST", "/api/v1/remedies/"+rem.ID.String()+"/approve", map[string]any{}, 200, &rem)
		// The last decision with an approved remedy approves the plan.
		if v = c.get(t, v); v.Status != "approved" {
			t.Fatalf("after the remedy's approval: %s", v.Status)
		}
		v = c.move(t, c.cs, v, "resolving")
		v = c.move(t, c.cs, v, "resolved")

		// The customer does not accept: a follow-up case linked to this one.
		var next complaintView
		c.cs.MustDo(t, "POST", url(v, "/reopen"), map[string]any{"comment": "客户不接受赔偿金额"}, 201, &next)
		if next.ReopenedFromID == nil || *next.ReopenedFromID != v.ID || next.Status != "received" || next.Number == v.Number {
			t.Fatalf("follow-up %+v", next)
		}
		old := c.get(t, v)
		if old.Status != "closed" || old.Outcome != "not_accepted" || old.ReopenedToID == nil || *old.ReopenedToID != next.ID {
			t.Errorf("the original: %+v", old)
		}
		if r := c.cs.Do(t, "POST", url(v, "/reopen"), map[string]any{}); r.Status != 409 {
			t.Errorf("reopening twice: %d", r.Status)
		}
		if r := c.cs.Do(t, "POST", url(next, "/reopen"), map[string]any{}); r.Status != 409 {
			t.Errorf("reopening a case just received: %d", r.Status)
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", v.ID, "complaint.closed"); n != 1 {
			t.Errorf("%d complaint.closed events", n)
		}

		// Not established 不成立: closed as such from the investigation.
		ne := c.open(t, c.cs, nil)
		ne = c.move(t, c.cs, ne, "investigating")
		c.cs.MustDo(t, "POST", url(ne, "/transition"), map[string]any{"to": "closed", "outcome": "not_established", "comment": "非产品质量问题"}, 200, &ne)
		if ne.Status != "closed" || ne.Outcome != "not_established" {
			t.Errorf("not established: %+v", ne)
		}
		if r := c.cs.Do(t, "PATCH", url(ne, ""), map[string]any{"version": ne.Version, "root_cause": "x"}); r.Status != 409 {
			t.Errorf("changing a closed case: %d", r.Status)
		}

		// The customer's timeline shows the cases.
		var tl struct {
			Items []struct {
				Kind     string `json:"kind"`
				EntityID string `json:"entity_id"`
				Summary  string `json:"summary"`
			}
		}
		c.cs.MustDo(t, "GET", "/api/v1/customers/"+c.customer.String()+"/timeline?limit=200", nil, 200, &tl)
		n := 0
		for _, it := range tl.Items {
			if it.Kind == "complaint" && it.EntityID == v.ID.String() {
				n++
			}
		}
		if n < 6 {
			t.Errorf("%d timeline items for the case", n)
		}
	})
}

func TestSevereGoesToTheVicePresident(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		v := c.open(t, c.cs, map[string]any{"severity": "severe"})
		ns := notices(t, c.vp, "complaint_severe")
		if len(ns) != 1 || ns[0].EntityID == nil || *ns[0].EntityID != v.ID {
			t.Fatalf("vice president's notices: %+v", ns)
		}
		// A case made severe later reaches them too, once.
		w := c.open(t, c.cs, nil)
		c.cs.MustDo(t, "PATCH", url(w, ""), map[string]any{"version": w.Version, "severity": "severe"}, 200, &w)
		c.cs.MustDo(t, "PATCH", url(w, ""), map[string]any{"version": w.Version, "root_cause": "包装破损"}, 200, &w)
		if ns := notices(t, c.vp, "complaint_severe"); len(ns) != 2 {
			t.Errorf("%d severe notices, want 2", len(ns))
		}
		if ns := notices(t, c.gm, "complaint_severe"); len(ns) != 0 {
			t.Errorf("the general manager got %d", len(ns))
		}
	})
}

func TestIntakeLinksTheOrder(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		var o struct {
			ID     string `json:"id"`
			Number string `json:"number"`
		}
		c.sales1.MustDo(t, "POST", "/api/v1/orders", map[string]any{"customer_id": c.salesCustomer, "number": "SO-7788",
			"amount": cny("12000.00"), "order_date": "2026-10-01"}, 201, &o)
		var v struct {
			OrderID     string `json:"order_id"`
			OrderNumber string `json:"order_number"`
		}
		c.sales1.MustDo(t, "POST", "/api/v1/complaints", map[string]any{"customer_id": c.salesCustomer, "channel": "phone",
			"content": "包装破损", "category": "handling", "order_id": o.ID}, 201, &v)
		if v.OrderID != o.ID || v.OrderNumber != "SO-7788" {
			t.Errorf("linked order: %+v", v)
		}
		// Another customer's order is not this complaint's.
		r := c.cs.Do(t, "POST", "/api/v1/complaints", intake(map[string]any{"customer_id": c.customer, "order_id": o.ID}))
		if r.Status != 422 {
			t.Fatalf("another customer's order: %d %s", r.Status, r.Body)
		}
		r.Problem(t).WantField(t, "order_id", "not_found")
	})
}
