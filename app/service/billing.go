package service

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// Paid work (第9條): a small fee is collected on site, recorded with its receipt number and
// handed to finance, which then sends the invoice; otherwise finance invoices from the work
// order and collects later. Either way the charge raises an invoice request that finance marks
// issued, which moves the signed-off work order to invoiced. A fee collected on site is a
// payment of the sales module (deal.RecordWorkOrderFee), made and corrected with the charge.
// The issued invoice is a receivable of the sales module (deal.IssueWorkOrderReceivable): an
// installment of the work order, due on the invoice's due date — the one finance enters, or
// the invoice day plus the tenant's payment terms (settings payment_terms_days, net 30 by
// default), as invoices in accounting systems carry them. Payments against the work order
// settle it (a fee collected on site at once). Finance may correct an issued invoice (number,
// due date) or cancel it, which withdraws the receivable and returns the work order to signed
// off; neither is possible once payments settle the receivable (409 receivable_paid), nor
// after closing.

// Fee methods.
const (
	FeeOnSite  = "on_site"
	FeeInvoice = "invoice"
)

// Invoice request states.
const (
	InvoiceRequested = "requested"
	InvoiceIssued    = "issued"
)

// ChargeInput is the body of POST /work-orders/{id}/charge.
type ChargeInput struct {
	Version int64       `json:"version" validate:"gte=0"`
	Fee     money.Money `json:"fee"`
	// Method: on_site (collected there, with the receipt number) or invoice (finance bills).
	Method        string `json:"method" validate:"required,oneof=on_site invoice"`
	ReceiptNumber string `json:"receipt_number" validate:"max=64"`
}

var chargeable = []string{StatusInProgress, StatusOnHold, StatusCompleted, StatusSignedOff}

// Charge records the fee of paid work and requests its invoice from finance; it may be
// corrected until the invoice is issued. Fails with validation_failed (amount, a collection
// on site without receipt number), forbidden (not the technician or a manager) or conflict
// (not paid work, not started, already invoiced).
func (s *Service) Charge(ctx context.Context, id uuid.UUID, in ChargeInput) (View, error) {
	if err := problem.CleanText(map[string]*string{"receipt_number": &in.ReceiptNumber}); err != nil {
		return View{}, err
	}
	if err := money.Check("fee", in.Fee, false); err != nil {
		return View{}, err
	}
	if in.Method == FeeOnSite && in.ReceiptNumber == "" {
		return View{}, problem.Field("receipt_number", "required", "field.required")
	}
	if in.Method == FeeInvoice {
		in.ReceiptNumber = ""
	}
	return s.mutate(ctx, id, in.Version, "charge", "charged", func(tx *gorm.DB, w *WorkOrder, _ *step) error {
		if err := s.mayWork(ctx, w); err != nil {
			return err
		}
		if w.Type != TypePaid {
			return problem.New(problem.Conflict, "service.not_paid_work")
		}
		if !slices.Contains(chargeable, w.Status) {
			return problem.New(problem.Conflict, "service.charge_status")
		}
		w.Fee, w.FeeCurrency = decimal.NewNullDecimal(in.Fee.Amount), in.Fee.Currency
		w.FeeMethod, w.ReceiptNumber, w.InvoiceStatus = in.Method, in.ReceiptNumber, InvoiceRequested
		switch {
		case in.Method == FeeOnSite:
			id, err := deal.RecordWorkOrderFee(ctx, tx, s.now(), w.FeePaymentID, deal.WorkOrderFee{WorkOrderID: w.ID, Number: w.Number,
				CustomerID: w.CustomerID, Amount: in.Fee, ReceiptNumber: in.ReceiptNumber})
			if err != nil {
				return err
			}
			w.FeePaymentID = &id
		case w.FeePaymentID != nil: // corrected to be invoiced: nothing was collected
			if err := deal.WithdrawWorkOrderFee(ctx, tx, *w.FeePaymentID); err != nil {
				return err
			}
			w.FeePaymentID = nil
		}
		return nil
	})
}

// InvoiceInput is the body of POST /work-orders/{id}/invoice.
type InvoiceInput struct {
	Version       int64  `json:"version" validate:"gte=0"`
	InvoiceNumber string `json:"invoice_number" validate:"required,max=64"`
	// DueDate is when the customer is to pay; absent: the invoice day (tenant's time zone)
	// plus the settings' payment terms.
	DueDate *string `json:"due_date" validate:"omitempty,datetime=2006-01-02"`
}

// Invoice is finance marking the invoice of a signed-off paid work order issued; the work
// order is then invoiced and may be closed, and the fee is a receivable of the sales module
// due on the invoice's due date. On an invoiced work order it corrects the invoice (number,
// due date) and its receivable. Fails with conflict when there is no invoice request, the work
// order is not signed off (or invoiced), or a correction would change a receivable payments
// already settle; validation_failed for a due date before the invoice day.
func (s *Service) Invoice(ctx context.Context, id uuid.UUID, in InvoiceInput) (View, error) {
	if err := problem.CleanText(map[string]*string{"invoice_number": &in.InvoiceNumber}); err != nil {
		return View{}, err
	}
	if in.InvoiceNumber == "" {
		return View{}, problem.Field("invoice_number", "required", "field.required")
	}
	given, err := opportunity.ParseDate("due_date", in.DueDate)
	if err != nil {
		return View{}, err
	}
	return s.mutate(ctx, id, in.Version, "invoice", "invoiced", func(tx *gorm.DB, w *WorkOrder, _ *step) error {
		if w.Type != TypePaid {
			return problem.New(problem.Conflict, "service.not_paid_work")
		}
		correcting := w.Status == StatusInvoiced && w.InvoiceStatus == InvoiceIssued
		if !correcting && w.InvoiceStatus != InvoiceRequested {
			return problem.New(problem.Conflict, "service.no_invoice_request")
		}
		if !correcting {
			if err := transition(w, "invoice"); err != nil {
				return err
			}
		}
		now := s.now()
		day, err := localDay(ctx, tx, now)
		if err != nil {
			return err
		}
		var due time.Time // zero on a correction without one: the receivable keeps its due date
		if given != nil {
			due = time.Time(*given)
			if due.Before(day) {
				return problem.Field("due_date", "out_of_range", "field.out_of_range")
			}
		} else if !correcting {
			st, err := settingsOf(ctx, tx)
			if err != nil {
				return err
			}
			due = day.AddDate(0, 0, st.PaymentTermsDays)
		}
		if !w.Fee.Valid {
			return problem.New(problem.Conflict, "service.no_invoice_request")
		}
		if _, err := deal.IssueWorkOrderReceivable(ctx, tx, now, deal.WorkOrderReceivable{WorkOrderID: w.ID, Number: w.Number,
			InvoiceNumber: in.InvoiceNumber, Amount: money.New(w.Fee.Decimal, w.FeeCurrency), DueDate: due}); err != nil {
			return err
		}
		actor := tenantctx.ActorFrom(ctx).UserID
		w.InvoiceStatus, w.InvoiceNumber, w.InvoicedBy, w.InvoicedAt = InvoiceIssued, in.InvoiceNumber, &actor, &now
		return nil
	})
}

// CancelInvoiceInput is the body of POST /work-orders/{id}/invoice/cancel.
type CancelInvoiceInput struct {
	Version int64  `json:"version" validate:"gte=0"`
	Reason  string `json:"reason" validate:"required,max=500"`
}

// CancelInvoice is finance voiding the issued invoice of an invoiced work order: its
// receivable is withdrawn and the work order is signed off again with its invoice request
// open, so the charge may be corrected and invoiced anew. Fails with conflict when the work
// order is not invoiced or payments already settle the receivable (receivable_paid).
func (s *Service) CancelInvoice(ctx context.Context, id uuid.UUID, in CancelInvoiceInput) (View, error) {
	if err := problem.CleanText(map[string]*string{"reason": &in.Reason}); err != nil {
		return View{}, err
	}
	if in.Reason == "" {
		return View{}, problem.Field("reason", "required", "field.required")
	}
	return s.mutate(ctx, id, in.Version, "invoice_cancel", "invoice_cancelled", func(tx *gorm.DB, w *WorkOrder, st *step) error {
		if w.Status != StatusInvoiced || w.InvoiceStatus != InvoiceIssued {
			return problem.New(problem.Conflict, "service.not_invoiced")
		}
		if err := deal.WithdrawWorkOrderReceivable(ctx, tx, w.ID); err != nil {
			return err
		}
		st.reason, st.event = in.Reason, map[string]any{"invoice_number": w.InvoiceNumber}
		w.Status, w.InvoiceStatus, w.InvoiceNumber, w.InvoicedBy, w.InvoicedAt = StatusSignedOff, InvoiceRequested, "", nil, nil
		return nil
	})
}
