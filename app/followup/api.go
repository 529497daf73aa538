package followup

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/smecrm/crm/app/api"
)

// API serves follow-ups and the task list.
type API struct{ S *Service }

type createInput struct {
	CustomerID uuid.UUID `path:"id" json:"-"`
	Input
}

type customerList struct {
	CustomerID uuid.UUID `path:"id" json:"-"`
	api.ListParams
}

func perm(act string) api.Perm { return api.Perm{Object: "followup", Action: act} }

// Routes registers /customers/{id}/follow-ups, /follow-ups and /me/tasks.
func (a API) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/customers/:id/follow-ups", ID: "listCustomerFollowUps", Summary: "A customer's follow-ups, latest first", Tag: "follow-ups", Perm: perm("read")},
		func(c *fiber.Ctx, in *customerList) (*api.Page[View], error) {
			p, err := a.S.ListForCustomer(c.UserContext(), in.CustomerID, in.ListParams)
			return &p, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/customers/:id/follow-ups", ID: "logFollowUp", Summary: "Log a follow-up of a customer (updates its follow-up dates and intent class)", Tag: "follow-ups", Status: 201, Perm: perm("create")},
		func(c *fiber.Ctx, in *createInput) (*View, error) {
			v, err := a.S.Create(c.UserContext(), in.CustomerID, in.Input)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/follow-ups", ID: "listFollowUps", Summary: "Follow-ups within the data scope; due=overdue|today|week lists open plans", Tag: "follow-ups", Perm: perm("read")},
		func(c *fiber.Ctx, in *Filter) (*api.Page[View], error) {
			p, err := a.S.List(c.UserContext(), *in)
			return &p, err
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/me/tasks", ID: "myTasks", Summary: "My follow-ups due today, overdue and upcoming, pool warnings, approvals waiting for me", Tag: "follow-ups", Access: api.SignedIn},
		func(c *fiber.Ctx, _ *struct{}) (*Tasks, error) {
			t, err := a.S.TasksFor(c.UserContext())
			return &t, err
		})
}
