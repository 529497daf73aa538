package complaint

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/workday"
	"github.com/smecrm/crm/policies"
)

// acknowledge mails the customer's contact the case number and the promised answer date
// (the deadline, as the tenant's local date) when the contact has an address, and records
// when it went. Failures only cost the mail (they are logged).
func (s *Service) acknowledge(ctx context.Context, c *Complaint, company string, loc *time.Location) {
	if s.Mail == nil {
		return
	}
	var to customer.MailContact
	var ok bool
	var locale string
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		var err error
		to, ok, err = customer.MailContactOf(tx, c.CustomerID, c.ContactID)
		if err != nil {
			return err
		}
		t, err := tenantOf(ctx, tx)
		locale = t.Settings.Data().Locale
		return err
	})
	if err != nil || !ok || c.DueAt == nil {
		if err != nil {
			s.warn("complaint acknowledgement not sent", c.ID, err)
		}
		return
	}
	if !problem.IsLocale(locale) {
		locale = "zh-CN"
	}
	// The promised date is the last working day: the deadline is the midnight after it.
	promised := c.DueAt.In(loc).Add(-time.Second).Format(workday.DateLayout)
	m := notify.Mail{To: to.Email, Subject: problem.Message(locale, "complaint.ack.subject", company, c.Number),
		Text: problem.Message(locale, "complaint.ack.body", to.Name, c.Number, promised, company) + "\n"}
	if err := s.Mail.Send(ctx, m); err != nil {
		s.warn("complaint acknowledgement not sent", c.ID, err)
		return
	}
	now := s.now()
	if err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		return tx.Model(&Complaint{}).Where("id = ?", c.ID).UpdateColumn("ack_sent_at", now).Error
	}); err != nil {
		s.warn("complaint acknowledgement not recorded", c.ID, err)
	}
}

// tellVicePresidents tells every vice president of a severe case at once (第18條), in the app
// and by mail, once per case.
func (s *Service) tellVicePresidents(ctx context.Context, c *Complaint) {
	if s.Notify == nil {
		return
	}
	var vps []uuid.UUID
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		var err error
		vps, err = policies.UsersWithRole(ctx, tx, "vice_president")
		return err
	})
	if err != nil {
		s.warn("severe complaint not notified", c.ID, err)
		return
	}
	id := c.ID
	for _, u := range vps {
		if _, err := s.Notify.Notify(ctx, u, notify.Message{Kind: "complaint_severe", Key: "complaint_severe",
			Args: []any{c.Number, excerpt(c.Content)}, DedupeKey: "complaint_severe:" + c.ID.String(), Entity: "complaint",
			EntityID: &id, Link: "/complaints/" + c.ID.String(), Email: true}); err != nil {
			s.warn("severe complaint not notified", c.ID, err)
		}
	}
}

func excerpt(s string) string {
	if r := []rune(s); len(r) > 120 {
		return string(r[:120]) + "…"
	}
	return s
}

// Escalation (第26條 and the escalation steps of the brief): a sweep job every few minutes
// looks at the open cases that are not waiting for the customer and, as of the service's
// clock, gives each step once:
//
//  1. DueSoonHours before the deadline: the responsible person (else the handler) is warned;
//  2. at the deadline: the responsible department's manager (else the handler's) is told, and
//     the case's complaint.overdue event is published;
//  3. one working day after the deadline: every vice president is told.
//
// The step reached is stored on the case (escalation) in the transaction that records it, and
// each notice carries a dedupe key, so a sweep that runs again — after a crash or on another
// replica — gives no notice twice. The sweep is a periodic River job, so it survives restarts.

const escalateEvery = 5 * time.Minute

type escalateArgs struct{}

func (escalateArgs) Kind() string { return "complaint.escalate" }

type escalateWorker struct {
	river.WorkerDefaults[escalateArgs]
	s *Service
}

func (w *escalateWorker) Work(ctx context.Context, _ *river.Job[escalateArgs]) error {
	_, err := w.s.EscalateAll(ctx)
	return err
}

// RegisterJobs adds the escalation sweep.
func (s *Service) RegisterJobs(q *jobs.Queue) {
	jobs.Register(q, &escalateWorker{s: s})
	q.Every("complaint.escalate", escalateEvery, func() river.JobArgs { return escalateArgs{} })
}

// EscalateAll runs Escalate for every live tenant at the service's clock; errors are joined.
func (s *Service) EscalateAll(ctx context.Context) (int, error) {
	return jobs.EachTenant(ctx, s.DB, func(ctx context.Context) (int, error) { return s.Escalate(ctx, s.now()) })
}

// notice is one escalation notice to give after the step is recorded.
type notice struct {
	to   uuid.UUID
	key  string
	step int
	c    Complaint
}

// Escalate gives the context tenant's due escalation steps at now and answers how many steps
// it recorded.
func (s *Service) Escalate(ctx context.Context, now time.Time) (int, error) {
	var out []notice
	steps := 0
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		t, err := tenantOf(ctx, tx)
		if err != nil {
			return err
		}
		opts, _ := optionsOf(t)
		cal, err := workday.Load(ctx, tx)
		if err != nil {
			return err
		}
		dueSoon := time.Duration(opts.DueSoonHours) * time.Hour
		var cs []Complaint
		if err := tx.Where("status NOT IN ? AND due_at IS NOT NULL AND escalation < 3 AND due_at <= ?",
			[]string{StatusClosed, StatusResolved, StatusWaitingCustomer}, now.Add(dueSoon)).
			Order("due_at").Limit(1000).Find(&cs).Error; err != nil {
			return err
		}
		var vps []uuid.UUID
		for i := range cs {
			c := &cs[i]
			step := c.Escalation
			due := *c.DueAt
			if step < 1 && !now.Before(due.Add(-dueSoon)) {
				step = 1
			}
			if step < 2 && !now.Before(due) {
				step = 2
			}
			if step < 3 && !now.Before(cal.EndOfWorkingDays(due.Add(-time.Second), 1)) {
				step = 3
			}
			for k := c.Escalation + 1; k <= step; k++ {
				var to []uuid.UUID
				switch k {
				case 1:
					if u := firstOf(c.ResponsibleUserID, c.HandlerID); u != nil {
						to = append(to, *u)
					}
				case 2:
					m, err := managerOf(tx, c)
					if err != nil {
						return err
					}
					if m != nil {
						to = append(to, *m)
					}
					v := view(c, now, dueSoon)
					if err := outbox.Publish(ctx, tx, "complaint.overdue", "complaint", c.ID, map[string]any{"complaint": v}); err != nil {
						return err
					}
				case 3:
					if vps == nil {
						if vps, err = policies.UsersWithRole(ctx, tx, "vice_president"); err != nil {
							return err
						}
					}
					to = append(to, vps...)
				}
				if err := addEvent(ctx, tx, c, "escalation", "", "", fmt.Sprint(k), now); err != nil {
					return err
				}
				for _, u := range to {
					out = append(out, notice{to: u, key: fmt.Sprintf("complaint_escalation:%s:%d", c.ID, k), step: k, c: *c})
				}
				steps++
			}
			if step != c.Escalation {
				if err := tx.Model(&Complaint{}).Where("id = ? AND escalation = ?", c.ID, c.Escalation).
					UpdateColumn("escalation", step).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var errs []error
	for _, n := range out {
		id := n.c.ID
		due := ""
		if n.c.DueAt != nil {
			due = n.c.DueAt.UTC().Format(time.RFC3339)
		}
		if _, err := s.Notify.Notify(ctx, n.to, notify.Message{Kind: "complaint_escalation", Key: fmt.Sprintf("complaint_escalation_%d", n.step),
			Args: []any{n.c.Number, due}, DedupeKey: n.key, Entity: "complaint", EntityID: &id,
			Link: "/complaints/" + id.String(), Email: n.step >= 2}); err != nil {
			errs = append(errs, err)
		}
	}
	return steps, errors.Join(errs...)
}

func firstOf(ids ...*uuid.UUID) *uuid.UUID {
	for _, id := range ids {
		if id != nil {
			return id
		}
	}
	return nil
}

// managerOf is the manager of the case's responsible department, else of its handler's.
func managerOf(tx *gorm.DB, c *Complaint) (*uuid.UUID, error) {
	for _, d := range []*uuid.UUID{c.ResponsibleDepartmentID, c.DepartmentID} {
		if d == nil {
			continue
		}
		m, err := org.DepartmentManager(tx, *d)
		if err != nil || m != nil {
			return m, err
		}
	}
	return nil, nil
}
