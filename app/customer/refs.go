package customer

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/policies"
)

// What later areas (surveys, incidents) read of customers and contacts, through the owner of
// the tables.

// Ref is a customer as other areas refer to it: its name and owner.
type Ref struct {
	ID           uuid.UUID
	Name         string
	OwnerID      *uuid.UUID
	DepartmentID *uuid.UUID
}

// Refs answers the live customers among ids in tx's tenant, whoever may see them.
func Refs(tx *gorm.DB, ids []uuid.UUID) (map[uuid.UUID]Ref, error) {
	out := make(map[uuid.UUID]Ref, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Ref
	if err := tx.Model(&Customer{}).Select("id", "name", "owner_id", "department_id").
		Where("id IN ? AND deleted_at IS NULL", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// Select answers the customers the customer list would show the acting user for filter f (its
// paging and sorting ignored): live customers outside the public pool, in the user's data
// scope, in ID order, at most max+1 of them so that a caller can tell more than max matched.
// Fails with validation_failed on a malformed filter.
func (s *Service) Select(ctx context.Context, tx *gorm.DB, f Filter, max int) ([]Ref, error) {
	f.pool, f.Deleted = false, false
	q, err := s.query(ctx, tx, f)
	if err != nil {
		return nil, err
	}
	var rows []Ref
	err = q.Select("customers.id", "customers.name", "customers.owner_id", "customers.department_id").
		Order("customers.id").Limit(max + 1).Find(&rows).Error
	return rows, err
}

// MailContact is the contact a customer is written to.
type MailContact struct {
	ID    uuid.UUID
	Name  string
	Email string
}

// MailContactOf answers the contact to write to about something of customerID: contactID when
// given (a live contact of that customer), else the customer's primary contact. ok is false
// when that contact is missing or has no mail address.
func MailContactOf(tx *gorm.DB, customerID uuid.UUID, contactID *uuid.UUID) (MailContact, bool, error) {
	var ct Contact
	q := tx.Select("tenant_id", "id", "name", "email").Where("customer_id = ? AND deleted_at IS NULL", customerID)
	if contactID != nil {
		q = q.Where("id = ?", *contactID)
	} else {
		q = q.Where("is_primary = ?", true).Order("id")
	}
	err := q.Take(&ct).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return MailContact{}, false, nil
	}
	if err != nil {
		return MailContact{}, false, err
	}
	return MailContact{ID: ct.ID, Name: ct.Name, Email: ct.Email}, ct.Email != "", nil
}

// InScope is a subquery of the IDs of the live customers data scope f reaches (their owner or
// department), for records other areas show to whoever sees the customers they concern.
func InScope(tx *gorm.DB, f policies.Filter) *gorm.DB {
	q := tx.Session(&gorm.Session{NewDB: true}).Model(&Customer{}).Select("id").Where("deleted_at IS NULL")
	return f.Apply(q, "owner_id", "department_id")
}
