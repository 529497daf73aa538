package policies_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"

	"github.com/smecrm/crm/policies"
)

// apiRoleKeys is the list of role keys in API.md, in its order. The web app and integrators
// rely on these exact keys.
var apiRoleKeys = []string{
	"owner", "general_manager", "vice_president", "sales_manager", "service_manager",
	"salesperson", "customer_service", "marketing", "service_technician", "finance",
	"warehouse", "operations", "auditor",
}

func TestDefaultRoleKeysMatchAPI(t *testing.T) {
	var keys []string
	for _, r := range policies.DefaultRoles {
		keys = append(keys, r.Key)
	}
	if !slices.Equal(keys, apiRoleKeys) {
		t.Errorf("roles.csv keys %v\nwant (API.md)  %v", keys, apiRoleKeys)
	}
}

func TestDefaultRolesNamedInEveryLocale(t *testing.T) {
	for _, r := range policies.DefaultRoles {
		for _, l := range []string{"zh-CN", "zh-TW", "en"} {
			if strings.TrimSpace(r.Names[l]) == "" {
				t.Errorf("role %s has no %s name", r.Key, l)
			}
		}
		if len(r.Names) != 3 {
			t.Errorf("role %s has names %v, want exactly zh-CN, zh-TW, en", r.Key, r.Names)
		}
		if !r.DataScope.Valid() {
			t.Errorf("role %s has data scope %q", r.Key, r.DataScope)
		}
	}
	// The roles the documents give data scopes for (IAM-5).
	for key, want := range map[string]policies.DataScope{
		"owner": policies.ScopeAll, "general_manager": policies.ScopeAll, "salesperson": policies.ScopeOwn,
		"sales_manager": policies.ScopeDepartmentTree,
	} {
		if r, _ := policies.RoleByKey(key); r.DataScope != want {
			t.Errorf("role %s scope %q, want %q", key, r.DataScope, want)
		}
	}
}

func TestDefaultGrantsAreKnown(t *testing.T) {
	for role, perms := range policies.DefaultGrants {
		if _, ok := policies.RoleByKey(role); !ok {
			t.Errorf("default_policy.csv grants to %q, which roles.csv does not define", role)
		}
		seen := map[policies.Perm]bool{}
		for _, p := range perms {
			if p.Object != "*" && !slices.Contains(policies.Objects, p.Object) {
				t.Errorf("%s: unknown object %q", role, p.Object)
			}
			if p.Action != "*" && !slices.Contains(policies.Actions, p.Action) {
				t.Errorf("%s: unknown action %q", role, p.Action)
			}
			if seen[p] {
				t.Errorf("%s: %s:%s granted twice", role, p.Object, p.Action)
			}
			seen[p] = true
		}
	}
	for _, r := range policies.DefaultRoles {
		if len(policies.DefaultGrants[r.Key]) == 0 {
			t.Errorf("role %s has no default grants", r.Key)
		}
	}
	if !slices.Equal(policies.DefaultGrants["owner"], []policies.Perm{{Object: "*", Action: "*"}}) {
		t.Errorf("owner grants %v, want exactly *:*", policies.DefaultGrants["owner"])
	}
}

func TestPermKnownAndExpand(t *testing.T) {
	for _, p := range []policies.Perm{{"customer", "read"}, {"*", "read"}, {"role", "*"}, {"*", "*"}} {
		if !p.Known() {
			t.Errorf("%v not known", p)
		}
	}
	for _, p := range []policies.Perm{{"customers", "read"}, {"customer", "write"}, {"", "read"}, {"customer", ""}} {
		if p.Known() {
			t.Errorf("%v known", p)
		}
	}
	if n := len(policies.Perm{Object: "*", Action: "*"}.Expand()); n != len(policies.Objects)*len(policies.Actions) {
		t.Errorf("*:* expands to %d", n)
	}
	if got := (policies.Perm{Object: "user", Action: "*"}).Expand(); len(got) != len(policies.Actions) || got[0].Object != "user" {
		t.Errorf("user:* expands to %v", got)
	}
}

// defaultEnforcer loads model.conf and the default grants into an in-memory enforcer for two
// tenants, with one user per role in tenant "t1".
func defaultEnforcer(t *testing.T) *casbin.Enforcer {
	t.Helper()
	conf, err := os.ReadFile("model.conf")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.NewModelFromString(string(conf))
	if err != nil {
		t.Fatal(err)
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, dom := range []string{"t1", "t2"} {
		for role, perms := range policies.DefaultGrants {
			for _, p := range perms {
				if _, err := e.AddPolicy(role, dom, p.Object, p.Action); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	for _, r := range policies.DefaultRoles {
		if _, err := e.AddGroupingPolicy("u:"+r.Key, r.Key, "t1"); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func allowed(t *testing.T, e *casbin.Enforcer, role, dom, obj, act string) bool {
	t.Helper()
	ok, err := e.Enforce("u:"+role, dom, obj, act)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// The default grants, enforced through the real model: who may read customers (IAM-6), who may
// change roles and settings, the read-only auditor, and domains that never leak.
func TestDefaultGrantsEnforced(t *testing.T) {
	e := defaultEnforcer(t)
	customerReaders := []string{"owner", "general_manager", "vice_president", "sales_manager", "service_manager",
		"salesperson", "customer_service", "marketing", "auditor"}
	for _, r := range policies.DefaultRoles {
		want := slices.Contains(customerReaders, r.Key)
		if got := allowed(t, e, r.Key, "t1", "customer", "read"); got != want {
			t.Errorf("%s customer:read = %v, want %v", r.Key, got, want)
		}
		// Only the owner administers the tenant (roles, settings, plugins); the general manager
		// also manages staff.
		owner := r.Key == "owner"
		for _, p := range []policies.Perm{{"role", "update"}, {"settings", "update"}, {"plugin", "update"}} {
			if got := allowed(t, e, r.Key, "t1", p.Object, p.Action); got != owner {
				t.Errorf("%s %s:%s = %v, want %v", r.Key, p.Object, p.Action, got, owner)
			}
		}
		staffAdmin := owner || r.Key == "general_manager"
		if got := allowed(t, e, r.Key, "t1", "user", "create"); got != staffAdmin {
			t.Errorf("%s user:create = %v, want %v", r.Key, got, staffAdmin)
		}
		// Nobody's grants reach another tenant: the user holds the role in t1 only.
		if allowed(t, e, r.Key, "t2", "customer", "read") {
			t.Errorf("%s of t1 may read t2's customers", r.Key)
		}
	}
	for _, obj := range policies.Objects {
		if !allowed(t, e, "auditor", "t1", obj, "read") {
			t.Errorf("auditor cannot read %s", obj)
		}
		for _, act := range policies.Actions {
			if act != "read" && allowed(t, e, "auditor", "t1", obj, act) {
				t.Errorf("auditor may %s %s", act, obj)
			}
		}
	}
	if allowed(t, e, "salesperson", "t1", "customer", "delete") || allowed(t, e, "salesperson", "t1", "audit", "read") {
		t.Error("salesperson may delete customers or read the audit log")
	}
	if !allowed(t, e, "salesperson", "t1", "customer", "create") {
		t.Error("salesperson cannot create customers")
	}
}
