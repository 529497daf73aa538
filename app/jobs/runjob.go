package jobs

import (
	"context"
	"log/slog"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
)

// A run job is the River job that works one Run (an import, say): the run is committed with its
// file first, then its job is inserted; when that insert is lost the queued-run sweep inserts it
// again (ResumeQueued), and uniqueness by run keeps the two from both working it. A worker out
// of retries ends the run as failed rather than leave it running for ever.

// RunKind names a kind of run job: a type whose Kind is the run's kind (Run.Kind).
type RunKind interface{ Kind() string }

// RunArgs are the arguments of a run job of kind K.
type RunArgs[K RunKind] struct {
	TenantID uuid.UUID `json:"tenant_id"`
	RunID    uuid.UUID `json:"run_id" river:"unique"`
	ActorID  uuid.UUID `json:"actor_id"`
}

// Kind is K's kind.
func (RunArgs[K]) Kind() string {
	var k K
	return k.Kind()
}

// InsertOpts: five attempts, one job per run.
func (RunArgs[K]) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Context is the job's tenant context, acting for the run's creator.
func (a RunArgs[K]) Context(ctx context.Context) context.Context {
	return TenantContext(ctx, a.TenantID, a.ActorID)
}

type runWorker[K RunKind] struct {
	river.WorkerDefaults[RunArgs[K]]
	work func(context.Context, RunArgs[K]) error
	fail func(context.Context, RunArgs[K], error)
}

func (w *runWorker[K]) Work(ctx context.Context, job *river.Job[RunArgs[K]]) error {
	err := w.work(ctx, job.Args)
	if err != nil && job.Attempt >= job.MaxAttempts {
		w.fail(job.Args.Context(ctx), job.Args, err)
	}
	return err
}

// RegisterRun adds the worker of run jobs of kind K (work does the run; fail ends it as failed
// after the last attempt) and puts K's queued runs under the sweep.
func RegisterRun[K RunKind](q *Queue, work func(context.Context, RunArgs[K]) error, fail func(context.Context, RunArgs[K], error)) {
	Register(q, &runWorker[K]{work: work, fail: fail})
	var k K
	q.ResumeQueued(k.Kind(), func(ctx context.Context, tenant uuid.UUID, r Run) {
		actor := uuid.Nil
		if r.CreatedBy != nil {
			actor = *r.CreatedBy
		}
		EnqueueRun(ctx, q, RunArgs[K]{TenantID: tenant, RunID: r.ID, ActorID: actor})
	})
}

// EnqueueRun inserts the job of a committed run. Failing that (or with no queue) the run stays
// queued and durable: the sweep enqueues it later.
func EnqueueRun[K RunKind](ctx context.Context, q *Queue, args RunArgs[K]) {
	if q == nil {
		return
	}
	if _, err := q.Insert(ctx, args, nil); err != nil {
		slog.WarnContext(ctx, "run queued; its job will be enqueued by the next sweep", "kind", args.Kind(), "job_id", args.RunID, "err", err)
	}
}
