package deal

import (
	"github.com/gofiber/fiber/v2"

	"github.com/smecrm/crm/app/api"
)

// API serves /quotes, /contracts (with review, signing and payment plans), /orders and
// /payments.
type API struct{ S *Service }

type quotePatch struct {
	api.ByID
	QuoteUpdate
}

type contractPatch struct {
	api.ByID
	ContractUpdate
}

type versionInput struct {
	api.ByID
	Version int64 `json:"version" validate:"required"`
}

type reviewInput struct {
	api.ByID
	ReviewInput
}

type signInput struct {
	api.ByID
	SignInput
}

type planQuery struct {
	api.ByID
	PlanFilter
}

type planInput struct {
	api.ByID
	PlanInput
}

type orderPatch struct {
	api.ByID
	OrderUpdate
}

type paymentPatch struct {
	api.ByID
	PaymentUpdate
}

func perm(obj, act string) api.Perm { return api.Perm{Object: obj, Action: act} }

// Routes registers the endpoints.
func (a API) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/quotes", ID: "listQuotes", Summary: "List quotes", Tag: "sales", Perm: perm("quote", "read")},
		api.Call(a.S.ListQuotes))
	api.Handle(r, api.Op{Method: "POST", Path: "/quotes", ID: "createQuote", Summary: "Create a draft quote with product lines", Tag: "sales", Status: 201, Perm: perm("quote", "create")},
		api.Call(a.S.CreateQuote))
	api.Handle(r, api.Op{Method: "GET", Path: "/quotes/:id", ID: "getQuote", Summary: "Get a quote", Tag: "sales", Perm: perm("quote", "read")},
		api.CallByID(a.S.GetQuote))
	api.Handle(r, api.Op{Method: "PATCH", Path: "/quotes/:id", ID: "updateQuote", Summary: "Change a draft quote or move its status", Tag: "sales", Perm: perm("quote", "update")},
		func(c *fiber.Ctx, in *quotePatch) (*QuoteView, error) {
			v, err := a.S.UpdateQuote(c.UserContext(), in.ID, in.QuoteUpdate)
			return &v, err
		})

	api.Handle(r, api.Op{Method: "GET", Path: "/contracts", ID: "listContracts", Summary: "List contracts (overdue=true: with overdue installments)", Tag: "sales", Perm: perm("contract", "read")},
		api.Call(a.S.ListContracts))
	api.Handle(r, api.Op{Method: "POST", Path: "/contracts", ID: "createContract", Summary: "Create a draft contract", Tag: "sales", Status: 201, Perm: perm("contract", "create")},
		api.Call(a.S.CreateContract))
	api.Handle(r, api.Op{Method: "GET", Path: "/contracts/:id", ID: "getContract", Summary: "Get a contract", Tag: "sales", Perm: perm("contract", "read")},
		api.CallByID(a.S.GetContract))
	api.Handle(r, api.Op{Method: "PATCH", Path: "/contracts/:id", ID: "updateContract", Summary: "Change a draft or rejected contract", Tag: "sales", Perm: perm("contract", "update")},
		func(c *fiber.Ctx, in *contractPatch) (*ContractView, error) {
			v, err := a.S.UpdateContract(c.UserContext(), in.ID, in.ContractUpdate)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/contracts/:id/submit", ID: "submitContract", Summary: "Submit a contract for review by the role its amount needs", Tag: "sales", Perm: perm("contract", "update")},
		func(c *fiber.Ctx, in *versionInput) (*ContractView, error) {
			v, err := a.S.Submit(c.UserContext(), in.ID, in.Version)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/contracts/:id/approve", ID: "approveContract", Summary: "Approve a contract under review (approval tiers apply)", Tag: "sales", Perm: perm("contract", "approve")},
		func(c *fiber.Ctx, in *reviewInput) (*ContractView, error) {
			v, err := a.S.Review(c.UserContext(), in.ID, in.ReviewInput, true)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/contracts/:id/reject", ID: "rejectContract", Summary: "Reject a contract under review, with a comment", Tag: "sales", Perm: perm("contract", "approve")},
		func(c *fiber.Ctx, in *reviewInput) (*ContractView, error) {
			v, err := a.S.Review(c.UserContext(), in.ID, in.ReviewInput, false)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/contracts/:id/sign", ID: "signContract", Summary: "Record the signature of an approved contract", Tag: "sales", Perm: perm("contract", "update")},
		func(c *fiber.Ctx, in *signInput) (*ContractView, error) {
			v, err := a.S.Sign(c.UserContext(), in.ID, in.SignInput)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/contracts/:id/payment-plans", ID: "getPaymentPlan", Summary: "A contract's payment plan: installments, paid and outstanding", Tag: "sales", Perm: perm("contract", "read")},
		func(c *fiber.Ctx, in *planQuery) (*PlanView, error) {
			v, err := a.S.Plan(c.UserContext(), in.ID, in.PlanFilter)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/contracts/:id/payment-plans", ID: "addInstallments", Summary: "Add installments to a contract's payment plan", Tag: "sales", Status: 201, Perm: perm("contract", "update")},
		func(c *fiber.Ctx, in *planInput) (*PlanView, error) {
			v, err := a.S.AddInstallments(c.UserContext(), in.ID, in.PlanInput)
			return &v, err
		})

	api.Handle(r, api.Op{Method: "GET", Path: "/installments", ID: "listInstallments", Summary: "List receivables: contracts' installments and invoiced work orders' (filters customer_id, contract_id, work_order_id, overdue, open)", Tag: "sales", Perm: perm("payment", "read")},
		api.Call(a.S.ListInstallments))

	api.Handle(r, api.Op{Method: "GET", Path: "/orders", ID: "listOrders", Summary: "List orders", Tag: "sales", Perm: perm("order", "read")},
		api.Call(a.S.ListOrders))
	api.Handle(r, api.Op{Method: "POST", Path: "/orders", ID: "createOrder", Summary: "Create an order", Tag: "sales", Status: 201, Perm: perm("order", "create")},
		api.Call(a.S.CreateOrder))
	api.Handle(r, api.Op{Method: "GET", Path: "/orders/:id", ID: "getOrder", Summary: "Get an order", Tag: "sales", Perm: perm("order", "read")},
		api.CallByID(a.S.GetOrder))
	api.Handle(r, api.Op{Method: "PATCH", Path: "/orders/:id", ID: "updateOrder", Summary: "Update an order's delivery", Tag: "sales", Perm: perm("order", "update")},
		func(c *fiber.Ctx, in *orderPatch) (*OrderView, error) {
			v, err := a.S.UpdateOrder(c.UserContext(), in.ID, in.OrderUpdate)
			return &v, err
		})

	api.Handle(r, api.Op{Method: "GET", Path: "/payments", ID: "listPayments", Summary: "List payments received", Tag: "sales", Perm: perm("payment", "read")},
		api.Call(a.S.ListPayments))
	api.Handle(r, api.Op{Method: "POST", Path: "/payments", ID: "createPayment", Summary: "Record a payment; against a contract or an invoiced work order it settles their installments", Tag: "sales", Status: 201, Perm: perm("payment", "create")},
		api.Call(a.S.CreatePayment))
	api.Handle(r, api.Op{Method: "GET", Path: "/payments/:id", ID: "getPayment", Summary: "Get a payment with its allocations", Tag: "sales", Perm: perm("payment", "read")},
		api.CallByID(a.S.GetPayment))
	api.Handle(r, api.Op{Method: "PATCH", Path: "/payments/:id", ID: "updatePayment", Summary: "Correct a payment (re-settles the plan)", Tag: "sales", Perm: perm("payment", "update")},
		func(c *fiber.Ctx, in *paymentPatch) (*PaymentView, error) {
			v, err := a.S.UpdatePayment(c.UserContext(), in.ID, in.PaymentUpdate)
			return &v, err
		})
}
