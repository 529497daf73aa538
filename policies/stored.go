package policies

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/tenantctx"
)

// StoredUserRoles reads a user's roles from the stored rules in tx (not the enforcer's cache,
// which may predate tx), sorted.
func StoredUserRoles(ctx context.Context, tx *gorm.DB, userID uuid.UUID) ([]string, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var roles []string
	err := tx.Table("casbin_rule").Where("ptype = 'g' AND v0 = ? AND v2 = ?", "u:"+userID.String(), tid.String()).Order("v1").Pluck("v1", &roles).Error
	return roles, err
}
