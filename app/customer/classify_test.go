package customer_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/customer"
)

func clHasReason(c plCustomer, part string) bool {
	return slices.ContainsFunc(c.Classification.Reasons, func(r string) bool { return strings.Contains(r, part) })
}

func clClassify(t testing.TB, as *apitest.Client, id uuid.UUID) plCustomer {
	t.Helper()
	var c plCustomer
	as.MustDo(t, "POST", plURL(id, "classify"), nil, 200, &c)
	return c
}

func TestClassifyAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		sales2 := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		marketing := acme.AddUser(t, "marketing")
		big := plCreate(t, sales, map[string]any{"name": "大型制造企业", "stage": "deal", "scale": map[string]any{"employees": 1500}})
		theirs := plCreate(t, other.Owner, map[string]any{"name": "别家客户", "stage": "deal"})

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: plURL(big.ID, "classify"), Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "POST", URL: plURL(theirs.ID, "classify"), As: acme.Owner, Status: 404, Code: "not_found"},
			{Name: "wrong role", Method: "POST", URL: plURL(big.ID, "classify"), As: marketing, Status: 403, Code: "forbidden"},
			{Name: "wrong user: outside the data scope answers as missing", Method: "POST", URL: plURL(big.ID, "classify"), As: sales2, Status: 404, Code: "not_found"},
			{Name: "not found", Method: "POST", URL: plURL(uuid.Must(uuid.NewV7()), "classify"), As: sales, Status: 404, Code: "not_found"},
			{Name: "invalid: malformed ID answers as missing", Method: "POST", URL: "/api/v1/customers/nope/classify", As: sales, Status: 404, Code: "not_found"},
			{Name: "success", Method: "POST", URL: plURL(big.ID, "classify"), As: sales, Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					var c plCustomer
					r.JSON(t, &c)
					if c.Tier != "key" || c.Classification.Rule != customer.BuiltinRule || !clHasReason(c, "employees 1500 >= key minimum 1000") ||
						c.Version != 2 || !c.Classification.At.After(big.Classification.At) {
						t.Errorf("classified: %s", r.Body)
					}
				}},
		})
		// Nothing moved (it was key from its creation): no classified event, but the run is audited.
		if evs := plEvents(t, env, acme, big.ID, "customer.classified"); len(evs) != 0 {
			t.Errorf("classified events without a change: %d", len(evs))
		}
		if got := plAudit(t, env, acme, big.ID); !slices.Equal(got, []string{"create", "classify"}) {
			t.Errorf("audit %v", got)
		}
		if got := plGet(t, other.Owner, theirs.ID); got.Version != 1 {
			t.Errorf("other tenant's customer changed: %+v", got)
		}
	})
}

func TestClassificationRules(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		svc := env.Server.Customers

		t.Run("on create", func(t *testing.T) {
			prospect := plCreate(t, sales, map[string]any{"name": "新线索", "stage": "prospect", "scale": map[string]any{"employees": 5000}})
			if prospect.Tier != "potential" || prospect.Classification.Rule != customer.BuiltinRule || !clHasReason(prospect, "no business relationship") {
				t.Errorf("prospect: %+v", prospect)
			}
			small := plCreate(t, sales, map[string]any{"name": "小成交客户", "stage": "deal", "scale": map[string]any{"employees": 20}})
			if small.Tier != "general" || !clHasReason(small, "general minimum 0") {
				t.Errorf("small deal: %+v", small)
			}
			rich := plCreate(t, sales, map[string]any{"name": "高营收客户", "stage": "deal", "scale": map[string]any{"annual_revenue": "450000000"}})
			if rich.Tier != "key" || !clHasReason(rich, "annual revenue 450000000 >= key minimum 400000000") {
				t.Errorf("rich deal: %+v", rich)
			}
			manual := plCreate(t, sales, map[string]any{"name": "手工定级", "stage": "deal", "tier": "potential", "intent_class": "B"})
			if manual.Tier != "potential" || manual.Classification.Rule != "manual" || !slices.Equal(manual.Classification.Reasons, []string{"tier=potential", "intent_class=B"}) {
				t.Errorf("manual: %+v", manual)
			}
			// The created event carries the result; no separate classified event.
			if evs := plEvents(t, env, acme, rich.ID, "customer.classified"); len(evs) != 0 {
				t.Errorf("classified events on create: %d", len(evs))
			}
		})

		t.Run("thresholds from settings", func(t *testing.T) {
			c := plCreate(t, sales, map[string]any{"name": "中型成交客户", "stage": "deal", "scale": map[string]any{"employees": 200}})
			if c.Tier != "general" {
				t.Fatalf("before: %+v", c)
			}
			for _, bad := range []map[string]any{
				{"key_min_annual_purchase": "-1"},
				{"key_min_employees": -5},
				{"value_a_percent": 95, "value_b_percent": 90},
			} {
				r := owner.Do(t, "PATCH", "/api/v1/settings", map[string]any{"classification": bad})
				if r.Status != 422 {
					t.Errorf("settings %v: %d %s", bad, r.Status, r.Body)
				}
			}
			plPatchSettings(t, owner, map[string]any{"classification": map[string]any{"key_min_employees": 100}})
			got := clClassify(t, sales, c.ID)
			if got.Tier != "key" || !clHasReason(got, "employees 200 >= key minimum 100") {
				t.Errorf("after lowering key_min_employees: %+v", got)
			}
			evs := plEvents(t, env, acme, c.ID, "customer.classified")
			if len(evs) != 1 {
				t.Fatalf("classified events: %d", len(evs))
			}
			pl := evs[0].Payload.Data()
			prev, _ := pl["previous"].(map[string]any)
			if pl["tier"] != "key" || prev["tier"] != "general" || evs[0].ActorID == nil || *evs[0].ActorID != sales.UserID {
				t.Errorf("classified payload %v", pl)
			}
			// Disabling the criterion (0) brings it back to general.
			plPatchSettings(t, owner, map[string]any{"classification": map[string]any{"key_min_employees": 0}})
			if got := clClassify(t, sales, c.ID); got.Tier != "general" {
				t.Errorf("criterion off: %+v", got)
			}
			plPatchSettings(t, owner, map[string]any{"classification": map[string]any{"key_min_employees": 1000}})
		})

		t.Run("on update of what it reads, and manual tiers", func(t *testing.T) {
			c := plCreate(t, sales, map[string]any{"name": "跟进中的客户", "stage": "prospect"})
			var u plCustomer
			sales.MustDo(t, "PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"version": 1, "name": "跟进中的客户（改名）"}, 200, &u)
			if !u.Classification.At.Equal(c.Classification.At) {
				t.Errorf("a rename reclassified: %+v", u.Classification)
			}
			sales.MustDo(t, "PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"version": 2, "stage": "deal"}, 200, &u)
			if u.Tier != "general" || u.Classification.Rule != customer.BuiltinRule {
				t.Errorf("after the deal: %+v", u)
			}
			if evs := plEvents(t, env, acme, c.ID, "customer.classified"); len(evs) != 1 {
				t.Errorf("classified events %d, want 1", len(evs))
			}
			// A manual tier stays through updates and batch runs; /classify overrides it.
			sales.MustDo(t, "PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"version": 3, "tier": "key"}, 200, &u)
			sales.MustDo(t, "PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"version": 4, "scale": map[string]any{"employees": 3}}, 200, &u)
			if u.Tier != "key" || u.Classification.Rule != "manual" {
				t.Errorf("manual tier after an update: %+v", u)
			}
			if _, err := svc.ReclassifyTenant(plCtx(acme), 100); err != nil {
				t.Fatal(err)
			}
			if got := plGet(t, sales, c.ID); got.Tier != "key" || got.Version != 5 {
				t.Errorf("manual tier after a batch: %+v", got)
			}
			if got := clClassify(t, sales, c.ID); got.Tier != "general" || got.Classification.Rule != customer.BuiltinRule {
				t.Errorf("classify over a manual tier: %+v", got)
			}
			// An intent class set by hand stays: the built-in rules do not set it.
			sales.MustDo(t, "PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"version": 6, "intent_class": "A"}, 200, &u)
			if got := clClassify(t, sales, c.ID); got.IntentClass == nil || *got.IntentClass != "A" {
				t.Errorf("intent class after classify: %+v", got)
			}
		})

		t.Run("transaction summaries", func(t *testing.T) {
			buyer := plCreate(t, sales, map[string]any{"name": "大买家", "stage": "prospect"})
			frequent := plCreate(t, sales, map[string]any{"name": "常客", "stage": "deal"})
			orig := svc.Summaries
			t.Cleanup(func() { svc.Summaries = orig })
			svc.Summaries = func(_ context.Context, _ *gorm.DB, ids []uuid.UUID) (map[uuid.UUID]customer.TxSummary, error) {
				out := map[uuid.UUID]customer.TxSummary{}
				for _, id := range ids {
					switch id {
					case buyer.ID:
						out[id] = customer.TxSummary{AnnualPurchase: decimal.NewFromInt(1_200_000), OrderCount: 2}
					case frequent.ID:
						out[id] = customer.TxSummary{AnnualPurchase: decimal.NewFromInt(30_000), OrderCount: 12}
					}
				}
				return out, nil
			}
			if got := clClassify(t, sales, buyer.ID); got.Tier != "key" || !clHasReason(got, "annual purchase 1200000 >= key minimum 1000000") {
				t.Errorf("big buyer (orders make a relationship without the deal stage): %+v", got)
			}
			if got := clClassify(t, sales, frequent.ID); got.Tier != "key" || !clHasReason(got, "orders 12 >= key minimum 12") {
				t.Errorf("frequent buyer: %+v", got)
			}
			// A general minimum above a customer's purchases makes it potential.
			plPatchSettings(t, owner, map[string]any{"classification": map[string]any{"key_min_orders": 0, "general_min_annual_purchase": "50000"}})
			t.Cleanup(func() {
				plPatchSettings(t, owner, map[string]any{"classification": map[string]any{"key_min_orders": 12, "general_min_annual_purchase": "0"}})
			})
			if got := clClassify(t, sales, frequent.ID); got.Tier != "potential" || !clHasReason(got, "below general minimum 50000") {
				t.Errorf("below the general minimum: %+v", got)
			}
		})
	})
}

// clPlugin is a classifier plugin stand-in.
type clPlugin struct {
	res     customer.ClassifyResult
	err     error
	batches atomic.Int32
	singles atomic.Int32
}

func (p *clPlugin) Classify(_ context.Context, in customer.ClassifyInput) (customer.ClassifyResult, error) {
	p.singles.Add(1)
	if in.Customer.Phone != "" && in.Customer.Phone != "***" {
		return customer.ClassifyResult{}, errors.New("plugin saw a phone number in clear")
	}
	return p.res, p.err
}

type clBatchPlugin struct{ clPlugin }

func (p *clBatchPlugin) ClassifyBatch(ctx context.Context, in []customer.ClassifyInput) ([]customer.ClassifyResult, error) {
	p.batches.Add(1)
	out := make([]customer.ClassifyResult, len(in))
	for i := range in {
		out[i] = p.res
	}
	return out, p.err
}

func TestClassifierPlugin(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		svc := env.Server.Customers
		t.Cleanup(func() { svc.Classifiers = nil })
		c := plCreate(t, sales, map[string]any{"name": "插件客户", "stage": "deal", "phone": "13800138000"})
		score := 87.5
		intent := "A"
		plugin := &clPlugin{res: customer.ClassifyResult{Tier: "key", IntentClass: &intent, Score: &score, Reasons: []string{"采购潜力大"}, Rule: "acme-rules:v2"}}
		svc.Classifiers = func(ctx context.Context) customer.Classifier { return plugin }

		got := clClassify(t, sales, c.ID)
		if got.Tier != "key" || got.IntentClass == nil || *got.IntentClass != "A" || got.Classification.Score == nil || *got.Classification.Score != 87.5 ||
			got.Classification.Rule != "acme-rules:v2" || !slices.Equal(got.Classification.Reasons, []string{"采购潜力大"}) {
			t.Errorf("plugin result: %+v", got)
		}
		if evs := plEvents(t, env, acme, c.ID, "customer.classified"); len(evs) != 1 {
			t.Errorf("classified events %d", len(evs))
		} else if ch, _ := evs[0].Payload.Data()["changed"].([]any); len(ch) != 3 {
			t.Errorf("changed %v, want tier, intent_class, score", ch)
		}

		// A failing plugin: the built-in rules stand in, saying so; the intent class stays.
		plugin.err = errors.New("plugin crashed")
		got = clClassify(t, sales, c.ID)
		if got.Tier != "general" || got.Classification.Rule != customer.BuiltinRule || !clHasReason(got, "plugin failed") ||
			got.IntentClass == nil || *got.IntentClass != "A" || got.Classification.Score != nil {
			t.Errorf("fallback: %+v", got)
		}
		// Nonsense from the plugin is a failure too.
		plugin.err, plugin.res.Tier = nil, "platinum"
		if got = clClassify(t, sales, c.ID); got.Tier != "general" || !clHasReason(got, "plugin failed") {
			t.Errorf("invalid tier: %+v", got)
		}

		// The batch form: ReclassifyTenant calls it once per batch.
		var batchCs []plCustomer
		for i := 0; i < 4; i++ {
			batchCs = append(batchCs, plCreate(t, sales, map[string]any{"name": "批量客户" + string(rune('甲'+i)), "stage": "deal"}))
		}
		plCreate(t, other.Owner, map[string]any{"name": "别家客户", "stage": "deal"})
		bp := &clBatchPlugin{clPlugin{res: customer.ClassifyResult{Tier: "potential", Rule: "acme-rules:v3", Reasons: []string{"批量"}}}}
		svc.Classifiers = func(ctx context.Context) customer.Classifier { return bp }
		res, err := svc.ReclassifyTenant(plCtx(acme), 2)
		if err != nil {
			t.Fatal(err)
		}
		if res.Seen != 5 || res.Changed != 5 || bp.batches.Load() != 3 || bp.singles.Load() != 0 {
			t.Errorf("batch run %+v, %d batches, %d single calls", res, bp.batches.Load(), bp.singles.Load())
		}
		// Each customer is written once, with its version bumped, its audit entry and event.
		for _, c := range batchCs {
			got := plGet(t, sales, c.ID)
			if got.Tier != "potential" || got.Classification.Rule != "acme-rules:v3" || got.Version != c.Version+1 {
				t.Errorf("after the batch run: %+v (was version %d)", got, c.Version)
			}
			if a := plAudit(t, env, acme, c.ID); len(a) == 0 || a[len(a)-1] != "classify" {
				t.Errorf("audit after the batch run: %v", a)
			}
			if evs := plEvents(t, env, acme, c.ID, "customer.classified"); len(evs) == 0 || evs[len(evs)-1].Payload.Data()["tier"] != "potential" {
				t.Errorf("classified events after the batch run: %+v", evs)
			}
		}
		// Again: nothing changes, nothing is written.
		if res, err = svc.ReclassifyTenant(plCtx(acme), 2); err != nil || res.Changed != 0 {
			t.Errorf("second batch run %+v %v", res, err)
		}
		// The other tenant was not touched.
		var theirs []plCustomer
		var page struct{ Items []plCustomer }
		other.Owner.MustDo(t, "GET", "/api/v1/customers", nil, 200, &page)
		theirs = page.Items
		if len(theirs) != 1 || theirs[0].Tier != "general" || theirs[0].Version != 1 {
			t.Errorf("other tenant: %+v", theirs)
		}
	})
}
