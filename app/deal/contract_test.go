package deal_test

// Contracts (SAL-5, IAM-7): the standard rows for every endpoint, and the review flow under
// the approval tiers at their boundaries (999.99 / 1000 / 5000 / 5000.01), with a foreign
// currency converted at the tenant's rate, no self-approval, rejection and resubmission,
// signing and its event.

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

func TestContractAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		warehouse := acme.AddUser(t, "warehouse")
		cust := newCustomer(t, sales, "华北贸易")
		foreignCust := newCustomer(t, other.Owner, "别家")
		foreign := newContract(t, other.Owner, foreignCust, cny("10"), nil)
		body := map[string]any{"title": "年度供货", "customer_id": cust, "amount": cny("800.00"), "start_date": "2026-01-01", "end_date": "2026-12-31"}
		var c contract
		env.Run(t, []apitest.Scenario{
			{Name: "create: no login", Method: "POST", URL: "/api/v1/contracts", Body: body, Status: 401},
			{Name: "create: other tenant's customer", Method: "POST", URL: "/api/v1/contracts", As: sales,
				Body: map[string]any{"title": "x", "customer_id": foreignCust, "amount": cny("1")}, Status: 422, Contains: []string{"customer_id"}},
			{Name: "create: wrong role", Method: "POST", URL: "/api/v1/contracts", As: warehouse, Body: body, Status: 403},
			{Name: "create: unknown renewed contract", Method: "POST", URL: "/api/v1/contracts", As: sales,
				Body: map[string]any{"title": "x", "customer_id": cust, "amount": cny("1"), "renewal_of_id": foreign.ID}, Status: 422, Contains: []string{"renewal_of_id"}},
			{Name: "create: end before start", Method: "POST", URL: "/api/v1/contracts", As: sales,
				Body: map[string]any{"title": "x", "customer_id": cust, "amount": cny("1"), "start_date": "2026-02-01", "end_date": "2026-01-01"}, Status: 422, Contains: []string{"end_date"}},
			{Name: "create: success", Method: "POST", URL: "/api/v1/contracts", As: sales, Body: body, Status: 201,
				Contains: []string{`"status":"draft"`, `"party_b":"华北贸易"`, `"amount":{"amount":"800.00","currency":"CNY"}`},
				Check:    func(t *testing.T, r *apitest.Response) { r.JSON(t, &c) }},
		})
		if c.PartyA == "" || c.Number == "" {
			t.Fatalf("defaults: %+v", c)
		}
		url := "/api/v1/contracts/" + c.ID.String()
		fURL := "/api/v1/contracts/" + foreign.ID.String()
		missing := "/api/v1/contracts/" + uuid.NewString()
		env.Run(t, []apitest.Scenario{
			{Name: "get: no login", Method: "GET", URL: url, Status: 401},
			{Name: "get: other tenant", Method: "GET", URL: fURL, As: sales, Status: 404},
			{Name: "get: wrong role", Method: "GET", URL: url, As: warehouse, Status: 403},
			{Name: "get: not found", Method: "GET", URL: missing, As: sales, Status: 404},
			{Name: "get: success", Method: "GET", URL: url, As: sales, Status: 200},
			{Name: "list: no login", Method: "GET", URL: "/api/v1/contracts", Status: 401},
			{Name: "list: other tenant", Method: "GET", URL: "/api/v1/contracts", As: other.Owner, Status: 200, NotContains: []string{c.ID.String()}},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/contracts", As: warehouse, Status: 403},
			{Name: "list: invalid", Method: "GET", URL: "/api/v1/contracts?status=done", As: sales, Status: 422},
			{Name: "list: success", Method: "GET", URL: "/api/v1/contracts?status=draft&overdue=false", As: sales, Status: 200, Contains: []string{c.ID.String()}},
			{Name: "patch: no login", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "terms": "x"}, Status: 401},
			{Name: "patch: other tenant", Method: "PATCH", URL: fURL, As: sales, Body: map[string]any{"version": 1, "terms": "x"}, Status: 404},
			{Name: "patch: wrong role", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 1, "terms": "x"}, Status: 403},
			{Name: "patch: not found", Method: "PATCH", URL: missing, As: sales, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "patch: invalid", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "amount": cny("abc")}, Status: 422},
			{Name: "patch: success", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "terms": "货到付款", "amount": cny("999.99")}, Status: 200,
				Contains: []string{`"terms":"货到付款"`, `"version":2`}},
			{Name: "submit: no login", Method: "POST", URL: url + "/submit", Body: map[string]any{"version": 2}, Status: 401},
			{Name: "submit: other tenant", Method: "POST", URL: fURL + "/submit", As: sales, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "submit: wrong role", Method: "POST", URL: url + "/submit", As: warehouse, Body: map[string]any{"version": 2}, Status: 403},
			{Name: "submit: not found", Method: "POST", URL: missing + "/submit", As: sales, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "submit: invalid", Method: "POST", URL: url + "/submit", As: sales, Body: map[string]any{}, Status: 422},
			{Name: "submit: success", Method: "POST", URL: url + "/submit", As: sales, Body: map[string]any{"version": 2}, Status: 200,
				Contains: []string{`"status":"under_review"`, `"approver_role":"sales_manager"`}},
			{Name: "patch under review: locked", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 3, "terms": "x"}, Status: 409},
			{Name: "approve: no login", Method: "POST", URL: url + "/approve", Body: map[string]any{"version": 3}, Status: 401},
			{Name: "approve: other tenant", Method: "POST", URL: fURL + "/approve", As: acme.Owner, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "approve: wrong role", Method: "POST", URL: url + "/approve", As: sales, Body: map[string]any{"version": 3}, Status: 403},
			{Name: "approve: not found", Method: "POST", URL: missing + "/approve", As: acme.Owner, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "approve: invalid", Method: "POST", URL: url + "/approve", As: acme.Owner, Body: map[string]any{"version": "three"}, Status: 422},
			{Name: "reject: no login", Method: "POST", URL: url + "/reject", Body: map[string]any{"version": 3, "comment": "x"}, Status: 401},
			{Name: "reject: other tenant", Method: "POST", URL: fURL + "/reject", As: acme.Owner, Body: map[string]any{"version": 1, "comment": "x"}, Status: 404},
			{Name: "reject: wrong role", Method: "POST", URL: url + "/reject", As: sales, Body: map[string]any{"version": 3, "comment": "x"}, Status: 403},
			{Name: "reject: not found", Method: "POST", URL: missing + "/reject", As: acme.Owner, Body: map[string]any{"version": 1, "comment": "x"}, Status: 404},
			{Name: "reject: no comment", Method: "POST", URL: url + "/reject", As: acme.Owner, Body: map[string]any{"version": 3}, Status: 422, Contains: []string{"comment"}},
			{Name: "reject: success", Method: "POST", URL: url + "/reject", As: acme.Owner, Body: map[string]any{"version": 3, "comment": "价格需复核"}, Status: 200,
				Contains: []string{`"status":"rejected"`, `"review_comment":"价格需复核"`}},
			{Name: "resubmit after a change", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 4, "amount": cny("900.00")}, Status: 200},
			{Name: "submit again", Method: "POST", URL: url + "/submit", As: sales, Body: map[string]any{"version": 5}, Status: 200},
			{Name: "sign before approval", Method: "POST", URL: url + "/sign", As: sales, Body: map[string]any{"version": 6}, Status: 409},
			{Name: "approve: success", Method: "POST", URL: url + "/approve", As: acme.Owner, Body: map[string]any{"version": 6}, Status: 200,
				Contains: []string{`"status":"approved"`, `"reviewed_by":"` + acme.Owner.UserID.String()}},
			{Name: "sign: no login", Method: "POST", URL: url + "/sign", Body: map[string]any{"version": 7}, Status: 401},
			{Name: "sign: other tenant", Method: "POST", URL: fURL + "/sign", As: sales, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "sign: wrong role", Method: "POST", URL: url + "/sign", As: warehouse, Body: map[string]any{"version": 7}, Status: 403},
			{Name: "sign: not found", Method: "POST", URL: missing + "/sign", As: sales, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "sign: invalid date", Method: "POST", URL: url + "/sign", As: sales, Body: map[string]any{"version": 7, "signed_on": "2026-13-01"}, Status: 422},
			{Name: "sign: success", Method: "POST", URL: url + "/sign", As: sales, Body: map[string]any{"version": 7, "signed_on": "2026-01-05"}, Status: 200,
				Contains: []string{`"status":"signed"`, `"signed_on":"2026-01-05"`}},
			{Name: "sign twice", Method: "POST", URL: url + "/sign", As: sales, Body: map[string]any{"version": 8}, Status: 409},
		})
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", c.ID, "contract.signed"); n != 1 {
			t.Errorf("%d contract.signed events", n)
		}
		if n := env.CountRows(t, "audit_log", "entity = ? AND entity_id = ?", "contract", c.ID.String()); n < 8 {
			t.Errorf("%d audit entries", n)
		}
	})
}

func TestContractApprovalTiers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sm := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &sm.UserID}, "salesperson")
		vp := acme.AddUser(t, "vice_president")
		gm := acme.AddUser(t, "general_manager")
		finance := acme.AddUser(t, "finance")
		cust := newCustomer(t, sales, "上海仪器")

		submit := func(amount map[string]any) contract {
			t.Helper()
			c := newContract(t, sales, cust, amount, nil)
			sales.MustDo(t, "POST", "/api/v1/contracts/"+c.ID.String()+"/submit", map[string]any{"version": c.Version}, 200, &c)
			return c
		}
		approve := func(as *apitest.Client, c *contract, want int) {
			t.Helper()
			r := as.MustDo(t, "POST", "/api/v1/contracts/"+c.ID.String()+"/approve", map[string]any{"version": c.Version}, want, nil)
			if want == 200 {
				r.JSON(t, c)
			}
		}
		cases := []struct {
			amount   map[string]any
			approver string
			denied   []*apitest.Client
			allowed  *apitest.Client
		}{
			{cny("999.99"), "sales_manager", nil, sm},
			{cny("1000.00"), "vice_president", []*apitest.Client{sm}, vp},
			{cny("4999.99"), "vice_president", []*apitest.Client{sm}, vp},
			{cny("5000.00"), "general_manager", []*apitest.Client{sm, vp}, gm},
			{cny("5000.01"), "general_manager", []*apitest.Client{sm, vp}, gm},
			{cny("1000.00"), "vice_president", nil, gm}, // a more senior role may approve
		}
		for _, tc := range cases {
			c := submit(tc.amount)
			if c.ApproverRole != tc.approver {
				t.Errorf("%v: approver %s, want %s", tc.amount, c.ApproverRole, tc.approver)
			}
			for _, d := range tc.denied {
				r := d.Do(t, "POST", "/api/v1/contracts/"+c.ID.String()+"/approve", map[string]any{"version": c.Version})
				if r.Status != 403 || r.Problem(t).Code != "forbidden" {
					t.Errorf("%v by %v: %d %s", tc.amount, d.Roles, r.Status, r.Body)
				}
			}
			approve(tc.allowed, &c, 200)
			if c.Status != "approved" {
				t.Errorf("%v: %s", tc.amount, c.Status)
			}
		}

		// A foreign currency is converted at the rate valid on the submission day: 200 USD at
		// 7.2 is 1,440 CNY, a vice president's approval. Finance records rates.
		sales.MustDo(t, "POST", "/api/v1/exchange-rates", map[string]any{"currency": "USD", "rate_to_base": "7.2", "valid_from": "2020-01-01"}, 403, nil)
		finance.MustDo(t, "POST", "/api/v1/exchange-rates", map[string]any{"currency": "USD", "rate_to_base": "7.2", "valid_from": "2020-01-01"}, 201, nil)
		usd := submit(map[string]any{"amount": "200.00", "currency": "USD"})
		if usd.ApproverRole != "vice_president" {
			t.Errorf("USD 200: approver %s", usd.ApproverRole)
		}
		approve(sm, &usd, 403)
		approve(vp, &usd, 200)
		// Without a rate the amount cannot be placed in a tier.
		jpy := newContract(t, sales, cust, map[string]any{"amount": "100000", "currency": "JPY"}, nil)
		r := sales.Do(t, "POST", "/api/v1/contracts/"+jpy.ID.String()+"/submit", map[string]any{"version": jpy.Version})
		if r.Status != 409 {
			t.Errorf("JPY without a rate: %d %s", r.Status, r.Body)
		}

		// Nobody approves their own submission, not even the owner: another owner does.
		own := newContract(t, sm, newCustomer(t, sm, "经理客户"), cny("100"), nil)
		sm.MustDo(t, "POST", "/api/v1/contracts/"+own.ID.String()+"/submit", map[string]any{"version": own.Version}, 200, &own)
		approve(sm, &own, 403)
		approve(gm, &own, 200)
		mine := newContract(t, acme.Owner, cust, cny("100000"), nil)
		acme.Owner.MustDo(t, "POST", "/api/v1/contracts/"+mine.ID.String()+"/submit", map[string]any{"version": mine.Version}, 200, &mine)
		approve(acme.Owner, &mine, 403)
		approve(acme.AddUser(t, "owner"), &mine, 200)
	})
}

// TestSigningWinsTheOpportunity: a signed contract closes its opportunity as won, with the
// stage history and event a manual win has; contracts without one change nothing.
func TestSigningWinsTheOpportunity(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sm := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &sm.UserID}, "salesperson")
		cust := newCustomer(t, sales, "签约即赢单客户")
		var opp struct {
			ID           uuid.UUID `json:"id"`
			Stage        string    `json:"stage"`
			Probability  int       `json:"probability"`
			Version      int64     `json:"version"`
			StageHistory []struct {
				From string `json:"from_stage"`
				To   string `json:"to_stage"`
			} `json:"stage_history"`
		}
		sales.MustDo(t, "POST", "/api/v1/opportunities", map[string]any{"name": "年度框架", "customer_id": cust, "amount": cny("800"), "stage": "negotiation"}, 201, &opp)
		c := signed(t, sales, sm, cust, cny("800.00"), map[string]any{"opportunity_id": opp.ID})
		if c.Status != "signed" {
			t.Fatalf("contract %+v", c)
		}
		sales.MustDo(t, "GET", "/api/v1/opportunities/"+opp.ID.String(), nil, 200, &opp)
		if opp.Stage != "won" || opp.Probability != 100 {
			t.Errorf("opportunity after the signature: %+v", opp)
		}
		if h := opp.StageHistory; len(h) == 0 || h[len(h)-1].To != "won" {
			t.Errorf("stage history: %+v", h)
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", opp.ID, "opportunity.stage_changed"); n != 1 {
			t.Errorf("%d stage_changed events", n)
		}
		// A second contract on the won opportunity leaves it as it is.
		signed(t, sales, sm, cust, cny("100.00"), map[string]any{"opportunity_id": opp.ID})
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", opp.ID, "opportunity.stage_changed"); n != 1 {
			t.Errorf("%d stage_changed events after a second contract", n)
		}
	})
}

// TestApprovalsOnTaskList: GET /me/tasks lists the contracts waiting for the user's review —
// those Review would let them approve — and drops them once reviewed.
func TestApprovalsOnTaskList(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sm := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &sm.UserID}, "salesperson")
		vp := acme.AddUser(t, "vice_president")
		cust := newCustomer(t, sales, "待审合同客户")
		submit := func(amount string) contract {
			c := newContract(t, sales, cust, cny(amount), nil)
			sales.MustDo(t, "POST", "/api/v1/contracts/"+c.ID.String()+"/submit", map[string]any{"version": c.Version}, 200, &c)
			return c
		}
		small, large := submit("800.00"), submit("3000.00")
		waiting := func(as *apitest.Client) []string {
			t.Helper()
			var tasks struct {
				Approvals []struct {
					ID     string `json:"id"`
					Entity string `json:"entity"`
				} `json:"approvals"`
			}
			as.MustDo(t, "GET", "/api/v1/me/tasks", nil, 200, &tasks)
			var ids []string
			for _, a := range tasks.Approvals {
				if a.Entity != "contract" {
					t.Errorf("approval entity %q", a.Entity)
				}
				ids = append(ids, a.ID)
			}
			return ids
		}
		same := func(who string, got []string, want ...contract) {
			t.Helper()
			var w []string
			for _, c := range want {
				w = append(w, c.ID.String())
			}
			if strings.Join(got, ",") != strings.Join(w, ",") {
				t.Errorf("%s waits for %v, want %v", who, got, w)
			}
		}
		same("the sales manager (tier up to 999.99)", waiting(sm), small)
		same("the vice president (up to 4999.99, and below)", waiting(vp), small, large)
		same("the salesperson who submitted them", waiting(sales))
		same("another tenant's owner", waiting(other.Owner))
		sm.MustDo(t, "POST", "/api/v1/contracts/"+small.ID.String()+"/approve", map[string]any{"version": small.Version}, 200, nil)
		same("the sales manager after approving", waiting(sm))
		same("the vice president after the approval", waiting(vp), large)
	})
}
