package jobs

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/store"
)

// A run is committed first and its River job inserted after the commit, so a process that
// stops in between, or a queue that is down, leaves a queued run without a job. ResumeQueued
// names the kinds of run this can happen to; one periodic sweep gives each such run its job
// again (job uniqueness by run keeps a run from being worked twice).

// ResumeInterval is how often queued runs are checked for a missing job.
const ResumeInterval = 15 * time.Minute

// ResumeQueued makes the sweep enqueue, for every live tenant's runs of kind still queued,
// the job that enqueue inserts (ctx is the tenant's, acting for the run's creator).
func (q *Queue) ResumeQueued(kind string, enqueue func(ctx context.Context, tenant uuid.UUID, run Run)) {
	if q.resume == nil {
		q.resume = map[string]func(context.Context, uuid.UUID, Run){}
		Register(q, &resumeWorker{q: q})
		q.Every("jobs.resume_queued", ResumeInterval, func() river.JobArgs { return resumeArgs{} })
	}
	q.resume[kind] = enqueue
}

type resumeArgs struct{}

func (resumeArgs) Kind() string { return "jobs.resume_queued" }

type resumeWorker struct {
	river.WorkerDefaults[resumeArgs]
	q *Queue
}

func (w *resumeWorker) Work(ctx context.Context, _ *river.Job[resumeArgs]) error {
	return w.q.SweepQueued(ctx, time.Now())
}

// SweepQueued enqueues the jobs of the runs created before the given time that are still
// queued (the sweep's work; tests call it with their own clock).
func (q *Queue) SweepQueued(ctx context.Context, before time.Time) error {
	ids, err := store.LiveTenantIDs(ctx, q.db)
	if err != nil {
		return err
	}
	for _, tid := range ids {
		tctx := TenantContext(ctx, tid, uuid.Nil)
		for kind, enqueue := range q.resume {
			var runs []Run
			if err := q.db.Read(tctx, func(tx *gorm.DB) error {
				runs, err = QueuedRuns(tx, kind, before)
				return err
			}); err != nil {
				return err
			}
			for _, r := range runs {
				actor := uuid.Nil
				if r.CreatedBy != nil {
					actor = *r.CreatedBy
				}
				enqueue(TenantContext(ctx, tid, actor), tid, r)
			}
		}
	}
	return nil
}
