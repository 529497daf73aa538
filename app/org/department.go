package org

import (
	"context"
	"errors"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/problem"
)

// NewDepartment is the input for CreateDepartment.
type NewDepartment struct {
	Name      string     `json:"name" validate:"required,max=100"`
	ParentID  *uuid.UUID `json:"parent_id"`
	ManagerID *uuid.UUID `json:"manager_id"`
}

// DepartmentUpdate is a PATCH of a department.
type DepartmentUpdate struct {
	Version   int64                   `json:"version" validate:"required"`
	Name      *string                 `json:"name" validate:"omitempty,min=1,max=100"`
	ParentID  api.Nullable[uuid.UUID] `json:"parent_id"`
	ManagerID api.Nullable[uuid.UUID] `json:"manager_id"`
}

// CreateDepartment adds a department under ParentID (or at the top).
func (s *Service) CreateDepartment(ctx context.Context, in NewDepartment) (DepartmentView, error) {
	var d Department
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		d, err = s.CreateDepartmentTx(ctx, tx, in)
		return err
	})
	return d.View(), err
}

// CreateDepartmentTx is CreateDepartment inside the caller's transaction.
func (s *Service) CreateDepartmentTx(ctx context.Context, tx *gorm.DB, in NewDepartment) (Department, error) {
	now := s.now()
	d := Department{ID: uuid.Must(uuid.NewV7()), Name: strings.TrimSpace(in.Name), ParentID: in.ParentID,
		ManagerID: in.ManagerID, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.checkDepartmentRefs(tx, &d); err != nil {
		return d, err
	}
	if err := tx.Create(&d).Error; err != nil {
		return d, err
	}
	return d, audit.Record(ctx, tx, "create", "department", d.ID.String(), nil, d.View())
}

func (s *Service) checkDepartmentRefs(tx *gorm.DB, d *Department) error {
	if d.ParentID != nil {
		// Walk up from the new parent: meeting d itself means the move would make a loop.
		cur := *d.ParentID
		for i := 0; ; i++ {
			if cur == d.ID {
				return problem.Field("parent_id", "invalid", "department_cycle")
			}
			var p Department
			err := tx.Select("id", "parent_id").Take(&p, "id = ?", cur).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				if i == 0 {
					return problem.Field("parent_id", "not_found", "field.not_found")
				}
				break
			}
			if err != nil {
				return err
			}
			if p.ParentID == nil || i > 64 {
				break
			}
			cur = *p.ParentID
		}
	}
	if d.ManagerID != nil {
		var n int64
		if err := tx.Model(&User{}).Where("id = ?", *d.ManagerID).Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return problem.Field("manager_id", "not_found", "field.not_found")
		}
	}
	return nil
}

// FindDepartmentByID returns one department.
func (s *Service) FindDepartmentByID(ctx context.Context, id uuid.UUID) (DepartmentView, error) {
	var d Department
	err := s.DB.Read(ctx, func(tx *gorm.DB) error { return takeDepartment(tx, id, &d) })
	return d.View(), err
}

func takeDepartment(tx *gorm.DB, id uuid.UUID, d *Department) error {
	err := tx.Take(d, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return problem.NotFoundf("entity.department")
	}
	return err
}

// FindDepartments lists the whole tree, flat, in creation order (clients nest by parent_id).
func (s *Service) FindDepartments(ctx context.Context) (api.Page[DepartmentView], error) {
	var ds []Department
	err := s.DB.Read(ctx, func(tx *gorm.DB) error { return tx.Order("id").Limit(10000).Find(&ds).Error })
	views := make([]DepartmentView, 0, len(ds))
	for i := range ds {
		views = append(views, ds[i].View())
	}
	return api.Page[DepartmentView]{Items: views}, err
}

// UpdateDepartment applies a PATCH; moving a department under itself or a descendant fails.
func (s *Service) UpdateDepartment(ctx context.Context, id uuid.UUID, upd DepartmentUpdate) (DepartmentView, error) {
	var view DepartmentView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if upd.ParentID.Set() && !upd.ParentID.Null() {
			if err := lockTenant(ctx, tx); err != nil { // see lockTenant: concurrent moves
				return err
			}
		}
		var d Department
		if err := takeDepartment(tx, id, &d); err != nil {
			return err
		}
		if d.Version != upd.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		before := d.View()
		if upd.Name != nil {
			d.Name = strings.TrimSpace(*upd.Name)
		}
		if upd.ParentID.Set() {
			d.ParentID = upd.ParentID.Ptr()
		}
		if upd.ManagerID.Set() {
			d.ManagerID = upd.ManagerID.Ptr()
		}
		if err := s.checkDepartmentRefs(tx, &d); err != nil {
			return err
		}
		d.UpdatedAt, d.Version = s.now(), d.Version+1
		res := tx.Model(&d).Where("version = ?", upd.Version).Select("name", "parent_id", "manager_id", "updated_at", "version").Updates(&d)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return problem.New(problem.Conflict, "version_conflict")
		}
		view = d.View()
		return audit.Record(ctx, tx, "update", "department", d.ID.String(), before, view)
	})
	return view, err
}

// DeleteDepartment removes an empty department; conflict while it has sub-departments or staff.
func (s *Service) DeleteDepartment(ctx context.Context, id uuid.UUID) error {
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var d Department
		if err := takeDepartment(tx, id, &d); err != nil {
			return err
		}
		var kids, staff int64
		if err := tx.Model(&Department{}).Where("parent_id = ?", id).Count(&kids).Error; err != nil {
			return err
		}
		if err := tx.Model(&User{}).Where("department_id = ?", id).Count(&staff).Error; err != nil {
			return err
		}
		if kids+staff > 0 {
			return problem.New(problem.Conflict, "department_not_empty")
		}
		if err := tx.Delete(&d).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "delete", "department", d.ID.String(), d.View(), nil)
	})
}
