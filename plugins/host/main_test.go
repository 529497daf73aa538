package host_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/plugins/host"
)

// bins are the plugin executables built once for this package's tests.
var bins = map[string]string{}

var binDir string

// TestMain builds the example and test plugins into a temporary folder (real executables,
// launched through go-plugin like in production), runs the tests and removes the folder.
// The test binary is also the plugin launcher, as the crm binary is in production.
func TestMain(m *testing.M) {
	host.LauncherMain()
	var err error
	binDir, err = os.MkdirTemp("", "crm-plugin-bins-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pkgs := map[string]string{
		"classifier":        "../examples/classifier",
		"commercialvehicle": "../examples/commercialvehicle",
		"recorder":          "./testdata/recorder",
		"crasher":           "./testdata/crasher",
		"hanger":            "./testdata/hanger",
		"prober":            "./testdata/prober",
	}
	for name, pkg := range pkgs {
		out := filepath.Join(binDir, name)
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", pkg, err)
			os.RemoveAll(binDir)
			os.Exit(1)
		}
		bins[name] = out
	}
	storetest.Main(m, func() { os.RemoveAll(binDir) })
}

// Plugin IDs of the executables above.
const (
	classifierID = "example-classifier"
	vehicleID    = "commercial-vehicle"
	recorderID   = "test-recorder"
	crasherID    = "test-crasher"
	hangerID     = "test-hanger"
	proberID     = "test-prober"
)

var installMu sync.Mutex

// testOptions are quick supervisor settings for tests.
func testOptions(dir string) host.Options {
	return host.Options{Dir: dir, CallTimeout: 500 * time.Millisecond, BatchTimeout: 2 * time.Second, HTTPTimeout: time.Second, PingInterval: 300 * time.Millisecond,
		RestartBackoff: 50 * time.Millisecond, BreakerCooldown: time.Hour, MaxFailures: 3, EventPoll: 100 * time.Millisecond,
		EventSettle: 50 * time.Millisecond, EventTimeout: 2 * time.Second}
}

// pluginDirs is one plugin folder per database: the installs table is shared by the
// package's tests on that database, and so is the folder it points into.
var pluginDirs sync.Map

// pluginDir is the plugin folder of dialect's database.
func pluginDir(dialect string) string {
	v, _ := pluginDirs.LoadOrStore(dialect, filepath.Join(binDir, "installed-"+dialect))
	return v.(string)
}

// newEnv starts a server on dialect with the named plugins installed and running.
func newEnv(t testing.TB, dialect string, names ...string) *apitest.Env {
	t.Helper()
	return newEnvWith(t, dialect, func(*host.Options) {}, names...)
}

// newEnvWith is newEnv with the supervisor's options changed by tune.
func newEnvWith(t testing.TB, dialect string, tune func(*host.Options), names ...string) *apitest.Env {
	t.Helper()
	dir := pluginDir(dialect)
	opt := testOptions(dir)
	tune(&opt)
	env := apitest.NewWithOptions(t, dialect, server.Options{Plugins: opt})
	installMu.Lock()
	for _, n := range names {
		if _, err := host.Install(context.Background(), env.DB, dir, bins[n]); err != nil {
			installMu.Unlock()
			t.Fatalf("install %s: %v", n, err)
		}
	}
	installMu.Unlock()
	ids := make([]string, len(names))
	for i, n := range names {
		ids[i] = pluginIDs[n]
	}
	startPlugins(t, env, ids...)
	return env
}

// pluginIDs are the IDs of the executables in bins.
var pluginIDs = map[string]string{"classifier": classifierID, "commercialvehicle": vehicleID, "recorder": recorderID,
	"crasher": crasherID, "hanger": hangerID, "prober": proberID}

// startPlugins starts env's supervisor and waits for the plugins ids to run (others
// installed in the package's database by other tests may or may not have their file here).
func startPlugins(t testing.TB, env *apitest.Env, ids ...string) {
	t.Helper()
	h := env.Server.Plugins
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, id := range ids {
		if err := h.WaitRunning(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
}

// enable enables a plugin for co with config.
func enable(t *testing.T, co *apitest.Company, id string, config any) {
	t.Helper()
	co.Owner.MustDo(t, "PUT", "/api/v1/plugins/"+id, map[string]any{"enabled": true, "config": config}, 200, nil)
}

// summaries gives customers transaction summaries by name, as the sales module would.
func summaries(byName map[string]customer.TxSummary) customer.TxSummaries {
	return func(ctx context.Context, tx *gorm.DB, ids []uuid.UUID) (map[uuid.UUID]customer.TxSummary, error) {
		var rows []customer.Customer
		if err := tx.Where("id IN ?", ids).Find(&rows).Error; err != nil {
			return nil, err
		}
		out := map[uuid.UUID]customer.TxSummary{}
		for _, c := range rows {
			if s, ok := byName[c.Name]; ok {
				out[c.ID] = s
			}
		}
		return out, nil
	}
}

// eventually retries check until it passes or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tenantCtx is a background context of co's tenant, acting as nobody (a job).
func tenantCtx(co *apitest.Company) context.Context {
	return jobs.TenantContext(context.Background(), co.ID, uuid.Nil)
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
