// Package opportunity is the sales pipeline (商機, SAL-3): opportunities moving through the
// stages of seed 004 第6條/第10條 — information gathering, first contact, needs analysis, an
// optional demo appointment, proposal and quote, negotiation and contract — to won or lost,
// with amount, probability, expected close date and a stage history for conversion reports.
package opportunity

import (
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"

	"github.com/smecrm/crm/app/money"
)

// Stages as the API spells them, in pipeline order. Demo is optional: an opportunity may go
// from needs analysis straight to proposal and quote.
const (
	StageInfoCollection = "info_collection"
	StageInitialContact = "initial_contact"
	StageNeedsAnalysis  = "needs_analysis"
	StageDemo           = "demo"
	StageProposalQuote  = "proposal_quote"
	StageNegotiation    = "negotiation"
	StageWon            = "won"
	StageLost           = "lost"
)

// Stages lists every stage in pipeline order (won and lost last).
var Stages = []string{StageInfoCollection, StageInitialContact, StageNeedsAnalysis, StageDemo, StageProposalQuote,
	StageNegotiation, StageWon, StageLost}

// OpenStages are the stages of a live opportunity, in order.
var OpenStages = Stages[:6]

// DefaultProbability is the win probability (percent) an opportunity gets on entering a stage,
// unless the same change sets one.
var DefaultProbability = map[string]int{
	StageInfoCollection: 10, StageInitialContact: 20, StageNeedsAnalysis: 40, StageDemo: 50,
	StageProposalQuote: 60, StageNegotiation: 80, StageWon: 100, StageLost: 0,
}

// IsOpen reports whether stage is a live (not won, not lost) stage.
func IsOpen(stage string) bool { return slices.Contains(OpenStages, stage) }

// Rank is a stage's position in the pipeline; won ranks above every open stage, lost is -1.
func Rank(stage string) int {
	if stage == StageLost {
		return -1
	}
	return slices.Index(Stages, stage)
}

// Opportunity is the stored record.
type Opportunity struct {
	TenantID          uuid.UUID `gorm:"primaryKey"`
	ID                uuid.UUID `gorm:"primaryKey"`
	Name              string
	CustomerID        uuid.UUID
	Stage             string
	Probability       int
	Amount            decimal.Decimal
	Currency          string
	ExpectedCloseDate *datatypes.Date
	Source            string
	Description       string
	LostReason        string
	ClosedAt          *time.Time
	OwnerID           uuid.UUID
	DepartmentID      *uuid.UUID
	CreatedAt         time.Time
	UpdatedAt         time.Time
	Version           int64
}

// StageChange is one row of an opportunity's stage history; the first has no FromStage.
type StageChange struct {
	TenantID      uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID            uuid.UUID  `gorm:"primaryKey" json:"-"`
	OpportunityID uuid.UUID  `json:"-"`
	FromStage     string     `json:"from_stage"`
	ToStage       string     `json:"to_stage"`
	ActorID       *uuid.UUID `json:"actor_id"`
	At            time.Time  `json:"at"`
}

// TableName is the history table.
func (StageChange) TableName() string { return "opportunity_stage_history" }

// View is an opportunity as the API shows it.
type View struct {
	ID                uuid.UUID     `json:"id"`
	Name              string        `json:"name"`
	CustomerID        uuid.UUID     `json:"customer_id"`
	CustomerName      string        `json:"customer_name"`
	Stage             string        `json:"stage"`
	Probability       int           `json:"probability"`
	Amount            money.Money   `json:"amount"`
	ExpectedCloseDate *string       `json:"expected_close_date"`
	Source            string        `json:"source"`
	Description       string        `json:"description"`
	LostReason        string        `json:"lost_reason"`
	ClosedAt          *time.Time    `json:"closed_at"`
	OwnerID           uuid.UUID     `json:"owner_id"`
	DepartmentID      *uuid.UUID    `json:"department_id"`
	StageHistory      []StageChange `json:"stage_history,omitempty"`
	CreatedAt         time.Time     `json:"created_at"`
	UpdatedAt         time.Time     `json:"updated_at"`
	Version           int64         `json:"version"`
}

func view(o *Opportunity) View {
	return View{ID: o.ID, Name: o.Name, CustomerID: o.CustomerID, Stage: o.Stage, Probability: o.Probability,
		Amount: money.New(o.Amount, o.Currency), ExpectedCloseDate: FormatDate(o.ExpectedCloseDate), Source: o.Source,
		Description: o.Description, LostReason: o.LostReason, ClosedAt: o.ClosedAt, OwnerID: o.OwnerID,
		DepartmentID: o.DepartmentID, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Version: o.Version}
}

// ViewOf is o as the API shows it (without the stage history), for callers of CreateTx.
func ViewOf(o *Opportunity) View { return view(o) }
