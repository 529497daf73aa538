package webhook

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/smecrm/crm/app/jobs"
)

// DispatchInterval is how often the dispatch round runs (fan-out of new events, due
// deliveries queued). Retries come due through it too, so a lost attempt job is queued again
// by the next round: deliveries survive restarts as rows, not as in-memory timers.
const DispatchInterval = 5 * time.Second

type dispatchArgs struct{}

func (dispatchArgs) Kind() string { return "webhook.dispatch" }

func (dispatchArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1}
}

type dispatchWorker struct {
	river.WorkerDefaults[dispatchArgs]
	s *Service
}

func (w *dispatchWorker) Work(ctx context.Context, _ *river.Job[dispatchArgs]) error {
	return w.s.DispatchAll(ctx)
}

// attemptArgs name one attempt of one delivery: unique while queued or running, so the same
// attempt is not queued twice however many rounds or servers see it due. A finished job does
// not block a new one (an attempt put off while its endpoint was off is queued again); the
// delivery's own attempt count keeps a finished attempt from being made twice.
type attemptArgs struct {
	TenantID   uuid.UUID `json:"tenant_id"`
	DeliveryID uuid.UUID `json:"delivery_id"`
	Attempt    int       `json:"attempt"`
}

func (attemptArgs) Kind() string { return "webhook.attempt" }

func (attemptArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled}}}
}

type attemptWorker struct {
	river.WorkerDefaults[attemptArgs]
	s *Service
}

// Timeout: the request's own 15 s and the bookkeeping around it.
func (w *attemptWorker) Timeout(*river.Job[attemptArgs]) time.Duration {
	return Timeout + 30*time.Second
}

func (w *attemptWorker) Work(ctx context.Context, job *river.Job[attemptArgs]) error {
	return w.s.Attempt(jobs.TenantContext(ctx, job.Args.TenantID, uuid.Nil), job.Args.DeliveryID, job.Args.Attempt)
}

// RegisterJobs adds the dispatch round and the attempt job.
func (s *Service) RegisterJobs(q *jobs.Queue) {
	jobs.Register(q, &dispatchWorker{s: s})
	jobs.Register(q, &attemptWorker{s: s})
	q.Every("webhook.dispatch", DispatchInterval, func() river.JobArgs { return dispatchArgs{} })
}
