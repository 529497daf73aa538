package complaint

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/followup"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/service"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// RemedyInput is the body of POST /complaints/{id}/remedies. Discounts and compensation
// carry an amount; replacements and returns a quantity; any kind may carry both.
type RemedyInput struct {
	Kind        string       `json:"kind" validate:"required,oneof=replacement repair discount compensation return"`
	Amount      *money.Money `json:"amount"`
	Quantity    *int         `json:"quantity" validate:"omitempty,gte=1,lte=100000000"`
	Description string       `json:"description" validate:"required,max=5000"`
}

type remedyInput struct {
	api.ByID
	RemedyInput
}

// proposable are the statuses a case takes remedies in: its plan is being drawn up.
var proposable = []string{StatusInvestigating, StatusPlanProposed}

// tiersOf are the tenant's approval tiers (the defaults when it has none).
func tiersOf(t *tenants.Tenant) []policies.Tier {
	if tiers := t.Settings.Data().ApprovalTiers; len(tiers) > 0 {
		return tiers
	}
	return policies.DefaultTiers()
}

// ProposeRemedy adds a remedy to a case's plan, with the role that must approve it fixed by
// the tenant's approval tiers for its amount (no amount: the lowest tier). Staff may not
// promise it to the customer before it is approved (第25條.6). Fails with not_found,
// validation_failed (input; an amount missing for a discount or compensation, a quantity for
// a replacement or return; another currency than the tenant's, which an amount without
// currency is in) or conflict (the case is not
// being investigated or planned).
func (s *Service) ProposeRemedy(ctx context.Context, id uuid.UUID, in RemedyInput) (RemedyView, error) {
	if err := problem.CleanText(map[string]*string{"description": &in.Description}); err != nil {
		return RemedyView{}, err
	}
	if in.Description == "" {
		return RemedyView{}, problem.Field("description", "required", "field.required")
	}
	if (in.Kind == RemedyDiscount || in.Kind == RemedyCompensation) && in.Amount == nil {
		return RemedyView{}, problem.Field("amount", "required", "field.required")
	}
	if (in.Kind == RemedyReplacement || in.Kind == RemedyReturn) && in.Quantity == nil {
		return RemedyView{}, problem.Field("quantity", "required", "field.required")
	}
	var out RemedyView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(proposable, c.Status) {
			return problem.New(problem.Conflict, "complaint.remedy_status")
		}
		t, err := tenantOf(ctx, tx)
		if err != nil {
			return err
		}
		base, err := money.BaseCurrency(ctx, tx)
		if err != nil {
			return err
		}
		tiers := tiersOf(t)
		r := &Remedy{ID: uuid.Must(uuid.NewV7()), ComplaintID: c.ID, Kind: in.Kind, Quantity: in.Quantity, Description: in.Description,
			Status: RemedyPending, CreatedAt: s.now(), UpdatedAt: s.now(), Version: 1}
		r.ApproverRole = tiers[0].Role
		if in.Amount != nil {
			// The tenant's currency when the amount names none.
			if in.Amount.Currency == "" {
				in.Amount.Currency = base
			}
			if err := money.Check("amount", *in.Amount, false); err != nil {
				return err
			}
			if in.Amount.Currency != base {
				return problem.Field("amount.currency", "invalid_choice", "complaint.currency", base)
			}
			a := in.Amount.Amount
			r.Amount, r.Currency = &a, in.Amount.Currency
			r.ApproverRole = policies.ApproverFor(tiers, a)
		}
		if a := tenantctx.ActorFrom(ctx).UserID; a != uuid.Nil {
			r.ProposedBy = &a
		}
		if err := tx.Create(r).Error; err != nil {
			return err
		}
		out = remedyView(r)
		if err := addEvent(ctx, tx, c, "remedy", "", "", r.Kind, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "create", "complaint_remedy", r.ID.String(), nil, out)
	})
	return out, err
}

// Remedies lists a case's remedies, oldest first.
func (s *Service) Remedies(ctx context.Context, id uuid.UUID) (api.Page[RemedyView], error) {
	out := api.Page[RemedyView]{Items: []RemedyView{}}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if _, err := s.load(ctx, tx, id); err != nil {
			return err
		}
		var rs []Remedy
		if err := tx.Where("complaint_id = ?", id).Order("id").Limit(200).Find(&rs).Error; err != nil {
			return err
		}
		for i := range rs {
			out.Items = append(out.Items, remedyView(&rs[i]))
		}
		return nil
	})
	return out, err
}

// loadRemedy reads remedy id and its case, when the actor sees the case.
func (s *Service) loadRemedy(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*Remedy, *Complaint, error) {
	var r Remedy
	err := tx.Take(&r, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, problem.NotFoundf("entity.remedy")
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := s.load(ctx, tx, r.ComplaintID)
	if problem.Is(err, problem.NotFound) {
		return nil, nil, problem.NotFoundf("entity.remedy")
	}
	return &r, c, err
}

// loadRemedyAny reads remedy id and its case whoever acts.
func loadRemedyAny(tx *gorm.DB, id uuid.UUID) (*Remedy, *Complaint, error) {
	var r Remedy
	err := tx.Take(&r, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, problem.NotFoundf("entity.remedy")
	}
	if err != nil {
		return nil, nil, err
	}
	c, err := loadAny(tx, r.ComplaintID)
	return &r, c, err
}

// DecisionInput is the body of approving or rejecting a remedy or penalty.
type DecisionInput struct {
	Comment string `json:"comment" validate:"max=2000"`
}

type decisionInput struct {
	api.ByID
	DecisionInput
}

// actorRoles are the acting user's roles.
func (s *Service) actorRoles(ctx context.Context) ([]string, error) {
	if roles := tenantctx.ActorFrom(ctx).Roles; len(roles) > 0 {
		return roles, nil
	}
	return s.Authz.UserRoles(ctx, tenantctx.ActorFrom(ctx).UserID)
}

// DecideRemedy approves or rejects a pending remedy. Only the role the tiers named when it
// was proposed, or one at least as senior, decides (forbidden approval_tier otherwise); the
// proposer never decides their own (forbidden approve_own). An approved repair opens its work
// order in the same transaction, registered by the case's handler; when the last pending
// remedy of a planned case is decided with one approved, the case moves to approved. Fails
// with not_found, forbidden or conflict (not pending).
func (s *Service) DecideRemedy(ctx context.Context, id uuid.UUID, approve bool, in DecisionInput) (RemedyView, error) {
	if err := problem.CleanText(map[string]*string{"comment": &in.Comment}); err != nil {
		return RemedyView{}, err
	}
	roles, err := s.actorRoles(ctx)
	if err != nil {
		return RemedyView{}, err
	}
	actor := tenantctx.ActorFrom(ctx).UserID
	var out RemedyView
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		// Deciding is the approval tier's authority, not the data scope's: any approver of the
		// tenant reaches the remedy, and one below its tier is refused (403), not told it is
		// missing.
		r, c, err := loadRemedyAny(tx, id)
		if err != nil {
			return err
		}
		if !policies.CanApproveAs(roles, r.ApproverRole) {
			return problem.New(problem.Forbidden, "approval_tier", r.ApproverRole)
		}
		if r.ProposedBy != nil && *r.ProposedBy == actor && !policies.HasRole(roles, policies.Owner) {
			return problem.New(problem.Forbidden, "complaint.approve_own")
		}
		if r.Status != RemedyPending {
			return problem.New(problem.Conflict, "complaint.remedy_decided")
		}
		before := remedyView(r)
		now := s.now()
		r.Status, r.DecidedBy, r.DecidedAt, r.DecisionComment = RemedyRejected, &actor, &now, in.Comment
		if approve {
			r.Status = RemedyApproved
			if r.Kind == RemedyRepair {
				w, err := s.openWorkOrder(ctx, tx, c, r)
				if err != nil {
					return err
				}
				r.WorkOrderID = &w.ID
			}
		}
		if err := s.saveRemedy(tx, r); err != nil {
			return err
		}
		out = remedyView(r)
		if err := addEvent(ctx, tx, c, "remedy_decided", "", "", r.Kind+":"+r.Status, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, map[bool]string{true: "approve", false: "reject"}[approve], "complaint_remedy", r.ID.String(), before, out); err != nil {
			return err
		}
		if c.Status == StatusPlanProposed && planApproved(tx, c.ID) == nil {
			return s.apply(ctx, tx, c, StatusApproved, "", "")
		}
		return nil
	})
	return out, err
}

func (s *Service) saveRemedy(tx *gorm.DB, r *Remedy) error {
	old := r.Version
	r.Version, r.UpdatedAt = old+1, s.now()
	res := tx.Model(r).Where("version = ?", old).Select("*").Omit("created_at", "id", "tenant_id").UpdateColumns(r)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return problem.New(problem.Conflict, "version_conflict")
	}
	return nil
}

// openWorkOrder registers the work order of an approved repair, as the case's handler (who
// took the complaint in) would at the service register.
func (s *Service) openWorkOrder(ctx context.Context, tx *gorm.DB, c *Complaint, r *Remedy) (service.View, error) {
	if s.WorkOrders == nil {
		return service.View{}, problem.New(problem.Conflict, "complaint.no_service")
	}
	wctx := ctx
	if c.HandlerID != nil {
		roles, err := s.Authz.UserRoles(ctx, *c.HandlerID)
		if err != nil {
			return service.View{}, err
		}
		a := tenantctx.ActorFrom(ctx)
		a.UserID, a.Roles = *c.HandlerID, roles
		if c.DepartmentID != nil {
			a.DepartmentID = *c.DepartmentID
		} else {
			a.DepartmentID = uuid.Nil
		}
		wctx = tenantctx.WithActor(ctx, a)
	}
	model := c.OrderNumber
	if model == "" {
		model = c.Number
	}
	return s.WorkOrders.RegisterTx(wctx, tx, service.Input{CustomerID: c.CustomerID, ContactID: c.ContactID, Type: service.TypeFree,
		TypeReason: c.Number, Model: model, Fault: c.Number + ": " + r.Description, Channel: "other", Urgency: "high"})
}

// ReceiptInput is the body of POST /remedies/{id}/return-receipt: what the warehouse counted.
type ReceiptInput struct {
	QuantityReceived int `json:"quantity_received" validate:"gte=0,lte=100000000"`
}

type receiptInput struct {
	api.ByID
	ReceiptInput
}

// ReceiveReturn records the warehouse's receipt of an approved return 產品退貨單 (第29條.3)
// with the quantity actually returned. Fails with not_found, validation_failed or conflict
// (not an approved return).
func (s *Service) ReceiveReturn(ctx context.Context, id uuid.UUID, in ReceiptInput) (RemedyView, error) {
	return s.returnStep(ctx, id, func(tx *gorm.DB, r *Remedy) (string, error) {
		if r.Kind != RemedyReturn || r.Status != RemedyApproved {
			return "", problem.New(problem.Conflict, "complaint.not_receivable")
		}
		now, actor := s.now(), tenantctx.ActorFrom(ctx).UserID
		q := in.QuantityReceived
		r.Status, r.QuantityReceived, r.ReceivedAt, r.ReceivedBy = RemedyReceived, &q, &now, &actor
		return "return_received", nil
	})
}

// PostReturn is finance posting a received return (第29條.2) after checking the quantity the
// warehouse signed for against the approved one. Fails with not_found, conflict (not a
// received return) or validation_failed quantity_mismatch (the quantities differ; nothing is
// posted).
func (s *Service) PostReturn(ctx context.Context, id uuid.UUID) (RemedyView, error) {
	return s.returnStep(ctx, id, func(tx *gorm.DB, r *Remedy) (string, error) {
		if r.Kind != RemedyReturn || r.Status != RemedyReceived {
			return "", problem.New(problem.Conflict, "complaint.not_postable")
		}
		if r.Quantity == nil || r.QuantityReceived == nil || *r.Quantity != *r.QuantityReceived {
			return "", problem.Field("quantity_received", "quantity_mismatch", "complaint.quantity_mismatch", deref(r.QuantityReceived), deref(r.Quantity))
		}
		now, actor := s.now(), tenantctx.ActorFrom(ctx).UserID
		r.Status, r.PostedAt, r.PostedBy = RemedyPosted, &now, &actor
		return "return_posted", nil
	})
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func (s *Service) returnStep(ctx context.Context, id uuid.UUID, step func(tx *gorm.DB, r *Remedy) (string, error)) (RemedyView, error) {
	var out RemedyView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		r, c, err := s.loadRemedy(ctx, tx, id)
		if err != nil {
			return err
		}
		before := remedyView(r)
		action, err := step(tx, r)
		if err != nil {
			return err
		}
		if err := s.saveRemedy(tx, r); err != nil {
			return err
		}
		out = remedyView(r)
		if err := addEvent(ctx, tx, c, action, "", "", "", s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, action, "complaint_remedy", r.ID.String(), before, out)
	})
	return out, err
}

// Approvals lists the remedies and penalties waiting for the acting user's decision, for
// /me/tasks: pending remedies whose approver role the user qualifies for (not their own), and
// pending penalties for those who approve as the general manager.
func (s *Service) Approvals(ctx context.Context, tx *gorm.DB, limit int) ([]followup.Approval, error) {
	out := []followup.Approval{}
	ok, err := s.Authz.Allowed(ctx, "complaint", "approve")
	if err != nil || !ok {
		return out, err
	}
	roles, err := s.actorRoles(ctx)
	if err != nil {
		return nil, err
	}
	actor := tenantctx.ActorFrom(ctx).UserID
	var rs []Remedy
	if err := tx.Where("status = ?", RemedyPending).Order("id").Limit(500).Find(&rs).Error; err != nil {
		return nil, err
	}
	var ps []Penalty
	if policies.CanApproveAs(roles, PenaltyApprover) {
		if err := tx.Where("status = ?", PenaltyPending).Order("id").Limit(500).Find(&ps).Error; err != nil {
			return nil, err
		}
	}
	ids := []uuid.UUID{}
	for _, r := range rs {
		ids = append(ids, r.ComplaintID)
	}
	for _, p := range ps {
		ids = append(ids, p.ComplaintID)
	}
	if len(ids) == 0 {
		return out, nil
	}
	var cs []Complaint
	if err := tx.Where("id IN ?", ids).Find(&cs).Error; err != nil {
		return nil, err
	}
	// A remedy or penalty waiting for this approver is theirs to see whatever their data
	// scope (see load); the scope only narrows what the owner and general manager list.
	byID := map[uuid.UUID]*Complaint{}
	for i := range cs {
		byID[cs[i].ID] = &cs[i]
	}
	for _, r := range rs {
		c := byID[r.ComplaintID]
		if c == nil || !policies.CanApproveAs(roles, r.ApproverRole) || (r.ProposedBy != nil && *r.ProposedBy == actor) {
			continue
		}
		title := c.Number + " " + r.Kind
		if r.Amount != nil {
			title += " " + r.Amount.StringFixed(2) + " " + r.Currency
		}
		out = append(out, followup.Approval{ID: r.ID, Entity: "complaint_remedy", Title: title, Link: "/complaints/" + c.ID.String()})
		if len(out) == limit {
			return out, nil
		}
	}
	for _, p := range ps {
		c := byID[p.ComplaintID]
		if c == nil {
			continue
		}
		out = append(out, followup.Approval{ID: p.ID, Entity: "complaint_penalty", Title: c.Number + " " + p.Kind, Link: "/complaints/" + c.ID.String()})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}
