package webhook

import (
	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/api"
)

// API serves /webhooks, /webhook-deliveries and the event catalogue /webhook-event-types.
type API struct{ S *Service }

type patchInput struct {
	api.ByID
	Patch
}

func perm(act string) api.Perm { return api.Perm{Object: "webhook", Action: act} }

// Routes registers the endpoints: reading endpoints, their delivery log and the catalogue
// needs webhook:read, registering webhook:create, changes, tests, redeliveries, replays and
// secret rotation webhook:update, removal webhook:delete.
func (a API) Routes(r *api.Router) {
	s := a.S
	tag := "webhooks"
	api.Handle(r, api.Op{Method: "GET", Path: "/webhook-event-types", ID: "listWebhookEventTypes", Summary: "The event types endpoints can subscribe to, with their payload schemas", Tag: tag, Perm: perm("read")},
		func(c *fiber.Ctx, _ *struct{}) (*EventTypes, error) {
			out := Catalog()
			return &out, nil
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/webhooks", ID: "listWebhooks", Summary: "List webhook endpoints", Tag: tag, Perm: perm("read")},
		api.Call(s.List))
	api.Handle(r, api.Op{Method: "POST", Path: "/webhooks", ID: "createWebhook", Summary: "Register a webhook endpoint (its secret is answered this once)", Tag: tag, Status: 201, Perm: perm("create")},
		api.Call(s.Create))
	api.Handle(r, api.Op{Method: "GET", Path: "/webhooks/:id", ID: "getWebhook", Summary: "Get a webhook endpoint", Tag: tag, Perm: perm("read")},
		api.CallByID(s.Get))
	api.Handle(r, api.Op{Method: "PATCH", Path: "/webhooks/:id", ID: "updateWebhook", Summary: "Change a webhook endpoint or switch it on or off", Tag: tag, Perm: perm("update")},
		func(c *fiber.Ctx, in *patchInput) (*View, error) {
			out, err := s.Update(c.UserContext(), in.ID, in.Patch)
			return &out, err
		})
	api.Handle(r, api.Op{Method: "DELETE", Path: "/webhooks/:id", ID: "deleteWebhook", Summary: "Remove a webhook endpoint and its delivery log", Tag: tag, Perm: perm("delete")},
		api.CallByID(s.Delete))
	api.Handle(r, api.Op{Method: "GET", Path: "/webhooks/:id/deliveries", ID: "listWebhookDeliveries", Summary: "An endpoint's delivery log, newest first, with each attempt", Tag: tag, Perm: perm("read")},
		api.Call(s.Deliveries))
	api.Handle(r, api.Op{Method: "POST", Path: "/webhooks/:id/test", ID: "testWebhook", Summary: "Send a webhook.test event", Tag: tag, Status: 202, Perm: perm("update")},
		api.CallByID(s.SendTest))
	api.Handle(r, api.Op{Method: "POST", Path: "/webhooks/:id/rotate-secret", ID: "rotateWebhookSecret", Summary: "Give an endpoint a new secret (answered this once); the old one signs too for a day", Tag: tag, Perm: perm("update")},
		api.CallByID(s.RotateSecret))
	api.Handle(r, api.Op{Method: "POST", Path: "/webhooks/:id/replay", ID: "replayWebhook", Summary: "Redeliver every failed delivery since a time", Tag: tag, Status: 202, Perm: perm("update")},
		api.Call(s.Replay))
	api.Handle(r, api.Op{Method: "POST", Path: "/webhook-deliveries/:id/redeliver", ID: "redeliverWebhook", Summary: "Send a delivery's message again", Tag: tag, Status: 202, Perm: perm("update")},
		api.CallByID(s.Redeliver))
}
