package followup

import (
	"context"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// Service logs and lists follow-ups and builds task lists.
type Service struct {
	DB        *store.DB
	Authz     *policies.Authorizer
	Customers *customer.Service
	Notify    *notify.Service
	// Approvals lists what waits for the acting user's decision, for the task list (the sales
	// module's contract reviews); nil: none.
	Approvals func(ctx context.Context, tx *gorm.DB, limit int) ([]Approval, error)
	// Jobs schedules reminders; nil schedules none (tools that only read).
	Jobs *jobs.Queue
	Log  *slog.Logger
	Now  func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Input is the body of POST /customers/{id}/follow-ups.
type Input struct {
	Method string `json:"method" validate:"required,oneof=phone email visit wechat sms meeting online"`
	// OccurredAt defaults to now; it cannot lie in the future.
	OccurredAt *time.Time `json:"occurred_at"`
	ContactID  *uuid.UUID `json:"contact_id"`
	Content    string     `json:"content" validate:"required,max=5000"`
	Outcome    string     `json:"outcome" validate:"max=2000"`
	// IntentClass is the customer's intent class after the follow-up; it updates the customer.
	IntentClass *string `json:"intent_class" validate:"omitempty,oneof=A B C"`
	// NextFollowUpAt is the next planned follow-up; without it the tenant's cadence rules give
	// one (SAL-2), or none when no rule applies.
	NextFollowUpAt *time.Time `json:"next_follow_up_at"`
}

// clockSkew is how far in the future a follow-up's time may be (clocks of phones and servers
// differ a little).
const clockSkew = 5 * time.Minute

func (in *Input) check(now time.Time) error {
	var errs []problem.FieldError
	in.Content = strings.TrimSpace(in.Content)
	in.Outcome = strings.TrimSpace(in.Outcome)
	if in.Content == "" {
		errs = append(errs, problem.FieldError{Field: "content", Code: "required", Key: "field.required"})
	}
	for field, v := range map[string]string{"content": in.Content, "outcome": in.Outcome} {
		if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
			errs = append(errs, problem.FieldError{Field: field, Code: "invalid", Key: "field.invalid"})
		}
	}
	if in.OccurredAt != nil && (in.OccurredAt.After(now.Add(clockSkew)) || in.OccurredAt.Year() < 2000) {
		errs = append(errs, problem.FieldError{Field: "occurred_at", Code: "out_of_range", Key: "field.out_of_range"})
	}
	at := now
	if in.OccurredAt != nil {
		at = *in.OccurredAt
	}
	if in.NextFollowUpAt != nil && (!in.NextFollowUpAt.After(at) || in.NextFollowUpAt.Year() > 9000) {
		errs = append(errs, problem.FieldError{Field: "next_follow_up_at", Code: "out_of_range", Key: "followup.next_after"})
	}
	if len(errs) > 0 {
		return problem.Fields(errs...)
	}
	return nil
}

// settings reads the context tenant's settings in tx.
func settings(ctx context.Context, tx *gorm.DB) (tenants.Settings, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var t tenants.Tenant
	if err := tx.Select("id", "settings").Take(&t, "id = ?", tid).Error; err != nil {
		return tenants.Settings{}, err
	}
	return t.Settings.Data(), nil
}

// Create logs a follow-up of a customer the actor may see, by the actor, and in the same
// transaction updates the customer (last and next follow-up, intent class), closes the
// customer's earlier open plan, and writes the audit entry and the followup.logged event.
// Reminders for the next date are scheduled after the commit. Errors: not_found (customer),
// validation_failed (input, a contact not of this customer), conflict (a pool customer: claim
// it first; a concurrent change of the customer).
func (s *Service) Create(ctx context.Context, customerID uuid.UUID, in Input) (View, error) {
	actor := tenantctx.ActorFrom(ctx)
	if actor.UserID == uuid.Nil {
		return View{}, problem.New(problem.Unauthenticated, "unauthenticated")
	}
	now := s.now()
	if err := in.check(now); err != nil {
		return View{}, err
	}
	at := now
	if in.OccurredAt != nil {
		at = in.OccurredAt.UTC()
	}
	tid, _ := tenantctx.TenantID(ctx)
	f := &FollowUp{TenantID: tid, ID: uuid.Must(uuid.NewV7()), CustomerID: customerID, ContactID: in.ContactID,
		OwnerID: actor.UserID, Method: in.Method, OccurredAt: at, Content: in.Content, Outcome: in.Outcome,
		IntentClass: in.IntentClass, CreatedAt: now}
	if actor.DepartmentID != uuid.Nil {
		d := actor.DepartmentID
		f.DepartmentID = &d
	}
	var out View
	var st tenants.Settings
	var target customer.FollowUpTarget
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		if st, err = settings(ctx, tx); err != nil {
			return err
		}
		var custEntry audit.Entry
		target, custEntry, err = s.Customers.RecordFollowUp(ctx, tx, customerID, func(c customer.FollowUpTarget) (customer.FollowUpUpdate, error) {
			if c.InPool {
				return customer.FollowUpUpdate{}, problem.New(problem.Conflict, "followup_in_pool")
			}
			if in.ContactID != nil {
				ok, err := customer.ContactOf(tx, c.ID, *in.ContactID)
				if err != nil {
					return customer.FollowUpUpdate{}, err
				}
				if !ok {
					return customer.FollowUpUpdate{}, problem.Field("contact_id", "not_found", "field.not_found")
				}
			}
			intent := c.IntentClass
			if in.IntentClass != nil {
				intent = in.IntentClass
			}
			next := in.NextFollowUpAt
			if next == nil {
				next = NextByCadence(st.Cadences, c.Tier, intent, at)
				f.NextFromCadence = next != nil
			}
			if next != nil {
				n := next.UTC()
				f.NextFollowUpAt = &n
			}
			return customer.FollowUpUpdate{At: at, Next: f.NextFollowUpAt, IntentClass: in.IntentClass}, nil
		})
		if err != nil {
			return err
		}
		if err := tx.Model(&FollowUp{}).Where("customer_id = ? AND done_at IS NULL", customerID).
			Updates(map[string]any{"done_at": now, "done_by_id": f.ID}).Error; err != nil {
			return err
		}
		if err := tx.Create(f).Error; err != nil {
			return err
		}
		out = view(f)
		changes, err := audit.Diff(nil, out)
		if err != nil {
			return err
		}
		// The customer's entry and the follow-up's in one insert.
		entries := []audit.Entry{audit.NewEntry(ctx, "create", "followup", f.ID.String(), changes)}
		if custEntry.ID != uuid.Nil {
			entries = append(entries, custEntry)
		}
		if err := audit.RecordMany(tx, entries); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "followup.logged", "followup", f.ID, map[string]any{"follow_up": out,
			"customer_owner_id": target.OwnerID})
	})
	if err != nil {
		return View{}, err
	}
	out.CustomerName = target.Name
	if f.NextFollowUpAt != nil && target.OwnerID != nil && withinHorizon(now, *f.NextFollowUpAt, Settings.From(st).Early()) {
		// A plan further ahead is scheduled by the sweep (reminder.go); at log time only the
		// reminders a later plan can no longer miss.
		s.scheduleReminders(ctx, tid, f.ID, *f.NextFollowUpAt, ReminderTimes(now, *f.NextFollowUpAt, Settings.From(st).Early()))
	}
	return out, nil
}

// listCursor is the position after the last item of a page: its sort time and ID.
type listCursor struct {
	T  time.Time `json:"t"`
	ID uuid.UUID `json:"id"`
}

func encodeCursor(c listCursor) string { return api.EncodeCursor(c) }

func decodeCursor(s string) (listCursor, error) {
	return api.DecodeCursor(s, func(c listCursor) bool { return c.ID != uuid.Nil })
}

// page runs q ordered by col (descending when desc) then ID, after the cursor, and builds the
// page; sortTime reads col's value from a row.
func page(q *gorm.DB, p api.ListParams, col string, desc bool, sortTime func(*FollowUp) time.Time) (api.Page[View], error) {
	limit := p.PageSize()
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if p.Cursor != "" {
		c, err := decodeCursor(p.Cursor)
		if err != nil {
			return api.Page[View]{}, err
		}
		q = q.Where("(follow_ups."+col+" "+op+" ? OR (follow_ups."+col+" = ? AND follow_ups.id "+op+" ?))", c.T, c.T, c.ID)
	}
	var rows []FollowUp
	if err := q.Order("follow_ups." + col + " " + dir).Order("follow_ups.id " + dir).Limit(limit + 1).Find(&rows).Error; err != nil {
		return api.Page[View]{}, err
	}
	out := api.Page[View]{Items: make([]View, 0, min(len(rows), limit))}
	for i := range rows {
		if i == limit {
			last := &rows[limit-1]
			c := encodeCursor(listCursor{T: sortTime(last).UTC(), ID: last.ID})
			out.NextCursor = &c
			break
		}
		out.Items = append(out.Items, view(&rows[i]))
	}
	return out, nil
}

// ListForCustomer lists a visible customer's follow-ups, latest first (not_found when the
// customer is not visible): whoever may see the customer sees its whole history.
func (s *Service) ListForCustomer(ctx context.Context, customerID uuid.UUID, p api.ListParams) (api.Page[View], error) {
	if _, err := s.Customers.Get(ctx, customerID); err != nil {
		return api.Page[View]{}, err
	}
	var out api.Page[View]
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		var err error
		out, err = page(tx.Model(&FollowUp{}).Where("customer_id = ?", customerID), p, "occurred_at", true,
			func(f *FollowUp) time.Time { return f.OccurredAt })
		return err
	})
	return out, err
}

// Filter is GET /follow-ups.
type Filter struct {
	api.ListParams
	OwnerID    string `query:"owner_id" json:"-" validate:"omitempty,uuid"`
	CustomerID string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
	// Due lists open plans instead of records: overdue (planned before today), today, or week
	// (today and the six days after), soonest first, in the tenant's time zone.
	Due string `query:"due" json:"-" validate:"omitempty,oneof=overdue today week"`
}

// List lists follow-ups within the actor's data scope (by who followed up): latest first, or
// with due, the open plans in that window soonest first (customers still owned and live).
func (s *Service) List(ctx context.Context, f Filter) (api.Page[View], error) {
	var out api.Page[View]
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		scope, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return err
		}
		q := scope.Apply(tx.Model(&FollowUp{}), "follow_ups.owner_id", "follow_ups.department_id")
		if f.OwnerID != "" {
			q = q.Where("follow_ups.owner_id = ?", uuid.MustParse(f.OwnerID))
		}
		if f.CustomerID != "" {
			q = q.Where("follow_ups.customer_id = ?", uuid.MustParse(f.CustomerID))
		}
		if f.Due == "" {
			out, err = page(q, f.ListParams, "occurred_at", true, func(f *FollowUp) time.Time { return f.OccurredAt })
			return err
		}
		st, err := settings(ctx, tx)
		if err != nil {
			return err
		}
		w := WindowAt(s.now(), location(st))
		q = q.Where("follow_ups.done_at IS NULL AND follow_ups.next_follow_up_at IS NOT NULL").
			Where("EXISTS (SELECT 1 FROM customers c WHERE c.tenant_id = follow_ups.tenant_id AND c.id = follow_ups.customer_id AND c.deleted_at IS NULL AND c.in_pool = ?)", false)
		switch f.Due {
		case "overdue":
			q = q.Where("follow_ups.next_follow_up_at < ?", w.TodayStart)
		case "today":
			q = q.Where("follow_ups.next_follow_up_at >= ? AND follow_ups.next_follow_up_at < ?", w.TodayStart, w.TomorrowStart)
		case "week":
			q = q.Where("follow_ups.next_follow_up_at >= ? AND follow_ups.next_follow_up_at < ?", w.TodayStart, w.TodayStart.AddDate(0, 0, 7))
		}
		out, err = page(q, f.ListParams, "next_follow_up_at", false, func(f *FollowUp) time.Time { return *f.NextFollowUpAt })
		return err
	})
	return out, err
}
