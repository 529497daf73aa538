package store_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/app/tenantctx"
)

// backfilled are the default grants migration 00015 gives tenants that signed up before
// policies/default_policy.csv had them.
var backfilled = [][3]string{
	{"general_manager", "incident", "*"}, {"vice_president", "incident", "*"}, {"service_manager", "incident", "*"},
	{"customer_service", "incident", "create"}, {"customer_service", "incident", "read"}, {"customer_service", "workorder", "update"},
	{"salesperson", "incident", "read"},
}

// A tenant that signed up before the incident grants existed gains them from migration 00015
// and its customer service may then read incidents; a tenant that had them keeps one copy of
// each; a grant the migration does not backfill stays removed.
func TestMigrationBackfillsDefaultGrants(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			// Tenant state is not cached: policy changes apply to the next request.
			env := apitest.NewWithOptions(t, dialect, server.Options{LoginRateLimit: 1 << 20, LoginAccountRateLimit: 1 << 20, TenantStateTTL: -1})
			old, current := env.Signup(t), env.Signup(t)
			cs := old.AddUser(t, "customer_service")
			ctx := tenantctx.WithTenant(context.Background(), old.ID)
			// The old tenant as it was: without the grants, and (its own choice, which the
			// migration must respect) without the salesperson's quote:update.
			if err := env.DB.Tx(ctx, func(tx *gorm.DB) error {
				for _, g := range backfilled {
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
			if n := env.CountRows(t, "casbin_rule", "ptype = 'p' AND v1 = ? AND v2 = 'incident'", old.ID.String()); n != 0 {
				t.Fatalf("the old tenant still has %d incident grants", n)
			}
			cs.MustDo(t, "GET", "/api/v1/incidents", nil, 403, nil)

			owner := storetest.OwnerURL(t, dialect)
			if err := store.ApplyMigration(context.Background(), owner, 15, false); err != nil {
				t.Fatalf("down: %v", err)
			}
			if err := store.ApplyMigration(context.Background(), owner, 15, true); err != nil {
				t.Fatalf("up: %v", err)
			}

			for _, co := range []*apitest.Company{old, current} {
				for _, g := range backfilled {
					if n := env.CountRows(t, "casbin_rule", "ptype = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?", g[0], co.ID.String(), g[1], g[2]); n != 1 {
						t.Errorf("%s: %d rules %v, want 1", co.Slug, n, g)
					}
				}
			}
			if n := env.CountRows(t, "casbin_rule", "ptype = 'p' AND v0 = 'salesperson' AND v1 = ? AND v2 = 'quote' AND v3 = 'update'", old.ID.String()); n != 0 {
				t.Errorf("the migration gave back a grant it does not backfill")
			}
			cs.MustDo(t, "GET", "/api/v1/incidents", nil, 200, nil)
		})
	}
}
