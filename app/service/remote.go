package service

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/followup"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
)

// Remote (off-site) service 異地服務 (第12條): the technician applies with destination, dates,
// purpose and the estimated travel costs and allowance; a department manager (whoever may
// approve work orders, workorder:approve, other than the applicant) approves or rejects it.
// A work order with an application cannot start before one is approved. The actual travel
// costs are recorded with the service records (kinds travel, allowance, accommodation) and so
// go into the work order's service cost; an application shows them beside its estimate.

// Remote application statuses.
const (
	RemotePending  = "pending"
	RemoteApproved = "approved"
	RemoteRejected = "rejected"
)

// RemoteApplication is the stored application.
type RemoteApplication struct {
	TenantID       uuid.UUID `gorm:"primaryKey"`
	ID             uuid.UUID `gorm:"primaryKey"`
	WorkOrderID    uuid.UUID
	ApplicantID    uuid.UUID
	DepartmentID   *uuid.UUID
	Destination    string
	FromDate       datatypes.Date
	ToDate         datatypes.Date
	Purpose        string
	EstimatedCosts datatypes.JSONType[[]CostLine]
	Status         string
	DecidedBy      *uuid.UUID
	DecidedAt      *time.Time
	Comment        string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// CostLine is an estimated cost of an application.
type CostLine struct {
	Kind   string      `json:"kind" validate:"required,oneof=labour parts travel allowance accommodation other"`
	Amount money.Money `json:"amount"`
}

// RemoteInput is the body of POST /work-orders/{id}/remote-applications.
type RemoteInput struct {
	Destination    string     `json:"destination" validate:"required,max=200"`
	From           string     `json:"from" validate:"required,datetime=2006-01-02"`
	To             string     `json:"to" validate:"required,datetime=2006-01-02"`
	Purpose        string     `json:"purpose" validate:"required,max=2000"`
	EstimatedCosts []CostLine `json:"estimated_costs" validate:"max=20,dive"`
}

// RemoteView is an application as the API shows it; actual_travel_cost is the travel cost
// recorded on its work order so far.
type RemoteView struct {
	ID               uuid.UUID     `json:"id"`
	WorkOrderID      uuid.UUID     `json:"work_order_id"`
	ApplicantID      uuid.UUID     `json:"applicant_id"`
	DepartmentID     *uuid.UUID    `json:"department_id"`
	Destination      string        `json:"destination"`
	From             string        `json:"from"`
	To               string        `json:"to"`
	Purpose          string        `json:"purpose"`
	EstimatedCosts   []CostLine    `json:"estimated_costs"`
	EstimatedTotal   []money.Money `json:"estimated_total"`
	ActualTravelCost []money.Money `json:"actual_travel_cost"`
	Status           string        `json:"status"`
	DecidedBy        *uuid.UUID    `json:"decided_by"`
	DecidedAt        *time.Time    `json:"decided_at"`
	Comment          string        `json:"comment"`
	CreatedAt        time.Time     `json:"created_at"`
	UpdatedAt        time.Time     `json:"updated_at"`
	Version          int64         `json:"version"`
}

func remoteView(a *RemoteApplication, costs []Cost) RemoteView {
	est := a.EstimatedCosts.Data()
	if est == nil {
		est = []CostLine{}
	}
	lines := make([]Cost, len(est))
	for i, c := range est {
		lines[i] = Cost{Kind: c.Kind, Amount: c.Amount.Amount, Currency: c.Amount.Currency}
	}
	return RemoteView{ID: a.ID, WorkOrderID: a.WorkOrderID, ApplicantID: a.ApplicantID, DepartmentID: a.DepartmentID,
		Destination: a.Destination, From: time.Time(a.FromDate).Format(time.DateOnly), To: time.Time(a.ToDate).Format(time.DateOnly),
		Purpose: a.Purpose, EstimatedCosts: est, EstimatedTotal: totals(lines, func(Cost) bool { return true }),
		ActualTravelCost: totals(costs, func(c Cost) bool { return travelCost(c.Kind) }), Status: a.Status, DecidedBy: a.DecidedBy,
		DecidedAt: utc(a.DecidedAt), Comment: a.Comment, CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(), Version: a.Version}
}

// applicable are the statuses in which remote service is applied for: before the work starts
// or while it is held.
var applicable = []string{StatusDispatched, StatusAccepted, StatusOnHold}

// ApplyRemote files a remote-service application for a work order; from then on the work
// order is remote and starts only once an application is approved. Fails with
// validation_failed, forbidden (not the technician or a manager) or conflict (the work has
// started or is done, or an application is already pending).
func (s *Service) ApplyRemote(ctx context.Context, id uuid.UUID, in RemoteInput) (RemoteView, error) {
	if err := problem.CleanText(map[string]*string{"destination": &in.Destination, "purpose": &in.Purpose}); err != nil {
		return RemoteView{}, err
	}
	for name, v := range map[string]string{"destination": in.Destination, "purpose": in.Purpose} {
		if v == "" {
			return RemoteView{}, problem.Field(name, "required", "field.required")
		}
	}
	from, err := opportunity.ParseDate("from", &in.From)
	if err != nil {
		return RemoteView{}, err
	}
	to, err := opportunity.ParseDate("to", &in.To)
	if err != nil {
		return RemoteView{}, err
	}
	if time.Time(*to).Before(time.Time(*from)) {
		return RemoteView{}, problem.Field("to", "invalid", "field.dates_order")
	}
	for i, c := range in.EstimatedCosts {
		if err := money.Check(fmt.Sprintf("estimated_costs[%d].amount", i), c.Amount, false); err != nil {
			return RemoteView{}, err
		}
	}
	if in.EstimatedCosts == nil {
		in.EstimatedCosts = []CostLine{}
	}
	now := s.now()
	actor := tenantctx.ActorFrom(ctx).UserID
	var out RemoteView
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		w, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.mayWork(ctx, w); err != nil {
			return err
		}
		if !slices.Contains(applicable, w.Status) {
			return problem.New(problem.Conflict, "service.remote_status")
		}
		var pending int64
		if err := tx.Model(&RemoteApplication{}).Where("work_order_id = ? AND status = ?", w.ID, RemotePending).Count(&pending).Error; err != nil {
			return err
		}
		if pending > 0 {
			return problem.New(problem.Conflict, "service.remote_pending")
		}
		dept, err := org.OwnerDepartment(tx, "applicant_id", actor)
		if err != nil {
			return err
		}
		a := RemoteApplication{ID: uuid.Must(uuid.NewV7()), WorkOrderID: w.ID, ApplicantID: actor, DepartmentID: dept,
			Destination: in.Destination, FromDate: *from, ToDate: *to, Purpose: in.Purpose,
			EstimatedCosts: datatypes.NewJSONType(in.EstimatedCosts), Status: RemotePending, CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := tx.Create(&a).Error; err != nil {
			return err
		}
		costs, err := costsOf(tx, []uuid.UUID{w.ID})
		if err != nil {
			return err
		}
		out = remoteView(&a, costs[w.ID])
		if _, err := s.mutateTx(ctx, tx, w, 0, "remote_apply", "remote_applied", func(_ *gorm.DB, w *WorkOrder, st *step) error {
			w.Remote = true
			st.event = map[string]any{"remote_application": out}
			return nil
		}); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "create", "remote_application", a.ID.String(), nil, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "remote_application.submitted", "remote_application", a.ID, map[string]any{"remote_application": out})
	})
	return out, err
}

// loadRemote reads an application whose work order the actor sees, with that work order.
func (s *Service) loadRemote(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*RemoteApplication, *WorkOrder, error) {
	var a RemoteApplication
	err := tx.Take(&a, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, problem.NotFoundf("entity.remote_application")
	}
	if err != nil {
		return nil, nil, err
	}
	w, err := s.load(ctx, tx, a.WorkOrderID)
	if problem.Is(err, problem.NotFound) {
		return nil, nil, problem.NotFoundf("entity.remote_application")
	}
	return &a, w, err
}

// GetRemote returns one application.
func (s *Service) GetRemote(ctx context.Context, id uuid.UUID) (RemoteView, error) {
	var out RemoteView
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		a, w, err := s.loadRemote(ctx, tx, id)
		if err != nil {
			return err
		}
		costs, err := costsOf(tx, []uuid.UUID{w.ID})
		out = remoteView(a, costs[w.ID])
		return err
	})
	return out, err
}

// RemoteOf lists a work order's applications, oldest first.
func (s *Service) RemoteOf(ctx context.Context, id uuid.UUID) (Items[RemoteView], error) {
	out := Items[RemoteView]{Items: []RemoteView{}}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		w, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		var as []RemoteApplication
		if err := tx.Where("work_order_id = ?", w.ID).Order("id").Limit(maxItems).Find(&as).Error; err != nil {
			return err
		}
		costs, err := costsOf(tx, []uuid.UUID{w.ID})
		if err != nil {
			return err
		}
		for i := range as {
			out.Items = append(out.Items, remoteView(&as[i], costs[w.ID]))
		}
		return nil
	})
	return out, err
}

// DecisionInput is the body of approve and reject.
type DecisionInput struct {
	Version int64  `json:"version" validate:"gte=0"`
	Comment string `json:"comment" validate:"max=2000"`
}

// Decide approves or rejects a pending application (a rejection needs a comment). Nobody
// decides their own application (forbidden). Fails with conflict when it is not pending.
func (s *Service) Decide(ctx context.Context, id uuid.UUID, in DecisionInput, approve bool) (RemoteView, error) {
	if err := problem.CleanText(map[string]*string{"comment": &in.Comment}); err != nil {
		return RemoteView{}, err
	}
	if !approve && in.Comment == "" {
		return RemoteView{}, problem.Field("comment", "required", "field.required")
	}
	to, action := RemoteApproved, "remote_approve"
	if !approve {
		to, action = RemoteRejected, "remote_reject"
	}
	var out RemoteView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		a, w, err := s.loadRemote(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.Version != 0 && a.Version != in.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		actor := tenantctx.ActorFrom(ctx).UserID
		if a.ApplicantID == actor {
			return problem.New(problem.Forbidden, "service.approve_own")
		}
		if a.Status != RemotePending {
			return problem.New(problem.Conflict, "transition", a.Status, to)
		}
		if approve && !slices.Contains(applicable, w.Status) {
			return problem.New(problem.Conflict, "service.remote_status") // the work is done or cancelled
		}
		costs, err := costsOf(tx, []uuid.UUID{w.ID})
		if err != nil {
			return err
		}
		before := remoteView(a, costs[w.ID])
		now := s.now()
		old := a.Version
		a.Status, a.DecidedBy, a.DecidedAt, a.Comment = to, &actor, &now, in.Comment
		a.Version, a.UpdatedAt = old+1, now
		if err := store.SaveVersioned(tx, a, old); err != nil {
			return err
		}
		out = remoteView(a, costs[w.ID])
		if _, err := s.mutateTx(ctx, tx, w, 0, action, "remote_"+to, func(_ *gorm.DB, _ *WorkOrder, st *step) error {
			st.reason, st.event = in.Comment, map[string]any{"remote_application": out}
			return nil
		}); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, action[len("remote_"):], "remote_application", a.ID.String(), before, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "remote_application."+to, "remote_application", a.ID, map[string]any{"remote_application": out})
	})
	return out, err
}

// Approvals lists, for the acting user's task list, the remote-service applications waiting
// for their decision: pending, of work orders they see, not their own — exactly those Decide
// would let them decide. Oldest first, at most limit; none without workorder:approve.
func (s *Service) Approvals(ctx context.Context, tx *gorm.DB, limit int) ([]followup.Approval, error) {
	out := []followup.Approval{}
	ok, err := s.Authz.Allowed(ctx, "workorder", "approve")
	if err != nil || !ok {
		return out, err
	}
	scope, err := s.Authz.ScopeFilter(ctx, tx)
	if err != nil {
		return nil, err
	}
	actor := tenantctx.ActorFrom(ctx).UserID
	var as []RemoteApplication
	if err := tx.Where("status = ? AND applicant_id <> ?", RemotePending, actor).Order("id").Limit(500).Find(&as).Error; err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(as))
	for i, a := range as {
		ids[i] = a.WorkOrderID
	}
	var ws []WorkOrder
	if err := tx.Where("id IN ?", ids).Find(&ws).Error; err != nil {
		return nil, err
	}
	byID := map[uuid.UUID]*WorkOrder{}
	for i := range ws {
		byID[ws[i].ID] = &ws[i]
	}
	for _, a := range as {
		w := byID[a.WorkOrderID]
		if w == nil || !sees(scope, w) {
			continue
		}
		out = append(out, followup.Approval{ID: a.ID, Entity: "remote_application", Title: w.Number + " " + a.Destination})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}
