package incident

import (
	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/api"
)

// API serves /incidents.
type API struct{ S *Service }

type patchInput struct {
	api.ByID
	Patch
}

func perm(act string) api.Perm { return api.Perm{Object: "incident", Action: act} }

// Routes registers the endpoints: reading needs incident:read, declaring incident:create,
// changes and status moves incident:update.
func (a API) Routes(r *api.Router) {
	s := a.S
	tag := "service"
	api.Handle(r, api.Op{Method: "GET", Path: "/incidents", ID: "listIncidents", Summary: "List emergency incidents", Tag: tag, Perm: perm("read")},
		api.Call(s.List))
	api.Handle(r, api.Op{Method: "POST", Path: "/incidents", ID: "createIncident", Summary: "Declare an emergency incident", Tag: tag, Status: 201, Perm: perm("create")},
		api.Call(s.Create))
	api.Handle(r, api.Op{Method: "GET", Path: "/incidents/:id", ID: "getIncident", Summary: "Get an incident with its affected customers and timeline", Tag: tag, Perm: perm("read")},
		api.CallByID(s.Get))
	api.Handle(r, api.Op{Method: "PATCH", Path: "/incidents/:id", ID: "updateIncident", Summary: "Change an incident, move its status one step or add a note", Tag: tag, Perm: perm("update")},
		func(c *fiber.Ctx, in *patchInput) (*View, error) {
			out, err := s.Update(c.UserContext(), in.ID, in.Patch)
			return &out, err
		})
}
