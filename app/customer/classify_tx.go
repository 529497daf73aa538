package customer

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/smecrm/crm/tenants"
)

// A classifier plugin may be slow (up to its call deadline), and a write transaction holds
// SQLite's single writer for every tenant, so the plugin is never called inside one when the
// write goes through classifyOutsideTx: the transaction asks for the classifications it needs
// (errClassifyFirst, rolling back), they are computed outside any transaction, and the
// transaction runs again using them — only for exactly the inputs they were computed from,
// so the written class always matches the data written. Writes that change the input between
// attempts (a concurrent edit) simply ask again; after maxClassifyAttempts the plugin is
// called inside the transaction as before.
const maxClassifyAttempts = 3

var errClassifyFirst = errors.New("customer: classify outside the transaction first")

type classifyMemoKey struct{}

// classifyMemo carries classifications computed outside the transaction into it.
type classifyMemo struct {
	mu     sync.Mutex
	done   map[string]ClassifyResult
	need   map[string]memoNeed
	direct bool // the last attempt: call the plugin where it is needed
}

type memoNeed struct {
	rules tenants.Classification
	in    ClassifyInput
}

// memoKey identifies what a classifier sees: the rules and the input, without the record's
// version and update time (which a write changes without changing the business data).
func memoKey(rules tenants.Classification, in ClassifyInput) string {
	in.Customer.Version, in.Customer.UpdatedAt = 0, time.Time{}
	b, _ := json.Marshal(struct {
		Rules tenants.Classification
		In    ClassifyInput
	}{rules, in})
	return string(b)
}

// fromMemo answers ins from the context's memo. ok false with a nil error means there is no
// memo (or it is the last attempt): classify directly. errClassifyFirst means some are
// missing; they are recorded for classifyOutsideTx.
func fromMemo(ctx context.Context, rules tenants.Classification, ins []ClassifyInput) ([]ClassifyResult, bool, error) {
	m, _ := ctx.Value(classifyMemoKey{}).(*classifyMemo)
	if m == nil || m.direct {
		return nil, false, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ClassifyResult, len(ins))
	missing := false
	for i, in := range ins {
		k := memoKey(rules, in)
		res, ok := m.done[k]
		if !ok {
			m.need[k] = memoNeed{rules, in}
			missing = true
		}
		out[i] = res
	}
	if missing {
		return nil, false, errClassifyFirst
	}
	return out, true, nil
}

// classifyOutsideTx runs write (which opens a write transaction and may classify customers
// with the tenant's plugin) so that the plugin is called outside the transaction. write may
// run more than once and must start from scratch each time.
func (s *Service) classifyOutsideTx(ctx context.Context, write func(ctx context.Context) error) error {
	if s.Classifiers == nil {
		return write(ctx)
	}
	m := &classifyMemo{done: map[string]ClassifyResult{}, need: map[string]memoNeed{}}
	mctx := context.WithValue(ctx, classifyMemoKey{}, m)
	for attempt := 1; ; attempt++ {
		err := write(mctx)
		if !errors.Is(err, errClassifyFirst) {
			return err
		}
		m.mu.Lock()
		need := m.need
		m.need = map[string]memoNeed{}
		m.mu.Unlock()
		// Group by rules so a batch plugin gets one call per rule set.
		groups := map[string][]string{}
		for k, n := range need {
			rk, _ := json.Marshal(n.rules)
			groups[string(rk)] = append(groups[string(rk)], k)
		}
		for _, keys := range groups {
			ins := make([]ClassifyInput, len(keys))
			for i, k := range keys {
				ins[i] = need[k].in
			}
			res := s.classifyMany(ctx, need[keys[0]].rules, ins) // ctx: no memo, no transaction
			m.mu.Lock()
			for i, k := range keys {
				m.done[k] = res[i]
			}
			m.mu.Unlock()
		}
		if attempt+1 >= maxClassifyAttempts {
			m.direct = true
		}
	}
}

// classifyInTx is classifyMany for a caller inside a write transaction: with a plugin and a
// memo (classifyOutsideTx), the answers come from the memo or errClassifyFirst asks for them.
func (s *Service) classifyInTx(ctx context.Context, rules tenants.Classification, ins []ClassifyInput) ([]ClassifyResult, error) {
	if plugin, _ := s.classifier(ctx, rules); plugin != nil {
		if res, ok, err := fromMemo(ctx, rules, ins); ok || err != nil {
			return res, err
		}
	}
	return s.classifyMany(ctx, rules, ins), nil
}

// classifyingTx is s.DB.Tx under classifyOutsideTx; fn uses the context it is given.
func (s *Service) classifyingTx(ctx context.Context, fn func(ctx context.Context, tx *gorm.DB) error) error {
	return s.classifyOutsideTx(ctx, func(ctx context.Context) error {
		return s.DB.Tx(ctx, func(tx *gorm.DB) error { return fn(ctx, tx) })
	})
}
