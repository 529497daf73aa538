package complaint_test

// Every endpoint's scenarios in the fixed order: no login, another tenant's record, a role
// without the permission, a missing record, invalid input, success; and the data scopes.

import (
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

func TestAPIScenarios(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		them := newCompany(t, env)
		v := c.move(t, c.cs, c.open(t, c.cs, nil), "investigating")
		theirs := them.move(t, them.cs, them.open(t, them.cs, nil), "investigating")
		rem := c.propose(t, v, map[string]any{"kind": "return", "quantity": 2, "description": "退货"})
		theirRem := them.propose(t, theirs, map[string]any{"kind": "return", "quantity": 2, "description": "退货"})
		rem2 := c.propose(t, v, map[string]any{"kind": "discount", "amount": cny("50"), "description": "折扣"})
		var pen, theirPen struct{ ID uuid.UUID }
		c.cs.MustDo(t, "POST", url(v, "/penalties"), map[string]any{"user_id": c.sales1.UserID, "kind": "administrative", "reason": "延误"}, 201, &pen)
		them.cs.MustDo(t, "POST", url(theirs, "/penalties"), map[string]any{"user_id": them.sales1.UserID, "kind": "administrative", "reason": "延误"}, 201, &theirPen)
		missing := uuid.Must(uuid.NewV7()).String()
		resolved := c.move(t, c.cs, c.open(t, c.cs, nil), "investigating")
		r0 := c.propose(t, resolved, map[string]any{"kind": "compensation", "amount": cny("20"), "description": "补偿"})
		resolved = c.move(t, c.cs, resolved, "plan_proposed")
		c.salesMgr.MustDo(t, "POST", "/api/v1/remedies/"+r0.ID.String()+"/approve", map[string]any{}, 200, nil)
		resolved = c.move(t, c.cs, c.move(t, c.cs, c.get(t, resolved), "resolving"), "resolved")

		body := func(extra map[string]any) map[string]any {
			b := intake(map[string]any{"customer_id": c.customer})
			for k, x := range extra {
				b[k] = x
			}
			return b
		}
		cu, tu := "/api/v1/complaints/", "/api/v1/complaints/"+theirs.ID.String()
		ru, tru := "/api/v1/remedies/"+rem.ID.String(), "/api/v1/remedies/"+theirRem.ID.String()
		env.Run(t, []apitest.Scenario{
			// GET /complaints
			{Name: "list/no login", Method: "GET", URL: "/api/v1/complaints", Status: 401, Code: "unauthenticated"},
			{Name: "list/other tenant's not listed", Method: "GET", URL: "/api/v1/complaints", As: c.cs, Status: 200, NotContains: []string{theirs.ID.String()}, Contains: []string{v.ID.String()}},
			{Name: "list/no permission", Method: "GET", URL: "/api/v1/complaints", As: c.tech, Status: 403, Code: "forbidden"},
			{Name: "list/invalid filter", Method: "GET", URL: "/api/v1/complaints?status=lost", As: c.cs, Status: 422, Code: "validation_failed"},
			{Name: "list/by deadline", Method: "GET", URL: "/api/v1/complaints?sort=due_at&status=open&mine=true", As: c.cs, Status: 200, Contains: []string{v.ID.String()}},
			// POST /complaints
			{Name: "create/no login", Method: "POST", URL: "/api/v1/complaints", Body: body(nil), Status: 401},
			{Name: "create/other tenant's customer", Method: "POST", URL: "/api/v1/complaints", As: them.cs, Body: body(nil), Status: 422, Code: "validation_failed", Contains: []string{"customer_id"}},
			{Name: "create/no permission", Method: "POST", URL: "/api/v1/complaints", As: c.warehouse, Body: body(nil), Status: 403},
			{Name: "create/missing customer", Method: "POST", URL: "/api/v1/complaints", As: c.cs, Body: body(map[string]any{"customer_id": missing}), Status: 422, Contains: []string{"customer_id"}},
			{Name: "create/invalid channel", Method: "POST", URL: "/api/v1/complaints", As: c.cs, Body: body(map[string]any{"channel": "fax"}), Status: 422, Contains: []string{"channel"}},
			{Name: "create/invalid ship date", Method: "POST", URL: "/api/v1/complaints", As: c.cs, Body: body(map[string]any{"ship_date": "2026-13-01"}), Status: 422},
			{Name: "create/empty content", Method: "POST", URL: "/api/v1/complaints", As: c.cs, Body: body(map[string]any{"content": "  "}), Status: 422},
			{Name: "create/ok", Method: "POST", URL: "/api/v1/complaints", As: c.cs, Body: body(map[string]any{"channel": "web"}), Status: 201, Contains: []string{`"status":"received"`, `"sla_status":"on_track"`}},
			// GET /complaints/{id}
			{Name: "get/no login", Method: "GET", URL: cu + v.ID.String(), Status: 401},
			{Name: "get/other tenant", Method: "GET", URL: tu, As: c.cs, Status: 404, Code: "not_found"},
			{Name: "get/no permission", Method: "GET", URL: cu + v.ID.String(), As: c.tech, Status: 403},
			{Name: "get/missing", Method: "GET", URL: cu + missing, As: c.cs, Status: 404},
			{Name: "get/not an id", Method: "GET", URL: cu + "nope", As: c.cs, Status: 404},
			{Name: "get/ok", Method: "GET", URL: cu + v.ID.String(), As: c.auditor, Status: 200, Contains: []string{v.Number, `"history"`}},
			// PATCH /complaints/{id}
			{Name: "patch/no login", Method: "PATCH", URL: cu + v.ID.String(), Body: map[string]any{"version": 1}, Status: 401},
			{Name: "patch/other tenant", Method: "PATCH", URL: tu, As: c.cs, Body: map[string]any{"version": theirs.Version, "root_cause": "x"}, Status: 404},
			{Name: "patch/no permission", Method: "PATCH", URL: cu + v.ID.String(), As: c.auditor, Body: map[string]any{"version": v.Version}, Status: 403},
			{Name: "patch/missing", Method: "PATCH", URL: cu + missing, As: c.cs, Body: map[string]any{"version": 1, "root_cause": "x"}, Status: 404},
			{Name: "patch/invalid", Method: "PATCH", URL: cu + v.ID.String(), As: c.cs, Body: map[string]any{"version": v.Version, "category": "weather"}, Status: 422},
			{Name: "patch/stale", Method: "PATCH", URL: cu + v.ID.String(), As: c.cs, Body: map[string]any{"version": v.Version - 1, "root_cause": "x"}, Status: 409},
			{Name: "patch/unknown responsible", Method: "PATCH", URL: cu + v.ID.String(), As: c.cs, Body: map[string]any{"version": v.Version, "responsible_user_id": missing}, Status: 422},
			{Name: "patch/ok", Method: "PATCH", URL: cu + v.ID.String(), As: c.cs, Body: map[string]any{"version": v.Version, "root_cause": "热处理不良", "responsible_department_id": c.co.Departments["Sales"]}, Status: 200, Contains: []string{"热处理不良"}},
			// POST /complaints/{id}/transition
			{Name: "transition/no login", Method: "POST", URL: cu + v.ID.String() + "/transition", Body: map[string]any{"to": "plan_proposed"}, Status: 401},
			{Name: "transition/other tenant", Method: "POST", URL: tu + "/transition", As: c.cs, Body: map[string]any{"to": "plan_proposed"}, Status: 404},
			{Name: "transition/no permission", Method: "POST", URL: cu + v.ID.String() + "/transition", As: c.sales1, Body: map[string]any{"to": "plan_proposed"}, Status: 403},
			{Name: "transition/missing", Method: "POST", URL: cu + missing + "/transition", As: c.cs, Body: map[string]any{"to": "plan_proposed"}, Status: 404},
			{Name: "transition/invalid", Method: "POST", URL: cu + v.ID.String() + "/transition", As: c.cs, Body: map[string]any{"to": "lost"}, Status: 422},
			{Name: "transition/not allowed", Method: "POST", URL: cu + v.ID.String() + "/transition", As: c.cs, Body: map[string]any{"to": "resolved"}, Status: 409, Code: "conflict"},
			{Name: "transition/ok", Method: "POST", URL: cu + v.ID.String() + "/transition", As: c.cs, Body: map[string]any{"to": "plan_proposed", "comment": "方案已拟"}, Status: 200, Contains: []string{`"status":"plan_proposed"`}},
			// POST /complaints/{id}/reopen
			{Name: "reopen/no login", Method: "POST", URL: cu + resolved.ID.String() + "/reopen", Body: map[string]any{}, Status: 401},
			{Name: "reopen/other tenant", Method: "POST", URL: tu + "/reopen", As: c.cs, Body: map[string]any{}, Status: 404},
			{Name: "reopen/no permission", Method: "POST", URL: cu + resolved.ID.String() + "/reopen", As: c.auditor, Body: map[string]any{}, Status: 403},
			{Name: "reopen/missing", Method: "POST", URL: cu + missing + "/reopen", As: c.cs, Body: map[string]any{}, Status: 404},
			{Name: "reopen/invalid", Method: "POST", URL: cu + resolved.ID.String() + "/reopen", As: c.cs, Body: map[string]any{"comment": 5}, Status: 422},
			{Name: "reopen/not resolved", Method: "POST", URL: cu + v.ID.String() + "/reopen", As: c.cs, Body: map[string]any{}, Status: 409},
			{Name: "reopen/ok", Method: "POST", URL: cu + resolved.ID.String() + "/reopen", As: c.cs, Body: map[string]any{"comment": "不接受"}, Status: 201, Contains: []string{`"reopened_from_id":"` + resolved.ID.String()}},
			// GET/POST /complaints/{id}/remedies
			{Name: "remedies/no login", Method: "GET", URL: cu + v.ID.String() + "/remedies", Status: 401},
			{Name: "remedies/other tenant", Method: "GET", URL: tu + "/remedies", As: c.cs, Status: 404},
			{Name: "remedies/no permission", Method: "GET", URL: cu + v.ID.String() + "/remedies", As: c.tech, Status: 403},
			{Name: "remedies/missing", Method: "GET", URL: cu + missing + "/remedies", As: c.cs, Status: 404},
			{Name: "remedies/ok", Method: "GET", URL: cu + v.ID.String() + "/remedies", As: c.finance, Status: 200, Contains: []string{rem.ID.String()}},
			{Name: "propose/no login", Method: "POST", URL: cu + v.ID.String() + "/remedies", Body: map[string]any{"kind": "repair", "description": "x"}, Status: 401},
			{Name: "propose/other tenant", Method: "POST", URL: tu + "/remedies", As: c.cs, Body: map[string]any{"kind": "repair", "description": "x"}, Status: 404},
			{Name: "propose/no permission", Method: "POST", URL: cu + v.ID.String() + "/remedies", As: c.warehouse, Body: map[string]any{"kind": "repair", "description": "x"}, Status: 403},
			{Name: "propose/missing", Method: "POST", URL: cu + missing + "/remedies", As: c.cs, Body: map[string]any{"kind": "repair", "description": "x"}, Status: 404},
			{Name: "propose/invalid", Method: "POST", URL: cu + v.ID.String() + "/remedies", As: c.cs, Body: map[string]any{"kind": "compensation", "description": "x"}, Status: 422, Contains: []string{"amount"}},
			{Name: "propose/ok", Method: "POST", URL: cu + v.ID.String() + "/remedies", As: c.cs, Body: map[string]any{"kind": "replacement", "quantity": 5, "description": "换货 5 件"}, Status: 201, Contains: []string{`"approver_role":"sales_manager"`}},
			// POST /remedies/{id}/approve|reject
			{Name: "approve/no login", Method: "POST", URL: ru + "/approve", Body: map[string]any{}, Status: 401},
			{Name: "approve/other tenant", Method: "POST", URL: tru + "/approve", As: c.salesMgr, Body: map[string]any{}, Status: 404},
			{Name: "approve/no permission", Method: "POST", URL: ru + "/approve", As: c.cs, Body: map[string]any{}, Status: 403},
			{Name: "approve/missing", Method: "POST", URL: "/api/v1/remedies/" + missing + "/approve", As: c.salesMgr, Body: map[string]any{}, Status: 404},
			{Name: "approve/invalid", Method: "POST", URL: ru + "/approve", As: c.salesMgr, Body: map[string]any{"comment": []int{1}}, Status: 422},
			{Name: "approve/ok", Method: "POST", URL: ru + "/approve", As: c.salesMgr, Body: map[string]any{"comment": "同意退货"}, Status: 200, Contains: []string{`"status":"approved"`}},
			{Name: "reject/no login", Method: "POST", URL: "/api/v1/remedies/" + rem2.ID.String() + "/reject", Body: map[string]any{}, Status: 401},
			{Name: "reject/other tenant", Method: "POST", URL: tru + "/reject", As: c.salesMgr, Body: map[string]any{}, Status: 404},
			{Name: "reject/no permission", Method: "POST", URL: "/api/v1/remedies/" + rem2.ID.String() + "/reject", As: c.finance, Body: map[string]any{}, Status: 403},
			{Name: "reject/missing", Method: "POST", URL: "/api/v1/remedies/" + missing + "/reject", As: c.salesMgr, Body: map[string]any{}, Status: 404},
			{Name: "reject/decided", Method: "POST", URL: ru + "/reject", As: c.salesMgr, Body: map[string]any{}, Status: 409},
			{Name: "reject/ok", Method: "POST", URL: "/api/v1/remedies/" + rem2.ID.String() + "/reject", As: c.salesMgr, Body: map[string]any{"comment": "不给折扣"}, Status: 200, Contains: []string{`"status":"rejected"`}},
			// POST /remedies/{id}/return-receipt and /post
			{Name: "receipt/no login", Method: "POST", URL: ru + "/return-receipt", Body: map[string]any{"quantity_received": 2}, Status: 401},
			{Name: "receipt/other tenant", Method: "POST", URL: tru + "/return-receipt", As: c.warehouse, Body: map[string]any{"quantity_received": 2}, Status: 404},
			{Name: "receipt/no permission", Method: "POST", URL: ru + "/return-receipt", As: c.cs, Body: map[string]any{"quantity_received": 2}, Status: 403},
			{Name: "receipt/missing", Method: "POST", URL: "/api/v1/remedies/" + missing + "/return-receipt", As: c.warehouse, Body: map[string]any{"quantity_received": 2}, Status: 404},
			{Name: "receipt/invalid", Method: "POST", URL: ru + "/return-receipt", As: c.warehouse, Body: map[string]any{"quantity_received": "two"}, Status: 422},
			{Name: "receipt/ok", Method: "POST", URL: ru + "/return-receipt", As: c.warehouse, Body: map[string]any{"quantity_received": 2}, Status: 200, Contains: []string{`"status":"received"`}},
			{Name: "post/no login", Method: "POST", URL: ru + "/post", Status: 401},
			{Name: "post/other tenant", Method: "POST", URL: tru + "/post", As: c.finance, Status: 404},
			{Name: "post/no permission", Method: "POST", URL: ru + "/post", As: c.warehouse, Status: 403},
			{Name: "post/missing", Method: "POST", URL: "/api/v1/remedies/" + missing + "/post", As: c.finance, Status: 404},
			{Name: "post/not a received return", Method: "POST", URL: "/api/v1/remedies/" + rem2.ID.String() + "/post", As: c.finance, Status: 409},
			{Name: "post/ok", Method: "POST", URL: ru + "/post", As: c.finance, Status: 200, Contains: []string{`"status":"posted"`}},
			// GET/POST /complaints/{id}/penalties, POST /penalties/{id}/approve|reject
			{Name: "penalties/no login", Method: "GET", URL: cu + v.ID.String() + "/penalties", Status: 401},
			{Name: "penalties/other tenant", Method: "GET", URL: tu + "/penalties", As: c.gm, Status: 404},
			{Name: "penalties/no permission", Method: "GET", URL: cu + v.ID.String() + "/penalties", As: c.warehouse2(t), Status: 403},
			{Name: "penalties/missing", Method: "GET", URL: cu + missing + "/penalties", As: c.gm, Status: 404},
			{Name: "penalties/ok", Method: "GET", URL: cu + v.ID.String() + "/penalties", As: c.gm, Status: 200, Contains: []string{pen.ID.String()}},
			{Name: "penalty/no login", Method: "POST", URL: cu + v.ID.String() + "/penalties", Body: map[string]any{}, Status: 401},
			{Name: "penalty/other tenant", Method: "POST", URL: tu + "/penalties", As: c.cs, Body: map[string]any{"user_id": c.sales1.UserID, "kind": "administrative", "reason": "x"}, Status: 404},
			{Name: "penalty/no permission", Method: "POST", URL: cu + v.ID.String() + "/penalties", As: c.sales1, Body: map[string]any{"user_id": c.sales1.UserID, "kind": "administrative", "reason": "x"}, Status: 403},
			{Name: "penalty/missing", Method: "POST", URL: cu + missing + "/penalties", As: c.cs, Body: map[string]any{"user_id": c.sales1.UserID, "kind": "administrative", "reason": "x"}, Status: 404},
			{Name: "penalty/invalid", Method: "POST", URL: cu + v.ID.String() + "/penalties", As: c.cs, Body: map[string]any{"user_id": c.sales1.UserID, "kind": "fine", "reason": "x"}, Status: 422},
			{Name: "penalty/ok", Method: "POST", URL: cu + v.ID.String() + "/penalties", As: c.cs, Body: map[string]any{"department_id": c.co.Departments["Sales"], "kind": "administrative", "reason": "责任部门"}, Status: 201, Contains: []string{`"status":"pending"`}},
			{Name: "penalty approve/no login", Method: "POST", URL: "/api/v1/penalties/" + pen.ID.String() + "/approve", Body: map[string]any{}, Status: 401},
			{Name: "penalty approve/other tenant", Method: "POST", URL: "/api/v1/penalties/" + theirPen.ID.String() + "/approve", As: c.gm, Body: map[string]any{}, Status: 404},
			{Name: "penalty approve/below the general manager", Method: "POST", URL: "/api/v1/penalties/" + pen.ID.String() + "/approve", As: c.vp, Body: map[string]any{}, Status: 403},
			{Name: "penalty approve/missing", Method: "POST", URL: "/api/v1/penalties/" + missing + "/approve", As: c.gm, Body: map[string]any{}, Status: 404},
			{Name: "penalty approve/invalid", Method: "POST", URL: "/api/v1/penalties/" + pen.ID.String() + "/approve", As: c.gm, Body: map[string]any{"comment": 1}, Status: 422},
			{Name: "penalty reject/ok", Method: "POST", URL: "/api/v1/penalties/" + pen.ID.String() + "/reject", As: c.gm, Body: map[string]any{}, Status: 200, Contains: []string{`"status":"rejected"`}},
			{Name: "penalty approve/decided", Method: "POST", URL: "/api/v1/penalties/" + pen.ID.String() + "/approve", As: c.gm, Body: map[string]any{}, Status: 409},
			// GET /complaints/review
			{Name: "review/no login", Method: "GET", URL: "/api/v1/complaints/review", Status: 401},
			{Name: "review/other tenant's not listed", Method: "GET", URL: "/api/v1/complaints/review?month=2026-12", As: them.gm, Status: 200, NotContains: []string{resolved.ID.String()}},
			{Name: "review/no permission", Method: "GET", URL: "/api/v1/complaints/review", As: c.tech, Status: 403},
			{Name: "review/invalid month", Method: "GET", URL: "/api/v1/complaints/review?month=november", As: c.gm, Status: 422},
			{Name: "review/ok", Method: "GET", URL: "/api/v1/complaints/review?month=2026-11", As: c.gm, Status: 200, Contains: []string{`"month":"2026-11"`}},
		})
	})
}

// warehouse2 is a user with no complaint permission at all (a technician reads work orders only).
func (c *company) warehouse2(t testing.TB) *apitest.Client { return c.tech }

func TestDataScopes(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		// A salesperson takes in a complaint of their own customer; customer service one of its own.
		mine := c.open(t, c.sales1, map[string]any{"customer_id": c.salesCustomer})
		csCase := c.open(t, c.cs, nil)
		ids := func(as *apitest.Client) map[uuid.UUID]bool {
			var p struct{ Items []complaintView }
			as.MustDo(t, "GET", "/api/v1/complaints", nil, 200, &p)
			out := map[uuid.UUID]bool{}
			for _, v := range p.Items {
				out[v.ID] = true
			}
			return out
		}
		if s := ids(c.sales1); !s[mine.ID] || s[csCase.ID] {
			t.Errorf("salesperson sees %v", s)
		}
		if s := ids(c.sales2); s[mine.ID] || s[csCase.ID] {
			t.Errorf("the other salesperson sees %v", s)
		}
		if r := c.sales2.Do(t, "GET", url(mine, ""), nil); r.Status != 404 {
			t.Errorf("the other salesperson reads it: %d", r.Status)
		}
		if s := ids(c.cs); !s[csCase.ID] || s[mine.ID] {
			t.Errorf("customer service (department scope) sees %v", s)
		}
		if s := ids(c.vp); !s[csCase.ID] || !s[mine.ID] {
			t.Errorf("the vice president (all) sees %v", s)
		}
		// Made responsible for a case, a salesperson sees it.
		c.cs.MustDo(t, "PATCH", url(csCase, ""), map[string]any{"version": csCase.Version, "responsible_user_id": c.sales2.UserID}, 200, nil)
		if s := ids(c.sales2); !s[csCase.ID] {
			t.Error("the responsible salesperson does not see the case")
		}
		var q struct{ Items []complaintView }
		c.sales2.MustDo(t, "GET", "/api/v1/complaints?mine=true", nil, 200, &q)
		if len(q.Items) != 1 || q.Items[0].ID != csCase.ID {
			t.Errorf("mine=true: %+v", q.Items)
		}
	})
}
