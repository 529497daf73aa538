package incident

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// Notices. When an incident is declared and at each status move, every owner of an affected
// customer is told, once per entry of the timeline (a retried job does not repeat it): in the
// app and, for a level 1 incident, by mail, naming how many of their customers are affected
// and a few of them. The notice is a River job queued once the change commits (many owners
// and mail take time); without a started queue it is given at once.

type noticeArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	IncidentID uuid.UUID `json:"incident_id"`
	UpdateID   uuid.UUID `json:"update_id"`
}

func (noticeArgs) Kind() string { return "incident.notice" }

func (noticeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type noticeWorker struct {
	river.WorkerDefaults[noticeArgs]
	s *Service
}

func (w *noticeWorker) Work(ctx context.Context, job *river.Job[noticeArgs]) error {
	return w.s.NotifyOwners(jobs.TenantContext(ctx, job.Args.TenantID, uuid.Nil), job.Args.IncidentID, job.Args.UpdateID)
}

// RegisterJobs adds the notice job.
func (s *Service) RegisterJobs(q *jobs.Queue) { jobs.Register(q, &noticeWorker{s: s}) }

// queueNotice queues the notice of timeline entry update of incident id, or gives it now.
func (s *Service) queueNotice(ctx context.Context, id, update uuid.UUID) {
	tid, _ := tenantctx.TenantID(ctx)
	ctx = context.WithoutCancel(ctx)
	if s.Jobs != nil {
		if _, err := s.Jobs.Insert(ctx, noticeArgs{TenantID: tid, IncidentID: id, UpdateID: update}, nil); err == nil {
			return
		}
	}
	if err := s.NotifyOwners(jobs.TenantContext(ctx, tid, uuid.Nil), id, update); err != nil && s.Log != nil {
		s.Log.Warn("incident notice incomplete", "incident", id, "err", err)
	}
}

// namesInNotice is how many customer names a notice lists.
const namesInNotice = 5

// NotifyOwners tells each owner of a customer affected by incident id about its timeline
// entry update (the declaration or a status move). Owners who are no longer active get
// nothing. The errors of individual owners are joined after all were tried.
func (s *Service) NotifyOwners(ctx context.Context, id, update uuid.UUID) error {
	if s.Notify == nil {
		return nil
	}
	var inc *Incident
	var u Update
	owners := map[uuid.UUID][]uuid.UUID{}
	var order []uuid.UUID
	names := map[uuid.UUID]string{}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		var err error
		if inc, err = load(tx, id); err != nil {
			return err
		}
		if err := tx.Take(&u, "id = ? AND incident_id = ?", update, id).Error; err != nil {
			return err
		}
		var rows []Affected
		if err := tx.Where("incident_id = ? AND owner_id IS NOT NULL", id).Order("customer_id").Find(&rows).Error; err != nil {
			return err
		}
		var first []uuid.UUID
		for _, r := range rows {
			o := *r.OwnerID
			if _, ok := owners[o]; !ok {
				order = append(order, o)
			}
			owners[o] = append(owners[o], r.CustomerID)
			if len(owners[o]) <= namesInNotice {
				first = append(first, r.CustomerID)
			}
		}
		refs, err := customer.Refs(tx, first)
		for cid, r := range refs {
			names[cid] = r.Name
		}
		return err
	})
	if problem.Is(err, problem.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	iid := inc.ID
	for _, o := range order {
		cs := owners[o]
		var list []string
		for i, c := range cs {
			if i == namesInNotice {
				break
			}
			if n := names[c]; n != "" {
				list = append(list, n)
			}
		}
		shown := strings.Join(list, "、")
		m := notify.Message{Kind: "incident", DedupeKey: "incident:" + u.ID.String(), Entity: "incident", EntityID: &iid,
			Link: "/incidents/" + inc.ID.String(), Email: inc.Level == LevelSerious}
		// notify.incident_open (the declaration), notify.incident_responding, …_recovered,
		// …_reviewed.
		m.Key, m.Args = "incident_"+u.ToStatus, []any{inc.Title, inc.Level, len(cs), shown}
		if _, err := s.Notify.Notify(ctx, o, m); err != nil {
			errs = append(errs, fmt.Errorf("owner %s: %w", o, err))
		}
	}
	return errors.Join(errs...)
}
