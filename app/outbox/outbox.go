// Package outbox records domain events in the same transaction as the change that caused
// them (the transactional-outbox pattern), so an event exists exactly when its change
// committed. Consumers — plugin event hooks, outgoing webhooks — read them in ID order
// (UUIDv7, time-ordered) and use the event ID for idempotency.
package outbox

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/tenantctx"
)

// Event is one domain event, e.g. customer.created.
type Event struct {
	TenantID  uuid.UUID                          `gorm:"primaryKey" json:"-"`
	ID        uuid.UUID                          `gorm:"primaryKey" json:"id"`
	Type      string                             `json:"type"`
	Entity    string                             `json:"entity"`
	EntityID  uuid.UUID                          `json:"entity_id"`
	ActorID   *uuid.UUID                         `json:"actor_id"`
	Payload   datatypes.JSONType[map[string]any] `json:"payload"`
	CreatedAt time.Time                          `json:"created_at"`
}

// TableName is the outbox table.
func (Event) TableName() string { return "outbox" }

// Publish writes an event in tx. payload is stored as JSON.
func Publish(ctx context.Context, tx *gorm.DB, typ, entity string, entityID uuid.UUID, payload map[string]any) error {
	e := NewEvent(ctx, typ, entity, entityID, payload)
	return tx.Create(&e).Error
}

// NewEvent builds the event Publish would write, for callers that write many at once
// (PublishMany).
func NewEvent(ctx context.Context, typ, entity string, entityID uuid.UUID, payload map[string]any) Event {
	e := Event{ID: uuid.Must(uuid.NewV7()), Type: typ, Entity: entity, EntityID: entityID,
		Payload: datatypes.NewJSONType(payload), CreatedAt: time.Now().UTC()}
	if a := tenantctx.ActorFrom(ctx); a.UserID != uuid.Nil && !a.Platform {
		id := a.UserID
		e.ActorID = &id
	}
	return e
}

// PublishMany writes events built with NewEvent in tx, in multi-row inserts.
func PublishMany(tx *gorm.DB, events []Event) error {
	if len(events) == 0 {
		return nil
	}
	return tx.CreateInBatches(events, 50).Error
}

// After lists a tenant's events after the given ID (uuid.Nil for the start), oldest first.
func After(tx *gorm.DB, after uuid.UUID, limit int) ([]Event, error) {
	var out []Event
	q := tx.Order("id").Limit(limit)
	if after != uuid.Nil {
		q = q.Where("id > ?", after)
	}
	return out, q.Find(&out).Error
}

// Settled lists a tenant's events after cursor (nil: from the start) created at or before
// settledBefore, oldest first: what a consumer that keeps its own cursor (plugin event hooks,
// outgoing webhooks) delivers next. Events younger than the consumer's settle time wait for a
// later round, so an event whose transaction committed a moment after a later one's is not
// skipped by a cursor that moved past it.
func Settled(tx *gorm.DB, cursor *uuid.UUID, settledBefore time.Time, limit int) ([]Event, error) {
	var out []Event
	q := tx.Where("created_at <= ?", settledBefore.UTC()).Order("id").Limit(limit)
	if cursor != nil {
		q = q.Where("id > ?", *cursor)
	}
	return out, q.Find(&out).Error
}

// LastID is the ID of the tenant's newest event (nil when there is none): where a new
// consumer's cursor starts when it wants only what happens from now on.
func LastID(tx *gorm.DB) (*uuid.UUID, error) {
	var last []Event
	if err := tx.Select("id").Order("id DESC").Limit(1).Find(&last).Error; err != nil || len(last) == 0 {
		return nil, err
	}
	return &last[0].ID, nil
}
