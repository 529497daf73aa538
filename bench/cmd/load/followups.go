package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// followUpCustomers is how many customers the follow-up scenario rotates over: enough that
// concurrent requests rarely log a follow-up of the same customer (they would queue on its
// row lock on PostgreSQL).
const followUpCustomers = 1000

// followUpBody is what every benchmark follow-up logs: no next date, so the server derives one
// from the tenant's cadence and schedules its two reminders (River jobs), as in real use.
var followUpBody = []byte(`{"method":"phone","content":"电话沟通了新报价，客户会内部讨论","outcome":"待回复"}`)

// setupFollowUps creates the customers of the follow-up scenario with concurrent
// POST /api/v1/customers and returns the scenario: POST /api/v1/customers/{id}/follow-ups,
// rotating over them. Each request writes the follow-up, its audit entry and event, the
// customer's new dates with their audit entry, and two reminder jobs.
func setupFollowUps(crmURL *url.URL, fx *fixture, db string, crmPID int) (scenario, error) {
	c := newAPIClient(crmURL)
	auth := map[string]string{"Authorization": "Bearer " + fx.token}
	ids := make([]string, followUpCustomers)
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(ids) {
					return
				}
				var out struct {
					ID string `json:"id"`
				}
				body := map[string]any{"type": "enterprise", "name": fmt.Sprintf("跟进基准客户 %s %04d", fx.Slug, i), "tier": []string{"key", "general", "potential"}[i%3]}
				if _, err := c.expect("POST", "/api/v1/customers", body, auth, http.StatusCreated, &out); err != nil {
					errs <- err
					return
				}
				ids[i] = out.ID
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return scenario{}, fmt.Errorf("follow-up customers: %w", err)
	}
	fmt.Printf("[%s] created %d customers for the follow-up scenario in %.1fs\n", db, len(ids), time.Since(start).Seconds())
	h := http.Header{"Authorization": {"Bearer " + fx.token}, "Content-Type": {"application/json"}}
	tgts := make([]vegeta.Target, len(ids))
	for i, id := range ids {
		tgts[i] = vegeta.Target{Method: "POST", URL: crmURL.JoinPath("/api/v1/customers", id, "follow-ups").String(), Header: h, Body: followUpBody}
	}
	sc := scenario{Name: "followup", Group: "followup", ServerPID: crmPID, Targets: tgts, Target: tgts[0], wantStatus: http.StatusCreated,
		Description: "POST /api/v1/customers/{id}/follow-ups: log a follow-up (follow-up, customer dates, 2 audit entries, event, 2 reminder jobs), rotating over customers",
		Note:        fmt.Sprintf("%d customers, a third each key, general and potential", len(ids)),
		check:       expectJSONField([]string{"method"}, "phone")}
	if err := preflight(&sc); err != nil {
		return scenario{}, fmt.Errorf("preflight: %w", err)
	}
	return sc, nil
}

// Follow-up targets (issue: sales): at least 2,500 follow-ups a second on SQLite at the fixed
// connections, and p99 at most 25 ms at 1,000 a second.
const (
	followUpMinRPS   = 2500
	followUpMaxP99MS = 25
	followUpRateGoal = 1000
)

// printFollowUpTargets checks the follow-up scenario's numbers against its targets (SQLite;
// PostgreSQL's are printed for comparison).
func printFollowUpTargets(w io.Writer, runs []Run) {
	header := false
	for _, r := range runs {
		for _, s := range r.Scenarios {
			if s.Group != "followup" {
				continue
			}
			if !header {
				fmt.Fprintf(w, "\ntarget (follow-ups, SQLite): >= %d writes/s at the fixed connections; p99 <= %d ms at %d writes/s\n",
					followUpMinRPS, followUpMaxP99MS, followUpRateGoal)
				header = true
			}
			verdict := ""
			if r.Database == "sqlite" {
				if s.Mode == "rate" {
					verdict = "meets"
					if s.RatePerSec != followUpRateGoal {
						verdict = fmt.Sprintf("not comparable: measured at %d/s", s.RatePerSec)
					} else if s.LatencyMS.P99 > followUpMaxP99MS || s.Flagged {
						verdict = "MISSED"
					}
				} else {
					verdict = "meets"
					if s.OKRPS < followUpMinRPS || s.Flagged {
						verdict = "MISSED"
					}
				}
				verdict = " (" + verdict + ")"
			}
			if s.Mode == "rate" {
				fmt.Fprintf(w, "  %-9s at %d/s: p50 %.2f ms, p99 %.2f ms, %.2f%% 2xx%s\n", r.Database+":", s.RatePerSec, s.LatencyMS.P50, s.LatencyMS.P99, 100*s.SuccessRatio, verdict)
			} else {
				fmt.Fprintf(w, "  %-9s saturated: %.0f writes/s, p50 %.2f ms, p99 %.2f ms, server CPU %.3f ms/write%s\n", r.Database+":", s.OKRPS, s.LatencyMS.P50, s.LatencyMS.P99, s.CPU.ServerMSPerReq, verdict)
			}
		}
	}
}
