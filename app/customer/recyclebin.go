package customer

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/jobs"
)

// purgeArgs is the periodic job that empties recycle bins of customers deleted more than
// RecycleBinDays ago, tenant by tenant.
type purgeArgs struct{}

func (purgeArgs) Kind() string { return "customer.purge_recycle_bin" }

type purgeWorker struct {
	river.WorkerDefaults[purgeArgs]
	s *Service
}

func (w *purgeWorker) Work(ctx context.Context, _ *river.Job[purgeArgs]) error {
	return forEachTenant(ctx, w.s, func(ctx context.Context) error {
		_, err := w.s.PurgeRecycleBin(ctx, w.s.now())
		return err
	})
}

// forEachTenant runs fn in every tenant's scope, one after the other (jobs.EachTenant).
func forEachTenant(ctx context.Context, s *Service, fn func(ctx context.Context) error) error {
	_, err := jobs.EachTenant(ctx, s.DB, func(ctx context.Context) (int, error) { return 0, fn(ctx) })
	return err
}

func (s *Service) recycleBinJobs(q *jobs.Queue) {
	jobs.Register(q, &purgeWorker{s: s})
	q.Every("customer.purge_recycle_bin", 6*time.Hour, func() river.JobArgs { return purgeArgs{} })
}

// CountLive counts the live customers (not in the recycle bin) of tx's tenant: the platform
// admins' tenant list shows it.
func CountLive(tx *gorm.DB) (int64, error) {
	var n int64
	err := tx.Model(&Customer{}).Where("deleted_at IS NULL").Count(&n).Error
	return n, err
}
