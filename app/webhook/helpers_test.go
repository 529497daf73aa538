package webhook_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/config"
)

// loopbackSetup is a server that may deliver to receivers on loopback (the tests' receivers),
// with deliveries sent as soon as their events are written and a fixed one-minute backoff.
var loopbackSetup = apitest.Setup{Config: func(c *config.Config) { c.WebhookAllowLoopback = true }}

func tune(env *apitest.Env) {
	env.Server.Webhooks.Settle = time.Nanosecond
	env.Server.Webhooks.Backoff = func(int) time.Duration { return time.Minute }
}

// received is one request the receiver got.
type received struct {
	Header http.Header
	Body   []byte
}

// receiver is a real HTTP server on loopback answering from a script of statuses (the last
// one repeats), recording every request.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	answers []int
	header  http.Header
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	r := &receiver{answers: answers, header: http.Header{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{Header: req.Header.Clone(), Body: b})
		status := http.StatusOK
		if len(r.answers) > 0 {
			status = r.answers[0]
			if len(r.answers) > 1 {
				r.answers = r.answers[1:]
			}
		}
		for k, v := range r.header {
			w.Header()[k] = v
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"ok":"answer from the receiver"}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *receiver) answer(statuses ...int) {
	r.mu.Lock()
	r.answers = statuses
	r.mu.Unlock()
}

type endpoint struct {
	ID                  uuid.UUID  `json:"id"`
	URL                 string     `json:"url"`
	EventTypes          []string   `json:"event_types"`
	Active              bool       `json:"active"`
	DisabledReason      string     `json:"disabled_reason"`
	Secret              string     `json:"secret"`
	PreviousSecretUntil *time.Time `json:"previous_secret_until"`
	Version             int64      `json:"version"`
}

type attempt struct {
	Attempt         int    `json:"attempt"`
	StatusCode      int    `json:"status_code"`
	DurationMS      int    `json:"duration_ms"`
	Error           string `json:"error"`
	ResponseExcerpt string `json:"response_excerpt"`
}

type delivery struct {
	ID            uuid.UUID  `json:"id"`
	MessageID     string     `json:"message_id"`
	EventType     string     `json:"event_type"`
	EntityID      *uuid.UUID `json:"entity_id"`
	Status        string     `json:"status"`
	AttemptCount  int        `json:"attempt_count"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	LastError     string     `json:"last_error"`
	RedeliveryOf  *uuid.UUID `json:"redelivery_of"`
	Attempts      []attempt  `json:"attempts"`
}

func register(t *testing.T, as *apitest.Client, url string, types ...string) endpoint {
	t.Helper()
	var e endpoint
	as.MustDo(t, "POST", "/api/v1/webhooks", map[string]any{"url": url, "event_types": types}, 201, &e)
	if e.Secret == "" {
		t.Fatal("no secret in the create answer")
	}
	return e
}

func deliveries(t *testing.T, as *apitest.Client, id uuid.UUID) []delivery {
	t.Helper()
	var page struct{ Items []delivery }
	as.MustDo(t, "GET", "/api/v1/webhooks/"+id.String()+"/deliveries", nil, 200, &page)
	return page.Items
}

func customer(t *testing.T, as *apitest.Client, name string) uuid.UUID {
	t.Helper()
	var out struct{ ID uuid.UUID }
	as.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": name}, 201, &out)
	return out.ID
}

// rename changes a customer's name (one customer.updated event).
func rename(t *testing.T, as *apitest.Client, id uuid.UUID, name string) {
	t.Helper()
	var c struct{ Version int64 }
	as.MustDo(t, "GET", "/api/v1/customers/"+id.String(), nil, 200, &c)
	as.MustDo(t, "PATCH", "/api/v1/customers/"+id.String(), map[string]any{"name": name, "version": c.Version}, 200, nil)
}

// dispatch runs delivery rounds until nothing more goes out.
func dispatch(t *testing.T, env *apitest.Env, tenant uuid.UUID, rounds int) {
	t.Helper()
	for range rounds {
		if err := env.Server.Webhooks.Dispatch(tenantCtx(tenant)); err != nil {
			t.Fatalf("dispatch: %v", err)
		}
	}
}
