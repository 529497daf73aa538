package tenants_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

func signupBody(slug string) map[string]any {
	return map[string]any{"company_name": "测试公司 " + slug, "slug": slug, "owner_name": "王老板",
		"email": "boss@" + slug + ".example.com", "password": "correct horse battery"}
}

type signupOut struct {
	Tenant struct {
		ID     uuid.UUID `json:"id"`
		Slug   string    `json:"slug"`
		Name   string    `json:"name"`
		Status string    `json:"status"`
		Plan   string    `json:"plan"`
	} `json:"tenant"`
	User struct {
		ID    uuid.UUID `json:"id"`
		Email string    `json:"email"`
		Name  string    `json:"name"`
		Roles []string  `json:"roles"`
	} `json:"user"`
	CSRFToken string `json:"csrf_token"`
}

func sessionCookie(t *testing.T, r *apitest.Response) string {
	t.Helper()
	for _, c := range r.Cookies {
		if c.Name == "crm_session" && c.Value != "" {
			if !c.HttpOnly {
				t.Errorf("session cookie is not HttpOnly")
			}
			if c.SameSite != http.SameSiteLaxMode && c.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie SameSite = %v", c.SameSite)
			}
			return c.Name + "=" + c.Value
		}
	}
	t.Fatalf("no crm_session cookie set: %v", r.Header.Values("Set-Cookie"))
	return ""
}

func TestSignupAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		taken := env.Signup(t)
		// Signup is public: there is no "no login", "wrong role" or "not found" row. The other
		// tenant row is a slug another company already has.
		long := strings.Repeat("长", (1<<20)/3+10) // > 1 MiB of UTF-8
		tooBig := signupBody(apitest.UniqueSlug("big"))
		tooBig["company_name"] = long
		env.Run(t, []apitest.Scenario{
			{Name: "other tenant: slug taken", Method: "POST", URL: "/api/v1/signup", Body: signupBody(taken.Slug), Status: 409, Code: "conflict", Check: func(t *testing.T, r *apitest.Response) {
				r.Problem(t).WantField(t, "slug", "taken")
			}},
			{Name: "invalid: slug, email, short password", Method: "POST", URL: "/api/v1/signup",
				Body:   map[string]any{"company_name": "x", "slug": "Not A Slug", "owner_name": "x", "email": "nope", "password": "short"},
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) {
					p := r.Problem(t)
					p.WantField(t, "slug", "invalid_format")
					p.WantField(t, "email", "invalid_format")
					p.WantField(t, "password", "too_short")
					if len(p.Errors) != 3 {
						t.Errorf("want exactly 3 field errors: %+v", p.Errors)
					}
				}},
			{Name: "invalid: slug too short", Method: "POST", URL: "/api/v1/signup", Body: signupBody("ab"), Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) {
				r.Problem(t).WantField(t, "slug", "invalid_format")
			}},
			{Name: "invalid: missing fields", Method: "POST", URL: "/api/v1/signup", Body: map[string]any{},
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) {
					p := r.Problem(t)
					for _, f := range []string{"company_name", "slug", "owner_name", "email", "password"} {
						p.WantField(t, f, "required")
					}
				}},
			{Name: "invalid: empty body", Method: "POST", URL: "/api/v1/signup", Body: "",
				Status: 422, Code: "validation_failed"},
			{Name: "invalid: unknown locale", Method: "POST", URL: "/api/v1/signup", Body: func() map[string]any {
				b := signupBody(apitest.UniqueSlug("loc"))
				b["locale"] = "fr"
				return b
			}(), Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) {
				r.Problem(t).WantField(t, "locale", "invalid_choice")
			}},
			{Name: "invalid: unknown field", Method: "POST", URL: "/api/v1/signup", Body: func() map[string]any {
				b := signupBody(apitest.UniqueSlug("unk"))
				b["plan"] = "enterprise"
				return b
			}(), Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) {
				r.Problem(t).WantField(t, "plan", "unknown_field")
			}},
			{Name: "invalid: wrong type", Method: "POST", URL: "/api/v1/signup", Body: func() map[string]any {
				b := signupBody("x")
				b["slug"] = 5
				return b
			}(), Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) {
				r.Problem(t).WantField(t, "slug", "invalid_type")
			}},
			{Name: "broken JSON", Method: "POST", URL: "/api/v1/signup", Body: `{"slug": "abc",`, Status: 400, Code: "bad_request"},
			{Name: "trailing data", Method: "POST", URL: "/api/v1/signup", Body: `{"slug": "abc"} {}`, Status: 400, Code: "bad_request"},
			{Name: "not an object", Method: "POST", URL: "/api/v1/signup", Body: `["abc"]`, Status: 400, Code: "bad_request"},
			{Name: "too large", Method: "POST", URL: "/api/v1/signup", Body: tooBig, Status: 413, Code: "payload_too_large"},
			{Name: "not JSON", Method: "POST", URL: "/api/v1/signup", Body: "company_name=x&slug=abc",
				Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, Status: 415, Code: "unsupported_media_type"},
			{Name: "text/plain", Method: "POST", URL: "/api/v1/signup", Body: `{"slug":"abc"}`,
				Headers: map[string]string{"Content-Type": "text/plain"}, Status: 415, Code: "unsupported_media_type"},
		})

		t.Run("success", func(t *testing.T) {
			slug := apitest.UniqueSlug("ok")
			body := signupBody(slug)
			body["email"] = "Boss@" + strings.ToUpper(slug) + ".Example.com"
			r := env.Do(t, "POST", "/api/v1/signup", body, nil)
			if r.Status != 201 {
				t.Fatalf("signup: %d %s", r.Status, r.Body)
			}
			var out signupOut
			r.JSON(t, &out)
			if out.Tenant.Slug != slug || out.Tenant.Status != "active" || out.Tenant.Plan != "standard" || out.Tenant.Name != "测试公司 "+slug {
				t.Errorf("tenant %+v", out.Tenant)
			}
			wantEmail := "boss@" + slug + ".example.com"
			if out.User.Email != wantEmail || out.User.Name != "王老板" || out.User.ID == uuid.Nil {
				t.Errorf("user %+v, want email %s", out.User, wantEmail)
			}
			if out.CSRFToken == "" {
				t.Error("no csrf_token")
			}
			cookie := sessionCookie(t, r)
			h := map[string]string{"Cookie": cookie}

			var me struct {
				User struct {
					ID    uuid.UUID
					Email string
				}
				Tenant struct {
					ID     uuid.UUID
					Status string
					Plan   string
				}
				Roles     []string
				DataScope string `json:"data_scope"`
				CSRFToken string `json:"csrf_token"`
			}
			mr := env.Do(t, "GET", "/api/v1/me", nil, h)
			if mr.Status != 200 {
				t.Fatalf("me: %d %s", mr.Status, mr.Body)
			}
			mr.JSON(t, &me)
			if me.User.ID != out.User.ID || me.Tenant.ID != out.Tenant.ID || me.Tenant.Status != "active" || me.Tenant.Plan != "standard" {
				t.Errorf("me %+v", me)
			}
			if len(me.Roles) != 1 || me.Roles[0] != "owner" || me.DataScope != "all" {
				t.Errorf("owner roles %v scope %q", me.Roles, me.DataScope)
			}
			if me.CSRFToken != out.CSRFToken {
				t.Errorf("me csrf %q, signup csrf %q", me.CSRFToken, out.CSRFToken)
			}

			var deps struct {
				Items []struct {
					ID       uuid.UUID  `json:"id"`
					Name     string     `json:"name"`
					ParentID *uuid.UUID `json:"parent_id"`
				}
			}
			dr := env.Do(t, "GET", "/api/v1/departments", nil, h)
			if dr.Status != 200 {
				t.Fatalf("departments: %d %s", dr.Status, dr.Body)
			}
			dr.JSON(t, &deps)
			// No locale and no Accept-Language: the tenant speaks zh-CN.
			want := []string{"总经理办公室", "销售部", "客服部", "售后服务部", "市场部", "财务部", "仓储部", "运营部"}
			if len(deps.Items) != len(want) {
				t.Fatalf("%d departments, want %d: %s", len(deps.Items), len(want), dr.Body)
			}
			for i, d := range deps.Items {
				if d.Name != want[i] {
					t.Errorf("department %d is %q, want %q", i, d.Name, want[i])
				}
			}

			// The owner sits in the first department and has the owner role.
			var u struct {
				DepartmentID *uuid.UUID `json:"department_id"`
				Roles        []string
				Status       string
			}
			ur := env.Do(t, "GET", "/api/v1/users/"+out.User.ID.String(), nil, h)
			if ur.Status != 200 {
				t.Fatalf("get owner: %d %s", ur.Status, ur.Body)
			}
			ur.JSON(t, &u)
			if u.DepartmentID == nil || *u.DepartmentID != deps.Items[0].ID || len(u.Roles) != 1 || u.Roles[0] != "owner" || u.Status != "active" {
				t.Errorf("owner %s", ur.Body)
			}

			// The owner can sign in with the normalised email.
			lr := env.Do(t, "POST", "/api/v1/auth/login", map[string]any{"tenant": slug, "email": wantEmail, "password": "correct horse battery"}, nil)
			if lr.Status != 200 {
				t.Errorf("login after signup: %d %s", lr.Status, lr.Body)
			}

			// The signup is in the tenant's history.
			ar := env.Do(t, "GET", "/api/v1/audit?entity=tenant&entity_id="+out.Tenant.ID.String(), nil, h)
			if ar.Status != 200 || !strings.Contains(string(ar.Body), `"action":"signup"`) {
				t.Errorf("audit: %d %s", ar.Status, ar.Body)
			}

			// The same slug again is a conflict, and leaves no second owner behind.
			again := signupBody(slug)
			again["email"] = "someone.else@example.com"
			if r := env.Do(t, "POST", "/api/v1/signup", again, nil); r.Status != 409 {
				t.Errorf("second signup with %s: %d %s", slug, r.Status, r.Body)
			}
			if n := env.CountRows(t, "tenants", "slug = ?", slug); n != 1 {
				t.Errorf("%d tenants with slug %s, want 1", n, slug)
			}
			if n := env.CountRows(t, "users", "email = ?", "someone.else@example.com"); n != 0 {
				t.Errorf("refused signup left %d users", n)
			}
		})

		t.Run("locale from Accept-Language", func(t *testing.T) {
			slug := apitest.UniqueSlug("tw")
			r := env.Do(t, "POST", "/api/v1/signup", signupBody(slug), map[string]string{"Accept-Language": "zh-TW,zh;q=0.9"})
			if r.Status != 201 {
				t.Fatalf("signup: %d %s", r.Status, r.Body)
			}
			h := map[string]string{"Cookie": sessionCookie(t, r)}
			dr := env.Do(t, "GET", "/api/v1/departments", nil, h)
			for _, name := range []string{"總經理辦公室", "銷售部", "倉儲部", "運營部"} {
				if !strings.Contains(string(dr.Body), name) {
					t.Errorf("zh-TW tenant lacks department %s: %s", name, dr.Body)
				}
			}
			// Errors for this tenant's users (no own locale) follow the tenant's language when
			// the browser sends none.
			pr := env.Do(t, "POST", "/api/v1/departments", map[string]any{"name": ""}, map[string]string{"Cookie": h["Cookie"], "X-CSRF-Token": csrfOf(t, r)})
			if p := pr.Problem(t); pr.Status != 422 || p.Title != "輸入有誤" {
				t.Errorf("zh-TW tenant error: %d %s", pr.Status, pr.Body)
			}
		})

		t.Run("locale field", func(t *testing.T) {
			slug := apitest.UniqueSlug("en")
			b := signupBody(slug)
			b["locale"] = "en"
			r := env.Do(t, "POST", "/api/v1/signup", b, map[string]string{"Accept-Language": "zh-CN"})
			if r.Status != 201 {
				t.Fatalf("signup: %d %s", r.Status, r.Body)
			}
			dr := env.Do(t, "GET", "/api/v1/departments", nil, map[string]string{"Cookie": sessionCookie(t, r)})
			if !strings.Contains(string(dr.Body), `"Management"`) || !strings.Contains(string(dr.Body), `"After-sales service"`) {
				t.Errorf("en tenant departments: %s", dr.Body)
			}
		})
	})
}

func csrfOf(t *testing.T, r *apitest.Response) string {
	t.Helper()
	var out signupOut
	r.JSON(t, &out)
	return out.CSRFToken
}

// TestSignupLocalizedErrors: the same invalid request in each language, chosen by
// Accept-Language, zh-CN when there is none.
func TestSignupLocalizedErrors(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		bad := map[string]any{"company_name": "x", "slug": "ok-slug", "owner_name": "x", "email": "nope", "password": "short"}
		cases := []struct {
			lang, title, detail, emailMsg, pwMsg string
		}{
			{"", "输入有误", "请检查标出的字段。", "格式不正确。", "至少 10 个字符。"},
			{"fr-FR", "输入有误", "请检查标出的字段。", "格式不正确。", "至少 10 个字符。"},
			{"zh-CN", "输入有误", "请检查标出的字段。", "格式不正确。", "至少 10 个字符。"},
			{"zh-TW", "輸入有誤", "請檢查標出的欄位。", "格式不正確。", "至少 10 個字元。"},
			{"zh-HK", "輸入有誤", "請檢查標出的欄位。", "格式不正確。", "至少 10 個字元。"},
			{"en", "Invalid input", "Please check the fields marked.", "Invalid format.", "At least 10 characters."},
			{"en-GB,en;q=0.8,zh;q=0.5", "Invalid input", "Please check the fields marked.", "Invalid format.", "At least 10 characters."},
		}
		for _, c := range cases {
			t.Run("lang="+c.lang, func(t *testing.T) {
				h := map[string]string{}
				if c.lang != "" {
					h["Accept-Language"] = c.lang
				}
				r := env.Do(t, "POST", "/api/v1/signup", bad, h)
				if r.Status != 422 {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
				p := r.Problem(t)
				if p.Title != c.title || p.Detail != c.detail || p.Code != "validation_failed" {
					t.Errorf("title %q detail %q, want %q %q", p.Title, p.Detail, c.title, c.detail)
				}
				if f := p.WantField(t, "email", "invalid_format"); f.Message != c.emailMsg {
					t.Errorf("email message %q, want %q", f.Message, c.emailMsg)
				}
				if f := p.WantField(t, "password", "too_short"); f.Message != c.pwMsg {
					t.Errorf("password message %q, want %q", f.Message, c.pwMsg)
				}
			})
		}
	})
}

// TestConcurrentSignupSameSlug races two signups for one slug: exactly one wins, the other
// gets 409, and nothing of the loser is left behind.
func TestConcurrentSignupSameSlug(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		for round := 0; round < 3; round++ {
			slug := apitest.UniqueSlug("race")
			emails := [2]string{"first@" + slug + ".example.com", "second@" + slug + ".example.com"}
			var statuses [2]int
			var bodies [2][]byte
			var errs [2]error
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					b := signupBody(slug)
					b["email"] = emails[i]
					raw, _ := json.Marshal(b)
					req := httptest.NewRequest("POST", "/api/v1/signup", bytes.NewReader(raw))
					req.Header.Set("Content-Type", "application/json")
					<-start
					res, err := env.Server.App.Test(req, -1)
					if err != nil {
						errs[i] = err
						return
					}
					defer res.Body.Close()
					statuses[i] = res.StatusCode
					bodies[i], _ = io.ReadAll(res.Body)
				}()
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("signup %d: %v", i, err)
				}
			}
			winner, loser := 0, 1
			if statuses[1] == 201 {
				winner, loser = 1, 0
			}
			if statuses[winner] != 201 || statuses[loser] != 409 {
				t.Fatalf("round %d: statuses %v, want one 201 and one 409: %s | %s", round, statuses, bodies[0], bodies[1])
			}
			var p apitest.Problem
			if err := json.Unmarshal(bodies[loser], &p); err != nil || p.Code != "conflict" {
				t.Errorf("loser body %s", bodies[loser])
			}
			if n := env.CountRows(t, "tenants", "slug = ?", slug); n != 1 {
				t.Errorf("%d tenants with slug %s, want 1", n, slug)
			}
			if n := env.CountRows(t, "users", "email = ?", emails[loser]); n != 0 {
				t.Errorf("loser's email %s has %d user rows, want 0", emails[loser], n)
			}
			if n := env.CountRows(t, "users", "email = ?", emails[winner]); n != 1 {
				t.Errorf("winner's email %s has %d user rows, want 1", emails[winner], n)
			}
			var out signupOut
			if err := json.Unmarshal(bodies[winner], &out); err != nil {
				t.Fatal(err)
			}
			// Everything seeded belongs to the winning tenant: 8 departments, 13 roles.
			if n := env.CountRows(t, "departments", "tenant_id = ?", out.Tenant.ID.String()); n != 8 {
				t.Errorf("winner has %d departments, want 8", n)
			}
			if n := env.CountRows(t, "roles", "tenant_id = ?", out.Tenant.ID.String()); n != 13 {
				t.Errorf("winner has %d roles, want 13", n)
			}
		}
	})
}
