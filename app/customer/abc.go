package customer

import (
	"bytes"
	"context"
	"fmt"
	"sort"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/problem"
)

// ABC analysis of customers by transaction value (ANA-1, seed 001 §2.4): the value class of
// CUS-6.

// Value classes.
const (
	ValueA = "A"
	ValueB = "B"
	ValueC = "C"
)

// Default Pareto bounds, in percent of the total value.
const (
	DefaultValueAPercent = 70
	DefaultValueBPercent = 90
)

// ValuePoint is one customer's transaction value.
type ValuePoint struct {
	ID    uuid.UUID
	Value decimal.Decimal
}

// ABCClasses classes customers by value, Pareto style. Customers are ranked by value, highest
// first; a customer is A while the value of everyone ranked above it is below aPercent of the
// total, B while it is below bPercent, C after that — so the customer whose value crosses a
// bound still belongs to the class below it (the top customer is always A), and a single
// customer with any value is A. Customers of equal value share the class of the first of them
// (ties never split). Customers with zero or negative value are C; so is everyone when the
// total is zero.
func ABCClasses(points []ValuePoint, aPercent, bPercent int) map[uuid.UUID]string {
	out := make(map[uuid.UUID]string, len(points))
	var ranked []ValuePoint
	total := decimal.Zero
	for _, p := range points {
		out[p.ID] = ValueC
		if p.Value.IsPositive() {
			ranked = append(ranked, p)
			total = total.Add(p.Value)
		}
	}
	sort.Slice(ranked, func(i, j int) bool {
		if c := ranked[i].Value.Cmp(ranked[j].Value); c != 0 {
			return c > 0
		}
		return bytes.Compare(ranked[i].ID[:], ranked[j].ID[:]) < 0
	})
	// cum/total < p/100  ⇔  cum*100 < total*p: exact, no division.
	hundred := decimal.NewFromInt(100)
	aBound := total.Mul(decimal.NewFromInt(int64(aPercent)))
	bBound := total.Mul(decimal.NewFromInt(int64(bPercent)))
	cum := decimal.Zero
	for i := 0; i < len(ranked); {
		j, group := i, decimal.Zero
		for j < len(ranked) && ranked[j].Value.Equal(ranked[i].Value) {
			group = group.Add(ranked[j].Value)
			j++
		}
		class := ValueC
		switch above := cum.Mul(hundred); {
		case above.LessThan(aBound):
			class = ValueA
		case above.LessThan(bBound):
			class = ValueB
		}
		for k := i; k < j; k++ {
			out[ranked[k].ID] = class
		}
		cum = cum.Add(group)
		i = j
	}
	return out
}

// abcBatch is how many customers one step of the refresh reads or writes.
const abcBatch = 500

// RefreshValueClasses recomputes the value class of every live customer of the context tenant
// from the transaction summaries (annual purchases) with the tenant's bounds, and saves those
// that changed (audited, customer.classified). Without a summaries provider there are no
// transactions to analyse and nothing is done. It returns how many customers changed class.
func (s *Service) RefreshValueClasses(ctx context.Context) (int, error) {
	if s.Summaries == nil {
		return 0, nil
	}
	var aPct, bPct int
	var points []ValuePoint
	current := map[uuid.UUID]string{}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		t, err := tenantRow(ctx, tx)
		if err != nil {
			return err
		}
		rules := classificationRules(t.Settings.Data().Classification)
		aPct, bPct = rules.ValueAPercent, rules.ValueBPercent
		if aPct <= 0 {
			aPct = DefaultValueAPercent
		}
		if bPct <= 0 {
			bPct = DefaultValueBPercent
		}
		after := uuid.Nil
		for {
			var rows []Customer
			if err := tx.Select("id", "value_class").Where("deleted_at IS NULL AND id > ?", after).
				Order("id").Limit(abcBatch).Find(&rows).Error; err != nil {
				return err
			}
			if len(rows) == 0 {
				return nil
			}
			ids := make([]uuid.UUID, len(rows))
			for i, r := range rows {
				ids[i] = r.ID
				if r.ValueClass != nil {
					current[r.ID] = *r.ValueClass
				}
			}
			sums, err := s.Summaries(ctx, tx, ids)
			if err != nil {
				return err
			}
			for _, id := range ids {
				points = append(points, ValuePoint{ID: id, Value: sums[id].AnnualPurchase})
			}
			if len(rows) < abcBatch {
				return nil
			}
			after = rows[len(rows)-1].ID
		}
	})
	if err != nil {
		return 0, err
	}
	classes := ABCClasses(points, aPct, bPct)
	var todo []uuid.UUID
	for _, p := range points {
		if current[p.ID] != classes[p.ID] {
			todo = append(todo, p.ID)
		}
	}
	rule := fmt.Sprintf("abc:v1 A<%d%% B<%d%%", aPct, bPct)
	changed := 0
	for len(todo) > 0 {
		chunk := todo[:min(len(todo), abcBatch)]
		todo = todo[len(chunk):]
		err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
			var rows []Customer
			if err := tx.Where("id IN ? AND deleted_at IS NULL", chunk).Find(&rows).Error; err != nil {
				return err
			}
			for i := range rows {
				c := &rows[i]
				class := classes[c.ID]
				if c.ValueClass != nil && *c.ValueClass == class {
					continue
				}
				before, err := view(s.Keys, c)
				if err != nil {
					return err
				}
				prev := c.ValueClass
				c.ValueClass = &class
				_, err = s.persistChange(ctx, tx, c, before, s.now(), "classify", "", nil)
				if problem.Is(err, problem.Conflict) {
					continue // changed meanwhile; the next refresh looks again
				}
				if err != nil {
					return err
				}
				ch := &classChange{changed: []string{"value_class"}, previous: map[string]any{"value_class": prev},
					extra: map[string]any{"value_rule": rule}}
				if err := ch.publish(ctx, tx, c); err != nil {
					return err
				}
				changed++
			}
			return nil
		})
		if err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// abcRefreshArgs is the nightly ABC refresh of every tenant (ANA-1 "refreshed on schedule").
type abcRefreshArgs struct{}

func (abcRefreshArgs) Kind() string { return "customer.abc_refresh" }

type abcRefreshWorker struct {
	river.WorkerDefaults[abcRefreshArgs]
	s *Service
}

func (w *abcRefreshWorker) Work(ctx context.Context, _ *river.Job[abcRefreshArgs]) error {
	return eachTenantJoined(ctx, w.s, func(ctx context.Context) error {
		_, err := w.s.RefreshValueClasses(ctx)
		return err
	})
}

func (s *Service) abcJobs(q *jobs.Queue) {
	jobs.Register(q, &abcRefreshWorker{s: s})
	q.Daily("customer.abc_refresh", 19, 30, func() river.JobArgs { return abcRefreshArgs{} })
}
