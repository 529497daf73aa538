package risk

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"

	"github.com/smecrm/crm/app/money"
)

// Assessment statuses: an assessment within the assessor's approval authority is approved at
// once; one above it is pending until the role the tiers name approves or rejects it. An
// approved assessment is the customer's credit until a newer one is approved.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRejected = "rejected"
)

// Levels of risk, lowest first.
const (
	LevelLow    = "low"
	LevelMedium = "medium"
	LevelHigh   = "high"
)

// Warning kinds (seed 000 七: 風險識別 and 預警).
const (
	KindExposureShare = "exposure_share"     // exposure at or above the warning share of the limit
	KindOverLimit     = "over_limit"         // exposure above the limit
	KindOverdue       = "overdue"            // receivables overdue by the set number of days
	KindComplaints    = "complaint_spike"    // many complaints in a short window
	KindSilence       = "silence"            // no follow-up or purchase for a long time
	KindExpired       = "assessment_expired" // the credit assessment's validity ended
)

// Kinds lists the warning kinds.
var Kinds = []string{KindExposureShare, KindOverLimit, KindOverdue, KindComplaints, KindSilence, KindExpired}

// kindLevel is the risk level each kind of warning gives: over the limit or long overdue is
// a risk (high), approaching the limit, a complaint spike or an expired assessment a warning
// (medium), silence a signal to look (low).
var kindLevel = map[string]string{
	KindExposureShare: LevelMedium, KindOverLimit: LevelHigh, KindOverdue: LevelHigh,
	KindComplaints: LevelMedium, KindSilence: LevelLow, KindExpired: LevelMedium,
}

func levelRank(l string) int {
	switch l {
	case LevelHigh:
		return 3
	case LevelMedium:
		return 2
	case LevelLow:
		return 1
	}
	return 0
}

// Measures are the responses seed 000 七 names.
var Measures = []string{"guarantee", "prepayment", "shorter_terms", "reduced_cooperation", "other"}

// Assessment is one credit assessment of a customer.
type Assessment struct {
	TenantID      uuid.UUID `gorm:"primaryKey"`
	ID            uuid.UUID `gorm:"primaryKey"`
	CustomerID    uuid.UUID
	Financial     int
	Results       int
	Record        int
	Reputation    int
	Score         decimal.Decimal
	Rating        string
	ProposedLimit decimal.Decimal
	Currency      string
	LimitBase     decimal.Decimal
	ValidUntil    datatypes.Date
	Evidence      string
	Status        string
	ApproverRole  string
	AssessedBy    *uuid.UUID
	DepartmentID  *uuid.UUID
	DecidedBy     *uuid.UUID
	DecidedAt     *time.Time
	DecisionNote  string
	ReviewTaskAt  *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Version       int64
}

// TableName is the assessments table.
func (Assessment) TableName() string { return "credit_assessments" }

// Scores are the four assessed aspects, each 0–100 (seed 003 §6: financial status, business
// results, credit record, industry reputation).
type Scores struct {
	Financial  int `json:"financial" validate:"gte=0,lte=100"`
	Results    int `json:"results" validate:"gte=0,lte=100"`
	Record     int `json:"record" validate:"gte=0,lte=100"`
	Reputation int `json:"reputation" validate:"gte=0,lte=100"`
}

// AssessmentView is an assessment as the API shows it. limit is the proposed limit;
// limit_base the same in the tenant's base currency.
type AssessmentView struct {
	ID           uuid.UUID   `json:"id"`
	CustomerID   uuid.UUID   `json:"customer_id"`
	Scores       Scores      `json:"scores"`
	Score        string      `json:"score"`
	Rating       string      `json:"rating"`
	Limit        money.Money `json:"limit"`
	LimitBase    money.Money `json:"limit_base"`
	ValidUntil   string      `json:"valid_until"`
	Evidence     string      `json:"evidence"`
	Status       string      `json:"status"`
	ApproverRole string      `json:"approver_role"`
	AssessedBy   *uuid.UUID  `json:"assessed_by"`
	DecidedBy    *uuid.UUID  `json:"decided_by"`
	DecidedAt    *time.Time  `json:"decided_at"`
	DecisionNote string      `json:"decision_note"`
	CreatedAt    time.Time   `json:"created_at"`
	Version      int64       `json:"version"`
}

func assessmentView(a *Assessment, base string) AssessmentView {
	v := AssessmentView{ID: a.ID, CustomerID: a.CustomerID,
		Scores: Scores{Financial: a.Financial, Results: a.Results, Record: a.Record, Reputation: a.Reputation},
		Score:  a.Score.StringFixed(2), Rating: a.Rating, Limit: money.New(a.ProposedLimit, a.Currency),
		LimitBase: money.New(a.LimitBase, base), ValidUntil: time.Time(a.ValidUntil).Format(time.DateOnly), Evidence: a.Evidence,
		Status: a.Status, ApproverRole: a.ApproverRole, AssessedBy: a.AssessedBy, DecidedBy: a.DecidedBy, DecidedAt: utc(a.DecidedAt),
		DecisionNote: a.DecisionNote, CreatedAt: a.CreatedAt.UTC(), Version: a.Version}
	return v
}

// Warning is a risk warning raised for a customer.
type Warning struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	CustomerID   uuid.UUID
	Kind         string
	Level        string
	Status       string
	Detail       datatypes.JSON
	OwnerID      *uuid.UUID
	DepartmentID *uuid.UUID
	RaisedAt     time.Time
	ResolvedAt   *time.Time
	NotifiedAt   *time.Time
}

// TableName is the warnings table.
func (Warning) TableName() string { return "risk_warnings" }

// Warning statuses: open while the condition holds, resolved once an evaluation finds it gone.
const (
	WarningOpen     = "open"
	WarningResolved = "resolved"
)

// Measure is something done about a warning.
type Measure struct {
	TenantID   uuid.UUID `gorm:"primaryKey"`
	ID         uuid.UUID `gorm:"primaryKey"`
	WarningID  uuid.UUID
	Measure    string
	Note       string
	RecordedBy *uuid.UUID
	RecordedAt time.Time
}

// TableName is the measures table.
func (Measure) TableName() string { return "risk_measures" }

// MeasureView is a measure as the API shows it.
type MeasureView struct {
	ID         uuid.UUID  `json:"id"`
	WarningID  uuid.UUID  `json:"warning_id"`
	Measure    string     `json:"measure"`
	Note       string     `json:"note"`
	RecordedBy *uuid.UUID `json:"recorded_by"`
	RecordedAt time.Time  `json:"recorded_at"`
}

func measureView(m *Measure) MeasureView {
	return MeasureView{ID: m.ID, WarningID: m.WarningID, Measure: m.Measure, Note: m.Note, RecordedBy: m.RecordedBy, RecordedAt: m.RecordedAt.UTC()}
}

// WarningView is a warning as the API shows it: its kind, level, what triggered it (detail:
// the figures and the threshold) and the measures taken.
type WarningView struct {
	ID           uuid.UUID      `json:"id"`
	CustomerID   uuid.UUID      `json:"customer_id"`
	CustomerName string         `json:"customer_name"`
	Kind         string         `json:"kind"`
	Level        string         `json:"level"`
	Status       string         `json:"status"`
	Message      string         `json:"message"`
	Detail       map[string]any `json:"detail"`
	OwnerID      *uuid.UUID     `json:"owner_id"`
	RaisedAt     time.Time      `json:"raised_at"`
	ResolvedAt   *time.Time     `json:"resolved_at"`
	Measures     []MeasureView  `json:"measures"`
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
