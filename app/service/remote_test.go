package service_test

// Remote (off-site) service (SVC-2, 第12條): the technician applies, a department manager
// approves or rejects (never their own application), the work cannot start before approval,
// and the actual travel costs recorded go into the work order's service cost.

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

type remoteApp struct {
	ID               uuid.UUID   `json:"id"`
	WorkOrderID      uuid.UUID   `json:"work_order_id"`
	Status           string      `json:"status"`
	EstimatedTotal   []moneyJSON `json:"estimated_total"`
	ActualTravelCost []moneyJSON `json:"actual_travel_cost"`
	Version          int64       `json:"version"`
}

func application(extra map[string]any) map[string]any {
	now := time.Now()
	body := map[string]any{"destination": "乌鲁木齐", "from": day(now, 0, 1), "to": day(now, 0, 3), "purpose": "现场更换主轴",
		"estimated_costs": []map[string]any{{"kind": "travel", "amount": cny("1800.00")}, {"kind": "allowance", "amount": cny("300.00")}}}
	for k, v := range extra {
		body[k] = v
	}
	return body
}

func TestRemoteService(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		other := newTeam(t, env)
		foreign := other.to(t, other.register(t, nil), "accepted")
		var foreignApp remoteApp
		other.tech.MustDo(t, "POST", woURL(foreign, "/remote-applications"), application(nil), 201, &foreignApp)
		missing := "/api/v1/work-orders/" + uuid.NewString()
		w := tm.register(t, nil)
		if r := tm.mgr.Do(t, "POST", woURL(w, "/remote-applications"), application(nil)); r.Status != 409 {
			t.Errorf("application before dispatch: %d %s", r.Status, r.Body)
		}
		w = tm.to(t, w, "accepted")
		var app remoteApp
		env.Run(t, []apitest.Scenario{
			{Name: "apply: no login", Method: "POST", URL: woURL(w, "/remote-applications"), Body: application(nil), Status: 401},
			{Name: "apply: other tenant", Method: "POST", URL: woURL(foreign, "/remote-applications"), As: tm.tech, Body: application(nil), Status: 404},
			{Name: "apply: wrong role", Method: "POST", URL: woURL(w, "/remote-applications"), As: tm.reader, Body: application(nil), Status: 403},
			{Name: "apply: not found", Method: "POST", URL: missing + "/remote-applications", As: tm.tech, Body: application(nil), Status: 404},
			{Name: "apply: back before there", Method: "POST", URL: woURL(w, "/remote-applications"), As: tm.tech,
				Body: application(map[string]any{"to": day(time.Now(), 0, 0)}), Status: 422, Contains: []string{`"field":"to"`}},
			{Name: "apply: no destination", Method: "POST", URL: woURL(w, "/remote-applications"), As: tm.tech,
				Body: application(map[string]any{"destination": ""}), Status: 422, Contains: []string{"destination"}},
			{Name: "apply: negative estimate", Method: "POST", URL: woURL(w, "/remote-applications"), As: tm.tech,
				Body: application(map[string]any{"estimated_costs": []map[string]any{{"kind": "travel", "amount": cny("-5")}}}), Status: 422,
				Contains: []string{"estimated_costs[0].amount.amount"}},
			{Name: "apply: not the technician", Method: "POST", URL: woURL(w, "/remote-applications"), As: tm.cs, Body: application(nil), Status: 403},
			{Name: "apply: success", Method: "POST", URL: woURL(w, "/remote-applications"), As: tm.tech, Body: application(nil), Status: 201,
				Contains: []string{`"status":"pending"`, `"estimated_total":[{"amount":"2100.00","currency":"CNY"}]`, `"destination":"乌鲁木齐"`},
				Check:    func(t *testing.T, r *apitest.Response) { r.JSON(t, &app) }},
			{Name: "apply: one pending already", Method: "POST", URL: woURL(w, "/remote-applications"), As: tm.tech, Body: application(nil), Status: 409},
		})
		w = tm.get(t, w)
		if !w.Remote {
			t.Error("work order not marked remote")
		}
		// Remote work cannot start before approval: 409, nothing changed.
		steps := historySteps(t, env, w)
		for _, as := range []*apitest.Client{tm.tech, tm.mgr} {
			if r := as.Do(t, "POST", woURL(w, "/start"), nil); r.Status != 409 || r.Problem(t).Code != "conflict" {
				t.Errorf("start before approval by %v: %d %s", as.Roles, r.Status, r.Body)
			}
		}
		unchanged(t, env, tm, w, steps)

		aURL := "/api/v1/remote-applications/" + app.ID.String()
		fURL := "/api/v1/remote-applications/" + foreignApp.ID.String()
		aMissing := "/api/v1/remote-applications/" + uuid.NewString()
		env.Run(t, []apitest.Scenario{
			{Name: "get: no login", Method: "GET", URL: aURL, Status: 401},
			{Name: "get: other tenant", Method: "GET", URL: fURL, As: tm.mgr, Status: 404},
			{Name: "get: wrong role", Method: "GET", URL: aURL, As: tm.sales, Status: 403},
			{Name: "get: not found", Method: "GET", URL: aMissing, As: tm.mgr, Status: 404},
			{Name: "get: another technician", Method: "GET", URL: aURL, As: tm.tech2, Status: 404},
			{Name: "get: success", Method: "GET", URL: aURL, As: tm.mgr, Status: 200, Contains: []string{`"status":"pending"`}},
			{Name: "list: no login", Method: "GET", URL: woURL(w, "/remote-applications"), Status: 401},
			{Name: "list: other tenant", Method: "GET", URL: woURL(foreign, "/remote-applications"), As: tm.mgr, Status: 404},
			{Name: "list: wrong role", Method: "GET", URL: woURL(w, "/remote-applications"), As: tm.sales, Status: 403},
			{Name: "list: not found", Method: "GET", URL: missing + "/remote-applications", As: tm.mgr, Status: 404},
			{Name: "list: success", Method: "GET", URL: woURL(w, "/remote-applications"), As: tm.tech, Status: 200, Contains: []string{app.ID.String()}},
		})

		// The manager's task list shows the application until it is decided.
		var tasks struct {
			Approvals []struct {
				ID     uuid.UUID `json:"id"`
				Entity string    `json:"entity"`
			} `json:"approvals"`
		}
		tm.mgr.MustDo(t, "GET", "/api/v1/me/tasks", nil, 200, &tasks)
		if len(tasks.Approvals) != 1 || tasks.Approvals[0].ID != app.ID || tasks.Approvals[0].Entity != "remote_application" {
			t.Errorf("manager's approvals: %+v", tasks.Approvals)
		}
		tm.tech.MustDo(t, "GET", "/api/v1/me/tasks", nil, 200, &tasks)
		if len(tasks.Approvals) != 0 {
			t.Errorf("technician's approvals: %+v", tasks.Approvals)
		}

		env.Run(t, []apitest.Scenario{
			{Name: "reject: no login", Method: "POST", URL: aURL + "/reject", Body: map[string]any{"comment": "x"}, Status: 401},
			{Name: "reject: other tenant", Method: "POST", URL: fURL + "/reject", As: tm.mgr, Body: map[string]any{"comment": "x"}, Status: 404},
			{Name: "reject: wrong role", Method: "POST", URL: aURL + "/reject", As: tm.tech, Body: map[string]any{"comment": "x"}, Status: 403},
			{Name: "reject: not found", Method: "POST", URL: aMissing + "/reject", As: tm.mgr, Body: map[string]any{"comment": "x"}, Status: 404},
			{Name: "reject: no comment", Method: "POST", URL: aURL + "/reject", As: tm.mgr, Body: map[string]any{}, Status: 422, Contains: []string{"comment"}},
			{Name: "reject: success", Method: "POST", URL: aURL + "/reject", As: tm.mgr, Body: map[string]any{"comment": "先电话远程指导"}, Status: 200,
				Contains: []string{`"status":"rejected"`, `"comment":"先电话远程指导"`}},
			{Name: "approve: after rejection", Method: "POST", URL: aURL + "/approve", As: tm.mgr, Status: 409},
			{Name: "start: after rejection", Method: "POST", URL: woURL(w, "/start"), As: tm.tech, Status: 409},
		})
		var again remoteApp
		tm.tech.MustDo(t, "POST", woURL(w, "/remote-applications"), application(nil), 201, &again)
		bURL := "/api/v1/remote-applications/" + again.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "approve: no login", Method: "POST", URL: bURL + "/approve", Status: 401},
			{Name: "approve: other tenant", Method: "POST", URL: fURL + "/approve", As: tm.mgr, Status: 404},
			{Name: "approve: wrong role", Method: "POST", URL: bURL + "/approve", As: tm.tech, Status: 403},
			{Name: "approve: not found", Method: "POST", URL: aMissing + "/approve", As: tm.mgr, Status: 404},
			{Name: "approve: invalid", Method: "POST", URL: bURL + "/approve", As: tm.mgr, Body: map[string]any{"version": "x"}, Status: 422},
			{Name: "approve: stale", Method: "POST", URL: bURL + "/approve", As: tm.mgr, Body: map[string]any{"version": 9}, Status: 409},
			{Name: "approve: success", Method: "POST", URL: bURL + "/approve", As: tm.mgr, Body: map[string]any{"version": 1}, Status: 200,
				Contains: []string{`"status":"approved"`, `"decided_by":"` + tm.mgr.UserID.String()}},
			{Name: "approve: twice", Method: "POST", URL: bURL + "/approve", As: tm.mgr, Status: 409},
			{Name: "start: approved", Method: "POST", URL: woURL(w, "/start"), As: tm.tech, Status: 200, Contains: []string{`"status":"in_progress"`}},
		})
		// The actual travel costs go into the work order's service cost.
		tm.tech.MustDo(t, "POST", woURL(w, "/records"), record(map[string]any{"costs": []map[string]any{
			{"kind": "travel", "amount": cny("1650.00")}, {"kind": "allowance", "amount": cny("300.00")}, {"kind": "parts", "amount": cny("800.00")}}}), 201, nil)
		tm.mgr.MustDo(t, "GET", bURL, nil, 200, &again)
		if len(again.ActualTravelCost) != 1 || again.ActualTravelCost[0] != (moneyJSON{"1950.00", "CNY"}) {
			t.Errorf("actual travel cost %+v", again.ActualTravelCost)
		}
		if got := tm.get(t, w); len(got.ServiceCost) != 1 || got.ServiceCost[0] != (moneyJSON{"2750.00", "CNY"}) {
			t.Errorf("service cost %+v", got.ServiceCost)
		}

		// Nobody decides their own application: the manager who applied needs another manager.
		own := tm.to(t, tm.register(t, nil), "accepted")
		var mine remoteApp
		tm.mgr.MustDo(t, "POST", woURL(own, "/remote-applications"), application(nil), 201, &mine)
		if r := tm.mgr.Do(t, "POST", "/api/v1/remote-applications/"+mine.ID.String()+"/approve", nil); r.Status != 403 {
			t.Errorf("own application: %d %s", r.Status, r.Body)
		}
		tm.mgr.MustDo(t, "GET", "/api/v1/me/tasks", nil, 200, &tasks)
		if len(tasks.Approvals) != 0 {
			t.Errorf("own application on the task list: %+v", tasks.Approvals)
		}
		tm.co.AddUserWith(t, apitest.UserOpts{Department: "After-sales service"}, "service_manager").
			MustDo(t, "POST", "/api/v1/remote-applications/"+mine.ID.String()+"/approve", nil, 200, nil)

		// Work cancelled meanwhile: nothing left to approve; the application can still be rejected.
		gone := tm.to(t, tm.register(t, nil), "accepted")
		var late remoteApp
		tm.tech.MustDo(t, "POST", woURL(gone, "/remote-applications"), application(nil), 201, &late)
		tm.cs.MustDo(t, "POST", woURL(gone, "/cancel"), map[string]any{"reason": "客户自行修复"}, 200, nil)
		lURL := "/api/v1/remote-applications/" + late.ID.String()
		if r := tm.mgr.Do(t, "POST", lURL+"/approve", nil); r.Status != 409 {
			t.Errorf("approve for cancelled work: %d %s", r.Status, r.Body)
		}
		tm.mgr.MustDo(t, "POST", lURL+"/reject", map[string]any{"comment": "工单已取消"}, 200, nil)
	})
}
