package host_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/plugins/host"
)

// TestAPI4HangingClassifierStallsNoOneElse (OWASP API4, resource consumption): a tenant's
// classifier plugin that does not answer holds up only that tenant's own write, until the
// call deadline; it is asked outside the write transaction, so another tenant's customer write
// (SQLite has one writer for every tenant) completes meanwhile — well within a second, and
// before the hung write returns. The hung write then stores the built-in classification of
// exactly the data it wrote.
func TestAPI4HangingClassifierStallsNoOneElse(t *testing.T) {
	const deadline = 4 * time.Second
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			dir := pluginDir(d)
			opts := testOptions(dir)
			opts.CallTimeout, opts.BatchTimeout = deadline, deadline
			env := apitest.NewWithOptions(t, d, server.Options{Plugins: opts})
			installMu.Lock()
			if _, err := host.Install(context.Background(), env.DB, dir, bins["hanger"]); err != nil {
				installMu.Unlock()
				t.Fatal(err)
			}
			installMu.Unlock()
			startPlugins(t, env, hangerID)
			hangy, calm := env.Signup(t), env.Signup(t)
			enable(t, hangy, hangerID, nil)

			hungDone := make(chan custOut, 1)
			go func() {
				var c custOut
				r := hangy.Owner.Do(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "等插件的客户", "stage": "deal"})
				if r.Status == 201 {
					r.JSON(t, &c)
				}
				hungDone <- c
			}()
			// Let the hung write reach the plugin (no assertion rests on this pause).
			time.Sleep(500 * time.Millisecond)

			t0 := time.Now()
			c := createCustomer(t, calm.Owner, "不受影响的客户", "deal")
			took := time.Since(t0)
			var hung *custOut
			select {
			case h := <-hungDone:
				hung = &h
				t.Errorf("the other tenant's write waited for the hung classifier (%s)", took)
			default:
			}
			if took > time.Second {
				t.Errorf("the other tenant's write took %s", took)
			}
			if fellBack(c) {
				t.Errorf("calm tenant fell back: %+v", c.Classification)
			}

			if hung == nil {
				select {
				case h := <-hungDone:
					hung = &h
				case <-time.After(3 * deadline):
					t.Fatal("the hung write never returned")
				}
			}
			if hung.ID == uuid.Nil || !fellBack(*hung) || hung.Tier != c.Tier {
				t.Errorf("hung write: %+v", *hung)
			}
		})
	}
}
