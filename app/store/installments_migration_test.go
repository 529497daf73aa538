package store_test

// Migration 00019 rebuilds payment_installments (on SQLite a new table: contract_id nullable,
// work_order_id, a CHECK) while payment_allocations refers to it with ON DELETE CASCADE. A
// database holding installments and allocations keeps every row and every reference, and the
// plans settle as before.

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
)

type migMoney struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

type migPlan struct {
	Installments []struct {
		Status     string   `json:"status"`
		PaidAmount migMoney `json:"paid_amount"`
	} `json:"installments"`
}

func migCNY(s string) map[string]any { return map[string]any{"amount": s, "currency": "CNY"} }

func migDay(t time.Time, days int) string { return t.AddDate(0, 0, days).Format(time.DateOnly) }

// migSigned makes a signed contract of customer: written by author, approved by the owner.
func migSigned(t *testing.T, author, approver *apitest.Client, customer uuid.UUID, amount map[string]any) uuid.UUID {
	t.Helper()
	var c struct {
		ID      uuid.UUID `json:"id"`
		Version int64     `json:"version"`
	}
	author.MustDo(t, "POST", "/api/v1/contracts", map[string]any{"title": "供货合同", "customer_id": customer, "amount": amount}, 201, &c)
	u := "/api/v1/contracts/" + c.ID.String()
	author.MustDo(t, "POST", u+"/submit", map[string]any{"version": c.Version}, 200, &c)
	approver.MustDo(t, "POST", u+"/approve", map[string]any{"version": c.Version}, 200, &c)
	author.MustDo(t, "POST", u+"/sign", map[string]any{"version": c.Version}, 200, &c)
	return c.ID
}

func migStates(t *testing.T, what string, p migPlan, want ...string) {
	t.Helper()
	var got []string
	for _, i := range p.Installments {
		got = append(got, i.Status+":"+i.PaidAmount.Amount)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("%s: %v, want %v", what, got, want)
	}
}

// rawDB is a handle that bypasses the tenant scope: the owner's on SQLite, the admin's on
// PostgreSQL (the tests' tables sit under forced row-level security for the app role).
func rawDB(t *testing.T, env *apitest.Env) *sql.DB {
	t.Helper()
	if env.Dialect == store.Postgres {
		return storetest.AdminDB(t)
	}
	db, err := env.DB.Gorm(context.Background()).DB()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func migRows(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rs, err := db.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	cols, _ := rs.Columns()
	var out []string
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = v.String
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

const (
	installmentRows = "SELECT tenant_id, id, contract_id, due_date, amount, currency, paid_amount, status, overdue, note, version FROM payment_installments"
	allocationRows  = "SELECT tenant_id, payment_id, installment_id, amount FROM payment_allocations"
)

func TestMigrationKeepsInstallmentsAndAllocations(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		finance := acme.AddUser(t, "finance")
		var cu struct{ ID uuid.UUID }
		sales.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "杭州制造"}, 201, &cu)
		cust := cu.ID
		c := struct{ ID uuid.UUID }{migSigned(t, sales, acme.Owner, cust, migCNY("1000.00"))}
		c2 := struct{ ID uuid.UUID }{migSigned(t, sales, acme.Owner, cust, migCNY("300.00"))}
		now := env.Clock().Now()
		planURL := "/api/v1/contracts/" + c.ID.String() + "/payment-plans"
		sales.MustDo(t, "POST", planURL, map[string]any{"installments": []map[string]any{
			{"due_date": migDay(now, -5), "amount": migCNY("600.00")}, {"due_date": migDay(now, 10), "amount": migCNY("400.00")}}}, 201, nil)
		var p struct {
			Allocations []struct{ InstallmentID uuid.UUID } `json:"allocations"`
		}
		finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": cust, "contract_id": c.ID, "amount": migCNY("700.00"), "method": "cash"}, 201, &p)
		if len(p.Allocations) != 2 {
			t.Fatalf("allocations before the migration %+v", p.Allocations)
		}

		owner := storetest.OwnerURL(t, env.Dialect)
		ctx := context.Background()
		if err := store.ApplyMigration(ctx, owner, 19, false); err != nil {
			t.Fatalf("down to 00018: %v", err)
		}
		db := rawDB(t, env)
		// Rows written at 00018, when every installment had a contract.
		extra := uuid.New()
		insert := strings.ReplaceAll(`INSERT INTO payment_installments (tenant_id, id, contract_id, due_date, amount, currency, paid_amount,
			status, overdue, note, created_at, updated_at, version) VALUES ($1, $2, $3, $4, '300.00', 'CNY', '0.00', 'pending', false, 'at 00018', $5, $5, 1)`,
			"$5", "CURRENT_TIMESTAMP")
		if env.Dialect == store.SQLite {
			insert = strings.NewReplacer("$1", "?", "$2", "?", "$3", "?", "$4", "?").Replace(insert)
		}
		if _, err := db.ExecContext(ctx, insert, acme.ID.String(), extra.String(), c2.ID.String(), migDay(now, 20)); err != nil {
			t.Fatalf("insert at 00018: %v", err)
		}
		insts, allocs := migRows(t, db, installmentRows), migRows(t, db, allocationRows)
		if len(insts) != 3 || len(allocs) != 2 {
			t.Fatalf("at 00018: %d installments, %d allocations", len(insts), len(allocs))
		}

		if err := store.ApplyMigration(ctx, owner, 19, true); err != nil {
			t.Fatalf("up to 00019: %v", err)
		}
		if got := migRows(t, db, installmentRows); strings.Join(got, "\n") != strings.Join(insts, "\n") {
			t.Errorf("installments changed:\n%v\nwant\n%v", got, insts)
		}
		if got := migRows(t, db, allocationRows); strings.Join(got, "\n") != strings.Join(allocs, "\n") {
			t.Errorf("allocations changed:\n%v\nwant\n%v", got, allocs)
		}
		if env.Dialect == store.SQLite {
			if bad := migRows(t, db, "PRAGMA foreign_key_check"); len(bad) != 0 {
				t.Errorf("foreign key violations after the rebuild: %v", bad)
			}
			// The references still work: a cascade from the rebuilt table still reaches
			// payment_allocations (checked in a transaction that is rolled back).
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM payment_installments WHERE contract_id = ?", c.ID.String()); err != nil {
				t.Fatal(err)
			}
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM payment_allocations").Scan(&n); err != nil || n != 0 {
				t.Errorf("allocations after deleting their installments: %d (%v)", n, err)
			}
			_ = tx.Rollback()
		}
		// Exactly one of contract_id and work_order_id.
		for _, q := range []string{
			"INSERT INTO payment_installments (tenant_id, id, contract_id, work_order_id, due_date, amount, currency, paid_amount, status, overdue, note, created_at, updated_at, version) VALUES ('%t', '%i', NULL, NULL, '2026-01-01', '1', 'CNY', '0', 'pending', false, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)",
		} {
			q = strings.NewReplacer("%t", acme.ID.String(), "%i", uuid.NewString()).Replace(q)
			if _, err := db.ExecContext(ctx, q); err == nil {
				t.Error("an installment of neither a contract nor a work order was stored")
			}
		}

		// The plan reads and settles as before.
		var pl migPlan
		sales.MustDo(t, "GET", planURL, nil, 200, &pl)
		migStates(t, "after the migration", pl, "paid:600.00", "partial:100.00")
		finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": cust, "contract_id": c.ID, "amount": migCNY("300.00"), "method": "cash"}, 201, nil)
		sales.MustDo(t, "GET", planURL, nil, 200, &pl)
		migStates(t, "paid after the migration", pl, "paid:600.00", "paid:400.00")
		sales.MustDo(t, "GET", "/api/v1/contracts/"+c2.ID.String()+"/payment-plans", nil, 200, &pl)
		migStates(t, "the row written at 00018", pl, "pending:0.00")
	})
}
