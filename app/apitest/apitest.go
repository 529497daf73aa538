// Package apitest runs API scenarios against the real server on a real, migrated database,
// on every dialect (SQLite and PostgreSQL as the non-owner app role under RLS).
//
// A test package's TestMain calls storetest.Main. Tests range over databases with Each and
// describe requests as Scenario rows, in the project's fixed order: no login, other tenant,
// wrong role, not found, invalid input, success.
//
//	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
//		acme := env.Signup(t)
//		other := env.Signup(t)
//		sales := acme.AddUser(t, "salesperson")
//		env.Run(t, []apitest.Scenario{
//			{Name: "no login", Method: "GET", URL: "/api/v1/users", Status: 401, Code: "unauthenticated"},
//			…
//		})
//	})
package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
)

// Env is a running server on one database.
type Env struct {
	Dialect string
	DB      *store.DB
	Server  *server.Server
	clock   *Clock
}

// Clock is a replaceable clock; the zero offset is real time.
type Clock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset).UTC()
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// Each runs fn once per database, each in its own subtest.
func Each(t *testing.T, fn func(t *testing.T, env *Env)) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) { fn(t, New(t, d)) })
	}
}

// New starts a server on the package's database of dialect. Logs go to the test log only on
// failure-worthy levels, to keep output readable.
func New(t testing.TB, dialect string) *Env {
	t.Helper()
	db := storetest.Open(t, dialect)
	clock := &Clock{}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	srv, err := server.New(TestConfig(), db, log, server.Options{LoginRateLimit: 1 << 20, LoginAccountRateLimit: 1 << 20,
		TokenRateLimit: 1 << 20, TenantRateLimit: 1 << 20, Now: clock.Now})
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	return &Env{Dialect: dialect, DB: db, Server: srv, clock: clock}
}

// Clock returns the server's clock.
func (e *Env) Clock() *Clock { return e.clock }

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Response is an answer.
type Response struct {
	Status  int
	Header  http.Header
	Body    []byte
	Cookies []*http.Cookie
}

// JSON decodes the body into v, failing the test when it is not JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as an object.
func (r *Response) Map(t testing.TB) map[string]any {
	t.Helper()
	m := map[string]any{}
	r.JSON(t, &m)
	return m
}

// Do sends a request to the server in memory. body is JSON-encoded unless it is a string or
// []byte (sent as is). headers may set anything, Content-Type included.
func (e *Env) Do(t testing.TB, method, url string, body any, headers map[string]string) *Response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, url, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := e.Server.App.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return &Response{Status: res.StatusCode, Header: res.Header, Body: raw, Cookies: res.Cookies()}
}

// Client is a signed-in user: a session (cookie and CSRF token) or an API token.
type Client struct {
	env      *Env
	Company  *Company
	UserID   uuid.UUID
	Email    string
	Password string
	Roles    []string
	Cookie   string
	CSRF     string
	Token    string
	// Lang is sent as Accept-Language when set.
	Lang string
}

// Headers are the credentials for a request of method.
func (c *Client) Headers(method string) map[string]string {
	h := map[string]string{}
	if c == nil {
		return h
	}
	if c.Token != "" {
		h["Authorization"] = "Bearer " + c.Token
	} else if c.Cookie != "" {
		h["Cookie"] = c.Cookie
		if method != "GET" && method != "HEAD" {
			h["X-CSRF-Token"] = c.CSRF
		}
	}
	if c.Lang != "" {
		h["Accept-Language"] = c.Lang
	}
	return h
}

// Do sends a request as c.
func (c *Client) Do(t testing.TB, method, url string, body any) *Response {
	t.Helper()
	return c.env.Do(t, method, url, body, c.Headers(method))
}

// MustDo sends a request as c and fails unless the status is want; it decodes into out (if
// not nil).
func (c *Client) MustDo(t testing.TB, method, url string, body any, want int, out any) *Response {
	t.Helper()
	return mustStatus(t, c.Do(t, method, url, body), method, url, want, out)
}

// mustStatus fails unless r has status want, and decodes r into out (if not nil).
func mustStatus(t testing.TB, r *Response, method, url string, want int, out any) *Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, r.Status, want, r.Body)
	}
	if out != nil {
		r.JSON(t, out)
	}
	return r
}

// Company is a signed-up tenant with its owner.
type Company struct {
	ID    uuid.UUID
	Slug  string
	Owner *Client
	env   *Env
	// Departments maps default department names (English) to IDs.
	Departments map[string]uuid.UUID
}

var seq atomic.Int64

// UniqueSlug returns a slug no other test uses.
func UniqueSlug(prefix string) string {
	return fmt.Sprintf("%s-%d-%s", prefix, seq.Add(1), strings.ReplaceAll(uuid.NewString()[:8], "-", ""))
}

// Signup signs up a new company through the API and returns it with its signed-in owner.
func (e *Env) Signup(t testing.TB) *Company {
	t.Helper()
	slug := UniqueSlug("co")
	email := "owner@" + slug + ".example.com"
	pw := "correct horse battery"
	r := e.Do(t, "POST", "/api/v1/signup", map[string]any{"company_name": "公司 " + slug, "slug": slug,
		"owner_name": "老板", "email": email, "password": pw, "locale": "en"}, nil)
	if r.Status != 201 {
		t.Fatalf("signup: %d %s", r.Status, r.Body)
	}
	var out struct {
		Tenant    struct{ ID uuid.UUID }
		User      struct{ ID uuid.UUID }
		CSRFToken string `json:"csrf_token"`
	}
	r.JSON(t, &out)
	c := &Company{ID: out.Tenant.ID, Slug: slug, env: e, Departments: map[string]uuid.UUID{}}
	c.Owner = &Client{env: e, Company: c, UserID: out.User.ID, Email: email, Password: pw, Roles: []string{"owner"},
		Cookie: cookieHeader(r.Cookies), CSRF: out.CSRFToken}
	var deps struct {
		Items []struct {
			ID   uuid.UUID
			Name string
		}
	}
	c.Owner.MustDo(t, "GET", "/api/v1/departments", nil, 200, &deps)
	for _, d := range deps.Items {
		c.Departments[d.Name] = d.ID
	}
	return c
}

func cookieHeader(cs []*http.Cookie) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// UserOpts tune AddUser.
type UserOpts struct {
	Department string // English name of a default department
	ManagerID  *uuid.UUID
	// Session signs in with a cookie session instead of an API token.
	Session bool
}

// AddUser creates a user with roles (as the owner) and signs them in with an API token.
func (c *Company) AddUser(t testing.TB, roles ...string) *Client {
	t.Helper()
	return c.AddUserWith(t, UserOpts{}, roles...)
}

// AddUserWith creates a user with options and roles and signs them in.
func (c *Company) AddUserWith(t testing.TB, o UserOpts, roles ...string) *Client {
	t.Helper()
	email := fmt.Sprintf("u%d@%s.example.com", seq.Add(1), c.Slug)
	pw := "another good password"
	body := map[string]any{"email": email, "name": "员工 " + email, "password": pw, "roles": roles}
	if o.Department != "" {
		id, ok := c.Departments[o.Department]
		if !ok {
			t.Fatalf("no department %q", o.Department)
		}
		body["department_id"] = id
	}
	if o.ManagerID != nil {
		body["manager_id"] = *o.ManagerID
	}
	var u struct{ ID uuid.UUID }
	c.Owner.MustDo(t, "POST", "/api/v1/users", body, 201, &u)
	cl := &Client{env: c.env, Company: c, UserID: u.ID, Email: email, Password: pw, Roles: roles}
	c.env.SignIn(t, cl, o.Session)
	return cl
}

// SignIn signs cl in: a session via /auth/login, then (unless session) an API token.
func (e *Env) SignIn(t testing.TB, cl *Client, session bool) {
	t.Helper()
	r := e.Do(t, "POST", "/api/v1/auth/login", map[string]any{"tenant": cl.Company.Slug, "email": cl.Email, "password": cl.Password}, nil)
	if r.Status != 200 {
		t.Fatalf("login %s: %d %s", cl.Email, r.Status, r.Body)
	}
	var out struct {
		CSRFToken string `json:"csrf_token"`
	}
	r.JSON(t, &out)
	cl.Cookie, cl.CSRF = cookieHeader(r.Cookies), out.CSRFToken
	if session {
		return
	}
	var tok struct{ Token string }
	cl.MustDo(t, "POST", "/api/v1/api-tokens", map[string]any{"name": "tests"}, 201, &tok)
	cl.Token = tok.Token
}

// Scenario is one request and what its answer must be.
type Scenario struct {
	Name    string
	Method  string
	URL     string
	Body    any
	As      *Client // nil: no credentials
	Headers map[string]string
	Status  int
	// Code is the problem code an error answer must carry.
	Code string
	// Contains and NotContains are substrings of the body.
	Contains    []string
	NotContains []string
	// Check runs further assertions.
	Check func(t *testing.T, r *Response)
}

// Run runs scenarios in order, each as a subtest.
func (e *Env) Run(t *testing.T, scenarios []Scenario) {
	t.Helper()
	for _, s := range scenarios {
		t.Run(s.Name, func(t *testing.T) {
			h := s.As.Headers(s.Method)
			for k, v := range s.Headers {
				h[k] = v
			}
			r := e.Do(t, s.Method, s.URL, s.Body, h)
			if r.Status != s.Status {
				t.Fatalf("%s %s: status %d, want %d: %s", s.Method, s.URL, r.Status, s.Status, r.Body)
			}
			if r.Status >= 400 {
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
					t.Errorf("error answer has Content-Type %q, want application/problem+json", ct)
				}
			}
			if s.Code != "" {
				var p struct{ Code string }
				r.JSON(t, &p)
				if p.Code != s.Code {
					t.Errorf("code %q, want %q: %s", p.Code, s.Code, r.Body)
				}
			}
			for _, c := range s.Contains {
				if !strings.Contains(string(r.Body), c) {
					t.Errorf("body lacks %q: %s", c, r.Body)
				}
			}
			for _, c := range s.NotContains {
				if strings.Contains(string(r.Body), c) {
					t.Errorf("body has %q: %s", c, r.Body)
				}
			}
			if s.Check != nil {
				s.Check(t, r)
			}
		})
	}
}
