package opportunity_test

// API scenarios of the pipeline (SAL-3): the standard rows for every endpoint, the stage
// rules (free moves between open stages, lost needs a reason, won and lost final unless a
// manager reopens), default probabilities, the stage history, stale versions and data scopes.

import (
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

type opp struct {
	ID          uuid.UUID `json:"id"`
	Name        string    `json:"name"`
	CustomerID  uuid.UUID `json:"customer_id"`
	Stage       string    `json:"stage"`
	Probability int       `json:"probability"`
	Amount      struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	} `json:"amount"`
	ExpectedCloseDate *string   `json:"expected_close_date"`
	LostReason        string    `json:"lost_reason"`
	ClosedAt          *string   `json:"closed_at"`
	OwnerID           uuid.UUID `json:"owner_id"`
	StageHistory      []struct {
		FromStage string     `json:"from_stage"`
		ToStage   string     `json:"to_stage"`
		ActorID   *uuid.UUID `json:"actor_id"`
	} `json:"stage_history"`
	Version int64 `json:"version"`
}

func newCustomer(t *testing.T, as *apitest.Client, name string) uuid.UUID {
	t.Helper()
	var c struct{ ID uuid.UUID }
	as.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": name}, 201, &c)
	return c.ID
}

func TestOpportunityAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUser(t, "salesperson")
		warehouse := acme.AddUser(t, "warehouse")
		cust := newCustomer(t, sales, "华东机械")
		foreignCust := newCustomer(t, other.Owner, "别家客户")

		var created opp
		body := map[string]any{"name": "年度采购", "customer_id": cust, "amount": map[string]any{"amount": "120000.50", "currency": "CNY"},
			"expected_close_date": "2026-12-31"}
		var foreign opp
		other.Owner.MustDo(t, "POST", "/api/v1/opportunities", map[string]any{"name": "x", "customer_id": foreignCust}, 201, &foreign)

		env.Run(t, []apitest.Scenario{
			{Name: "create: no login", Method: "POST", URL: "/api/v1/opportunities", Body: body, Status: 401, Code: "unauthenticated"},
			{Name: "create: other tenant's customer", Method: "POST", URL: "/api/v1/opportunities", As: sales,
				Body: map[string]any{"name": "x", "customer_id": foreignCust}, Status: 422, Code: "validation_failed", Contains: []string{`"customer_id"`}},
			{Name: "create: wrong role", Method: "POST", URL: "/api/v1/opportunities", As: warehouse, Body: body, Status: 403, Code: "forbidden"},
			{Name: "create: unknown customer", Method: "POST", URL: "/api/v1/opportunities", As: sales,
				Body: map[string]any{"name": "x", "customer_id": uuid.New()}, Status: 422, Code: "validation_failed"},
			{Name: "create: invalid currency", Method: "POST", URL: "/api/v1/opportunities", As: sales,
				Body: map[string]any{"name": "x", "customer_id": cust, "amount": map[string]any{"amount": "1", "currency": "XYZ"}}, Status: 422, Contains: []string{"amount.currency"}},
			{Name: "create: amount as a number", Method: "POST", URL: "/api/v1/opportunities", As: sales,
				Body: `{"name":"x","customer_id":"` + cust.String() + `","amount":{"amount":1.5,"currency":"CNY"}}`, Status: 422, Contains: []string{`"amount"`}},
			{Name: "create: too many decimals", Method: "POST", URL: "/api/v1/opportunities", As: sales,
				Body: map[string]any{"name": "x", "customer_id": cust, "amount": map[string]any{"amount": "1.005", "currency": "CNY"}}, Status: 422, Contains: []string{"amount.amount"}},
			{Name: "create: won is not a start", Method: "POST", URL: "/api/v1/opportunities", As: sales,
				Body: map[string]any{"name": "x", "customer_id": cust, "stage": "won"}, Status: 422},
			{Name: "create: success", Method: "POST", URL: "/api/v1/opportunities", As: sales, Body: body, Status: 201,
				Check: func(t *testing.T, r *apitest.Response) {
					r.JSON(t, &created)
					if created.Stage != "info_collection" || created.Probability != 10 || created.Amount.Amount != "120000.50" ||
						created.Amount.Currency != "CNY" || created.OwnerID != sales.UserID || *created.ExpectedCloseDate != "2026-12-31" {
						t.Errorf("created %+v", created)
					}
				}},
		})
		url := "/api/v1/opportunities/" + created.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "get: no login", Method: "GET", URL: url, Status: 401},
			{Name: "get: other tenant", Method: "GET", URL: url, As: other.Owner, Status: 404, Code: "not_found"},
			{Name: "get: other tenant's id", Method: "GET", URL: "/api/v1/opportunities/" + foreign.ID.String(), As: sales, Status: 404},
			{Name: "get: wrong role", Method: "GET", URL: url, As: warehouse, Status: 403},
			{Name: "get: not found", Method: "GET", URL: "/api/v1/opportunities/" + uuid.NewString(), As: sales, Status: 404},
			{Name: "get: malformed id", Method: "GET", URL: "/api/v1/opportunities/nope", As: sales, Status: 404},
			{Name: "get: success", Method: "GET", URL: url, As: sales, Status: 200, Contains: []string{`"stage_history"`, `"to_stage":"info_collection"`, `"customer_name":"华东机械"`}},
			{Name: "list: no login", Method: "GET", URL: "/api/v1/opportunities", Status: 401},
			{Name: "list: other tenant sees none of ours", Method: "GET", URL: "/api/v1/opportunities", As: other.Owner, Status: 200, NotContains: []string{created.ID.String()}},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/opportunities", As: warehouse, Status: 403},
			{Name: "list: invalid filter", Method: "GET", URL: "/api/v1/opportunities?stage=done", As: sales, Status: 422},
			{Name: "list: success", Method: "GET", URL: "/api/v1/opportunities?stage=info_collection", As: sales, Status: 200, Contains: []string{created.ID.String(), `"customer_name":"华东机械"`}},
			{Name: "patch: no login", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "stage": "demo"}, Status: 401},
			{Name: "patch: other tenant", Method: "PATCH", URL: url, As: other.Owner, Body: map[string]any{"version": 1, "stage": "demo"}, Status: 404},
			{Name: "patch: wrong role", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 1, "stage": "demo"}, Status: 403},
			{Name: "patch: not found", Method: "PATCH", URL: "/api/v1/opportunities/" + uuid.NewString(), As: sales, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "patch: invalid stage", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "stage": "closed"}, Status: 422},
			{Name: "patch: lost without reason", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "stage": "lost"}, Status: 422, Contains: []string{"lost_reason"}},
			{Name: "patch: stale version", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 7, "stage": "demo"}, Status: 409, Code: "conflict"},
			{Name: "patch: success, demo skipped", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "stage": "proposal_quote"}, Status: 200,
				Contains: []string{`"stage":"proposal_quote"`, `"probability":60`}},
		})
		if n := env.CountRows(t, "opportunities", "id = ?", created.ID); n != 1 {
			t.Fatalf("%d rows", n)
		}
	})
}

func TestStageRules(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		mgr := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &mgr.UserID}, "salesperson")
		peer := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		cust := newCustomer(t, sales, "深圳电子")
		var o opp
		sales.MustDo(t, "POST", "/api/v1/opportunities", map[string]any{"name": "A", "customer_id": cust, "stage": "needs_analysis", "probability": 35}, 201, &o)
		if o.Probability != 35 {
			t.Fatalf("explicit probability: %d", o.Probability)
		}
		url := "/api/v1/opportunities/" + o.ID.String()
		patch := func(as *apitest.Client, body map[string]any, want int) opp {
			t.Helper()
			body["version"] = o.Version
			var out opp
			r := as.MustDo(t, "PATCH", url, body, want, nil)
			if want == 200 {
				r.JSON(t, &out)
				o = out
			}
			return out
		}
		peer.MustDo(t, "GET", url, nil, 404, nil) // own scope: a colleague's opportunity is invisible
		patch(sales, map[string]any{"stage": "demo"}, 200)
		if o.Probability != 50 {
			t.Errorf("demo probability %d", o.Probability)
		}
		patch(sales, map[string]any{"stage": "initial_contact", "probability": 25}, 200) // back is allowed
		if o.Probability != 25 {
			t.Errorf("explicit probability on a move: %d", o.Probability)
		}
		patch(sales, map[string]any{"stage": "lost", "lost_reason": "price too high"}, 200)
		if o.Probability != 0 || o.ClosedAt == nil || o.LostReason != "price too high" {
			t.Errorf("lost: %+v", o)
		}
		patch(sales, map[string]any{"stage": "won"}, 409)                                             // lost → won needs a reopen first
		patch(sales, map[string]any{"amount": map[string]any{"amount": "5", "currency": "CNY"}}, 409) // closed
		patch(sales, map[string]any{"stage": "negotiation"}, 403)                                     // reopening is a manager's
		patch(mgr, map[string]any{"stage": "negotiation"}, 200)                                       // the manager's subtree covers it
		if o.ClosedAt != nil || o.LostReason != "" || o.Probability != 80 {
			t.Errorf("reopened: %+v", o)
		}
		patch(sales, map[string]any{"stage": "won", "probability": 90}, 422)
		patch(sales, map[string]any{"stage": "won"}, 200)
		if o.Probability != 100 || o.ClosedAt == nil {
			t.Errorf("won: %+v", o)
		}
		patch(sales, map[string]any{"description": "signed on site"}, 200) // notes stay editable
		var got opp
		sales.MustDo(t, "GET", url, nil, 200, &got)
		var path []string
		for _, h := range got.StageHistory {
			path = append(path, h.FromStage+">"+h.ToStage)
			if h.ActorID == nil {
				t.Errorf("history without actor: %+v", h)
			}
		}
		want := []string{">needs_analysis", "needs_analysis>demo", "demo>initial_contact", "initial_contact>lost", "lost>negotiation", "negotiation>won"}
		if len(path) != len(want) {
			t.Fatalf("history %v, want %v", path, want)
		}
		for i := range want {
			if path[i] != want[i] {
				t.Fatalf("history %v, want %v", path, want)
			}
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", o.ID, "opportunity.stage_changed"); n != 5 {
			t.Errorf("%d stage_changed events, want 5", n)
		}
		// assigning to a colleague needs opportunity:assign
		sales.MustDo(t, "POST", "/api/v1/opportunities", map[string]any{"name": "B", "customer_id": cust, "owner_id": peer.UserID}, 403, nil)
		mgrCust := newCustomer(t, mgr, "经理的客户")
		sales.MustDo(t, "POST", "/api/v1/opportunities", map[string]any{"name": "C", "customer_id": mgrCust}, 422, nil) // invisible customer
	})
}
