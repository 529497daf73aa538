// Package conformance runs a built plugin executable the way the CRM does — through
// go-plugin, with the protocol handshake and a host API served on the broker — against an
// in-memory host (sdk.FakeHost), and checks that it keeps the protocol's promises. No CRM
// server or database is needed:
//
//	func TestConformance(t *testing.T) {
//		conformance.Run(t, "./bin/my-plugin", conformance.Options{})
//	}
package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/smecrm/crm/plugins/sdk"
)

// Options tune Run.
type Options struct {
	// Config is the tenant configuration the calls carry (nil: {}).
	Config any
	// Host is the fake host to use; nil makes a fresh one.
	Host *sdk.FakeHost
	// Timeout is the deadline of each call (default 5 s).
	Timeout time.Duration
}

// Running is a plugin process started by Launch.
type Running struct {
	Client   *sdk.Client
	Host     *sdk.FakeHost
	Manifest sdk.Manifest
	pc       *plugin.Client

	mu     sync.Mutex
	tokens map[string]string // token -> tenant
}

// Launch starts the plugin executable at path with host as its host API and returns it
// initialised; it is killed when the test ends.
func Launch(t testing.TB, path string, host *sdk.FakeHost) *Running {
	t.Helper()
	if host == nil {
		host = sdk.NewFakeHost()
	}
	r := &Running{Host: host, tokens: map[string]string{}}
	hs := sdk.NewHostServer(func(_ context.Context, tok string) (sdk.Host, bool) {
		r.mu.Lock()
		defer r.mu.Unlock()
		tenant, ok := r.tokens[tok]
		if !ok {
			return nil, false
		}
		return host.For(tenant), true
	})
	r.pc = plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		Plugins:          plugin.PluginSet{sdk.PluginName: &sdk.GRPCPlugin{Host: hs}},
		Cmd:              exec.Command(path),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     10 * time.Second,
		Logger:           hclog.New(&hclog.LoggerOptions{Level: hclog.Warn, Output: testWriter{t}}),
	})
	t.Cleanup(r.pc.Kill)
	proto, err := r.pc.Client()
	if err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	raw, err := proto.Dispense(sdk.PluginName)
	if err != nil {
		t.Fatalf("dispense: %v", err)
	}
	r.Client = raw.(*sdk.Client)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Client.Init(ctx); err != nil {
		t.Fatalf("init: %v", err)
	}
	if r.Manifest, err = r.Client.Describe(ctx); err != nil {
		t.Fatalf("describe: %v", err)
	}
	host.Manifest = &r.Manifest
	return r
}

// Call returns the call information for a call in tenant with config; the plugin may use
// the host API with it until the test ends.
func (r *Running) Call(tenant string, config any) sdk.CallInfo {
	var b [16]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	r.mu.Lock()
	r.tokens[tok] = tenant
	r.mu.Unlock()
	raw := []byte("{}")
	if config != nil {
		raw, _ = json.Marshal(config)
	}
	return sdk.CallInfo{Token: tok, TenantID: tenant, UserID: "conformance-user", Roles: []string{"owner"}, Locale: "en", Config: raw}
}

var (
	idRE      = regexp.MustCompile(`^[a-z][a-z0-9-]{1,38}[a-z0-9]$`)
	nameRE    = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	patternRE = regexp.MustCompile(`^(/([a-z0-9_-]+|\{[a-z_]+\}))+$`)
	methods   = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true}
	// crmActions are the CRM's permission actions; a role editor offers only these.
	crmActions = map[string]bool{"create": true, "read": true, "update": true, "delete": true, "assign": true, "approve": true, "export": true}
)

// CheckManifest reports what is wrong with a manifest (nil when nothing).
func CheckManifest(m sdk.Manifest) []string {
	var errs []string
	if !idRE.MatchString(m.ID) {
		errs = append(errs, fmt.Sprintf("id %q: lowercase letters, digits and dashes, 3-40 characters", m.ID))
	}
	if m.Name == "" || m.Version == "" {
		errs = append(errs, "name and version are required")
	}
	if m.ProtocolVersion != sdk.ProtocolVersion {
		errs = append(errs, fmt.Sprintf("protocol version %d, want %d", m.ProtocolVersion, sdk.ProtocolVersion))
	}
	if len(m.Capabilities) == 0 {
		errs = append(errs, "no capabilities")
	}
	for _, c := range m.Capabilities {
		if c != sdk.CapClassifier && c != sdk.CapEvents && c != sdk.CapModule {
			errs = append(errs, fmt.Sprintf("unknown capability %q", c))
		}
	}
	types := map[string]bool{}
	for _, rt := range m.RecordTypes {
		if !nameRE.MatchString(rt.Name) || types[rt.Name] {
			errs = append(errs, fmt.Sprintf("record type %q: invalid or repeated name", rt.Name))
		}
		types[rt.Name] = true
		for _, f := range rt.Indexed {
			if !nameRE.MatchString(f) {
				errs = append(errs, fmt.Sprintf("record type %q: indexed field %q", rt.Name, f))
			}
		}
	}
	objects := map[string]map[string]bool{}
	for _, p := range m.Permissions {
		if !nameRE.MatchString(p.Object) {
			errs = append(errs, fmt.Sprintf("permission object %q", p.Object))
		}
		objects[p.Object] = map[string]bool{}
		for _, a := range p.Actions {
			if !crmActions[a] {
				errs = append(errs, fmt.Sprintf("permission %s: action %q is not one of the CRM's (create read update delete assign approve export)", p.Object, a))
			}
			objects[p.Object][a] = true
		}
		for role, acts := range p.Grants {
			for _, a := range acts {
				if !objects[p.Object][a] {
					errs = append(errs, fmt.Sprintf("grant %s %s:%s: action not declared", role, p.Object, a))
				}
			}
		}
	}
	names := map[string]bool{}
	for _, r := range m.Routes {
		if r.Name == "" || names[r.Name] {
			errs = append(errs, fmt.Sprintf("route %q: empty or repeated name", r.Name))
		}
		names[r.Name] = true
		if !methods[r.Method] {
			errs = append(errs, fmt.Sprintf("route %s: method %q", r.Name, r.Method))
		}
		if !patternRE.MatchString(r.Pattern) {
			errs = append(errs, fmt.Sprintf("route %s: pattern %q", r.Name, r.Pattern))
		}
		if !objects[r.Object][r.Action] {
			errs = append(errs, fmt.Sprintf("route %s: permission %s:%s is not declared", r.Name, r.Object, r.Action))
		}
	}
	if m.Has(sdk.CapModule) && len(m.Routes) == 0 {
		errs = append(errs, "a module declares routes")
	}
	return errs
}

// SampleCustomers are the customers Run classifies.
var SampleCustomers = []sdk.ClassifyInput{
	{Customer: sdk.Customer{ID: "c1", Type: "enterprise", Name: "示例贸易", Stage: "potential", Tier: "potential"}},
	{Customer: sdk.Customer{ID: "c2", Type: "enterprise", Name: "大客户", Stage: "deal", Employees: 800, AnnualRevenue: "50000000"},
		Summary: sdk.TxSummary{AnnualPurchase: "2000000", OrderCount: 40}},
	{Customer: sdk.Customer{ID: "c3", Type: "individual", Name: "张三", Stage: "deal"},
		Summary: sdk.TxSummary{AnnualPurchase: "1200.50", OrderCount: 2}},
	{Customer: sdk.Customer{ID: "c4", Type: "enterprise", Name: "", Stage: "churned", Tier: "general"},
		Summary: sdk.TxSummary{AnnualPurchase: "not a number", OrderCount: -1}},
}

// Run launches the plugin at path and checks it: the manifest, Ping, and for each declared
// capability its calls (classification answers valid and the same singly and in batches;
// events acknowledged, twice for the same ID; module routes answer a valid HTTP status).
func Run(t *testing.T, path string, opt Options) *Running {
	t.Helper()
	r := Launch(t, path, opt.Host)
	timeout := opt.Timeout
	if timeout == 0 {
		timeout = sdk.DefaultCallTimeout
	}
	ctx := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), timeout)
	}
	t.Run("manifest", func(t *testing.T) {
		for _, e := range CheckManifest(r.Manifest) {
			t.Error(e)
		}
	})
	t.Run("ping", func(t *testing.T) {
		c, cancel := ctx()
		defer cancel()
		if err := r.Client.Ping(c); err != nil {
			t.Fatal(err)
		}
	})
	call := r.Call("conformance-tenant", opt.Config)
	if r.Manifest.Has(sdk.CapClassifier) {
		t.Run("classify", func(t *testing.T) {
			c, cancel := ctx()
			defer cancel()
			var singles []sdk.ClassifyResult
			for _, in := range SampleCustomers {
				res, err := r.Client.Classify(c, call, in)
				if err != nil {
					t.Fatalf("classify %s: %v", in.Customer.ID, err)
				}
				if err := ValidResult(res); err != nil {
					t.Errorf("classify %s: %v", in.Customer.ID, err)
				}
				singles = append(singles, res)
			}
			batch, err := r.Client.ClassifyBatch(c, call, SampleCustomers, 3)
			if err != nil {
				t.Fatalf("batch: %v", err)
			}
			for i := range batch {
				if batch[i].Tier != singles[i].Tier || batch[i].IntentClass != singles[i].IntentClass {
					t.Errorf("customer %d: batch %+v, single %+v", i, batch[i], singles[i])
				}
			}
		})
	}
	if r.Manifest.Has(sdk.CapEvents) {
		t.Run("events", func(t *testing.T) {
			c, cancel := ctx()
			defer cancel()
			e := sdk.Event{ID: "0190a0f0-0000-7000-8000-000000000001", Type: "customer.created", Entity: "customer",
				EntityID: "c1", Payload: json.RawMessage(`{"customer_id":"c1"}`), CreatedAt: time.Now()}
			for i := 0; i < 2; i++ { // a redelivery must be acknowledged too
				if err := r.Client.OnEvent(c, call, e); err != nil {
					t.Fatalf("delivery %d: %v", i+1, err)
				}
			}
		})
	}
	if r.Manifest.Has(sdk.CapModule) {
		t.Run("routes", func(t *testing.T) {
			for _, rt := range r.Manifest.Routes {
				if rt.Method != "GET" {
					continue
				}
				c, cancel := ctx()
				params := map[string]string{}
				path := rt.Pattern
				for _, seg := range strings.Split(rt.Pattern, "/") {
					if strings.HasPrefix(seg, "{") {
						name := strings.Trim(seg, "{}")
						params[name] = "00000000-0000-7000-8000-000000000000"
						path = strings.Replace(path, seg, params[name], 1)
					}
				}
				res, err := r.Client.HandleHTTP(c, call, sdk.HTTPRequest{Route: rt.Name, Method: "GET", Path: path, Params: params,
					Headers: map[string]string{"Accept": "application/json"}})
				cancel()
				if err != nil {
					t.Errorf("GET %s: %v", rt.Pattern, err)
					continue
				}
				if res.Status < 200 || res.Status > 599 {
					t.Errorf("GET %s: status %d", rt.Pattern, res.Status)
				}
				if strings.Contains(res.Headers["Content-Type"], "json") && !json.Valid(res.Body) {
					t.Errorf("GET %s: body is not JSON: %q", rt.Pattern, res.Body)
				}
				if len(params) > 0 && res.Status != 404 {
					t.Errorf("GET %s with an unknown ID: status %d, want 404", rt.Pattern, res.Status)
				}
			}
		})
	}
	return r
}

// ValidResult checks a classification as the CRM does.
func ValidResult(r sdk.ClassifyResult) error {
	switch r.Tier {
	case "key", "general", "potential":
	default:
		return fmt.Errorf("tier %q", r.Tier)
	}
	switch r.IntentClass {
	case "", "A", "B", "C":
	default:
		return fmt.Errorf("intent class %q", r.IntentClass)
	}
	if r.Rule == "" {
		return fmt.Errorf("no rule name")
	}
	return nil
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
