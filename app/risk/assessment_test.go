package risk_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

func TestAssessCustomer(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		other := newCompany(t, env)
		u := assessURL(c.cust1)
		body := assessBody("800")
		before := env.CountRows(t, "credit_assessments", "tenant_id = ?", c.co.ID)
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: u, Body: body, Status: 401},
			{Name: "another tenant's customer", Method: "POST", URL: assessURL(other.cust1), As: c.gm, Body: body, Status: 404, Code: "not_found"},
			{Name: "wrong role: technician", Method: "POST", URL: u, As: c.tech, Body: body, Status: 403, Code: "forbidden"},
			{Name: "wrong role: auditor", Method: "POST", URL: u, As: c.auditor, Body: body, Status: 403, Code: "forbidden"},
			{Name: "missing customer", Method: "POST", URL: assessURL(uuid.Must(uuid.NewV7())), As: c.gm, Body: body, Status: 404, Code: "not_found"},
			{Name: "another salesperson's customer", Method: "POST", URL: assessURL(c.cust2), As: c.sales1, Body: body, Status: 404, Code: "not_found"},
			{Name: "score above 100", Method: "POST", URL: u, As: c.gm, Body: map[string]any{"scores": scores(101, 50, 50, 50), "proposed_limit": cny("800")}, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "scores.financial", "out_of_range") }},
			{Name: "negative score", Method: "POST", URL: u, As: c.gm, Body: map[string]any{"scores": scores(50, -1, 50, 50), "proposed_limit": cny("800")}, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "scores.results", "out_of_range") }},
			{Name: "negative limit", Method: "POST", URL: u, As: c.gm, Body: map[string]any{"scores": scores(50, 50, 50, 50), "proposed_limit": cny("-1")}, Status: 422},
			{Name: "unknown currency", Method: "POST", URL: u, As: c.gm, Body: map[string]any{"scores": scores(50, 50, 50, 50), "proposed_limit": map[string]any{"amount": "10", "currency": "XXY"}}, Status: 422},
			{Name: "currency without a rate", Method: "POST", URL: u, As: c.gm, Body: map[string]any{"scores": scores(50, 50, 50, 50), "proposed_limit": map[string]any{"amount": "10", "currency": "USD"}}, Status: 409, Code: "conflict"},
			{Name: "valid until today", Method: "POST", URL: u, As: c.gm, Body: map[string]any{"scores": scores(50, 50, 50, 50), "proposed_limit": cny("10"), "valid_until": day(0)}, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "valid_until", "out_of_range") }},
			{Name: "malformed date", Method: "POST", URL: u, As: c.gm, Body: map[string]any{"scores": scores(50, 50, 50, 50), "proposed_limit": cny("10"), "valid_until": "2027-13-01"}, Status: 422},
			{Name: "NUL in evidence", Method: "POST", URL: u, As: c.gm, Body: map[string]any{"scores": scores(50, 50, 50, 50), "proposed_limit": cny("10"), "evidence": "a\x00b"}, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "evidence", "invalid") }},
		})
		if n := env.CountRows(t, "credit_assessments", "tenant_id = ?", c.co.ID); n != before {
			t.Fatalf("refused assessments wrote %d rows", n-before)
		}

		// Default weights 30/25/30/15: 90·.30 + 80·.25 + 85·.30 + 70·.15 = 83 → AA (80…89).
		a := c.assess(t, c.mgr, c.cust1, "800")
		if a.Score != "83.00" || a.Rating != "AA" || a.Status != "approved" || a.ApproverRole != "sales_manager" || a.AssessedBy != c.mgr.UserID ||
			a.Limit.Amount != "800.00" || a.ValidUntil != day(365) {
			t.Errorf("assessment: %+v", a)
		}
		cr := creditOf(t, c.sales1, c.cust1)
		if cr.Rating != "AA" || cr.Limit == nil || cr.Limit.Amount != "800.00" || cr.ValidUntil == nil || *cr.ValidUntil != a.ValidUntil || cr.RiskLevel != "low" {
			t.Errorf("credit after an approved assessment: %+v", cr)
		}
		var cust struct {
			Credit struct {
				Rating    string `json:"rating"`
				Limit     string `json:"limit"`
				RiskLevel string `json:"risk_level"`
			} `json:"credit"`
		}
		c.sales1.MustDo(t, "GET", "/api/v1/customers/"+c.cust1.String(), nil, 200, &cust)
		if cust.Credit.Rating != "AA" || cust.Credit.Limit != "800" || cust.Credit.RiskLevel != "low" {
			t.Errorf("customer record credit: %+v", cust.Credit)
		}

		// The tenant's bands and weights decide: all weight on the credit record.
		c.co.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"risk": map[string]any{
			"weights": map[string]any{"financial": 0, "results": 0, "record": 100, "reputation": 0},
			"bands":   []map[string]any{{"rating": "A", "min_score": 60}, {"rating": "C", "min_score": 0}}}}, 200, nil)
		var b assessment
		c.gm.MustDo(t, "POST", u, map[string]any{"scores": scores(0, 0, 60, 0), "proposed_limit": cny("500"), "valid_until": day(30)}, 201, &b)
		if b.Score != "60.00" || b.Rating != "A" || b.ValidUntil != day(30) {
			t.Errorf("rating at the band's minimum: %+v", b)
		}
		c.gm.MustDo(t, "POST", u, map[string]any{"scores": scores(100, 100, 59, 100), "proposed_limit": cny("500")}, 201, &b)
		if b.Score != "59.00" || b.Rating != "C" {
			t.Errorf("rating below the band's minimum: %+v", b)
		}
		env.Run(t, []apitest.Scenario{
			{Name: "weights not adding up to 100", Method: "PATCH", URL: "/api/v1/settings", As: c.co.Owner,
				Body: map[string]any{"risk": map[string]any{"weights": map[string]any{"financial": 50, "results": 0, "record": 0, "reputation": 0}}}, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "risk.weights", "invalid") }},
			{Name: "bands out of order", Method: "PATCH", URL: "/api/v1/settings", As: c.co.Owner,
				Body: map[string]any{"risk": map[string]any{"bands": []map[string]any{{"rating": "C", "min_score": 0}, {"rating": "A", "min_score": 60}}}}, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "risk.bands", "invalid") }},
			{Name: "warning share above 1", Method: "PATCH", URL: "/api/v1/settings", As: c.co.Owner,
				Body: map[string]any{"risk": map[string]any{"warning_share": "1.5"}}, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) {
					r.Problem(t).WantField(t, "risk.warning_share", "out_of_range")
				}},
		})

		// History: newest first, every assessment kept; the auditor reads, another tenant does not.
		var hist struct{ Items []assessment }
		c.auditor.MustDo(t, "GET", u, nil, 200, &hist)
		if len(hist.Items) != 3 || hist.Items[0].Rating != "C" || hist.Items[2].ID != a.ID {
			t.Errorf("history: %+v", hist.Items)
		}
		env.Run(t, []apitest.Scenario{
			{Name: "history: no login", Method: "GET", URL: u, Status: 401},
			{Name: "history: another tenant", Method: "GET", URL: u, As: other.gm, Status: 404, Code: "not_found"},
			{Name: "history: wrong role", Method: "GET", URL: u, As: c.tech, Status: 403},
			{Name: "history: missing", Method: "GET", URL: assessURL(uuid.Must(uuid.NewV7())), As: c.gm, Status: 404},
			{Name: "history: bad status", Method: "GET", URL: u + "?status=maybe", As: c.gm, Status: 422},
			{Name: "history: outside the salesperson's scope", Method: "GET", URL: u, As: c.sales2, Status: 404},
			{Name: "credit: no login", Method: "GET", URL: "/api/v1/customers/" + c.cust1.String() + "/credit", Status: 401},
			{Name: "credit: another tenant", Method: "GET", URL: "/api/v1/customers/" + c.cust1.String() + "/credit", As: other.gm, Status: 404},
			{Name: "credit: wrong role", Method: "GET", URL: "/api/v1/customers/" + c.cust1.String() + "/credit", As: c.tech, Status: 403},
			{Name: "credit: missing", Method: "GET", URL: "/api/v1/customers/" + uuid.Must(uuid.NewV7()).String() + "/credit", As: c.gm, Status: 404},
			{Name: "credit: outside the salesperson's scope", Method: "GET", URL: "/api/v1/customers/" + c.cust1.String() + "/credit", As: c.sales2, Status: 404},
		})
		// Audit, outbox and timeline.
		if n := env.CountRows(t, "outbox", "tenant_id = ? AND type = ?", c.co.ID, "credit.assessed"); n != 3 {
			t.Errorf("credit.assessed events: %d", n)
		}
		if n := env.CountRows(t, "audit_log", "tenant_id = ? AND entity = ? AND entity_id = ?", c.co.ID, "credit_assessment", a.ID.String()); n != 1 {
			t.Errorf("audit entries: %d", n)
		}
		var tl struct {
			Items []struct{ Kind, Summary string }
		}
		c.sales1.MustDo(t, "GET", "/api/v1/customers/"+c.cust1.String()+"/timeline", nil, 200, &tl)
		found := 0
		for _, it := range tl.Items {
			if it.Kind == "credit_assessment" {
				found++
			}
		}
		if found != 3 {
			t.Errorf("timeline credit items: %d in %+v", found, tl.Items)
		}
	})
}

// The limit an assessor may set alone follows the approval tiers (IAM-7): below 1,000 the
// sales manager, below 5,000 the vice president, above the general manager; a tenant's own
// tiers move the boundaries.
func TestAssessmentApprovalTiers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		other := newCompany(t, env)
		for _, tc := range []struct {
			as     *apitest.Client
			limit  string
			status string
			role   string
		}{
			{c.mgr, "999.99", "approved", "sales_manager"},
			{c.mgr, "1000", "pending", "vice_president"},
			{c.vp, "4999.99", "approved", "vice_president"},
			{c.vp, "5000", "pending", "general_manager"},
			{c.gm, "5000", "approved", "general_manager"},
			{c.sales1, "1", "pending", "sales_manager"},
			{c.finance, "999.99", "pending", "sales_manager"},
		} {
			a := c.assess(t, tc.as, c.cust1, tc.limit)
			if a.Status != tc.status || a.ApproverRole != tc.role {
				t.Errorf("%s assessing %s: status %s approver %s, want %s %s", tc.as.Roles, tc.limit, a.Status, a.ApproverRole, tc.status, tc.role)
			}
		}

		pending := c.assess(t, c.mgr, c.cust1, "4999.99")
		au := "/api/v1/credit-assessments/" + pending.ID.String() + "/approve"
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: au, Body: map[string]any{}, Status: 401},
			{Name: "another tenant", Method: "POST", URL: au, As: other.gm, Body: map[string]any{}, Status: 404, Code: "not_found"},
			{Name: "wrong role: salesperson", Method: "POST", URL: au, As: c.sales1, Body: map[string]any{}, Status: 403},
			{Name: "missing", Method: "POST", URL: "/api/v1/credit-assessments/" + uuid.Must(uuid.NewV7()).String() + "/approve", As: c.gm, Body: map[string]any{}, Status: 404},
			{Name: "below the tier: another sales manager", Method: "POST", URL: au, As: c.co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager"), Body: map[string]any{}, Status: 403, Code: "forbidden",
				Contains: []string{"vice_president"}},
			{Name: "the assessor", Method: "POST", URL: au, As: c.mgr, Body: map[string]any{}, Status: 403},
			{Name: "reject without a comment", Method: "POST", URL: "/api/v1/credit-assessments/" + pending.ID.String() + "/reject", As: c.vp, Body: map[string]any{}, Status: 422,
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "comment", "required") }},
		})
		// The pending assessment is on the vice president's task list, not the sales manager's.
		var tasks struct {
			Approvals []struct {
				ID     uuid.UUID `json:"id"`
				Entity string    `json:"entity"`
			} `json:"approvals"`
		}
		c.vp.MustDo(t, "GET", "/api/v1/me/tasks", nil, 200, &tasks)
		onList := false
		for _, a := range tasks.Approvals {
			onList = onList || (a.ID == pending.ID && a.Entity == "credit_assessment")
		}
		if !onList {
			t.Errorf("vice president's approvals: %+v", tasks.Approvals)
		}
		var ok assessment
		c.vp.MustDo(t, "POST", au, map[string]any{"comment": "资信良好"}, 200, &ok)
		if ok.Status != "approved" {
			t.Errorf("approved: %+v", ok)
		}
		if cr := creditOf(t, c.gm, c.cust1); cr.Limit == nil || cr.Limit.Amount != "4999.99" {
			t.Errorf("credit after the approval: %+v", cr)
		}
		c.vp.MustDo(t, "POST", au, map[string]any{}, 409, nil)

		// The tenant raises the sales manager's tier to 2,000: 1,999.99 is theirs, 2,000 is not.
		c.co.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"approval_tiers": []map[string]any{
			{"max_amount": "2000", "role": "sales_manager"}, {"max_amount": "8000", "role": "vice_president"}, {"max_amount": nil, "role": "general_manager"}}}, 200, nil)
		for _, tc := range []struct {
			as     *apitest.Client
			limit  string
			status string
			role   string
		}{
			{c.mgr, "1999.99", "approved", "sales_manager"},
			{c.mgr, "2000", "pending", "vice_president"},
			{c.vp, "7999.99", "approved", "vice_president"},
			{c.vp, "8000", "pending", "general_manager"},
		} {
			a := c.assess(t, tc.as, c.cust1, tc.limit)
			if a.Status != tc.status || a.ApproverRole != tc.role {
				t.Errorf("new tiers, %s assessing %s: status %s approver %s, want %s %s", tc.as.Roles, tc.limit, a.Status, a.ApproverRole, tc.status, tc.role)
			}
		}
	})
}
