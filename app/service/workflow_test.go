package service_test

// The state machine: registered → dispatched → accepted → in progress (↔ on hold) → completed
// → signed off → (invoiced) → closed, cancelled with a reason, a decline back to registered.
// Each move endpoint has the standard rows; a move from the wrong state answers 409 and
// changes nothing; technicians see their own work and the pool only.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

// unchanged fails unless w still has the status and version it had, and no history step was
// added.
func unchanged(t *testing.T, env *apitest.Env, tm *team, w workOrder, steps int64) {
	t.Helper()
	now := tm.get(t, w)
	if now.Status != w.Status || now.Version != w.Version {
		t.Errorf("after a refused move: status %s version %d, was %s %d", now.Status, now.Version, w.Status, w.Version)
	}
	if n := env.CountRows(t, "work_order_history", "work_order_id = ?", w.ID); n != steps {
		t.Errorf("history has %d steps, want %d", n, steps)
	}
}

func historySteps(t *testing.T, env *apitest.Env, w workOrder) int64 {
	t.Helper()
	return env.CountRows(t, "work_order_history", "work_order_id = ?", w.ID)
}

// refused runs moves that the state machine does not allow from w's state: each answers 409
// conflict and leaves w as it was.
func refused(t *testing.T, env *apitest.Env, tm *team, w workOrder, as *apitest.Client, moves ...string) {
	t.Helper()
	steps := historySteps(t, env, w)
	for _, m := range moves {
		body := map[string]any{}
		switch m {
		case "/decline", "/hold", "/cancel":
			body["reason"] = "x"
		case "/dispatch":
			body["technician_id"] = tm.tech.UserID
		case "/invoice":
			body["invoice_number"] = "INV-1"
		}
		r := as.Do(t, "POST", woURL(w, m), body)
		if r.Status != 409 || r.Problem(t).Code != "conflict" {
			t.Errorf("%s from %s: %d %s, want 409", m, w.Status, r.Status, r.Body)
		}
	}
	unchanged(t, env, tm, w, steps)
}

func TestWorkOrderMoves(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		other := newTeam(t, env)
		foreign := other.to(t, other.register(t, nil), "dispatched")
		w := tm.register(t, map[string]any{"purchase_date": day(time.Now(), -1, 0)}) // free: closed without invoice
		missing := "/api/v1/work-orders/" + uuid.NewString()
		refused(t, env, tm, w, tm.mgr, "/start", "/hold", "/complete", "/close", "/countersign", "/decline")
		refused(t, env, tm, w, tm.co.Owner, "/accept")

		// dispatch: the service manager names a technician who may carry out work orders.
		var sales struct{ ID uuid.UUID }
		sales.ID = tm.sales.UserID
		env.Run(t, []apitest.Scenario{
			{Name: "dispatch: no login", Method: "POST", URL: woURL(w, "/dispatch"), Body: map[string]any{"technician_id": tm.tech.UserID}, Status: 401},
			{Name: "dispatch: other tenant", Method: "POST", URL: woURL(foreign, "/dispatch"), As: tm.mgr, Body: map[string]any{"technician_id": tm.tech.UserID}, Status: 404},
			{Name: "dispatch: wrong role", Method: "POST", URL: woURL(w, "/dispatch"), As: tm.tech, Body: map[string]any{"technician_id": tm.tech.UserID}, Status: 403},
			{Name: "dispatch: not found", Method: "POST", URL: missing + "/dispatch", As: tm.mgr, Body: map[string]any{"technician_id": tm.tech.UserID}, Status: 404},
			{Name: "dispatch: invalid", Method: "POST", URL: woURL(w, "/dispatch"), As: tm.mgr, Body: map[string]any{"technician_id": "x"}, Status: 422},
			{Name: "dispatch: not a technician", Method: "POST", URL: woURL(w, "/dispatch"), As: tm.mgr, Body: map[string]any{"technician_id": sales.ID}, Status: 422,
				Contains: []string{"technician_id"}},
			{Name: "dispatch: another tenant's technician", Method: "POST", URL: woURL(w, "/dispatch"), As: tm.mgr, Body: map[string]any{"technician_id": other.tech.UserID}, Status: 422,
				Contains: []string{"technician_id"}},
			{Name: "dispatch: success", Method: "POST", URL: woURL(w, "/dispatch"), As: tm.mgr, Body: map[string]any{"technician_id": tm.tech2.UserID}, Status: 200,
				Contains: []string{`"status":"dispatched"`, `"technician_id":"` + tm.tech2.UserID.String(), `"pooled":false`}},
			{Name: "reassign: success", Method: "POST", URL: woURL(w, "/dispatch"), As: tm.mgr, Body: map[string]any{"technician_id": tm.tech.UserID, "version": 2}, Status: 200,
				Contains: []string{`"status":"dispatched"`, `"technician_id":"` + tm.tech.UserID.String(), `"version":3`}},
		})
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ? AND CAST(payload AS TEXT) LIKE ?", w.ID, "work_order.dispatched", "%previous_technician_id%"); n != 1 {
			t.Errorf("%d reassignment events naming the previous technician", n)
		}
		// Each technician it went to was told, in their own list of notifications.
		for _, tech := range []*apitest.Client{tm.tech, tm.tech2} {
			if r := tech.Do(t, "GET", "/api/v1/notifications", nil); r.Status != 200 || !strings.Contains(string(r.Body), w.Number) {
				t.Errorf("%s's notifications: %d %s", tech.Email, r.Status, r.Body)
			}
		}
		if r := tm.mgr.Do(t, "GET", "/api/v1/notifications", nil); strings.Contains(string(r.Body), w.Number) {
			t.Errorf("the dispatcher was notified: %s", r.Body)
		}
		// The technician it was taken from no longer sees it; the one it went to does.
		if r := tm.tech2.Do(t, "GET", woURL(w, ""), nil); r.Status != 404 {
			t.Errorf("previous technician reads it: %d", r.Status)
		}

		version := func(v int64) map[string]any { return map[string]any{"version": v} }
		w = tm.get(t, w)
		env.Run(t, []apitest.Scenario{
			{Name: "accept: no login", Method: "POST", URL: woURL(w, "/accept"), Status: 401},
			{Name: "accept: other tenant", Method: "POST", URL: woURL(foreign, "/accept"), As: tm.tech, Status: 404},
			{Name: "accept: wrong role", Method: "POST", URL: woURL(w, "/accept"), As: tm.reader, Status: 403},
			{Name: "accept: not found", Method: "POST", URL: missing + "/accept", As: tm.tech, Status: 404},
			{Name: "accept: invalid", Method: "POST", URL: woURL(w, "/accept"), As: tm.tech, Body: map[string]any{"version": "three"}, Status: 422},
			{Name: "accept: another technician's work", Method: "POST", URL: woURL(w, "/accept"), As: tm.tech2, Status: 404},
			{Name: "accept: customer service is not the technician", Method: "POST", URL: woURL(w, "/accept"), As: tm.cs, Status: 403, Contains: []string{"technician"}},
			{Name: "accept: stale", Method: "POST", URL: woURL(w, "/accept"), As: tm.tech, Body: version(1), Status: 409},
			{Name: "accept: success", Method: "POST", URL: woURL(w, "/accept"), As: tm.tech, Body: version(w.Version), Status: 200, Contains: []string{`"status":"accepted"`}},
			{Name: "decline: no login", Method: "POST", URL: woURL(w, "/decline"), Body: map[string]any{"reason": "x"}, Status: 401},
			{Name: "decline: other tenant", Method: "POST", URL: woURL(foreign, "/decline"), As: tm.tech, Body: map[string]any{"reason": "x"}, Status: 404},
			{Name: "decline: wrong role", Method: "POST", URL: woURL(w, "/decline"), As: tm.reader, Body: map[string]any{"reason": "x"}, Status: 403},
			{Name: "decline: not found", Method: "POST", URL: missing + "/decline", As: tm.tech, Body: map[string]any{"reason": "x"}, Status: 404},
			{Name: "decline: no reason", Method: "POST", URL: woURL(w, "/decline"), As: tm.tech, Body: map[string]any{"reason": " "}, Status: 422, Contains: []string{"reason"}},
			{Name: "decline: success", Method: "POST", URL: woURL(w, "/decline"), As: tm.tech, Body: map[string]any{"reason": "不在服务区域"}, Status: 200,
				Contains: []string{`"status":"registered"`, `"technician_id":null`, `"pooled":true`, `"status_reason":"不在服务区域"`}},
		})

		// The pool: a technician claims declined work; others then no longer see it.
		env.Run(t, []apitest.Scenario{
			{Name: "claim: no login", Method: "POST", URL: woURL(w, "/claim"), Status: 401},
			{Name: "claim: other tenant", Method: "POST", URL: woURL(other.register(t, nil), "/claim"), As: tm.tech2, Status: 404},
			{Name: "claim: wrong role", Method: "POST", URL: woURL(w, "/claim"), As: tm.reader, Status: 403},
			{Name: "claim: not found", Method: "POST", URL: missing + "/claim", As: tm.tech2, Status: 404},
			{Name: "claim: invalid", Method: "POST", URL: woURL(w, "/claim"), As: tm.tech2, Body: "{", Status: 400},
			{Name: "claim: success", Method: "POST", URL: woURL(w, "/claim"), As: tm.tech2, Status: 200,
				Contains: []string{`"status":"accepted"`, `"technician_id":"` + tm.tech2.UserID.String()}},
			{Name: "claim: gone from the pool", Method: "POST", URL: woURL(w, "/claim"), As: tm.tech, Status: 404},
			{Name: "claim: not pooled (manager)", Method: "POST", URL: woURL(w, "/claim"), As: tm.mgr, Status: 409},
		})
		w = tm.get(t, w)
		refused(t, env, tm, w, tm.mgr, "/accept", "/hold", "/complete", "/close")

		env.Run(t, []apitest.Scenario{
			{Name: "start: no login", Method: "POST", URL: woURL(w, "/start"), Status: 401},
			{Name: "start: other tenant", Method: "POST", URL: woURL(foreign, "/start"), As: tm.tech2, Status: 404},
			{Name: "start: wrong role", Method: "POST", URL: woURL(w, "/start"), As: tm.reader, Status: 403},
			{Name: "start: not found", Method: "POST", URL: missing + "/start", As: tm.tech2, Status: 404},
			{Name: "start: invalid", Method: "POST", URL: woURL(w, "/start"), As: tm.tech2, Body: map[string]any{"version": -1}, Status: 422},
			{Name: "start: success", Method: "POST", URL: woURL(w, "/start"), As: tm.tech2, Status: 200, Contains: []string{`"status":"in_progress"`}},
			{Name: "hold: no login", Method: "POST", URL: woURL(w, "/hold"), Body: map[string]any{"reason": "等配件"}, Status: 401},
			{Name: "hold: other tenant", Method: "POST", URL: woURL(foreign, "/hold"), As: tm.tech2, Body: map[string]any{"reason": "等配件"}, Status: 404},
			{Name: "hold: wrong role", Method: "POST", URL: woURL(w, "/hold"), As: tm.reader, Body: map[string]any{"reason": "等配件"}, Status: 403},
			{Name: "hold: not found", Method: "POST", URL: missing + "/hold", As: tm.tech2, Body: map[string]any{"reason": "等配件"}, Status: 404},
			{Name: "hold: no reason", Method: "POST", URL: woURL(w, "/hold"), As: tm.tech2, Body: map[string]any{}, Status: 422},
			{Name: "hold: success", Method: "POST", URL: woURL(w, "/hold"), As: tm.tech2, Body: map[string]any{"reason": "等配件"}, Status: 200,
				Contains: []string{`"status":"on_hold"`, `"status_reason":"等配件"`}},
			{Name: "resume: success", Method: "POST", URL: woURL(w, "/start"), As: tm.tech2, Status: 200, Contains: []string{`"status":"in_progress"`, `"status_reason":""`}},
			{Name: "complete: no login", Method: "POST", URL: woURL(w, "/complete"), Status: 401},
			{Name: "complete: other tenant", Method: "POST", URL: woURL(foreign, "/complete"), As: tm.tech2, Status: 404},
			{Name: "complete: wrong role", Method: "POST", URL: woURL(w, "/complete"), As: tm.reader, Status: 403},
			{Name: "complete: not found", Method: "POST", URL: missing + "/complete", As: tm.tech2, Status: 404},
			{Name: "complete: invalid", Method: "POST", URL: woURL(w, "/complete"), As: tm.tech2, Body: []byte(`{"version":1}x`), Status: 400},
			{Name: "complete: without a record", Method: "POST", URL: woURL(w, "/complete"), As: tm.tech2, Status: 409, Code: "conflict"},
		})
		tm.tech2.MustDo(t, "POST", woURL(w, "/records"), record(nil), 201, nil)
		env.Run(t, []apitest.Scenario{
			{Name: "complete: success", Method: "POST", URL: woURL(w, "/complete"), As: tm.tech2, Status: 200, Contains: []string{`"status":"completed"`}},
		})
		w = tm.get(t, w)
		refused(t, env, tm, w, tm.mgr, "/accept", "/start", "/hold", "/complete", "/cancel", "/decline", "/dispatch", "/close")
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", w.ID, "work_order.completed"); n != 1 {
			t.Errorf("%d work_order.completed events, want 1", n)
		}

		env.Run(t, []apitest.Scenario{
			{Name: "countersign: no login", Method: "POST", URL: woURL(w, "/countersign"), Status: 401},
			{Name: "countersign: other tenant", Method: "POST", URL: woURL(foreign, "/countersign"), As: tm.mgr, Status: 404},
			{Name: "countersign: wrong role", Method: "POST", URL: woURL(w, "/countersign"), As: tm.tech2, Status: 403},
			{Name: "countersign: not found", Method: "POST", URL: missing + "/countersign", As: tm.mgr, Status: 404},
			{Name: "countersign: invalid", Method: "POST", URL: woURL(w, "/countersign"), As: tm.mgr, Body: map[string]any{"version": "x"}, Status: 422},
			{Name: "countersign: success", Method: "POST", URL: woURL(w, "/countersign"), As: tm.mgr, Status: 200,
				Contains: []string{`"countersigned_by":"` + tm.mgr.UserID.String()}},
			{Name: "countersign: twice", Method: "POST", URL: woURL(w, "/countersign"), As: tm.mgr, Status: 409},
			{Name: "records: closed after countersignature", Method: "POST", URL: woURL(w, "/records"), As: tm.tech2, Body: record(nil), Status: 409},
		})
		w = tm.get(t, w)
		refused(t, env, tm, w, tm.mgr, "/close")
		w = tm.to(t, w, "signed_off")
		env.Run(t, []apitest.Scenario{
			{Name: "close: no login", Method: "POST", URL: woURL(w, "/close"), Status: 401},
			{Name: "close: other tenant", Method: "POST", URL: woURL(foreign, "/close"), As: tm.mgr, Status: 404},
			{Name: "close: wrong role", Method: "POST", URL: woURL(w, "/close"), As: tm.tech2, Status: 403},
			{Name: "close: not found", Method: "POST", URL: missing + "/close", As: tm.mgr, Status: 404},
			{Name: "close: invalid", Method: "POST", URL: woURL(w, "/close"), As: tm.mgr, Body: map[string]any{"version": "x"}, Status: 422},
			{Name: "close: success", Method: "POST", URL: woURL(w, "/close"), As: tm.mgr, Status: 200, Contains: []string{`"status":"closed"`}},
		})
		w = tm.get(t, w)
		refused(t, env, tm, w, tm.mgr, "/dispatch", "/accept", "/start", "/complete", "/cancel", "/close", "/countersign")

		// cancel: with a reason, before completion; the technician declines instead.
		c := tm.to(t, tm.register(t, nil), "accepted")
		env.Run(t, []apitest.Scenario{
			{Name: "cancel: no login", Method: "POST", URL: woURL(c, "/cancel"), Body: map[string]any{"reason": "客户撤回"}, Status: 401},
			{Name: "cancel: other tenant", Method: "POST", URL: woURL(foreign, "/cancel"), As: tm.cs, Body: map[string]any{"reason": "x"}, Status: 404},
			{Name: "cancel: wrong role", Method: "POST", URL: woURL(c, "/cancel"), As: tm.reader, Body: map[string]any{"reason": "x"}, Status: 403},
			{Name: "cancel: not found", Method: "POST", URL: missing + "/cancel", As: tm.cs, Body: map[string]any{"reason": "x"}, Status: 404},
			{Name: "cancel: no reason", Method: "POST", URL: woURL(c, "/cancel"), As: tm.cs, Body: map[string]any{}, Status: 422},
			{Name: "cancel: the technician", Method: "POST", URL: woURL(c, "/cancel"), As: tm.tech, Body: map[string]any{"reason": "x"}, Status: 403},
			{Name: "cancel: success", Method: "POST", URL: woURL(c, "/cancel"), As: tm.cs, Body: map[string]any{"reason": "客户撤回"}, Status: 200,
				Contains: []string{`"status":"cancelled"`, `"status_reason":"客户撤回"`}},
			{Name: "patch: cancelled is locked", Method: "PATCH", URL: woURL(c, ""), As: tm.cs, Body: map[string]any{"version": c.Version + 1, "fault": "x"}, Status: 409},
		})
		c = tm.get(t, c)
		refused(t, env, tm, c, tm.mgr, "/dispatch", "/accept", "/start", "/cancel", "/claim")

		// history: every step, oldest first.
		var hist struct {
			Items []struct {
				Action     string `json:"action"`
				FromStatus string `json:"from_status"`
				ToStatus   string `json:"to_status"`
				Reason     string `json:"reason"`
			}
		}
		env.Run(t, []apitest.Scenario{
			{Name: "history: no login", Method: "GET", URL: woURL(w, "/history"), Status: 401},
			{Name: "history: other tenant", Method: "GET", URL: woURL(foreign, "/history"), As: tm.mgr, Status: 404},
			{Name: "history: wrong role", Method: "GET", URL: woURL(w, "/history"), As: tm.sales, Status: 403},
			{Name: "history: not found", Method: "GET", URL: missing + "/history", As: tm.mgr, Status: 404},
			{Name: "history: success", Method: "GET", URL: woURL(w, "/history"), As: tm.mgr, Status: 200,
				Check: func(t *testing.T, r *apitest.Response) { r.JSON(t, &hist) }},
		})
		var actions []string
		for _, h := range hist.Items {
			actions = append(actions, h.Action)
		}
		want := "[register dispatch dispatch accept decline claim start hold start record complete countersign sign_off close]"
		if fmt.Sprint(actions) != want {
			t.Errorf("history %v, want %s", actions, want)
		}
		if h := hist.Items[4]; h.FromStatus != "accepted" || h.ToStatus != "registered" || h.Reason != "不在服务区域" {
			t.Errorf("decline step %+v", h)
		}

		// The customer's timeline shows the steps.
		var tl struct {
			Items []struct {
				Kind     string `json:"kind"`
				Summary  string `json:"summary"`
				EntityID string `json:"entity_id"`
			}
		}
		tm.co.Owner.MustDo(t, "GET", "/api/v1/customers/"+tm.customer.String()+"/timeline?limit=100", nil, 200, &tl)
		n := 0
		for _, it := range tl.Items {
			if it.Kind == "work_order" && it.EntityID == w.ID.String() {
				n++
				if !strings.Contains(it.Summary, w.Number) {
					t.Errorf("timeline line %q does not name %s", it.Summary, w.Number)
				}
			}
		}
		if n != len(actions) {
			t.Errorf("%d timeline items of the work order, want %d", n, len(actions))
		}
	})
}

// Technicians (scope own) list their own work and the shared pool; the service manager sees
// the department's work and the pool; customer service what it registered.
func TestWorkOrderScopes(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		pooled := tm.register(t, nil)
		mine := tm.to(t, tm.register(t, nil), "dispatched")
		theirs := tm.register(t, nil)
		tm.mgr.MustDo(t, "POST", woURL(theirs, "/dispatch"), map[string]any{"technician_id": tm.tech2.UserID}, 200, &theirs)
		ids := func(as *apitest.Client, query string) map[uuid.UUID]bool {
			var p page
			as.MustDo(t, "GET", "/api/v1/work-orders"+query, nil, 200, &p)
			out := map[uuid.UUID]bool{}
			for _, w := range p.Items {
				out[w.ID] = true
			}
			return out
		}
		got := ids(tm.tech, "")
		if !got[pooled.ID] || !got[mine.ID] || got[theirs.ID] {
			t.Errorf("technician lists %v; want the pool and own work only", got)
		}
		if got := ids(tm.tech, "?pooled=true"); !got[pooled.ID] || got[mine.ID] {
			t.Errorf("technician's pool: %v", got)
		}
		if got := ids(tm.tech, "?technician_id="+tm.tech2.UserID.String()); len(got) != 0 {
			t.Errorf("another technician's work through the filter: %v", got)
		}
		for _, as := range []*apitest.Client{tm.mgr, tm.cs, tm.co.Owner} {
			got := ids(as, "")
			if !got[pooled.ID] || !got[mine.ID] || !got[theirs.ID] {
				t.Errorf("%v lists %v; want all three", as.Roles, got)
			}
		}
		// Customer service of another department sees the pool, not work it did not register
		// once it is dispatched.
		cs2 := tm.co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "customer_service")
		if got := ids(cs2, ""); !got[pooled.ID] || got[mine.ID] || got[theirs.ID] {
			t.Errorf("customer service elsewhere lists %v", got)
		}
		if r := tm.tech.Do(t, "GET", woURL(theirs, ""), nil); r.Status != 404 {
			t.Errorf("technician reads another's work: %d", r.Status)
		}
		if r := tm.tech.Do(t, "PATCH", woURL(theirs, ""), map[string]any{"version": theirs.Version, "fault": "x"}); r.Status != 404 {
			t.Errorf("technician patches another's work: %d", r.Status)
		}
	})
}

// Invalid input (422) is refused before anything is written: the work order, its history,
// records and costs stay as they were.
func TestInvalidInputChangesNothing(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		w := tm.to(t, tm.register(t, nil), "in_progress")
		steps := historySteps(t, env, w)
		bad := []struct {
			as     *apitest.Client
			method string
			path   string
			body   any
		}{
			{tm.tech, "POST", "/hold", map[string]any{"reason": ""}},
			{tm.tech, "POST", "/decline", map[string]any{}},
			{tm.cs, "POST", "/cancel", map[string]any{"reason": "\u0000"}},
			{tm.tech, "POST", "/records", record(map[string]any{"costs": []map[string]any{{"kind": "travel", "amount": cny("1")}, {"kind": "travel", "amount": cny("1.001")}}})},
			{tm.tech, "POST", "/records", record(map[string]any{"parts": []map[string]any{{"product_id": tm.product, "quantity": 1}, {"product_id": uuid.New(), "quantity": 1}}})},
			{tm.tech, "POST", "/charge", map[string]any{"fee": cny("10"), "method": "cash"}},
			{tm.cs, "PATCH", "", map[string]any{"version": w.Version, "fault": "新故障", "product_id": uuid.New()}},
			{tm.cs, "PATCH", "", map[string]any{"version": w.Version, "fault": "新故障", "type": "internal"}},
			{tm.tech, "POST", "/remote-applications", application(map[string]any{"from": "2026-13-01"})},
		}
		for _, b := range bad {
			if r := b.as.Do(t, b.method, woURL(w, b.path), b.body); r.Status != 422 {
				t.Errorf("%s %s: %d %s, want 422", b.method, b.path, r.Status, r.Body)
			}
		}
		unchanged(t, env, tm, w, steps)
		if got := tm.get(t, w); got.Fault != "主轴异响" || len(got.ServiceCost) != 0 {
			t.Errorf("after refused input: fault %q, cost %v", got.Fault, got.ServiceCost)
		}
		if n := env.CountRows(t, "work_order_records", "work_order_id = ?", w.ID); n != 0 {
			t.Errorf("%d records", n)
		}
		if n := env.CountRows(t, "remote_applications", "work_order_id = ?", w.ID); n != 0 {
			t.Errorf("%d remote applications", n)
		}
	})
}
