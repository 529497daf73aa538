// Package host is the plugin supervisor inside the CRM server (PLG-1..5): it finds the
// installed plugins, verifies each executable's SHA-256 before launching it through
// hashicorp/go-plugin, checks the handshake and protocol version, pings it, puts a deadline
// on every call, restarts it with backoff when it crashes or hangs, and opens a circuit
// breaker (state "disabled") after repeated failures, so that the CRM falls back to its
// built-in behaviour. Plugin output goes to the server log, rate-limited.
//
// Plugins reach data only through the host API served to them on the go-plugin broker
// (calls.go): every call the host makes carries a fresh call token, and the host API acts in
// the tenant, plugin and user the host bound to that token, never in one the plugin names.
//
// Tenants enable and configure plugins through /api/v1/plugins (api.go); modules' routes are
// served under /api/v1/ext/{plugin_id}/… after the host's own authentication and Casbin
// checks (module.go); classifier plugins stand in for the built-in classification rules
// (classify.go); enabled plugins receive their tenant's outbox events (events.go).
package host

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/go-plugin"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/plugins/sdk"
	"github.com/smecrm/crm/policies"
)

// States of a plugin process as the plugins API reports them.
const (
	StateStarting = "starting"
	StateRunning  = "running"
	StateRestart  = "restarting" // crashed or hung; waiting for its backoff to restart
	StateDisabled = "disabled"   // circuit breaker open after repeated failures
	StateFailed   = "failed"     // cannot run: missing file, checksum mismatch, wrong protocol
	StateStopped  = "stopped"
)

// ErrUnavailable is returned for a call to a plugin that is not running (or whose breaker
// is open); callers fall back to built-in behaviour.
var ErrUnavailable = errors.New("plugin unavailable")

// FollowUpCreator creates a follow-up task for a customer of the context tenant, once per
// key; it returns the task's ID.
type FollowUpCreator func(ctx context.Context, customerID uuid.UUID, title, note string, due *time.Time, assignee *uuid.UUID, key string) (uuid.UUID, error)

// Options tune the supervisor. Zero values take the defaults shown.
type Options struct {
	Dir      string
	Log      *slog.Logger
	Registry prometheus.Registerer

	StartTimeout    time.Duration // 10 s: launch and handshake
	CallTimeout     time.Duration // 2 s: one classification, Ping, Describe
	BatchTimeout    time.Duration // 30 s: one batch of classifications
	EventTimeout    time.Duration // 5 s: one event
	HTTPTimeout     time.Duration // 10 s: one module request
	PingInterval    time.Duration // 5 s
	MaxFailures     int           // 5 consecutive failures open the breaker
	BreakerCooldown time.Duration // 30 s, doubling up to 10 min, before a new attempt
	RestartBackoff  time.Duration // 200 ms, doubling up to 30 s
	EventPoll       time.Duration // 1 s between looks at the outbox
	EventSettle     time.Duration // 500 ms: events younger than this wait (commit order)
	LogLinesPerSec  int           // 50 lines of plugin output per second per plugin (burst 4×)

	// MaxResponseBytes bounds one message from a plugin (gRPC's receive limit on the
	// host's connection, so an oversized answer is refused from its length prefix, before
	// it is read) and a module's HTTP response body: 4 MiB.
	MaxResponseBytes int

	// The sandbox (sandbox.go). RunDir holds the per-launch folders (os.TempDir());
	// User is the user plugins run as when the server runs as root (CRM_PLUGIN_USER, else
	// nobody); Launcher is the executable that applies Landlock (this one, when its main
	// calls LauncherMain).
	RunDir   string
	User     string
	Launcher string

	// FollowUps creates follow-up tasks for the host API call of that name; nil keeps the
	// task in the plugin's own record store (type "followup_task").
	FollowUps FollowUpCreator
	// Authz resolves the acting user's data scope for customer look-ups made on a user's
	// behalf (module requests, classifications within a user's write); nil: tenant scope.
	Authz *policies.Authorizer
}

func (o *Options) defaults() {
	d := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	d(&o.StartTimeout, 10*time.Second)
	d(&o.CallTimeout, 2*time.Second)
	d(&o.BatchTimeout, 30*time.Second)
	d(&o.EventTimeout, 5*time.Second)
	d(&o.HTTPTimeout, 10*time.Second)
	d(&o.PingInterval, 5*time.Second)
	d(&o.BreakerCooldown, 30*time.Second)
	d(&o.RestartBackoff, 200*time.Millisecond)
	d(&o.EventPoll, time.Second)
	d(&o.EventSettle, 500*time.Millisecond)
	if o.MaxFailures == 0 {
		o.MaxFailures = 5
	}
	if o.LogLinesPerSec == 0 {
		o.LogLinesPerSec = 50
	}
	if o.MaxResponseBytes == 0 {
		o.MaxResponseBytes = 4 << 20
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Host supervises the installed plugins.
type Host struct {
	db  *store.DB
	opt Options
	log *slog.Logger
	m   *metrics

	mu    sync.Mutex
	procs map[string]*proc

	tokens sync.Map // token -> *scope

	sb    *sandbox
	sbErr error // the sandbox cannot be set up: no plugin is launched

	seenFiles map[string]bool // uninstalled files in the plugin folder already reported

	cacheMu sync.Mutex
	cache   map[uuid.UUID]cachedSettings

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type cachedSettings struct {
	at       time.Time
	settings map[string]Setting
}

// New returns a supervisor over db; Start launches the plugins.
func New(db *store.DB, opt Options) *Host {
	opt.defaults()
	h := &Host{db: db, opt: opt, log: opt.Log.With("component", "plugins"), procs: map[string]*proc{}, cache: map[uuid.UUID]cachedSettings{}}
	h.m = newMetrics(opt.Registry)
	h.sb, h.sbErr = newSandbox(opt.RunDir, opt.User, opt.Launcher, h.log)
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h
}

// Start launches every installed plugin (each under its own supervising goroutine) and the
// event worker. It returns at once; plugins come up in the background.
func (h *Host) Start(ctx context.Context) error {
	if err := h.discover(ctx); err != nil {
		return err
	}
	h.wg.Add(2)
	go func() { defer h.wg.Done(); h.runEvents(h.ctx) }()
	go func() {
		defer h.wg.Done()
		for sleep(h.ctx, DiscoveryInterval, nil) {
			if err := h.discover(h.ctx); err != nil && h.ctx.Err() == nil {
				h.log.Error("plugin discovery", "error", err)
			}
		}
	}()
	return nil
}

// DiscoveryInterval is how often a running server looks for plugins installed or reinstalled
// since it started.
var DiscoveryInterval = 30 * time.Second

// discover supervises every installed plugin not supervised yet, and gives a reinstalled one
// (a new pinned checksum) a fresh start. Files in the plugin folder that were never installed
// are reported and left alone.
func (h *Host) discover(ctx context.Context) error {
	var installs []Installation
	if err := h.db.Gorm(ctx).Order("id").Find(&installs).Error; err != nil {
		return fmt.Errorf("plugins: %w", err)
	}
	known := map[string]bool{}
	h.mu.Lock()
	for _, in := range installs {
		known[in.File] = true
		if p, ok := h.procs[in.ID]; ok {
			p.reinstalled(in)
			continue
		}
		p := h.newProc(in)
		h.procs[in.ID] = p
		h.wg.Add(1)
		go func() { defer h.wg.Done(); p.supervise(h.ctx) }()
	}
	h.mu.Unlock()
	if entries, err := os.ReadDir(h.opt.Dir); err == nil {
		for _, e := range entries {
			if !e.IsDir() && !known[e.Name()] && !strings.HasPrefix(e.Name(), ".") && !h.warned(e.Name()) {
				h.log.Warn("file in the plugin folder is not an installed plugin; install it with `crm plugins install`", "file", e.Name())
			}
		}
	}
	return nil
}

// warned reports whether the uninstalled file was reported already (and remembers it).
func (h *Host) warned(file string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.seenFiles == nil {
		h.seenFiles = map[string]bool{}
	}
	seen := h.seenFiles[file]
	h.seenFiles[file] = true
	return seen
}

// reinstalled takes a new installation of the plugin (a new checksum, or the same file
// installed again): the process is restarted on the executable, breaker and failures reset.
func (p *proc) reinstalled(in Installation) {
	p.mu.Lock()
	changed := in.SHA256 != p.inst.SHA256 || in.UpdatedAt.After(p.inst.UpdatedAt)
	if changed {
		p.inst.SHA256, p.inst.Manifest, p.inst.UpdatedAt = in.SHA256, in.Manifest, in.UpdatedAt
		p.failures, p.openUntil, p.cooldown = 0, time.Time{}, p.h.opt.BreakerCooldown
	}
	p.mu.Unlock()
	if changed {
		p.log.Info("plugin reinstalled; restarting it on the new executable")
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
}

// Stop ends the plugins and the event worker.
func (h *Host) Stop() {
	h.cancel()
	h.wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.procs {
		p.kill()
		p.setState(StateStopped)
	}
}

// Status is a plugin's state as reported by the plugins API.
type Status struct {
	State     string `json:"state"`
	LastError string `json:"last_error"`
	Failures  int    `json:"failures"`
	Restarts  int    `json:"restarts"`
}

// StatusOf reports a plugin's state (StateStopped when it is not supervised).
func (h *Host) StatusOf(id string) Status {
	p := h.proc(id)
	if p == nil {
		return Status{State: StateStopped}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return Status{State: p.state, LastError: p.lastError, Failures: p.failures, Restarts: p.restarts}
}

// WaitRunning waits until the plugin runs or ctx ends.
func (h *Host) WaitRunning(ctx context.Context, id string) error {
	for {
		if st := h.StatusOf(id); st.State == StateRunning {
			return nil
		} else if ctx.Err() != nil {
			return fmt.Errorf("plugin %s: %s (%s): %w", id, st.State, st.LastError, ctx.Err())
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (h *Host) proc(id string) *proc {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.procs[id]
}

// Manifest returns a running or installed plugin's manifest.
func (h *Host) Manifest(id string) (sdk.Manifest, bool) {
	p := h.proc(id)
	if p == nil {
		return sdk.Manifest{}, false
	}
	return p.manifest, true
}

// installed lists the supervised plugins by ID.
func (h *Host) installed() []*proc {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*proc, 0, len(h.procs))
	for _, p := range h.procs {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].inst.ID < out[j].inst.ID })
	return out
}

// proc is one plugin executable and its supervision.
type proc struct {
	h        *Host
	inst     Installation
	manifest sdk.Manifest
	path     string
	log      *slog.Logger

	mu        sync.Mutex
	state     string
	lastError string
	failures  int
	restarts  int
	openUntil time.Time
	cooldown  time.Duration
	pc        *plugin.Client
	client    *sdk.Client
	run       *launch // the sandbox of the running process, removed when it ends
	kick      chan struct{}
}

func (h *Host) newProc(in Installation) *proc {
	p := &proc{h: h, inst: in, path: filepath.Join(h.opt.Dir, in.File), log: h.log.With("plugin", in.ID),
		state: StateStarting, cooldown: h.opt.BreakerCooldown, kick: make(chan struct{}, 1)}
	_ = json.Unmarshal(in.Manifest, &p.manifest)
	return p
}

func (p *proc) setState(s string) {
	p.mu.Lock()
	p.state = s
	p.mu.Unlock()
	p.h.m.setState(p.inst.ID, s)
}

// supervise keeps the plugin running until ctx ends: start, watch (exit and Ping), restart
// with backoff, and wait out the breaker's cooldown.
func (p *proc) supervise(ctx context.Context) {
	backoff := p.h.opt.RestartBackoff
	for ctx.Err() == nil {
		p.mu.Lock()
		wait := time.Until(p.openUntil)
		p.mu.Unlock()
		if wait > 0 {
			if !sleep(ctx, wait, p.kick) { // a reinstall wakes it
				return
			}
			continue
		}
		p.setState(StateStarting)
		if err := p.start(ctx); err != nil {
			if errors.Is(err, errPermanent) {
				p.fail(err, false)
				p.setState(StateFailed)
				p.log.Error("plugin cannot run", "error", err)
				// A permanent failure waits for the breaker's cooldown before another try
				// (the file may be reinstalled meanwhile).
				p.mu.Lock()
				p.openUntil = time.Now().Add(p.cooldown)
				p.mu.Unlock()
				continue
			}
			p.fail(err, true)
			p.log.Warn("plugin failed to start", "error", err)
		} else {
			backoff = p.h.opt.RestartBackoff
			select { // a kick left from before this start is stale
			case <-p.kick:
			default:
			}
			p.watch(ctx)
			p.kill()
			if ctx.Err() != nil {
				return
			}
		}
		p.mu.Lock()
		p.restarts++
		open := time.Now().Before(p.openUntil)
		p.mu.Unlock()
		p.h.m.restarts.WithLabelValues(p.inst.ID).Inc()
		if open {
			p.setState(StateDisabled)
			continue
		}
		p.setState(StateRestart)
		if !sleep(ctx, backoff, nil) {
			return
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

var errPermanent = errors.New("plugin cannot be launched")

func (p *proc) start(ctx context.Context) error {
	p.mu.Lock()
	sum := p.inst.SHA256
	p.mu.Unlock()
	want, err := hex.DecodeString(sum)
	if err != nil || len(want) != sha256.Size {
		return fmt.Errorf("%w: bad pinned checksum", errPermanent)
	}
	if _, err := os.Stat(p.path); err != nil {
		return fmt.Errorf("%w: %v", errPermanent, err)
	}
	if p.h.sbErr != nil {
		return fmt.Errorf("%w: plugin sandbox: %v", errPermanent, p.h.sbErr)
	}
	run, err := p.h.sb.prepare(p.inst.ID, p.path, want)
	if errors.Is(err, errChecksum) {
		p.log.Error("plugin executable does not match the checksum pinned at install; not launched")
		return fmt.Errorf("%w: %v", errPermanent, err)
	} else if err != nil {
		return err
	}
	hs := sdk.NewHostServer(p.resolve)
	pc := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig: sdk.Handshake,
		Plugins:         plugin.PluginSet{sdk.PluginName: &sdk.GRPCPlugin{Host: hs}},
		Cmd:             run.cmd,
		SkipHostEnv:     true,
		// The checksum was verified on the copy that runs (sandbox.prepare) and again by
		// the launcher just before exec; go-plugin's own check would hash the launcher.
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		// The host API is served over the plugin's own connection: the plugin (another
		// user, under Landlock) never has to reach a socket of the server's.
		GRPCBrokerMultiplex: true,
		GRPCDialOptions:     []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(p.h.opt.MaxResponseBytes))},
		StartTimeout:        p.h.opt.StartTimeout,
		Logger:              newPluginLogger(p.h, p.inst.ID),
		Managed:             false,
	})
	p.mu.Lock()
	p.run = run
	p.mu.Unlock()
	proto, err := pc.Client()
	if err != nil {
		pc.Kill()
		p.removeRun()
		return err
	}
	raw, err := proto.Dispense(sdk.PluginName)
	if err != nil {
		pc.Kill()
		p.removeRun()
		return err
	}
	cl := raw.(*sdk.Client)
	cctx, cancel := context.WithTimeout(ctx, p.h.opt.StartTimeout)
	defer cancel()
	if err := cl.Init(cctx); err != nil {
		pc.Kill()
		p.removeRun()
		return fmt.Errorf("init: %w", err)
	}
	m, err := cl.Describe(cctx)
	if err != nil {
		pc.Kill()
		p.removeRun()
		return fmt.Errorf("describe: %w", err)
	}
	if m.ID != p.inst.ID || m.ProtocolVersion != sdk.ProtocolVersion {
		pc.Kill()
		p.removeRun()
		return fmt.Errorf("%w: plugin describes itself as %q protocol %d, installed as %q protocol %d", errPermanent, m.ID, m.ProtocolVersion, p.inst.ID, sdk.ProtocolVersion)
	}
	p.mu.Lock()
	p.pc, p.client, p.manifest = pc, cl, m
	p.mu.Unlock()
	p.setState(StateRunning)
	p.log.Info("plugin running", "version", m.Version)
	return nil
}

// watch returns when the plugin exits, stops answering Ping, is kicked (breaker), or ctx
// ends.
func (p *proc) watch(ctx context.Context) {
	t := time.NewTicker(min(p.h.opt.PingInterval, 250*time.Millisecond))
	defer t.Stop()
	lastPing := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.kick:
			return
		case <-t.C:
		}
		p.mu.Lock()
		pc, cl := p.pc, p.client
		p.mu.Unlock()
		if pc == nil || pc.Exited() {
			p.fail(errors.New("plugin process exited"), true)
			p.log.Error("plugin process exited; restarting")
			return
		}
		if time.Since(lastPing) < p.h.opt.PingInterval {
			continue
		}
		lastPing = time.Now()
		pctx, cancel := context.WithTimeout(ctx, p.h.opt.CallTimeout)
		err := cl.Ping(pctx)
		cancel()
		if err != nil && ctx.Err() == nil {
			p.fail(fmt.Errorf("ping: %w", err), true)
			p.log.Error("plugin does not answer Ping; restarting", "error", err)
			return
		}
	}
}

func (p *proc) kill() {
	p.mu.Lock()
	pc := p.pc
	p.pc, p.client = nil, nil
	p.mu.Unlock()
	if pc != nil {
		pc.Kill()
	}
	p.removeRun()
}

// removeRun deletes the sandbox folder of the last launch (its process has ended).
func (p *proc) removeRun() {
	p.mu.Lock()
	run := p.run
	p.run = nil
	p.mu.Unlock()
	run.remove()
}

// fail records a failure; after MaxFailures in a row the breaker opens: the process is
// stopped and no call reaches it until the cooldown has passed.
func (p *proc) fail(err error, count bool) {
	p.mu.Lock()
	p.lastError = err.Error()
	if count {
		p.failures++
	}
	opened := false
	if p.failures >= p.h.opt.MaxFailures && !time.Now().Before(p.openUntil) {
		p.openUntil = time.Now().Add(p.cooldown)
		p.cooldown = min(p.cooldown*2, 10*time.Minute)
		p.state = StateDisabled
		opened = true
	}
	p.mu.Unlock()
	if opened {
		p.h.m.setState(p.inst.ID, StateDisabled)
		p.h.m.breakerOpened.WithLabelValues(p.inst.ID).Inc()
		p.log.Error("plugin disabled after repeated failures (circuit breaker open)", "failures", p.h.opt.MaxFailures, "last_error", err.Error())
		select {
		case p.kick <- struct{}{}:
		default:
		}
	}
}

func (p *proc) succeeded() {
	p.mu.Lock()
	p.failures = 0
	p.cooldown = p.h.opt.BreakerCooldown
	p.mu.Unlock()
}

// running returns the client of a running plugin whose breaker is closed.
func (p *proc) running() (*sdk.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state != StateRunning || p.client == nil || time.Now().Before(p.openUntil) {
		return nil, fmt.Errorf("%w: %s is %s", ErrUnavailable, p.inst.ID, p.state)
	}
	return p.client, nil
}

func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-wake:
	}
	return true
}

func newToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// scope is what a call token stands for.
type scope struct {
	plugin *proc
	tenant uuid.UUID
	// user and dept are the acting user's, nil for background calls (events).
	user uuid.UUID
	dept uuid.UUID
	// info is the tenant as the user's request resolved it (the policy version for their
	// data scope); zero for background calls.
	info tenantctx.Info
}

// resolve maps a call token to the host API of its call, for this plugin only.
func (p *proc) resolve(_ context.Context, tok string) (sdk.Host, bool) {
	v, ok := p.h.tokens.Load(tok)
	if !ok {
		return nil, false
	}
	s := v.(*scope)
	if s.plugin != p {
		return nil, false
	}
	return &scopedHost{h: p.h, s: s}, true
}

// call runs fn against a running plugin for the context tenant with a fresh call token and
// a deadline; fn's error counts as the plugin's failure.
func (h *Host) call(ctx context.Context, pluginID, method string, timeout time.Duration, fn func(ctx context.Context, c *sdk.Client, ci sdk.CallInfo) error) error {
	p := h.proc(pluginID)
	if p == nil {
		return fmt.Errorf("%w: %s is not installed", ErrUnavailable, pluginID)
	}
	cl, err := p.running()
	if err != nil {
		h.m.calls.WithLabelValues(pluginID, method, "unavailable").Inc()
		return err
	}
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return store.ErrNoTenant
	}
	settings, err := h.settings(ctx, tid)
	if err != nil {
		return err
	}
	cfg := []byte("{}")
	if s, ok := settings[pluginID]; ok && len(s.Config) > 0 {
		cfg = s.Config
	}
	actor := tenantctx.ActorFrom(ctx)
	tok := newToken()
	info, _ := tenantctx.InfoFrom(ctx)
	h.tokens.Store(tok, &scope{plugin: p, tenant: tid, user: actor.UserID, dept: actor.DepartmentID, info: info})
	defer h.tokens.Delete(tok)
	ci := sdk.CallInfo{Token: tok, TenantID: tid.String(), Roles: actor.Roles, Locale: tenantctx.Locale(ctx), Config: cfg}
	if actor.UserID != uuid.Nil {
		ci.UserID = actor.UserID.String()
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	err = fn(cctx, cl, ci)
	h.m.duration.WithLabelValues(pluginID, method).Observe(time.Since(start).Seconds())
	if err != nil {
		outcome := "error"
		if errors.Is(cctx.Err(), context.DeadlineExceeded) || status.Code(err) == codes.DeadlineExceeded {
			outcome = "timeout"
			err = fmt.Errorf("%s %s: no answer within %s: %w", pluginID, method, timeout, err)
		}
		h.m.calls.WithLabelValues(pluginID, method, outcome).Inc()
		if ctx.Err() == nil { // the caller giving up is not the plugin's failure
			p.fail(err, true)
			p.log.Warn("plugin call failed", "method", method, "error", err)
		}
		return err
	}
	h.m.calls.WithLabelValues(pluginID, method, "ok").Inc()
	p.succeeded()
	return nil
}

// settings returns the context tenant's plugin settings (cached for two seconds; changes
// through this server drop the cache at once).
func (h *Host) settings(ctx context.Context, tid uuid.UUID) (map[string]Setting, error) {
	h.cacheMu.Lock()
	c, ok := h.cache[tid]
	h.cacheMu.Unlock()
	if ok && time.Since(c.at) < 2*time.Second {
		return c.settings, nil
	}
	var rows []Setting
	err := h.db.Read(tenantctx.WithTenant(ctx, tid), func(tx *gorm.DB) error { return tx.Find(&rows).Error })
	if err != nil {
		return nil, err
	}
	m := make(map[string]Setting, len(rows))
	for _, r := range rows {
		m[r.PluginID] = r
	}
	h.cacheMu.Lock()
	h.cache[tid] = cachedSettings{at: time.Now(), settings: m}
	h.cacheMu.Unlock()
	return m, nil
}

func (h *Host) dropCache(tid uuid.UUID) {
	h.cacheMu.Lock()
	delete(h.cache, tid)
	h.cacheMu.Unlock()
}

// enabledWith returns the IDs of the context tenant's enabled plugins with capability c.
func (h *Host) enabledWith(ctx context.Context, c string) []string {
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return nil
	}
	settings, err := h.settings(ctx, tid)
	if err != nil {
		return nil
	}
	var out []string
	for id, s := range settings {
		if !s.Enabled {
			continue
		}
		if m, ok := h.Manifest(id); ok && m.Has(c) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}
