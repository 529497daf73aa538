package deal

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
)

// Fees of paid after-sales work (第9條) collected on site are payments like any other: they
// are in GET /payments (filter work_order_id), on the customer's timeline and in the revenue
// the sales reports count. The work order's charge makes, corrects and withdraws its payment
// in the charge's own transaction, so the two never disagree; the technician who collects
// needs no payment permission of their own. The payment counts to the customer's owner, as
// a payment without contract does.

// WorkOrderFee is the fee of work order WorkOrderID collected on site from CustomerID, with
// the receipt number handed over.
type WorkOrderFee struct {
	WorkOrderID   uuid.UUID
	Number        string
	CustomerID    uuid.UUID
	Amount        money.Money
	ReceiptNumber string
}

// RecordWorkOrderFee stores fee as a payment received today (method cash, the receipt number
// as reference) in tx, or corrects payment id (the one it made before) to it; it publishes
// payment.received or payment.updated and answers the payment's ID. now is the clock of the
// caller (its fake one in tests).
func RecordWorkOrderFee(ctx context.Context, tx *gorm.DB, now time.Time, id *uuid.UUID, fee WorkOrderFee) (uuid.UUID, error) {
	day, err := localDay(ctx, tx, now)
	if err != nil {
		return uuid.Nil, err
	}
	note := fmt.Sprintf("work order %s", fee.Number)
	if id != nil {
		var p Payment
		if err := tx.Take(&p, "id = ?", *id).Error; err == nil {
			before, err := paymentView(tx, &p)
			if err != nil {
				return uuid.Nil, err
			}
			old := p.Version
			p.Amount, p.Currency, p.Unallocated, p.Reference, p.CustomerID = fee.Amount.Amount, fee.Amount.Currency, fee.Amount.Amount, fee.ReceiptNumber, fee.CustomerID
			p.Version, p.UpdatedAt = old+1, now
			if err := store.SaveVersioned(tx, &p, old); err != nil {
				return uuid.Nil, err
			}
			after, err := paymentView(tx, &p)
			if err != nil {
				return uuid.Nil, err
			}
			if err := audit.Record(ctx, tx, "update", "payment", p.ID.String(), before, after); err != nil {
				return uuid.Nil, err
			}
			return p.ID, outbox.Publish(ctx, tx, "payment.updated", "payment", p.ID, map[string]any{"payment": after})
		} else if !errors.Is(err, gorm.ErrRecordNotFound) {
			return uuid.Nil, err
		}
	}
	wo := fee.WorkOrderID
	p := &Payment{ID: uuid.Must(uuid.NewV7()), CustomerID: fee.CustomerID, WorkOrderID: &wo, Amount: fee.Amount.Amount,
		Currency: fee.Amount.Currency, ReceivedOn: datatypes.Date(day), Method: "cash", Reference: fee.ReceiptNumber, Note: note,
		Unallocated: fee.Amount.Amount, CreatedAt: now, UpdatedAt: now, Version: 1}
	var owner opportunity.CustomerRef
	if err := tx.Take(&owner, "id = ?", fee.CustomerID).Error; err != nil {
		return uuid.Nil, err
	}
	if owner.OwnerID != nil {
		p.OwnerID, p.DepartmentID = *owner.OwnerID, owner.DepartmentID
	} else if p.OwnerID, p.DepartmentID, err = actorOwner(tx, tenantctx.ActorFrom(ctx).UserID); err != nil {
		return uuid.Nil, err
	}
	if err := tx.Create(p).Error; err != nil {
		return uuid.Nil, err
	}
	out, err := paymentView(tx, p)
	if err != nil {
		return uuid.Nil, err
	}
	if err := audit.Record(ctx, tx, "create", "payment", p.ID.String(), nil, out); err != nil {
		return uuid.Nil, err
	}
	return p.ID, outbox.Publish(ctx, tx, "payment.received", "payment", p.ID, map[string]any{"payment": out})
}

// WithdrawWorkOrderFee removes payment id that a work order's on-site charge made, when the
// charge is corrected to be invoiced instead (nothing was collected); payment.deleted.
func WithdrawWorkOrderFee(ctx context.Context, tx *gorm.DB, id uuid.UUID) error {
	var p Payment
	err := tx.Take(&p, "id = ? AND work_order_id IS NOT NULL", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	before, err := paymentView(tx, &p)
	if err != nil {
		return err
	}
	if err := tx.Delete(&p).Error; err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, "delete", "payment", p.ID.String(), before, nil); err != nil {
		return err
	}
	return outbox.Publish(ctx, tx, "payment.deleted", "payment", p.ID, map[string]any{"payment": before})
}
