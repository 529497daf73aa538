package complaint

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/smecrm/crm/app/money"
)

// Statuses. A case goes received → investigating → plan_proposed → approved → resolving →
// resolved → closed; waiting_customer pauses the clock from any open status and goes back to
// the status it paused. A case found not established 不成立 closes from received,
// investigating or plan_proposed with outcome not_established.
const (
	StatusReceived        = "received"
	StatusInvestigating   = "investigating"
	StatusPlanProposed    = "plan_proposed"
	StatusApproved        = "approved"
	StatusResolving       = "resolving"
	StatusResolved        = "resolved"
	StatusClosed          = "closed"
	StatusWaitingCustomer = "waiting_customer"
)

// Outcomes of a closed case.
const (
	OutcomeResolved       = "resolved"        // resolved and closed
	OutcomeNotEstablished = "not_established" // 不成立: the receivable is collected as usual (第25條.8)
	OutcomeNotAccepted    = "not_accepted"    // the customer did not accept; a new case follows (第25條.5)
)

// SLA statuses.
const (
	SLAOnTrack = "on_track"
	SLADueSoon = "due_soon"
	SLAOverdue = "overdue"
)

// Severities: a severe complaint goes to the vice president at once (第18條).
const (
	SeverityNormal = "normal"
	SeveritySevere = "severe"
)

// Remedy kinds and statuses.
const (
	RemedyReplacement  = "replacement"
	RemedyRepair       = "repair"
	RemedyDiscount     = "discount"
	RemedyCompensation = "compensation"
	RemedyReturn       = "return"

	RemedyPending  = "pending"
	RemedyApproved = "approved"
	RemedyRejected = "rejected"
	RemedyReceived = "received" // a return the warehouse signed for
	RemedyPosted   = "posted"   // a return finance posted
)

// Penalty statuses.
const (
	PenaltyPending  = "pending"
	PenaltyApproved = "approved"
	PenaltyRejected = "rejected"
)

// Complaint is the stored case.
type Complaint struct {
	TenantID                uuid.UUID `gorm:"primaryKey"`
	ID                      uuid.UUID `gorm:"primaryKey"`
	Number                  string
	CustomerID              uuid.UUID
	ContactID               *uuid.UUID
	Channel                 string
	ReceivedAt              time.Time
	Content                 string
	Category                string
	OrderID                 *uuid.UUID
	OrderNumber             string
	Batch                   string
	ShipDate                *string
	DefectiveQuantity       *int
	Severity                string
	Status                  string
	Outcome                 string
	ResponsibleDepartmentID *uuid.UUID
	ResponsibleUserID       *uuid.UUID
	RootCause               string
	HandlerID               *uuid.UUID
	DepartmentID            *uuid.UUID
	CustomerOwnerID         *uuid.UUID
	CustomerDepartmentID    *uuid.UUID
	SLADays                 int `gorm:"column:sla_days"`
	DueAt                   *time.Time
	ReportDueAt             *time.Time
	PausedAt                *time.Time
	ResolvedAt              *time.Time
	ClosedAt                *time.Time
	ReopenedFromID          *uuid.UUID
	SurveyID                *uuid.UUID
	AckSentAt               *time.Time
	Escalation              int
	CreatedBy               *uuid.UUID
	CreatedAt               time.Time
	UpdatedAt               time.Time
	Version                 int64
}

// Event is one entry of a case's history.
type Event struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	ComplaintID uuid.UUID
	// Action: intake, transition, update, reopen, remedy, remedy_decided, return_received,
	// return_posted, penalty, penalty_decided, escalation.
	Action     string
	FromStatus string
	ToStatus   string
	Comment    string
	ActorID    *uuid.UUID
	At         time.Time
}

// TableName is the history's table.
func (Event) TableName() string { return "complaint_events" }

// Remedy is a proposed remedy of a case.
type Remedy struct {
	TenantID         uuid.UUID `gorm:"primaryKey"`
	ID               uuid.UUID `gorm:"primaryKey"`
	ComplaintID      uuid.UUID
	Kind             string
	Amount           *decimal.Decimal
	Currency         string
	Quantity         *int
	Description      string
	Status           string
	ApproverRole     string
	ProposedBy       *uuid.UUID
	DecidedBy        *uuid.UUID
	DecidedAt        *time.Time
	DecisionComment  string
	WorkOrderID      *uuid.UUID
	QuantityReceived *int
	ReceivedBy       *uuid.UUID
	ReceivedAt       *time.Time
	PostedBy         *uuid.UUID
	PostedAt         *time.Time
	CreatedAt        time.Time
	UpdatedAt        time.Time
	Version          int64
}

// TableName is the remedies' table.
func (Remedy) TableName() string { return "complaint_remedies" }

// Penalty is a disciplinary measure or bonus deduction (第28條).
type Penalty struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	ComplaintID  uuid.UUID
	DepartmentID *uuid.UUID
	UserID       *uuid.UUID
	Kind         string
	Amount       *decimal.Decimal
	Currency     string
	Reason       string
	Status       string
	ProposedBy   *uuid.UUID
	DecidedBy    *uuid.UUID
	DecidedAt    *time.Time
	CreatedAt    time.Time
}

// TableName is the penalties' table.
func (Penalty) TableName() string { return "complaint_penalties" }

// View is a case as the API shows it.
type View struct {
	ID                      uuid.UUID  `json:"id"`
	Number                  string     `json:"number"`
	CustomerID              uuid.UUID  `json:"customer_id"`
	ContactID               *uuid.UUID `json:"contact_id"`
	Channel                 string     `json:"channel"`
	ReceivedAt              time.Time  `json:"received_at"`
	Content                 string     `json:"content"`
	Category                string     `json:"category"`
	OrderID                 *uuid.UUID `json:"order_id"`
	OrderNumber             string     `json:"order_number"`
	Batch                   string     `json:"batch"`
	ShipDate                *string    `json:"ship_date"`
	DefectiveQuantity       *int       `json:"defective_quantity"`
	Severity                string     `json:"severity"`
	Status                  string     `json:"status"`
	Outcome                 string     `json:"outcome"`
	ResponsibleDepartmentID *uuid.UUID `json:"responsible_department_id"`
	ResponsibleUserID       *uuid.UUID `json:"responsible_user_id"`
	RootCause               string     `json:"root_cause"`
	HandlerID               *uuid.UUID `json:"handler_id"`
	DepartmentID            *uuid.UUID `json:"department_id"`
	SLADays                 int        `json:"sla_days"`
	DueAt                   *time.Time `json:"due_at"`
	ReportDueAt             *time.Time `json:"report_due_at"`
	SLAStatus               string     `json:"sla_status"`
	Paused                  bool       `json:"paused"`
	PausedAt                *time.Time `json:"paused_at"`
	ResolvedAt              *time.Time `json:"resolved_at"`
	ClosedAt                *time.Time `json:"closed_at"`
	ReopenedFromID          *uuid.UUID `json:"reopened_from_id"`
	ReopenedToID            *uuid.UUID `json:"reopened_to_id"`
	SurveyID                *uuid.UUID `json:"survey_id"`
	AckSentAt               *time.Time `json:"ack_sent_at"`
	CreatedBy               *uuid.UUID `json:"created_by"`
	CreatedAt               time.Time  `json:"created_at"`
	UpdatedAt               time.Time  `json:"updated_at"`
	Version                 int64      `json:"version"`
	// History is the case's events, oldest first (one case only; lists leave it out).
	History []EventView `json:"history,omitempty"`
}

// EventView is a history entry in the API.
type EventView struct {
	ID         uuid.UUID  `json:"id"`
	Action     string     `json:"action"`
	FromStatus string     `json:"from_status"`
	ToStatus   string     `json:"to_status"`
	Comment    string     `json:"comment"`
	ActorID    *uuid.UUID `json:"actor_id"`
	At         time.Time  `json:"at"`
}

// RemedyView is a remedy in the API.
type RemedyView struct {
	ID               uuid.UUID    `json:"id"`
	ComplaintID      uuid.UUID    `json:"complaint_id"`
	Kind             string       `json:"kind"`
	Amount           *money.Money `json:"amount"`
	Quantity         *int         `json:"quantity"`
	Description      string       `json:"description"`
	Status           string       `json:"status"`
	ApproverRole     string       `json:"approver_role"`
	ProposedBy       *uuid.UUID   `json:"proposed_by"`
	DecidedBy        *uuid.UUID   `json:"decided_by"`
	DecidedAt        *time.Time   `json:"decided_at"`
	DecisionComment  string       `json:"decision_comment"`
	WorkOrderID      *uuid.UUID   `json:"work_order_id"`
	QuantityReceived *int         `json:"quantity_received"`
	ReceivedBy       *uuid.UUID   `json:"received_by"`
	ReceivedAt       *time.Time   `json:"received_at"`
	PostedBy         *uuid.UUID   `json:"posted_by"`
	PostedAt         *time.Time   `json:"posted_at"`
	CreatedAt        time.Time    `json:"created_at"`
	Version          int64        `json:"version"`
}

// PenaltyView is a penalty in the API.
type PenaltyView struct {
	ID           uuid.UUID    `json:"id"`
	ComplaintID  uuid.UUID    `json:"complaint_id"`
	DepartmentID *uuid.UUID   `json:"department_id"`
	UserID       *uuid.UUID   `json:"user_id"`
	Kind         string       `json:"kind"`
	Amount       *money.Money `json:"amount"`
	Reason       string       `json:"reason"`
	Status       string       `json:"status"`
	ApproverRole string       `json:"approver_role"`
	ProposedBy   *uuid.UUID   `json:"proposed_by"`
	DecidedBy    *uuid.UUID   `json:"decided_by"`
	DecidedAt    *time.Time   `json:"decided_at"`
	CreatedAt    time.Time    `json:"created_at"`
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func moneyOf(a *decimal.Decimal, cur string) *money.Money {
	if a == nil {
		return nil
	}
	m := money.New(*a, cur)
	return &m
}

func remedyView(r *Remedy) RemedyView {
	return RemedyView{ID: r.ID, ComplaintID: r.ComplaintID, Kind: r.Kind, Amount: moneyOf(r.Amount, r.Currency), Quantity: r.Quantity,
		Description: r.Description, Status: r.Status, ApproverRole: r.ApproverRole, ProposedBy: r.ProposedBy, DecidedBy: r.DecidedBy,
		DecidedAt: utc(r.DecidedAt), DecisionComment: r.DecisionComment, WorkOrderID: r.WorkOrderID, QuantityReceived: r.QuantityReceived,
		ReceivedBy: r.ReceivedBy, ReceivedAt: utc(r.ReceivedAt), PostedBy: r.PostedBy, PostedAt: utc(r.PostedAt),
		CreatedAt: r.CreatedAt.UTC(), Version: r.Version}
}

// PenaltyApprover is who approves penalties (第28條.2: 呈總經理核准).
const PenaltyApprover = "general_manager"

func penaltyView(p *Penalty) PenaltyView {
	return PenaltyView{ID: p.ID, ComplaintID: p.ComplaintID, DepartmentID: p.DepartmentID, UserID: p.UserID, Kind: p.Kind,
		Amount: moneyOf(p.Amount, p.Currency), Reason: p.Reason, Status: p.Status, ApproverRole: PenaltyApprover,
		ProposedBy: p.ProposedBy, DecidedBy: p.DecidedBy, DecidedAt: utc(p.DecidedAt), CreatedAt: p.CreatedAt.UTC()}
}
