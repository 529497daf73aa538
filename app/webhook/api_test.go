package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/webhook"
	"github.com/smecrm/crm/policies"
)

// Endpoints through the API, in the usual order of rows. The server here refuses loopback (as
// in production), so a receiver on 127.0.0.1 is refused at registration.
func TestEndpointAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		co := env.Signup(t)
		other := env.Signup(t)
		sales := co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		// Registered straight through the service: the API would refuse a loopback receiver.
		env.Server.Webhooks.Guard.AllowLoopback = true
		theirs := register(t, other.Owner, "http://127.0.0.1:9/hook", "customer.created")
		mine := register(t, co.Owner, "http://127.0.0.1:9/hook", "customer.created")
		env.Server.Webhooks.Guard.AllowLoopback = false
		base := "/api/v1/webhooks"
		one := base + "/" + mine.ID.String()
		missing := base + "/01930000-0000-7000-8000-000000000000"
		body := map[string]any{"url": "https://hooks.example.com/crm", "event_types": []string{"customer.created"}}
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: base, Status: 401, Code: "unauthenticated"},
			{Name: "no login create", Method: "POST", URL: base, Body: body, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant's endpoint", Method: "GET", URL: base + "/" + theirs.ID.String(), As: co.Owner, Status: 404, Code: "not_found"},
			{Name: "other tenant's deliveries", Method: "GET", URL: base + "/" + theirs.ID.String() + "/deliveries", As: co.Owner, Status: 404, Code: "not_found"},
			{Name: "other tenant's rotate", Method: "POST", URL: base + "/" + theirs.ID.String() + "/rotate-secret", As: co.Owner, Status: 404, Code: "not_found"},
			{Name: "salesperson may not list", Method: "GET", URL: base, As: sales, Status: 403, Code: "forbidden"},
			{Name: "salesperson may not register", Method: "POST", URL: base, Body: body, As: sales, Status: 403, Code: "forbidden"},
			{Name: "salesperson may not read the catalogue", Method: "GET", URL: "/api/v1/webhook-event-types", As: sales, Status: 403, Code: "forbidden"},
			{Name: "missing", Method: "GET", URL: missing, As: co.Owner, Status: 404, Code: "not_found"},
			{Name: "missing delivery", Method: "POST", URL: "/api/v1/webhook-deliveries/01930000-0000-7000-8000-000000000000/redeliver", As: co.Owner, Status: 404, Code: "not_found"},
			{Name: "loopback URL", Method: "POST", URL: base, As: co.Owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"url": "http://127.0.0.1:8080/x", "event_types": []string{"customer.created"}}, Contains: []string{"blocked_address"}},
			{Name: "private URL", Method: "POST", URL: base, As: co.Owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"url": "http://10.1.2.3/x", "event_types": []string{"customer.created"}}, Contains: []string{"blocked_address"}},
			{Name: "metadata URL", Method: "POST", URL: base, As: co.Owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"url": "http://169.254.169.254/latest/meta-data", "event_types": []string{"customer.created"}}, Contains: []string{"blocked_address"}},
			{Name: "CGNAT URL on change", Method: "PATCH", URL: one, As: co.Owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"url": "http://100.64.0.1/", "version": 1}, Contains: []string{"blocked_address"}},
			{Name: "not http", Method: "POST", URL: base, As: co.Owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"url": "ftp://[2001:4860::1]/x", "event_types": []string{"customer.created"}}, Contains: []string{"invalid_format"}},
			{Name: "unknown event type", Method: "POST", URL: base, As: co.Owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"url": "https://[2001:4860::1]/x", "event_types": []string{"customer.exploded"}}, Contains: []string{"unknown_event_type"}},
			{Name: "no event types", Method: "POST", URL: base, As: co.Owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"url": "https://[2001:4860::1]/x", "event_types": []string{}}},
			{Name: "stale version", Method: "PATCH", URL: one, As: co.Owner, Status: 409, Code: "conflict", Body: map[string]any{"description": "x", "version": 7}},
			{Name: "register a public address", Method: "POST", URL: base, As: co.Owner, Status: 201,
				Body:     map[string]any{"url": "https://[2001:4860::1]/hook", "event_types": []string{"customer.created", "lead.created"}},
				Contains: []string{`"secret":"whsec_`, `"active":true`}},
			{Name: "read without the secret", Method: "GET", URL: one, As: co.Owner, Status: 200, NotContains: []string{`"secret"`, mine.Secret}},
			{Name: "list", Method: "GET", URL: base, As: co.Owner, Status: 200, Contains: []string{mine.ID.String()}, NotContains: []string{theirs.ID.String(), `"secret"`}},
			{Name: "switch off", Method: "PATCH", URL: one, As: co.Owner, Status: 200, Body: map[string]any{"active": false, "version": 1},
				Contains: []string{`"active":false`, `"disabled_reason":"user"`}},
			{Name: "catalogue", Method: "GET", URL: "/api/v1/webhook-event-types", As: co.Owner, Status: 200,
				Contains: []string{`"type":"customer.created"`, `"type":"work_order.signed_off"`, `"schema":{`, `"webhook.test"`}},
			{Name: "delete", Method: "DELETE", URL: one, As: co.Owner, Status: 204},
			{Name: "deleted", Method: "GET", URL: one, As: co.Owner, Status: 404, Code: "not_found"},
		})
		if n := env.CountRows(t, "audit_log", "entity = ? AND entity_id = ?", "webhook", mine.ID.String()); n != 3 {
			t.Errorf("%d audit entries for create, update and delete", n)
		}
	})
}

// A user granted the webhook object manages only their own endpoints, and their endpoints
// carry only what they may read within their data scope: another salesperson's customer is
// skipped, their own delivered.
func TestPayloadsFollowOwnersScope(t *testing.T) {
	apitest.EachWith(t, loopbackSetup, func(t *testing.T, env *apitest.Env) {
		tune(env)
		co := env.Signup(t)
		co.Owner.MustDo(t, "PUT", "/api/v1/roles/integrator", map[string]any{"name": "Integrator", "data_scope": "own", "permissions": []policies.Perm{
			{Object: "customer", Action: "read"}, {Object: "customer", Action: "create"}, {Object: "customer", Action: "update"}, {Object: "webhook", Action: "*"}}}, 200, nil)
		integ := co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "integrator")
		sales := co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		rcv := newReceiver(t, 200)
		ownerEp := register(t, co.Owner, rcv.URL, "customer.created")
		ep := register(t, integ, rcv.URL, "customer.created")
		// Not theirs to see or change.
		integ.MustDo(t, "GET", "/api/v1/webhooks/"+ownerEp.ID.String(), nil, 404, nil)
		integ.MustDo(t, "PATCH", "/api/v1/webhooks/"+ownerEp.ID.String(), map[string]any{"url": rcv.URL + "/mine", "version": 1}, 404, nil)

		customer(t, sales, "别人的客户")
		customer(t, integ, "自己的客户")
		dispatch(t, env, co.ID, 1)
		var forInteg []string
		for _, r := range rcv.requests() {
			if strings.Contains(string(r.Body), "别人的客户") {
				verify(t, ownerEp.Secret, r) // only the tenant owner's endpoint carries it
			}
		}
		for _, d := range deliveries(t, integ, ep.ID) {
			forInteg = append(forInteg, d.Status)
		}
		if strings.Join(forInteg, ",") != "delivered,skipped" {
			t.Fatalf("integrator's deliveries (newest first): %v", forInteg)
		}
		if n := len(rcv.requests()); n != 3 {
			t.Fatalf("%d requests, want 2 to the owner's endpoint and 1 to the integrator's", n)
		}
	})
}

// The guard refuses loopback when not allowed, and private answers of a resolver — at
// registration and again when connecting. No traffic leaves loopback: the private addresses
// here are only ever resolved, never dialled.
func TestGuardRefusesPrivateDestinations(t *testing.T) {
	rcv := newReceiver(t, 200)
	ctx := context.Background()
	strict := webhook.Guard{}
	if _, err := strict.CheckURL(ctx, rcv.URL); !errors.Is(err, webhook.ErrBlockedAddress) {
		t.Fatalf("loopback receiver at registration: %v", err)
	}
	if _, err := strict.Client(5*time.Second).Post(rcv.URL, "application/json", strings.NewReader("{}")); !errors.Is(err, webhook.ErrBlockedAddress) {
		t.Fatalf("loopback receiver at connect: %v", err)
	}
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("the receiver got %d requests", n)
	}
	for _, a := range []string{"10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254", "100.64.1.1", "fd00:ec2::254", "fe80::1", "224.0.0.1", "0.0.0.0", "::ffff:10.0.0.1"} {
		if strict.Allowed(netip.MustParseAddr(a)) {
			t.Errorf("%s allowed", a)
		}
	}
	if !strict.Allowed(netip.MustParseAddr("2001:4860::1")) {
		t.Error("a public address refused")
	}

	// A name whose DNS answer is private: refused at registration, and at connect time even
	// when the answer changed after registration (DNS rebinding).
	stub := &stubResolver{answers: map[string][]netip.Addr{"hooks.example.test": {netip.MustParseAddr("10.20.30.40")}}}
	g := webhook.Guard{AllowLoopback: true, Resolver: stub}
	if _, err := g.CheckURL(ctx, "https://hooks.example.test/x"); !errors.Is(err, webhook.ErrBlockedAddress) {
		t.Fatalf("private DNS answer at registration: %v", err)
	}
	_, port, _ := strings.Cut(strings.TrimPrefix(rcv.URL, "http://127.0.0.1"), ":")
	if _, err := g.Client(5 * time.Second).Get("http://hooks.example.test:" + port + "/"); !errors.Is(err, webhook.ErrBlockedAddress) {
		t.Fatalf("private DNS answer at connect: %v", err)
	}
	// With loopback allowed, a name answering loopback reaches the loopback receiver.
	stub.answers["hooks.example.test"] = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	resp, err := g.Client(5 * time.Second).Get("http://hooks.example.test:" + port + "/")
	if err != nil {
		t.Fatalf("loopback answer with loopback allowed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || len(rcv.requests()) != 1 {
		t.Fatalf("status %d, %d requests", resp.StatusCode, len(rcv.requests()))
	}
}

type stubResolver struct{ answers map[string][]netip.Addr }

func (s *stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := s.answers[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}
