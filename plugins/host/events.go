package host

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/plugins/sdk"
)

// Event delivery (PLG-3). A supervised goroutine looks at the outbox every EventPoll: for
// each enabled (plugin, tenant) pair of a running plugin with the "events" capability it
// delivers the tenant's events after the pair's cursor, oldest first, one at a time, and
// moves the cursor past each event the plugin acknowledged. The cursor is in the database
// (plugin_settings.event_cursor), so delivery resumes where it stopped after a restart of
// the server or the plugin: at least once, in outbox order — and so in order per customer —
// with the event ID for the plugin to drop repeats. A failed event stops that pair's round;
// the same event is offered again at the next one. Events younger than EventSettle wait, so
// that an event whose transaction committed a moment after a later one's is not skipped.
// With several replicas on PostgreSQL, a pair is delivered by one replica at a time: each
// round takes a session advisory lock on the pair and skips pairs another replica holds, so
// two replicas neither offer the same events at once nor move the cursor back past each
// other's progress. (SQLite serves one process.)

const eventBatch = 100

func (h *Host) runEvents(ctx context.Context) {
	t := time.NewTicker(h.opt.EventPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		h.DeliverEvents(ctx)
	}
}

// DeliverEvents runs one round of event delivery (the worker calls it every EventPoll).
func (h *Host) DeliverEvents(ctx context.Context) {
	var ids []string
	for _, p := range h.installed() {
		if _, err := p.running(); err == nil && p.manifest.Has(sdk.CapEvents) {
			ids = append(ids, p.inst.ID)
		}
	}
	if len(ids) == 0 {
		return
	}
	// plugin_activations is a platform table; the struct below has no tenant_id field, so the
	// store's tenant scoping (meant for tenant tables) leaves this directory query alone.
	var acts []struct {
		PluginID string
		Tenant   uuid.UUID
	}
	if err := h.db.Gorm(ctx).Raw("SELECT plugin_id, tenant_id AS tenant FROM plugin_activations WHERE plugin_id IN ? ORDER BY plugin_id, tenant_id", ids).Scan(&acts).Error; err != nil {
		h.log.Error("event delivery: list activations", "error", err)
		return
	}
	for _, a := range acts {
		if ctx.Err() != nil {
			return
		}
		if err := h.deliver(ctx, h.proc(a.PluginID), a.Tenant); err != nil && !errors.Is(err, ErrUnavailable) {
			h.log.Warn("event delivery stopped", "plugin", a.PluginID, "tenant_id", a.Tenant, "error", err)
		}
	}
}

func (h *Host) deliver(ctx context.Context, p *proc, tid uuid.UUID) error {
	if p == nil {
		return nil
	}
	if h.db.Dialect == store.Postgres {
		unlock, ok, err := h.lockPair(ctx, p.inst.ID, tid)
		if err != nil || !ok {
			return err // !ok: another replica is delivering this pair's events
		}
		defer unlock()
	}
	tctx := tenantctx.WithTenant(ctx, tid)
	var st Setting
	var events []outbox.Event
	err := h.db.Read(tctx, func(tx *gorm.DB) error {
		if err := tx.Where("plugin_id = ?", p.inst.ID).Take(&st).Error; err != nil {
			return err
		}
		if !st.Enabled {
			return nil
		}
		q := tx.Where("created_at <= ?", time.Now().UTC().Add(-h.opt.EventSettle)).Order("id").Limit(eventBatch)
		if st.EventCursor != nil {
			q = q.Where("id > ?", *st.EventCursor)
		}
		return q.Find(&events).Error
	})
	if err != nil || !st.Enabled || len(events) == 0 {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		return err
	}
	want := p.manifest.EventTypes
	cursor := st.EventCursor
	var derr error
	for _, e := range events {
		if len(want) == 0 || slices.Contains(want, e.Type) {
			ev := sdk.Event{ID: e.ID.String(), Type: e.Type, Entity: e.Entity, EntityID: e.EntityID.String(), CreatedAt: e.CreatedAt}
			ev.Payload, _ = json.Marshal(e.Payload.Data())
			if e.ActorID != nil {
				ev.ActorID = e.ActorID.String()
			}
			derr = h.call(tctx, p.inst.ID, "OnEvent", h.opt.EventTimeout, func(ctx context.Context, cl *sdk.Client, ci sdk.CallInfo) error {
				return cl.OnEvent(ctx, ci, ev)
			})
			if derr != nil {
				break
			}
			h.m.events.WithLabelValues(p.inst.ID).Inc()
		}
		id := e.ID
		cursor = &id
	}
	failures, lastErr := 0, ""
	if derr != nil {
		failures, lastErr = st.EventFailures+1, derr.Error()
		if len(lastErr) > 1000 {
			lastErr = lastErr[:1000]
		}
	}
	if equalCursor(cursor, st.EventCursor) && failures == st.EventFailures && lastErr == st.LastEventError {
		return derr
	}
	err = h.db.Tx(tctx, func(tx *gorm.DB) error {
		return tx.Model(&Setting{}).Where("plugin_id = ?", p.inst.ID).
			Updates(map[string]any{"event_cursor": cursor, "event_failures": failures, "last_event_error": lastErr}).Error
	})
	return errors.Join(derr, err)
}

// lockPair takes the session advisory lock of a (plugin, tenant) pair on a connection of its
// own, held until unlock; ok is false when another session holds it.
func (h *Host) lockPair(ctx context.Context, pluginID string, tid uuid.UUID) (unlock func(), ok bool, err error) {
	conn, err := h.db.SQL().Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	key := "crm:plugin-events:" + pluginID + ":" + tid.String()
	if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key).Scan(&ok); err != nil || !ok {
		conn.Close()
		return nil, false, err
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)
		conn.Close()
	}, true, nil
}

func equalCursor(a, b *uuid.UUID) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
