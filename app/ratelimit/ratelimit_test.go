package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/smecrm/crm/app/ratelimit"
	"github.com/smecrm/crm/app/ratelimit/redistest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestMemoryWindows(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := ratelimit.New(nil, nil, clk.now)
	lim := ratelimit.Limit{Name: "t", Max: 3, Window: time.Minute}
	for i := 1; i <= 3; i++ {
		if d := l.Allow(ctx, lim, "a"); !d.Allowed {
			t.Fatalf("hit %d refused", i)
		}
	}
	clk.advance(20 * time.Second)
	d := l.Allow(ctx, lim, "a")
	if d.Allowed || d.RetryAfter != 40*time.Second {
		t.Fatalf("fourth hit: %+v, want refused with 40s left", d)
	}
	if !l.Allow(ctx, lim, "b").Allowed {
		t.Fatal("another key shares the count")
	}
	if !l.Allow(ctx, ratelimit.Limit{Name: "other", Max: 3, Window: time.Minute}, "a").Allowed {
		t.Fatal("another limit shares the count")
	}
	clk.advance(40 * time.Second)
	if !l.Allow(ctx, lim, "a").Allowed {
		t.Fatal("a new window still refused")
	}
	// Undo gives a hit back within the window.
	l.Allow(ctx, lim, "a")
	l.Allow(ctx, lim, "a")
	l.Undo(ctx, lim, "a")
	if !l.Allow(ctx, lim, "a").Allowed {
		t.Fatal("the undone hit still counted")
	}
	if l.Allow(ctx, lim, "a").Allowed {
		t.Fatal("past the limit after undo")
	}
	if !l.Allow(ctx, ratelimit.Limit{Name: "off", Max: 0, Window: time.Minute}, "a").Allowed {
		t.Fatal("Max 0 limits")
	}
}

// Closed windows are swept: memory follows the keys of one window.
func TestMemorySweeps(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	m := ratelimit.NewMemory(clk.now)
	for i := 0; i < 5000; i++ {
		m.Hit(ctx, string(rune(i)), time.Second)
	}
	clk.advance(2 * time.Second)
	for i := 0; i < 5000; i++ {
		m.Hit(ctx, "x"+string(rune(i)), time.Second)
	}
	if n := m.Len(); n > 5000+1024 {
		t.Fatalf("%d windows kept, want the closed ones swept", n)
	}
}

type failing struct{ calls int }

func (f *failing) Hit(context.Context, string, time.Duration) (int64, time.Duration, error) {
	f.calls++
	return 0, 0, errors.New("down")
}
func (f *failing) Undo(context.Context, string) error { f.calls++; return errors.New("down") }

// A failing store falls back to counting in memory: the limit still holds, and the store is
// not asked again at once.
func TestStoreFailureFallsBackToMemory(t *testing.T) {
	ctx := context.Background()
	f := &failing{}
	l := ratelimit.New(f, nil, nil)
	lim := ratelimit.Limit{Name: "t", Max: 2, Window: time.Minute}
	l.Allow(ctx, lim, "k")
	l.Allow(ctx, lim, "k")
	if l.Allow(ctx, lim, "k").Allowed {
		t.Fatal("third hit allowed with the store down")
	}
	if f.calls != 1 {
		t.Fatalf("the failed store was asked %d times, want once", f.calls)
	}
}

// Two limiters on one Redis (two replicas) count together, exactly, under concurrency.
func TestRedisSharedAndAtomic(t *testing.T) {
	ctx := context.Background()
	url, prefix := redistest.URL(t), redistest.Prefix()
	var ls []*ratelimit.Limiter
	for range 2 {
		r, err := ratelimit.NewRedis(url, prefix)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		ls = append(ls, ratelimit.New(r, nil, nil))
	}
	const max = 100
	lim := ratelimit.Limit{Name: "t", Max: max, Window: time.Minute}
	var mu sync.Mutex
	allowed := 0
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40 {
				if ls[w%2].Allow(ctx, lim, "k").Allowed {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if allowed != max {
		t.Fatalf("%d of 320 concurrent hits on two replicas allowed, want exactly %d", allowed, max)
	}
	d := ls[0].Allow(ctx, lim, "k")
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
		t.Fatalf("after the limit: %+v, want refused with up to a minute left", d)
	}
	two := ratelimit.Limit{Name: "t", Max: 2, Window: time.Minute}
	ls[0].Allow(ctx, two, "u")
	ls[1].Allow(ctx, two, "u")
	ls[1].Undo(ctx, two, "u")
	if !ls[0].Allow(ctx, two, "u").Allowed {
		t.Fatal("an undo on one replica is not seen by the other")
	}
	if ls[1].Allow(ctx, two, "u").Allowed {
		t.Fatal("past the limit after the undo")
	}
	if r, err := ratelimit.NewRedis("redis://127.0.0.1:1/0", prefix); err != nil || r.Ping(ctx) == nil {
		t.Fatalf("a server that does not answer: %v, and Ping passed", err)
	}
	if _, err := ratelimit.NewRedis("http://127.0.0.1:6379", prefix); err == nil {
		t.Fatal("NewRedis accepted a URL that is not redis://")
	}
}
