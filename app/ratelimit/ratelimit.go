// Package ratelimit counts requests in fixed windows per key: in this process (Memory), or
// shared by every replica through Redis (Redis), where one atomic script counts a hit, so
// concurrent requests on several replicas are never lost to a read-modify-write race.
//
// Keys are hashed before they reach a store: an e-mail address or a token never lands in
// Redis, and an attacker's long key costs no more memory than a short one.
package ratelimit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Store counts hits per key.
type Store interface {
	// Hit counts one hit under key in its current window, opening a window of length window
	// when there is none, and answers the hits counted in the window so far (this one
	// included) and the time until the window closes.
	Hit(ctx context.Context, key string, window time.Duration) (count int64, left time.Duration, err error)
	// Undo takes one hit back from key's current window (a request the limit does not count
	// after all); nothing happens when the window has closed.
	Undo(ctx context.Context, key string) error
}

// Limit is how many hits a key may have per window. A Max of zero or less means no limit.
type Limit struct {
	// Name tells one limit's keys from another's (e.g. "login-address").
	Name   string
	Max    int
	Window time.Duration
}

// Decision is a limit's verdict on one request.
type Decision struct {
	Allowed bool
	// RetryAfter is the time until the window closes: when to try again after a refusal.
	RetryAfter time.Duration
}

// Limiter applies limits on a store. A store error (Redis unreachable) does not stop
// requests: the limiter counts in its own memory instead, so each replica still holds the
// limit on its own, for storeRetry before it asks the store again (no request waits for a
// dead store more than once in that time), and logs the error at most once a minute.
type Limiter struct {
	store    Store
	fallback *Memory
	log      *slog.Logger

	mu        sync.Mutex
	downUntil time.Time
	lastLog   time.Time
}

// storeRetry is how long the limiter counts in memory after the store failed.
const storeRetry = 5 * time.Second

// New returns a limiter on store; a nil store counts in memory. now is the clock of the
// in-memory counting (nil: real time).
func New(store Store, log *slog.Logger, now func() time.Time) *Limiter {
	mem := NewMemory(now)
	if store == nil {
		store = mem
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Limiter{store: store, fallback: mem, log: log}
}

// Allow counts a hit of key against lim.
func (l *Limiter) Allow(ctx context.Context, lim Limit, key string) Decision {
	if lim.Max <= 0 {
		return Decision{Allowed: true}
	}
	k := storeKey(lim.Name, key)
	var n int64
	var left time.Duration
	err := errStoreDown
	if l.storeUp() {
		n, left, err = l.store.Hit(ctx, k, lim.Window)
	}
	if err != nil {
		l.storeFailed(err)
		n, left, _ = l.fallback.Hit(ctx, k, lim.Window)
	}
	return Decision{Allowed: n <= int64(lim.Max), RetryAfter: left}
}

// Undo takes back a hit of key that Allow counted against lim.
func (l *Limiter) Undo(ctx context.Context, lim Limit, key string) {
	if lim.Max <= 0 {
		return
	}
	k := storeKey(lim.Name, key)
	err := errStoreDown
	if l.storeUp() {
		err = l.store.Undo(ctx, k)
	}
	if err != nil {
		l.storeFailed(err)
		_ = l.fallback.Undo(ctx, k)
	}
}

var errStoreDown = errors.New("ratelimit: store recently failed")

func (l *Limiter) storeUp() bool {
	if l.store == Store(l.fallback) {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return !time.Now().Before(l.downUntil)
}

func (l *Limiter) storeFailed(err error) {
	if errors.Is(err, errStoreDown) {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.downUntil = now.Add(storeRetry)
	if now.Sub(l.lastLog) < time.Minute {
		return
	}
	l.lastLog = now
	l.log.Error("rate limit store failed; counting in this process meanwhile", "err", err)
}

// storeKey is name and a hash of key: fixed length, and no personal data in the store.
func storeKey(name, key string) string {
	sum := sha256.Sum256([]byte(key))
	return name + ":" + base64.RawURLEncoding.EncodeToString(sum[:18])
}

// Memory counts in this process.
type Memory struct {
	now func() time.Time

	mu      sync.Mutex
	windows map[string]*window
	sweepAt int
}

type window struct {
	count int64
	ends  time.Time
}

// NewMemory returns an empty in-process store; now is its clock (nil: real time).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{now: now, windows: map[string]*window{}, sweepAt: 1024}
}

// Hit implements Store.
func (m *Memory) Hit(_ context.Context, key string, length time.Duration) (int64, time.Duration, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.windows[key]
	if w == nil || !now.Before(w.ends) {
		if len(m.windows) >= m.sweepAt {
			m.sweep(now)
		}
		w = &window{ends: now.Add(length)}
		m.windows[key] = w
	}
	w.count++
	return w.count, w.ends.Sub(now), nil
}

// Undo implements Store.
func (m *Memory) Undo(_ context.Context, key string) error {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if w := m.windows[key]; w != nil && now.Before(w.ends) && w.count > 0 {
		w.count--
	}
	return nil
}

// sweep drops closed windows, so memory follows the keys seen within one window, not all
// keys ever seen.
func (m *Memory) sweep(now time.Time) {
	for k, w := range m.windows {
		if !now.Before(w.ends) {
			delete(m.windows, k)
		}
	}
	m.sweepAt = max(1024, 2*len(m.windows))
}

// Len is the number of windows kept (open or not yet swept).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.windows)
}
