package deal

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/listing"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// Installment statuses.
const (
	InstallmentPending = "pending"
	InstallmentPartial = "partial"
	InstallmentPaid    = "paid"
)

// Installment is one due amount of a contract's payment plan (回款計劃), or the receivable of
// an invoiced after-sales work order: exactly one of ContractID and WorkOrderID is set.
type Installment struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	ContractID   *uuid.UUID
	WorkOrderID  *uuid.UUID
	DueDate      datatypes.Date
	Amount       decimal.Decimal
	Currency     string
	PaidAmount   decimal.Decimal
	Status       string
	Overdue      bool
	OverdueSince *datatypes.Date
	SettledAt    *time.Time
	Note         string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
}

// TableName is the installments table.
func (Installment) TableName() string { return "payment_installments" }

// InstallmentView is an installment as the API shows it.
type InstallmentView struct {
	ID         uuid.UUID  `json:"id"`
	ContractID *uuid.UUID `json:"contract_id"`
	// WorkOrderID and WorkOrderNumber name the invoiced work order of a receivable that has
	// no contract.
	WorkOrderID     *uuid.UUID  `json:"work_order_id"`
	WorkOrderNumber string      `json:"work_order_number,omitempty"`
	DueDate         string      `json:"due_date"`
	Amount          money.Money `json:"amount"`
	PaidAmount      money.Money `json:"paid_amount"`
	Outstanding     money.Money `json:"outstanding"`
	Status          string      `json:"status"`
	Overdue         bool        `json:"overdue"`
	OverdueSince    *string     `json:"overdue_since"`
	SettledAt       *time.Time  `json:"settled_at"`
	Note            string      `json:"note"`
	CreatedAt       time.Time   `json:"created_at"`
	Version         int64       `json:"version"`
}

func installmentView(i *Installment) InstallmentView {
	d := i.DueDate
	return InstallmentView{ID: i.ID, ContractID: i.ContractID, WorkOrderID: i.WorkOrderID, DueDate: *opportunity.FormatDate(&d), Amount: money.New(i.Amount, i.Currency),
		PaidAmount: money.New(i.PaidAmount, i.Currency), Outstanding: money.New(i.Amount.Sub(i.PaidAmount), i.Currency), Status: i.Status,
		Overdue: i.Overdue, OverdueSince: opportunity.FormatDate(i.OverdueSince), SettledAt: i.SettledAt, Note: i.Note,
		CreatedAt: i.CreatedAt, Version: i.Version}
}

// PlanView is a contract's payment plan: its installments, due date first, and the totals.
type PlanView struct {
	ContractID   uuid.UUID         `json:"contract_id"`
	Amount       money.Money       `json:"contract_amount"`
	Planned      money.Money       `json:"planned"`
	Paid         money.Money       `json:"paid"`
	Outstanding  money.Money       `json:"outstanding"`
	Installments []InstallmentView `json:"installments"`
}

// InstallmentInput is one installment of POST /contracts/{id}/payment-plans.
type InstallmentInput struct {
	DueDate string      `json:"due_date" validate:"required,datetime=2006-01-02"`
	Amount  money.Money `json:"amount"`
	Note    string      `json:"note" validate:"max=500"`
}

// PlanInput is the body of POST /contracts/{id}/payment-plans: installments to add.
type PlanInput struct {
	Installments []InstallmentInput `json:"installments" validate:"required,min=1,max=120,dive"`
}

// PlanFilter are the parameters of GET /contracts/{id}/payment-plans.
type PlanFilter struct {
	Overdue *bool `query:"overdue" json:"-"`
}

func (s *Service) plan(tx *gorm.DB, c *Contract, f PlanFilter) (PlanView, error) {
	var rows []Installment
	if err := tx.Where("contract_id = ?", c.ID).Order("due_date, id").Find(&rows).Error; err != nil {
		return PlanView{}, err
	}
	out := PlanView{ContractID: c.ID, Amount: c.money(), Planned: money.New(decimal.Zero, c.Currency), Paid: money.New(decimal.Zero, c.Currency),
		Installments: []InstallmentView{}}
	for i := range rows {
		out.Planned.Amount = out.Planned.Amount.Add(rows[i].Amount)
		out.Paid.Amount = out.Paid.Amount.Add(rows[i].PaidAmount)
		if f.Overdue == nil || rows[i].Overdue == *f.Overdue {
			out.Installments = append(out.Installments, installmentView(&rows[i]))
		}
	}
	out.Outstanding = money.New(out.Planned.Amount.Sub(out.Paid.Amount), c.Currency)
	return out, nil
}

// Plan returns a contract's payment plan.
func (s *Service) Plan(ctx context.Context, contractID uuid.UUID, f PlanFilter) (PlanView, error) {
	var out PlanView
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		c, err := loadScoped[Contract](ctx, s, tx, contractID, "entity.contract")
		if err != nil {
			return err
		}
		out, err = s.plan(tx, &c, f)
		return err
	})
	return out, err
}

// checkPlanTotal fails with validation_failed when the contract's installments plus extra
// would exceed its amount, or are in another currency.
func (s *Service) checkPlanTotal(tx *gorm.DB, c *Contract, extra decimal.Decimal) error {
	var rows []Installment
	if err := tx.Select("amount", "currency").Where("contract_id = ?", c.ID).Find(&rows).Error; err != nil {
		return err
	}
	sum := extra
	for _, r := range rows {
		if r.Currency != c.Currency {
			return problem.Field("amount.currency", "invalid", "field.currency_mismatch", "entity.contract")
		}
		sum = sum.Add(r.Amount)
	}
	if sum.GreaterThan(c.Amount) {
		return problem.Field("installments", "out_of_range", "field.plan_exceeds", c.money().String())
	}
	return nil
}

// AddInstallments adds installments to a contract's plan and settles them against payments
// already received. Their sum with the existing ones may not exceed the contract amount,
// and they are in the contract's currency. Fails with not_found or validation_failed.
func (s *Service) AddInstallments(ctx context.Context, contractID uuid.UUID, in PlanInput) (PlanView, error) {
	var out PlanView
	var customerID uuid.UUID
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		c, err := loadScoped[Contract](ctx, s, tx, contractID, "entity.contract")
		if err != nil {
			return err
		}
		if c.Status == ContractRejected {
			return problem.New(problem.Conflict, "contract_locked")
		}
		now := s.now()
		extra := decimal.Zero
		rows := make([]Installment, len(in.Installments))
		for i, it := range in.Installments {
			at := fmt.Sprintf("installments[%d]", i)
			if err := money.Check(at+".amount", it.Amount, false); err != nil {
				return err
			}
			if it.Amount.Amount.Sign() == 0 {
				return problem.Field(at+".amount.amount", "out_of_range", "field.out_of_range")
			}
			if it.Amount.Currency != c.Currency {
				return problem.Field(at+".amount.currency", "invalid", "field.currency_mismatch", "entity.contract")
			}
			if strings.IndexByte(it.Note, 0) >= 0 {
				return problem.Field(at+".note", "invalid", "field.invalid")
			}
			due, err := opportunity.ParseDate(at+".due_date", &it.DueDate)
			if err != nil {
				return err
			}
			extra = extra.Add(it.Amount.Amount)
			rows[i] = Installment{ID: uuid.Must(uuid.NewV7()), ContractID: &c.ID, DueDate: *due, Amount: it.Amount.Amount, Currency: c.Currency,
				PaidAmount: decimal.Zero, Status: InstallmentPending, Note: strings.TrimSpace(it.Note), CreatedAt: now, UpdatedAt: now, Version: 1}
		}
		if err := s.lockContract(tx, c.ID); err != nil {
			return err
		}
		if err := s.checkPlanTotal(tx, &c, extra); err != nil {
			return err
		}
		if err := tx.Create(&rows).Error; err != nil {
			return err
		}
		if err := s.settle(ctx, tx, c.ID); err != nil {
			return err
		}
		if err := tx.Take(&c, "id = ?", c.ID).Error; err != nil {
			return err
		}
		out, err = s.plan(tx, &c, PlanFilter{})
		if err != nil {
			return err
		}
		customerID = c.CustomerID
		return audit.Record(ctx, tx, "plan", "contract", c.ID.String(), nil, map[string]any{"installments_added": len(rows), "planned": out.Planned})
	})
	if err == nil {
		s.changed(ctx, customerID)
	}
	return out, err
}

// lockContract serialises settlement per contract: on PostgreSQL two payments committed at
// once would otherwise each allocate without seeing the other. SQLite's write transactions
// are serial already.
func (s *Service) lockContract(tx *gorm.DB, id uuid.UUID) error {
	if s.DB.Dialect != store.Postgres {
		return nil
	}
	var c Contract
	return tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("tenant_id", "id").Take(&c, "id = ?", id).Error
}

// Allocation is how much of a payment went to an installment.
type Allocation struct {
	TenantID      uuid.UUID       `gorm:"primaryKey" json:"-"`
	PaymentID     uuid.UUID       `gorm:"primaryKey" json:"-"`
	InstallmentID uuid.UUID       `gorm:"primaryKey" json:"installment_id"`
	Amount        decimal.Decimal `json:"amount"`
}

// TableName is the allocations table.
func (Allocation) TableName() string { return "payment_allocations" }

// settle recomputes, from scratch, how a contract's payments settle its installments: payments
// in the order received pay installments in the order due (earliest first), each installment
// fully before the next. Installments become paid (settled_at keeps the first time), partial
// or pending; an unpaid one past its due date is overdue. What no installment takes stays
// unallocated on the payment. Recomputing makes corrections of a payment's amount or date
// exact.
func (s *Service) settle(ctx context.Context, tx *gorm.DB, contractID uuid.UUID) error {
	anyOverdue, err := settleBy(ctx, tx, s.now(), "contract_id", contractID)
	if err != nil {
		return err
	}
	return tx.Model(&Contract{}).Where("id = ?", contractID).UpdateColumn("overdue", anyOverdue).Error
}

// settleWorkOrder is settle for the receivable of an invoiced work order: the payments made
// against the work order (its fee collected on site, later payments recorded against it)
// settle its installment.
func settleWorkOrder(ctx context.Context, tx *gorm.DB, now time.Time, workOrderID uuid.UUID) error {
	_, err := settleBy(ctx, tx, now, "work_order_id", workOrderID)
	return err
}

// settleBy is settle over the installments and payments whose column (contract_id or
// work_order_id) is id; it answers whether any installment is overdue.
func settleBy(ctx context.Context, tx *gorm.DB, now time.Time, column string, id uuid.UUID) (bool, error) {
	var insts []Installment
	if err := tx.Where(column+" = ?", id).Order("due_date, id").Find(&insts).Error; err != nil {
		return false, err
	}
	var pays []Payment
	q := tx.Where(column+" = ?", id)
	if column == "contract_id" {
		// A payment names a contract or a work order, never both; a contract's plan is paid
		// by its contract's payments only.
		q = q.Where("work_order_id IS NULL")
	}
	if err := q.Order("received_on, id").Find(&pays).Error; err != nil {
		return false, err
	}
	ids := make([]uuid.UUID, len(pays))
	for i, p := range pays {
		ids[i] = p.ID
	}
	if len(ids) > 0 {
		if err := tx.Where("payment_id IN ?", ids).Delete(&Allocation{}).Error; err != nil {
			return false, err
		}
	}
	day, err := localDay(ctx, tx, now)
	if err != nil {
		return false, err
	}
	paid := make([]decimal.Decimal, len(insts))
	for i := range paid {
		paid[i] = decimal.Zero
	}
	var allocs []Allocation
	k := 0
	for pi := range pays {
		left := pays[pi].Amount
		for k < len(insts) && left.Sign() > 0 {
			need := insts[k].Amount.Sub(paid[k])
			take := decimal.Min(need, left)
			paid[k] = paid[k].Add(take)
			left = left.Sub(take)
			allocs = append(allocs, Allocation{PaymentID: pays[pi].ID, InstallmentID: insts[k].ID, Amount: take})
			if paid[k].Equal(insts[k].Amount) {
				k++
			}
		}
		if !left.Equal(pays[pi].Unallocated) {
			if err := tx.Model(&pays[pi]).UpdateColumn("unallocated", left).Error; err != nil {
				return false, err
			}
		}
	}
	if len(allocs) > 0 {
		if err := tx.Create(&allocs).Error; err != nil {
			return false, err
		}
	}
	anyOverdue := false
	for i := range insts {
		in := &insts[i]
		status := InstallmentPending
		switch {
		case paid[i].Equal(in.Amount):
			status = InstallmentPaid
		case paid[i].Sign() > 0:
			status = InstallmentPartial
		}
		settled := in.SettledAt
		if status != InstallmentPaid {
			settled = nil
		} else if settled == nil {
			settled = &now
		}
		overdue := status != InstallmentPaid && time.Time(in.DueDate).Before(day)
		since := in.OverdueSince
		if !overdue {
			since = nil
		} else if since == nil {
			d := datatypes.Date(day)
			since = &d
		}
		anyOverdue = anyOverdue || overdue
		if in.Status == status && in.PaidAmount.Equal(paid[i]) && in.Overdue == overdue {
			continue
		}
		if err := tx.Model(in).UpdateColumns(map[string]any{"paid_amount": paid[i], "status": status, "settled_at": settled,
			"overdue": overdue, "overdue_since": since, "updated_at": now, "version": in.Version + 1}).Error; err != nil {
			return false, err
		}
	}
	return anyOverdue, nil
}

// Payment methods.
var PaymentMethods = []string{"bank_transfer", "cash", "cheque", "card", "alipay", "wechat_pay", "other"}

// Payment is money received from a customer (回款), optionally against a contract.
type Payment struct {
	TenantID   uuid.UUID `gorm:"primaryKey"`
	ID         uuid.UUID `gorm:"primaryKey"`
	CustomerID uuid.UUID
	ContractID *uuid.UUID
	// WorkOrderID is the after-sales work order whose fee this is (collected on site).
	WorkOrderID  *uuid.UUID
	Amount       decimal.Decimal
	Currency     string
	ReceivedOn   datatypes.Date
	Method       string
	Reference    string
	Note         string
	Unallocated  decimal.Decimal
	OwnerID      uuid.UUID
	DepartmentID *uuid.UUID
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Version      int64
}

// Key is the payment's ID.
func (p Payment) Key() uuid.UUID { return p.ID }

// Owner is the payment's owner and their department.
func (p Payment) Owner() (uuid.UUID, *uuid.UUID) { return p.OwnerID, p.DepartmentID }

// PaymentView is a payment as the API shows it. The owner is the contract's (or customer's)
// owner, to whom the revenue counts.
type PaymentView struct {
	ID           uuid.UUID    `json:"id"`
	CustomerID   uuid.UUID    `json:"customer_id"`
	ContractID   *uuid.UUID   `json:"contract_id"`
	WorkOrderID  *uuid.UUID   `json:"work_order_id"`
	Amount       money.Money  `json:"amount"`
	ReceivedOn   string       `json:"received_on"`
	Method       string       `json:"method"`
	Reference    string       `json:"reference"`
	Note         string       `json:"note"`
	Unallocated  money.Money  `json:"unallocated"`
	Allocations  []Allocation `json:"allocations"`
	OwnerID      uuid.UUID    `json:"owner_id"`
	DepartmentID *uuid.UUID   `json:"department_id"`
	CreatedAt    time.Time    `json:"created_at"`
	UpdatedAt    time.Time    `json:"updated_at"`
	Version      int64        `json:"version"`
}

func paymentView(tx *gorm.DB, p *Payment) (PaymentView, error) {
	d := p.ReceivedOn
	v := PaymentView{ID: p.ID, CustomerID: p.CustomerID, ContractID: p.ContractID, WorkOrderID: p.WorkOrderID, Amount: money.New(p.Amount, p.Currency),
		ReceivedOn: *opportunity.FormatDate(&d), Method: p.Method, Reference: p.Reference, Note: p.Note,
		Unallocated: money.New(p.Unallocated, p.Currency), Allocations: []Allocation{}, OwnerID: p.OwnerID, DepartmentID: p.DepartmentID,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Version: p.Version}
	return v, tx.Where("payment_id = ?", p.ID).Order("installment_id").Find(&v.Allocations).Error
}

// PaymentInput is the body of POST /payments.
type PaymentInput struct {
	CustomerID uuid.UUID  `json:"customer_id" validate:"required"`
	ContractID *uuid.UUID `json:"contract_id"`
	// WorkOrderID records the payment against an invoiced after-sales work order of the
	// customer; it settles the work order's receivable. Not with contract_id.
	WorkOrderID *uuid.UUID  `json:"work_order_id"`
	Amount      money.Money `json:"amount"`
	ReceivedOn  *string     `json:"received_on" validate:"omitempty,datetime=2006-01-02"`
	Method      string      `json:"method" validate:"required,oneof=bank_transfer cash cheque card alipay wechat_pay other"`
	Reference   string      `json:"reference" validate:"max=200"`
	Note        string      `json:"note" validate:"max=2000"`
}

// receivedOn is the payment day given (d) or today, which it may not be after (day: today in
// the tenant's time zone).
func receivedOn(field string, d *datatypes.Date, day time.Time) (datatypes.Date, error) {
	if d == nil {
		return datatypes.Date(day), nil
	}
	if time.Time(*d).After(day) {
		return datatypes.Date{}, problem.Field(field, "out_of_range", "field.out_of_range")
	}
	return *d, nil
}

// CreatePayment records a payment (event payment.received). Against a contract it must be
// the customer's signed contract in the same currency, and it settles the contract's
// installments. Fails with validation_failed or conflict (contract not signed).
func (s *Service) CreatePayment(ctx context.Context, in PaymentInput) (PaymentView, error) {
	if err := noNUL(map[string]string{"reference": in.Reference, "note": in.Note}); err != nil {
		return PaymentView{}, err
	}
	if err := money.Check("amount", in.Amount, false); err != nil {
		return PaymentView{}, err
	}
	if in.Amount.Amount.Sign() == 0 {
		return PaymentView{}, problem.Field("amount.amount", "out_of_range", "field.out_of_range")
	}
	given, err := opportunity.ParseDate("received_on", in.ReceivedOn)
	if err != nil {
		return PaymentView{}, err
	}
	now := s.now()
	if in.ContractID != nil && in.WorkOrderID != nil {
		return PaymentView{}, problem.Field("work_order_id", "invalid", "field.invalid")
	}
	p := &Payment{ID: uuid.Must(uuid.NewV7()), CustomerID: in.CustomerID, ContractID: in.ContractID, WorkOrderID: in.WorkOrderID, Amount: in.Amount.Amount,
		Currency: in.Amount.Currency, Method: in.Method, Reference: strings.TrimSpace(in.Reference), Note: in.Note,
		Unallocated: in.Amount.Amount, CreatedAt: now, UpdatedAt: now, Version: 1}
	var out PaymentView
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		day, err := localDay(ctx, tx, now)
		if err != nil {
			return err
		}
		if p.ReceivedOn, err = receivedOn("received_on", given, day); err != nil {
			return err
		}
		cust, err := opportunity.VisibleCustomer(ctx, tx, s.Authz, "customer_id", in.CustomerID)
		if err != nil {
			return err
		}
		switch {
		case in.ContractID != nil:
			c, err := loadScoped[Contract](ctx, s, tx, *in.ContractID, "entity.contract")
			if problem.Is(err, problem.NotFound) {
				return problem.Field("contract_id", "not_found", "field.not_found")
			}
			if err != nil {
				return err
			}
			if c.CustomerID != cust.ID {
				return problem.Field("contract_id", "invalid", "field.other_customer")
			}
			if c.Currency != p.Currency {
				return problem.Field("amount.currency", "invalid", "field.currency_mismatch", "entity.contract")
			}
			if c.Status != ContractSigned {
				return problem.New(problem.Conflict, "contract_not_signed")
			}
			p.OwnerID, p.DepartmentID = c.OwnerID, c.DepartmentID
			if err := s.lockContract(tx, c.ID); err != nil {
				return err
			}
		case in.WorkOrderID != nil:
			if err := checkWorkOrderPayment(tx, *in.WorkOrderID, cust.ID, p.Currency); err != nil {
				return err
			}
		}
		if in.ContractID == nil {
			switch {
			case cust.OwnerID != nil:
				p.OwnerID, p.DepartmentID = *cust.OwnerID, cust.DepartmentID
			default:
				if p.OwnerID, p.DepartmentID, err = actorOwner(tx, tenantctx.ActorFrom(ctx).UserID); err != nil {
					return err
				}
			}
		}
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		if err := s.settlePayment(ctx, tx, p); err != nil {
			return err
		}
		if out, err = paymentView(tx, p); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "create", "payment", p.ID.String(), nil, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "payment.received", "payment", p.ID, map[string]any{"payment": out})
	})
	if err == nil {
		s.changed(ctx, out.CustomerID)
	}
	return out, err
}

// settlePayment re-settles what payment p was made against (its contract's plan or its work
// order's receivable) and reloads p.
func (s *Service) settlePayment(ctx context.Context, tx *gorm.DB, p *Payment) error {
	switch {
	case p.ContractID != nil:
		if err := s.settle(ctx, tx, *p.ContractID); err != nil {
			return err
		}
	case p.WorkOrderID != nil:
		if err := settleWorkOrder(ctx, tx, s.now(), *p.WorkOrderID); err != nil {
			return err
		}
	default:
		return nil
	}
	return tx.Take(p, "id = ?", p.ID).Error
}

// GetPayment returns one payment with its allocations.
func (s *Service) GetPayment(ctx context.Context, id uuid.UUID) (PaymentView, error) {
	return policies.GetScoped(ctx, s.DB, s.Authz, id, "entity.payment", paymentView)
}

// PaymentFilter are the list parameters of GET /payments.
type PaymentFilter struct {
	api.ListParams
	CustomerID     string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
	ContractID     string `query:"contract_id" json:"-" validate:"omitempty,uuid"`
	WorkOrderID    string `query:"work_order_id" json:"-" validate:"omitempty,uuid"`
	ReceivedAfter  string `query:"received_after" json:"-" validate:"omitempty,datetime=2006-01-02"`
	ReceivedBefore string `query:"received_before" json:"-" validate:"omitempty,datetime=2006-01-02"`
}

// ListPayments returns a page of payments in the actor's scope, oldest first.
func (s *Service) ListPayments(ctx context.Context, f PaymentFilter) (api.Page[PaymentView], error) {
	return policies.ListScoped(ctx, s.DB, s.Authz, f.ListParams, func(q *gorm.DB) *gorm.DB {
		q = listing.WhereIDs(q, map[string]string{"customer_id": f.CustomerID, "contract_id": f.ContractID, "work_order_id": f.WorkOrderID})
		if f.ReceivedAfter != "" {
			d, _ := time.Parse(time.DateOnly, f.ReceivedAfter)
			q = q.Where("received_on >= ?", datatypes.Date(d))
		}
		if f.ReceivedBefore != "" {
			d, _ := time.Parse(time.DateOnly, f.ReceivedBefore)
			q = q.Where("received_on < ?", datatypes.Date(d))
		}
		return q
	}, paymentView)
}

// PaymentUpdate is a PATCH of a payment; amount and date corrections re-settle the plan.
type PaymentUpdate struct {
	Version    int64        `json:"version" validate:"required"`
	Amount     *money.Money `json:"amount"`
	ReceivedOn *string      `json:"received_on" validate:"omitempty,datetime=2006-01-02"`
	Method     *string      `json:"method" validate:"omitempty,oneof=bank_transfer cash cheque card alipay wechat_pay other"`
	Reference  *string      `json:"reference" validate:"omitempty,max=200"`
	Note       *string      `json:"note" validate:"omitempty,max=2000"`
}

// UpdatePayment applies a PATCH. The currency cannot change (record another payment). Fails
// with not_found, conflict (stale version) or validation_failed.
func (s *Service) UpdatePayment(ctx context.Context, id uuid.UUID, u PaymentUpdate) (PaymentView, error) {
	if err := ptrNoNUL(map[string]*string{"reference": u.Reference, "note": u.Note}); err != nil {
		return PaymentView{}, err
	}
	if u.Amount != nil {
		if err := money.Check("amount", *u.Amount, false); err != nil {
			return PaymentView{}, err
		}
		if u.Amount.Amount.Sign() == 0 {
			return PaymentView{}, problem.Field("amount.amount", "out_of_range", "field.out_of_range")
		}
	}
	on, err := opportunity.ParseDate("received_on", u.ReceivedOn)
	if err != nil {
		return PaymentView{}, err
	}
	var out PaymentView
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		p, err := loadScoped[Payment](ctx, s, tx, id, "entity.payment")
		if err != nil {
			return err
		}
		if p.Version != u.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		before, err := paymentView(tx, &p)
		if err != nil {
			return err
		}
		if u.Amount != nil {
			if u.Amount.Currency != p.Currency {
				return problem.Field("amount.currency", "invalid", "field.currency_mismatch", "entity.payment")
			}
			p.Amount = u.Amount.Amount
			if p.ContractID == nil && p.WorkOrderID == nil {
				p.Unallocated = p.Amount
			}
		}
		if on != nil {
			day, err := localDay(ctx, tx, s.now())
			if err != nil {
				return err
			}
			if p.ReceivedOn, err = receivedOn("received_on", on, day); err != nil {
				return err
			}
		}
		if u.Method != nil {
			p.Method = *u.Method
		}
		if u.Reference != nil {
			p.Reference = strings.TrimSpace(*u.Reference)
		}
		if u.Note != nil {
			p.Note = *u.Note
		}
		if p.ContractID != nil {
			if err := s.lockContract(tx, *p.ContractID); err != nil {
				return err
			}
		}
		old := p.Version
		p.Version, p.UpdatedAt = old+1, s.now()
		if err := store.SaveVersioned(tx, &p, old); err != nil {
			return err
		}
		if err := s.settlePayment(ctx, tx, &p); err != nil {
			return err
		}
		if out, err = paymentView(tx, &p); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "update", "payment", p.ID.String(), before, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "payment.updated", "payment", p.ID, map[string]any{"payment": out})
	})
	if err == nil {
		s.changed(ctx, out.CustomerID)
	}
	return out, err
}

// MarkOverdue flags, in the context tenant, the installments that are unpaid after their due
// date as of now, and their contracts; each newly overdue installment publishes
// receivable.overdue (for credit risk, RSK-2). It returns how many became overdue.
func (s *Service) MarkOverdue(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		local, err := localDay(ctx, tx, now)
		if err != nil {
			return err
		}
		day := datatypes.Date(local)
		var rows []Installment
		if err := tx.Where("status <> ? AND overdue = ? AND due_date < ?", InstallmentPaid, false, day).Order("id").Find(&rows).Error; err != nil {
			return err
		}
		var contracts []uuid.UUID
		for i := range rows {
			in := &rows[i]
			res := tx.Model(in).Where("overdue = ?", false).UpdateColumns(map[string]any{"overdue": true, "overdue_since": day, "updated_at": now.UTC()})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				continue
			}
			n++
			in.Overdue, in.OverdueSince = true, &day
			subject, id := "contract", uuid.Nil
			switch {
			case in.ContractID != nil:
				id = *in.ContractID
				if !slices.Contains(contracts, id) {
					contracts = append(contracts, id)
				}
			case in.WorkOrderID != nil:
				// The receivable of an invoiced work order: no contract to flag.
				subject, id = "work_order", *in.WorkOrderID
			}
			if err := outbox.Publish(ctx, tx, "receivable.overdue", subject, id,
				map[string]any{"installment": installmentView(in)}); err != nil {
				return err
			}
		}
		if len(contracts) == 0 {
			return nil
		}
		return tx.Model(&Contract{}).Where("id IN ?", contracts).UpdateColumn("overdue", true).Error
	})
	return n, err
}
