package auth_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

type perm struct {
	Object string `json:"object"`
	Action string `json:"action"`
}

type meOut struct {
	User struct {
		ID     uuid.UUID `json:"id"`
		Email  string    `json:"email"`
		Locale string    `json:"locale"`
	} `json:"user"`
	Tenant struct {
		ID   uuid.UUID `json:"id"`
		Slug string    `json:"slug"`
	} `json:"tenant"`
	Roles       []string `json:"roles"`
	Permissions []perm   `json:"permissions"`
	DataScope   string   `json:"data_scope"`
	CSRFToken   *string  `json:"csrf_token"`
}

func TestSessionsAndCSRF(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner // signed in by signup: cookie session + CSRF token
		dept := acme.Departments["Sales"]
		var d struct{ Version int64 }
		owner.MustDo(t, "GET", "/api/v1/departments/"+dept.String(), nil, 200, &d)
		rename := func(name string) map[string]any { return map[string]any{"version": d.Version, "name": name} }
		sessionID := owner.Cookie[strings.Index(owner.Cookie, "=")+1:]
		_, secret, _ := strings.Cut(sessionID, ".")

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "PATCH", URL: "/api/v1/departments/" + dept.String(), Body: rename("x"), Status: 401, Code: "unauthenticated"},
			{Name: "garbage cookie", Method: "GET", URL: "/api/v1/me", Headers: map[string]string{"Cookie": "crm_session=garbage"}, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant: session secret under another tenant's ID", Method: "GET", URL: "/api/v1/me",
				Headers: map[string]string{"Cookie": "crm_session=" + other.ID.String() + "." + secret}, Status: 401, Code: "unauthenticated"},
			{Name: "PATCH without CSRF token", Method: "PATCH", URL: "/api/v1/departments/" + dept.String(), Body: rename("x"),
				Headers: map[string]string{"Cookie": owner.Cookie}, Status: 403, Code: "forbidden",
				Check: func(t *testing.T, r *apitest.Response) {
					if p := r.Problem(t); !strings.Contains(p.Detail, "CSRF") {
						t.Errorf("detail %q does not name CSRF", p.Detail)
					}
				}},
			{Name: "PATCH with a wrong CSRF token", Method: "PATCH", URL: "/api/v1/departments/" + dept.String(), Body: rename("x"),
				Headers: map[string]string{"Cookie": owner.Cookie, "X-CSRF-Token": owner.CSRF + "x"}, Status: 403, Code: "forbidden"},
			{Name: "other tenant's CSRF token", Method: "POST", URL: "/api/v1/departments", Body: map[string]any{"name": "x"},
				Headers: map[string]string{"Cookie": owner.Cookie, "X-CSRF-Token": other.Owner.CSRF}, Status: 403, Code: "forbidden"},
			{Name: "POST without CSRF token", Method: "POST", URL: "/api/v1/api-tokens", Body: map[string]any{"name": "x"},
				Headers: map[string]string{"Cookie": owner.Cookie}, Status: 403, Code: "forbidden"},
			{Name: "GET needs no CSRF token", Method: "GET", URL: "/api/v1/departments/" + dept.String(),
				Headers: map[string]string{"Cookie": owner.Cookie}, Status: 200},
			{Name: "PATCH with CSRF token", Method: "PATCH", URL: "/api/v1/departments/" + dept.String(), Body: rename("销售一部"),
				As: owner, Status: 200, Contains: []string{`"name":"销售一部"`}},
		})
		t.Run("nothing changed by refused requests", func(t *testing.T) {
			var got struct {
				Name    string
				Version int64
			}
			owner.MustDo(t, "GET", "/api/v1/departments/"+dept.String(), nil, 200, &got)
			if got.Name != "销售一部" || got.Version != d.Version+1 {
				t.Errorf("department %+v, want renamed once (version %d)", got, d.Version+1)
			}
			var toks struct{ Items []struct{ Name string } }
			owner.MustDo(t, "GET", "/api/v1/api-tokens", nil, 200, &toks)
			if len(toks.Items) != 0 {
				t.Errorf("a token was created without CSRF: %+v", toks.Items)
			}
		})
		t.Run("bearer tokens need no CSRF token", func(t *testing.T) {
			var tok struct{ Token string }
			owner.MustDo(t, "POST", "/api/v1/api-tokens", map[string]any{"name": "script"}, 201, &tok)
			r := env.Do(t, "POST", "/api/v1/departments", map[string]any{"name": "脚本部"}, map[string]string{"Authorization": "Bearer " + tok.Token})
			if r.Status != 201 {
				t.Errorf("bearer POST: %d %s", r.Status, r.Body)
			}
		})
	})
}

func TestLogout(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Session: true}, "salesperson")
		// A second session of the same user stays signed in.
		second := *sales
		env.SignIn(t, &second, true)

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: "/api/v1/auth/logout", Status: 401, Code: "unauthenticated"},
			{Name: "without CSRF token", Method: "POST", URL: "/api/v1/auth/logout", Headers: map[string]string{"Cookie": sales.Cookie}, Status: 403, Code: "forbidden"},
			{Name: "success", Method: "POST", URL: "/api/v1/auth/logout", As: sales, Status: 204, Check: func(t *testing.T, r *apitest.Response) {
				cleared := false
				for _, c := range r.Cookies {
					if c.Name == "crm_session" && c.Value == "" {
						cleared = true
					}
				}
				if !cleared {
					t.Errorf("cookie not cleared: %v", r.Header.Values("Set-Cookie"))
				}
			}},
			{Name: "the old cookie is dead", Method: "GET", URL: "/api/v1/me", As: sales, Status: 401, Code: "unauthenticated"},
			{Name: "logging out again", Method: "POST", URL: "/api/v1/auth/logout", As: sales, Status: 401, Code: "unauthenticated"},
			{Name: "the other session lives", Method: "GET", URL: "/api/v1/me", As: &second, Status: 200},
		})
	})
}

// TestPasswordChangeEndsOtherSessions: whoever knew the old password is signed out when it
// changes; the session that changed it stays, and so do API tokens (credentials of their own).
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		admin := acme.AddUserWith(t, apitest.UserOpts{Session: true}, "general_manager")
		adminElsewhere := *admin
		env.SignIn(t, &adminElsewhere, true)
		adminToken := *admin
		env.SignIn(t, &adminToken, false)
		sales := acme.AddUserWith(t, apitest.UserOpts{Session: true}, "salesperson")
		salesElsewhere := *sales
		env.SignIn(t, &salesElsewhere, true)
		theirs := other.AddUserWith(t, apitest.UserOpts{Session: true}, "salesperson")

		version := func(c *apitest.Client) int64 {
			var u struct{ Version int64 }
			admin.MustDo(t, "GET", "/api/v1/users/"+c.UserID.String(), nil, 200, &u)
			return u.Version
		}
		// The owner resets a salesperson's password: every session of theirs ends.
		acme.Owner.MustDo(t, "PATCH", "/api/v1/users/"+sales.UserID.String(), map[string]any{"version": version(sales), "password": "a brand new password"}, 200, nil)
		for _, c := range []*apitest.Client{sales, &salesElsewhere} {
			if r := c.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
				t.Errorf("salesperson session after the reset: %d", r.Status)
			}
		}
		// Another tenant's user is untouched.
		theirs.MustDo(t, "GET", "/api/v1/me", nil, 200, nil)
		// Changing one's own password keeps the session it was changed in.
		admin.MustDo(t, "PATCH", "/api/v1/users/"+admin.UserID.String(), map[string]any{"version": version(admin), "password": "my own new password"}, 200, nil)
		admin.MustDo(t, "GET", "/api/v1/me", nil, 200, nil)
		adminToken.MustDo(t, "GET", "/api/v1/me", nil, 200, nil)
		if r := adminElsewhere.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
			t.Errorf("the other session after changing one's own password: %d", r.Status)
		}
		// The new password signs in.
		sales.Password = "a brand new password"
		env.SignIn(t, sales, true)
		sales.MustDo(t, "GET", "/api/v1/me", nil, 200, nil)
	})
}

func TestSessionExpiry(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Session: true}, "salesperson")
		sales.MustDo(t, "GET", "/api/v1/me", nil, 200, nil)
		env.Clock().Advance(13 * 24 * time.Hour)
		sales.MustDo(t, "GET", "/api/v1/me", nil, 200, nil)
		env.Clock().Advance(2 * 24 * time.Hour)
		r := sales.Do(t, "GET", "/api/v1/me", nil)
		if r.Status != 401 || r.Problem(t).Code != "unauthenticated" {
			t.Errorf("session after 15 days: %d %s", r.Status, r.Body)
		}
	})
}

func TestMeAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUser(t, "salesperson") // API token
		mgr := acme.AddUserWith(t, apitest.UserOpts{Session: true}, "sales_manager")

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: "/api/v1/me", Status: 401, Code: "unauthenticated"},
			{Name: "bad bearer token", Method: "GET", URL: "/api/v1/me", Headers: map[string]string{"Authorization": "Bearer crm_nope"}, Status: 401, Code: "unauthenticated"},
			{Name: "not a bearer token", Method: "GET", URL: "/api/v1/me", Headers: map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}, Status: 401, Code: "unauthenticated"},
			// /me is the caller's own: there is no other-tenant, wrong-role, not-found or invalid row.
		})

		t.Run("owner session", func(t *testing.T) {
			var me meOut
			acme.Owner.MustDo(t, "GET", "/api/v1/me", nil, 200, &me)
			if me.User.ID != acme.Owner.UserID || me.Tenant.ID != acme.ID || !slices.Equal(me.Roles, []string{"owner"}) || me.DataScope != "all" {
				t.Errorf("me %+v", me)
			}
			for _, p := range []perm{{"user", "create"}, {"user", "delete"}, {"role", "update"}, {"customer", "read"}, {"audit", "read"}} {
				if !slices.Contains(me.Permissions, p) {
					t.Errorf("owner lacks %v", p)
				}
			}
			for _, p := range me.Permissions {
				if p.Object == "*" || p.Action == "*" {
					t.Errorf("wildcard not expanded: %v", p)
				}
			}
			if me.CSRFToken == nil || *me.CSRFToken != acme.Owner.CSRF {
				t.Errorf("csrf_token %v, want the session's %q", me.CSRFToken, acme.Owner.CSRF)
			}
		})
		t.Run("salesperson token", func(t *testing.T) {
			var me meOut
			r := sales.MustDo(t, "GET", "/api/v1/me", nil, 200, &me)
			if me.User.ID != sales.UserID || !slices.Equal(me.Roles, []string{"salesperson"}) || me.DataScope != "own" {
				t.Errorf("me %+v", me)
			}
			if slices.Contains(me.Permissions, perm{"user", "create"}) {
				t.Error("salesperson has user:create")
			}
			if !slices.Contains(me.Permissions, perm{"customer", "read"}) {
				t.Error("salesperson lacks customer:read")
			}
			if strings.Contains(string(r.Body), "csrf_token") {
				t.Errorf("token answer carries a CSRF token: %s", r.Body)
			}
		})
		t.Run("sales manager session", func(t *testing.T) {
			var me meOut
			mgr.MustDo(t, "GET", "/api/v1/me", nil, 200, &me)
			if me.DataScope != "department_tree" || !slices.Contains(me.Permissions, perm{"role", "read"}) || slices.Contains(me.Permissions, perm{"user", "create"}) {
				t.Errorf("me %+v", me)
			}
			if me.CSRFToken == nil || *me.CSRFToken != mgr.CSRF {
				t.Errorf("csrf_token %v, want %q", me.CSRFToken, mgr.CSRF)
			}
		})
	})
}

// TestUserLocale: answers follow the user's own setting first, then Accept-Language, then
// the tenant's language.
func TestUserLocale(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t) // tenant locale en; the owner's own setting is en too
		sales := acme.AddUser(t, "salesperson")
		var u struct{ Version int64 }
		acme.Owner.MustDo(t, "GET", "/api/v1/users/"+sales.UserID.String(), nil, 200, &u)

		forbidden := func(t *testing.T, c *apitest.Client, lang, want string) {
			t.Helper()
			h := c.Headers("POST")
			if lang != "" {
				h["Accept-Language"] = lang
			}
			r := env.Do(t, "POST", "/api/v1/users", map[string]any{"email": "x@example.com", "name": "x", "roles": []string{"salesperson"}}, h)
			if r.Status != 403 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if p := r.Problem(t); p.Title != want {
				t.Errorf("Accept-Language %q: title %q, want %q", lang, p.Title, want)
			}
		}
		invalid := func(t *testing.T, c *apitest.Client, lang, want string) {
			t.Helper()
			h := c.Headers("POST")
			if lang != "" {
				h["Accept-Language"] = lang
			}
			r := env.Do(t, "POST", "/api/v1/departments", map[string]any{"name": ""}, h)
			if r.Status != 422 {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			p := r.Problem(t)
			if f := p.WantField(t, "name", "required"); f.Message != want {
				t.Errorf("Accept-Language %q: message %q, want %q", lang, f.Message, want)
			}
		}
		t.Run("no user setting: header, else the tenant's", func(t *testing.T) {
			forbidden(t, sales, "", "Forbidden") // the tenant speaks English
			forbidden(t, sales, "zh-CN", "无权操作")
			forbidden(t, sales, "zh-TW", "無權操作")
			forbidden(t, sales, "en", "Forbidden")
		})
		t.Run("user setting en wins over the header", func(t *testing.T) {
			invalid(t, acme.Owner, "zh-CN", "Required.")
			invalid(t, acme.Owner, "zh-TW", "Required.")
			invalid(t, acme.Owner, "", "Required.")
		})
		t.Run("user setting zh-TW", func(t *testing.T) {
			acme.Owner.MustDo(t, "PATCH", "/api/v1/users/"+sales.UserID.String(), map[string]any{"version": u.Version, "locale": "zh-TW"}, 200, nil)
			forbidden(t, sales, "en", "無權操作")
			forbidden(t, sales, "", "無權操作")
			var me meOut
			sales.MustDo(t, "GET", "/api/v1/me", nil, 200, &me)
			if me.User.Locale != "zh-TW" {
				t.Errorf("locale %q", me.User.Locale)
			}
		})
		t.Run("before authentication: the header", func(t *testing.T) {
			r := env.Do(t, "GET", "/api/v1/me", nil, map[string]string{"Accept-Language": "zh-TW"})
			if p := r.Problem(t); r.Status != 401 || p.Title != "未登入" {
				t.Errorf("%d %+v", r.Status, p)
			}
			r = env.Do(t, "GET", "/api/v1/me", nil, nil)
			if p := r.Problem(t); r.Status != 401 || p.Title != "未登录" {
				t.Errorf("%d %+v", r.Status, p)
			}
		})
	})
}

// TestOwnerResetIsTemporary: a password an owner sets for someone is a temporary one. Its user
// signs in with it but may only read who they are, set their own password (with the temporary
// one as the current) or sign out; once they have, everything works again.
func TestOwnerResetIsTemporary(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Session: true}, "salesperson")
		var u struct{ Version int64 }
		acme.Owner.MustDo(t, "GET", "/api/v1/users/"+sales.UserID.String(), nil, 200, &u)
		acme.Owner.MustDo(t, "PATCH", "/api/v1/users/"+sales.UserID.String(), map[string]any{"version": u.Version, "password": "a temporary password"}, 200, nil)

		sales.Password = "a temporary password"
		env.SignIn(t, sales, true)
		var me struct {
			User struct {
				MustChangePassword bool `json:"must_change_password"`
			} `json:"user"`
		}
		sales.MustDo(t, "GET", "/api/v1/me", nil, 200, &me)
		if !me.User.MustChangePassword {
			t.Fatal("/me does not say the password must change")
		}
		for _, c := range []struct{ method, url string }{
			{"GET", "/api/v1/customers"},
			{"POST", "/api/v1/customers"},
			{"GET", "/api/v1/api-tokens"},
			{"POST", "/api/v1/api-tokens"},
			{"GET", "/API/v1/customers/"}, // another spelling of a route is still that route
		} {
			r := sales.Do(t, c.method, c.url, map[string]any{"name": "x"})
			if r.Status != 403 || !strings.Contains(r.Problem(t).Detail, "请先设置自己的新密码") {
				t.Errorf("%s %s before choosing a password: %d %s", c.method, c.url, r.Status, r.Body)
			}
		}
		r := sales.Do(t, "PATCH", "/api/v1/me", map[string]any{"password": "my very own password", "current_password": "wrong one!"})
		if r.Status != 422 {
			t.Fatalf("wrong current password: %d %s", r.Status, r.Body)
		}
		sales.MustDo(t, "PATCH", "/api/v1/me", map[string]any{"password": "my very own password", "current_password": "a temporary password"}, 200, &me.User)
		if me.User.MustChangePassword {
			t.Error("the flag stayed after the user chose their own password")
		}
		sales.MustDo(t, "GET", "/api/v1/customers", nil, 200, nil)

		// The owner's own change of their own password is not a reset.
		var o struct{ Version int64 }
		acme.Owner.MustDo(t, "GET", "/api/v1/users/"+acme.Owner.UserID.String(), nil, 200, &o)
		acme.Owner.MustDo(t, "PATCH", "/api/v1/users/"+acme.Owner.UserID.String(), map[string]any{"version": o.Version, "password": "the owner's new password"}, 200, nil)
		acme.Owner.MustDo(t, "GET", "/api/v1/customers", nil, 200, nil)
	})
}
