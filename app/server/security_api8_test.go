package server_test

// OWASP API8:2023, security misconfiguration: every answer carries the security headers, and
// the metrics are not public.

import (
	"io"
	"net"
	"net/http"
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

// /metrics is not public: behind CRM_METRICS_TOKEN on the main address, or only on its own
// address (CRM_METRICS_ADDR), or not served at all.
func TestAPI8Metrics(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		env.Do(t, "GET", "/healthz", nil, nil)
		t.Run("behind the token", func(t *testing.T) {
			env.Run(t, []apitest.Scenario{
				{Name: "no token", Method: "GET", URL: "/metrics", Status: 401, Code: "unauthenticated",
					Check: func(t *testing.T, r *apitest.Response) {
						if r.Header.Get("WWW-Authenticate") == "" || strings.Contains(string(r.Body), "crm_http_requests_total") {
							t.Errorf("no challenge, or metrics in the refusal: %v %s", r.Header, r.Body)
						}
					}},
				{Name: "wrong token", Method: "GET", URL: "/metrics", Headers: map[string]string{"Authorization": "Bearer " + apitest.MetricsToken + "x"}, Status: 401, Code: "unauthenticated"},
				{Name: "a user's API token", Method: "GET", URL: "/metrics", As: env.Signup(t).Owner, Status: 401, Code: "unauthenticated"},
				{Name: "the token", Method: "GET", URL: "/metrics", Headers: map[string]string{"Authorization": "Bearer " + apitest.MetricsToken}, Status: 200,
					Contains: []string{`crm_http_requests_total{method="GET",route="/healthz",status="200"}`}},
			})
		})
		t.Run("no token, no address: not served", func(t *testing.T) {
			r := env.Replica(t, apitest.Setup{Config: func(c *config.Config) { c.MetricsToken = "" }})
			for _, h := range []map[string]string{nil, {"Authorization": "Bearer "}, {"Authorization": "Bearer " + apitest.MetricsToken}} {
				res := r.Do(t, "GET", "/metrics", nil, h)
				if res.Status != 404 || res.Problem(t).Code != "not_found" {
					t.Fatalf("GET /metrics with %v: %d %s, want 404", h, res.Status, res.Body)
				}
			}
			if r.Server.MetricsApp != nil {
				t.Error("a metrics listener without CRM_METRICS_ADDR")
			}
		})
		t.Run("own address", func(t *testing.T) {
			r := env.Replica(t, apitest.Setup{Config: func(c *config.Config) { c.MetricsAddr = "127.0.0.1:0" }})
			r.Do(t, "GET", "/healthz", nil, nil)
			// The main address does not serve them, token or not.
			if res := r.Do(t, "GET", "/metrics", nil, map[string]string{"Authorization": "Bearer " + apitest.MetricsToken}); res.Status != 404 {
				t.Fatalf("GET /metrics on the main address: %d %s, want 404", res.Status, res.Body)
			}
			// The metrics address does, without a token, over a real socket.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go r.Server.MetricsApp.Listener(ln)
			t.Cleanup(func() { r.Server.MetricsApp.Shutdown() })
			res, err := http.Get("http://" + ln.Addr().String() + "/metrics")
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != 200 || !strings.Contains(string(body), `crm_http_requests_total{method="GET",route="/healthz",status="200"}`) {
				t.Fatalf("GET /metrics on the metrics address: %d %.300s", res.StatusCode, body)
			}
			// Nothing else is served there.
			res2, err := http.Get("http://" + ln.Addr().String() + "/api/v1/me")
			if err != nil {
				t.Fatal(err)
			}
			res2.Body.Close()
			if res2.StatusCode != 404 {
				t.Fatalf("GET /api/v1/me on the metrics address: %d, want 404", res2.StatusCode)
			}
		})
	})
}
