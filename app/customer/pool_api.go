package customer

import (
	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/api"
)

// poolFilter is GET /pool's query: the list filters and which pool.
type poolFilter struct {
	Filter
	// Pool names one pool (default: every pool the user sees).
	Pool string `query:"pool" json:"-" validate:"max=32"`
}

type claimInput struct {
	byID
	// Version, when given, must be the customer's current version.
	Version int64 `json:"version" validate:"gte=0"`
}

type releaseInput struct {
	byID
	Reason  string `json:"reason" validate:"required,max=500"`
	Version int64  `json:"version" validate:"gte=0"`
}

// Claiming needs customer:update: it changes the record's owner, like an edit, and the
// salespeople who work the pool have update but not assign (which is for giving customers to
// others). Releasing one's own customer needs update too; releasing someone else's needs
// customer:assign as well, checked by the service.
func (a API) poolRoutes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/pool", ID: "listPool", Summary: "List the public pool (visible to everyone who may read customers)", Tag: "customers", Perm: perm("read")},
		func(c *fiber.Ctx, in *poolFilter) (*api.Page[View], error) {
			p, err := a.S.ListPool(c.UserContext(), in.Filter, in.Pool)
			return &p, err
		})
}

func (a API) poolCustomerRoutes(r *api.Router) {
	api.Handle(r, api.Op{Method: "POST", Path: "/customers/:id/claim", ID: "claimCustomer", Summary: "Claim a customer from the public pool (409 at the claim limit or within the former owner's bar)", Tag: "customers", Perm: perm("update")},
		func(c *fiber.Ctx, in *claimInput) (*View, error) {
			v, err := a.S.Claim(c.UserContext(), in.ID, in.Version)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/customers/:id/release", ID: "releaseCustomer", Summary: "Return a customer to the public pool, with a reason (its owner, or customer:assign)", Tag: "customers", Perm: perm("update")},
		func(c *fiber.Ctx, in *releaseInput) (*View, error) {
			v, err := a.S.Release(c.UserContext(), in.ID, in.Version, in.Reason)
			return &v, err
		})
}
