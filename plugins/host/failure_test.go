package host_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/plugins/host"
)

func fellBack(c custOut) bool {
	return c.Classification.Rule == customer.BuiltinRule &&
		slices.ContainsFunc(c.Classification.Reasons, func(r string) bool { return strings.Contains(r, "plugin failed") })
}

type pluginState struct {
	Status    string `json:"status"`
	LastError string `json:"last_error"`
	Restarts  int    `json:"restarts"`
}

// A plugin that answers garbage, floods its output and crashes in the middle of calls, and
// one that hangs, never take the server down: classification falls back to the built-in
// rules, module requests answer 503 within their deadline, the crashed plugin is restarted,
// and after repeated failures both are disabled — visible in the plugins API, the metrics
// and the log. Tenants without them notice nothing.
func TestMisbehavingPlugins(t *testing.T) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			env := newEnv(t, d, "crasher", "hanger")
			crashy, hangy, calm := env.Signup(t), env.Signup(t), env.Signup(t)
			enable(t, crashy, crasherID, nil)
			enable(t, hangy, hangerID, nil)
			state := func(co *apitest.Company, id string) pluginState {
				var s pluginState
				co.Owner.MustDo(t, "GET", "/api/v1/plugins/"+id, nil, 200, &s)
				return s
			}

			// Garbage: a tier that does not exist is refused; the built-in rules stand in.
			if c := createCustomer(t, crashy.Owner, "garbage 客户", "deal"); !fellBack(c) {
				t.Errorf("garbage answer: %+v", c.Classification)
			}
			// Crash in the middle of a call: built-in rules; the plugin is restarted.
			if c := createCustomer(t, crashy.Owner, "第一个客户", "deal"); !fellBack(c) {
				t.Errorf("crash: %+v", c.Classification)
			}
			eventually(t, 10*time.Second, "crasher restarted or disabled", func() error {
				if s := env.Server.Plugins.StatusOf(crasherID); s.Restarts < 1 {
					return errorf("state %+v", s)
				}
				return nil
			})
			// More failures open the breaker: disabled, no more restarts, built-in rules at once.
			for i := 0; i < 3; i++ {
				createCustomer(t, crashy.Owner, "又一个客户 "+string(rune('A'+i)), "deal")
			}
			eventually(t, 10*time.Second, "crasher disabled", func() error {
				if s := state(crashy, crasherID); s.Status != host.StateDisabled || s.LastError == "" {
					return errorf("state %+v", s)
				}
				return nil
			})
			start := time.Now()
			if c := createCustomer(t, crashy.Owner, "断路后的客户", "deal"); c.Classification.Rule != customer.BuiltinRule {
				t.Errorf("after the breaker opened: %+v", c.Classification)
			}
			if took := time.Since(start); took > 400*time.Millisecond {
				t.Errorf("a create with the breaker open took %s", took)
			}
			if v := metricValue(t, env, "crm_plugin_breaker_opened_total", `plugin="test-crasher"`); v < 1 {
				t.Errorf("breaker metric %v", v)
			}
			if v := metricValue(t, env, "crm_plugin_log_lines_dropped_total", `plugin="test-crasher"`); v < 1 {
				t.Errorf("flooded output was not limited: %v lines dropped", v)
			}
			if v := metricValue(t, env, "crm_plugin_state", `plugin="test-crasher",state="disabled"`); v != 1 {
				t.Errorf("state metric %v", v)
			}

			// Hang: each call ends at its deadline; the server keeps answering meanwhile.
			var wg sync.WaitGroup
			wg.Add(1)
			var hung custOut
			go func() {
				defer wg.Done()
				hung = createCustomer(t, hangy.Owner, "等待中的客户", "deal")
			}()
			time.Sleep(100 * time.Millisecond)
			for i := 0; i < 3; i++ {
				t0 := time.Now()
				if r := env.Do(t, "GET", "/healthz", nil, nil); r.Status != 200 || time.Since(t0) > 200*time.Millisecond {
					t.Errorf("healthz during a hung call: %d after %s", r.Status, time.Since(t0))
				}
				calm.Owner.MustDo(t, "GET", "/api/v1/customers", nil, 200, nil)
			}
			wg.Wait()
			if !fellBack(hung) {
				t.Errorf("hung classify: %+v", hung.Classification)
			}
			t0 := time.Now()
			hangy.Owner.MustDo(t, "GET", "/api/v1/ext/test-hanger/slow", nil, 503, nil)
			if took := time.Since(t0); took > 3*time.Second {
				t.Errorf("hung module request took %s", took)
			}
			createCustomer(t, hangy.Owner, "还在等的客户", "deal")
			eventually(t, 10*time.Second, "hanger disabled", func() error {
				if s := state(hangy, hangerID); s.Status != host.StateDisabled || !strings.Contains(s.LastError, "no answer within") {
					return errorf("state %+v", s)
				}
				return nil
			})
			if v := metricValue(t, env, "crm_plugin_calls_total", `plugin="test-hanger",outcome="timeout"`); v < 3 {
				t.Errorf("timeouts counted: %v\n%s", v, env.Metrics(t))
			}

			// The calm tenant noticed nothing.
			if c := createCustomer(t, calm.Owner, "平静的客户", "deal"); c.Classification.Rule != customer.BuiltinRule || fellBack(c) {
				t.Errorf("calm tenant: %+v", c.Classification)
			}
		})
	}
}
