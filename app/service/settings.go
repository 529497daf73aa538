package service

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// Settings are the service module's own section of the tenant settings ("service").
type Settings struct {
	// NumberPattern makes work order numbers: literal text with {YYYY}, {YY}, {MM}, {DD} (the
	// tenant's local date of registration) and exactly one {SEQ} or {SEQ:n} (a counter per
	// distinct date part, zero-padded to n digits), e.g. FW{YYYY}{MM}{DD}-{SEQ:3}.
	NumberPattern string `json:"number_pattern"`
	// DefaultWarrantyMonths is the warranty of products that have none of their own.
	DefaultWarrantyMonths int `json:"default_warranty_months"`
	// SurveyEnabled sends an opinion survey after sign-off (SVC-6).
	SurveyEnabled bool `json:"survey_enabled"`
	// LinkValidHours is how long a sign-off link may be used.
	LinkValidHours int `json:"link_valid_hours"`
	// PaymentTermsDays is when an invoiced work order's receivable falls due, in days after
	// the invoice day, unless finance gives the invoice a due date of its own.
	PaymentTermsDays int `json:"payment_terms_days"`
}

// DefaultSettings are a tenant's service settings until it changes them.
func DefaultSettings() Settings {
	return Settings{NumberPattern: "FW{YYYY}{MM}{DD}-{SEQ:3}", DefaultWarrantyMonths: 12, SurveyEnabled: true, LinkValidHours: 72, PaymentTermsDays: 30}
}

var patternToken = regexp.MustCompile(`\{[^{}]*\}`)

// Validate checks the settings; errors are validation_failed on the field at fault.
func (st *Settings) Validate() error {
	var errs []problem.FieldError
	if err := checkPattern(st.NumberPattern); err != nil {
		errs = append(errs, problem.FieldError{Field: "number_pattern", Code: "invalid_format", Key: "service.number_pattern"})
	}
	if st.DefaultWarrantyMonths < 0 || st.DefaultWarrantyMonths > 600 {
		errs = append(errs, problem.FieldError{Field: "default_warranty_months", Code: "out_of_range", Key: "field.out_of_range"})
	}
	if st.LinkValidHours < 1 || st.LinkValidHours > 720 {
		errs = append(errs, problem.FieldError{Field: "link_valid_hours", Code: "out_of_range", Key: "field.out_of_range"})
	}
	if st.PaymentTermsDays < 0 || st.PaymentTermsDays > 365 {
		errs = append(errs, problem.FieldError{Field: "payment_terms_days", Code: "out_of_range", Key: "field.out_of_range"})
	}
	if len(errs) > 0 {
		return problem.Fields(errs...)
	}
	return nil
}

// CheckSettings is Validate in the shape of a tenant settings section's check.
func CheckSettings(_ context.Context, _ *gorm.DB, st *Settings) error { return st.Validate() }

func checkPattern(p string) error {
	if p == "" || len(p) > 64 {
		return fmt.Errorf("length")
	}
	seqs := 0
	for _, tok := range patternToken.FindAllString(p, -1) {
		switch {
		case tok == "{YYYY}", tok == "{YY}", tok == "{MM}", tok == "{DD}":
		case tok == "{SEQ}":
			seqs++
		case strings.HasPrefix(tok, "{SEQ:"):
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(tok, "{SEQ:"), "}"))
			if err != nil || n < 1 || n > 9 {
				return fmt.Errorf("width")
			}
			seqs++
		default:
			return fmt.Errorf("token %s", tok)
		}
	}
	if seqs != 1 {
		return fmt.Errorf("one {SEQ}")
	}
	for _, r := range patternToken.ReplaceAllString(p, "") {
		if r == '{' || r == '}' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return fmt.Errorf("character %q", r)
		}
	}
	return nil
}

// numberScope renders pattern's date tokens for day and leaves the sequence token: the key
// of the counter the number takes its sequence from.
func numberScope(pattern string, day time.Time) string {
	return patternToken.ReplaceAllStringFunc(pattern, func(tok string) string {
		switch tok {
		case "{YYYY}":
			return day.Format("2006")
		case "{YY}":
			return day.Format("06")
		case "{MM}":
			return day.Format("01")
		case "{DD}":
			return day.Format("02")
		}
		return "{SEQ}"
	})
}

// renderNumber puts seq into a scope made by numberScope, padded as pattern asks.
func renderNumber(pattern, scope string, seq int64) string {
	width := 1
	for _, tok := range patternToken.FindAllString(pattern, -1) {
		if strings.HasPrefix(tok, "{SEQ:") {
			width, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(tok, "{SEQ:"), "}"))
		}
	}
	return strings.Replace(scope, "{SEQ}", fmt.Sprintf("%0*d", width, seq), 1)
}

// SettingsSection is the service area's section of the tenant settings ("service" in
// /settings); server.New adds it to the tenants service.
var SettingsSection = tenants.Section[Settings]{Key: "service", Defaults: DefaultSettings, Check: CheckSettings}

// tenantRow reads the context tenant's name and settings in tx.
func tenantRow(ctx context.Context, tx *gorm.DB) (*tenants.Tenant, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var t tenants.Tenant
	return &t, tx.Select("id", "name", "settings").Take(&t, "id = ?", tid).Error
}

// settingsOf reads the context tenant's service settings in tx. Stored settings are checked
// when saved; any that no longer pass (a rule tightened since) give way to the defaults
// rather than break registration.
func settingsOf(ctx context.Context, tx *gorm.DB) (Settings, error) {
	t, err := tenantRow(ctx, tx)
	if err != nil {
		return Settings{}, err
	}
	st := SettingsSection.From(t.Settings.Data())
	if st.Validate() != nil {
		return DefaultSettings(), nil
	}
	return st, nil
}

// CheckNumberPattern checks a numbering pattern as the work order numbers' is checked: literal
// text with {YYYY}, {YY}, {MM}, {DD} and exactly one {SEQ} or {SEQ:n}. Other areas number their
// records with the same patterns (complaints: KS-{YYYY}-{SEQ:6}).
func CheckNumberPattern(p string) error { return checkPattern(p) }

// NumberScope renders pattern's date parts for day, leaving {SEQ}: the key of the counter a
// number takes its sequence from.
func NumberScope(pattern string, day time.Time) string { return numberScope(pattern, day) }

// RenderNumber puts seq into a scope made by NumberScope, padded as pattern asks.
func RenderNumber(pattern, scope string, seq int64) string { return renderNumber(pattern, scope, seq) }
