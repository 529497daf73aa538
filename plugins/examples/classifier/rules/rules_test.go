package rules_test

import (
	"context"
	"testing"

	"github.com/smecrm/crm/plugins/examples/classifier/rules"
	"github.com/smecrm/crm/plugins/sdk"
)

// Unit tests of the plugin's logic with the SDK's in-memory host: no process, no CRM.
func TestThresholds(t *testing.T) {
	host := sdk.NewFakeHost()
	cfg := map[string]any{"key": map[string]any{"min_annual_purchase": 500000, "min_orders": 20},
		"general": map[string]any{"min_annual_purchase": 10000, "min_orders": 10}, "intent": map[string]any{"a_min_score": 70, "b_min_score": 30}}
	call := host.Call("t1", cfg)
	cases := []struct {
		name     string
		purchase string
		orders   int64
		stage    string
		tier     string
		intent   string
	}{
		{"key by purchases", "600000", 3, "deal", "key", "B"},
		{"key by frequency", "0", 25, "deal", "key", "B"},
		{"both at the top", "900000", 40, "deal", "key", "A"},
		{"general by frequency", "100", 12, "deal", "general", "C"},
		{"general by purchases", "10000", 0, "deal", "general", "C"},
		{"below both", "9999.99", 9, "deal", "potential", "C"},
		{"garbage amount counts as zero", "lots", -4, "deal", "potential", "C"},
		{"churned keeps its tier", "900000", 40, "churned", "general", ""},
	}
	p := rules.Plugin{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := sdk.ClassifyInput{Customer: sdk.Customer{ID: "c", Stage: c.stage, Tier: "general"},
				Summary: sdk.TxSummary{AnnualPurchase: c.purchase, OrderCount: c.orders}}
			res, err := p.Classify(context.Background(), call, in)
			if err != nil {
				t.Fatal(err)
			}
			if res.Tier != c.tier || res.IntentClass != c.intent || res.Rule != rules.RuleName || len(res.Reasons) == 0 {
				t.Errorf("%+v, want %s %s", res, c.tier, c.intent)
			}
		})
	}
	// Defaults when the tenant configured nothing; a malformed configuration is refused.
	res, _ := p.Classify(context.Background(), host.Call("t2", nil), sdk.ClassifyInput{Summary: sdk.TxSummary{AnnualPurchase: "1000000"}})
	if res.Tier != "key" {
		t.Errorf("defaults: %+v", res)
	}
	bad := host.Call("t3", nil)
	bad.Config = []byte(`{"key": 5}`)
	if _, err := p.Classify(context.Background(), bad, sdk.ClassifyInput{}); err == nil {
		t.Error("malformed configuration accepted")
	}
}
