package host_test

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/plugins/host"
)

const proberBase = "/api/v1/ext/" + proberID

// probeReport is what the prober plugin found out about its sandbox.
type probeReport struct {
	Reads map[string]struct {
		Error string `json:"error"`
		Bytes int    `json:"bytes"`
	} `json:"reads"`
	EnvFound           map[string]string `json:"env_found"`
	Environ            []string          `json:"environ"`
	ParentEnvironError string            `json:"parent_environ_error"`
	Cwd                string            `json:"cwd"`
	CwdError           string            `json:"cwd_error"`
	CwdListError       string            `json:"cwd_list_error"`
	CwdEntries         []string          `json:"cwd_entries"`
	TmpDir             string            `json:"tmpdir"`
	OwnDirError        string            `json:"own_dir_error"`
	UID                int               `json:"uid"`
	GID                int               `json:"gid"`
	FDs                map[string]string `json:"fds"`
	FDListError        string            `json:"fd_list_error"`
}

// A plugin is untrusted code: it runs in an empty working directory of its own, with none of
// the server's environment and none of its file descriptors, as an unprivileged user when the
// server is root, and (Landlock) cannot read the database file or the secret key file even
// where their permissions would let any user read them.
func TestPluginSandbox(t *testing.T) {
	storetest.RequireDialect(t, store.SQLite) // a supervisor test: one database is enough
	// The server's secrets: a database file and a key file that every user could read (so
	// that only the sandbox stands between them and the plugin), and secrets in the
	// server's environment.
	secrets, err := os.MkdirTemp("", "crm-server-data-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(secrets) })
	if err := os.Chmod(secrets, 0o755); err != nil {
		t.Fatal(err)
	}
	dbFile, keyFile := filepath.Join(secrets, "crm.db"), filepath.Join(secrets, "secret.key")
	for _, f := range []string{dbFile, keyFile} {
		if err := os.WriteFile(f, []byte("server-only content"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("CRM_SECRET_KEY", "server-secret-canary")
	t.Setenv("CRM_DATABASE_URL", "sqlite://"+dbFile)
	t.Setenv("CRM_SANDBOX_CANARY", "must-not-reach-plugins")

	env := newEnv(t, store.SQLite, "prober")
	co := env.Signup(t)
	enable(t, co, proberID, map[string]any{
		"read": map[string]string{"database": dbFile, "secret_key": keyFile, "passwd_shadow": "/etc/shadow"},
		"env":  []string{"CRM_SECRET_KEY", "CRM_DATABASE_URL", "CRM_SANDBOX_CANARY", "HOME", "USER"},
	})
	var rep probeReport
	co.Owner.MustDo(t, "GET", proberBase+"/probe", nil, 200, &rep)

	// Environment: go-plugin's handshake, PATH and TMPDIR, nothing else.
	if len(rep.EnvFound) != 0 {
		t.Errorf("server variables reached the plugin: %v", rep.EnvFound)
	}
	for _, kv := range rep.Environ {
		k, v, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH" && v == "/usr/bin:/bin":
		case k == "TMPDIR" && v == rep.TmpDir:
		case strings.HasPrefix(k, "PLUGIN_") || k == "CRM_PLUGIN": // go-plugin's handshake
		default:
			t.Errorf("unexpected variable in the plugin's environment: %s", kv)
		}
	}

	// Working directory: a fresh, empty one under the run folder, writable by the plugin;
	// TMPDIR beside it.
	if rep.CwdError != "" || rep.CwdListError != "" {
		t.Fatalf("cwd: %s %s", rep.CwdError, rep.CwdListError)
	}
	if !strings.HasPrefix(rep.Cwd, filepath.Join(os.TempDir(), "crm-plugin-"+proberID+"-")) {
		t.Errorf("cwd %s is not a fresh run folder", rep.Cwd)
	}
	if len(rep.CwdEntries) != 0 {
		t.Errorf("cwd is not empty: %v", rep.CwdEntries)
	}
	if rep.TmpDir == "" || rep.TmpDir == os.TempDir() || filepath.Dir(rep.TmpDir) != filepath.Dir(rep.Cwd) {
		t.Errorf("TMPDIR %q is not the plugin's own (cwd %s)", rep.TmpDir, rep.Cwd)
	}
	if rep.OwnDirError != "" {
		t.Errorf("the plugin cannot use its own working directory: %s", rep.OwnDirError)
	}

	// User: nobody (CRM_PLUGIN_USER's default) when the server is root, else the server's.
	wantUID, wantGID := os.Getuid(), os.Getgid()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Fatalf("this test needs the nobody user: %v", err)
		}
		wantUID, _ = strconv.Atoi(u.Uid)
		wantGID, _ = strconv.Atoi(u.Gid)
	}
	if rep.UID != wantUID || rep.GID != wantGID || rep.UID == 0 {
		t.Errorf("plugin runs as %d:%d, want %d:%d", rep.UID, rep.GID, wantUID, wantGID)
	}

	// File descriptors: stdin is /dev/null, none leads to a server file.
	if rep.FDListError != "" {
		t.Fatalf("fds: %s", rep.FDListError)
	}
	if rep.FDs["0"] != "/dev/null" {
		t.Errorf("stdin is %q, want /dev/null", rep.FDs["0"])
	}
	for fd, target := range rep.FDs {
		if strings.HasPrefix(target, secrets) || strings.HasSuffix(target, ".db") || strings.HasSuffix(target, ".db-wal") {
			t.Errorf("fd %s leads to a server file: %s", fd, target)
		}
	}

	// Files: the database and key files, world-readable, are out of reach through Landlock.
	for _, name := range []string{"database", "secret_key", "passwd_shadow"} {
		if _, ok := rep.Reads[name]; !ok {
			t.Fatalf("no attempt reported for %s: %+v", name, rep.Reads)
		}
	}
	if abi := host.LandlockABI(); abi == 0 {
		t.Logf("SKIPPED the Landlock assertions: this kernel offers no Landlock ABI; the plugin read %+v", rep.Reads)
	} else {
		for _, name := range []string{"database", "secret_key", "passwd_shadow"} {
			r := rep.Reads[name]
			if r.Error == "" || r.Bytes != 0 || !strings.Contains(r.Error, "permission denied") {
				t.Errorf("Landlock ABI %d: the plugin read %s: %+v", abi, name, r)
			}
		}
		if rep.ParentEnvironError == "" {
			t.Errorf("the plugin read the server's /proc/PID/environ")
		}
	}

	// The run folder is removed when the process ends.
	if _, err := os.Stat(rep.Cwd); err != nil {
		t.Fatalf("run folder missing while the plugin runs: %v", err)
	}
	env.Server.Plugins.Stop()
	if _, err := os.Stat(filepath.Dir(rep.Cwd)); !os.IsNotExist(err) {
		t.Errorf("run folder %s left behind after stop: %v", filepath.Dir(rep.Cwd), err)
	}
}

// A module's answers are guarded: an answer larger than MaxResponseBytes is refused by gRPC
// from its length prefix (not read in full), a redirect may only stay on the module's own
// path, and its HTML gets a restrictive Content-Security-Policy.
func TestModuleAnswersGuarded(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			const limit = 1 << 20
			env := newEnvWith(t, d, func(o *host.Options) { o.MaxResponseBytes = limit; o.MaxFailures = 100 }, "prober")
			acme, other := env.Signup(t), env.Signup(t)
			sales := acme.AddUser(t, "salesperson") // no grant of the module's permission
			config := func(co *apitest.Company, cfg map[string]any) { enable(t, co, proberID, cfg) }
			config(acme, map[string]any{})

			env.Run(t, []apitest.Scenario{
				{Name: "no login", Method: "GET", URL: proberBase + "/page", Status: 401, Code: "unauthenticated"},
				{Name: "other tenant: not enabled there", Method: "GET", URL: proberBase + "/page", As: other.Owner, Status: 404, Code: "not_found"},
				{Name: "wrong role", Method: "GET", URL: proberBase + "/page", As: sales, Status: 403, Code: "forbidden"},
				{Name: "not found", Method: "GET", URL: proberBase + "/nothing", As: acme.Owner, Status: 404, Code: "not_found"},
				{Name: "success: HTML carries the CSP", Method: "GET", URL: proberBase + "/page", As: acme.Owner, Status: 200, Contains: []string{"<p>hello</p>"},
					Check: func(t *testing.T, r *apitest.Response) {
						// The module's own policy replaces the server's (app/server AppCSP), not
						// added to it or loosened by it.
						if n := len(r.Header.Values("Content-Security-Policy")); n != 1 {
							t.Errorf("%d Content-Security-Policy headers, want the module's only", n)
						}
						csp := r.Header.Get("Content-Security-Policy")
						for _, want := range []string{"default-src 'none'", "sandbox", "frame-ancestors 'self'"} {
							if !strings.Contains(csp, want) {
								t.Errorf("CSP %q lacks %q", csp, want)
							}
						}
						if strings.Contains(csp, "script-src") || strings.Contains(csp, "allow-scripts") {
							t.Errorf("CSP %q lets scripts run", csp)
						}
						if r.Header.Get("X-Content-Type-Options") != "nosniff" {
							t.Errorf("X-Content-Type-Options %q", r.Header.Get("X-Content-Type-Options"))
						}
					}},
			})

			t.Run("oversized answer refused", func(t *testing.T) {
				config(acme, map[string]any{"big_bytes": 8 * limit})
				start := time.Now()
				acme.Owner.MustDo(t, "GET", proberBase+"/big", nil, 503, nil)
				st := env.Server.Plugins.StatusOf(proberID)
				// gRPC's own refusal, from the message's length prefix: the body was not read.
				if !strings.Contains(st.LastError, "ResourceExhausted") || !strings.Contains(st.LastError, "larger than max") {
					t.Errorf("last error %q is not gRPC's size refusal", st.LastError)
				}
				t.Logf("refused in %s", time.Since(start))
				config(acme, map[string]any{"big_bytes": limit / 2})
				r := acme.Owner.MustDo(t, "GET", proberBase+"/big", nil, 200, nil)
				if len(r.Body) != limit/2 {
					t.Errorf("body of %d bytes, want %d", len(r.Body), limit/2)
				}
			})

			t.Run("redirects", func(t *testing.T) {
				for _, loc := range []string{
					"https://evil.example/phish",
					"//evil.example/phish",
					"/\\evil.example/phish",
					"https:/evil.example",
					"javascript:alert(1)",
					"/api/v1/customers",
					"/api/v1/ext/" + proberID + "/../../customers",
					"/api/v1/ext/" + proberID + "/%2e%2e/%2e%2e/customers",
					"../../customers",
					"/api/v1/ext/" + proberID + "x/page",
					"/api/v1/ext/" + vehicleID + "/vehicles",
					"/",
				} {
					config(acme, map[string]any{"location": loc})
					r := acme.Owner.Do(t, "GET", proberBase+"/redirect", nil)
					if r.Status != 502 || r.Header.Get("Location") != "" {
						t.Errorf("Location %q: status %d, Location %q: %s", loc, r.Status, r.Header.Get("Location"), r.Body)
						continue
					}
					if p := r.Problem(t); p.Code != "bad_gateway" {
						t.Errorf("Location %q: problem code %q", loc, p.Code)
					}
				}
				for loc, want := range map[string]string{
					proberBase + "/page?x=1":  proberBase + "/page?x=1",
					"page":                    proberBase + "/page",
					"./page#top":              proberBase + "/page#top",
					proberBase + "/a/../page": proberBase + "/page",
				} {
					config(acme, map[string]any{"location": loc})
					r := acme.Owner.MustDo(t, "GET", proberBase+"/redirect", nil, 302, nil)
					if got := r.Header.Get("Location"); got != want {
						t.Errorf("Location %q answered as %q, want %q", loc, got, want)
					}
				}
			})
		})
	}
}
