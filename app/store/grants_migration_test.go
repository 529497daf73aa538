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

// grantBackfills are the migrations that give tenants which signed up before them the default
// grants policies/default_policy.csv gained with an area, each with a request that the grant
// decides (role, path).
var grantBackfills = []struct {
	version    int64
	grants     [][3]string
	role, path string
}{
	{15, [][3]string{
		{"general_manager", "incident", "*"}, {"vice_president", "incident", "*"}, {"service_manager", "incident", "*"},
		{"customer_service", "incident", "create"}, {"customer_service", "incident", "read"}, {"customer_service", "workorder", "update"},
		{"salesperson", "incident", "read"},
	}, "customer_service", "/api/v1/incidents"},
	{16, [][3]string{
		{"general_manager", "return_note", "read"}, {"vice_president", "return_note", "read"}, {"service_manager", "return_note", "read"},
		{"customer_service", "return_note", "read"}, {"finance", "complaint", "read"}, {"finance", "return_note", "read"},
		{"finance", "return_note", "approve"}, {"warehouse", "complaint", "read"}, {"warehouse", "return_note", "read"},
		{"warehouse", "return_note", "update"},
	}, "warehouse", "/api/v1/complaints"},
	{17, [][3]string{
		{"sales_manager", "risk", "*"}, {"salesperson", "risk", "read"}, {"salesperson", "risk", "create"}, {"salesperson", "risk", "update"},
	}, "salesperson", "/api/v1/risk/warnings"},
	{18, [][3]string{{"general_manager", "webhook", "read"}}, "general_manager", "/api/v1/webhooks"},
}

// A tenant that signed up before an area's grants existed gains them from the area's
// migration, and the role may then do what the grant allows; a tenant that had them keeps one
// copy of each; a grant the migration does not backfill, which the old tenant had removed (its
// own choice), stays removed.
func TestMigrationsBackfillDefaultGrants(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			// Tenant state is not cached: policy changes apply to the next request.
			env := apitest.NewWithOptions(t, dialect, server.Options{LoginRateLimit: 1 << 20, LoginAccountRateLimit: 1 << 20, TenantStateTTL: -1})
			owner := storetest.OwnerURL(t, dialect)
			for _, m := range grantBackfills {
				old, current := env.Signup(t), env.Signup(t)
				user := old.AddUser(t, m.role)
				ctx := tenantctx.WithTenant(context.Background(), old.ID)
				if err := env.DB.Tx(ctx, func(tx *gorm.DB) error {
					for _, g := range m.grants {
						if err := tx.Exec("DELETE FROM casbin_rule WHERE ptype = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?", g[0], old.ID.String(), g[1], g[2]).Error; err != nil {
							return err
						}
					}
					if err := tx.Exec("DELETE FROM casbin_rule WHERE ptype = 'p' AND v0 = 'salesperson' AND v1 = ? AND v2 = 'quote' AND v3 = 'update'", old.ID.String()).Error; err != nil {
						return err
					}
					return store.BumpTenantVersion(tx, old.ID, "policy_version")
				}); err != nil {
					t.Fatal(err)
				}
				user.MustDo(t, "GET", m.path, nil, 403, nil)

				if err := store.ApplyMigration(context.Background(), owner, m.version, false); err != nil {
					t.Fatalf("%d down: %v", m.version, err)
				}
				if err := store.ApplyMigration(context.Background(), owner, m.version, true); err != nil {
					t.Fatalf("%d up: %v", m.version, err)
				}
				// Down and up made the area's tables anew: the app role gets its grants on them
				// as at every start-up's migration.
				if err := store.Migrate(context.Background(), owner, env.DB.URL, slog.Default()); err != nil {
					t.Fatalf("migrate: %v", err)
				}
				for _, co := range []*apitest.Company{old, current} {
					for _, g := range m.grants {
						if n := env.CountRows(t, "casbin_rule", "ptype = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?", g[0], co.ID.String(), g[1], g[2]); n != 1 {
							t.Errorf("%d, %s: %d rules %v, want 1", m.version, co.Slug, n, g)
						}
					}
				}
				if n := env.CountRows(t, "casbin_rule", "ptype = 'p' AND v0 = 'salesperson' AND v1 = ? AND v2 = 'quote' AND v3 = 'update'", old.ID.String()); n != 0 {
					t.Errorf("%d gave back a grant it does not backfill", m.version)
				}
				user.MustDo(t, "GET", m.path, nil, 200, nil)
			}
		})
	}
}
