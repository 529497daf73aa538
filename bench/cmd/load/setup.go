package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// fixture is the data the scenarios use, created over the public API.
type fixture struct {
	Slug     string `json:"slug"`
	TenantID string `json:"tenant_id"`
	OwnerID  string `json:"owner_id"`
	MemberID string `json:"member_id"`
	token    string // the owner's API token (never written to results)
}

// apiClient makes the setup requests; it never follows redirects and ignores proxies.
type apiClient struct {
	base *url.URL
	http *http.Client
}

func newAPIClient(base *url.URL) *apiClient {
	return &apiClient{base: base, http: &http.Client{
		Timeout:       30 * time.Second,
		Transport:     &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	status  int
	body    []byte
	cookies []*http.Cookie
}

func (c *apiClient) do(method, path string, body any, header map[string]string) (*response, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(raw)
	}
	p, query, _ := strings.Cut(path, "?")
	u := c.base.JoinPath(p)
	u.RawQuery = query
	req, err := http.NewRequest(method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	return &response{status: res.StatusCode, body: raw, cookies: res.Cookies()}, nil
}

// expect sends a request and decodes a JSON answer of status want into out.
func (c *apiClient) expect(method, path string, body any, header map[string]string, want int, out any) (*response, error) {
	r, err := c.do(method, path, body, header)
	if err != nil {
		return nil, err
	}
	if r.status != want {
		return r, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, r.status, want, clip(r.body, 500))
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			return r, fmt.Errorf("%s %s: decode %s: %w", method, path, clip(r.body, 200), err)
		}
	}
	return r, nil
}

func clip(b []byte, n int) string {
	s := strings.TrimSpace(string(b))
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// setup signs up a company, creates the owner's API token from the signup session (cookie and
// X-CSRF-Token), and creates a second user with that token.
func setup(c *apiClient) (*fixture, error) {
	slug := "bench-" + randomHex(6)
	var signup struct {
		Tenant struct {
			ID string `json:"id"`
		} `json:"tenant"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		CSRFToken string `json:"csrf_token"`
	}
	r, err := c.expect("POST", "/api/v1/signup", map[string]any{
		"company_name": "Bench " + slug, "slug": slug, "owner_name": "Bench Owner",
		"email": "owner@" + slug + ".example.com", "password": "bench password " + randomHex(8), "locale": "en",
	}, nil, http.StatusCreated, &signup)
	if err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	var session string
	for _, ck := range r.cookies {
		if ck.Name == "crm_session" {
			session = ck.Name + "=" + ck.Value
		}
	}
	if session == "" || signup.CSRFToken == "" || signup.Tenant.ID == "" || signup.User.ID == "" {
		return nil, fmt.Errorf("sign up: answer lacks the session cookie, csrf_token, tenant or user: %s", clip(r.body, 300))
	}
	f := &fixture{Slug: slug, TenantID: signup.Tenant.ID, OwnerID: signup.User.ID}

	var tok struct {
		Token string `json:"token"`
	}
	if _, err := c.expect("POST", "/api/v1/api-tokens", map[string]any{"name": "bench"},
		map[string]string{"Cookie": session, "X-CSRF-Token": signup.CSRFToken}, http.StatusCreated, &tok); err != nil {
		return nil, fmt.Errorf("create API token: %w", err)
	}
	if tok.Token == "" {
		return nil, fmt.Errorf("create API token: no token in the answer")
	}
	f.token = tok.Token

	var user struct {
		ID string `json:"id"`
	}
	if _, err := c.expect("POST", "/api/v1/users", map[string]any{
		"email": "member@" + slug + ".example.com", "name": "Bench Member",
		"password": "member password " + randomHex(8), "roles": []string{"salesperson"},
	}, f.bearer(), http.StatusCreated, &user); err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	if user.ID == "" {
		return nil, fmt.Errorf("create user: no id in the answer")
	}
	f.MemberID = user.ID
	return f, nil
}

func (f *fixture) bearer() map[string]string {
	return map[string]string{"Authorization": "Bearer " + f.token}
}
