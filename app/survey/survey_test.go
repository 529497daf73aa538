package survey_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/storetest"
)

// A signed-off work order mails its contact a survey link; the customer answers once through
// it and sees only what is being rated.
func TestSurveyAfterSignOff(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		w := tm.signedOff(t, tm.customer, tm.tech)
		sv, ok := tm.surveyOf(t, w)
		if !ok {
			t.Fatalf("no survey after sign-off")
		}
		if sv.Status != "pending" || sv.Channel != "email" || sv.MailStatus != "sent" || sv.ContactID == nil || *sv.ContactID != tm.contact ||
			sv.TechnicianID == nil || *sv.TechnicianID != tm.tech.UserID || sv.WorkOrderNumber != w.Number || sv.Ratings != nil || sv.Score != nil {
			t.Errorf("survey after sign-off: %+v", sv)
		}
		if sv.ExpiresAt == nil || sv.ExpiresAt.Sub(env.Clock().Now()) < 13*24*time.Hour || sv.ExpiresAt.Sub(env.Clock().Now()) > 14*24*time.Hour+time.Minute {
			t.Errorf("expires at %v, want the default 14 days", sv.ExpiresAt)
		}
		mails := tm.mail.to(tm.contactEmail)
		if len(mails) != 1 || !strings.Contains(mails[0].Subject, w.Number) || !strings.Contains(mails[0].Text, "李工") {
			t.Fatalf("mail to the contact: %+v", mails)
		}
		p := tm.linkIn(t, tm.contactEmail)
		var tech struct{ Name string }
		tm.co.Owner.MustDo(t, "GET", "/api/v1/users/"+tm.tech.UserID.String(), nil, 200, &tech)
		if !strings.Contains(mails[0].Text, tech.Name) {
			t.Errorf("the mail does not name the technician %q: %s", tech.Name, mails[0].Text)
		}

		good := map[string]any{"ratings": rate("very_satisfied", "satisfied", "average", "poor"), "suggestions": "希望提前电话通知", "complaint": ""}
		env.Run(t, []apitest.Scenario{
			{Name: "open", Method: "GET", URL: p, Status: 200,
				Contains: []string{`"work_order_number":"` + w.Number + `"`, `"technician_name":"` + tech.Name + `"`, `"company":"公司 `,
					`"dimensions":["attitude","technique","arrival_time","promises"]`},
				NotContains: []string{"华东机械", tm.contactEmail, "李工", tm.customer.String(), tm.tech.UserID.String(), w.ID.String(), sv.ID.String()}},
			{Name: "answer: no ratings", Method: "POST", URL: p, Body: map[string]any{"suggestions": "x"}, Status: 422, Contains: []string{"ratings.attitude"}},
			{Name: "answer: a level that does not exist", Method: "POST", URL: p,
				Body: map[string]any{"ratings": rate("excellent", "satisfied", "average", "poor")}, Status: 422, Contains: []string{"ratings.attitude"}},
			{Name: "answer: unknown field", Method: "POST", URL: p, Body: map[string]any{"ratings": rate("poor", "poor", "poor", "poor"), "flagged": false}, Status: 422},
			{Name: "answer: NUL in the text", Method: "POST", URL: p, Body: map[string]any{"ratings": rate("poor", "poor", "poor", "poor"), "suggestions": "a\x00b"}, Status: 422},
			{Name: "answer", Method: "POST", URL: p, Body: good, Status: 200, Contains: []string{`"work_order_number":"` + w.Number + `"`}},
			{Name: "answer again", Method: "POST", URL: p, Body: good, Status: 410, Code: "gone"},
			{Name: "open after answering", Method: "GET", URL: p, Status: 410, Code: "gone"},
		})
		var got surveyView
		tm.co.Owner.MustDo(t, "GET", "/api/v1/surveys/"+sv.ID.String(), nil, 200, &got)
		if got.Status != "answered" || got.Ratings == nil || got.Ratings.Attitude != "very_satisfied" || got.Ratings.Promises != "poor" ||
			got.Score == nil || *got.Score != "2.50" || got.Suggestions != "希望提前电话通知" || got.Flagged || got.AnsweredAt == nil ||
			got.RecordedBy != nil || got.Channel != "email" || got.TechnicianName != tech.Name {
			t.Errorf("answered survey: %+v", got)
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", sv.ID, "survey.received"); n != 1 {
			t.Errorf("%d survey.received events", n)
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", sv.ID, "survey.created"); n != 1 {
			t.Errorf("%d survey.created events", n)
		}
		if n := env.CountRows(t, "audit_log", "entity_id = ? AND action = ? AND via = ?", sv.ID.String(), "answer", "link:survey"); n != 1 {
			t.Errorf("%d audit entries of the answer through the link", n)
		}

		// The customer's timeline shows the survey sent and received.
		var tl struct {
			Items []struct {
				Kind, Action, Summary string
				EntityID              string `json:"entity_id"`
			}
		}
		tm.co.Owner.MustDo(t, "GET", "/api/v1/customers/"+tm.customer.String()+"/timeline", nil, 200, &tl)
		var actions []string
		for _, it := range tl.Items {
			if it.Kind == "survey" && it.EntityID == sv.ID.String() {
				actions = append(actions, it.Action)
				if !strings.Contains(it.Summary, w.Number) {
					t.Errorf("timeline summary %q", it.Summary)
				}
			}
		}
		if strings.Join(actions, ",") != "received,sent" {
			t.Errorf("survey items on the timeline: %v", actions)
		}

		// Without a contact nothing is mailed: the survey waits for customer service to call.
		b := tm.signedOff(t, tm.bare, tm.tech)
		sb, ok := tm.surveyOf(t, b)
		if !ok || sb.MailStatus != "no_address" || sb.Status != "pending" || sb.ContactID != nil {
			t.Errorf("survey without a contact: %+v %v", sb, ok)
		}
		// Surveys off: none at all.
		tm.co.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"service": map[string]any{"survey_enabled": false}}, 200, nil)
		off := tm.signedOff(t, tm.customer, tm.tech)
		if _, ok := tm.surveyOf(t, off); ok {
			t.Errorf("a survey although surveys are off")
		}
		if n := len(tm.mail.to(tm.contactEmail)); n != 1 {
			t.Errorf("%d mails to the contact, want the first only", n)
		}
	})
}

// Survey links against reuse, expiry, another survey's or tenant's token, tampering, another
// purpose and a suspended tenant.
func TestSurveyLinkAttacks(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		other := newTeam(t, env)
		tm.co.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"surveys": map[string]any{"link_valid_days": 0}}, 422, nil)
		tm.co.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"surveys": map[string]any{"link_valid_days": 91}}, 422, nil)
		tm.co.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"surveys": map[string]any{"link_valid_days": 2}}, 200, nil)

		a := tm.signedOff(t, tm.customer, tm.tech)
		pa := tm.linkIn(t, tm.contactEmail)
		b := tm.signedOff(t, tm.customer, tm.tech2)
		pb := tm.linkIn(t, tm.contactEmail)
		o := other.signedOff(t, other.customer, other.tech)
		po := other.linkIn(t, other.contactEmail)
		sa, _ := tm.surveyOf(t, a)
		if d := sa.ExpiresAt.Sub(env.Clock().Now()); d < 47*time.Hour || d > 48*time.Hour+time.Minute {
			t.Errorf("link valid for %v, want 2 days", d)
		}

		ra, rb, ro := tokenOf(t, pa), tokenOf(t, pb), tokenOf(t, po)
		edit := func(raw []byte, from int, with []byte) []byte {
			out := append([]byte(nil), raw...)
			copy(out[from:], with)
			return out
		}
		sb, _ := tm.surveyOf(t, b)
		flipped := append([]byte(nil), ra...)
		flipped[len(flipped)-1] ^= 1
		body := map[string]any{"ratings": rate("poor", "poor", "poor", "poor"), "complaint": "攻击"}
		attacks := map[string]string{
			"another survey's ID":              surveyPath(edit(ra, 33, sb.ID[:])),
			"another survey's link row":        surveyPath(edit(ra, 17, rb[17:33])),
			"another survey's MAC":             surveyPath(append(append([]byte(nil), ra[:57]...), rb[57:]...)),
			"another tenant's ID":              surveyPath(edit(ra, 1, other.co.ID[:])),
			"another tenant's survey":          surveyPath(edit(edit(ra, 1, ro[1:17]), 17, ro[17:49])),
			"a later expiry":                   surveyPath(edit(ra, 49, []byte{0x7f, 0, 0, 0, 0, 0, 0, 0})),
			"a flipped bit":                    surveyPath(flipped),
			"truncated":                        surveyPath(ra[:len(ra)-1]),
			"garbage":                          "/public/v1/surveys/not-a-token",
			"too long":                         "/public/v1/surveys/" + strings.Repeat("A", 400),
			"a random token of the right size": surveyPath(make([]byte, len(ra))),
		}
		for name, path := range attacks {
			for _, m := range []string{"GET", "POST"} {
				r := public(t, env, m, path, body)
				if r.Status != 404 || r.Problem(t).Code != "not_found" {
					t.Errorf("%s (%s): %d %s, want 404", name, m, r.Status, r.Body)
				}
			}
		}
		// A genuine token of another purpose: a sign-off link does not open a survey, nor the reverse.
		x := tm.completed(t, tm.customer, tm.tech)
		var so struct{ URL string }
		tm.cs.MustDo(t, "POST", woURL(x, "/sign-off-link"), nil, 201, &so)
		signOffToken := so.URL[strings.LastIndex(so.URL, "/")+1:]
		if r := public(t, env, "GET", "/public/v1/surveys/"+signOffToken, nil); r.Status != 404 {
			t.Errorf("a sign-off token as a survey's: %d %s", r.Status, r.Body)
		}
		if r := public(t, env, "GET", "/public/v1/sign-off/"+strings.TrimPrefix(pa, "/public/v1/surveys/"), nil); r.Status != 404 {
			t.Errorf("a survey token as a sign-off's: %d %s", r.Status, r.Body)
		}
		// Nothing above answered anything.
		for _, w := range []workOrder{a, b} {
			if sv, _ := tm.surveyOf(t, w); sv.Status != "pending" {
				t.Errorf("%s after the attacks: %s", w.Number, sv.Status)
			}
		}
		if sv, _ := other.surveyOf(t, o); sv.Status != "pending" {
			t.Errorf("the other tenant's survey after the attacks: %s", sv.Status)
		}
		// Each link answers its own survey only, in its own tenant.
		public(t, env, "POST", po, map[string]any{"ratings": rate("satisfied", "satisfied", "satisfied", "satisfied")})
		if sv, _ := other.surveyOf(t, o); sv.Status != "answered" {
			t.Errorf("the other tenant's own link: %s", sv.Status)
		}
		if sv, _ := tm.surveyOf(t, a); sv.Status != "pending" {
			t.Errorf("another tenant's link answered %s", a.Number)
		}
		// Used twice.
		if r := public(t, env, "POST", pb, body); r.Status != 200 {
			t.Fatalf("first answer: %d %s", r.Status, r.Body)
		}
		if r := public(t, env, "POST", pb, body); r.Status != 410 {
			t.Errorf("second answer: %d %s", r.Status, r.Body)
		}
		// Answered by phone meanwhile: the mailed link is gone.
		c := tm.signedOff(t, tm.customer, tm.tech)
		pc := tm.linkIn(t, tm.contactEmail)
		tm.byPhone(t, c, rate("satisfied", "satisfied", "satisfied", "satisfied"), "")
		if r := public(t, env, "GET", pc, nil); r.Status != 410 {
			t.Errorf("link after a phone answer: %d %s", r.Status, r.Body)
		}
		// Expiry: two days and a minute later the link is gone, and nothing was answered.
		env.Clock().Advance(48*time.Hour + time.Minute)
		for _, m := range []string{"GET", "POST"} {
			if r := public(t, env, m, pa, body); r.Status != 410 || r.Problem(t).Code != "gone" {
				t.Errorf("expired link (%s): %d %s", m, r.Status, r.Body)
			}
		}
		if sv, _ := tm.surveyOf(t, a); sv.Status != "pending" || sv.Ratings != nil {
			t.Errorf("expired link changed the survey: %+v", sv)
		}
	})
}

// A suspended tenant's survey link still shows what it is about but records nothing.
func TestSurveyLinkSuspendedTenant(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		w := tm.signedOff(t, tm.customer, tm.tech)
		p := tm.linkIn(t, tm.contactEmail)
		if _, err := env.Server.Platform.Suspend(context.Background(), tm.co.ID, "read_only", "test"); err != nil {
			t.Fatal(err)
		}
		if r := public(t, env, "POST", p, map[string]any{"ratings": rate("poor", "poor", "poor", "poor")}); r.Status != 423 {
			t.Errorf("suspended tenant's link: %d %s", r.Status, r.Body)
		}
		if r := public(t, env, "GET", p, nil); r.Status != 200 {
			t.Errorf("suspended tenant's link, read: %d %s", r.Status, r.Body)
		}
		if sv, _ := tm.surveyOf(t, w); sv.Status != "pending" {
			t.Errorf("survey of a suspended tenant: %s", sv.Status)
		}
	})
}

// The survey pages share the public pages' rate limit per client address.
func TestSurveyRateLimit(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			env := apitest.NewWithOptions(t, dialect, server.Options{LoginRateLimit: 1 << 20, PublicRateLimit: 3})
			for i := 1; i <= 4; i++ {
				r := public(t, env, "POST", "/public/v1/surveys/guess"+strings.Repeat("x", i), map[string]any{"ratings": rate("poor", "poor", "poor", "poor")})
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

// Survey mail that fails is retried by the sweep, and given up after five attempts.
func TestSurveyMailRetries(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		tm.mail.setFail(errors.New("smtp down"))
		w := tm.signedOff(t, tm.customer, tm.tech)
		sv, _ := tm.surveyOf(t, w)
		if sv.MailStatus != "pending" {
			t.Fatalf("after a failed mail: %s", sv.MailStatus)
		}
		// The sweep leaves fresh surveys to their job.
		tm.mail.setFail(nil)
		if err := env.Server.Surveys.SweepMail(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(tm.mail.to(tm.contactEmail)); n != 0 {
			t.Errorf("the sweep mailed a fresh survey: %d", n)
		}
		env.Clock().Advance(6 * time.Minute)
		if err := env.Server.Surveys.SweepMail(context.Background()); err != nil {
			t.Fatal(err)
		}
		if sv, _ := tm.surveyOf(t, w); sv.MailStatus != "sent" || len(tm.mail.to(tm.contactEmail)) != 1 {
			t.Errorf("after the sweep: %s, %d mails", sv.MailStatus, len(tm.mail.to(tm.contactEmail)))
		}
		// Failing every time: failed after five attempts, then left alone.
		tm.mail.setFail(errors.New("smtp down"))
		f := tm.signedOff(t, tm.customer, tm.tech)
		env.Clock().Advance(6 * time.Minute)
		for i := 0; i < 5; i++ {
			_ = env.Server.Surveys.SweepMail(context.Background())
		}
		if sv, _ := tm.surveyOf(t, f); sv.MailStatus != "failed" || sv.Status != "pending" {
			t.Errorf("after five failures: %+v", sv)
		}
		tm.mail.setFail(nil)
		if err := env.Server.Surveys.SweepMail(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(tm.mail.to(tm.contactEmail)); n != 1 {
			t.Errorf("a failed survey was mailed after all: %d mails", n)
		}
	})
}
