package store

import (
	"errors"
	"reflect"

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

// tenantColumn is the column every tenant-owned table has; a model is tenant-owned when its
// schema has a field mapped to it.
const tenantColumn = "tenant_id"

func registerTenantScope(db *gorm.DB) error {
	cb := db.Callback()
	steps := []error{
		cb.Create().Before("gorm:create").Register("crm:tenant_create", scopeCreate),
		cb.Query().Before("gorm:query").Register("crm:tenant_query", scopeWhere),
		cb.Update().Before("gorm:update").Register("crm:tenant_update", scopeUpdate),
		cb.Delete().Before("gorm:delete").Register("crm:tenant_delete", scopeWhere),
		cb.Row().Before("gorm:row").Register("crm:tenant_row", scopeWhere),
	}
	return errors.Join(steps...)
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
