package deal

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/money"
)

// Receivable is what a customer owes past due: the outstanding amount of its overdue
// installments in the base currency (at the rate of each installment's due date), how many
// installments that is, and the earliest due date among them.
type Receivable struct {
	Overdue      decimal.Decimal `json:"overdue"`
	Installments int             `json:"installments"`
	OldestDue    time.Time       `json:"oldest_due"`
	// Unconverted counts overdue installments in a currency with no rate for their due date;
	// they are not in Overdue.
	Unconverted int `json:"unconverted"`
}

// OverdueReceivables returns, for those of customerIDs that owe anything past due, their
// overdue receivables as the installments' overdue flags stand (the daily job and settlement
// keep them): their contracts' installments and the receivables of their invoiced work
// orders. Credit risk (RSK-2) reads it in its own transaction tx.
func OverdueReceivables(ctx context.Context, tx *gorm.DB, customerIDs []uuid.UUID) (map[uuid.UUID]Receivable, error) {
	out := map[uuid.UUID]Receivable{}
	if len(customerIDs) == 0 {
		return out, nil
	}
	var contracts []Contract
	if err := tx.Select("tenant_id", "id", "customer_id").Where("customer_id IN ? AND overdue = ?", customerIDs, true).Find(&contracts).Error; err != nil {
		return nil, err
	}
	// Invoiced after-sales work is owed by the work order's customer, without a contract.
	var orders []workOrderRef
	if err := tx.Select("tenant_id", "id", "customer_id").Where("customer_id IN ?", customerIDs).
		Where("id IN (?)", tx.Model(&Installment{}).Select("work_order_id").Where("work_order_id IS NOT NULL AND overdue = ?", true)).
		Find(&orders).Error; err != nil {
		return nil, err
	}
	if len(contracts) == 0 && len(orders) == 0 {
		return out, nil
	}
	owner := map[uuid.UUID]uuid.UUID{}
	ids := make([]uuid.UUID, len(contracts))
	for i, c := range contracts {
		owner[c.ID], ids[i] = c.CustomerID, c.ID
	}
	woIDs := make([]uuid.UUID, len(orders))
	for i, w := range orders {
		owner[w.ID], woIDs[i] = w.CustomerID, w.ID
	}
	conv, err := money.LoadConverter(ctx, tx)
	if err != nil {
		return nil, err
	}
	var rows []Installment
	q := tx.Where("overdue = ?", true)
	switch {
	case len(ids) > 0 && len(woIDs) > 0:
		q = q.Where("(contract_id IN ? OR work_order_id IN ?)", ids, woIDs)
	case len(ids) > 0:
		q = q.Where("contract_id IN ?", ids)
	default:
		q = q.Where("work_order_id IN ?", woIDs)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, in := range rows {
		var cust uuid.UUID
		if in.ContractID != nil {
			cust = owner[*in.ContractID]
		} else if in.WorkOrderID != nil {
			cust = owner[*in.WorkOrderID]
		}
		r := out[cust]
		if r.Overdue.IsZero() {
			r.Overdue = decimal.Zero
		}
		due := time.Time(in.DueDate)
		if r.Installments == 0 || due.Before(r.OldestDue) {
			r.OldestDue = due
		}
		r.Installments++
		if v, err := conv.ToBase(money.New(in.Amount.Sub(in.PaidAmount), in.Currency), due); err == nil {
			r.Overdue = r.Overdue.Add(v)
		} else {
			r.Unconverted++
		}
		out[cust] = r
	}
	return out, nil
}
