package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// Delivery, step by step.
//
// Fan-out: each round (Dispatch) reads, for every active endpoint, the tenant's outbox events
// after the endpoint's cursor with outbox.Settled — the cursor mechanism plugin event hooks
// use — and writes one pending delivery per subscribed event, moving the cursor in the same
// transaction. Deliveries are rows, so nothing is lost across restarts.
//
// Order per record: of one endpoint's pending deliveries for one record (entity_id), only the
// oldest is due; the next waits until it is delivered or given up. Different records go out
// side by side.
//
// Attempts: a due delivery is sent by a River job (one per delivery and attempt number, so two
// servers never send the same attempt twice); each attempt is logged with its status,
// duration and the start of the answer. 2xx delivers. 410 Gone fails the delivery and
// disables the endpoint. Anything else — another status, a timeout, a refused address — is
// retried after Backoff (exponential, with jitter) or the receiver's Retry-After, until the
// retry window since the delivery was made runs out; a delivery given up while the endpoint
// has not succeeded since it began disables the endpoint, and its owner is told by mail.

// backoff is the delay before attempt n+1 after n failures: 5 s × 6^(n−1), at most 10 h,
// each ±20 % (jitter, so that endpoints that failed together do not retry together). Over the
// default window that is attempts at about 0, 5 s, 35 s, 3.6 min, 22 min, 2.1 h, 12 h, 22 h
// and 32 h.
func backoff(n int) time.Duration {
	d := time.Duration(float64(5*time.Second) * math.Pow(6, float64(n-1)))
	if d > 10*time.Hour || d <= 0 {
		d = 10 * time.Hour
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func (s *Service) delay(n int) time.Duration {
	if s.Backoff != nil {
		return s.Backoff(n)
	}
	return backoff(n)
}

func (s *Service) settle() time.Duration {
	if s.Settle > 0 {
		return s.Settle
	}
	return 2 * time.Second
}

const fanoutBatch = 200

// DispatchAll runs one round for every live tenant (the periodic job's work).
func (s *Service) DispatchAll(ctx context.Context) error {
	_, err := jobs.EachTenant(ctx, s.DB, func(ctx context.Context) (int, error) { return 0, s.Dispatch(ctx) })
	return err
}

// Dispatch runs one round for the context's tenant: fan-out of new outbox events, then the
// due deliveries are queued (or, without a queue, attempted now).
func (s *Service) Dispatch(ctx context.Context) error {
	var due []Delivery
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var eps []Endpoint
		if err := tx.Where("active = ?", true).Order("id").Find(&eps).Error; err != nil || len(eps) == 0 {
			return err
		}
		active := make([]uuid.UUID, len(eps))
		for i := range eps {
			active[i] = eps[i].ID
			if err := s.fanout(tx, &eps[i]); err != nil {
				return err
			}
		}
		// The head of each lane (endpoint, record): no older pending delivery of the same
		// record to the same endpoint. Test events (no record) have no lane.
		return tx.Where("status = ? AND next_attempt_at <= ? AND endpoint_id IN ?", StatusPending, s.now(), active).
			Where(`NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.tenant_id = webhook_deliveries.tenant_id
				AND e.endpoint_id = webhook_deliveries.endpoint_id AND e.entity_id = webhook_deliveries.entity_id
				AND e.status = ? AND e.id < webhook_deliveries.id)`, StatusPending).
			Order("id").Limit(fanoutBatch).Find(&due).Error
	})
	if err != nil {
		return err
	}
	for _, d := range due {
		s.queueAttempt(ctx, d.ID, d.Attempts)
	}
	return nil
}

func (s *Service) fanout(tx *gorm.DB, e *Endpoint) error {
	events, err := outbox.Settled(tx, e.EventCursor, s.now().Add(-s.settle()), fanoutBatch)
	if err != nil || len(events) == 0 {
		return err
	}
	now := s.now()
	var rows []Delivery
	for _, ev := range events {
		if !subscribed(e.EventTypes, ev.Type) {
			continue
		}
		evID, entity := ev.ID, ev.EntityID
		rows = append(rows, Delivery{ID: uuid.Must(uuid.NewV7()), EndpointID: e.ID, MessageID: "msg_" + ev.ID.String(),
			EventID: &evID, EventType: ev.Type, EntityID: &entity, Status: StatusPending, NextAttemptAt: &now, CreatedAt: now})
	}
	if len(rows) > 0 {
		if err := tx.CreateInBatches(rows, 100).Error; err != nil {
			return err
		}
	}
	last := events[len(events)-1].ID
	e.EventCursor = &last
	return tx.Model(&Endpoint{}).Where("id = ?", e.ID).Update("event_cursor", last).Error
}

// queueAttempt queues attempt n of a delivery; without a queue (or when the insert fails) the
// attempt is made now.
func (s *Service) queueAttempt(ctx context.Context, id uuid.UUID, n int) {
	tid, _ := tenantctx.TenantID(ctx)
	ctx = context.WithoutCancel(ctx)
	if s.Jobs != nil {
		if _, err := s.Jobs.Insert(ctx, attemptArgs{TenantID: tid, DeliveryID: id, Attempt: n}, nil); err == nil {
			return
		}
	}
	if err := s.Attempt(jobs.TenantContext(ctx, tid, uuid.Nil), id, n); err != nil && s.Log != nil {
		s.Log.Warn("webhook attempt not recorded", "delivery", id, "err", err)
	}
}

// body builds what an attempt sends, for the endpoint's owner: the Standard Webhooks payload
// structure {type, timestamp, data}. ok is false (with the reason) when the owner may not see
// the record now: no read permission on its object, or the record outside their data scope.
func (s *Service) body(ctx context.Context, tx *gorm.DB, e *Endpoint, d *Delivery) (raw []byte, reason string, err error) {
	if d.EventID == nil {
		raw, err = json.Marshal(map[string]any{"type": d.EventType, "timestamp": d.CreatedAt.UTC(), "data": json.RawMessage(d.Payload)})
		return raw, "", err
	}
	var ev outbox.Event
	if err := tx.Take(&ev, "id = ?", *d.EventID).Error; errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, "event no longer kept", nil
	} else if err != nil {
		return nil, "", err
	}
	f := family(ev.Type)
	if f == nil {
		return nil, "event type not in the catalogue", nil
	}
	owner, err := org.FindUser(tx, e.OwnerID)
	if err != nil || owner.Status != org.UserActive {
		return nil, "the endpoint's owner is not an active user", nil
	}
	var tn tenants.Tenant
	if err := tx.Take(&tn, "id = ?", e.TenantID).Error; err != nil {
		return nil, "", err
	}
	actor := tenantctx.Actor{UserID: owner.ID, Via: "job"}
	if owner.DepartmentID != nil {
		actor.DepartmentID = *owner.DepartmentID
	}
	octx := tenantctx.WithActor(tenantctx.WithInfo(ctx, tn.Info()), actor)
	ok, err := s.Authz.Allowed(octx, f.Object, "read")
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, fmt.Sprintf("the endpoint's owner may not read %s", f.Object), nil
	}
	data := ev.Payload.Data()
	if f.Scoped {
		filter, err := s.Authz.ScopeFilter(octx, tx)
		if err != nil {
			return nil, "", err
		}
		if !visible(filter, f, data) {
			return nil, "the record is outside the endpoint owner's data scope", nil
		}
	}
	raw, err = json.Marshal(map[string]any{"type": ev.Type, "timestamp": ev.CreatedAt.UTC(), "event_id": ev.ID,
		"entity_id": ev.EntityID, "data": data})
	return raw, "", err
}

// visible reports whether the record in an event's data lies in the filter: through one of the
// family's owner fields, or in the public pool.
func visible(filter interface {
	AllowsRef(owner, dept *uuid.UUID) bool
}, f *Family, data map[string]any) bool {
	rec, _ := data[f.Key].(map[string]any)
	if rec == nil {
		return filter.AllowsRef(nil, nil)
	}
	if f.InPool {
		if in, _ := rec["in_pool"].(bool); in {
			return true
		}
	}
	for _, o := range f.Owners {
		if filter.AllowsRef(idField(rec, o[0]), idField(rec, o[1])) {
			return true
		}
	}
	return filter.AllowsRef(nil, nil)
}

func idField(rec map[string]any, key string) *uuid.UUID {
	s, _ := rec[key].(string)
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil {
		return nil
	}
	return &id
}

// signature is the webhook-signature header: the current secret's, and the previous one's
// while the rotation overlaps, separated by a space as the specification has it.
func (s *Service) signature(e *Endpoint, msgID string, at time.Time, body []byte) (string, error) {
	secrets := []string{e.Secret}
	if e.PreviousSecret != "" && e.PreviousSecretUntil != nil && at.Before(*e.PreviousSecretUntil) {
		secrets = append(secrets, e.PreviousSecret)
	}
	var sigs []string
	for _, sealed := range secrets {
		plain, err := s.Keys.Open(sealed, secretAAD(e.TenantID, e.ID))
		if err != nil {
			return "", err
		}
		wh, err := standardwebhooks.NewWebhook(plain)
		if err != nil {
			return "", err
		}
		sig, err := wh.Sign(msgID, at, body)
		if err != nil {
			return "", err
		}
		sigs = append(sigs, sig)
	}
	return strings.Join(sigs, " "), nil
}

// Attempt makes attempt n of a delivery, records it and decides what follows. A delivery no
// longer pending, or already past attempt n (another server made it), is left alone.
func (s *Service) Attempt(ctx context.Context, id uuid.UUID, n int) error {
	var d Delivery
	var e Endpoint
	var raw []byte
	var reason string
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if err := tx.Take(&d, "id = ?", id).Error; err != nil {
			return err
		}
		if d.Status != StatusPending || d.Attempts != n {
			return nil
		}
		if err := tx.Take(&e, "id = ?", d.EndpointID).Error; err != nil {
			return err
		}
		var err error
		raw, reason, err = s.body(ctx, tx, &e, &d)
		return err
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil // deleted with its endpoint
	}
	if err != nil || d.Status != StatusPending || d.Attempts != n {
		return err
	}
	if !e.Active && d.EventType != TestEventType {
		return nil // waits until the endpoint is switched on again
	}
	now := s.now()
	if reason != "" {
		return s.finish(ctx, &d, n, map[string]any{"status": StatusSkipped, "last_error": reason, "finished_at": now, "next_attempt_at": nil}, nil, nil)
	}
	res := s.send(ctx, &e, &d, raw, now)
	att := &Attempt{ID: uuid.Must(uuid.NewV7()), DeliveryID: d.ID, Attempt: n + 1, StatusCode: res.status,
		DurationMS: int(res.took / time.Millisecond), Error: res.err, ResponseExcerpt: res.excerpt, At: now}
	upd := map[string]any{"attempts": n + 1, "last_status": res.status, "last_error": res.err}
	var epUpd map[string]any
	disable := ""
	switch {
	case res.status >= 200 && res.status < 300:
		upd["status"], upd["finished_at"], upd["next_attempt_at"] = StatusDelivered, now, nil
		if e.FailingSince != nil {
			epUpd = map[string]any{"failing_since": nil}
		}
	case res.status == http.StatusGone:
		upd["status"], upd["finished_at"], upd["next_attempt_at"] = StatusFailed, now, nil
		disable = DisabledGone
	default:
		wait := s.delay(n + 1)
		if res.retryAfter > 0 {
			wait = res.retryAfter
		}
		next := now.Add(wait)
		if e.FailingSince == nil {
			epUpd = map[string]any{"failing_since": now}
		}
		if next.After(d.CreatedAt.Add(s.retryWindow())) {
			upd["status"], upd["finished_at"], upd["next_attempt_at"] = StatusFailed, now, nil
			// Persistent failure: nothing succeeded since this delivery's first attempt.
			if first, err := s.firstAttempt(ctx, d.ID, now); err != nil {
				return err
			} else if e.FailingSince == nil || !e.FailingSince.After(first) {
				disable = DisabledFailing
			}
		} else {
			upd["next_attempt_at"] = next
		}
	}
	if disable != "" && d.EventType != TestEventType {
		if epUpd == nil {
			epUpd = map[string]any{}
		}
		epUpd["active"], epUpd["disabled_reason"], epUpd["disabled_at"] = false, disable, now
	}
	if err := s.finish(ctx, &d, n, upd, att, epUpd); err != nil {
		return err
	}
	if disable != "" && d.EventType != TestEventType {
		s.tellDisabled(ctx, &e, disable)
	}
	return nil
}

// firstAttempt is when a delivery was first tried (now, when this is its first attempt).
func (s *Service) firstAttempt(ctx context.Context, id uuid.UUID, now time.Time) (time.Time, error) {
	var first []Attempt
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		return tx.Where("delivery_id = ?", id).Order("id").Limit(1).Find(&first).Error
	})
	if err != nil || len(first) == 0 {
		return now, err
	}
	return first[0].At, nil
}

// finish writes an attempt's outcome: the delivery (if still at attempt n), its attempt row and
// the endpoint's changes, in one transaction.
func (s *Service) finish(ctx context.Context, d *Delivery, n int, upd map[string]any, att *Attempt, epUpd map[string]any) error {
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Delivery{}).Where("id = ? AND attempts = ? AND status = ?", d.ID, n, StatusPending).Updates(upd)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		if att != nil {
			if err := tx.Create(att).Error; err != nil {
				return err
			}
		}
		if len(epUpd) > 0 {
			epUpd["updated_at"] = s.now()
			if err := tx.Model(&Endpoint{}).Where("id = ?", d.EndpointID).Updates(epUpd).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

type sendResult struct {
	status     int
	took       time.Duration
	err        string
	excerpt    string
	retryAfter time.Duration
}

// send makes the HTTP request. Errors are outcomes (logged on the attempt), not failures of
// the job.
func (s *Service) send(ctx context.Context, e *Endpoint, d *Delivery, body []byte, at time.Time) sendResult {
	start := time.Now()
	sig, err := s.signature(e, d.MessageID, at, body)
	if err != nil {
		return sendResult{err: "signing: " + err.Error()}
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return sendResult{err: "request: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "smecrm-webhooks/1")
	req.Header.Set(standardwebhooks.HeaderWebhookID, d.MessageID)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, sig)
	resp, err := s.Guard.Client(Timeout).Do(req)
	took := time.Since(start)
	if err != nil {
		msg := err.Error()
		if errors.Is(err, ErrBlockedAddress) {
			msg = "refused: the receiver's address is not a public address"
		} else if errors.Is(err, context.DeadlineExceeded) || strings.Contains(msg, "Client.Timeout") {
			msg = fmt.Sprintf("timed out after %s", Timeout)
		}
		return sendResult{took: took, err: clip(msg, 500)}
	}
	defer resp.Body.Close()
	head, _ := io.ReadAll(io.LimitReader(resp.Body, ExcerptBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused, within bounds
	out := sendResult{status: resp.StatusCode, took: time.Since(start), excerpt: clean(head)}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		out.err = fmt.Sprintf("HTTP %d", resp.StatusCode)
		out.retryAfter = retryAfter(resp.Header.Get("Retry-After"), at)
	}
	return out
}

// retryAfter reads a Retry-After header (seconds or an HTTP date), at most a day.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(h); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	if d <= 0 {
		return 0
	}
	return min(d, 24*time.Hour)
}

// clean makes a response excerpt storable: valid UTF-8 without NUL (PostgreSQL text refuses
// it).
func clean(b []byte) string {
	return strings.ReplaceAll(strings.ToValidUTF8(string(b), "\uFFFD"), "\x00", "")
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// tellDisabled tells the endpoint's owner, in the app and by mail, that it was switched off.
func (s *Service) tellDisabled(ctx context.Context, e *Endpoint, why string) {
	if s.Notify == nil {
		return
	}
	id := e.ID
	if _, err := s.Notify.Notify(ctx, e.OwnerID, notify.Message{Kind: "webhook_disabled", Key: "webhook_disabled_" + why,
		Args: []any{e.URL}, DedupeKey: "webhook_disabled:" + e.ID.String() + ":" + s.now().Format(time.RFC3339),
		Entity: "webhook", EntityID: &id, Link: "/admin/webhooks", Email: true}); err != nil && s.Log != nil {
		s.Log.Warn("webhook owner not told of the disabled endpoint", "endpoint", e.ID, "err", err)
	}
}
