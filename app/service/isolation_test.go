package service_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/app/tenantctx"
)

// On PostgreSQL a deliberately unscoped raw query of the service tables, inside tenant A's
// transaction, sees A's rows and none of B's: row-level security stops it, not the callbacks.
func TestServiceTablesUnderRLS(t *testing.T) {
	storetest.RequireDialect(t, store.Postgres)
	env := apitest.New(t, store.Postgres)
	var teams []*team
	for range 2 {
		tm := newTeam(t, env)
		w := tm.to(t, tm.register(t, nil), "accepted")
		tm.tech.MustDo(t, "POST", woURL(w, "/remote-applications"), application(nil), 201, nil)
		w = tm.to(t, tm.register(t, nil), "completed")
		tm.tech.MustDo(t, "POST", woURL(w, "/records"), record(map[string]any{
			"parts": []map[string]any{{"product_id": tm.product, "quantity": 1}}, "costs": []map[string]any{{"kind": "travel", "amount": cny("1")}}}), 201, nil)
		tm.link(t, w)
		teams = append(teams, tm)
	}
	a, b := teams[0].co, teams[1].co
	admin := storetest.AdminDB(t)
	ctx := context.Background()
	for _, table := range []string{"work_orders", "work_order_history", "work_order_records", "work_order_parts", "work_order_costs",
		"public_links", "remote_applications", "work_order_sequences"} {
		var truthA, truthB int64
		if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE tenant_id = $1", a.ID).Scan(&truthA); err != nil {
			t.Fatal(err)
		}
		if err := admin.QueryRowContext(ctx, "SELECT count(*) FROM "+table+" WHERE tenant_id = $1", b.ID).Scan(&truthB); err != nil {
			t.Fatal(err)
		}
		if truthA == 0 || truthB == 0 {
			t.Fatalf("%s: A has %d rows, B %d; both need some", table, truthA, truthB)
		}
		var all, ofB int64
		err := env.DB.Tx(tenantctx.WithTenant(ctx, a.ID), func(tx *gorm.DB) error {
			if err := tx.Raw("SELECT count(*) FROM " + table).Scan(&all).Error; err != nil {
				return err
			}
			return tx.Raw("SELECT count(*) FROM "+table+" WHERE tenant_id = ?", b.ID).Scan(&ofB).Error
		})
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if all != truthA || ofB != 0 {
			t.Errorf("%s in A's transaction: %d rows (A has %d), %d of B's", table, all, truthA, ofB)
		}
	}
}
