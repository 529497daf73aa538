package server_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/app/tenantctx"
)

// isolatedTables are tenant tables a forgotten scope would leak from.
var isolatedTables = []string{"users", "casbin_rule", "audit_log", "departments", "roles", "sessions", "api_tokens"}

// On PostgreSQL, a deliberately unscoped raw query through the app's own connection, inside
// tenant A's transaction, sees A's rows and none of B's: row-level security, not the GORM
// callbacks, stops it.
func TestUnscopedQueriesSeeOneTenant(t *testing.T) {
	storetest.RequireDialect(t, store.Postgres)
	env := apitest.New(t, store.Postgres)
	a := env.Signup(t)
	b := env.Signup(t)
	a.AddUser(t, "salesperson")
	b.AddUser(t, "salesperson")
	b.AddUser(t, "finance")
	admin := storetest.AdminDB(t)
	ctx := context.Background()
	if unsafe, advice, err := env.DB.RoleCheck(ctx); err != nil || len(unsafe) != 0 || len(advice) != 0 {
		t.Fatalf("the app role could bypass RLS: %v %v %v", unsafe, advice, err)
	}

	truth := func(table string, tenant uuid.UUID) int64 {
		t.Helper()
		var n int64
		if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE tenant_id = $1", tenant).Scan(&n); err != nil {
			t.Fatalf("admin count %s: %v", table, err)
		}
		return n
	}
	actx := tenantctx.WithTenant(ctx, a.ID)
	for _, table := range isolatedTables {
		wantA, haveB := truth(table, a.ID), truth(table, b.ID)
		if wantA == 0 || haveB == 0 {
			t.Fatalf("%s: tenant A has %d rows, B %d; both need some for the test to mean anything", table, wantA, haveB)
		}
		var all, ofB int64
		var tenantsSeen []uuid.UUID
		err := env.DB.Tx(actx, func(tx *gorm.DB) error {
			if err := tx.Raw("SELECT count(*) FROM " + table).Scan(&all).Error; err != nil {
				return err
			}
			if err := tx.Raw("SELECT count(*) FROM "+table+" WHERE tenant_id = ?", b.ID).Scan(&ofB).Error; err != nil {
				return err
			}
			return tx.Raw("SELECT DISTINCT tenant_id FROM " + table).Scan(&tenantsSeen).Error
		})
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if all != wantA || ofB != 0 || len(tenantsSeen) != 1 || tenantsSeen[0] != a.ID {
			t.Errorf("%s in A's transaction: %d rows (A has %d), %d of B's, tenants %v", table, all, wantA, ofB, tenantsSeen)
		}
		// No tenant set, or outside a transaction: nothing at all.
		var none, outside int64
		if err := env.DB.Tx(ctx, func(tx *gorm.DB) error { return tx.Raw("SELECT count(*) FROM " + table).Scan(&none).Error }); err != nil {
			t.Fatal(err)
		}
		if err := env.DB.SQL().QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&outside); err != nil {
			t.Fatal(err)
		}
		if none != 0 || outside != 0 {
			t.Errorf("%s without a tenant: %d rows in a transaction, %d outside", table, none, outside)
		}
	}

	// Writes cannot reach B either: updates and deletes match nothing, inserts are refused.
	var updated, deleted int64
	err := env.DB.Tx(actx, func(tx *gorm.DB) error {
		res := tx.Exec("UPDATE users SET name = 'pwned' WHERE tenant_id = ?", b.ID)
		if res.Error != nil {
			return res.Error
		}
		updated = res.RowsAffected
		res = tx.Exec("DELETE FROM audit_log WHERE tenant_id = ?", b.ID)
		deleted = res.RowsAffected
		return res.Error
	})
	if err != nil || updated != 0 || deleted != 0 {
		t.Errorf("writes across tenants: err %v, %d updated, %d deleted", err, updated, deleted)
	}
	err = env.DB.Tx(actx, func(tx *gorm.DB) error {
		return tx.Exec(`INSERT INTO roles (tenant_id, key, name, data_scope, builtin, created_at, updated_at, version)
			VALUES (?, 'planted', 'x', 'all', false, now(), now(), 1)`, b.ID).Error
	})
	if err == nil {
		t.Error("inserting a row for tenant B from A's transaction succeeded")
	}
	var planted int64
	if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM roles WHERE key = 'planted'").Scan(&planted); err != nil || planted != 0 {
		t.Errorf("planted role rows: %d (%v)", planted, err)
	}
	var pwned int64
	if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE name = 'pwned'").Scan(&pwned); err != nil || pwned != 0 {
		t.Errorf("B's users renamed: %d (%v)", pwned, err)
	}
}
