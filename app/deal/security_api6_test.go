package deal_test

import (
	"testing"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/problem"
)

// TestAPI6ApprovalsCannotBeDodged (OWASP API6, sensitive business flows): a contract's approver
// role is fixed when it is submitted, from the exchange rate valid then, and a rate recorded
// afterwards — even backdated to before the submission — does not move it, at either tier
// boundary (1,000 and 5,000 CNY). Nobody approves a contract they own or submitted: 403
// approve_own, the contract stays under review.
func TestAPI6ApprovalsCannotBeDodged(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sm := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &sm.UserID}, "salesperson")
		vp := acme.AddUser(t, "vice_president")
		gm := acme.AddUser(t, "general_manager")
		gm2 := acme.AddUser(t, "general_manager")
		finance := acme.AddUser(t, "finance")
		cust := newCustomer(t, sales, "汇率客户")
		finance.MustDo(t, "POST", "/api/v1/exchange-rates", map[string]any{"currency": "USD", "rate_to_base": "8", "valid_from": "2020-01-01"}, 201, nil)

		submit := func(as *apitest.Client, amount string) contract {
			t.Helper()
			c := newContract(t, as, cust, map[string]any{"amount": amount, "currency": "USD"}, nil)
			as.MustDo(t, "POST", "/api/v1/contracts/"+c.ID.String()+"/submit", map[string]any{"version": c.Version}, 200, &c)
			return c
		}
		deny := func(as *apitest.Client, c contract, key string, args ...any) {
			t.Helper()
			r := as.Do(t, "POST", "/api/v1/contracts/"+c.ID.String()+"/approve", map[string]any{"version": c.Version})
			if r.Status != 403 {
				t.Errorf("approve %s by %v: %d %s, want 403", c.Number, as.Roles, r.Status, r.Body)
				return
			}
			if p := r.Problem(t); p.Code != "forbidden" || p.Detail != problem.Message("en", key, args...) {
				t.Errorf("approve %s by %v: %+v, want %s", c.Number, as.Roles, p, key)
			}
		}
		approve := func(as *apitest.Client, c contract) {
			t.Helper()
			var out contract
			as.MustDo(t, "POST", "/api/v1/contracts/"+c.ID.String()+"/approve", map[string]any{"version": c.Version}, 200, &out)
			if out.Status != "approved" {
				t.Errorf("approve %s: %s", c.Number, out.Status)
			}
		}

		// At 8 CNY per USD: 125.00 USD is 1,000.00 CNY (vice president), 625.00 USD is 5,000.00
		// CNY (general manager), 124.99 USD is 999.92 CNY (sales manager).
		atVP, atGM, belowVP := submit(sales, "125.00"), submit(sales, "625.00"), submit(sales, "124.99")
		for c, want := range map[*contract]string{&atVP: "vice_president", &atGM: "general_manager", &belowVP: "sales_manager"} {
			if c.ApproverRole != want {
				t.Errorf("%s: approver %s, want %s", c.Number, c.ApproverRole, want)
			}
		}
		// A lower rate backdated to before the submissions would put the first two a tier lower
		// (987.50 and 4,937.50 CNY); a higher later one the last a tier higher. Neither moves them.
		finance.MustDo(t, "POST", "/api/v1/exchange-rates", map[string]any{"currency": "USD", "rate_to_base": "7.9", "valid_from": "2021-01-01"}, 201, nil)
		deny(sm, atVP, "approval_tier", "vice_president")
		deny(vp, atGM, "approval_tier", "general_manager")
		approve(vp, atVP)
		approve(gm, atGM)
		finance.MustDo(t, "POST", "/api/v1/exchange-rates", map[string]any{"currency": "USD", "rate_to_base": "9", "valid_from": "2022-01-01"}, 201, nil)
		approve(sm, belowVP)

		// Own contracts: the general manager's own contract, submitted by the owner, and the
		// sales manager's own submission, are for someone else to approve.
		gmCust := newCustomer(t, gm, "总经理的客户")
		mine := newContract(t, gm, gmCust, map[string]any{"amount": "9000.00", "currency": "CNY"}, nil)
		acme.Owner.MustDo(t, "POST", "/api/v1/contracts/"+mine.ID.String()+"/submit", map[string]any{"version": mine.Version}, 200, &mine)
		deny(gm, mine, "approve_own")
		smOwn := newContract(t, sm, newCustomer(t, sm, "经理自己的客户"), map[string]any{"amount": "10.00", "currency": "CNY"}, nil)
		sm.MustDo(t, "POST", "/api/v1/contracts/"+smOwn.ID.String()+"/submit", map[string]any{"version": smOwn.Version}, 200, &smOwn)
		deny(sm, smOwn, "approve_own")
		for _, c := range []contract{mine, smOwn} {
			var now contract
			acme.Owner.MustDo(t, "GET", "/api/v1/contracts/"+c.ID.String(), nil, 200, &now)
			if now.Status != "under_review" || now.ReviewedBy != nil {
				t.Errorf("%s after refused approvals: %+v", c.Number, now)
			}
		}
		approve(gm2, mine)
		approve(gm, smOwn)
	})
}
