package followup

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/tenants"
)

// Reminders (SAL-2, EXP-7) are River jobs scheduled for the moment they are due, one early
// (Reminders.EarlyMinutes before) and one when the planned follow-up is due, so they
// survive restarts: they are rows in the database. A reminder whose plan was kept (a later
// follow-up closed it) or replaced, or whose customer left its owner, does nothing. Jobs are
// unique by their arguments, so scheduling one twice is harmless.
//
// A follow-up whose reminders fall within the scheduling horizon gets its jobs right after it
// commits. Plans further ahead — most of them: cadences run in weeks — are in follow_ups, and
// the periodic sweep schedules their jobs once they come within the horizon. That keeps two
// job inserts off the write path of nearly every follow-up and keeps River's table to the
// reminders of the coming minutes rather than months of them. The sweep also schedules what a
// crash between a follow-up's commit and its scheduling left out, and catches up, after
// downtime, the "due" reminders of the last catchUp.

// reminderArgs is one reminder job.
type reminderArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	FollowUpID uuid.UUID `json:"follow_up_id"`
	Stage      string    `json:"stage"`
	DueAt      time.Time `json:"due_at"`
}

func (reminderArgs) Kind() string { return "followup.reminder" }

func (reminderArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// scheduleReminders inserts the reminder jobs (times) of a follow-up planned at due. A failure is
// logged, not returned: the follow-up is committed, and the sweep schedules them later.
func (s *Service) scheduleReminders(ctx context.Context, tenant, followUp uuid.UUID, due time.Time, times []ReminderAt) {
	if s.Jobs == nil {
		return
	}
	for _, r := range times {
		args := reminderArgs{TenantID: tenant, FollowUpID: followUp, Stage: r.Stage, DueAt: due.UTC()}
		if _, err := s.Jobs.Insert(context.WithoutCancel(ctx), args, &river.InsertOpts{ScheduledAt: r.At}); err != nil && s.Log != nil {
			s.Log.Warn("follow-up reminder not scheduled; the sweep will retry", "follow_up", followUp, "stage", r.Stage, "err", err)
		}
	}
}

type reminderWorker struct {
	river.WorkerDefaults[reminderArgs]
	s *Service
}

func (w *reminderWorker) Work(ctx context.Context, job *river.Job[reminderArgs]) error {
	return w.s.Remind(jobs.TenantContext(ctx, job.Args.TenantID, uuid.Nil), job.Args.FollowUpID, job.Args.Stage, job.Args.DueAt)
}

// Remind delivers one reminder of a follow-up's plan to the customer's owner: an in-app
// notification and, unless the tenant turned it off, a mail, in the owner's language. It does
// nothing when the plan is no longer open at dueAt or the customer has no owner (pool,
// deleted). Delivering twice notifies once.
func (s *Service) Remind(ctx context.Context, followUpID uuid.UUID, stage string, dueAt time.Time) error {
	var f FollowUp
	var c customer.Customer
	var st tenants.Settings
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&f, "id = ?", followUpID).Error; err != nil {
			return err
		}
		if err := tx.Select("tenant_id", "id", "name", "owner_id", "in_pool", "deleted_at").Take(&c, "id = ?", f.CustomerID).Error; err != nil {
			return err
		}
		var err error
		st, err = settings(ctx, tx)
		return err
	})
	if problem.Is(err, problem.NotFound) {
		return nil // purged with its customer
	}
	if err != nil {
		return err
	}
	if f.DoneAt != nil || f.NextFollowUpAt == nil || !f.NextFollowUpAt.Equal(dueAt) || c.OwnerID == nil || c.InPool || c.DeletedAt != nil {
		return nil
	}
	key := "followup_due"
	if stage == StageEarly {
		key = "followup_early"
	}
	id := c.ID
	_, err = s.Notify.Notify(ctx, *c.OwnerID, notify.Message{Kind: "follow_up_reminder", Key: key,
		Args:      []any{c.Name, dueAt.In(location(st)).Format("2006-01-02 15:04")},
		DedupeKey: "followup:" + f.ID.String() + ":" + stage + ":" + dueAt.UTC().Format(time.RFC3339),
		Entity:    "customer", EntityID: &id, Link: "/customers/" + c.ID.String(), Email: Settings.From(st).ByEmail()})
	return err
}

// sweepArgs is the periodic job that schedules the reminders of plans due soon, in case their
// scheduling failed after the follow-up committed.
type sweepArgs struct{}

func (sweepArgs) Kind() string { return "followup.reminder_sweep" }

type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	s *Service
}

// sweepEvery is how often the sweep runs. scheduleHorizon is how far ahead of the early
// reminder a plan's jobs are scheduled (at log time or by the sweep): two sweeps, so that a
// plan is always scheduled by the sweep before its first reminder. catchUp is how far back
// the sweep still delivers missed "due" reminders.
const (
	sweepEvery      = 10 * time.Minute
	scheduleHorizon = 2 * sweepEvery
	catchUp         = 12 * time.Hour
)

// withinHorizon reports whether a plan due at due must be scheduled now rather than by a
// later sweep.
func withinHorizon(now, due time.Time, early int) bool {
	return !due.After(now.Add(time.Duration(early)*time.Minute + scheduleHorizon))
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[sweepArgs]) error {
	return w.s.SweepReminders(ctx, w.s.now())
}

// SweepReminders schedules, for every active tenant, the reminders of open plans falling due
// around now (already scheduled ones are skipped as duplicates).
func (s *Service) SweepReminders(ctx context.Context, now time.Time) error {
	var ts []tenants.Tenant
	if err := s.DB.Gorm(ctx).Select("id", "status", "settings").Find(&ts).Error; err != nil {
		return err
	}
	var errs []error
	for i := range ts {
		t := &ts[i]
		if !t.Writable() {
			continue
		}
		st := t.Settings.Data()
		early := Settings.From(st).Early()
		tctx := jobs.TenantContext(ctx, t.ID, uuid.Nil)
		var open []FollowUp
		err := s.DB.Read(tctx, func(tx *gorm.DB) error {
			// Plans logged when already overdue (created after their date) get no reminder, as
			// at log time.
			return tx.Select("tenant_id", "id", "next_follow_up_at").
				Where("done_at IS NULL AND next_follow_up_at > ? AND next_follow_up_at <= ? AND created_at <= next_follow_up_at",
					now.Add(-catchUp), now.Add(time.Duration(early)*time.Minute+scheduleHorizon)).
				Limit(10000).Find(&open).Error
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, f := range open {
			s.scheduleReminders(tctx, t.ID, f.ID, *f.NextFollowUpAt, SweepTimes(now, *f.NextFollowUpAt, early))
		}
	}
	return errors.Join(errs...)
}

// RegisterJobs adds the reminder worker and the sweep to the queue.
func (s *Service) RegisterJobs(q *jobs.Queue) {
	jobs.Register(q, &reminderWorker{s: s})
	jobs.Register(q, &sweepWorker{s: s})
	q.Every("followup.reminder_sweep", sweepEvery, func() river.JobArgs { return sweepArgs{} })
}
