package host

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/plugins/sdk"
)

// Classifiers is customer.Service.Classifiers: the context tenant's enabled classifier
// plugin (the first by ID when several are enabled), or nil for the built-in rules. A plugin
// that is not running, or whose breaker is open, is nil too.
func (h *Host) Classifiers(ctx context.Context) customer.Classifier {
	for _, id := range h.enabledWith(ctx, sdk.CapClassifier) {
		if p := h.proc(id); p != nil {
			if _, err := p.running(); err == nil {
				return &classifier{h: h, id: id}
			}
		}
	}
	return nil
}

// classifier calls one plugin; every answer is checked, and a wrong one counts as the
// plugin's failure (the customer package then applies the built-in rules).
type classifier struct {
	h  *Host
	id string
	// failed makes the rest of one classification run skip a plugin that already failed in
	// it (the customer package retries one by one after a failed batch).
	failed bool
}

func classifyInput(in customer.ClassifyInput) sdk.ClassifyInput {
	v := in.Customer
	c := sdk.Customer{ID: v.ID.String(), Type: v.Type, Name: v.Name, Industry: v.Industry, Region: v.Region, Source: v.Source,
		Stage: v.Stage, Tier: v.Tier, Tags: v.Tags, CustomFields: v.CustomFields, CreatedAt: v.CreatedAt,
		CreditRating: v.Credit.Rating, RiskLevel: v.Credit.RiskLevel}
	if v.IntentClass != nil {
		c.IntentClass = *v.IntentClass
	}
	if v.ValueClass != nil {
		c.ValueClass = *v.ValueClass
	}
	if v.Scale.Employees != nil {
		c.Employees = int64(*v.Scale.Employees)
	}
	if v.Scale.AnnualRevenue != nil {
		c.AnnualRevenue = v.Scale.AnnualRevenue.String()
	}
	if v.OwnerID != nil {
		c.OwnerID = v.OwnerID.String()
	}
	s := sdk.TxSummary{AnnualPurchase: in.Summary.AnnualPurchase.String(), OrderCount: int64(in.Summary.OrderCount)}
	if in.Summary.LastOrderAt != nil {
		t := in.Summary.LastOrderAt.UTC()
		s.LastOrderAt = &t
	}
	return sdk.ClassifyInput{Customer: c, Summary: s}
}

// checkResult validates a plugin's answer and converts it.
func checkResult(id string, r sdk.ClassifyResult) (customer.ClassifyResult, error) {
	switch r.Tier {
	case customer.TierKey, customer.TierGeneral, customer.TierPotential:
	default:
		return customer.ClassifyResult{}, fmt.Errorf("plugin %s answered tier %q", id, r.Tier)
	}
	out := customer.ClassifyResult{Tier: r.Tier, Score: r.Score, Reasons: r.Reasons, Rule: r.Rule}
	switch r.IntentClass {
	case "":
	case "A", "B", "C":
		ic := r.IntentClass
		out.IntentClass = &ic
	default:
		return customer.ClassifyResult{}, fmt.Errorf("plugin %s answered intent class %q", id, r.IntentClass)
	}
	if r.Score != nil && (math.IsNaN(*r.Score) || math.IsInf(*r.Score, 0)) {
		return customer.ClassifyResult{}, fmt.Errorf("plugin %s answered score %v", id, *r.Score)
	}
	if len(r.Reasons) > 20 {
		out.Reasons = r.Reasons[:20]
	}
	for i, s := range out.Reasons {
		if len(s) > 500 {
			out.Reasons[i] = s[:500]
		}
	}
	rule := strings.TrimSpace(r.Rule)
	if rule == "" {
		rule = "plugin"
	}
	if len(rule) > 100 {
		rule = rule[:100]
	}
	out.Rule = "plugin:" + id + ":" + rule
	if out.Reasons == nil {
		out.Reasons = []string{}
	}
	return out, nil
}

func (c *classifier) Classify(ctx context.Context, in customer.ClassifyInput) (customer.ClassifyResult, error) {
	var out customer.ClassifyResult
	if c.failed {
		return out, fmt.Errorf("%w: %s failed earlier in this run", ErrUnavailable, c.id)
	}
	err := c.h.call(ctx, c.id, "Classify", c.h.opt.CallTimeout, func(ctx context.Context, cl *sdk.Client, ci sdk.CallInfo) error {
		r, err := cl.Classify(ctx, ci, classifyInput(in))
		if err != nil {
			return err
		}
		out, err = checkResult(c.id, r)
		return err
	})
	c.failed = err != nil
	return out, err
}

// ClassifyBatch classifies many customers over one stream, in batches of 500.
func (c *classifier) ClassifyBatch(ctx context.Context, ins []customer.ClassifyInput) ([]customer.ClassifyResult, error) {
	if len(ins) == 1 { // one customer: the single call and its shorter deadline
		r, err := c.Classify(ctx, ins[0])
		if err != nil {
			return nil, err
		}
		return []customer.ClassifyResult{r}, nil
	}
	if c.failed {
		return nil, fmt.Errorf("%w: %s failed earlier in this run", ErrUnavailable, c.id)
	}
	var out []customer.ClassifyResult
	timeout := c.h.opt.BatchTimeout + time.Duration(len(ins)/500)*c.h.opt.BatchTimeout/4
	err := c.h.call(ctx, c.id, "ClassifyBatch", timeout, func(ctx context.Context, cl *sdk.Client, ci sdk.CallInfo) error {
		sins := make([]sdk.ClassifyInput, len(ins))
		for i, in := range ins {
			sins[i] = classifyInput(in)
		}
		rs, err := cl.ClassifyBatch(ctx, ci, sins, 500)
		if err != nil {
			return err
		}
		if len(rs) != len(ins) {
			return fmt.Errorf("plugin %s answered %d results for %d customers", c.id, len(rs), len(ins))
		}
		out = make([]customer.ClassifyResult, len(rs))
		for i, r := range rs {
			if out[i], err = checkResult(c.id, r); err != nil {
				return err
			}
		}
		return nil
	})
	c.failed = err != nil
	return out, err
}
