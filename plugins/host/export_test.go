package host

import (
	"context"

	"github.com/google/uuid"
)

// LockPair exposes the replicas' per-pair delivery lock to the tests.
func (h *Host) LockPair(ctx context.Context, pluginID string, tid uuid.UUID) (func(), bool, error) {
	return h.lockPair(ctx, pluginID, tid)
}
