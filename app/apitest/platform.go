package apitest

import (
	"context"
	"testing"

	"github.com/smecrm/crm/tenants"
)

// Helpers for platform-admin and session tests.

// Admin is a signed-in platform administrator.
type Admin struct {
	env      *Env
	Email    string
	Password string
	Cookie   string
	CSRF     string
}

// CreateAdmin creates a platform administrator through env.Server.Platform and signs them in
// through POST /platform/v1/auth/login.
func (e *Env) CreateAdmin(t testing.TB) *Admin {
	t.Helper()
	email := UniqueSlug("admin") + "@platform.example.com"
	pw := "platform admin password"
	if _, err := e.Server.Platform.CreateAdmin(context.Background(), email, "Platform admin", pw); err != nil {
		t.Fatalf("create platform admin: %v", err)
	}
	a := &Admin{env: e, Email: email, Password: pw}
	r := e.Do(t, "POST", "/platform/v1/auth/login", map[string]any{"email": email, "password": pw}, nil)
	if r.Status != 200 {
		t.Fatalf("platform login: %d %s", r.Status, r.Body)
	}
	var out struct {
		CSRFToken string `json:"csrf_token"`
	}
	r.JSON(t, &out)
	a.Cookie, a.CSRF = cookieHeader(r.Cookies), out.CSRFToken
	return a
}

// Headers are the admin's credentials for a request of method.
func (a *Admin) Headers(method string) map[string]string {
	h := map[string]string{"Cookie": a.Cookie}
	if method != "GET" && method != "HEAD" {
		h["X-CSRF-Token"] = a.CSRF
	}
	return h
}

// Do sends a request as the admin.
func (a *Admin) Do(t testing.TB, method, url string, body any) *Response {
	t.Helper()
	return a.env.Do(t, method, url, body, a.Headers(method))
}

// MustDo sends a request as the admin and fails unless the status is want; it decodes into
// out (if not nil).
func (a *Admin) MustDo(t testing.TB, method, url string, body any, want int, out any) *Response {
	t.Helper()
	return mustStatus(t, a.Do(t, method, url, body), method, url, want, out)
}

// Tenant reads a tenant row directly (for checks after platform actions).
func (e *Env) Tenant(t testing.TB, c *Company) *tenants.Tenant {
	t.Helper()
	tn, err := tenants.Repo{DB: e.DB}.FindByID(context.Background(), c.ID)
	if err != nil {
		t.Fatalf("tenant %s: %v", c.Slug, err)
	}
	return tn
}
