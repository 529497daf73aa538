package deal

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/policies"
)

// CreditRequest is what the credit gate is asked when a contract is submitted: its customer,
// its amount (as written and in the base currency), and the role the approval tiers name for
// that amount.
type CreditRequest struct {
	ContractID uuid.UUID
	CustomerID uuid.UUID
	Amount     money.Money
	Base       decimal.Decimal
	Role       string
	Tiers      []policies.Tier
	Day        time.Time
}

// CreditDecision is the gate's answer: the role that must review the contract (Role, or a
// more senior one when the customer would go over its credit limit) and why, in words the
// approver reads ("" when nothing changed).
type CreditDecision struct {
	Role   string
	Reason string
}

// CreditGate decides, inside the submission's transaction, who reviews a contract given the
// customer's credit (RSK-2). The credit area (app/risk) provides it; without one the tiers
// alone decide.
type CreditGate func(ctx context.Context, tx *gorm.DB, r CreditRequest) (CreditDecision, error)

// changed tells the listeners of ReceivablesChanged, after a commit, that what customerID owes
// may have changed (a contract signed, a plan or a payment recorded).
func (s *Service) changed(ctx context.Context, customerID uuid.UUID) {
	for _, f := range s.ReceivablesChanged {
		f(context.WithoutCancel(ctx), customerID)
	}
}
