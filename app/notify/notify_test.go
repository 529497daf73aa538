package notify_test

// Notifications (EXP-7): the two endpoints in the standard row order on both databases, mail
// through a real SMTP server (smtpsink) rendered in the recipient's language, and the SMTP URL.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/notify/smtpsink"
	"github.com/smecrm/crm/app/tenantctx"
)

func TestNotificationsAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUser(t, "salesperson")
		colleague := acme.AddUser(t, "salesperson")
		ctx := tenantctx.WithTenant(context.Background(), acme.ID)
		n, err := env.Server.Notify.Notify(ctx, sales.UserID, notify.Message{Kind: "lead_assigned", Key: "lead_assigned", Args: []any{"测试线索"}})
		if err != nil {
			t.Fatal(err)
		}
		url := "/api/v1/notifications/" + n.ID.String() + "/read"
		missing := "/api/v1/notifications/" + uuid.Must(uuid.NewV7()).String() + "/read"
		env.Run(t, []apitest.Scenario{
			{Name: "list: no login", Method: "GET", URL: "/api/v1/notifications", Status: 401, Code: "unauthenticated"},
			{Name: "list: other tenant sees none", Method: "GET", URL: "/api/v1/notifications", As: other.Owner, Status: 200, NotContains: []string{n.ID.String()}},
			{Name: "list: a colleague sees none", Method: "GET", URL: "/api/v1/notifications", As: colleague, Status: 200, NotContains: []string{n.ID.String()}},
			{Name: "list: invalid limit", Method: "GET", URL: "/api/v1/notifications?limit=500", As: sales, Status: 422, Code: "validation_failed"},
			{Name: "list: success", Method: "GET", URL: "/api/v1/notifications?unread=true", As: sales, Status: 200, Contains: []string{n.ID.String(), "New lead: 测试线索"}},
			{Name: "read: no login", Method: "POST", URL: url, Status: 401, Code: "unauthenticated"},
			{Name: "read: other tenant", Method: "POST", URL: url, As: other.Owner, Status: 404, Code: "not_found"},
			{Name: "read: another user's", Method: "POST", URL: url, As: colleague, Status: 404, Code: "not_found"},
			{Name: "read: not found", Method: "POST", URL: missing, As: sales, Status: 404, Code: "not_found"},
			{Name: "read: malformed id", Method: "POST", URL: "/api/v1/notifications/x/read", As: sales, Status: 404, Code: "not_found"},
			{Name: "read: success", Method: "POST", URL: url, As: sales, Status: 200, NotContains: []string{`"read_at":null`}},
			{Name: "read: no longer unread", Method: "GET", URL: "/api/v1/notifications?unread=true", As: sales, Status: 200, NotContains: []string{n.ID.String()}},
		})
	})
}

func TestMailInTheRecipientsLanguage(t *testing.T) {
	sink := smtpsink.Start(t)
	m, err := notify.NewMailer(sink.URL, "crm@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	env := apitest.New(t, "sqlite")
	env.Server.Notify.Mail = m
	acme := env.Signup(t)
	sales := acme.AddUser(t, "salesperson")
	var u struct{ Version int64 }
	acme.Owner.MustDo(t, "GET", "/api/v1/users/"+sales.UserID.String(), nil, 200, &u)
	acme.Owner.MustDo(t, "PATCH", "/api/v1/users/"+sales.UserID.String(), map[string]any{"version": u.Version, "locale": "zh-CN"}, 200, nil)
	ctx := tenantctx.WithTenant(context.Background(), acme.ID)
	v, err := env.Server.Notify.Notify(ctx, sales.UserID, notify.Message{Kind: "follow_up_reminder", Key: "followup_due",
		Args: []any{"示例公司", "2026-03-01 09:00"}, Link: "/customers/x", Email: true, DedupeKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	got := sink.WaitFor(t, sales.Email, 10*time.Second)
	if got.Subject != "跟进提醒：示例公司" || !strings.Contains(got.Text, "客户“示例公司”计划于 2026-03-01 09:00 跟进") || got.From != "crm@example.com" {
		t.Errorf("mail %+v", got)
	}
	if v.EmailedAt == nil {
		t.Errorf("emailed_at not set")
	}
	// The owner reads English (the tenant signed up with locale en and the owner set none).
	if _, err := env.Server.Notify.Notify(ctx, acme.Owner.UserID, notify.Message{Kind: "x", Key: "followup_due", Args: []any{"Acme", "2026-03-01 09:00"}, Email: true}); err != nil {
		t.Fatal(err)
	}
	if got := sink.WaitFor(t, acme.Owner.Email, 10*time.Second); got.Subject != "Follow-up due: Acme" {
		t.Errorf("owner's mail subject %q", got.Subject)
	}
}

func TestNewMailer(t *testing.T) {
	if m, err := notify.NewMailer("", "a@b.c", nil); err != nil {
		t.Fatal(err)
	} else if _, ok := m.(notify.LogMailer); !ok {
		t.Errorf("unset URL: %T, want LogMailer", m)
	}
	m, err := notify.NewMailer("smtps://u%40x:p%3Aw@mail.example.com", "a@b.c", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := m.(*notify.SMTPMailer)
	if s.Host != "mail.example.com" || s.Port != 465 || !s.ImplicitTLS || s.Username != "u@x" || s.Password != "p:w" {
		t.Errorf("smtps: %+v", s)
	}
	if m, _ := notify.NewMailer("smtp://relay:2525", "a@b.c", nil); m.(*notify.SMTPMailer).Port != 2525 {
		t.Errorf("port: %+v", m)
	}
	for _, bad := range []string{"http://x", "smtp://", "smtp://h:port"} {
		if _, err := notify.NewMailer(bad, "a@b.c", nil); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
