// Package jobs runs durable background work — pool recycling, reminders, SLA timers, imports —
// in the application's own database with River, on SQLite and PostgreSQL alike. Jobs survive
// restarts because they are rows; periodic jobs are scheduled by one elected leader even when
// several servers run.
//
// Jobs that touch tenant data carry the tenant in their arguments and run with it in their
// context (see TenantContext), so the store scopes them like requests.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
)

// Queue is the application's job queue.
type Queue struct {
	db       *store.DB
	log      *slog.Logger
	workers  *river.Workers
	periodic []*river.PeriodicJob
	pool     *pgxpool.Pool
	client   client
	// resume are the run kinds whose queued runs the sweep re-enqueues (ResumeQueued).
	resume map[string]func(context.Context, uuid.UUID, Run)
	// PollInterval is how often idle workers look for due jobs (SQLite has no LISTEN/NOTIFY).
	PollInterval time.Duration
}

// client is the part of river.Client[TTx] the queue uses; the transaction type differs by
// driver, so the two generic instantiations hide behind it.
type client interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// New returns a queue on db. Register workers and periodic jobs, then Start.
func New(db *store.DB, log *slog.Logger) *Queue {
	return &Queue{db: db, log: log, workers: river.NewWorkers(), PollInterval: time.Second}
}

// Register adds a worker for one kind of job.
func Register[T river.JobArgs](q *Queue, w river.Worker[T]) {
	river.AddWorker(q.workers, w)
}

// Every schedules a job every interval (run once at start too).
func (q *Queue) Every(id string, interval time.Duration, args func() river.JobArgs) {
	q.periodic = append(q.periodic, river.NewPeriodicJob(river.PeriodicInterval(interval),
		func() (river.JobArgs, *river.InsertOpts) { return args(), nil },
		&river.PeriodicJobOpts{ID: id, RunOnStart: true}))
}

// Daily schedules a job once a day at hour:minute UTC. Unlike Every it does not run at start,
// and a restart does not postpone it: the schedule follows the clock, not the process.
func (q *Queue) Daily(id string, hour, minute int, args func() river.JobArgs) {
	q.periodic = append(q.periodic, river.NewPeriodicJob(dailyAt{hour, minute},
		func() (river.JobArgs, *river.InsertOpts) { return args(), nil },
		&river.PeriodicJobOpts{ID: id}))
}

// dailyAt is a river.PeriodicSchedule firing every day at a fixed UTC time.
type dailyAt struct{ hour, minute int }

func (d dailyAt) Next(t time.Time) time.Time {
	t = t.UTC()
	next := time.Date(t.Year(), t.Month(), t.Day(), d.hour, d.minute, 0, 0, time.UTC)
	if !next.After(t) {
		next = next.AddDate(0, 0, 1)
	}
	return next
}

// Start builds the River client and starts working. It is safe to call once.
func (q *Queue) Start(ctx context.Context) error {
	cfg := &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}},
		Workers:           q.workers,
		PeriodicJobs:      q.periodic,
		FetchPollInterval: q.PollInterval,
		Logger:            q.log,
		JobTimeout:        10 * time.Minute,
	}
	switch q.db.Dialect {
	case store.SQLite:
		cfg.PollOnly = true
		c, err := river.NewClient(riversqlite.New(q.db.SQL()), cfg)
		if err != nil {
			return err
		}
		q.client = c
	default:
		pool, err := pgxpool.New(ctx, q.db.URL)
		if err != nil {
			return fmt.Errorf("jobs: connect: %w", err)
		}
		q.pool = pool
		c, err := river.NewClient(riverpgxv5.New(pool), cfg)
		if err != nil {
			pool.Close()
			return err
		}
		q.client = c
	}
	return q.client.Start(ctx)
}

// Stop waits for running jobs to finish (until ctx ends) and stops.
func (q *Queue) Stop(ctx context.Context) error {
	if q.client == nil {
		return nil
	}
	err := q.client.Stop(ctx)
	if q.pool != nil {
		q.pool.Close()
	}
	return err
}

// Insert enqueues a job. Callers enqueue after their transaction commits, so a job never
// refers to data that was rolled back.
func (q *Queue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	if q.client == nil {
		return 0, fmt.Errorf("jobs: queue not started")
	}
	res, err := q.client.Insert(ctx, args, opts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

// TenantContext scopes a job's context to its tenant, acting as the system.
func TenantContext(ctx context.Context, tenantID uuid.UUID, actorID uuid.UUID) context.Context {
	ctx = tenantctx.WithTenant(ctx, tenantID)
	return tenantctx.WithActor(ctx, tenantctx.Actor{UserID: actorID, Via: "job"})
}

// Migrate creates or updates River's tables; store.Migrate runs it (as the owner role)
// before granting the app role its privileges.
func Migrate(ctx context.Context, db *store.DB) error {
	switch db.Dialect {
	case store.SQLite:
		m, err := rivermigrate.New(riversqlite.New(db.SQL()), nil)
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	default:
		pool, err := pgxpool.New(ctx, db.URL)
		if err != nil {
			return err
		}
		defer pool.Close()
		m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
		if err != nil {
			return err
		}
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	}
}
