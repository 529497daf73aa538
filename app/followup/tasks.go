package followup

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// Task is a customer to follow up.
type Task struct {
	CustomerID     uuid.UUID  `json:"customer_id"`
	CustomerName   string     `json:"customer_name"`
	Tier           string     `json:"tier"`
	IntentClass    *string    `json:"intent_class"`
	NextFollowUpAt time.Time  `json:"next_follow_up_at"`
	LastFollowUpAt *time.Time `json:"last_follow_up_at"`
}

// Approval is a request waiting for the user's decision (filled by Service.Approvals: the
// sales module's contracts under review).
type Approval struct {
	ID     uuid.UUID `json:"id"`
	Entity string    `json:"entity"`
	Title  string    `json:"title"`
	// Link is the web app's page where the decision is made, when the area has one.
	Link string `json:"link,omitempty"`
}

// Tasks is GET /me/tasks.
type Tasks struct {
	DueToday     []Task                 `json:"due_today"`
	Overdue      []Task                 `json:"overdue"`
	Upcoming     []Task                 `json:"upcoming"`
	PoolWarnings []customer.PoolWarning `json:"pool_warnings"`
	Approvals    []Approval             `json:"approvals"`
}

// tasksPerList bounds each list of the task list.
const tasksPerList = 100

// TasksFor builds the acting user's task list: the customers they own whose planned follow-up
// is overdue (before today), due today, or upcoming (the next seven days), in the tenant's
// time zone, soonest first; and the pool warnings of customers they still hold.
func (s *Service) TasksFor(ctx context.Context) (Tasks, error) {
	me := tenantctx.ActorFrom(ctx).UserID
	if me == uuid.Nil {
		return Tasks{}, problem.New(problem.Unauthenticated, "unauthenticated")
	}
	out := Tasks{DueToday: []Task{}, Overdue: []Task{}, Upcoming: []Task{}, Approvals: []Approval{}}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		st, err := settings(ctx, tx)
		if err != nil {
			return err
		}
		loc := location(st)
		w := WindowAt(s.now(), loc)
		for _, b := range []struct {
			list     *[]Task
			from, to *time.Time
		}{{&out.Overdue, nil, &w.TodayStart}, {&out.DueToday, &w.TodayStart, &w.TomorrowStart}, {&out.Upcoming, &w.TomorrowStart, &w.UpcomingEnd}} {
			q := tx.Model(&customer.Customer{}).Select("id", "name", "tier", "intent_class", "next_follow_up_at", "last_follow_up_at").
				Where("owner_id = ? AND in_pool = ? AND deleted_at IS NULL AND next_follow_up_at IS NOT NULL", me, false)
			if b.from != nil {
				q = q.Where("next_follow_up_at >= ?", *b.from)
			}
			q = q.Where("next_follow_up_at < ?", *b.to)
			var rows []customer.Customer
			if err := q.Order("next_follow_up_at").Order("id").Limit(tasksPerList).Find(&rows).Error; err != nil {
				return err
			}
			for _, c := range rows {
				*b.list = append(*b.list, Task{CustomerID: c.ID, CustomerName: c.Name, Tier: c.Tier, IntentClass: c.IntentClass,
					NextFollowUpAt: c.NextFollowUpAt.UTC(), LastFollowUpAt: utc(c.LastFollowUpAt)})
			}
		}
		today := s.now().In(loc)
		if out.PoolWarnings, err = customer.PoolWarningsFor(tx, me, today, tasksPerList); err != nil {
			return err
		}
		if s.Approvals != nil {
			out.Approvals, err = s.Approvals(ctx, tx, tasksPerList)
		}
		return err
	})
	return out, err
}
