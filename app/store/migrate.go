package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/pressly/goose/v3"
)

//go:embed migrations
var migrations embed.FS

// Migrate brings the schema up to date. ownerURL is the role that owns the tables
// (CRM_MIGRATE_DATABASE_URL); appURL the role the server connects as (CRM_DATABASE_URL). On
// PostgreSQL, when the two roles differ, the app role is created if missing — without
// superuser, BYPASSRLS or ownership — and granted exactly what it needs.
//
// extra steps (such as the job queue's own migrations) run after the schema's, as the owner,
// before the grants.
func Migrate(ctx context.Context, ownerURL, appURL string, log *slog.Logger, extra ...func(context.Context, *DB) error) error {
	db, err := Open(ctx, ownerURL, Options{MaxOpenConns: 1})
	if err != nil {
		return err
	}
	defer db.Close()
	dir := "migrations/sqlite"
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, db.SQL(), sub)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, r := range results {
		if log != nil {
			log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration.String())
		}
	}
	if err := db.RefreshTenantTables(ctx); err != nil {
		return err
	}
	for _, step := range extra {
		if err := step(ctx, db); err != nil {
			return err
		}
	}
	if db.Dialect == Postgres && appURL != "" && appURL != ownerURL {
		return grantAppRole(ctx, db, appURL)
	}
	return nil
}

// grantAppRole makes sure the app role exists and may use (not own) every table.
func grantAppRole(ctx context.Context, db *DB, appURL string) error {
	u, err := url.Parse(appURL)
	if err != nil || u.User == nil || u.User.Username() == "" {
		return fmt.Errorf("CRM_DATABASE_URL must name the app role: %q", redact(appURL))
	}
	role := u.User.Username()
	pw, hasPW := u.User.Password()
	create := "CREATE ROLE " + pgx.Identifier{role}.Sanitize() + " LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
	if hasPW {
		create += " PASSWORD " + quoteLiteral(pw)
	}
	schema := "public"
	// Roles are cluster-wide: two databases migrating at once may race to create it.
	stmts := []string{
		`DO $$ BEGIN
		   IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ` + quoteLiteral(role) + `) THEN
		     ` + create + `;
		   END IF;
		 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
		 END $$`,
		fmt.Sprintf("GRANT USAGE ON SCHEMA %s TO %s", schema, pgx.Identifier{role}.Sanitize()),
		fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s TO %s", schema, pgx.Identifier{role}.Sanitize()),
		fmt.Sprintf("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %s TO %s", schema, pgx.Identifier{role}.Sanitize()),
		fmt.Sprintf("REVOKE ALL ON TABLE goose_db_version FROM %s", pgx.Identifier{role}.Sanitize()),
	}
	for _, s := range stmts {
		if _, err := db.SQL().ExecContext(ctx, s); err != nil {
			return fmt.Errorf("grant app role %s: %w", role, err)
		}
	}
	return nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
