package risk

import (
	"context"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/tenants"
)

// Weights weigh the four scores into the assessment's score; they add up to 100.
type Weights struct {
	Financial  int `json:"financial" validate:"gte=0,lte=100"`
	Results    int `json:"results" validate:"gte=0,lte=100"`
	Record     int `json:"record" validate:"gte=0,lte=100"`
	Reputation int `json:"reputation" validate:"gte=0,lte=100"`
}

// Band is a rating and the lowest score that earns it.
type Band struct {
	Rating   string `json:"rating" validate:"required,max=10"`
	MinScore int    `json:"min_score" validate:"gte=0,lte=100"`
}

// Options are the credit and risk section of the tenant settings ("risk" in /settings).
type Options struct {
	Weights Weights `json:"weights"`
	// Bands, highest first; the last one starts at 0 so every score has a rating.
	Bands []Band `json:"bands" validate:"required,min=1,max=20,dive"`
	// ValidityDays is how long an assessment is valid when valid_until is not given.
	ValidityDays int `json:"validity_days" validate:"gte=1,lte=1830"`
	// ReviewLeadDays: the review comes due as a task this many days before valid_until.
	ReviewLeadDays int `json:"review_lead_days" validate:"gte=0,lte=365"`
	// WarningShare: exposure at or above this share of the limit raises a warning; above the
	// limit itself is a risk.
	WarningShare decimal.Decimal `json:"warning_share"`
	// OverdueDays: a receivable overdue by this many days or more raises a warning.
	OverdueDays int `json:"overdue_days" validate:"gte=1,lte=3650"`
	// ComplaintCount complaints or more within ComplaintWindowDays raise a warning.
	ComplaintCount      int `json:"complaint_count" validate:"gte=1,lte=1000"`
	ComplaintWindowDays int `json:"complaint_window_days" validate:"gte=1,lte=365"`
	// SilenceDays without a follow-up or a purchase raise a warning.
	SilenceDays int `json:"silence_days" validate:"gte=1,lte=3650"`
}

// DefaultOptions are a tenant's risk settings until it changes them.
func DefaultOptions() Options {
	return Options{
		Weights:      Weights{Financial: 30, Results: 25, Record: 30, Reputation: 15},
		Bands:        []Band{{"AAA", 90}, {"AA", 80}, {"A", 70}, {"BBB", 60}, {"BB", 50}, {"B", 40}, {"C", 0}},
		ValidityDays: 365, ReviewLeadDays: 30, WarningShare: decimal.RequireFromString("0.8"), OverdueDays: 30,
		ComplaintCount: 3, ComplaintWindowDays: 30, SilenceDays: 90,
	}
}

func check(_ context.Context, _ *gorm.DB, o *Options) error {
	w := o.Weights
	if w.Financial+w.Results+w.Record+w.Reputation != 100 {
		return problem.Field("weights", "invalid", "risk.weights_sum")
	}
	for i, b := range o.Bands {
		if i > 0 && b.MinScore >= o.Bands[i-1].MinScore {
			return problem.Field("bands", "invalid", "risk.bands_order")
		}
	}
	if o.Bands[len(o.Bands)-1].MinScore != 0 {
		return problem.Field("bands", "invalid", "risk.bands_order")
	}
	if o.WarningShare.Sign() <= 0 || o.WarningShare.GreaterThan(decimal.NewFromInt(1)) {
		return problem.Field("warning_share", "out_of_range", "field.out_of_range")
	}
	return nil
}

// Settings is the risk section; server.New adds it to the tenants service.
var Settings = tenants.Section[Options]{Key: "risk", Defaults: DefaultOptions, Check: check}

// ratingFor is the band score falls in.
func (o Options) ratingFor(score decimal.Decimal) string {
	for _, b := range o.Bands {
		if score.GreaterThanOrEqual(decimal.NewFromInt(int64(b.MinScore))) {
			return b.Rating
		}
	}
	return o.Bands[len(o.Bands)-1].Rating
}

// scoreOf weighs s.
func (o Options) scoreOf(s Scores) decimal.Decimal {
	w := o.Weights
	sum := s.Financial*w.Financial + s.Results*w.Results + s.Record*w.Record + s.Reputation*w.Reputation
	return decimal.NewFromInt(int64(sum)).Div(decimal.NewFromInt(100)).Round(2)
}
