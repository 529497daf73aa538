package opportunity

import (
	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/api"
)

// API serves /opportunities.
type API struct{ S *Service }

type patchInput struct {
	api.ByID
	Update
}

func perm(act string) api.Perm { return api.Perm{Object: "opportunity", Action: act} }

// Routes registers the pipeline endpoints.
func (a API) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/opportunities", ID: "listOpportunities", Summary: "List opportunities within the actor's data scope", Tag: "sales", Perm: perm("read")},
		api.Call(a.S.List))
	api.Handle(r, api.Op{Method: "POST", Path: "/opportunities", ID: "createOpportunity", Summary: "Create an opportunity for a visible customer", Tag: "sales", Status: 201, Perm: perm("create")},
		api.Call(a.S.Create))
	api.Handle(r, api.Op{Method: "GET", Path: "/opportunities/:id", ID: "getOpportunity", Summary: "Get an opportunity with its stage history", Tag: "sales", Perm: perm("read")},
		api.CallByID(a.S.Get))
	api.Handle(r, api.Op{Method: "PATCH", Path: "/opportunities/:id", ID: "updateOpportunity", Summary: "Update an opportunity or move it to another stage", Tag: "sales", Perm: perm("update")},
		func(c *fiber.Ctx, in *patchInput) (*View, error) {
			v, err := a.S.Update(c.UserContext(), in.ID, in.Update)
			return &v, err
		})
}
