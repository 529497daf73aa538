package complaint

import (
	"context"

	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/service"
	"github.com/smecrm/crm/tenants"
)

// Options are the complaints section of the tenant settings ("complaints" in /settings). The
// working days a case has to be closed in are the core setting complaint_sla_days (default 6,
// 第26條); this section adds the rest.
type Options struct {
	// NumberPattern makes case numbers, as work order numbers are made: {YYYY}, {YY}, {MM},
	// {DD} (the tenant's local date of intake) and one {SEQ} or {SEQ:n}.
	NumberPattern string `json:"number_pattern"`
	// DueSoonHours is how long before its deadline a case shows due_soon and its responsible
	// person is warned.
	DueSoonHours int `json:"due_soon_hours" validate:"gte=1,lte=240"`
	// ReportDays are the working days the investigation report to the vice president is due in
	// (第25條.3: 三天內).
	ReportDays int `json:"report_days" validate:"gte=1,lte=30"`
}

// DefaultOptions are a tenant's complaint settings until it changes them.
func DefaultOptions() Options {
	return Options{NumberPattern: "KS-{YYYY}-{SEQ:6}", DueSoonHours: 24, ReportDays: 3}
}

// DefaultSLADays is the working days to close a case when the core setting is 0 (unset).
const DefaultSLADays = 6

func checkOptions(_ context.Context, _ *gorm.DB, o *Options) error {
	if service.CheckNumberPattern(o.NumberPattern) != nil {
		return problem.Field("number_pattern", "invalid_format", "complaint.number_pattern")
	}
	return nil
}

// Settings is the complaints section; server.New adds it to the tenants service.
var Settings = tenants.Section[Options]{Key: "complaints", Defaults: DefaultOptions, Check: checkOptions}
