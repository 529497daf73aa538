package server_test

// OWASP API2:2023, broken authentication: the login limits cannot be dodged by spelling the
// route differently, by forging X-Forwarded-For, by spreading guesses over accounts from one
// address or over addresses against one account; the API limits hold per token and tenant.

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/ratelimit/redistest"
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
	body := map[string]any{"tenant": "nope", "email": fmt.Sprintf("guess%d@example.com", n), "password": "wrong password"}
	if strings.Contains(strings.ToLower(path), "platform") {
		delete(body, "tenant")
	}
	return env.Do(t, "POST", path, body, h)
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

// Fiber matches routes without regard to case or a trailing slash, and the server collapses
// doubled slashes and dot segments: every spelling below reaches the sign-in handler, and all
// of them count against one limit.
func TestAPI2LoginSpelledFiveWaysSharesOneLimit(t *testing.T) {
	spellings := map[string][]string{
		"tenant": {"/api/v1/auth/login", "/API/v1/auth/login", "/api/v1/auth/login/", "//api/v1//auth/login", "/Api/V1//./Auth/LOGIN/"},
		"platform": {"/platform/v1/auth/login", "/PLATFORM/v1/auth/login", "/platform/v1/auth/login/", "//platform//v1/auth/login",
			"/Platform/v1/./auth//Login/"},
	}
	apitest.EachWith(t, apitest.Setup{Options: server.Options{LoginRateLimit: 5, LoginAccountRateLimit: 1 << 20}},
		func(t *testing.T, env *apitest.Env) {
			for kind, paths := range spellings {
				t.Run(kind, func(t *testing.T) {
					for i, p := range paths {
						r := badLogin(t, env, p, "", i)
						if r.Status != 401 {
							t.Fatalf("POST %s: %d %s, want the sign-in's 401", p, r.Status, r.Body)
						}
					}
					for i, p := range paths {
						wantLimited(t, badLogin(t, env, p, "", 10+i), "POST "+p+" after five attempts")
					}
				})
			}
		})
}

// Failed sign-ins count per account from every address; the account's own successful
// sign-ins do not use the limit up; other accounts are not affected.
func TestAPI2AccountLimitAcrossAddresses(t *testing.T) {
	setup := apitest.Setup{Config: withProxies("0.0.0.0/32"), Options: server.Options{LoginRateLimit: 1 << 20, LoginAccountRateLimit: 3}}
	apitest.EachWith(t, setup, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		from := func(i int) map[string]string {
			return map[string]string{"X-Forwarded-For": fmt.Sprintf("203.0.113.%d", i)}
		}
		login := func(slug, email, pw string, i int) *apitest.Response {
			return env.Do(t, "POST", "/api/v1/auth/login", map[string]any{"tenant": slug, "email": email, "password": pw}, from(i))
		}

		// Successful sign-ins do not count.
		for i := range 5 {
			if r := login(acme.Slug, owner.Email, owner.Password, 100+i); r.Status != 200 {
				t.Fatalf("sign-in %d: %d %s", i, r.Status, r.Body)
			}
		}
		// Three guesses from three addresses, the account spelled three ways.
		for i, email := range []string{owner.Email, strings.ToUpper(owner.Email), "  " + owner.Email + " "} {
			if r := login(strings.ToUpper(acme.Slug), email, "wrong password", i+1); r.Status != 401 {
				t.Fatalf("guess %d: %d %s", i, r.Status, r.Body)
			}
		}
		// A fourth address, even with the right password, waits for the window to close.
		r := login(acme.Slug, owner.Email, owner.Password, 4)
		wantLimited(t, r, "the right password after three guesses")
		if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 || n > 900 {
			t.Errorf("Retry-After %q, want 1 to 900 seconds", r.Header.Get("Retry-After"))
		}
		// Another account of the tenant, and the same e-mail in another tenant, are not limited.
		if r := login(acme.Slug, "someone.else@example.com", "wrong password", 4); r.Status != 401 {
			t.Fatalf("another account: %d %s", r.Status, r.Body)
		}
		if r := login("other-"+acme.Slug, owner.Email, "wrong password", 4); r.Status != 401 {
			t.Fatalf("another tenant: %d %s", r.Status, r.Body)
		}
		env.Clock().Advance(16 * time.Minute)
		if r := login(acme.Slug, owner.Email, owner.Password, 5); r.Status != 200 {
			t.Fatalf("after the window: %d %s", r.Status, r.Body)
		}

		// Padding the body past what the limiter reads puts every such attempt in one account.
		for i := range 4 {
			body := fmt.Sprintf(`{"tenant":"t%d","email":"pad%d@example.com","password":"wrong password"%s}`, i, i, strings.Repeat(" ", 20<<10))
			r := env.Do(t, "POST", "/api/v1/auth/login", body, from(10+i))
			if i < 3 && r.Status != 401 {
				t.Fatalf("padded guess %d: %d %s", i, r.Status, r.Body)
			}
			if i == 3 {
				wantLimited(t, r, "a fourth padded guess")
			}
		}

		// Platform sign-in: the account is the e-mail address.
		admin := env.CreateAdmin(t)
		for i := range 3 {
			r := env.Do(t, "POST", "/platform/v1/auth/login", map[string]any{"email": strings.ToUpper(admin.Email), "password": "wrong password"}, from(20+i))
			if r.Status != 401 {
				t.Fatalf("platform guess %d: %d %s", i, r.Status, r.Body)
			}
		}
		r = env.Do(t, "POST", "/platform/v1/auth/login", map[string]any{"email": admin.Email, "password": admin.Password}, from(30))
		wantLimited(t, r, "the platform admin's right password after three guesses")
	})
}

// API limits hold per API token (or session user) and per tenant, after authentication.
func TestAPI2TenantAndTokenLimits(t *testing.T) {
	apitest.Each(t, func(t *testing.T, setupEnv *apitest.Env) {
		// The tenants and tokens are made on an unlimited server; the limited replica counts
		// from zero.
		acme, other := setupEnv.Signup(t), setupEnv.Signup(t)
		a, b := acme.AddUser(t, "salesperson"), acme.AddUser(t, "salesperson")
		o := other.AddUser(t, "salesperson")
		acme.Owner.Lang = "en"

		t.Run("per token", func(t *testing.T) {
			env := setupEnv.Replica(t, apitest.Setup{Options: server.Options{TokenRateLimit: 5, TenantRateLimit: 1 << 20}})
			for i := range 5 {
				if r := env.Do(t, "GET", "/api/v1/me", nil, a.Headers("GET")); r.Status != 200 {
					t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
				}
			}
			r := env.Do(t, "GET", "/api/v1/me", nil, a.Headers("GET"))
			wantLimited(t, r, "the sixth request of a token")
			if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 || n > 60 {
				t.Errorf("Retry-After %q, want 1 to 60 seconds", r.Header.Get("Retry-After"))
			}
			// Writes too, and module routes.
			wantLimited(t, env.Do(t, "POST", "/api/v1/customers", map[string]any{"name": "x"}, a.Headers("POST")), "a write")
			wantLimited(t, env.Do(t, "GET", "/api/v1/ext/nothing/here", nil, a.Headers("GET")), "a module route")
			// Another token of the same tenant is not affected; nor is an unauthenticated request.
			if r := env.Do(t, "GET", "/api/v1/me", nil, b.Headers("GET")); r.Status != 200 {
				t.Fatalf("another token: %d %s", r.Status, r.Body)
			}
			if r := env.Do(t, "GET", "/api/v1/me", nil, nil); r.Status != 401 {
				t.Fatalf("no credentials: %d, want 401 before any limit", r.Status)
			}
			// A session counts per user: the owner's second session shares the first one's count.
			second := *acme.Owner
			env.SignIn(t, &second, true)
			for i := range 5 {
				c := acme.Owner
				if i%2 == 1 {
					c = &second
				}
				if r := env.Do(t, "GET", "/api/v1/me", nil, c.Headers("GET")); r.Status != 200 {
					t.Fatalf("session request %d: %d %s", i, r.Status, r.Body)
				}
			}
			wantLimited(t, env.Do(t, "GET", "/api/v1/me", nil, acme.Owner.Headers("GET")), "the owner's sixth request over two sessions")
			// The window closes.
			env.Clock().Advance(61 * time.Second)
			if r := env.Do(t, "GET", "/api/v1/me", nil, a.Headers("GET")); r.Status != 200 {
				t.Fatalf("after the window: %d %s", r.Status, r.Body)
			}
		})

		t.Run("per tenant", func(t *testing.T) {
			env := setupEnv.Replica(t, apitest.Setup{Options: server.Options{TokenRateLimit: 1 << 20, TenantRateLimit: 6}})
			for i := range 6 {
				c := a
				if i%2 == 1 {
					c = b
				}
				if r := env.Do(t, "GET", "/api/v1/me", nil, c.Headers("GET")); r.Status != 200 {
					t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
				}
			}
			wantLimited(t, env.Do(t, "GET", "/api/v1/me", nil, a.Headers("GET")), "a's request past the tenant's limit")
			wantLimited(t, env.Do(t, "GET", "/api/v1/me", nil, b.Headers("GET")), "b's request past the tenant's limit")
			wantLimited(t, env.Do(t, "GET", "/api/v1/me", nil, acme.Owner.Headers("GET")), "the owner's session past the tenant's limit")
			if r := env.Do(t, "GET", "/api/v1/me", nil, o.Headers("GET")); r.Status != 200 {
				t.Fatalf("another tenant: %d %s", r.Status, r.Body)
			}
		})

		t.Run("configuration", func(t *testing.T) {
			for _, v := range []string{"many", "-1", "1.5"} {
				cfg := apitest.TestConfig()
				cfg.RateLimitToken = v
				if _, err := server.New(cfg, setupEnv.DB, nil, server.Options{}); err == nil || !strings.Contains(err.Error(), "CRM_RATE_LIMIT_TOKEN") {
					t.Errorf("CRM_RATE_LIMIT_TOKEN=%q: %v, want refused", v, err)
				}
			}
			// 0 is no limit.
			env := setupEnv.Replica(t, apitest.Setup{Config: func(c *config.Config) { c.RateLimitToken, c.RateLimitTenant = "0", "0" }})
			for i := range 700 {
				if r := env.Do(t, "GET", "/api/v1/me", nil, a.Headers("GET")); r.Status != 200 {
					t.Fatalf("request %d with no limit: %d %s", i, r.Status, r.Body)
				}
			}
		})
	})
}

// With CRM_REDIS_URL, replicas count together: requests alternating between two servers
// meet one limit. Without it, or while Redis does not answer, each counts on its own.
func TestAPI2LimitsSharedThroughRedis(t *testing.T) {
	url := redistest.URL(t)
	apitest.Each(t, func(t *testing.T, setupEnv *apitest.Env) {
		acme := setupEnv.Signup(t)
		a := acme.AddUser(t, "salesperson")
		replicas := func(t *testing.T, redisURL string) [2]*apitest.Env {
			s := apitest.Setup{Config: func(c *config.Config) { c.RedisURL = redisURL },
				Options: server.Options{TokenRateLimit: 6, TenantRateLimit: 1 << 20, LoginRateLimit: 4, RateLimitPrefix: redistest.Prefix()}}
			return [2]*apitest.Env{setupEnv.Replica(t, s), setupEnv.Replica(t, s)}
		}
		t.Run("shared", func(t *testing.T) {
			rs := replicas(t, url)
			for i := range 6 {
				if r := rs[i%2].Do(t, "GET", "/api/v1/me", nil, a.Headers("GET")); r.Status != 200 {
					t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
				}
			}
			wantLimited(t, rs[0].Do(t, "GET", "/api/v1/me", nil, a.Headers("GET")), "the seventh request, on replica 1")
			wantLimited(t, rs[1].Do(t, "GET", "/api/v1/me", nil, a.Headers("GET")), "the eighth request, on replica 2")
			for i := range 4 {
				wantNotLimited(t, badLogin(t, rs[i%2], "/api/v1/auth/login", "", i), "sign-in attempt")
			}
			wantLimited(t, badLogin(t, rs[0], "/api/v1/auth/login", "", 9), "the fifth sign-in attempt over two replicas")
		})
		for name, u := range map[string]string{"in memory": "", "Redis down": "redis://127.0.0.1:1/0"} {
			t.Run(name, func(t *testing.T) {
				rs := replicas(t, u)
				for i := range 12 {
					if r := rs[i%2].Do(t, "GET", "/api/v1/me", nil, a.Headers("GET")); r.Status != 200 {
						t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
					}
				}
				wantLimited(t, rs[0].Do(t, "GET", "/api/v1/me", nil, a.Headers("GET")), "replica 1's own seventh request")
			})
		}
	})
}
