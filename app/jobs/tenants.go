package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/store"
)

// EachTenant runs fn for every tenant that is not cancelled, one after the other, each in its
// own tenant context with no acting user: the shape of every periodic sweep. It answers the
// sum of what the runs counted. One tenant's failure does not stop the others (a sweep that
// stopped at a broken tenant would starve every tenant after it): the errors are joined, each
// naming its tenant. A cancelled ctx ends the round early.
func EachTenant(ctx context.Context, db *store.DB, fn func(ctx context.Context) (int, error)) (int, error) {
	ids, err := store.LiveTenantIDs(ctx, db)
	if err != nil {
		return 0, err
	}
	total := 0
	var errs []error
	for _, id := range ids {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		n, err := fn(TenantContext(ctx, id, uuid.Nil))
		if err != nil {
			errs = append(errs, fmt.Errorf("tenant %s: %w", id, err))
		}
		total += n
	}
	return total, errors.Join(errs...)
}
