package risk

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/problem"
)

// dailyArgs is the daily risk evaluation of every tenant (RSK-2): warnings raised and
// resolved against the day's figures, owners told, reviews put on task lists. It compares
// with the clock and the stored warnings, so a missed day is caught up and a re-run (a
// restart, a retry) raises nothing twice.
type dailyArgs struct{}

func (dailyArgs) Kind() string { return "risk.daily" }

type dailyWorker struct {
	river.WorkerDefaults[dailyArgs]
	s *Service
}

func (w *dailyWorker) Work(ctx context.Context, _ *river.Job[dailyArgs]) error {
	_, err := w.s.EvaluateAll(ctx)
	return err
}

// RegisterJobs adds the daily evaluation (after the sales module's overdue job at 00:30).
func (s *Service) RegisterJobs(q *jobs.Queue) {
	jobs.Register(q, &dailyWorker{s: s})
	q.Daily("risk.daily", 1, 0, func() river.JobArgs { return dailyArgs{} })
}

// EvaluateAll runs EvaluateTenant for every live tenant, as of the service's clock. One
// tenant's failure does not stop the others; the errors are joined. It answers the number of
// warnings raised.
func (s *Service) EvaluateAll(ctx context.Context) (int, error) {
	return jobs.EachTenant(ctx, s.DB, s.EvaluateTenant)
}

// evaluateBatch bounds the customers evaluated in one transaction.
const evaluateBatch = 200

// EvaluateTenant evaluates every customer credit risk watches in the context tenant, tells
// the owners of new warnings and puts the reviews that come due on the owners' task lists.
func (s *Service) EvaluateTenant(ctx context.Context) (int, error) {
	var ids []uuid.UUID
	if err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		var err error
		ids, err = creditCustomers(tx)
		return err
	}); err != nil {
		return 0, err
	}
	n := 0
	for start := 0; start < len(ids); start += evaluateBatch {
		end := min(start+evaluateBatch, len(ids))
		var raised []Warning
		if err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
			var err error
			raised, err = s.evaluate(ctx, tx, ids[start:end], s.now())
			return err
		}); err != nil {
			return n, err
		}
		n += len(raised)
	}
	err := errors.Join(s.notifyPending(ctx), s.scheduleReviews(ctx))
	return n, err
}

// scheduleReviews puts the review of each customer's current assessment on its owner's task
// list once the review comes due (review_lead_days before valid_until), once per assessment.
func (s *Service) scheduleReviews(ctx context.Context) error {
	if s.Tasks == nil {
		return nil
	}
	var due []Assessment
	var lead int
	var locale string
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		st, err := loadState(ctx, tx, s.now())
		if err != nil {
			return err
		}
		lead, locale = st.opts.ReviewLeadDays, st.settings.Locale
		var ids []uuid.UUID
		if err := tx.Model(&Assessment{}).Where("status = ? AND review_task_at IS NULL", StatusApproved).Distinct().Pluck("customer_id", &ids).Error; err != nil {
			return err
		}
		cur, err := current(tx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			a := cur[id]
			if a == nil || a.ReviewTaskAt != nil {
				continue
			}
			if !time.Time(a.ValidUntil).AddDate(0, 0, -lead).After(st.today) {
				due = append(due, *a)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var errs []error
	for _, a := range due {
		at := time.Time(a.ValidUntil).AddDate(0, 0, -lead)
		until := time.Time(a.ValidUntil).Format(time.DateOnly)
		title := problem.Message(locale, "risk.review_task", a.Rating, until)
		if _, err := s.Tasks(ctx, a.CustomerID, title, "", &at, nil, "credit_review:"+a.ID.String()); err != nil && !problem.Is(err, problem.NotFound) {
			errs = append(errs, err)
			continue
		}
		now := s.now()
		if err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
			return tx.Model(&Assessment{}).Where("id = ?", a.ID).UpdateColumn("review_task_at", now).Error
		}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
