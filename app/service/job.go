package service

import (
	"context"
	"time"

	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/jobs"
)

// Carry-over (第11條): work still undispatched when the tenant's day ends goes to the service
// manager first the next day. The job marks every work order registered before the start of
// the tenant's current day (in its time zone) that is still in the register without a
// technician as carried over; the dispatch board lists those first. It runs every hour — a
// day ends at a different UTC hour for each time zone — and marks each work order once, so
// every tenant's work is marked within the hour after its midnight, and a missed run is caught
// up by the next.

type carryOverArgs struct{}

func (carryOverArgs) Kind() string { return "service.carry_over" }

type carryOverWorker struct {
	river.WorkerDefaults[carryOverArgs]
	s *Service
}

func (w *carryOverWorker) Work(ctx context.Context, _ *river.Job[carryOverArgs]) error {
	_, err := w.s.CarryOverAll(ctx)
	return err
}

func registerCarryOverJob(s *Service, q *jobs.Queue) {
	jobs.Register(q, &carryOverWorker{s: s})
	q.Every("service.carry_over", time.Hour, func() river.JobArgs { return carryOverArgs{} })
}

// CarryOverAll runs CarryOver for every tenant that is not cancelled, as of the service's
// clock. One tenant's failure does not stop the others; the errors are joined.
func (s *Service) CarryOverAll(ctx context.Context) (int, error) {
	return jobs.EachTenant(ctx, s.DB, func(ctx context.Context) (int, error) { return s.CarryOver(ctx, s.now()) })
}

// CarryOver marks the context tenant's work orders registered before the start of its day at
// now and still undispatched as carried over, each with its history step, audit entry and
// work_order.carried_over event, and answers how many it marked.
func (s *Service) CarryOver(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		loc, err := tenantLocation(ctx, tx)
		if err != nil {
			return err
		}
		local := now.In(loc)
		dayStart := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc).UTC()
		var ws []WorkOrder
		if err := tx.Where("status = ? AND technician_id IS NULL AND carried_over = ? AND created_at < ?", StatusRegistered, false, dayStart).
			Order("id").Limit(5000).Find(&ws).Error; err != nil {
			return err
		}
		for i := range ws {
			if _, err := s.mutateTx(ctx, tx, &ws[i], 0, "carry_over", "carried_over", func(_ *gorm.DB, w *WorkOrder, _ *step) error {
				w.CarriedOver = true
				return nil
			}); err != nil {
				return err
			}
		}
		n = len(ws)
		return nil
	})
	return n, err
}
