// Package rules is the example classifier plugin's logic, separate from its main so that it
// can be unit-tested with sdk.FakeHost.
package rules

import (
	"context"
	"fmt"
	"math"

	"github.com/smecrm/crm/plugins/sdk"
)

// RuleName names this rule set in classification records.
const RuleName = "thresholds:v1"

// Config is a tenant's thresholds.
type Config struct {
	Key     Thresholds `json:"key"`
	General Thresholds `json:"general"`
	Intent  struct {
		AMinScore float64 `json:"a_min_score"`
		BMinScore float64 `json:"b_min_score"`
	} `json:"intent"`
}

// Thresholds are the minimum annual purchases and orders in twelve months of a tier.
type Thresholds struct {
	MinAnnualPurchase float64 `json:"min_annual_purchase"`
	MinOrders         int64   `json:"min_orders"`
}

// Defaults are the thresholds of a tenant that configured none.
func Defaults() Config {
	var c Config
	c.Key = Thresholds{MinAnnualPurchase: 1_000_000, MinOrders: 24}
	c.General = Thresholds{MinAnnualPurchase: 100_000, MinOrders: 6}
	c.Intent.AMinScore, c.Intent.BMinScore = 70, 40
	return c
}

// Plugin is the classifier.
type Plugin struct{}

// Manifest describes the plugin.
func (Plugin) Manifest() sdk.Manifest {
	return sdk.Manifest{ID: "example-classifier", Name: "Threshold classifier", Version: "1.0.0",
		Description:  "Classifies customers by the company's own thresholds of annual purchases and order frequency.",
		Capabilities: []string{sdk.CapClassifier},
		ConfigSchema: []byte(`{"type":"object","properties":{"key":{"type":"object"},"general":{"type":"object"},"intent":{"type":"object"}}}`)}
}

// config reads the call's thresholds over the defaults.
func config(call *sdk.Call) (Config, error) {
	c := Defaults()
	if err := call.DecodeConfig(&c); err != nil {
		return c, fmt.Errorf("%w: configuration: %v", sdk.ErrInvalid, err)
	}
	return c, nil
}

// Classify classifies one customer.
func (Plugin) Classify(_ context.Context, call *sdk.Call, in sdk.ClassifyInput) (sdk.ClassifyResult, error) {
	cfg, err := config(call)
	if err != nil {
		return sdk.ClassifyResult{}, err
	}
	return Classify(cfg, in), nil
}

// ClassifyBatch classifies many customers with one reading of the configuration.
func (Plugin) ClassifyBatch(_ context.Context, call *sdk.Call, ins []sdk.ClassifyInput) ([]sdk.ClassifyResult, error) {
	cfg, err := config(call)
	if err != nil {
		return nil, err
	}
	out := make([]sdk.ClassifyResult, len(ins))
	for i, in := range ins {
		out[i] = Classify(cfg, in)
	}
	return out, nil
}

// Classify applies cfg to one customer.
func Classify(cfg Config, in sdk.ClassifyInput) sdk.ClassifyResult {
	purchase := math.Max(in.Summary.AnnualPurchaseValue(), 0)
	orders := max(in.Summary.OrderCount, 0)
	res := sdk.ClassifyResult{Rule: RuleName}
	if in.Customer.Stage == "churned" {
		res.Tier = in.Customer.Tier
		if res.Tier == "" {
			res.Tier = "potential"
		}
		res.Reasons = []string{"churned: tier kept"}
		return res
	}
	switch {
	case meets(cfg.Key, purchase, orders):
		res.Tier = "key"
		res.Reasons = append(res.Reasons, reason("key", cfg.Key, purchase, orders))
	case meets(cfg.General, purchase, orders):
		res.Tier = "general"
		res.Reasons = append(res.Reasons, reason("general", cfg.General, purchase, orders))
	default:
		res.Tier = "potential"
		res.Reasons = append(res.Reasons, fmt.Sprintf("annual purchase %.2f and %d orders below the general thresholds", purchase, orders))
	}
	score := 0.0
	if cfg.Key.MinAnnualPurchase > 0 {
		score += 60 * math.Min(purchase/cfg.Key.MinAnnualPurchase, 1)
	}
	if cfg.Key.MinOrders > 0 {
		score += 40 * math.Min(float64(orders)/float64(cfg.Key.MinOrders), 1)
	}
	score = math.Round(score*10) / 10
	res.Score = &score
	switch {
	case score >= cfg.Intent.AMinScore:
		res.IntentClass = "A"
	case score >= cfg.Intent.BMinScore:
		res.IntentClass = "B"
	default:
		res.IntentClass = "C"
	}
	res.Reasons = append(res.Reasons, fmt.Sprintf("score %.1f → intent %s", score, res.IntentClass))
	return res
}

func meets(t Thresholds, purchase float64, orders int64) bool {
	return (t.MinAnnualPurchase > 0 && purchase >= t.MinAnnualPurchase) || (t.MinOrders > 0 && orders >= t.MinOrders)
}

func reason(tier string, t Thresholds, purchase float64, orders int64) string {
	if t.MinAnnualPurchase > 0 && purchase >= t.MinAnnualPurchase {
		return fmt.Sprintf("annual purchase %.2f >= %s minimum %.2f", purchase, tier, t.MinAnnualPurchase)
	}
	return fmt.Sprintf("%d orders in twelve months >= %s minimum %d", orders, tier, t.MinOrders)
}
