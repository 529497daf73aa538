package scaleout_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/scaleout"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// TestMigratedSchemaIsCitusReady derives the distribution from the migrated PostgreSQL schema
// and checks it covers every tenant table, keyed by tenant_id, co-located, with every foreign
// key between tenant tables joining on tenant_id.
func TestMigratedSchemaIsCitusReady(t *testing.T) {
	db := storetest.Open(t, store.Postgres).SQL()
	ctx := context.Background()
	p, err := scaleout.Derive(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	for _, pr := range p.Problems {
		t.Errorf("not ready for Citus: %s", pr)
	}
	// Every table with a tenant_id column, read independently of Derive.
	rows, err := db.QueryContext(ctx, `SELECT c.table_name FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id' AND t.table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tenantTables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tenantTables = append(tenantTables, n)
	}
	rows.Close()
	if len(tenantTables) < 20 {
		t.Fatalf("only %d tenant tables found: %v", len(tenantTables), tenantTables)
	}
	ddl := strings.Join(p.Statements(), "\n")
	for _, tt := range tenantTables {
		want := "SELECT create_distributed_table('" + tt + "', 'tenant_id', colocate_with => "
		if !strings.Contains(ddl, want) {
			t.Errorf("tenant table %s is not distributed by tenant_id", tt)
		}
		if tt != p.Anchor && !strings.Contains(ddl, want+"'"+p.Anchor+"');") {
			t.Errorf("tenant table %s is not co-located with %s", tt, p.Anchor)
		}
	}
	for _, platform := range []string{"tenants", "platform_admins"} {
		if !strings.Contains(ddl, "SELECT create_reference_table('"+platform+"');") {
			t.Errorf("platform table %s is not a reference table", platform)
		}
	}
	for _, fk := range p.Deferred {
		if !strings.Contains(ddl, "ALTER TABLE "+fk.Table+" ADD CONSTRAINT "+fk.Name+" FOREIGN KEY") {
			t.Errorf("deferred foreign key %s is not re-created", fk.Name)
		}
	}
	fkBetweenTenantTables := 0
	for _, fk := range p.ForeignKeys {
		if slices.Contains(tenantTables, fk.Table) && slices.Contains(tenantTables, fk.RefTable) {
			fkBetweenTenantTables++
			i := slices.Index(fk.Columns, "tenant_id")
			if i < 0 || fk.RefColumns[i] != "tenant_id" {
				t.Errorf("foreign key %s on %s does not include tenant_id", fk.Name, fk.Table)
			}
		}
	}
	if fkBetweenTenantTables == 0 {
		t.Fatal("no foreign keys between tenant tables were read")
	}
	// A referenced table is created before the tables that reference it.
	pos := map[string]int{}
	for i, tt := range p.Distributed {
		pos[tt] = i
	}
	for _, fk := range p.ForeignKeys {
		a, okA := pos[fk.Table]
		b, okB := pos[fk.RefTable]
		deferred := slices.ContainsFunc(p.Deferred, func(d scaleout.ForeignKey) bool { return d.Name == fk.Name && d.Table == fk.Table })
		if okA && okB && fk.Table != fk.RefTable && b > a && !deferred {
			t.Errorf("%s is distributed before %s, which it references", fk.Table, fk.RefTable)
		}
	}
}

// TestDeriveFindsWhatCitusRefuses runs Derive on a small schema with the mistakes a migration
// could make, in a database of its own.
func TestDeriveFindsWhatCitusRefuses(t *testing.T) {
	admin := storetest.AdminDB(t)
	name := "crm_test_citus_" + strings.ReplaceAll(uuid.NewString()[:13], "-", "")
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	u := strings.Replace(storetest.OwnerURL(t, store.Postgres), "crm_owner@", "postgres@", 1)
	i := strings.LastIndex(u, "/")
	q := ""
	if j := strings.IndexByte(u[i:], '?'); j >= 0 {
		q = u[i+j:]
	}
	db, err := store.Open(context.Background(), u[:i+1]+name+q, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range []string{
		`CREATE TABLE tenants (id uuid PRIMARY KEY)`,
		`CREATE TABLE customers (tenant_id uuid NOT NULL REFERENCES tenants(id), id uuid, PRIMARY KEY (tenant_id, id))`,
		`CREATE TABLE notes (tenant_id uuid NOT NULL, id uuid, customer_id uuid, PRIMARY KEY (tenant_id, id), UNIQUE (customer_id),
			FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id))`,
		`CREATE TABLE bad_fk (tenant_id uuid NOT NULL, id uuid, note uuid, note_tenant uuid, PRIMARY KEY (tenant_id, id),
			FOREIGN KEY (note_tenant, note) REFERENCES notes (tenant_id, id))`,
		`CREATE TABLE loose (tenant_id uuid, id uuid PRIMARY KEY)`,
		`CREATE TABLE plans (id text PRIMARY KEY, top_customer_tenant uuid, top_customer uuid,
			FOREIGN KEY (top_customer_tenant, top_customer) REFERENCES customers (tenant_id, id))`,
	} {
		if _, err := db.SQL().Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	p, err := scaleout.Derive(context.Background(), db.SQL())
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(p.Problems, "\n")
	for _, want := range []string{
		"notes: unique index notes_customer_id_key (customer_id) lacks tenant_id",
		"bad_fk_note_tenant_note_fkey",
		"loose.tenant_id may be NULL",
		"loose: unique index loose_pkey (id) lacks tenant_id",
		"platform table plans references tenant table customers",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing problem %q in:\n%s", want, all)
		}
	}
	if p.Anchor != "customers" || p.Distributed[0] != "customers" || !slices.Equal(p.Reference, []string{"plans", "tenants"}) {
		t.Errorf("plan: anchor %s, distributed %v, reference %v", p.Anchor, p.Distributed, p.Reference)
	}
}
