package survey_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

// Customer service records a survey given on the phone.
func TestRecordByPhone(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		other := newTeam(t, env)
		w := tm.signedOff(t, tm.bare, tm.tech) // no contact: pending, waiting for a call
		open := tm.completed(t, tm.customer, tm.tech)
		foreign := other.signedOff(t, other.customer, other.tech)
		good := func(wo workOrder) map[string]any {
			return map[string]any{"work_order_id": wo.ID, "ratings": rate("satisfied", "satisfied", "very_satisfied", "average"),
				"suggestions": "  工具带齐  "}
		}
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: "/api/v1/surveys", Body: good(w), Status: 401},
			{Name: "other tenant's work order", Method: "POST", URL: "/api/v1/surveys", Body: good(foreign), As: tm.cs, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "work_order_id", "not_found") }},
			{Name: "wrong role: warehouse", Method: "POST", URL: "/api/v1/surveys", Body: good(w), As: tm.reader, Status: 403},
			{Name: "wrong role: technician", Method: "POST", URL: "/api/v1/surveys", Body: good(w), As: tm.tech, Status: 403},
			{Name: "missing work order", Method: "POST", URL: "/api/v1/surveys", Body: good(workOrder{ID: uuid.Must(uuid.NewV7())}), As: tm.cs, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "work_order_id", "not_found") }},
			{Name: "no work order", Method: "POST", URL: "/api/v1/surveys", Body: map[string]any{"ratings": rate("poor", "poor", "poor", "poor")}, As: tm.cs, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "work_order_id", "required") }},
			{Name: "a complaint's survey (no complaints yet)", Method: "POST", URL: "/api/v1/surveys",
				Body: map[string]any{"complaint_id": uuid.Must(uuid.NewV7()), "ratings": rate("poor", "poor", "poor", "poor")}, As: tm.cs, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "complaint_id", "not_found") }},
			{Name: "missing rating", Method: "POST", URL: "/api/v1/surveys", Body: map[string]any{"work_order_id": w.ID,
				"ratings": map[string]any{"attitude": "poor", "technique": "poor", "arrival_time": "poor"}}, As: tm.cs, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "ratings.promises", "required") }},
			{Name: "bad level", Method: "POST", URL: "/api/v1/surveys", Body: map[string]any{"work_order_id": w.ID,
				"ratings": rate("poor", "poor", "poor", "terrible")}, As: tm.cs, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) {
					r.Problem(t).WantField(t, "ratings.promises", "invalid_choice")
				}},
			{Name: "complaint too long", Method: "POST", URL: "/api/v1/surveys", Body: map[string]any{"work_order_id": w.ID,
				"ratings": rate("poor", "poor", "poor", "poor"), "complaint": strings.Repeat("差", 5001)}, As: tm.cs, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "complaint", "too_long") }},
			{Name: "not signed off yet", Method: "POST", URL: "/api/v1/surveys", Body: good(open), As: tm.cs, Status: 409, Code: "conflict"},
			{Name: "success", Method: "POST", URL: "/api/v1/surveys", Body: good(w), As: tm.cs, Status: 201,
				Contains: []string{`"status":"answered"`, `"channel":"phone"`, `"score":"3.00"`, `"suggestions":"工具带齐"`, `"recorded_by":"` + tm.cs.UserID.String() + `"`}},
			{Name: "again", Method: "POST", URL: "/api/v1/surveys", Body: good(w), As: tm.cs, Status: 409, Code: "conflict"},
		})
		if n := env.CountRows(t, "surveys", "work_order_id = ?", w.ID); n != 1 {
			t.Errorf("%d surveys of the work order", n)
		}
		if n := env.CountRows(t, "surveys", "work_order_id = ?", open.ID); n != 0 {
			t.Errorf("a refused survey was written: %d", n)
		}
		recorded, _ := tm.surveyOf(t, w)
		if n := env.CountRows(t, "outbox", "type = ? AND entity_id = ?", "survey.received", recorded.ID); n != 1 {
			t.Errorf("%d survey.received events", n)
		}
		// A survey of a work order without a prior one (surveys off when it was signed off).
		tm.co.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"service": map[string]any{"survey_enabled": false}}, 200, nil)
		n := tm.signedOff(t, tm.customer, tm.tech2)
		sv := tm.byPhone(t, n, rate("poor", "average", "satisfied", "very_satisfied"), "")
		if sv.Status != "answered" || sv.TechnicianID == nil || *sv.TechnicianID != tm.tech2.UserID || sv.Score == nil || *sv.Score != "2.50" || sv.MailStatus != "" {
			t.Errorf("survey recorded without a mailed one: %+v", sv)
		}
	})
}

// Reading surveys: who sees which, and the filters.
func TestSurveyReads(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		other := newTeam(t, env)
		a := tm.signedOff(t, tm.customer, tm.tech)
		b := tm.signedOff(t, tm.customer, tm.tech2)
		sa := tm.byPhone(t, a, rate("poor", "poor", "average", "poor"), "师傅迟到两小时")
		sb, _ := tm.surveyOf(t, b)
		foreign := other.signedOff(t, other.customer, other.tech)
		sf, _ := other.surveyOf(t, foreign)
		one := "/api/v1/surveys/" + sa.ID.String()
		ids := func(as *apitest.Client, query string) []uuid.UUID {
			var p surveyPage
			as.MustDo(t, "GET", "/api/v1/surveys"+query, nil, 200, &p)
			var out []uuid.UUID
			for _, it := range p.Items {
				out = append(out, it.ID)
			}
			return out
		}
		env.Run(t, []apitest.Scenario{
			{Name: "get: no login", Method: "GET", URL: one, Status: 401},
			{Name: "get: other tenant", Method: "GET", URL: "/api/v1/surveys/" + sf.ID.String(), As: tm.co.Owner, Status: 404, Code: "not_found"},
			{Name: "get: wrong role", Method: "GET", URL: one, As: tm.reader, Status: 403},
			{Name: "get: salesperson", Method: "GET", URL: one, As: tm.sales, Status: 403},
			{Name: "get: not found", Method: "GET", URL: "/api/v1/surveys/" + uuid.NewString(), As: tm.co.Owner, Status: 404},
			{Name: "get: malformed ID", Method: "GET", URL: "/api/v1/surveys/x", As: tm.co.Owner, Status: 404},
			{Name: "get: another technician's", Method: "GET", URL: one, As: tm.tech2, Status: 404},
			{Name: "get: own technician", Method: "GET", URL: one, As: tm.tech, Status: 200, Contains: []string{`"flagged":true`, "师傅迟到两小时"}},
			{Name: "get: service manager", Method: "GET", URL: one, As: tm.mgr, Status: 200},
			{Name: "get: customer service", Method: "GET", URL: one, As: tm.cs, Status: 200},
			{Name: "list: no login", Method: "GET", URL: "/api/v1/surveys", Status: 401},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/surveys", As: tm.reader, Status: 403},
			{Name: "list: bad filter", Method: "GET", URL: "/api/v1/surveys?technician_id=x", As: tm.cs, Status: 422},
			{Name: "list: bad period", Method: "GET", URL: "/api/v1/surveys?period=2026-13", As: tm.cs, Status: 422},
		})
		same := func(name string, got []uuid.UUID, want ...uuid.UUID) {
			t.Helper()
			if len(got) != len(want) {
				t.Errorf("%s: %v, want %v", name, got, want)
				return
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s: %v, want %v", name, got, want)
					return
				}
			}
		}
		same("owner", ids(tm.co.Owner, ""), sa.ID, sb.ID)
		same("technician: own only", ids(tm.tech, ""), sa.ID)
		same("second technician", ids(tm.tech2, ""), sb.ID)
		same("customer service: what it registered", ids(tm.cs, ""), sa.ID, sb.ID)
		same("flagged", ids(tm.cs, "?flagged=true"), sa.ID)
		same("not flagged", ids(tm.cs, "?flagged=false"), sb.ID)
		same("by technician", ids(tm.cs, "?technician_id="+tm.tech2.UserID.String()), sb.ID)
		same("by work order", ids(tm.cs, "?work_order_id="+a.ID.String()), sa.ID)
		same("answered", ids(tm.cs, "?status=answered"), sa.ID)
		same("pending", ids(tm.cs, "?status=pending"), sb.ID)
		same("by phone", ids(tm.cs, "?channel=phone"), sa.ID)
		same("the other tenant's technician", ids(tm.co.Owner, "?technician_id="+other.tech.UserID.String()))
		month := env.Clock().Now().In(shanghai(t)).Format("2006-01")
		next := env.Clock().Now().In(shanghai(t)).AddDate(0, 1, 0).Format("2006-01")
		same("answered this month", ids(tm.cs, "?period="+month), sa.ID)
		same("answered next month", ids(tm.cs, "?period="+next))
		// Pages.
		var p surveyPage
		tm.cs.MustDo(t, "GET", "/api/v1/surveys?limit=1", nil, 200, &p)
		if len(p.Items) != 1 || p.NextCursor == nil {
			t.Fatalf("first page: %+v", p)
		}
		same("second page", ids(tm.cs, "?limit=1&cursor="+*p.NextCursor), sb.ID)
	})
}

func shanghai(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

type notification struct {
	Kind     string     `json:"kind"`
	Title    string     `json:"title"`
	Body     string     `json:"body"`
	EntityID *uuid.UUID `json:"entity_id"`
}

func notificationsOf(t testing.TB, as *apitest.Client, kind string) []notification {
	t.Helper()
	var p struct{ Items []notification }
	as.MustDo(t, "GET", "/api/v1/notifications", nil, 200, &p)
	var out []notification
	for _, n := range p.Items {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// A complaint in a survey flags it and tells the customer's owner and customer service, once.
func TestFlaggedSurveyNotifies(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		ok := tm.signedOff(t, tm.customer, tm.tech)
		tm.byPhone(t, ok, rate("satisfied", "satisfied", "satisfied", "satisfied"), "")
		for _, u := range []*apitest.Client{tm.sales, tm.cs, tm.mgr} {
			if n := notificationsOf(t, u, "survey_flagged"); len(n) != 0 {
				t.Errorf("notified without a complaint: %+v", n)
			}
		}
		w := tm.signedOff(t, tm.customer, tm.tech)
		p := tm.linkIn(t, tm.contactEmail)
		if r := public(t, env, "POST", p, map[string]any{"ratings": rate("poor", "poor", "average", "poor"),
			"complaint": "维修后第二天又坏了"}); r.Status != 200 {
			t.Fatalf("answer: %d %s", r.Status, r.Body)
		}
		sv, _ := tm.surveyOf(t, w)
		if !sv.Flagged || sv.Complaint != "维修后第二天又坏了" {
			t.Fatalf("survey with a complaint: %+v", sv)
		}
		for name, u := range map[string]*apitest.Client{"customer's owner": tm.sales, "customer service": tm.cs} {
			ns := notificationsOf(t, u, "survey_flagged")
			if len(ns) != 1 || ns[0].EntityID == nil || *ns[0].EntityID != sv.ID || !strings.Contains(ns[0].Body, "维修后第二天又坏了") ||
				!strings.Contains(ns[0].Body, w.Number) || !strings.Contains(ns[0].Title, "华东机械") {
				t.Errorf("%s: %+v", name, ns)
			}
		}
		for _, u := range []*apitest.Client{tm.mgr, tm.tech, tm.co.Owner} {
			if n := notificationsOf(t, u, "survey_flagged"); len(n) != 0 {
				t.Errorf("notified someone else: %+v", n)
			}
		}
	})
}
