package backup_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/backup"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/app/tenantctx"
	"gorm.io/gorm"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// backupRole is the documented PostgreSQL backup role: it reads every row (BYPASSRLS, since
// FORCE ROW LEVEL SECURITY binds even the owner) and may write nothing.
const backupRole = "crm_backup"

func ensureBackupRole(t *testing.T) {
	t.Helper()
	admin := storetest.AdminDB(t)
	for _, q := range []string{
		`DO $$ BEGIN
		   IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'crm_backup') THEN
		     CREATE ROLE crm_backup LOGIN BYPASSRLS NOSUPERUSER;
		   END IF;
		 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
		 END $$`,
		`GRANT pg_read_all_data TO crm_backup`,
	} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

func withUser(t *testing.T, raw, user string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(user)
	return u.String()
}

func withDB(t *testing.T, raw, name string) string {
	t.Helper()
	s, err := backup.WithDatabase(raw, name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// newDatabase creates an empty PostgreSQL database owned by the owner role (what a DBA, or an
// owner with CREATEDB, does before a restore) and drops it when the test ends.
func newDatabase(t *testing.T) string {
	t.Helper()
	name := "crm_test_restore_" + strings.ReplaceAll(uuid.NewString()[:13], "-", "")
	admin := storetest.AdminDB(t)
	if _, err := admin.Exec("CREATE DATABASE " + name + " OWNER " + storetest.OwnerRole); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	return name
}

// sourceOptions backs up the test database of env's dialect with the given file folders.
func sourceOptions(t *testing.T, env *apitest.Env, files map[string]string) backup.Options {
	t.Helper()
	src := storetest.OwnerURL(t, env.Dialect)
	if env.Dialect == store.Postgres {
		ensureBackupRole(t)
		src = withUser(t, src, backupRole)
	}
	return backup.Options{DatabaseURL: src, Files: files, Version: "test"}
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func createCustomer(t testing.TB, c *apitest.Client, name string) string {
	t.Helper()
	var out struct{ ID string }
	c.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": name}, 201, &out)
	return out.ID
}

// restoredEnv serves the restored database: the same secret key, so the sessions in the
// backup still sign users in.
func restoredEnv(t *testing.T, dialect, appURL string) *apitest.Env {
	t.Helper()
	db, err := store.Open(context.Background(), appURL, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv, err := server.New(apitest.TestConfig(), db, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &apitest.Env{Dialect: dialect, DB: db, Server: srv}
}

// TestBackupRestoreRoundTrip backs up a populated database while a user keeps writing to it,
// restores the archive into a new database and new folders, and reads the data back through
// a server on the restored database with the session the user had; the original keeps serving.
func TestBackupRestoreRoundTrip(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		ctx := context.Background()
		co := env.Signup(t)
		var ids []string
		for i := range 5 {
			ids = append(ids, createCustomer(t, co.Owner, fmt.Sprintf("备份客户 %d", i)))
		}
		src := t.TempDir()
		writeFile(t, filepath.Join(src, "data", "secret.key"), "0123456789abcdef0123456789abcdef\n")
		writeFile(t, filepath.Join(src, "data", "imports", "a.csv"), "name\n甲\n")
		writeFile(t, filepath.Join(src, "plugins", "classifier"), "\x7fELF not really")
		opt := sourceOptions(t, env, map[string]string{"data": filepath.Join(src, "data"), "plugins": filepath.Join(src, "plugins")})

		// The server keeps taking writes during the backup.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		var during []int
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := co.Owner.Do(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": fmt.Sprintf("并发客户 %d", i)})
				mu.Lock()
				during = append(during, r.Status)
				mu.Unlock()
			}
		}()
		archive := filepath.Join(t.TempDir(), backup.ScheduledName(time.Now()))
		m, err := backup.WriteFile(ctx, archive, opt)
		close(stop)
		wg.Wait()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range during {
			if s != 201 {
				t.Fatalf("a write during the backup answered %d", s)
			}
		}
		if m.Dialect != env.Dialect || m.Format != backup.FormatVersion || m.SchemaVersion == 0 || m.Tables["customers"] < 5 || m.Tables["tenants"] < 1 {
			t.Fatalf("manifest: %+v", m)
		}
		if fi, err := os.Stat(archive); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("archive %v mode %v: it holds every tenant's data and must be the owner's only", err, fi.Mode())
		}

		ex, err := backup.Extract(archive, filepath.Join(t.TempDir(), "x"))
		if err != nil {
			t.Fatal(err)
		}
		var appURL string
		switch env.Dialect {
		case store.SQLite:
			path := filepath.Join(t.TempDir(), "restored.db")
			if err := backup.RestoreSQLite(ctx, ex, path); err != nil {
				t.Fatal(err)
			}
			if err := backup.RestoreSQLite(ctx, ex, path); err == nil {
				t.Fatal("a restore over an existing file was accepted")
			}
			appURL = "sqlite://" + path
		case store.Postgres:
			name := newDatabase(t)
			target := backup.PostgresTarget{
				OwnerURL: withDB(t, storetest.OwnerURL(t, env.Dialect), name),
				AppURL:   withDB(t, storetest.AppURL(t, env.Dialect), name),
				ReadURL:  withDB(t, opt.DatabaseURL, name),
			}
			if err := backup.RestorePostgres(ctx, ex, target); err != nil {
				t.Fatal(err)
			}
			if err := backup.RestorePostgres(ctx, ex, target); err == nil || !strings.Contains(err.Error(), "not empty") {
				t.Fatalf("a restore into a used database: %v", err)
			}
			appURL = target.AppURL
		}

		renv := restoredEnv(t, env.Dialect, appURL)
		if env.Dialect == store.Postgres {
			// The restored database is served as the app role under RLS, like the original.
			if unsafe, _, err := renv.DB.RoleCheck(ctx); err != nil || len(unsafe) > 0 {
				t.Fatalf("restored database role check: %v %v", unsafe, err)
			}
		}
		for _, id := range ids {
			if r := renv.Do(t, "GET", "/api/v1/customers/"+id, nil, co.Owner.Headers("GET")); r.Status != 200 {
				t.Fatalf("restored customer %s: %d %s", id, r.Status, r.Body)
			}
		}
		var restored int64
		if err := renv.DB.Tx(tenantCtx(co.ID), func(tx *gormDB) error {
			return tx.Table("customers").Count(&restored).Error
		}); err != nil {
			t.Fatal(err)
		}
		var inManifest int64
		if err := env.DB.Tx(tenantCtx(co.ID), func(tx *gormDB) error {
			return tx.Table("customers").Where("created_at <= ?", m.CreatedAt.Add(time.Second)).Count(&inManifest).Error
		}); err != nil {
			t.Fatal(err)
		}
		if restored < 5 || restored > inManifest {
			t.Fatalf("restored %d of the tenant's customers; %d existed by the backup", restored, inManifest)
		}

		// The original keeps serving throughout.
		createCustomer(t, co.Owner, "备份之后")

		files := t.TempDir()
		n, err := backup.RestoreFiles(ex, map[string]string{"data": filepath.Join(files, "data"), "plugins": filepath.Join(files, "plugins")})
		if err != nil || n != 3 {
			t.Fatalf("restored %d files: %v", n, err)
		}
		for _, rel := range []string{"data/secret.key", "data/imports/a.csv", "plugins/classifier"} {
			a, _ := os.ReadFile(filepath.Join(src, rel))
			b, err := os.ReadFile(filepath.Join(files, rel))
			if err != nil || !bytes.Equal(a, b) {
				t.Fatalf("restored %s differs: %v", rel, err)
			}
		}
		if err := backup.VerifyFiles(ex, t.TempDir()); err != nil {
			t.Fatal(err)
		}
	})
}

// TestBackupRefusesOwnerUnderForcedRLS: the owner role cannot see tenants' rows, so its dump
// would miss them; the backup says which role to use instead of failing obscurely.
func TestBackupRefusesOwnerUnderForcedRLS(t *testing.T) {
	owner := storetest.OwnerURL(t, store.Postgres)
	_, err := backup.Create(context.Background(), io.Discard, backup.Options{DatabaseURL: owner})
	if err == nil || !strings.Contains(err.Error(), "BYPASSRLS") {
		t.Fatalf("backup as the owner role: %v", err)
	}
}

// TestDamagedArchiveRefused: a flipped byte, a truncated file and a member altered behind a
// valid gzip stream (only the manifest's checksum can tell) are all refused before anything
// is restored.
func TestDamagedArchiveRefused(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			env := apitest.New(t, dialect)
			co := env.Signup(t)
			createCustomer(t, co.Owner, "损坏测试")
			src := t.TempDir()
			writeFile(t, filepath.Join(src, "data", "note.txt"), "keep me")
			archive := filepath.Join(t.TempDir(), "good.tar.gz")
			if _, err := backup.WriteFile(context.Background(), archive, sourceOptions(t, env, map[string]string{"data": filepath.Join(src, "data")})); err != nil {
				t.Fatal(err)
			}
			good, err := os.ReadFile(archive)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := backup.Extract(archive, filepath.Join(t.TempDir(), "ok")); err != nil {
				t.Fatalf("the good archive: %v", err)
			}
			flipped := bytes.Clone(good)
			flipped[len(flipped)/2] ^= 0x40
			cases := map[string][]byte{
				"flipped byte":   flipped,
				"truncated":      good[:len(good)*2/3],
				"altered member": alterMember(t, good, "files/data/note.txt", "changed"),
				"altered db":     alterMember(t, good, map[string]string{store.SQLite: "database/crm.db", store.Postgres: "database/crm.pgdump"}[dialect], ""),
				"extra member":   addMember(t, good, "files/data/extra.txt", "not in the manifest"),
				"not a backup":   []byte("hello"),
			}
			for name, body := range cases {
				t.Run(name, func(t *testing.T) {
					p := filepath.Join(t.TempDir(), "bad.tar.gz")
					if err := os.WriteFile(p, body, 0o600); err != nil {
						t.Fatal(err)
					}
					_, err := backup.Extract(p, filepath.Join(t.TempDir(), "x"))
					if !errors.Is(err, backup.ErrDamaged) {
						t.Fatalf("want ErrDamaged, got %v", err)
					}
				})
			}
		})
	}
}

// rewrite rebuilds a valid tar.gz from good, letting edit change members (nil drops one).
func rewrite(t *testing.T, good []byte, edit func(hdr *tar.Header, body []byte) []byte, extra func(tw *tar.Writer)) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var out bytes.Buffer
	gw := gzip.NewWriter(&out)
	tw := tar.NewWriter(gw)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if hdr.Name == backup.ManifestName && extra != nil {
			extra(tw)
		}
		body = edit(hdr, body)
		hdr.Size = int64(len(body))
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	gw.Close()
	return out.Bytes()
}

// alterMember changes one member's content (same length when body is empty: one byte flipped).
func alterMember(t *testing.T, good []byte, name, body string) []byte {
	return rewrite(t, good, func(hdr *tar.Header, b []byte) []byte {
		if hdr.Name != name {
			return b
		}
		if body != "" {
			return []byte(body)
		}
		b = bytes.Clone(b)
		b[len(b)/2] ^= 0x01
		return b
	}, nil)
}

func addMember(t *testing.T, good []byte, name, body string) []byte {
	return rewrite(t, good, func(_ *tar.Header, b []byte) []byte { return b }, func(tw *tar.Writer) {
		_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(body)), Typeflag: tar.TypeReg})
		_, _ = tw.Write([]byte(body))
	})
}

func TestRotateKeepsNewest(t *testing.T) {
	dir := t.TempDir()
	base := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	for i := range 5 {
		writeFile(t, filepath.Join(dir, backup.ScheduledName(base.Add(time.Duration(i)*24*time.Hour))), "x")
	}
	writeFile(t, filepath.Join(dir, "before-upgrade.tar.gz"), "a hand-made backup")
	removed, err := backup.Rotate(dir, 2)
	if err != nil || len(removed) != 3 {
		t.Fatalf("removed %v: %v", removed, err)
	}
	left, _ := os.ReadDir(dir)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	want := []string{"before-upgrade.tar.gz", backup.ScheduledName(base.Add(3 * 24 * time.Hour)), backup.ScheduledName(base.Add(4 * 24 * time.Hour))}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("left %v, want %v", names, want)
	}
	if removed, _ := backup.Rotate(dir, 0); len(removed) != 0 {
		t.Fatalf("keep 0 removed %v", removed)
	}
}

type gormDB = gorm.DB

func tenantCtx(id uuid.UUID) context.Context {
	return tenantctx.WithTenant(context.Background(), id)
}
