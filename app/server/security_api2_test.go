package server_test

// OWASP API2:2023, broken authentication: the login limits cannot be dodged by spelling the
// route differently, by forging X-Forwarded-For, by spreading guesses over accounts from one
// address or over addresses against one account; the API limits hold per token and tenant.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
)

// badLogin is a failed tenant login for a distinct account, so that only the address limit
// is in play.
func badLogin(t *testing.T, env *apitest.Env, path, xff string, n int) *apitest.Response {
	t.Helper()
	h := map[string]string{}
	if xff != "" {
		h["X-Forwarded-For"] = xff
	}
	return env.Do(t, "POST", path, map[string]any{"tenant": "nope", "email": fmt.Sprintf("guess%d@example.com", n), "password": "wrong password"}, h)
}

func wantLimited(t *testing.T, r *apitest.Response, what string) {
	t.Helper()
	if r.Status != 429 {
		t.Fatalf("%s: %d %s, want 429", what, r.Status, r.Body)
	}
	if p := r.Problem(t); p.Code != "rate_limited" {
		t.Fatalf("%s: code %q, want rate_limited", what, p.Code)
	}
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("%s: no Retry-After", what)
	}
}

func wantNotLimited(t *testing.T, r *apitest.Response, what string) {
	t.Helper()
	if r.Status == 429 || r.Status == 404 {
		t.Fatalf("%s: %d %s, want the login handler's answer", what, r.Status, r.Body)
	}
}

func withProxies(spec string) func(*config.Config) {
	return func(c *config.Config) { c.TrustedProxies = spec }
}

// The client address comes from X-Forwarded-For only through the trusted proxies
// (CRM_TRUSTED_PROXIES), read from the right. In these tests the socket's peer is 0.0.0.0
// (Fiber's in-memory connection).
func TestAPI2ClientAddress(t *testing.T) {
	const limit = 3
	opts := server.Options{LoginRateLimit: limit}
	t.Run("no trusted proxy: the header is not believed", func(t *testing.T) {
		apitest.EachWith(t, apitest.Setup{Options: opts}, func(t *testing.T, env *apitest.Env) {
			for i := range limit {
				wantNotLimited(t, badLogin(t, env, "/api/v1/auth/login", fmt.Sprintf("203.0.113.%d", i+1), i), "attempt")
			}
			wantLimited(t, badLogin(t, env, "/api/v1/auth/login", "203.0.113.99", 99), "a fresh forged address")
		})
	})
	t.Run("an untrusted peer's header is not believed", func(t *testing.T) {
		apitest.EachWith(t, apitest.Setup{Options: opts, Config: withProxies("10.0.0.0/8")}, func(t *testing.T, env *apitest.Env) {
			for i := range limit {
				wantNotLimited(t, badLogin(t, env, "/api/v1/auth/login", fmt.Sprintf("203.0.113.%d", i+1), i), "attempt")
			}
			wantLimited(t, badLogin(t, env, "/api/v1/auth/login", "203.0.113.99", 99), "a fresh forged address")
		})
	})
	t.Run("behind trusted proxies", func(t *testing.T) {
		apitest.EachWith(t, apitest.Setup{Options: opts, Config: withProxies("0.0.0.0/32, 10.0.0.0/8")}, func(t *testing.T, env *apitest.Env) {
			n := 0
			try := func(xff string) *apitest.Response { n++; return badLogin(t, env, "/api/v1/auth/login", xff, n) }
			// Each client the proxy names has a limit of its own.
			for range limit {
				wantNotLimited(t, try("203.0.113.1"), "client 1")
			}
			wantLimited(t, try("203.0.113.1"), "client 1 past its limit")
			wantNotLimited(t, try("203.0.113.2"), "client 2")
			// What the client wrote to the left of what the proxy appended is not believed.
			wantLimited(t, try("198.51.100.7, 203.0.113.1"), "client 1 with a forged entry")
			wantLimited(t, try("198.51.100.8,203.0.113.1"), "client 1 with another forged entry")
			// A chain of trusted proxies is skipped, from the right.
			wantLimited(t, try("203.0.113.1, 10.1.2.3"), "client 1 through a second proxy")
			wantNotLimited(t, try("203.0.113.3, 10.1.2.3, 10.4.5.6"), "client 3 through two proxies")
			// An IPv6 client counts by its /64.
			for i := range limit {
				wantNotLimited(t, try(fmt.Sprintf("2001:db8:1:2::%x", i+1)), "an IPv6 address")
			}
			wantLimited(t, try("2001:db8:1:2:ffff::1"), "another address of the same /64")
			wantNotLimited(t, try("2001:db8:1:3::1"), "another /64")
		})
	})
	t.Run("a malformed list is refused at start", func(t *testing.T) {
		cfg := apitest.TestConfig()
		cfg.TrustedProxies = "10.0.0.0/8, proxy.example.com"
		_, err := server.New(cfg, storetest.Open(t, store.SQLite), nil, server.Options{})
		if err == nil || !strings.Contains(err.Error(), "CRM_TRUSTED_PROXIES") {
			t.Fatalf("server.New: %v, want an error about CRM_TRUSTED_PROXIES", err)
		}
	})
}
