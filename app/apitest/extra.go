package apitest

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
)

// Problem is a decoded application/problem+json answer.
type Problem struct {
	Type   string         `json:"type"`
	Title  string         `json:"title"`
	Status int            `json:"status"`
	Code   string         `json:"code"`
	Detail string         `json:"detail"`
	Errors []ProblemField `json:"errors"`
}

// ProblemField is one field error of a Problem.
type ProblemField struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Problem decodes an error answer, failing the test unless its Content-Type is
// application/problem+json and its status field matches the HTTP status.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type %q, want application/problem+json: %s", ct, r.Body)
	}
	var p Problem
	r.JSON(t, &p)
	if p.Status != r.Status {
		t.Errorf("problem status %d, HTTP status %d", p.Status, r.Status)
	}
	return p
}

// Field returns the error about field, if any.
func (p Problem) Field(field string) (ProblemField, bool) {
	for _, f := range p.Errors {
		if f.Field == field {
			return f, true
		}
	}
	return ProblemField{}, false
}

// WantField fails the test unless p has an error about field with code.
func (p Problem) WantField(t testing.TB, field, code string) ProblemField {
	t.Helper()
	f, ok := p.Field(field)
	if !ok {
		t.Fatalf("no error about field %q (want code %q): %+v", field, code, p)
	}
	if f.Code != code {
		t.Errorf("field %q: code %q, want %q", field, f.Code, code)
	}
	if f.Message == "" {
		t.Errorf("field %q: empty message", field)
	}
	return f
}

// Session returns a copy of c that authenticates with its session cookie (and CSRF token)
// instead of its API token.
func (c *Client) Session() *Client {
	cp := *c
	cp.Token = ""
	return &cp
}

// Env returns the environment c belongs to.
func (c *Client) Env() *Env { return c.env }

// CountRows counts rows of table matching where (with ? placeholders) across all tenants,
// bypassing tenant scoping and, on PostgreSQL, row-level security (through the administrator
// connection). For assertions that nothing was written anywhere.
func (e *Env) CountRows(t testing.TB, table, where string, args ...any) int64 {
	t.Helper()
	var n int64
	if e.Dialect == store.Postgres {
		q := "SELECT count(*) FROM " + table + " WHERE " + numberPlaceholders(where)
		if err := storetest.AdminDB(t).QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		return n
	}
	if err := e.DB.Gorm(context.Background()).Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

// numberPlaceholders turns ? into $1, $2, … for the pgx driver.
func numberPlaceholders(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// NewWithOptions is New with server options of the test's choosing (e.g. a low
// LoginRateLimit). A zero Now gets the Env's replaceable clock.
func NewWithOptions(t testing.TB, dialect string, opt server.Options) *Env {
	t.Helper()
	db := storetest.Open(t, dialect)
	clock := &Clock{}
	if opt.Now == nil {
		opt.Now = clock.Now
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	cfg := config.Config{BaseURL: "http://localhost:8080", SecretKey: "test secret key, long enough for derivation"}
	srv, err := server.New(cfg, db, log, opt)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	return &Env{Dialect: dialect, DB: db, Server: srv, clock: clock}
}

// StartJobs runs the server's job queue for the rest of the test, polling often.
func (e *Env) StartJobs(t testing.TB) {
	t.Helper()
	e.Server.Jobs.PollInterval = 100 * time.Millisecond
	if err := e.Server.Jobs.Start(context.Background()); err != nil {
		t.Fatalf("start jobs: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Server.Jobs.Stop(ctx)
	})
}

// WaitJob polls GET /jobs/{id} as c until the run has ended (or within has passed, which fails
// the test) and decodes the last answer into out.
func WaitJob(t testing.TB, c *Client, id string, within time.Duration, out any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var j struct {
			Status   string `json:"status"`
			Progress int64  `json:"progress"`
		}
		r := c.MustDo(t, "GET", "/api/v1/jobs/"+id, nil, 200, &j)
		if j.Status == "succeeded" || j.Status == "failed" {
			r.JSON(t, out)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after %s", id, j.Status, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
