package risk

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/money"
)

// Exposure buckets (EXP-4), after Odoo's financial risk: what is signed but not yet due in a
// payment plan, what is due and not yet overdue, and what is overdue. A contract's amount is
// counted once: its planned installments are receivables (open or overdue by their due date,
// less what was paid), the rest of its amount — less payments not allocated to an
// installment — is signed but unpaid.
const (
	BucketSignedUnpaid = "signed_unpaid"
	BucketOpen         = "open_receivables"
	BucketOverdue      = "overdue_receivables"
)

// Exposure is a customer's exposure in the tenant's base currency.
type Exposure struct {
	SignedUnpaid       money.Money `json:"signed_unpaid"`
	OpenReceivables    money.Money `json:"open_receivables"`
	OverdueReceivables money.Money `json:"overdue_receivables"`
	Total              money.Money `json:"total"`
	// Unconverted counts amounts in a currency without an exchange rate for today; they are
	// listed in the lines but not in the sums.
	Unconverted int `json:"unconverted"`
}

// ExposureLine is one amount behind the exposure: a contract's unplanned, unpaid part or an
// installment's outstanding amount (a contract's, or an invoiced work order's), as written and
// in the base currency (null: no rate).
type ExposureLine struct {
	Bucket          string       `json:"bucket"`
	ContractID      *uuid.UUID   `json:"contract_id"`
	ContractNumber  string       `json:"contract_number"`
	WorkOrderID     *uuid.UUID   `json:"work_order_id,omitempty"`
	WorkOrderNumber string       `json:"work_order_number,omitempty"`
	InstallmentID   *uuid.UUID   `json:"installment_id"`
	DueDate         *string      `json:"due_date"`
	DaysOverdue     int          `json:"days_overdue"`
	Amount          money.Money  `json:"amount"`
	Base            *money.Money `json:"base"`
}

// exposure is a customer's computed exposure with the lines behind it and the age of its
// oldest overdue installment in days (0: none).
type exposure struct {
	Exposure
	Lines       []ExposureLine
	OldestDays  int
	OverdueDays []int
}

func zero(cur string) money.Money { return money.New(decimal.Zero, cur) }

func newExposure(base string) *exposure {
	return &exposure{Exposure: Exposure{SignedUnpaid: zero(base), OpenReceivables: zero(base), OverdueReceivables: zero(base), Total: zero(base)},
		Lines: []ExposureLine{}}
}

// computeExposure derives, in tx, the exposure of customers from their signed contracts,
// payment plans and payments, at today's exchange rates; today is the tenant's calendar day.
// It never reads the overdue flags: an installment is overdue when unpaid after its due date.
func computeExposure(tx *gorm.DB, conv *money.Converter, customers []uuid.UUID, today time.Time) (map[uuid.UUID]*exposure, error) {
	out := map[uuid.UUID]*exposure{}
	for _, c := range customers {
		out[c] = newExposure(conv.Base)
	}
	if len(customers) == 0 {
		return out, nil
	}
	var contracts []deal.Contract
	if err := tx.Select("tenant_id", "id", "number", "customer_id", "amount", "currency").
		Where("customer_id IN ? AND status = ?", customers, deal.ContractSigned).Order("signed_at, id").Find(&contracts).Error; err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, len(contracts))
	for i, c := range contracts {
		ids[i] = c.ID
	}
	var insts []deal.Installment
	if len(ids) > 0 {
		if err := tx.Where("contract_id IN ?", ids).Order("due_date, id").Find(&insts).Error; err != nil {
			return nil, err
		}
	}
	planned := map[uuid.UUID]decimal.Decimal{}
	byContract := map[uuid.UUID][]deal.Installment{}
	for _, in := range insts {
		planned[*in.ContractID] = planned[*in.ContractID].Add(in.Amount)
		byContract[*in.ContractID] = append(byContract[*in.ContractID], in)
	}
	var pays []deal.Payment
	if len(ids) > 0 {
		if err := tx.Select("tenant_id", "id", "contract_id", "unallocated").Where("contract_id IN ?", ids).Find(&pays).Error; err != nil {
			return nil, err
		}
	}
	unallocated := map[uuid.UUID]decimal.Decimal{}
	for _, p := range pays {
		unallocated[*p.ContractID] = unallocated[*p.ContractID].Add(p.Unallocated)
	}
	add := func(e *exposure, l ExposureLine) {
		v, err := conv.ToBase(l.Amount, today)
		if err != nil {
			e.Unconverted++
		} else {
			b := money.New(v, conv.Base)
			l.Base = &b
			switch l.Bucket {
			case BucketSignedUnpaid:
				e.SignedUnpaid.Amount = e.SignedUnpaid.Amount.Add(v)
			case BucketOpen:
				e.OpenReceivables.Amount = e.OpenReceivables.Amount.Add(v)
			case BucketOverdue:
				e.OverdueReceivables.Amount = e.OverdueReceivables.Amount.Add(v)
			}
			e.Total.Amount = e.Total.Amount.Add(v)
		}
		e.Lines = append(e.Lines, l)
	}
	// outstanding is an installment's unpaid rest as an open or overdue line, or false when paid.
	outstanding := func(in deal.Installment, l ExposureLine) (ExposureLine, bool) {
		left := in.Amount.Sub(in.PaidAmount)
		if left.Sign() <= 0 {
			return l, false
		}
		due := time.Time(in.DueDate)
		id, d := in.ID, due.Format(time.DateOnly)
		l.Bucket, l.InstallmentID, l.DueDate, l.Amount = BucketOpen, &id, &d, money.New(left, in.Currency)
		if due.Before(today) {
			l.Bucket = BucketOverdue
			l.DaysOverdue = int(today.Sub(due).Hours() / 24)
		}
		return l, true
	}
	addOutstanding := func(e *exposure, in deal.Installment, l ExposureLine) {
		if l, ok := outstanding(in, l); ok {
			if l.Bucket == BucketOverdue {
				e.OverdueDays = append(e.OverdueDays, l.DaysOverdue)
				e.OldestDays = max(e.OldestDays, l.DaysOverdue)
			}
			add(e, l)
		}
	}
	for _, c := range contracts {
		e := out[c.CustomerID]
		cid := c.ID
		rest := c.Amount.Sub(planned[c.ID]).Sub(unallocated[c.ID])
		if rest.Sign() > 0 {
			add(e, ExposureLine{Bucket: BucketSignedUnpaid, ContractID: &cid, ContractNumber: c.Number, Amount: money.New(rest, c.Currency)})
		}
		for _, in := range byContract[c.ID] {
			addOutstanding(e, in, ExposureLine{ContractID: &cid, ContractNumber: c.Number})
		}
	}
	// Invoiced after-sales work is owed like a contract's installment.
	wos, err := deal.WorkOrderInstallments(tx, customers)
	if err != nil {
		return nil, err
	}
	for _, in := range wos {
		wo := *in.WorkOrderID
		addOutstanding(out[in.CustomerID], in.Installment, ExposureLine{WorkOrderID: &wo, WorkOrderNumber: in.WorkOrderNumber})
	}
	return out, nil
}
