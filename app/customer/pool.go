package customer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// The public pool 公海 (CUS-8, EXP-2).
//
// A customer leaves its owner for the pool when the owner releases it (with a reason) or when
// RecycleIdleCustomers finds it idle: under recycle_on "no_follow_up" (the default) the clock
// starts at the last follow-up, or at creation when there was none; under "no_deal" at
// creation, for customers not at the deal stage. Either way a claim from the pool restarts the
// clock, so a customer just claimed is not recycled at once for its old history. Key customers
// get recycle_days_key, all others recycle_days_other; 0 days means "never" for that tier.
// Exempt: deals (exempt_deals) and whatever a PoolExemption hook names (open opportunities).
// Owners hear about it warn_days_before days ahead: one customer.pool_warning event per
// customer and due date.
//
// Claim quota (claim_limit, 0 = none): the number of live customers a user currently owns
// whose latest pool transition is their own claim. Releasing one, its recycling, its
// reassignment to someone else or its deletion frees the slot; customers created by the user
// or assigned to them never count.
//
// Reclaim bar (reclaim_bar_days, 0 = none): the customer's former owner — whoever held it
// when it last entered the pool, by release or recycling — cannot claim it back until that
// many days after it entered.

// Pool transitions recorded in customer_pool_log.
const (
	poolClaimed  = "claimed"
	poolReleased = "released"
	poolRecycled = "recycled"
)

// poolLogEntry is one pool transition: who it concerned (the claimer, or the owner the
// customer was taken from), who did it (nobody for the recycling job) and why.
type poolLogEntry struct {
	TenantID   uuid.UUID `gorm:"primaryKey"`
	ID         uuid.UUID `gorm:"primaryKey"`
	CustomerID uuid.UUID
	PoolKey    string
	Action     string
	UserID     *uuid.UUID
	ActorID    *uuid.UUID
	Reason     string
	At         time.Time
}

func (poolLogEntry) TableName() string { return "customer_pool_log" }

// poolWarning remembers an advance warning sent for a customer's due date.
type poolWarning struct {
	TenantID   uuid.UUID      `gorm:"primaryKey"`
	CustomerID uuid.UUID      `gorm:"primaryKey"`
	DueOn      datatypes.Date `gorm:"primaryKey"`
	OwnerID    *uuid.UUID
	WarnedAt   time.Time
}

func (poolWarning) TableName() string { return "customer_pool_warnings" }

// PoolExemption names which of ids must stay with their owners although they are due for the
// pool (e.g. the sales module: customers with open opportunities when the rules'
// exempt_open_opportunities is on). It runs in the recycling transaction, in the tenant's
// scope.
type PoolExemption func(ctx context.Context, tx *gorm.DB, rules tenants.PoolRules, ids []uuid.UUID) (map[uuid.UUID]bool, error)

// poolBatch is how many candidates one recycling transaction handles.
const poolBatch = 200

const day = 24 * time.Hour

// tenantRow reads the context tenant's status and settings in tx.
func tenantRow(ctx context.Context, tx *gorm.DB) (*tenants.Tenant, error) {
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return nil, errors.New("customer: no tenant in context")
	}
	var t tenants.Tenant
	if err := tx.Select("id", "status", "settings").Take(&t, "id = ?", tid).Error; err != nil {
		return nil, err
	}
	return &t, nil
}

// ListPool lists the live customers of the public pools the actor sees (the default pool and
// their department's), or of the one named: visible to everyone with customer:read, whatever
// their data scope, with the filters, sorting and paging of List (deleted is ignored). A pool
// the actor does not see lists nothing, like one that does not exist.
func (s *Service) ListPool(ctx context.Context, f Filter, pool string) (api.Page[View], error) {
	f.pool, f.Deleted = true, false // the recycle bin stays behind the data scope
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		_, m, err := poolsFor(ctx, tx)
		if err != nil {
			return err
		}
		if f.poolKeys, err = s.visiblePools(ctx, m); err != nil {
			return err
		}
		if pool != "" {
			key := poolKey(pool)
			if !slices.Contains(f.poolKeys, key) {
				f.poolKeys = nil
			} else {
				f.poolKeys = []string{key}
			}
		}
		return nil
	})
	if err != nil {
		return api.Page[View]{}, err
	}
	if len(f.poolKeys) == 0 {
		return api.Page[View]{Items: []View{}}, nil
	}
	return s.List(ctx, f)
}

// Claim takes a pool customer for the acting user, whose department it then follows.
// Fails with not_found, conflict (not in the pool, a stale version, the user's claim_limit
// reached, or the user released it less than reclaim_bar_days ago).
func (s *Service) Claim(ctx context.Context, id uuid.UUID, version int64) (View, error) {
	actor := tenantctx.ActorFrom(ctx)
	if actor.UserID == uuid.Nil {
		return View{}, problem.New(problem.Unauthenticated, "unauthenticated")
	}
	now := s.now()
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		c, err := s.load(ctx, tx, id, false)
		if err != nil {
			return err
		}
		if version != 0 && c.Version != version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		_, m, err := poolsFor(ctx, tx)
		if err != nil {
			return err
		}
		keys, err := s.visiblePools(ctx, m)
		if err != nil {
			return err
		}
		if c.InPool && !slices.Contains(keys, c.PoolKey) {
			return problem.NotFoundf("entity.customer") // another department's pool: not theirs to see
		}
		if !c.InPool {
			return problem.New(problem.Conflict, "pool_not_in_pool")
		}
		rules := m.rules(c.PoolKey)
		if rules.ReclaimBarDays > 0 && deref(c.FormerOwnerID) == actor.UserID && c.PoolEnteredAt != nil {
			until := c.PoolEnteredAt.Add(time.Duration(rules.ReclaimBarDays) * day)
			if now.Before(until) {
				return &problem.Error{Code: problem.Conflict, Key: "pool_reclaim_barred", Args: []any{until.Format(time.RFC3339)},
					Data: map[string]any{"reclaim_after": until}}
			}
		}
		if rules.ClaimLimit > 0 {
			n, err := countClaimed(tx, actor.UserID, c.PoolKey)
			if err != nil {
				return err
			}
			if n >= int64(rules.ClaimLimit) {
				return &problem.Error{Code: problem.Conflict, Key: "pool_claim_limit", Args: []any{rules.ClaimLimit},
					Data: map[string]any{"claim_limit": rules.ClaimLimit, "claimed": n}}
			}
		}
		before, err := view(s.Keys, c)
		if err != nil {
			return err
		}
		owner := actor.UserID
		pool := c.PoolKey
		c.OwnerID, c.InPool, c.PoolKey, c.PoolEnteredAt = &owner, false, "", nil
		if err := s.setOwnerAndDepartment(tx, c, nil); err != nil {
			return err
		}
		out, err = s.persistChange(ctx, tx, c, before, now, "claim", "customer.claimed",
			map[string]any{"former_owner_id": c.FormerOwnerID, "pool": poolName(pool)})
		if err != nil {
			return err
		}
		return logPool(tx, c.ID, pool, poolClaimed, &owner, actor.UserID, "", now)
	})
	return out, err
}

// Release returns a customer to the pool with a reason. Its owner may do it, others only
// with customer:assign. Fails with not_found, validation_failed (no reason), forbidden, or
// conflict (already in the pool, the pool disabled, a stale version).
func (s *Service) Release(ctx context.Context, id uuid.UUID, version int64, reason string) (View, error) {
	actor := tenantctx.ActorFrom(ctx)
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return View{}, problem.Field("reason", "required", "field.required")
	}
	now := s.now()
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		c, err := s.load(ctx, tx, id, false)
		if err != nil {
			return err
		}
		if c.InPool {
			return problem.New(problem.Conflict, "pool_already_in")
		}
		if c.OwnerID == nil || *c.OwnerID != actor.UserID {
			if s.Authz != nil {
				if err := s.Authz.Require(ctx, "customer", "assign"); err != nil {
					return err
				}
			}
		}
		if version != 0 && c.Version != version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		_, m, err := poolsFor(ctx, tx)
		if err != nil {
			return err
		}
		pool := m.keyFor(c.DepartmentID)
		if !m.rules(pool).Enabled {
			return problem.New(problem.Conflict, "pool_disabled")
		}
		before, err := view(s.Keys, c)
		if err != nil {
			return err
		}
		former := c.OwnerID
		s.toPool(c, pool, now)
		out, err = s.persistChange(ctx, tx, c, before, now, "release", "customer.released",
			map[string]any{"former_owner_id": former, "reason": reason, "pool": poolName(pool)})
		if err != nil {
			return err
		}
		if err := tx.Where("customer_id = ?", c.ID).Delete(&poolWarning{}).Error; err != nil {
			return err
		}
		return logPool(tx, c.ID, pool, poolReleased, former, actor.UserID, reason, now)
	})
	return out, err
}

// toPool takes c from its owner into the pool with key; the owner becomes the former owner
// (the one the reclaim bar applies to). The department stays, for reports on where pool
// customers came from.
func (s *Service) toPool(c *Customer, key string, now time.Time) {
	if c.OwnerID != nil {
		c.FormerOwnerID = c.OwnerID
	}
	c.OwnerID, c.InPool, c.PoolKey, c.PoolEnteredAt = nil, true, key, &now
}

// persistChange saves c (read at version c.Version) with its version checked, and writes the
// audit entry and, unless event is "", the event with extra payload — the path of changes the
// service makes itself (pool transitions, classification runs). A stale version is conflict
// version_conflict, with nothing written.
func (s *Service) persistChange(ctx context.Context, tx *gorm.DB, c *Customer, before View, now time.Time,
	action, event string, extra map[string]any) (View, error) {
	if err := s.save(tx, c, c.Version, now); err != nil {
		return View{}, err
	}
	out, err := view(s.Keys, c)
	if err != nil {
		return View{}, err
	}
	if err := audit.Record(ctx, tx, action, "customer", c.ID.String(), redacted(before), redacted(out)); err != nil {
		return View{}, err
	}
	if event == "" {
		return out, nil
	}
	payload := eventPayload(out)
	for k, v := range extra {
		payload[k] = v
	}
	return out, outbox.Publish(ctx, tx, event, "customer", c.ID, payload)
}

func logPool(tx *gorm.DB, customer uuid.UUID, pool, action string, user *uuid.UUID, actor uuid.UUID, reason string, at time.Time) error {
	e := poolLogEntry{ID: uuid.Must(uuid.NewV7()), CustomerID: customer, PoolKey: pool, Action: action, UserID: user, Reason: reason, At: at}
	if actor != uuid.Nil {
		e.ActorID = &actor
	}
	return tx.Create(&e).Error
}

// countClaimed counts the customers counting against user's claim quota in pool (see the
// package notes above): live, owned by user, latest pool transition user's own claim from it.
func countClaimed(tx *gorm.DB, user uuid.UUID, pool string) (int64, error) {
	var n int64
	err := tx.Model(&Customer{}).
		Where("customers.owner_id = ? AND customers.in_pool = ? AND customers.deleted_at IS NULL", user, false).
		Where(`EXISTS (SELECT 1 FROM customer_pool_log l WHERE l.tenant_id = customers.tenant_id
			AND l.customer_id = customers.id AND l.action = ? AND l.user_id = ? AND l.pool_key = ?
			AND NOT EXISTS (SELECT 1 FROM customer_pool_log m WHERE m.tenant_id = l.tenant_id
				AND m.customer_id = l.customer_id AND m.id > l.id))`, poolClaimed, user, pool).
		Count(&n).Error
	return n, err
}

// latestPoolEntries returns the latest pool transition of each of ids that has one.
func latestPoolEntries(tx *gorm.DB, ids []uuid.UUID) (map[uuid.UUID]poolLogEntry, error) {
	var rows []poolLogEntry
	if err := tx.Where("customer_id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]poolLogEntry, len(rows))
	for _, r := range rows {
		out[r.CustomerID] = r // ordered by ID (time), so the last one stays
	}
	return out, nil
}

// PoolRun is what one RecycleIdleCustomers run did.
type PoolRun struct {
	Recycled []uuid.UUID
	Warned   []uuid.UUID
}

// RecycleIdleCustomers applies the context tenant's pool rules as of now, pool by pool (each
// named pool's rules to the customers of its departments, the default pool's to the rest):
// idle customers go to their pool (customer.recycled), customers due within warn_days_before
// get their owner's advance warning (customer.pool_warning, once per due date). Nothing
// happens in a disabled pool or while the tenant is suspended (its staff could not follow up
// to prevent it). Customers changed concurrently are left for the next run.
func (s *Service) RecycleIdleCustomers(ctx context.Context, now time.Time) (PoolRun, error) {
	now = now.UTC()
	var run PoolRun
	var t *tenants.Tenant
	var m *poolMap
	if err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		var err error
		t, m, err = poolsFor(ctx, tx)
		return err
	}); err != nil {
		return run, err
	}
	if !t.Writable() {
		return run, nil
	}
	loc, err := time.LoadLocation(m.st.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	for _, key := range m.keys() {
		if err := s.recyclePool(ctx, m, key, loc, now, &run); err != nil {
			return run, err
		}
	}
	// Warnings for due dates long past can never repeat; keep the table small.
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		return tx.Where("due_on < ?", dateOf(now.Add(-7*day), loc)).Delete(&poolWarning{}).Error
	})
	return run, err
}

// recyclePool applies one pool's rules to the owned customers of its departments.
func (s *Service) recyclePool(ctx context.Context, m *poolMap, key string, loc *time.Location, now time.Time, run *PoolRun) error {
	rules := m.rules(key)
	if !rules.Enabled || (rules.RecycleDaysKey <= 0 && rules.RecycleDaysOther <= 0) {
		return nil
	}
	// A candidate's clock started no later than its activity column; with the shortest enabled
	// tier and the warning lead, that bounds the rows worth reading.
	minDays := rules.RecycleDaysKey
	if minDays <= 0 || (rules.RecycleDaysOther > 0 && rules.RecycleDaysOther < minDays) {
		minDays = rules.RecycleDaysOther
	}
	cutoff := now.Add(time.Duration(max(rules.WarnDaysBefore, 0)-minDays) * day)
	after := uuid.Nil
	for {
		var n int
		err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
			q := tx.Model(&Customer{}).Where("customers.deleted_at IS NULL AND customers.in_pool = ? AND customers.owner_id IS NOT NULL AND customers.id > ?", false, after)
			q = m.restrict(q, key)
			if rules.RecycleOn == tenants.RecycleOnNoDeal {
				q = q.Where("customers.stage <> ? AND customers.created_at <= ?", StageDeal, cutoff)
			} else {
				q = q.Where("COALESCE(customers.last_follow_up_at, customers.created_at) <= ?", cutoff)
				if rules.ExemptDeals {
					q = q.Where("customers.stage <> ?", StageDeal)
				}
			}
			var batch []Customer
			if err := q.Order("customers.id").Limit(poolBatch).Find(&batch).Error; err != nil {
				return err
			}
			n = len(batch)
			if n == 0 {
				return nil
			}
			after = batch[n-1].ID
			return s.recycleBatch(ctx, tx, rules, key, loc, now, batch, run)
		})
		if err != nil {
			return err
		}
		if n < poolBatch {
			return nil
		}
	}
}

// recycleBatch decides for each candidate whether it is due, soon due or neither, and acts.
func (s *Service) recycleBatch(ctx context.Context, tx *gorm.DB, rules tenants.PoolRules, pool string, loc *time.Location,
	now time.Time, batch []Customer, run *PoolRun) error {
	ids := make([]uuid.UUID, len(batch))
	for i := range batch {
		ids[i] = batch[i].ID
	}
	latest, err := latestPoolEntries(tx, ids)
	if err != nil {
		return err
	}
	type candidate struct {
		c     *Customer
		since time.Time
		due   time.Time
	}
	var due, soon []candidate
	var hit []uuid.UUID
	for i := range batch {
		c := &batch[i]
		if rules.ExemptDeals && c.Stage == StageDeal {
			continue
		}
		since := c.CreatedAt
		if rules.RecycleOn == tenants.RecycleOnNoDeal {
			if c.Stage == StageDeal {
				continue
			}
		} else if c.LastFollowUpAt != nil {
			since = *c.LastFollowUpAt
		}
		if e, ok := latest[c.ID]; ok && e.Action == poolClaimed && deref(e.UserID) == deref(c.OwnerID) && e.At.After(since) {
			since = e.At
		}
		days := rules.RecycleDaysOther
		if c.Tier == TierKey {
			days = rules.RecycleDaysKey
		}
		if days <= 0 {
			continue
		}
		at := since.Add(time.Duration(days) * day)
		switch {
		case !at.After(now):
			due = append(due, candidate{c, since, at})
		case rules.WarnDaysBefore > 0 && !now.Before(at.Add(-time.Duration(rules.WarnDaysBefore)*day)):
			soon = append(soon, candidate{c, since, at})
		default:
			continue
		}
		hit = append(hit, c.ID)
	}
	if len(hit) == 0 {
		return nil
	}
	exempt := map[uuid.UUID]bool{}
	for _, hook := range s.PoolExemptions {
		m, err := hook(ctx, tx, rules, hit)
		if err != nil {
			return err
		}
		for id, ok := range m {
			exempt[id] = exempt[id] || ok
		}
	}
	trigger := rules.RecycleOn
	if trigger == "" {
		trigger = tenants.RecycleOnNoFollowUp
	}
	for _, d := range due {
		if exempt[d.c.ID] {
			continue
		}
		before, err := view(s.Keys, d.c)
		if err != nil {
			return err
		}
		former := d.c.OwnerID
		s.toPool(d.c, pool, now)
		_, err = s.persistChange(ctx, tx, d.c, before, now, "recycle", "customer.recycled", map[string]any{
			"former_owner_id": former, "reason": trigger, "idle_since": d.since, "due_at": d.due, "pool": poolName(pool)})
		if problem.Is(err, problem.Conflict) {
			continue // changed meanwhile: the next run looks again
		}
		if err != nil {
			return err
		}
		if err := tx.Where("customer_id = ?", d.c.ID).Delete(&poolWarning{}).Error; err != nil {
			return err
		}
		if err := logPool(tx, d.c.ID, pool, poolRecycled, former, uuid.Nil, trigger, now); err != nil {
			return err
		}
		run.Recycled = append(run.Recycled, d.c.ID)
	}
	for _, w := range soon {
		if exempt[w.c.ID] {
			continue
		}
		dueOn := dateOf(w.due, loc)
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&poolWarning{CustomerID: w.c.ID, DueOn: dueOn,
			OwnerID: w.c.OwnerID, WarnedAt: now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			continue // warned for this due date already
		}
		if err := outbox.Publish(ctx, tx, "customer.pool_warning", "customer", w.c.ID, map[string]any{
			"customer_id": w.c.ID, "name": w.c.Name, "owner_id": w.c.OwnerID, "tier": w.c.Tier,
			"reason": trigger, "idle_since": w.since, "due_at": w.due, "pool": poolName(pool),
			"due_on": time.Time(dueOn).Format(time.DateOnly)}); err != nil {
			return err
		}
		run.Warned = append(run.Warned, w.c.ID)
	}
	return nil
}

// dateOf is the calendar day of t in loc, as a date.
func dateOf(t time.Time, loc *time.Location) datatypes.Date {
	y, m, d := t.In(loc).Date()
	return datatypes.Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}
