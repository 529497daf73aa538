package risk_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

type check struct {
	Exceeds       bool       `json:"exceeds"`
	ApproverRole  string     `json:"approver_role"`
	EscalatedRole string     `json:"escalated_role"`
	Reason        string     `json:"reason"`
	Exposure      moneyJSON  `json:"exposure"`
	After         moneyJSON  `json:"after"`
	Limit         *moneyJSON `json:"limit"`
}

// A contract whose customer would go over its limit is not refused: the salesperson sees why
// before submitting, and it goes to the next approval tier with the reason for the approver.
func TestOverLimitContractGoesToTheNextTier(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		other := newCompany(t, env)
		c.assess(t, c.gm, c.cust1, "5000")
		c.signed(t, c.sales1, c.cust1, cny("4000"))

		k := c.draft(t, c.sales1, c.cust1, cny("1500"))
		cu := "/api/v1/contracts/" + k.ID.String() + "/credit-check"
		env.Run(t, []apitest.Scenario{
			{Name: "check: no login", Method: "GET", URL: cu, Status: 401},
			{Name: "check: another tenant", Method: "GET", URL: cu, As: other.gm, Status: 404},
			{Name: "check: wrong role", Method: "GET", URL: cu, As: c.tech, Status: 403},
			{Name: "check: outside the scope", Method: "GET", URL: cu, As: c.sales2, Status: 404},
			{Name: "check: missing", Method: "GET", URL: "/api/v1/contracts/" + uuid.Must(uuid.NewV7()).String() + "/credit-check", As: c.gm, Status: 404},
			{Name: "check: not an ID", Method: "GET", URL: "/api/v1/contracts/x/credit-check", As: c.gm, Status: 404},
		})
		var ck check
		c.sales1.MustDo(t, "GET", cu, nil, 200, &ck)
		if !ck.Exceeds || ck.ApproverRole != "vice_president" || ck.EscalatedRole != "general_manager" || ck.Exposure.Amount != "4000.00" ||
			ck.After.Amount != "5500.00" || ck.Limit == nil || ck.Limit.Amount != "5000.00" || !strings.Contains(ck.Reason, "5500.00") {
			t.Errorf("check before submitting: %+v", ck)
		}
		u := "/api/v1/contracts/" + k.ID.String()
		c.sales1.MustDo(t, "POST", u+"/submit", map[string]any{"version": k.Version}, 200, &k)
		if k.ApproverRole != "general_manager" || k.ApprovalReason != ck.Reason {
			t.Errorf("submitted: %+v", k)
		}
		// The general manager sees it waiting, with its reason on the contract.
		var tasks struct {
			Approvals []struct {
				ID uuid.UUID `json:"id"`
			} `json:"approvals"`
		}
		c.gm.MustDo(t, "GET", "/api/v1/me/tasks", nil, 200, &tasks)
		waiting := false
		for _, a := range tasks.Approvals {
			waiting = waiting || a.ID == k.ID
		}
		if !waiting {
			t.Errorf("not on the general manager's list: %+v", tasks.Approvals)
		}
		c.vp.MustDo(t, "POST", u+"/approve", map[string]any{"version": k.Version}, 403, nil)
		c.gm.MustDo(t, "POST", u+"/approve", map[string]any{"version": k.Version}, 200, &k)
		c.sales1.MustDo(t, "POST", u+"/sign", map[string]any{"version": k.Version}, 200, &k)

		// Signed over the limit: the risk warning, high.
		cr := creditOf(t, c.sales1, c.cust1)
		if w := cr.has("over_limit"); w == nil || w.Level != "high" || cr.RiskLevel != "high" {
			t.Errorf("over the limit: %+v", cr)
		}
		// Even a small contract now goes one tier up: sales manager → vice president.
		small := c.draft(t, c.sales1, c.cust1, cny("800"))
		c.sales1.MustDo(t, "POST", "/api/v1/contracts/"+small.ID.String()+"/submit", map[string]any{"version": small.Version}, 200, &small)
		if small.ApproverRole != "vice_president" || small.ApprovalReason == "" {
			t.Errorf("small contract over the limit: %+v", small)
		}
		// Within the limit, or without an assessment, the tiers alone decide.
		free := c.draft(t, c.sales2, c.cust2, cny("800"))
		c.sales2.MustDo(t, "GET", "/api/v1/contracts/"+free.ID.String()+"/credit-check", nil, 200, &ck)
		if ck.Exceeds || ck.EscalatedRole != "sales_manager" || ck.Reason != "" {
			t.Errorf("no assessment: %+v", ck)
		}
		c.sales2.MustDo(t, "POST", "/api/v1/contracts/"+free.ID.String()+"/submit", map[string]any{"version": free.Version}, 200, &free)
		if free.ApproverRole != "sales_manager" || free.ApprovalReason != "" {
			t.Errorf("no assessment, submitted: %+v", free)
		}
		c.assess(t, c.gm, c.cust2, "800")
		at := c.draft(t, c.sales2, c.cust2, cny("800"))
		c.sales2.MustDo(t, "POST", "/api/v1/contracts/"+at.ID.String()+"/submit", map[string]any{"version": at.Version}, 200, &at)
		if at.ApproverRole != "sales_manager" || at.ApprovalReason != "" {
			t.Errorf("exactly at the limit: %+v", at)
		}
	})
}

func TestRiskDashboard(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		c.assess(t, c.gm, c.cust1, "1000")
		k := c.signed(t, c.sales1, c.cust1, cny("3000"))
		c.sales1.MustDo(t, "POST", "/api/v1/contracts/"+k.ID.String()+"/payment-plans", map[string]any{"installments": []map[string]any{
			{"due_date": day(-10), "amount": cny("1000")}, {"due_date": day(-45), "amount": cny("500")}, {"due_date": day(-120), "amount": cny("200")}}}, 201, nil)
		c.assess(t, c.gm, c.cust2, "100000")
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: "/api/v1/risk/dashboard", Status: 401},
			{Name: "wrong role", Method: "GET", URL: "/api/v1/risk/dashboard", As: c.tech, Status: 403},
		})
		var d struct {
			ByLevel   map[string]int `json:"by_level"`
			Customers []struct {
				CustomerID uuid.UUID `json:"customer_id"`
				RiskLevel  string    `json:"risk_level"`
			} `json:"customers"`
			Warnings []warning `json:"warnings"`
			Ageing   []struct {
				Bucket       string    `json:"bucket"`
				Amount       moneyJSON `json:"amount"`
				Installments int       `json:"installments"`
			} `json:"ageing"`
		}
		c.gm.MustDo(t, "GET", "/api/v1/risk/dashboard", nil, 200, &d)
		if d.ByLevel["high"] != 1 || d.ByLevel["low"] != 1 || len(d.Customers) != 2 || len(d.Warnings) == 0 {
			t.Errorf("dashboard: %+v", d)
		}
		want := map[string]string{"1_30": "1000.00", "31_60": "500.00", "61_90": "0.00", "over_90": "200.00"}
		for _, a := range d.Ageing {
			if want[a.Bucket] != a.Amount.Amount {
				t.Errorf("ageing %s: %s, want %s", a.Bucket, a.Amount.Amount, want[a.Bucket])
			}
		}
		// A salesperson's dashboard is their own customers.
		c.sales2.MustDo(t, "GET", "/api/v1/risk/dashboard", nil, 200, &d)
		if len(d.Customers) != 1 || d.Customers[0].CustomerID != c.cust2 || len(d.Warnings) != 0 || d.Ageing[0].Amount.Amount != "0.00" {
			t.Errorf("salesperson's dashboard: %+v", d)
		}
	})
}

// A quote has no review of its own: its check tells the salesperson, before sending it, what a
// contract for its total would do to the customer's limit.
func TestQuoteCreditCheck(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		other := newCompany(t, env)
		c.assess(t, c.gm, c.cust1, "1000")
		var prod struct{ ID uuid.UUID }
		c.co.Owner.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "M-1", "name": "主轴", "price": cny("600.00")}, 201, &prod)
		quote := func(qty string) string {
			var q struct{ ID uuid.UUID }
			c.sales1.MustDo(t, "POST", "/api/v1/quotes", map[string]any{"customer_id": c.cust1, "currency": "CNY",
				"lines": []map[string]any{{"product_id": prod.ID, "quantity": qty}}}, 201, &q)
			return "/api/v1/quotes/" + q.ID.String() + "/credit-check"
		}
		over, within := quote("2"), quote("1")
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: over, Status: 401},
			{Name: "another tenant", Method: "GET", URL: over, As: other.gm, Status: 404},
			{Name: "wrong role", Method: "GET", URL: over, As: c.tech, Status: 403},
			{Name: "outside the scope", Method: "GET", URL: over, As: c.sales2, Status: 404},
			{Name: "missing", Method: "GET", URL: "/api/v1/quotes/" + uuid.Must(uuid.NewV7()).String() + "/credit-check", As: c.gm, Status: 404},
		})
		var ck check
		c.sales1.MustDo(t, "GET", over, nil, 200, &ck)
		if !ck.Exceeds || ck.After.Amount != "1200.00" || ck.ApproverRole != "vice_president" || ck.EscalatedRole != "general_manager" || ck.Reason == "" {
			t.Errorf("quote over the limit: %+v", ck)
		}
		c.sales1.MustDo(t, "GET", within, nil, 200, &ck)
		if ck.Exceeds || ck.EscalatedRole != "sales_manager" || ck.Reason != "" {
			t.Errorf("quote within the limit: %+v", ck)
		}
	})
}
