package tenants

import "github.com/google/uuid"

// LeadAssignment are the rules that give an owner to a lead created or imported without one
// (EXP-1). Rules are tried in order; the first whose region and industry match the lead (an
// empty one matches anything) gives the lead to the next of its users in turn (round-robin).
// A rule with neither region nor industry is plain round-robin over its users. Inactive users
// are passed over; a lead no rule matches stays unassigned.
type LeadAssignment struct {
	Rules []LeadRule `json:"rules" validate:"max=100,dive"`
}

// LeadRule is one assignment rule.
type LeadRule struct {
	Region   string      `json:"region,omitempty" validate:"max=100"`
	Industry string      `json:"industry,omitempty" validate:"max=100"`
	Users    []uuid.UUID `json:"users" validate:"required,min=1,max=200"`
}

// Reminders configure follow-up reminders (SAL-2, EXP-7): one when a planned follow-up is
// due and, EarlyMinutes before it, an early one (nil: DefaultReminderEarlyMinutes; 0: none).
// Email (nil: true) also sends them by mail.
type Reminders struct {
	EarlyMinutes *int  `json:"early_minutes" validate:"omitempty,gte=0,lte=10080"`
	Email        *bool `json:"email"`
}

// DefaultReminderEarlyMinutes is how long before a planned follow-up the early reminder comes.
const DefaultReminderEarlyMinutes = 120

// Early is the early reminder's lead time in minutes (0: none).
func (r Reminders) Early() int {
	if r.EarlyMinutes == nil {
		return DefaultReminderEarlyMinutes
	}
	return *r.EarlyMinutes
}

// ByEmail reports whether reminders are also mailed.
func (r Reminders) ByEmail() bool { return r.Email == nil || *r.Email }
