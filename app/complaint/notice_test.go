package complaint_test

// Escalation at the right moments on a fake clock and across a restart, the customer's
// acknowledgement through a real SMTP server, and the complaint a survey opens.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/notify/smtpsink"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/app/workday"
)

func TestEscalation(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		v := c.open(t, c.cs, map[string]any{"responsible_user_id": c.sales1.UserID})
		other := c.open(t, c.cs, nil)
		other = c.move(t, c.cs, other, "waiting_customer") // paused: never escalated
		due := *v.DueAt
		ctx := jobs.TenantContext(context.Background(), c.co.ID, uuid.Nil)
		svc := env.Server.Complaints
		count := func(as *apitest.Client) int { return len(notices(t, as, "complaint_escalation")) }

		step := func(at time.Time, want int) {
			t.Helper()
			n, err := svc.Escalate(ctx, at)
			if err != nil || n != want {
				t.Fatalf("escalate at %s: %d steps (%v), want %d", at, n, err, want)
			}
		}
		step(due.Add(-25*time.Hour), 0) // more than a day (the due-soon threshold) before
		step(due.Add(-23*time.Hour), 1) // due soon: the responsible person is warned
		if count(c.sales1) != 1 || count(c.csManager) != 0 || count(c.vp) != 0 {
			t.Fatalf("after the warning: responsible %d, manager %d, vp %d", count(c.sales1), count(c.csManager), count(c.vp))
		}
		step(due.Add(-time.Second), 0)
		step(due, 1) // at the deadline: the department's manager, and the overdue event
		if count(c.csManager) != 1 || count(c.vp) != 0 {
			t.Fatalf("at the deadline: manager %d, vp %d", count(c.csManager), count(c.vp))
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", v.ID, "complaint.overdue"); n != 1 {
			t.Errorf("%d complaint.overdue events", n)
		}
		// One working day later: the vice president (the next working day after the deadline's
		// day, on the tenant's calendar).
		vpAt := workday.New(shanghai(t), nil).EndOfWorkingDays(due.Add(-time.Second), 1)
		step(vpAt.Add(-time.Second), 0)

		// A restart: another server on the same database and clock picks up where this one
		// stopped, repeats nothing and gives the last step once.
		restarted := env.Replica(t, apitest.Setup{})
		rsvc := restarted.Server.Complaints
		if n, err := rsvc.Escalate(ctx, vpAt.Add(-time.Second)); err != nil || n != 0 {
			t.Fatalf("after the restart, before the vice president's step: %d (%v)", n, err)
		}
		if n, err := rsvc.Escalate(ctx, vpAt); err != nil || n != 1 {
			t.Fatalf("after the restart, at the vice president's step: %d (%v)", n, err)
		}
		if n, err := rsvc.Escalate(ctx, vpAt.Add(48*time.Hour)); err != nil || n != 0 {
			t.Fatalf("later runs: %d (%v)", n, err)
		}
		if n, err := svc.Escalate(ctx, vpAt.Add(72*time.Hour)); err != nil || n != 0 {
			t.Fatalf("the first server again: %d (%v)", n, err)
		}
		if count(c.sales1) != 1 || count(c.csManager) != 1 || count(c.vp) != 1 {
			t.Errorf("notices: responsible %d, manager %d, vp %d; want one each", count(c.sales1), count(c.csManager), count(c.vp))
		}
		if got := c.get(t, other); got.Paused != true {
			t.Errorf("the waiting case: %+v", got)
		}
		if count(c.cs) != 0 {
			t.Errorf("the handler of the paused case was told %d times", count(c.cs))
		}
	})
}

// TestEscalationJob runs the sweep as the durable River job it is: with the clock past a
// case's deadline, the started queue gives the notices by itself.
func TestEscalationJob(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		v := c.open(t, c.cs, map[string]any{"received_at": time.Now().Add(-30 * 24 * time.Hour).UTC().Format(time.RFC3339)})
		if v.SLAStatus != "overdue" {
			t.Fatalf("a month-old case: %s", v.SLAStatus)
		}
		env.StartJobs(t)
		deadline := time.Now().Add(20 * time.Second)
		for len(notices(t, c.vp, "complaint_escalation")) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the escalation job did not tell the vice president")
			}
			time.Sleep(200 * time.Millisecond)
		}
		if n := len(notices(t, c.csManager, "complaint_escalation")); n != 1 {
			t.Errorf("manager: %d notices", n)
		}
	})
}

func TestAcknowledgementMail(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			sink := smtpsink.Start(t)
			env := apitest.NewWith(t, d, apitest.Setup{Config: func(cfg *config.Config) { cfg.SMTPURL = sink.URL }})
			c := newCompany(t, env)
			v := c.open(t, c.cs, map[string]any{"received_at": "2026-09-30T02:00:00Z"})
			m := sink.WaitFor(t, c.contactEmail, 10*time.Second)
			// The promised date is the last working day: 14 October.
			if !strings.Contains(m.Subject, v.Number) || !strings.Contains(m.Text, v.Number) || !strings.Contains(m.Text, "2026-10-14") {
				t.Errorf("mail %q: %q", m.Subject, m.Text)
			}
			if got := c.get(t, v); got.AckSentAt == nil {
				t.Error("ack_sent_at not recorded")
			}
			// Without an address, no mail.
			var cust struct{ ID uuid.UUID }
			c.cs.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "individual", "name": "王先生"}, 201, &cust)
			w := c.open(t, c.cs, map[string]any{"customer_id": cust.ID})
			time.Sleep(300 * time.Millisecond)
			if got := c.get(t, w); got.AckSentAt != nil || len(sink.Messages()) != 1 {
				t.Errorf("mail without an address: ack %v, %d messages", got.AckSentAt, len(sink.Messages()))
			}
		})
	}
}

func TestSurveyOpensComplaint(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		var w struct {
			ID     uuid.UUID `json:"id"`
			Number string    `json:"number"`
			Status string    `json:"status"`
		}
		wurl := func(s string) string { return "/api/v1/work-orders/" + w.ID.String() + s }
		c.cs.MustDo(t, "POST", "/api/v1/work-orders", map[string]any{"customer_id": c.customer, "model": "CK6140", "fault": "主轴异响",
			"channel": "phone", "urgency": "normal"}, 201, &w)
		c.csManager.MustDo(t, "POST", wurl("/dispatch"), map[string]any{"technician_id": c.tech.UserID}, 200, &w)
		c.tech.MustDo(t, "POST", wurl("/accept"), nil, 200, &w)
		c.tech.MustDo(t, "POST", wurl("/start"), nil, 200, &w)
		now := env.Clock().Now()
		c.tech.MustDo(t, "POST", wurl("/records"), map[string]any{"arrived_at": now.Add(-3 * time.Hour), "started_at": now.Add(-2 * time.Hour),
			"ended_at": now.Add(-time.Hour), "work_done": "更换主轴轴承"}, 201, nil)
		c.tech.MustDo(t, "POST", wurl("/complete"), nil, 200, &w)
		c.tech.MustDo(t, "POST", wurl("/sign-off"), map[string]any{"signer_name": "李工"}, 200, &w)
		r := map[string]any{"attitude": "poor", "technique": "average", "arrival_time": "poor", "promises": "poor"}
		var sv struct{ ID uuid.UUID }
		c.cs.MustDo(t, "POST", "/api/v1/surveys", map[string]any{"work_order_id": w.ID, "ratings": r, "complaint": "维修人员迟到两小时"}, 201, &sv)
		var p struct{ Items []complaintView }
		c.cs.MustDo(t, "GET", "/api/v1/complaints?customer_id="+c.customer.String(), nil, 200, &p)
		if len(p.Items) != 1 {
			t.Fatalf("%d complaints after a flagged survey", len(p.Items))
		}
		got := p.Items[0]
		if got.Channel != "survey" || got.SurveyID == nil || *got.SurveyID != sv.ID || !strings.Contains(got.Content, "迟到") ||
			got.HandlerID == nil || *got.HandlerID != c.cs.UserID {
			t.Errorf("the survey's complaint %+v", got)
		}
	})
}
