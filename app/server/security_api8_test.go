package server_test

// OWASP API8:2023, security misconfiguration: every answer carries the security headers, and
// the metrics are not public.

import (
	"strings"
	"testing"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/config"
)

// answers are requests of every kind: API success and errors, the web app, its deep links.
var answers = []struct{ name, method, url, body string }{
	{"API", "GET", "/healthz", ""},
	{"web app", "GET", "/", ""},
	{"web app deep link", "GET", "/customers/123", ""},
	{"missing asset", "GET", "/assets/nothing-here.js", ""},
	{"unknown API path", "GET", "/api/v1/no-such-thing", ""},
	{"not signed in", "GET", "/api/v1/me", ""},
	{"broken JSON", "POST", "/api/v1/auth/login", "{"},
	{"method not allowed", "DELETE", "/healthz", ""},
	{"OpenAPI", "GET", "/api/v1/openapi.json", ""},
}

func TestAPI8SecurityHeaders(t *testing.T) {
	directives := []string{"default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
		"frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'"}
	check := func(t *testing.T, env *apitest.Env, hsts bool) {
		for _, a := range answers {
			var body any
			if a.body != "" {
				body = a.body
			}
			r := env.Do(t, a.method, a.url, body, nil)
			csp := r.Header.Values("Content-Security-Policy")
			if len(csp) != 1 {
				t.Errorf("%s (%d): Content-Security-Policy %q, want one", a.name, r.Status, csp)
				continue
			}
			for _, d := range directives {
				if !strings.Contains(csp[0], d) {
					t.Errorf("%s (%d): CSP %q lacks %q", a.name, r.Status, csp[0], d)
				}
			}
			if strings.Contains(csp[0], "unsafe-eval") || strings.Contains(csp[0], "script-src 'self' 'unsafe-inline'") {
				t.Errorf("%s: CSP %q lets inline or evaluated script run", a.name, csp[0])
			}
			for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
				"Referrer-Policy": "strict-origin-when-cross-origin"} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s (%d): %s %q, want %q", a.name, r.Status, h, got, want)
				}
			}
			got := r.Header.Get("Strict-Transport-Security")
			if hsts && !strings.HasPrefix(got, "max-age=") {
				t.Errorf("%s (%d): Strict-Transport-Security %q with an https base URL", a.name, r.Status, got)
			}
			if !hsts && got != "" {
				t.Errorf("%s (%d): Strict-Transport-Security %q with an http base URL", a.name, r.Status, got)
			}
		}
	}
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		t.Run("http base URL", func(t *testing.T) { check(t, env, false) })
		t.Run("https base URL", func(t *testing.T) {
			check(t, env.Replica(t, apitest.Setup{Config: func(c *config.Config) { c.BaseURL = "https://crm.example.com" }}), true)
		})
	})
}
