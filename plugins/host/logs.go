package host

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// newPluginLogger is the logger go-plugin writes the plugin's output to: lines go into the
// server log tagged with the plugin, at most LogLinesPerSec per second (burst four times
// that); the rest are counted and dropped, so a plugin flooding its output cannot flood the
// log or slow the server.
func newPluginLogger(h *Host, id string) hclog.Logger {
	w := &limitedWriter{log: h.log.With("plugin", id), id: id, h: h, rate: float64(h.opt.LogLinesPerSec),
		tokens: float64(4 * h.opt.LogLinesPerSec), last: time.Now()}
	// Debug: go-plugin hands a plugin's plain stderr lines over at debug level; every line
	// passes the rate limit and keeps its level in the server log.
	return hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: w, Level: hclog.Debug, DisableTime: true})
}

type limitedWriter struct {
	log  *slog.Logger
	id   string
	h    *Host
	rate float64

	mu      sync.Mutex
	tokens  float64
	last    time.Time
	dropped int
}

var _ io.Writer = (*limitedWriter)(nil)

func (w *limitedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	now := time.Now()
	w.tokens = min(w.tokens+now.Sub(w.last).Seconds()*w.rate, 4*w.rate)
	w.last = now
	if w.tokens < 1 {
		w.dropped++
		w.mu.Unlock()
		w.h.m.logDropped.WithLabelValues(w.id).Inc()
		return len(p), nil
	}
	w.tokens--
	dropped := w.dropped
	w.dropped = 0
	w.mu.Unlock()
	line := string(bytes.TrimRight(p, "\n"))
	if len(line) > 2000 {
		line = line[:2000] + "…"
	}
	if dropped > 0 {
		w.log.Warn("plugin output dropped by the rate limit", "lines", dropped)
	}
	level := slog.LevelDebug
	switch {
	case strings.HasPrefix(line, "[ERROR]"):
		level = slog.LevelError
	case strings.HasPrefix(line, "[WARN]"):
		level = slog.LevelWarn
	case strings.HasPrefix(line, "[INFO]"):
		level = slog.LevelInfo
	}
	w.log.Log(context.Background(), level, "plugin output", "line", line)
	return len(p), nil
}
