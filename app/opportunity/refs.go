package opportunity

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/policies"
)

// The sales records (opportunities here; quotes, contracts, orders and payments in app/deal)
// share these reference checks.

// CustomerRef is what sales records need of a customer.
type CustomerRef struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	Name         string
	OwnerID      *uuid.UUID
	DepartmentID *uuid.UUID
	InPool       bool
	DeletedAt    *time.Time
}

// TableName reads the customers table (owned by app/customer).
func (CustomerRef) TableName() string { return "customers" }

// VisibleCustomer loads customer id in tx when the acting user may see it (within their data
// scope, or in the public pool), else fails with validation_failed on field — a record cannot
// be attached to a customer its author cannot see, and its existence is not revealed.
func VisibleCustomer(ctx context.Context, tx *gorm.DB, authz *policies.Authorizer, field string, id uuid.UUID) (*CustomerRef, error) {
	var c CustomerRef
	err := tx.Take(&c, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && c.DeletedAt != nil) {
		return nil, problem.Field(field, "not_found", "field.not_found")
	}
	if err != nil {
		return nil, err
	}
	if c.InPool {
		return &c, nil
	}
	f, err := authz.ScopeFilter(ctx, tx)
	if err != nil {
		return nil, err
	}
	if !f.Allows(deref(c.OwnerID), deref(c.DepartmentID)) {
		return nil, problem.Field(field, "not_found", "field.not_found")
	}
	return &c, nil
}

func deref(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}

// ParseDate reads an optional YYYY-MM-DD input; a malformed one is invalid_format on field.
func ParseDate(field string, s *string) (*datatypes.Date, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, *s)
	if err != nil {
		return nil, problem.Field(field, "invalid_format", "field.invalid_format")
	}
	d := datatypes.Date(t)
	return &d, nil
}

// FormatDate writes an optional date as YYYY-MM-DD.
func FormatDate(d *datatypes.Date) *string {
	if d == nil {
		return nil
	}
	s := time.Time(*d).Format(time.DateOnly)
	return &s
}
