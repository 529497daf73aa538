package webhook

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
)

// Delivery statuses: pending until an attempt succeeds (delivered), the retry window runs out
// or the receiver answers 410 (failed), or the endpoint's owner may no longer see the record
// (skipped: nothing was sent).
const (
	StatusPending   = "pending"
	StatusDelivered = "delivered"
	StatusFailed    = "failed"
	StatusSkipped   = "skipped"
)

// Reasons an endpoint was disabled.
const (
	DisabledGone     = "gone"    // the receiver answered 410 Gone
	DisabledFailing  = "failing" // every attempt failed for the whole retry window
	DisabledByUser   = "user"    // switched off through the API
	DisabledNoAccess = "owner"   // the registering user is no longer active
	disabledNone     = ""
)

// Endpoint is a registered receiver.
type Endpoint struct {
	TenantID       uuid.UUID `gorm:"primaryKey"`
	ID             uuid.UUID `gorm:"primaryKey"`
	URL            string
	Description    string
	EventTypes     datatypes.JSONSlice[string]
	Active         bool
	DisabledReason string
	DisabledAt     *time.Time
	// OwnerID is the user who registered the endpoint: payloads carry only what they may read.
	OwnerID uuid.UUID
	// Secret and PreviousSecret are sealed (fieldcrypt); PreviousSecret signs too until
	// PreviousSecretUntil.
	Secret              string
	PreviousSecret      string
	PreviousSecretUntil *time.Time
	EventCursor         *uuid.UUID
	FailingSince        *time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time
	Version             int64
}

// TableName is the endpoints' table.
func (Endpoint) TableName() string { return "webhook_endpoints" }

// Delivery is one message to one endpoint.
type Delivery struct {
	TenantID   uuid.UUID `gorm:"primaryKey"`
	ID         uuid.UUID `gorm:"primaryKey"`
	EndpointID uuid.UUID
	// MessageID is the webhook-id header: the outbox event's ID, kept by redeliveries so the
	// receiver can drop repeats.
	MessageID string
	EventID   *uuid.UUID
	EventType string
	EntityID  *uuid.UUID
	// Payload is the data of a test event (outbox deliveries read their event at each attempt).
	Payload       datatypes.JSON
	Status        string
	Attempts      int
	NextAttemptAt *time.Time
	LastStatus    int
	LastError     string
	RedeliveryOf  *uuid.UUID
	CreatedAt     time.Time
	FinishedAt    *time.Time
}

// TableName is the deliveries' table.
func (Delivery) TableName() string { return "webhook_deliveries" }

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	TenantID        uuid.UUID `gorm:"primaryKey"`
	ID              uuid.UUID `gorm:"primaryKey"`
	DeliveryID      uuid.UUID
	Attempt         int
	StatusCode      int
	DurationMS      int
	Error           string
	ResponseExcerpt string
	At              time.Time
}

// TableName is the attempts' table.
func (Attempt) TableName() string { return "webhook_attempts" }

// View is an endpoint as the API shows it. Secret is set only in the answers of create and
// rotate-secret: it is shown once.
type View struct {
	ID                  uuid.UUID  `json:"id"`
	URL                 string     `json:"url"`
	Description         string     `json:"description"`
	EventTypes          []string   `json:"event_types"`
	Active              bool       `json:"active"`
	DisabledReason      string     `json:"disabled_reason"`
	DisabledAt          *time.Time `json:"disabled_at"`
	OwnerID             uuid.UUID  `json:"owner_id"`
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
	FailingSince        *time.Time `json:"failing_since"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	Version             int64      `json:"version"`
	Secret              string     `json:"secret,omitempty"`
}

func view(e *Endpoint) View {
	types := []string(e.EventTypes)
	if types == nil {
		types = []string{}
	}
	return View{ID: e.ID, URL: e.URL, Description: e.Description, EventTypes: types, Active: e.Active,
		DisabledReason: e.DisabledReason, DisabledAt: utc(e.DisabledAt), OwnerID: e.OwnerID,
		PreviousSecretUntil: utc(e.PreviousSecretUntil), FailingSince: utc(e.FailingSince),
		CreatedAt: e.CreatedAt.UTC(), UpdatedAt: e.UpdatedAt.UTC(), Version: e.Version}
}

// AttemptView is an attempt in the delivery log.
type AttemptView struct {
	Attempt         int       `json:"attempt"`
	StatusCode      int       `json:"status_code"`
	DurationMS      int       `json:"duration_ms"`
	Error           string    `json:"error"`
	ResponseExcerpt string    `json:"response_excerpt"`
	At              time.Time `json:"at"`
}

// DeliveryView is a delivery in the log, with its attempts oldest first.
type DeliveryView struct {
	ID            uuid.UUID     `json:"id"`
	EndpointID    uuid.UUID     `json:"endpoint_id"`
	MessageID     string        `json:"message_id"`
	EventID       *uuid.UUID    `json:"event_id"`
	EventType     string        `json:"event_type"`
	EntityID      *uuid.UUID    `json:"entity_id"`
	Status        string        `json:"status"`
	AttemptCount  int           `json:"attempt_count"`
	NextAttemptAt *time.Time    `json:"next_attempt_at"`
	LastStatus    int           `json:"last_status"`
	LastError     string        `json:"last_error"`
	RedeliveryOf  *uuid.UUID    `json:"redelivery_of"`
	CreatedAt     time.Time     `json:"created_at"`
	FinishedAt    *time.Time    `json:"finished_at"`
	Attempts      []AttemptView `json:"attempts"`
}

func deliveryView(d *Delivery, attempts []Attempt) DeliveryView {
	v := DeliveryView{ID: d.ID, EndpointID: d.EndpointID, MessageID: d.MessageID, EventID: d.EventID, EventType: d.EventType,
		EntityID: d.EntityID, Status: d.Status, AttemptCount: d.Attempts, NextAttemptAt: utc(d.NextAttemptAt),
		LastStatus: d.LastStatus, LastError: d.LastError, RedeliveryOf: d.RedeliveryOf, CreatedAt: d.CreatedAt.UTC(),
		FinishedAt: utc(d.FinishedAt), Attempts: []AttemptView{}}
	for _, a := range attempts {
		v.Attempts = append(v.Attempts, AttemptView{Attempt: a.Attempt, StatusCode: a.StatusCode, DurationMS: a.DurationMS,
			Error: a.Error, ResponseExcerpt: a.ResponseExcerpt, At: a.At.UTC()})
	}
	return v
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
