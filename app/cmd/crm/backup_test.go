package main

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/glebarez/go-sqlite"

	"github.com/smecrm/crm/app/backup"
)

// TestRestoreDrill is the restore drill CI runs with every test run: back up a populated
// database with the CLI (while its server keeps running), verify the archive by restoring it
// into scratch, refuse a damaged copy, restore beside the live database, then restore in place
// and find the data as it was at the backup.
func TestRestoreDrill(t *testing.T) {
	e := newCLIEnv(t)
	dir := filepath.Dir(strings.TrimPrefix(e.url, "sqlite://"))
	backups := filepath.Join(t.TempDir(), "backups")
	t.Setenv("CRM_BACKUP_DIR", backups)
	t.Setenv("CRM_BACKUP_KEEP", "2")
	t.Setenv("CRM_PLUGIN_DIR", filepath.Join(dir, "plugins"))
	if err := os.MkdirAll(filepath.Join(dir, "plugins"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "plugins", "p.bin"), []byte("plugin"), 0o700); err != nil {
		t.Fatal(err)
	}
	co := e.signup(t, "drill")
	for _, name := range []string{"演练甲", "演练乙", "演练丙"} {
		status, body, _ := e.do(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": name},
			map[string]string{"Cookie": co.cookie, "X-CSRF-Token": co.csrf})
		if status != 201 {
			t.Fatalf("create customer: %d %s", status, body)
		}
	}

	for range 3 {
		if out := mustCRM(t, "backup"); !strings.Contains(out, "wrote "+backups) {
			t.Fatalf("backup said %q", out)
		}
	}
	entries, _ := os.ReadDir(backups)
	if len(entries) != 2 {
		t.Fatalf("rotation kept %d backups, want 2 (CRM_BACKUP_KEEP)", len(entries))
	}
	archive := filepath.Join(backups, entries[1].Name())

	if out := mustCRM(t, "backup", "verify", archive); !strings.Contains(out, "is good") {
		t.Fatalf("verify said %q", out)
	}
	raw, _ := os.ReadFile(archive)
	bad := filepath.Join(t.TempDir(), "bad.tar.gz")
	_ = os.WriteFile(bad, raw[:len(raw)-100], 0o600)
	if _, err := crm(t, "", "backup", "verify", bad); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("verify of a truncated archive: %v", err)
	}
	if _, err := crm(t, "", "restore", bad); err == nil {
		t.Fatal("restore of a truncated archive was accepted")
	}

	// Beside the live database, while the server keeps serving.
	beside := filepath.Join(t.TempDir(), "beside.db")
	filesTo := t.TempDir()
	if out := mustCRM(t, "restore", archive, "--to", "sqlite://"+beside, "--files-to", filesTo); !strings.Contains(out, "row counts match") {
		t.Fatalf("restore said %q", out)
	}
	if b, err := os.ReadFile(filepath.Join(filesTo, "plugins", "p.bin")); err != nil || string(b) != "plugin" {
		t.Fatalf("restored plugin file: %q %v", b, err)
	}
	if got := countCustomers(t, beside); got != 3 {
		t.Fatalf("restored %d customers, want 3", got)
	}
	status, body, _ := e.do(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "备份之后"},
		map[string]string{"Cookie": co.cookie, "X-CSRF-Token": co.csrf})
	if status != 201 {
		t.Fatalf("the live server after the restore: %d %s", status, body)
	}

	// In place: the server is stopped first, as documented.
	e.db.Close()
	live := strings.TrimPrefix(e.url, "sqlite://")
	if got := countCustomers(t, live); got != 4 {
		t.Fatalf("live database has %d customers before the restore, want 4", got)
	}
	out := mustCRM(t, "restore", archive)
	if !strings.Contains(out, "previous database is kept as") {
		t.Fatalf("restore said %q", out)
	}
	if got := countCustomers(t, live); got != 3 {
		t.Fatalf("after restoring in place: %d customers, want the backup's 3", got)
	}
	asides, _ := filepath.Glob(live + ".pre-restore-*")
	if len(asides) != 1 || countCustomers(t, asides[0]) != 4 {
		t.Fatalf("the previous database was not kept aside: %v", asides)
	}
	if _, err := backup.Extract(archive, t.TempDir()); err != nil {
		t.Fatal(err)
	}
}

func countCustomers(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(context.Background(), "SELECT count(*) FROM customers").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
