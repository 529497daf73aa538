package policies_test

import (
	"slices"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/policies"
)

func amount(t *testing.T, s string) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatalf("amount %q: %v", s, err)
	}
	return d
}

func dec(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

// IAM-7: below 1,000 the sales manager, 1,000 up to 5,000 the vice president, 5,000 and above
// the general manager; a shared boundary goes to the more senior role.
func TestApproverForDefaultTiers(t *testing.T) {
	tiers := policies.DefaultTiers()
	for _, c := range []struct{ amount, role string }{
		{"0", "sales_manager"},
		{"0.01", "sales_manager"},
		{"999.99", "sales_manager"},
		{"1000", "vice_president"},
		{"1000.00", "vice_president"},
		{"4999.99", "vice_president"},
		{"5000", "general_manager"},
		{"5000.01", "general_manager"},
		{"1000000000", "general_manager"},
	} {
		if got := policies.ApproverFor(tiers, amount(t, c.amount)); got != c.role {
			t.Errorf("ApproverFor(%s) = %q, want %q", c.amount, got, c.role)
		}
	}
	if got := policies.ApproverFor(tiers, decimal.NewFromFloat(1e9)); got != "general_manager" {
		t.Errorf("ApproverFor(1e9) = %q, want general_manager", got)
	}
}

func TestApproverForCustomTiers(t *testing.T) {
	tiers := []policies.Tier{
		{MaxAmount: dec("2000"), Role: "sales_manager"},
		{MaxAmount: dec("10000"), Role: "vice_president"},
		{Role: "general_manager"},
	}
	for _, c := range []struct{ amount, role string }{
		{"1000", "sales_manager"}, {"1999.99", "sales_manager"}, {"2000", "vice_president"},
		{"5000", "vice_president"}, {"9999.99", "vice_president"}, {"10000", "general_manager"},
	} {
		if got := policies.ApproverFor(tiers, amount(t, c.amount)); got != c.role {
			t.Errorf("ApproverFor(%s) = %q, want %q", c.amount, got, c.role)
		}
	}
}

func TestCanApprove(t *testing.T) {
	tiers := policies.DefaultTiers()
	all := []string{"0", "999.99", "1000", "4999.99", "5000", "5000.01", "1000000000"}
	for _, c := range []struct {
		roles []string
		yes   []string // amounts approvable; every other amount of all is not
	}{
		{[]string{"sales_manager"}, []string{"0", "999.99"}},
		{[]string{"vice_president"}, []string{"0", "999.99", "1000", "4999.99"}},
		{[]string{"general_manager"}, all},
		{[]string{"owner"}, all},
		{[]string{"salesperson"}, nil},
		{[]string{"customer_service"}, nil},
		{[]string{"auditor"}, nil},
		{nil, nil},
		// Holding several roles, the most senior counts.
		{[]string{"salesperson", "vice_president"}, []string{"0", "999.99", "1000", "4999.99"}},
	} {
		for _, a := range all {
			want := slices.Contains(c.yes, a)
			if got := policies.CanApprove(tiers, c.roles, amount(t, a)); got != want {
				t.Errorf("CanApprove(%v, %s) = %v, want %v", c.roles, a, got, want)
			}
		}
	}
}

// A custom role (approval rank 0) may head a tier; the senior default roles can still approve
// what it can, and the junior ones still cannot.
func TestCanApproveCustomRoleTier(t *testing.T) {
	tiers := []policies.Tier{{MaxAmount: dec("1000"), Role: "regional_director"}, {Role: "general_manager"}}
	for _, c := range []struct {
		roles  []string
		amount string
		want   bool
	}{
		{[]string{"regional_director"}, "500", true},
		{[]string{"regional_director"}, "1000", false},
		{[]string{"general_manager"}, "500", true},
		{[]string{"vice_president"}, "500", true},
		{[]string{"sales_manager"}, "500", true},
		{[]string{"vice_president"}, "1000", false},
		{[]string{"salesperson"}, "500", false},
		{[]string{"auditor"}, "500", false},
		{[]string{"owner"}, "5000", true},
	} {
		if got := policies.CanApprove(tiers, c.roles, amount(t, c.amount)); got != c.want {
			t.Errorf("CanApprove(%v, %s) = %v, want %v", c.roles, c.amount, got, c.want)
		}
	}
}

func TestValidateTiers(t *testing.T) {
	known := func(r string) bool {
		_, ok := policies.RoleByKey(r)
		return ok || r == "regional_director"
	}
	if err := policies.ValidateTiers(policies.DefaultTiers(), known); err != nil {
		t.Fatalf("default tiers rejected: %v", err)
	}
	ok := map[string][]policies.Tier{
		"one unbounded tier": {{Role: "general_manager"}},
		"equal seniority":    {{MaxAmount: dec("1000"), Role: "sales_manager"}, {MaxAmount: dec("2000"), Role: "service_manager"}, {Role: "general_manager"}},
		"custom role first":  {{MaxAmount: dec("500"), Role: "regional_director"}, {Role: "general_manager"}},
		"cents":              {{MaxAmount: dec("999.99"), Role: "sales_manager"}, {MaxAmount: dec("1000"), Role: "vice_president"}, {Role: "general_manager"}},
	}
	for name, tiers := range ok {
		if err := policies.ValidateTiers(tiers, known); err != nil {
			t.Errorf("%s: rejected: %v", name, err)
		}
	}
	bad := map[string][]policies.Tier{
		"empty":                 nil,
		"equal amounts":         {{MaxAmount: dec("1000"), Role: "sales_manager"}, {MaxAmount: dec("1000"), Role: "vice_president"}, {Role: "general_manager"}},
		"decreasing amounts":    {{MaxAmount: dec("5000"), Role: "sales_manager"}, {MaxAmount: dec("1000"), Role: "vice_president"}, {Role: "general_manager"}},
		"bounded last tier":     {{MaxAmount: dec("1000"), Role: "sales_manager"}, {MaxAmount: dec("5000"), Role: "vice_president"}},
		"unbounded middle tier": {{MaxAmount: dec("1000"), Role: "sales_manager"}, {Role: "vice_president"}, {Role: "general_manager"}},
		"zero amount":           {{MaxAmount: dec("0"), Role: "sales_manager"}, {Role: "general_manager"}},
		"negative amount":       {{MaxAmount: dec("-5"), Role: "sales_manager"}, {Role: "general_manager"}},
		"unknown role":          {{MaxAmount: dec("1000"), Role: "ghost"}, {Role: "general_manager"}},
		"unknown last role":     {{MaxAmount: dec("1000"), Role: "sales_manager"}, {Role: "ghost"}},
		"seniority falls":       {{MaxAmount: dec("1000"), Role: "vice_president"}, {MaxAmount: dec("5000"), Role: "sales_manager"}, {Role: "general_manager"}},
		"last tier junior":      {{MaxAmount: dec("1000"), Role: "general_manager"}, {Role: "salesperson"}},
	}
	for name, tiers := range bad {
		err := policies.ValidateTiers(tiers, known)
		if !problem.Is(err, problem.Invalid) {
			t.Errorf("%s: got %v, want validation_failed", name, err)
			continue
		}
		var pe *problem.Error
		if e, ok := err.(*problem.Error); ok {
			pe = e
		}
		if pe == nil || len(pe.Fields) != 1 || pe.Fields[0].Field != "approval_tiers" {
			t.Errorf("%s: want one field error on approval_tiers, got %#v", name, err)
		}
	}
}

func TestSortTiers(t *testing.T) {
	tiers := []policies.Tier{{Role: "general_manager"}, {MaxAmount: dec("5000"), Role: "vice_president"}, {MaxAmount: dec("1000"), Role: "sales_manager"}}
	policies.SortTiers(tiers)
	var got []string
	for _, t := range tiers {
		got = append(got, t.Role)
	}
	if want := []string{"sales_manager", "vice_president", "general_manager"}; !slices.Equal(got, want) {
		t.Errorf("sorted %v, want %v", got, want)
	}
}
