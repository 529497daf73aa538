package org

import (
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
)

// OwnerDepartment answers the department of owner, who must be an active user of tx's tenant
// (otherwise field is not_found): business records follow their owner's department.
func OwnerDepartment(tx *gorm.DB, field string, owner uuid.UUID) (*uuid.UUID, error) {
	var u User
	err := tx.Select("id", "department_id", "status").Take(&u, "id = ?", owner).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && u.Status != UserActive) {
		return nil, problem.Field(field, "not_found", "field.not_found")
	}
	if err != nil {
		return nil, err
	}
	return u.DepartmentID, nil
}

// AssignOwner answers the department of a record given its owner and department, either of
// them optional: the owner must be an active user, and the department — the one given, else
// the owner's — must exist (owner_id and department_id are not_found otherwise).
func AssignOwner(tx *gorm.DB, owner, dept *uuid.UUID) (*uuid.UUID, error) {
	if owner != nil {
		d, err := OwnerDepartment(tx, "owner_id", *owner)
		if err != nil {
			return nil, err
		}
		if dept == nil {
			dept = d
		}
	}
	if dept != nil {
		var n int64
		if err := tx.Model(&Department{}).Where("id = ?", *dept).Count(&n).Error; err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, problem.Field("department_id", "not_found", "field.not_found")
		}
	}
	return dept, nil
}
