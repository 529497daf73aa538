package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// scenario is one kind of request, measured on its own.
type scenario struct {
	Name        string
	Description string
	Target      vegeta.Target
	// Targets, when set, are rotated over (round robin) instead of Target; Target is then the
	// first of them, named in the results.
	Targets []vegeta.Target
	// Group is "platform" (bare, me, user) or "customer" (the customer archive scenarios).
	Group string
	// Note is printed with the scenario (the terms and how many rows each matches, say).
	Note string
	// Labels name the rotated targets (by URL) whose latencies are also reported one by one.
	Labels map[string]string
	// ServerPID is the process answering it, for CPU accounting.
	ServerPID int
	// check validates one answer before the load starts; checkTarget, when set, is used
	// instead and also gets the request.
	check       func(body []byte) error
	checkTarget func(t vegeta.Target, body []byte) error
	// wantStatus is the status a preflight answer must have (0: 200).
	wantStatus int
	// responseBytes is the size of the body answered to the preflight request.
	responseBytes int
}

// expectJSONField returns a check that the answer is a JSON object whose path (dot-separated)
// equals want.
func expectJSONField(path []string, want string) func([]byte) error {
	return func(body []byte) error {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return fmt.Errorf("not JSON: %v: %s", err, clip(body, 200))
		}
		for _, k := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("no %v in %s", path, clip(body, 200))
			}
			v = m[k]
		}
		if s, _ := v.(string); s != want {
			return fmt.Errorf("%v is %v, want %q: %s", path, v, want, clip(body, 200))
		}
		return nil
	}
}

// targets are the requests the scenario sends, in rotation.
func (sc *scenario) targets() []vegeta.Target {
	if len(sc.Targets) > 0 {
		return sc.Targets
	}
	return []vegeta.Target{sc.Target}
}

// preflightMax bounds how many of a scenario's rotated targets are checked before the load.
const preflightMax = 50

// preflight sends requests of the scenario (each of its targets, up to preflightMax) and
// checks the answers, so that a broken setup fails loudly instead of benchmarking error
// pages. responseBytes is the mean body size.
func preflight(sc *scenario) error {
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	tgts := sc.targets()
	if len(tgts) > preflightMax {
		tgts = tgts[:preflightMax]
	}
	total := 0
	for _, t := range tgts {
		n, err := preflightOne(cl, sc, t)
		if err != nil {
			return err
		}
		total += n
	}
	sc.responseBytes = total / len(tgts)
	return nil
}

func preflightOne(cl *http.Client, sc *scenario, t vegeta.Target) (int, error) {
	req, err := t.Request()
	if err != nil {
		return 0, err
	}
	res, err := cl.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", sc.Name, err)
	}
	defer res.Body.Close()
	buf, _ := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if want := cmp.Or(sc.wantStatus, http.StatusOK); res.StatusCode != want {
		return len(buf), fmt.Errorf("%s: %s %s answered %d: %s", sc.Name, t.Method, t.URL, res.StatusCode, clip(buf, 300))
	}
	check := sc.check
	if sc.checkTarget != nil {
		check = func(b []byte) error { return sc.checkTarget(t, b) }
	}
	if check != nil {
		if err := check(buf); err != nil {
			return len(buf), fmt.Errorf("%s: %s %s: %w", sc.Name, t.Method, t.URL, err)
		}
	}
	return len(buf), nil
}

// maxHits is vegeta's max-rate pacer (no waiting between hits) with a cap on the number of
// hits, so that every load loop is bounded in count as well as in time.
type maxHits uint64

func (m maxHits) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	return 0, hits >= uint64(m)
}

func (m maxHits) Rate(time.Duration) float64 { return 0 }

type attackOpts struct {
	connections int
	duration    time.Duration
	maxRequests uint64
	timeout     time.Duration
	// rate > 0 is a fixed-rate attack instead: that many requests per second with vegeta's
	// default workers (10, more as needed) and connections, connections ignored.
	rate int
}

// cappedPacer is a pacer that also stops after max hits.
type cappedPacer struct {
	vegeta.Pacer
	max uint64
}

func (p cappedPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.max {
		return 0, true
	}
	return p.Pacer.Pace(elapsed, hits)
}

// attackResult is what one attack measured.
type attackResult struct {
	metrics vegeta.Metrics
	codes   map[int]uint64
	ok      uint64 // 2xx
	non2xx  uint64 // answered, not 2xx
	failed  uint64 // no answer (connection error, timeout)
	samples []string
	// byTarget are the metrics of each labelled target.
	byTarget map[string]*vegeta.Metrics
}

// attack runs one vegeta attack: rate 0 (as fast as the server answers) with exactly
// `connections` workers and at most that many keep-alive connections, for opts.duration or
// opts.maxRequests hits, whichever comes first. With opts.rate it runs at that fixed rate
// instead, with vegeta's default workers. A watchdog stops it if it overruns.
func attack(sc scenario, opts attackOpts) attackResult {
	common := []func(*vegeta.Attacker){
		vegeta.KeepAlive(true),
		vegeta.Timeout(opts.timeout),
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.MaxBody(512),
		vegeta.Proxy(func(*http.Request) (*url.URL, error) { return nil, nil }),
	}
	var pacer vegeta.Pacer = maxHits(opts.maxRequests)
	if opts.rate > 0 {
		pacer = cappedPacer{Pacer: vegeta.ConstantPacer{Freq: opts.rate, Per: time.Second}, max: opts.maxRequests}
	} else {
		n := uint64(opts.connections)
		common = append(common, vegeta.Workers(n), vegeta.MaxWorkers(n),
			vegeta.Connections(opts.connections), vegeta.MaxConnections(opts.connections))
	}
	atk := vegeta.NewAttacker(common...)
	watchdog := time.AfterFunc(opts.duration+opts.timeout+10*time.Second, func() { atk.Stop() })
	defer watchdog.Stop()

	res := attackResult{codes: map[int]uint64{}, byTarget: map[string]*vegeta.Metrics{}}
	for r := range atk.Attack(vegeta.NewStaticTargeter(sc.targets()...), pacer, opts.duration, sc.Name) {
		res.metrics.Add(r)
		if _, ok := sc.Labels[r.URL]; ok {
			m := res.byTarget[r.URL]
			if m == nil {
				m = &vegeta.Metrics{}
				res.byTarget[r.URL] = m
			}
			m.Add(r)
		}
		res.codes[int(r.Code)]++
		switch {
		case r.Code >= 200 && r.Code < 300:
			res.ok++
		case r.Code == 0:
			res.failed++
			if len(res.samples) < 3 {
				res.samples = append(res.samples, "no answer: "+r.Error)
			}
		default:
			res.non2xx++
			if len(res.samples) < 3 {
				res.samples = append(res.samples, strconv.Itoa(int(r.Code))+": "+clip(r.Body, 200))
			}
		}
	}
	res.metrics.Close()
	for _, m := range res.byTarget {
		m.Close()
	}
	return res
}

// TargetLatency is one labelled target of a rotated scenario.
type TargetLatency struct {
	Label    string  `json:"label"`
	Requests uint64  `json:"requests"`
	P50      float64 `json:"p50_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
}

// ScenarioResult is one measured scenario in the results file.
type ScenarioResult struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	// ResponseBytes is the body size of one answer (from the preflight request; the mean over
	// the rotated targets checked).
	ResponseBytes int `json:"response_bytes"`
	// Group is "platform" or "customer"; empty in results files from before it existed.
	Group string `json:"group,omitempty"`
	// Mode is "max" (fixed connections, as fast as answered) or "rate" (RatePerSec requests a
	// second); empty means max.
	Mode       string `json:"mode,omitempty"`
	RatePerSec int    `json:"rate_per_sec,omitempty"`
	// Targets is how many distinct requests were rotated over; Note describes them.
	Targets int    `json:"targets,omitempty"`
	Note    string `json:"note,omitempty"`

	Requests     uint64            `json:"requests"`
	OK           uint64            `json:"ok_2xx"`
	Non2xx       uint64            `json:"non_2xx"`
	Failed       uint64            `json:"failed"`
	StatusCodes  map[string]uint64 `json:"status_codes"`
	SuccessRatio float64           `json:"success_ratio"`
	ErrorSamples []string          `json:"error_samples,omitempty"`

	ElapsedSeconds float64 `json:"elapsed_seconds"`
	// RPS counts every answer; OKRPS only 2xx answers, and is what ratios compare.
	RPS   float64 `json:"rps"`
	OKRPS float64 `json:"ok_rps"`

	LatencyMS struct {
		Mean float64 `json:"mean"`
		P50  float64 `json:"p50"`
		P90  float64 `json:"p90"`
		P99  float64 `json:"p99"`
		Max  float64 `json:"max"`
	} `json:"latency_ms"`

	// PerTarget are the latencies of each labelled target (each search term, say).
	PerTarget []TargetLatency `json:"per_target,omitempty"`

	// RatioToBare is OKRPS divided by the bare route's OKRPS in the same run (the mean of the
	// measurements before and after the CRM scenarios).
	RatioToBare float64 `json:"ratio_to_bare"`

	CPU CPU `json:"cpu"`

	Flagged bool     `json:"flagged"`
	Flags   []string `json:"flags,omitempty"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func summarize(sc scenario, a attackResult, cpu CPU) ScenarioResult {
	m := a.metrics
	s := ScenarioResult{Name: sc.Name, Description: sc.Description, Method: sc.Target.Method, ResponseBytes: sc.responseBytes,
		Group: sc.Group, Targets: len(sc.targets()), Note: sc.Note,
		Requests: m.Requests, OK: a.ok, Non2xx: a.non2xx, Failed: a.failed, ErrorSamples: a.samples, CPU: cpu,
		StatusCodes: map[string]uint64{}}
	if u, err := url.Parse(sc.Target.URL); err == nil {
		s.Path = u.Path
	}
	codes := make([]int, 0, len(a.codes))
	for c := range a.codes {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for _, c := range codes {
		s.StatusCodes[strconv.Itoa(c)] = a.codes[c]
	}
	elapsed := (m.Duration + m.Wait).Seconds()
	s.ElapsedSeconds = elapsed
	if m.Requests > 0 {
		s.SuccessRatio = float64(a.ok) / float64(m.Requests)
	}
	if elapsed > 0 {
		s.RPS = float64(m.Requests) / elapsed
		s.OKRPS = float64(a.ok) / elapsed
	}
	s.LatencyMS.Mean = ms(m.Latencies.Mean)
	s.LatencyMS.P50 = ms(m.Latencies.P50)
	s.LatencyMS.P90 = ms(m.Latencies.P90)
	s.LatencyMS.P99 = ms(m.Latencies.P99)
	s.LatencyMS.Max = ms(m.Latencies.Max)
	for _, t := range sc.targets() {
		if m, ok := a.byTarget[t.URL]; ok {
			s.PerTarget = append(s.PerTarget, TargetLatency{Label: sc.Labels[t.URL], Requests: m.Requests,
				P50: ms(m.Latencies.P50), P99: ms(m.Latencies.P99), Max: ms(m.Latencies.Max)})
		}
	}
	if m.Requests == 0 {
		s.flag("no requests completed")
	}
	if a.non2xx > 0 {
		s.flag(fmt.Sprintf("%d non-2xx answers", a.non2xx))
	}
	if a.failed > 0 {
		s.flag(fmt.Sprintf("%d requests without an answer", a.failed))
	}
	return s
}

func (s *ScenarioResult) flag(msg string) {
	s.Flagged = true
	s.Flags = append(s.Flags, msg)
}
