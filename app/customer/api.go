package customer

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/smecrm/crm/app/api"
)

// API serves /customers and the pool, contacts and timeline around them.
type API struct{ S *Service }

type byID struct {
	ID uuid.UUID `path:"id" json:"-"`
}

type patchInput struct {
	byID
	Update
}

type churnInput struct {
	byID
	Reason string `json:"reason" validate:"required,max=500"`
}

func perm(act string) api.Perm { return api.Perm{Object: "customer", Action: act} }

// Routes registers every customer endpoint, listed here; each group's handlers sit in the
// file of its feature. Fixed paths (duplicates, pool, import, export) come before
// /customers/:id so they are not taken for IDs.
func (a API) Routes(r *api.Router) {
	a.duplicateRoutes(r) // duplicate.go
	a.poolRoutes(r)      // pool_api.go
	a.poolsRoutes(r)     // pools.go
	a.transferRoutes(r)  // transfer_api.go: import and export
	api.Handle(r, api.Op{Method: "GET", Path: "/customers", ID: "listCustomers", Summary: "List and search customers within the actor's data scope", Tag: "customers", Perm: perm("read")},
		func(c *fiber.Ctx, in *Filter) (*api.Page[View], error) {
			p, err := a.S.List(c.UserContext(), *in)
			return &p, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/customers", ID: "createCustomer", Summary: "Create a customer (409 with possible duplicates unless confirmed)", Tag: "customers", Status: 201, Perm: perm("create")},
		func(c *fiber.Ctx, in *Input) (*View, error) {
			v, err := a.S.Create(c.UserContext(), *in)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/customers/:id", ID: "getCustomer", Summary: "Get a customer", Tag: "customers", Perm: perm("read")},
		func(c *fiber.Ctx, in *byID) (*View, error) {
			v, err := a.S.Get(c.UserContext(), in.ID)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "PATCH", Path: "/customers/:id", ID: "updateCustomer", Summary: "Update a customer", Tag: "customers", Perm: perm("update")},
		func(c *fiber.Ctx, in *patchInput) (*View, error) {
			v, err := a.S.Update(c.UserContext(), in.ID, in.Update)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "DELETE", Path: "/customers/:id", ID: "deleteCustomer", Summary: "Move a customer to the recycle bin (restorable for 30 days)", Tag: "customers", Perm: perm("delete")},
		func(c *fiber.Ctx, in *byID) (*api.NoContent, error) {
			return nil, a.S.Delete(c.UserContext(), in.ID)
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/customers/:id/restore", ID: "restoreCustomer", Summary: "Restore a customer from the recycle bin", Tag: "customers", Perm: perm("delete")},
		func(c *fiber.Ctx, in *byID) (*View, error) {
			v, err := a.S.Restore(c.UserContext(), in.ID)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/customers/:id/churn", ID: "churnCustomer", Summary: "Mark a customer churned, with a reason", Tag: "customers", Perm: perm("update")},
		func(c *fiber.Ctx, in *churnInput) (*View, error) {
			v, err := a.S.Churn(c.UserContext(), in.ID, in.Reason)
			return &v, err
		})
	a.classifyRoutes(r)     // classify_api.go
	a.contactRoutes(r)      // contact_api.go
	a.mergeRoutes(r)        // merge.go
	a.poolCustomerRoutes(r) // pool_api.go: claim and release
	a.timelineRoutes(r)     // timeline.go
}
