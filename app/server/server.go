// Package server assembles the HTTP application: the middleware chain, the guards, every
// business package's routes, the OpenAPI document, health and metrics.
package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/gofiber/fiber/v2/middleware/requestid"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/auth"
	"github.com/smecrm/crm/app/catalog"
	"github.com/smecrm/crm/app/complaint"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/fieldcrypt"
	"github.com/smecrm/crm/app/followup"
	"github.com/smecrm/crm/app/incident"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/lead"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/need"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/publiclink"
	"github.com/smecrm/crm/app/ratelimit"
	"github.com/smecrm/crm/app/risk"
	"github.com/smecrm/crm/app/salesreport"
	"github.com/smecrm/crm/app/service"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/survey"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/app/web"
	"github.com/smecrm/crm/app/webhook"
	"github.com/smecrm/crm/app/workday"
	"github.com/smecrm/crm/plugins/host"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// Version is the build's version, set by the linker.
var Version = "dev"

// Server is the assembled application.
type Server struct {
	App       *fiber.App
	Router    *api.Router
	DB        *store.DB
	Auth      *auth.Auth
	Authz     *policies.Authorizer
	Tenants   *tenants.Service
	Platform  *tenants.Platform
	Org       *org.Service
	Customers *customer.Service
	FollowUps *followup.Service
	Leads     *lead.Service
	Notify    *notify.Service
	// Opportunities is the sales pipeline; lead conversion creates opportunities through it.
	Opportunities *opportunity.Service
	// Deals are quotes, contracts, orders, payment plans and payments.
	Deals *deal.Service
	// WorkOrders is after-sales service: work orders and remote-service applications.
	WorkOrders *service.Service
	// Surveys are the opinion surveys after service; Links the public links they are sent with.
	Surveys *survey.Service
	// Incidents are emergency incidents and the customers they affect.
	Incidents *incident.Service
	// Complaints are customer complaints; Calendar the tenants' working calendars.
	Complaints *complaint.Service
	Calendar   *workday.Service
	// Risk is credit assessments, exposure and risk warnings.
	Risk  *risk.Service
	Links *publiclink.Links
	Jobs  *jobs.Queue
	// Webhooks are the tenant's outgoing webhook endpoints and their deliveries.
	Webhooks *webhook.Service
	// Plugins supervises the installed plugins; the caller starts and stops it.
	Plugins  *host.Host
	Log      *slog.Logger
	Registry *prometheus.Registry
	// MetricsApp serves /metrics on CRM_METRICS_ADDR; nil when that is unset. The caller
	// listens on it beside App.
	MetricsApp *fiber.App

	proxies proxies
	limits  *ratelimit.Limiter
}

// ClientAddr is the request's client address: the socket's peer, or the address the trusted
// proxies (CRM_TRUSTED_PROXIES) received the request from.
func (s *Server) ClientAddr(c *fiber.Ctx) netip.Addr { return s.proxies.clientAddr(c) }

// Options tune New.
type Options struct {
	// LoginRateLimit is the number of sign-in attempts per minute per client address and
	// route (default 20).
	LoginRateLimit int
	// LoginAccountRateLimit is the number of failed sign-in attempts per account and route in
	// 15 minutes, from any address (default 10).
	LoginAccountRateLimit int
	// TokenRateLimit and TenantRateLimit are the API requests per minute per API token (or
	// session user) and per tenant; zero: CRM_RATE_LIMIT_TOKEN and CRM_RATE_LIMIT_TENANT, else
	// 600 and 3000; negative: no limit.
	TokenRateLimit, TenantRateLimit int
	// RateLimitPrefix starts every rate-limit key in Redis (default "crm:ratelimit:"); tests
	// sharing one Redis give each its own.
	RateLimitPrefix string
	// Now replaces the clock (tests).
	Now func() time.Time
	// TenantStateTTL is how long authentication caches a tenant's status and change counters
	// (default one second; negative: never cache). Changes made through this server apply at
	// once; changes made through another replica within this time.
	TenantStateTTL time.Duration
	// Plugins tunes the plugin supervisor (tests); an empty Dir means CRM_PLUGIN_DIR.
	Plugins host.Options
	// PublicRateLimit is the number of requests per minute per client address to the pages
	// opened from links without an account, /public/v1 (default 60).
	PublicRateLimit int
}

// New builds the server on an open, migrated database.
func New(cfg config.Config, db *store.DB, log *slog.Logger, opt Options) (*Server, error) {
	authz, err := policies.NewAuthorizer(db)
	if err != nil {
		return nil, err
	}
	s := &Server{DB: db, Log: log, Authz: authz, Registry: prometheus.NewRegistry()}
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := newHTTPMetrics(s.Registry)

	trusted, err := parseProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	s.proxies = trusted
	proxyHeader := "" // no trusted proxy: no header is believed
	if len(trusted) > 0 {
		proxyHeader = fiber.HeaderXForwardedFor
	}
	s.App = fiber.New(fiber.Config{
		AppName:               "crm",
		ErrorHandler:          api.ErrorHandler(log),
		BodyLimit:             32 << 20, // JSON routes cap themselves lower (api.Op.BodyLimit)
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		DisableStartupMessage: true,
		// Fiber's own view of the client (c.IP, c.Protocol, c.Hostname) believes forwarded
		// headers only from the trusted proxies; the rate limits use ClientAddr, which also
		// refuses the addresses a client wrote into X-Forwarded-For itself.
		EnableTrustedProxyCheck: true,
		TrustedProxies:          trusted.strings(),
		ProxyHeader:             proxyHeader,
		EnableIPValidation:      true,
		JSONEncoder:             json.Marshal,
		JSONDecoder:             json.Unmarshal,
	})
	s.App.Use(cleanPath) // first: it changes the path the router matches the rest against
	s.App.Use(securityHeaders(cfg.BaseURL))
	s.App.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		log.Error("panic", "panic", e, "path", c.Path())
	}}))
	s.App.Use(requestid.New(requestid.Config{Generator: func() string { return uuid.Must(uuid.NewV7()).String() }}))
	s.App.Use(localeFromHeader)
	s.App.Use(accessLog(log, metrics, s.ClientAddr))
	s.App.Use(decodeBody) // before anything reads a body

	// Rate limits (OWASP API2), counted in this process or, with CRM_REDIS_URL, in Redis for
	// every replica together.
	if s.limits, err = newLimiter(cfg, opt, log); err != nil {
		return nil, err
	}
	perToken, perTenant, err := apiLimits(cfg, opt)
	if err != nil {
		return nil, err
	}
	// Sign-in limits: per client address and per account, each per route.
	perAddress := ratelimit.Limit{Name: "login-address", Max: cmp.Or(opt.LoginRateLimit, defaultLoginRateLimit), Window: time.Minute}
	perAccount := ratelimit.Limit{Name: "login-account", Max: cmp.Or(opt.LoginAccountRateLimit, defaultLoginAccountRate), Window: loginAccountWindow}
	s.App.Post("/api/v1/auth/login", s.loginLimiter(perAddress, perAccount, tenantAccount))
	s.App.Post("/platform/v1/auth/login", s.loginLimiter(perAddress, perAccount, platformAccount))
	s.App.Post("/api/v1/signup", s.loginLimiter(perAddress, perAccount, nil))
	// Links that open without an account (sign-off, surveys) carry a signed token; a limit per
	// client address slows guessing and replaying them down.
	perPublic := ratelimit.Limit{Name: "public-links", Max: cmp.Or(opt.PublicRateLimit, defaultPublicRateLimit), Window: time.Minute}
	s.App.Use("/public/v1", func(c *fiber.Ctx) error {
		if d := s.limits.Allow(c.UserContext(), perPublic, limitKey(s.ClientAddr(c))); !d.Allowed {
			return tooMany(c, d)
		}
		return c.Next()
	})

	stateTTL := opt.TenantStateTTL
	if stateTTL == 0 {
		stateTTL = time.Second
	}
	s.Auth = &auth.Auth{DB: db, Tenants: tenants.Repo{DB: db}, Authz: authz, SecureCookies: strings.HasPrefix(cfg.BaseURL, "https://"),
		Now: opt.Now, TenantStateTTL: max(stateTTL, 0)}
	s.Org = &org.Service{DB: db, Authz: authz, HashPassword: auth.HashPassword, CheckPassword: auth.CheckPassword, OnDeactivate: auth.EndUserSessions, OnPasswordChange: auth.EndOtherSessions, Now: opt.Now}
	s.Tenants = &tenants.Service{DB: db, Org: s.Org, Now: opt.Now}
	keys, err := fieldKeys(cfg)
	if err != nil {
		return nil, err
	}
	// Services first: every one is built and wired before any route is registered.
	s.Jobs = jobs.New(db, log)
	mailer, err := notify.NewMailer(cfg.SMTPURL, cfg.MailFrom(), log)
	if err != nil {
		return nil, err
	}
	s.Notify = &notify.Service{DB: db, Mail: mailer, Log: log, BaseURL: cfg.BaseURL, Now: opt.Now}
	s.Customers = &customer.Service{DB: db, Authz: authz, Keys: keys, Jobs: s.Jobs, Now: opt.Now}
	s.FollowUps = &followup.Service{DB: db, Authz: authz, Customers: s.Customers, Notify: s.Notify, Jobs: s.Jobs, Log: log, Now: opt.Now}
	s.Opportunities = &opportunity.Service{DB: db, Authz: authz, Now: opt.Now}
	s.Deals = &deal.Service{DB: db, Authz: authz, Opps: s.Opportunities, Now: opt.Now}
	s.Links = &publiclink.Links{DB: db, Key: publiclink.Key(cfg.SecretKey), BaseURL: cfg.BaseURL, Now: opt.Now}
	s.WorkOrders = &service.Service{DB: db, Authz: authz, Links: s.Links, Mail: mailer, Notify: s.Notify, Log: log, Now: opt.Now}
	s.Surveys = &survey.Service{DB: db, Authz: authz, Links: s.Links, WorkOrders: s.WorkOrders, Notify: s.Notify, Mail: mailer,
		Jobs: s.Jobs, Log: log, Now: opt.Now}
	s.Incidents = &incident.Service{DB: db, Authz: authz, Customers: s.Customers, Notify: s.Notify, Jobs: s.Jobs, Log: log, Now: opt.Now}
	s.Complaints = &complaint.Service{DB: db, Authz: authz, WorkOrders: s.WorkOrders, Notify: s.Notify, Mail: mailer, Jobs: s.Jobs,
		Log: log, Now: opt.Now}
	s.Calendar = &workday.Service{DB: db, Now: opt.Now}
	s.Risk = &risk.Service{DB: db, Authz: authz, Deals: s.Deals, Notify: s.Notify, Tasks: s.FollowUps.ScheduleTask, Log: log, Now: opt.Now}
	s.Webhooks = &webhook.Service{DB: db, Authz: authz, Keys: keys, Guard: webhook.Guard{AllowLoopback: cfg.WebhookAllowLoopback},
		Notify: s.Notify, Jobs: s.Jobs, Log: log, Now: opt.Now}
	s.Leads = &lead.Service{DB: db, Authz: authz, Keys: keys, Customers: s.Customers, Opportunities: s.Opportunities, Notify: s.Notify, Jobs: s.Jobs, Now: opt.Now}
	rates := &money.Rates{DB: db, Now: opt.Now}
	products := &catalog.Service{DB: db, Now: opt.Now}
	needs := &need.Service{DB: db, Authz: authz, Opps: s.Opportunities, Now: opt.Now}
	sales := &salesreport.Service{DB: db, Authz: authz, Now: opt.Now}
	popt := opt.Plugins
	if popt.Dir == "" {
		popt.Dir = cfg.PluginDir
	}
	popt.Log, popt.Registry = log, s.Registry
	if popt.FollowUps == nil {
		popt.FollowUps = s.FollowUps.ScheduleTask // plugins' follow-up tasks land on the owners' task lists
	}
	if popt.Authz == nil {
		popt.Authz = authz // customer look-ups on a user's behalf stay in their data scope
	}
	s.Plugins = host.New(db, popt)
	s.Platform = &tenants.Platform{DB: db, Log: log, SecureCookies: s.Auth.SecureCookies, Now: opt.Now,
		HashPassword: auth.HashPassword, CheckPassword: auth.CheckPassword}

	// How the areas reach each other: the one place to read what a customer's merge moves,
	// what its timeline shows and who else feeds its rules.
	s.Customers.Classifiers = s.Plugins.Classifiers                                            // classification through the classifier plugin
	s.Customers.Summaries = s.Deals.Summaries                                                  // orders feed classification and ABC value classes
	s.Customers.PoolExemptions = append(s.Customers.PoolExemptions, opportunity.PoolExemption) // open opportunities keep a customer out of the pool
	s.Customers.MergeHooks = append(s.Customers.MergeHooks,
		followup.MoveFollowUps,        // follow-ups
		deal.MoveCustomerRecords,      // opportunities, quotes, contracts, orders, payments
		service.MoveCustomerRecords,   // work orders
		survey.MoveCustomerRecords,    // surveys
		incident.MoveCustomerRecords,  // incidents that affected it
		complaint.MoveCustomerRecords, // complaints
		risk.MoveCustomerRecords,      // credit assessments and risk warnings
	)
	s.Customers.TimelineSources = append(s.Customers.TimelineSources,
		followup.TimelineItems,  // follow-ups
		deal.TimelineItems,      // opportunities, contracts, orders, payments
		service.TimelineItems,   // work orders
		survey.TimelineItems,    // surveys sent and received
		incident.TimelineItems,  // incidents that affect it
		complaint.TimelineItems, // complaints
		risk.TimelineItems,      // credit assessments and risk warnings
	)
	// A signed-off work order gets its opinion survey (when the service settings have them on).
	s.WorkOrders.OnEvent = append(s.WorkOrders.OnEvent, s.Surveys.OnWorkOrderEvent)
	// A survey answered with a complaint opens a complaint case.
	s.Surveys.OnFlagged = append(s.Surveys.OnFlagged, s.Complaints.OnSurveyFlagged)
	// What waits for the user's decision on /me/tasks: contracts to review, remote-service
	// applications to decide.
	s.FollowUps.Approvals = approvals(s.Deals.Approvals, s.WorkOrders.Approvals, s.Complaints.Approvals, s.Risk.Approvals)
	// Credit risk: a contract over its customer's limit goes one approval tier higher, and
	// what the customer owes is re-evaluated when contracts, plans or payments change.
	s.Deals.CreditGate = s.Risk.Gate
	s.Deals.ReceivablesChanged = append(s.Deals.ReceivablesChanged, s.Risk.OnReceivablesChanged)
	// and when a complaint comes in: many complaints in a short window are a warning of their own.
	s.Risk.Complaints = complaint.CountSince
	s.Complaints.OnOpened = append(s.Complaints.OnOpened, s.Risk.OnComplaint)
	s.Platform.AddCount("customers", customer.CountLive)
	// Each area's own block of /settings, stored, merged and validated by tenants.
	s.Tenants.AddSection(lead.Settings)     // lead assignment rules
	s.Tenants.AddSection(followup.Settings) // follow-up reminders
	// work order numbering, warranty default, surveys, sign-off link validity
	s.Tenants.AddSection(service.SettingsSection)
	s.Tenants.AddSection(survey.Settings)    // survey link validity
	s.Tenants.AddSection(complaint.Settings) // complaint numbers, due-soon warning, report days
	s.Tenants.AddSection(risk.Settings)      // credit weights, rating bands, warning thresholds

	// Durable jobs, every area's.
	s.Deals.RegisterJobs(s.Jobs)
	s.Customers.RegisterJobs(s.Jobs)
	s.FollowUps.RegisterJobs(s.Jobs)
	s.Leads.RegisterJobs(s.Jobs)
	s.WorkOrders.RegisterJobs(s.Jobs)
	s.Surveys.RegisterJobs(s.Jobs)
	s.Incidents.RegisterJobs(s.Jobs)
	s.Complaints.RegisterJobs(s.Jobs)
	s.Risk.RegisterJobs(s.Jobs)
	s.Webhooks.RegisterJobs(s.Jobs)

	// Routes.
	root := api.NewRouter(s.App, "CRM API", Version)
	root.SetGuards(api.Guards{
		Authenticate:         s.Auth.Authenticate,
		Throttle:             s.apiThrottle(perToken, perTenant),
		Writable:             s.Auth.Writable,
		Authorize:            func(c *fiber.Ctx, p api.Perm) error { return s.Auth.Authorize(c, p.Object, p.Action) },
		AuthenticatePlatform: s.Platform.Authenticate,
	})
	s.Router = root

	root.Group("").Routes(s.health)
	v1 := root.Group("/api/v1")
	tenants.SignupAPI{S: s.Tenants, StartSession: s.Auth.StartSession}.Routes(v1)
	s.Auth.Routes(v1)
	org.API{S: s.Org}.Routes(v1)
	policies.RoleAPI{A: authz}.Routes(v1)
	s.Tenants.Routes(v1)
	audit.API{DB: db}.Routes(v1)
	customer.API{S: s.Customers}.Routes(v1)
	host.API{H: s.Plugins, Authorize: s.Auth.Authorize, Roles: authz.UserRoles}.Routes(v1)
	money.RateAPI{S: rates}.Routes(v1)
	opportunity.API{S: s.Opportunities}.Routes(v1)
	catalog.API{S: products}.Routes(v1)
	deal.API{S: s.Deals}.Routes(v1)
	need.API{S: needs}.Routes(v1)
	salesreport.API{S: sales}.Routes(v1)
	jobs.API{DB: db}.Routes(v1)
	followup.API{S: s.FollowUps}.Routes(v1)
	notify.API{S: s.Notify}.Routes(v1)
	lead.API{S: s.Leads}.Routes(v1)
	service.API{S: s.WorkOrders}.Routes(v1)
	survey.API{S: s.Surveys}.Routes(v1)
	incident.API{S: s.Incidents}.Routes(v1)
	complaint.API{S: s.Complaints}.Routes(v1)
	workday.API{S: s.Calendar}.Routes(v1)
	risk.API{S: s.Risk}.Routes(v1)
	webhook.API{S: s.Webhooks}.Routes(v1)
	s.Platform.Routes(root.Group("/platform/v1"))
	public := root.Group("/public/v1")
	service.API{S: s.WorkOrders}.PublicRoutes(public)
	survey.API{S: s.Surveys}.PublicRoutes(public)

	spec := root.OpenAPI() // reflected on the first request for it (TestOpenAPIDocument builds it)
	api.Handle(v1, api.Op{Method: "GET", Path: "/openapi.json", ID: "openapi", Summary: "This document", Tag: "meta", Access: api.Public},
		func(c *fiber.Ctx, _ *struct{}) (*json.RawMessage, error) {
			doc, err := spec()
			if err != nil {
				return nil, err
			}
			raw := json.RawMessage(doc)
			return &raw, nil
		})
	s.metrics(cfg)
	// The browser app answers every other GET (index.html for its deep links); it stays last so
	// that unknown API paths still reach the problem+json 404.
	s.App.Use(web.Handler())
	return s, nil
}

type healthOut struct {
	Status string `json:"status"`
}

func (s *Server) health(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/healthz", ID: "healthz", Summary: "Liveness", Tag: "meta", Access: api.Public},
		func(c *fiber.Ctx, _ *struct{}) (*healthOut, error) { return &healthOut{Status: "ok"}, nil })
	api.Handle(r, api.Op{Method: "GET", Path: "/readyz", ID: "readyz", Summary: "Readiness: the database answers", Tag: "meta", Access: api.Public},
		func(c *fiber.Ctx, _ *struct{}) (*healthOut, error) {
			ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
			defer cancel()
			if err := s.DB.Ping(ctx); err != nil {
				return nil, &problem.Error{Code: problem.Unavailable, Key: "unavailable", Cause: err}
			}
			return &healthOut{Status: "ready"}, nil
		})
}

// localeFromHeader sets the answer language from Accept-Language until authentication knows
// the user's and tenant's preferences.
func localeFromHeader(c *fiber.Ctx) error {
	l, _ := problem.MatchLocale(c.Get(fiber.HeaderAcceptLanguage))
	c.SetUserContext(tenantctx.WithLocale(c.UserContext(), l))
	return c.Next()
}

// fieldKeys builds the field-encryption keys: CRM_ENCRYPTION_KEYS when set, else derived from
// the secret key.
func fieldKeys(cfg config.Config) (*fieldcrypt.Keys, error) {
	if cfg.SecretKey == "" {
		return nil, errors.New("server: no secret key (CRM_SECRET_KEY)")
	}
	if cfg.EncryptionKeys != "" {
		return fieldcrypt.FromSpec(cfg.EncryptionKeys, cfg.SecretKey)
	}
	return fieldcrypt.FromSecret(cfg.SecretKey)
}

// approvalSource lists what waits for the acting user's decision in one area.
type approvalSource func(ctx context.Context, tx *gorm.DB, limit int) ([]followup.Approval, error)

// approvals lists the sources' approvals one after the other, at most limit in all.
func approvals(sources ...approvalSource) approvalSource {
	return func(ctx context.Context, tx *gorm.DB, limit int) ([]followup.Approval, error) {
		out := []followup.Approval{}
		for _, src := range sources {
			if len(out) >= limit {
				break
			}
			items, err := src(ctx, tx, limit-len(out))
			if err != nil {
				return nil, err
			}
			out = append(out, items...)
		}
		return out, nil
	}
}
