package webhook_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/smecrm/crm/app/apitest"
)

type body struct {
	Type string `json:"type"`
	Data struct {
		Customer struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"customer"`
	} `json:"data"`
}

func decode(t *testing.T, r received) body {
	t.Helper()
	var b body
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	return b
}

// verify checks a request's signature with the specification's own implementation; the
// library also refuses a timestamp more than five minutes off, so the clock is checked too.
func verify(t *testing.T, secret string, r received) {
	t.Helper()
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(r.Body, r.Header); err != nil {
		t.Fatalf("signature does not verify: %v (headers %v)", err, r.Header)
	}
}

// Deliveries of one record go out in order, signed; a 500 is retried after the backoff and the
// next event of the same record waits for it; every attempt is in the log.
func TestDeliveryOrderRetriesAndLog(t *testing.T) {
	apitest.EachWith(t, loopbackSetup, func(t *testing.T, env *apitest.Env) {
		tune(env)
		co := env.Signup(t)
		rcv := newReceiver(t, 500, 200)
		ep := register(t, co.Owner, rcv.URL+"/hook", "customer.created", "customer.updated")
		id := customer(t, co.Owner, "华东机械一厂")
		rename(t, co.Owner, id, "华东机械二厂")
		rename(t, co.Owner, id, "华东机械三厂")
		other := customer(t, co.Owner, "华南电子") // another record: not held up by the first one's retry

		dispatch(t, env, co.ID, 1)
		got := rcv.requests()
		if len(got) != 2 {
			t.Fatalf("first round sent %d requests, want the head of each record's lane (2)", len(got))
		}
		if b := decode(t, got[0]); b.Type != "customer.created" || b.Data.Customer.Name != "华东机械一厂" {
			t.Fatalf("first request %s", got[0].Body)
		}
		if b := decode(t, got[1]); b.Data.Customer.ID != other.String() {
			t.Fatalf("second request is not the other record's: %s", got[1].Body)
		}
		// Before the backoff nothing goes out again.
		dispatch(t, env, co.ID, 2)
		if n := len(rcv.requests()); n != 2 {
			t.Fatalf("%d requests before the retry was due", n)
		}
		env.Clock().Advance(61 * time.Second)
		dispatch(t, env, co.ID, 4)
		got = rcv.requests()
		if len(got) != 5 {
			t.Fatalf("%d requests, want 5", len(got))
		}
		var names []string
		for _, r := range got {
			verify(t, ep.Secret, r)
			if b := decode(t, r); b.Data.Customer.ID == id.String() {
				names = append(names, b.Type+" "+b.Data.Customer.Name)
			}
		}
		want := "customer.created 华东机械一厂,customer.created 华东机械一厂,customer.updated 华东机械二厂,customer.updated 华东机械三厂"
		if strings.Join(names, ",") != want {
			t.Fatalf("order %v, want %s", names, want)
		}
		if got[0].Header.Get("webhook-id") != got[2].Header.Get("webhook-id") {
			t.Fatal("a retry must keep its webhook-id")
		}

		log := deliveries(t, co.Owner, ep.ID)
		if len(log) != 4 {
			t.Fatalf("%d deliveries in the log", len(log))
		}
		first := log[len(log)-1] // newest first
		if first.Status != "delivered" || len(first.Attempts) != 2 || first.Attempts[0].StatusCode != 500 ||
			first.Attempts[1].StatusCode != 200 || !strings.Contains(first.Attempts[0].ResponseExcerpt, "answer from the receiver") {
			t.Fatalf("log of the retried delivery: %+v", first)
		}
	})
}

// A 410 fails the delivery and disables the endpoint: nothing more is sent, and the owner is
// told. Retry-After sets when the next attempt comes.
func TestGoneDisablesAndRetryAfter(t *testing.T) {
	apitest.EachWith(t, loopbackSetup, func(t *testing.T, env *apitest.Env) {
		tune(env)
		co := env.Signup(t)
		rcv := newReceiver(t, 503)
		rcv.header.Set("Retry-After", "600")
		ep := register(t, co.Owner, rcv.URL, "customer.created")
		customer(t, co.Owner, "甲")
		dispatch(t, env, co.ID, 1)
		d := deliveries(t, co.Owner, ep.ID)[0]
		if d.Status != "pending" || d.NextAttemptAt == nil {
			t.Fatalf("after a 503: %+v", d)
		}
		if wait := d.NextAttemptAt.Sub(env.Clock().Now()); wait < 590*time.Second || wait > 610*time.Second {
			t.Fatalf("next attempt in %s, want Retry-After's 600 s", wait)
		}
		rcv.answer(410)
		env.Clock().Advance(601 * time.Second)
		dispatch(t, env, co.ID, 1)
		var e endpoint
		co.Owner.MustDo(t, "GET", "/api/v1/webhooks/"+ep.ID.String(), nil, 200, &e)
		if e.Active || e.DisabledReason != "gone" {
			t.Fatalf("endpoint after 410: %+v", e)
		}
		if d := deliveries(t, co.Owner, ep.ID)[0]; d.Status != "failed" {
			t.Fatalf("delivery after 410: %+v", d)
		}
		before := len(rcv.requests())
		customer(t, co.Owner, "乙")
		env.Clock().Advance(time.Hour)
		dispatch(t, env, co.ID, 2)
		if n := len(rcv.requests()); n != before {
			t.Fatalf("%d requests after the endpoint was disabled", n-before)
		}
		if n := env.CountRows(t, "notifications", "kind = ? AND user_id = ?", "webhook_disabled", co.Owner.UserID.String()); n != 1 {
			t.Fatalf("%d notifications of the disabled endpoint", n)
		}
	})
}

// An endpoint failing for the whole retry window gives the delivery up, is disabled and its
// owner told.
func TestPersistentFailureDisables(t *testing.T) {
	apitest.EachWith(t, loopbackSetup, func(t *testing.T, env *apitest.Env) {
		tune(env)
		env.Server.Webhooks.Backoff = func(int) time.Duration { return 10 * time.Hour }
		co := env.Signup(t)
		rcv := newReceiver(t, 500)
		ep := register(t, co.Owner, rcv.URL, "customer.created")
		customer(t, co.Owner, "甲")
		for range 5 {
			dispatch(t, env, co.ID, 1)
			env.Clock().Advance(10*time.Hour + time.Minute)
		}
		d := deliveries(t, co.Owner, ep.ID)[0]
		if d.Status != "failed" || d.AttemptCount != 4 {
			t.Fatalf("delivery after 36 h of 500s: %+v", d)
		}
		var e endpoint
		co.Owner.MustDo(t, "GET", "/api/v1/webhooks/"+ep.ID.String(), nil, 200, &e)
		if e.Active || e.DisabledReason != "failing" {
			t.Fatalf("endpoint: %+v", e)
		}
		if n := env.CountRows(t, "notifications", "kind = ? AND user_id = ?", "webhook_disabled", co.Owner.UserID.String()); n != 1 {
			t.Fatalf("%d notifications", n)
		}
	})
}

// Redelivery sends the same message again; replay resends failures since a time; a test event
// reaches the receiver signed.
func TestRedeliverReplayAndTest(t *testing.T) {
	apitest.EachWith(t, loopbackSetup, func(t *testing.T, env *apitest.Env) {
		tune(env)
		co := env.Signup(t)
		rcv := newReceiver(t, 200)
		ep := register(t, co.Owner, rcv.URL, "customer.created")
		var td delivery
		co.Owner.MustDo(t, "POST", "/api/v1/webhooks/"+ep.ID.String()+"/test", nil, 202, &td)
		got := rcv.requests()
		if len(got) != 1 || !strings.Contains(string(got[0].Body), `"webhook.test"`) {
			t.Fatalf("test event: %v", got)
		}
		verify(t, ep.Secret, got[0])

		customer(t, co.Owner, "甲")
		dispatch(t, env, co.ID, 1)
		log := deliveries(t, co.Owner, ep.ID)
		var orig delivery
		for _, d := range log {
			if d.EventType == "customer.created" {
				orig = d
			}
		}
		var re delivery
		co.Owner.MustDo(t, "POST", "/api/v1/webhook-deliveries/"+orig.ID.String()+"/redeliver", nil, 202, &re)
		got = rcv.requests()
		if len(got) != 3 || got[2].Header.Get("webhook-id") != orig.MessageID || got[1].Header.Get("webhook-id") != orig.MessageID {
			t.Fatalf("redelivery: %d requests", len(got))
		}
		if re.RedeliveryOf == nil || *re.RedeliveryOf != orig.ID {
			t.Fatalf("redelivery answer %+v", re)
		}

		// Replay: two failures, then the receiver is fixed.
		rcv.answer(410)
		co.Owner.MustDo(t, "POST", "/api/v1/webhooks/"+ep.ID.String()+"/test", nil, 202, nil) // a test event does not disable
		rcv.answer(500)
		env.Server.Webhooks.RetryWindow = time.Minute
		customer(t, co.Owner, "乙")
		dispatch(t, env, co.ID, 1)
		env.Clock().Advance(2 * time.Minute)
		dispatch(t, env, co.ID, 1)
		rcv.answer(200)
		var e endpoint
		co.Owner.MustDo(t, "GET", "/api/v1/webhooks/"+ep.ID.String(), nil, 200, &e)
		if !e.Active {
			// the window ran out with no success since: the endpoint was disabled; switch it on
			co.Owner.MustDo(t, "PATCH", "/api/v1/webhooks/"+ep.ID.String(), map[string]any{"active": true, "version": e.Version}, 200, nil)
		}
		n := len(rcv.requests())
		var rep struct{ Count int }
		co.Owner.MustDo(t, "POST", "/api/v1/webhooks/"+ep.ID.String()+"/replay", map[string]any{"since": env.Clock().Now().Add(-time.Hour)}, 202, &rep)
		if rep.Count != 2 {
			t.Fatalf("replayed %d, want the failed test event and the failed customer.created", rep.Count)
		}
		if got := len(rcv.requests()) - n; got != 2 {
			t.Fatalf("replay sent %d", got)
		}
	})
}

// After a rotation both secrets sign until the overlap ends; then only the new one.
func TestRotationOverlap(t *testing.T) {
	apitest.EachWith(t, loopbackSetup, func(t *testing.T, env *apitest.Env) {
		tune(env)
		co := env.Signup(t)
		rcv := newReceiver(t, 200)
		ep := register(t, co.Owner, rcv.URL, "customer.created")
		var rot endpoint
		co.Owner.MustDo(t, "POST", "/api/v1/webhooks/"+ep.ID.String()+"/rotate-secret", nil, 200, &rot)
		if rot.Secret == "" || rot.Secret == ep.Secret || rot.PreviousSecretUntil == nil {
			t.Fatalf("rotation answer %+v", rot)
		}
		if n := env.CountRows(t, "audit_log", "entity = ? AND entity_id = ? AND action = ?", "webhook", ep.ID.String(), "rotate_secret"); n != 1 {
			t.Fatalf("%d audit entries of the rotation", n)
		}
		if n := env.CountRows(t, "audit_log", "entity_id = ? AND (CAST(changes AS TEXT) LIKE ? OR CAST(changes AS TEXT) LIKE ?)", ep.ID.String(), "%"+rot.Secret+"%", "%"+ep.Secret+"%"); n != 0 {
			t.Fatal("a secret is in the audit log")
		}
		r := co.Owner.Do(t, "GET", "/api/v1/webhooks/"+ep.ID.String(), nil)
		if strings.Contains(string(r.Body), rot.Secret) || strings.Contains(string(r.Body), `"secret"`) {
			t.Fatal("the secret is shown after rotation's answer")
		}
		co.Owner.MustDo(t, "POST", "/api/v1/webhooks/"+ep.ID.String()+"/test", nil, 202, nil)
		got := rcv.requests()[0]
		if sigs := strings.Fields(got.Header.Get("webhook-signature")); len(sigs) != 2 {
			t.Fatalf("signatures during the overlap: %q", got.Header.Get("webhook-signature"))
		}
		verify(t, ep.Secret, got)
		verify(t, rot.Secret, got)

		env.Clock().Advance(25 * time.Hour)
		co.Owner.MustDo(t, "POST", "/api/v1/webhooks/"+ep.ID.String()+"/test", nil, 202, nil)
		got = rcv.requests()[1]
		if sigs := strings.Fields(got.Header.Get("webhook-signature")); len(sigs) != 1 {
			t.Fatalf("signatures after the overlap: %q", got.Header.Get("webhook-signature"))
		}
		// The library checks the timestamp against the real clock; the server's clock is a day
		// ahead, so check the signature itself.
		wh, _ := standardwebhooks.NewWebhook(rot.Secret)
		if err := wh.VerifyIgnoringTimestamp(got.Body, got.Header); err != nil {
			t.Fatalf("new secret: %v", err)
		}
		old, _ := standardwebhooks.NewWebhook(ep.Secret)
		if err := old.VerifyIgnoringTimestamp(got.Body, got.Header); err == nil {
			t.Fatal("the old secret still signs after the overlap")
		}
	})
}
