package host_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/app/tenantctx"
)

type recorded struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Data struct {
		Type       string `json:"type"`
		EntityID   string `json:"entity_id"`
		TenantSeen string `json:"tenant_seen"`
		ReceivedAt int64  `json:"received_at"`
	} `json:"data"`
}

// recordedEvents lists what the recorder plugin stored for co, through its own route.
func recordedEvents(t *testing.T, env *apitest.Env, as *apitest.Client) []recorded {
	t.Helper()
	r := env.Do(t, "GET", "/api/v1/ext/test-recorder/events", nil, as.Headers("GET"))
	if r.Status != 200 {
		t.Fatalf("recorded events: %d %s", r.Status, r.Body)
	}
	var out struct{ Items []recorded }
	r.JSON(t, &out)
	return out.Items
}

// outboxAfter lists co's outbox event IDs after cursor.
func outboxAfter(t *testing.T, env *apitest.Env, co *apitest.Company, cursor string) []string {
	t.Helper()
	var evs []outbox.Event
	err := env.DB.Read(tenantctx.WithTenant(context.Background(), co.ID), func(tx *gorm.DB) error {
		q := tx.Order("id")
		if cursor != "" {
			q = q.Where("id > ?", uuid.MustParse(cursor))
		}
		return q.Find(&evs).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(evs))
	for i, e := range evs {
		ids[i] = e.ID.String()
	}
	return ids
}

// Enabled plugins receive their tenant's events at least once, in order per customer, with
// event IDs; the cursor is in the database, so events published while no server delivered
// them arrive after a restart. Another tenant's events and records stay out of reach.
func TestEventsDeliveredAfterRestart(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			env := newEnv(t, d, "recorder")
			acme, other := env.Signup(t), env.Signup(t)
			sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
			enable(t, acme, recorderID, nil)
			enable(t, other, recorderID, nil)
			var st struct {
				Events struct{ Cursor *string }
			}
			acme.Owner.MustDo(t, "GET", "/api/v1/plugins/"+recorderID, nil, 200, &st)
			start := ""
			if st.Events.Cursor != nil {
				start = *st.Events.Cursor
			}

			var ids []uuid.UUID
			for i := 0; i < 3; i++ {
				c := createCustomer(t, sales, fmt.Sprintf("事件客户 %d", i), "potential")
				ids = append(ids, c.ID)
				sales.MustDo(t, "PATCH", fmt.Sprintf("/api/v1/customers/%s", c.ID), map[string]any{"region": "华南", "version": 1}, 200, nil)
			}
			createCustomer(t, other.Owner, "别家的客户", "potential")
			want := outboxAfter(t, env, acme, start)
			if len(want) < 6 {
				t.Fatalf("outbox: %d events", len(want))
			}
			eventually(t, 15*time.Second, "events before the restart", func() error {
				if got := recordedEvents(t, env, acme.Owner); len(got) != len(want) {
					return fmt.Errorf("%d of %d recorded", len(got), len(want))
				}
				return nil
			})

			// The server stops delivering (its plugins are down); work goes on and events pile up.
			env.Server.Plugins.Stop()
			for _, id := range ids {
				sales.MustDo(t, "POST", "/api/v1/customers/"+id.String()+"/churn", map[string]any{"reason": "迁走"}, 200, nil)
			}
			want = outboxAfter(t, env, acme, start)

			// A new server on the same database picks up at the stored cursor.
			env2 := apitest.NewWithOptions(t, d, server.Options{Plugins: testOptions(pluginDir(d))})
			startPlugins(t, env2, recorderID)
			var got []recorded
			eventually(t, 15*time.Second, "events after the restart", func() error {
				got = recordedEvents(t, env2, acme.Owner)
				if len(got) != len(want) {
					return fmt.Errorf("%d of %d recorded", len(got), len(want))
				}
				return nil
			})
			gotIDs := map[string]bool{}
			for _, r := range got {
				gotIDs[r.ID] = true
				if r.Data.TenantSeen != acme.ID.String() {
					t.Errorf("event %s delivered with tenant %s", r.ID, r.Data.TenantSeen)
				}
			}
			for _, id := range want {
				if !gotIDs[id] {
					t.Errorf("event %s not delivered", id)
				}
			}
			// In order per customer: by arrival, each customer's event IDs ascend.
			sort.Slice(got, func(i, j int) bool { return got[i].Data.ReceivedAt < got[j].Data.ReceivedAt })
			last := map[string]string{}
			for _, r := range got {
				if prev := last[r.Data.EntityID]; prev != "" && r.ID < prev {
					t.Errorf("customer %s: event %s arrived after %s", r.Data.EntityID, r.ID, prev)
				}
				last[r.Data.EntityID] = r.ID
			}

			// The other tenant's plugin calls see only its own records …
			theirs := recordedEvents(t, env2, other.Owner)
			for _, r := range theirs {
				if gotIDs[r.ID] || r.Data.TenantSeen != other.ID.String() {
					t.Errorf("other tenant sees %+v", r)
				}
			}
			if r := env2.Do(t, "GET", "/api/v1/ext/test-recorder/events/"+want[0], nil, other.Owner.Headers("GET")); r.Status != 404 {
				t.Errorf("other tenant reads our event: %d %s", r.Status, r.Body)
			}
			// … and a plugin reusing the host binding of an earlier call gets nothing.
			var stale struct {
				Error   string `json:"stale_error"`
				Records int    `json:"stale_records"`
			}
			env2.Do(t, "GET", "/api/v1/ext/test-recorder/stale", nil, other.Owner.Headers("GET")).JSON(t, &stale)
			if stale.Records != 0 || !strings.Contains(stale.Error, "expired") {
				t.Errorf("stale binding: %+v", stale)
			}
			var view struct {
				Events struct {
					Failures int
					Cursor   string
				}
			}
			env2.Do(t, "GET", "/api/v1/plugins/"+recorderID, nil, acme.Owner.Headers("GET")).JSON(t, &view)
			if view.Events.Cursor != want[len(want)-1] || view.Events.Failures != 0 {
				t.Errorf("cursor %+v, want %s", view.Events, want[len(want)-1])
			}
		})
	}
}
