// Package followup keeps the follow-up records 跟進記錄 of customers (SAL-1), derives the next
// follow-up date from the tenant's cadence rules (SAL-2), and builds each person's task list
// (GET /me/tasks): follow-ups due today, overdue and upcoming, and pool warnings.
//
// Logging a follow-up updates the customer's last_follow_up_at, next_follow_up_at and intent
// class in the same transaction (customer.RecordFollowUp), which also restarts the public
// pool's recycle clock; it writes the audit entry and the followup.logged event, closes the
// customer's earlier open plan, and schedules the reminders (app/notify).
package followup

import (
	"time"

	"github.com/google/uuid"
)

// Methods a follow-up can take (SAL-1).
var Methods = []string{"phone", "email", "visit", "wechat", "sms", "meeting", "online"}

// FollowUp is one stored follow-up record.
type FollowUp struct {
	TenantID     uuid.UUID  `gorm:"primaryKey"`
	ID           uuid.UUID  `gorm:"primaryKey"`
	CustomerID   uuid.UUID  // the customer followed up
	ContactID    *uuid.UUID // the contact spoken to, if any
	OwnerID      uuid.UUID  // the staff member who followed up
	DepartmentID *uuid.UUID // their department at the time
	Method       string
	OccurredAt   time.Time
	Content      string
	Outcome      string
	IntentClass  *string // the customer's intent class after this follow-up
	// NextFollowUpAt is the planned next follow-up; NextFromCadence says it was derived from the
	// tenant's cadence rules rather than given.
	NextFollowUpAt  *time.Time
	NextFromCadence bool
	// DoneAt and DoneByID close the plan: when, and by which follow-up, the customer was
	// followed up next. An open plan (DoneAt nil) with a date is a task.
	DoneAt    *time.Time
	DoneByID  *uuid.UUID
	CreatedAt time.Time
}

// TableName is the follow-ups table.
func (FollowUp) TableName() string { return "follow_ups" }

// View is a follow-up as the API shows it.
type View struct {
	ID              uuid.UUID  `json:"id"`
	CustomerID      uuid.UUID  `json:"customer_id"`
	CustomerName    string     `json:"customer_name,omitempty"`
	ContactID       *uuid.UUID `json:"contact_id"`
	OwnerID         uuid.UUID  `json:"owner_id"`
	DepartmentID    *uuid.UUID `json:"department_id"`
	Method          string     `json:"method"`
	OccurredAt      time.Time  `json:"occurred_at"`
	Content         string     `json:"content"`
	Outcome         string     `json:"outcome"`
	IntentClass     *string    `json:"intent_class"`
	NextFollowUpAt  *time.Time `json:"next_follow_up_at"`
	NextFromCadence bool       `json:"next_from_cadence"`
	DoneAt          *time.Time `json:"done_at"`
	DoneByID        *uuid.UUID `json:"done_by_id"`
	CreatedAt       time.Time  `json:"created_at"`
}

func view(f *FollowUp) View {
	return View{ID: f.ID, CustomerID: f.CustomerID, ContactID: f.ContactID, OwnerID: f.OwnerID,
		DepartmentID: f.DepartmentID, Method: f.Method, OccurredAt: f.OccurredAt.UTC(), Content: f.Content,
		Outcome: f.Outcome, IntentClass: f.IntentClass, NextFollowUpAt: utc(f.NextFollowUpAt),
		NextFromCadence: f.NextFromCadence, DoneAt: utc(f.DoneAt), DoneByID: f.DoneByID, CreatedAt: f.CreatedAt.UTC()}
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
