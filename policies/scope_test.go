package policies_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

func sortedIDs(ids []uuid.UUID) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, id.String())
	}
	slices.Sort(out)
	return out
}

func sameIDs(t *testing.T, what string, got []uuid.UUID, want ...uuid.UUID) {
	t.Helper()
	if g, w := sortedIDs(got), sortedIDs(want); !slices.Equal(g, w) {
		t.Errorf("%s = %v, want %v", what, g, w)
	}
}

// orgChart is the chart of the data-scope tests: Sales (parent) → Sales East (child); a sales
// manager in Sales; salesperson A in Sales East managed by the manager; salesperson B in Sales.
type orgChart struct {
	co                   *apitest.Company
	sales, east          uuid.UUID
	owner, manager, a, b *apitest.Client
}

func newOrgChart(t *testing.T, env *apitest.Env) orgChart {
	t.Helper()
	co := env.Signup(t)
	ch := orgChart{co: co, owner: co.Owner, sales: co.Departments["Sales"]}
	if ch.sales == uuid.Nil {
		t.Fatalf("no default Sales department: %v", co.Departments)
	}
	var east struct{ ID uuid.UUID }
	co.Owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "Sales East", "parent_id": ch.sales}, 201, &east)
	ch.east = east.ID
	co.Departments["Sales East"] = east.ID
	ch.manager = co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
	ch.a = co.AddUserWith(t, apitest.UserOpts{Department: "Sales East", ManagerID: &ch.manager.UserID}, "salesperson")
	ch.b = co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
	return ch
}

// actorCtx is the context a request of cl would have after authentication: the tenant row as
// loaded now (its policy version included) and the user as actor.
func actorCtx(t *testing.T, env *apitest.Env, co *apitest.Company, cl *apitest.Client, dept uuid.UUID) context.Context {
	t.Helper()
	tn, err := tenants.Repo{DB: env.DB}.FindByID(context.Background(), co.ID)
	if err != nil {
		t.Fatal(err)
	}
	ctx := tenantctx.WithInfo(context.Background(), tn.Info())
	return tenantctx.WithActor(ctx, tenantctx.Actor{UserID: cl.UserID, DepartmentID: dept, Via: "test"})
}

// usersIn lists the IDs of the tenant's users a filter lets through, using the users table as
// a stand-in for a business table (owner column "id", department column "department_id").
func usersIn(t *testing.T, tx *gorm.DB, f policies.Filter) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	if err := f.Apply(tx.Model(&org.User{}), "id", "department_id").Pluck("id", &ids).Error; err != nil {
		t.Fatalf("apply %v: %v", f.Scope, err)
	}
	return ids
}

func TestDataScopes(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		ch := newOrgChart(t, env)
		// Another company with the same shape must never show up in any of ch's filters.
		other := newOrgChart(t, env)
		ctx := tenantctx.WithTenant(context.Background(), ch.co.ID)
		resolve := func(tx *gorm.DB, scope policies.DataScope, u *apitest.Client, dept uuid.UUID) policies.Filter {
			t.Helper()
			f, err := policies.ResolveScope(tx, scope, u.UserID, dept)
			if err != nil {
				t.Fatalf("ResolveScope(%s): %v", scope, err)
			}
			if f.Scope != scope {
				t.Errorf("filter scope %q, want %q", f.Scope, scope)
			}
			return f
		}
		err := env.DB.Read(ctx, func(tx *gorm.DB) error {
			own := resolve(tx, policies.ScopeOwn, ch.a, ch.east)
			sameIDs(t, "own(A).Owners", own.Owners, ch.a.UserID)
			sameIDs(t, "own(A) users", usersIn(t, tx, own), ch.a.UserID)
			if !own.Allows(ch.a.UserID, ch.east) || own.Allows(ch.b.UserID, ch.east) || own.Allows(other.a.UserID, ch.east) {
				t.Error("own(A).Allows lets the wrong owners through")
			}

			subs := resolve(tx, policies.ScopeOwnAndSubordinates, ch.manager, ch.sales)
			sameIDs(t, "own_and_subordinates(manager).Owners", subs.Owners, ch.manager.UserID, ch.a.UserID)
			sameIDs(t, "own_and_subordinates(manager) users", usersIn(t, tx, subs), ch.manager.UserID, ch.a.UserID)
			if !subs.Allows(ch.a.UserID, ch.east) || subs.Allows(ch.b.UserID, ch.sales) {
				t.Error("own_and_subordinates(manager).Allows: A must pass, B must not")
			}
			sameIDs(t, "own_and_subordinates(A).Owners", resolve(tx, policies.ScopeOwnAndSubordinates, ch.a, ch.east).Owners, ch.a.UserID)

			dept := resolve(tx, policies.ScopeDepartment, ch.b, ch.sales)
			sameIDs(t, "department(B).Departments", dept.Departments, ch.sales)
			sameIDs(t, "department(B) users", usersIn(t, tx, dept), ch.manager.UserID, ch.b.UserID)
			if !dept.Allows(ch.a.UserID, ch.sales) || dept.Allows(ch.b.UserID, ch.east) {
				t.Error("department(B).Allows must go by department, not owner")
			}

			tree := resolve(tx, policies.ScopeDepartmentTree, ch.manager, ch.sales)
			sameIDs(t, "department_tree(manager).Departments", tree.Departments, ch.sales, ch.east)
			sameIDs(t, "department_tree(manager) users", usersIn(t, tx, tree), ch.manager.UserID, ch.a.UserID, ch.b.UserID)
			if !tree.Allows(uuid.Nil, ch.east) || tree.Allows(uuid.Nil, ch.co.Departments["Management"]) || tree.Allows(uuid.Nil, other.sales) {
				t.Error("department_tree(manager).Allows: Sales East in, Management and the other company's Sales out")
			}
			// The tree of the child department does not reach up to the parent.
			sameIDs(t, "department_tree(Sales East)", resolve(tx, policies.ScopeDepartmentTree, ch.a, ch.east).Departments, ch.east)

			all := resolve(tx, policies.ScopeAll, ch.owner, ch.co.Departments["Management"])
			if len(all.Owners) != 0 || len(all.Departments) != 0 {
				t.Errorf("all carries IDs: %+v", all)
			}
			sameIDs(t, "all users", usersIn(t, tx, all), ch.owner.UserID, ch.manager.UserID, ch.a.UserID, ch.b.UserID)
			if !all.Allows(other.a.UserID, other.sales) {
				t.Error("all.Allows refused a record")
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		// Deeper levels: a team under Sales East and a salesperson C reporting to A are in the
		// manager's tree and among the manager's subordinates.
		var team struct{ ID uuid.UUID }
		ch.owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "East team 1", "parent_id": ch.east}, 201, &team)
		ch.co.Departments["East team 1"] = team.ID
		c := ch.co.AddUserWith(t, apitest.UserOpts{Department: "East team 1", ManagerID: &ch.a.UserID}, "salesperson")
		err = env.DB.Read(ctx, func(tx *gorm.DB) error {
			sameIDs(t, "department_tree(manager) with a team", resolve(tx, policies.ScopeDepartmentTree, ch.manager, ch.sales).Departments, ch.sales, ch.east, team.ID)
			sameIDs(t, "own_and_subordinates(manager) with C", resolve(tx, policies.ScopeOwnAndSubordinates, ch.manager, ch.sales).Owners, ch.manager.UserID, ch.a.UserID, c.UserID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// ScopeFilter resolves the acting user's own scope from their roles: the widest one wins.
func TestScopeFilterOfActor(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		ch := newOrgChart(t, env)
		authz := env.Server.Authz
		check := func(cl *apitest.Client, dept uuid.UUID, wantScope policies.DataScope, wantOwners, wantDepts []uuid.UUID) {
			t.Helper()
			ctx := actorCtx(t, env, ch.co, cl, dept)
			var f policies.Filter
			err := env.DB.Read(ctx, func(tx *gorm.DB) error {
				var err error
				f, err = authz.ScopeFilter(ctx, tx)
				return err
			})
			if err != nil {
				t.Fatalf("ScopeFilter: %v", err)
			}
			if f.Scope != wantScope {
				t.Errorf("scope %q, want %q", f.Scope, wantScope)
			}
			sameIDs(t, string(wantScope)+" owners", f.Owners, wantOwners...)
			sameIDs(t, string(wantScope)+" departments", f.Departments, wantDepts...)
		}
		check(ch.a, ch.east, policies.ScopeOwn, []uuid.UUID{ch.a.UserID}, nil)
		check(ch.manager, ch.sales, policies.ScopeDepartmentTree, nil, []uuid.UUID{ch.sales, ch.east})
		check(ch.owner, ch.co.Departments["Management"], policies.ScopeAll, nil, nil)

		// B also becomes customer service (scope department): the wider scope applies.
		var u struct{ Version int64 }
		ch.owner.MustDo(t, "GET", "/api/v1/users/"+ch.b.UserID.String(), nil, 200, &u)
		ch.owner.MustDo(t, "PATCH", "/api/v1/users/"+ch.b.UserID.String(), map[string]any{"version": u.Version, "roles": []string{"salesperson", "customer_service"}}, 200, nil)
		check(ch.b, ch.sales, policies.ScopeDepartment, nil, []uuid.UUID{ch.sales})
		var me struct {
			DataScope string `json:"data_scope"`
		}
		ch.b.MustDo(t, "GET", "/api/v1/me", nil, 200, &me)
		if me.DataScope != "department" {
			t.Errorf("/me data_scope %q, want department", me.DataScope)
		}
	})
}

func TestDataScopeOrder(t *testing.T) {
	order := policies.DataScopes
	for i := 1; i < len(order); i++ {
		if !order[i].Wider(order[i-1]) || order[i-1].Wider(order[i]) {
			t.Errorf("%s should be wider than %s", order[i], order[i-1])
		}
	}
	if policies.DataScope("everything").Valid() || !policies.ScopeAll.Valid() {
		t.Error("Valid")
	}
	if !strings.Contains(strings.Join(func() []string {
		var s []string
		for _, d := range order {
			s = append(s, string(d))
		}
		return s
	}(), ","), "own,own_and_subordinates,department,department_tree,all") {
		t.Errorf("scopes %v", order)
	}
}
