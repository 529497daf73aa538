package host_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/plugins/host"
)

// Two replicas' hosts on one PostgreSQL database: while one delivers a (plugin, tenant) pair's
// events, the other skips that pair, and takes it once the first is done; other pairs are free.
func TestEventDeliveryOneReplicaPerPair(t *testing.T) {
	db := storetest.Open(t, store.Postgres)
	a, b := host.New(db, host.Options{}), host.New(db, host.Options{})
	ctx := context.Background()
	tid := uuid.New()
	unlock, ok, err := a.LockPair(ctx, "demo", tid)
	if err != nil || !ok {
		t.Fatalf("replica a: %v %v", ok, err)
	}
	if _, ok, err := b.LockPair(ctx, "demo", tid); err != nil || ok {
		t.Fatalf("replica b took a pair a is delivering: %v %v", ok, err)
	}
	unlockOther, ok, err := b.LockPair(ctx, "demo", uuid.New())
	if err != nil || !ok {
		t.Fatalf("replica b and another tenant's pair: %v %v", ok, err)
	}
	unlockOther()
	unlock()
	unlockB, ok, err := b.LockPair(ctx, "demo", tid)
	if err != nil || !ok {
		t.Fatalf("replica b after a finished: %v %v", ok, err)
	}
	unlockB()
}
