package tenants_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/problem"
)

type tenantSummaryJSON struct {
	ID          uuid.UUID        `json:"id"`
	Slug        string           `json:"slug"`
	Name        string           `json:"name"`
	Status      string           `json:"status"`
	SuspendMode string           `json:"suspend_mode"`
	Plan        string           `json:"plan"`
	Counts      map[string]int64 `json:"counts"`
}

type tenantPageJSON struct {
	Items      []tenantSummaryJSON `json:"items"`
	NextCursor *string             `json:"next_cursor"`
}

type platformAuditJSON struct {
	Items []struct {
		ID       uuid.UUID      `json:"id"`
		AdminID  *uuid.UUID     `json:"admin_id"`
		Via      string         `json:"via"`
		Action   string         `json:"action"`
		TenantID *uuid.UUID     `json:"tenant_id"`
		Details  map[string]any `json:"details"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// signupNamed signs up a company with the given slug and name through the API.
func signupNamed(t *testing.T, env *apitest.Env, slug, name string) uuid.UUID {
	t.Helper()
	r := env.Do(t, "POST", "/api/v1/signup", map[string]any{"company_name": name, "slug": slug, "owner_name": "Boss",
		"email": "boss@" + slug + ".example.com", "password": "correct horse battery", "locale": "en"}, nil)
	if r.Status != 201 {
		t.Fatalf("signup %s: %d %s", slug, r.Status, r.Body)
	}
	var out struct{ Tenant struct{ ID uuid.UUID } }
	r.JSON(t, &out)
	return out.Tenant.ID
}

func TestPlatformLogin(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		admin := env.CreateAdmin(t)
		env.Run(t, []apitest.Scenario{
			{Name: "bad password", Method: "POST", URL: "/platform/v1/auth/login", Body: map[string]any{"email": admin.Email, "password": "not the password"}, Status: 401, Code: "unauthenticated"},
			{Name: "unknown admin", Method: "POST", URL: "/platform/v1/auth/login", Body: map[string]any{"email": "nobody@platform.example.com", "password": admin.Password}, Status: 401, Code: "unauthenticated"},
			{Name: "invalid", Method: "POST", URL: "/platform/v1/auth/login", Body: map[string]any{"email": "", "password": ""}, Status: 422, Code: "validation_failed",
				Contains: []string{`"field":"email"`, `"field":"password"`}},
			{Name: "success", Method: "POST", URL: "/platform/v1/auth/login", Body: map[string]any{"email": strings.ToUpper(admin.Email), "password": admin.Password}, Status: 200,
				Contains: []string{`"csrf_token":"`, admin.Email}, NotContains: []string{"password"},
				Check: func(t *testing.T, r *apitest.Response) {
					i := slices.IndexFunc(r.Cookies, func(c *http.Cookie) bool { return c.Name == "crm_platform" })
					if i < 0 || !r.Cookies[i].HttpOnly || r.Cookies[i].Path != "/platform" {
						t.Errorf("platform cookie %+v", r.Cookies)
					}
				}},
		})
		// Duplicate and malformed admins are refused.
		if _, err := env.Server.Platform.CreateAdmin(context.Background(), admin.Email, "again", "long enough password"); !problem.Is(err, problem.Conflict) {
			t.Errorf("duplicate admin: %v", err)
		}
		if _, err := env.Server.Platform.CreateAdmin(context.Background(), "not-an-email", "x", "long enough password"); !problem.Is(err, problem.Invalid) {
			t.Errorf("bad email: %v", err)
		}
		if _, err := env.Server.Platform.CreateAdmin(context.Background(), "short@platform.example.com", "x", "short"); !problem.Is(err, problem.Invalid) {
			t.Errorf("short password: %v", err)
		}
		// Logout ends the session.
		admin.MustDo(t, "GET", "/platform/v1/tenants?limit=1", nil, 200, nil)
		admin.MustDo(t, "POST", "/platform/v1/auth/logout", nil, 204, nil)
		admin.MustDo(t, "GET", "/platform/v1/tenants?limit=1", nil, 401, nil)
	})
}

func TestPlatformTenantsAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		admin := env.CreateAdmin(t)
		acme := env.Signup(t)
		sales := acme.AddUser(t, "salesperson")
		for _, name := range []string{"平台计数甲", "平台计数乙", "平台计数丙"} {
			sales.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": name}, 201, nil)
		}
		var gone struct{ ID uuid.UUID }
		sales.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "平台计数已删"}, 201, &gone)
		acme.Owner.MustDo(t, "DELETE", "/api/v1/customers/"+gone.ID.String(), nil, 204, nil)
		id := acme.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: "/platform/v1/tenants/" + id, Status: 401, Code: "unauthenticated"},
			{Name: "no login list", Method: "GET", URL: "/platform/v1/tenants", Status: 401, Code: "unauthenticated"},
			// A tenant's own users, even its owner, are not platform admins.
			{Name: "tenant owner session", Method: "GET", URL: "/platform/v1/tenants/" + id, As: acme.Owner, Status: 401, Code: "unauthenticated"},
			{Name: "tenant user token", Method: "GET", URL: "/platform/v1/tenants", As: sales, Status: 401, Code: "unauthenticated"},
			{Name: "tenant owner suspends", Method: "POST", URL: "/platform/v1/tenants/" + id + "/suspend", As: acme.Owner, Body: map[string]any{}, Status: 401, Code: "unauthenticated"},
			{Name: "no csrf", Method: "POST", URL: "/platform/v1/tenants/" + id + "/suspend", Headers: map[string]string{"Cookie": admin.Cookie}, Body: map[string]any{}, Status: 403, Code: "forbidden"},
			{Name: "wrong csrf", Method: "POST", URL: "/platform/v1/tenants/" + id + "/suspend", Headers: map[string]string{"Cookie": admin.Cookie, "X-CSRF-Token": "guess"}, Body: map[string]any{}, Status: 403, Code: "forbidden"},
			{Name: "not found", Method: "GET", URL: "/platform/v1/tenants/" + uuid.NewString(), Headers: admin.Headers("GET"), Status: 404, Code: "not_found"},
			{Name: "not found suspend", Method: "POST", URL: "/platform/v1/tenants/" + uuid.NewString() + "/suspend", Headers: admin.Headers("POST"), Body: map[string]any{}, Status: 404, Code: "not_found"},
			{Name: "malformed id", Method: "GET", URL: "/platform/v1/tenants/acme", Headers: admin.Headers("GET"), Status: 404, Code: "not_found"},
			{Name: "invalid mode", Method: "POST", URL: "/platform/v1/tenants/" + id + "/suspend", Headers: admin.Headers("POST"), Body: map[string]any{"mode": "forever"}, Status: 422, Code: "validation_failed", Contains: []string{`"field":"mode"`}},
			{Name: "invalid status filter", Method: "GET", URL: "/platform/v1/tenants?status=zombie", Headers: admin.Headers("GET"), Status: 422, Code: "validation_failed", Contains: []string{`"field":"status"`}},
			{Name: "invalid limit", Method: "GET", URL: "/platform/v1/tenants?limit=500", Headers: admin.Headers("GET"), Status: 422, Code: "validation_failed", Contains: []string{`"field":"limit"`}},
			{Name: "reactivate active", Method: "POST", URL: "/platform/v1/tenants/" + id + "/reactivate", Headers: admin.Headers("POST"), Status: 409, Code: "conflict"},
			{Name: "success", Method: "GET", URL: "/platform/v1/tenants/" + id, Headers: admin.Headers("GET"), Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					var s tenantSummaryJSON
					r.JSON(t, &s)
					if s.ID != acme.ID || s.Slug != acme.Slug || s.Status != "active" || s.Plan != "standard" || s.Counts["users"] != 2 ||
						s.Counts["customers"] != 3 {
						t.Errorf("summary %+v, want acme active with 2 users and 3 live customers", s)
					}
				}},
		})
		// Nothing of the refused requests changed the tenant.
		if tn := env.Tenant(t, acme); tn.Status != "active" {
			t.Errorf("tenant is %s after refused suspensions", tn.Status)
		}
	})
}

func TestPlatformListTenants(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		admin := env.CreateAdmin(t)
		tag := "zq" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
		var ids []uuid.UUID
		for i := 0; i < 3; i++ {
			ids = append(ids, signupNamed(t, env, fmt.Sprintf("%s-%d", tag, i), fmt.Sprintf("Zeta Trading %s %d", strings.ToUpper(tag), i)))
		}
		unrelated := env.Signup(t)

		list := func(query string) tenantPageJSON {
			t.Helper()
			var p tenantPageJSON
			admin.MustDo(t, "GET", "/platform/v1/tenants?"+query, nil, 200, &p)
			return p
		}
		p := list("q=" + tag)
		if len(p.Items) != 3 || p.NextCursor != nil {
			t.Fatalf("q=%s: %d items, cursor %v", tag, len(p.Items), p.NextCursor)
		}
		for i, s := range p.Items {
			if s.ID != ids[i] || s.Counts["users"] != 1 || s.Status != "active" {
				t.Errorf("item %d: %+v, want %s (oldest first) with 1 user", i, s, ids[i])
			}
		}
		// Search by name, case-insensitively.
		if p := list("q=zeta+trading+" + strings.ToUpper(tag) + "+1"); len(p.Items) != 1 || p.Items[0].ID != ids[1] {
			t.Errorf("name search: %+v", p.Items)
		}
		if p := list("q=" + unrelated.Slug); len(p.Items) != 1 || p.Items[0].ID != unrelated.ID {
			t.Errorf("slug search: %+v", p.Items)
		}
		// Paging: 2 + 1.
		p1 := list("q=" + tag + "&limit=2")
		if len(p1.Items) != 2 || p1.NextCursor == nil || p1.Items[0].ID != ids[0] || p1.Items[1].ID != ids[1] {
			t.Fatalf("page 1: %+v", p1)
		}
		if p1.Items[1].Counts == nil {
			t.Error("page items lack counts")
		}
		p2 := list("q=" + tag + "&limit=2&cursor=" + *p1.NextCursor)
		if len(p2.Items) != 1 || p2.NextCursor != nil || p2.Items[0].ID != ids[2] {
			t.Fatalf("page 2: %+v", p2)
		}
		// Status filter.
		admin.MustDo(t, "POST", "/platform/v1/tenants/"+ids[1].String()+"/suspend", map[string]any{"reason": "test"}, 200, nil)
		if p := list("q=" + tag + "&status=suspended"); len(p.Items) != 1 || p.Items[0].ID != ids[1] {
			t.Errorf("status=suspended: %+v", p.Items)
		}
		if p := list("q=" + tag + "&status=active"); len(p.Items) != 2 || slices.ContainsFunc(p.Items, func(s tenantSummaryJSON) bool { return s.ID == ids[1] }) {
			t.Errorf("status=active: %+v", p.Items)
		}
		// Search text is not a pattern.
		if p := list("q=%25"); len(p.Items) != 0 {
			t.Errorf("q=%% matched %d tenants", len(p.Items))
		}
	})
}

func TestPlatformSuspendReactivate(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		admin := env.CreateAdmin(t)
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		id := acme.ID.String()
		// A second sign-in (audited too) tells the admin's ID.
		var login struct{ Admin struct{ ID uuid.UUID } }
		if r := env.Do(t, "POST", "/platform/v1/auth/login", map[string]any{"email": admin.Email, "password": admin.Password}, nil); r.Status != 200 {
			t.Fatalf("login: %d %s", r.Status, r.Body)
		} else {
			r.JSON(t, &login)
		}
		adminID := login.Admin.ID

		var s tenantSummaryJSON
		admin.MustDo(t, "POST", "/platform/v1/tenants/"+id+"/suspend", map[string]any{"reason": "unpaid invoice"}, 200, &s)
		if s.Status != "suspended" || s.SuspendMode != "read_only" {
			t.Fatalf("after suspend: %+v", s)
		}
		// Read-only: reads work, writes answer 423, for tokens and sessions.
		env.Run(t, []apitest.Scenario{
			{Name: "read", Method: "GET", URL: "/api/v1/users", As: owner, Status: 200},
			{Name: "write as owner", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"currency": "USD"}, Status: 423, Code: "tenant_suspended"},
			{Name: "write as salesperson", Method: "POST", URL: "/api/v1/api-tokens", As: sales, Body: map[string]any{"name": "x"}, Status: 423, Code: "tenant_suspended"},
			{Name: "other tenant writes", Method: "PATCH", URL: "/api/v1/settings", As: other.Owner, Body: map[string]any{"currency": "USD"}, Status: 200},
		})
		env.SignIn(t, &apitest.Client{Company: acme, Email: sales.Email, Password: sales.Password}, true)
		if tn := env.Tenant(t, acme); tn.Status != "suspended" {
			t.Fatalf("stored status %s", tn.Status)
		}

		// Locked: nothing, sign-in included.
		admin.MustDo(t, "POST", "/platform/v1/tenants/"+id+"/suspend", map[string]any{"mode": "locked", "reason": "abuse"}, 200, &s)
		if s.Status != "suspended" || s.SuspendMode != "locked" {
			t.Fatalf("after lock: %+v", s)
		}
		env.Run(t, []apitest.Scenario{
			{Name: "locked read", Method: "GET", URL: "/api/v1/me", As: owner, Status: 423, Code: "tenant_suspended"},
			{Name: "locked token", Method: "GET", URL: "/api/v1/users", As: sales, Status: 423, Code: "tenant_suspended"},
			{Name: "locked login", Method: "POST", URL: "/api/v1/auth/login", Body: map[string]any{"tenant": acme.Slug, "email": sales.Email, "password": sales.Password}, Status: 423, Code: "tenant_suspended"},
		})

		admin.MustDo(t, "POST", "/platform/v1/tenants/"+id+"/reactivate", nil, 200, &s)
		if s.Status != "active" {
			t.Fatalf("after reactivate: %+v", s)
		}
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"currency": "USD"}, 200, nil)
		sales.MustDo(t, "GET", "/api/v1/me", nil, 200, nil)
		// Nothing of the tenant was lost on the way.
		var users struct{ Items []struct{ ID uuid.UUID } }
		owner.MustDo(t, "GET", "/api/v1/users", nil, 200, &users)
		if len(users.Items) != 2 {
			t.Errorf("%d users after reactivation, want 2", len(users.Items))
		}

		// Looking at the tenant is audited too (API.md).
		admin.MustDo(t, "GET", "/platform/v1/tenants/"+id, nil, 200, nil)

		// Every action is in the platform audit, newest first, with the admin and the tenant.
		var au platformAuditJSON
		admin.MustDo(t, "GET", "/platform/v1/audit?tenant_id="+id, nil, 200, &au)
		var actions []string
		for _, e := range au.Items {
			actions = append(actions, e.Action)
			if e.TenantID == nil || *e.TenantID != acme.ID {
				t.Errorf("entry %+v not about acme", e)
			}
			if e.AdminID == nil || *e.AdminID != adminID || e.Via != "session" {
				t.Errorf("entry %+v: want admin %s via session", e, adminID)
			}
		}
		if !slices.Equal(actions, []string{"view", "reactivate", "suspend", "suspend"}) {
			t.Errorf("acme's platform audit %v, want view, reactivate, suspend, suspend", actions)
		}
		if len(au.Items) == 4 {
			if d := au.Items[1].Details; d["from"] != "suspended" || d["to"] != "active" {
				t.Errorf("reactivate details %v", d)
			}
			if d := au.Items[2].Details; d["mode"] != "locked" || d["reason"] != "abuse" || d["from"] != "suspended" || d["to"] != "suspended" {
				t.Errorf("lock details %v", d)
			}
			if d := au.Items[3].Details; d["mode"] != "read_only" || d["reason"] != "unpaid invoice" || d["from"] != "active" {
				t.Errorf("suspend details %v", d)
			}
		}
		admin.MustDo(t, "GET", "/platform/v1/audit?limit=200", nil, 200, &au)
		var logins, creates int
		for _, e := range au.Items {
			switch {
			case e.Action == "login" && e.AdminID != nil && *e.AdminID == adminID:
				logins++
			case e.Action == "create_admin" && e.Details["email"] == admin.Email:
				creates++
			}
		}
		if logins != 2 || creates != 1 {
			t.Errorf("platform audit has %d logins and %d create_admin for this admin, want 2 and 1", logins, creates)
		}
		admin.MustDo(t, "GET", "/platform/v1/audit?tenant_id=nope", nil, 422, nil)
		var one platformAuditJSON
		admin.MustDo(t, "GET", "/platform/v1/audit?limit=1", nil, 200, &one)
		if len(one.Items) != 1 || one.NextCursor == nil {
			t.Errorf("audit limit=1: %d items, cursor %v", len(one.Items), one.NextCursor)
		}
	})
}

// Platform sessions and tenant credentials do not cross: an admin's cookie opens no tenant API,
// and an expired platform session opens nothing.
func TestPlatformSessionIsNotTenantSession(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		admin := env.CreateAdmin(t)
		acme := env.Signup(t)
		secret := strings.TrimPrefix(admin.Cookie, "crm_platform=")
		env.Run(t, []apitest.Scenario{
			{Name: "admin on /me", Method: "GET", URL: "/api/v1/me", Headers: admin.Headers("GET"), Status: 401, Code: "unauthenticated"},
			{Name: "admin on users", Method: "GET", URL: "/api/v1/users", Headers: admin.Headers("GET"), Status: 401, Code: "unauthenticated"},
			{Name: "admin cookie as session", Method: "GET", URL: "/api/v1/users", Headers: map[string]string{"Cookie": "crm_session=" + secret}, Status: 401, Code: "unauthenticated"},
			{Name: "admin cookie as tenant session", Method: "GET", URL: "/api/v1/users", Headers: map[string]string{"Cookie": "crm_session=" + acme.ID.String() + "." + secret}, Status: 401, Code: "unauthenticated"},
			{Name: "admin secret as token", Method: "GET", URL: "/api/v1/users", Headers: map[string]string{"Authorization": "Bearer " + secret}, Status: 401, Code: "unauthenticated"},
			{Name: "tenant session as platform cookie", Method: "GET", URL: "/platform/v1/tenants", Headers: map[string]string{"Cookie": "crm_platform=" + strings.TrimPrefix(acme.Owner.Cookie, "crm_session=")}, Status: 401, Code: "unauthenticated"},
		})
		env.Clock().Advance(13 * time.Hour)
		admin.MustDo(t, "GET", "/platform/v1/tenants?limit=1", nil, 401, nil)
	})
}
