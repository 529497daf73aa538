package customer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/tenantctx"
)

// poolRecycleArgs is the hourly job that applies every tenant's pool rules (NFR-3: it is a
// River job, so a restart loses no run; a missed hour is caught up by the next, because the
// rules compare dates, not run times).
type poolRecycleArgs struct{}

func (poolRecycleArgs) Kind() string { return "customer.pool_recycle" }

type poolRecycleWorker struct {
	river.WorkerDefaults[poolRecycleArgs]
	s *Service
}

func (w *poolRecycleWorker) Work(ctx context.Context, _ *river.Job[poolRecycleArgs]) error {
	return eachTenantJoined(ctx, w.s, func(ctx context.Context) error {
		_, err := w.s.RecycleIdleCustomers(ctx, w.s.now())
		return err
	})
}

// eachTenantJoined runs fn for every tenant like forEachTenant, but one tenant's failure does
// not stop the others: the errors are joined, naming their tenants, and the job retries.
func eachTenantJoined(ctx context.Context, s *Service, fn func(ctx context.Context) error) error {
	var errs []error
	err := forEachTenant(ctx, s, func(ctx context.Context) error {
		if err := fn(ctx); err != nil {
			tid, _ := tenantctx.TenantID(ctx)
			errs = append(errs, fmt.Errorf("tenant %s: %w", tid, err))
		}
		return nil
	})
	return errors.Join(append(errs, err)...)
}

func (s *Service) poolJobs(q *jobs.Queue) {
	jobs.Register(q, &poolRecycleWorker{s: s})
	q.Every("customer.pool_recycle", time.Hour, func() river.JobArgs { return poolRecycleArgs{} })
}
