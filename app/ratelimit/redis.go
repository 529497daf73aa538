package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis counts in a Redis server shared by every replica. One script counts a hit and opens
// the window atomically (INCR, then PEXPIRE on the first hit), so concurrent hits from any
// number of replicas all count.
type Redis struct {
	client  *redis.Client
	prefix  string
	timeout time.Duration
}

// hitScript counts a hit and answers {count, milliseconds left}. A key without an expiry (it
// cannot have one, unless someone wrote it by hand) gets the window too.
var hitScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1])
end
return {n, left}
`)

// undoScript takes a hit back while the window is open; DECR keeps the key's expiry.
var undoScript = redis.NewScript(`
if redis.call('PTTL', KEYS[1]) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
`)

// NewRedis returns a store on the Redis server at url (redis://[user:password@]host:port/db,
// or rediss://… for TLS); it connects on first use (see Ping). Every key it writes starts
// with prefix.
func NewRedis(url, prefix string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: CRM_REDIS_URL: %w", err)
	}
	// A limit must not hold a request up for long: a slow or absent Redis is given up on
	// quickly, and the limiter counts in memory for a while (see Limiter).
	opt.DialTimeout = 500 * time.Millisecond
	opt.ReadTimeout = 500 * time.Millisecond
	opt.WriteTimeout = 500 * time.Millisecond
	opt.MaxRetries = -1 // a retried INCR whose answer was lost would count twice
	return &Redis{client: redis.NewClient(opt), prefix: prefix, timeout: time.Second}, nil
}

// Ping checks that the server answers.
func (r *Redis) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ratelimit: Redis at %s does not answer: %w", r.client.Options().Addr, err)
	}
	return nil
}

// Hit implements Store.
func (r *Redis) Hit(ctx context.Context, key string, window time.Duration) (int64, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	ms := max(window.Milliseconds(), 1)
	res, err := hitScript.Run(ctx, r.client, []string{r.prefix + key}, ms).Int64Slice()
	if err != nil {
		return 0, 0, err
	}
	if len(res) != 2 {
		return 0, 0, fmt.Errorf("ratelimit: unexpected answer %v", res)
	}
	return res[0], time.Duration(res[1]) * time.Millisecond, nil
}

// Undo implements Store.
func (r *Redis) Undo(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
	defer cancel()
	return undoScript.Run(ctx, r.client, []string{r.prefix + key}).Err()
}

// Close closes the connections.
func (r *Redis) Close() error { return r.client.Close() }
