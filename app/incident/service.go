// Package incident is emergency incidents 應急事件 (seed 002 §8): something that affects
// customer service — a natural disaster, an equipment failure, a network attack, a supply
// interruption — declared at level 1 (serious) or 2 (partial), with the customers it affects
// (picked by ID or by the customer list's filter), a response plan and an owner. It goes
// open → responding → recovered → reviewed, one step at a time; each step and each note is on
// its timeline, in the audit log, in the outbox and on the affected customers' timelines, and
// the owners of the affected customers are told when it is declared and at each step (by mail
// too for level 1).
//
// Incidents are seen within the usual data scopes, with one exception: whoever handles
// incidents — may declare or change them (incident:create or incident:update; by default the
// general manager, vice president, service manager and customer service) — sees them all,
// whatever their scope: the phone rings for every customer during an outage, and a second
// declaration of the same outage helps nobody. A user whose scope is
// everything sees every incident too; anyone else the incidents they own or declared (or, department scopes, that their
// departments own) and those affecting a customer their scope reaches now (its current owner
// or department, not the one told when it was declared) — a salesperson follows what happens
// to their own customers, not the whole company's emergencies. The affected customers are
// picked within the declaring user's data scope, as their customer list would show them.
package incident

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/listing"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// MaxAffected bounds the customers one incident affects; MaxCustomerIDs the IDs one request
// names.
const (
	MaxAffected    = 5000
	MaxCustomerIDs = 1000
)

// Service runs incidents.
type Service struct {
	DB    *store.DB
	Authz *policies.Authorizer
	// Customers resolves a customer filter as the customer list does.
	Customers *customer.Service
	// Notify tells the affected customers' owners; Jobs does it in the background (without a
	// started queue it happens at once).
	Notify *notify.Service
	Jobs   *jobs.Queue
	Log    *slog.Logger
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Input is the body of POST /incidents. The affected customers are customer_ids, the
// customers customer_filter picks, or both; the owner defaults to the declaring user.
type Input struct {
	Level          int             `json:"level" validate:"required,oneof=1 2"`
	Kind           string          `json:"kind" validate:"required,oneof=natural_disaster equipment_failure network_attack supply_interruption other"`
	Title          string          `json:"title" validate:"required,max=200"`
	Description    string          `json:"description" validate:"max=10000"`
	CustomerIDs    []uuid.UUID     `json:"customer_ids" validate:"max=1000"`
	CustomerFilter *CustomerFilter `json:"customer_filter"`
	ResponsePlan   string          `json:"response_plan" validate:"max=10000"`
	OwnerID        *uuid.UUID      `json:"owner_id"`
	// Status, when given, must be open: an incident starts open.
	Status string `json:"status" validate:"omitempty,oneof=open"`
}

// Create declares an incident: the affected customers are resolved and kept with their
// owners, the declaration starts the timeline, and the owners are told once it commits.
// Fails with validation_failed: input; no customer named or matched; a customer ID the actor
// does not see; more than MaxAffected customers; an owner who is not an active user.
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	if err := problem.CleanText(map[string]*string{"title": &in.Title, "description": &in.Description, "response_plan": &in.ResponsePlan}); err != nil {
		return View{}, err
	}
	if in.Title == "" {
		return View{}, problem.Field("title", "required", "field.required")
	}
	if len(in.CustomerIDs) == 0 && in.CustomerFilter == nil {
		return View{}, problem.Field("customer_ids", "required", "incident.customers_required")
	}
	if in.CustomerFilter != nil && in.CustomerFilter.empty() {
		return View{}, problem.Field("customer_filter", "required", "incident.filter_empty")
	}
	now := s.now()
	actor := tenantctx.ActorFrom(ctx).UserID
	owner := actor
	if in.OwnerID != nil {
		owner = *in.OwnerID
	}
	inc := &Incident{ID: uuid.Must(uuid.NewV7()), Level: in.Level, Kind: in.Kind, Title: in.Title, Description: in.Description,
		ResponsePlan: in.ResponsePlan, Status: StatusOpen, OwnerID: owner, CreatedAt: now, UpdatedAt: now, Version: 1}
	if actor != uuid.Nil {
		inc.CreatedBy = &actor
	}
	if in.CustomerFilter != nil {
		raw, err := json.Marshal(in.CustomerFilter)
		if err != nil {
			return View{}, err
		}
		inc.CustomerFilter = datatypes.JSON(raw)
	}
	var out View
	var decl Update
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		dept, err := org.OwnerDepartment(tx, "owner_id", owner)
		if err != nil {
			return err
		}
		inc.DepartmentID = dept
		affected, err := s.resolve(ctx, tx, in.CustomerIDs, in.CustomerFilter)
		if err != nil {
			return err
		}
		inc.AffectedCount = len(affected)
		if err := tx.Create(inc).Error; err != nil {
			return err
		}
		rows := make([]Affected, len(affected))
		for i, c := range affected {
			rows[i] = Affected{IncidentID: inc.ID, CustomerID: c.ID, OwnerID: c.OwnerID}
		}
		if err := tx.CreateInBatches(rows, 200).Error; err != nil {
			return err
		}
		decl = Update{ID: uuid.Must(uuid.NewV7()), IncidentID: inc.ID, Action: "declare", ToStatus: StatusOpen, At: now}
		if actor != uuid.Nil {
			decl.ActorID = &actor
		}
		if err := tx.Create(&decl).Error; err != nil {
			return err
		}
		if out, err = show(tx, inc, true); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "create", "incident", inc.ID.String(), nil, auditView(out)); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "incident.created", "incident", inc.ID, map[string]any{"incident": auditView(out)})
	})
	if err != nil {
		return View{}, err
	}
	s.queueNotice(ctx, inc.ID, decl.ID)
	s.tellOwner(ctx, inc)
	return out, nil
}

// tellOwner tells the incident's owner, when someone else made them its owner, in the app (and
// by mail for level 1). Failures only cost the notice (they are logged).
func (s *Service) tellOwner(ctx context.Context, inc *Incident) {
	if s.Notify == nil || inc.OwnerID == tenantctx.ActorFrom(ctx).UserID {
		return
	}
	id := inc.ID
	if _, err := s.Notify.Notify(ctx, inc.OwnerID, notify.Message{Kind: "incident_owner", Key: "incident_owner",
		Args: []any{inc.Title, inc.Level}, DedupeKey: "incident_owner:" + inc.ID.String() + ":" + inc.OwnerID.String(),
		Entity: "incident", EntityID: &id, Link: "/incidents/" + inc.ID.String(), Email: inc.Level == LevelSerious}); err != nil && s.Log != nil {
		s.Log.Warn("incident owner not notified", "incident", inc.ID, "err", err)
	}
}

// resolve answers the affected customers: those named by ids (each one the actor may see) and
// those filter picks, without repeats, in ID order.
func (s *Service) resolve(ctx context.Context, tx *gorm.DB, ids []uuid.UUID, filter *CustomerFilter) ([]customer.Ref, error) {
	seen := map[uuid.UUID]bool{}
	var out []customer.Ref
	var named []uuid.UUID
	for _, id := range ids {
		if id == uuid.Nil {
			return nil, problem.Field("customer_ids", "invalid", "field.invalid")
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		if _, err := opportunity.VisibleCustomer(ctx, tx, s.Authz, "customer_ids", id); err != nil {
			return nil, err
		}
		named = append(named, id)
	}
	refs, err := customer.Refs(tx, named)
	if err != nil {
		return nil, err
	}
	for _, id := range named {
		out = append(out, refs[id])
	}
	if filter != nil {
		picked, err := s.Customers.Select(ctx, tx, filter.list(), MaxAffected)
		if err != nil {
			// The filter's field errors are about customer_filter's members.
			var pe *problem.Error
			if errors.As(err, &pe) && len(pe.Fields) > 0 {
				cp := *pe
				cp.Fields = slices.Clone(pe.Fields)
				for i := range cp.Fields {
					cp.Fields[i].Field = "customer_filter." + cp.Fields[i].Field
				}
				return nil, &cp
			}
			return nil, err
		}
		for _, c := range picked {
			if !seen[c.ID] {
				seen[c.ID] = true
				out = append(out, c)
			}
		}
		if len(out) == 0 {
			return nil, problem.Field("customer_filter", "no_match", "incident.no_match")
		}
	}
	if len(out) > MaxAffected {
		return nil, problem.Field("customer_filter", "too_many", "incident.too_many", MaxAffected)
	}
	slices.SortFunc(out, func(a, b customer.Ref) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out, nil
}

// auditView is v without the lists, for the audit log and events.
func auditView(v View) View {
	v.CustomerIDs, v.Timeline = nil, nil
	return v
}

// show is inc as the API shows it; full adds its affected customers and timeline.
func show(tx *gorm.DB, inc *Incident, full bool) (View, error) {
	v := View{ID: inc.ID, Level: inc.Level, Kind: inc.Kind, Title: inc.Title, Description: inc.Description,
		ResponsePlan: inc.ResponsePlan, Status: inc.Status, OwnerID: inc.OwnerID, DepartmentID: inc.DepartmentID,
		AffectedCount: inc.AffectedCount, RespondingAt: utc(inc.RespondingAt), RecoveredAt: utc(inc.RecoveredAt),
		ReviewedAt: utc(inc.ReviewedAt), CreatedBy: inc.CreatedBy, CreatedAt: inc.CreatedAt.UTC(), UpdatedAt: inc.UpdatedAt.UTC(),
		Version: inc.Version}
	if len(inc.CustomerFilter) > 0 && string(inc.CustomerFilter) != "null" {
		var f CustomerFilter
		if err := json.Unmarshal(inc.CustomerFilter, &f); err != nil {
			return View{}, err
		}
		v.CustomerFilter = &f
	}
	if !full {
		return v, nil
	}
	v.CustomerIDs = []uuid.UUID{}
	if err := tx.Model(&Affected{}).Where("incident_id = ?", inc.ID).Order("customer_id").Limit(MaxAffected).
		Pluck("customer_id", &v.CustomerIDs).Error; err != nil {
		return View{}, err
	}
	var us []Update
	if err := tx.Where("incident_id = ?", inc.ID).Order("id").Limit(1000).Find(&us).Error; err != nil {
		return View{}, err
	}
	v.Timeline = make([]UpdateView, len(us))
	for i, u := range us {
		v.Timeline[i] = UpdateView{ID: u.ID, Action: u.Action, FromStatus: u.FromStatus, ToStatus: u.ToStatus, Note: u.Note,
			ActorID: u.ActorID, At: u.At.UTC()}
	}
	return v, nil
}

// load reads incident id in tx; a missing one (or another tenant's) is not_found.
func load(tx *gorm.DB, id uuid.UUID) (*Incident, error) {
	var inc Incident
	err := tx.Take(&inc, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFoundf("entity.incident")
	}
	if err != nil {
		return nil, err
	}
	return &inc, nil
}

// visible narrows a query of incidents to those data scope f reaches (see the package doc).
func visible(tx, q *gorm.DB, f policies.Filter, actor uuid.UUID) *gorm.DB {
	if f.Scope == policies.ScopeAll {
		return q
	}
	cond := tx.Session(&gorm.Session{NewDB: true})
	switch f.Scope {
	case policies.ScopeDepartment, policies.ScopeDepartmentTree:
		cond = cond.Where("department_id IN ?", f.Departments)
	default:
		cond = cond.Where("owner_id IN ?", f.Owners)
	}
	cond = cond.Or("created_by = ?", actor).
		Or("id IN (?)", tx.Session(&gorm.Session{NewDB: true}).Model(&Affected{}).Select("incident_id").Where("customer_id IN (?)", customer.InScope(tx, f)))
	return q.Where(cond)
}

// scope is the data scope incidents are seen in: everything for those who handle them
// (incident:create or incident:update), else the actor's data scope.
func (s *Service) scope(ctx context.Context, tx *gorm.DB) (policies.Filter, error) {
	for _, act := range []string{"update", "create"} {
		handler, err := s.Authz.Allowed(ctx, "incident", act)
		if err != nil {
			return policies.Filter{}, err
		}
		if handler {
			return policies.Filter{Scope: policies.ScopeAll}, nil
		}
	}
	return s.Authz.ScopeFilter(ctx, tx)
}

// loadVisible reads incident id in tx when the actor's data scope reaches it; otherwise, as
// when it is missing, not_found.
func (s *Service) loadVisible(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*Incident, error) {
	inc, err := load(tx, id)
	if err != nil {
		return nil, err
	}
	f, err := s.scope(ctx, tx)
	if err != nil {
		return nil, err
	}
	if f.Scope == policies.ScopeAll {
		return inc, nil
	}
	var n int64
	if err := visible(tx, tx.Model(&Incident{}), f, tenantctx.ActorFrom(ctx).UserID).Where("id = ?", id).Count(&n).Error; err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, problem.NotFoundf("entity.incident")
	}
	return inc, nil
}

// Get returns one incident with its affected customers and timeline, within the actor's data
// scope (otherwise not_found).
func (s *Service) Get(ctx context.Context, id uuid.UUID) (View, error) {
	var out View
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		inc, err := s.loadVisible(ctx, tx, id)
		if err != nil {
			return err
		}
		if out, err = show(tx, inc, true); err != nil {
			return err
		}
		// customer_ids names only the affected customers the reader's scope reaches;
		// affected_count still counts them all.
		f, err := s.scope(ctx, tx)
		if err != nil || f.Scope == policies.ScopeAll {
			return err
		}
		ids := []uuid.UUID{}
		if len(out.CustomerIDs) > 0 {
			if err := tx.Model(&Affected{}).Where("incident_id = ? AND customer_id IN (?)", inc.ID, customer.InScope(tx, f)).
				Order("customer_id").Pluck("customer_id", &ids).Error; err != nil {
				return err
			}
		}
		out.CustomerIDs = ids
		return nil
	})
	return out, err
}

// Filter are the list parameters of GET /incidents.
type Filter struct {
	api.ListParams
	Status     string `query:"status" json:"-" validate:"omitempty,oneof=open responding recovered reviewed"`
	Level      string `query:"level" json:"-" validate:"omitempty,oneof=1 2"`
	Kind       string `query:"kind" json:"-" validate:"omitempty,oneof=natural_disaster equipment_failure network_attack supply_interruption other"`
	OwnerID    string `query:"owner_id" json:"-" validate:"omitempty,uuid"`
	CustomerID string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
}

// List returns a page of the incidents in the actor's data scope, oldest first.
func (s *Service) List(ctx context.Context, f Filter) (api.Page[View], error) {
	return listing.ListByID(ctx, s.DB.Read, f.ListParams, func(tx *gorm.DB) (*gorm.DB, error) {
		scope, err := s.scope(ctx, tx)
		if err != nil {
			return nil, err
		}
		q := visible(tx, tx.Model(&Incident{}), scope, tenantctx.ActorFrom(ctx).UserID)
		q = listing.WhereEqual(q, map[string]string{"status": f.Status, "kind": f.Kind, "level": f.Level})
		q = listing.WhereIDs(q, map[string]string{"owner_id": f.OwnerID})
		if f.CustomerID != "" {
			q = q.Where("id IN (?)", tx.Model(&Affected{}).Select("incident_id").Where("customer_id = ?", uuid.MustParse(f.CustomerID)))
		}
		return q, nil
	}, func(inc *Incident) uuid.UUID { return inc.ID }, func(tx *gorm.DB, inc *Incident) (View, error) { return show(tx, inc, false) })
}

// Patch is a PATCH of an incident: changed fields, a status one step on, and a note for its
// timeline (required when the incident is reviewed: the review's conclusion).
type Patch struct {
	Version      int64      `json:"version" validate:"required"`
	Level        *int       `json:"level" validate:"omitempty,oneof=1 2"`
	Kind         *string    `json:"kind" validate:"omitempty,oneof=natural_disaster equipment_failure network_attack supply_interruption other"`
	Title        *string    `json:"title" validate:"omitempty,max=200"`
	Description  *string    `json:"description" validate:"omitempty,max=10000"`
	ResponsePlan *string    `json:"response_plan" validate:"omitempty,max=10000"`
	OwnerID      *uuid.UUID `json:"owner_id"`
	Status       *string    `json:"status" validate:"omitempty,oneof=open responding recovered reviewed"`
	Note         *string    `json:"note" validate:"omitempty,max=5000"`
}

// next is the one status an incident in status may move to ("" when none).
func next(status string) string {
	i := slices.Index(Statuses, status)
	if i < 0 || i == len(Statuses)-1 {
		return ""
	}
	return Statuses[i+1]
}

// Update applies a PATCH: a status moves one step forward only (open → responding →
// recovered → reviewed); a reviewed incident is closed to changes. A PATCH that changes
// nothing and brings no note changes nothing. Fails with not_found, validation_failed
// (input; a review without a note; an owner who is not an active user) or conflict (stale
// version, a move not allowed, a reviewed incident).
func (s *Service) Update(ctx context.Context, id uuid.UUID, p Patch) (View, error) {
	if err := problem.CleanText(map[string]*string{"title": p.Title, "description": p.Description, "response_plan": p.ResponsePlan, "note": p.Note}); err != nil {
		return View{}, err
	}
	if p.Title != nil && *p.Title == "" {
		return View{}, problem.Field("title", "required", "field.required")
	}
	note := ""
	if p.Note != nil {
		note = *p.Note
	}
	var out View
	var upd *Update
	var newOwner *Incident
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		inc, err := s.loadVisible(ctx, tx, id)
		if err != nil {
			return err
		}
		if inc.Version != p.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		before, err := show(tx, inc, false)
		if err != nil {
			return err
		}
		if inc.Status == StatusReviewed {
			return problem.New(problem.Conflict, "incident.reviewed")
		}
		from := inc.Status
		now := s.now()
		if p.Status != nil && *p.Status != inc.Status {
			if *p.Status != next(inc.Status) {
				return problem.New(problem.Conflict, "transition", inc.Status, *p.Status)
			}
			if *p.Status == StatusReviewed && note == "" {
				return problem.Field("note", "required", "incident.review_note")
			}
			inc.Status = *p.Status
			switch inc.Status {
			case StatusResponding:
				inc.RespondingAt = &now
			case StatusRecovered:
				inc.RecoveredAt = &now
			case StatusReviewed:
				inc.ReviewedAt = &now
			}
		}
		if p.OwnerID != nil && *p.OwnerID != inc.OwnerID {
			dept, err := org.OwnerDepartment(tx, "owner_id", *p.OwnerID)
			if err != nil {
				return err
			}
			inc.OwnerID, inc.DepartmentID = *p.OwnerID, dept
			newOwner = inc
		}
		if p.Level != nil {
			inc.Level = *p.Level
		}
		for _, f := range []struct {
			dst *string
			v   *string
		}{{&inc.Kind, p.Kind}, {&inc.Title, p.Title}, {&inc.Description, p.Description}, {&inc.ResponsePlan, p.ResponsePlan}} {
			if f.v != nil {
				*f.dst = *f.v
			}
		}
		after, err := show(tx, inc, false)
		if err != nil {
			return err
		}
		changes, err := audit.Diff(before, after)
		if err != nil {
			return err
		}
		if len(changes) == 0 && note == "" {
			out, err = show(tx, inc, true)
			return err
		}
		old := inc.Version
		inc.Version, inc.UpdatedAt = old+1, now
		if err := store.SaveVersioned(tx, inc, old); err != nil {
			return err
		}
		u := Update{ID: uuid.Must(uuid.NewV7()), IncidentID: inc.ID, Action: "update", FromStatus: from, ToStatus: inc.Status, Note: note, At: now}
		if from != inc.Status {
			u.Action = "status"
		} else {
			u.FromStatus = ""
		}
		if a := tenantctx.ActorFrom(ctx).UserID; a != uuid.Nil {
			u.ActorID = &a
		}
		if err := tx.Create(&u).Error; err != nil {
			return err
		}
		if out, err = show(tx, inc, true); err != nil {
			return err
		}
		action, event := "update", "incident.updated"
		payload := map[string]any{"incident": auditView(out)}
		if note != "" {
			payload["note"] = note
		}
		if u.Action == "status" {
			action, event = "transition", "incident.status_changed"
			payload["from_status"], payload["to_status"] = from, inc.Status
			upd = &u
		}
		if err := audit.Record(ctx, tx, action, "incident", inc.ID.String(), before, auditView(out)); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, event, "incident", inc.ID, payload)
	})
	if err != nil {
		return View{}, err
	}
	if upd != nil {
		s.queueNotice(ctx, id, upd.ID)
	}
	if newOwner != nil {
		s.tellOwner(ctx, newOwner)
	}
	return out, nil
}
