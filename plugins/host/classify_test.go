package host_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/storetest"
)

type custOut struct {
	ID             uuid.UUID `json:"id"`
	Tier           string    `json:"tier"`
	IntentClass    *string   `json:"intent_class"`
	Classification struct {
		Rule    string   `json:"rule"`
		Reasons []string `json:"reasons"`
		Score   *float64 `json:"score"`
	} `json:"classification"`
}

func createCustomer(t *testing.T, as *apitest.Client, name, stage string) custOut {
	t.Helper()
	var c custOut
	as.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": name, "stage": stage}, 201, &c)
	return c
}

func intent(c custOut) string {
	if c.IntentClass == nil {
		return ""
	}
	return *c.IntentClass
}

const pluginRule = "plugin:example-classifier:thresholds:v1"

// The example classifier, enabled by one tenant with its own thresholds, classifies that
// tenant's customers on create, update and POST /classify; another tenant keeps the built-in
// rules. The plugins API shows the state; the usual rows guard PUT.
func TestClassifierThroughAPI(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			env := newEnv(t, d, "classifier")
			env.Server.Customers.Summaries = summaries(map[string]customer.TxSummary{
				"大买家":    {AnnualPurchase: decimal.NewFromInt(600_000), OrderCount: 3},
				"常客":     {AnnualPurchase: decimal.NewFromInt(20_000), OrderCount: 12},
				"小客户":    {AnnualPurchase: decimal.NewFromInt(1_000), OrderCount: 1},
				"后来的大客户": {AnnualPurchase: decimal.NewFromInt(2_000_000), OrderCount: 30},
			})
			acme, other := env.Signup(t), env.Signup(t)
			sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
			gm := acme.AddUser(t, "general_manager")
			cfg := map[string]any{"key": map[string]any{"min_annual_purchase": 500000, "min_orders": 20},
				"general": map[string]any{"min_annual_purchase": 10000, "min_orders": 10}, "intent": map[string]any{"a_min_score": 70, "b_min_score": 30}}
			env.Run(t, []apitest.Scenario{
				{Name: "no login", Method: "PUT", URL: "/api/v1/plugins/" + classifierID, Body: map[string]any{"enabled": true}, Status: 401, Code: "unauthenticated"},
				{Name: "wrong role: the general manager may read, not configure", Method: "PUT", URL: "/api/v1/plugins/" + classifierID, Body: map[string]any{"enabled": true}, As: gm, Status: 403, Code: "forbidden"},
				{Name: "wrong role: a salesperson may not list", Method: "GET", URL: "/api/v1/plugins", As: sales, Status: 403, Code: "forbidden"},
				{Name: "not found", Method: "PUT", URL: "/api/v1/plugins/no-such-plugin", Body: map[string]any{"enabled": true}, As: acme.Owner, Status: 404, Code: "not_found"},
				{Name: "invalid: config must be an object", Method: "PUT", URL: "/api/v1/plugins/" + classifierID, Body: map[string]any{"enabled": true, "config": "x"}, As: acme.Owner, Status: 422, Code: "validation_failed"},
				{Name: "invalid: enabled is required", Method: "PUT", URL: "/api/v1/plugins/" + classifierID, Body: map[string]any{"config": map[string]any{}}, As: acme.Owner, Status: 422, Code: "validation_failed"},
				{Name: "success", Method: "PUT", URL: "/api/v1/plugins/" + classifierID, Body: map[string]any{"enabled": true, "config": cfg}, As: acme.Owner, Status: 200,
					Contains: []string{`"enabled":true`, `"min_annual_purchase":500000`, `"status":"running"`}},
				{Name: "the general manager reads it", Method: "GET", URL: "/api/v1/plugins", As: gm, Status: 200, Contains: []string{`"id":"example-classifier"`, `"enabled":true`}},
				{Name: "other tenant: not enabled there", Method: "GET", URL: "/api/v1/plugins/" + classifierID, As: other.Owner, Status: 200, Contains: []string{`"enabled":false`}, NotContains: []string{"min_annual_purchase"}},
			})
			if n := env.CountRows(t, "audit_log", "tenant_id = ? AND entity = 'plugin'", acme.ID); n != 1 {
				t.Errorf("audit entries for the plugin: %d", n)
			}

			// On create the customer has no transactions yet: the plugin's rules see zero.
			big := createCustomer(t, sales, "大买家", "deal")
			if big.Classification.Rule != pluginRule || big.Tier != "potential" || intent(big) != "C" {
				t.Errorf("on create: %+v", big)
			}
			freq := createCustomer(t, sales, "常客", "deal")
			small := createCustomer(t, sales, "小客户", "deal")
			for _, c := range []*custOut{&big, &freq, &small} {
				sales.MustDo(t, "POST", fmt.Sprintf("/api/v1/customers/%s/classify", c.ID), nil, 200, c)
			}
			for _, c := range []struct {
				c            custOut
				tier, intent string
			}{{big, "key", "B"}, {freq, "general", "C"}, {small, "potential", "C"}} {
				if c.c.Tier != c.tier || intent(c.c) != c.intent || c.c.Classification.Rule != pluginRule {
					t.Errorf("%s: tier %s intent %s rule %s %v, want %s %s by the plugin", c.c.ID, c.c.Tier, intent(c.c), c.c.Classification.Rule, c.c.Classification.Reasons, c.tier, c.intent)
				}
			}
			// POST /classify and an update use the plugin too.
			late := createCustomer(t, sales, "后来的大客户", "deal")
			var got custOut
			sales.MustDo(t, "POST", fmt.Sprintf("/api/v1/customers/%s/classify", late.ID), nil, 200, &got)
			if got.Tier != "key" || intent(got) != "A" || got.Classification.Rule != pluginRule {
				t.Errorf("classify: %+v", got)
			}
			var upd custOut
			sales.MustDo(t, "PATCH", fmt.Sprintf("/api/v1/customers/%s", small.ID), map[string]any{"region": "华东", "version": 2}, 200, &upd)
			if upd.Classification.Rule != pluginRule {
				t.Errorf("update: %+v", upd)
			}

			// The other tenant is unaffected: built-in rules.
			theirs := createCustomer(t, other.Owner, "大买家", "deal")
			if theirs.Classification.Rule != customer.BuiltinRule {
				t.Errorf("other tenant classified by %s", theirs.Classification.Rule)
			}

			// Re-classifying the whole tenant goes through the plugin in batches.
			res, err := env.Server.Customers.ReclassifyTenant(tenantCtx(acme), 2)
			if err != nil || res.Seen != 4 {
				t.Fatalf("reclassify: %+v %v", res, err)
			}
			calls := metricValue(t, env, "crm_plugin_calls_total", `method="ClassifyBatch",outcome="ok"`)
			if calls < 2 {
				t.Errorf("ClassifyBatch calls: %v\n%s", calls, env.Metrics(t))
			}

			// Disabled again: built-in rules.
			acme.Owner.MustDo(t, "PUT", "/api/v1/plugins/"+classifierID, map[string]any{"enabled": false}, 200, nil)
			again := createCustomer(t, sales, "又一个客户", "deal")
			if again.Classification.Rule != customer.BuiltinRule {
				t.Errorf("after disabling: %s", again.Classification.Rule)
			}
		})
	}
}

// metricValue sums the samples of a metric whose labels contain all of match.
func metricValue(t *testing.T, env *apitest.Env, name, match string) float64 {
	t.Helper()
	sum := 0.0
	for _, line := range strings.Split(env.Metrics(t), "\n") {
		if !strings.HasPrefix(line, name) {
			continue
		}
		ok := true
		for _, m := range strings.Split(match, ",") {
			ok = ok && strings.Contains(line, m)
		}
		if !ok {
			continue
		}
		var v float64
		fmt.Sscanf(line[strings.LastIndexByte(line, ' ')+1:], "%g", &v)
		sum += v
	}
	return sum
}
