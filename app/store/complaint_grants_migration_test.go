package store_test

import (
	"context"
	"log/slog"
	"testing"

	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/app/tenantctx"
)

// backfilled are the default grants migration 00016 gives tenants that signed up before
// complaints came.
var complaintGrants = [][3]string{
	{"general_manager", "return_note", "read"}, {"vice_president", "return_note", "read"}, {"service_manager", "return_note", "read"},
	{"customer_service", "return_note", "read"}, {"finance", "complaint", "read"}, {"finance", "return_note", "read"},
	{"finance", "return_note", "approve"}, {"warehouse", "complaint", "read"}, {"warehouse", "return_note", "read"},
	{"warehouse", "return_note", "update"},
}

// A tenant that signed up before the complaint grants existed gains them from migration 00016
// (its warehouse may then read complaints); a tenant that had them keeps one copy of each.
func TestMigrationBackfillsComplaintGrants(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			env := apitest.NewWithOptions(t, dialect, server.Options{LoginRateLimit: 1 << 20, LoginAccountRateLimit: 1 << 20, TenantStateTTL: -1})
			old, current := env.Signup(t), env.Signup(t)
			wh := old.AddUser(t, "warehouse")
			ctx := tenantctx.WithTenant(context.Background(), old.ID)
			if err := env.DB.Tx(ctx, func(tx *gorm.DB) error {
				for _, g := range complaintGrants {
					if err := tx.Exec("DELETE FROM casbin_rule WHERE ptype = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?", g[0], old.ID.String(), g[1], g[2]).Error; err != nil {
						return err
					}
				}
				return store.BumpTenantVersion(tx, old.ID, "policy_version")
			}); err != nil {
				t.Fatal(err)
			}
			wh.MustDo(t, "GET", "/api/v1/complaints", nil, 403, nil)

			owner := storetest.OwnerURL(t, dialect)
			if err := store.ApplyMigration(context.Background(), owner, 16, false); err != nil {
				t.Fatalf("down: %v", err)
			}
			if err := store.ApplyMigration(context.Background(), owner, 16, true); err != nil {
				t.Fatalf("up: %v", err)
			}
			// Down and up made the complaint tables anew: the app role gets its grants on them
			// as at every start-up's migration.
			if err := store.Migrate(context.Background(), owner, env.DB.URL, slog.Default()); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			for _, co := range []*apitest.Company{old, current} {
				for _, g := range complaintGrants {
					if n := env.CountRows(t, "casbin_rule", "ptype = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?", g[0], co.ID.String(), g[1], g[2]); n != 1 {
						t.Errorf("%s: %d rules %v, want 1", co.Slug, n, g)
					}
				}
			}
			wh.MustDo(t, "GET", "/api/v1/complaints", nil, 200, nil)
		})
	}
}
