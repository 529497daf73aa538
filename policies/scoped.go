package policies

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/listing"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
)

// Owned is a record (opportunities, needs; quotes, contracts, orders and payments in app/deal) with an owner and the owner's department in its owner_id and department_id
// columns, so that data scopes apply to it as they do to customers.
type Owned interface {
	Key() uuid.UUID
	Owner() (uuid.UUID, *uuid.UUID)
}

// LoadScoped reads one record of type T by id in tx inside the actor's data scope; anything
// else (missing, another tenant's, outside the scope) is not_found for entity.
func LoadScoped[T Owned](ctx context.Context, tx *gorm.DB, authz *Authorizer, id uuid.UUID, entity string) (*T, error) {
	return LoadVisible(ctx, tx, authz, id, entity, func(f Filter, rec *T) bool {
		owner, dept := (*rec).Owner()
		return f.Allows(owner, deref(dept))
	})
}

// LoadVisible reads one record of type T by id in tx when sees says the actor's data scope
// reaches it (records seen through more than one party: a work order's technician and its
// registrar, say); anything else is not_found for entity, like a missing record.
func LoadVisible[T any](ctx context.Context, tx *gorm.DB, authz *Authorizer, id uuid.UUID, entity string, sees func(Filter, *T) bool) (*T, error) {
	var rec T
	err := tx.Take(&rec, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFoundf(entity)
	}
	if err != nil {
		return nil, err
	}
	f, err := authz.ScopeFilter(ctx, tx)
	if err != nil {
		return nil, err
	}
	if !sees(f, &rec) {
		return nil, problem.NotFoundf(entity)
	}
	return &rec, nil
}

// GetScoped reads one record of type T by id inside the actor's data scope (LoadScoped) and
// shows it with view, in one read.
func GetScoped[T Owned, V any](ctx context.Context, db *store.DB, authz *Authorizer, id uuid.UUID, entity string,
	view func(tx *gorm.DB, rec *T) (V, error)) (V, error) {
	var out V
	err := db.Read(ctx, func(tx *gorm.DB) error {
		rec, err := LoadScoped[T](ctx, tx, authz, id, entity)
		if err != nil {
			return err
		}
		out, err = view(tx, rec)
		return err
	})
	return out, err
}

// ListScoped answers the page p asks for of the T records in the actor's data scope, narrowed
// by where, oldest first (listing.ListByID), each shown with view.
func ListScoped[T Owned, V any](ctx context.Context, db *store.DB, authz *Authorizer, p api.ListParams,
	where func(q *gorm.DB) *gorm.DB, view func(tx *gorm.DB, rec *T) (V, error)) (api.Page[V], error) {
	return listing.ListByID(ctx, db.Read, p, func(tx *gorm.DB) (*gorm.DB, error) {
		scope, err := authz.ScopeFilter(ctx, tx)
		if err != nil {
			return nil, err
		}
		return where(scope.Apply(tx.Model(new(T)), "owner_id", "department_id")), nil
	}, func(rec *T) uuid.UUID { return (*rec).Key() }, view)
}

func deref(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}
