// Package audit keeps the history of every change to a business record (IAM-9): who, when,
// what changed, before and after. Entries are written in the same transaction as the change,
// so a change and its history commit or roll back together.
package audit

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/tenantctx"
)

// Entry is one audited change.
type Entry struct {
	TenantID uuid.UUID  `gorm:"primaryKey" json:"-"`
	ID       uuid.UUID  `gorm:"primaryKey" json:"id"`
	At       time.Time  `json:"at"`
	ActorID  *uuid.UUID `json:"actor_id"`
	Via      string     `json:"via"`
	Action   string     `json:"action"`
	Entity   string     `json:"entity"`
	EntityID string     `json:"entity_id"`
	// Changes maps each changed field to [before, after].
	Changes datatypes.JSONType[map[string][2]any] `json:"changes"`
}

// TableName is the audit table.
func (Entry) TableName() string { return "audit_log" }

// Record writes one entry in tx. before and after are the record's API representations (any
// JSON-marshalable value, nil for create/delete); only fields that differ are kept, so an
// update that changed nothing writes nothing.
func Record(ctx context.Context, tx *gorm.DB, action, entity, entityID string, before, after any) error {
	changes, err := Diff(before, after)
	if err != nil {
		return err
	}
	return RecordChanges(ctx, tx, action, entity, entityID, changes)
}

// RecordChanges writes one entry whose changes the caller computed: typically Diff of the
// real values followed by Mask, so that a changed phone number shows as changed ([***, ***])
// without being stored in clear — masking before the diff would hide the change.
func RecordChanges(ctx context.Context, tx *gorm.DB, action, entity, entityID string, changes map[string][2]any) error {
	if len(changes) == 0 && action == "update" {
		return nil
	}
	e := NewEntry(ctx, action, entity, entityID, changes)
	return tx.Create(&e).Error
}

// NewEntry builds the entry RecordChanges would write, for callers that write many at once
// (RecordMany).
func NewEntry(ctx context.Context, action, entity, entityID string, changes map[string][2]any) Entry {
	actor := tenantctx.ActorFrom(ctx)
	e := Entry{
		ID: uuid.Must(uuid.NewV7()), At: time.Now().UTC(), Via: actor.Via,
		Action: action, Entity: entity, EntityID: entityID,
		Changes: datatypes.NewJSONType(changes),
	}
	if actor.UserID != uuid.Nil {
		id := actor.UserID
		e.ActorID = &id
	}
	if e.Via == "" {
		e.Via = "system"
	}
	return e
}

// RecordMany writes entries built with NewEntry in tx, in multi-row inserts.
func RecordMany(tx *gorm.DB, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	return tx.CreateInBatches(entries, 50).Error
}

// Diff compares two records through their JSON forms and returns field → [before, after].
func Diff(before, after any) (map[string][2]any, error) {
	b, err := asMap(before)
	if err != nil {
		return nil, err
	}
	a, err := asMap(after)
	if err != nil {
		return nil, err
	}
	out := map[string][2]any{}
	for k, av := range a {
		if skipField(k) {
			continue
		}
		if bv, ok := b[k]; !ok || !reflect.DeepEqual(av, bv) {
			out[k] = [2]any{b[k], av}
		}
	}
	for k, bv := range b {
		if _, ok := a[k]; !ok && !skipField(k) {
			out[k] = [2]any{bv, nil}
		}
	}
	return out, nil
}

// Mask replaces the non-empty values of sensitive fields in changes by "***". A field is a
// top-level name ("phone") or one level into an object ("address.street").
func Mask(changes map[string][2]any, fields ...string) {
	for _, f := range fields {
		top, sub, nested := strings.Cut(f, ".")
		ch, ok := changes[top]
		if !ok {
			continue
		}
		for i, v := range ch {
			if !nested {
				ch[i] = masked(v)
				continue
			}
			if obj, ok := v.(map[string]any); ok {
				cp := make(map[string]any, len(obj))
				for k, x := range obj {
					cp[k] = x
				}
				if x, ok := cp[sub]; ok {
					cp[sub] = masked(x)
				}
				ch[i] = cp
			}
		}
		changes[top] = ch
	}
}

func masked(v any) any {
	if v == nil || v == "" {
		return v
	}
	return "***"
}

// skipField leaves out bookkeeping that changes on every write.
func skipField(k string) bool { return k == "updated_at" || k == "version" }

func asMap(v any) (map[string]any, error) {
	if v == nil || (reflect.ValueOf(v).Kind() == reflect.Pointer && reflect.ValueOf(v).IsNil()) {
		return map[string]any{}, nil
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return m, nil
}
