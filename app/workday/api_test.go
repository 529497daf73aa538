package workday_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

func TestCalendarAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		co := env.Signup(t)
		other := env.Signup(t)
		cs := co.AddUserWith(t, apitest.UserOpts{Department: "Customer service"}, "customer_service")
		gm := co.AddUser(t, "general_manager")
		year := map[string]any{"year": 2026, "days": []map[string]any{{"date": "2026-11-27", "kind": "holiday"}, {"date": "2026-11-28", "kind": "workday"}}}
		env.Run(t, []apitest.Scenario{
			{Name: "get/no login", Method: "GET", URL: "/api/v1/calendar?year=2026", Status: 401, Code: "unauthenticated"},
			{Name: "get/no permission", Method: "GET", URL: "/api/v1/calendar?year=2026", As: cs, Status: 403, Code: "forbidden"},
			{Name: "get/invalid year", Method: "GET", URL: "/api/v1/calendar?year=26", As: gm, Status: 422},
			{Name: "get/built in", Method: "GET", URL: "/api/v1/calendar?year=2026", As: gm, Status: 200,
				Contains: []string{`"covered":true`, `"date":"2026-10-10","kind":"workday"`, `"days":[]`, `"time_zone":"Asia/Shanghai"`}},
			{Name: "get/uncovered year", Method: "GET", URL: "/api/v1/calendar?year=2030", As: gm, Status: 200, Contains: []string{`"covered":false`, `"built_in":[]`}},
			{Name: "put/no login", Method: "PUT", URL: "/api/v1/calendar", Body: year, Status: 401},
			{Name: "put/no permission", Method: "PUT", URL: "/api/v1/calendar", Body: year, As: gm, Status: 403},
			{Name: "put/outside the year", Method: "PUT", URL: "/api/v1/calendar", As: co.Owner, Status: 422,
				Body: map[string]any{"year": 2026, "days": []map[string]any{{"date": "2027-01-04", "kind": "holiday"}}}},
			{Name: "put/twice the same day", Method: "PUT", URL: "/api/v1/calendar", As: co.Owner, Status: 422,
				Body: map[string]any{"year": 2026, "days": []map[string]any{{"date": "2026-12-11", "kind": "holiday"}, {"date": "2026-12-11", "kind": "workday"}}}},
			{Name: "put/unknown kind", Method: "PUT", URL: "/api/v1/calendar", As: co.Owner, Status: 422,
				Body: map[string]any{"year": 2026, "days": []map[string]any{{"date": "2026-12-11", "kind": "half_day"}}}},
			{Name: "put/ok", Method: "PUT", URL: "/api/v1/calendar", As: co.Owner, Body: year, Status: 200, Contains: []string{`"date":"2026-11-27","kind":"holiday"`}},
			{Name: "get/other tenant unaffected", Method: "GET", URL: "/api/v1/calendar?year=2026", As: other.Owner, Status: 200, Contains: []string{`"days":[]`}},
		})
		// The tenant's own days move complaint deadlines: from Monday 23 November 2026 at 10:00
		// in Shanghai, with Friday the 27th off and Saturday the 28th worked, six working days
		// are 24, 25, 26, 28, 30 November and 1 December → the end of Tuesday 1 December.
		var cust struct{ ID uuid.UUID }
		cs.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "日历客户"}, 201, &cust)
		var v struct {
			DueAt time.Time `json:"due_at"`
		}
		cs.MustDo(t, "POST", "/api/v1/complaints", map[string]any{"customer_id": cust.ID, "channel": "visit", "content": "交期延误",
			"category": "transport", "received_at": "2026-11-23T02:00:00Z"}, 201, &v)
		if want := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC); !v.DueAt.Equal(want) {
			t.Errorf("due_at %s, want %s", v.DueAt, want)
		}
		// Replacing the year's days clears them.
		co.Owner.MustDo(t, "PUT", "/api/v1/calendar", map[string]any{"year": 2026, "days": []any{}}, 200, nil)
		if n := env.CountRows(t, "calendar_days", "tenant_id = ?", co.ID); n != 0 {
			t.Errorf("%d days left", n)
		}
	})
}
