package customer_test

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/tenants"
)

// plCustomer is the part of a customer the pool and classification tests look at.
type plCustomer struct {
	ID             uuid.UUID  `json:"id"`
	Name           string     `json:"name"`
	Stage          string     `json:"stage"`
	Tier           string     `json:"tier"`
	IntentClass    *string    `json:"intent_class"`
	ValueClass     *string    `json:"value_class"`
	OwnerID        *uuid.UUID `json:"owner_id"`
	DepartmentID   *uuid.UUID `json:"department_id"`
	InPool         bool       `json:"in_pool"`
	Version        int64      `json:"version"`
	Classification struct {
		Rule    string    `json:"rule"`
		Reasons []string  `json:"reasons"`
		Score   *float64  `json:"score"`
		At      time.Time `json:"at"`
	} `json:"classification"`
}

func plCreate(t testing.TB, as *apitest.Client, body map[string]any) plCustomer {
	t.Helper()
	if body["type"] == nil {
		body["type"] = "enterprise"
	}
	var c plCustomer
	as.MustDo(t, "POST", "/api/v1/customers", body, 201, &c)
	return c
}

func plGet(t testing.TB, as *apitest.Client, id uuid.UUID) plCustomer {
	t.Helper()
	var c plCustomer
	as.MustDo(t, "GET", "/api/v1/customers/"+id.String(), nil, 200, &c)
	return c
}

func plURL(id uuid.UUID, action string) string {
	return "/api/v1/customers/" + id.String() + "/" + action
}

// plCtx is the tenant's scope as a background job has it.
func plCtx(co *apitest.Company) context.Context {
	return jobs.TenantContext(context.Background(), co.ID, uuid.Nil)
}

// plRow reads a stored customer.
func plRow(t testing.TB, env *apitest.Env, co *apitest.Company, id uuid.UUID) customer.Customer {
	t.Helper()
	var c customer.Customer
	if err := env.DB.Read(plCtx(co), func(tx *gorm.DB) error { return tx.Take(&c, "id = ?", id).Error }); err != nil {
		t.Fatalf("read customer %s: %v", id, err)
	}
	return c
}

// plSet changes stored columns of a customer directly (what the follow-up module will do).
func plSet(t testing.TB, env *apitest.Env, co *apitest.Company, id uuid.UUID, cols map[string]any) {
	t.Helper()
	err := env.DB.Tx(plCtx(co), func(tx *gorm.DB) error {
		return tx.Model(&customer.Customer{}).Where("id = ?", id).Updates(cols).Error
	})
	if err != nil {
		t.Fatalf("set %v: %v", cols, err)
	}
}

// plEvents lists a customer's outbox events of one type, oldest first.
func plEvents(t testing.TB, env *apitest.Env, co *apitest.Company, id uuid.UUID, typ string) []outbox.Event {
	t.Helper()
	var evs []outbox.Event
	err := env.DB.Read(plCtx(co), func(tx *gorm.DB) error {
		return tx.Where("entity_id = ? AND type = ?", id, typ).Order("id").Find(&evs).Error
	})
	if err != nil {
		t.Fatalf("events: %v", err)
	}
	return evs
}

// plAudit lists the audit actions on a customer, oldest first.
func plAudit(t testing.TB, env *apitest.Env, co *apitest.Company, id uuid.UUID) []string {
	t.Helper()
	var es []audit.Entry
	err := env.DB.Read(plCtx(co), func(tx *gorm.DB) error {
		return tx.Where("entity = ? AND entity_id = ?", "customer", id.String()).Order("id").Find(&es).Error
	})
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Action)
	}
	return out
}

func plPatchSettings(t testing.TB, owner *apitest.Client, body map[string]any) {
	t.Helper()
	owner.MustDo(t, "PATCH", "/api/v1/settings", body, 200, nil)
}

func plSameIDs(t testing.TB, what string, got []uuid.UUID, want ...uuid.UUID) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	cmp := func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) }
	slices.SortFunc(g, cmp)
	slices.SortFunc(w, cmp)
	if !slices.Equal(g, w) {
		t.Errorf("%s: %v, want %v", what, got, want)
	}
}

func TestPoolAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		sales2 := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		manager := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
		marketing := acme.AddUser(t, "marketing")
		finance := acme.AddUser(t, "finance")
		service := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "customer_service")

		pooled := plCreate(t, sales, map[string]any{"name": "公海客户甲"})
		sales.MustDo(t, "POST", plURL(pooled.ID, "release"), map[string]any{"reason": "无意向"}, 200, nil)
		kept := plCreate(t, sales, map[string]any{"name": "私有客户乙"})
		theirs := plCreate(t, other.Owner, map[string]any{"name": "别家公海客户"})
		other.Owner.MustDo(t, "POST", plURL(theirs.ID, "release"), map[string]any{"reason": "x"}, 200, nil)
		missing := uuid.Must(uuid.NewV7())

		t.Run("list", func(t *testing.T) {
			env.Run(t, []apitest.Scenario{
				{Name: "no login", Method: "GET", URL: "/api/v1/pool", Status: 401, Code: "unauthenticated"},
				{Name: "other tenant", Method: "GET", URL: "/api/v1/pool", As: other.Owner, Status: 200,
					Contains: []string{"别家公海客户"}, NotContains: []string{"公海客户甲", "私有客户乙"}},
				{Name: "wrong role", Method: "GET", URL: "/api/v1/pool", As: finance, Status: 403, Code: "forbidden"},
				{Name: "invalid input", Method: "GET", URL: "/api/v1/pool?stage=gold&limit=500", As: sales2, Status: 422, Code: "validation_failed"},
				{Name: "invalid cursor", Method: "GET", URL: "/api/v1/pool?cursor=%21%21", As: sales2, Status: 422, Code: "validation_failed"},
				{Name: "success: everyone who may read sees the pool", Method: "GET", URL: "/api/v1/pool", As: sales2, Status: 200,
					Contains: []string{"公海客户甲", `"in_pool":true`, `"owner_id":null`}, NotContains: []string{"私有客户乙", "别家公海客户"}},
				{Name: "success: marketing too, searching", Method: "GET", URL: "/api/v1/pool?q=" + url.QueryEscape("公海客户"), As: marketing, Status: 200, Contains: []string{"公海客户甲"}},
				{Name: "success: filters", Method: "GET", URL: "/api/v1/pool?stage=deal", As: sales2, Status: 200, NotContains: []string{"公海客户甲"}},
				{Name: "success: the customer list leaves the pool out", Method: "GET", URL: "/api/v1/customers", As: owner, Status: 200,
					Contains: []string{"私有客户乙"}, NotContains: []string{"公海客户甲"}},
			})
		})

		t.Run("claim", func(t *testing.T) {
			env.Run(t, []apitest.Scenario{
				{Name: "no login", Method: "POST", URL: plURL(pooled.ID, "claim"), Status: 401, Code: "unauthenticated"},
				{Name: "other tenant", Method: "POST", URL: plURL(theirs.ID, "claim"), As: sales2, Status: 404, Code: "not_found"},
				{Name: "wrong role", Method: "POST", URL: plURL(pooled.ID, "claim"), As: marketing, Status: 403, Code: "forbidden"},
				{Name: "not found", Method: "POST", URL: plURL(missing, "claim"), As: sales2, Status: 404, Code: "not_found"},
				{Name: "invalid input", Method: "POST", URL: plURL(pooled.ID, "claim"), As: sales2, Body: map[string]any{"version": "2"},
					Status: 422, Code: "validation_failed"},
				{Name: "not in the pool", Method: "POST", URL: plURL(kept.ID, "claim"), As: sales, Status: 409, Code: "conflict",
					Contains: []string{"not in the public pool"}},
				{Name: "stale version", Method: "POST", URL: plURL(pooled.ID, "claim"), As: sales2, Body: map[string]any{"version": 1},
					Status: 409, Code: "conflict"},
				{Name: "success", Method: "POST", URL: plURL(pooled.ID, "claim"), As: sales2, Status: 200,
					Check: func(t *testing.T, r *apitest.Response) {
						var c plCustomer
						r.JSON(t, &c)
						if c.InPool || c.OwnerID == nil || *c.OwnerID != sales2.UserID || c.DepartmentID == nil || *c.DepartmentID != acme.Departments["Sales"] {
							t.Errorf("after claim: %s", r.Body)
						}
					}},
				{Name: "claimed already", Method: "POST", URL: plURL(pooled.ID, "claim"), As: manager, Status: 409, Code: "conflict"},
			})
			row := plRow(t, env, acme, pooled.ID)
			if row.FormerOwnerID == nil || *row.FormerOwnerID != sales.UserID || row.PoolEnteredAt != nil {
				t.Errorf("former owner %v, pool_entered_at %v", row.FormerOwnerID, row.PoolEnteredAt)
			}
		})

		t.Run("release", func(t *testing.T) {
			mine := plCreate(t, sales, map[string]any{"name": "要放弃的客户"})
			env.Run(t, []apitest.Scenario{
				{Name: "no login", Method: "POST", URL: plURL(mine.ID, "release"), Body: map[string]any{"reason": "x"}, Status: 401, Code: "unauthenticated"},
				{Name: "other tenant", Method: "POST", URL: plURL(theirs.ID, "release"), As: owner, Body: map[string]any{"reason": "x"}, Status: 404, Code: "not_found"},
				{Name: "wrong role", Method: "POST", URL: plURL(mine.ID, "release"), As: marketing, Body: map[string]any{"reason": "x"}, Status: 403, Code: "forbidden"},
				{Name: "wrong user: outside the data scope answers as missing", Method: "POST", URL: plURL(mine.ID, "release"), As: sales2,
					Body: map[string]any{"reason": "x"}, Status: 404, Code: "not_found"},
				{Name: "not found", Method: "POST", URL: plURL(missing, "release"), As: sales, Body: map[string]any{"reason": "x"}, Status: 404, Code: "not_found"},
				{Name: "invalid: no reason", Method: "POST", URL: plURL(mine.ID, "release"), As: sales, Body: map[string]any{}, Status: 422, Code: "validation_failed",
					Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "reason", "required") }},
				{Name: "invalid: blank reason", Method: "POST", URL: plURL(mine.ID, "release"), As: sales, Body: map[string]any{"reason": "   "}, Status: 422, Code: "validation_failed",
					Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "reason", "required") }},
				{Name: "already in the pool", Method: "POST", URL: plURL(theirs.ID, "release"), As: other.Owner, Body: map[string]any{"reason": "x"}, Status: 409, Code: "conflict"},
				{Name: "success: the owner", Method: "POST", URL: plURL(mine.ID, "release"), As: sales, Body: map[string]any{"reason": "联系不上"}, Status: 200,
					Contains: []string{`"in_pool":true`, `"owner_id":null`}},
				{Name: "success: a manager with customer:assign", Method: "POST", URL: plURL(kept.ID, "release"), As: manager, Body: map[string]any{"reason": "调整"}, Status: 200,
					Contains: []string{`"in_pool":true`}},
			})
			// Seeing a customer is not enough to release it: customer service (department scope,
			// customer:update, no customer:assign) may not release the salesperson's customer.
			theirsToKeep := plCreate(t, sales, map[string]any{"name": "客服看得见的客户"})
			service.MustDo(t, "GET", "/api/v1/customers/"+theirsToKeep.ID.String(), nil, 200, nil)
			if r := service.Do(t, "POST", plURL(theirsToKeep.ID, "release"), map[string]any{"reason": "x"}); r.Status != 403 {
				t.Errorf("customer service releasing another's customer: %d %s", r.Status, r.Body)
			}

			// Events and audit entries of the transitions, with the reason.
			rel := plEvents(t, env, acme, mine.ID, "customer.released")
			if len(rel) != 1 || rel[0].Payload.Data()["reason"] != "联系不上" || rel[0].ActorID == nil || *rel[0].ActorID != sales.UserID {
				t.Fatalf("released events: %+v", rel)
			}
			if fo := rel[0].Payload.Data()["former_owner_id"]; fo != sales.UserID.String() {
				t.Errorf("released former_owner_id %v", fo)
			}
			if got := plEvents(t, env, acme, pooled.ID, "customer.claimed"); len(got) != 1 || *got[0].ActorID != sales2.UserID {
				t.Errorf("claimed events: %+v", got)
			}
			if got := plAudit(t, env, acme, pooled.ID); !slices.Equal(got, []string{"create", "release", "claim"}) {
				t.Errorf("audit of the pooled customer: %v", got)
			}
			// A pool customer is readable by a colleague outside the former owner's scope.
			if got := plGet(t, sales2, mine.ID); !got.InPool || got.Name != "要放弃的客户" {
				t.Errorf("pool customer as a colleague sees it: %+v", got)
			}
		})

		t.Run("assigned out of the pool", func(t *testing.T) {
			c := plCreate(t, sales, map[string]any{"name": "经理分配的公海客户"})
			var v plCustomer
			sales.MustDo(t, "POST", plURL(c.ID, "release"), map[string]any{"reason": "x"}, 200, &v)
			var u plCustomer
			manager.MustDo(t, "PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"version": v.Version, "owner_id": sales2.UserID}, 200, &u)
			if u.InPool || u.OwnerID == nil || *u.OwnerID != sales2.UserID {
				t.Errorf("after assignment: %+v", u)
			}
			if row := plRow(t, env, acme, c.ID); row.PoolEnteredAt != nil {
				t.Errorf("pool_entered_at %v", row.PoolEnteredAt)
			}
			sales2.MustDo(t, "GET", "/api/v1/customers/"+c.ID.String(), nil, 200, nil)
		})

		t.Run("pool disabled", func(t *testing.T) {
			c := plCreate(t, sales, map[string]any{"name": "关闭公海时的客户"})
			plPatchSettings(t, owner, map[string]any{"pool": map[string]any{"enabled": false}})
			sales.MustDo(t, "POST", plURL(c.ID, "release"), map[string]any{"reason": "x"}, 409, nil)
			plPatchSettings(t, owner, map[string]any{"pool": map[string]any{"enabled": true}})
			sales.MustDo(t, "POST", plURL(c.ID, "release"), map[string]any{"reason": "x"}, 200, nil)
		})
	})
}

func TestPoolClaimLimitAndReclaimBar(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		sales2 := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		plPatchSettings(t, owner, map[string]any{"pool": map[string]any{"claim_limit": 2, "reclaim_bar_days": 7}})

		var pool []plCustomer
		for _, name := range []string{"池一", "池二", "池三", "池四"} {
			c := plCreate(t, sales, map[string]any{"name": name})
			sales.MustDo(t, "POST", plURL(c.ID, "release"), map[string]any{"reason": "清理"}, 200, nil)
			pool = append(pool, c)
		}
		// Customers sales2 created or was given do not count against the quota.
		plCreate(t, sales2, map[string]any{"name": "自己开发的客户"})
		given := plCreate(t, owner, map[string]any{"name": "分配的客户", "owner_id": sales2.UserID})

		sales2.MustDo(t, "POST", plURL(pool[0].ID, "claim"), nil, 200, nil)
		sales2.MustDo(t, "POST", plURL(pool[1].ID, "claim"), nil, 200, nil)
		r := sales2.Do(t, "POST", plURL(pool[2].ID, "claim"), nil)
		if r.Status != 409 {
			t.Fatalf("third claim: %d %s", r.Status, r.Body)
		}
		var p struct {
			Code string
			Data struct {
				ClaimLimit int `json:"claim_limit"`
				Claimed    int `json:"claimed"`
			}
		}
		r.JSON(t, &p)
		if p.Code != "conflict" || p.Data.ClaimLimit != 2 || p.Data.Claimed != 2 {
			t.Errorf("limit answer: %s", r.Body)
		}
		if plRow(t, env, acme, pool[2].ID).InPool != true {
			t.Fatal("refused claim changed the customer")
		}

		// Releasing a claimed customer frees a slot; so does its reassignment to someone else.
		sales2.MustDo(t, "POST", plURL(pool[0].ID, "release"), map[string]any{"reason": "不合适"}, 200, nil)
		sales2.MustDo(t, "POST", plURL(pool[2].ID, "claim"), nil, 200, nil)
		sales2.MustDo(t, "POST", plURL(pool[3].ID, "claim"), nil, 409, nil)
		cur := plGet(t, owner, pool[1].ID)
		owner.MustDo(t, "PATCH", "/api/v1/customers/"+pool[1].ID.String(), map[string]any{"version": cur.Version, "owner_id": sales.UserID}, 200, nil)
		sales2.MustDo(t, "POST", plURL(pool[3].ID, "claim"), nil, 200, nil)
		// The quota is per person: sales's own count is untouched by sales2's.
		_ = given

		// The former owner is barred from reclaiming for reclaim_bar_days after the release.
		barred := plCreate(t, sales, map[string]any{"name": "刚放弃的客户"})
		sales.MustDo(t, "POST", plURL(barred.ID, "release"), map[string]any{"reason": "先放一放"}, 200, nil)
		r = sales.Do(t, "POST", plURL(barred.ID, "claim"), nil)
		if r.Status != 409 {
			t.Fatalf("reclaim within the bar: %d %s", r.Status, r.Body)
		}
		if pr := r.Problem(t); pr.Code != "conflict" || pr.Detail == "" {
			t.Errorf("bar answer: %s", r.Body)
		}
		env.Clock().Advance(6 * 24 * time.Hour)
		sales.MustDo(t, "POST", plURL(barred.ID, "claim"), nil, 409, nil)
		env.Clock().Advance(24*time.Hour + time.Minute)
		sales.MustDo(t, "POST", plURL(barred.ID, "claim"), nil, 200, nil)

		// The bar binds only the former owner: someone else claims at once.
		again := plCreate(t, sales, map[string]any{"name": "同事可领的客户"})
		sales.MustDo(t, "POST", plURL(again.ID, "release"), map[string]any{"reason": "x"}, 200, nil)
		plPatchSettings(t, owner, map[string]any{"pool": map[string]any{"claim_limit": 0}})
		sales2.MustDo(t, "POST", plURL(again.ID, "claim"), nil, 200, nil)
	})
}

func TestPoolRecycleIdleCustomers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		svc := env.Server.Customers
		ctx := plCtx(acme)
		// Defaults: key customers after 30 days, others after 15, warned 3 days ahead, deals exempt.
		general := plCreate(t, sales, map[string]any{"name": "普通客户"})
		key := plCreate(t, sales, map[string]any{"name": "重点客户", "tier": "key"})
		deal := plCreate(t, sales, map[string]any{"name": "成交客户", "stage": "deal"})
		followed := plCreate(t, sales, map[string]any{"name": "跟进过的客户"})
		hooked := plCreate(t, sales, map[string]any{"name": "有商机的客户"})
		deleted := plCreate(t, sales, map[string]any{"name": "删掉的客户"})
		acme.Owner.MustDo(t, "DELETE", "/api/v1/customers/"+deleted.ID.String(), nil, 204, nil)
		theirs := plCreate(t, other.Owner, map[string]any{"name": "别家客户"})
		t0 := plRow(t, env, acme, general.ID).CreatedAt
		plSet(t, env, acme, followed.ID, map[string]any{"last_follow_up_at": t0.Add(10 * 24 * time.Hour)})
		svc.PoolExemptions = []customer.PoolExemption{func(_ context.Context, _ *gorm.DB, rules tenants.PoolRules, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
			if !rules.ExemptOpenDeals {
				return nil, nil
			}
			return map[uuid.UUID]bool{hooked.ID: slices.Contains(ids, hooked.ID)}, nil
		}}
		t.Cleanup(func() { svc.PoolExemptions = nil })

		run := func(d time.Duration) customer.PoolRun {
			t.Helper()
			r, err := svc.RecycleIdleCustomers(ctx, t0.Add(d))
			if err != nil {
				t.Fatalf("recycle at +%v: %v", d, err)
			}
			return r
		}
		days := func(n float64) time.Duration { return time.Duration(n * float64(24*time.Hour)) }

		r := run(days(11))
		plSameIDs(t, "+11d recycled", r.Recycled)
		plSameIDs(t, "+11d warned", r.Warned)

		r = run(days(12) + time.Hour)
		plSameIDs(t, "+12d recycled", r.Recycled)
		plSameIDs(t, "+12d warned", r.Warned, general.ID)
		// Hourly runs do not repeat a warning for the same due date.
		plSameIDs(t, "+12d again warned", run(days(12)+2*time.Hour).Warned)
		plSameIDs(t, "+13d warned", run(days(13)).Warned)
		if evs := plEvents(t, env, acme, general.ID, "customer.pool_warning"); len(evs) != 1 {
			t.Fatalf("warnings: %d, want 1", len(evs))
		} else {
			pl := evs[0].Payload.Data()
			if pl["owner_id"] != sales.UserID.String() || pl["reason"] != "no_follow_up" || pl["due_on"] == nil || evs[0].ActorID != nil {
				t.Errorf("warning payload %v actor %v", pl, evs[0].ActorID)
			}
		}

		r = run(days(15) + time.Hour)
		plSameIDs(t, "+15d recycled", r.Recycled, general.ID)
		row := plRow(t, env, acme, general.ID)
		if !row.InPool || row.OwnerID != nil || row.FormerOwnerID == nil || *row.FormerOwnerID != sales.UserID ||
			row.PoolEnteredAt == nil || !row.PoolEnteredAt.Equal(t0.Add(days(15)+time.Hour)) || row.Version != 2 {
			t.Errorf("recycled row: in_pool %v owner %v former %v entered %v version %d", row.InPool, row.OwnerID, row.FormerOwnerID, row.PoolEnteredAt, row.Version)
		}
		if evs := plEvents(t, env, acme, general.ID, "customer.recycled"); len(evs) != 1 || evs[0].Payload.Data()["reason"] != "no_follow_up" {
			t.Errorf("recycled events %+v", evs)
		}
		if got := plAudit(t, env, acme, general.ID); !slices.Equal(got, []string{"create", "recycle"}) {
			t.Errorf("audit %v", got)
		}

		// The follow-up moved its customer's clock: due at +25d, warned from +22d.
		r = run(days(22) + time.Hour)
		plSameIDs(t, "+22d recycled", r.Recycled)
		plSameIDs(t, "+22d warned", r.Warned, followed.ID)
		// A new follow-up at +23d moves the due date to +38d: a new warning for the new date, once.
		plSet(t, env, acme, followed.ID, map[string]any{"last_follow_up_at": t0.Add(days(23))})
		// Key customers: 30 days, warned from +27d.
		r = run(days(27) + time.Hour)
		plSameIDs(t, "+27d recycled", r.Recycled)
		plSameIDs(t, "+27d warned", r.Warned, key.ID)
		r = run(days(35) + time.Hour)
		plSameIDs(t, "+35d recycled", r.Recycled, key.ID)
		plSameIDs(t, "+35d warned", r.Warned, followed.ID)
		plSameIDs(t, "+36d warned", run(days(36)).Warned)
		if n := len(plEvents(t, env, acme, key.ID, "customer.pool_warning")); n != 1 {
			t.Errorf("key customer warnings %d, want 1", n)
		}
		if n := len(plEvents(t, env, acme, followed.ID, "customer.pool_warning")); n != 2 {
			t.Errorf("followed customer warnings %d, want 2", n)
		}
		r = run(days(38) + time.Hour)
		plSameIDs(t, "+38d recycled", r.Recycled, followed.ID)
		plSameIDs(t, "+38d warned", r.Warned)

		// Deals, hooked exemptions, deleted customers and other tenants' customers stay.
		for _, c := range []plCustomer{deal, hooked, deleted} {
			if row := plRow(t, env, acme, c.ID); row.InPool || row.OwnerID == nil {
				t.Errorf("%s went to the pool", c.Name)
			}
		}
		var theirsRow customer.Customer
		if err := env.DB.Read(plCtx(other), func(tx *gorm.DB) error { return tx.Take(&theirsRow, "id = ?", theirs.ID).Error }); err != nil || theirsRow.InPool {
			t.Errorf("other tenant's customer: %v in_pool %v", err, theirsRow.InPool)
		}
		// Without exempt_deals (and without the hook's setting) both go.
		plPatchSettings(t, acme.Owner, map[string]any{"pool": map[string]any{"exempt_deals": false, "exempt_open_opportunities": false}})
		plSameIDs(t, "+40d recycled", run(days(40)).Recycled, deal.ID, hooked.ID)
		// Nothing is left to do.
		r = run(days(400))
		plSameIDs(t, "+400d", append(r.Recycled, r.Warned...))
		if n := len(plEvents(t, env, acme, deleted.ID, "customer.recycled")); n != 0 {
			t.Errorf("deleted customer recycled")
		}
	})
}

func TestPoolRecycleRulesAndClaimRestartsTheClock(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		sales2 := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		svc := env.Server.Customers
		ctx := plCtx(acme)
		days := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

		t.Run("claim restarts the clock", func(t *testing.T) {
			c := plCreate(t, sales, map[string]any{"name": "被领走的客户"})
			t0 := plRow(t, env, acme, c.ID).CreatedAt
			sales.MustDo(t, "POST", plURL(c.ID, "release"), map[string]any{"reason": "x"}, 200, nil)
			env.Clock().Advance(days(5))
			sales2.MustDo(t, "POST", plURL(c.ID, "claim"), nil, 200, nil)
			claimedAt := plRow(t, env, acme, c.ID).UpdatedAt
			if r, err := svc.RecycleIdleCustomers(ctx, t0.Add(days(16))); err != nil || len(r.Recycled) != 0 {
				t.Fatalf("16 days after creation, 11 after the claim: %+v %v", r, err)
			}
			r, err := svc.RecycleIdleCustomers(ctx, claimedAt.Add(days(15)+time.Minute))
			if err != nil || !slices.Contains(r.Recycled, c.ID) {
				t.Fatalf("15 days after the claim: %+v %v", r, err)
			}
		})

		t.Run("no_deal", func(t *testing.T) {
			plPatchSettings(t, owner, map[string]any{"pool": map[string]any{"recycle_on": "no_deal", "recycle_days_other": 10, "warn_days_before": 0}})
			t.Cleanup(func() {
				plPatchSettings(t, owner, map[string]any{"pool": map[string]any{"recycle_on": "no_follow_up", "recycle_days_other": 15, "warn_days_before": 3}})
			})
			busy := plCreate(t, sales, map[string]any{"name": "天天跟进未成交", "stage": "prospect"})
			won := plCreate(t, sales, map[string]any{"name": "已成交", "stage": "deal"})
			key := plCreate(t, sales, map[string]any{"name": "重点未成交", "tier": "key"})
			t0 := plRow(t, env, acme, busy.ID).CreatedAt
			plSet(t, env, acme, busy.ID, map[string]any{"last_follow_up_at": t0.Add(days(9))})
			r, err := svc.RecycleIdleCustomers(ctx, t0.Add(days(10)+time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(r.Recycled, busy.ID) || slices.Contains(r.Recycled, won.ID) || slices.Contains(r.Recycled, key.ID) || len(r.Warned) != 0 {
				t.Errorf("no_deal run: %+v", r)
			}
			if evs := plEvents(t, env, acme, busy.ID, "customer.recycled"); len(evs) != 1 || evs[0].Payload.Data()["reason"] != "no_deal" {
				t.Errorf("events %+v", evs)
			}
		})

		t.Run("disabled pool and suspended tenant do nothing", func(t *testing.T) {
			c := plCreate(t, sales, map[string]any{"name": "停用时的客户"})
			t0 := plRow(t, env, acme, c.ID).CreatedAt
			plPatchSettings(t, owner, map[string]any{"pool": map[string]any{"enabled": false}})
			if r, err := svc.RecycleIdleCustomers(ctx, t0.Add(days(100))); err != nil || len(r.Recycled)+len(r.Warned) != 0 {
				t.Errorf("disabled pool: %+v %v", r, err)
			}
			plPatchSettings(t, owner, map[string]any{"pool": map[string]any{"enabled": true}})
			if err := env.DB.Gorm(context.Background()).Model(&tenants.Tenant{}).Where("id = ?", acme.ID).Update("status", "suspended").Error; err != nil {
				t.Fatal(err)
			}
			if r, err := svc.RecycleIdleCustomers(ctx, t0.Add(days(100))); err != nil || len(r.Recycled)+len(r.Warned) != 0 {
				t.Errorf("suspended tenant: %+v %v", r, err)
			}
			if err := env.DB.Gorm(context.Background()).Model(&tenants.Tenant{}).Where("id = ?", acme.ID).Update("status", "active").Error; err != nil {
				t.Fatal(err)
			}
			if r, err := svc.RecycleIdleCustomers(ctx, t0.Add(days(100))); err != nil || !slices.Contains(r.Recycled, c.ID) {
				t.Errorf("active again: %+v %v", r, err)
			}
		})
	})
}
