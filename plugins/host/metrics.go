package host

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	calls         *prometheus.CounterVec
	duration      *prometheus.HistogramVec
	restarts      *prometheus.CounterVec
	breakerOpened *prometheus.CounterVec
	state         *prometheus.GaugeVec
	events        *prometheus.CounterVec
	logDropped    *prometheus.CounterVec
}

var states = []string{StateStarting, StateRunning, StateRestart, StateDisabled, StateFailed, StateStopped}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "crm_plugin_calls_total",
			Help: "Calls to plugins by plugin, method and outcome (ok, error, timeout, unavailable)."}, []string{"plugin", "method", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "crm_plugin_call_duration_seconds",
			Help:    "Duration of calls to plugins.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}}, []string{"plugin", "method"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "crm_plugin_restarts_total",
			Help: "Plugin process restarts after a crash, hang or failed start."}, []string{"plugin"}),
		breakerOpened: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "crm_plugin_breaker_opened_total",
			Help: "Times a plugin was disabled by its circuit breaker."}, []string{"plugin"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "crm_plugin_state",
			Help: "1 for the state each plugin is in."}, []string{"plugin", "state"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "crm_plugin_events_delivered_total",
			Help: "Outbox events delivered to plugins."}, []string{"plugin"}),
		logDropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "crm_plugin_log_lines_dropped_total",
			Help: "Lines of plugin output dropped by the rate limit."}, []string{"plugin"}),
	}
	if reg != nil {
		reg.MustRegister(m.calls, m.duration, m.restarts, m.breakerOpened, m.state, m.events, m.logDropped)
	}
	return m
}

func (m *metrics) setState(plugin, state string) {
	for _, s := range states {
		v := 0.0
		if s == state {
			v = 1
		}
		m.state.WithLabelValues(plugin, s).Set(v)
	}
}
