// Package lead keeps leads 線索 (EXP-1): prospects kept apart from customers until they are
// converted — in one transaction — into a customer, its contact and, when asked, an
// opportunity. Leads created or imported without an owner are given one by the tenant's
// assignment rules (round-robin, by region, by industry; Assignment in settings.go). The phone
// is sealed like customers' (app/fieldcrypt) with a keyed hash for exact search; data scopes
// apply as for customers.
package lead

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
)

// Statuses of a lead. A lead becomes converted only through Convert.
const (
	StatusNew          = "new"
	StatusContacted    = "contacted"
	StatusQualified    = "qualified"
	StatusConverted    = "converted"
	StatusDisqualified = "disqualified"
)

// Lead is the stored record.
type Lead struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	Name         string
	Company      string
	PhoneEnc     string
	PhoneHash    string
	Email        string
	Source       string
	Region       string
	Industry     string
	Status       string
	OwnerID      *uuid.UUID
	DepartmentID *uuid.UUID
	Notes        string
	// Product and Quantity are the intended product or model and how many (free fields).
	Product  string
	Quantity decimal.NullDecimal
	// CustomFields holds what plugins add.
	CustomFields  datatypes.JSONType[map[string]any]
	CustomerID    *uuid.UUID
	ContactID     *uuid.UUID
	OpportunityID *uuid.UUID
	ConvertedAt   *time.Time
	DeletedAt     *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Version       int64
}

// TableName is the leads table.
func (Lead) TableName() string { return "leads" }

// View is a lead as the API shows it.
type View struct {
	ID            uuid.UUID        `json:"id"`
	Name          string           `json:"name"`
	Company       string           `json:"company"`
	Phone         string           `json:"phone"`
	Email         string           `json:"email"`
	Source        string           `json:"source"`
	Region        string           `json:"region"`
	Industry      string           `json:"industry"`
	Status        string           `json:"status"`
	OwnerID       *uuid.UUID       `json:"owner_id"`
	DepartmentID  *uuid.UUID       `json:"department_id"`
	Notes         string           `json:"notes"`
	Product       string           `json:"product"`
	Quantity      *decimal.Decimal `json:"quantity"`
	CustomFields  map[string]any   `json:"custom_fields"`
	CustomerID    *uuid.UUID       `json:"customer_id"`
	ContactID     *uuid.UUID       `json:"contact_id"`
	OpportunityID *uuid.UUID       `json:"opportunity_id"`
	ConvertedAt   *time.Time       `json:"converted_at"`
	CreatedAt     time.Time        `json:"created_at"`
	UpdatedAt     time.Time        `json:"updated_at"`
	Version       int64            `json:"version"`
}
