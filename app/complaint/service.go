// Package complaint is customer complaints 客訴 (SVC-3, SVC-4, SVC-5; seed 001 第18–29條):
// intake from any channel with a case number and an acknowledgement to the customer, the
// workflow received → investigating → plan_proposed → approved → resolving → resolved →
// closed with waiting_customer as a paused state, a deadline of N working days (app/workday)
// computed from the case's own history, escalation before and after it, remedies approved by
// the tenant's approval tiers (a repair opens a work order, a return goes through the
// warehouse and finance), penalties approved by the general manager and the monthly review.
//
// Every change writes the case's history, an audit entry and, for opened, overdue and closed,
// an outbox event (complaint.opened, complaint.overdue, complaint.closed; PLG-3); the history
// shows on the customer's timeline.
package complaint

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/service"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/app/workday"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// Service runs complaints.
type Service struct {
	DB    *store.DB
	Authz *policies.Authorizer
	// WorkOrders opens the work order of a repair remedy.
	WorkOrders *service.Service
	// Notify tells the vice president, managers and responsible people; Mail sends the
	// customer's acknowledgement.
	Notify *notify.Service
	Mail   notify.Mailer
	Jobs   *jobs.Queue
	// OnOpened are told of each new case's customer after it commits (credit risk watches for
	// a spike of complaints).
	OnOpened []func(ctx context.Context, customerID uuid.UUID)
	Log      *slog.Logger
	Now      func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) warn(msg string, id uuid.UUID, err error) {
	if s.Log != nil {
		s.Log.Warn(msg, "complaint", id, "err", err)
	}
}

// tenantOf reads the context tenant's name and settings in tx.
func tenantOf(ctx context.Context, tx *gorm.DB) (*tenants.Tenant, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var t tenants.Tenant
	return &t, tx.Select("id", "name", "settings").Take(&t, "id = ?", tid).Error
}

// optionsOf are the tenant's complaint settings and the working days to close a case.
func optionsOf(t *tenants.Tenant) (Options, int) {
	st := t.Settings.Data()
	o := Settings.From(st)
	if checkOptions(context.Background(), nil, &o) != nil {
		o = DefaultOptions()
	}
	days := st.ComplaintSLADays
	if days <= 0 {
		days = DefaultSLADays
	}
	return o, days
}

// Input is the body of POST /complaints.
type Input struct {
	CustomerID              uuid.UUID  `json:"customer_id" validate:"required"`
	ContactID               *uuid.UUID `json:"contact_id"`
	Channel                 string     `json:"channel" validate:"required,oneof=phone email web visit survey"`
	ReceivedAt              *time.Time `json:"received_at"`
	Content                 string     `json:"content" validate:"required,max=10000"`
	Category                string     `json:"category" validate:"required,oneof=quality transport handling service other"`
	OrderID                 *uuid.UUID `json:"order_id"`
	OrderNumber             string     `json:"order_number" validate:"max=100"`
	Batch                   string     `json:"batch" validate:"max=100"`
	ShipDate                *string    `json:"ship_date" validate:"omitempty,datetime=2006-01-02"`
	DefectiveQuantity       *int       `json:"defective_quantity" validate:"omitempty,gte=0,lte=100000000"`
	Severity                string     `json:"severity" validate:"omitempty,oneof=normal severe"`
	ResponsibleDepartmentID *uuid.UUID `json:"responsible_department_id"`
	ResponsibleUserID       *uuid.UUID `json:"responsible_user_id"`
	RootCause               string     `json:"root_cause" validate:"max=5000"`
}

// Create takes a complaint in: numbered by the tenant's pattern, its deadline and report date
// computed, the vice president told at once when it is severe, and the customer acknowledged
// by mail (case number and promised date) when the contact has an address. Fails with
// validation_failed (input; a customer the actor does not see; a contact not of that
// customer; an unknown responsible department or user; received_at in the future).
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	var out View
	var c *Complaint
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if _, err := opportunity.VisibleCustomer(ctx, tx, s.Authz, "customer_id", in.CustomerID); err != nil {
			return err
		}
		var err error
		c, err = s.intake(ctx, tx, in, nil)
		if err != nil {
			return err
		}
		out, err = s.show(ctx, tx, c, true)
		return err
	})
	if err != nil {
		return View{}, err
	}
	return out, nil
}

// intake writes a new case in tx (the caller checked the customer) with its first history
// entry, audit entry and complaint.opened event; after commit the acknowledgement goes out
// and a severe case reaches the vice president.
func (s *Service) intake(ctx context.Context, tx *gorm.DB, in Input, from *Complaint) (*Complaint, error) {
	if err := problem.CleanText(map[string]*string{"content": &in.Content, "order_number": &in.OrderNumber, "batch": &in.Batch,
		"root_cause": &in.RootCause}); err != nil {
		return nil, err
	}
	if in.Content == "" {
		return nil, problem.Field("content", "required", "field.required")
	}
	now := s.now()
	received := now
	if in.ReceivedAt != nil {
		received = in.ReceivedAt.UTC().Truncate(time.Second)
		if received.After(now.Add(time.Minute)) {
			return nil, problem.Field("received_at", "out_of_range", "field.out_of_range")
		}
	}
	if in.Severity == "" {
		in.Severity = SeverityNormal
	}
	actor := tenantctx.ActorFrom(ctx).UserID
	c := &Complaint{ID: uuid.Must(uuid.NewV7()), CustomerID: in.CustomerID, ContactID: in.ContactID, Channel: in.Channel,
		ReceivedAt: received, Content: in.Content, Category: in.Category, OrderID: in.OrderID, OrderNumber: in.OrderNumber,
		Batch: in.Batch, ShipDate: in.ShipDate, DefectiveQuantity: in.DefectiveQuantity, Severity: in.Severity,
		Status: StatusReceived, ResponsibleDepartmentID: in.ResponsibleDepartmentID, ResponsibleUserID: in.ResponsibleUserID,
		RootCause: in.RootCause, CreatedAt: now, UpdatedAt: now, Version: 1}
	if from != nil {
		c.ReopenedFromID = &from.ID
		c.HandlerID, c.DepartmentID = from.HandlerID, from.DepartmentID
	}
	if actor != uuid.Nil {
		c.CreatedBy = &actor
		if c.HandlerID == nil {
			c.HandlerID = &actor
			dept, err := org.UserDepartment(tx, actor)
			if err != nil {
				return nil, err
			}
			c.DepartmentID = dept
		}
	}
	if err := checkRefs(tx, c); err != nil {
		return nil, err
	}
	refs, err := customer.Refs(tx, []uuid.UUID{c.CustomerID})
	if err != nil {
		return nil, err
	}
	if r, ok := refs[c.CustomerID]; ok {
		c.CustomerOwnerID, c.CustomerDepartmentID = r.OwnerID, r.DepartmentID
	}
	t, err := tenantOf(ctx, tx)
	if err != nil {
		return nil, err
	}
	opts, days := optionsOf(t)
	c.SLADays = days
	cal, err := workday.Load(ctx, tx)
	if err != nil {
		return nil, err
	}
	local := received.In(cal.Loc)
	if c.Number, err = nextNumber(ctx, tx, opts.NumberPattern, time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)); err != nil {
		return nil, err
	}
	if err := tx.Create(c).Error; err != nil {
		if store.IsDuplicate(err) {
			return nil, problem.New(problem.Conflict, "number_taken")
		}
		return nil, err
	}
	comment := ""
	if from != nil {
		comment = from.Number
	}
	if err := addEvent(ctx, tx, c, "intake", "", StatusReceived, comment, received); err != nil {
		return nil, err
	}
	if err := s.recompute(ctx, tx, c, cal, opts); err != nil {
		return nil, err
	}
	v, err := s.show(ctx, tx, c, false)
	if err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, "create", "complaint", c.ID.String(), nil, v); err != nil {
		return nil, err
	}
	if err := outbox.Publish(ctx, tx, "complaint.opened", "complaint", c.ID, map[string]any{"complaint": v}); err != nil {
		return nil, err
	}
	tid := t.ID
	company := t.Name
	opened := *c
	store.AfterCommit(tx, func() {
		bg := jobs.TenantContext(context.WithoutCancel(ctx), tid, actor)
		s.acknowledge(bg, &opened, company, cal.Loc)
		if opened.Severity == SeveritySevere {
			s.tellVicePresidents(bg, &opened)
		}
		for _, f := range s.OnOpened {
			f(bg, opened.CustomerID)
		}
	})
	return c, nil
}

// checkRefs checks the case's contact, order (one of the customer's) and responsible
// department and user.
func checkRefs(tx *gorm.DB, c *Complaint) error {
	if c.ContactID != nil {
		ok, err := customer.ContactOf(tx, c.CustomerID, *c.ContactID)
		if err != nil {
			return err
		}
		if !ok {
			return problem.Field("contact_id", "not_found", "field.not_found")
		}
	}
	if c.OrderID != nil {
		o, ok, err := deal.OrderOf(tx, c.CustomerID, *c.OrderID)
		if err != nil {
			return err
		}
		if !ok {
			return problem.Field("order_id", "not_found", "field.not_found")
		}
		// The order fills in what the complaint leaves out.
		if c.OrderNumber == "" {
			c.OrderNumber = o.Number
		}
		if c.ShipDate == nil && o.ShippedAt != nil {
			d := o.ShippedAt.UTC().Format("2006-01-02")
			c.ShipDate = &d
		}
	}
	if c.ResponsibleUserID != nil {
		dept, err := org.OwnerDepartment(tx, "responsible_user_id", *c.ResponsibleUserID)
		if err != nil {
			return err
		}
		if c.ResponsibleDepartmentID == nil {
			c.ResponsibleDepartmentID = dept
		}
	}
	if c.ResponsibleDepartmentID != nil {
		if _, err := org.AssignOwner(tx, nil, c.ResponsibleDepartmentID); err != nil {
			return problem.Field("responsible_department_id", "not_found", "field.not_found")
		}
	}
	return nil
}

// nextNumber takes the next case number of the pattern for day from the tenant's counter.
func nextNumber(ctx context.Context, tx *gorm.DB, pattern string, day time.Time) (string, error) {
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return "", store.ErrNoTenant
	}
	scope := service.NumberScope(pattern, day)
	for range 1000 {
		var seq int64
		// Raw SQL names the tenant itself; the upsert makes concurrent intakes queue on the
		// counter's row instead of taking the same number.
		if err := tx.Raw(`INSERT INTO complaint_sequences (tenant_id, scope, value) VALUES (?, ?, 1)
			ON CONFLICT (tenant_id, scope) DO UPDATE SET value = complaint_sequences.value + 1 RETURNING value`, tid, scope).
			Scan(&seq).Error; err != nil {
			return "", err
		}
		number := service.RenderNumber(pattern, scope, seq)
		var n int64
		if err := tx.Model(&Complaint{}).Where("number = ?", number).Count(&n).Error; err != nil {
			return "", err
		}
		if n == 0 {
			return number, nil
		}
	}
	return "", problem.New(problem.Conflict, "number_taken")
}

func addEvent(ctx context.Context, tx *gorm.DB, c *Complaint, action, from, to, comment string, at time.Time) error {
	e := Event{ID: uuid.Must(uuid.NewV7()), ComplaintID: c.ID, Action: action, FromStatus: from, ToStatus: to, Comment: comment, At: at}
	if a := tenantctx.ActorFrom(ctx).UserID; a != uuid.Nil {
		e.ActorID = &a
	}
	return tx.Create(&e).Error
}

// pauses are the case's paused intervals from its history: each move into waiting_customer
// to the move out of it (open while it still waits).
func pauses(events []Event) []workday.Interval {
	var out []workday.Interval
	for _, e := range events {
		switch {
		case e.ToStatus == StatusWaitingCustomer && e.FromStatus != StatusWaitingCustomer:
			out = append(out, workday.Interval{From: e.At})
		case e.FromStatus == StatusWaitingCustomer && len(out) > 0 && out[len(out)-1].To == nil:
			at := e.At
			out[len(out)-1].To = &at
		}
	}
	return out
}

// Clock is a case's deadlines as its history decides them.
type Clock struct {
	DueAt       *time.Time
	ReportDueAt *time.Time
}

// ComputeClock is the deadline (slaDays working days) and report date (reportDays) of a case
// received at received with history events, in cal. Nothing else goes in, so recomputing
// answers the same. While the case waits for the customer the dates are those it had when the
// wait began (the clock is stopped); the wait's working time is added once it ends.
func ComputeClock(cal workday.Calendar, received time.Time, slaDays, reportDays int, events []Event) Clock {
	ps := pauses(events)
	if n := len(ps); n > 0 && ps[n-1].To == nil {
		// Stopped: the dates as of the wait's start, as if it had ended at once.
		from := ps[n-1].From
		ps[n-1].To = &from
	}
	return Clock{DueAt: cal.Deadline(received, slaDays, ps), ReportDueAt: cal.Deadline(received, reportDays, ps)}
}

// recompute sets c's deadlines from its stored history (c is saved by the caller, or here
// when it is new: intake).
func (s *Service) recompute(ctx context.Context, tx *gorm.DB, c *Complaint, cal workday.Calendar, opts Options) error {
	var events []Event
	if err := tx.Where("complaint_id = ?", c.ID).Order("at").Order("id").Limit(10000).Find(&events).Error; err != nil {
		return err
	}
	clk := ComputeClock(cal, c.ReceivedAt, c.SLADays, opts.ReportDays, events)
	c.DueAt, c.ReportDueAt = clk.DueAt, clk.ReportDueAt
	return tx.Model(&Complaint{}).Where("id = ?", c.ID).UpdateColumns(map[string]any{"due_at": c.DueAt, "report_due_at": c.ReportDueAt}).Error
}

// slaStatus is the case's standing against its deadline at now: a closed case by when it
// closed, a waiting one as of when the wait began (its clock is stopped).
func slaStatus(c *Complaint, now time.Time, dueSoon time.Duration) string {
	if c.DueAt == nil {
		return SLAOnTrack
	}
	at := now
	if c.ClosedAt != nil {
		at = *c.ClosedAt
	} else if c.PausedAt != nil {
		at = *c.PausedAt
	}
	switch {
	case !at.Before(*c.DueAt):
		return SLAOverdue
	case !at.Before(c.DueAt.Add(-dueSoon)):
		return SLADueSoon
	}
	return SLAOnTrack
}

// Data scopes. A case is seen through the customer service person who manages it and their
// department, through its responsible person and department, and through the customer's
// owner (and department) at intake: a salesperson sees the complaints of their customers.

func sees(f policies.Filter, c *Complaint) bool {
	return f.AllowsRef(c.HandlerID, c.DepartmentID) || f.AllowsRef(c.ResponsibleUserID, c.ResponsibleDepartmentID) ||
		f.AllowsRef(c.CustomerOwnerID, c.CustomerDepartmentID) || f.AllowsRef(c.CreatedBy, nil)
}

func scoped(tx, q *gorm.DB, f policies.Filter) *gorm.DB {
	cond := tx.Session(&gorm.Session{NewDB: true})
	switch f.Scope {
	case policies.ScopeAll:
		return q
	case policies.ScopeDepartment, policies.ScopeDepartmentTree:
		cond = cond.Where("department_id IN ?", f.Departments).Or("responsible_department_id IN ?", f.Departments).
			Or("customer_department_id IN ?", f.Departments)
	default:
		cond = cond.Where("handler_id IN ?", f.Owners).Or("responsible_user_id IN ?", f.Owners).
			Or("customer_owner_id IN ?", f.Owners).Or("created_by IN ?", f.Owners)
	}
	return q.Where(cond)
}

// load reads case id in tx when the actor sees it; anything else is not_found. Beyond their
// data scope, an approver sees the cases with a remedy waiting for their decision (the sales
// manager decides small amounts of cases customer service handles).
func (s *Service) load(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*Complaint, error) {
	c, err := policies.LoadVisible(ctx, tx, s.Authz, id, "entity.complaint", sees)
	if !problem.Is(err, problem.NotFound) {
		return c, err
	}
	ok, aerr := s.awaitsActor(ctx, tx, id)
	if aerr != nil {
		return nil, aerr
	}
	if !ok {
		return nil, err
	}
	return loadAny(tx, id)
}

// awaitsActor reports whether case id has a pending remedy (or penalty) the actor may decide.
func (s *Service) awaitsActor(ctx context.Context, tx *gorm.DB, id uuid.UUID) (bool, error) {
	if ok, err := s.Authz.Allowed(ctx, "complaint", "approve"); err != nil || !ok {
		return false, err
	}
	roles, err := s.actorRoles(ctx)
	if err != nil {
		return false, err
	}
	var need []string
	if err := tx.Model(&Remedy{}).Where("complaint_id = ? AND status = ?", id, RemedyPending).Limit(200).Pluck("approver_role", &need).Error; err != nil {
		return false, err
	}
	var penalties int64
	if err := tx.Model(&Penalty{}).Where("complaint_id = ? AND status = ?", id, PenaltyPending).Count(&penalties).Error; err != nil {
		return false, err
	}
	if penalties > 0 {
		need = append(need, PenaltyApprover)
	}
	for _, r := range need {
		if policies.CanApproveAs(roles, r) {
			return true, nil
		}
	}
	return false, nil
}

// loadAny reads case id in tx whoever acts (jobs, hooks); missing is not_found.
func loadAny(tx *gorm.DB, id uuid.UUID) (*Complaint, error) {
	var c Complaint
	err := tx.Take(&c, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFoundf("entity.complaint")
	}
	return &c, err
}

// show is c as the API shows it at the service's clock; full adds its history and successor.
func (s *Service) show(ctx context.Context, tx *gorm.DB, c *Complaint, full bool) (View, error) {
	t, err := tenantOf(ctx, tx)
	if err != nil {
		return View{}, err
	}
	opts, _ := optionsOf(t)
	v := view(c, s.now(), time.Duration(opts.DueSoonHours)*time.Hour)
	if !full {
		return v, nil
	}
	var next Complaint
	err = tx.Select("tenant_id", "id").Take(&next, "reopened_from_id = ?", c.ID).Error
	if err == nil {
		v.ReopenedToID = &next.ID
	} else if !errors.Is(err, gorm.ErrRecordNotFound) {
		return View{}, err
	}
	var events []Event
	if err := tx.Where("complaint_id = ?", c.ID).Order("at").Order("id").Limit(1000).Find(&events).Error; err != nil {
		return View{}, err
	}
	v.History = make([]EventView, len(events))
	for i, e := range events {
		v.History[i] = EventView{ID: e.ID, Action: e.Action, FromStatus: e.FromStatus, ToStatus: e.ToStatus, Comment: e.Comment,
			ActorID: e.ActorID, At: e.At.UTC()}
	}
	return v, nil
}

func view(c *Complaint, now time.Time, dueSoon time.Duration) View {
	return View{ID: c.ID, Number: c.Number, CustomerID: c.CustomerID, ContactID: c.ContactID, Channel: c.Channel,
		ReceivedAt: c.ReceivedAt.UTC(), Content: c.Content, Category: c.Category, OrderID: c.OrderID, OrderNumber: c.OrderNumber,
		Batch: c.Batch, ShipDate: c.ShipDate, DefectiveQuantity: c.DefectiveQuantity, Severity: c.Severity, Status: c.Status,
		Outcome: c.Outcome, ResponsibleDepartmentID: c.ResponsibleDepartmentID, ResponsibleUserID: c.ResponsibleUserID,
		RootCause: c.RootCause, HandlerID: c.HandlerID, DepartmentID: c.DepartmentID, SLADays: c.SLADays, DueAt: utc(c.DueAt),
		ReportDueAt: utc(c.ReportDueAt), SLAStatus: slaStatus(c, now, dueSoon), Paused: c.Status == StatusWaitingCustomer,
		PausedAt: utc(c.PausedAt), ResolvedAt: utc(c.ResolvedAt), ClosedAt: utc(c.ClosedAt), ReopenedFromID: c.ReopenedFromID,
		SurveyID: c.SurveyID, AckSentAt: utc(c.AckSentAt), CreatedBy: c.CreatedBy, CreatedAt: c.CreatedAt.UTC(),
		UpdatedAt: c.UpdatedAt.UTC(), Version: c.Version}
}

// Get returns one case the actor sees, with its history.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (View, error) {
	var out View
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = s.show(ctx, tx, c, true)
		return err
	})
	return out, err
}
