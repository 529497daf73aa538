package service_test

// Carry-over (第11條): work still undispatched when the tenant's day ends is marked carried over
// and listed first on the next day's dispatch board; the job runs on a replaceable clock.

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/jobs"
)

func TestCarryOver(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		other := newTeam(t, env)
		svc := env.Server.WorkOrders
		ctx := jobs.TenantContext(context.Background(), tm.co.ID, uuid.Nil)

		undispatched := tm.register(t, nil)
		declined := tm.to(t, tm.register(t, nil), "dispatched")
		tm.tech.MustDo(t, "POST", woURL(declined, "/decline"), map[string]any{"reason": "太远"}, 200, &declined)
		dispatched := tm.to(t, tm.register(t, nil), "dispatched")
		cancelled := tm.register(t, nil)
		tm.cs.MustDo(t, "POST", woURL(cancelled, "/cancel"), map[string]any{"reason": "重复登记"}, 200, nil)
		theirs := other.register(t, nil)

		// The boundary is the tenant's midnight (Asia/Shanghai by default), not UTC's.
		sh := mustLoc(t, "Asia/Shanghai")
		reg := env.Clock().Now().In(sh)
		midnight := time.Date(reg.Year(), reg.Month(), reg.Day()+1, 0, 0, 0, 0, sh)
		if n, err := svc.CarryOver(ctx, midnight.Add(-time.Second)); err != nil || n != 0 {
			t.Fatalf("a second before the tenant's midnight: %d marked (%v), want 0", n, err)
		}
		n, err := svc.CarryOver(ctx, midnight)
		if err != nil || n != 2 {
			t.Fatalf("at the tenant's midnight: %d marked (%v), want 2 (undispatched and declined)", n, err)
		}
		if n, err := svc.CarryOver(ctx, midnight.Add(time.Hour)); err != nil || n != 0 {
			t.Errorf("second run: %d marked (%v), want 0", n, err)
		}
		for _, c := range []struct {
			w    workOrder
			want bool
		}{{undispatched, true}, {declined, true}, {dispatched, false}, {cancelled, false}} {
			if got := tm.get(t, c.w); got.CarriedOver != c.want {
				t.Errorf("%s (%s): carried_over %v, want %v", c.w.Number, got.Status, got.CarriedOver, c.want)
			}
		}
		if got := other.get(t, theirs); got.CarriedOver {
			t.Error("another tenant's work order marked by this tenant's run")
		}
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", undispatched.ID, "work_order.carried_over"); n != 1 {
			t.Errorf("%d carried_over events", n)
		}
		if n := env.CountRows(t, "work_order_history", "work_order_id = ? AND action = ?", undispatched.ID, "carry_over"); n != 1 {
			t.Errorf("%d carry-over history steps", n)
		}

		// The job itself runs every tenant as of the service's clock: a day later the other
		// tenant's work is carried over too, and today's new registration is not.
		fresh := tm.register(t, nil)
		env.Clock().Advance(25 * time.Hour)
		today := tm.register(t, nil)
		if _, err := svc.CarryOverAll(context.Background()); err != nil {
			t.Fatal(err)
		}
		if !other.get(t, theirs).CarriedOver || !tm.get(t, fresh).CarriedOver || tm.get(t, today).CarriedOver {
			t.Error("the job's run: wrong work carried over")
		}

		// The dispatch board: yesterday's work first.
		var board page
		tm.mgr.MustDo(t, "GET", "/api/v1/work-orders?status=registered&carried_over=true", nil, 200, &board)
		got := map[uuid.UUID]bool{}
		for _, w := range board.Items {
			got[w.ID] = true
		}
		if len(board.Items) != 3 || !got[undispatched.ID] || !got[declined.ID] || !got[fresh.ID] {
			t.Errorf("carried-over board: %v", got)
		}
		// Dispatching carried-over work keeps the mark.
		tm.mgr.MustDo(t, "POST", woURL(undispatched, "/dispatch"), map[string]any{"technician_id": tm.tech.UserID}, 200, &undispatched)
		if !undispatched.CarriedOver {
			t.Error("dispatch cleared carried_over")
		}
	})
}
