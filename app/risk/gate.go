package risk

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// CreditCheck is what submitting an amount for a customer means for its credit: the limit,
// the exposure now and after it, whether that exceeds the limit, the role the amount needs
// and the role that will review it (one tier higher when over the limit), with the reason.
type CreditCheck struct {
	CustomerID    uuid.UUID    `json:"customer_id"`
	Rating        string       `json:"rating"`
	Limit         *money.Money `json:"limit"`
	Exposure      money.Money  `json:"exposure"`
	Amount        money.Money  `json:"amount"`
	After         money.Money  `json:"after"`
	Exceeds       bool         `json:"exceeds"`
	ApproverRole  string       `json:"approver_role"`
	EscalatedRole string       `json:"escalated_role"`
	Reason        string       `json:"reason"`
}

// nextTier is the role of the tier above the one role heads for amount (the same role at the
// top tier).
func nextTier(tiers []policies.Tier, amount decimal.Decimal) string {
	for i, t := range tiers {
		if t.MaxAmount == nil || amount.LessThan(*t.MaxAmount) {
			for j := i + 1; j < len(tiers); j++ {
				if tiers[j].Role != t.Role {
					return tiers[j].Role
				}
			}
			return t.Role
		}
	}
	return tiers[len(tiers)-1].Role
}

// check works out a CreditCheck in tx: base is the amount in the base currency, role the role
// its tier names.
func (s *Service) check(ctx context.Context, tx *gorm.DB, customerID uuid.UUID, amount money.Money, base decimal.Decimal,
	role string, tiers []policies.Tier, now time.Time) (CreditCheck, error) {
	st, err := loadState(ctx, tx, now)
	if err != nil {
		return CreditCheck{}, err
	}
	out := CreditCheck{CustomerID: customerID, Amount: amount, ApproverRole: role, EscalatedRole: role,
		Exposure: zero(st.conv.Base), After: money.New(base, st.conv.Base)}
	cur, err := current(tx, []uuid.UUID{customerID})
	if err != nil {
		return CreditCheck{}, err
	}
	exp, err := computeExposure(tx, st.conv, []uuid.UUID{customerID}, st.today)
	if err != nil {
		return CreditCheck{}, err
	}
	out.Exposure = exp[customerID].Total
	out.After.Amount = out.Exposure.Amount.Add(base)
	a := cur[customerID]
	if a == nil {
		return out, nil
	}
	l := money.New(a.LimitBase, st.conv.Base)
	out.Rating, out.Limit = a.Rating, &l
	if !out.After.Amount.GreaterThan(a.LimitBase) {
		return out, nil
	}
	out.Exceeds = true
	out.EscalatedRole = nextTier(tiers, base)
	if !policies.CanApproveAs([]string{out.EscalatedRole}, role) {
		out.EscalatedRole = role
	}
	locale := tenantctx.Locale(ctx)
	out.Reason = problem.Message(locale, "risk.escalation_reason", out.After.String(), l.String(), out.Exposure.String(), a.Rating,
		roleName(out.EscalatedRole, locale))
	return out, nil
}

// Gate is the sales module's deal.CreditGate: a contract whose customer would go over its
// credit limit once signed is reviewed by the next approval tier, with the reason.
func (s *Service) Gate(ctx context.Context, tx *gorm.DB, r deal.CreditRequest) (deal.CreditDecision, error) {
	c, err := s.check(ctx, tx, r.CustomerID, r.Amount, r.Base, r.Role, r.Tiers, r.Day)
	if err != nil {
		return deal.CreditDecision{}, err
	}
	return deal.CreditDecision{Role: c.EscalatedRole, Reason: c.Reason}, nil
}

// ContractCheck is GET /contracts/{id}/credit-check: what submitting the contract would mean
// for its customer's credit, for the salesperson to see before submitting. Fails with
// not_found (a contract the actor does not see) or conflict no_rate.
func (s *Service) ContractCheck(ctx context.Context, id uuid.UUID) (CreditCheck, error) {
	c, err := s.Deals.GetContract(ctx, id)
	if err != nil {
		return CreditCheck{}, err
	}
	return s.amountCheck(ctx, c.CustomerID, c.Amount)
}

// QuoteCheck is GET /quotes/{id}/credit-check: what a contract for the quote's total would
// mean for its customer's credit limit, for the salesperson to see before sending it (quotes
// have no review; the contract made from it is routed by Gate). Fails with not_found or
// conflict no_rate.
func (s *Service) QuoteCheck(ctx context.Context, id uuid.UUID) (CreditCheck, error) {
	q, err := s.Deals.GetQuote(ctx, id)
	if err != nil {
		return CreditCheck{}, err
	}
	return s.amountCheck(ctx, q.CustomerID, q.Total)
}

// amountCheck is the check of amount for customerID under the tenant's tiers today.
func (s *Service) amountCheck(ctx context.Context, customerID uuid.UUID, amount money.Money) (CreditCheck, error) {
	var out CreditCheck
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		now := s.now()
		st, err := loadState(ctx, tx, now)
		if err != nil {
			return err
		}
		base, err := st.conv.ToBase(amount, now)
		if err != nil {
			return problem.New(problem.Conflict, "no_rate", amount.Currency, now.Format(time.DateOnly))
		}
		tiers := st.tiers()
		out, err = s.check(ctx, tx, customerID, amount, base, policies.ApproverFor(tiers, base), tiers, now)
		return err
	})
	return out, err
}

// OnReceivablesChanged is the sales module's ReceivablesChanged listener.
func (s *Service) OnReceivablesChanged(ctx context.Context, customerID uuid.UUID) {
	s.Reevaluate(ctx, customerID)
}

// OnComplaint is for the complaint area to call after a complaint of customerID commits.
func (s *Service) OnComplaint(ctx context.Context, customerID uuid.UUID) {
	s.Reevaluate(ctx, customerID)
}

// roleName is a role's name in locale (its key for a custom role).
func roleName(key, locale string) string {
	if r, ok := policies.RoleByKey(key); ok {
		if n := r.Names[locale]; n != "" {
			return n
		}
	}
	return key
}
