// Package listing holds the GORM side of list endpoints: a keyset page over UUIDv7 IDs and the
// equality filters, so that app/api stays the HTTP package (ListParams and Page, no queries).
package listing

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
)

// Reader runs fn for reading, as store.DB.Read does.
type Reader func(ctx context.Context, fn func(tx *gorm.DB) error) error

// ListByID answers a list ordered by ID (UUIDv7, so oldest first) in one read: it decodes p's
// cursor before reading, takes the filtered rows of T from query, reads one row more than the
// page to know whether another page follows, and shows the rows kept with view; next_cursor
// names the last of them.
func ListByID[T, V any](ctx context.Context, read Reader, p api.ListParams, query func(tx *gorm.DB) (*gorm.DB, error),
	id func(*T) uuid.UUID, view func(tx *gorm.DB, rec *T) (V, error)) (api.Page[V], error) {
	var out api.Page[V]
	after, err := p.AfterID()
	if err != nil {
		return out, err
	}
	err = read(ctx, func(tx *gorm.DB) error {
		q, err := query(tx)
		if err != nil {
			return err
		}
		q = q.Order("id").Limit(p.PageSize() + 1)
		if after != uuid.Nil {
			q = q.Where("id > ?", after)
		}
		var rows []T
		if err := q.Find(&rows).Error; err != nil {
			return err
		}
		page := api.IDPage(rows, p.PageSize(), func(r T) uuid.UUID { return id(&r) })
		out = api.Page[V]{Items: make([]V, len(page.Items)), NextCursor: page.NextCursor}
		for i := range page.Items {
			if out.Items[i], err = view(tx, &page.Items[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// WhereEqual narrows q, for each column whose filter value is given (not empty), to the rows
// holding that value.
func WhereEqual(q *gorm.DB, filters map[string]string) *gorm.DB {
	for col, v := range filters {
		if v != "" {
			q = q.Where(col+" = ?", v)
		}
	}
	return q
}

// WhereIDs is WhereEqual for ID filters, which the `uuid` validation rule has already checked.
func WhereIDs(q *gorm.DB, filters map[string]string) *gorm.DB {
	for col, v := range filters {
		if v != "" {
			q = q.Where(col+" = ?", uuid.MustParse(v))
		}
	}
	return q
}
