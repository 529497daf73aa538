package customer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

// poolView is the part of a customer the several-pools test looks at.
type poolView struct {
	ID      uuid.UUID  `json:"id"`
	InPool  bool       `json:"in_pool"`
	Pool    *string    `json:"pool"`
	OwnerID *uuid.UUID `json:"owner_id"`
	Version int64      `json:"version"`
}

type poolsList struct {
	Items []struct {
		Key       string `json:"key"`
		Name      string `json:"name"`
		Customers int64  `json:"customers"`
		Rules     struct {
			ClaimLimit int `json:"claim_limit"`
		} `json:"rules"`
	} `json:"items"`
}

// TestSeveralPools: a named pool takes the customers of its departments (sub-departments
// included, the nearest listing winning), under its own rules, and only their staff see and
// claim from it; everyone else works the default pool (EXP-2).
func TestSeveralPools(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		var east, shanghai struct{ ID uuid.UUID }
		owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "华东销售", "parent_id": acme.Departments["Sales"]}, 201, &east)
		owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "上海组", "parent_id": east.ID}, 201, &shanghai)
		acme.Departments["East"], acme.Departments["Shanghai"] = east.ID, shanghai.ID
		var foreign struct{ ID uuid.UUID }
		other.Owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "别家部门"}, 201, &foreign)

		eastRules := map[string]any{"enabled": true, "recycle_days_key": 10, "recycle_days_other": 5, "claim_limit": 1}
		pool := func(key string, depts ...uuid.UUID) map[string]any {
			return map[string]any{"key": key, "name": "华东公海", "department_ids": depts, "rules": eastRules}
		}
		t.Run("settings validation", func(t *testing.T) {
			env.Run(t, []apitest.Scenario{
				{Name: "reserved key", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"pools": []any{pool("default", east.ID)}},
					Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "pools[0].key", "invalid_format") }},
				{Name: "repeated key", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"pools": []any{pool("east", east.ID), pool("east", shanghai.ID)}},
					Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "pools[1].key", "taken") }},
				{Name: "department in two pools", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"pools": []any{pool("east", east.ID), pool("east2", east.ID)}},
					Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) {
						r.Problem(t).WantField(t, "pools[1].department_ids[0]", "taken")
					}},
				{Name: "other tenant's department", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"pools": []any{pool("east", foreign.ID)}},
					Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) {
						r.Problem(t).WantField(t, "pools[0].department_ids[0]", "not_found")
					}},
				{Name: "no departments", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"pools": []any{pool("east")}},
					Status: 422, Code: "validation_failed"},
				{Name: "wrong role", Method: "PATCH", URL: "/api/v1/settings", As: acme.AddUser(t, "general_manager"), Body: map[string]any{"pools": []any{pool("east", east.ID)}},
					Status: 403, Code: "forbidden"},
				{Name: "success", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"pools": []any{pool("east", east.ID)}},
					Status: 200, Contains: []string{`"key":"east"`}},
			})
		})

		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		eastA := acme.AddUserWith(t, apitest.UserOpts{Department: "East"}, "salesperson")
		shanghaiB := acme.AddUserWith(t, apitest.UserOpts{Department: "Shanghai"}, "salesperson")
		release := func(as *apitest.Client, name string) poolView {
			t.Helper()
			c := plCreate(t, as, map[string]any{"name": name})
			var v poolView
			as.MustDo(t, "POST", plURL(c.ID, "release"), map[string]any{"reason": "暂无需求"}, 200, &v)
			return v
		}
		fromEast := release(eastA, "华东放弃的客户")
		fromShanghai := release(shanghaiB, "上海放弃的客户") // a sub-department: the east pool
		fromSales := release(sales, "销售部放弃的客户")
		if fromEast.Pool == nil || *fromEast.Pool != "east" || fromShanghai.Pool == nil || *fromShanghai.Pool != "east" {
			t.Fatalf("east customers went to %v and %v", fromEast.Pool, fromShanghai.Pool)
		}
		if fromSales.Pool == nil || *fromSales.Pool != "default" {
			t.Fatalf("sales customer went to %v", fromSales.Pool)
		}

		t.Run("who sees which pool", func(t *testing.T) {
			env.Run(t, []apitest.Scenario{
				{Name: "no login", Method: "GET", URL: "/api/v1/pools", Status: 401, Code: "unauthenticated"},
				{Name: "other tenant sees only its own default pool", Method: "GET", URL: "/api/v1/pools", As: other.Owner, Status: 200,
					Contains: []string{`"key":"default"`}, NotContains: []string{`"east"`}},
				{Name: "wrong role", Method: "GET", URL: "/api/v1/pools", As: acme.AddUser(t, "finance"), Status: 403, Code: "forbidden"},
				{Name: "the sales department sees the default pool only", Method: "GET", URL: "/api/v1/pool", As: sales, Status: 200,
					Contains: []string{"销售部放弃的客户"}, NotContains: []string{"华东放弃的客户", "上海放弃的客户"}},
				{Name: "naming another department's pool lists nothing", Method: "GET", URL: "/api/v1/pool?pool=east", As: sales, Status: 200,
					NotContains: []string{"华东放弃的客户"}},
				{Name: "east staff see both pools", Method: "GET", URL: "/api/v1/pool", As: shanghaiB, Status: 200,
					Contains: []string{"销售部放弃的客户", "华东放弃的客户", "上海放弃的客户"}},
				{Name: "one pool by name", Method: "GET", URL: "/api/v1/pool?pool=east", As: eastA, Status: 200,
					Contains: []string{"华东放弃的客户"}, NotContains: []string{"销售部放弃的客户"}},
				{Name: "the default pool by name", Method: "GET", URL: "/api/v1/pool?pool=default", As: eastA, Status: 200,
					Contains: []string{"销售部放弃的客户"}, NotContains: []string{"华东放弃的客户"}},
				{Name: "another department's pool customer answers as missing", Method: "GET", URL: "/api/v1/customers/" + fromEast.ID.String(), As: sales,
					Status: 404, Code: "not_found"},
				{Name: "its pool's staff read it", Method: "GET", URL: "/api/v1/customers/" + fromEast.ID.String(), As: shanghaiB, Status: 200,
					Contains: []string{`"pool":"east"`}},
				{Name: "editing a pool customer needs a claim first", Method: "PATCH", URL: "/api/v1/customers/" + fromSales.ID.String(), As: eastA,
					Body: map[string]any{"version": fromSales.Version, "industry": "机械"}, Status: 409, Code: "conflict", Contains: []string{"claim it"}},
				{Name: "so does marking one churned", Method: "POST", URL: plURL(fromSales.ID, "churn"), As: sales, Body: map[string]any{"reason": "倒闭"},
					Status: 409, Code: "conflict"},
			})
			// A manager who may assign customers may still correct a pool record.
			var fixed poolView
			acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager").MustDo(t, "PATCH", "/api/v1/customers/"+fromSales.ID.String(),
				map[string]any{"version": fromSales.Version, "industry": "机械"}, 200, &fixed)
			if !fixed.InPool || fixed.Pool == nil || *fixed.Pool != "default" {
				t.Errorf("pool customer after a manager's edit: %+v", fixed)
			}
			var mine poolsList
			eastA.MustDo(t, "GET", "/api/v1/pools", nil, 200, &mine)
			if len(mine.Items) != 2 || mine.Items[0].Key != "default" || mine.Items[0].Customers != 1 ||
				mine.Items[1].Key != "east" || mine.Items[1].Customers != 2 || mine.Items[1].Rules.ClaimLimit != 1 {
				t.Errorf("pools as east staff: %+v", mine)
			}
			var theirs poolsList
			sales.MustDo(t, "GET", "/api/v1/pools", nil, 200, &theirs)
			if len(theirs.Items) != 1 || theirs.Items[0].Key != "default" {
				t.Errorf("pools as sales: %+v", theirs)
			}
			// Those who may assign customers manage every pool.
			var all poolsList
			owner.MustDo(t, "GET", "/api/v1/pools", nil, 200, &all)
			if len(all.Items) != 2 || all.Items[1].Key != "east" || all.Items[1].Customers != 2 {
				t.Errorf("pools as the owner: %+v", all)
			}
			owner.MustDo(t, "GET", "/api/v1/customers/"+fromEast.ID.String(), nil, 200, nil)
			if r := owner.Do(t, "GET", "/api/v1/pool?pool=east", nil); r.Status != 200 || !strings.Contains(string(r.Body), "华东放弃的客户") {
				t.Errorf("the east pool as the owner: %d %s", r.Status, r.Body)
			}
		})

		t.Run("claims follow each pool's rules", func(t *testing.T) {
			// Another department's pool is not the claimer's to see.
			if r := sales.Do(t, "POST", plURL(fromEast.ID, "claim"), nil); r.Status != 404 {
				t.Errorf("sales claiming from the east pool: %d %s", r.Status, r.Body)
			}
			var got poolView
			eastA.MustDo(t, "POST", plURL(fromShanghai.ID, "claim"), nil, 200, &got)
			if got.InPool || got.Pool != nil || got.OwnerID == nil || *got.OwnerID != eastA.UserID {
				t.Errorf("after claim: %+v", got)
			}
			// The east pool allows one claim per person…
			if r := eastA.Do(t, "POST", plURL(fromEast.ID, "claim"), nil); r.Status != 409 {
				t.Errorf("second claim from the east pool: %d %s", r.Status, r.Body)
			}
			// …but the default pool's quota is its own.
			eastA.MustDo(t, "POST", plURL(fromSales.ID, "claim"), nil, 200, nil)
			shanghaiB.MustDo(t, "POST", plURL(fromEast.ID, "claim"), nil, 200, nil)
		})

		t.Run("recycling uses each pool's days", func(t *testing.T) {
			svc := env.Server.Customers
			eastIdle := plCreate(t, eastA, map[string]any{"name": "华东久未跟进"})
			salesIdle := plCreate(t, sales, map[string]any{"name": "销售部久未跟进"})
			t0 := plRow(t, env, acme, eastIdle.ID).CreatedAt
			for _, id := range []uuid.UUID{eastIdle.ID, salesIdle.ID} {
				plSet(t, env, acme, id, map[string]any{"created_at": t0, "last_follow_up_at": nil})
			}
			// Six days on: past the east pool's five, within the default pool's fifteen. The
			// customers claimed above by east staff now sit in east departments (a claim moves a
			// customer to the claimer's department) and their clocks started at the claim.
			run, err := svc.RecycleIdleCustomers(plCtx(acme), t0.Add(6*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			plSameIDs(t, "recycled after six days", run.Recycled, eastIdle.ID, fromEast.ID, fromShanghai.ID, fromSales.ID)
			if row := plRow(t, env, acme, eastIdle.ID); !row.InPool || row.PoolKey != "east" {
				t.Errorf("east customer after recycling: in_pool %v pool %q", row.InPool, row.PoolKey)
			}
			ev := plEvents(t, env, acme, eastIdle.ID, "customer.recycled")
			if len(ev) != 1 || ev[0].Payload.Data()["pool"] != "east" {
				t.Errorf("recycled events: %+v", ev)
			}
			if row := plRow(t, env, acme, salesIdle.ID); row.InPool {
				t.Errorf("sales customer recycled after six days")
			}
			// Removing the named pool sends new arrivals to the default pool, under its rules.
			owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"pools": []any{}}, 200, nil)
			var v poolView
			eastA.MustDo(t, "POST", plURL(plCreate(t, eastA, map[string]any{"name": "改制后放弃"}).ID, "release"), map[string]any{"reason": "x"}, 200, &v)
			if v.Pool == nil || *v.Pool != "default" {
				t.Errorf("after the east pool was removed: %v", v.Pool)
			}
		})
	})
}
