package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/tenants"
)

// cliEnv is a real SQLite database in a temporary folder, named by CRM_DATABASE_URL for the
// CLI, with a server on the same file to sign up tenants and to check what the CLI did.
type cliEnv struct {
	url string
	db  *store.DB
	srv *server.Server
}

func newCLIEnv(t *testing.T) *cliEnv {
	t.Helper()
	url := "sqlite://" + t.TempDir() + "/crm.db"
	t.Setenv("CRM_DATABASE_URL", url)
	t.Setenv("CRM_MIGRATE_DATABASE_URL", url)
	t.Setenv("CRM_LOG_LEVEL", "error")
	t.Setenv("CRM_ADMIN_PASSWORD", "")
	t.Setenv("USER", "tester")
	ctx := context.Background()
	if err := store.Migrate(ctx, url, url, nil); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(config.Config{BaseURL: "http://localhost:8080", SecretKey: strings.Repeat("k", 64)}, db, log, server.Options{LoginRateLimit: 1000,
		// The CLI works like another process: with the tenant-state cache off the server sees
		// its changes at the next request (the cache's lifetime is tested in policies).
		TenantStateTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	return &cliEnv{url: url, db: db, srv: srv}
}

// do sends a request to the server on the CLI's database.
func (e *cliEnv) do(t *testing.T, method, path string, body any, headers map[string]string) (int, []byte, []*http.Cookie) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := e.srv.App.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, raw, res.Cookies()
}

type signedUp struct {
	id     uuid.UUID
	slug   string
	cookie string
	csrf   string
}

func (e *cliEnv) signup(t *testing.T, slug string) signedUp {
	t.Helper()
	status, body, cookies := e.do(t, "POST", "/api/v1/signup", map[string]any{"company_name": "CLI " + slug, "slug": slug,
		"owner_name": "Boss", "email": "boss@" + slug + ".example.com", "password": "correct horse battery", "locale": "en"}, nil)
	if status != 201 {
		t.Fatalf("signup: %d %s", status, body)
	}
	var out struct {
		Tenant    struct{ ID uuid.UUID }
		CSRFToken string `json:"csrf_token"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	s := signedUp{id: out.Tenant.ID, slug: slug, csrf: out.CSRFToken}
	for _, c := range cookies {
		if c.Name == "crm_session" {
			s.cookie = c.Name + "=" + c.Value
		}
	}
	return s
}

func (e *cliEnv) tenant(t *testing.T, id uuid.UUID) *tenants.Tenant {
	t.Helper()
	tn, err := tenants.Repo{DB: e.db}.FindByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

// crm runs the command line in-process, as `crm args…`, with stdin.
func crm(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := rootCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func mustCRM(t *testing.T, args ...string) string {
	t.Helper()
	out, err := crm(t, "", args...)
	if err != nil {
		t.Fatalf("crm %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestCreatePlatformAdminCLI(t *testing.T) {
	e := newCLIEnv(t)
	t.Setenv("CRM_ADMIN_PASSWORD", "platform password 1")
	out := mustCRM(t, "admin", "create-platform-admin", "--email", "Ops@Example.com", "--name", "Ops")
	if !strings.HasPrefix(out, "created platform admin ops@example.com (") {
		t.Errorf("output %q", out)
	}
	// The account is real: it signs in on the server using the same database.
	status, body, _ := e.do(t, "POST", "/platform/v1/auth/login", map[string]any{"email": "ops@example.com", "password": "platform password 1"}, nil)
	if status != 200 {
		t.Fatalf("login of the CLI's admin: %d %s", status, body)
	}
	if _, err := crm(t, "", "admin", "create-platform-admin", "--email", "ops@example.com"); err == nil {
		t.Error("a second admin with the same email was created")
	}
	if _, err := crm(t, "", "admin", "create-platform-admin", "--name", "No email"); err == nil {
		t.Error("create-platform-admin without --email succeeded")
	}

	// Without CRM_ADMIN_PASSWORD the password comes from standard input.
	t.Setenv("CRM_ADMIN_PASSWORD", "")
	if _, err := crm(t, "short\n", "admin", "create-platform-admin", "--email", "weak@example.com"); err == nil {
		t.Error("a too short password was accepted")
	}
	if _, err := crm(t, "stdin password 2\n", "admin", "create-platform-admin", "--email", "stdin@example.com"); err != nil {
		t.Fatalf("password from stdin: %v", err)
	}
	if status, body, _ := e.do(t, "POST", "/platform/v1/auth/login", map[string]any{"email": "stdin@example.com", "password": "stdin password 2"}, nil); status != 200 {
		t.Errorf("login with the password from stdin: %d %s", status, body)
	}
	var n int64
	if err := e.db.Gorm(context.Background()).Model(&tenants.PlatformAuditEntry{}).Where("action = 'create_admin' AND via = 'cli:tester'").Count(&n).Error; err != nil || n != 2 {
		t.Errorf("create_admin audit entries by the CLI: %d (%v), want 2", n, err)
	}
}

func TestTenantsCLI(t *testing.T) {
	e := newCLIEnv(t)
	acme := e.signup(t, "acme-cli")
	beta := e.signup(t, "beta-cli")

	out := mustCRM(t, "admin", "tenants", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("list output:\n%s", out)
	}
	for i, s := range []signedUp{acme, beta} {
		f := strings.Fields(lines[i+1])
		if len(f) < 5 || f[0] != s.id.String() || f[1] != s.slug || f[2] != "active" || f[3] != "1" {
			t.Errorf("list line %q, want %s %s active 1 …", lines[i+1], s.id, s.slug)
		}
	}
	if out := mustCRM(t, "admin", "tenants", "list", "--q", "beta"); strings.Contains(out, acme.slug) || !strings.Contains(out, beta.slug) {
		t.Errorf("list --q beta:\n%s", out)
	}

	for _, ref := range []string{acme.slug, acme.id.String()} {
		var s tenants.TenantSummary
		if err := json.Unmarshal([]byte(mustCRM(t, "admin", "tenants", "show", ref)), &s); err != nil {
			t.Fatal(err)
		}
		if s.ID != acme.id || s.Slug != acme.slug || s.Status != "active" || s.Counts["users"] != 1 {
			t.Errorf("show %s: %+v", ref, s)
		}
	}
	if _, err := crm(t, "", "admin", "tenants", "show", "no-such-tenant"); err == nil {
		t.Error("show of a missing tenant succeeded")
	}
	if _, err := crm(t, "", "admin", "tenants", "show"); err == nil {
		t.Error("show without an argument succeeded")
	}

	if out := mustCRM(t, "admin", "tenants", "suspend", acme.slug, "--reason", "unpaid"); strings.TrimSpace(out) != acme.slug+" is suspended (read_only)" {
		t.Errorf("suspend output %q", out)
	}
	if tn := e.tenant(t, acme.id); tn.Status != tenants.StatusSuspended || tn.SuspendMode != tenants.SuspendReadOnly {
		t.Errorf("after suspend: %s %s", tn.Status, tn.SuspendMode)
	}
	if tn := e.tenant(t, beta.id); tn.Status != tenants.StatusActive {
		t.Errorf("beta was touched: %s", tn.Status)
	}
	// The suspension applies to the tenant's users at once.
	write := func(s signedUp) int {
		status, _, _ := e.do(t, "PATCH", "/api/v1/settings", map[string]any{"currency": "USD"}, map[string]string{"Cookie": s.cookie, "X-CSRF-Token": s.csrf})
		return status
	}
	if st := write(acme); st != 423 {
		t.Errorf("write by a suspended tenant: %d, want 423", st)
	}
	if st := write(beta); st != 200 {
		t.Errorf("write by an active tenant: %d, want 200", st)
	}
	if out := mustCRM(t, "admin", "tenants", "list", "--status", "suspended"); !strings.Contains(out, acme.slug) || strings.Contains(out, beta.slug) {
		t.Errorf("list --status suspended:\n%s", out)
	}
	if _, err := crm(t, "", "admin", "tenants", "suspend", acme.slug, "--mode", "forever"); err == nil {
		t.Error("suspend --mode forever succeeded")
	}
	mustCRM(t, "admin", "tenants", "suspend", acme.id.String(), "--mode", "locked")
	if tn := e.tenant(t, acme.id); tn.SuspendMode != tenants.SuspendLocked {
		t.Errorf("after lock: %s", tn.SuspendMode)
	}

	if out := mustCRM(t, "admin", "tenants", "reactivate", acme.slug); strings.TrimSpace(out) != acme.slug+" is active" {
		t.Errorf("reactivate output %q", out)
	}
	if st := write(acme); st != 200 {
		t.Errorf("write after reactivation: %d, want 200", st)
	}
	if _, err := crm(t, "", "admin", "tenants", "reactivate", acme.slug); err == nil {
		t.Error("reactivating an active tenant succeeded")
	}

	// Every CLI action is in the platform audit, attributed to the shell user.
	var entries []tenants.PlatformAuditEntry
	err := e.db.Gorm(context.Background()).Where("target_tenant_id = ?", acme.id).Order("id").Find(&entries).Error
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, en := range entries {
		actions = append(actions, en.Action)
		if en.Via != "cli:tester" || en.AdminID != nil {
			t.Errorf("entry %+v: want via cli:tester, no admin", en)
		}
	}
	if got := strings.Join(actions, ","); got != "view,view,suspend,suspend,reactivate" {
		t.Errorf("acme's platform audit %s, want view,view,suspend,suspend,reactivate", got)
	}
	var other int64
	if err := e.db.Gorm(context.Background()).Model(&tenants.PlatformAuditEntry{}).Where("target_tenant_id = ?", beta.id).Count(&other).Error; err != nil || other != 0 {
		t.Errorf("beta has %d platform audit entries (%v), want 0", other, err)
	}
}
