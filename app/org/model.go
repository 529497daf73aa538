// Package org is the organisation chart of a tenant: departments (a tree with managers) and
// users (each in a department, optionally under a manager, holding roles) — IAM-1.
package org

import (
	"time"

	"github.com/google/uuid"
)

// User statuses.
const (
	UserActive   = "active"
	UserDisabled = "disabled"
)

// User is a member of a tenant's staff.
type User struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	Email        string
	Name         string
	PasswordHash string
	DepartmentID *uuid.UUID
	ManagerID    *uuid.UUID
	Locale       string
	Status       string
	// MustChangePassword: the password was set by an owner (a forced reset); the user may do
	// nothing but choose their own (auth refuses every other call).
	MustChangePassword bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Version            int64
}

// Department is a node of the department tree.
type Department struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	ID        uuid.UUID `gorm:"primaryKey"`
	Name      string
	ParentID  *uuid.UUID
	ManagerID *uuid.UUID
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// UserView is a user as the API shows it.
type UserView struct {
	ID           uuid.UUID  `json:"id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	DepartmentID *uuid.UUID `json:"department_id"`
	ManagerID    *uuid.UUID `json:"manager_id"`
	Roles        []string   `json:"roles"`
	Locale       string     `json:"locale"`
	Status       string     `json:"status"`
	// MustChangePassword is set after an owner reset the password, until the user sets one.
	MustChangePassword bool      `json:"must_change_password"`
	CreatedAt          time.Time `json:"created_at"`
	UpdatedAt          time.Time `json:"updated_at"`
	Version            int64     `json:"version"`
}

// View renders u with its roles.
func (u *User) View(roles []string) UserView {
	if roles == nil {
		roles = []string{}
	}
	return UserView{ID: u.ID, Email: u.Email, Name: u.Name, DepartmentID: u.DepartmentID, ManagerID: u.ManagerID,
		Roles: roles, Locale: u.Locale, Status: u.Status, MustChangePassword: u.MustChangePassword, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Version: u.Version}
}

// DepartmentView is a department as the API shows it.
type DepartmentView struct {
	ID        uuid.UUID  `json:"id"`
	Name      string     `json:"name"`
	ParentID  *uuid.UUID `json:"parent_id"`
	ManagerID *uuid.UUID `json:"manager_id"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	Version   int64      `json:"version"`
}

// View renders d.
func (d *Department) View() DepartmentView {
	return DepartmentView{ID: d.ID, Name: d.Name, ParentID: d.ParentID, ManagerID: d.ManagerID,
		CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt, Version: d.Version}
}
