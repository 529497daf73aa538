package complaint

import (
	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/api"
)

// API serves /complaints, /remedies and /penalties.
type API struct{ S *Service }

func perm(act string) api.Perm { return api.Perm{Object: "complaint", Action: act} }

// Routes registers the endpoints. Access: reading needs complaint:read (within the data scope),
// intake complaint:create, changes, moves, reopening and proposals complaint:update, decisions
// complaint:approve (and the tier's role), the warehouse's receipt return_note:update and
// finance's posting return_note:approve.
func (a API) Routes(r *api.Router) {
	s := a.S
	tag := "complaints"
	api.Handle(r, api.Op{Method: "GET", Path: "/complaints", ID: "listComplaints", Summary: "List complaints", Tag: tag, Perm: perm("read")},
		api.Call(s.List))
	api.Handle(r, api.Op{Method: "POST", Path: "/complaints", ID: "createComplaint", Summary: "Take a complaint in", Tag: tag, Status: 201, Perm: perm("create")},
		api.Call(s.Create))
	// Before /complaints/:id, which would take "review" for an ID.
	api.Handle(r, api.Op{Method: "GET", Path: "/complaints/review", ID: "complaintReview", Summary: "The monthly review of closed complaints", Tag: tag, Perm: perm("read")},
		api.Call(s.MonthlyReview))
	api.Handle(r, api.Op{Method: "GET", Path: "/complaints/:id", ID: "getComplaint", Summary: "Get a complaint with its history", Tag: tag, Perm: perm("read")},
		api.CallByID(s.Get))
	api.Handle(r, api.Op{Method: "PATCH", Path: "/complaints/:id", ID: "updateComplaint", Summary: "Change a complaint", Tag: tag, Perm: perm("update")},
		func(c *fiber.Ctx, in *patchInput) (*View, error) {
			out, err := s.Update(c.UserContext(), in.ID, in.Patch)
			return &out, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/complaints/:id/transition", ID: "transitionComplaint", Summary: "Move a complaint in its workflow", Tag: tag, Perm: perm("update")},
		func(c *fiber.Ctx, in *transitionInput) (*View, error) {
			out, err := s.Transition(c.UserContext(), in.ID, in.TransitionInput)
			return &out, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/complaints/:id/reopen", ID: "reopenComplaint", Summary: "Open the follow-up case of a complaint the customer did not accept", Tag: tag, Status: 201, Perm: perm("update")},
		func(c *fiber.Ctx, in *reopenInput) (*View, error) {
			out, err := s.Reopen(c.UserContext(), in.ID, in.ReopenInput)
			return &out, err
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/complaints/:id/remedies", ID: "listRemedies", Summary: "A complaint's remedies", Tag: tag, Perm: perm("read")},
		api.CallByID(s.Remedies))
	api.Handle(r, api.Op{Method: "POST", Path: "/complaints/:id/remedies", ID: "proposeRemedy", Summary: "Propose a remedy", Tag: tag, Status: 201, Perm: perm("update")},
		func(c *fiber.Ctx, in *remedyInput) (*RemedyView, error) {
			out, err := s.ProposeRemedy(c.UserContext(), in.ID, in.RemedyInput)
			return &out, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/remedies/:id/approve", ID: "approveRemedy", Summary: "Approve a remedy (the tier's role)", Tag: tag, Perm: perm("approve")},
		func(c *fiber.Ctx, in *decisionInput) (*RemedyView, error) {
			out, err := s.DecideRemedy(c.UserContext(), in.ID, true, in.DecisionInput)
			return &out, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/remedies/:id/reject", ID: "rejectRemedy", Summary: "Reject a remedy (the tier's role)", Tag: tag, Perm: perm("approve")},
		func(c *fiber.Ctx, in *decisionInput) (*RemedyView, error) {
			out, err := s.DecideRemedy(c.UserContext(), in.ID, false, in.DecisionInput)
			return &out, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/remedies/:id/return-receipt", ID: "receiveReturn", Summary: "The warehouse signs for a returned quantity", Tag: tag,
		Perm: api.Perm{Object: "return_note", Action: "update"}},
		func(c *fiber.Ctx, in *receiptInput) (*RemedyView, error) {
			out, err := s.ReceiveReturn(c.UserContext(), in.ID, in.ReceiptInput)
			return &out, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/remedies/:id/post", ID: "postReturn", Summary: "Finance posts a received return", Tag: tag,
		Perm: api.Perm{Object: "return_note", Action: "approve"}},
		api.CallByID(s.PostReturn))
	api.Handle(r, api.Op{Method: "GET", Path: "/complaints/:id/penalties", ID: "listPenalties", Summary: "A complaint's penalties", Tag: tag, Perm: perm("read")},
		api.CallByID(s.Penalties))
	api.Handle(r, api.Op{Method: "POST", Path: "/complaints/:id/penalties", ID: "proposePenalty", Summary: "Propose a penalty", Tag: tag, Status: 201, Perm: perm("update")},
		func(c *fiber.Ctx, in *penaltyInput) (*PenaltyView, error) {
			out, err := s.ProposePenalty(c.UserContext(), in.ID, in.PenaltyInput)
			return &out, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/penalties/:id/approve", ID: "approvePenalty", Summary: "Approve a penalty (general manager)", Tag: tag, Perm: perm("approve")},
		func(c *fiber.Ctx, in *decisionInput) (*PenaltyView, error) {
			out, err := s.DecidePenalty(c.UserContext(), in.ID, true, in.DecisionInput)
			return &out, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/penalties/:id/reject", ID: "rejectPenalty", Summary: "Reject a penalty (general manager)", Tag: tag, Perm: perm("approve")},
		func(c *fiber.Ctx, in *decisionInput) (*PenaltyView, error) {
			out, err := s.DecidePenalty(c.UserContext(), in.ID, false, in.DecisionInput)
			return &out, err
		})
}
