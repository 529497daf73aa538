package server

import (
	"crypto/subtle"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/problem"
)

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "crm_http_requests_total", Help: "HTTP requests by route and status."},
			[]string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "crm_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5}}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// accessLog logs each request as one structured line with request, tenant and user IDs and the
// client address, and counts it in the metrics under its route pattern (not the raw path, to
// bound cardinality).
func accessLog(log *slog.Logger, m *httpMetrics, clientAddr func(*fiber.Ctx) netip.Addr) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		route := c.Route().Path
		took := time.Since(start)
		// Fiber's method string points into a reused request buffer: a label must own its
		// bytes, or a later request rewrites an existing series' labels in place.
		method := strings.Clone(c.Method())
		m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		m.duration.WithLabelValues(method, route).Observe(took.Seconds())
		if log.Enabled(c.UserContext(), slog.LevelInfo) {
			attrs := []slog.Attr{
				slog.String("request_id", str(c.Locals("requestid"))),
				slog.String("method", c.Method()), slog.String("path", c.Path()), slog.String("route", route),
				slog.Int("status", status), slog.Float64("ms", float64(took.Microseconds())/1000),
				slog.String("client", clientAddr(c).String()),
			}
			if t := str(c.Locals("tenant_id")); t != "" {
				attrs = append(attrs, slog.String("tenant_id", t), slog.String("user_id", str(c.Locals("user_id"))))
			}
			log.LogAttrs(c.UserContext(), slog.LevelInfo, "request", attrs...)
		}
		return nil
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// metrics serves the Prometheus metrics, never publicly (OWASP API8): on their own listen
// address (CRM_METRICS_ADDR, e.g. 127.0.0.1:9090, reachable by the scraper only) when one is
// set; else on the main address behind `Authorization: Bearer $CRM_METRICS_TOKEN`; with
// neither, not at all (/metrics answers 404 like any unknown path).
func (s *Server) metrics(cfg config.Config) {
	h := adaptor.HTTPHandler(promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	switch {
	case cfg.MetricsAddr != "":
		s.MetricsApp = fiber.New(fiber.Config{AppName: "crm-metrics", DisableStartupMessage: true,
			ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 120 * time.Second})
		s.MetricsApp.Get("/metrics", h)
	case cfg.MetricsToken != "":
		want := []byte("Bearer " + cfg.MetricsToken)
		s.App.Get("/metrics", func(c *fiber.Ctx) error {
			if subtle.ConstantTimeCompare([]byte(c.Get(fiber.HeaderAuthorization)), want) != 1 {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
				return problem.New(problem.Unauthenticated, "unauthenticated")
			}
			return c.Next()
		}, h)
	}
}
