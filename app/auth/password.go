// Package auth signs people in: passwords, web sessions with CSRF tokens, personal API tokens,
// login rate limiting, and the middleware that turns a request's credentials into the tenant
// and user in its context.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"

	"golang.org/x/crypto/argon2"
	"golang.org/x/sync/semaphore"
)

// argon2id parameters (RFC 9106's second recommended option, lighter memory for small servers).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// Hashing is bounded: each argon2id run takes argonMemory KiB and a core for tens of
// milliseconds, so a burst of logins or sign-ups must queue rather than each allocate at once.
// At most one run per core goes on; peak hashing memory is cores × argonMemory.
var (
	hashing = semaphore.NewWeighted(int64(runtime.GOMAXPROCS(0)))
	// hashingNow and hashingPeak count the runs going on, for the test that the bound holds.
	hashingNow, hashingPeak atomic.Int64
)

// maxArgonMemory bounds the memory parameter read from a stored hash (KiB): a hash is data, and a
// tampered one must not make a check allocate gigabytes.
const maxArgonMemory = 256 * 1024

func idKey(pw, salt []byte, t, m uint32, p uint8, n uint32) []byte {
	_ = hashing.Acquire(context.Background(), 1) // never fails without a deadline
	defer hashing.Release(1)
	now := hashingNow.Add(1)
	for peak := hashingPeak.Load(); now > peak && !hashingPeak.CompareAndSwap(peak, now); peak = hashingPeak.Load() {
	}
	defer hashingNow.Add(-1)
	return argon2.IDKey(pw, salt, t, m, p, n)
}

// HashPassword returns an argon2id hash in the PHC string format.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := idKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches a hash from HashPassword.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if errors.Join(err1, err2) != nil || m == 0 || m > maxArgonMemory || t == 0 || t > 10 || p == 0 || p > 4 || len(want) < 16 || len(want) > 64 {
		return false
	}
	got := idKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked when no account matches, so a wrong email takes as long as a wrong
// password and does not reveal which accounts exist.
var dummyHash, _ = HashPassword("not a real password, only for timing")

// CheckPasswordOrDummy checks pw against hash, or against a dummy when hash is empty.
func CheckPasswordOrDummy(hash, pw string) bool {
	if hash == "" {
		CheckPassword(dummyHash, pw)
		return false
	}
	return CheckPassword(hash, pw)
}

// NewSecret returns a random URL-safe secret of n bytes of entropy.
func NewSecret(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken hashes a high-entropy secret for storage; a fast hash suffices for random tokens.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10
