package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// ResultsFile is bench/results/<timestamp>.json: one run per database, appended by each
// `load run` of the same `make bench`.
type ResultsFile struct {
	StartedAt time.Time `json:"started_at"`
	Machine   Machine   `json:"machine"`
	Config    Config    `json:"config"`
	Runs      []Run     `json:"runs"`
}

// Machine describes where the numbers were measured.
type Machine struct {
	NProc           int    `json:"nproc"`
	CPUModel        string `json:"cpu_model"`
	MemTotal        string `json:"mem_total"`
	Kernel          string `json:"kernel"`
	GoVersion       string `json:"go_version"`
	PostgresVersion string `json:"postgres_version,omitempty"`
	GitCommit       string `json:"git_commit,omitempty"`
}

// Config is how the load was applied.
type Config struct {
	LoadTool        string  `json:"load_tool"`
	Connections     int     `json:"connections"`
	DurationSeconds float64 `json:"duration_seconds"`
	WarmupSeconds   float64 `json:"warmup_seconds"`
	MaxRequests     uint64  `json:"max_requests_per_scenario"`
	TimeoutSeconds  float64 `json:"request_timeout_seconds"`
	// The customer scenarios: measured time at the fixed connections, then the fixed rate.
	CustomerDurationSeconds float64 `json:"customer_duration_seconds,omitempty"`
	RatePerSec              int     `json:"rate_per_sec,omitempty"`
	RateDurationSeconds     float64 `json:"rate_duration_seconds,omitempty"`
	Customers               int     `json:"customers,omitempty"`
}

// Run is every scenario on one database.
type Run struct {
	Database  string    `json:"database"`
	StartedAt time.Time `json:"started_at"`
	Fixture   fixture   `json:"fixture"`
	// BareOKRPS is the ceiling the ratios divide by: the mean of the two bare measurements.
	BareOKRPS float64 `json:"bare_ok_rps"`
	// BareDriftPct is how much the two bare measurements differ, relative to their mean; a
	// large value means the machine's capacity changed during the run.
	BareDriftPct float64          `json:"bare_drift_pct"`
	Scenarios    []ScenarioResult `json:"scenarios"`
	Warnings     []string         `json:"warnings,omitempty"`
	// Import is how the customer archive was built; Customers what the scenarios used. Both
	// are absent when no customer scenario ran.
	Import    *ImportResult `json:"import,omitempty"`
	Customers *CustomerData `json:"customers,omitempty"`
	// LoadAvg is /proc/loadavg at the start and the end of the run: how busy the machine was.
	LoadAvg []string `json:"loadavg,omitempty"`
}

func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	db := fs.String("db", "", "database label for the results (sqlite, postgres)")
	crmRaw := fs.String("crm", "", "base URL of the CRM server (loopback)")
	bareRaw := fs.String("bare", "", "base URL of the bare Fiber server (loopback)")
	duration := fs.Duration("duration", 10*time.Second, "measured duration of each scenario")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured warm-up before each scenario")
	conns := fs.Int("connections", 32, "connections (= vegeta workers) per scenario")
	maxReq := fs.Uint64("max-requests", 2_000_000, "cap on requests per scenario")
	timeout := fs.Duration("timeout", 5*time.Second, "per-request timeout")
	out := fs.String("out", "", "results file (JSON); an existing file gets this run appended")
	crmPID := fs.Int("crm-pid", 0, "PID of the CRM server, for CPU accounting")
	barePID := fs.Int("bare-pid", 0, "PID of the bare server, for CPU accounting")
	pgDB := fs.String("pg-database", "", "PostgreSQL database name, to account its backends' CPU")
	pgVersion := fs.String("postgres-version", "", "recorded in the results")
	gitCommit := fs.String("git-commit", "", "recorded in the results")
	only := fs.String("scenarios", strings.Join(defaultScenarios, ","), "scenarios to run, in order (for profiling one path)")
	customers := fs.Int("customers", 100_000, "customers to import into the benchmark tenant for the customer scenarios")
	customerDuration := fs.Duration("customer-duration", 6*time.Second, "measured duration of each customer scenario at the fixed connections")
	rate := fs.Int("rate", 50, "requests per second of the fixed-rate measurement of each customer scenario (0: none)")
	rateDuration := fs.Duration("rate-duration", 10*time.Second, "duration of the fixed-rate measurement")
	followUpRate := fs.Int("followup-rate", 1000, "requests per second of the follow-up scenario's fixed-rate measurement (0: none)")
	importTimeout := fs.Duration("import-timeout", 10*time.Minute, "give up on the import (or the fallback) after this long")
	afterImport := fs.String("after-import", "", "shell command run after the import, before the customer scenarios (bench/run.sh: VACUUM ANALYZE on PostgreSQL)")
	explainOut := fs.String("explain-out", "", "write the customer scenarios' SQL, as the server runs it, as an EXPLAIN script for this database")
	sampleIDs := fs.Int("sample-ids", 1000, "customer IDs the customer scenario rotates over")
	importMethod := fs.String("import-method", "auto", "auto: the import endpoint, falling back to POST /customers when it does not work; post: POST /customers only (to test the fallback)")
	_ = fs.Parse(args)

	if *db == "" {
		return errors.New("run: -db is required")
	}
	crmURL, err := loopbackURL("crm", *crmRaw)
	if err != nil {
		return err
	}
	bareURL, err := loopbackURL("bare", *bareRaw)
	if err != nil {
		return err
	}
	if *conns < 1 || *conns > 1024 {
		return errors.New("run: -connections must be between 1 and 1024")
	}
	if *duration <= 0 || *duration > 10*time.Minute || *warmup < 0 || *warmup > time.Minute {
		return errors.New("run: -duration must be in (0, 10m] and -warmup in [0, 1m]")
	}
	if *maxReq == 0 {
		return errors.New("run: -max-requests must be positive")
	}
	if *importMethod != "auto" && *importMethod != "post" {
		return errors.New("run: -import-method must be auto or post")
	}
	if *customers < 1 || *customers > 190_000 {
		return errors.New("run: -customers must be between 1 and 190000 (the import takes 200,000 rows a file)")
	}
	if *customerDuration <= 0 || *customerDuration > 10*time.Minute || *rate < 0 || *rate > 10_000 ||
		*rateDuration < 0 || *rateDuration > 10*time.Minute || *followUpRate < 0 || *followUpRate > 10_000 {
		return errors.New("run: -customer-duration and -rate-duration must be in (0, 10m], -rate in [0, 10000]")
	}

	fmt.Printf("[%s] setting up data over HTTP at %s\n", *db, crmURL)
	fx, err := setup(newAPIClient(crmURL))
	if err != nil {
		return fmt.Errorf("[%s] setup: %w", *db, err)
	}
	fmt.Printf("[%s] tenant %s (%s), owner %s, user %s\n", *db, fx.Slug, fx.TenantID, fx.OwnerID, fx.MemberID)

	bearer := http.Header{"Authorization": {"Bearer " + fx.token}}
	bare := scenario{Name: "bare", Description: "GET /bare on a separate Fiber v2 process: the ceiling",
		Target: vegeta.Target{Method: "GET", URL: bareURL.JoinPath("/bare").String()}, ServerPID: *barePID,
		check: expectJSONField([]string{"status"}, "ok")}
	me := scenario{Name: "me", Description: "GET /api/v1/me with an API token: authenticated, tenant-scoped, roles and permissions",
		Target: vegeta.Target{Method: "GET", URL: crmURL.JoinPath("/api/v1/me").String(), Header: bearer}, ServerPID: *crmPID,
		check: expectJSONField([]string{"user", "id"}, fx.OwnerID)}
	user := scenario{Name: "user", Description: "GET /api/v1/users/{id} with an API token: permission user/read, tenant-scoped read",
		Target: vegeta.Target{Method: "GET", URL: crmURL.JoinPath("/api/v1/users", fx.MemberID).String(), Header: bearer}, ServerPID: *crmPID,
		check: expectJSONField([]string{"id"}, fx.MemberID)}
	bareAfter := bare
	bareAfter.Name = "bare-after"
	bareAfter.Description = "the bare route again, after the CRM scenarios (drift check)"

	for _, sc := range []*scenario{&bare, &me, &user} {
		sc.Group = "platform"
		if err := preflight(sc); err != nil {
			return fmt.Errorf("[%s] preflight: %w", *db, err)
		}
	}
	bareAfter.responseBytes = bare.responseBytes
	known := map[string]scenario{"bare": bare, "me": me, "user": user, "bare-after": bareAfter}
	var selected []string
	for _, name := range strings.Split(*only, ",") {
		name = strings.TrimSpace(name)
		if _, ok := known[name]; !ok && !isCustomerScenario(name) && name != "followup" {
			return fmt.Errorf("run: -scenarios: unknown scenario %q (%s)", name, strings.Join(defaultScenarios, ", "))
		}
		selected = append(selected, name)
	}

	opts := attackOpts{connections: *conns, duration: *duration, maxRequests: *maxReq, timeout: *timeout}
	run := Run{Database: *db, StartedAt: time.Now().UTC(), Fixture: *fx, LoadAvg: []string{loadAvg()}}
	pg := ""
	if *db == "postgres" {
		pg = *pgDB
	}
	measure := func(sc scenario, o attackOpts, mode string) ScenarioResult {
		label := fmt.Sprintf("%s at %d connections", o.duration, o.connections)
		if mode == "rate" {
			label = fmt.Sprintf("%s at %d req/s", o.duration, o.rate)
		}
		fmt.Printf("[%s] %-11s %s\n", *db, sc.Name, label)
		before := snapshot(sc.ServerPID, pg)
		a := attack(sc, o)
		after := snapshot(sc.ServerPID, pg)
		res := summarize(sc, a, cpuBetween(before, after, a.metrics.Requests))
		if mode == "rate" {
			res.Mode, res.RatePerSec = "rate", o.rate
		}
		fmt.Printf("[%s] %-11s %d requests, %.1f%% 2xx, %.0f req/s, p50 %.2f ms, p99 %.2f ms\n", *db, sc.Name,
			res.Requests, 100*res.SuccessRatio, res.OKRPS, res.LatencyMS.P50, res.LatencyMS.P99)
		return res
	}
	var custScenarios map[string]scenario
	for _, name := range selected {
		var sc scenario
		if isCustomerScenario(name) {
			if custScenarios == nil {
				cs, err := setupCustomers(&run, customerSetup{db: *db, crmURL: crmURL, fx: fx, crmPID: *crmPID, pgDB: pg,
					customers: *customers, sampleIDs: *sampleIDs, importTimeout: *importTimeout, afterImport: *afterImport,
					explainOut: *explainOut, forcePost: *importMethod == "post"})
				if err != nil {
					return fmt.Errorf("[%s] customer setup: %w", *db, err)
				}
				custScenarios = cs
			}
			sc = custScenarios[name]
		} else if name == "followup" {
			if sc, err = setupFollowUps(crmURL, fx, *db, *crmPID); err != nil {
				return fmt.Errorf("[%s] follow-up setup: %w", *db, err)
			}
		} else {
			sc = known[name]
		}
		o := opts
		if sc.Group == "customer" || sc.Group == "followup" {
			o.duration = *customerDuration
		}
		if *warmup > 0 {
			w := o
			w.duration = *warmup
			fmt.Printf("[%s] %-11s warm-up %s\n", *db, sc.Name, *warmup)
			_ = attack(sc, w)
		}
		run.Scenarios = append(run.Scenarios, measure(sc, o, "max"))
		scRate := *rate
		if sc.Group == "followup" {
			scRate = *followUpRate
		}
		if (sc.Group == "customer" || sc.Group == "followup") && scRate > 0 && *rateDuration > 0 {
			time.Sleep(500 * time.Millisecond) // let the saturated phase's queues drain
			r := opts
			r.rate, r.duration = scRate, *rateDuration
			r.maxRequests = min(*maxReq, uint64(float64(scRate)*rateDuration.Seconds())+1)
			run.Scenarios = append(run.Scenarios, measure(sc, r, "rate"))
		}
	}
	run.LoadAvg = append(run.LoadAvg, loadAvg())

	var bares []float64
	for _, s := range run.Scenarios {
		if s.Name == "bare" || s.Name == "bare-after" {
			bares = append(bares, s.OKRPS)
		}
	}
	for _, b := range bares {
		run.BareOKRPS += b / float64(len(bares))
	}
	if run.BareOKRPS > 0 {
		if len(bares) == 2 {
			run.BareDriftPct = 100 * math.Abs(bares[0]-bares[1]) / run.BareOKRPS
		}
		for i := range run.Scenarios {
			if run.Scenarios[i].Mode != "rate" {
				run.Scenarios[i].RatioToBare = run.Scenarios[i].OKRPS / run.BareOKRPS
			}
		}
	}
	if run.BareDriftPct > 15 {
		run.Warnings = append(run.Warnings, fmt.Sprintf("the bare route moved %.0f%% between the start and the end of the run: the machine was not steady, compare with care", run.BareDriftPct))
	}

	file := &ResultsFile{}
	if *out != "" {
		if raw, err := os.ReadFile(*out); err == nil {
			if err := jsonUnmarshal(raw, file); err != nil {
				return fmt.Errorf("read %s: %w", *out, err)
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if file.StartedAt.IsZero() {
		file.StartedAt = run.StartedAt
	}
	file.Machine = machineInfo()
	if *pgVersion != "" {
		file.Machine.PostgresVersion = *pgVersion
	}
	if *gitCommit != "" {
		file.Machine.GitCommit = *gitCommit
	}
	file.Config = Config{LoadTool: loadToolName(), Connections: *conns, DurationSeconds: duration.Seconds(),
		WarmupSeconds: warmup.Seconds(), MaxRequests: *maxReq, TimeoutSeconds: timeout.Seconds()}
	if run.Import != nil {
		file.Config.CustomerDurationSeconds = customerDuration.Seconds()
		file.Config.RatePerSec, file.Config.RateDurationSeconds = *rate, rateDuration.Seconds()
		file.Config.Customers = *customers
	}
	file.Runs = append(file.Runs, run)

	printRuns(os.Stdout, []Run{run})
	if *out != "" {
		if err := writeJSON(*out, file); err != nil {
			return err
		}
	}
	return nil
}

func loadToolName() string {
	v := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/tsenart/vegeta/v12" {
				v = d.Version
			}
		}
	}
	return "vegeta " + v + " as a library: rate 0 (max rate), workers = max-workers = connections, keep-alive"
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func machineInfo() Machine {
	m := Machine{NProc: runtime.NumCPU(), GoVersion: runtime.Version()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				f := strings.Fields(v)
				if kb, err := strconv.ParseFloat(f[0], 64); err == nil {
					m.MemTotal = fmt.Sprintf("%.1f GiB", kb/(1<<20))
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}
