package incident_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

func TestDeclareIncident(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		other := newCompany(t, env)
		byIDs := outage(map[string]any{"customer_ids": []uuid.UUID{c.east1}})
		var inactive struct{ ID uuid.UUID }
		c.co.Owner.MustDo(t, "POST", "/api/v1/users", map[string]any{"email": "gone@" + c.co.Slug + ".example.com", "name": "离职员工",
			"password": "another good password", "roles": []string{"service_manager"}}, 201, &inactive)
		c.co.Owner.MustDo(t, "DELETE", "/api/v1/users/"+inactive.ID.String(), nil, 204, nil)
		before := env.CountRows(t, "incidents", "tenant_id = ?", c.co.ID)
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: "/api/v1/incidents", Body: byIDs, Status: 401},
			{Name: "another tenant's customer", Method: "POST", URL: "/api/v1/incidents", As: c.gm,
				Body: outage(map[string]any{"customer_ids": []uuid.UUID{other.east1}}), Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "customer_ids", "not_found") }},
			{Name: "wrong role: salesperson", Method: "POST", URL: "/api/v1/incidents", As: c.sales1, Body: byIDs, Status: 403},
			{Name: "wrong role: technician", Method: "POST", URL: "/api/v1/incidents", As: c.tech, Body: byIDs, Status: 403},
			{Name: "wrong role: auditor", Method: "POST", URL: "/api/v1/incidents", As: c.auditor, Body: byIDs, Status: 403},
			{Name: "missing customer", Method: "POST", URL: "/api/v1/incidents", As: c.gm,
				Body: outage(map[string]any{"customer_ids": []uuid.UUID{uuid.Must(uuid.NewV7())}}), Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "customer_ids", "not_found") }},
			{Name: "a customer outside the declarer's scope", Method: "POST", URL: "/api/v1/incidents", As: c.cs, Body: byIDs, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "customer_ids", "not_found") }},
			{Name: "no level", Method: "POST", URL: "/api/v1/incidents", As: c.gm,
				Body: map[string]any{"kind": "other", "title": "x", "customer_ids": []uuid.UUID{c.east1}}, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "level", "required") }},
			{Name: "level 3", Method: "POST", URL: "/api/v1/incidents", As: c.gm, Body: outage(map[string]any{"level": 3, "customer_ids": []uuid.UUID{c.east1}}), Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "level", "invalid_choice") }},
			{Name: "unknown kind", Method: "POST", URL: "/api/v1/incidents", As: c.gm, Body: outage(map[string]any{"kind": "alien_invasion", "customer_ids": []uuid.UUID{c.east1}}), Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "kind", "invalid_choice") }},
			{Name: "blank title", Method: "POST", URL: "/api/v1/incidents", As: c.gm, Body: outage(map[string]any{"title": "   ", "customer_ids": []uuid.UUID{c.east1}}), Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "title", "required") }},
			{Name: "no customers", Method: "POST", URL: "/api/v1/incidents", As: c.gm, Body: outage(nil), Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "customer_ids", "required") }},
			{Name: "empty filter", Method: "POST", URL: "/api/v1/incidents", As: c.gm, Body: outage(map[string]any{"customer_filter": map[string]any{}}), Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "customer_filter", "required") }},
			{Name: "bad filter field", Method: "POST", URL: "/api/v1/incidents", As: c.gm, Body: outage(map[string]any{"customer_filter": map[string]any{"owner_id": "x"}}), Status: 422,
				Check: func(t *testing.T, r *apitest.Response) {
					r.Problem(t).WantField(t, "customer_filter.owner_id", "invalid_format")
				}},
			{Name: "unknown filter field", Method: "POST", URL: "/api/v1/incidents", As: c.gm, Body: outage(map[string]any{"customer_filter": map[string]any{"colour": "red"}}), Status: 422},
			{Name: "filter matching nobody", Method: "POST", URL: "/api/v1/incidents", As: c.gm, Body: outage(map[string]any{"customer_filter": map[string]any{"region": "西北"}}), Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "customer_filter", "no_match") }},
			{Name: "declared responding", Method: "POST", URL: "/api/v1/incidents", As: c.gm, Body: outage(map[string]any{"status": "responding", "customer_ids": []uuid.UUID{c.east1}}), Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "status", "invalid_choice") }},
			{Name: "an inactive owner", Method: "POST", URL: "/api/v1/incidents", As: c.gm, Body: outage(map[string]any{"owner_id": inactive.ID, "customer_ids": []uuid.UUID{c.east1}}), Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "owner_id", "not_found") }},
			{Name: "another tenant's owner", Method: "POST", URL: "/api/v1/incidents", As: c.gm, Body: outage(map[string]any{"owner_id": other.mgr.UserID, "customer_ids": []uuid.UUID{c.east1}}), Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "owner_id", "not_found") }},
		})
		if n := env.CountRows(t, "incidents", "tenant_id = ?", c.co.ID); n != before {
			t.Errorf("refused declarations wrote %d incidents", n-before)
		}

		// By filter: the customer list's filter, in the declarer's scope.
		f := c.declare(t, c.gm, outage(map[string]any{"level": 1, "customer_filter": map[string]any{"region": "华东"}, "owner_id": c.mgr.UserID}))
		if f.Status != "open" || f.Level != 1 || f.OwnerID != c.mgr.UserID || f.AffectedCount != 3 || !sameIDs(f.CustomerIDs, c.east1, c.east2, c.east3) ||
			f.CustomerFilter["region"] != "华东" || len(f.Timeline) != 1 || f.Timeline[0].Action != "declare" || f.Timeline[0].ToStatus != "open" {
			t.Errorf("declared by filter: %+v", f)
		}
		// By IDs and filter together, without repeats; a salesperson's filter would only see theirs.
		both := c.declare(t, c.gm, outage(map[string]any{"customer_ids": []uuid.UUID{c.south, c.east1, c.south}, "customer_filter": map[string]any{"region": "华东", "owner_id": c.sales1.UserID.String()}}))
		if both.AffectedCount != 3 || !sameIDs(both.CustomerIDs, c.south, c.east1, c.east2) || both.OwnerID != c.gm.UserID {
			t.Errorf("declared by IDs and filter: %+v", both)
		}
		// Customer service declares for the customers it sees (its own).
		mine := c.customer(t, c.cs, "客服自己的客户", "华东")
		cs := c.declare(t, c.cs, outage(map[string]any{"kind": "supply_interruption", "customer_filter": map[string]any{"region": "华东"}}))
		if !sameIDs(cs.CustomerIDs, mine) {
			t.Errorf("customer service's filter picked %v, want only its own customer", cs.CustomerIDs)
		}
		// The service manager was made its owner by someone else, and hears of it; the general
		// manager, who owns the next one themselves, does not.
		var owned struct {
			Items []notification
		}
		c.mgr.MustDo(t, "GET", "/api/v1/notifications", nil, 200, &owned)
		ownNotices := 0
		for _, n := range owned.Items {
			if n.Kind == "incident_owner" && n.EntityID != nil && *n.EntityID == f.ID {
				ownNotices++
			}
		}
		if ownNotices != 1 {
			t.Errorf("the owner got %d notices of their incident: %+v", ownNotices, owned.Items)
		}
		c.gm.MustDo(t, "GET", "/api/v1/notifications", nil, 200, &owned)
		for _, n := range owned.Items {
			if n.Kind == "incident_owner" {
				t.Errorf("the general manager was told of owning their own incident: %+v", n)
			}
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", f.ID, "incident.created"); n != 1 {
			t.Errorf("%d incident.created events", n)
		}
		if n := env.CountRows(t, "audit_log", "entity_id = ? AND action = ?", f.ID.String(), "create"); n != 1 {
			t.Errorf("%d audit entries", n)
		}
	})
}

func TestReadIncidents(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		other := newCompany(t, env)
		a := c.declare(t, c.gm, outage(map[string]any{"customer_ids": []uuid.UUID{c.east1}}))
		b := c.declare(t, c.gm, outage(map[string]any{"level": 1, "kind": "network_attack", "title": "勒索软件", "customer_ids": []uuid.UUID{c.south}}))
		foreign := other.declare(t, other.gm, outage(map[string]any{"customer_ids": []uuid.UUID{other.east1}}))
		env.Run(t, []apitest.Scenario{
			{Name: "get: no login", Method: "GET", URL: incURL(a), Status: 401},
			{Name: "get: other tenant", Method: "GET", URL: incURL(foreign), As: c.gm, Status: 404, Code: "not_found"},
			{Name: "get: wrong role", Method: "GET", URL: incURL(a), As: c.tech, Status: 403},
			{Name: "get: not found", Method: "GET", URL: "/api/v1/incidents/" + uuid.NewString(), As: c.gm, Status: 404},
			{Name: "get: malformed ID", Method: "GET", URL: "/api/v1/incidents/nope", As: c.gm, Status: 404},
			{Name: "get: customer service", Method: "GET", URL: incURL(a), As: c.cs, Status: 200,
				Contains: []string{`"customer_ids":["` + c.east1.String() + `"]`, `"timeline":[`, `"action":"declare"`}},
			{Name: "get: auditor", Method: "GET", URL: incURL(a), As: c.auditor, Status: 200},
			{Name: "get: service manager", Method: "GET", URL: incURL(a), As: c.mgr, Status: 200},
			{Name: "list: no login", Method: "GET", URL: "/api/v1/incidents", Status: 401},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/incidents", As: c.tech, Status: 403},
			{Name: "list: bad filter", Method: "GET", URL: "/api/v1/incidents?level=3", As: c.mgr, Status: 422},
		})
		list := func(q string) []uuid.UUID {
			var p struct {
				Items []incidentView `json:"items"`
			}
			c.mgr.MustDo(t, "GET", "/api/v1/incidents"+q, nil, 200, &p)
			var out []uuid.UUID
			for _, it := range p.Items {
				if it.CustomerIDs != nil || it.Timeline != nil {
					t.Errorf("a list item carries its lists: %+v", it)
				}
				out = append(out, it.ID)
			}
			return out
		}
		for q, want := range map[string][]uuid.UUID{
			"":                                     {a.ID, b.ID},
			"?level=1":                             {b.ID},
			"?kind=network_attack":                 {b.ID},
			"?status=open":                         {a.ID, b.ID},
			"?status=recovered":                    nil,
			"?customer_id=" + c.east1.String():     {a.ID},
			"?customer_id=" + other.east1.String(): nil,
			"?owner_id=" + c.gm.UserID.String():    {a.ID, b.ID},
		} {
			if got := list(q); !sameIDs(got, want...) {
				t.Errorf("list%s: %v, want %v", q, got, want)
			}
		}
	})
}

// Status moves one step forward only; refused moves answer 409 and change nothing.
func TestIncidentStatusMoves(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		other := newCompany(t, env)
		v := c.declare(t, c.gm, outage(map[string]any{"customer_ids": []uuid.UUID{c.east1}}))
		foreign := other.declare(t, other.gm, outage(map[string]any{"customer_ids": []uuid.UUID{other.east1}}))
		u := incURL(v)
		patch := func(body map[string]any) map[string]any {
			body["version"] = v.Version
			return body
		}
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "PATCH", URL: u, Body: patch(map[string]any{"status": "responding"}), Status: 401},
			{Name: "other tenant", Method: "PATCH", URL: incURL(foreign), Body: map[string]any{"version": foreign.Version, "status": "responding"}, As: c.mgr, Status: 404},
			{Name: "wrong role: customer service", Method: "PATCH", URL: u, Body: patch(map[string]any{"status": "responding"}), As: c.cs, Status: 403},
			{Name: "not found", Method: "PATCH", URL: "/api/v1/incidents/" + uuid.NewString(), Body: patch(map[string]any{"status": "responding"}), As: c.mgr, Status: 404},
			{Name: "no version", Method: "PATCH", URL: u, Body: map[string]any{"status": "responding"}, As: c.mgr, Status: 422},
			{Name: "unknown status", Method: "PATCH", URL: u, Body: patch(map[string]any{"status": "closed"}), As: c.mgr, Status: 422},
			{Name: "stale version", Method: "PATCH", URL: u, Body: map[string]any{"version": v.Version + 1, "status": "responding"}, As: c.mgr, Status: 409},
			{Name: "open → recovered", Method: "PATCH", URL: u, Body: patch(map[string]any{"status": "recovered"}), As: c.mgr, Status: 409, Code: "conflict"},
			{Name: "open → reviewed", Method: "PATCH", URL: u, Body: patch(map[string]any{"status": "reviewed", "note": "x"}), As: c.mgr, Status: 409},
		})
		var got incidentView
		c.mgr.MustDo(t, "GET", u, nil, 200, &got)
		if got.Status != "open" || got.Version != v.Version || len(got.Timeline) != 1 {
			t.Fatalf("after the refused moves: %+v", got)
		}
		step := func(body map[string]any, want int) incidentView {
			t.Helper()
			body["version"] = got.Version
			var out incidentView
			r := c.mgr.Do(t, "PATCH", u, body)
			if r.Status != want {
				t.Fatalf("PATCH %v: %d %s, want %d", body, r.Status, r.Body, want)
			}
			if want == 200 {
				r.JSON(t, &out)
				got = out
			}
			return out
		}
		step(map[string]any{"status": "responding", "note": "备用机房已启用"}, 200)
		if got.Status != "responding" || got.RespondingAt == nil || got.Version != v.Version+1 {
			t.Errorf("responding: %+v", got)
		}
		step(map[string]any{"status": "open"}, 409)
		step(map[string]any{"status": "reviewed", "note": "x"}, 409)
		// A change and a note without a move.
		step(map[string]any{"response_plan": "切换备用机房，人工出库，每小时通报", "level": 1}, 200)
		step(map[string]any{"note": "已通知全部重点客户"}, 200)
		// Nothing at all: nothing changes.
		ver := got.Version
		step(map[string]any{}, 200)
		if got.Version != ver {
			t.Errorf("an empty PATCH bumped the version")
		}
		step(map[string]any{"status": "recovered"}, 200)
		if got.RecoveredAt == nil {
			t.Errorf("recovered without recovered_at: %+v", got)
		}
		step(map[string]any{"status": "reviewed"}, 422)
		step(map[string]any{"status": "reviewed", "note": "根因：单点数据库；已立项双活"}, 200)
		if got.Status != "reviewed" || got.ReviewedAt == nil {
			t.Errorf("reviewed: %+v", got)
		}
		step(map[string]any{"note": "补充"}, 409)
		step(map[string]any{"title": "改名"}, 409)

		var actions []string
		for _, e := range got.Timeline {
			actions = append(actions, e.Action+":"+e.FromStatus+">"+e.ToStatus)
		}
		want := "declare:>open,status:open>responding,update:>responding,update:>responding,status:responding>recovered,status:recovered>reviewed"
		if strings.Join(actions, ",") != want {
			t.Errorf("timeline %v\nwant %s", actions, want)
		}
		if got.Timeline[1].Note != "备用机房已启用" || got.Timeline[5].Note != "根因：单点数据库；已立项双活" || got.Timeline[1].ActorID == nil || *got.Timeline[1].ActorID != c.mgr.UserID {
			t.Errorf("timeline notes: %+v", got.Timeline)
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", v.ID, "incident.status_changed"); n != 3 {
			t.Errorf("%d incident.status_changed events", n)
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", v.ID, "incident.updated"); n != 2 {
			t.Errorf("%d incident.updated events", n)
		}

		// The affected customer's timeline shows the incident; an unaffected one's does not.
		var tl struct {
			Items []struct {
				Kind, Action, Summary string
				EntityID              string `json:"entity_id"`
			}
		}
		c.sales1.MustDo(t, "GET", "/api/v1/customers/"+c.east1.String()+"/timeline", nil, 200, &tl)
		n := 0
		for _, it := range tl.Items {
			if it.Kind == "incident" && it.EntityID == v.ID.String() {
				n++
				if !strings.Contains(it.Summary, "华东仓储系统故障") {
					t.Errorf("timeline summary %q", it.Summary)
				}
			}
		}
		if n != 6 {
			t.Errorf("%d incident items on the affected customer's timeline, want 6", n)
		}
		c.sales1.MustDo(t, "GET", "/api/v1/customers/"+c.east2.String()+"/timeline", nil, 200, &tl)
		for _, it := range tl.Items {
			if it.Kind == "incident" {
				t.Errorf("an unaffected customer's timeline shows %+v", it)
			}
		}
	})
}

// The owners of the affected customers are told at the declaration and at each move, once
// each, through the job queue; level 1 also by mail.
func TestIncidentNotifiesOwners(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		mb := &mailbox{}
		env.Server.Notify.Mail = mb
		env.Server.Jobs.PollInterval = 100 * time.Millisecond
		if err := env.Server.Jobs.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_ = env.Server.Jobs.Stop(ctx)
		})
		c := newCompany(t, env)
		wait := func(as *apitest.Client, n int) []notification {
			t.Helper()
			deadline := time.Now().Add(20 * time.Second)
			for {
				ns := notices(t, as)
				if len(ns) >= n || time.Now().After(deadline) {
					return ns
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		v := c.declare(t, c.gm, outage(map[string]any{"level": 2, "customer_filter": map[string]any{"region": "华东"}}))
		n1 := wait(c.sales1, 1)
		n2 := wait(c.sales2, 1)
		if len(n1) != 1 || !strings.Contains(n1[0].Body, "2") || !strings.Contains(n1[0].Body, "华东机械一厂") || !strings.Contains(n1[0].Body, "华东机械二厂") ||
			n1[0].EntityID == nil || *n1[0].EntityID != v.ID || !strings.Contains(n1[0].Title, "华东仓储系统故障") {
			t.Errorf("sales1's notice: %+v", n1)
		}
		if len(n2) != 1 || !strings.Contains(n2[0].Body, "华东重工") || strings.Contains(n2[0].Body, "华南电子") {
			t.Errorf("sales2's notice: %+v", n2)
		}
		if mb.count(c.sales1.Email) != 0 {
			t.Errorf("a level 2 incident was mailed")
		}
		c.mgr.MustDo(t, "PATCH", incURL(v), map[string]any{"version": v.Version, "note": "只是备注"}, 200, &v)
		c.mgr.MustDo(t, "PATCH", incURL(v), map[string]any{"version": v.Version, "status": "responding"}, 200, &v)
		if ns := wait(c.sales1, 2); len(ns) != 2 {
			t.Errorf("after responding: %+v", ns)
		}
		// A level 1 incident is mailed too.
		c.declare(t, c.gm, outage(map[string]any{"level": 1, "kind": "natural_disaster", "title": "台风停电", "customer_ids": []uuid.UUID{c.south}}))
		if ns := wait(c.sales2, 2); len(ns) != 2 {
			t.Errorf("sales2 after the level 1 incident: %+v", ns)
		}
		deadline := time.Now().Add(10 * time.Second)
		for mb.count(c.sales2.Email) < 1 && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if mb.count(c.sales2.Email) != 1 {
			t.Errorf("%d mails to sales2 for the level 1 incident", mb.count(c.sales2.Email))
		}
		// The notices went through the job queue.
		if n := env.CountRows(t, "river_job", "kind = ?", "incident.notice"); n != 3 {
			t.Errorf("%d notice jobs, want 3 (two declarations, one move)", n)
		}
		// Nobody else hears of either; the note did not notify; all arrived once.
		time.Sleep(500 * time.Millisecond)
		if ns := notices(t, c.sales1); len(ns) != 2 {
			t.Errorf("sales1 in the end: %+v", ns)
		}
		for _, u := range []*apitest.Client{c.gm, c.mgr, c.cs, c.tech} {
			if ns := notices(t, u); len(ns) != 0 {
				t.Errorf("someone else was notified: %+v", ns)
			}
		}
	})
}

// A merge moves the affected customers: where both were affected, the survivor is affected
// once.
func TestIncidentCustomerMerge(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		both := c.declare(t, c.gm, outage(map[string]any{"customer_ids": []uuid.UUID{c.east1, c.east2, c.east3}}))
		one := c.declare(t, c.gm, outage(map[string]any{"customer_ids": []uuid.UUID{c.east1}}))
		c.co.Owner.MustDo(t, "POST", "/api/v1/customers/"+c.east2.String()+"/merge", map[string]any{"from_id": c.east1}, 200, nil)
		var got incidentView
		c.gm.MustDo(t, "GET", incURL(both), nil, 200, &got)
		if got.AffectedCount != 2 || !sameIDs(got.CustomerIDs, c.east2, c.east3) {
			t.Errorf("incident affecting both: %d %v", got.AffectedCount, got.CustomerIDs)
		}
		c.gm.MustDo(t, "GET", incURL(one), nil, 200, &got)
		if got.AffectedCount != 1 || !sameIDs(got.CustomerIDs, c.east2) {
			t.Errorf("incident affecting the merged one: %d %v", got.AffectedCount, got.CustomerIDs)
		}
	})
}

// Data scopes: a salesperson (scope own) reads the incidents that affect a customer they own
// now, or that they own; not the others, by list or by ID (404, as a missing one). Those who
// handle incidents (customer service, the service manager) see them all.
func TestIncidentScopes(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		east := c.declare(t, c.gm, outage(map[string]any{"customer_ids": []uuid.UUID{c.east1}}))
		south := c.declare(t, c.gm, outage(map[string]any{"title": "华南断网", "customer_ids": []uuid.UUID{c.south}}))
		owned := c.declare(t, c.gm, outage(map[string]any{"title": "华南仓库停电", "customer_ids": []uuid.UUID{c.south}, "owner_id": c.sales1.UserID}))
		list := func(as *apitest.Client, q string) []uuid.UUID {
			t.Helper()
			var p struct {
				Items []incidentView `json:"items"`
			}
			as.MustDo(t, "GET", "/api/v1/incidents"+q, nil, 200, &p)
			var out []uuid.UUID
			for _, it := range p.Items {
				out = append(out, it.ID)
			}
			return out
		}
		env.Run(t, []apitest.Scenario{
			{Name: "get: another's customers' incident", Method: "GET", URL: incURL(south), As: c.sales1, Status: 404, Code: "not_found"},
			{Name: "get: own customer's incident", Method: "GET", URL: incURL(east), As: c.sales1, Status: 200,
				Contains: []string{`"customer_ids":["` + c.east1.String() + `"]`}},
			{Name: "get: owned incident, not their customer", Method: "GET", URL: incURL(owned), As: c.sales1, Status: 200,
				Contains: []string{`"affected_count":1`}, NotContains: []string{c.south.String()}},
			{Name: "get: other salesperson, own customer", Method: "GET", URL: incURL(south), As: c.sales2, Status: 200},
			{Name: "get: other salesperson, not theirs", Method: "GET", URL: incURL(east), As: c.sales2, Status: 404},
			{Name: "patch: salesperson may not", Method: "PATCH", URL: incURL(owned), As: c.sales1, Body: map[string]any{"version": owned.Version, "note": "x"}, Status: 403},
		})
		if got := list(c.sales1, ""); !sameIDs(got, east.ID, owned.ID) {
			t.Errorf("sales1 lists %v, want %v", got, []uuid.UUID{east.ID, owned.ID})
		}
		if got := list(c.sales1, "?customer_id="+c.south.String()); !sameIDs(got, owned.ID) {
			t.Errorf("sales1 lists for south %v", got)
		}
		if got := list(c.sales2, ""); !sameIDs(got, south.ID, owned.ID) {
			t.Errorf("sales2 lists %v", got)
		}
		for _, as := range []*apitest.Client{c.cs, c.mgr, c.gm} {
			if got := list(as, ""); !sameIDs(got, east.ID, south.ID, owned.ID) {
				t.Errorf("%s lists %v, want all three", as.Email, got)
			}
		}
		// The customer changes hands: the incident follows the customer's current owner.
		var cust struct {
			Version int64 `json:"version"`
		}
		c.co.Owner.MustDo(t, "GET", "/api/v1/customers/"+c.east1.String(), nil, 200, &cust)
		c.co.Owner.MustDo(t, "PATCH", "/api/v1/customers/"+c.east1.String(), map[string]any{"version": cust.Version, "owner_id": c.sales2.UserID}, 200, nil)
		if got := list(c.sales2, ""); !sameIDs(got, east.ID, south.ID, owned.ID) {
			t.Errorf("after the handover sales2 lists %v", got)
		}
		if r := c.sales1.Do(t, "GET", incURL(east), nil); r.Status != 404 {
			t.Errorf("after the handover sales1 reads the incident: %d", r.Status)
		}
	})
}
