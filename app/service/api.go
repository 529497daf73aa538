package service

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/smecrm/crm/app/api"
)

// API serves /work-orders (registration, dispatch and the state moves, records, sign-off,
// charges and invoices, remote-service applications), /remote-applications and the public
// sign-off pages under /public/v1.
type API struct{ S *Service }

type patchInput struct {
	api.ByID
	Update
}

type versionInput struct {
	api.ByID
	VersionInput
}

type reasonInput struct {
	api.ByID
	ReasonInput
}

type dispatchInput struct {
	api.ByID
	DispatchInput
}

type recordInput struct {
	api.ByID
	RecordInput
}

type signOffInput struct {
	api.ByID
	SignOffInput
}

type chargeInput struct {
	api.ByID
	ChargeInput
}

type invoiceInput struct {
	api.ByID
	InvoiceInput
}

type cancelInvoiceInput struct {
	api.ByID
	CancelInvoiceInput
}

type remoteInput struct {
	api.ByID
	RemoteInput
}

type decisionInput struct {
	api.ByID
	DecisionInput
}

type linkInput struct {
	api.ByID
	LinkInput
}

type tokenInput struct {
	Token string `path:"token" json:"-"`
}

type publicSignOffInput struct {
	Token string `path:"token" json:"-"`
	SignOffInput
}

func perm(act string) api.Perm { return api.Perm{Object: "workorder", Action: act} }

// byID adapts a service method on one work order with a body to a handler.
func byID[W, B, Out any](fn func(ctx context.Context, id uuid.UUID, in B) (Out, error), body func(*W) (uuid.UUID, B)) func(*fiber.Ctx, *W) (*Out, error) {
	return func(c *fiber.Ctx, in *W) (*Out, error) {
		id, b := body(in)
		out, err := fn(c.UserContext(), id, b)
		return &out, err
	}
}

// signatureBody is the body limit of routes that take a drawn signature.
const signatureBody = 512 << 10

// Routes registers the endpoints. Access: registering needs workorder:create; the
// technician's steps workorder:update (and being the technician, or a dispatcher);
// dispatching workorder:assign; countersigning, closing and deciding remote applications
// workorder:approve; marking an invoice issued payment:create (finance).
func (a API) Routes(r *api.Router) {
	s := a.S
	tag := "service"
	api.Handle(r, api.Op{Method: "GET", Path: "/work-orders", ID: "listWorkOrders", Summary: "List work orders", Tag: tag, Perm: perm("read")},
		api.Call(s.List))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders", ID: "createWorkOrder", Summary: "Register a service request (type proposed when absent)", Tag: tag, Status: 201, Perm: perm("create")},
		api.Call(s.Register))
	api.Handle(r, api.Op{Method: "GET", Path: "/work-orders/:id", ID: "getWorkOrder", Summary: "Get a work order", Tag: tag, Perm: perm("read")},
		api.CallByID(s.Get))
	api.Handle(r, api.Op{Method: "PATCH", Path: "/work-orders/:id", ID: "updateWorkOrder", Summary: "Correct a work order's registration before completion", Tag: tag, Perm: perm("update")},
		byID(s.Update, func(in *patchInput) (uuid.UUID, Update) { return in.ID, in.Update }))

	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/dispatch", ID: "dispatchWorkOrder", Summary: "Dispatch (or reassign) a work order to a technician", Tag: tag, Perm: perm("assign")},
		byID(s.Dispatch, func(in *dispatchInput) (uuid.UUID, DispatchInput) { return in.ID, in.DispatchInput }))
	version := func(in *versionInput) (uuid.UUID, VersionInput) { return in.ID, in.VersionInput }
	reason := func(in *reasonInput) (uuid.UUID, ReasonInput) { return in.ID, in.ReasonInput }
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/claim", ID: "claimWorkOrder", Summary: "Claim a work order from the shared pool", Tag: tag, Perm: perm("update")},
		byID(s.Claim, version))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/accept", ID: "acceptWorkOrder", Summary: "Accept dispatched work", Tag: tag, Perm: perm("update")},
		byID(s.Accept, version))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/decline", ID: "declineWorkOrder", Summary: "Decline dispatched work, with a reason", Tag: tag, Perm: perm("update")},
		byID(s.Decline, reason))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/start", ID: "startWorkOrder", Summary: "Start or resume the work (remote work: once approved)", Tag: tag, Perm: perm("update")},
		byID(s.Start, version))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/hold", ID: "holdWorkOrder", Summary: "Put work in progress on hold, with a reason", Tag: tag, Perm: perm("update")},
		byID(s.Hold, reason))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/complete", ID: "completeWorkOrder", Summary: "Complete the work", Tag: tag, Perm: perm("update")},
		byID(s.Complete, version))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/countersign", ID: "countersignWorkOrder", Summary: "Countersign the technician's records", Tag: tag, Perm: perm("approve")},
		byID(s.Countersign, version))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/close", ID: "closeWorkOrder", Summary: "Close a signed-off (paid: invoiced) work order", Tag: tag, Perm: perm("approve")},
		byID(s.Close, version))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/cancel", ID: "cancelWorkOrder", Summary: "Cancel a work order, with a reason", Tag: tag, Perm: perm("update")},
		byID(s.Cancel, reason))
	api.Handle(r, api.Op{Method: "GET", Path: "/work-orders/:id/history", ID: "workOrderHistory", Summary: "A work order's history", Tag: tag, Perm: perm("read")},
		api.CallByID(s.HistoryOf))

	api.Handle(r, api.Op{Method: "GET", Path: "/work-orders/:id/records", ID: "listServiceRecords", Summary: "A work order's service records", Tag: tag, Perm: perm("read")},
		api.CallByID(s.Records))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/records", ID: "addServiceRecord", Summary: "Record time, work done, parts and costs", Tag: tag, Status: 201, Perm: perm("update")},
		byID(s.AddRecord, func(in *recordInput) (uuid.UUID, RecordInput) { return in.ID, in.RecordInput }))

	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/sign-off-link", ID: "workOrderSignOffLink", Summary: "Issue a one-time sign-off link for the customer (send: also mail it to the contact)", Tag: tag, Status: 201, Perm: perm("update")},
		byID(s.SignOffLink, func(in *linkInput) (uuid.UUID, LinkInput) { return in.ID, in.LinkInput }))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/sign-off", ID: "signOffWorkOrder", Summary: "Record the customer's signature given on site", Tag: tag, Perm: perm("update"), BodyLimit: signatureBody},
		byID(s.SignOff, func(in *signOffInput) (uuid.UUID, SignOffInput) { return in.ID, in.SignOffInput }))
	api.Handle(r, api.Op{Method: "GET", Path: "/work-orders/:id/signature", ID: "workOrderSignature", Summary: "The customer's signature of a work order", Tag: tag, Perm: perm("read")},
		api.CallByID(s.Signature))

	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/charge", ID: "chargeWorkOrder", Summary: "Record the fee of paid work and request its invoice", Tag: tag, Perm: perm("update")},
		byID(s.Charge, func(in *chargeInput) (uuid.UUID, ChargeInput) { return in.ID, in.ChargeInput }))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/invoice", ID: "invoiceWorkOrder", Summary: "Mark the invoice of paid work issued, or correct it (finance); its fee becomes a receivable due on due_date", Tag: tag, Perm: api.Perm{Object: "payment", Action: "create"}},
		byID(s.Invoice, func(in *invoiceInput) (uuid.UUID, InvoiceInput) { return in.ID, in.InvoiceInput }))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/invoice/cancel", ID: "cancelWorkOrderInvoice", Summary: "Cancel an issued invoice (finance): withdraws its unpaid receivable, back to signed off", Tag: tag, Perm: api.Perm{Object: "payment", Action: "create"}},
		byID(s.CancelInvoice, func(in *cancelInvoiceInput) (uuid.UUID, CancelInvoiceInput) { return in.ID, in.CancelInvoiceInput }))

	api.Handle(r, api.Op{Method: "GET", Path: "/work-orders/:id/remote-applications", ID: "listRemoteApplications", Summary: "A work order's remote-service applications", Tag: tag, Perm: perm("read")},
		api.CallByID(s.RemoteOf))
	api.Handle(r, api.Op{Method: "POST", Path: "/work-orders/:id/remote-applications", ID: "applyRemoteService", Summary: "Apply for remote (off-site) service", Tag: tag, Status: 201, Perm: perm("update")},
		byID(s.ApplyRemote, func(in *remoteInput) (uuid.UUID, RemoteInput) { return in.ID, in.RemoteInput }))
	api.Handle(r, api.Op{Method: "GET", Path: "/remote-applications/:id", ID: "getRemoteApplication", Summary: "Get a remote-service application", Tag: tag, Perm: perm("read")},
		api.CallByID(s.GetRemote))
	decision := func(in *decisionInput) (uuid.UUID, DecisionInput) { return in.ID, in.DecisionInput }
	api.Handle(r, api.Op{Method: "POST", Path: "/remote-applications/:id/approve", ID: "approveRemoteApplication", Summary: "Approve a remote-service application", Tag: tag, Perm: perm("approve")},
		byID(func(ctx context.Context, id uuid.UUID, in DecisionInput) (RemoteView, error) {
			return s.Decide(ctx, id, in, true)
		}, decision))
	api.Handle(r, api.Op{Method: "POST", Path: "/remote-applications/:id/reject", ID: "rejectRemoteApplication", Summary: "Reject a remote-service application, with a comment", Tag: tag, Perm: perm("approve")},
		byID(func(ctx context.Context, id uuid.UUID, in DecisionInput) (RemoteView, error) {
			return s.Decide(ctx, id, in, false)
		}, decision))
}

// PublicRoutes registers the pages a customer opens from a link, without an account, under
// /public/v1 (rate-limited by the server).
func (a API) PublicRoutes(r *api.Router) {
	s := a.S
	api.Handle(r, api.Op{Method: "GET", Path: "/sign-off/:token", ID: "openSignOff", Summary: "The work order a sign-off link shows", Tag: "public", Access: api.Public},
		func(c *fiber.Ctx, in *tokenInput) (*PublicSignOff, error) {
			out, err := s.OpenSignOff(c.UserContext(), in.Token)
			return &out, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/sign-off/:token", ID: "submitSignOff", Summary: "Sign a work order off through its link (once)", Tag: "public", Access: api.Public, BodyLimit: signatureBody},
		func(c *fiber.Ctx, in *publicSignOffInput) (*PublicSignedOff, error) {
			out, err := s.SubmitSignOff(c.UserContext(), in.Token, in.SignOffInput)
			return &out, err
		})
}
