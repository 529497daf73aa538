package deal

import (
	"context"
	"errors"
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
)

// The invoice finance issues for paid after-sales work (第9條) is a receivable of the sales
// module: one installment that belongs to the work order instead of a contract, due on the
// invoice's due date. Payments made against the work order settle it exactly as a contract's
// payments settle its plan (settleBy), whether the fee was collected on site before the
// invoice (the receivable is then paid as soon as it exists) or the customer pays later with
// POST /payments {work_order_id}. The daily overdue job and the customer's overdue
// receivables count it like any other installment. app/service calls these functions in the
// work order's own transaction, so the invoice and its receivable never disagree.

// workOrderRef is the part of a work order (owned by app/service) the sales module needs.
type workOrderRef struct {
	TenantID   uuid.UUID `gorm:"primaryKey"`
	ID         uuid.UUID `gorm:"primaryKey"`
	Number     string
	CustomerID uuid.UUID
}

// TableName reads the work_orders table.
func (workOrderRef) TableName() string { return "work_orders" }

// WorkOrderReceivable is the invoice of work order WorkOrderID (numbered Number) for
// Amount, due on DueDate (zero when correcting: the due date stays).
type WorkOrderReceivable struct {
	WorkOrderID   uuid.UUID
	Number        string
	InvoiceNumber string
	Amount        money.Money
	DueDate       time.Time
}

// IssueWorkOrderReceivable makes the receivable of an issued invoice in tx, or corrects the
// one issued before (amount, due date, note) and settles it with the work order's payments;
// it records the audit entry and publishes receivable.issued or receivable.updated. A
// receivable that payments already settle in part or whole can only keep its amount and due
// date: changing them fails with conflict receivable_paid.
func IssueWorkOrderReceivable(ctx context.Context, tx *gorm.DB, now time.Time, r WorkOrderReceivable) (InstallmentView, error) {
	if err := lockWorkOrder(tx, r.WorkOrderID); err != nil {
		return InstallmentView{}, err
	}
	note := "invoice " + r.InvoiceNumber
	due := datatypes.Date(r.DueDate)
	var in Installment
	err := tx.Take(&in, "work_order_id = ?", r.WorkOrderID).Error
	event := "receivable.updated"
	var before any
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		if r.DueDate.IsZero() {
			return InstallmentView{}, problem.Field("due_date", "required", "field.required")
		}
		wo := r.WorkOrderID
		in = Installment{ID: uuid.Must(uuid.NewV7()), WorkOrderID: &wo, DueDate: due, Amount: r.Amount.Amount, Currency: r.Amount.Currency,
			PaidAmount: decimal.Zero, Status: InstallmentPending, Note: note, CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := tx.Create(&in).Error; err != nil {
			return InstallmentView{}, err
		}
		event = "receivable.issued"
	case err != nil:
		return InstallmentView{}, err
	default:
		before = installmentView(&in)
		if r.DueDate.IsZero() {
			r.DueDate, due = time.Time(in.DueDate), in.DueDate
		}
		changes := !in.Amount.Equal(r.Amount.Amount) || in.Currency != r.Amount.Currency || !time.Time(in.DueDate).Equal(r.DueDate)
		if changes && in.PaidAmount.Sign() > 0 {
			return InstallmentView{}, problem.New(problem.Conflict, "receivable_paid")
		}
		if err := tx.Model(&in).UpdateColumns(map[string]any{"amount": r.Amount.Amount, "currency": r.Amount.Currency, "due_date": due,
			"note": note, "updated_at": now, "version": in.Version + 1}).Error; err != nil {
			return InstallmentView{}, err
		}
	}
	if err := settleWorkOrder(ctx, tx, now, r.WorkOrderID); err != nil {
		return InstallmentView{}, err
	}
	if err := tx.Take(&in, "id = ?", in.ID).Error; err != nil {
		return InstallmentView{}, err
	}
	out := installmentView(&in)
	out.WorkOrderNumber = r.Number
	if err := audit.Record(ctx, tx, map[bool]string{true: "create", false: "update"}[before == nil], "installment", in.ID.String(), before, out); err != nil {
		return InstallmentView{}, err
	}
	return out, outbox.Publish(ctx, tx, event, "work_order", r.WorkOrderID, map[string]any{"installment": out})
}

// WithdrawWorkOrderReceivable removes the receivable of work order id when its invoice is
// cancelled (receivable.withdrawn); nothing to withdraw is no error. A receivable that
// payments settle in part or whole stays, and the cancellation fails with conflict
// receivable_paid: the payments would otherwise lose what they paid.
func WithdrawWorkOrderReceivable(ctx context.Context, tx *gorm.DB, id uuid.UUID) error {
	if err := lockWorkOrder(tx, id); err != nil {
		return err
	}
	var in Installment
	err := tx.Take(&in, "work_order_id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if in.PaidAmount.Sign() > 0 {
		return problem.New(problem.Conflict, "receivable_paid")
	}
	before := installmentView(&in)
	if err := tx.Delete(&in).Error; err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, "delete", "installment", in.ID.String(), before, nil); err != nil {
		return err
	}
	return outbox.Publish(ctx, tx, "receivable.withdrawn", "work_order", id, map[string]any{"installment": before})
}

// checkWorkOrderPayment fails with validation_failed unless work order id is the customer's
// and, once invoiced, in the payment's currency.
func checkWorkOrderPayment(tx *gorm.DB, id, customerID uuid.UUID, currency string) error {
	var wo workOrderRef
	err := tx.Take(&wo, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return problem.Field("work_order_id", "not_found", "field.not_found")
	}
	if err != nil {
		return err
	}
	if wo.CustomerID != customerID {
		return problem.Field("work_order_id", "invalid", "field.other_customer")
	}
	if err := lockWorkOrder(tx, id); err != nil {
		return err
	}
	var in Installment
	err = tx.Select("currency").Take(&in, "work_order_id = ?", id).Error
	if err == nil && in.Currency != currency {
		return problem.Field("amount.currency", "invalid", "field.currency_mismatch", "entity.work_order")
	}
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	return err
}

// lockWorkOrder serialises settlement per work order on PostgreSQL, as lockContract does per
// contract.
func lockWorkOrder(tx *gorm.DB, id uuid.UUID) error {
	if tx.Dialector.Name() != "postgres" {
		return nil
	}
	var wo workOrderRef
	return tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("tenant_id", "id").Take(&wo, "id = ?", id).Error
}

// InstallmentFilter are the list parameters of GET /installments.
type InstallmentFilter struct {
	api.ListParams
	CustomerID  string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
	ContractID  string `query:"contract_id" json:"-" validate:"omitempty,uuid"`
	WorkOrderID string `query:"work_order_id" json:"-" validate:"omitempty,uuid"`
	Overdue     *bool  `query:"overdue" json:"-"`
	// Open lists (true) only installments not yet paid in full.
	Open *bool `query:"open" json:"-"`
}

// ListInstallments returns a page of receivables: contracts' installments and invoiced work
// orders', in the actor's data scope (a contract's by the contract's owner, a work order's
// by its customer's owner, as the work order's payments are), oldest first.
func (s *Service) ListInstallments(ctx context.Context, f InstallmentFilter) (api.Page[InstallmentView], error) {
	return listing.ListByID(ctx, s.DB.Read, f.ListParams, func(tx *gorm.DB) (*gorm.DB, error) {
		scope, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return nil, err
		}
		contracts := scope.Apply(tx.Model(&Contract{}).Select("id"), "owner_id", "department_id")
		customers := scope.Apply(tx.Model(&opportunity.CustomerRef{}).Select("id"), "owner_id", "department_id")
		if f.CustomerID != "" {
			cid := uuid.MustParse(f.CustomerID)
			contracts = contracts.Where("customer_id = ?", cid)
			customers = customers.Where("id = ?", cid)
		}
		orders := tx.Model(&workOrderRef{}).Select("id").Where("customer_id IN (?)", customers)
		q := tx.Model(&Installment{}).Where("(contract_id IN (?) OR work_order_id IN (?))", contracts, orders)
		q = listing.WhereIDs(q, map[string]string{"contract_id": f.ContractID, "work_order_id": f.WorkOrderID})
		if f.Overdue != nil {
			q = q.Where("overdue = ?", *f.Overdue)
		}
		if f.Open != nil {
			if *f.Open {
				q = q.Where("status <> ?", InstallmentPaid)
			} else {
				q = q.Where("status = ?", InstallmentPaid)
			}
		}
		return q, nil
	}, func(in *Installment) uuid.UUID { return in.ID }, func(tx *gorm.DB, in *Installment) (InstallmentView, error) {
		v := installmentView(in)
		if in.WorkOrderID != nil {
			var wo workOrderRef
			if err := tx.Select("tenant_id", "id", "number").Take(&wo, "id = ?", *in.WorkOrderID).Error; err != nil {
				return v, err
			}
			v.WorkOrderNumber = wo.Number
		}
		return v, nil
	})
}

// WorkOrderInstallment is an invoiced work order's receivable with the work order's customer
// and number, for readers that group receivables by customer (credit exposure).
type WorkOrderInstallment struct {
	Installment
	CustomerID      uuid.UUID
	WorkOrderNumber string
}

// WorkOrderInstallments reads, in tx, the receivables of the invoiced work orders of
// customers, oldest due first.
func WorkOrderInstallments(tx *gorm.DB, customers []uuid.UUID) ([]WorkOrderInstallment, error) {
	var wos []workOrderRef
	if err := tx.Select("tenant_id", "id", "number", "customer_id").Where("customer_id IN ?", customers).Find(&wos).Error; err != nil {
		return nil, err
	}
	if len(wos) == 0 {
		return nil, nil
	}
	ref := make(map[uuid.UUID]workOrderRef, len(wos))
	ids := make([]uuid.UUID, len(wos))
	for i, w := range wos {
		ref[w.ID], ids[i] = w, w.ID
	}
	var insts []Installment
	if err := tx.Where("work_order_id IN ?", ids).Order("due_date, id").Find(&insts).Error; err != nil {
		return nil, err
	}
	out := make([]WorkOrderInstallment, len(insts))
	for i, in := range insts {
		w := ref[*in.WorkOrderID]
		out[i] = WorkOrderInstallment{Installment: in, CustomerID: w.CustomerID, WorkOrderNumber: w.Number}
	}
	return out, nil
}
