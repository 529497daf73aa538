package server

import (
	"cmp"
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/ratelimit"
)

// Login limits: defaults of Options.LoginRateLimit and Options.LoginAccountRateLimit.
const (
	defaultLoginRateLimit   = 20 // attempts per minute per client address and route
	defaultLoginAccountRate = 10 // failed attempts per account and route per loginAccountWindow
	loginAccountWindow      = 15 * time.Minute
	// maxAccountBody bounds the body read for the account's name: a sign-in body is a few
	// hundred bytes; a larger one is counted under one shared account.
	maxAccountBody = 16 << 10
	// defaultPublicRateLimit is Options.PublicRateLimit's default: requests per minute per
	// client address to /public/v1 (links that open without an account).
	defaultPublicRateLimit = 60
)

// API limits: defaults of CRM_RATE_LIMIT_TOKEN and CRM_RATE_LIMIT_TENANT, per minute.
const (
	defaultTokenRateLimit  = 600
	defaultTenantRateLimit = 3000
)

// newLimiter counts in memory, or in the Redis of CRM_REDIS_URL. A Redis that does not
// answer at start is no reason not to start: each replica counts on its own until it does.
func newLimiter(cfg config.Config, opt Options, log *slog.Logger) (*ratelimit.Limiter, error) {
	if cfg.RedisURL == "" {
		return ratelimit.New(nil, log, opt.Now), nil
	}
	r, err := ratelimit.NewRedis(cfg.RedisURL, cmp.Or(opt.RateLimitPrefix, "crm:ratelimit:"))
	if err != nil {
		return nil, err
	}
	if err := r.Ping(context.Background()); err != nil && log != nil {
		log.Warn("rate limits count in each process until Redis answers", "err", err)
	}
	return ratelimit.New(r, log, opt.Now), nil
}

// apiLimits are the per-client and per-tenant limits of the API: Options, else the
// configuration, else the defaults.
func apiLimits(cfg config.Config, opt Options) (perClient, perTenant ratelimit.Limit, err error) {
	token, tenant, err := cfg.RateLimits(defaultTokenRateLimit, defaultTenantRateLimit)
	if err != nil {
		return perClient, perTenant, err
	}
	pick := func(o, c int) int {
		switch {
		case o < 0:
			return 0
		case o > 0:
			return o
		}
		return c
	}
	return ratelimit.Limit{Name: "api-client", Max: pick(opt.TokenRateLimit, token), Window: time.Minute},
		ratelimit.Limit{Name: "api-tenant", Max: pick(opt.TenantRateLimit, tenant), Window: time.Minute}, nil
}

// apiThrottle is the guard after authentication on every signed-in route: a request counts
// against its API token (or, on a cookie session, its user: all their sessions together) and
// against its tenant. A refusal by the client's limit is not counted against the tenant, so a
// single runaway script does not use up its colleagues' share as well.
func (s *Server) apiThrottle(perClient, perTenant ratelimit.Limit) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		tenant := str(c.Locals("tenant_id"))
		client := "user:" + str(c.Locals("user_id"))
		if tok, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer "); ok {
			client = "token:" + strings.TrimSpace(tok) // hashed before it is stored
		}
		if d := s.limits.Allow(ctx, perClient, tenant+"|"+client); !d.Allowed {
			return tooMany(c, d)
		}
		if d := s.limits.Allow(ctx, perTenant, tenant); !d.Allowed {
			return tooMany(c, d)
		}
		return c.Next()
	}
}

// cleanPath gives every spelling of a path one route. Fiber already matches paths without
// regard to case or a trailing slash (CaseSensitive and StrictRouting are off); this collapses
// repeated slashes and resolves dot segments, so that //api/v1//auth/login reaches the login
// route — and its limits — like /api/v1/auth/login. It must be the first middleware: it
// changes the path the router matches the following routes against.
func cleanPath(c *fiber.Ctx) error {
	p := c.Path()
	if strings.Contains(p, "//") || strings.Contains(p, "/.") {
		clean := path.Clean(p)
		if strings.HasSuffix(p, "/") && clean != "/" {
			clean += "/"
		}
		if clean != p {
			c.Path(clean)
		}
	}
	return c.Next()
}

// loginLimiter guards a sign-in route with two limits, each counted per route pattern (the
// route the request matched, however its path was spelled):
//   - per client address: every attempt counts, so one address cannot try many accounts fast;
//   - per account (account names it from the body; nil: no such limit): failed attempts
//     count, from whatever address, so many addresses cannot hammer one account, while the
//     account's own successful sign-ins do not use the limit up.
func (s *Server) loginLimiter(address, account ratelimit.Limit, accountOf func(body []byte) string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		route := c.Route().Path
		ctx := c.UserContext()
		if d := s.limits.Allow(ctx, address, route+"|"+limitKey(s.ClientAddr(c))); !d.Allowed {
			return tooMany(c, d)
		}
		if accountOf == nil {
			return c.Next()
		}
		key := route + "|" + accountOf(c.Body())
		if d := s.limits.Allow(ctx, account, key); !d.Allowed {
			return tooMany(c, d)
		}
		err := c.Next()
		if err == nil && c.Response().StatusCode() < fiber.StatusBadRequest {
			s.limits.Undo(ctx, account, key)
		}
		return err
	}
}

// tenantAccount names a tenant sign-in's account: the tenant's slug and the e-mail address,
// normalised as sign-in normalises them.
func tenantAccount(body []byte) string {
	var in struct {
		Tenant string `json:"tenant"`
		Email  string `json:"email"`
	}
	if bad := readAccount(body, &in); bad != "" {
		return bad
	}
	return normName(in.Tenant) + "|" + normName(in.Email)
}

// platformAccount names a platform admin sign-in's account: the e-mail address.
func platformAccount(body []byte) string {
	var in struct {
		Email string `json:"email"`
	}
	if bad := readAccount(body, &in); bad != "" {
		return bad
	}
	return normName(in.Email)
}

// readAccount decodes the account fields of a sign-in body, or names the shared account of
// bodies it does not read: too large, or not JSON (the sign-in refuses those anyway). It
// decodes as the handler does (encoding/json: keys matched without regard to case, the last
// of repeated keys wins), so the account counted is the one that is tried.
func readAccount(body []byte, into any) string {
	if len(body) > maxAccountBody {
		return "\x00oversized"
	}
	if json.Unmarshal(body, into) != nil {
		return "\x00unreadable"
	}
	return ""
}

func normName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// tooMany answers 429 rate_limited with Retry-After in whole seconds.
func tooMany(c *fiber.Ctx, d ratelimit.Decision) error {
	secs := int(math.Ceil(d.RetryAfter.Seconds()))
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(secs, 1)))
	return problem.New(problem.RateLimited, "rate_limited")
}
