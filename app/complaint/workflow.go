package complaint

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/app/workday"
)

// moves are the statuses each status may move to (waiting_customer goes back to the status
// it paused, see Transition).
var moves = map[string][]string{
	StatusReceived:      {StatusInvestigating, StatusWaitingCustomer, StatusClosed},
	StatusInvestigating: {StatusPlanProposed, StatusWaitingCustomer, StatusClosed},
	StatusPlanProposed:  {StatusApproved, StatusInvestigating, StatusWaitingCustomer, StatusClosed},
	StatusApproved:      {StatusResolving, StatusWaitingCustomer},
	StatusResolving:     {StatusResolved, StatusWaitingCustomer},
	StatusResolved:      {StatusClosed},
}

// TransitionInput is the body of POST /complaints/{id}/transition. Closing before the case
// was resolved needs outcome not_established (不成立).
type TransitionInput struct {
	To      string `json:"to" validate:"required,oneof=investigating plan_proposed approved resolving resolved closed waiting_customer"`
	Comment string `json:"comment" validate:"max=5000"`
	Outcome string `json:"outcome" validate:"omitempty,oneof=not_established"`
}

type transitionInput struct {
	api.ByID
	TransitionInput
}

// pausedFrom is the status a waiting case paused (the last move into waiting_customer).
func pausedFrom(tx *gorm.DB, id uuid.UUID) (string, error) {
	var e Event
	err := tx.Where("complaint_id = ? AND to_status = ?", id, StatusWaitingCustomer).Order("at DESC").Order("id DESC").Take(&e).Error
	return e.FromStatus, err
}

// Transition moves a case one step of its workflow. Fails with not_found, validation_failed
// (input) or conflict (a move not allowed from the current status; approving while a remedy
// awaits its decision or with none approved; closing before resolution without outcome
// not_established) — a refused move changes nothing.
func (s *Service) Transition(ctx context.Context, id uuid.UUID, in TransitionInput) (View, error) {
	if err := problem.CleanText(map[string]*string{"comment": &in.Comment}); err != nil {
		return View{}, err
	}
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.move(ctx, tx, c, in); err != nil {
			return err
		}
		out, err = s.show(ctx, tx, c, true)
		return err
	})
	return out, err
}

// move applies one status move to c in tx with its history, clock, audit and events.
func (s *Service) move(ctx context.Context, tx *gorm.DB, c *Complaint, in TransitionInput) error {
	from := c.Status
	allowed := moves[from]
	if from == StatusWaitingCustomer {
		back, err := pausedFrom(tx, c.ID)
		if err != nil {
			return err
		}
		allowed = []string{back}
	}
	if !slices.Contains(allowed, in.To) {
		return problem.New(problem.Conflict, "transition", from, in.To)
	}
	outcome := ""
	if in.To == StatusClosed {
		switch {
		case from == StatusResolved && in.Outcome == "":
			outcome = OutcomeResolved
		case from != StatusResolved && in.Outcome == OutcomeNotEstablished:
			outcome = OutcomeNotEstablished
		default:
			return problem.New(problem.Conflict, "complaint.close_unresolved")
		}
	} else if in.Outcome != "" {
		return problem.Field("outcome", "invalid", "field.invalid")
	}
	if in.To == StatusApproved {
		if err := planApproved(tx, c.ID); err != nil {
			return err
		}
	}
	return s.apply(ctx, tx, c, in.To, outcome, in.Comment)
}

// planApproved checks that the case's plan can count as approved: no remedy waits for its
// decision and at least one was approved.
func planApproved(tx *gorm.DB, id uuid.UUID) error {
	var pending, approved int64
	if err := tx.Model(&Remedy{}).Where("complaint_id = ? AND status = ?", id, RemedyPending).Count(&pending).Error; err != nil {
		return err
	}
	if err := tx.Model(&Remedy{}).Where("complaint_id = ? AND status IN ?", id, []string{RemedyApproved, RemedyReceived, RemedyPosted}).
		Count(&approved).Error; err != nil {
		return err
	}
	if pending > 0 || approved == 0 {
		return problem.New(problem.Conflict, "complaint.plan_not_approved")
	}
	return nil
}

// apply records c's move to status to (outcome for a close) in tx.
func (s *Service) apply(ctx context.Context, tx *gorm.DB, c *Complaint, to, outcome, comment string) error {
	before, err := s.show(ctx, tx, c, false)
	if err != nil {
		return err
	}
	from := c.Status
	now := s.now()
	c.Status = to
	switch to {
	case StatusWaitingCustomer:
		c.PausedAt = &now
	case StatusResolved:
		c.ResolvedAt = &now
	case StatusClosed:
		c.ClosedAt, c.Outcome = &now, outcome
	}
	if from == StatusWaitingCustomer {
		c.PausedAt = nil
	}
	if err := addEvent(ctx, tx, c, "transition", from, to, comment, now); err != nil {
		return err
	}
	if from == StatusWaitingCustomer || to == StatusWaitingCustomer {
		t, err := tenantOf(ctx, tx)
		if err != nil {
			return err
		}
		opts, _ := optionsOf(t)
		cal, err := workday.Load(ctx, tx)
		if err != nil {
			return err
		}
		if err := s.recompute(ctx, tx, c, cal, opts); err != nil {
			return err
		}
	}
	old := c.Version
	c.Version, c.UpdatedAt = old+1, now
	if err := store.SaveVersioned(tx, c, old); err != nil {
		return err
	}
	after, err := s.show(ctx, tx, c, false)
	if err != nil {
		return err
	}
	if err := audit.Record(ctx, tx, "transition", "complaint", c.ID.String(), before, after); err != nil {
		return err
	}
	payload := map[string]any{"complaint": after, "from_status": from, "to_status": to}
	if err := outbox.Publish(ctx, tx, "complaint.status_changed", "complaint", c.ID, payload); err != nil {
		return err
	}
	if to == StatusClosed {
		return outbox.Publish(ctx, tx, "complaint.closed", "complaint", c.ID, map[string]any{"complaint": after})
	}
	return nil
}

// Reopen opens the case that follows one whose outcome the customer did not accept (第25條.5):
// a new case with the same customer, contact, content and order details, linked by
// reopened_from_id, received now and on a fresh clock; a resolved case is closed with outcome
// not_accepted. Fails with not_found or conflict (the case is not resolved or closed as
// resolved, or was reopened already).
func (s *Service) Reopen(ctx context.Context, id uuid.UUID, in ReopenInput) (View, error) {
	if err := problem.CleanText(map[string]*string{"comment": &in.Comment}); err != nil {
		return View{}, err
	}
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !(c.Status == StatusResolved || (c.Status == StatusClosed && c.Outcome == OutcomeResolved)) {
			return problem.New(problem.Conflict, "complaint.reopen_status")
		}
		var n int64
		if err := tx.Model(&Complaint{}).Where("reopened_from_id = ?", c.ID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return problem.New(problem.Conflict, "complaint.reopened")
		}
		if c.Status == StatusResolved {
			if err := s.apply(ctx, tx, c, StatusClosed, OutcomeNotAccepted, in.Comment); err != nil {
				return err
			}
		}
		content := c.Content
		if in.Comment != "" {
			content = in.Comment + "\n\n" + c.Content
		}
		next, err := s.intake(ctx, tx, Input{CustomerID: c.CustomerID, ContactID: c.ContactID, Channel: c.Channel, Content: content,
			Category: c.Category, OrderID: c.OrderID, OrderNumber: c.OrderNumber, Batch: c.Batch, ShipDate: c.ShipDate,
			DefectiveQuantity: c.DefectiveQuantity, Severity: c.Severity, ResponsibleDepartmentID: c.ResponsibleDepartmentID,
			ResponsibleUserID: c.ResponsibleUserID, RootCause: c.RootCause}, c)
		if err != nil {
			return err
		}
		if err := addEvent(ctx, tx, c, "reopen", "", "", next.Number, s.now()); err != nil {
			return err
		}
		out, err = s.show(ctx, tx, next, true)
		return err
	})
	return out, err
}

// ReopenInput is the body of POST /complaints/{id}/reopen: what the customer did not accept.
type ReopenInput struct {
	Comment string `json:"comment" validate:"max=5000"`
}

type reopenInput struct {
	api.ByID
	ReopenInput
}

// Patch is a PATCH of a case: changed fields only, with the version read.
type Patch struct {
	Version                 int64      `json:"version" validate:"required"`
	ContactID               *uuid.UUID `json:"contact_id"`
	Content                 *string    `json:"content" validate:"omitempty,max=10000"`
	Category                *string    `json:"category" validate:"omitempty,oneof=quality transport handling service other"`
	OrderID                 *uuid.UUID `json:"order_id"`
	OrderNumber             *string    `json:"order_number" validate:"omitempty,max=100"`
	Batch                   *string    `json:"batch" validate:"omitempty,max=100"`
	ShipDate                *string    `json:"ship_date" validate:"omitempty,datetime=2006-01-02"`
	DefectiveQuantity       *int       `json:"defective_quantity" validate:"omitempty,gte=0,lte=100000000"`
	Severity                *string    `json:"severity" validate:"omitempty,oneof=normal severe"`
	ResponsibleDepartmentID *uuid.UUID `json:"responsible_department_id"`
	ResponsibleUserID       *uuid.UUID `json:"responsible_user_id"`
	RootCause               *string    `json:"root_cause" validate:"omitempty,max=5000"`
	HandlerID               *uuid.UUID `json:"handler_id"`
}

type patchInput struct {
	api.ByID
	Patch
}

// Update changes a case's fields. A case made severe reaches the vice president at once.
// Fails with not_found, validation_failed (input, unknown references) or conflict (stale
// version; a closed case).
func (s *Service) Update(ctx context.Context, id uuid.UUID, p Patch) (View, error) {
	if err := problem.CleanText(map[string]*string{"content": p.Content, "order_number": p.OrderNumber, "batch": p.Batch, "root_cause": p.RootCause}); err != nil {
		return View{}, err
	}
	if p.Content != nil && *p.Content == "" {
		return View{}, problem.Field("content", "required", "field.required")
	}
	var out View
	var severe *Complaint
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Version != p.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		if c.Status == StatusClosed {
			return problem.New(problem.Conflict, "complaint.closed")
		}
		before, err := s.show(ctx, tx, c, false)
		if err != nil {
			return err
		}
		wasSevere := c.Severity == SeveritySevere
		for _, f := range []struct {
			dst *string
			v   *string
		}{{&c.Content, p.Content}, {&c.Category, p.Category}, {&c.OrderNumber, p.OrderNumber}, {&c.Batch, p.Batch},
			{&c.Severity, p.Severity}, {&c.RootCause, p.RootCause}} {
			if f.v != nil {
				*f.dst = *f.v
			}
		}
		if p.ContactID != nil {
			c.ContactID = p.ContactID
		}
		if p.OrderID != nil {
			c.OrderID = p.OrderID
		}
		if p.ShipDate != nil {
			c.ShipDate = p.ShipDate
		}
		if p.DefectiveQuantity != nil {
			c.DefectiveQuantity = p.DefectiveQuantity
		}
		if p.ResponsibleUserID != nil {
			c.ResponsibleUserID = p.ResponsibleUserID
			if p.ResponsibleDepartmentID == nil {
				c.ResponsibleDepartmentID = nil // follows the new responsible person
			}
		}
		if p.ResponsibleDepartmentID != nil {
			c.ResponsibleDepartmentID = p.ResponsibleDepartmentID
		}
		if p.HandlerID != nil {
			dept, err := org.OwnerDepartment(tx, "handler_id", *p.HandlerID)
			if err != nil {
				return err
			}
			c.HandlerID, c.DepartmentID = p.HandlerID, dept
		}
		if err := checkRefs(tx, c); err != nil {
			return err
		}
		after, err := s.show(ctx, tx, c, false)
		if err != nil {
			return err
		}
		changes, err := audit.Diff(before, after)
		if err != nil {
			return err
		}
		if len(changes) == 0 {
			out, err = s.show(ctx, tx, c, true)
			return err
		}
		now := s.now()
		old := c.Version
		c.Version, c.UpdatedAt = old+1, now
		if err := store.SaveVersioned(tx, c, old); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, c, "update", "", "", "", now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "update", "complaint", c.ID.String(), before, after); err != nil {
			return err
		}
		if !wasSevere && c.Severity == SeveritySevere {
			cp := *c
			severe = &cp
		}
		out, err = s.show(ctx, tx, c, true)
		return err
	})
	if err == nil && severe != nil {
		tid, _ := tenantctx.TenantID(ctx)
		s.tellVicePresidents(jobs.TenantContext(context.WithoutCancel(ctx), tid, tenantctx.ActorFrom(ctx).UserID), severe)
	}
	return out, err
}

// Filter are the list parameters of GET /complaints. mine=true keeps the cases the actor
// handles or is responsible for; department_id those of a department (handler's or
// responsible); sort=due_at orders by deadline (soonest first), else by intake.
type Filter struct {
	api.ListParams
	Status            string `query:"status" json:"-" validate:"omitempty,oneof=received investigating plan_proposed approved resolving resolved closed waiting_customer open"`
	CustomerID        string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
	ResponsibleUserID string `query:"responsible_user_id" json:"-" validate:"omitempty,uuid"`
	HandlerID         string `query:"handler_id" json:"-" validate:"omitempty,uuid"`
	DepartmentID      string `query:"department_id" json:"-" validate:"omitempty,uuid"`
	Severity          string `query:"severity" json:"-" validate:"omitempty,oneof=normal severe"`
	Mine              string `query:"mine" json:"-" validate:"omitempty,oneof=true false"`
	Sort              string `query:"sort" json:"-" validate:"omitempty,oneof=due_at received_at"`
}

type dueCursor struct {
	Due time.Time `json:"d"`
	ID  uuid.UUID `json:"i"`
}

// List answers a page of the cases the actor sees.
func (s *Service) List(ctx context.Context, f Filter) (api.Page[View], error) {
	var out api.Page[View]
	var after dueCursor
	var afterID uuid.UUID
	var err error
	if f.Sort == "due_at" && f.Cursor != "" {
		if after, err = api.DecodeCursor(f.Cursor, func(c dueCursor) bool { return c.ID != uuid.Nil }); err != nil {
			return out, err
		}
	} else if afterID, err = f.AfterID(); err != nil {
		return out, err
	}
	err = s.DB.Read(ctx, func(tx *gorm.DB) error {
		scope, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return err
		}
		q := scoped(tx, tx.Model(&Complaint{}), scope)
		switch f.Status {
		case "":
		case "open":
			q = q.Where("status <> ?", StatusClosed)
		default:
			q = q.Where("status = ?", f.Status)
		}
		for col, v := range map[string]string{"customer_id": f.CustomerID, "responsible_user_id": f.ResponsibleUserID, "handler_id": f.HandlerID} {
			if v != "" {
				q = q.Where(col+" = ?", uuid.MustParse(v))
			}
		}
		if f.Severity != "" {
			q = q.Where("severity = ?", f.Severity)
		}
		if f.DepartmentID != "" {
			d := uuid.MustParse(f.DepartmentID)
			q = q.Where(tx.Session(&gorm.Session{NewDB: true}).Where("department_id = ?", d).Or("responsible_department_id = ?", d))
		}
		if f.Mine == "true" {
			me := tenantctx.ActorFrom(ctx).UserID
			q = q.Where(tx.Session(&gorm.Session{NewDB: true}).Where("handler_id = ?", me).Or("responsible_user_id = ?", me))
		}
		limit := f.PageSize()
		if f.Sort == "due_at" {
			// Cases without a deadline have none only while new; they sort last.
			q = q.Where("due_at IS NOT NULL")
			if after.ID != uuid.Nil {
				q = q.Where("(due_at > ? OR (due_at = ? AND id > ?))", after.Due, after.Due, after.ID)
			}
			q = q.Order("due_at").Order("id")
		} else {
			if afterID != uuid.Nil {
				q = q.Where("id > ?", afterID)
			}
			q = q.Order("id")
		}
		var cs []Complaint
		if err := q.Limit(limit + 1).Find(&cs).Error; err != nil {
			return err
		}
		more := len(cs) > limit
		if more {
			cs = cs[:limit]
		}
		out.Items = make([]View, len(cs))
		for i := range cs {
			if out.Items[i], err = s.show(ctx, tx, &cs[i], false); err != nil {
				return err
			}
		}
		if more {
			last := cs[len(cs)-1]
			var cur string
			if f.Sort == "due_at" {
				cur = api.EncodeCursor(dueCursor{Due: *last.DueAt, ID: last.ID})
			} else {
				cur = *api.IDPage([]uuid.UUID{last.ID, last.ID}, 1, func(id uuid.UUID) uuid.UUID { return id }).NextCursor
			}
			out.NextCursor = &cur
		}
		return nil
	})
	return out, err
}
