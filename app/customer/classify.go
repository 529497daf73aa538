package customer

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// Classification (CUS-6) and its plugin hook (PLG-2).
//
// A classifier sets a customer's tier (key / general / potential) and may set its intent
// class (A / B / C) and a score, with reasons; the result is recorded in the customer's
// classification {rule, reasons, score, at}. The built-in rules ("builtin:v1", see
// BuiltinClassifier) never set the intent class: that comes from follow-ups or by hand. A
// tenant's classifier plugin replaces the built-in rules through Service.Classifiers; when
// the plugin fails or answers nonsense the built-in rules stand in, saying so in the reasons.
//
// When it runs: on create (unless a tier is given), on an update of what describes the
// customer's business (type, industry, scale, region, source, stage, tags, custom fields), on
// POST /customers/{id}/classify, and for the whole tenant in ReclassifyTenant (nightly, and
// after a rules change if the caller wishes). A tier set by hand (rule "manual" with a
// "tier=" reason) is left alone by every automatic run; POST /classify overrides it, as that
// is someone asking for the rules' answer. customer.classified is published when the tier,
// intent class or score — or, from the ABC refresh, the value class — changed.

// BuiltinRule names the built-in rules in classification records.
const BuiltinRule = "builtin:v1"

// TxSummary is a customer's transactions over the last twelve months, in the tenant's
// currency.
type TxSummary struct {
	AnnualPurchase decimal.Decimal `json:"annual_purchase"`
	OrderCount     int             `json:"order_count"`
	LastOrderAt    *time.Time      `json:"last_order_at"`
}

// TxSummaries returns the summaries of ids, read in tx in the tenant's scope; missing IDs
// have no transactions.
type TxSummaries func(ctx context.Context, tx *gorm.DB, ids []uuid.UUID) (map[uuid.UUID]TxSummary, error)

// ClassifyInput is what a classifier sees: the customer without its sensitive fields, and
// its transaction summary.
type ClassifyInput struct {
	Customer View      `json:"customer"`
	Summary  TxSummary `json:"summary"`
}

// ClassifyResult is a classifier's answer. IntentClass nil leaves the intent class as it is.
// Rule names the rule set (e.g. "builtin:v1", a plugin's "acme-rules:v3").
type ClassifyResult struct {
	Tier        string   `json:"tier"`
	IntentClass *string  `json:"intent_class"`
	Score       *float64 `json:"score"`
	Reasons     []string `json:"reasons"`
	Rule        string   `json:"rule"`
}

// Classifier classifies one customer. Implementations must not change anything.
type Classifier interface {
	Classify(ctx context.Context, in ClassifyInput) (ClassifyResult, error)
}

// BatchClassifier is a Classifier that can also take many customers in one call (PLG-2's
// batch form); ReclassifyTenant uses it when the tenant's classifier offers it. The answer
// has one result per input, in order.
type BatchClassifier interface {
	Classifier
	ClassifyBatch(ctx context.Context, in []ClassifyInput) ([]ClassifyResult, error)
}

// BuiltinClassifier is the built-in rule set "builtin:v1" over a tenant's thresholds (seed
// 000 §3.1): a customer with no business relationship yet — not at the deal stage and no
// orders — is potential; with one it is key when it meets any enabled key criterion (annual
// purchases, order count, employees, annual revenue), general when its annual purchases reach
// the general minimum, potential otherwise. A churned customer keeps its tier, for analysis.
type BuiltinClassifier struct{ Rules tenants.Classification }

// Classify applies the rules; it never fails.
func (b BuiltinClassifier) Classify(_ context.Context, in ClassifyInput) (ClassifyResult, error) {
	r := classificationRules(b.Rules)
	c, sum := in.Customer, in.Summary
	res := ClassifyResult{Rule: BuiltinRule}
	if c.Stage == StageChurned {
		res.Tier = or(c.Tier, TierPotential)
		res.Reasons = []string{"stage churned: tier kept"}
		return res, nil
	}
	if c.Stage != StageDeal && sum.OrderCount == 0 && !sum.AnnualPurchase.IsPositive() {
		res.Tier = TierPotential
		res.Reasons = []string{fmt.Sprintf("no business relationship yet: stage %s, no orders", c.Stage)}
		return res, nil
	}
	if m := r.KeyMinAnnualPurchase; m != nil && m.IsPositive() && sum.AnnualPurchase.GreaterThanOrEqual(*m) {
		res.Reasons = append(res.Reasons, fmt.Sprintf("annual purchase %s >= key minimum %s", sum.AnnualPurchase, m))
	}
	if m := r.KeyMinOrders; m > 0 && sum.OrderCount >= m {
		res.Reasons = append(res.Reasons, fmt.Sprintf("orders %d >= key minimum %d", sum.OrderCount, m))
	}
	if m := r.KeyMinEmployees; m > 0 && c.Scale.Employees != nil && *c.Scale.Employees >= m {
		res.Reasons = append(res.Reasons, fmt.Sprintf("employees %d >= key minimum %d", *c.Scale.Employees, m))
	}
	if m := r.KeyMinAnnualRevenue; m != nil && m.IsPositive() && c.Scale.AnnualRevenue != nil && c.Scale.AnnualRevenue.GreaterThanOrEqual(*m) {
		res.Reasons = append(res.Reasons, fmt.Sprintf("annual revenue %s >= key minimum %s", c.Scale.AnnualRevenue, m))
	}
	if len(res.Reasons) > 0 {
		res.Tier = TierKey
		return res, nil
	}
	general := decimal.Zero
	if r.GeneralMinAnnualPurchase != nil {
		general = *r.GeneralMinAnnualPurchase
	}
	if sum.AnnualPurchase.GreaterThanOrEqual(general) {
		res.Tier = TierGeneral
		res.Reasons = []string{fmt.Sprintf("business relationship, no key criterion met; annual purchase %s >= general minimum %s", sum.AnnualPurchase, general)}
		return res, nil
	}
	res.Tier = TierPotential
	res.Reasons = []string{fmt.Sprintf("annual purchase %s below general minimum %s", sum.AnnualPurchase, general)}
	return res, nil
}

// classificationRules fills a tenant's never-set classification block with the defaults.
func classificationRules(r tenants.Classification) tenants.Classification {
	if r.IsZero() {
		return tenants.DefaultClassification()
	}
	return r
}

// classifier is the tenant's classifier: its plugin if one is configured, else the built-in
// rules over its thresholds.
func (s *Service) classifier(ctx context.Context, rules tenants.Classification) (plugin Classifier, builtin Classifier) {
	builtin = BuiltinClassifier{Rules: rules}
	if s.Classifiers != nil {
		plugin = s.Classifiers(ctx)
	}
	return plugin, builtin
}

// classifyMany classifies ins with the tenant's classifier (in one batch when it can), the
// built-in rules standing in for any failed or invalid answer.
func (s *Service) classifyMany(ctx context.Context, rules tenants.Classification, ins []ClassifyInput) []ClassifyResult {
	plugin, builtin := s.classifier(ctx, rules)
	out := make([]ClassifyResult, len(ins))
	var got []ClassifyResult
	if bp, ok := plugin.(BatchClassifier); ok {
		if res, err := bp.ClassifyBatch(ctx, ins); err == nil && len(res) == len(ins) {
			got = res
		}
	}
	for i, in := range ins {
		var res ClassifyResult
		var err error
		switch {
		case plugin == nil:
			res, err = builtin.Classify(ctx, in)
		case got != nil:
			res = got[i]
			err = validResult(&res)
		default:
			if res, err = plugin.Classify(ctx, in); err == nil {
				err = validResult(&res)
			}
		}
		if err != nil && plugin != nil {
			res, _ = builtin.Classify(ctx, in)
			res.Reasons = append(res.Reasons, "classifier plugin failed; built-in rules applied")
		}
		out[i] = res
	}
	return out
}

// validResult checks a plugin's answer and fills its blanks.
func validResult(r *ClassifyResult) error {
	if r.Tier != TierKey && r.Tier != TierGeneral && r.Tier != TierPotential {
		return fmt.Errorf("classifier: tier %q", r.Tier)
	}
	if ic := r.IntentClass; ic != nil && *ic != "A" && *ic != "B" && *ic != "C" {
		return fmt.Errorf("classifier: intent class %q", *ic)
	}
	if r.Score != nil && (math.IsNaN(*r.Score) || math.IsInf(*r.Score, 0)) {
		return fmt.Errorf("classifier: score %v", *r.Score)
	}
	if strings.TrimSpace(r.Rule) == "" {
		r.Rule = "plugin"
	}
	if r.Reasons == nil {
		r.Reasons = []string{}
	}
	return nil
}

// summaries returns the transaction summaries of ids (zero without a provider).
func (s *Service) summaries(ctx context.Context, tx *gorm.DB, ids []uuid.UUID) (map[uuid.UUID]TxSummary, error) {
	if s.Summaries == nil || len(ids) == 0 {
		return map[uuid.UUID]TxSummary{}, nil
	}
	return s.Summaries(ctx, tx, ids)
}

// manualTier reports whether c's tier was set by hand (and so is kept by automatic runs).
func manualTier(c *Customer) bool {
	cl := c.Classification.Data()
	return cl.Rule == "manual" && slices.ContainsFunc(cl.Reasons, func(r string) bool { return strings.HasPrefix(r, "tier=") })
}

// applyClassification records res on c. Unless force, nothing is touched when res says what
// the record already says; written reports whether c changed. The returned change, when the
// tier, intent class or score moved, is to be published once c is saved.
func (s *Service) applyClassification(c *Customer, res ClassifyResult, force bool) (written bool, ch *classChange) {
	cur := c.Classification.Data()
	intent := c.IntentClass
	if res.IntentClass != nil {
		v := *res.IntentClass
		intent = &v
	}
	var changed []string
	if res.Tier != c.Tier {
		changed = append(changed, "tier")
	}
	if !equalPtr(intent, c.IntentClass) {
		changed = append(changed, "intent_class")
	}
	if !equalPtr(res.Score, cur.Score) {
		changed = append(changed, "score")
	}
	if len(changed) == 0 && !force && cur.Rule == res.Rule && slices.Equal(cur.Reasons, res.Reasons) {
		return false, nil
	}
	if len(changed) > 0 {
		ch = &classChange{changed: changed, previous: map[string]any{"tier": c.Tier, "intent_class": c.IntentClass}}
	}
	reasons := res.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	c.Tier, c.IntentClass = res.Tier, intent
	c.Classification = datatypes.NewJSONType(Classification{Rule: res.Rule, Reasons: reasons, Score: res.Score, At: s.now()})
	return true, ch
}

// classChange is a move of a customer's classes, for customer.classified.
type classChange struct {
	changed  []string
	previous map[string]any
	extra    map[string]any
}

// publish writes customer.classified for c (nothing for a nil change): the classes now, what
// they were, and which changed.
func (ch *classChange) publish(ctx context.Context, tx *gorm.DB, c *Customer) error {
	if ch == nil {
		return nil
	}
	return outbox.Publish(ctx, tx, "customer.classified", "customer", c.ID, ch.payload(c))
}

// payload is customer.classified's payload for c.
func (ch *classChange) payload(c *Customer) map[string]any {
	payload := map[string]any{
		"customer_id": c.ID, "tier": c.Tier, "intent_class": c.IntentClass, "value_class": c.ValueClass,
		"classification": c.Classification.Data(), "changed": ch.changed, "previous": ch.previous}
	for k, v := range ch.extra {
		payload[k] = v
	}
	return payload
}

// classFields are what a classification changes, in the customer's API form (its audit
// entry is their difference, as a diff of the whole customer would be).
type classFields struct {
	Tier           string         `json:"tier"`
	IntentClass    *string        `json:"intent_class"`
	Classification Classification `json:"classification"`
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// classifyOne runs the tenant's classifier on c with its transaction summary.
func (s *Service) classifyOne(ctx context.Context, tx *gorm.DB, c *Customer) (ClassifyResult, error) {
	t, err := tenantRow(ctx, tx)
	if err != nil {
		return ClassifyResult{}, err
	}
	sums, err := s.summaries(ctx, tx, []uuid.UUID{c.ID})
	if err != nil {
		return ClassifyResult{}, err
	}
	v, err := view(s.Keys, c)
	if err != nil {
		return ClassifyResult{}, err
	}
	rules := classificationRules(t.Settings.Data().Classification)
	res, err := s.classifyInTx(ctx, rules, []ClassifyInput{{Customer: redacted(v), Summary: sums[c.ID]}})
	if err != nil {
		return ClassifyResult{}, err
	}
	return res[0], nil
}

// classifyNew classifies a customer being created (in tx, before its insert; the created
// event carries the result, so no classified event). A tier given on create is a manual
// classification and is kept.
func (s *Service) classifyNew(ctx context.Context, tx *gorm.DB, c *Customer, in Input) error {
	if in.Tier != "" {
		reasons := []string{"tier=" + in.Tier}
		if in.IntentClass != nil {
			reasons = append(reasons, "intent_class="+*in.IntentClass)
		}
		c.Classification = datatypes.NewJSONType(Classification{Rule: "manual", Reasons: reasons, At: s.now()})
		return nil
	}
	res, err := s.classifyOne(ctx, tx, c) // a new customer has no transactions: zero summary
	if err != nil {
		return err
	}
	if res.IntentClass != nil {
		c.IntentClass = res.IntentClass
	}
	c.Tier = res.Tier
	c.Classification = datatypes.NewJSONType(Classification{Rule: res.Rule, Reasons: res.Reasons, Score: res.Score, At: s.now()})
	return nil
}

// classifyAfterUpdate reclassifies c within an update when the update touched what
// describes the customer's business, unless its tier was set by hand.
func (s *Service) classifyAfterUpdate(ctx context.Context, tx *gorm.DB, c *Customer, u *Update) error {
	touched := u.Type != nil || u.Industry != nil || u.Scale != nil || u.Region != nil || u.Source != nil ||
		u.Stage != nil || u.Tags != nil || u.CustomFields != nil
	if !touched || manualTier(c) {
		return nil
	}
	res, err := s.classifyOne(ctx, tx, c)
	if err != nil {
		return err
	}
	_, ch := s.applyClassification(c, res, false)
	return ch.publish(ctx, tx, c) // the update's transaction saves c or rolls all back
}

// ClassifyNow runs the tenant's classifier on one customer and records the result, even
// over a manual tier. Fails with not_found.
func (s *Service) ClassifyNow(ctx context.Context, id uuid.UUID) (View, error) {
	var out View
	err := s.classifyOutsideTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.classifyNow(ctx, id)
		return err
	})
	return out, err
}

// classifyNow is ClassifyNow inside classifyOutsideTx.
func (s *Service) classifyNow(ctx context.Context, id uuid.UUID) (View, error) {
	return s.mutate(ctx, id, 0, "classify", "", false, func(tx *gorm.DB, c *Customer) error {
		if err := s.poolGuard(ctx, c); err != nil {
			return err
		}
		res, err := s.classifyOne(ctx, tx, c)
		if err != nil {
			return err
		}
		_, ch := s.applyClassification(c, res, true)
		return ch.publish(ctx, tx, c)
	})
}

// ReclassifyResult counts what ReclassifyTenant did.
type ReclassifyResult struct {
	Seen    int `json:"seen"`
	Changed int `json:"changed"`
}

// ReclassifyTenant classifies every live customer of the context tenant again, in keyset
// batches of batchSize (one transaction each, the tenant's classifier called once per batch
// when it can take batches). Manual tiers are kept; customers changed concurrently are left
// as they are.
func (s *Service) ReclassifyTenant(ctx context.Context, batchSize int) (ReclassifyResult, error) {
	if batchSize <= 0 {
		batchSize = 200
	}
	var out ReclassifyResult
	after := uuid.Nil
	for {
		var n int
		from, counted := after, out
		err := s.classifyingTx(ctx, func(ctx context.Context, tx *gorm.DB) error {
			after, out = from, counted // a repeated attempt starts over
			t, err := tenantRow(ctx, tx)
			if err != nil {
				return err
			}
			rules := classificationRules(t.Settings.Data().Classification)
			var batch []Customer
			if err := tx.Where("deleted_at IS NULL AND id > ?", after).Order("id").Limit(batchSize).Find(&batch).Error; err != nil {
				return err
			}
			n = len(batch)
			if n == 0 {
				return nil
			}
			after = batch[n-1].ID
			out.Seen += n
			var todo []*Customer
			var ids []uuid.UUID
			for i := range batch {
				if !manualTier(&batch[i]) {
					todo = append(todo, &batch[i])
					ids = append(ids, batch[i].ID)
				}
			}
			sums, err := s.summaries(ctx, tx, ids)
			if err != nil {
				return err
			}
			ins := make([]ClassifyInput, len(todo))
			befores := make([]View, len(todo))
			for i, c := range todo {
				if befores[i], err = view(s.Keys, c); err != nil {
					return err
				}
				ins[i] = ClassifyInput{Customer: redacted(befores[i]), Summary: sums[c.ID]}
			}
			results, err := s.classifyInTx(ctx, rules, ins)
			if err != nil {
				return err
			}
			// Only the classes change: the batch's changed customers get one set-based update
			// (each row's version checked), and its audit entries and events are written in
			// multi-row inserts.
			now := s.now()
			var changed []int
			var chs []*classChange
			for i, c := range todo {
				if written, ch := s.applyClassification(c, results[i], false); written {
					changed, chs = append(changed, i), append(chs, ch)
				}
			}
			rows := make([]*Customer, len(changed))
			for k, i := range changed {
				rows[k] = todo[i]
			}
			updated, err := s.updateClasses(ctx, tx, rows, now)
			if err != nil {
				return err
			}
			var entries []audit.Entry
			var events []outbox.Event
			for k, i := range changed {
				c, ch := todo[i], chs[k]
				if !updated[c.ID] {
					continue // changed meanwhile; the next run looks again
				}
				c.Version, c.UpdatedAt = c.Version+1, now
				b := befores[i]
				changes, err := audit.Diff(classFields{b.Tier, b.IntentClass, b.Classification},
					classFields{c.Tier, c.IntentClass, c.Classification.Data()})
				if err != nil {
					return err
				}
				entries = append(entries, audit.NewEntry(ctx, "classify", "customer", c.ID.String(), changes))
				if ch != nil {
					events = append(events, outbox.NewEvent(ctx, "customer.classified", "customer", c.ID, ch.payload(c)))
				}
				out.Changed++
			}
			if err := audit.RecordMany(tx, entries); err != nil {
				return err
			}
			return outbox.PublishMany(tx, events)
		})
		if err != nil {
			return out, err
		}
		if n < batchSize {
			return out, nil
		}
	}
}

// reclassifyArgs is the nightly job that reclassifies every tenant: transaction summaries
// move with every order, and rules may have changed.
type reclassifyArgs struct{}

func (reclassifyArgs) Kind() string { return "customer.reclassify" }

type reclassifyWorker struct {
	river.WorkerDefaults[reclassifyArgs]
	s *Service
}

func (w *reclassifyWorker) Work(ctx context.Context, _ *river.Job[reclassifyArgs]) error {
	return eachTenantJoined(ctx, w.s, func(ctx context.Context) error {
		_, err := w.s.ReclassifyTenant(ctx, 500)
		return err
	})
}

func (s *Service) classifyJobs(q *jobs.Queue) {
	jobs.Register(q, &reclassifyWorker{s: s})
	q.Daily("customer.reclassify", 19, 0, func() river.JobArgs { return reclassifyArgs{} }) // 03:00 in China
}

// classesPerUpdate bounds the rows of one set-based class update (five parameters each).
const classesPerUpdate = 500

// updateClasses writes the tier, intent class and classification of cs, each only if its
// stored version is still c.Version (which it bumps), in one statement per chunk rather than
// one per customer: re-classifying a tenant changes most of its customers. The answer holds
// the IDs written.
func (s *Service) updateClasses(ctx context.Context, tx *gorm.DB, cs []*Customer, now time.Time) (map[uuid.UUID]bool, error) {
	tid, _ := tenantctx.TenantID(ctx)
	out := make(map[uuid.UUID]bool, len(cs))
	// Raw SQL has no model for the tenant-scoping callbacks: the statement names the tenant.
	row := "(?, ?, ?, ?, ?)"
	if s.DB.Dialect == store.Postgres {
		row = "(?::uuid, ?::text, ?::text, ?::jsonb, ?::bigint)"
	}
	for start := 0; start < len(cs); start += classesPerUpdate {
		chunk := cs[start:min(start+classesPerUpdate, len(cs))]
		values := make([]string, len(chunk))
		args := make([]any, 0, len(chunk)*5+2)
		for i, c := range chunk {
			values[i] = row
			args = append(args, c.ID, c.Tier, c.IntentClass, c.Classification, c.Version)
		}
		args = append(args, now, tid)
		var ids []uuid.UUID
		err := tx.Raw(`WITH v(id, tier, intent_class, classification, version) AS (VALUES `+strings.Join(values, ", ")+`)
			UPDATE customers SET tier = v.tier, intent_class = v.intent_class, classification = v.classification,
				version = v.version + 1, updated_at = ?
			FROM v WHERE customers.tenant_id = ? AND customers.id = v.id AND customers.version = v.version
			RETURNING customers.id`, args...).Scan(&ids).Error
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			out[id] = true
		}
	}
	return out, nil
}
