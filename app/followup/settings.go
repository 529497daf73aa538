package followup

import "github.com/smecrm/crm/tenants"

// Reminders configure follow-up reminders (SAL-2, EXP-7), the follow-up area's settings section
// ("reminders" in /settings): one when a planned follow-up is due and, EarlyMinutes before it,
// an early one (nil: DefaultReminderEarlyMinutes; 0: none). Email (nil: true) also sends them by
// mail.
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

// Settings is the follow-up area's settings section; server.New adds it to the tenants service.
var Settings = tenants.Section[Reminders]{
	Key:      "reminders",
	Defaults: func() Reminders { return Reminders{} },
}
