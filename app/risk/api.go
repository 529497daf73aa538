package risk

import (
	"context"

	"github.com/smecrm/crm/app/api"
)

// API serves credit assessments, customers' credit, warnings and the risk dashboard.
type API struct{ S *Service }

func perm(act string) api.Perm { return api.Perm{Object: "risk", Action: act} }

type noInput struct{}

// Routes registers the endpoints: reading needs risk:read, assessing risk:create, deciding an
// assessment risk:approve, recording a measure risk:update; the contract's credit check
// contract:read (quote:read for a quote's).
func (a API) Routes(r *api.Router) {
	s := a.S
	tag := "risk"
	api.Handle(r, api.Op{Method: "GET", Path: "/customers/:id/credit-assessments", ID: "listCreditAssessments", Summary: "A customer's credit assessments, newest first", Tag: tag, Perm: perm("read")},
		api.Call(s.ListAssessments))
	api.Handle(r, api.Op{Method: "POST", Path: "/customers/:id/credit-assessments", ID: "createCreditAssessment", Summary: "Assess a customer's credit: scores, rating, proposed limit", Tag: tag, Status: 201, Perm: perm("create")},
		api.Call(s.Assess))
	api.Handle(r, api.Op{Method: "POST", Path: "/credit-assessments/:id/approve", ID: "approveCreditAssessment", Summary: "Approve a pending credit assessment (approval tiers apply)", Tag: tag, Perm: perm("approve")},
		api.Call(func(ctx context.Context, in DecisionInput) (AssessmentView, error) { return s.Decide(ctx, in, true) }))
	api.Handle(r, api.Op{Method: "POST", Path: "/credit-assessments/:id/reject", ID: "rejectCreditAssessment", Summary: "Reject a pending credit assessment, with a comment", Tag: tag, Perm: perm("approve")},
		api.Call(func(ctx context.Context, in DecisionInput) (AssessmentView, error) { return s.Decide(ctx, in, false) }))
	api.Handle(r, api.Op{Method: "GET", Path: "/customers/:id/credit", ID: "getCustomerCredit", Summary: "A customer's credit: rating, limit, exposure with its lines, risk level, warnings", Tag: tag, Perm: perm("read")},
		api.CallByID(s.Credit))
	api.Handle(r, api.Op{Method: "GET", Path: "/risk/warnings", ID: "listRiskWarnings", Summary: "Risk warnings of the customers one sees", Tag: tag, Perm: perm("read")},
		api.Call(s.ListWarnings))
	api.Handle(r, api.Op{Method: "POST", Path: "/risk/warnings/:id/measures", ID: "recordRiskMeasure", Summary: "Record a measure taken on a warning", Tag: tag, Status: 201, Perm: perm("update")},
		api.Call(s.RecordMeasure))
	api.Handle(r, api.Op{Method: "GET", Path: "/risk/dashboard", ID: "getRiskDashboard", Summary: "Customers by risk level, newest warnings, overdue receivables by age", Tag: tag, Perm: perm("read")},
		api.Call(func(ctx context.Context, _ noInput) (Dashboard, error) { return s.Dashboard(ctx) }))
	api.Handle(r, api.Op{Method: "GET", Path: "/contracts/:id/credit-check", ID: "checkContractCredit", Summary: "What submitting a contract means for its customer's credit limit", Tag: tag, Perm: api.Perm{Object: "contract", Action: "read"}},
		api.CallByID(s.ContractCheck))
	api.Handle(r, api.Op{Method: "GET", Path: "/quotes/:id/credit-check", ID: "checkQuoteCredit", Summary: "What a contract for a quote's total would mean for its customer's credit limit", Tag: tag, Perm: api.Perm{Object: "quote", Action: "read"}},
		api.CallByID(s.QuoteCheck))
}
