package apitest

import (
	"log/slog"
	"testing"

	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/storetest"
)

// Setup tunes NewWith: the server's configuration (as the CRM_* variables would set it) and
// options.
type Setup struct {
	// Config changes the test configuration before the server is built.
	Config func(*config.Config)
	// Options are the server options; a zero Now gets the Env's replaceable clock.
	Options server.Options
}

// TestConfig is the configuration every test server starts from.
func TestConfig() config.Config {
	return config.Config{BaseURL: "http://localhost:8080", SecretKey: "test secret key, long enough for derivation",
		MetricsToken: MetricsToken}
}

// MetricsToken is the test servers' CRM_METRICS_TOKEN (see Env.Metrics).
const MetricsToken = "test-metrics-token"

// NewWith starts a server of the test's configuration on the package's database of dialect.
func NewWith(t testing.TB, dialect string, s Setup) *Env {
	t.Helper()
	env := &Env{Dialect: dialect, DB: storetest.Open(t, dialect), clock: &Clock{}}
	env.Server = env.build(t, s)
	return env
}

// Replica starts another server on e's database and clock, as a second replica of the
// service would run: what is shared (the database, a Redis) is seen by both.
func (e *Env) Replica(t testing.TB, s Setup) *Env {
	t.Helper()
	r := &Env{Dialect: e.Dialect, DB: e.DB, clock: e.clock}
	r.Server = r.build(t, s)
	return r
}

func (e *Env) build(t testing.TB, s Setup) *server.Server {
	t.Helper()
	cfg := TestConfig()
	if s.Config != nil {
		s.Config(&cfg)
	}
	opt := s.Options
	if opt.Now == nil {
		opt.Now = e.clock.Now
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelError}))
	srv, err := server.New(cfg, e.DB, log, opt)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	return srv
}

// Metrics answers the Prometheus text of the server, fetched with the metrics token.
func (e *Env) Metrics(t testing.TB) string {
	t.Helper()
	r := e.Do(t, "GET", "/metrics", nil, map[string]string{"Authorization": "Bearer " + MetricsToken})
	if r.Status != 200 {
		t.Fatalf("GET /metrics: %d %s", r.Status, r.Body)
	}
	return string(r.Body)
}

// EachWith runs fn once per database on a server of the test's setup.
func EachWith(t *testing.T, s Setup, fn func(t *testing.T, env *Env)) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) { fn(t, NewWith(t, d, s)) })
	}
}
