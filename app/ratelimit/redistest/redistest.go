// Package redistest gives tests the Redis server they share: CRM_TEST_REDIS_URL, by default
// the one on this machine (redis://127.0.0.1:6379/0; deploy/ensure-redis.sh starts it). A
// test that needs Redis fails when it does not answer — under CI and elsewhere — rather than
// skip; every test uses keys of its own prefix, so tests never see each other's counts.
package redistest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
)

// EnvURL names the Redis server of the tests.
const EnvURL = "CRM_TEST_REDIS_URL"

// DefaultURL is the local server deploy/ensure-redis.sh starts.
const DefaultURL = "redis://127.0.0.1:6379/0"

var seq atomic.Int64

// URL answers the tests' Redis URL, failing the test when the server does not answer.
func URL(t testing.TB) string {
	t.Helper()
	url := strings.TrimSpace(os.Getenv(EnvURL))
	if url == "" {
		url = DefaultURL
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("redistest: %s=%q: %v", EnvURL, url, err)
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("redistest: Redis at %s does not answer (%v); start it with `bash deploy/ensure-redis.sh` or set %s", opt.Addr, err, EnvURL)
	}
	return url
}

// Prefix answers a key prefix no other test uses.
func Prefix() string {
	return fmt.Sprintf("crmtest:%d:%s:", seq.Add(1), uuid.NewString()[:8])
}
