// Package risk is credit and risk (RSK-1, RSK-2, EXP-4; seed 000 part 七, seed 003 §6): credit
// assessments that weigh a customer's financial status, business results, credit record and
// industry reputation into a rating and a credit limit valid until a review date; the
// exposure each customer carries, derived every time from the sales module's signed
// contracts, payment plans and payments in the base currency, with the contracts and
// installments behind each amount; warnings against tenant-set thresholds with a risk level
// and the measures taken; and the credit gate that sends a contract over the customer's
// limit to the next approval tier with the reason.
//
// Assessments, credit and warnings are seen through their customer: whoever sees the
// customer (data scope) sees its credit.
package risk

import (
	"context"
	"errors"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// ComplaintCounter counts, in tx, the complaints each of customers received since a time.
// The complaint area provides it; without one no complaint spike is ever seen.
type ComplaintCounter func(ctx context.Context, tx *gorm.DB, customers []uuid.UUID, since time.Time) (map[uuid.UUID]int, error)

// TaskScheduler puts a task on a customer's owner's task list (followup.Service.ScheduleTask).
type TaskScheduler func(ctx context.Context, customerID uuid.UUID, title, note string, due *time.Time, assignee *uuid.UUID, key string) (uuid.UUID, error)

// Service runs credit assessments, exposure and warnings.
type Service struct {
	DB    *store.DB
	Authz *policies.Authorizer
	Deals *deal.Service
	// Notify tells owners and their managers of new warnings.
	Notify *notify.Service
	// Tasks puts credit reviews on the owners' task lists.
	Tasks TaskScheduler
	// Complaints feeds the complaint-spike warning.
	Complaints ComplaintCounter
	Log        *slog.Logger
	Now        func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) logWarn(msg string, args ...any) {
	if s.Log != nil {
		s.Log.Warn(msg, args...)
	}
}

// tenantState is what the rules need of the context tenant: its settings, risk options,
// exchange rates and today's date in its time zone (a UTC midnight like stored dates).
type tenantState struct {
	settings tenants.Settings
	opts     Options
	conv     *money.Converter
	today    time.Time
}

func loadState(ctx context.Context, tx *gorm.DB, now time.Time) (*tenantState, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var t tenants.Tenant
	if err := tx.Select("id", "settings").Take(&t, "id = ?", tid).Error; err != nil {
		return nil, err
	}
	st := t.Settings.Data()
	loc, err := time.LoadLocation(st.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	l := now.In(loc)
	conv, err := money.LoadConverter(ctx, tx)
	if err != nil {
		return nil, err
	}
	return &tenantState{settings: st, opts: Settings.From(st), conv: conv,
		today: time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, time.UTC)}, nil
}

func (t *tenantState) tiers() []policies.Tier {
	if len(t.settings.ApprovalTiers) == 0 {
		return policies.DefaultTiers()
	}
	return t.settings.ApprovalTiers
}

// visibleCustomer loads customer id when the actor sees it, else not_found.
func (s *Service) visibleCustomer(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*opportunity.CustomerRef, error) {
	c, err := opportunity.VisibleCustomer(ctx, tx, s.Authz, "customer_id", id)
	if problem.Is(err, problem.Invalid) {
		return nil, problem.NotFoundf("entity.customer")
	}
	return c, err
}

func cleanText(field string, v *string, max int) error {
	if err := problem.CleanText(map[string]*string{field: v}); err != nil {
		return err
	}
	if utf8.RuneCountInString(*v) > max {
		return problem.Field(field, "too_long", "field.too_long", max)
	}
	return nil
}

// AssessmentInput is the body of POST /customers/{id}/credit-assessments.
type AssessmentInput struct {
	api.ByID
	Scores        Scores      `json:"scores"`
	ProposedLimit money.Money `json:"proposed_limit"`
	// ValidUntil defaults to today plus the settings' validity_days; it must be after today.
	ValidUntil *string `json:"valid_until" validate:"omitempty,datetime=2006-01-02"`
	Evidence   string  `json:"evidence"`
}

// Assess records a credit assessment of customer in.ID: the weighted score, its rating and
// the proposed limit valid until the review date. When the limit (in the base currency) is
// within what the assessor may approve under the approval tiers (IAM-7) it takes effect at
// once; otherwise it waits for the role the tiers name. Fails with not_found (customer),
// validation_failed, or conflict no_rate (a limit in a currency without a rate today).
func (s *Service) Assess(ctx context.Context, in AssessmentInput) (AssessmentView, error) {
	if err := money.Check("proposed_limit", in.ProposedLimit, false); err != nil {
		return AssessmentView{}, err
	}
	if err := cleanText("evidence", &in.Evidence, 10000); err != nil {
		return AssessmentView{}, err
	}
	valid, err := opportunity.ParseDate("valid_until", in.ValidUntil)
	if err != nil {
		return AssessmentView{}, err
	}
	now := s.now()
	actor := tenantctx.ActorFrom(ctx).UserID
	var out AssessmentView
	approved := false
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if _, err := s.visibleCustomer(ctx, tx, in.ID); err != nil {
			return err
		}
		st, err := loadState(ctx, tx, now)
		if err != nil {
			return err
		}
		until := st.today.AddDate(0, 0, st.opts.ValidityDays)
		if valid != nil {
			until = time.Time(*valid)
			if !until.After(st.today) {
				return problem.Field("valid_until", "out_of_range", "risk.valid_until_past")
			}
		}
		base, err := st.conv.ToBase(in.ProposedLimit, st.today)
		if err != nil {
			return problem.New(problem.Conflict, "no_rate", in.ProposedLimit.Currency, st.today.Format(time.DateOnly))
		}
		score := st.opts.scoreOf(in.Scores)
		a := &Assessment{ID: uuid.Must(uuid.NewV7()), CustomerID: in.ID, Financial: in.Scores.Financial, Results: in.Scores.Results,
			Record: in.Scores.Record, Reputation: in.Scores.Reputation, Score: score, Rating: st.opts.ratingFor(score),
			ProposedLimit: in.ProposedLimit.Amount, Currency: in.ProposedLimit.Currency, LimitBase: base, ValidUntil: datatypes.Date(until),
			Evidence: in.Evidence, Status: StatusPending, ApproverRole: policies.ApproverFor(st.tiers(), base), CreatedAt: now, UpdatedAt: now, Version: 1}
		if actor != uuid.Nil {
			a.AssessedBy = &actor
			if a.DepartmentID, err = org.OwnerDepartment(tx, "assessed_by", actor); err != nil {
				return err
			}
		}
		roles, err := s.Authz.UserRoles(ctx, actor)
		if err != nil {
			return err
		}
		// Within the assessor's own authority the limit needs nobody else (IAM-7).
		if policies.CanApproveAs(roles, a.ApproverRole) {
			a.Status, a.DecidedBy, a.DecidedAt, approved = StatusApproved, a.AssessedBy, &now, true
		}
		if err := tx.Create(a).Error; err != nil {
			return err
		}
		out = assessmentView(a, st.conv.Base)
		if err := audit.Record(ctx, tx, "create", "credit_assessment", a.ID.String(), nil, out); err != nil {
			return err
		}
		if err := outbox.Publish(ctx, tx, "credit.assessed", "credit_assessment", a.ID, map[string]any{"assessment": out}); err != nil {
			return err
		}
		if approved {
			return s.applyCredit(ctx, tx, a, st)
		}
		return nil
	})
	if err != nil {
		return AssessmentView{}, err
	}
	if approved {
		s.Reevaluate(ctx, in.ID)
	}
	return out, nil
}

// applyCredit makes an approved assessment the customer's credit: the summary on the
// customer record (rating, limit in the base currency, valid until) that lists, exports,
// classification rules and plugins read.
func (s *Service) applyCredit(ctx context.Context, tx *gorm.DB, a *Assessment, st *tenantState) error {
	var c customer.Customer
	if err := tx.Select("tenant_id", "id", "credit").Take(&c, "id = ?", a.CustomerID).Error; err != nil {
		return err
	}
	cr := c.Credit.Data()
	limit, until := a.LimitBase, a.ValidUntil
	cr.Rating, cr.Limit, cr.ValidUntil = a.Rating, &limit, &until
	if cr.RiskLevel == "" {
		cr.RiskLevel = LevelLow
	}
	if err := tx.Model(&customer.Customer{}).Where("id = ?", a.CustomerID).UpdateColumn("credit", datatypes.NewJSONType(cr)).Error; err != nil {
		return err
	}
	return outbox.Publish(ctx, tx, "credit.approved", "customer", a.CustomerID,
		map[string]any{"assessment_id": a.ID, "rating": a.Rating, "limit": money.New(a.LimitBase, st.conv.Base), "valid_until": time.Time(until).Format(time.DateOnly)})
}

// AssessmentFilter are the parameters of GET /customers/{id}/credit-assessments.
type AssessmentFilter struct {
	api.ByID
	api.ListParams
	Status string `query:"status" json:"-" validate:"omitempty,oneof=pending approved rejected"`
}

// ListAssessments returns a customer's assessments, newest first (its credit history).
// Fails with not_found.
func (s *Service) ListAssessments(ctx context.Context, f AssessmentFilter) (api.Page[AssessmentView], error) {
	var out api.Page[AssessmentView]
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if _, err := s.visibleCustomer(ctx, tx, f.ID); err != nil {
			return err
		}
		after, err := f.AfterID()
		if err != nil {
			return err
		}
		base, err := money.BaseCurrency(ctx, tx)
		if err != nil {
			return err
		}
		q := tx.Where("customer_id = ?", f.ID)
		if after != uuid.Nil {
			q = q.Where("id < ?", after)
		}
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		var rows []Assessment
		if err := q.Order("id DESC").Limit(f.PageSize() + 1).Find(&rows).Error; err != nil {
			return err
		}
		items := make([]AssessmentView, len(rows))
		for i := range rows {
			items[i] = assessmentView(&rows[i], base)
		}
		out = api.IDPage(items, f.PageSize(), func(v AssessmentView) uuid.UUID { return v.ID })
		return nil
	})
	return out, err
}

// DecisionInput is the body of approve and reject.
type DecisionInput struct {
	api.ByID
	Comment string `json:"comment"`
}

// Decide approves or rejects a pending assessment. The decider needs the approver role fixed
// when it was made (or a more senior one) and may not decide their own (forbidden
// approve_own / approval_tier); a rejection needs a comment. An approval makes it the
// customer's credit. Fails with not_found, forbidden, conflict (not pending) or
// validation_failed.
func (s *Service) Decide(ctx context.Context, in DecisionInput, approve bool) (AssessmentView, error) {
	if err := cleanText("comment", &in.Comment, 2000); err != nil {
		return AssessmentView{}, err
	}
	if !approve && in.Comment == "" {
		return AssessmentView{}, problem.Field("comment", "required", "field.required")
	}
	now := s.now()
	actor := tenantctx.ActorFrom(ctx).UserID
	var out AssessmentView
	var customerID uuid.UUID
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var a Assessment
		if err := tx.Take(&a, "id = ?", in.ID).Error; errors.Is(err, gorm.ErrRecordNotFound) {
			return problem.NotFoundf("entity.credit_assessment")
		} else if err != nil {
			return err
		}
		if _, err := s.visibleCustomer(ctx, tx, a.CustomerID); err != nil {
			return problem.NotFoundf("entity.credit_assessment")
		}
		if a.Status != StatusPending {
			return problem.New(problem.Conflict, "risk.not_pending")
		}
		if a.AssessedBy != nil && *a.AssessedBy == actor {
			return problem.New(problem.Forbidden, "risk.approve_own")
		}
		roles, err := s.Authz.UserRoles(ctx, actor)
		if err != nil {
			return err
		}
		if !policies.CanApproveAs(roles, a.ApproverRole) {
			return problem.New(problem.Forbidden, "approval_tier", a.ApproverRole)
		}
		st, err := loadState(ctx, tx, now)
		if err != nil {
			return err
		}
		before := assessmentView(&a, st.conv.Base)
		a.Status = StatusRejected
		if approve {
			a.Status = StatusApproved
		}
		old := a.Version
		a.DecidedBy, a.DecidedAt, a.DecisionNote, a.Version, a.UpdatedAt = &actor, &now, in.Comment, old+1, now
		if err := store.SaveVersioned(tx, &a, old); err != nil {
			return err
		}
		out = assessmentView(&a, st.conv.Base)
		customerID = a.CustomerID
		action := "reject"
		if approve {
			action = "approve"
		}
		if err := audit.Record(ctx, tx, action, "credit_assessment", a.ID.String(), before, out); err != nil {
			return err
		}
		if err := outbox.Publish(ctx, tx, "credit."+a.Status, "credit_assessment", a.ID, map[string]any{"assessment": out}); err != nil {
			return err
		}
		if approve {
			return s.applyCredit(ctx, tx, &a, st)
		}
		return nil
	})
	if err != nil {
		return AssessmentView{}, err
	}
	if approve {
		s.Reevaluate(ctx, customerID)
	}
	return out, nil
}

// current returns the customers' credit: their newest approved assessment each.
func current(tx *gorm.DB, customers []uuid.UUID) (map[uuid.UUID]*Assessment, error) {
	out := map[uuid.UUID]*Assessment{}
	if len(customers) == 0 {
		return out, nil
	}
	var rows []Assessment
	if err := tx.Where("customer_id IN ? AND status = ?", customers, StatusApproved).Order("decided_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	for i := range rows {
		if _, ok := out[rows[i].CustomerID]; !ok {
			out[rows[i].CustomerID] = &rows[i]
		}
	}
	return out, nil
}

// CreditView is GET /customers/{id}/credit: the current rating and limit (base currency),
// the exposure with the lines behind it, the utilisation of the limit (exposure ÷ limit,
// null without a limit), the risk level and the open warnings; pending is the assessment
// waiting for approval, if any.
type CreditView struct {
	CustomerID   uuid.UUID       `json:"customer_id"`
	Rating       string          `json:"rating"`
	Limit        *money.Money    `json:"limit"`
	ValidUntil   *string         `json:"valid_until"`
	Expired      bool            `json:"expired"`
	AssessmentID *uuid.UUID      `json:"assessment_id"`
	Exposure     Exposure        `json:"exposure"`
	Lines        []ExposureLine  `json:"lines"`
	Utilisation  *string         `json:"utilisation"`
	RiskLevel    string          `json:"risk_level"`
	Warnings     []WarningView   `json:"warnings"`
	Pending      *AssessmentView `json:"pending"`
}

// Credit returns a customer's credit. Fails with not_found.
func (s *Service) Credit(ctx context.Context, id uuid.UUID) (CreditView, error) {
	var out CreditView
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if _, err := s.visibleCustomer(ctx, tx, id); err != nil {
			return err
		}
		st, err := loadState(ctx, tx, s.now())
		if err != nil {
			return err
		}
		cur, err := current(tx, []uuid.UUID{id})
		if err != nil {
			return err
		}
		exp, err := computeExposure(tx, st.conv, []uuid.UUID{id}, st.today)
		if err != nil {
			return err
		}
		e := exp[id]
		out = CreditView{CustomerID: id, Exposure: e.Exposure, Lines: e.Lines, RiskLevel: LevelLow, Warnings: []WarningView{}}
		if a := cur[id]; a != nil {
			l := money.New(a.LimitBase, st.conv.Base)
			d := time.Time(a.ValidUntil).Format(time.DateOnly)
			aid := a.ID
			out.Rating, out.Limit, out.ValidUntil, out.AssessmentID = a.Rating, &l, &d, &aid
			out.Expired = time.Time(a.ValidUntil).Before(st.today)
			if a.LimitBase.Sign() > 0 {
				u := e.Total.Amount.Div(a.LimitBase).StringFixed(4)
				out.Utilisation = &u
			}
		}
		var pend []Assessment
		if err := tx.Where("customer_id = ? AND status = ?", id, StatusPending).Order("id DESC").Limit(1).Find(&pend).Error; err != nil {
			return err
		}
		if len(pend) == 1 {
			v := assessmentView(&pend[0], st.conv.Base)
			out.Pending = &v
		}
		ws, err := s.warningViews(ctx, tx, tx.Where("customer_id = ? AND status = ?", id, WarningOpen).Order("raised_at DESC, id DESC"))
		if err != nil {
			return err
		}
		out.Warnings = ws
		for _, w := range ws {
			if levelRank(w.Level) > levelRank(out.RiskLevel) {
				out.RiskLevel = w.Level
			}
		}
		return nil
	})
	return out, err
}

// decimalOrZero guards sums of an empty map entry.
var _ = decimal.Zero
var _ = jobs.TenantContext
