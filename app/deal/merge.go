package deal

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/opportunity"
)

// When two customers merge, their opportunities, quotes, contracts, orders and payments move
// to the surviving customer with them.
// MoveCustomerRecords is the customer.MergeHook of the sales records: a merged customer's
// opportunities, quotes, contracts, orders and payments move to the customer it merged into.
func MoveCustomerRecords(_ context.Context, tx *gorm.DB, from, into uuid.UUID) error {
	for _, model := range []any{&opportunity.Opportunity{}, &Quote{}, &Contract{}, &Order{}, &Payment{}} {
		if err := tx.Model(model).Where("customer_id = ?", from).UpdateColumn("customer_id", into).Error; err != nil {
			return err
		}
	}
	return nil
}
