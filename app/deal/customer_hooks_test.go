package deal_test

// How sales records join the customer archive: they appear on the customer's timeline, move
// with a merge, and give classification its transaction summary.

import (
	"context"
	"strings"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/tenantctx"
)

func TestSalesOnCustomerTimelineAndMerge(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		finance := acme.AddUser(t, "finance")
		owner := acme.Owner
		owner.Lang = "en"
		keep := newCustomer(t, owner, "合并目标")
		gone := newCustomer(t, owner, "被合并客户")
		var o struct {
			ID      uuid.UUID
			Version int64
		}
		owner.MustDo(t, "POST", "/api/v1/opportunities", map[string]any{"name": "扩容", "customer_id": gone, "amount": cny("800")}, 201, &o)
		owner.MustDo(t, "PATCH", "/api/v1/opportunities/"+o.ID.String(), map[string]any{"version": o.Version, "stage": "negotiation"}, 200, &o)
		c := signed(t, owner, owner, gone, cny("800"), map[string]any{"number": "HT-7"})
		owner.MustDo(t, "POST", "/api/v1/orders", map[string]any{"customer_id": gone, "contract_id": c.ID, "amount": cny("800"), "number": "DD-7"}, 201, nil)
		finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": gone, "contract_id": c.ID, "amount": cny("800"), "method": "cash"}, 201, nil)

		var tl struct {
			Items []struct {
				Kind    string `json:"kind"`
				Action  string `json:"action"`
				Summary string `json:"summary"`
			}
		}
		owner.MustDo(t, "GET", "/api/v1/customers/"+gone.String()+"/timeline?limit=50", nil, 200, &tl)
		var lines []string
		for _, it := range tl.Items {
			if it.Kind != "change" && it.Kind != "contact" {
				lines = append(lines, it.Kind+"/"+it.Action+": "+it.Summary)
			}
		}
		joined := strings.Join(lines, "\n")
		for _, want := range []string{"opportunity/create: Opportunity 扩容 created (800.00 CNY, information gathering)",
			"opportunity/stage_changed: Opportunity 扩容: information gathering → negotiation",
			"contract/create: Contract HT-7 drafted (800.00 CNY)", "contract/sign: Contract HT-7 signed (800.00 CNY)",
			"order/create: Order DD-7 (800.00 CNY)", "payment/create: Payment of 800.00 CNY received"} {
			if !strings.Contains(joined, want) {
				t.Errorf("timeline lacks %q:\n%s", want, joined)
			}
		}

		// Summaries: one order of 800 in the last year.
		ctx := tenantctx.WithTenant(context.Background(), acme.ID)
		err := env.DB.Read(ctx, func(tx *gorm.DB) error {
			sums, err := env.Server.Deals.Summaries(ctx, tx, []uuid.UUID{gone, keep})
			if err != nil {
				return err
			}
			if s := sums[gone]; s.OrderCount != 1 || s.AnnualPurchase.StringFixed(2) != "800.00" || s.LastOrderAt == nil {
				t.Errorf("summary %+v", s)
			}
			if s := sums[keep]; s.OrderCount != 0 {
				t.Errorf("empty summary %+v", s)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}

		owner.MustDo(t, "POST", "/api/v1/customers/"+keep.String()+"/merge", map[string]any{"from_id": gone}, 200, nil)
		for _, table := range []string{"opportunities", "contracts", "orders", "payments"} {
			if n := env.CountRows(t, table, "customer_id = ?", gone); n != 0 {
				t.Errorf("%s: %d rows left on the merged customer", table, n)
			}
			if n := env.CountRows(t, table, "customer_id = ?", keep); n != 1 {
				t.Errorf("%s: %d rows on the surviving customer", table, n)
			}
		}
	})
}
