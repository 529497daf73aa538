package service_test

// Sign-off links (第8、10條) open without an account and are what an attacker would try first:
// a used link, an expired one, one replaced by a newer link, a token edited to name another
// work order or tenant, a forged or truncated one, a flood of guesses. Each fails and changes
// nothing; the one good use signs the work order off, once.

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/notify/smtpsink"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/tenants"
)

type link struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// path is the API path of the link: its URL is the web app's page /sign-off/{token} under the
// base URL, which answers through /public/v1/sign-off/{token}.
func (l link) path(t testing.TB) string {
	t.Helper()
	token, ok := strings.CutPrefix(l.URL, "http://localhost:8080/sign-off/")
	if !ok || token == "" || strings.Contains(token, "/") {
		t.Fatalf("link URL %q", l.URL)
	}
	return "/public/v1/sign-off/" + token
}

func (l link) token(t testing.TB) []byte {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(l.path(t), "/public/v1/sign-off/"))
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return raw
}

func tokenPath(raw []byte) string {
	return "/public/v1/sign-off/" + base64.RawURLEncoding.EncodeToString(raw)
}

func (tm *team) link(t testing.TB, w workOrder) link {
	t.Helper()
	var l link
	tm.cs.MustDo(t, "POST", woURL(w, "/sign-off-link"), nil, 201, &l)
	return l
}

// public calls a public page without credentials.
func public(t testing.TB, env *apitest.Env, method, path string, body any) *apitest.Response {
	t.Helper()
	return env.Do(t, method, path, body, nil)
}

func TestSignOffLink(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		other := newTeam(t, env)
		foreign := other.to(t, other.register(t, nil), "completed")
		w := tm.register(t, nil)
		missing := "/api/v1/work-orders/" + uuid.NewString()
		env.Run(t, []apitest.Scenario{
			{Name: "issue: no login", Method: "POST", URL: woURL(w, "/sign-off-link"), Status: 401},
			{Name: "issue: other tenant", Method: "POST", URL: woURL(foreign, "/sign-off-link"), As: tm.cs, Status: 404},
			{Name: "issue: wrong role", Method: "POST", URL: woURL(w, "/sign-off-link"), As: tm.reader, Status: 403},
			{Name: "issue: not found", Method: "POST", URL: missing + "/sign-off-link", As: tm.cs, Status: 404},
			{Name: "issue: not completed", Method: "POST", URL: woURL(w, "/sign-off-link"), As: tm.cs, Status: 409},
		})
		w = tm.to(t, w, "completed")
		var l link
		before := time.Now().UTC()
		env.Run(t, []apitest.Scenario{
			{Name: "issue: success", Method: "POST", URL: woURL(w, "/sign-off-link"), As: tm.cs, Status: 201,
				Check: func(t *testing.T, r *apitest.Response) { r.JSON(t, &l) }},
		})
		if d := l.ExpiresAt.Sub(before); d < 71*time.Hour || d > 73*time.Hour {
			t.Errorf("link expires in %v, want the default 72 hours", d)
		}
		p := l.path(t)
		sig := "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nfake image data"))
		env.Run(t, []apitest.Scenario{
			{Name: "open: success", Method: "GET", URL: p, Status: 200,
				Contains:    []string{`"number":"` + w.Number + `"`, `"company":"公司 `, `"work_done":["更换主轴轴承，试车正常"]`, `"status":"completed"`},
				NotContains: []string{tm.customer.String(), tm.tech.UserID.String(), "registered_by"}},
			{Name: "submit: no name", Method: "POST", URL: p, Body: map[string]any{"signer_name": " "}, Status: 422, Contains: []string{"signer_name"}},
			{Name: "submit: svg signature", Method: "POST", URL: p, Body: map[string]any{"signer_name": "王五",
				"signature": "data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString([]byte("<svg onload=alert(1)>"))}, Status: 422, Contains: []string{"signature"}},
			{Name: "submit: not an image", Method: "POST", URL: p, Body: map[string]any{"signer_name": "王五",
				"signature": "data:image/png;base64," + base64.StdEncoding.EncodeToString([]byte("<html>"))}, Status: 422, Contains: []string{"signature"}},
			{Name: "submit: signature too large", Method: "POST", URL: p, Body: map[string]any{"signer_name": "王五",
				"signature": "data:image/png;base64," + base64.StdEncoding.EncodeToString(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 300<<10)...))}, Status: 422},
			{Name: "submit: unknown field", Method: "POST", URL: p, Body: map[string]any{"signer_name": "王五", "status": "closed"}, Status: 422},
			{Name: "submit: success", Method: "POST", URL: p, Body: map[string]any{"signer_name": "王五", "signature": sig}, Status: 200,
				Contains: []string{`"signer_name":"王五"`, `"number":"` + w.Number + `"`}},
			{Name: "submit: used", Method: "POST", URL: p, Body: map[string]any{"signer_name": "赵六"}, Status: 410, Code: "gone"},
			{Name: "open: used", Method: "GET", URL: p, Status: 410, Code: "gone"},
		})
		got := tm.get(t, w)
		if got.Status != "signed_off" || got.SignerName != "王五" || got.SignedVia != "link" || !got.HasSignature {
			t.Errorf("after sign-off: %+v", got)
		}
		var signature struct {
			Signature string `json:"signature"`
		}
		tm.mgr.MustDo(t, "GET", woURL(w, "/signature"), nil, 200, &signature)
		if signature.Signature != sig {
			t.Errorf("stored signature %q", signature.Signature)
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", w.ID, "work_order.signed_off"); n != 1 {
			t.Errorf("%d signed_off events", n)
		}
		if n := env.CountRows(t, "audit_log", "entity_id = ? AND action = ? AND via = ?", w.ID.String(), "sign_off", "link:sign-off"); n != 1 {
			t.Errorf("%d audit entries of the sign-off through the link", n)
		}

		// Tampering: the token names its tenant, link row and work order under the MAC.
		a := tm.to(t, tm.register(t, nil), "completed")
		b := tm.to(t, tm.register(t, nil), "completed")
		la, lb := tm.link(t, a), tm.link(t, b)
		ra, rb := la.token(t), lb.token(t)
		edit := func(raw []byte, from, to int, with []byte) []byte {
			out := append([]byte(nil), raw...)
			copy(out[from:to], with)
			return out
		}
		flipped := append([]byte(nil), ra...)
		flipped[len(flipped)-1] ^= 1
		spliced := append(append([]byte(nil), ra[:57]...), rb[57:]...)
		later := edit(ra, 49, 57, []byte{0x7f, 0, 0, 0, 0, 0, 0, 0})
		attacks := map[string]string{
			"another work order's ID":          tokenPath(edit(ra, 33, 49, b.ID[:])),
			"another work order's link row":    tokenPath(edit(ra, 17, 33, rb[17:33])),
			"another work order's MAC":         tokenPath(spliced),
			"another tenant's ID":              tokenPath(edit(ra, 1, 17, other.co.ID[:])),
			"another tenant's work order":      tokenPath(edit(edit(ra, 1, 17, other.co.ID[:]), 33, 49, foreign.ID[:])),
			"a flipped bit":                    tokenPath(flipped),
			"a later expiry":                   tokenPath(later),
			"truncated":                        tokenPath(ra[:len(ra)-1]),
			"garbage":                          "/public/v1/sign-off/not-a-token",
			"a random token of the right size": tokenPath(make([]byte, len(ra))),
			"too long":                         "/public/v1/sign-off/" + strings.Repeat("A", 500),
		}
		for name, path := range attacks {
			for _, m := range []string{"GET", "POST"} {
				r := public(t, env, m, path, map[string]any{"signer_name": "攻击者"})
				if r.Status != 404 || r.Problem(t).Code != "not_found" {
					t.Errorf("%s (%s): %d %s, want 404", name, m, r.Status, r.Body)
				}
			}
		}
		for _, x := range []workOrder{a, b} {
			if got := tm.get(t, x); got.Status != "completed" || got.SignerName != "" {
				t.Errorf("%s after the attacks: %s %q", x.Number, got.Status, got.SignerName)
			}
		}
		if got := other.get(t, foreign); got.Status != "completed" {
			t.Errorf("the other tenant's work order after the attacks: %s", got.Status)
		}
		// Each link signs its own work order only.
		public(t, env, "POST", lb.path(t), map[string]any{"signer_name": "客户乙"})
		if got := tm.get(t, a); got.Status != "completed" {
			t.Errorf("b's link changed a: %s", got.Status)
		}
		if got := tm.get(t, b); got.Status != "signed_off" || got.SignerName != "客户乙" {
			t.Errorf("b after its link: %s %q", got.Status, got.SignerName)
		}

		// A newer link replaces the older one.
		newer := tm.link(t, a)
		if r := public(t, env, "GET", la.path(t), nil); r.Status != 410 {
			t.Errorf("replaced link: %d %s", r.Status, r.Body)
		}
		if r := public(t, env, "GET", newer.path(t), nil); r.Status != 200 {
			t.Errorf("newer link: %d %s", r.Status, r.Body)
		}
		// Signed on site meanwhile: the link has nothing left to sign (409), and stays unused.
		tm.tech.MustDo(t, "POST", woURL(a, "/sign-off"), map[string]any{"signer_name": "现场签收"}, 200, nil)
		if r := public(t, env, "POST", newer.path(t), map[string]any{"signer_name": "x"}); r.Status != 409 {
			t.Errorf("link after an on-site sign-off: %d %s", r.Status, r.Body)
		}

		// Expiry: the tenant's link validity (here 2 hours).
		tm.co.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"service": map[string]any{"link_valid_hours": 2}}, 200, nil)
		e := tm.to(t, tm.register(t, nil), "completed")
		le := tm.link(t, e)
		if d := time.Until(le.ExpiresAt); d > 2*time.Hour+time.Minute || d < 2*time.Hour-time.Minute {
			t.Errorf("link valid for %v, want 2 hours", d)
		}
		env.Clock().Advance(2*time.Hour + time.Minute)
		for _, m := range []string{"GET", "POST"} {
			if r := public(t, env, m, le.path(t), map[string]any{"signer_name": "迟到"}); r.Status != 410 || r.Problem(t).Code != "gone" {
				t.Errorf("expired link (%s): %d %s", m, r.Status, r.Body)
			}
		}
		if got := tm.get(t, e); got.Status != "completed" {
			t.Errorf("expired link changed the work order: %s", got.Status)
		}

		// A suspended tenant's links still open but sign nothing.
		s := tm.to(t, tm.register(t, nil), "completed")
		ls := tm.link(t, s)
		if _, err := env.Server.Platform.Suspend(context.Background(), tm.co.ID, tenants.SuspendReadOnly, "test"); err != nil {
			t.Fatal(err)
		}
		if r := public(t, env, "POST", ls.path(t), map[string]any{"signer_name": "x"}); r.Status != 423 {
			t.Errorf("suspended tenant's link: %d %s", r.Status, r.Body)
		}
		if r := public(t, env, "GET", ls.path(t), nil); r.Status != 200 {
			t.Errorf("suspended tenant's link, read: %d %s", r.Status, r.Body)
		}
	})
}

// The public pages are rate-limited per client address.
func TestSignOffRateLimit(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			env := apitest.NewWithOptions(t, dialect, server.Options{LoginRateLimit: 1 << 20, PublicRateLimit: 3})
			for i := 1; i <= 4; i++ {
				r := public(t, env, "GET", "/public/v1/sign-off/guess"+strings.Repeat("x", i), nil)
				want := 404
				if i == 4 {
					want = 429
				}
				if r.Status != want {
					t.Errorf("request %d: %d %s, want %d", i, r.Status, r.Body, want)
				}
			}
		})
	}
}

// The link can be mailed to the contact (send: true): through a real SMTP server, in the
// company's language, with a link that signs the work order off once. A contact without an
// address gets nothing and the answer says so.
func TestSignOffLinkMail(t *testing.T) {
	sink := smtpsink.Start(t)
	apitest.EachWith(t, apitest.Setup{Config: func(c *config.Config) { c.SMTPURL = sink.URL }}, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		tm.co.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"locale": "zh-CN"}, 200, nil)
		mail := "li." + uuid.NewString()[:8] + "@example.com"
		var contact struct{ ID uuid.UUID }
		tm.cs.MustDo(t, "POST", "/api/v1/customers/"+tm.customer.String()+"/contacts",
			map[string]any{"name": "李明", "email": mail, "is_primary": true}, 201, &contact)
		w := tm.to(t, tm.register(t, map[string]any{"contact_id": contact.ID}), "completed")

		var l link
		env.Run(t, []apitest.Scenario{
			{Name: "send: unknown field", Method: "POST", URL: woURL(w, "/sign-off-link"), As: tm.cs, Body: map[string]any{"send": true, "to": "x@example.com"}, Status: 422},
			{Name: "send: success", Method: "POST", URL: woURL(w, "/sign-off-link"), As: tm.cs, Body: map[string]any{"send": true}, Status: 201,
				Contains: []string{`"mail_status":"sent"`, `"mail_to":"` + mail + `"`}, Check: func(t *testing.T, r *apitest.Response) { r.JSON(t, &l) }},
		})
		m := sink.WaitFor(t, mail, 20*time.Second)
		if !strings.Contains(m.Subject, "请签收工单 "+w.Number) {
			t.Errorf("subject %q", m.Subject)
		}
		if !strings.Contains(m.Text, "李明 您好") || !strings.Contains(m.Text, l.URL) || !strings.Contains(m.Text, "链接可使用一次") {
			t.Errorf("mail text %q lacks the greeting, the link %s or its terms", m.Text, l.URL)
		}
		// The mailed link is the answer's, and it signs the work order off once.
		if r := public(t, env, "POST", l.path(t), map[string]any{"signer_name": "李明"}); r.Status != 200 {
			t.Fatalf("signing through the mailed link: %d %s", r.Status, r.Body)
		}
		if r := public(t, env, "POST", l.path(t), map[string]any{"signer_name": "李明"}); r.Status != 410 {
			t.Errorf("mailed link used twice: %d %s", r.Status, r.Body)
		}
		if got := tm.get(t, w); got.Status != "signed_off" || got.SignedVia != "link" {
			t.Errorf("after the mailed link: %s %s", got.Status, got.SignedVia)
		}

		// In English once the company works in English.
		tm.co.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"locale": "en"}, 200, nil)
		e := tm.to(t, tm.register(t, map[string]any{"contact_id": contact.ID}), "completed")
		var le link
		tm.cs.MustDo(t, "POST", woURL(e, "/sign-off-link"), map[string]any{"send": true}, 201, &le)
		deadline := time.Now().Add(20 * time.Second)
		var en *smtpsink.Message
		for en == nil && time.Now().Before(deadline) {
			for _, x := range sink.Messages() {
				if strings.Contains(x.Text, le.URL) {
					en = &x
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		if en == nil || !strings.Contains(en.Subject, "please sign off the service of work order "+e.Number) || !strings.Contains(en.Text, "Dear 李明") {
			t.Errorf("English mail: %+v", en)
		}

		// No address: no mail, and the answer says so; the link still works.
		bare := newCustomer(t, tm.cs, "无邮箱客户")
		var nw workOrder
		tm.cs.MustDo(t, "POST", "/api/v1/work-orders", request(bare, nil), 201, &nw)
		nw = tm.to(t, nw, "completed")
		before := len(sink.Messages())
		var ln struct {
			link
			MailStatus string `json:"mail_status"`
		}
		tm.cs.MustDo(t, "POST", woURL(nw, "/sign-off-link"), map[string]any{"send": true}, 201, &ln)
		if ln.MailStatus != "no_address" {
			t.Errorf("mail status without an address: %q", ln.MailStatus)
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(sink.Messages()); n != before {
			t.Errorf("%d mails sent without an address", n-before)
		}
		if r := public(t, env, "GET", ln.path(t), nil); r.Status != 200 {
			t.Errorf("link without mail: %d %s", r.Status, r.Body)
		}
	})
}
