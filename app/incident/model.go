package incident

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
)

// Levels (seed 002 §8): 1 seriously affects customer service, 2 partly.
const (
	LevelSerious = 1
	LevelPartial = 2
)

// Kinds of incident.
var Kinds = []string{"natural_disaster", "equipment_failure", "network_attack", "supply_interruption", "other"}

// Statuses, in order: an incident is open when declared, responding while the response plan
// runs, recovered when service is back, reviewed once the lessons are drawn.
const (
	StatusOpen       = "open"
	StatusResponding = "responding"
	StatusRecovered  = "recovered"
	StatusReviewed   = "reviewed"
)

// Statuses lists the statuses in the order an incident goes through them; each move goes one
// step forward.
var Statuses = []string{StatusOpen, StatusResponding, StatusRecovered, StatusReviewed}

// Incident is the stored incident.
type Incident struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	Level        int
	Kind         string
	Title        string
	Description  string
	ResponsePlan string
	Status       string
	OwnerID      uuid.UUID
	DepartmentID *uuid.UUID
	// CustomerFilter is the customer list filter the affected customers were picked by, as
	// given (null: picked by ID only).
	CustomerFilter datatypes.JSON
	AffectedCount  int
	RespondingAt   *time.Time
	RecoveredAt    *time.Time
	ReviewedAt     *time.Time
	CreatedBy      *uuid.UUID
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// Affected is a customer affected by an incident, with its owner when it was added (who is
// told of the incident).
type Affected struct {
	TenantID   uuid.UUID `gorm:"primaryKey"`
	IncidentID uuid.UUID `gorm:"primaryKey"`
	CustomerID uuid.UUID `gorm:"primaryKey"`
	OwnerID    *uuid.UUID
}

// TableName is the affected customers' table.
func (Affected) TableName() string { return "incident_customers" }

// Update is one entry of an incident's timeline: its declaration, a status move, a change or
// a note.
type Update struct {
	TenantID   uuid.UUID `gorm:"primaryKey"`
	ID         uuid.UUID `gorm:"primaryKey"`
	IncidentID uuid.UUID
	// Action is declare, status (a move: FromStatus → ToStatus) or update (a change or note).
	Action     string
	FromStatus string
	ToStatus   string
	Note       string
	ActorID    *uuid.UUID
	At         time.Time
}

// TableName is the timeline's table.
func (Update) TableName() string { return "incident_updates" }

// UpdateView is a timeline entry as the API shows it.
type UpdateView struct {
	ID         uuid.UUID  `json:"id"`
	Action     string     `json:"action"`
	FromStatus string     `json:"from_status"`
	ToStatus   string     `json:"to_status"`
	Note       string     `json:"note"`
	ActorID    *uuid.UUID `json:"actor_id"`
	At         time.Time  `json:"at"`
}

// View is an incident as the API shows it. One incident (GET by ID, and the answers of POST
// and PATCH) carries its affected customers' IDs and its timeline, oldest first; lists leave
// them out.
type View struct {
	ID             uuid.UUID       `json:"id"`
	Level          int             `json:"level"`
	Kind           string          `json:"kind"`
	Title          string          `json:"title"`
	Description    string          `json:"description"`
	ResponsePlan   string          `json:"response_plan"`
	Status         string          `json:"status"`
	OwnerID        uuid.UUID       `json:"owner_id"`
	DepartmentID   *uuid.UUID      `json:"department_id"`
	CustomerFilter *CustomerFilter `json:"customer_filter"`
	AffectedCount  int             `json:"affected_count"`
	CustomerIDs    []uuid.UUID     `json:"customer_ids,omitempty"`
	RespondingAt   *time.Time      `json:"responding_at"`
	RecoveredAt    *time.Time      `json:"recovered_at"`
	ReviewedAt     *time.Time      `json:"reviewed_at"`
	CreatedBy      *uuid.UUID      `json:"created_by"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	Version        int64           `json:"version"`
	Timeline       []UpdateView    `json:"timeline,omitempty"`
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
