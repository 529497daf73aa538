package customer

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/problem"
)

// FollowUpTarget is what the follow-up module reads of a customer when one is logged.
type FollowUpTarget struct {
	ID             uuid.UUID
	Name           string
	OwnerID        *uuid.UUID
	DepartmentID   *uuid.UUID
	Stage          string
	Tier           string
	IntentClass    *string
	InPool         bool
	LastFollowUpAt *time.Time
	NextFollowUpAt *time.Time
}

// FollowUpUpdate is what a logged follow-up changes on its customer: the follow-up's time
// (last_follow_up_at becomes the later of it and the stored one), the next planned follow-up
// (replacing the stored one, nil clears it) and, when set, the intent class.
type FollowUpUpdate struct {
	At          time.Time
	Next        *time.Time
	IntentClass *string
}

// RecordFollowUp applies a follow-up to a customer the actor may see, in tx: decide gets the
// customer as stored and answers the change (the follow-up module derives the next date from
// the tenant's cadence there). The customer is saved with its version checked and bumped.
// The change's audit entry (action "follow_up"; the follow-up's own event tells consumers) is
// returned, not written: the caller writes it with its own entries in one insert
// (audit.RecordMany); its ID is zero when nothing changed. Because the pool's recycle clock
// reads last_follow_up_at, a follow-up restarts it.
// Errors: not_found (missing, deleted, out of scope), conflict (changed concurrently), or
// decide's error.
//
// It is on the path of every logged follow-up, so it reads and writes only the columns it
// needs and audits the three fields it changes directly, rather than through full views.
func (s *Service) RecordFollowUp(ctx context.Context, tx *gorm.DB, id uuid.UUID,
	decide func(FollowUpTarget) (FollowUpUpdate, error)) (FollowUpTarget, audit.Entry, error) {
	var none audit.Entry
	c, err := s.followUpCustomer(tx, id)
	if err != nil {
		return FollowUpTarget{}, none, err
	}
	if !c.InPool { // as load: pool customers are visible to all
		f, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return FollowUpTarget{}, none, err
		}
		if !f.Allows(deref(c.OwnerID), deref(c.DepartmentID)) {
			return FollowUpTarget{}, none, problem.NotFoundf("entity.customer")
		}
	}
	u, err := decide(followUpTarget(c))
	if err != nil {
		return FollowUpTarget{}, none, err
	}
	changes := map[string][2]any{}
	set := map[string]any{}
	at := u.At.UTC()
	if c.LastFollowUpAt == nil || at.After(*c.LastFollowUpAt) {
		changes["last_follow_up_at"] = [2]any{timeOrNil(c.LastFollowUpAt), at}
		c.LastFollowUpAt, set["last_follow_up_at"] = &at, at
	}
	var next *time.Time
	if u.Next != nil {
		n := u.Next.UTC()
		next = &n
	}
	if !sameTime(c.NextFollowUpAt, next) {
		changes["next_follow_up_at"] = [2]any{timeOrNil(c.NextFollowUpAt), timeOrNil(next)}
		c.NextFollowUpAt, set["next_follow_up_at"] = next, next
	}
	if u.IntentClass != nil && (c.IntentClass == nil || *c.IntentClass != *u.IntentClass) {
		ic := *u.IntentClass
		changes["intent_class"] = [2]any{c.IntentClass, ic}
		c.IntentClass, set["intent_class"] = &ic, ic
	}
	if len(set) == 0 {
		return followUpTarget(c), none, nil
	}
	set["updated_at"], set["version"] = s.now(), c.Version+1
	res := tx.Model(&Customer{}).Where("id = ? AND version = ?", c.ID, c.Version).UpdateColumns(set)
	if res.Error != nil {
		return FollowUpTarget{}, none, res.Error
	}
	if res.RowsAffected != 1 {
		return FollowUpTarget{}, none, problem.New(problem.Conflict, "version_conflict")
	}
	changes["version"] = [2]any{c.Version, c.Version + 1}
	return followUpTarget(c), audit.NewEntry(ctx, "follow_up", "customer", c.ID.String(), changes), nil
}

func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UTC()
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func followUpTarget(c *Customer) FollowUpTarget {
	return FollowUpTarget{ID: c.ID, Name: c.Name, OwnerID: c.OwnerID, DepartmentID: c.DepartmentID, Stage: c.Stage,
		Tier: c.Tier, IntentClass: c.IntentClass, InPool: c.InPool, LastFollowUpAt: c.LastFollowUpAt, NextFollowUpAt: c.NextFollowUpAt}
}

// ContactOf reports whether contactID is a live contact of customer customerID, in tx.
func ContactOf(tx *gorm.DB, customerID, contactID uuid.UUID) (bool, error) {
	var n int64
	err := tx.Model(&Contact{}).Where("id = ? AND customer_id = ? AND deleted_at IS NULL", contactID, customerID).Count(&n).Error
	return n > 0, err
}

// PoolWarning is an advance warning that one of a user's customers is due for the public pool.
type PoolWarning struct {
	CustomerID   uuid.UUID `json:"customer_id"`
	CustomerName string    `json:"customer_name"`
	DueOn        string    `json:"due_on"`
	WarnedAt     time.Time `json:"warned_at"`
}

// PoolWarningsFor lists the pool warnings of the customers owner still holds, due on or after
// from (a date), soonest first, at most limit. It runs in tx, in the tenant's scope.
func PoolWarningsFor(tx *gorm.DB, owner uuid.UUID, from time.Time, limit int) ([]PoolWarning, error) {
	var rows []struct {
		CustomerID uuid.UUID
		Name       string
		DueOn      datatypes.Date
		WarnedAt   time.Time
	}
	day := datatypes.Date(time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC))
	err := tx.Model(&poolWarning{}).
		Select("customer_pool_warnings.customer_id, customers.name, customer_pool_warnings.due_on, customer_pool_warnings.warned_at").
		Joins("JOIN customers ON customers.tenant_id = customer_pool_warnings.tenant_id AND customers.id = customer_pool_warnings.customer_id").
		Where("customers.owner_id = ? AND customers.in_pool = ? AND customers.deleted_at IS NULL AND customer_pool_warnings.due_on >= ?", owner, false, day).
		Order("customer_pool_warnings.due_on").Order("customer_pool_warnings.customer_id").Limit(limit).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]PoolWarning, 0, len(rows))
	for _, r := range rows {
		out = append(out, PoolWarning{CustomerID: r.CustomerID, CustomerName: r.Name,
			DueOn: time.Time(r.DueOn).Format(time.DateOnly), WarnedAt: r.WarnedAt.UTC()})
	}
	return out, nil
}

// PlanFollowUp brings a customer's next planned follow-up forward to due (never later: an
// earlier plan stays), in tx, for a task another part of the system raises on the tenant's
// behalf — a plugin's recall, say. The caller has decided the customer concerns it, so the
// actor's data scope does not apply; the change is audited ("plan_follow_up", with why). The
// answer is the customer as stored after the change. Errors: not_found (missing or deleted),
// conflict (changed concurrently).
func (s *Service) PlanFollowUp(ctx context.Context, tx *gorm.DB, id uuid.UUID, due time.Time, why string) (FollowUpTarget, error) {
	c, err := s.followUpCustomer(tx, id)
	if err != nil {
		return FollowUpTarget{}, err
	}
	due = due.UTC()
	if c.NextFollowUpAt != nil && !due.Before(*c.NextFollowUpAt) {
		return followUpTarget(c), nil
	}
	res := tx.Model(&Customer{}).Where("id = ? AND version = ?", c.ID, c.Version).
		UpdateColumns(map[string]any{"next_follow_up_at": due, "updated_at": s.now(), "version": c.Version + 1})
	if res.Error != nil {
		return FollowUpTarget{}, res.Error
	}
	if res.RowsAffected != 1 {
		return FollowUpTarget{}, problem.New(problem.Conflict, "version_conflict")
	}
	changes := map[string][2]any{"next_follow_up_at": {timeOrNil(c.NextFollowUpAt), due}, "version": {c.Version, c.Version + 1},
		"reason": {nil, why}}
	c.NextFollowUpAt, c.Version = &due, c.Version+1
	return followUpTarget(c), audit.RecordMany(tx, []audit.Entry{audit.NewEntry(ctx, "plan_follow_up", "customer", c.ID.String(), changes)})
}

// followUpCustomer locks customer id in tx and reads the columns follow-up changes need;
// missing or deleted is not_found.
func (s *Service) followUpCustomer(tx *gorm.DB, id uuid.UUID) (*Customer, error) {
	if err := s.lockCustomer(tx, id); errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFoundf("entity.customer")
	} else if err != nil {
		return nil, err
	}
	var c Customer
	err := tx.Select("tenant_id", "id", "name", "owner_id", "department_id", "stage", "tier", "intent_class", "in_pool",
		"deleted_at", "last_follow_up_at", "next_follow_up_at", "version").Take(&c, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && c.DeletedAt != nil) {
		return nil, problem.NotFoundf("entity.customer")
	}
	return &c, err
}
