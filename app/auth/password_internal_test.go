package auth

import (
	"runtime"
	"strings"
	"sync"
	"testing"
)

// A burst of password checks runs at most one argon2id hash per core at once, so the memory they
// take stays cores × argonMemory however many requests arrive together.
func TestPasswordHashingIsBounded(t *testing.T) {
	hash, err := HashPassword("a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	hashingPeak.Store(0)
	const burst = 24
	var wg sync.WaitGroup
	ok := make([]bool, burst)
	for i := range burst {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok[i] = CheckPassword(hash, "a long enough password")
		}()
	}
	wg.Wait()
	for i, v := range ok {
		if !v {
			t.Fatalf("check %d failed", i)
		}
	}
	if peak, limit := hashingPeak.Load(), int64(runtime.GOMAXPROCS(0)); peak < 1 || peak > limit {
		t.Errorf("%d hashes ran at once, want 1..%d", peak, limit)
	}
}

// A stored hash is data: one with parameters that would make a check allocate without bound is
// refused without hashing.
func TestCheckPasswordRefusesExcessiveParameters(t *testing.T) {
	good, _ := HashPassword("a long enough password")
	parts := strings.Split(good, "$")
	for _, params := range []string{"m=4194304,t=2,p=1", "m=19456,t=1000,p=1", "m=19456,t=2,p=255", "m=0,t=2,p=1"} {
		parts[3] = params
		if CheckPassword(strings.Join(parts, "$"), "a long enough password") {
			t.Errorf("%s accepted", params)
		}
	}
	if !CheckPassword(good, "a long enough password") || CheckPassword(good, "another password") {
		t.Error("the normal hash does not check as it should")
	}
}
