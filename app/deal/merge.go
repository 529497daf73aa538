package deal

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/opportunity"
)

// When two customers merge, their opportunities, quotes, contracts, orders and payments move
// to the surviving customer with them.
func init() {
	customer.AddMergeHook(func(_ context.Context, tx *gorm.DB, from, into uuid.UUID) error {
		for _, model := range []any{&opportunity.Opportunity{}, &Quote{}, &Contract{}, &Order{}, &Payment{}} {
			if err := tx.Model(model).Where("customer_id = ?", from).UpdateColumn("customer_id", into).Error; err != nil {
				return err
			}
		}
		return nil
	})
}
