package customer_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/customer"
)

// abcID is a fixed ID for fixture customer n, so ties break the same way every run.
func abcID(n int) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("00000000-0000-7000-8000-%012d", n))
}

func abcPoints(values ...string) []customer.ValuePoint {
	out := make([]customer.ValuePoint, len(values))
	for i, v := range values {
		out[i] = customer.ValuePoint{ID: abcID(i + 1), Value: decimal.RequireFromString(v)}
	}
	return out
}

func TestABCClasses(t *testing.T) {
	cases := []struct {
		name   string
		values []string
		a, b   int
		want   string // classes of the points in input order
	}{
		// Total 100. Above each: 0 → A, 50 → A (<70), 70 → B, 80 → B (<90), 90 → C, 95 → C.
		// Ties: the two 10s start at 70 (B, both); the two 5s start at 90 (C, both).
		{"textbook with ties", []string{"50", "20", "10", "10", "5", "5"}, 70, 90, "AABBCC"},
		// Input order does not matter.
		{"shuffled", []string{"5", "10", "50", "5", "20", "10"}, 70, 90, "CBACAB"},
		// The customer crossing 70% is still A: above 30 lies 60 (<70) → A; above 10 lies 90 → C.
		{"crossing the bound", []string{"60", "30", "10"}, 70, 90, "AAC"},
		// A tie straddling the bound is not split: both 30s start at 40 → A.
		{"tie across the bound", []string{"40", "30", "30"}, 70, 90, "AAA"},
		// Zero and negative values are C; they do not count in the total (100).
		{"zero and negative", []string{"0", "80", "-5", "20"}, 70, 90, "CACB"},
		{"all zero", []string{"0", "0", "0"}, 70, 90, "CCC"},
		{"single customer", []string{"0.01"}, 70, 90, "A"},
		{"single zero customer", []string{"0"}, 70, 90, "C"},
		{"nobody", nil, 70, 90, ""},
		// All equal: one tie group starting at 0 → A.
		{"all equal", []string{"7", "7", "7", "7"}, 70, 90, "AAAA"},
		// Decimal amounts, total 1000.00: above 600.00 → 0 A; 250.50 → 600 A; 99.50 → 850.50 B (<900); 50.00 → 950 C.
		{"decimals", []string{"600.00", "250.50", "99.50", "50.00"}, 70, 90, "AABC"},
		// Other bounds: A < 50%, B < 80%. Total 100: 40 → 0 A; 30 → 40 A; 20 → 70 B; 10 → 90 C.
		{"other bounds", []string{"40", "30", "20", "10"}, 50, 80, "AABC"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pts := abcPoints(tc.values...)
			got := customer.ABCClasses(pts, tc.a, tc.b)
			if len(got) != len(pts) {
				t.Fatalf("%d classes for %d customers", len(got), len(pts))
			}
			s := ""
			for _, p := range pts {
				s += got[p.ID]
			}
			if s != tc.want {
				t.Errorf("classes %q, want %q", s, tc.want)
			}
		})
	}
}

func TestRefreshValueClasses(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		svc := env.Server.Customers
		ctx := plCtx(acme)
		var cs []plCustomer
		for _, name := range []string{"甲", "乙", "丙", "丁", "戊"} {
			cs = append(cs, plCreate(t, sales, map[string]any{"name": "价值客户" + name, "stage": "deal"}))
		}
		theirs := plCreate(t, other.Owner, map[string]any{"name": "别家价值客户"})

		// Without a summaries provider there is nothing to analyse.
		orig := svc.Summaries
		t.Cleanup(func() { svc.Summaries = orig })
		svc.Summaries = nil
		if n, err := svc.RefreshValueClasses(ctx); err != nil || n != 0 {
			t.Fatalf("without summaries: %d %v", n, err)
		}
		if got := plGet(t, sales, cs[0].ID); got.ValueClass != nil {
			t.Fatalf("value class without summaries: %v", *got.ValueClass)
		}

		values := map[uuid.UUID]int64{cs[0].ID: 500, cs[1].ID: 300, cs[2].ID: 120, cs[3].ID: 80, cs[4].ID: 0}
		svc.Summaries = func(_ context.Context, _ *gorm.DB, ids []uuid.UUID) (map[uuid.UUID]customer.TxSummary, error) {
			out := map[uuid.UUID]customer.TxSummary{}
			for _, id := range ids {
				out[id] = customer.TxSummary{AnnualPurchase: decimal.NewFromInt(values[id])}
			}
			return out, nil
		}
		// Total 1000: above 500 → 0 A; 300 → 500 A; 120 → 800 B; 80 → 920 C; 0 → C.
		n, err := svc.RefreshValueClasses(ctx)
		if err != nil || n != 5 {
			t.Fatalf("refresh: %d %v", n, err)
		}
		want := "AABCC"
		check := func(want string) {
			t.Helper()
			got := ""
			for _, c := range cs {
				if v := plGet(t, sales, c.ID).ValueClass; v != nil {
					got += *v
				} else {
					got += "-"
				}
			}
			if got != want {
				t.Errorf("value classes %q, want %q", got, want)
			}
		}
		check(want)
		if evs := plEvents(t, env, acme, cs[2].ID, "customer.classified"); len(evs) != 1 || evs[0].Payload.Data()["value_class"] != "B" {
			t.Errorf("classified events %+v", evs)
		}
		if got := plAudit(t, env, acme, cs[2].ID); len(got) != 2 || got[1] != "classify" {
			t.Errorf("audit %v", got)
		}
		// Again: nothing changed.
		if n, err := svc.RefreshValueClasses(ctx); err != nil || n != 0 {
			t.Errorf("second refresh: %d %v", n, err)
		}
		// The tenant's bounds: A below 50%, B below 95%: 500 → 0 A; 300 → 500 B; 120 → 800 B; 80 → 920 B.
		plPatchSettings(t, acme.Owner, map[string]any{"classification": map[string]any{"value_a_percent": 50, "value_b_percent": 95}})
		if n, err := svc.RefreshValueClasses(ctx); err != nil || n != 2 {
			t.Errorf("refresh with new bounds: %d %v", n, err)
		}
		check("ABBBC")
		// The other tenant's customers are another analysis.
		if got := plGet(t, other.Owner, theirs.ID); got.ValueClass != nil {
			t.Errorf("other tenant's value class %v", *got.ValueClass)
		}
	})
}
