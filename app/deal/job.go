package deal

import (
	"context"

	"github.com/riverqueue/river"

	"github.com/smecrm/crm/app/jobs"
)

// overdueArgs is the daily job that flags overdue receivables in every tenant (EXP-4). It
// compares due dates with the clock, so a missed day is caught up by the next run.
type overdueArgs struct{}

func (overdueArgs) Kind() string { return "deal.mark_overdue" }

type overdueWorker struct {
	river.WorkerDefaults[overdueArgs]
	s *Service
}

func (w *overdueWorker) Work(ctx context.Context, _ *river.Job[overdueArgs]) error {
	_, err := w.s.MarkOverdueAll(ctx)
	return err
}

// MarkOverdueAll runs MarkOverdue for every tenant that is not cancelled, as of the service's
// clock. One tenant's failure does not stop the others; the errors are joined.
func (s *Service) MarkOverdueAll(ctx context.Context) (int, error) {
	return jobs.EachTenant(ctx, s.DB, func(ctx context.Context) (int, error) { return s.MarkOverdue(ctx, s.now()) })
}

func registerOverdueJob(s *Service, q *jobs.Queue) {
	jobs.Register(q, &overdueWorker{s: s})
	q.Daily("deal.mark_overdue", 0, 30, func() river.JobArgs { return overdueArgs{} })
}
