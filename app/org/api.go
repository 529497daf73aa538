package org

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/smecrm/crm/app/api"
)

// API serves /users and /departments.
type API struct{ S *Service }

type byID struct {
	ID uuid.UUID `path:"id" json:"-"`
}

type patchUser struct {
	byID
	UserUpdate
}

type patchDepartment struct {
	byID
	DepartmentUpdate
}

// Routes registers the organisation endpoints.
func (a API) Routes(r *api.Router) {
	a.profileRoutes(r)
	api.Handle(r, api.Op{Method: "GET", Path: "/users", ID: "listUsers", Summary: "List users", Tag: "users", Perm: api.Perm{Object: "user", Action: "read"}},
		func(c *fiber.Ctx, in *UserFilter) (*api.Page[UserView], error) {
			p, err := a.S.FindUsers(c.UserContext(), *in)
			return &p, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/users", ID: "createUser", Summary: "Create a user", Tag: "users", Status: 201, Perm: api.Perm{Object: "user", Action: "create"}},
		func(c *fiber.Ctx, in *NewUser) (*UserView, error) {
			v, err := a.S.CreateUser(c.UserContext(), *in)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/users/:id", ID: "getUser", Summary: "Get a user", Tag: "users", Perm: api.Perm{Object: "user", Action: "read"}},
		func(c *fiber.Ctx, in *byID) (*UserView, error) {
			v, err := a.S.FindUserByID(c.UserContext(), in.ID)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "PATCH", Path: "/users/:id", ID: "updateUser", Summary: "Update a user", Tag: "users", Perm: api.Perm{Object: "user", Action: "update"}},
		func(c *fiber.Ctx, in *patchUser) (*UserView, error) {
			v, err := a.S.UpdateUser(c.UserContext(), in.ID, in.UserUpdate)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "DELETE", Path: "/users/:id", ID: "deactivateUser", Summary: "Deactivate a user (users are never erased)", Tag: "users", Perm: api.Perm{Object: "user", Action: "delete"}},
		func(c *fiber.Ctx, in *byID) (*api.NoContent, error) {
			return nil, a.S.DeactivateUser(c.UserContext(), in.ID)
		})

	api.Handle(r, api.Op{Method: "GET", Path: "/departments", ID: "listDepartments", Summary: "List the department tree (flat; nest by parent_id)", Tag: "departments", Perm: api.Perm{Object: "department", Action: "read"}},
		func(c *fiber.Ctx, _ *struct{}) (*api.Page[DepartmentView], error) {
			p, err := a.S.FindDepartments(c.UserContext())
			return &p, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/departments", ID: "createDepartment", Summary: "Create a department", Tag: "departments", Status: 201, Perm: api.Perm{Object: "department", Action: "create"}},
		func(c *fiber.Ctx, in *NewDepartment) (*DepartmentView, error) {
			v, err := a.S.CreateDepartment(c.UserContext(), *in)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/departments/:id", ID: "getDepartment", Summary: "Get a department", Tag: "departments", Perm: api.Perm{Object: "department", Action: "read"}},
		func(c *fiber.Ctx, in *byID) (*DepartmentView, error) {
			v, err := a.S.FindDepartmentByID(c.UserContext(), in.ID)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "PATCH", Path: "/departments/:id", ID: "updateDepartment", Summary: "Update or move a department", Tag: "departments", Perm: api.Perm{Object: "department", Action: "update"}},
		func(c *fiber.Ctx, in *patchDepartment) (*DepartmentView, error) {
			v, err := a.S.UpdateDepartment(c.UserContext(), in.ID, in.DepartmentUpdate)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "DELETE", Path: "/departments/:id", ID: "deleteDepartment", Summary: "Delete an empty department", Tag: "departments", Perm: api.Perm{Object: "department", Action: "delete"}},
		func(c *fiber.Ctx, in *byID) (*api.NoContent, error) {
			return nil, a.S.DeleteDepartment(c.UserContext(), in.ID)
		})
}
