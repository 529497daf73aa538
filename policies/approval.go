package policies

import (
	"sort"

	"github.com/shopspring/decimal"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/problem"
)

// Tier is one approval band: amounts below MaxAmount (or any amount, when MaxAmount is nil, in
// the last tier) are approved by Role (IAM-7).
type Tier struct {
	MaxAmount *decimal.Decimal `json:"max_amount"`
	Role      string           `json:"role"`
}

// UnmarshalJSON decodes a tier from scratch. encoding/json decodes a list into the elements
// already there, so a PATCH of approval_tiers over the current ones would otherwise keep an old
// max_amount where the new tier has none (and write through the old tier's pointer). Unknown
// fields are refused, as everywhere in request bodies.
func (t *Tier) UnmarshalJSON(b []byte) error {
	type plain Tier
	var p plain
	if err := api.DecodeFresh(b, &p); err != nil {
		return err
	}
	*t = Tier(p)
	return nil
}

// DefaultTiers come from seed 001 第27條: below 1,000 the sales manager, 1,000 up to 5,000
// the vice president, 5,000 and above the general manager. The document's ranges share
// their end points; a shared boundary goes to the more senior role.
func DefaultTiers() []Tier {
	d1000, d5000 := decimal.NewFromInt(1000), decimal.NewFromInt(5000)
	return []Tier{
		{MaxAmount: &d1000, Role: "sales_manager"},
		{MaxAmount: &d5000, Role: "vice_president"},
		{MaxAmount: nil, Role: "general_manager"},
	}
}

// ValidateTiers checks that amounts strictly increase, only the last tier is unbounded, roles
// exist, and seniority does not fall as amounts rise.
func ValidateTiers(tiers []Tier, roleExists func(string) bool) error {
	if len(tiers) == 0 {
		return problem.Field("approval_tiers", "required", "field.required")
	}
	var prev *decimal.Decimal
	prevRank := -1
	for i, t := range tiers {
		last := i == len(tiers)-1
		if !roleExists(t.Role) {
			return problem.Field("approval_tiers", "invalid_choice", "field.unknown_role", t.Role)
		}
		if (t.MaxAmount == nil) != last || (t.MaxAmount != nil && t.MaxAmount.Sign() <= 0) ||
			(prev != nil && t.MaxAmount != nil && !t.MaxAmount.GreaterThan(*prev)) {
			return problem.Field("approval_tiers", "invalid", "field.tiers_order")
		}
		if r := ApprovalRank(t.Role); r < prevRank {
			return problem.Field("approval_tiers", "invalid", "field.tiers_order")
		} else {
			prevRank = r
		}
		prev = t.MaxAmount
	}
	return nil
}

// ApproverFor returns the role that must approve amount under tiers.
func ApproverFor(tiers []Tier, amount decimal.Decimal) string {
	for _, t := range tiers {
		if t.MaxAmount == nil || amount.LessThan(*t.MaxAmount) {
			return t.Role
		}
	}
	return tiers[len(tiers)-1].Role
}

// CanApprove reports whether a user holding roles may approve amount: the required role, or
// any role at least as senior ("higher roles may approve what lower ones may"). Rank 0 means no
// approval authority (salesperson, custom roles), so it never qualifies by rank; a tier headed
// by a custom role is approvable by that role and by every ranked role.
func CanApprove(tiers []Tier, roles []string, amount decimal.Decimal) bool {
	return CanApproveAs(roles, ApproverFor(tiers, amount))
}

// CanApproveAs reports whether a user holding roles may approve what needs the role need
// (fixed on a record when it was submitted): need itself, the owner, or a role at least as
// senior.
func CanApproveAs(roles []string, need string) bool {
	needRank := ApprovalRank(need)
	for _, r := range roles {
		if rank := ApprovalRank(r); r == need || r == Owner || (rank > 0 && rank >= needRank) {
			return true
		}
	}
	return false
}

// SortTiers orders tiers by amount with the unbounded one last.
func SortTiers(tiers []Tier) {
	sort.SliceStable(tiers, func(i, j int) bool {
		a, b := tiers[i].MaxAmount, tiers[j].MaxAmount
		if a == nil {
			return false
		}
		if b == nil {
			return true
		}
		return a.LessThan(*b)
	})
}
