package host

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/plugins/sdk"
)

// maxModuleRequest limits a module request's body; its answer is limited by
// Options.MaxResponseBytes (gRPC refuses a larger message before reading it).
const maxModuleRequest = 1 << 20

// moduleCSP is the Content-Security-Policy of every module answer: a module's HTML (or SVG)
// is untrusted markup served from the CRM's own origin, so it loads nothing, runs no script
// and is sandboxed (an opaque origin: no cookies, no same-origin API calls).
const moduleCSP = "default-src 'none'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox"

// Trusted headers the host sets on every module request; a client's own X-CRM-* headers
// never reach the plugin.
const (
	HeaderTenant    = "X-CRM-Tenant-ID"
	HeaderUser      = "X-CRM-User-ID"
	HeaderRoles     = "X-CRM-Roles"
	HeaderLocale    = "X-CRM-Locale"
	HeaderRequestID = "X-CRM-Request-ID"
)

// passedHeaders are the client headers a module sees; everything else (cookies, the
// Authorization header, forwarded-for, client-sent identity headers) is stripped.
var passedHeaders = []string{"Content-Type", "Accept", "Accept-Language", "If-Match", "If-None-Match"}

// answerHeaders are the headers a module may set on its answer.
var answerHeaders = map[string]bool{"content-type": true, "cache-control": true, "etag": true, "content-language": true, "location": true}

// match finds the declared route for method and path (relative to the module's prefix): the
// route whose pattern matches with the most literal segments, with its parameters.
func match(routes []sdk.Route, method, path string) (sdk.Route, map[string]string, bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	var best sdk.Route
	var bestParams map[string]string
	bestLit := -1
	for _, r := range routes {
		if r.Method != method {
			continue
		}
		ps := strings.Split(strings.Trim(r.Pattern, "/"), "/")
		if len(ps) != len(segs) {
			continue
		}
		params, lit, ok := map[string]string{}, 0, true
		for i, p := range ps {
			if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					ok = false
					break
				}
				params[strings.Trim(p, "{}")] = v
				continue
			}
			if p != segs[i] {
				ok = false
				break
			}
			lit++
		}
		if ok && lit > bestLit {
			best, bestParams, bestLit = r, params, lit
		}
	}
	return best, bestParams, bestLit >= 0
}

// serveModule answers /ext/{plugin_id}/…: the plugin must be an enabled module of the
// tenant, the path one of its declared routes, and the user's roles must grant the route's
// permission (ext:{plugin_id}:{object}, action). The plugin sees the request with trusted
// identity headers and answers within HTTPTimeout; a plugin that is down answers 503.
func (a API) serveModule(c *fiber.Ctx) error {
	ctx := c.UserContext()
	// Fiber's parameter strings point into a reused buffer: copy what outlives the handler
	// (metric labels, log fields).
	id := strings.Clone(c.Params("plugin_id"))
	method := strings.Clone(c.Method())
	notFound := problem.NotFoundf("entity.record")
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return problem.New(problem.Unauthenticated, "unauthenticated")
	}
	settings, err := a.H.settings(ctx, tid)
	if err != nil {
		return err
	}
	if s, ok := settings[id]; !ok || !s.Enabled {
		return notFound
	}
	m, ok := a.H.Manifest(id)
	if !ok || !m.Has(sdk.CapModule) {
		return notFound
	}
	rest := "/" + c.Params("*")
	route, params, ok := match(m.Routes, method, rest)
	if !ok {
		return notFound
	}
	if err := a.Authorize(c, "ext:"+id+":"+route.Object, route.Action); err != nil {
		return err
	}
	body := c.Body()
	if len(body) > maxModuleRequest {
		return problem.New(problem.TooLarge, "too_large")
	}
	actor := tenantctx.ActorFrom(ctx)
	if len(actor.Roles) == 0 && a.Roles != nil {
		if actor.Roles, err = a.Roles(ctx, actor.UserID); err != nil {
			return err
		}
		ctx = tenantctx.WithActor(ctx, actor)
	}
	headers := map[string]string{}
	for _, h := range passedHeaders {
		if v := c.Get(h); v != "" {
			headers[h] = v
		}
	}
	headers[HeaderTenant] = tid.String()
	headers[HeaderUser] = actor.UserID.String()
	headers[HeaderRoles] = strings.Join(actor.Roles, ",")
	headers[HeaderLocale] = tenantctx.Locale(ctx)
	if rid, ok := c.Locals("requestid").(string); ok {
		headers[HeaderRequestID] = rid
	}
	req := sdk.HTTPRequest{Route: route.Name, Method: method, Path: rest, Params: params,
		RawQuery: string(c.Request().URI().QueryString()), Headers: headers, Body: append([]byte(nil), body...)}
	var res sdk.HTTPResponse
	err = a.H.call(ctx, id, "HandleHTTP", a.H.opt.HTTPTimeout, func(ctx context.Context, cl *sdk.Client, ci sdk.CallInfo) error {
		r, err := cl.HandleHTTP(ctx, ci, req)
		if err != nil {
			return err
		}
		if r.Status < 200 || r.Status > 599 || len(r.Body) > a.H.opt.MaxResponseBytes {
			return errors.New("module answered an invalid HTTP status or an oversized body")
		}
		res = r
		return nil
	})
	if err != nil {
		return &problem.Error{Code: problem.Unavailable, Key: "plugin_unavailable", Cause: err}
	}
	if perr := moduleProblem(res); perr != nil {
		return perr
	}
	for k, v := range res.Headers {
		if answerHeaders[strings.ToLower(k)] {
			if strings.EqualFold(k, "location") {
				loc, ok := moduleLocation(id, c.Path(), v)
				if !ok {
					a.H.log.Warn("module redirect outside its own path refused", "plugin", id, "location", v)
					return problem.New(problem.BadGateway, "module_redirect_refused")
				}
				v = loc
			}
			c.Set(k, v)
		}
	}
	if res.Headers != nil && c.GetRespHeader(fiber.HeaderContentType) == "" && len(res.Body) > 0 {
		c.Set(fiber.HeaderContentType, "application/octet-stream")
	}
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Content-Security-Policy", moduleCSP)
	return c.Status(res.Status).Send(res.Body)
}

// moduleLocation checks a module's Location header: it may only point into the module's own
// routes, /api/v1/ext/{id}/… on this server. A relative reference is resolved against the
// request's path; the answer is the cleaned absolute path (with its query). Another host, a
// scheme, a protocol-relative or backslashed URL, or a path that leaves the module's prefix
// (also through dot segments, encoded or not) is refused.
func moduleLocation(id, reqPath, loc string) (string, bool) {
	if loc == "" || strings.ContainsAny(loc, "\\\x00\r\n\t") {
		return "", false
	}
	u, err := url.Parse(loc)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || strings.HasPrefix(loc, "//") {
		return "", false
	}
	base := &url.URL{Path: reqPath}
	r := base.ResolveReference(u) // removes dot segments
	clean := path.Clean(r.Path)
	if strings.HasSuffix(r.Path, "/") && clean != "/" {
		clean += "/"
	}
	prefix := "/api/v1/ext/" + id
	if clean != prefix && !strings.HasPrefix(clean, prefix+"/") {
		return "", false
	}
	out := &url.URL{Path: clean, RawQuery: r.RawQuery, Fragment: r.Fragment}
	return out.String(), true
}

// moduleProblemCodes are the error answers of a module the host renders itself, by status.
var moduleProblemCodes = map[int]problem.Code{400: problem.BadRequest, 403: problem.Forbidden, 404: problem.NotFound,
	409: problem.Conflict, 422: problem.Invalid}

// moduleProblem turns a module's error answer (sdk.Problem: a stable code and field codes)
// into the server's own problem, so that its title, detail and field messages come from the
// catalogue in the user's language like every other answer; the module's own wording stays in
// data.detail. Other answers, and error statuses the host does not render, pass through.
func moduleProblem(res sdk.HTTPResponse) *problem.Error {
	code, ok := moduleProblemCodes[res.Status]
	if !ok {
		return nil
	}
	var body struct {
		Detail string `json:"detail"`
		Errors []struct {
			Field string `json:"field"`
			Code  string `json:"code"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(res.Body, &body) // a body that is not a problem still gets the status's answer
	data := map[string]any{}
	if d := strings.TrimSpace(body.Detail); d != "" {
		data["detail"] = d
	}
	e := &problem.Error{Code: code, Data: data}
	switch code {
	case problem.NotFound:
		e = problem.NotFoundf("entity.record")
		e.Data = data
	case problem.Invalid:
		e.Key = "validation_failed"
		for _, f := range body.Errors {
			key := "field." + f.Code
			if !problem.HasMessage(key) {
				key = "field.invalid"
			}
			e.Fields = append(e.Fields, problem.FieldError{Field: f.Field, Code: f.Code, Key: key})
		}
	default:
		e.Key = "module_" + string(code)
	}
	return e
}
