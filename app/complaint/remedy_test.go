package complaint_test

// Remedies under the approval tiers (第27條), the repair's work order, the return note through
// the warehouse and finance (第29條), penalties for the general manager (第28條), the
// approver's task list and the monthly review.

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

func TestRemedyTiers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		v := c.move(t, c.cs, c.open(t, c.cs, nil), "investigating")
		approve := func(as *apitest.Client, r remedyView) *apitest.Response {
			return as.Do(t, "POST", "/api/v1/remedies/"+r.ID.String()+"/approve", map[string]any{"comment": "同意"})
		}
		for _, tc := range []struct {
			amount  string
			role    string
			refused *apitest.Client // a role just below the tier: 403
			ok      *apitest.Client
		}{
			{"999.99", "sales_manager", nil, c.salesMgr},
			{"1000.00", "vice_president", c.salesMgr, c.vp},
			{"4999.99", "vice_president", c.salesMgr, c.vp},
			{"5000.00", "general_manager", c.vp, c.gm},
			{"5000.01", "general_manager", c.vp, c.gm},
		} {
			r := c.propose(t, v, map[string]any{"kind": "discount", "amount": cny(tc.amount), "description": "销货折扣"})
			if r.ApproverRole != tc.role {
				t.Errorf("%s: approver %s, want %s", tc.amount, r.ApproverRole, tc.role)
			}
			if tc.refused != nil {
				if resp := approve(tc.refused, r); resp.Status != 403 || resp.Problem(t).Code != "forbidden" {
					t.Errorf("%s approved below the tier: %d %s", tc.amount, resp.Status, resp.Body)
				}
			}
			// Customer service has no approval at all.
			if resp := approve(c.cs, r); resp.Status != 403 {
				t.Errorf("%s by customer service: %d", tc.amount, resp.Status)
			}
			var got remedyView
			if resp := approve(tc.ok, r); resp.Status != 200 {
				t.Fatalf("%s by %s: %d %s", tc.amount, tc.role, resp.Status, resp.Body)
			} else {
				resp.JSON(t, &got)
			}
			if got.Status != "approved" {
				t.Errorf("%s: %s", tc.amount, got.Status)
			}
			if resp := approve(tc.ok, r); resp.Status != 409 {
				t.Errorf("%s approved twice: %d", tc.amount, resp.Status)
			}
		}
		// An amount without a currency is in the tenant's.
		plain := c.propose(t, v, map[string]any{"kind": "compensation", "amount": map[string]any{"amount": "10.50"}, "description": "无币种"})
		if plain.Amount == nil || plain.Amount.Currency != "CNY" || plain.Amount.Amount != "10.5" && plain.Amount.Amount != "10.50" {
			t.Errorf("amount without currency: %+v", plain.Amount)
		}
		// A higher role may approve what a lower one may.
		r := c.propose(t, v, map[string]any{"kind": "compensation", "amount": cny("10.00"), "description": "运费"})
		if resp := approve(c.gm, r); resp.Status != 200 {
			t.Errorf("general manager on a small amount: %d", resp.Status)
		}

		// The tenant changes its tiers: 2,000 is now the sales manager's and above 2,000 the
		// vice president's. A remedy proposed before keeps its approver.
		before := c.propose(t, v, map[string]any{"kind": "discount", "amount": cny("1500.00"), "description": "旧档位"})
		c.co.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"approval_tiers": []map[string]any{
			{"max_amount": "2000", "role": "sales_manager"}, {"max_amount": nil, "role": "vice_president"}}}, 200, nil)
		after := c.propose(t, v, map[string]any{"kind": "discount", "amount": cny("1500.00"), "description": "新档位"})
		big := c.propose(t, v, map[string]any{"kind": "discount", "amount": cny("9000.00"), "description": "大额"})
		if before.ApproverRole != "vice_president" || after.ApproverRole != "sales_manager" || big.ApproverRole != "vice_president" {
			t.Errorf("after the tiers changed: before %s, after %s, 9000 %s", before.ApproverRole, after.ApproverRole, big.ApproverRole)
		}
		if resp := approve(c.salesMgr, after); resp.Status != 200 {
			t.Errorf("1500 by the sales manager under the new tiers: %d", resp.Status)
		}
		if resp := approve(c.salesMgr, before); resp.Status != 403 {
			t.Errorf("1500 proposed under the old tiers, by the sales manager: %d", resp.Status)
		}

		// Input the rules refuse, writing nothing.
		n := env.CountRows(t, "complaint_remedies", "complaint_id = ?", v.ID)
		for _, b := range []map[string]any{
			{"kind": "discount", "description": "缺金额"},
			{"kind": "return", "description": "缺数量"},
			{"kind": "discount", "amount": cny("-1"), "description": "负数"},
			{"kind": "discount", "amount": map[string]any{"amount": "10", "currency": "USD"}, "description": "外币"},
			{"kind": "gift", "description": "未知"},
		} {
			if resp := c.cs.Do(t, "POST", url(v, "/remedies"), b); resp.Status != 422 || resp.Problem(t).Code != "validation_failed" {
				t.Errorf("%v: %d %s", b, resp.Status, resp.Body)
			}
		}
		if m := env.CountRows(t, "complaint_remedies", "complaint_id = ?", v.ID); m != n {
			t.Errorf("refused remedies wrote %d rows", m-n)
		}
		// The proposer never decides their own: the customer-service manager (service_manager,
		// who may update and approve complaints) proposes 100 and cannot approve it.
		var own remedyView
		c.csManager.MustDo(t, "POST", url(v, "/remedies"), map[string]any{"kind": "compensation", "amount": cny("100"), "description": "经理自己提"}, 201, &own)
		if resp := approve(c.csManager, own); resp.Status != 403 {
			t.Errorf("approving one's own remedy: %d", resp.Status)
		}
		if resp := approve(c.salesMgr, own); resp.Status != 200 {
			t.Errorf("another approver: %d", resp.Status)
		}
	})
}

func TestRepairOpensWorkOrder(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		v := c.move(t, c.cs, c.open(t, c.cs, nil), "investigating")
		r := c.propose(t, v, map[string]any{"kind": "repair", "description": "上门更换轴承"})
		if r.ApproverRole != "sales_manager" {
			t.Errorf("a repair without amount: approver %s", r.ApproverRole)
		}
		c.salesMgr.MustDo(t, "POST", "/api/v1/remedies/"+r.ID.String()+"/approve", map[string]any{}, 200, &r)
		if r.WorkOrderID == nil {
			t.Fatal("approved repair without a work order")
		}
		var w struct {
			Status       string    `json:"status"`
			CustomerID   uuid.UUID `json:"customer_id"`
			RegisteredBy uuid.UUID `json:"registered_by"`
		}
		c.cs.MustDo(t, "GET", "/api/v1/work-orders/"+r.WorkOrderID.String(), nil, 200, &w)
		if w.Status != "registered" || w.CustomerID != c.customer || w.RegisteredBy != c.cs.UserID {
			t.Errorf("work order %+v", w)
		}
		// A rejected repair opens nothing.
		r2 := c.propose(t, v, map[string]any{"kind": "repair", "description": "再修一次"})
		c.salesMgr.MustDo(t, "POST", "/api/v1/remedies/"+r2.ID.String()+"/reject", map[string]any{"comment": "不需要"}, 200, &r2)
		if r2.Status != "rejected" || r2.WorkOrderID != nil {
			t.Errorf("rejected repair %+v", r2)
		}
	})
}

func TestReturnNote(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		v := c.move(t, c.cs, c.open(t, c.cs, nil), "investigating")
		ret := c.propose(t, v, map[string]any{"kind": "return", "quantity": 12, "amount": cny("2400.00"), "description": "退回 12 件"})
		rurl := "/api/v1/remedies/" + ret.ID.String()
		// Not approved yet: nothing to receive.
		if r := c.warehouse.Do(t, "POST", rurl+"/return-receipt", map[string]any{"quantity_received": 12}); r.Status != 409 {
			t.Errorf("receiving before approval: %d", r.Status)
		}
		c.vp.MustDo(t, "POST", rurl+"/approve", map[string]any{}, 200, nil)
		// Finance does not receive, the warehouse does not post.
		if r := c.finance.Do(t, "POST", rurl+"/return-receipt", map[string]any{"quantity_received": 12}); r.Status != 403 {
			t.Errorf("finance receiving: %d", r.Status)
		}
		if r := c.warehouse.Do(t, "POST", rurl+"/post", nil); r.Status != 403 {
			t.Errorf("warehouse posting: %d", r.Status)
		}
		if r := c.warehouse.Do(t, "POST", rurl+"/return-receipt", map[string]any{"quantity_received": -1}); r.Status != 422 {
			t.Errorf("negative quantity: %d", r.Status)
		}
		if r := c.finance.Do(t, "POST", rurl+"/post", nil); r.Status != 409 {
			t.Errorf("posting before receipt: %d", r.Status)
		}
		var got remedyView
		c.warehouse.MustDo(t, "POST", rurl+"/return-receipt", map[string]any{"quantity_received": 10}, 200, &got)
		if got.Status != "received" || got.QuantityReceived == nil || *got.QuantityReceived != 10 {
			t.Fatalf("received %+v", got)
		}
		// 10 returned against 12 approved: finance's check fails and nothing is posted.
		r := c.finance.Do(t, "POST", rurl+"/post", nil)
		if r.Status != 422 {
			t.Fatalf("post with a quantity mismatch: %d %s", r.Status, r.Body)
		}
		r.Problem(t).WantField(t, "quantity_received", "quantity_mismatch")
		if n := env.CountRows(t, "complaint_remedies", "id = ? AND status = ?", ret.ID, "received"); n != 1 {
			t.Error("the refused post changed the return")
		}

		// A return received in full posts.
		ok := c.propose(t, v, map[string]any{"kind": "return", "quantity": 3, "description": "退回 3 件"})
		ourl := "/api/v1/remedies/" + ok.ID.String()
		c.salesMgr.MustDo(t, "POST", ourl+"/approve", map[string]any{}, 200, nil)
		c.warehouse.MustDo(t, "POST", ourl+"/return-receipt", map[string]any{"quantity_received": 3}, 200, nil)
		c.finance.MustDo(t, "POST", ourl+"/post", nil, 200, &got)
		if got.Status != "posted" {
			t.Errorf("posted: %s", got.Status)
		}
		if r := c.finance.Do(t, "POST", ourl+"/post", nil); r.Status != 409 {
			t.Errorf("posting twice: %d", r.Status)
		}
		// Warehouse and finance read the case's remedies.
		var list struct{ Items []remedyView }
		c.warehouse.MustDo(t, "GET", url(v, "/remedies"), nil, 200, &list)
		if len(list.Items) != 2 {
			t.Errorf("%d remedies", len(list.Items))
		}
	})
}

func TestPenaltiesTasksAndReview(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		v := c.move(t, c.cs, c.open(t, c.cs, nil), "investigating")
		rem := c.propose(t, v, map[string]any{"kind": "compensation", "amount": cny("3000"), "description": "赔偿"})
		v = c.move(t, c.cs, v, "plan_proposed")

		// The vice president's task list has the remedy; the sales manager's does not.
		type tasks struct {
			Approvals []struct {
				ID     uuid.UUID `json:"id"`
				Entity string    `json:"entity"`
			} `json:"approvals"`
		}
		has := func(as *apitest.Client, id uuid.UUID) bool {
			var tk tasks
			as.MustDo(t, "GET", "/api/v1/me/tasks", nil, 200, &tk)
			for _, a := range tk.Approvals {
				if a.ID == id {
					return true
				}
			}
			return false
		}
		if !has(c.vp, rem.ID) || has(c.salesMgr, rem.ID) || has(c.cs, rem.ID) {
			t.Errorf("remedy on task lists: vp %v, sales manager %v, cs %v", has(c.vp, rem.ID), has(c.salesMgr, rem.ID), has(c.cs, rem.ID))
		}

		var p struct {
			ID           uuid.UUID `json:"id"`
			Status       string    `json:"status"`
			ApproverRole string    `json:"approver_role"`
		}
		c.cs.MustDo(t, "POST", url(v, "/penalties"), map[string]any{"user_id": c.sales1.UserID, "kind": "bonus_deduction",
			"amount": cny("200"), "reason": "未及时反馈客户异常"}, 201, &p)
		if p.Status != "pending" || p.ApproverRole != "general_manager" {
			t.Errorf("penalty %+v", p)
		}
		for _, b := range []map[string]any{
			{"kind": "administrative", "reason": "无对象"},
			{"user_id": c.sales1.UserID, "department_id": c.co.Departments["Sales"], "kind": "administrative", "reason": "两个对象"},
			{"user_id": c.sales1.UserID, "kind": "bonus_deduction", "reason": "缺金额"},
			{"user_id": uuid.Must(uuid.NewV7()), "kind": "administrative", "reason": "不存在的人"},
		} {
			if r := c.cs.Do(t, "POST", url(v, "/penalties"), b); r.Status != 422 {
				t.Errorf("%v: %d", b, r.Status)
			}
		}
		if !has(c.gm, p.ID) || has(c.vp, p.ID) {
			t.Error("the penalty belongs on the general manager's task list only")
		}
		if r := c.vp.Do(t, "POST", "/api/v1/penalties/"+p.ID.String()+"/approve", map[string]any{}); r.Status != 403 {
			t.Errorf("vice president approving a penalty: %d", r.Status)
		}
		c.gm.MustDo(t, "POST", "/api/v1/penalties/"+p.ID.String()+"/approve", map[string]any{}, 200, &p)
		if p.Status != "approved" {
			t.Errorf("penalty %s", p.Status)
		}

		// Close a case this month and review: the review lists the month's closed cases.
		c.vp.MustDo(t, "POST", "/api/v1/remedies/"+rem.ID.String()+"/approve", map[string]any{}, 200, nil)
		v = c.move(t, c.cs, c.move(t, c.cs, c.move(t, c.cs, c.get(t, v), "resolving"), "resolved"), "closed")
		ne := c.move(t, c.cs, c.open(t, c.cs, nil), "investigating")
		c.cs.MustDo(t, "POST", url(ne, "/transition"), map[string]any{"to": "closed", "outcome": "not_established"}, 200, nil)
		month := time.Now().In(shanghai(t)).Format("2006-01")
		var rv struct {
			Month string `json:"month"`
			Items []struct {
				Complaint struct {
					ID      uuid.UUID `json:"id"`
					Outcome string    `json:"outcome"`
				} `json:"complaint"`
				Remedies  []remedyView `json:"remedies"`
				Penalties []struct {
					Status string `json:"status"`
				} `json:"penalties"`
			} `json:"items"`
			Counts map[string]int `json:"counts"`
		}
		c.gm.MustDo(t, "GET", "/api/v1/complaints/review?month="+month, nil, 200, &rv)
		if rv.Month != month || len(rv.Items) != 2 || rv.Counts["resolved"] != 1 || rv.Counts["not_established"] != 1 {
			t.Fatalf("review %+v", rv)
		}
		if rv.Items[0].Complaint.ID != v.ID || len(rv.Items[0].Remedies) != 1 || len(rv.Items[0].Penalties) != 1 {
			t.Errorf("first item %+v", rv.Items[0])
		}
		// Last month (the default) has none of them.
		var last struct{ Items []any }
		c.gm.MustDo(t, "GET", "/api/v1/complaints/review", nil, 200, &last)
		if len(last.Items) != 0 {
			t.Errorf("the default month lists %d", len(last.Items))
		}
		if r := c.gm.Do(t, "GET", "/api/v1/complaints/review?month=2026-13", nil); r.Status != 422 {
			t.Errorf("month 13: %d", r.Status)
		}
	})
}
