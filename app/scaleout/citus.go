// Package scaleout derives the Citus distribution of the schema from the catalog of a
// migrated PostgreSQL database: every table with a tenant_id column is distributed by it, all
// co-located, and platform tables become reference tables. It also checks what Citus requires
// of a distributed schema — the distribution column in every primary key and unique index,
// foreign keys between tenant tables that include tenant_id — so a migration that breaks the
// scale-out path fails a test here rather than on the day of the move.
package scaleout

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// DistributionColumn is the column every tenant table is distributed by.
const DistributionColumn = "tenant_id"

// localTables stay on the Citus coordinator as plain tables: the migration bookkeeping and
// the job queue, whose rows are not tenant data and are written too often to replicate to every
// worker as reference tables would be. (citus_add_local_table_to_metadata makes them joinable.)
func isLocal(table string) bool {
	return table == "goose_db_version" || strings.HasPrefix(table, "river_")
}

// ForeignKey is one foreign-key constraint.
type ForeignKey struct {
	Name       string
	Table      string
	Columns    []string
	RefTable   string
	RefColumns []string
	// Definition is the constraint as pg_get_constraintdef gives it, to re-create it.
	Definition string
}

// Plan is the distribution of one schema.
type Plan struct {
	// Anchor is the tenant table the others are co-located with.
	Anchor string
	// Distributed are the tenant tables, in an order Citus accepts (referenced tables first).
	Distributed []string
	// Reference are the platform tables, referenced ones first.
	Reference []string
	// Local are tables kept on the coordinator.
	Local       []string
	ForeignKeys []ForeignKey
	// Deferred are foreign keys of a cycle between tenant tables (departments and users
	// reference each other): Citus distributes a table only when what it references is
	// distributed already, so these are dropped before and re-created after.
	Deferred []ForeignKey
	// Problems are what would stop Citus from distributing the schema as planned.
	Problems []string
	// Notes are departures from the project's own conventions that Citus accepts (a primary
	// key that holds tenant_id but does not start with it).
	Notes []string
}

// Statements are the SQL statements that distribute the schema, in order.
func (p *Plan) Statements() []string {
	var out []string
	for _, fk := range p.Deferred {
		out = append(out, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s;", fk.Table, fk.Name))
	}
	for _, t := range p.Reference {
		out = append(out, fmt.Sprintf("SELECT create_reference_table('%s');", t))
	}
	for _, t := range p.Local {
		out = append(out, fmt.Sprintf("SELECT citus_add_local_table_to_metadata('%s');", t))
	}
	for _, t := range p.Distributed {
		colocate := p.Anchor
		if t == p.Anchor {
			colocate = "none"
		}
		out = append(out, fmt.Sprintf("SELECT create_distributed_table('%s', '%s', colocate_with => '%s');", t, DistributionColumn, colocate))
	}
	for _, fk := range p.Deferred {
		out = append(out, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s;", fk.Table, fk.Name, fk.Definition))
	}
	return out
}

type queryer interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// Derive reads the public schema's catalog and plans its distribution.
func Derive(ctx context.Context, db queryer) (*Plan, error) {
	tables, err := stringsOf(ctx, db, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		return nil, fmt.Errorf("read tables: %w", err)
	}
	tenant := map[string]bool{}
	rows, err := db.QueryContext(ctx, `SELECT table_name, is_nullable FROM information_schema.columns
		WHERE table_schema = 'public' AND column_name = $1`, DistributionColumn)
	if err != nil {
		return nil, err
	}
	nullable := map[string]bool{}
	for rows.Next() {
		var t, n string
		if err := rows.Scan(&t, &n); err != nil {
			rows.Close()
			return nil, err
		}
		tenant[t], nullable[t] = true, n == "YES"
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	p := &Plan{}
	if p.ForeignKeys, err = foreignKeys(ctx, db); err != nil {
		return nil, err
	}
	uniques, err := uniqueIndexes(ctx, db)
	if err != nil {
		return nil, err
	}
	var dist, ref []string
	for _, t := range tables {
		switch {
		case tenant[t] && isLocal(t):
			p.Problems = append(p.Problems, fmt.Sprintf("%s has tenant_id but is kept local", t))
		case tenant[t]:
			dist = append(dist, t)
		case isLocal(t):
			p.Local = append(p.Local, t)
		default:
			ref = append(ref, t)
		}
	}
	for _, t := range dist {
		if nullable[t] {
			p.Problems = append(p.Problems, fmt.Sprintf("%s.tenant_id may be NULL: Citus needs a value to place every row", t))
		}
		hasPK := false
		for _, u := range uniques[t] {
			hasPK = hasPK || u.primary
			if !slices.Contains(u.columns, DistributionColumn) {
				p.Problems = append(p.Problems, fmt.Sprintf("%s: unique index %s (%s) lacks tenant_id: Citus enforces uniqueness only within a shard", t, u.name, strings.Join(u.columns, ", ")))
			} else if u.primary && u.columns[0] != DistributionColumn {
				p.Notes = append(p.Notes, fmt.Sprintf("%s: primary key (%s) does not start with tenant_id (Citus accepts it; the convention is tenant_id first)", t, strings.Join(u.columns, ", ")))
			}
		}
		if !hasPK {
			p.Problems = append(p.Problems, fmt.Sprintf("%s has no primary key", t))
		}
	}
	for _, fk := range p.ForeignKeys {
		from, to := tenant[fk.Table] && !isLocal(fk.Table), tenant[fk.RefTable] && !isLocal(fk.RefTable)
		switch {
		case from && to:
			i := slices.Index(fk.Columns, DistributionColumn)
			if i < 0 || fk.RefColumns[i] != DistributionColumn {
				p.Problems = append(p.Problems, fmt.Sprintf("foreign key %s.%s (%s) → %s (%s) does not join on tenant_id: the rows would not be co-located",
					fk.Table, fk.Name, strings.Join(fk.Columns, ", "), fk.RefTable, strings.Join(fk.RefColumns, ", ")))
			}
		case !from && to:
			p.Problems = append(p.Problems, fmt.Sprintf("foreign key %s.%s: platform table %s references tenant table %s, which Citus does not allow", fk.Table, fk.Name, fk.Table, fk.RefTable))
		}
	}
	p.Reference, _ = dependencyOrder(ref, p.ForeignKeys)
	var deferred, refDeferred []ForeignKey
	p.Distributed, deferred = dependencyOrder(dist, p.ForeignKeys)
	_, refDeferred = dependencyOrder(ref, p.ForeignKeys)
	p.Deferred = append(refDeferred, deferred...)
	p.Anchor = anchor(dist, p.ForeignKeys)
	if p.Anchor != "" {
		// The anchor goes first: the others name it in colocate_with.
		i := slices.Index(p.Distributed, p.Anchor)
		p.Distributed = append([]string{p.Anchor}, slices.Delete(p.Distributed, i, i+1)...)
	}
	return p, nil
}

// anchor is the tenant table the others are co-located with: among those that reference no
// other tenant table (it is distributed first, so what it references must already be
// distributed or reference tables), the one most referenced; ties go alphabetically.
func anchor(dist []string, fks []ForeignKey) string {
	refs := map[string]int{}
	dependent := map[string]bool{}
	for _, fk := range fks {
		if slices.Contains(dist, fk.RefTable) && fk.RefTable != fk.Table {
			refs[fk.RefTable]++
			dependent[fk.Table] = true
		}
	}
	best := ""
	for _, t := range dist {
		if !dependent[t] && (best == "" || refs[t] > refs[best]) {
			best = t
		}
	}
	return best
}

// dependencyOrder sorts tables so that a table comes after the tables of the set it
// references; the foreign keys that close a cycle are returned to be deferred.
func dependencyOrder(tables []string, fks []ForeignKey) ([]string, []ForeignKey) {
	in := map[string]bool{}
	for _, t := range tables {
		in[t] = true
	}
	deps := map[string][]ForeignKey{}
	for _, fk := range fks {
		if in[fk.Table] && in[fk.RefTable] && fk.Table != fk.RefTable {
			deps[fk.Table] = append(deps[fk.Table], fk)
		}
	}
	var out []string
	var back []ForeignKey
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string)
	visit = func(t string) {
		state[t] = 1
		for _, fk := range deps[t] {
			switch state[fk.RefTable] {
			case 0:
				visit(fk.RefTable)
			case 1:
				back = append(back, fk)
			}
		}
		state[t] = 2
		out = append(out, t)
	}
	for _, t := range tables {
		if state[t] == 0 {
			visit(t)
		}
	}
	return out, back
}

func stringsOf(ctx context.Context, db queryer, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// columnsOf lists a constraint's or index's column names in key order (” for an expression).
const columnsOf = `array_to_string(ARRAY(
	SELECT coalesce(a.attname, '') FROM unnest(%s) WITH ORDINALITY AS k(num, ord)
	LEFT JOIN pg_attribute a ON a.attrelid = %s AND a.attnum = k.num ORDER BY k.ord), ',')`

func foreignKeys(ctx context.Context, db queryer) ([]ForeignKey, error) {
	q := `SELECT c.conname, cl.relname, rl.relname, pg_get_constraintdef(c.oid), ` + fmt.Sprintf(columnsOf, "c.conkey", "c.conrelid") + `, ` + fmt.Sprintf(columnsOf, "c.confkey", "c.confrelid") + `
		FROM pg_constraint c
		JOIN pg_class cl ON cl.oid = c.conrelid
		JOIN pg_class rl ON rl.oid = c.confrelid
		JOIN pg_namespace n ON n.oid = cl.relnamespace
		WHERE c.contype = 'f' AND n.nspname = 'public'
		ORDER BY cl.relname, c.conname`
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	defer rows.Close()
	var out []ForeignKey
	for rows.Next() {
		var fk ForeignKey
		var cols, refs string
		if err := rows.Scan(&fk.Name, &fk.Table, &fk.RefTable, &fk.Definition, &cols, &refs); err != nil {
			return nil, err
		}
		fk.Columns, fk.RefColumns = strings.Split(cols, ","), strings.Split(refs, ",")
		out = append(out, fk)
	}
	return out, rows.Err()
}

type uniqueIndex struct {
	name    string
	primary bool
	columns []string
}

func uniqueIndexes(ctx context.Context, db queryer) (map[string][]uniqueIndex, error) {
	q := `SELECT t.relname, i.relname, x.indisprimary, ` + fmt.Sprintf(columnsOf, "x.indkey::int2[]", "x.indrelid") + `
		FROM pg_index x
		JOIN pg_class t ON t.oid = x.indrelid
		JOIN pg_class i ON i.oid = x.indexrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE x.indisunique AND n.nspname = 'public'
		ORDER BY t.relname, i.relname`
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read unique indexes: %w", err)
	}
	defer rows.Close()
	out := map[string][]uniqueIndex{}
	for rows.Next() {
		var t, cols string
		var u uniqueIndex
		if err := rows.Scan(&t, &u.name, &u.primary, &cols); err != nil {
			return nil, err
		}
		u.columns = strings.Split(cols, ",")
		out[t] = append(out[t], u)
	}
	return out, rows.Err()
}
