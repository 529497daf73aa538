package survey

import "github.com/smecrm/crm/tenants"

// Options are the survey area's section of the tenant settings ("surveys" in /settings).
// Whether surveys go out at all is the service section's survey_enabled.
type Options struct {
	// LinkValidDays is how long a survey link may be answered.
	LinkValidDays int `json:"link_valid_days" validate:"gte=1,lte=90"`
}

// DefaultOptions are a tenant's survey settings until it changes them.
func DefaultOptions() Options { return Options{LinkValidDays: 14} }

// Settings is the survey area's settings section; server.New adds it to the tenants service.
var Settings = tenants.Section[Options]{Key: "surveys", Defaults: DefaultOptions}
