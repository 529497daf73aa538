package auth_test

import (
	"context"
	"testing"

	"github.com/smecrm/crm/app/apitest"
)

// TestSuspendedTenant: read_only keeps reads and sign-ins but refuses writes with 423;
// locked refuses everything; reactivation restores writes. Other tenants are unaffected.
func TestSuspendedTenant(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUser(t, "salesperson")
		owner := acme.Owner
		var u struct{ Version int64 }
		owner.MustDo(t, "GET", "/api/v1/users/"+sales.UserID.String(), nil, 200, &u)
		users := "/api/v1/users/" + sales.UserID.String()
		suspended := func(t *testing.T, r *apitest.Response) {
			t.Helper()
			if p := r.Problem(t); p.Code != "tenant_suspended" || p.Detail == "" {
				t.Errorf("problem %+v", p)
			}
		}

		var spare struct {
			ID    string
			Token string
		}
		sales.MustDo(t, "POST", "/api/v1/api-tokens", map[string]any{"name": "spare"}, 201, &spare)

		if _, err := env.Server.Platform.Suspend(ctx, acme.ID, "read_only", "test"); err != nil {
			t.Fatal(err)
		}
		readOnlySession := &apitest.Client{}
		env.Run(t, []apitest.Scenario{
			{Name: "read_only: GET works", Method: "GET", URL: users, As: owner, Status: 200},
			{Name: "read_only: GET with a token works", Method: "GET", URL: "/api/v1/users", As: sales, Status: 200},
			{Name: "read_only: me shows the status", Method: "GET", URL: "/api/v1/me", As: owner, Status: 200, Contains: []string{`"status":"suspended"`}},
			{Name: "read_only: POST refused", Method: "POST", URL: "/api/v1/departments", Body: map[string]any{"name": "x"}, As: owner, Status: 423, Code: "tenant_suspended", Check: suspended},
			{Name: "read_only: PATCH refused", Method: "PATCH", URL: users, Body: map[string]any{"version": u.Version, "name": "y"}, As: owner, Status: 423, Code: "tenant_suspended"},
			{Name: "read_only: DELETE refused", Method: "DELETE", URL: users, As: owner, Status: 423, Code: "tenant_suspended"},
			{Name: "read_only: new token refused", Method: "POST", URL: "/api/v1/api-tokens", Body: map[string]any{"name": "x"}, As: sales, Status: 423, Code: "tenant_suspended"},
			// Every write but signing out is refused, revoking a token included.
			{Name: "read_only: revoking a token refused", Method: "DELETE", URL: "/api/v1/api-tokens/" + spare.ID, As: sales, Status: 423, Code: "tenant_suspended"},
			{Name: "read_only: the token still works", Method: "GET", URL: "/api/v1/me", Headers: map[string]string{"Authorization": "Bearer " + spare.Token}, Status: 200},
			{Name: "read_only: other tenant writes", Method: "POST", URL: "/api/v1/departments", Body: map[string]any{"name": "x"}, As: other.Owner, Status: 201},
			{Name: "read_only: login works", Method: "POST", URL: "/api/v1/auth/login", Body: login(acme.Slug, sales.Email, sales.Password), Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					var out struct {
						CSRFToken string `json:"csrf_token"`
					}
					r.JSON(t, &out)
					for _, c := range r.Cookies {
						if c.Name == "crm_session" {
							readOnlySession.Cookie = c.Name + "=" + c.Value
						}
					}
					readOnlySession.CSRF = out.CSRFToken
				}},
		})
		t.Run("read_only: nothing was written", func(t *testing.T) {
			var got struct {
				Name    string
				Version int64
				Status  string
			}
			owner.MustDo(t, "GET", users, nil, 200, &got)
			if got.Version != u.Version || got.Status != "active" || got.Name == "y" {
				t.Errorf("user changed while suspended: %+v", got)
			}
		})
		t.Run("read_only: logout works", func(t *testing.T) {
			h := map[string]string{"Cookie": readOnlySession.Cookie, "X-CSRF-Token": readOnlySession.CSRF}
			if r := env.Do(t, "POST", "/api/v1/auth/logout", nil, h); r.Status != 204 {
				t.Errorf("logout while read_only: %d %s", r.Status, r.Body)
			}
			if r := env.Do(t, "GET", "/api/v1/me", nil, map[string]string{"Cookie": readOnlySession.Cookie}); r.Status != 401 {
				t.Errorf("session after logout: %d %s", r.Status, r.Body)
			}
		})

		if _, err := env.Server.Platform.Suspend(ctx, acme.ID, "locked", "test"); err != nil {
			t.Fatal(err)
		}
		env.Run(t, []apitest.Scenario{
			{Name: "locked: GET refused", Method: "GET", URL: users, As: owner, Status: 423, Code: "tenant_suspended"},
			{Name: "locked: GET with a token refused", Method: "GET", URL: "/api/v1/me", As: sales, Status: 423, Code: "tenant_suspended"},
			{Name: "locked: POST refused", Method: "POST", URL: "/api/v1/departments", Body: map[string]any{"name": "x"}, As: owner, Status: 423, Code: "tenant_suspended"},
			{Name: "locked: login refused", Method: "POST", URL: "/api/v1/auth/login", Body: login(acme.Slug, sales.Email, sales.Password), Status: 423, Code: "tenant_suspended",
				Check: func(t *testing.T, r *apitest.Response) {
					for _, c := range r.Cookies {
						if c.Name == "crm_session" && c.Value != "" {
							t.Error("locked tenant got a session cookie")
						}
					}
				}},
			// A wrong password does not learn that the tenant is locked.
			{Name: "locked: wrong password", Method: "POST", URL: "/api/v1/auth/login", Body: login(acme.Slug, sales.Email, "wrong password!"), Status: 401, Code: "unauthenticated"},
			{Name: "locked: other tenant reads", Method: "GET", URL: "/api/v1/users", As: other.Owner, Status: 200},
		})

		if _, err := env.Server.Platform.Reactivate(ctx, acme.ID); err != nil {
			t.Fatal(err)
		}
		env.Run(t, []apitest.Scenario{
			{Name: "reactivated: PATCH works", Method: "PATCH", URL: users, Body: map[string]any{"version": u.Version, "name": "重新开通"}, As: owner, Status: 200,
				Contains: []string{`"name":"重新开通"`}},
			{Name: "reactivated: POST works", Method: "POST", URL: "/api/v1/departments", Body: map[string]any{"name": "新部门"}, As: owner, Status: 201},
			{Name: "reactivated: login works", Method: "POST", URL: "/api/v1/auth/login", Body: login(acme.Slug, sales.Email, sales.Password), Status: 200},
			{Name: "reactivated: me shows active", Method: "GET", URL: "/api/v1/me", As: sales, Status: 200, Contains: []string{`"status":"active"`}},
		})
	})
}
