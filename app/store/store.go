// Package store opens the database (embedded SQLite or PostgreSQL), runs migrations, and
// confines every statement on a tenant-owned model to the tenant in the context.
//
// Isolation is structural: the GORM callbacks in tenantscope.go add tenant_id to every query,
// update and delete and set it on every create; a statement on a tenant-owned model with no
// tenant in the context fails. On PostgreSQL each transaction also sets app.tenant_id, which
// the row-level-security policies check a second time.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/google/uuid"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DB is the application's database handle.
type DB struct {
	gdb     *gorm.DB
	sqlDB   *sql.DB
	Dialect string
	// URL is the connection URL the handle was opened with (without secrets in logs).
	URL string

	tenantTables tenantTables

	hooksMu       sync.RWMutex
	tenantChanged []func(tenantID uuid.UUID)
}

// Options tune Open.
type Options struct {
	// Log receives slow-query warnings; nil keeps GORM quiet.
	Log *slog.Logger
	// MaxOpenConns caps the pool; 0 picks a default per dialect.
	MaxOpenConns int
}

// Open connects to rawURL: sqlite://PATH (the folder is created) or postgres://….
func Open(ctx context.Context, rawURL string, opt Options) (*DB, error) {
	cfg := &gorm.Config{
		Logger:                                   logger.Discard,
		TranslateError:                           true,
		SkipDefaultTransaction:                   true, // services own their transactions
		DisableForeignKeyConstraintWhenMigrating: true,
		NowFunc:                                  func() time.Time { return time.Now().UTC() },
	}
	if opt.Log != nil {
		cfg.Logger = quietLogger{log: opt.Log, slow: 200 * time.Millisecond}
	}
	db := &DB{URL: rawURL}
	var dial gorm.Dialector
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"):
		path := strings.TrimPrefix(rawURL, "sqlite://")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("create database folder: %w", err)
			}
		}
		// WAL lets readers run beside the one writer; immediate transactions take the write
		// lock up front, so concurrent writers queue on busy_timeout instead of failing.
		dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
			"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
		dial = sqlite.Open(dsn)
		db.Dialect = SQLite
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		dial = postgres.New(postgres.Config{DSN: rawURL})
		db.Dialect = Postgres
	default:
		return nil, fmt.Errorf("CRM_DATABASE_URL must start with sqlite:// or postgres://, got %q", redact(rawURL))
	}
	gdb, err := gorm.Open(dial, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(rawURL), err)
	}
	if err := registerTenantScope(gdb, &db.tenantTables); err != nil {
		return nil, err
	}
	sqlDB, err := gdb.DB()
	if err != nil {
		return nil, err
	}
	max := opt.MaxOpenConns
	if max == 0 {
		max = 16
	}
	sqlDB.SetMaxOpenConns(max)
	sqlDB.SetMaxIdleConns(max)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("connect %s: %w", redact(rawURL), err)
	}
	db.gdb, db.sqlDB = gdb, sqlDB
	if err := db.RefreshTenantTables(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// RefreshTenantTables re-reads which tables are tenant-owned. Open does it; Migrate does it
// for its own handle after the schema changes.
func (db *DB) RefreshTenantTables(ctx context.Context) error {
	tables, err := loadTenantTables(ctx, db.sqlDB, db.Dialect)
	if err != nil {
		return err
	}
	db.tenantTables.set(tables)
	return nil
}

// Close closes the pool.
func (db *DB) Close() error { return db.sqlDB.Close() }

// SQL is the underlying pool (migrations, readiness checks, tests).
func (db *DB) SQL() *sql.DB { return db.sqlDB }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.sqlDB.PingContext(ctx) }

// Tx runs fn in a transaction. When ctx carries a tenant, the transaction is that tenant's:
// tenant-owned statements are scoped to it, and on PostgreSQL app.tenant_id is set for RLS.
// fn's error rolls everything back, so a failed request leaves nothing half-written.
func (db *DB) Tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return db.tx(ctx, nil, fn)
}

// Read runs fn for reading. On PostgreSQL it is a read-only transaction (RLS needs the tenant
// setting, which lives in a transaction); on SQLite, where there is no RLS, it runs without one.
func (db *DB) Read(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if db.Dialect == SQLite {
		return translate(fn(db.gdb.WithContext(ctx)))
	}
	return db.tx(ctx, &sql.TxOptions{ReadOnly: true}, fn)
}

func (db *DB) tx(ctx context.Context, opts *sql.TxOptions, fn func(tx *gorm.DB) error) error {
	changes := &tenantChanges{}
	ctx = context.WithValue(ctx, tenantChangesKey{}, changes)
	err := db.gdb.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if tid, ok := tenantctx.TenantID(ctx); ok && db.Dialect == Postgres {
			if err := tx.Exec("SELECT set_config('app.tenant_id', ?, true)", tid.String()).Error; err != nil {
				return err
			}
		}
		return fn(tx)
	}, opts)
	if err == nil {
		db.notifyTenantChanges(changes.ids)
		for _, fn := range changes.after {
			fn()
		}
	}
	return translate(err)
}

// Gorm returns the handle for platform tables and tests. Statements on tenant-owned models
// still need a tenant in their context.
func (db *DB) Gorm(ctx context.Context) *gorm.DB { return db.gdb.WithContext(ctx) }

// translate turns database errors that mean something to the user into problem errors.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var pe *problem.Error
	if errors.As(err, &pe) {
		return err
	}
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return problem.NotFoundf("entity.record")
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return &problem.Error{Code: problem.Conflict, Key: "conflict_duplicate", Cause: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &problem.Error{Code: problem.Unavailable, Key: "unavailable", Cause: err}
	}
	return err
}

// IsDuplicate reports whether err is a unique-constraint violation.
func IsDuplicate(err error) bool {
	var pe *problem.Error
	if errors.As(err, &pe) && pe.Key == "conflict_duplicate" {
		return true
	}
	return errors.Is(err, gorm.ErrDuplicatedKey)
}

// redact hides a password in a URL for messages.
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

// RoleCheck inspects the connection's PostgreSQL role. unsafe says why row-level security would
// not hold for it: a superuser or BYPASSRLS role skips the policies, and a role that owns the
// tables could drop them (every table forces RLS, but the owner may turn that off). advice names
// set-up that costs speed, not safety. Both are empty on SQLite and for a proper app role.
func (db *DB) RoleCheck(ctx context.Context) (unsafe, advice []string, err error) {
	if db.Dialect != Postgres {
		return nil, nil, nil
	}
	var r struct {
		Name      string
		Super     bool
		BypassRLS bool
		Owns      int64
	}
	err = db.sqlDB.QueryRowContext(ctx, `SELECT current_user, rolsuper, rolbypassrls,
		(SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tableowner = current_user)
		FROM pg_roles WHERE rolname = current_user`).Scan(&r.Name, &r.Super, &r.BypassRLS, &r.Owns)
	if err != nil {
		return nil, nil, err
	}
	if r.Super {
		unsafe = append(unsafe, "role "+r.Name+" is a superuser: row-level security does not apply to it")
	}
	if r.BypassRLS {
		unsafe = append(unsafe, "role "+r.Name+" has BYPASSRLS: row-level security does not apply to it")
	}
	if r.Owns > 0 {
		unsafe = append(unsafe, "role "+r.Name+" owns the tables; serve as a separate app role and migrate as the owner (CRM_MIGRATE_DATABASE_URL)")
	}
	var leakproof bool
	if err := db.sqlDB.QueryRowContext(ctx, `SELECT proleakproof FROM pg_proc WHERE oid = 'texticlike(text, text)'::regprocedure`).Scan(&leakproof); err != nil {
		return nil, nil, err
	}
	if !leakproof {
		advice = append(advice, "name search of 3 or more characters cannot use its index under row-level security; as a superuser, run in this database: "+LeakproofSearchSQL)
	}
	return unsafe, advice, nil
}

// LeakproofSearchSQL is the provisioning statement, run once per database by a superuser, that
// lets PostgreSQL use the trigram index for ILIKE name search under row-level security (see
// migration 00006 for why it is safe).
const LeakproofSearchSQL = "ALTER FUNCTION texticlike(text, text) LEAKPROOF"

// JSONArrayContains returns a condition with one placeholder: the JSON array in column
// contains the given string.
func JSONArrayContains(db *DB, column string) string {
	if db.Dialect == Postgres {
		return column + " @> jsonb_build_array(?::text)"
	}
	return "EXISTS (SELECT 1 FROM json_each(" + column + ") WHERE json_each.value = ?)"
}

// BumpTenantVersion increments one of the tenant row's change counters (policy_version,
// auth_version) inside tx, so the change and the signal to caches commit together; local
// caches also hear of it at commit (see OnTenantChange).
func BumpTenantVersion(tx *gorm.DB, tenantID uuid.UUID, column string) error {
	if column != "policy_version" && column != "auth_version" {
		return fmt.Errorf("store: unknown tenant version column %q", column)
	}
	if err := tx.Exec("UPDATE tenants SET "+column+" = "+column+" + 1 WHERE id = ?", tenantID).Error; err != nil {
		return err
	}
	TenantChanged(tx, tenantID)
	return nil
}

// LockTenant takes the tenant row's lock for the rest of tx on PostgreSQL, serializing the
// changes of one tenant whose checks read rows a concurrent change may be altering (SQLite
// transactions are serialized already by BEGIN IMMEDIATE). Callers take it before locking any
// other row, in the same order as BumpTenantVersion, so the two cannot deadlock.
func LockTenant(ctx context.Context, tx *gorm.DB) error {
	if tx.Dialector.Name() != Postgres {
		return nil
	}
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return ErrNoTenant
	}
	return tx.Exec("SELECT id FROM tenants WHERE id = ? FOR UPDATE", tid).Error
}

// TenantPolicyVersion reads the tenant row's policy_version inside tx.
func TenantPolicyVersion(tx *gorm.DB, tenantID uuid.UUID) (int64, error) {
	var v int64
	err := tx.Raw("SELECT policy_version FROM tenants WHERE id = ?", tenantID).Scan(&v).Error
	return v, err
}

// LiveTenantIDs answers the IDs of the tenants that are not cancelled, in ID order: the daily
// and periodic jobs run once per tenant over them.
func LiveTenantIDs(ctx context.Context, db *DB) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := db.Gorm(ctx).Table("tenants").Where("status <> ?", "cancelled").Order("id").Pluck("id", &ids).Error
	return ids, err
}

type tenantChangesKey struct{}

type tenantChanges struct {
	mu  sync.Mutex
	ids []uuid.UUID
	// after runs, in order, once the transaction committed (AfterCommit).
	after []func()
}

// TenantChanged records, inside a transaction opened by DB.Tx, that the tenant row changed
// (status, settings, versions); the OnTenantChange hooks run once the transaction commits.
func TenantChanged(tx *gorm.DB, tenantID uuid.UUID) {
	if c, ok := tx.Statement.Context.Value(tenantChangesKey{}).(*tenantChanges); ok {
		c.mu.Lock()
		c.ids = append(c.ids, tenantID)
		c.mu.Unlock()
	}
}

// AfterCommit makes fn run once the transaction tx (opened by DB.Tx) has committed, and never
// when it rolls back: work that must not refer to data that might not exist, such as a job
// enqueued or a mail sent about a record written by a hook inside someone else's transaction.
// Outside such a transaction fn runs at once.
func AfterCommit(tx *gorm.DB, fn func()) {
	c, ok := tx.Statement.Context.Value(tenantChangesKey{}).(*tenantChanges)
	if !ok {
		fn()
		return
	}
	c.mu.Lock()
	c.after = append(c.after, fn)
	c.mu.Unlock()
}

// OnTenantChange registers fn to run after a transaction that changed a tenant row commits,
// so this process's caches drop what they hold for it at once. Other replicas rely on their
// caches' short lifetimes.
func (db *DB) OnTenantChange(fn func(tenantID uuid.UUID)) {
	db.hooksMu.Lock()
	db.tenantChanged = append(db.tenantChanged, fn)
	db.hooksMu.Unlock()
}

func (db *DB) notifyTenantChanges(ids []uuid.UUID) {
	if len(ids) == 0 {
		return
	}
	db.hooksMu.RLock()
	defer db.hooksMu.RUnlock()
	for _, id := range ids {
		for _, fn := range db.tenantChanged {
			fn(id)
		}
	}
}

// SaveVersioned writes every column of rec (a pointer to a tenant model) except its key,
// created_at and the columns in omit, provided its stored version is still old (optimistic
// locking). The caller has set rec's new version and updated_at; UpdateColumns keeps that
// updated_at (Updates would replace it with GORM's clock). A concurrent change answers the
// conflict problem version_conflict; other errors are returned as they are (so a caller can
// still tell a duplicate key).
func SaveVersioned(tx *gorm.DB, rec any, old int64, omit ...string) error {
	res := tx.Model(rec).Where("version = ?", old).Select("*").
		Omit(append([]string{"created_at", "id", "tenant_id"}, omit...)...).UpdateColumns(rec)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return problem.New(problem.Conflict, "version_conflict")
	}
	return nil
}
