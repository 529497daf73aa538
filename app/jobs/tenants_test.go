package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/tenantctx"
)

// A sweep reaches every tenant in that tenant's own context, and one tenant's failure neither
// stops the others nor hides which tenant failed.
func TestEachTenant(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		a, b, c := env.Signup(t), env.Signup(t), env.Signup(t)
		seen := map[uuid.UUID]int{}
		broken := errors.New("broken")
		n, err := jobs.EachTenant(context.Background(), env.DB, func(ctx context.Context) (int, error) {
			id, ok := tenantctx.TenantID(ctx)
			if !ok {
				t.Fatal("a run without its tenant")
			}
			seen[id]++
			if id == b.ID {
				return 0, broken
			}
			return 2, nil
		})
		for _, co := range []*apitest.Company{a, b, c} {
			if seen[co.ID] != 1 {
				t.Errorf("tenant %s run %d times, want once", co.Slug, seen[co.ID])
			}
		}
		// Other tests' tenants may share the database: every tenant but b counts 2.
		if want := 2 * (len(seen) - 1); n != want {
			t.Errorf("total %d, want %d", n, want)
		}
		if !errors.Is(err, broken) || !strings.Contains(err.Error(), b.ID.String()) {
			t.Errorf("error %v, want b's failure naming b", err)
		}

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := jobs.EachTenant(ctx, env.DB, func(context.Context) (int, error) {
			t.Error("a run after the round was cancelled")
			return 0, nil
		}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled round: %v", err)
		}
	})
}
