package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
)

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }

// writeJSON writes v to path atomically (a temporary file renamed over it).
func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// printRuns prints one table row per scenario of every run.
func printRuns(w io.Writer, runs []Run) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\tscenario\trequests\t2xx\treq/s (2xx)\tp50 ms\tp99 ms\tvs bare\tsrv CPU ms/req\tpg CPU ms/req\tcheck\t")
	for _, r := range runs {
		for _, s := range r.Scenarios {
			if s.Mode == "rate" {
				continue
			}
			pg := "-"
			if r.Database == "postgres" {
				pg = fmt.Sprintf("%.3f", s.CPU.PostgresMSPerReq)
			}
			check := "ok"
			if s.Flagged {
				check = "FLAGGED"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f%%\t%.0f\t%.2f\t%.2f\t%.2f\t%.3f\t%s\t%s\t\n", r.Database, s.Name, s.Requests,
				100*s.SuccessRatio, s.OKRPS, s.LatencyMS.P50, s.LatencyMS.P99, s.RatioToBare, s.CPU.ServerMSPerReq, pg, check)
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "\nwhere the CPU went (percent of the whole machine, all cores = 100%):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\tscenario\tresp bytes\tserver\tpostgres\tload tool\tother procs\tidle\tsteal\tload CPU ms/req\t")
	for _, r := range runs {
		for _, s := range r.Scenarios {
			if s.Mode == "rate" {
				continue
			}
			c := s.CPU
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f%%\t%.0f%%\t%.0f%%\t%.0f%%\t%.0f%%\t%.1f%%\t%.3f\t\n", r.Database, s.Name, s.ResponseBytes,
				c.ServerPct, c.PostgresPct, c.LoadGenPct, c.OtherPct, 100-c.MachineBusyPct, c.StealPct, c.LoadGenMSPerReq)
		}
	}
	tw.Flush()
	printCustomerRuns(w, runs)
	for _, r := range runs {
		for _, s := range r.Scenarios {
			for _, f := range s.Flags {
				fmt.Fprintf(w, "  %s/%s FLAGGED: %s\n", r.Database, s.Name, f)
			}
			for _, e := range s.ErrorSamples {
				fmt.Fprintf(w, "    e.g. %s\n", e)
			}
		}
		for _, warn := range r.Warnings {
			fmt.Fprintf(w, "  %s: warning: %s\n", r.Database, warn)
		}
	}
}

// cmdReport prints a results file, the machine it was measured on, and the throughput target
// (the authenticated scenarios against the bare route).
func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	in := fs.String("in", "", "results file")
	target := fs.Float64("target", 0.40, "minimum throughput of the authenticated scenarios relative to the bare route")
	strict := fs.Bool("strict", false, "exit with status 3 when a scenario is flagged (non-2xx answers or errors)")
	_ = fs.Parse(args)
	raw, err := os.ReadFile(*in)
	if err != nil {
		return err
	}
	var f ResultsFile
	if err := json.Unmarshal(raw, &f); err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	m := f.Machine
	fmt.Printf("\nResults (%s), %s\n", f.StartedAt.Format("2006-01-02 15:04:05Z07:00"), *in)
	pg := ""
	if m.PostgresVersion != "" {
		pg = ", PostgreSQL " + m.PostgresVersion
	}
	fmt.Printf("machine: %d CPUs, %s, %s RAM, Linux %s, %s%s\n", m.NProc, m.CPUModel, m.MemTotal, m.Kernel, m.GoVersion, pg)
	fmt.Printf("load: %s; %d connections, %gs per scenario after %gs warm-up\n", f.Config.LoadTool,
		f.Config.Connections, f.Config.DurationSeconds, f.Config.WarmupSeconds)
	if f.Config.CustomerDurationSeconds > 0 {
		fmt.Printf("customer scenarios: %d customers imported; %gs at %d connections, then %d req/s for %gs (vegeta's default workers)\n",
			f.Config.Customers, f.Config.CustomerDurationSeconds, f.Config.Connections, f.Config.RatePerSec, f.Config.RateDurationSeconds)
	}
	for _, r := range f.Runs {
		if len(r.LoadAvg) > 0 {
			fmt.Printf("%s: load average (1, 5, 15 min) %s\n", r.Database, strings.Join(r.LoadAvg, " at the start, ")+" at the end")
		}
	}
	fmt.Println()
	printRuns(os.Stdout, f.Runs)

	fmt.Printf("\ntarget: authenticated scenarios at >= %.0f%% of the bare route's throughput\n", 100**target)
	flagged := 0
	for _, r := range f.Runs {
		var parts []string
		for _, s := range r.Scenarios {
			if s.Flagged {
				flagged++
			}
			if strings.HasPrefix(s.Name, "bare") || s.Group == "customer" || s.Group == "followup" {
				continue
			}
			verdict := "meets"
			if s.RatioToBare < *target {
				verdict = "BELOW"
			}
			parts = append(parts, fmt.Sprintf("%s %.0f%% (%s)", s.Name, 100*s.RatioToBare, verdict))
		}
		if len(parts) == 0 {
			parts = append(parts, "no authenticated platform scenario")
		}
		fmt.Printf("  %-9s %s; bare %.0f req/s (drift %.0f%%)\n", r.Database+":", strings.Join(parts, ", "), r.BareOKRPS, r.BareDriftPct)
	}
	printCustomerTargets(os.Stdout, f.Runs, *target)
	printFollowUpTargets(os.Stdout, f.Runs)
	if flagged > 0 {
		msg := fmt.Sprintf("%d scenario(s) flagged: they had non-2xx answers or errors, so their numbers do not measure the intended path", flagged)
		if *strict {
			return exitError{code: 3, msg: msg}
		}
		fmt.Println("warning:", msg)
	}
	return nil
}

// printCustomerRuns prints the customer archive's import and its scenarios at the fixed rate
// (their saturated measurements are in the main table).
func printCustomerRuns(w io.Writer, runs []Run) {
	have, imported := false, false
	for _, r := range runs {
		imported = imported || r.Import != nil
		for _, s := range r.Scenarios {
			have = have || s.Mode == "rate"
		}
	}
	if !have && !imported {
		return
	}
	if imported {
		fmt.Fprintln(w, "\ncustomer archive: how the benchmark tenant was filled")
	}
	for _, r := range runs {
		im := r.Import
		if im == nil {
			continue
		}
		if im.Method != "import" {
			fmt.Fprintf(w, "  %s: !!! FALLBACK: the import endpoint was not usable (%s); %d customers were created with concurrent POST /api/v1/customers in %.1fs — NOT an import time\n",
				r.Database, im.FallbackReason, im.Created, im.WallSeconds)
			continue
		}
		fmt.Fprintf(w, "  %s: imported %d rows (%.1f MB CSV) in %.1fs wall (upload %.1fs, job %.1fs), %s: created %d, skipped %d, merged %d, failed %d; server CPU %.1fs",
			r.Database, im.Rows, float64(im.FileBytes)/1e6, im.WallSeconds, im.UploadSeconds, im.JobSeconds, im.Status,
			im.Created, im.Skipped, im.Merged, im.Failed, im.CPU.ServerMSPerReq*float64(im.Rows)/1000)
		if r.Database == "postgres" {
			fmt.Fprintf(w, ", PostgreSQL CPU %.1fs", im.CPU.PostgresMSPerReq*float64(im.Rows)/1000)
		}
		fmt.Fprintf(w, ", other processes %.0f%% of the machine\n", im.CPU.OtherPct)
		if im.Maintenance != "" {
			fmt.Fprintf(w, "    then, before the scenarios: %s (%.1fs)\n", im.Maintenance, im.MaintenanceSeconds)
		}
	}
	rated := false
	for _, r := range runs {
		for _, s := range r.Scenarios {
			rated = rated || s.Mode == "rate"
		}
	}
	if rated {
		printRated(w, runs)
	}
	printed := map[string]bool{}
	for _, r := range runs {
		for _, s := range r.Scenarios {
			if s.Group == "customer" && s.Note != "" && !printed[s.Name] {
				printed[s.Name] = true
				fmt.Fprintf(w, "  %-12s %s\n", s.Name+":", s.Note)
			}
		}
	}
	perTarget := false
	for _, r := range runs {
		for _, s := range r.Scenarios {
			perTarget = perTarget || len(s.PerTarget) > 0
		}
	}
	if !perTarget {
		return
	}
	fmt.Fprintln(w, "\nper term / page: p50 / p99 ms, saturated | at the fixed rate:")
	for _, r := range runs {
		rated := map[string]ScenarioResult{}
		for _, s := range r.Scenarios {
			if s.Mode == "rate" {
				rated[s.Name] = s
			}
		}
		for _, s := range r.Scenarios {
			if s.Mode == "rate" || len(s.PerTarget) == 0 {
				continue
			}
			var parts []string
			for i, t := range s.PerTarget {
				part := fmt.Sprintf("%s %.1f/%.1f", t.Label, t.P50, t.P99)
				if rs, ok := rated[s.Name]; ok && i < len(rs.PerTarget) && rs.PerTarget[i].Label == t.Label {
					part += fmt.Sprintf(" | %.1f/%.1f", rs.PerTarget[i].P50, rs.PerTarget[i].P99)
				}
				parts = append(parts, part)
			}
			fmt.Fprintf(w, "  %-9s %-12s %s\n", r.Database, s.Name, strings.Join(parts, "; "))
		}
	}
}

func printRated(w io.Writer, runs []Run) {
	fmt.Fprintln(w, "\nscenarios at a fixed rate (latency without saturation; vegeta's default workers):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\tscenario\trate/s\trequests\t2xx\tp50 ms\tp90 ms\tp99 ms\tmax ms\tsrv CPU ms/req\tpg CPU ms/req\tother procs\tcheck\t")
	for _, r := range runs {
		for _, s := range r.Scenarios {
			if s.Mode != "rate" {
				continue
			}
			pg := "-"
			if r.Database == "postgres" {
				pg = fmt.Sprintf("%.3f", s.CPU.PostgresMSPerReq)
			}
			check := "ok"
			if s.Flagged {
				check = "FLAGGED"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.2f%%\t%.2f\t%.2f\t%.2f\t%.2f\t%.3f\t%s\t%.0f%%\t%s\t\n", r.Database, s.Name, s.RatePerSec,
				s.Requests, 100*s.SuccessRatio, s.LatencyMS.P50, s.LatencyMS.P90, s.LatencyMS.P99, s.LatencyMS.Max,
				s.CPU.ServerMSPerReq, pg, s.CPU.OtherPct, check)
		}
	}
	tw.Flush()
}

// targetCheck is one target of issue 3 against one measurement.
type targetCheck struct {
	what, target, measured string
	met                    bool
	na                     bool
}

// customerTargets checks issue 3's targets for the customer archive: get-by-ID at >= 40 % of
// the bare route (saturated), list p99 <= 20 ms, search p99 <= 50 ms (3+ characters) and
// <= 100 ms (1–2 characters) at the fixed rate, import of 100,000 rows in <= 20 s.
func customerTargets(r Run, ratioTarget float64) []targetCheck {
	var out []targetCheck
	if im := r.Import; im != nil {
		tc := targetCheck{what: "import", target: "<= 20 s for 100,000 rows"}
		if im.Method != "import" {
			tc.na, tc.measured = true, "not measured: FALLBACK to POST /customers"
		} else {
			per100k := im.WallSeconds * 100_000 / float64(max(im.Rows, 1))
			tc.measured = fmt.Sprintf("%.1f s for %d rows", im.WallSeconds, im.Rows)
			if im.Rows != 100_000 {
				tc.measured += fmt.Sprintf(" (%.0f s per 100,000 pro rata)", per100k)
			}
			tc.met = per100k <= 20 && im.Status == "succeeded" && im.Created == im.Rows
		}
		out = append(out, tc)
	}
	p99 := map[string]float64{}
	for _, s := range r.Scenarios {
		if s.Group != "customer" {
			continue
		}
		if s.Mode == "rate" {
			p99[s.Name] = s.LatencyMS.P99
			continue
		}
		if s.Name == "customer" {
			tc := targetCheck{what: "customer (get by ID)", target: fmt.Sprintf(">= %.0f%% of bare req/s", 100*ratioTarget),
				measured: fmt.Sprintf("%.0f%% (%.0f of %.0f req/s)", 100*s.RatioToBare, s.OKRPS, r.BareOKRPS), met: s.RatioToBare >= ratioTarget}
			if r.BareOKRPS == 0 {
				tc.na, tc.measured = true, fmt.Sprintf("%.0f req/s; the bare route was not measured", s.OKRPS)
			}
			out = append(out, tc)
		}
	}
	limits := []struct {
		name string
		ms   float64
	}{{"list", 20}, {"list-cursor", 20}, {"search3", 50}, {"search2", 100}, {"search1", 100}}
	for _, l := range limits {
		v, ok := p99[l.name]
		if !ok {
			continue
		}
		out = append(out, targetCheck{what: l.name, target: fmt.Sprintf("p99 <= %.0f ms at the fixed rate", l.ms),
			measured: fmt.Sprintf("p99 %.1f ms", v), met: v <= l.ms})
	}
	return out
}

func printCustomerTargets(w io.Writer, runs []Run, ratioTarget float64) {
	header := false
	for _, r := range runs {
		checks := customerTargets(r, ratioTarget)
		if len(checks) == 0 {
			continue
		}
		if !header {
			fmt.Fprintln(w, "\ntargets of issue 3 (customer archive):")
			header = true
		}
		for _, c := range checks {
			verdict := "meets"
			switch {
			case c.na:
				verdict = "n/a"
			case !c.met:
				verdict = "MISSED"
			}
			fmt.Fprintf(w, "  %-9s %-21s %-34s %-50s %s\n", r.Database+":", c.what, c.target, c.measured, verdict)
		}
	}
}
