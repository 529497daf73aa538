package policies

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/tenantctx"
)

// Filter is a data scope turned into concrete owners and departments (IAM-5). Business
// services apply it to their list queries with Apply.
type Filter struct {
	Scope DataScope
	// Owners is set for own and own_and_subordinates.
	Owners []uuid.UUID
	// Departments is set for department and department_tree.
	Departments []uuid.UUID
}

// Apply restricts q to the filter, given the record's owner and department columns.
func (f Filter) Apply(q *gorm.DB, ownerCol, deptCol string) *gorm.DB {
	switch f.Scope {
	case ScopeAll:
		return q
	case ScopeDepartment, ScopeDepartmentTree:
		return q.Where(deptCol+" IN ?", f.Departments)
	default:
		return q.Where(ownerCol+" IN ?", f.Owners)
	}
}

// Allows reports whether a record with owner and department is inside the filter.
func (f Filter) Allows(owner, dept uuid.UUID) bool {
	switch f.Scope {
	case ScopeAll:
		return true
	case ScopeDepartment, ScopeDepartmentTree:
		return contains(f.Departments, dept)
	default:
		return contains(f.Owners, owner)
	}
}

// AllowsRef is Allows for a record whose owner or department may be unset (nil or the zero
// ID): an unset one matches no scope but "all".
func (f Filter) AllowsRef(owner, dept *uuid.UUID) bool {
	switch f.Scope {
	case ScopeAll:
		return true
	case ScopeDepartment, ScopeDepartmentTree:
		return dept != nil && *dept != uuid.Nil && contains(f.Departments, *dept)
	default:
		return owner != nil && *owner != uuid.Nil && contains(f.Owners, *owner)
	}
}

func contains(ids []uuid.UUID, id uuid.UUID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// orgUser and orgDepartment are the columns data scopes need; the org package owns the tables.
type orgUser struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	ManagerID    *uuid.UUID
	DepartmentID *uuid.UUID
}

func (orgUser) TableName() string { return "users" }

type orgDepartment struct {
	TenantID uuid.UUID `gorm:"primaryKey"`
	ID       uuid.UUID `gorm:"primaryKey"`
	ParentID *uuid.UUID
}

func (orgDepartment) TableName() string { return "departments" }

// ScopeFilter resolves the acting user's data scope into a Filter, reading the org chart in tx.
func (a *Authorizer) ScopeFilter(ctx context.Context, tx *gorm.DB) (Filter, error) {
	actor := tenantctx.ActorFrom(ctx)
	roles, err := a.UserRoles(ctx, actor.UserID)
	if err != nil {
		return Filter{}, err
	}
	scope, err := a.ScopeOf(ctx, roles)
	if err != nil {
		return Filter{}, err
	}
	return ResolveScope(tx, scope, actor.UserID, actor.DepartmentID)
}

// ResolveScope computes the owners or departments a scope covers for a user.
func ResolveScope(tx *gorm.DB, scope DataScope, userID, deptID uuid.UUID) (Filter, error) {
	f := Filter{Scope: scope}
	switch scope {
	case ScopeAll:
	case ScopeOwn:
		f.Owners = []uuid.UUID{userID}
	case ScopeOwnAndSubordinates:
		ids, err := descendants(tx, &orgUser{}, "manager_id", userID)
		if err != nil {
			return f, err
		}
		f.Owners = ids
	case ScopeDepartment:
		f.Departments = []uuid.UUID{deptID}
	case ScopeDepartmentTree:
		ids, err := descendants(tx, &orgDepartment{}, "parent_id", deptID)
		if err != nil {
			return f, err
		}
		f.Departments = ids
	}
	return f, nil
}

// descendants walks a tree breadth-first from root (included) through parentCol. Each level is
// one tenant-scoped query; org charts are shallow. The seen set guards against cycles.
func descendants(tx *gorm.DB, model any, parentCol string, root uuid.UUID) ([]uuid.UUID, error) {
	out := []uuid.UUID{root}
	seen := map[uuid.UUID]bool{root: true}
	frontier := []uuid.UUID{root}
	for len(frontier) > 0 {
		var next []uuid.UUID
		if err := tx.Model(model).Where(parentCol+" IN ?", frontier).Pluck("id", &next).Error; err != nil {
			return nil, err
		}
		frontier = frontier[:0]
		for _, id := range next {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
				frontier = append(frontier, id)
			}
		}
	}
	return out, nil
}
