// Package storetest gives tests a migrated database on every dialect the product supports.
//
// A test package calls Main from its TestMain, and its tests range over Dialects:
//
//	func TestMain(m *testing.M) { storetest.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		for _, dialect := range storetest.Dialects(t) {
//			t.Run(dialect, func(t *testing.T) {
//				db := storetest.Open(t, dialect)
//				…
//			})
//		}
//	}
//
// Open hands all tests of a package the same database per dialect, created and migrated once
// per process: one SQLite file in a temporary folder and one PostgreSQL database. Tests
// isolate themselves by creating their own tenants, exactly as the product isolates its
// customers. Main removes both when the package's tests end.
//
// On PostgreSQL the database is owned by the non-superuser role crm_owner, which runs the
// migrations, and the handle Open returns connects as the app role crm_app, which owns nothing,
// is no superuser and cannot bypass row-level security — the production arrangement, so
// tests see the same RLS the product relies on.
//
// PostgreSQL is never skipped. When it cannot be reached the test fails; CRM_TEST_POSTGRES_URL
// names the administrator connection (default postgres://postgres@127.0.0.1:5432/postgres),
// and deploy/ensure-postgres.sh starts a local server. The roles connect without a password,
// so the server must trust them (as the development machines do) or a ~/.pgpass entry must
// supply one.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx" for the administrator connection

	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/store"
)

// Environment variables read by this package.
const (
	// EnvDatabases narrows the dialects for a quick local loop: "sqlite", "postgres" or both,
	// comma-separated. It is refused under CI, where every dialect runs.
	EnvDatabases = "CRM_TEST_DATABASES"
	// EnvPostgresURL is the administrator connection used to create test databases and roles.
	EnvPostgresURL = "CRM_TEST_POSTGRES_URL"
)

// DefaultPostgresURL is the administrator connection when CRM_TEST_POSTGRES_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Roles the PostgreSQL test databases use; the names match deploy/compose.yaml.
const (
	OwnerRole = "crm_owner"
	AppRole   = "crm_app"
)

// dbPrefix starts the name of every database this package creates, so stale ones (left by a
// process that was killed before Main could drop them) can be recognised and removed.
const dbPrefix = "crm_test_"

// setupTimeout bounds creating and migrating one database.
const setupTimeout = 2 * time.Minute

// instance is one dialect's database for this process.
type instance struct {
	once     sync.Once
	err      error
	db       *store.DB
	ownerURL string
	appURL   string
	// PostgreSQL only.
	name    string
	admin   *sql.DB // administrator, connected to the test database
	dropURL string  // administrator URL of the maintenance database, for DROP DATABASE
	// SQLite only.
	dir string
}

var (
	mainRunning atomic.Bool
	mu          sync.Mutex
	instances   = map[string]*instance{}
)

// Main runs the package's tests and then removes the databases they used: it closes every
// pool, drops the PostgreSQL database and deletes the SQLite folder, and exits with the tests'
// status; the after functions run first, once the tests have ended (removing files the
// package built for its tests, say). Call it from TestMain.
func Main(m *testing.M, after ...func()) {
	mainRunning.Store(true)
	code := m.Run()
	for _, fn := range after {
		fn()
	}
	if err := cleanup(); err != nil {
		// The tests' verdict stands; a leftover database is removed by the next run (see
		// dropStale), so this is a warning.
		fmt.Fprintln(os.Stderr, "storetest: cleanup:", err)
	}
	os.Exit(code)
}

// Dialects lists the databases tests must run on: sqlite and postgres. CRM_TEST_DATABASES may
// narrow it on a developer's machine; under CI (CI set) narrowing is refused so that
// PostgreSQL is never skipped.
func Dialects(t *testing.T) []string {
	t.Helper()
	all := []string{store.SQLite, store.Postgres}
	v := strings.TrimSpace(os.Getenv(EnvDatabases))
	if v == "" {
		return all
	}
	var out []string
	for _, d := range strings.Split(v, ",") {
		d = strings.ToLower(strings.TrimSpace(d))
		switch d {
		case "":
			continue
		case "pg", "postgresql":
			d = store.Postgres
		}
		if d != store.SQLite && d != store.Postgres {
			t.Fatalf("storetest: %s=%q: unknown database %q (want sqlite, postgres or both)", EnvDatabases, v, d)
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		t.Fatalf("storetest: %s=%q names no database (want sqlite, postgres or both)", EnvDatabases, v)
	}
	if len(out) < len(all) && os.Getenv("CI") != "" {
		t.Fatalf("storetest: %s=%q would skip a database; CI runs every dialect, unset it", EnvDatabases, v)
	}
	return out
}

// Open returns the package's migrated database for dialect ("sqlite" or "postgres"), creating
// it on first use. The handle is shared by the package's tests: do not close it, and scope
// data by creating tenants of your own. On PostgreSQL it connects as the app role, so
// row-level security applies. It fails the test when the database cannot be made, in
// particular when PostgreSQL is unreachable.
func Open(t testing.TB, dialect string) *store.DB {
	t.Helper()
	return get(t, dialect).db
}

// OwnerURL is the connection URL of the role that owns the schema of dialect's test database
// (for tests of migrations); on SQLite it equals the app URL.
func OwnerURL(t testing.TB, dialect string) string {
	t.Helper()
	return get(t, dialect).ownerURL
}

// AppURL is the connection URL the handle from Open uses: on PostgreSQL the app role, which is
// what CRM_DATABASE_URL names in production.
func AppURL(t testing.TB, dialect string) string {
	t.Helper()
	return get(t, dialect).appURL
}

// AdminDB is an administrator (superuser) connection to the package's PostgreSQL test
// database, for tests that inspect catalogs such as pg_roles, pg_class and pg_policies. It is
// shared: do not close it, and do not use it to write test data (it bypasses row-level
// security).
func AdminDB(t testing.TB) *sql.DB {
	t.Helper()
	return get(t, store.Postgres).admin
}

func get(t testing.TB, dialect string) *instance {
	t.Helper()
	if !mainRunning.Load() {
		t.Fatalf("storetest: add `func TestMain(m *testing.M) { storetest.Main(m) }` to this package, so its test databases are removed after the run")
	}
	if dialect != store.SQLite && dialect != store.Postgres {
		t.Fatalf("storetest: unknown dialect %q (want %q or %q)", dialect, store.SQLite, store.Postgres)
	}
	mu.Lock()
	in := instances[dialect]
	if in == nil {
		in = &instance{}
		instances[dialect] = in
	}
	mu.Unlock()
	in.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
		defer cancel()
		if dialect == store.SQLite {
			in.err = in.setupSQLite(ctx)
		} else {
			in.err = in.setupPostgres(ctx)
		}
	})
	if in.err != nil {
		t.Fatalf("storetest: %s test database: %v", dialect, in.err)
	}
	return in
}

func (in *instance) setupSQLite(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "crm-storetest-")
	if err != nil {
		return err
	}
	in.dir = dir
	u := "sqlite://" + dir + "/crm.db"
	in.ownerURL, in.appURL = u, u
	if err := store.Migrate(ctx, u, u, nil, jobs.Migrate); err != nil {
		return err
	}
	in.db, err = store.Open(ctx, u, store.Options{})
	return err
}

func (in *instance) setupPostgres(ctx context.Context) error {
	adminURL := os.Getenv(EnvPostgresURL)
	if adminURL == "" {
		adminURL = DefaultPostgresURL
	}
	base, err := url.Parse(adminURL)
	if err != nil || (base.Scheme != "postgres" && base.Scheme != "postgresql") {
		return fmt.Errorf("%s=%q is not a postgres:// URL", EnvPostgresURL, redact(adminURL))
	}
	in.dropURL = adminURL

	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	admin.SetMaxOpenConns(1)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := admin.PingContext(pingCtx); err != nil {
		return fmt.Errorf("PostgreSQL is required and unreachable at %s (%v); start it with deploy/ensure-postgres.sh or point %s at an administrator URL",
			redact(adminURL), err, EnvPostgresURL)
	}

	dropStale(ctx, admin, base)

	// Roles are cluster-wide and test packages run in parallel: creating one may race with
	// another process, which the DO block's handler absorbs. crm_app is made here because
	// crm_owner, like a production owner role, may not create roles.
	for _, r := range []struct{ name, attrs string }{
		{OwnerRole, "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS"},
		{AppRole, "LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB NOBYPASSRLS"},
	} {
		if err := ensureRole(ctx, admin, r.name, r.attrs); err != nil {
			return err
		}
	}

	in.name = newDatabaseName()
	quoted := pgx.Identifier{in.name}.Sanitize()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+quoted+" OWNER "+pgx.Identifier{OwnerRole}.Sanitize()); err != nil {
		in.name = ""
		return fmt.Errorf("create database: %w", err)
	}

	in.admin, err = sql.Open("pgx", withUserAndDB(base, "", in.name))
	if err != nil {
		return err
	}
	in.admin.SetMaxOpenConns(2)
	// Since PostgreSQL 15 public belongs to pg_database_owner and nobody else may create in
	// it; the explicit owner keeps the layout the same on every version.
	if _, err := in.admin.ExecContext(ctx, "ALTER SCHEMA public OWNER TO "+pgx.Identifier{OwnerRole}.Sanitize()); err != nil {
		return fmt.Errorf("hand schema public to %s: %w", OwnerRole, err)
	}

	// The provisioning step a superuser runs once per database (see the README): lets name
	// search use its trigram index under row-level security.
	if _, err := in.admin.ExecContext(ctx, store.LeakproofSearchSQL); err != nil {
		return fmt.Errorf("provision name search: %w", err)
	}

	in.ownerURL = withUserAndDB(base, OwnerRole, in.name)
	in.appURL = withUserAndDB(base, AppRole, in.name)
	if err := store.Migrate(ctx, in.ownerURL, in.appURL, nil, jobs.Migrate); err != nil {
		return err
	}
	in.db, err = store.Open(ctx, in.appURL, store.Options{})
	return err
}

// ensureRole creates role with attrs unless it exists; an existing role is left as it is.
func ensureRole(ctx context.Context, admin *sql.DB, role, attrs string) error {
	stmt := `DO $$ BEGIN
	  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ` + quoteLiteral(role) + `) THEN
	    CREATE ROLE ` + pgx.Identifier{role}.Sanitize() + ` ` + attrs + `;
	  END IF;
	EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
	END $$`
	if _, err := admin.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("create role %s: %w", role, err)
	}
	return nil
}

// newDatabaseName is crm_test_<host>_<pid>_<random>: unique, and telling dropStale which
// process on which machine made it.
func newDatabaseName() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s%s_%d_%s", dbPrefix, hostTag(), os.Getpid(), hex.EncodeToString(b))
}

func hostTag() string {
	h, _ := os.Hostname()
	f := fnv.New32a()
	_, _ = f.Write([]byte(h))
	return fmt.Sprintf("%08x", f.Sum32())
}

// dropStale removes test databases left by processes of this machine that no longer run (a
// test binary killed by -timeout never reaches Main's cleanup). It only acts on a server on
// this machine, and only on databases whose process is gone; failures are ignored.
func dropStale(ctx context.Context, admin *sql.DB, base *url.URL) {
	if !isLocal(base) {
		return
	}
	rows, err := admin.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'crm\_test\_%'`)
	if err != nil {
		return
	}
	var stale []string
	prefix := dbPrefix + hostTag() + "_"
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			continue
		}
		pidText, _, ok := strings.Cut(rest, "_")
		if !ok {
			continue
		}
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			stale = append(stale, name)
		}
	}
	_ = rows.Close()
	for _, name := range stale {
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
}

func isLocal(u *url.URL) bool {
	host := u.Hostname()
	if h := u.Query().Get("host"); h != "" {
		host = h
	}
	if host == "" || host == "localhost" || strings.HasPrefix(host, "/") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cleanup closes every pool and removes every database this process made.
func cleanup() error {
	mu.Lock()
	defer mu.Unlock()
	var errs []error
	for _, in := range instances {
		if in.db != nil {
			errs = append(errs, in.db.Close())
		}
		if in.admin != nil {
			errs = append(errs, in.admin.Close())
		}
		if in.dir != "" {
			errs = append(errs, os.RemoveAll(in.dir))
		}
		if in.name != "" {
			errs = append(errs, dropDatabase(in.dropURL, in.name))
		}
	}
	instances = map[string]*instance{}
	return errors.Join(errs...)
}

func dropDatabase(adminURL, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("pgx", adminURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	// FORCE ends connections a test may have leaked (PostgreSQL 13 and later).
	if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// withUserAndDB is base with the database replaced and, unless user is empty, the user
// replaced (without a password: the test roles have none). Host, port and query (sslmode,
// host=/socket/dir …) are kept.
func withUserAndDB(base *url.URL, user, db string) string {
	u := *base
	if user != "" {
		u.User = url.User(user)
	}
	u.Path = "/" + db
	u.RawPath = ""
	return u.String()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// RequireDialect is for tests about one database only (catalog checks, row-level security). It
// runs them whenever Dialects includes dialect. Dialects fails the test in CI when
// CRM_TEST_DATABASES would leave a database out, so the skip below can only happen on a
// developer's machine that asked for a narrower run.
func RequireDialect(t *testing.T, dialect string) {
	t.Helper()
	if !slices.Contains(Dialects(t), dialect) {
		t.Skipf("%s left out by %s=%q", dialect, EnvDatabases, os.Getenv(EnvDatabases))
	}
}
