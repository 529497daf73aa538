// Package survey is opinion surveys 客戶意見調查 (SVC-6; seed 001 第14–17條): after a work order
// is signed off, and when the tenant's service settings have surveys on, its contact gets a
// survey by mail with a public link that opens without an account; customer service can also
// record the answers given on the phone. The technician is rated on attitude, technique,
// arrival time and keeping promises, each very satisfied, satisfied, average or poor, with the
// customer's suggestions and complaints. A survey with a complaint is flagged, and the
// customer's owner and whoever registered the request hear of it. Results per technician and
// month (GET /reports/service) feed the monthly evaluation (第15條).
//
// Every survey writes an audit entry and outbox events (survey.created, survey.received for
// plugins, PLG-3) and shows on the customer's timeline.
package survey

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/publiclink"
	"github.com/smecrm/crm/app/service"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// Purpose is what survey links are signed for, and where they point.
// The link opens the web app's survey page, which reads and answers it through
// GET/POST /public/v1/surveys/{token}.
var Purpose = publiclink.Purpose{Name: "survey", Path: "/survey/"}

// Service runs surveys.
type Service struct {
	DB    *store.DB
	Authz *policies.Authorizer
	// Links signs and checks the survey links.
	Links *publiclink.Links
	// WorkOrders finds the work order a survey recorded by phone is about, in the actor's scope.
	WorkOrders *service.Service
	// Notify tells customer service and the customer's owner of a complaint; Mail sends the
	// survey to the contact.
	Notify *notify.Service
	Mail   notify.Mailer
	// Jobs sends survey mail in the background; without a started queue mail goes at once.
	Jobs *jobs.Queue
	Log  *slog.Logger
	Now  func() time.Time
	// OnFlagged are other areas' reactions to a survey answered with a complaint (server.New
	// sets them; complaints open a case): each runs in the answer's transaction with the
	// survey as answered and who registered its work order; an error rolls the answer back.
	OnFlagged []func(ctx context.Context, tx *gorm.DB, sv View, registeredBy *uuid.UUID) error
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// tenantRow reads the context tenant's name and settings in tx.
func tenantRow(ctx context.Context, tx *gorm.DB) (*tenants.Tenant, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var t tenants.Tenant
	return &t, tx.Select("id", "name", "settings").Take(&t, "id = ?", tid).Error
}

// OnWorkOrderEvent is the survey area's reaction to work order events (service.Service.OnEvent):
// when a work order is signed off and the tenant's service settings have surveys on, a survey
// of its technician is made, with a link valid for the survey settings' days, for the work
// order's contact (else the customer's primary contact). It is mailed once the sign-off
// commits; without a contact with a mail address it waits for customer service to call. It
// runs in the sign-off's transaction, so the survey exists exactly when the sign-off does.
func (s *Service) OnWorkOrderEvent(ctx context.Context, tx *gorm.DB, event string, w service.View) error {
	if event != "work_order.signed_off" || w.TechnicianID == nil {
		return nil
	}
	t, err := tenantRow(ctx, tx)
	if err != nil {
		return err
	}
	if !service.SettingsSection.From(t.Settings.Data()).SurveyEnabled {
		return nil
	}
	var n int64
	if err := tx.Model(&Survey{}).Where("work_order_id = ?", w.ID).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	now := s.now()
	sv := &Survey{ID: uuid.Must(uuid.NewV7()), Channel: ChannelEmail, Status: StatusPending, CreatedAt: now, UpdatedAt: now, Version: 1}
	fromWorkOrder(sv, w)
	contact, ok, err := customer.MailContactOf(tx, w.CustomerID, w.ContactID)
	if err != nil {
		return err
	}
	sv.MailStatus = MailNoAddress
	if contact.ID != uuid.Nil {
		id := contact.ID
		sv.ContactID = &id
	}
	if ok {
		sv.MailStatus = MailPending
	}
	days := Settings.From(t.Settings.Data()).LinkValidDays
	l, err := s.Links.Issue(ctx, tx, Purpose, sv.ID, time.Duration(days)*24*time.Hour, true)
	if err != nil {
		return err
	}
	sv.LinkID, sv.ExpiresAt = &l.ID, &l.ExpiresAt
	if err := tx.Create(sv).Error; err != nil {
		return err
	}
	v := view(sv, "")
	if err := audit.Record(ctx, tx, "create", "survey", sv.ID.String(), nil, v); err != nil {
		return err
	}
	if err := outbox.Publish(ctx, tx, "survey.created", "survey", sv.ID, map[string]any{"survey": v}); err != nil {
		return err
	}
	if sv.MailStatus == MailPending {
		tid, id := t.ID, sv.ID
		store.AfterCommit(tx, func() { s.queueMail(context.WithoutCancel(ctx), tid, id) })
	}
	return nil
}

// fromWorkOrder copies into sv what a survey keeps of its work order.
func fromWorkOrder(sv *Survey, w service.View) {
	id := w.ID
	sv.WorkOrderID, sv.WorkOrderNumber, sv.CustomerID, sv.ContactID = &id, w.Number, w.CustomerID, w.ContactID
	sv.TechnicianID, sv.DepartmentID = w.TechnicianID, w.DepartmentID
	reg := w.RegisteredBy
	sv.RegisteredBy, sv.RegisteredDepartmentID = &reg, w.RegisteredDepartmentID
}

// Data scopes. A survey is seen by whoever's scope holds its technician (and the
// technician's department) or the person who registered its work order (and their
// department): technicians (scope own) see their own ratings, the service manager those of
// the department's technicians, customer service those of the requests it registered.

func sees(f policies.Filter, sv *Survey) bool {
	return f.AllowsRef(sv.TechnicianID, sv.DepartmentID) || f.AllowsRef(sv.RegisteredBy, sv.RegisteredDepartmentID)
}

// scoped narrows a query of surveys to those f sees.
func scoped(tx, q *gorm.DB, f policies.Filter) *gorm.DB {
	cond := tx.Session(&gorm.Session{NewDB: true})
	switch f.Scope {
	case policies.ScopeAll:
		return q
	case policies.ScopeDepartment, policies.ScopeDepartmentTree:
		cond = cond.Where("department_id IN ?", f.Departments).Or("registered_department_id IN ?", f.Departments)
	default:
		cond = cond.Where("technician_id IN ?", f.Owners).Or("registered_by IN ?", f.Owners)
	}
	return q.Where(cond)
}

// load reads survey id in tx when the actor sees it; anything else is not_found.
func (s *Service) load(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*Survey, error) {
	return policies.LoadVisible(ctx, tx, s.Authz, id, "entity.survey", sees)
}

// show is the view of sv with its technician's name.
func show(tx *gorm.DB, sv *Survey) (View, error) {
	name := ""
	if sv.TechnicianID != nil {
		names, err := org.UserNames(tx, []uuid.UUID{*sv.TechnicianID})
		if err != nil {
			return View{}, err
		}
		name = names[*sv.TechnicianID]
	}
	return view(sv, name), nil
}

// Get returns one survey the actor sees.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (View, error) {
	var out View
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		sv, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = show(tx, sv)
		return err
	})
	return out, err
}

// Answer is what the customer says: the four ratings, suggestions and complaints.
type Answer struct {
	Ratings     Ratings `json:"ratings"`
	Suggestions string  `json:"suggestions" validate:"max=5000"`
	Complaint   string  `json:"complaint" validate:"max=5000"`
}

func (a *Answer) check() error {
	return problem.CleanText(map[string]*string{"suggestions": &a.Suggestions, "complaint": &a.Complaint})
}

// answer records a on pending survey sv in tx (channel: how it came; recordedBy: who took it
// down, nil for the customer's own answer), with its audit entry and the survey.received
// event; a complaint flags it and, once committed, tells customer service and the customer's
// owner.
func (s *Service) answer(ctx context.Context, tx *gorm.DB, sv *Survey, a Answer, channel string, recordedBy *uuid.UUID) (View, error) {
	before, err := show(tx, sv)
	if err != nil {
		return View{}, err
	}
	now := s.now()
	sv.Attitude, sv.Technique, sv.ArrivalTime, sv.Promises = a.Ratings.Attitude, a.Ratings.Technique, a.Ratings.ArrivalTime, a.Ratings.Promises
	sv.Suggestions, sv.Complaint, sv.Flagged = a.Suggestions, a.Complaint, a.Complaint != ""
	sv.Status, sv.Channel, sv.AnsweredAt, sv.RecordedBy = StatusAnswered, channel, &now, recordedBy
	old := sv.Version
	sv.Version, sv.UpdatedAt = old+1, now
	if err := store.SaveVersioned(tx, sv, old); err != nil {
		return View{}, err
	}
	out, err := show(tx, sv)
	if err != nil {
		return View{}, err
	}
	action := "answer"
	if channel == ChannelPhone {
		action = "record"
	}
	if err := audit.Record(ctx, tx, action, "survey", sv.ID.String(), before, out); err != nil {
		return View{}, err
	}
	if err := outbox.Publish(ctx, tx, "survey.received", "survey", sv.ID, map[string]any{"survey": out}); err != nil {
		return View{}, err
	}
	if sv.Flagged {
		for _, fn := range s.OnFlagged {
			if err := fn(ctx, tx, out, sv.RegisteredBy); err != nil {
				return View{}, err
			}
		}
		flagged := *sv
		store.AfterCommit(tx, func() { s.tellFlagged(context.WithoutCancel(ctx), &flagged) })
	}
	return out, nil
}

// tellFlagged notifies the customer's owner and whoever registered the request (customer
// service) of a survey's complaint, in the app and by mail, once per survey and person.
// Failures only cost the notice (they are logged).
func (s *Service) tellFlagged(ctx context.Context, sv *Survey) {
	if s.Notify == nil {
		return
	}
	var c customer.Ref
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		refs, err := customer.Refs(tx, []uuid.UUID{sv.CustomerID})
		c = refs[sv.CustomerID]
		return err
	})
	if err != nil {
		s.logWarn("survey complaint not notified", sv.ID, err)
		return
	}
	var to []uuid.UUID
	for _, u := range []*uuid.UUID{c.OwnerID, sv.RegisteredBy} {
		if u != nil && !slices.Contains(to, *u) {
			to = append(to, *u)
		}
	}
	complaint := sv.Complaint
	if r := []rune(complaint); len(r) > 200 {
		complaint = string(r[:200]) + "…"
	}
	id := sv.ID
	for _, u := range to {
		if _, err := s.Notify.Notify(ctx, u, notify.Message{Kind: "survey_flagged", Key: "survey_flagged",
			Args: []any{c.Name, sv.WorkOrderNumber, complaint}, DedupeKey: "survey_flagged:" + sv.ID.String(),
			Entity: "survey", EntityID: &id, Link: "/surveys/" + sv.ID.String(), Email: true}); err != nil {
			s.logWarn("survey complaint not notified", sv.ID, err)
		}
	}
}

func (s *Service) logWarn(msg string, id uuid.UUID, err error) {
	if s.Log != nil {
		s.Log.Warn(msg, "survey", id, "err", err)
	}
}

// Input is the body of POST /surveys: a survey customer service records from a phone call,
// about a work order (complaint_id is reserved for the complaints module and not accepted
// yet).
type Input struct {
	WorkOrderID *uuid.UUID `json:"work_order_id"`
	ComplaintID *uuid.UUID `json:"complaint_id"`
	Answer
}

// answerable are the work order statuses a survey can be about: the customer signed off.
var answerable = []string{service.StatusSignedOff, service.StatusInvoiced, service.StatusClosed}

// Record takes down the answers a customer gave on the phone about a signed-off work order
// the actor sees. A survey already sent for it by mail is answered this way, and its link
// stops working. Fails with validation_failed (input; a work order the actor does not see;
// a complaint_id: surveys about complaints come with the complaints module) or conflict (the
// work order is not signed off yet, or its survey was answered already).
func (s *Service) Record(ctx context.Context, in Input) (View, error) {
	if err := in.check(); err != nil {
		return View{}, err
	}
	if in.ComplaintID != nil {
		return View{}, problem.Field("complaint_id", "not_found", "field.not_found")
	}
	if in.WorkOrderID == nil {
		return View{}, problem.Field("work_order_id", "required", "field.required")
	}
	w, err := s.WorkOrders.Get(ctx, *in.WorkOrderID)
	if problem.Is(err, problem.NotFound) {
		return View{}, problem.Field("work_order_id", "not_found", "field.not_found")
	}
	if err != nil {
		return View{}, err
	}
	if !slices.Contains(answerable, w.Status) || w.TechnicianID == nil {
		return View{}, problem.New(problem.Conflict, "survey.not_signed_off")
	}
	actor := tenantctx.ActorFrom(ctx).UserID
	var out View
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var sv Survey
		err := tx.Take(&sv, "work_order_id = ?", w.ID).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			now := s.now()
			sv = Survey{ID: uuid.Must(uuid.NewV7()), Channel: ChannelPhone, Status: StatusPending, CreatedAt: now, UpdatedAt: now, Version: 1}
			fromWorkOrder(&sv, w)
			if err := tx.Create(&sv).Error; err != nil {
				if store.IsDuplicate(err) {
					return problem.New(problem.Conflict, "survey.answered")
				}
				return err
			}
			if err := audit.Record(ctx, tx, "create", "survey", sv.ID.String(), nil, view(&sv, "")); err != nil {
				return err
			}
		case err != nil:
			return err
		case sv.Status == StatusAnswered:
			return problem.New(problem.Conflict, "survey.answered")
		default:
			if err := publiclink.Revoke(tx, Purpose, sv.ID, s.now()); err != nil {
				return err
			}
		}
		out, err = s.answer(ctx, tx, &sv, in.Answer, ChannelPhone, &actor)
		return err
	})
	return out, err
}

// PublicSurvey is what the customer sees on the survey page: what is being rated, nothing
// else of the company's records.
type PublicSurvey struct {
	Company         string    `json:"company"`
	WorkOrderNumber string    `json:"work_order_number"`
	TechnicianName  string    `json:"technician_name"`
	Dimensions      []string  `json:"dimensions"`
	Levels          []string  `json:"levels"`
	ExpiresAt       time.Time `json:"expires_at"`
}

// PublicAnswered is the answer of a successful POST /public/v1/surveys/{token}.
type PublicAnswered struct {
	WorkOrderNumber string    `json:"work_order_number"`
	AnsweredAt      time.Time `json:"answered_at"`
}

// open verifies a survey token and loads its survey: a token that does not verify, or whose
// survey is missing or no longer holds that link, is not_found; an answered survey, a used,
// revoked or expired link is gone.
func (s *Service) open(ctx context.Context, tok string, write bool, fn func(ctx context.Context, tx *gorm.DB, o publiclink.Opened, sv *Survey) error) error {
	return s.Links.Verify(ctx, Purpose, tok, write, func(ctx context.Context, tx *gorm.DB, o publiclink.Opened) error {
		var sv Survey
		err := tx.Take(&sv, "id = ?", o.Link.SubjectID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && (sv.LinkID == nil || *sv.LinkID != o.Link.ID)) {
			return problem.NotFoundf("entity.link")
		}
		if err != nil {
			return err
		}
		if sv.Status != StatusPending {
			return publiclink.Gone()
		}
		return fn(ctx, tx, o, &sv)
	})
}

// Open answers what a survey link shows.
func (s *Service) Open(ctx context.Context, tok string) (PublicSurvey, error) {
	var out PublicSurvey
	err := s.open(ctx, tok, false, func(ctx context.Context, tx *gorm.DB, o publiclink.Opened, sv *Survey) error {
		v, err := show(tx, sv)
		out = PublicSurvey{Company: o.Tenant.Name, WorkOrderNumber: sv.WorkOrderNumber, TechnicianName: v.TechnicianName,
			Dimensions: Dimensions, Levels: Levels, ExpiresAt: o.Link.ExpiresAt.UTC()}
		return err
	})
	return out, err
}

// Submit answers a survey through its link, once: the link is used up in the same
// transaction. Fails with validation_failed, not_found, gone or tenant_suspended.
func (s *Service) Submit(ctx context.Context, tok string, a Answer) (PublicAnswered, error) {
	if err := a.check(); err != nil {
		return PublicAnswered{}, err
	}
	var out PublicAnswered
	err := s.open(ctx, tok, true, func(ctx context.Context, tx *gorm.DB, o publiclink.Opened, sv *Survey) error {
		if err := s.Links.Use(tx, o.Link); err != nil {
			return err
		}
		v, err := s.answer(ctx, tx, sv, a, ChannelEmail, nil)
		if err != nil {
			return err
		}
		out = PublicAnswered{WorkOrderNumber: v.WorkOrderNumber, AnsweredAt: *v.AnsweredAt}
		return nil
	})
	return out, err
}
