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

// Directory answers every user of tx's tenant with the columns other areas look users up by
// (ID, email, name, department, status); never the password hash.
func Directory(tx *gorm.DB) ([]User, error) {
	var us []User
	err := tx.Select("tenant_id", "id", "email", "name", "department_id", "status").Order("id").Find(&us).Error
	return us, err
}

// UserNames answers the names of the users with these IDs in tx's tenant.
func UserNames(tx *gorm.DB, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	return namesOf(tx, &User{}, ids)
}

// DepartmentNames answers the names of the departments with these IDs in tx's tenant.
func DepartmentNames(tx *gorm.DB, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	return namesOf(tx, &Department{}, ids)
}

// DepartmentNamesAll answers every department's name in tx's tenant.
func DepartmentNamesAll(tx *gorm.DB) (map[uuid.UUID]string, error) {
	return namesOf(tx, &Department{}, nil)
}

func namesOf(tx *gorm.DB, model any, ids []uuid.UUID) (map[uuid.UUID]string, error) {
	var rows []struct {
		ID   uuid.UUID
		Name string
	}
	q := tx.Model(model).Select("id", "name")
	if ids != nil {
		if len(ids) == 0 {
			return map[uuid.UUID]string{}, nil
		}
		q = q.Where("id IN ?", ids)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]string, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// CountUsers counts the users of tx's tenant.
func CountUsers(tx *gorm.DB) (int64, error) {
	var n int64
	err := tx.Model(&User{}).Count(&n).Error
	return n, err
}

// DepartmentManager answers the manager of department id in tx's tenant (nil when it has none
// or does not exist): who hears of what goes wrong in the department, e.g. an overdue
// complaint.
func DepartmentManager(tx *gorm.DB, id uuid.UUID) (*uuid.UUID, error) {
	var d Department
	err := tx.Select("tenant_id", "id", "manager_id").Take(&d, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return d.ManagerID, nil
}

// UserDepartment answers the department of user (nil when the user has none or is missing).
func UserDepartment(tx *gorm.DB, user uuid.UUID) (*uuid.UUID, error) {
	var u User
	err := tx.Select("tenant_id", "id", "department_id").Take(&u, "id = ?", user).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return u.DepartmentID, nil
}
