package backup

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	_ "github.com/glebarez/go-sqlite"  // database/sql driver "sqlite" (the one GORM's SQLite driver uses)
	"github.com/jackc/pgx/v5"          // identifier quoting
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/store"
)

// Options say what Create backs up.
type Options struct {
	// DatabaseURL is the live database: sqlite://PATH, or on PostgreSQL the URL of a role that
	// reads every row — FORCE ROW LEVEL SECURITY binds even the tables' owner, so the role
	// needs BYPASSRLS (see README, Backups).
	DatabaseURL string
	// Files maps a root name (data, plugins) to a folder whose files are archived under
	// files/<name>/. Missing folders are skipped.
	Files map[string]string
	// Skip lists paths left out of the file roots (the backups folder itself).
	Skip []string
	// Version is the server build, recorded in the manifest.
	Version string
	Now     func() time.Time
	// PgDump is the pg_dump executable; empty: pg_dump from PATH.
	PgDump string
}

// Dialect is the database kind a URL names.
func Dialect(rawURL string) (string, error) {
	switch {
	case strings.HasPrefix(rawURL, "sqlite://"):
		return store.SQLite, nil
	case strings.HasPrefix(rawURL, "postgres://"), strings.HasPrefix(rawURL, "postgresql://"):
		return store.Postgres, nil
	}
	return "", fmt.Errorf("database URL must start with sqlite:// or postgres://")
}

// SQLitePath is the file a sqlite:// URL names.
func SQLitePath(rawURL string) string {
	p := strings.TrimPrefix(rawURL, "sqlite://")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// Create writes a backup archive of the live installation to w and returns its manifest. The
// database is snapshotted while the server keeps writing: SQLite with VACUUM INTO (one read
// transaction, so a consistent copy even in WAL mode with a writer active), PostgreSQL with
// pg_dump in the custom format inside a repeatable-read snapshot in which the row counts are
// taken too, so the counts describe exactly the rows dumped.
func Create(ctx context.Context, w io.Writer, opt Options) (*Manifest, error) {
	dialect, err := Dialect(opt.DatabaseURL)
	if err != nil {
		return nil, err
	}
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	stage, err := os.MkdirTemp("", "crm-backup-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stage)

	m := &Manifest{Format: FormatVersion, Version: opt.Version, Dialect: dialect, CreatedAt: now().UTC().Truncate(time.Second)}
	aw := newArchiveWriter(w)
	var skip []string
	for _, s := range opt.Skip {
		if abs, err := filepath.Abs(s); err == nil {
			skip = append(skip, abs)
		}
	}
	switch dialect {
	case store.SQLite:
		live := SQLitePath(opt.DatabaseURL)
		snap := filepath.Join(stage, "crm.db")
		if err := sqliteSnapshot(ctx, live, snap); err != nil {
			return nil, err
		}
		if m.Tables, m.SchemaVersion, err = sqliteCounts(ctx, snap); err != nil {
			return nil, err
		}
		if err := aw.addFile(sqliteMember, snap, 0o600, m.CreatedAt); err != nil {
			return nil, err
		}
		if abs, err := filepath.Abs(live); err == nil {
			// The live file and its journals are in the data folder; the snapshot stands for them.
			for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
				skip = append(skip, abs+suffix)
			}
		}
	case store.Postgres:
		dump := filepath.Join(stage, "crm.pgdump")
		if m.Tables, m.SchemaVersion, err = pgDump(ctx, opt, dump); err != nil {
			return nil, err
		}
		if err := aw.addFile(postgresMember, dump, 0o600, m.CreatedAt); err != nil {
			return nil, err
		}
	}
	skipped := func(p string) bool {
		abs, err := filepath.Abs(p)
		if err != nil {
			return true
		}
		// Work files of a backup or restore, and databases a restore moved aside.
		base := filepath.Base(abs)
		if strings.HasSuffix(base, ".restoring") || strings.HasSuffix(base, ".partial") ||
			strings.Contains(base, ".pre-restore-") || strings.Contains(base, ".restored-") {
			return true
		}
		for _, s := range skip {
			if abs == s || strings.HasPrefix(abs, s+string(filepath.Separator)) {
				return true
			}
		}
		return false
	}
	roots := slices.Sorted(maps.Keys(opt.Files))
	for _, r := range roots {
		dir := mustAbs(opt.Files[r])
		// A root inside this one (plugins under data, the default) is archived once, as its
		// own root.
		var nested []string
		for _, o := range roots {
			if o != r && isWithin(mustAbs(opt.Files[o]), dir) {
				nested = append(nested, mustAbs(opt.Files[o]))
			}
		}
		own := func(p string) bool {
			abs := mustAbs(p)
			for _, n := range nested {
				if abs == n || strings.HasPrefix(abs, n+string(filepath.Separator)) {
					return true
				}
			}
			return skipped(p)
		}
		if err := aw.addTree(r, dir, own); err != nil {
			return nil, fmt.Errorf("back up %s: %w", dir, err)
		}
		m.FileRoots = append(m.FileRoots, r)
	}
	if err := aw.finish(m); err != nil {
		return nil, err
	}
	return m, nil
}

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs
}

// isWithin reports whether abs lies strictly inside dir.
func isWithin(abs, dir string) bool {
	d := mustAbs(dir)
	return strings.HasPrefix(abs, d+string(filepath.Separator))
}

func sqliteDSN(path string) string {
	return "file:" + path + "?_pragma=busy_timeout(10000)"
}

// sqliteSnapshot copies the live database into dst with VACUUM INTO: a transactionally
// consistent, defragmented copy taken through SQLite itself, safe beside the server's writer.
func sqliteSnapshot(ctx context.Context, live, dst string) error {
	if _, err := os.Stat(live); err != nil {
		return fmt.Errorf("database %s: %w", live, err)
	}
	db, err := sql.Open("sqlite", sqliteDSN(live))
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dst); err != nil {
		return fmt.Errorf("snapshot %s: %w", live, err)
	}
	return nil
}

// sqliteCounts counts the rows of every table of the SQLite file at path.
func sqliteCounts(ctx context.Context, path string) (map[string]int64, int64, error) {
	db, err := sql.Open("sqlite", sqliteDSN(path))
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		return nil, 0, fmt.Errorf("%w: %s fails the integrity check: %v %s", ErrDamaged, path, err, ok)
	}
	tables, err := names(ctx, db, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, 0, err
	}
	counts, err := countTables(ctx, db, tables, func(t string) string { return `"` + strings.ReplaceAll(t, `"`, `""`) + `"` })
	if err != nil {
		return nil, 0, err
	}
	v, err := schemaVersion(ctx, db)
	return counts, v, err
}

type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

func names(ctx context.Context, db queryer, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

func countTables(ctx context.Context, db queryer, tables []string, quote func(string) string) (map[string]int64, error) {
	out := make(map[string]int64, len(tables))
	for _, t := range tables {
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+quote(t)).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t, err)
		}
		out[t] = n
	}
	return out, nil
}

func schemaVersion(ctx context.Context, db queryer) (int64, error) {
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version_id) FROM goose_db_version WHERE is_applied`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v.Int64, nil
}

const pgTablesQuery = `SELECT table_name FROM information_schema.tables
	WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`

func pgQuote(t string) string { return pgx.Identifier{t}.Sanitize() }

// pgDump runs pg_dump in the custom format on a snapshot exported by a repeatable-read
// transaction, in which it also counts every table's rows.
func pgDump(ctx context.Context, opt Options, dst string) (map[string]int64, int64, error) {
	db, err := sql.Open("pgx", opt.DatabaseURL)
	if err != nil {
		return nil, 0, err
	}
	defer db.Close()
	if err := checkReadsEveryRow(ctx, db); err != nil {
		return nil, 0, err
	}
	tx, err := db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	var snapshot string
	if err := tx.QueryRowContext(ctx, "SELECT pg_export_snapshot()").Scan(&snapshot); err != nil {
		return nil, 0, fmt.Errorf("export snapshot: %w", err)
	}
	tables, err := names(ctx, tx, pgTablesQuery)
	if err != nil {
		return nil, 0, err
	}
	counts, err := countTables(ctx, tx, tables, pgQuote)
	if err != nil {
		return nil, 0, err
	}
	version, err := schemaVersion(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	bin := opt.PgDump
	if bin == "" {
		bin = "pg_dump"
	}
	cmd := exec.CommandContext(ctx, bin, "--format=custom", "--snapshot="+snapshot, "--file="+dst, "--dbname="+libpqURL(opt.DatabaseURL))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, 0, fmt.Errorf("pg_dump: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return counts, version, nil
}

// checkReadsEveryRow refuses a role that row-level security would bind: its dump would
// silently miss every tenant's rows (pg_dump stops with an error, but the reason is obscure).
func checkReadsEveryRow(ctx context.Context, db queryer) error {
	var ok bool
	var role string
	if err := db.QueryRowContext(ctx, `SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user`).Scan(&role, &ok); err != nil {
		return fmt.Errorf("check the backup role: %w", err)
	}
	if !ok {
		return fmt.Errorf("role %s cannot read every tenant's rows (FORCE ROW LEVEL SECURITY binds even the owner): set CRM_BACKUP_DATABASE_URL to a role with BYPASSRLS, e.g. CREATE ROLE crm_backup LOGIN BYPASSRLS; GRANT pg_read_all_data TO crm_backup", role)
	}
	return nil
}

// libpqURL drops the query parameters libpq does not know (pgx pool settings) from a URL.
func libpqURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") || k == "default_query_exec_mode" || k == "statement_cache_capacity" {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// WithDatabase is rawURL naming database name instead.
func WithDatabase(rawURL, name string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// DatabaseName is the database a PostgreSQL URL names.
func DatabaseName(rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		return "", fmt.Errorf("the database URL names no database")
	}
	return name, nil
}

// PostgresTarget is the new, empty PostgreSQL database a restore fills.
type PostgresTarget struct {
	// OwnerURL connects as the role that will own the restored tables (the migration role).
	OwnerURL string
	// AppURL is the app role, granted its privileges after the restore; empty: none.
	AppURL string
	// ReadURL counts the restored rows: a role that row-level security does not bind (the
	// backup role), connected to the new database.
	ReadURL string
	// PgRestore is the pg_restore executable; empty: pg_restore from PATH.
	PgRestore string
}

// RestorePostgres restores the extracted dump into the empty database t names, brings its
// schema up to date and grants the app role, then compares every table's row count with the
// manifest. The live database is not touched; switching to the new one is the caller's step.
func RestorePostgres(ctx context.Context, ex *Extracted, t PostgresTarget) error {
	if ex.Manifest.Dialect != store.Postgres {
		return fmt.Errorf("the archive holds a %s database, not PostgreSQL", ex.Manifest.Dialect)
	}
	if err := refuseNonEmpty(ctx, t.OwnerURL); err != nil {
		return err
	}
	bin := t.PgRestore
	if bin == "" {
		bin = "pg_restore"
	}
	// --no-owner/--no-acl: the new database's owner role owns everything, and the app role's
	// grants come from the migration step below, as on a fresh install. One transaction: a
	// failure leaves the new database empty rather than half-restored.
	cmd := exec.CommandContext(ctx, bin, "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
		"--dbname="+libpqURL(t.OwnerURL), ex.DatabasePath())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pg_restore: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if err := store.Migrate(ctx, t.OwnerURL, t.AppURL, nil, jobs.Migrate); err != nil {
		return fmt.Errorf("migrate the restored database: %w", err)
	}
	got, err := CountPostgres(ctx, t.ReadURL)
	if err != nil {
		return err
	}
	return CompareCounts(ex.Manifest.Tables, got)
}

func refuseNonEmpty(ctx context.Context, ownerURL string) error {
	db, err := sql.Open("pgx", ownerURL)
	if err != nil {
		return err
	}
	defer db.Close()
	tables, err := names(ctx, db, pgTablesQuery)
	if err != nil {
		return fmt.Errorf("connect to the restore target: %w", err)
	}
	if len(tables) > 0 {
		return fmt.Errorf("the restore target database is not empty (%d tables): restore into a new database", len(tables))
	}
	return nil
}

// CountPostgres counts every table's rows through readURL (a role RLS does not bind).
func CountPostgres(ctx context.Context, readURL string) (map[string]int64, error) {
	db, err := sql.Open("pgx", readURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := checkReadsEveryRow(ctx, db); err != nil {
		return nil, err
	}
	tables, err := names(ctx, db, pgTablesQuery)
	if err != nil {
		return nil, err
	}
	return countTables(ctx, db, tables, pgQuote)
}

// CompareCounts fails when a table of want is missing from got or has another row count.
// Tables only got has (added by a newer migration run after the restore) must be empty.
func CompareCounts(want, got map[string]int64) error {
	var diffs []string
	for t, n := range want {
		g, ok := got[t]
		switch {
		case !ok:
			diffs = append(diffs, t+": missing")
		case g != n:
			diffs = append(diffs, fmt.Sprintf("%s: %d rows, want %d", t, g, n))
		}
	}
	for t, g := range got {
		if _, ok := want[t]; !ok && g != 0 {
			diffs = append(diffs, fmt.Sprintf("%s: %d rows in a table the backup does not have", t, g))
		}
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return fmt.Errorf("restored row counts differ from the backup's: %s", strings.Join(diffs, "; "))
	}
	return nil
}

// RestoreSQLite writes the extracted database to path, which must not exist, and checks its
// integrity and row counts against the manifest. The file is written as path.restoring and
// renamed only once it passed, so path never holds a partial database.
func RestoreSQLite(ctx context.Context, ex *Extracted, path string) error {
	if ex.Manifest.Dialect != store.SQLite {
		return fmt.Errorf("the archive holds a %s database, not SQLite", ex.Manifest.Dialect)
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists: restore beside it and switch (crm restore does both)", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".restoring"
	_ = os.Remove(tmp)
	if err := copyFile(ex.DatabasePath(), tmp, 0o600); err != nil {
		return err
	}
	got, _, err := sqliteCounts(ctx, tmp)
	if err == nil {
		err = CompareCounts(ex.Manifest.Tables, got)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// SwitchSQLite puts the restored file in place of the live one: the live file and its WAL
// and shared-memory files move aside to live.pre-restore-<time> (kept, to roll back by
// renaming them back), then the restored file is renamed to live. The server must be stopped:
// a running one keeps writing to the moved file. It returns the path the old file moved to.
func SwitchSQLite(ctx context.Context, live, restored string, now time.Time) (string, error) {
	aside := live + ".pre-restore-" + now.UTC().Format("20060102T150405Z")
	if _, err := os.Stat(live); err == nil {
		// Fold the WAL into the main file first, so the moved-aside copy is complete on its own.
		if db, err := sql.Open("sqlite", sqliteDSN(live)); err == nil {
			_, _ = db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
			db.Close()
		}
		for _, suffix := range []string{"-wal", "-shm"} {
			if err := os.Rename(live+suffix, aside+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", err
			}
		}
		if err := os.Rename(live, aside); err != nil {
			return "", err
		}
	} else {
		aside = ""
	}
	if err := os.Rename(restored, live); err != nil {
		return aside, err
	}
	return aside, nil
}

// RestoreFiles writes the archive's files into the folders roots names (root name → folder),
// each file beside its target and then renamed over it. It returns how many it wrote.
func RestoreFiles(ex *Extracted, roots map[string]string) (int, error) { return ex.restoreFiles(roots) }

// VerifyFiles restores the archive's files into scratch and checks each one's SHA-256 against
// the manifest again, read back from disk.
func VerifyFiles(ex *Extracted, scratch string) error {
	roots := map[string]string{}
	for _, r := range ex.Manifest.FileRoots {
		roots[r] = filepath.Join(scratch, r)
	}
	if _, err := ex.restoreFiles(roots); err != nil {
		return err
	}
	for _, m := range ex.Manifest.Members {
		rest, ok := strings.CutPrefix(m.Name, filesPrefix)
		if !ok {
			continue
		}
		sum, size, err := fileSHA256(filepath.Join(scratch, filepath.FromSlash(rest)))
		if err != nil {
			return err
		}
		if sum != m.SHA256 || size != m.Size {
			return fmt.Errorf("%w: restored %s differs from the manifest", ErrDamaged, m.Name)
		}
	}
	return nil
}

// ScratchSQLite restores the archive's SQLite database into a scratch file, checking it the
// way RestoreSQLite does; the drill behind crm backup verify.
func ScratchSQLite(ctx context.Context, ex *Extracted, scratch string) error {
	return RestoreSQLite(ctx, ex, filepath.Join(scratch, "verify.db"))
}

// CreateDatabase creates database name through connURL (a role with CREATEDB, connected to
// any database of the server) owned by that role.
func CreateDatabase(ctx context.Context, connURL, name string) error {
	db, err := sql.Open("pgx", connURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+pgQuote(name)); err != nil {
		return fmt.Errorf("create database %s (the role needs CREATEDB, or create it first and pass --to): %w", name, err)
	}
	return nil
}

// DropDatabase drops database name through connURL (a scratch database of a drill).
func DropDatabase(ctx context.Context, connURL, name string) error {
	db, err := sql.Open("pgx", connURL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pgQuote(name)+" WITH (FORCE)")
	return err
}
