package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// publicRoutes are the only operations anyone may call without signing in. Adding one is a
// decision, to be made here.
var publicRoutes = []string{
	"GET /healthz",
	"GET /readyz",
	"GET /api/v1/openapi.json",
	"POST /api/v1/signup",
	"POST /api/v1/auth/login",
	"POST /platform/v1/auth/login",
	// a customer signs a work order off through a one-time link (signed token, rate-limited)
	"GET /public/v1/sign-off/:token",
	"POST /public/v1/sign-off/:token",
	// a customer answers an opinion survey through its mailed link (signed token, single-use, rate-limited)
	"GET /public/v1/surveys/:token",
	"POST /public/v1/surveys/:token",
}

// signedInRoutes are the operations any signed-in user may call whatever their roles: their
// own session, profile and tokens, their own jobs, and the approval-tier question. Anything else
// declares a permission.
var signedInRoutes = []string{
	"POST /api/v1/auth/logout",
	"GET /api/v1/me",
	"PATCH /api/v1/me",
	"GET /api/v1/api-tokens",
	"POST /api/v1/api-tokens",
	"DELETE /api/v1/api-tokens/:id",
	"GET /api/v1/approvals/approver",
	"GET /api/v1/jobs/:id",
	// a user's own task list and notifications
	"GET /api/v1/me/tasks",
	"GET /api/v1/notifications",
	"POST /api/v1/notifications/:id/read",
	// plugin modules' routes: the handler checks the permission the module declared for the
	// matched route (ext:{plugin}:{object}) before the plugin sees the request
	"GET /api/v1/ext/:plugin_id/*",
	"POST /api/v1/ext/:plugin_id/*",
	"PUT /api/v1/ext/:plugin_id/*",
	"PATCH /api/v1/ext/:plugin_id/*",
	"DELETE /api/v1/ext/:plugin_id/*",
}

// unregisteredPublic are Fiber routes deliberately not declared through api.Router (no JSON, no
// OpenAPI entry) and without a user: /metrics, behind its own token (TestAPI8Metrics).
var unregisteredPublic = []string{"GET /metrics"}

// rateLimited are the paths that carry the login rate limiter, added with App.Post in front of
// their operation.
var rateLimited = []string{"POST /api/v1/auth/login", "POST /platform/v1/auth/login", "POST /api/v1/signup"}

func key(method, path string) string { return method + " " + path }

func registered(env *apitest.Env) map[string]api.Route {
	out := map[string]api.Route{}
	for _, r := range env.Server.Router.Registered() {
		out[key(r.Method, r.FullPath)] = r
	}
	return out
}

// Every registered operation declares who may call it: public, signed in, platform admin, or
// a permission on a known object and action.
func TestRoutesDeclareAccess(t *testing.T) {
	env := apitest.New(t, store.SQLite)
	routes := env.Server.Router.Registered()
	if len(routes) < 20 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	var public, signedIn []string
	ids := map[string]string{}
	for _, r := range routes {
		k := key(r.Method, r.FullPath)
		if r.ID == "" {
			t.Errorf("%s has no operation ID", k)
		} else if prev, ok := ids[r.ID]; ok {
			t.Errorf("%s and %s share the operation ID %s", prev, k, r.ID)
		}
		ids[r.ID] = k
		switch r.Access {
		case api.Public:
			public = append(public, k)
		case api.SignedIn:
			signedIn = append(signedIn, k)
		case api.PlatformAdmin:
		case api.NeedsPermission:
			if !slices.Contains(policies.Objects, r.Perm.Object) {
				t.Errorf("%s: permission object %q is not in policies.Objects", k, r.Perm.Object)
			}
			if !slices.Contains(policies.Actions, r.Perm.Action) {
				t.Errorf("%s: permission action %q is not in policies.Actions", k, r.Perm.Action)
			}
		default:
			t.Errorf("%s: unknown access %d", k, r.Access)
		}
		if r.Access != api.NeedsPermission && (r.Perm != api.Perm{}) {
			t.Errorf("%s declares %v but access %d ignores it", k, r.Perm, r.Access)
		}
		platform := strings.HasPrefix(r.FullPath, "/platform/")
		if platform && r.Access != api.PlatformAdmin && k != "POST /platform/v1/auth/login" {
			t.Errorf("%s is under /platform but not for platform admins", k)
		}
		if !platform && r.Access == api.PlatformAdmin {
			t.Errorf("%s is for platform admins but outside /platform", k)
		}
	}
	for _, c := range []struct {
		what      string
		got, want []string
	}{{"public", public, publicRoutes}, {"signed-in", signedIn, signedInRoutes}} {
		want := slices.Clone(c.want)
		sort.Strings(c.got)
		sort.Strings(want)
		if !slices.Equal(c.got, want) {
			t.Errorf("%s operations %v\nwant %v", c.what, c.got, want)
		}
	}
}

// Every route Fiber serves went through api.Router (so it has its guards), except the metrics
// endpoint, which is listed as public, and the rate limiter placed in front of login and signup.
func TestFiberRoutesAreRegistered(t *testing.T) {
	env := apitest.New(t, store.SQLite)
	reg := registered(env)
	seen := map[string]int{}
	for _, fr := range env.Server.App.GetRoutes(true) { // true: leaves out App.Use middleware
		if fr.Method == "HEAD" {
			continue // Fiber adds HEAD for every GET
		}
		k := key(fr.Method, fr.Path)
		seen[k]++
		if _, ok := reg[k]; ok || slices.Contains(unregisteredPublic, k) {
			continue
		}
		t.Errorf("Fiber serves %s, which was not registered through api.Router", k)
	}
	for k, n := range seen {
		// The limiter is its own route, or (when it directly precedes the operation's
		// registration, as for signup) Fiber merges the two into one route with both handlers.
		// TestLoginRateLimit proves it runs first either way.
		if n != 1 && !(n == 2 && slices.Contains(rateLimited, k)) {
			t.Errorf("%s appears %d times among Fiber's routes", k, n)
		}
	}
	for k := range reg {
		if seen[k] == 0 {
			t.Errorf("%s registered but not served", k)
		}
	}
	for _, k := range append(slices.Clone(rateLimited), unregisteredPublic...) {
		if seen[k] == 0 {
			t.Errorf("%s is not served", k)
		}
	}
	// Middleware added with App.Use shows up only without the filter.
	if all := env.Server.App.GetRoutes(); len(all) <= len(env.Server.App.GetRoutes(true)) {
		t.Error("expected App.Use middleware among the unfiltered routes")
	}
}

var pathParam = regexp.MustCompile(`:([a-zA-Z_]+)\??`)

// fill puts a fresh UUID in :id-like parameters and a harmless key in the others.
func fill(path string) string {
	return pathParam.ReplaceAllStringFunc(path, func(p string) string {
		name := strings.Trim(p, ":?")
		if name == "id" || strings.HasSuffix(name, "_id") {
			return uuid.NewString()
		}
		return "zz_walk"
	})
}

// The guards run for real on every route: without credentials the answer is 401; a user whose
// only role grants nothing gets 403 on every permission route; the same user, given exactly the
// route's declared permission, gets past the permission check; platform routes refuse tenant
// users; a suspended tenant's writes get 423.
func TestRouteWalk(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		co := env.Signup(t)
		owner := co.Owner
		owner.MustDo(t, "PUT", "/api/v1/roles/nobody", map[string]any{"name": "Nobody", "data_scope": "own", "permissions": []any{}}, 200, nil)
		owner.MustDo(t, "PUT", "/api/v1/roles/probe", map[string]any{"name": "Probe", "data_scope": "own", "permissions": []any{}}, 200, nil)
		nobody := co.AddUser(t, "nobody")
		probe := co.AddUser(t, "probe")
		problemCode := func(r *apitest.Response) string {
			var p struct{ Code string }
			_ = json.Unmarshal(r.Body, &p)
			return p.Code
		}
		routes := env.Server.Router.Registered()
		for _, r := range routes {
			k := key(r.Method, r.FullPath)
			url := fill(r.FullPath)
			switch r.Access {
			case api.Public:
				continue
			case api.PlatformAdmin:
				for name, h := range map[string]map[string]string{"anonymous": nil, "tenant owner": owner.Headers(r.Method), "tenant token": nobody.Headers(r.Method)} {
					if res := env.Do(t, r.Method, url, nil, h); res.Status != 401 || problemCode(res) != "unauthenticated" {
						t.Errorf("%s as %s: %d %s, want 401", k, name, res.Status, res.Body)
					}
				}
				continue
			}
			if res := env.Do(t, r.Method, url, nil, nil); res.Status != 401 || problemCode(res) != "unauthenticated" {
				t.Errorf("%s without credentials: %d %s, want 401 unauthenticated", k, res.Status, res.Body)
			}
			if res := env.Do(t, r.Method, url, nil, map[string]string{"Authorization": "Bearer crm_" + strings.Repeat("0", 32) + "_x"}); res.Status != 401 {
				t.Errorf("%s with a forged token: %d, want 401", k, res.Status)
			}
			res := nobody.Do(t, r.Method, url, nil)
			if r.Access == api.SignedIn {
				if res.Status == 401 || res.Status == 403 {
					t.Errorf("%s (signed in) as a user without permissions: %d %s", k, res.Status, res.Body)
				}
				continue
			}
			if res.Status != 403 || problemCode(res) != "forbidden" {
				t.Errorf("%s as a user without permissions: %d %s, want 403 forbidden", k, res.Status, res.Body)
			}
			owner.MustDo(t, "PUT", "/api/v1/roles/probe", map[string]any{"name": "Probe", "data_scope": "own",
				"permissions": []policies.Perm{{Object: r.Perm.Object, Action: r.Perm.Action}}}, 200, nil)
			if res := probe.Do(t, r.Method, url, nil); res.Status == 401 || res.Status == 403 {
				t.Errorf("%s as a user holding exactly %s:%s: %d %s", k, r.Perm.Object, r.Perm.Action, res.Status, res.Body)
			}
		}

		// Suspended (read only): every write answers 423 before anything else runs; reads do not.
		if _, err := env.Server.Platform.Suspend(context.Background(), co.ID, tenants.SuspendReadOnly, "route walk"); err != nil {
			t.Fatal(err)
		}
		for _, r := range routes {
			if r.Access == api.Public || r.Access == api.PlatformAdmin {
				continue
			}
			k := key(r.Method, r.FullPath)
			write := r.Writes || (r.Method != "GET" && r.Method != "HEAD")
			if k == "POST /api/v1/auth/logout" {
				continue // see the report: signing out is refused too
			}
			res := owner.Do(t, r.Method, fill(r.FullPath), nil)
			if write && (res.Status != 423 || problemCode(res) != "tenant_suspended") {
				t.Errorf("%s for a suspended tenant: %d %s, want 423", k, res.Status, res.Body)
			}
			if !write && res.Status == 423 {
				t.Errorf("%s (a read) for a suspended tenant: 423", k)
			}
		}
	})
}

// The login rate limiter sits in front of each path it is meant for.
func TestLoginRateLimit(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(config.Config{BaseURL: "http://localhost:8080", SecretKey: strings.Repeat("s", 64)}, db, log, server.Options{LoginRateLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	env := &apitest.Env{Dialect: store.SQLite, DB: db, Server: srv}
	bodies := map[string]any{
		"/api/v1/auth/login":      map[string]any{"tenant": "nope", "email": "a@b.c", "password": "wrong"},
		"/platform/v1/auth/login": map[string]any{"email": "a@b.c", "password": "wrong"},
		"/api/v1/signup":          map[string]any{"company_name": ""},
	}
	for path, body := range bodies {
		for i := 1; i <= 3; i++ {
			r := env.Do(t, "POST", path, body, nil)
			if i <= 2 && r.Status == 429 {
				t.Errorf("%s attempt %d already limited", path, i)
			}
			if i == 3 {
				if r.Status != 429 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") || !strings.Contains(string(r.Body), `"code":"rate_limited"`) {
					t.Errorf("%s attempt 3: %d %s, want 429 rate_limited", path, r.Status, r.Body)
				}
			}
		}
	}
	// Other routes are not limited.
	for i := 0; i < 5; i++ {
		if r := env.Do(t, "GET", "/healthz", nil, nil); r.Status != 200 {
			t.Fatalf("healthz %d", r.Status)
		}
	}
}

func TestOpenAPIDocument(t *testing.T) {
	env := apitest.New(t, store.SQLite)
	r := env.Do(t, "GET", "/api/v1/openapi.json", nil, nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Info       struct{ Title, Version string }       `json:"info"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas         map[string]json.RawMessage `json:"schemas"`
			SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") || doc.Info.Title == "" || doc.Info.Version == "" {
		t.Errorf("openapi %q info %+v", doc.OpenAPI, doc.Info)
	}
	for _, p := range []string{"/api/v1/signup", "/api/v1/users/{id}", "/api/v1/roles/{role}", "/platform/v1/tenants", "/api/v1/settings", "/api/v1/audit", "/healthz"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("document lacks %s", p)
		}
	}
	for _, s := range []string{"session", "token", "platform"} {
		if _, ok := doc.Components.SecuritySchemes[s]; !ok {
			t.Errorf("no security scheme %s", s)
		}
	}
	// Every registered operation is documented, once, with its ID and responses.
	opIDs := map[string]bool{}
	for _, rt := range env.Server.Router.Registered() {
		if rt.FullPath == "/api/v1/openapi.json" {
			continue
		}
		path := pathParam.ReplaceAllString(rt.FullPath, "{$1}")
		raw, ok := doc.Paths[path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("%s %s is not documented", rt.Method, path)
			continue
		}
		var op struct {
			OperationID string                     `json:"operationId"`
			Responses   map[string]json.RawMessage `json:"responses"`
			Security    []map[string][]string      `json:"security"`
		}
		if err := json.Unmarshal(raw, &op); err != nil {
			t.Fatal(err)
		}
		if op.OperationID != rt.ID || opIDs[op.OperationID] {
			t.Errorf("%s %s: operationId %q (want %q, unique)", rt.Method, path, op.OperationID, rt.ID)
		}
		opIDs[op.OperationID] = true
		if _, ok := op.Responses[fmt.Sprint(rt.Status)]; !ok {
			t.Errorf("%s %s: no %d response", rt.Method, path, rt.Status)
		}
		if rt.Access != api.Public && len(op.Security) == 0 {
			t.Errorf("%s %s: no security requirement", rt.Method, path)
		}
	}
	// Every reference resolves.
	for _, m := range regexp.MustCompile(`"\$ref":"#/components/schemas/([^"]+)"`).FindAllStringSubmatch(string(r.Body), -1) {
		if _, ok := doc.Components.Schemas[m[1]]; !ok {
			t.Errorf("dangling $ref %s", m[1])
		}
	}
	// The approval tiers are described with their fields (Tier decodes itself).
	if !strings.Contains(string(r.Body), `"max_amount"`) {
		t.Error("approval tier fields are missing from the document")
	}
}

func TestHealthAndMetrics(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		env.Run(t, []apitest.Scenario{
			{Name: "healthz", Method: "GET", URL: "/healthz", Status: 200, Contains: []string{`"status":"ok"`}},
			{Name: "readyz", Method: "GET", URL: "/readyz", Status: 200, Contains: []string{`"status":"ready"`}},
			{Name: "unknown route", Method: "GET", URL: "/api/v1/no-such-thing", Status: 404, Code: "not_found"},
		})
		body := env.Metrics(t)
		for _, want := range []string{
			`crm_http_requests_total{method="GET",route="/healthz",status="200"} 1`,
			`crm_http_requests_total{method="GET",route="/readyz",status="200"} 1`,
			`crm_http_request_duration_seconds_bucket{method="GET",route="/healthz"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %s", want)
			}
		}
		// Routes are counted by pattern, not by raw path.
		co := env.Signup(t)
		co.Owner.MustDo(t, "GET", "/api/v1/users/"+co.Owner.UserID.String(), nil, 200, nil)
		if body := env.Metrics(t); !strings.Contains(body, `route="/api/v1/users/:id"`) || strings.Contains(body, co.Owner.UserID.String()) {
			t.Error("metrics do not use the route pattern")
		}
	})
}
