// Package customer is the customer archive (客戶檔案, CUS-1..11): enterprise and individual
// customers with the full data card, lifecycle stages, classification, the public pool,
// duplicate detection and merge, the recycle bin, search, import and export.
package customer

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
)

// Types, stages, tiers and classes as the API spells them.
const (
	TypeEnterprise = "enterprise"
	TypeIndividual = "individual"

	StagePotential = "potential"
	StageProspect  = "prospect"
	StageDeal      = "deal"
	StageChurned   = "churned"

	TierKey       = "key"
	TierGeneral   = "general"
	TierPotential = "potential"
)

// Sources a customer can come from (CUS-1).
var Sources = []string{"market_research", "industry_event", "partner_referral", "online", "cold_call", "walk_in", "other"}

// Customer is the stored record. Sensitive fields are sealed (see fieldcrypt): the street
// address, phone and ID number; PhoneHash allows exact lookup.
type Customer struct {
	TenantID            uuid.UUID `gorm:"primaryKey"`
	ID                  uuid.UUID `gorm:"primaryKey"`
	Type                string
	Name                string
	ShortName           string
	CreditCode          string
	Industry            string
	Employees           *int
	AnnualRevenue       decimal.NullDecimal
	Province            string
	City                string
	District            string
	StreetEnc           string
	Region              string
	BusinessScope       string
	LegalRepresentative string
	Source              string
	Stage               string
	Tier                string
	IntentClass         *string
	ValueClass          *string
	Classification      datatypes.JSONType[Classification]
	Credit              datatypes.JSONType[Credit]
	OwnerID             *uuid.UUID
	DepartmentID        *uuid.UUID
	InPool              bool
	PoolKey             string // the pool it sits in while InPool ("" the default pool)
	PoolEnteredAt       *time.Time
	FormerOwnerID       *uuid.UUID
	Tags                datatypes.JSONType[[]string]
	PhoneEnc            string
	PhoneHash           string
	IDNumberEnc         string
	Email               string
	Birthday            *datatypes.Date
	CustomFields        datatypes.JSONType[map[string]any]
	Profile             datatypes.JSONType[Profile]
	LastFollowUpAt      *time.Time
	NextFollowUpAt      *time.Time
	ChurnedAt           *time.Time
	ChurnReason         string
	DeletedAt           *time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time
	Version             int64
}

// Classification records which rule set the tier and classes, why, and when (CUS-6).
type Classification struct {
	Rule    string    `json:"rule"`
	Reasons []string  `json:"reasons"`
	Score   *float64  `json:"score,omitempty"`
	At      time.Time `json:"at"`
}

// Credit is the credit assessment summary (RSK-1).
type Credit struct {
	Rating     string           `json:"rating"`
	Limit      *decimal.Decimal `json:"limit"`
	ValidUntil *datatypes.Date  `json:"valid_until"`
	// RiskLevel is low, medium or high from the customer's open risk warnings (app/risk);
	// classification rules and plugins read it beside the rating.
	RiskLevel string `json:"risk_level,omitempty"`
}

// Scale is the customer's size.
type Scale struct {
	Employees     *int             `json:"employees" validate:"omitempty,gte=0,lte=100000000"` // PostgreSQL integer; no company is larger
	AnnualRevenue *decimal.Decimal `json:"annual_revenue"`
}

// Address is a postal address; the street is encrypted at rest.
type Address struct {
	Province string `json:"province" validate:"max=50"`
	City     string `json:"city" validate:"max=50"`
	District string `json:"district" validate:"max=50"`
	Street   string `json:"street" validate:"max=200"`
}

// Profile holds the data-card sections of seed 001 §2.1 (CUS-2). Each section is free-form
// key/value text so a company records what it knows without schema changes.
type Profile struct {
	Basic           map[string]string `json:"basic"`
	Characteristics map[string]string `json:"characteristics"`
	Business        map[string]string `json:"business"`
	Transactions    map[string]string `json:"transactions"`
}

// View is a customer as the API shows it (field names fixed by API.md).
type View struct {
	ID                  uuid.UUID      `json:"id"`
	Type                string         `json:"type"`
	Name                string         `json:"name"`
	ShortName           string         `json:"short_name"`
	CreditCode          string         `json:"credit_code"`
	Industry            string         `json:"industry"`
	Scale               Scale          `json:"scale"`
	Address             Address        `json:"address"`
	Region              string         `json:"region"`
	BusinessScope       string         `json:"business_scope"`
	LegalRepresentative string         `json:"legal_representative"`
	Source              string         `json:"source"`
	Stage               string         `json:"stage"`
	Tier                string         `json:"tier"`
	IntentClass         *string        `json:"intent_class"`
	ValueClass          *string        `json:"value_class"`
	Classification      Classification `json:"classification"`
	Credit              Credit         `json:"credit"`
	OwnerID             *uuid.UUID     `json:"owner_id"`
	DepartmentID        *uuid.UUID     `json:"department_id"`
	InPool              bool           `json:"in_pool"`
	Pool                *string        `json:"pool"`
	Tags                []string       `json:"tags"`
	Phone               string         `json:"phone"`
	IDNumber            string         `json:"id_number,omitempty"`
	Email               string         `json:"email"`
	Birthday            *string        `json:"birthday"`
	CustomFields        map[string]any `json:"custom_fields"`
	Profile             Profile        `json:"profile"`
	LastFollowUpAt      *time.Time     `json:"last_follow_up_at"`
	NextFollowUpAt      *time.Time     `json:"next_follow_up_at"`
	ChurnedAt           *time.Time     `json:"churned_at"`
	ChurnReason         string         `json:"churn_reason"`
	DeletedAt           *time.Time     `json:"deleted_at,omitempty"`
	CreatedAt           time.Time      `json:"created_at"`
	UpdatedAt           time.Time      `json:"updated_at"`
	Version             int64          `json:"version"`
}
