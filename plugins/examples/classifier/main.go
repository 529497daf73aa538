// Command classifier is the example classifier plugin (PLG-6 a): a rule-based classification
// with the company's own thresholds, set per tenant as the plugin's configuration:
//
//	{
//	  "key":     {"min_annual_purchase": 1000000, "min_orders": 24},
//	  "general": {"min_annual_purchase": 100000,  "min_orders": 6},
//	  "intent":  {"a_min_score": 70, "b_min_score": 40}
//	}
//
// A customer is key when it reaches either key threshold (annual purchases or orders in the
// last twelve months, i.e. order frequency), general when it reaches either general one,
// potential otherwise. Its score (0-100) weighs purchases and frequency against the key
// thresholds; the intent class follows the score (A ≥ a_min_score, B ≥ b_min_score, else C).
// A churned customer keeps its tier and gets no intent class.
//
// Build: go build -o classifier ./plugins/examples/classifier
package main

import (
	"github.com/smecrm/crm/plugins/examples/classifier/rules"
	"github.com/smecrm/crm/plugins/sdk"
)

func main() { sdk.Serve(rules.Plugin{}) }
