package service

import (
	"context"
	"slices"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// Paid work (第9條): a small fee is collected on site, recorded with its receipt number and
// handed to finance, which then sends the invoice; otherwise finance invoices from the work
// order and collects later. Either way the charge raises an invoice request that finance marks
// issued, which moves the signed-off work order to invoiced. A fee collected on site is a
// payment of the sales module (deal.RecordWorkOrderFee), made and corrected with the charge.

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
	if err := cleanText(map[string]*string{"receipt_number": &in.ReceiptNumber}); err != nil {
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
}

// Invoice is finance marking the invoice of a signed-off paid work order issued; the work
// order is then invoiced and may be closed. Fails with conflict when there is no invoice
// request or the work order is not signed off.
func (s *Service) Invoice(ctx context.Context, id uuid.UUID, in InvoiceInput) (View, error) {
	if err := cleanText(map[string]*string{"invoice_number": &in.InvoiceNumber}); err != nil {
		return View{}, err
	}
	if in.InvoiceNumber == "" {
		return View{}, problem.Field("invoice_number", "required", "field.required")
	}
	return s.mutate(ctx, id, in.Version, "invoice", "invoiced", func(tx *gorm.DB, w *WorkOrder, _ *step) error {
		if w.Type != TypePaid {
			return problem.New(problem.Conflict, "service.not_paid_work")
		}
		if w.InvoiceStatus != InvoiceRequested {
			return problem.New(problem.Conflict, "service.no_invoice_request")
		}
		if err := transition(w, "invoice"); err != nil {
			return err
		}
		actor := tenantctx.ActorFrom(ctx).UserID
		now := s.now()
		w.InvoiceStatus, w.InvoiceNumber, w.InvoicedBy, w.InvoicedAt = InvoiceIssued, in.InvoiceNumber, &actor, &now
		return nil
	})
}
