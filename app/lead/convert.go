package lead

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// ConvertInput is the body of POST /leads/{id}/convert.
type ConvertInput struct {
	// Version, when given, must be the lead's (409 otherwise).
	Version int64 `json:"version"`
	// CustomerType defaults to enterprise when the lead names a company, individual otherwise.
	CustomerType string `json:"customer_type" validate:"omitempty,oneof=enterprise individual"`
	// CustomerName defaults to the company, else the lead's name.
	CustomerName string `json:"customer_name" validate:"max=200"`
	// AllowDuplicate confirms the conversion after a duplicate-customer warning.
	AllowDuplicate bool `json:"allow_duplicate"`
	// Opportunity, when given, also opens an opportunity for the new customer.
	Opportunity *OpportunityInput `json:"opportunity"`
}

// OpportunityInput is the opportunity of a conversion; the name defaults to the intended
// product, else the customer's name.
type OpportunityInput struct {
	Name              string       `json:"name" validate:"max=200"`
	Stage             string       `json:"stage" validate:"omitempty,oneof=info_collection initial_contact needs_analysis demo proposal_quote negotiation"`
	Amount            *money.Money `json:"amount"`
	ExpectedCloseDate *string      `json:"expected_close_date" validate:"omitempty,datetime=2006-01-02"`
}

// Converted is the answer of a conversion.
type Converted struct {
	Lead        View                 `json:"lead"`
	Customer    customer.View        `json:"customer"`
	Contact     customer.ContactView `json:"contact"`
	Opportunity *opportunity.View    `json:"opportunity"`
}

// Convert turns a lead into a customer (stage prospect, the lead's owner and department), its
// primary contact (the lead's person, phone and email) and, when asked, an opportunity — all
// in one transaction with the lead marked converted, each audited, with lead.converted
// published. Errors: not_found, forbidden (customer:create, or opportunity:create when one is
// asked for), conflict (stale version, already converted, disqualified, a duplicate customer
// unless allow_duplicate), validation_failed.
func (s *Service) Convert(ctx context.Context, id uuid.UUID, in ConvertInput) (Converted, error) {
	if in.Opportunity != nil && s.Opportunities == nil {
		return Converted{}, problem.Field("opportunity", "invalid", "field.invalid")
	}
	var out Converted
	var oppID *uuid.UUID
	lv, err := s.mutate(ctx, id, in.Version, "convert", "lead.converted", func(tx *gorm.DB, l *Lead) (map[string]any, error) {
		// The lead first (not_found for one out of reach), then what creating the records needs.
		if s.Authz != nil {
			if err := s.Authz.Require(ctx, "customer", "create"); err != nil {
				return nil, err
			}
			if in.Opportunity != nil {
				if err := s.Authz.Require(ctx, "opportunity", "create"); err != nil {
					return nil, err
				}
			}
		}
		switch l.Status {
		case StatusConverted:
			return nil, problem.New(problem.Conflict, "lead_converted")
		case StatusDisqualified:
			return nil, problem.New(problem.Conflict, "lead_disqualified")
		}
		phone, err := s.Keys.Open(l.PhoneEnc, aad(l.TenantID, l.ID))
		if err != nil {
			return nil, err
		}
		typ := in.CustomerType
		if typ == "" {
			typ = customer.TypeIndividual
			if l.Company != "" {
				typ = customer.TypeEnterprise
			}
		}
		name := strings.TrimSpace(in.CustomerName)
		if name == "" {
			name = l.Company
		}
		if name == "" {
			name = l.Name
		}
		owner := l.OwnerID
		if owner == nil {
			a := tenantctx.ActorFrom(ctx).UserID
			owner = &a
		}
		ci := customer.Input{Type: typ, Name: name, Industry: l.Industry, Region: l.Region, Source: l.Source,
			Stage: customer.StageProspect, OwnerID: owner, DepartmentID: l.DepartmentID, Email: l.Email, AllowDuplicate: in.AllowDuplicate}
		if typ == customer.TypeIndividual {
			ci.Phone = phone
		}
		cust, err := s.Customers.CreateTx(ctx, tx, ci)
		if err != nil {
			return nil, err
		}
		contact, err := s.Customers.CreateContactTx(ctx, tx, cust.ID, customer.ContactInput{Name: l.Name, Phone: phone,
			Email: l.Email, IsPrimary: true, Notes: l.Notes})
		if err != nil {
			return nil, err
		}
		if in.Opportunity != nil {
			oi := opportunity.Input{Name: strings.TrimSpace(in.Opportunity.Name), CustomerID: cust.ID, Stage: in.Opportunity.Stage,
				Amount: in.Opportunity.Amount, ExpectedCloseDate: in.Opportunity.ExpectedCloseDate, Source: l.Source,
				Description: leadSummary(l), OwnerID: owner}
			if oi.Name == "" {
				oi.Name = l.Product
			}
			if oi.Name == "" {
				oi.Name = name
			}
			o, err := s.Opportunities.CreateTx(ctx, tx, oi)
			if err != nil {
				return nil, err
			}
			oppID = &o.ID
			ov := opportunity.ViewOf(o)
			out.Opportunity = &ov
		}
		now := s.now()
		l.Status, l.ConvertedAt, l.CustomerID, l.ContactID, l.OpportunityID = StatusConverted, &now, &cust.ID, &contact.ID, oppID
		out.Customer, out.Contact = cust, contact
		return map[string]any{"customer_id": cust.ID, "contact_id": contact.ID, "opportunity_id": oppID}, nil
	})
	if err != nil {
		return Converted{}, err
	}
	out.Lead = lv
	return out, nil
}

// leadSummary is the opportunity's description: what the lead wanted, and its notes.
func leadSummary(l *Lead) string {
	var parts []string
	if l.Product != "" {
		p := l.Product
		if l.Quantity.Valid {
			p += " × " + l.Quantity.Decimal.String()
		}
		parts = append(parts, p)
	}
	if l.Notes != "" {
		parts = append(parts, l.Notes)
	}
	return strings.Join(parts, "\n")
}
