package service

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"

	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/opportunity"
)

// Work order types (seed 001 第6條).
const (
	TypePaid     = "paid"     // 有償服務 (A)
	TypeContract = "contract" // 合同服務 (B)
	TypeFree     = "free"     // 免費服務 (C)
	TypeInternal = "internal" // 內務服務 (D)
)

// Work order statuses. A work order is registered, dispatched to a technician (or claimed from
// the shared pool), accepted, in progress (possibly on hold), completed, signed off by the
// customer, invoiced when it is paid work, and closed; it may be cancelled before completion.
// A declined one returns to registered.
const (
	StatusRegistered = "registered"
	StatusDispatched = "dispatched"
	StatusAccepted   = "accepted"
	StatusInProgress = "in_progress"
	StatusOnHold     = "on_hold"
	StatusCompleted  = "completed"
	StatusSignedOff  = "signed_off"
	StatusInvoiced   = "invoiced"
	StatusClosed     = "closed"
	StatusCancelled  = "cancelled"
)

// Statuses lists every status, in the order of the work.
var Statuses = []string{StatusRegistered, StatusDispatched, StatusAccepted, StatusInProgress, StatusOnHold,
	StatusCompleted, StatusSignedOff, StatusInvoiced, StatusClosed, StatusCancelled}

// WorkOrder is the stored work order.
type WorkOrder struct {
	TenantID      uuid.UUID `gorm:"primaryKey"`
	ID            uuid.UUID `gorm:"primaryKey"`
	Number        string
	CustomerID    uuid.UUID
	ContactID     *uuid.UUID
	ProductID     *uuid.UUID
	Model         string
	Specification string
	Serial        string
	PurchaseDate  *datatypes.Date
	PurchasePlace string
	Fault         string
	Channel       string
	Urgency       string
	Type          string
	TypeProposed  string
	TypeReason    string
	// CoverageContractID and WarrantyUntil explain the proposed type: the contract whose
	// service coverage applied, and the end of the warranty that did or would have.
	CoverageContractID *uuid.UUID
	WarrantyUntil      *datatypes.Date
	Status             string
	// StatusReason is the reason given with the latest decline, hold or cancellation.
	StatusReason string
	// TechnicianID and DepartmentID are the handling side (the technician's department);
	// RegisteredBy and RegisteredDepartmentID who took the request. Data scopes see a work
	// order through either.
	TechnicianID           *uuid.UUID
	DepartmentID           *uuid.UUID
	RegisteredBy           uuid.UUID
	RegisteredDepartmentID *uuid.UUID
	// CarriedOver marks work left undispatched past the day it was registered (第11條).
	CarriedOver bool
	// Remote is set when a remote-service application was filed: the work cannot start
	// before one is approved.
	Remote          bool
	CompletedAt     *time.Time
	CountersignedBy *uuid.UUID
	CountersignedAt *time.Time
	SignedOffAt     *time.Time
	SignerName      string
	Signature       string
	SignedVia       string
	Fee             decimal.NullDecimal
	FeeCurrency     string
	FeeMethod       string
	ReceiptNumber   string
	// FeePaymentID is the sales module's payment of a fee collected on site.
	FeePaymentID  *uuid.UUID
	InvoiceStatus string
	InvoiceNumber string
	InvoicedBy    *uuid.UUID
	InvoicedAt    *time.Time
	ClosedAt      *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Version       int64
}

// pooled reports whether w waits in the shared pool: registered and without a technician.
func (w *WorkOrder) pooled() bool { return w.Status == StatusRegistered && w.TechnicianID == nil }

// History is one step of a work order: a state change or another recorded step (records,
// countersignature, carry-over).
type History struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	WorkOrderID  uuid.UUID
	CustomerID   uuid.UUID
	Action       string
	FromStatus   string
	ToStatus     string
	Reason       string
	TechnicianID *uuid.UUID
	ActorID      *uuid.UUID
	At           time.Time
}

// TableName is the history table.
func (History) TableName() string { return "work_order_history" }

// Record is a technician's service record of a work order (服務凭证).
type Record struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	WorkOrderID uuid.UUID
	AuthorID    uuid.UUID
	ArrivedAt   *time.Time
	StartedAt   *time.Time
	EndedAt     *time.Time
	LabourHours decimal.Decimal
	WorkDone    string
	CreatedAt   time.Time
}

// TableName is the records table.
func (Record) TableName() string { return "work_order_records" }

// Part is a product used in a record.
type Part struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	RecordID  uuid.UUID `gorm:"primaryKey"`
	Position  int       `gorm:"primaryKey"`
	ProductID uuid.UUID
	Quantity  decimal.Decimal
	Batch     string
}

// TableName is the parts table.
func (Part) TableName() string { return "work_order_parts" }

// Cost is one entry of a work order's service cost.
type Cost struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	WorkOrderID uuid.UUID
	RecordID    *uuid.UUID
	Kind        string
	Amount      decimal.Decimal
	Currency    string
	CreatedAt   time.Time
}

// TableName is the costs table.
func (Cost) TableName() string { return "work_order_costs" }

// CostKinds are the kinds of service cost; travel, allowance and accommodation are the
// travel costs of remote service (第12條).
var CostKinds = []string{"labour", "parts", "travel", "allowance", "accommodation", "other"}

func travelCost(kind string) bool {
	return kind == "travel" || kind == "allowance" || kind == "accommodation"
}

// View is a work order as the API shows it. The signature itself is left out (it is large);
// GET /work-orders/{id}/signature answers it.
type View struct {
	ID                     uuid.UUID     `json:"id"`
	Number                 string        `json:"number"`
	CustomerID             uuid.UUID     `json:"customer_id"`
	ContactID              *uuid.UUID    `json:"contact_id"`
	ProductID              *uuid.UUID    `json:"product_id"`
	Model                  string        `json:"model"`
	Specification          string        `json:"specification"`
	Serial                 string        `json:"serial"`
	PurchaseDate           *string       `json:"purchase_date"`
	PurchasePlace          string        `json:"purchase_place"`
	Fault                  string        `json:"fault"`
	Channel                string        `json:"channel"`
	Urgency                string        `json:"urgency"`
	Type                   string        `json:"type"`
	TypeProposed           string        `json:"type_proposed"`
	TypeReason             string        `json:"type_reason"`
	CoverageContractID     *uuid.UUID    `json:"coverage_contract_id"`
	WarrantyUntil          *string       `json:"warranty_until"`
	Status                 string        `json:"status"`
	StatusReason           string        `json:"status_reason"`
	TechnicianID           *uuid.UUID    `json:"technician_id"`
	DepartmentID           *uuid.UUID    `json:"department_id"`
	RegisteredBy           uuid.UUID     `json:"registered_by"`
	RegisteredDepartmentID *uuid.UUID    `json:"registered_department_id"`
	Pooled                 bool          `json:"pooled"`
	CarriedOver            bool          `json:"carried_over"`
	Remote                 bool          `json:"remote"`
	CompletedAt            *time.Time    `json:"completed_at"`
	CountersignedBy        *uuid.UUID    `json:"countersigned_by"`
	CountersignedAt        *time.Time    `json:"countersigned_at"`
	SignedOffAt            *time.Time    `json:"signed_off_at"`
	SignerName             string        `json:"signer_name"`
	SignedVia              string        `json:"signed_via"`
	HasSignature           bool          `json:"has_signature"`
	Fee                    *money.Money  `json:"fee"`
	FeeMethod              string        `json:"fee_method"`
	ReceiptNumber          string        `json:"receipt_number"`
	FeePaymentID           *uuid.UUID    `json:"fee_payment_id"`
	InvoiceStatus          string        `json:"invoice_status"`
	InvoiceNumber          string        `json:"invoice_number"`
	InvoicedBy             *uuid.UUID    `json:"invoiced_by"`
	InvoicedAt             *time.Time    `json:"invoiced_at"`
	ClosedAt               *time.Time    `json:"closed_at"`
	ServiceCost            []money.Money `json:"service_cost"`
	TravelCost             []money.Money `json:"travel_cost"`
	CreatedAt              time.Time     `json:"created_at"`
	UpdatedAt              time.Time     `json:"updated_at"`
	Version                int64         `json:"version"`
}

// view shows w; costs are its cost entries (nil: none loaded, shown as empty totals).
func view(w *WorkOrder, costs []Cost) View {
	v := View{ID: w.ID, Number: w.Number, CustomerID: w.CustomerID, ContactID: w.ContactID, ProductID: w.ProductID,
		Model: w.Model, Specification: w.Specification, Serial: w.Serial, PurchaseDate: opportunity.FormatDate(w.PurchaseDate),
		PurchasePlace: w.PurchasePlace, Fault: w.Fault, Channel: w.Channel, Urgency: w.Urgency, Type: w.Type,
		TypeProposed: w.TypeProposed, TypeReason: w.TypeReason, CoverageContractID: w.CoverageContractID,
		WarrantyUntil: opportunity.FormatDate(w.WarrantyUntil), Status: w.Status, StatusReason: w.StatusReason,
		TechnicianID: w.TechnicianID, DepartmentID: w.DepartmentID, RegisteredBy: w.RegisteredBy,
		RegisteredDepartmentID: w.RegisteredDepartmentID, Pooled: w.pooled(), CarriedOver: w.CarriedOver, Remote: w.Remote,
		CompletedAt: w.CompletedAt, CountersignedBy: w.CountersignedBy, CountersignedAt: w.CountersignedAt,
		SignedOffAt: w.SignedOffAt, SignerName: w.SignerName, SignedVia: w.SignedVia, HasSignature: w.Signature != "",
		FeeMethod: w.FeeMethod, ReceiptNumber: w.ReceiptNumber, FeePaymentID: w.FeePaymentID, InvoiceStatus: w.InvoiceStatus, InvoiceNumber: w.InvoiceNumber,
		InvoicedBy: w.InvoicedBy, InvoicedAt: w.InvoicedAt, ClosedAt: w.ClosedAt,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt, Version: w.Version}
	if w.Fee.Valid {
		f := money.New(w.Fee.Decimal, w.FeeCurrency)
		v.Fee = &f
	}
	v.ServiceCost = totals(costs, func(Cost) bool { return true })
	v.TravelCost = totals(costs, func(c Cost) bool { return travelCost(c.Kind) })
	return v
}

// totals sums the costs keep selects per currency, in the order currencies first appear.
func totals(costs []Cost, keep func(Cost) bool) []money.Money {
	out := []money.Money{}
	idx := map[string]int{}
	for _, c := range costs {
		if !keep(c) {
			continue
		}
		i, ok := idx[c.Currency]
		if !ok {
			i = len(out)
			idx[c.Currency] = i
			out = append(out, money.New(decimal.Zero, c.Currency))
		}
		out[i].Amount = out[i].Amount.Add(c.Amount)
	}
	return out
}

// HistoryView is one history step as the API shows it.
type HistoryView struct {
	ID           uuid.UUID  `json:"id"`
	Action       string     `json:"action"`
	FromStatus   string     `json:"from_status"`
	ToStatus     string     `json:"to_status"`
	Reason       string     `json:"reason"`
	TechnicianID *uuid.UUID `json:"technician_id"`
	ActorID      *uuid.UUID `json:"actor_id"`
	At           time.Time  `json:"at"`
}

func historyView(h *History) HistoryView {
	return HistoryView{ID: h.ID, Action: h.Action, FromStatus: h.FromStatus, ToStatus: h.ToStatus, Reason: h.Reason,
		TechnicianID: h.TechnicianID, ActorID: h.ActorID, At: h.At.UTC()}
}
