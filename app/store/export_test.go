package store

import (
	"context"
	"io/fs"

	"github.com/pressly/goose/v3"
)

// ApplyMigration applies (up) or rolls back one migration as the owner at ownerURL, so a test
// can replay a data migration on a database whose tenants it shaped first.
func ApplyMigration(ctx context.Context, ownerURL string, version int64, up bool) error {
	db, err := Open(ctx, ownerURL, Options{MaxOpenConns: 1})
	if err != nil {
		return err
	}
	defer db.Close()
	dir, dialect := "migrations/sqlite", goose.DialectSQLite3
	if db.Dialect == Postgres {
		dir, dialect = "migrations/postgres", goose.DialectPostgres
	}
	sub, err := fs.Sub(migrations, dir)
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(dialect, db.SQL(), sub)
	if err != nil {
		return err
	}
	_, err = p.ApplyVersion(ctx, version, up)
	return err
}
