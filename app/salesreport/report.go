// Package salesreport computes the sales KPIs (SAL-6, seed 004 第12條) per person or
// department over a period: revenue, won deals and win rate, conversion through the pipeline
// stages, follow-up compliance, renewal rate and referral rate. Amounts are converted to the
// tenant's base currency at the rate valid on each transaction's date. The actor's data scope
// applies: a salesperson sees their own numbers, a manager those of their subtree.
//
// Definitions (also in the README):
//
//   - revenue: payments received (received_on) in the period, by the payment's owner (the
//     contract's or customer's owner), converted at the rate of the day received.
//   - won / lost: opportunities closed (closed_at) in the period as won or lost; the won
//     amount is converted at the rate of the closing day; win rate = won / (won + lost).
//   - gross profit: for the deals won in the period, their latest accepted quote's line totals
//     less quantity × the product's unit cost (see GrossProfit).
//   - conversion: the opportunities created in the period, and for each main stage how many
//     ever reached it or a later one (from the stage history; won is the last stage, lost
//     reaches nothing); rate_to_next = reached(next stage) / reached(stage); the demo stage is
//     optional and only counted; conversion rate = reached(won) / created.
//   - follow-up compliance: customers (not in the pool, not churned, not deleted) with a
//     cadence rule, already older than their cadence at the end of the period (or now, if
//     sooner), and the share of them with a follow-up in the cadence window before that end.
//   - renewal rate: signed contracts ending (end_date) in the period, and the share of them
//     renewed by a signed contract naming them in renewal_of_id.
//   - referral rate: customers created in the period and the share whose source is a referral
//     (ReferralSources).
package salesreport

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/catalog"
	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/followup"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// ReferralSources are the customer sources that count as referrals (客戶推薦).
var ReferralSources = []string{"partner_referral", "customer_referral", "referral"}

// MainStages are the stages conversion is measured through, in order (demo is optional).
var MainStages = []string{opportunity.StageInfoCollection, opportunity.StageInitialContact, opportunity.StageNeedsAnalysis,
	opportunity.StageProposalQuote, opportunity.StageNegotiation, opportunity.StageWon}

// Service computes the report.
type Service struct {
	DB    *store.DB
	Authz *policies.Authorizer
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Query is GET /reports/sales.
type Query struct {
	// Period is 2026, 2026-03, 2026-Q1 or 2026-01-01..2026-03-31 (both days included), in the
	// tenant's time zone; the current month by default.
	Period  string `query:"period" json:"-" validate:"max=40"`
	GroupBy string `query:"group_by" json:"-" validate:"omitempty,oneof=user department"`
}

// Ratio is a count out of a base, with rate = count / base (null when the base is 0), as a
// decimal string with four places.
type Ratio struct {
	Base  int     `json:"base"`
	Count int     `json:"count"`
	Rate  *string `json:"rate"`
}

func ratio(count, base int) *string {
	if base == 0 {
		return nil
	}
	r := decimal.NewFromInt(int64(count)).Div(decimal.NewFromInt(int64(base))).StringFixed(4)
	return &r
}

func (r *Ratio) finish() { r.Rate = ratio(r.Count, r.Base) }

// StageStep is one main stage of the conversion funnel.
type StageStep struct {
	Stage      string  `json:"stage"`
	Reached    int     `json:"reached"`
	RateToNext *string `json:"rate_to_next"`
}

// Conversion is the funnel of the opportunities created in the period.
type Conversion struct {
	Created     int         `json:"created"`
	Stages      []StageStep `json:"stages"`
	DemoReached int         `json:"demo_reached"`
	Rate        *string     `json:"rate"`
}

// Won are the opportunities won in the period.
type Won struct {
	Count  int         `json:"count"`
	Amount money.Money `json:"amount"`
}

// GrossProfit is the margin of the deals won in the period, from their accepted quotes: each
// line's total less its quantity × the product's unit cost, at the closing day's rate. Deals
// counts the won opportunities that have an accepted quote (the latest one counts); lines whose
// product has no cost are left out and counted in LinesWithoutCost.
type GrossProfit struct {
	Amount           money.Money `json:"amount"`
	Deals            int         `json:"deals"`
	LinesWithoutCost int         `json:"lines_without_cost"`
}

// Metrics are the KPIs of a group or of everyone in scope.
type Metrics struct {
	Revenue            money.Money `json:"revenue"`
	Payments           int         `json:"payments"`
	Won                Won         `json:"won"`
	GrossProfit        GrossProfit `json:"gross_profit"`
	Lost               int         `json:"lost"`
	WinRate            *string     `json:"win_rate"`
	Conversion         Conversion  `json:"conversion"`
	FollowUpCompliance Ratio       `json:"follow_up_compliance"`
	Renewal            Ratio       `json:"renewal_rate"`
	Referral           Ratio       `json:"referral_rate"`
}

// Group is one person's or department's metrics; Key is null for records without one.
type Group struct {
	Key  *uuid.UUID `json:"key"`
	Name string     `json:"name"`
	Metrics
}

// MissingRate is a currency and day for which no exchange rate existed; amounts in it are
// left out of the converted totals.
type MissingRate struct {
	Currency string `json:"currency"`
	Date     string `json:"date"`
}

// Report is the answer of GET /reports/sales.
type Report struct {
	From         string        `json:"from"`
	To           string        `json:"to"`
	BaseCurrency string        `json:"base_currency"`
	GroupBy      string        `json:"group_by"`
	Totals       Metrics       `json:"totals"`
	Groups       []Group       `json:"groups"`
	MissingRates []MissingRate `json:"missing_rates"`
}

var (
	reYear    = regexp.MustCompile(`^(\d{4})$`)
	reMonth   = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	reQuarter = regexp.MustCompile(`^(\d{4})-[Qq]([1-4])$`)
	reRange   = regexp.MustCompile(`^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$`)
)

// ParsePeriod turns a period into its first and last day (UTC midnights). An empty period is
// the month of now. Fails with validation_failed on period.
func ParsePeriod(p string, now time.Time) (from, to time.Time, err error) {
	bad := problem.Field("period", "invalid_format", "field.period")
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	atoi := func(s string) int { n, _ := strconv.Atoi(s); return n }
	switch {
	case p == "":
		from = day(now.Year(), int(now.Month()), 1)
		return from, from.AddDate(0, 1, -1), nil
	case reYear.MatchString(p):
		from = day(atoi(p), 1, 1)
		return from, from.AddDate(1, 0, -1), nil
	case reMonth.MatchString(p):
		m := reMonth.FindStringSubmatch(p)
		if mo := atoi(m[2]); mo < 1 || mo > 12 {
			return from, to, bad
		}
		from = day(atoi(m[1]), atoi(m[2]), 1)
		return from, from.AddDate(0, 1, -1), nil
	case reQuarter.MatchString(p):
		m := reQuarter.FindStringSubmatch(p)
		from = day(atoi(m[1]), (atoi(m[2])-1)*3+1, 1)
		return from, from.AddDate(0, 3, -1), nil
	case reRange.MatchString(p):
		m := reRange.FindStringSubmatch(p)
		f, err1 := time.Parse(time.DateOnly, m[1])
		t, err2 := time.Parse(time.DateOnly, m[2])
		if err1 != nil || err2 != nil || t.Before(f) || t.Sub(f) > 3660*24*time.Hour {
			return from, to, bad
		}
		return f, t, nil
	}
	return from, to, bad
}

// builder accumulates metrics per group.
type builder struct {
	base    string
	byDept  bool
	totals  *acc
	groups  map[uuid.UUID]*acc
	missing map[MissingRate]bool
	conv    *money.Converter
}

type acc struct {
	m       Metrics
	reached map[string]int
}

func newAcc(base string) *acc {
	return &acc{m: Metrics{Revenue: money.New(decimal.Zero, base), Won: Won{Amount: money.New(decimal.Zero, base)},
		GrossProfit: GrossProfit{Amount: money.New(decimal.Zero, base)}}, reached: map[string]int{}}
}

// each calls fn for the totals and for the group of a record with owner and department.
func (b *builder) each(owner uuid.UUID, dept *uuid.UUID, fn func(a *acc)) {
	key := owner
	if b.byDept {
		key = uuid.Nil
		if dept != nil {
			key = *dept
		}
	}
	g := b.groups[key]
	if g == nil {
		g = newAcc(b.base)
		b.groups[key] = g
	}
	fn(b.totals)
	fn(g)
}

func (b *builder) toBase(m money.Money, day time.Time) (decimal.Decimal, bool) {
	v, err := b.conv.ToBase(m, day)
	if err != nil {
		b.missing[MissingRate{Currency: m.Currency, Date: day.Format(time.DateOnly)}] = true
		return decimal.Zero, false
	}
	return v, true
}

// Sales computes the report for the actor's data scope.
func (s *Service) Sales(ctx context.Context, q Query) (Report, error) {
	var out Report
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		tid, _ := tenantctx.TenantID(ctx)
		var t tenants.Tenant
		if err := tx.Select("id", "settings").Take(&t, "id = ?", tid).Error; err != nil {
			return err
		}
		st := t.Settings.Data()
		loc, err := time.LoadLocation(st.TimeZone)
		if err != nil || st.TimeZone == "" {
			loc = time.UTC
		}
		now := s.now()
		from, to, err := ParsePeriod(q.Period, now.In(loc))
		if err != nil {
			return err
		}
		conv, err := money.LoadConverter(ctx, tx)
		if err != nil {
			return err
		}
		scope, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return err
		}
		b := &builder{base: conv.Base, byDept: q.GroupBy == "department", totals: newAcc(conv.Base), groups: map[uuid.UUID]*acc{},
			missing: map[MissingRate]bool{}, conv: conv}
		// Timestamps are compared with the period's days in the tenant's time zone; dates as
		// dates.
		startTS := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc).UTC()
		endTS := time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1).UTC()
		fromD, afterD := datatypes.Date(from), datatypes.Date(to.AddDate(0, 0, 1))
		scoped := func(model any) *gorm.DB { return scope.Apply(tx.Model(model), "owner_id", "department_id") }

		if err := s.revenue(b, scoped, fromD, afterD); err != nil {
			return err
		}
		if err := s.closed(b, tx, scoped, startTS, endTS, loc); err != nil {
			return err
		}
		if err := s.conversion(b, tx, scoped, startTS, endTS); err != nil {
			return err
		}
		end := endTS
		if now.Before(end) {
			end = now
		}
		if err := s.compliance(b, tx, scoped, st.Cadences, end); err != nil {
			return err
		}
		if err := s.renewals(b, tx, scoped, fromD, afterD); err != nil {
			return err
		}
		if err := s.referrals(b, scoped, startTS, endTS); err != nil {
			return err
		}
		out = Report{From: from.Format(time.DateOnly), To: to.Format(time.DateOnly), BaseCurrency: conv.Base, GroupBy: "user",
			Totals: b.totals.finish(), Groups: []Group{}, MissingRates: []MissingRate{}}
		if b.byDept {
			out.GroupBy = "department"
		}
		names, err := groupNames(tx, b)
		if err != nil {
			return err
		}
		for key, a := range b.groups {
			g := Group{Name: names[key], Metrics: a.finish()}
			if key != uuid.Nil {
				k := key
				g.Key = &k
			}
			out.Groups = append(out.Groups, g)
		}
		sort.Slice(out.Groups, func(i, j int) bool {
			if out.Groups[i].Revenue.Amount.Equal(out.Groups[j].Revenue.Amount) {
				return fmt.Sprint(out.Groups[i].Key) < fmt.Sprint(out.Groups[j].Key)
			}
			return out.Groups[i].Revenue.Amount.GreaterThan(out.Groups[j].Revenue.Amount)
		})
		for m := range b.missing {
			out.MissingRates = append(out.MissingRates, m)
		}
		sort.Slice(out.MissingRates, func(i, j int) bool {
			return out.MissingRates[i].Currency+out.MissingRates[i].Date < out.MissingRates[j].Currency+out.MissingRates[j].Date
		})
		return nil
	})
	return out, err
}

func (a *acc) finish() Metrics {
	m := a.m
	m.WinRate = ratio(m.Won.Count, m.Won.Count+m.Lost)
	m.Conversion.Stages = make([]StageStep, len(MainStages))
	for i, st := range MainStages {
		m.Conversion.Stages[i] = StageStep{Stage: st, Reached: a.reached[st]}
		if i+1 < len(MainStages) {
			m.Conversion.Stages[i].RateToNext = ratio(a.reached[MainStages[i+1]], a.reached[st])
		}
	}
	m.Conversion.Rate = ratio(a.reached[opportunity.StageWon], m.Conversion.Created)
	m.FollowUpCompliance.finish()
	m.Renewal.finish()
	m.Referral.finish()
	return m
}

func (s *Service) revenue(b *builder, scoped func(any) *gorm.DB, from, after datatypes.Date) error {
	var rows []deal.Payment
	if err := scoped(&deal.Payment{}).Where("received_on >= ? AND received_on < ?", from, after).Find(&rows).Error; err != nil {
		return err
	}
	for _, p := range rows {
		v, ok := b.toBase(money.New(p.Amount, p.Currency), time.Time(p.ReceivedOn))
		b.each(p.OwnerID, p.DepartmentID, func(a *acc) {
			a.m.Payments++
			if ok {
				a.m.Revenue.Amount = a.m.Revenue.Amount.Add(v)
			}
		})
	}
	return nil
}

func (s *Service) closed(b *builder, tx *gorm.DB, scoped func(any) *gorm.DB, start, end time.Time, loc *time.Location) error {
	var rows []opportunity.Opportunity
	if err := scoped(&opportunity.Opportunity{}).Where("stage IN ? AND closed_at >= ? AND closed_at < ?",
		[]string{opportunity.StageWon, opportunity.StageLost}, start, end).Find(&rows).Error; err != nil {
		return err
	}
	for _, o := range rows {
		if o.Stage == opportunity.StageLost {
			b.each(o.OwnerID, o.DepartmentID, func(a *acc) { a.m.Lost++ })
			continue
		}
		v, ok := b.toBase(money.New(o.Amount, o.Currency), o.ClosedAt.In(loc))
		b.each(o.OwnerID, o.DepartmentID, func(a *acc) {
			a.m.Won.Count++
			if ok {
				a.m.Won.Amount.Amount = a.m.Won.Amount.Amount.Add(v)
			}
		})
	}
	return s.grossProfit(b, tx, rows, loc)
}

func (s *Service) grossProfit(b *builder, tx *gorm.DB, closed []opportunity.Opportunity, loc *time.Location) error {
	won := map[uuid.UUID]opportunity.Opportunity{}
	var ids []uuid.UUID
	for _, o := range closed {
		if o.Stage == opportunity.StageWon {
			won[o.ID] = o
			ids = append(ids, o.ID)
		}
	}
	latest := map[uuid.UUID]deal.Quote{}
	for chunk := range chunks(ids, 500) {
		var quotes []deal.Quote
		if err := tx.Where("opportunity_id IN ? AND status = ?", chunk, deal.QuoteAccepted).Order("id").Find(&quotes).Error; err != nil {
			return err
		}
		for _, q := range quotes {
			latest[*q.OpportunityID] = q // ordered by id: the latest wins
		}
	}
	for oid, q := range latest {
		var lines []deal.QuoteLine
		if err := tx.Where("quote_id = ?", q.ID).Find(&lines).Error; err != nil {
			return err
		}
		margin, missing := decimal.Zero, 0
		for _, l := range lines {
			p, err := catalog.Load(tx, l.ProductID)
			if err != nil {
				return err
			}
			if !p.Cost.Valid || p.Currency != q.Currency {
				missing++
				continue
			}
			margin = margin.Add(l.LineTotal.Sub(l.Quantity.Mul(p.Cost.Decimal)))
		}
		o := won[oid]
		v, ok := b.toBase(money.New(margin.Round(money.MinorUnits(q.Currency)), q.Currency), o.ClosedAt.In(loc))
		b.each(o.OwnerID, o.DepartmentID, func(a *acc) {
			a.m.GrossProfit.Deals++
			a.m.GrossProfit.LinesWithoutCost += missing
			if ok {
				a.m.GrossProfit.Amount.Amount = a.m.GrossProfit.Amount.Amount.Add(v)
			}
		})
	}
	return nil
}

func (s *Service) conversion(b *builder, tx *gorm.DB, scoped func(any) *gorm.DB, start, end time.Time) error {
	var rows []opportunity.Opportunity
	if err := scoped(&opportunity.Opportunity{}).Select("tenant_id", "id", "owner_id", "department_id").
		Where("created_at >= ? AND created_at < ?", start, end).Find(&rows).Error; err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i, o := range rows {
		ids[i] = o.ID
	}
	top := map[uuid.UUID]int{}
	demo := map[uuid.UUID]bool{}
	for chunk := range chunks(ids, 500) {
		var hist []opportunity.StageChange
		if err := tx.Select("opportunity_id", "to_stage").Where("opportunity_id IN ?", chunk).Find(&hist).Error; err != nil {
			return err
		}
		for _, h := range hist {
			// the highest stage ever reached; lost ranks -1 and reaches nothing
			r := opportunity.Rank(h.ToStage)
			if cur, ok := top[h.OpportunityID]; !ok || r > cur {
				top[h.OpportunityID] = r
			}
			if h.ToStage == opportunity.StageDemo {
				demo[h.OpportunityID] = true
			}
		}
	}
	for _, o := range rows {
		r, ok := top[o.ID]
		b.each(o.OwnerID, o.DepartmentID, func(a *acc) {
			a.m.Conversion.Created++
			if demo[o.ID] {
				a.m.Conversion.DemoReached++
			}
			if !ok {
				return
			}
			for _, st := range MainStages {
				if r >= opportunity.Rank(st) {
					a.reached[st]++
				}
			}
		})
	}
	return nil
}

func chunks(ids []uuid.UUID, n int) func(func([]uuid.UUID) bool) {
	return func(yield func([]uuid.UUID) bool) {
		for i := 0; i < len(ids); i += n {
			if !yield(ids[i:min(i+n, len(ids))]) {
				return
			}
		}
	}
}

type customerRow struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	OwnerID      *uuid.UUID
	DepartmentID *uuid.UUID
	Tier         string
	IntentClass  *string
	Source       string
	CreatedAt    time.Time
}

func (customerRow) TableName() string { return "customers" }

type followUpRow struct {
	TenantID   uuid.UUID `gorm:"primaryKey"`
	ID         uuid.UUID `gorm:"primaryKey"`
	CustomerID uuid.UUID
	OccurredAt time.Time
}

func (followUpRow) TableName() string { return "follow_ups" }

func (s *Service) compliance(b *builder, tx *gorm.DB, scoped func(any) *gorm.DB, cad tenants.Cadences, end time.Time) error {
	var rows []customerRow
	if err := scoped(&customerRow{}).Select("tenant_id", "id", "owner_id", "department_id", "tier", "intent_class", "created_at").
		Where("deleted_at IS NULL AND in_pool = ? AND stage <> ?", false, "churned").Find(&rows).Error; err != nil {
		return err
	}
	longest := 0
	due := map[uuid.UUID]int{}
	for _, c := range rows {
		d := followup.CadenceDays(cad, c.Tier, c.IntentClass)
		if d > 0 && !c.CreatedAt.After(end.AddDate(0, 0, -d)) {
			due[c.ID] = d
			longest = max(longest, d)
		}
	}
	if len(due) == 0 {
		return nil
	}
	latest := map[uuid.UUID]time.Time{}
	var fus []followUpRow
	if err := tx.Select("customer_id", "occurred_at").Where("occurred_at > ? AND occurred_at <= ?", end.AddDate(0, 0, -longest), end).
		Find(&fus).Error; err != nil {
		return err
	}
	for _, f := range fus {
		if f.OccurredAt.After(latest[f.CustomerID]) {
			latest[f.CustomerID] = f.OccurredAt
		}
	}
	for _, c := range rows {
		d, ok := due[c.ID]
		if !ok || c.OwnerID == nil {
			continue
		}
		last, had := latest[c.ID]
		kept := had && last.After(end.AddDate(0, 0, -d))
		b.each(*c.OwnerID, c.DepartmentID, func(a *acc) {
			a.m.FollowUpCompliance.Base++
			if kept {
				a.m.FollowUpCompliance.Count++
			}
		})
	}
	return nil
}

func (s *Service) renewals(b *builder, tx *gorm.DB, scoped func(any) *gorm.DB, from, after datatypes.Date) error {
	var ending []deal.Contract
	if err := scoped(&deal.Contract{}).Select("tenant_id", "id", "owner_id", "department_id").
		Where("status = ? AND end_date >= ? AND end_date < ?", deal.ContractSigned, from, after).Find(&ending).Error; err != nil {
		return err
	}
	if len(ending) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(ending))
	for i, c := range ending {
		ids[i] = c.ID
	}
	renewed := map[uuid.UUID]bool{}
	for chunk := range chunks(ids, 500) {
		var of []uuid.UUID
		if err := tx.Model(&deal.Contract{}).Where("status = ? AND renewal_of_id IN ?", deal.ContractSigned, chunk).
			Pluck("renewal_of_id", &of).Error; err != nil {
			return err
		}
		for _, id := range of {
			renewed[id] = true
		}
	}
	for _, c := range ending {
		b.each(c.OwnerID, c.DepartmentID, func(a *acc) {
			a.m.Renewal.Base++
			if renewed[c.ID] {
				a.m.Renewal.Count++
			}
		})
	}
	return nil
}

func (s *Service) referrals(b *builder, scoped func(any) *gorm.DB, start, end time.Time) error {
	var rows []customerRow
	if err := scoped(&customerRow{}).Select("tenant_id", "id", "owner_id", "department_id", "source").
		Where("deleted_at IS NULL AND created_at >= ? AND created_at < ?", start, end).Find(&rows).Error; err != nil {
		return err
	}
	for _, c := range rows {
		if c.OwnerID == nil {
			continue
		}
		ref := false
		for _, s := range ReferralSources {
			ref = ref || c.Source == s
		}
		b.each(*c.OwnerID, c.DepartmentID, func(a *acc) {
			a.m.Referral.Base++
			if ref {
				a.m.Referral.Count++
			}
		})
	}
	return nil
}

func groupNames(tx *gorm.DB, b *builder) (map[uuid.UUID]string, error) {
	ids := make([]uuid.UUID, 0, len(b.groups))
	for k := range b.groups {
		if k != uuid.Nil {
			ids = append(ids, k)
		}
	}
	if b.byDept {
		return org.DepartmentNames(tx, ids)
	}
	return org.UserNames(tx, ids)
}

// API serves /reports/sales (report:read).
type API struct{ S *Service }

// Routes registers the report endpoint.
func (a API) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/reports/sales", ID: "salesReport", Summary: "Sales KPIs per person or department over a period", Tag: "reports", Perm: api.Perm{Object: "report", Action: "read"}},
		api.Call(a.S.Sales))
}
