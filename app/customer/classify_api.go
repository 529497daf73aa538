package customer

import (
	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/api"
)

func (a API) classifyRoutes(r *api.Router) {
	api.Handle(r, api.Op{Method: "POST", Path: "/customers/:id/classify", ID: "classifyCustomer", Summary: "Classify a customer now with the tenant's rules (or classifier plugin), even over a manual tier", Tag: "customers", Perm: perm("update")},
		func(c *fiber.Ctx, in *byID) (*View, error) {
			v, err := a.S.ClassifyNow(c.UserContext(), in.ID)
			return &v, err
		})
}
