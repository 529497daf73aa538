package policies_test

import (
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/policies"
)

type roleView struct {
	Role        string          `json:"role"`
	Name        string          `json:"name"`
	DataScope   string          `json:"data_scope"`
	Builtin     bool            `json:"builtin"`
	Permissions []policies.Perm `json:"permissions"`
	Version     int64           `json:"version"`
}

func getRole(t *testing.T, cl *apitest.Client, key string) roleView {
	t.Helper()
	var v roleView
	cl.MustDo(t, "GET", "/api/v1/roles/"+key, nil, 200, &v)
	return v
}

func defaultPerms(role string) []policies.Perm {
	out := slices.Clone(policies.DefaultGrants[role])
	slices.SortFunc(out, func(a, b policies.Perm) int {
		if a.Object != b.Object {
			if a.Object < b.Object {
				return -1
			}
			return 1
		}
		if a.Action < b.Action {
			return -1
		} else if a.Action > b.Action {
			return 1
		}
		return 0
	})
	return out
}

func putBody(v roleView) map[string]any {
	return map[string]any{"name": v.Name, "data_scope": v.DataScope, "permissions": v.Permissions}
}

func TestRolesAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUser(t, "salesperson")
		owner := acme.Owner
		// A custom role only the other company has.
		other.Owner.MustDo(t, "PUT", "/api/v1/roles/other_only", map[string]any{"name": "Other", "data_scope": "own", "permissions": []policies.Perm{{"customer", "read"}}}, 200, nil)
		good := map[string]any{"name": "Salesperson", "data_scope": "own", "permissions": []policies.Perm{{"customer", "read"}}}

		env.Run(t, []apitest.Scenario{
			{Name: "no login list", Method: "GET", URL: "/api/v1/roles", Status: 401, Code: "unauthenticated"},
			{Name: "no login put", Method: "PUT", URL: "/api/v1/roles/salesperson", Body: good, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "GET", URL: "/api/v1/roles/other_only", As: owner, Status: 404, Code: "not_found"},
			{Name: "wrong role read", Method: "GET", URL: "/api/v1/roles", As: sales, Status: 403, Code: "forbidden"},
			{Name: "wrong role put", Method: "PUT", URL: "/api/v1/roles/salesperson", As: sales, Body: good, Status: 403, Code: "forbidden"},
			{Name: "not found", Method: "GET", URL: "/api/v1/roles/no_such_role", As: owner, Status: 404, Code: "not_found"},
			{Name: "invalid permission", Method: "PUT", URL: "/api/v1/roles/salesperson", As: owner,
				Body:   map[string]any{"name": "Salesperson", "data_scope": "own", "permissions": []policies.Perm{{"customer", "read"}, {"spaceship", "launch"}}},
				Status: 422, Code: "validation_failed", Contains: []string{`"field":"permissions"`}},
			{Name: "invalid fields", Method: "PUT", URL: "/api/v1/roles/salesperson", As: owner,
				Body:   map[string]any{"name": "", "data_scope": "galaxy", "permissions": []policies.Perm{}},
				Status: 422, Code: "validation_failed", Contains: []string{`"code":"required"`, `"code":"invalid_choice"`}},
			{Name: "invalid key", Method: "PUT", URL: "/api/v1/roles/Bad-Key", As: owner, Body: good, Status: 422, Code: "validation_failed", Contains: []string{`"field":"role"`}},
			{Name: "unknown field", Method: "PUT", URL: "/api/v1/roles/salesperson", As: owner,
				Body: map[string]any{"name": "x", "data_scope": "own", "permissions": []policies.Perm{}, "admin": true}, Status: 422, Code: "validation_failed", Contains: []string{`"field":"admin"`}},
			{Name: "owner role is fixed", Method: "PUT", URL: "/api/v1/roles/owner", As: owner,
				Body: map[string]any{"name": "Owner", "data_scope": "own", "permissions": []policies.Perm{}}, Status: 409, Code: "conflict"},
			{Name: "success list", Method: "GET", URL: "/api/v1/roles", As: owner, Status: 200, NotContains: []string{"other_only"},
				Check: func(t *testing.T, r *apitest.Response) {
					var page struct {
						Items      []roleView
						NextCursor *string `json:"next_cursor"`
					}
					r.JSON(t, &page)
					var keys []string
					for _, v := range page.Items {
						keys = append(keys, v.Role)
						def, _ := policies.RoleByKey(v.Role)
						if v.DataScope != string(def.DataScope) || v.Name != def.Names["en"] || !v.Builtin {
							t.Errorf("role %+v, want scope %s, name %q, builtin", v, def.DataScope, def.Names["en"])
						}
						if !slices.Equal(v.Permissions, defaultPerms(v.Role)) {
							t.Errorf("role %s permissions %v, want %v", v.Role, v.Permissions, defaultPerms(v.Role))
						}
					}
					if !slices.Equal(keys, apiRoleKeys) {
						t.Errorf("roles %v, want the 13 defaults %v", keys, apiRoleKeys)
					}
				}},
			{Name: "success get", Method: "GET", URL: "/api/v1/roles/salesperson", As: owner, Status: 200,
				Contains: []string{`"role":"salesperson"`, `"data_scope":"own"`, `{"object":"customer","action":"create"}`}},
		})
	})
}

// A change to a role applies to the users holding it on their very next request, in that
// tenant only; its history is audited.
func TestPutRoleTakesEffect(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		// A cookie session too: the grant must apply to sessions and tokens alike.
		salesWeb := sales.Session()
		foreign := other.AddUser(t, "salesperson")
		// A salesperson grants only roles ranked below their own: a custom role (rank 0).
		owner.MustDo(t, "PUT", "/api/v1/roles/intern", map[string]any{"name": "实习生", "data_scope": "own", "permissions": []policies.Perm{}}, 200, nil)
		newUser := func(c *apitest.Client) map[string]any {
			return map[string]any{"email": apitest.UniqueSlug("n") + "@" + c.Company.Slug + ".example.com", "name": "新人", "roles": []string{"intern"}}
		}

		sales.MustDo(t, "POST", "/api/v1/users", newUser(sales), 403, nil)
		before := getRole(t, owner, "salesperson")
		grant := before
		grant.Permissions = append(slices.Clone(before.Permissions), policies.Perm{Object: "user", Action: "create"}, policies.Perm{Object: "user", Action: "create"})
		grant.DataScope = "department"
		var after roleView
		owner.MustDo(t, "PUT", "/api/v1/roles/salesperson", putBody(grant), 200, &after)
		if after.Version != before.Version+1 || after.DataScope != "department" || !slices.Contains(after.Permissions, policies.Perm{Object: "user", Action: "create"}) {
			t.Fatalf("PUT answered %+v", after)
		}
		if len(after.Permissions) != len(before.Permissions)+1 {
			t.Errorf("duplicate grant kept: %d permissions, want %d", len(after.Permissions), len(before.Permissions)+1)
		}
		if got := getRole(t, owner, "salesperson"); !slices.Equal(got.Permissions, after.Permissions) || got.DataScope != "department" {
			t.Errorf("GET after PUT: %+v", got)
		}

		// The very next request of a salesperson sees the grant, by token and by session.
		sales.MustDo(t, "POST", "/api/v1/users", newUser(sales), 201, nil)
		salesWeb.MustDo(t, "POST", "/api/v1/users", newUser(sales), 201, nil)
		var me struct {
			DataScope   string          `json:"data_scope"`
			Permissions []policies.Perm `json:"permissions"`
		}
		sales.MustDo(t, "GET", "/api/v1/me", nil, 200, &me)
		if me.DataScope != "department" || !slices.Contains(me.Permissions, policies.Perm{Object: "user", Action: "create"}) {
			t.Errorf("/me after grant: %+v", me)
		}

		// The other company's salesperson is untouched.
		foreign.MustDo(t, "POST", "/api/v1/users", newUser(foreign), 403, nil)
		if got := getRole(t, other.Owner, "salesperson"); !slices.Equal(got.Permissions, before.Permissions) || got.DataScope != "own" || got.Version != before.Version {
			t.Errorf("other tenant's salesperson changed: %+v", got)
		}

		// Taking the grant away applies as fast.
		owner.MustDo(t, "PUT", "/api/v1/roles/salesperson", putBody(before), 200, nil)
		sales.MustDo(t, "POST", "/api/v1/users", newUser(sales), 403, nil)
		salesWeb.MustDo(t, "POST", "/api/v1/users", newUser(sales), 403, nil)
		sales.MustDo(t, "GET", "/api/v1/me", nil, 200, &me)
		if me.DataScope != "own" || slices.Contains(me.Permissions, policies.Perm{Object: "user", Action: "create"}) {
			t.Errorf("/me after revoke: %+v", me)
		}

		// Both changes are in the audit history, permissions as [before, after].
		var hist struct {
			Items []struct {
				Action  string
				Entity  string `json:"entity"`
				Changes map[string][2]any
			}
		}
		owner.MustDo(t, "GET", "/api/v1/audit?entity=role&entity_id=salesperson", nil, 200, &hist)
		if len(hist.Items) != 2 {
			t.Fatalf("audit has %d role entries, want 2: %+v", len(hist.Items), hist.Items)
		}
		for _, e := range hist.Items {
			if e.Action != "update" || e.Changes["permissions"][0] == nil || e.Changes["data_scope"][0] == nil {
				t.Errorf("audit entry %+v lacks permissions/data_scope [before, after]", e)
			}
		}
		if hist.Items[0].Changes["data_scope"] != [2]any{"department", "own"} {
			t.Errorf("newest entry data_scope %v, want [department own]", hist.Items[0].Changes["data_scope"])
		}
	})
}

// A custom role created with PUT works like a default one: listed after the defaults, assignable,
// its grants enforced.
func TestPutCustomRole(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		var created roleView
		owner.MustDo(t, "PUT", "/api/v1/roles/regional_director", map[string]any{"name": "Regional director", "data_scope": "department_tree",
			"permissions": []policies.Perm{{"user", "read"}, {"customer", "*"}}}, 200, &created)
		if created.Builtin || created.Version != 1 || created.DataScope != "department_tree" || len(created.Permissions) != 2 {
			t.Fatalf("created %+v", created)
		}
		var page struct{ Items []roleView }
		owner.MustDo(t, "GET", "/api/v1/roles", nil, 200, &page)
		if len(page.Items) != 14 || page.Items[13].Role != "regional_director" {
			t.Fatalf("roles after create: %d, last %+v", len(page.Items), page.Items[len(page.Items)-1])
		}
		other.Owner.MustDo(t, "GET", "/api/v1/roles/regional_director", nil, 404, nil)

		dir := acme.AddUser(t, "regional_director")
		dir.MustDo(t, "GET", "/api/v1/users", nil, 200, nil)
		dir.MustDo(t, "GET", "/api/v1/roles", nil, 403, nil)
		dir.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "x"}, 403, nil)
		var me struct {
			Roles     []string `json:"roles"`
			DataScope string   `json:"data_scope"`
		}
		dir.MustDo(t, "GET", "/api/v1/me", nil, 200, &me)
		if !slices.Equal(me.Roles, []string{"regional_director"}) || me.DataScope != "department_tree" {
			t.Errorf("/me of the director: %+v", me)
		}
		// The other company cannot give its users a role it does not have.
		other.Owner.MustDo(t, "POST", "/api/v1/users", map[string]any{"email": "d@" + other.Slug + ".example.com", "name": "d", "roles": []string{"regional_director"}}, 422, nil)
	})
}

// Only the owner manages roles (default_policy.csv): the general manager may read them but not
// change them, and nobody may change the owner role.
func TestPutRoleOwnerOnly(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		gm := acme.AddUser(t, "general_manager")
		vp := acme.AddUser(t, "vice_president")
		auditor := acme.AddUser(t, "auditor")
		body := map[string]any{"name": "Warehouse", "data_scope": "all", "permissions": []policies.Perm{{"product", "*"}}}
		env.Run(t, []apitest.Scenario{
			{Name: "vice president", Method: "PUT", URL: "/api/v1/roles/warehouse", As: vp, Body: body, Status: 403, Code: "forbidden"},
			{Name: "auditor", Method: "PUT", URL: "/api/v1/roles/warehouse", As: auditor, Body: body, Status: 403, Code: "forbidden"},
			{Name: "auditor reads", Method: "GET", URL: "/api/v1/roles/warehouse", As: auditor, Status: 200},
			{Name: "general manager", Method: "PUT", URL: "/api/v1/roles/warehouse", As: gm, Body: body, Status: 403, Code: "forbidden"},
			{Name: "general manager reads", Method: "GET", URL: "/api/v1/roles/warehouse", As: gm, Status: 200},
			{Name: "owner on owner", Method: "PUT", URL: "/api/v1/roles/owner", As: acme.Owner, Body: body, Status: 409, Code: "conflict"},
			{Name: "owner", Method: "PUT", URL: "/api/v1/roles/warehouse", As: acme.Owner, Body: body, Status: 200, Contains: []string{`"object":"product","action":"*"`}},
		})
	})
}

// Field errors name the JSON fields of the body, even when the handler's input type embeds the
// body's struct (putRole embeds RoleInput): "name", not "RoleInput.name".
func TestPutRoleFieldErrorNames(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		r := acme.Owner.Do(t, "PUT", "/api/v1/roles/salesperson", map[string]any{"name": "", "data_scope": "galaxy", "permissions": []policies.Perm{}})
		if r.Status != 422 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		p := r.Problem(t)
		p.WantField(t, "name", "required")
		p.WantField(t, "data_scope", "invalid_choice")
	})
}

// Two replicas of the server share the database: a role change made through one applies on the
// other once its tenant-state cache (TenantStateTTL) has expired, because the policy version
// travels with the tenant row.
func TestPolicyChangeReachesOtherReplica(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUser(t, "salesperson")
		cfg := config.Config{BaseURL: "http://localhost:8080", SecretKey: "another replica's secret key, long enough"}
		const ttl = 300 * time.Millisecond
		srv2, err := server.New(cfg, env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{LoginRateLimit: 1 << 20, TenantStateTTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		replica := &apitest.Env{Dialect: env.Dialect, DB: env.DB, Server: srv2}
		onReplica := func(method, url string, body any) int {
			return replica.Do(t, method, url, body, sales.Headers(method)).Status
		}
		// Warm the replica's cache with the current policy.
		if st := onReplica("GET", "/api/v1/users", nil); st != 200 {
			t.Fatalf("replica: GET /users %d", st)
		}
		if st := onReplica("GET", "/api/v1/departments/"+acme.Departments["Sales"].String(), nil); st != 200 {
			t.Fatalf("replica: GET /departments/{id} %d", st)
		}
		before := getRole(t, acme.Owner, "salesperson")
		revoked := before
		revoked.Permissions = slices.DeleteFunc(slices.Clone(before.Permissions), func(p policies.Perm) bool { return p.Object == "department" })
		acme.Owner.MustDo(t, "PUT", "/api/v1/roles/salesperson", putBody(revoked), 200, nil)
		// The replica caches the tenant's state for ttl: the change applies once that has passed.
		time.Sleep(ttl + 50*time.Millisecond)
		if st := onReplica("GET", "/api/v1/departments/"+acme.Departments["Sales"].String(), nil); st != 403 {
			t.Errorf("replica after revoking department:read: %d, want 403", st)
		}
		if st := onReplica("GET", "/api/v1/users", nil); st != 200 {
			t.Errorf("replica: GET /users %d after an unrelated change", st)
		}
	})
}
