// Package tenants runs the companies that use the product: signup, settings, lifecycle
// (trial, active, past_due, suspended, cancelled), plans, and the platform admins who run them.
package tenants

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// Status is a tenant's lifecycle state (TEN-4).
type Status string

const (
	StatusTrial     Status = "trial"
	StatusActive    Status = "active"
	StatusPastDue   Status = "past_due"
	StatusSuspended Status = "suspended"
	StatusCancelled Status = "cancelled"
)

// Suspend modes: what users of a suspended tenant may still do.
const (
	SuspendReadOnly = "read_only"
	SuspendLocked   = "locked"
)

// DefaultPlan is every tenant's plan while billing is off.
const DefaultPlan = "standard"

// Tenant is a company using the product. It is a platform table: not tenant-scoped itself.
type Tenant struct {
	ID            uuid.UUID                    `gorm:"primaryKey" json:"id"`
	Slug          string                       `json:"slug"`
	Name          string                       `json:"name"`
	Status        Status                       `json:"status"`
	SuspendMode   string                       `json:"suspend_mode,omitempty"`
	Plan          string                       `json:"plan"`
	TrialEndsAt   *time.Time                   `json:"trial_ends_at,omitempty"`
	Settings      datatypes.JSONType[Settings] `json:"-"`
	AuthVersion   int64                        `json:"-"`
	PolicyVersion int64                        `json:"-"`
	CreatedAt     time.Time                    `json:"created_at"`
	UpdatedAt     time.Time                    `json:"updated_at"`
	Version       int64                        `json:"-"`
}

// Info is the request-context view of t.
func (t *Tenant) Info() tenantctx.Info {
	return tenantctx.Info{ID: t.ID, Slug: t.Slug, Status: string(t.Status), SuspendMode: t.SuspendMode,
		Plan: t.Plan, Locale: t.Settings.Data().Locale, PolicyVersion: t.PolicyVersion}
}

// Writable reports whether the tenant's users may change data.
func (t *Tenant) Writable() bool { return WritableStatus(string(t.Status)) }

// WritableStatus reports whether a tenant in status may change data.
func WritableStatus(s string) bool {
	return s != string(StatusSuspended) && s != string(StatusCancelled)
}

// CanSignIn reports whether the tenant's users may sign in at all.
func (t *Tenant) CanSignIn() bool {
	switch t.Status {
	case StatusCancelled:
		return false
	case StatusSuspended:
		return t.SuspendMode != SuspendLocked
	}
	return true
}

// Repo reads and writes tenant rows.
type Repo struct{ DB *store.DB }

// FindByID returns a tenant; not_found when missing.
func (r Repo) FindByID(ctx context.Context, id uuid.UUID) (*Tenant, error) {
	var t Tenant
	err := r.DB.Gorm(ctx).Take(&t, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFoundf("entity.tenant")
	}
	return &t, err
}

// FindBySlug returns a tenant; not_found when missing.
func (r Repo) FindBySlug(ctx context.Context, slug string) (*Tenant, error) {
	var t Tenant
	err := r.DB.Gorm(ctx).Take(&t, "slug = ?", slug).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFoundf("entity.tenant")
	}
	return &t, err
}

// Settings are a tenant's configuration (TEN-3). Later business areas add their own fields;
// zero values mean "the default", filled by Normalize.
type Settings struct {
	Locale        string          `json:"locale" validate:"omitempty,locale"`
	TimeZone      string          `json:"time_zone"`
	Currency      string          `json:"currency" validate:"omitempty,len=3,uppercase"`
	ApprovalTiers []policies.Tier `json:"approval_tiers"`
	Cadences      Cadences        `json:"cadences"`
	Pool          PoolRules       `json:"pool"`
	// Pools are named public pools beside the default one (EXP-2); see PoolDef.
	Pools            []PoolDef         `json:"pools" validate:"max=20,dive"`
	Classification   Classification    `json:"classification"`
	ComplaintSLADays int               `json:"complaint_sla_days" validate:"gte=0,lte=365"`
	DuplicatePolicy  string            `json:"duplicate_policy" validate:"omitempty,oneof=warn block"`
	EnabledPlugins   []string          `json:"enabled_plugins"`
	Extra            map[string]string `json:"extra,omitempty"`
	// CustomFields define the tenant's own customer fields (CUS-3); see FieldDef.
	CustomFields []FieldDef `json:"custom_fields" validate:"max=100,dive"`
	// Sections are the business areas' own blocks, each a member of its own in the JSON (see
	// Section); they are read through the area's Section value, never here.
	Sections map[string]json.RawMessage `json:"-"`
}

// Cadences are the follow-up intervals in days per tier and intent class (SAL-2).
type Cadences struct {
	Key       int `json:"key" validate:"gte=0,lte=365"`
	General   int `json:"general" validate:"gte=0,lte=365"`
	Potential int `json:"potential" validate:"gte=0,lte=365"`
	IntentA   int `json:"intent_a" validate:"gte=0,lte=365"`
	IntentB   int `json:"intent_b" validate:"gte=0,lte=365"`
	IntentC   int `json:"intent_c" validate:"gte=0,lte=365"`
}

// PoolRules configure the public pool (CUS-8, EXP-2).
type PoolRules struct {
	Enabled          bool `json:"enabled"`
	RecycleDaysKey   int  `json:"recycle_days_key" validate:"gte=0,lte=3650"`
	RecycleDaysOther int  `json:"recycle_days_other" validate:"gte=0,lte=3650"`
	WarnDaysBefore   int  `json:"warn_days_before" validate:"gte=0,lte=365"`
	ClaimLimit       int  `json:"claim_limit" validate:"gte=0,lte=100000"`
	ReclaimBarDays   int  `json:"reclaim_bar_days" validate:"gte=0,lte=3650"`
	ExemptDeals      bool `json:"exempt_deals"`
	ExemptOpenDeals  bool `json:"exempt_open_opportunities"`
	// RecycleOn is what starts the recycle clock: "no_follow_up" (the default; days since the
	// last follow-up, creation or claim) or "no_deal" (days without reaching the deal stage
	// since creation or claim).
	RecycleOn string `json:"recycle_on" validate:"omitempty,oneof=no_follow_up no_deal"`
}

// DefaultPool is the key of the pool that Settings.Pool configures: it takes the customers of
// every department no named pool lists, and everyone may claim from it.
const DefaultPool = "default"

// PoolDef is a named public pool (EXP-2, WukongCRM's 多公海): the customers of the listed
// departments and their sub-departments go to it instead of the default pool, under its own
// rules, and only staff of those departments see and claim them. Where a department and one
// of its ancestors are listed by different pools, the nearest listing wins.
type PoolDef struct {
	Key           string      `json:"key" validate:"required,max=32"`
	Name          string      `json:"name" validate:"required,max=100"`
	DepartmentIDs []uuid.UUID `json:"department_ids" validate:"required,min=1,max=200"`
	Rules         PoolRules   `json:"rules"`
}

// PoolRulesFor returns the rules of the pool with key ("" or DefaultPool: Settings.Pool). A
// pool removed from the settings falls back to the default pool's rules.
func (s Settings) PoolRulesFor(key string) PoolRules {
	for _, p := range s.Pools {
		if p.Key == key && key != "" {
			return p.Rules
		}
	}
	return s.Pool
}

var poolKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,31}$`)

// validatePools checks keys (format, unique, not the default's) and that every listed
// department exists and is listed by one pool only.
func validatePools(pools []PoolDef, departmentExists func([]uuid.UUID) (map[uuid.UUID]bool, error)) error {
	var errs []problem.FieldError
	keys := map[string]bool{}
	listed := map[uuid.UUID]bool{}
	var all []uuid.UUID
	for _, p := range pools {
		all = append(all, p.DepartmentIDs...)
	}
	exists, err := departmentExists(all)
	if err != nil {
		return err
	}
	for i, p := range pools {
		at := fmt.Sprintf("pools[%d]", i)
		switch {
		case !poolKeyRE.MatchString(p.Key) || p.Key == DefaultPool:
			errs = append(errs, problem.FieldError{Field: at + ".key", Code: "invalid_format", Key: "field.pool_key"})
		case keys[p.Key]:
			errs = append(errs, problem.FieldError{Field: at + ".key", Code: "taken", Key: "field.pool_key_taken"})
		}
		keys[p.Key] = true
		for j, d := range p.DepartmentIDs {
			f := fmt.Sprintf("%s.department_ids[%d]", at, j)
			switch {
			case !exists[d]:
				errs = append(errs, problem.FieldError{Field: f, Code: "not_found", Key: "field.department_unknown"})
			case listed[d]:
				errs = append(errs, problem.FieldError{Field: f, Code: "taken", Key: "field.pool_department_taken"})
			}
			listed[d] = true
		}
	}
	if len(errs) > 0 {
		return problem.Fields(errs...)
	}
	return nil
}

// Recycle triggers of PoolRules.RecycleOn.
const (
	RecycleOnNoFollowUp = "no_follow_up"
	RecycleOnNoDeal     = "no_deal"
)

// Classification are the thresholds of the built-in customer classification (CUS-6) and of
// the ABC value analysis (ANA-1). Amounts are in the tenant's currency. A customer with a
// business relationship (stage deal, or any orders) is key when it meets any enabled key
// criterion, general when its annual purchases reach the general minimum, potential otherwise;
// without a relationship it is potential (seed 000 §3.1). Zero or null disables a key
// criterion. A tenant that never set this block (all zero) gets DefaultClassification.
type Classification struct {
	KeyMinAnnualPurchase     *decimal.Decimal `json:"key_min_annual_purchase"`
	KeyMinOrders             int              `json:"key_min_orders" validate:"gte=0,lte=1000000"`
	KeyMinEmployees          int              `json:"key_min_employees" validate:"gte=0,lte=10000000"`
	KeyMinAnnualRevenue      *decimal.Decimal `json:"key_min_annual_revenue"`
	GeneralMinAnnualPurchase *decimal.Decimal `json:"general_min_annual_purchase"`
	// ValueAPercent and ValueBPercent are the cumulative shares of transaction value that
	// bound value classes A and B (Pareto, defaults 70 and 90); the rest is C.
	ValueAPercent int `json:"value_a_percent" validate:"gte=0,lte=100"`
	ValueBPercent int `json:"value_b_percent" validate:"gte=0,lte=100"`
}

// DefaultClassification: key customers buy a lot or often, or are large enterprises (seed
// 000 §3.1 "購買量大、合作頻繁", sizes after the national large-enterprise bounds: 1,000 staff,
// 400 million revenue); any customer with a relationship is general; ABC at 70/90 (001 §2.4).
func DefaultClassification() Classification {
	d := func(v int64) *decimal.Decimal { x := decimal.NewFromInt(v); return &x }
	return Classification{KeyMinAnnualPurchase: d(1_000_000), KeyMinOrders: 12, KeyMinEmployees: 1000,
		KeyMinAnnualRevenue: d(400_000_000), GeneralMinAnnualPurchase: d(0), ValueAPercent: 70, ValueBPercent: 90}
}

// Validate refuses negative amounts and an A share above the B share.
func (c Classification) Validate() error {
	for field, d := range map[string]*decimal.Decimal{"key_min_annual_purchase": c.KeyMinAnnualPurchase,
		"key_min_annual_revenue": c.KeyMinAnnualRevenue, "general_min_annual_purchase": c.GeneralMinAnnualPurchase} {
		if d != nil && d.IsNegative() {
			return problem.Field("classification."+field, "out_of_range", "field.amount")
		}
	}
	if c.ValueAPercent > 0 && c.ValueBPercent > 0 && c.ValueAPercent > c.ValueBPercent {
		return problem.Field("classification.value_b_percent", "out_of_range", "field.out_of_range")
	}
	return nil
}

// IsZero reports whether the block was never set.
func (c Classification) IsZero() bool {
	return c.KeyMinAnnualPurchase == nil && c.KeyMinOrders == 0 && c.KeyMinEmployees == 0 &&
		c.KeyMinAnnualRevenue == nil && c.GeneralMinAnnualPurchase == nil && c.ValueAPercent == 0 && c.ValueBPercent == 0
}

// DefaultSettings are a new tenant's settings, from the source documents where they speak.
func DefaultSettings(locale string) Settings {
	if !problem.IsLocale(locale) {
		locale = "zh-CN"
	}
	tz, cur := "Asia/Shanghai", "CNY"
	if locale == "zh-TW" {
		tz, cur = "Asia/Taipei", "TWD"
	}
	return Settings{
		Locale: locale, TimeZone: tz, Currency: cur,
		ApprovalTiers: policies.DefaultTiers(),
		// seed 000 §4.2 and 004 第7條: key customers weekly, general monthly, A-class weekly.
		Cadences:         Cadences{Key: 7, General: 30, Potential: 90, IntentA: 7, IntentB: 14, IntentC: 30},
		Pool:             PoolRules{Enabled: true, RecycleDaysKey: 30, RecycleDaysOther: 15, WarnDaysBefore: 3, ClaimLimit: 50, ReclaimBarDays: 7, ExemptDeals: true, ExemptOpenDeals: true, RecycleOn: RecycleOnNoFollowUp},
		Classification:   DefaultClassification(),
		ComplaintSLADays: 6, // seed 001 第26條: closed within six days of intake
		DuplicatePolicy:  "warn",
		EnabledPlugins:   []string{},
		CustomFields:     []FieldDef{},
	}
}
