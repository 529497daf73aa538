package customer

import (
	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/api"
)

type contactListInput struct {
	byID
	api.ListParams
}

type contactCreateInput struct {
	byID
	ContactInput
}

type contactPatchInput struct {
	byID
	ContactUpdate
}

func contactPerm(act string) api.Perm { return api.Perm{Object: "contact", Action: act} }

func (a API) contactRoutes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/customers/:id/contacts", ID: "listContacts", Summary: "A customer's contacts, the primary one first", Tag: "contacts", Perm: contactPerm("read")},
		func(c *fiber.Ctx, in *contactListInput) (*api.Page[ContactView], error) {
			p, err := a.S.ListContacts(c.UserContext(), in.ID, in.ListParams)
			return &p, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/customers/:id/contacts", ID: "createContact", Summary: "Add a contact to a customer (a primary one takes the flag from the others)", Tag: "contacts", Status: 201, Perm: contactPerm("create")},
		func(c *fiber.Ctx, in *contactCreateInput) (*ContactView, error) {
			v, err := a.S.CreateContact(c.UserContext(), in.ID, in.ContactInput)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/contacts/:id", ID: "getContact", Summary: "Get a contact", Tag: "contacts", Perm: contactPerm("read")},
		func(c *fiber.Ctx, in *byID) (*ContactView, error) {
			v, err := a.S.GetContact(c.UserContext(), in.ID)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "PATCH", Path: "/contacts/:id", ID: "updateContact", Summary: "Update a contact", Tag: "contacts", Perm: contactPerm("update")},
		func(c *fiber.Ctx, in *contactPatchInput) (*ContactView, error) {
			v, err := a.S.UpdateContact(c.UserContext(), in.ID, in.ContactUpdate)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "DELETE", Path: "/contacts/:id", ID: "deleteContact", Summary: "Delete a contact", Tag: "contacts", Perm: contactPerm("delete")},
		func(c *fiber.Ctx, in *byID) (*api.NoContent, error) {
			return nil, a.S.DeleteContact(c.UserContext(), in.ID)
		})
}
