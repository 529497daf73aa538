package followup_test

// Cadence and reminder logic against a fixed clock, and reminders end to end: delivered as an
// in-app notification and as mail to a real SMTP server (smtpsink, over TCP) in the user's
// language, after the server that scheduled them stopped and a new one started on the same
// database.

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/followup"
	"github.com/smecrm/crm/app/notify/smtpsink"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

func TestCadenceDays(t *testing.T) {
	d := tenants.DefaultSettings("zh-CN").Cadences
	a, c := "A", "C"
	for _, tc := range []struct {
		tier   string
		intent *string
		want   int
	}{
		{"key", nil, 7}, {"general", nil, 30}, {"potential", nil, 90},
		{"potential", &a, 7}, // A-class prospects weekly
		{"general", &a, 7},   // the stricter rule wins
		{"key", &c, 7},
		{"general", &c, 30},
		{"unknown", nil, 0},
	} {
		if got := followup.CadenceDays(d, tc.tier, tc.intent); got != tc.want {
			t.Errorf("CadenceDays(%s, %v) = %d, want %d", tc.tier, tc.intent, got, tc.want)
		}
	}
	if got := followup.CadenceDays(tenants.Cadences{Key: 0, IntentA: 0}, "key", &a); got != 0 {
		t.Errorf("all rules off: %d, want 0", got)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	if n := followup.NextByCadence(d, "key", nil, at); n == nil || !n.Equal(at.AddDate(0, 0, 7)) {
		t.Errorf("NextByCadence: %v", n)
	}
}

func TestReminderTimesAndWindow(t *testing.T) {
	now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	due := now.Add(3 * time.Hour)
	got := followup.ReminderTimes(now, due, 120)
	if len(got) != 2 || got[0].Stage != followup.StageEarly || !got[0].At.Equal(due.Add(-2*time.Hour)) ||
		got[1].Stage != followup.StageDue || !got[1].At.Equal(due) {
		t.Errorf("ReminderTimes: %+v", got)
	}
	// The early reminder's moment has passed: only the one when due.
	if got := followup.ReminderTimes(now, now.Add(time.Hour), 120); len(got) != 1 || got[0].Stage != followup.StageDue {
		t.Errorf("late plan: %+v", got)
	}
	if got := followup.ReminderTimes(now, due, 0); len(got) != 1 {
		t.Errorf("early reminders off: %+v", got)
	}
	if got := followup.ReminderTimes(now, now.Add(-time.Minute), 120); len(got) != 0 {
		t.Errorf("plan in the past: %+v", got)
	}
	// The sweep, scheduling late: an early reminder missed by less than a sweep interval and a
	// due one missed by less than the catch-up time still run (at once); older ones do not.
	if got := followup.SweepTimes(now, now.Add(115*time.Minute), 120); len(got) != 2 || got[0].Stage != followup.StageEarly {
		t.Errorf("sweep, early reminder 5 minutes late: %+v", got)
	}
	if got := followup.SweepTimes(now, now.Add(60*time.Minute), 120); len(got) != 1 || got[0].Stage != followup.StageDue {
		t.Errorf("sweep, early reminder an hour late: %+v", got)
	}
	if got := followup.SweepTimes(now, now.Add(-3*time.Hour), 120); len(got) != 1 || got[0].Stage != followup.StageDue {
		t.Errorf("sweep, due 3 hours ago: %+v", got)
	}
	if got := followup.SweepTimes(now, now.Add(-13*time.Hour), 120); len(got) != 0 {
		t.Errorf("sweep, due 13 hours ago: %+v", got)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	// 2026-03-01 20:00 UTC is already 2 March in Shanghai.
	w := followup.WindowAt(time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC), sh)
	if want := time.Date(2026, 3, 1, 16, 0, 0, 0, time.UTC); !w.TodayStart.Equal(want) || !w.TomorrowStart.Equal(want.Add(24*time.Hour)) ||
		!w.UpcomingEnd.Equal(want.Add(8*24*time.Hour)) {
		t.Errorf("window %+v", w)
	}
}

// mailEnv starts a server on db whose mail goes to smtpURL, configured like apitest's.
func mailEnv(t *testing.T, dialect string, db *store.DB, smtpURL string) *apitest.Env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testLog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := config.Config{BaseURL: "http://crm.example.com", SecretKey: "test secret key, long enough for derivation", SMTPURL: smtpURL}
	srv, err := server.New(cfg, db, log, server.Options{LoginRateLimit: 1 << 20})
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	return &apitest.Env{Dialect: dialect, DB: db, Server: srv}
}

type testLog struct{ t *testing.T }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func startJobs(t *testing.T, env *apitest.Env) (stop func()) {
	t.Helper()
	env.Server.Jobs.PollInterval = 100 * time.Millisecond
	if err := env.Server.Jobs.Start(context.Background()); err != nil {
		t.Fatalf("start jobs: %v", err)
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := env.Server.Jobs.Stop(ctx); err != nil {
			t.Errorf("stop jobs: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

type notification struct {
	ID        uuid.UUID  `json:"id"`
	Kind      string     `json:"kind"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	EntityID  *uuid.UUID `json:"entity_id"`
	ReadAt    *time.Time `json:"read_at"`
	EmailedAt *time.Time `json:"emailed_at"`
}

func TestReminderSurvivesRestartAndMails(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			sink := smtpsink.Start(t)
			db := storetest.Open(t, dialect)
			first := mailEnv(t, dialect, db, sink.URL)
			stopFirst := startJobs(t, first)

			acme := first.Signup(t)
			sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
			var u struct{ Version int64 }
			acme.Owner.MustDo(t, "GET", "/api/v1/users/"+sales.UserID.String(), nil, 200, &u)
			acme.Owner.MustDo(t, "PATCH", "/api/v1/users/"+sales.UserID.String(), map[string]any{"version": u.Version, "locale": "zh-TW"}, 200, nil)
			acme.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"reminders": map[string]any{"early_minutes": 0}}, 200, nil)
			cust := fuNewCustomer(t, sales, "提醒測試公司", nil)
			due := time.Now().UTC().Add(3 * time.Second).Truncate(time.Millisecond)
			f := fuLog(t, sales, cust.ID, map[string]any{"method": "phone", "content": "約好下次通話", "next_follow_up_at": due})
			// The reminder is a job row now; the server stops before it is due.
			stopFirst()
			if n := first.CountRows(t, "river_job", "kind = ? AND state = ?", "followup.reminder", "scheduled"); n < 1 {
				t.Fatalf("scheduled reminder jobs: %d", n)
			}
			if len(sink.Messages()) != 0 {
				t.Fatalf("mail before the reminder was due: %+v", sink.Messages())
			}

			second := mailEnv(t, dialect, db, sink.URL)
			startJobs(t, second)
			defer func() {
				if t.Failed() {
					var rows []map[string]any
					db.Gorm(context.Background()).Raw("SELECT id, kind, state, attempt, CAST(errors AS TEXT) AS errs FROM river_job WHERE kind = 'followup.reminder'").Scan(&rows)
					t.Logf("river jobs: %v (now %v)", rows, time.Now().UTC())
				}
			}()
			m := sink.WaitFor(t, sales.Email, 40*time.Second)
			if !strings.Contains(m.Subject, "跟進提醒") || !strings.Contains(m.Subject, "提醒測試公司") {
				t.Errorf("subject %q, want the zh-TW reminder naming the customer", m.Subject)
			}
			if !strings.Contains(m.Text, "提醒測試公司") || !strings.Contains(m.Text, "http://crm.example.com/customers/"+cust.ID.String()) {
				t.Errorf("mail text %q", m.Text)
			}
			if m.From != "noreply@crm.example.com" {
				t.Errorf("sender %q", m.From)
			}

			// The in-app notification, read through the new server.
			var page struct{ Items []notification }
			r := second.Do(t, "GET", "/api/v1/notifications", nil, sales.Headers("GET"))
			if r.Status != 200 {
				t.Fatalf("notifications: %d %s", r.Status, r.Body)
			}
			r.JSON(t, &page)
			if len(page.Items) != 1 || page.Items[0].Kind != "follow_up_reminder" || page.Items[0].EntityID == nil ||
				*page.Items[0].EntityID != cust.ID || !strings.Contains(page.Items[0].Title, "跟進提醒") {
				t.Fatalf("notifications %s", r.Body)
			}
			// Delivered once: running the same reminder again notifies and mails nobody twice.
			ctx := tenantctx.WithTenant(context.Background(), acme.ID)
			if err := second.Server.FollowUps.Remind(ctx, f.ID, followup.StageDue, due); err != nil {
				t.Fatal(err)
			}
			if n := second.CountRows(t, "notifications", "tenant_id = ? AND user_id = ?", acme.ID, sales.UserID); n != 1 {
				t.Errorf("notifications after a repeated reminder: %d", n)
			}
			time.Sleep(200 * time.Millisecond)
			if n := len(sink.Messages()); n != 1 {
				t.Errorf("mails: %d, want 1", n)
			}
		})
	}
}

func TestReminderOfAKeptPlanDoesNothing(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		cust := fuNewCustomer(t, sales, "按时跟进公司", nil)
		due := env.Clock().Now().Add(48 * time.Hour).Truncate(time.Second)
		f := fuLog(t, sales, cust.ID, map[string]any{"method": "phone", "content": "约定后天再谈", "next_follow_up_at": due})
		fuLog(t, sales, cust.ID, map[string]any{"method": "visit", "content": "提前拜访了"})
		ctx := tenantctx.WithTenant(context.Background(), acme.ID)
		for _, stage := range []string{followup.StageEarly, followup.StageDue} {
			if err := env.Server.FollowUps.Remind(ctx, f.ID, stage, due); err != nil {
				t.Fatal(err)
			}
		}
		if n := env.CountRows(t, "notifications", "tenant_id = ?", acme.ID); n != 0 {
			t.Errorf("notifications for a kept plan: %d", n)
		}
	})
}

// A plan weeks ahead gets no job when it is logged; the sweep schedules its reminders once
// they come near, once.
func TestSweepSchedulesPlansAsTheyComeNear(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := storetest.Open(t, dialect)
			env := mailEnv(t, dialect, db, "")
			startJobs(t, env)
			acme := env.Signup(t)
			sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
			cust := fuNewCustomer(t, sales, "远期计划公司", nil)
			due := time.Now().UTC().Add(21 * 24 * time.Hour).Truncate(time.Second)
			f := fuLog(t, sales, cust.ID, map[string]any{"method": "phone", "content": "三周后再联系", "next_follow_up_at": due})
			jobs := func() int64 {
				args := "json(args)" // River keeps args as JSONB on SQLite
				if dialect == store.Postgres {
					args = "args::text"
				}
				return env.CountRows(t, "river_job", "kind = ? AND "+args+" LIKE ?", "followup.reminder", "%"+f.ID.String()+"%")
			}
			if n := jobs(); n != 0 {
				t.Fatalf("reminder jobs at log time for a plan three weeks ahead: %d", n)
			}
			// A sweep an hour before the plan: the early reminder (2 hours before) was missed by
			// more than a sweep interval, the one when due is scheduled.
			if err := env.Server.FollowUps.SweepReminders(context.Background(), due.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			if n := jobs(); n != 1 {
				t.Fatalf("reminder jobs after the sweep: %d, want 1", n)
			}
			if err := env.Server.FollowUps.SweepReminders(context.Background(), due.Add(-50*time.Minute)); err != nil {
				t.Fatal(err)
			}
			if n := jobs(); n != 1 {
				t.Errorf("reminder jobs after a second sweep: %d, want 1 (unique)", n)
			}
		})
	}
}
