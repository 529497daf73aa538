// Package api is the HTTP layer every business package registers its routes through.
//
// A route is declared once, as an Op with its access rule (public, signed in, a permission
// object and action, or platform admin) and a typed handler. From that one declaration the
// router wires authentication, the suspended-tenant guard and the permission check in front of
// the handler, binds and validates the input, and describes the operation in the OpenAPI
// document. Handlers stay thin: they call a service and return its result or error.
package api

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	"github.com/swaggest/openapi-go"
	"github.com/swaggest/openapi-go/openapi31"
)

// Access says who may call an operation.
type Access int

const (
	// NeedsPermission (the zero value) requires a signed-in tenant user whose roles grant Perm.
	NeedsPermission Access = iota
	// SignedIn requires any signed-in tenant user (their own profile, their own tokens).
	SignedIn
	// Public needs nobody: signup, login, health.
	Public
	// PlatformAdmin requires a platform administrator's session.
	PlatformAdmin
)

// Perm is a Casbin object and action, e.g. {"user", "create"}.
type Perm struct {
	Object string
	Action string
}

func (p Perm) String() string { return p.Object + ":" + p.Action }

// Op declares one operation.
type Op struct {
	Method  string
	Path    string // Fiber syntax, relative to the router's prefix: "/users/:id"
	ID      string // OpenAPI operationId
	Summary string
	Tag     string
	Access  Access
	Perm    Perm
	// Status is the success status; 200 by default, 204 when the handler returns NoContent.
	Status int
	// Writes marks a GET that changes state; any other method than GET/HEAD is a write anyway.
	// Writes are refused for suspended tenants.
	Writes bool
	// BodyLimit caps a JSON body in bytes; 0 means 1 MiB.
	BodyLimit int
}

// NoContent is the output of handlers that answer 204.
type NoContent struct{}

// Route is a registered operation, kept for the route-walk test and the docs.
type Route struct {
	Op
	FullPath string
}

// Guards are the request checks the server supplies; keeping them as values keeps this
// package free of the auth and policy packages (which register routes through it).
type Guards struct {
	// Authenticate resolves the tenant user from the session or API token, or fails.
	Authenticate fiber.Handler
	// Throttle, when set, runs right after Authenticate: the per-tenant and per-client rate
	// limits, which need to know who is calling.
	Throttle fiber.Handler
	// Writable refuses writes for a suspended tenant.
	Writable fiber.Handler
	// Authorize checks a permission for the authenticated user.
	Authorize func(c *fiber.Ctx, p Perm) error
	// AuthenticatePlatform resolves a platform admin, or fails.
	AuthenticatePlatform fiber.Handler
}

// Router registers operations on a Fiber router and in the OpenAPI document.
type Router struct {
	fr     fiber.Router
	prefix string
	guards *Guards
	reg    *registry
}

// registry collects the operations; the OpenAPI document is reflected from them on first use,
// not at registration: reflecting every type costs about half a second of CPU, which every
// server start (and every test server) would otherwise pay whether or not it serves the document.
type registry struct {
	reflector *openapi31.Reflector
	routes    []Route
	docs      []docOp
}

type docOp struct {
	op      Op
	full    string
	in, out reflect.Type
}

// NewRouter returns a root router on app. Register guards with SetGuards before adding routes.
func NewRouter(app *fiber.App, title, version string) *Router {
	ref := openapi31.NewReflector()
	ref.Spec.Info.WithTitle(title).WithVersion(version).
		WithDescription("Multi-tenant CRM API. Errors are application/problem+json (RFC 9457) with a stable `code`.")
	ref.Spec.SetAPIKeySecurity("session", "crm_session", openapi.InCookie, "Session cookie from /api/v1/auth/login; unsafe methods also need X-CSRF-Token.")
	ref.Spec.SetHTTPBearerTokenSecurity("token", "opaque", "Personal API token from /api/v1/api-tokens.")
	ref.Spec.SetAPIKeySecurity("platform", "crm_platform", openapi.InCookie, "Platform admin session from /platform/v1/auth/login.")
	return &Router{fr: app, guards: &Guards{}, reg: &registry{reflector: ref}}
}

// SetGuards installs the request checks; call before the first Handle.
func (r *Router) SetGuards(g Guards) { *r.guards = g }

// Group returns a router for a path prefix sharing the same document and guards.
func (r *Router) Group(prefix string) *Router {
	return &Router{fr: r.fr.Group(prefix), prefix: r.prefix + prefix, guards: r.guards, reg: r.reg}
}

// Routes calls register with r; it lets a package's route function be passed around.
func (r *Router) Routes(register func(*Router)) { register(r) }

// Registered lists every registered operation, sorted by path and method.
func (r *Router) Registered() []Route {
	out := append([]Route(nil), r.reg.routes...)
	sort.Slice(out, func(i, j int) bool { return out[i].FullPath+out[i].Method < out[j].FullPath+out[j].Method })
	return out
}

// OpenAPI returns a function that gives the document of the operations registered so far, as
// JSON. The document is reflected on the first call only (then kept): a server that never
// serves it never pays for it. Take it once, after the last route: every function it returns
// reflects into the router's one reflector, so a second one would document each route twice.
func (r *Router) OpenAPI() func() ([]byte, error) {
	docs := r.reg.docs[:len(r.reg.docs):len(r.reg.docs)]
	ref := r.reg.reflector
	return sync.OnceValues(func() ([]byte, error) {
		var errs []error
		for _, d := range docs {
			if err := document(ref, d); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			return nil, fmt.Errorf("openapi: %w", errors.Join(errs...))
		}
		return ref.Spec.MarshalJSON()
	})
}

var fiberParam = regexp.MustCompile(`:([a-zA-Z_]+)\??`)

// Handle registers op with handler h. In is bound from the path (`path` tags), the query
// (`query` tags) and the JSON body (`json` tags), then validated (`validate` tags).
func Handle[In, Out any](r *Router, op Op, h func(c *fiber.Ctx, in *In) (*Out, error)) {
	if op.Status == 0 {
		op.Status = http.StatusOK
		if reflect.TypeFor[Out]() == reflect.TypeFor[NoContent]() {
			op.Status = http.StatusNoContent
		}
	}
	full := r.prefix + op.Path
	if op.Access == NeedsPermission && (op.Perm.Object == "" || op.Perm.Action == "") {
		panic(fmt.Sprintf("api: %s %s declares no permission and is not public", op.Method, full))
	}
	r.reg.routes = append(r.reg.routes, Route{Op: op, FullPath: full})
	r.reg.docs = append(r.reg.docs, docOp{op, full, reflect.TypeFor[In](), reflect.TypeFor[Out]()})

	binder := newBinder[In](op)
	chain := r.guardChain(op)
	status := op.Status
	chain = append(chain, func(c *fiber.Ctx) error {
		in := new(In)
		if err := binder.bind(c, in); err != nil {
			return err
		}
		out, err := h(c, in)
		if err != nil {
			return err
		}
		if status == http.StatusNoContent || out == nil {
			return c.SendStatus(status)
		}
		return c.Status(status).JSON(out)
	})
	r.fr.Add(op.Method, op.Path, chain...)
}

// HandleRaw registers op with a plain Fiber handler behind the same guards as Handle, for
// routes whose answer the handler writes itself (plugin modules' routes, whose permission
// the handler checks per request: declare them SignedIn). In documents the path parameters.
func HandleRaw[In any](r *Router, op Op, h fiber.Handler) {
	if op.Status == 0 {
		op.Status = http.StatusOK
	}
	full := r.prefix + op.Path
	if op.Access == NeedsPermission && (op.Perm.Object == "" || op.Perm.Action == "") {
		panic(fmt.Sprintf("api: %s %s declares no permission and is not public", op.Method, full))
	}
	r.reg.routes = append(r.reg.routes, Route{Op: op, FullPath: full})
	r.reg.docs = append(r.reg.docs, docOp{op, full, reflect.TypeFor[In](), reflect.TypeFor[map[string]any]()})
	r.fr.Add(op.Method, op.Path, append(r.guardChain(op), h)...)
}

// guardChain is the authentication, suspended-tenant and permission checks op declares.
func (r *Router) guardChain(op Op) []fiber.Handler {
	g := r.guards
	chain := make([]fiber.Handler, 0, 5)
	write := op.Writes || (op.Method != http.MethodGet && op.Method != http.MethodHead)
	switch op.Access {
	case NeedsPermission, SignedIn:
		chain = append(chain, func(c *fiber.Ctx) error { return g.Authenticate(c) })
		if g.Throttle != nil {
			chain = append(chain, func(c *fiber.Ctx) error { return g.Throttle(c) })
		}
		if write {
			chain = append(chain, func(c *fiber.Ctx) error { return g.Writable(c) })
		}
		if op.Access == NeedsPermission {
			perm := op.Perm
			chain = append(chain, func(c *fiber.Ctx) error {
				if err := g.Authorize(c, perm); err != nil {
					return err
				}
				return c.Next()
			})
		}
	case PlatformAdmin:
		chain = append(chain, func(c *fiber.Ctx) error { return g.AuthenticatePlatform(c) })
	}
	return chain
}

func document(ref *openapi31.Reflector, d docOp) error {
	op, full, in, out := d.op, d.full, d.in, d.out
	path := fiberParam.ReplaceAllString(full, "{$1}")
	oc, err := ref.NewOperationContext(op.Method, path)
	if err != nil {
		return err
	}
	if op.ID != "" {
		oc.SetID(op.ID)
	}
	oc.SetSummary(op.Summary)
	if op.Tag != "" {
		oc.SetTags(op.Tag)
	}
	desc := ""
	switch op.Access {
	case NeedsPermission:
		desc = fmt.Sprintf("Requires permission `%s` on `%s`.", op.Perm.Action, op.Perm.Object)
		oc.AddSecurity("session")
		oc.AddSecurity("token")
	case SignedIn:
		desc = "Requires a signed-in user."
		oc.AddSecurity("session")
		oc.AddSecurity("token")
	case PlatformAdmin:
		desc = "Platform administrators only."
		oc.AddSecurity("platform")
	}
	oc.SetDescription(desc)
	if in.Kind() == reflect.Struct && in.NumField() > 0 {
		oc.AddReqStructure(reflect.New(in).Interface())
	}
	if out != reflect.TypeFor[NoContent]() {
		oc.AddRespStructure(reflect.New(out).Interface(), openapi.WithHTTPStatus(op.Status))
	} else {
		oc.AddRespStructure(nil, openapi.WithHTTPStatus(http.StatusNoContent))
	}
	codes := []int{http.StatusBadRequest, http.StatusUnprocessableEntity}
	if op.Access != Public {
		codes = append(codes, http.StatusUnauthorized, http.StatusForbidden)
	}
	if strings.Contains(full, ":") {
		codes = append(codes, http.StatusNotFound)
	}
	for _, s := range codes {
		oc.AddRespStructure(new(ProblemBody), openapi.WithHTTPStatus(s), openapi.WithContentType("application/problem+json"))
	}
	if err := ref.AddOperation(oc); err != nil {
		return fmt.Errorf("%s %s: %w", op.Method, full, err)
	}
	return nil
}
