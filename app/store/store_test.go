package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/app/tenantctx"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// tenant and user map the real platform_core tables; the store needs no registration, a
// model is tenant-owned because it has a tenant_id column.
type tenant struct {
	ID        uuid.UUID `gorm:"primaryKey"`
	Slug      string
	Name      string
	Status    string
	Plan      string
	Settings  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (tenant) TableName() string { return "tenants" }

type user struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	Email        string
	Name         string
	PasswordHash string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (user) TableName() string { return "users" }

// shadowUser maps the tenant-owned users table without a tenant_id field: the scope callbacks
// could not confine it, so the store must refuse it rather than read every tenant's users.
type shadowUser struct {
	ID    uuid.UUID `gorm:"primaryKey"`
	Email string
}

func (shadowUser) TableName() string { return "users" }

// platformTables have a tenant_id column without being tenant-owned, so they are exempt from
// row-level security. Keep this list short: every entry is a table the app role reads across
// tenants.
var platformTables = map[string]string{
	"platform_audit":     "records which tenant a platform administrator acted on",
	"plugin_activations": "the directory of which tenant enabled which plugin, read across tenants by the plugin event worker; holds no tenant data",
}

// TestPostgresRoles checks the arrangement row-level security depends on: the app connects as
// a role that is no superuser, cannot bypass RLS and owns nothing, and every tenant table has
// RLS enabled and forced, with a policy.
func TestPostgresRoles(t *testing.T) {
	storetest.RequireDialect(t, store.Postgres)
	ctx := context.Background()
	db := storetest.Open(t, store.Postgres)
	admin := storetest.AdminDB(t)

	var current string
	if err := db.SQL().QueryRowContext(ctx, "SELECT current_user").Scan(&current); err != nil {
		t.Fatal(err)
	}
	if current != storetest.AppRole {
		t.Fatalf("the app handle connects as %q, want %q", current, storetest.AppRole)
	}

	t.Run("app role", func(t *testing.T) {
		var super, bypass, createRole, createDB bool
		err := admin.QueryRowContext(ctx,
			"SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1",
			storetest.AppRole).Scan(&super, &bypass, &createRole, &createDB)
		if err != nil {
			t.Fatal(err)
		}
		if super || bypass || createRole || createDB {
			t.Errorf("%s: rolsuper=%v rolbypassrls=%v rolcreaterole=%v rolcreatedb=%v, want all false",
				storetest.AppRole, super, bypass, createRole, createDB)
		}
		var canCreate bool
		if err := admin.QueryRowContext(ctx, "SELECT has_schema_privilege($1, 'public', 'CREATE')", storetest.AppRole).Scan(&canCreate); err != nil {
			t.Fatal(err)
		}
		if canCreate {
			t.Errorf("%s may create objects in schema public; it must only use the owner's tables", storetest.AppRole)
		}
	})

	t.Run("app role owns nothing", func(t *testing.T) {
		// pg_has_role(…, MEMBER) is also true for the role itself, so this finds tables the app
		// role owns directly or through a role it belongs to.
		rows, err := admin.QueryContext(ctx, `
			SELECT c.relname, pg_get_userbyid(c.relowner)
			FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
			  AND pg_has_role($1, c.relowner, 'MEMBER')`, storetest.AppRole)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var rel, owner string
			if err := rows.Scan(&rel, &owner); err != nil {
				t.Fatal(err)
			}
			t.Errorf("%s is owned by %s, which the app role %s is or belongs to", rel, owner, storetest.AppRole)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("tenant tables force row-level security", func(t *testing.T) {
		rows, err := admin.QueryContext(ctx, `
			SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
			       (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
			FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace
			JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
			WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
			ORDER BY c.relname`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var checked []string
		for rows.Next() {
			var rel string
			var enabled, forced bool
			var policies int
			if err := rows.Scan(&rel, &enabled, &forced, &policies); err != nil {
				t.Fatal(err)
			}
			if _, ok := platformTables[rel]; ok {
				continue
			}
			checked = append(checked, rel)
			if !enabled || !forced || policies == 0 {
				t.Errorf("%s: relrowsecurity=%v relforcerowsecurity=%v policies=%d; every tenant table needs RLS enabled and forced with a policy (SELECT crm_enable_rls('%s'))",
					rel, enabled, forced, policies, rel)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(checked, "users") {
			t.Fatalf("checked %v: the users table is missing, the query is wrong", checked)
		}
	})
}

// TestTenantScope proves that the store confines every statement on a tenant-owned model to
// the tenant in the context, on both databases, and that PostgreSQL's row-level security
// catches a raw query that forgot the scope.
func TestTenantScope(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := storetest.Open(t, dialect)
			ctx := context.Background()

			t.Run("create stamps the context tenant", func(t *testing.T) {
				a := mustCreateTenant(t, db)
				u := mustCreateUser(t, db, a, "stamped")
				if u.TenantID != a {
					t.Fatalf("TenantID = %v, want %v", u.TenantID, a)
				}
			})

			t.Run("a tenant table mapped without tenant_id is refused", func(t *testing.T) {
				a, b := mustCreateTenant(t, db), mustCreateTenant(t, db)
				mustCreateUser(t, db, a, "own")
				mustCreateUser(t, db, b, "foreign")
				actx := tenantctx.WithTenant(ctx, a)
				statements := map[string]func(tx *gorm.DB) error{
					"find": func(tx *gorm.DB) error { var got []shadowUser; return tx.Find(&got).Error },
					"count": func(tx *gorm.DB) error {
						var n int64
						return tx.Model(&shadowUser{}).Count(&n).Error
					},
					"pluck": func(tx *gorm.DB) error { var e []string; return tx.Model(&shadowUser{}).Pluck("email", &e).Error },
					"update": func(tx *gorm.DB) error {
						return tx.Model(&shadowUser{}).Where("email <> ''").Update("email", "x@example.com").Error
					},
					"delete": func(tx *gorm.DB) error { return tx.Where("email = ''").Delete(&shadowUser{}).Error },
					"create": func(tx *gorm.DB) error {
						return tx.Create(&shadowUser{ID: uuid.Must(uuid.NewV7()), Email: "new@example.com"}).Error
					},
				}
				for name, run := range statements {
					err := db.Tx(actx, run)
					if !errors.Is(err, store.ErrUnscopedTenantTable) {
						t.Errorf("%s through a model without tenant_id: err = %v, want ErrUnscopedTenantTable", name, err)
					}
				}
				// Nothing was changed in either tenant.
				for _, tid := range []uuid.UUID{a, b} {
					var got []user
					if err := db.Read(tenantctx.WithTenant(ctx, tid), func(tx *gorm.DB) error { return tx.Find(&got).Error }); err != nil {
						t.Fatal(err)
					}
					for _, u := range got {
						if u.Email == "x@example.com" || u.Email == "new@example.com" {
							t.Fatalf("refused statement wrote %+v", u)
						}
					}
				}
			})

			t.Run("queries see only the context tenant", func(t *testing.T) {
				a, b := mustCreateTenant(t, db), mustCreateTenant(t, db)
				ua := mustCreateUser(t, db, a, "alice")
				ub := mustCreateUser(t, db, b, "bob")

				var got []user
				err := db.Read(tenantctx.WithTenant(ctx, a), func(tx *gorm.DB) error { return tx.Find(&got).Error })
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 || got[0].ID != ua.ID || got[0].TenantID != a {
					t.Fatalf("tenant A sees %+v, want only its own user %v", got, ua.ID)
				}

				var n int64
				err = db.Read(tenantctx.WithTenant(ctx, a), func(tx *gorm.DB) error {
					return tx.Model(&user{}).Where("id IN ?", []uuid.UUID{ua.ID, ub.ID}).Count(&n).Error
				})
				if err != nil || n != 1 {
					t.Fatalf("count of A's and B's ids in A = %d, %v; want 1", n, err)
				}

				// Another tenant's ID answers exactly as a missing one does.
				err = db.Read(tenantctx.WithTenant(ctx, a), func(tx *gorm.DB) error {
					var u user
					return tx.Where("id = ?", ub.ID).First(&u).Error
				})
				var pe *problem.Error
				if !errors.As(err, &pe) || pe.Code != problem.NotFound {
					t.Fatalf("B's user looked up in A: err = %v, want a not_found problem", err)
				}
			})

			t.Run("no tenant in context is an error", func(t *testing.T) {
				a := mustCreateTenant(t, db)
				ua := mustCreateUser(t, db, a, "carol")
				checks := map[string]func(tx *gorm.DB) error{
					"find":   func(tx *gorm.DB) error { var us []user; return tx.Find(&us).Error },
					"count":  func(tx *gorm.DB) error { var n int64; return tx.Model(&user{}).Count(&n).Error },
					"create": func(tx *gorm.DB) error { return tx.Create(&user{ID: newID(t), Email: "x@example.com"}).Error },
					"update": func(tx *gorm.DB) error {
						return tx.Model(&user{}).Where("id = ?", ua.ID).Update("name", "changed").Error
					},
					"delete": func(tx *gorm.DB) error { return tx.Where("id = ?", ua.ID).Delete(&user{}).Error },
					"save":   func(tx *gorm.DB) error { u := ua; u.Name = "changed"; return tx.Save(&u).Error },
				}
				for name, fn := range checks {
					if err := db.Tx(ctx, fn); !errors.Is(err, store.ErrNoTenant) {
						t.Errorf("%s in Tx without a tenant: err = %v, want ErrNoTenant", name, err)
					}
					if err := fn(db.Gorm(ctx)); !errors.Is(err, store.ErrNoTenant) {
						t.Errorf("%s on Gorm without a tenant: err = %v, want ErrNoTenant", name, err)
					}
				}
				if err := db.Read(ctx, checks["find"]); !errors.Is(err, store.ErrNoTenant) {
					t.Errorf("find in Read without a tenant: err = %v, want ErrNoTenant", err)
				}
				if got := mustFindUser(t, db, a, ua.ID); got.Name != ua.Name {
					t.Errorf("user changed by statements without a tenant: %+v", got)
				}
			})

			t.Run("save of another tenant's record is refused", func(t *testing.T) {
				a, b := mustCreateTenant(t, db), mustCreateTenant(t, db)
				mustCreateUser(t, db, a, "alice")
				ub := mustCreateUser(t, db, b, "bob")
				before := mustFindUser(t, db, b, ub.ID)

				stolen := before
				stolen.Name = "hijacked"
				err := db.Tx(tenantctx.WithTenant(ctx, a), func(tx *gorm.DB) error { return tx.Save(&stolen).Error })
				if !errors.Is(err, store.ErrCrossTenant) {
					t.Errorf("Save of B's user in A: err = %v, want ErrCrossTenant", err)
				}

				// Creating a record that names another tenant is refused the same way.
				err = db.Tx(tenantctx.WithTenant(ctx, a), func(tx *gorm.DB) error {
					return tx.Create(&user{TenantID: b, ID: newID(t), Email: "planted@example.com", Name: "planted"}).Error
				})
				if !errors.Is(err, store.ErrCrossTenant) {
					t.Errorf("Create of a user naming B in A: err = %v, want ErrCrossTenant", err)
				}

				assertUnchanged(t, db, b, before)
				if n := countUsers(t, db, b); n != 1 {
					t.Errorf("tenant B has %d users, want 1", n)
				}
			})

			t.Run("update and delete of another tenant's ID affect nothing", func(t *testing.T) {
				a, b := mustCreateTenant(t, db), mustCreateTenant(t, db)
				ua := mustCreateUser(t, db, a, "alice")
				ub := mustCreateUser(t, db, b, "bob")
				before := mustFindUser(t, db, b, ub.ID)

				attempts := map[string]func(tx *gorm.DB) *gorm.DB{
					"update by id": func(tx *gorm.DB) *gorm.DB {
						return tx.Model(&user{}).Where("id = ?", ub.ID).Update("name", "hijacked")
					},
					"updates moving it to A": func(tx *gorm.DB) *gorm.DB {
						return tx.Model(&user{}).Where("id = ?", ub.ID).Updates(map[string]any{"name": "hijacked", "tenant_id": a})
					},
					"update of the loaded record": func(tx *gorm.DB) *gorm.DB {
						r := before
						return tx.Model(&r).Update("name", "hijacked")
					},
					"delete by id": func(tx *gorm.DB) *gorm.DB {
						return tx.Where("id = ?", ub.ID).Delete(&user{})
					},
					"delete of the loaded record": func(tx *gorm.DB) *gorm.DB {
						r := before
						return tx.Delete(&r)
					},
				}
				for name, fn := range attempts {
					var affected int64
					err := db.Tx(tenantctx.WithTenant(ctx, a), func(tx *gorm.DB) error {
						res := fn(tx)
						affected = res.RowsAffected
						return res.Error
					})
					if err != nil || affected != 0 {
						t.Errorf("%s of B's user in A: %d rows, err %v; want 0 rows, no error", name, affected, err)
					}
				}
				assertUnchanged(t, db, b, before)

				// The same statement on A's own user works, and still cannot move it to B.
				var affected int64
				err := db.Tx(tenantctx.WithTenant(ctx, a), func(tx *gorm.DB) error {
					res := tx.Model(&user{}).Where("id = ?", ua.ID).Updates(map[string]any{"name": "renamed", "tenant_id": b})
					affected = res.RowsAffected
					return res.Error
				})
				if err != nil || affected != 1 {
					t.Fatalf("update of A's own user: %d rows, err %v; want 1 row", affected, err)
				}
				if got := mustFindUser(t, db, a, ua.ID); got.Name != "renamed" || got.TenantID != a {
					t.Errorf("A's user after update = %+v, want renamed and still in A", got)
				}
			})

			// Row-level security is PostgreSQL's; on SQLite the GORM scope above is the isolation.
			if dialect != store.Postgres {
				return
			}
			t.Run("raw queries see only the transaction's tenant", func(t *testing.T) {
				a, b := mustCreateTenant(t, db), mustCreateTenant(t, db)
				mustCreateUser(t, db, a, "alice")
				mustCreateUser(t, db, a, "anna")
				ub := mustCreateUser(t, db, b, "bob")
				before := mustFindUser(t, db, b, ub.ID)

				// Deliberately unscoped: no tenant condition, only the transaction's setting.
				for name, run := range map[string]func(context.Context, func(*gorm.DB) error) error{"Tx": db.Tx, "Read": db.Read} {
					var n int64
					err := run(tenantctx.WithTenant(ctx, a), func(tx *gorm.DB) error {
						return tx.Raw("SELECT count(*) FROM users").Scan(&n).Error
					})
					if err != nil || n != 2 {
						t.Errorf("raw count in A's %s = %d, %v; want A's 2 users", name, n, err)
					}
				}

				var n int64
				if err := db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil || n != 0 {
					t.Errorf("raw count outside a transaction = %d, %v; want 0", n, err)
				}
				err := db.Tx(ctx, func(tx *gorm.DB) error { return tx.Raw("SELECT count(*) FROM users").Scan(&n).Error })
				if err != nil || n != 0 {
					t.Errorf("raw count in a transaction without a tenant = %d, %v; want 0", n, err)
				}

				var affected int64
				err = db.Tx(tenantctx.WithTenant(ctx, a), func(tx *gorm.DB) error {
					res := tx.Exec("UPDATE users SET name = 'hijacked' WHERE id = ?", ub.ID)
					affected = res.RowsAffected
					return res.Error
				})
				if err != nil || affected != 0 {
					t.Errorf("raw update of B's user in A: %d rows, err %v; want 0 rows", affected, err)
				}

				err = db.Tx(tenantctx.WithTenant(ctx, a), func(tx *gorm.DB) error {
					return tx.Exec(`INSERT INTO users (tenant_id, id, email, name, password_hash, created_at, updated_at)
						VALUES (?, ?, 'planted@example.com', 'planted', '', now(), now())`, b, newID(t)).Error
				})
				if err == nil {
					t.Errorf("raw insert of a user of B in A's transaction succeeded; RLS WITH CHECK should refuse it")
				}
				assertUnchanged(t, db, b, before)
				if n := countUsers(t, db, b); n != 1 {
					t.Errorf("tenant B has %d users, want 1", n)
				}
			})
		})
	}
}

func newID(t testing.TB) uuid.UUID {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// mustCreateTenant inserts a tenant of its own for the calling test.
func mustCreateTenant(t testing.TB, db *store.DB) uuid.UUID {
	t.Helper()
	id := newID(t)
	now := time.Now().UTC()
	tn := tenant{ID: id, Slug: "t-" + id.String(), Name: "Tenant " + id.String()[:8], Status: "active",
		Plan: "free", Settings: "{}", CreatedAt: now, UpdatedAt: now}
	if err := db.Gorm(context.Background()).Create(&tn).Error; err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	return id
}

// mustCreateUser creates a user in tenantID's context, leaving TenantID for the store to set.
func mustCreateUser(t testing.TB, db *store.DB, tenantID uuid.UUID, name string) user {
	t.Helper()
	u := user{ID: newID(t), Email: name + "@example.com", Name: name, PasswordHash: "x"}
	if err := db.Tx(tenantctx.WithTenant(context.Background(), tenantID), func(tx *gorm.DB) error {
		return tx.Create(&u).Error
	}); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	return u
}

func mustFindUser(t testing.TB, db *store.DB, tenantID, id uuid.UUID) user {
	t.Helper()
	var u user
	if err := db.Read(tenantctx.WithTenant(context.Background(), tenantID), func(tx *gorm.DB) error {
		return tx.Where("id = ?", id).First(&u).Error
	}); err != nil {
		t.Fatalf("find user %v in tenant %v: %v", id, tenantID, err)
	}
	return u
}

func countUsers(t testing.TB, db *store.DB, tenantID uuid.UUID) int64 {
	t.Helper()
	var n int64
	if err := db.Read(tenantctx.WithTenant(context.Background(), tenantID), func(tx *gorm.DB) error {
		return tx.Model(&user{}).Count(&n).Error
	}); err != nil {
		t.Fatalf("count users of %v: %v", tenantID, err)
	}
	return n
}

// assertUnchanged fails unless want's row in tenantID still reads exactly as want.
func assertUnchanged(t testing.TB, db *store.DB, tenantID uuid.UUID, want user) {
	t.Helper()
	got := mustFindUser(t, db, tenantID, want.ID)
	if got.TenantID != want.TenantID || got.Name != want.Name || got.Email != want.Email ||
		!got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("tenant %v's user changed: got %+v, want %+v", tenantID, got, want)
	}
}
