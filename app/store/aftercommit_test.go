package store_test

import (
	"context"
	"errors"
	"testing"

	"gorm.io/gorm"

	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/app/tenantctx"
)

// AfterCommit runs its work once the transaction committed, in order, and never after a
// rollback.
func TestAfterCommit(t *testing.T) {
	for _, dialect := range storetest.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			db := storetest.Open(t, dialect)
			ctx := tenantctx.WithTenant(context.Background(), mustCreateTenant(t, db))
			var ran []string
			err := db.Tx(ctx, func(tx *gorm.DB) error {
				store.AfterCommit(tx, func() { ran = append(ran, "first") })
				store.AfterCommit(tx, func() { ran = append(ran, "second") })
				if len(ran) != 0 {
					t.Errorf("ran before commit: %v", ran)
				}
				return nil
			})
			if err != nil || len(ran) != 2 || ran[0] != "first" || ran[1] != "second" {
				t.Errorf("after commit: %v %v", ran, err)
			}
			ran = nil
			err = db.Tx(ctx, func(tx *gorm.DB) error {
				store.AfterCommit(tx, func() { ran = append(ran, "rolled back") })
				return errors.New("fail")
			})
			if err == nil || len(ran) != 0 {
				t.Errorf("after a rollback: %v %v", ran, err)
			}
			// Outside a transaction of DB.Tx the work runs at once.
			store.AfterCommit(db.Gorm(ctx), func() { ran = append(ran, "now") })
			if len(ran) != 1 {
				t.Errorf("outside a transaction: %v", ran)
			}
		})
	}
}
