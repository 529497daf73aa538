package survey_test

import (
	"strings"
	"testing"

	"github.com/smecrm/crm/app/apitest"
)

// A customer who signs off through the sign-off link (no account) gets the survey too; a
// merge moves a customer's surveys to the customer it merged into.
func TestSurveyHooks(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		w := tm.completed(t, tm.customer, tm.tech)
		var l struct{ URL string }
		tm.cs.MustDo(t, "POST", woURL(w, "/sign-off-link"), nil, 201, &l)
		// The link opens the web page /sign-off/{token}, which answers through the API path.
		path := "/public/v1/sign-off/" + l.URL[strings.LastIndex(l.URL, "/")+1:]
		if r := public(t, env, "POST", path, map[string]any{"signer_name": "王五"}); r.Status != 200 {
			t.Fatalf("sign-off through the link: %d %s", r.Status, r.Body)
		}
		sv, ok := tm.surveyOf(t, w)
		if !ok || sv.Status != "pending" || sv.MailStatus != "sent" || len(tm.mail.to(tm.contactEmail)) != 1 {
			t.Fatalf("survey after a sign-off through the link: %+v %v", sv, ok)
		}
		if n := env.CountRows(t, "audit_log", "entity_id = ? AND action = ? AND via = ?", sv.ID.String(), "create", "link:sign-off"); n != 1 {
			t.Errorf("%d audit entries of the survey made by the link's sign-off", n)
		}

		// Merge: the survey follows its customer.
		into := tm.newCustomer(t, "华东机械（新）")
		tm.co.Owner.MustDo(t, "POST", "/api/v1/customers/"+into.String()+"/merge", map[string]any{"from_id": tm.customer}, 200, nil)
		if got, _ := tm.surveyOf(t, w); got.CustomerID != into {
			t.Errorf("after the merge the survey is the customer %s's, want %s", got.CustomerID, into)
		}
		var tl struct {
			Items []struct{ Kind, Action string }
		}
		tm.co.Owner.MustDo(t, "GET", "/api/v1/customers/"+into.String()+"/timeline", nil, 200, &tl)
		n := 0
		for _, it := range tl.Items {
			if it.Kind == "survey" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d survey items on the surviving customer's timeline", n)
		}
	})
}
