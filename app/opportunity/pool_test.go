package opportunity_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/jobs"
)

// A live opportunity keeps its customer out of the public pool while the tenant's rules
// exempt open opportunities (the default); a won or lost one does not.
func TestOpenOpportunityExemptsFromPool(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		live := newCustomer(t, sales, "有商机的客户")
		closed := newCustomer(t, sales, "商机已输的客户")
		idle := newCustomer(t, sales, "无商机的客户")
		sales.MustDo(t, "POST", "/api/v1/opportunities", map[string]any{"name": "在谈", "customer_id": live}, 201, nil)
		var o opp
		sales.MustDo(t, "POST", "/api/v1/opportunities", map[string]any{"name": "已输", "customer_id": closed}, 201, &o)
		sales.MustDo(t, "PATCH", "/api/v1/opportunities/"+o.ID.String(), map[string]any{"version": o.Version, "stage": "lost", "lost_reason": "无预算"}, 200, nil)

		env.Clock().Advance(60 * 24 * time.Hour)
		ctx := jobs.TenantContext(context.Background(), acme.ID, uuid.Nil)
		if _, err := env.Server.Customers.RecycleIdleCustomers(ctx, env.Clock().Now()); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[uuid.UUID]bool{live: false, closed: true, idle: true} {
			inPool := env.CountRows(t, "customers", "id = ? AND in_pool = ?", id, true) == 1
			if inPool != want {
				t.Errorf("customer %s: in_pool %v, want %v", id, inPool, want)
			}
		}
	})
}
