package service

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// move is one step of the state machine: the statuses it starts from and where it leads.
type move struct {
	from []string
	to   string
}

// moves is the work order's state machine. Dispatch also reassigns (a dispatched, accepted
// or held work order goes to another technician, who accepts it anew); a decline returns the
// work to the register and the pool; paid work is invoiced between sign-off and closing.
var moves = map[string]move{
	"dispatch": {[]string{StatusRegistered, StatusDispatched, StatusAccepted, StatusOnHold}, StatusDispatched},
	"claim":    {[]string{StatusRegistered}, StatusAccepted},
	"accept":   {[]string{StatusDispatched}, StatusAccepted},
	"decline":  {[]string{StatusDispatched, StatusAccepted}, StatusRegistered},
	"start":    {[]string{StatusAccepted, StatusOnHold}, StatusInProgress},
	"hold":     {[]string{StatusInProgress}, StatusOnHold},
	"complete": {[]string{StatusInProgress}, StatusCompleted},
	"sign_off": {[]string{StatusCompleted}, StatusSignedOff},
	"invoice":  {[]string{StatusSignedOff}, StatusInvoiced},
	"close":    {[]string{StatusSignedOff, StatusInvoiced}, StatusClosed},
	"cancel":   {[]string{StatusRegistered, StatusDispatched, StatusAccepted, StatusInProgress, StatusOnHold}, StatusCancelled},
}

// transition moves w by action, or fails with conflict when action is not allowed from w's
// status.
func transition(w *WorkOrder, action string) error {
	m := moves[action]
	if !slices.Contains(m.from, w.Status) {
		return problem.New(problem.Conflict, "transition", w.Status, m.to)
	}
	w.Status = m.to
	return nil
}

// step is what a change records beyond the work order itself: the reason in its history and
// extra members of its event.
type step struct {
	reason string
	event  map[string]any
}

// mutate loads a visible work order, checks its version (0: no check), applies change, saves
// it, and writes the history step, the audit entry and the event work_order.<event> — the
// path of every change after registration.
func (s *Service) mutate(ctx context.Context, id uuid.UUID, version int64, action, event string,
	change func(tx *gorm.DB, w *WorkOrder, st *step) error) (View, error) {
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		w, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = s.mutateTx(ctx, tx, w, version, action, event, change)
		return err
	})
	return out, err
}

// mutateTx is mutate's work on a loaded work order inside tx.
func (s *Service) mutateTx(ctx context.Context, tx *gorm.DB, w *WorkOrder, version int64, action, event string,
	change func(tx *gorm.DB, w *WorkOrder, st *step) error) (View, error) {
	if version != 0 && w.Version != version {
		return View{}, problem.New(problem.Conflict, "version_conflict")
	}
	before, err := show(tx, w)
	if err != nil {
		return View{}, err
	}
	from := w.Status
	st := &step{}
	if err := change(tx, w, st); err != nil {
		return View{}, err
	}
	now := s.now()
	old := w.Version
	w.Version, w.UpdatedAt = old+1, now
	if err := store.SaveVersioned(tx, w, old); err != nil {
		return View{}, err
	}
	out, err := show(tx, w)
	if err != nil {
		return View{}, err
	}
	if err := addHistory(ctx, tx, w, action, from, st.reason, now); err != nil {
		return View{}, err
	}
	if err := audit.Record(ctx, tx, action, "work_order", w.ID.String(), before, out); err != nil {
		return View{}, err
	}
	payload := map[string]any{"work_order": out}
	if st.reason != "" {
		payload["reason"] = st.reason
	}
	for k, v := range st.event {
		payload[k] = v
	}
	if err := outbox.Publish(ctx, tx, "work_order."+event, "work_order", w.ID, payload); err != nil {
		return View{}, err
	}
	for _, fn := range s.OnEvent {
		if err := fn(ctx, tx, "work_order."+event, out); err != nil {
			return View{}, err
		}
	}
	return out, nil
}

// mayWork fails with forbidden unless the actor is w's technician or may dispatch work
// (workorder:assign, the service manager): the technician's own steps.
func (s *Service) mayWork(ctx context.Context, w *WorkOrder) error {
	actor := tenantctx.ActorFrom(ctx).UserID
	if w.TechnicianID != nil && *w.TechnicianID == actor {
		return nil
	}
	ok, err := s.Authz.Allowed(ctx, "workorder", "assign")
	if err != nil {
		return err
	}
	if !ok {
		return problem.New(problem.Forbidden, "service.not_assigned")
	}
	return nil
}

// eligibleTechnician answers the department of user id when they may carry out work orders:
// an active user of the tenant whose roles grant workorder:update (service technicians by
// default; the owner may grant it to other roles). Anyone else is validation_failed on field.
func (s *Service) eligibleTechnician(ctx context.Context, tx *gorm.DB, field string, id uuid.UUID) (*uuid.UUID, error) {
	dept, err := org.OwnerDepartment(tx, field, id)
	if err != nil {
		return nil, err
	}
	roles, err := s.Authz.UserRoles(ctx, id)
	if err != nil {
		return nil, err
	}
	perms, err := s.Authz.Effective(ctx, roles)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(perms, policies.Perm{Object: "workorder", Action: "update"}) {
		return nil, problem.Field(field, "invalid", "service.not_technician")
	}
	return dept, nil
}

// VersionInput is the optional version of a state move's body (0 or absent: no check).
type VersionInput struct {
	Version int64 `json:"version" validate:"gte=0"`
}

// ReasonInput is the body of decline, hold and cancel.
type ReasonInput struct {
	Version int64  `json:"version" validate:"gte=0"`
	Reason  string `json:"reason" validate:"required,max=1000"`
}

func (in *ReasonInput) check() error {
	if err := problem.CleanText(map[string]*string{"reason": &in.Reason}); err != nil {
		return err
	}
	if in.Reason == "" {
		return problem.Field("reason", "required", "field.required")
	}
	return nil
}

// DispatchInput is the body of POST /work-orders/{id}/dispatch.
type DispatchInput struct {
	Version      int64     `json:"version" validate:"gte=0"`
	TechnicianID uuid.UUID `json:"technician_id" validate:"required"`
}

// Dispatch assigns a work order to a technician (第7條: the department manager dispatches),
// from the register or the pool, or reassigns it before the work starts or while it is on
// hold; the technician then accepts or declines. Fails with validation_failed (not an active
// user who may carry out work orders) or conflict.
func (s *Service) Dispatch(ctx context.Context, id uuid.UUID, in DispatchInput) (View, error) {
	v, err := s.mutate(ctx, id, in.Version, "dispatch", "dispatched", func(tx *gorm.DB, w *WorkOrder, st *step) error {
		if err := transition(w, "dispatch"); err != nil {
			return err
		}
		dept, err := s.eligibleTechnician(ctx, tx, "technician_id", in.TechnicianID)
		if err != nil {
			return err
		}
		if w.TechnicianID != nil && *w.TechnicianID != in.TechnicianID {
			st.event = map[string]any{"previous_technician_id": *w.TechnicianID}
		}
		tech := in.TechnicianID
		w.TechnicianID, w.DepartmentID, w.StatusReason = &tech, dept, ""
		return nil
	})
	if err == nil {
		s.tellTechnician(ctx, v)
	}
	return v, err
}

// tellTechnician notifies the technician of work dispatched to them, in the app and by mail,
// once per dispatch. The dispatch has committed: a failure to notify is logged, not returned.
func (s *Service) tellTechnician(ctx context.Context, v View) {
	if s.Notify == nil || v.TechnicianID == nil {
		return
	}
	id := v.ID
	_, err := s.Notify.Notify(ctx, *v.TechnicianID, notify.Message{Kind: "work_order_dispatched", Key: "work_order_dispatched",
		Args: []any{v.Number, v.Model, v.Fault}, DedupeKey: fmt.Sprintf("dispatch:%s:%d", v.ID, v.Version),
		Entity: "work_order", EntityID: &id, Link: "/work-orders/" + v.ID.String(), Email: true})
	if err != nil && s.Log != nil {
		s.Log.WarnContext(ctx, "work order dispatched, technician not notified", "work_order", v.ID, "err", err)
	}
}

// Claim takes a work order from the shared pool: the acting technician becomes its
// technician and it is accepted at once. Fails with conflict when it is not in the pool, or
// validation_failed when the actor may not carry out work orders.
func (s *Service) Claim(ctx context.Context, id uuid.UUID, in VersionInput) (View, error) {
	return s.mutate(ctx, id, in.Version, "claim", "claimed", func(tx *gorm.DB, w *WorkOrder, _ *step) error {
		if !w.pooled() {
			return problem.New(problem.Conflict, "service.not_pooled")
		}
		actor := tenantctx.ActorFrom(ctx).UserID
		dept, err := s.eligibleTechnician(ctx, tx, "technician_id", actor)
		if err != nil {
			return err
		}
		if err := transition(w, "claim"); err != nil {
			return err
		}
		w.TechnicianID, w.DepartmentID, w.StatusReason = &actor, dept, ""
		return nil
	})
}

// Accept is the technician's acceptance of dispatched work.
func (s *Service) Accept(ctx context.Context, id uuid.UUID, in VersionInput) (View, error) {
	return s.mutate(ctx, id, in.Version, "accept", "accepted", func(tx *gorm.DB, w *WorkOrder, _ *step) error {
		if err := s.mayWork(ctx, w); err != nil {
			return err
		}
		return transition(w, "accept")
	})
}

// Decline returns dispatched or accepted work to the register (and the pool), with the
// technician's reason.
func (s *Service) Decline(ctx context.Context, id uuid.UUID, in ReasonInput) (View, error) {
	if err := in.check(); err != nil {
		return View{}, err
	}
	return s.mutate(ctx, id, in.Version, "decline", "declined", func(tx *gorm.DB, w *WorkOrder, st *step) error {
		if err := s.mayWork(ctx, w); err != nil {
			return err
		}
		if err := transition(w, "decline"); err != nil {
			return err
		}
		st.reason, st.event = in.Reason, map[string]any{"technician_id": w.TechnicianID}
		w.TechnicianID, w.DepartmentID, w.StatusReason = nil, nil, in.Reason
		return nil
	})
}

// Start begins (or resumes) the work. Remote work starts only once a remote-service
// application for it is approved (第12條); otherwise conflict.
func (s *Service) Start(ctx context.Context, id uuid.UUID, in VersionInput) (View, error) {
	return s.mutate(ctx, id, in.Version, "start", "started", func(tx *gorm.DB, w *WorkOrder, _ *step) error {
		if err := s.mayWork(ctx, w); err != nil {
			return err
		}
		if err := transition(w, "start"); err != nil {
			return err
		}
		if w.Remote {
			var n int64
			if err := tx.Model(&RemoteApplication{}).Where("work_order_id = ? AND status = ?", w.ID, RemoteApproved).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return problem.New(problem.Conflict, "service.remote_not_approved")
			}
		}
		w.StatusReason = ""
		return nil
	})
}

// Hold pauses work in progress, with a reason (parts awaited, customer absent, …).
func (s *Service) Hold(ctx context.Context, id uuid.UUID, in ReasonInput) (View, error) {
	if err := in.check(); err != nil {
		return View{}, err
	}
	return s.mutate(ctx, id, in.Version, "hold", "held", func(tx *gorm.DB, w *WorkOrder, st *step) error {
		if err := s.mayWork(ctx, w); err != nil {
			return err
		}
		if err := transition(w, "hold"); err != nil {
			return err
		}
		st.reason, w.StatusReason = in.Reason, in.Reason
		return nil
	})
}

// Complete ends the work (event work_order.completed, PLG-3). It needs at least one service
// record (第10條: the technician writes down time and content); otherwise conflict.
func (s *Service) Complete(ctx context.Context, id uuid.UUID, in VersionInput) (View, error) {
	return s.mutate(ctx, id, in.Version, "complete", "completed", func(tx *gorm.DB, w *WorkOrder, _ *step) error {
		if err := s.mayWork(ctx, w); err != nil {
			return err
		}
		if err := transition(w, "complete"); err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&Record{}).Where("work_order_id = ?", w.ID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return problem.New(problem.Conflict, "service.no_record")
		}
		now := s.now()
		w.CompletedAt = &now
		return nil
	})
}

// Countersign is the service manager's check of the technician's records (核簽, 第10條), once
// the work is completed; records are closed from then on. Nobody countersigns work they did
// themselves (forbidden).
func (s *Service) Countersign(ctx context.Context, id uuid.UUID, in VersionInput) (View, error) {
	return s.mutate(ctx, id, in.Version, "countersign", "countersigned", func(tx *gorm.DB, w *WorkOrder, _ *step) error {
		actor := tenantctx.ActorFrom(ctx).UserID
		if w.TechnicianID != nil && *w.TechnicianID == actor {
			return problem.New(problem.Forbidden, "service.countersign_own")
		}
		if !slices.Contains([]string{StatusCompleted, StatusSignedOff, StatusInvoiced}, w.Status) {
			return problem.New(problem.Conflict, "service.countersign_status")
		}
		if w.CountersignedAt != nil {
			return problem.New(problem.Conflict, "service.countersigned")
		}
		now := s.now()
		w.CountersignedBy, w.CountersignedAt = &actor, &now
		return nil
	})
}

// Close files a signed-off work order (paid work: once invoiced) whose records the service
// manager countersigned. Fails with conflict otherwise.
func (s *Service) Close(ctx context.Context, id uuid.UUID, in VersionInput) (View, error) {
	return s.mutate(ctx, id, in.Version, "close", "closed", func(tx *gorm.DB, w *WorkOrder, _ *step) error {
		if w.Type == TypePaid && w.Status == StatusSignedOff {
			return problem.New(problem.Conflict, "service.not_invoiced")
		}
		if err := transition(w, "close"); err != nil {
			return err
		}
		if w.CountersignedAt == nil {
			return problem.New(problem.Conflict, "service.not_countersigned")
		}
		now := s.now()
		w.ClosedAt = &now
		return nil
	})
}

// Cancel drops a work order before it is completed, with a reason. A technician without
// dispatching rights declines instead (forbidden).
func (s *Service) Cancel(ctx context.Context, id uuid.UUID, in ReasonInput) (View, error) {
	if err := in.check(); err != nil {
		return View{}, err
	}
	return s.mutate(ctx, id, in.Version, "cancel", "cancelled", func(tx *gorm.DB, w *WorkOrder, st *step) error {
		actor := tenantctx.ActorFrom(ctx).UserID
		if w.TechnicianID != nil && *w.TechnicianID == actor {
			ok, err := s.Authz.Allowed(ctx, "workorder", "assign")
			if err != nil {
				return err
			}
			if !ok {
				return problem.New(problem.Forbidden, "service.cancel_technician")
			}
		}
		if err := transition(w, "cancel"); err != nil {
			return err
		}
		st.reason, w.StatusReason = in.Reason, in.Reason
		return nil
	})
}

// HistoryOf lists a work order's steps, oldest first.
func (s *Service) HistoryOf(ctx context.Context, id uuid.UUID) (Items[HistoryView], error) {
	out := Items[HistoryView]{Items: []HistoryView{}}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if _, err := s.load(ctx, tx, id); err != nil {
			return err
		}
		var hs []History
		if err := tx.Where("work_order_id = ?", id).Order("id").Limit(maxItems).Find(&hs).Error; err != nil {
			return err
		}
		for i := range hs {
			out.Items = append(out.Items, historyView(&hs[i]))
		}
		return nil
	})
	return out, err
}

// Items is a list that belongs to one work order, answered whole (at most maxItems).
type Items[T any] struct {
	Items []T `json:"items"`
}

const maxItems = 500
