package auth_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func login(tenant, email, password string) map[string]any {
	return map[string]any{"tenant": tenant, "email": email, "password": password}
}

func TestLoginAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUser(t, "salesperson")
		gone := acme.AddUser(t, "salesperson")
		acme.Owner.MustDo(t, "DELETE", "/api/v1/users/"+gone.UserID.String(), nil, 204, nil)

		// Every wrong credential reads the same, so accounts cannot be probed.
		var badBodies []apitest.Problem
		bad := func(t *testing.T, r *apitest.Response) {
			p := r.Problem(t)
			badBodies = append(badBodies, p)
		}
		env.Run(t, []apitest.Scenario{
			// Login is public: the "no login" row is a request without credentials in the body.
			{Name: "no credentials", Method: "POST", URL: "/api/v1/auth/login", Body: map[string]any{}, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) {
					p := r.Problem(t)
					p.WantField(t, "tenant", "required")
					p.WantField(t, "email", "required")
					p.WantField(t, "password", "required")
				}},
			{Name: "other tenant: right user, other company", Method: "POST", URL: "/api/v1/auth/login", Body: login(other.Slug, sales.Email, sales.Password),
				Status: 401, Code: "unauthenticated", Check: bad},
			{Name: "wrong password", Method: "POST", URL: "/api/v1/auth/login", Body: login(acme.Slug, sales.Email, "wrong password!"),
				Status: 401, Code: "unauthenticated", Check: bad},
			{Name: "unknown email", Method: "POST", URL: "/api/v1/auth/login", Body: login(acme.Slug, "nobody@example.com", sales.Password),
				Status: 401, Code: "unauthenticated", Check: bad},
			{Name: "unknown tenant", Method: "POST", URL: "/api/v1/auth/login", Body: login("no-such-company-here", sales.Email, sales.Password),
				Status: 401, Code: "unauthenticated", Check: bad},
			{Name: "disabled user", Method: "POST", URL: "/api/v1/auth/login", Body: login(acme.Slug, gone.Email, gone.Password),
				Status: 401, Code: "unauthenticated", Check: bad},
			{Name: "invalid: wrong type", Method: "POST", URL: "/api/v1/auth/login", Body: map[string]any{"tenant": acme.Slug, "email": sales.Email, "password": 12345},
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) {
					r.Problem(t).WantField(t, "password", "invalid_type")
				}},
			{Name: "broken JSON", Method: "POST", URL: "/api/v1/auth/login", Body: `{"tenant":`, Status: 400, Code: "bad_request"},
		})
		t.Run("same answer for every bad credential", func(t *testing.T) {
			if len(badBodies) != 5 {
				t.Fatalf("%d bad-credential answers, want 5", len(badBodies))
			}
			for _, p := range badBodies[1:] {
				if p.Detail != badBodies[0].Detail || p.Title != badBodies[0].Title || p.Code != badBodies[0].Code || len(p.Errors) != 0 {
					t.Errorf("answers differ: %+v vs %+v", p, badBodies[0])
				}
			}
			// The harness's companies speak English (signup locale en); the login has no user yet,
			// so the answer follows Accept-Language, zh-CN by default.
			if badBodies[0].Detail != "企业、邮箱或密码不正确。" {
				t.Errorf("detail %q", badBodies[0].Detail)
			}
		})

		t.Run("success", func(t *testing.T) {
			// Tenant slug and email are matched case-insensitively.
			r := env.Do(t, "POST", "/api/v1/auth/login", login(" "+strings.ToUpper(acme.Slug), strings.ToUpper(sales.Email), sales.Password), nil)
			if r.Status != 200 {
				t.Fatalf("login: %d %s", r.Status, r.Body)
			}
			var out struct {
				User struct {
					ID    uuid.UUID `json:"id"`
					Email string    `json:"email"`
					Roles []string  `json:"roles"`
				} `json:"user"`
				Tenant struct {
					ID   uuid.UUID `json:"id"`
					Slug string    `json:"slug"`
				} `json:"tenant"`
				CSRFToken string `json:"csrf_token"`
			}
			r.JSON(t, &out)
			if out.User.ID != sales.UserID || out.User.Email != sales.Email || len(out.User.Roles) != 1 || out.User.Roles[0] != "salesperson" {
				t.Errorf("user %+v", out.User)
			}
			if out.Tenant.ID != acme.ID || out.Tenant.Slug != acme.Slug || out.CSRFToken == "" {
				t.Errorf("tenant %+v csrf %q", out.Tenant, out.CSRFToken)
			}
			if strings.Contains(string(r.Body), sales.Password) || strings.Contains(string(r.Body), "password_hash") || strings.Contains(string(r.Body), "argon2") {
				t.Errorf("login answer mentions the password: %s", r.Body)
			}
			var cookie string
			for _, c := range r.Cookies {
				if c.Name == "crm_session" {
					cookie = c.Name + "=" + c.Value
					if !c.HttpOnly {
						t.Error("session cookie not HttpOnly")
					}
				}
			}
			if cookie == "" {
				t.Fatalf("no session cookie: %v", r.Header.Values("Set-Cookie"))
			}
			me := env.Do(t, "GET", "/api/v1/me", nil, map[string]string{"Cookie": cookie})
			if me.Status != 200 || !strings.Contains(string(me.Body), sales.UserID.String()) {
				t.Errorf("me with the new cookie: %d %s", me.Status, me.Body)
			}
		})
	})
}

// TestLoginRateLimit builds a server with a low limit: the fourth attempt within a minute is
// refused, right password or not.
func TestLoginRateLimit(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			env := apitest.NewWithOptions(t, dialect, server.Options{LoginRateLimit: 3})
			acme := env.Signup(t) // signup has its own count
			body := login(acme.Slug, acme.Owner.Email, "wrong password!")
			for i := 1; i <= 3; i++ {
				if r := env.Do(t, "POST", "/api/v1/auth/login", body, nil); r.Status != 401 {
					t.Fatalf("attempt %d: %d %s", i, r.Status, r.Body)
				}
			}
			r := env.Do(t, "POST", "/api/v1/auth/login", login(acme.Slug, acme.Owner.Email, acme.Owner.Password), map[string]string{"Accept-Language": "en"})
			if r.Status != 429 {
				t.Fatalf("4th attempt: %d %s", r.Status, r.Body)
			}
			p := r.Problem(t)
			if p.Code != "rate_limited" || p.Detail != "Too many attempts; please try again later." {
				t.Errorf("problem %+v", p)
			}
			for _, c := range r.Cookies {
				if c.Name == "crm_session" && c.Value != "" {
					t.Error("a refused login set a session cookie")
				}
			}
			// Other endpoints are not limited.
			if r := acme.Owner.Do(t, "GET", "/api/v1/me", nil); r.Status != 200 {
				t.Errorf("me after the limit: %d %s", r.Status, r.Body)
			}
		})
	}
}
