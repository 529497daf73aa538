package customer

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

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
// the tenant's cadence there). The customer is saved with its version checked and bumped and
// the change audited (action "follow_up"; the follow-up's own event tells consumers). Because
// the pool's recycle clock reads last_follow_up_at, a follow-up restarts it.
// Errors: not_found (missing, deleted, out of scope), conflict (changed concurrently), or
// decide's error.
func (s *Service) RecordFollowUp(ctx context.Context, tx *gorm.DB, id uuid.UUID,
	decide func(FollowUpTarget) (FollowUpUpdate, error)) (FollowUpTarget, error) {
	if err := s.lockCustomer(tx, id); errors.Is(err, gorm.ErrRecordNotFound) {
		return FollowUpTarget{}, problem.NotFoundf("entity.customer")
	} else if err != nil {
		return FollowUpTarget{}, err
	}
	c, err := s.load(ctx, tx, id, false)
	if err != nil {
		return FollowUpTarget{}, err
	}
	u, err := decide(followUpTarget(c))
	if err != nil {
		return FollowUpTarget{}, err
	}
	before, err := view(s.Keys, c)
	if err != nil {
		return FollowUpTarget{}, err
	}
	at := u.At.UTC()
	if c.LastFollowUpAt == nil || at.After(*c.LastFollowUpAt) {
		c.LastFollowUpAt = &at
	}
	if u.Next != nil {
		n := u.Next.UTC()
		u.Next = &n
	}
	c.NextFollowUpAt = u.Next
	if u.IntentClass != nil {
		ic := *u.IntentClass
		c.IntentClass = &ic
	}
	if err := s.save(tx, c, c.Version, s.now()); err != nil {
		return FollowUpTarget{}, err
	}
	after, err := view(s.Keys, c)
	if err != nil {
		return FollowUpTarget{}, err
	}
	if err := auditChange(ctx, tx, "follow_up", c.ID, before, after); err != nil {
		return FollowUpTarget{}, err
	}
	return followUpTarget(c), nil
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
