package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/schema"

	"github.com/smecrm/crm/app/tenantctx"
)

// ErrNoTenant is returned for a statement on a tenant-owned model whose context has no tenant:
// such a statement would otherwise run unscoped across all tenants.
var ErrNoTenant = errors.New("store: statement on a tenant-owned table without a tenant in the context")

// ErrCrossTenant is returned when a record carrying one tenant's ID is written in another
// tenant's context.
var ErrCrossTenant = errors.New("store: record belongs to another tenant")

// ErrUnscopedTenantTable is returned for a statement through a model that maps a tenant-owned
// table but has no tenant_id field: the callbacks could not scope it, so on SQLite (no RLS) it
// would read or write every tenant's rows. Such a model is a bug; it fails loudly instead.
var ErrUnscopedTenantTable = errors.New("store: model maps a tenant-owned table without a tenant_id field")

// tenantColumn is the column every tenant-owned table has; a model is tenant-owned when its
// schema has a field mapped to it.
const tenantColumn = "tenant_id"

// unscopedByDesign are tenant-owned tables read through a model without a tenant_id field on
// purpose: casbin_rule's tenant_id is generated from the policy's domain column, which
// gorm-adapter's filtered load names itself (and RLS checks on PostgreSQL).
var unscopedByDesign = map[string]bool{"casbin_rule": true}

func registerTenantScope(db *gorm.DB, tables *tenantTables) error {
	cb := db.Callback()
	refuse := func(db *gorm.DB) { refuseUnscoped(db, tables) }
	steps := []error{
		cb.Create().Before("gorm:create").Register("crm:tenant_create", scopeCreate),
		cb.Query().Before("gorm:query").Register("crm:tenant_query", scopeWhere),
		cb.Update().Before("gorm:update").Register("crm:tenant_update", scopeUpdate),
		cb.Delete().Before("gorm:delete").Register("crm:tenant_delete", scopeWhere),
		cb.Row().Before("gorm:row").Register("crm:tenant_row", scopeWhere),
		cb.Create().Before("crm:tenant_create").Register("crm:tenant_table_create", refuse),
		cb.Query().Before("crm:tenant_query").Register("crm:tenant_table_query", refuse),
		cb.Update().Before("crm:tenant_update").Register("crm:tenant_table_update", refuse),
		cb.Delete().Before("crm:tenant_delete").Register("crm:tenant_table_delete", refuse),
		cb.Row().Before("crm:tenant_row").Register("crm:tenant_table_row", refuse),
	}
	return errors.Join(steps...)
}

// tenantTables is the set of tables that have a tenant_id column, read from the database's
// catalogue after migrations (so a new migration needs no list to be kept in step).
type tenantTables struct {
	mu     sync.RWMutex
	tables map[string]bool
}

func (t *tenantTables) has(table string) bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.tables[table]
}

func (t *tenantTables) set(tables map[string]bool) {
	t.mu.Lock()
	t.tables = tables
	t.mu.Unlock()
}

// loadTenantTables reads which tables have a tenant_id column (generated columns included:
// SQLite's table_xinfo lists them, table_info does not).
func loadTenantTables(ctx context.Context, db *sql.DB, dialect string) (map[string]bool, error) {
	q := `SELECT m.name FROM sqlite_master m JOIN pragma_table_xinfo(m.name) c
		WHERE m.type = 'table' AND c.name = 'tenant_id'`
	if dialect == Postgres {
		q = `SELECT table_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND column_name = 'tenant_id'`
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read tenant-owned tables: %w", err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out[name] = true
	}
	return out, rows.Err()
}

// refuseUnscoped fails a statement whose model maps a tenant-owned table without a tenant_id
// field. Raw SQL and Table("…") statements have no schema and are not checked (their authors
// name the tenant; RLS still guards PostgreSQL).
func refuseUnscoped(db *gorm.DB, tables *tenantTables) {
	stmt := db.Statement
	if db.Error != nil || stmt.Schema == nil || tenantField(stmt) != nil {
		return
	}
	table := stmt.Table
	if table == "" {
		table = stmt.Schema.Table
	}
	if tables.has(table) && !unscopedByDesign[table] {
		_ = db.AddError(fmt.Errorf("%w: %s maps %s", ErrUnscopedTenantTable, stmt.Schema.Name, table))
	}
}

func tenantField(stmt *gorm.Statement) *schema.Field {
	if stmt.Schema == nil {
		return nil
	}
	return stmt.Schema.LookUpField(tenantColumn)
}

func tenantOf(db *gorm.DB) (uuid.UUID, bool) {
	return tenantctx.TenantID(db.Statement.Context)
}

// scopeWhere adds tenant_id = <context tenant> to queries, deletes and row scans.
func scopeWhere(db *gorm.DB) {
	if db.Error != nil || tenantField(db.Statement) == nil {
		return
	}
	tid, ok := tenantOf(db)
	if !ok {
		_ = db.AddError(ErrNoTenant)
		return
	}
	db.Statement.AddClause(clause.Where{Exprs: []clause.Expression{
		clause.Eq{Column: clause.Column{Table: clause.CurrentTable, Name: tenantColumn}, Value: tid},
	}})
}

// scopeUpdate scopes updates like queries and keeps tenant_id out of the SET list, so no update
// (Save included) can move a record to another tenant.
func scopeUpdate(db *gorm.DB) {
	if db.Error != nil || tenantField(db.Statement) == nil {
		return
	}
	scopeWhere(db)
	db.Statement.Omits = append(db.Statement.Omits, tenantColumn)
}

// scopeCreate stamps the context tenant on every new record. A record that already names a
// different tenant is refused: with Save's upsert this is what stops a write across tenants.
func scopeCreate(db *gorm.DB) {
	f := tenantField(db.Statement)
	if db.Error != nil || f == nil {
		return
	}
	tid, ok := tenantOf(db)
	if !ok {
		_ = db.AddError(ErrNoTenant)
		return
	}
	ctx := db.Statement.Context
	rv := db.Statement.ReflectValue
	set := func(v reflect.Value) {
		cur, zero := f.ValueOf(ctx, v)
		if !zero {
			if id, ok := cur.(uuid.UUID); ok && id != tid {
				_ = db.AddError(ErrCrossTenant)
				return
			}
		}
		if err := f.Set(ctx, v, tid); err != nil {
			_ = db.AddError(err)
		}
	}
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			set(reflect.Indirect(rv.Index(i)))
		}
	case reflect.Struct:
		set(rv)
	case reflect.Map:
		// Creating from a map bypasses the model's fields; refuse rather than guess.
		_ = db.AddError(errors.New("store: create tenant-owned records from structs, not maps"))
	}
}
