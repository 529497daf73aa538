package opportunity

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/listing"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// Service runs the pipeline.
type Service struct {
	DB    *store.DB
	Authz *policies.Authorizer
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Input is the body of POST /opportunities.
type Input struct {
	Name       string    `json:"name" validate:"required,max=200"`
	CustomerID uuid.UUID `json:"customer_id" validate:"required"`
	// Stage is where the opportunity starts: an open stage, info_collection by default.
	Stage string `json:"stage" validate:"omitempty,oneof=info_collection initial_contact needs_analysis demo proposal_quote negotiation"`
	// Probability (percent) defaults to the stage's (DefaultProbability).
	Probability *int `json:"probability" validate:"omitempty,gte=0,lte=100"`
	// Amount defaults to zero in the tenant's base currency.
	Amount            *money.Money `json:"amount"`
	ExpectedCloseDate *string      `json:"expected_close_date" validate:"omitempty,datetime=2006-01-02"`
	Source            string       `json:"source" validate:"max=50"`
	Description       string       `json:"description" validate:"max=5000"`
	// OwnerID defaults to the acting user; naming another needs opportunity:assign.
	OwnerID *uuid.UUID `json:"owner_id"`
}

// Create adds an opportunity for a customer the acting user can see. Fails with
// validation_failed (unknown or invisible customer, unknown owner, bad amount) or forbidden
// (assigning to another owner without opportunity:assign).
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		o, err := s.CreateTx(ctx, tx, in)
		if err != nil {
			return err
		}
		vs := []View{view(o)}
		err = withCustomerNames(tx, vs)
		out = vs[0]
		return err
	})
	return out, err
}

// CreateTx is Create inside the caller's transaction tx (lead conversion creates the customer,
// contact and opportunity in one transaction). It writes the record, its first stage-history
// row, the audit entry and the opportunity.created event, all in tx. The caller validates in
// (api.Validate) when it did not come through the API's binder.
func (s *Service) CreateTx(ctx context.Context, tx *gorm.DB, in Input) (*Opportunity, error) {
	actor := tenantctx.ActorFrom(ctx)
	tid, _ := tenantctx.TenantID(ctx)
	if err := api.Validate.Struct(in); err != nil {
		return nil, api.ValidationError(err)
	}
	if strings.TrimSpace(in.Name) == "" || strings.IndexByte(in.Name, 0) >= 0 {
		return nil, problem.Field("name", "required", "field.required")
	}
	owner := actor.UserID
	if in.OwnerID != nil && *in.OwnerID != actor.UserID {
		if err := s.Authz.Require(ctx, "opportunity", "assign"); err != nil {
			return nil, err
		}
		owner = *in.OwnerID
	}
	if owner == uuid.Nil {
		return nil, problem.Field("owner_id", "required", "field.required")
	}
	amount := money.Money{}
	if in.Amount != nil {
		amount = *in.Amount
		if err := money.Check("amount", amount, false); err != nil {
			return nil, err
		}
	} else {
		base, err := money.BaseCurrency(ctx, tx)
		if err != nil {
			return nil, err
		}
		amount.Currency = base
	}
	close, err := ParseDate("expected_close_date", in.ExpectedCloseDate)
	if err != nil {
		return nil, err
	}
	if _, err := VisibleCustomer(ctx, tx, s.Authz, "customer_id", in.CustomerID); err != nil {
		return nil, err
	}
	dept, err := org.OwnerDepartment(tx, "owner_id", owner)
	if err != nil {
		return nil, err
	}
	stage := in.Stage
	if stage == "" {
		stage = StageInfoCollection
	}
	prob := DefaultProbability[stage]
	if in.Probability != nil {
		prob = *in.Probability
	}
	now := s.now()
	o := &Opportunity{TenantID: tid, ID: uuid.Must(uuid.NewV7()), Name: strings.TrimSpace(in.Name), CustomerID: in.CustomerID,
		Stage: stage, Probability: prob, Amount: amount.Amount, Currency: amount.Currency, ExpectedCloseDate: close,
		Source: strings.TrimSpace(in.Source), Description: in.Description, OwnerID: owner, DepartmentID: dept,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := tx.Create(o).Error; err != nil {
		return nil, err
	}
	if err := s.recordStage(ctx, tx, o, "", now); err != nil {
		return nil, err
	}
	v := view(o)
	if err := audit.Record(ctx, tx, "create", "opportunity", o.ID.String(), nil, v); err != nil {
		return nil, err
	}
	return o, outbox.Publish(ctx, tx, "opportunity.created", "opportunity", o.ID, map[string]any{"opportunity": v})
}

func (s *Service) recordStage(ctx context.Context, tx *gorm.DB, o *Opportunity, from string, at time.Time) error {
	h := StageChange{ID: uuid.Must(uuid.NewV7()), OpportunityID: o.ID, FromStage: from, ToStage: o.Stage, At: at}
	if a := tenantctx.ActorFrom(ctx); a.UserID != uuid.Nil {
		id := a.UserID
		h.ActorID = &id
	}
	return tx.Create(&h).Error
}

// load reads one opportunity inside the actor's data scope; anything else is not_found.
func (s *Service) load(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*Opportunity, error) {
	return policies.LoadScoped[Opportunity](ctx, tx, s.Authz, id, "entity.opportunity")
}

// Load is load for other sales packages: the opportunity id when the actor can see it.
func (s *Service) Load(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*Opportunity, error) {
	return s.load(ctx, tx, id)
}

// Get returns one opportunity with its stage history, oldest first.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (View, error) {
	return policies.GetScoped(ctx, s.DB, s.Authz, id, "entity.opportunity", func(tx *gorm.DB, o *Opportunity) (View, error) {
		out := []View{view(o)}
		if err := withCustomerNames(tx, out); err != nil {
			return View{}, err
		}
		return out[0], tx.Where("opportunity_id = ?", o.ID).Order("id").Find(&out[0].StageHistory).Error
	})
}

// withCustomerNames fills in the names of vs' customers, in one query: the board and lists
// show whose opportunity it is.
func withCustomerNames(tx *gorm.DB, vs []View) error {
	if len(vs) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(vs))
	for i := range vs {
		ids[i] = vs[i].CustomerID
	}
	var cs []CustomerRef
	if err := tx.Select("id", "name").Where("id IN ?", ids).Find(&cs).Error; err != nil {
		return err
	}
	names := make(map[uuid.UUID]string, len(cs))
	for _, c := range cs {
		names[c.ID] = c.Name
	}
	for i := range vs {
		vs[i].CustomerName = names[vs[i].CustomerID]
	}
	return nil
}

// Filter are the list parameters.
type Filter struct {
	api.ListParams
	Stage      string `query:"stage" json:"-" validate:"omitempty,oneof=info_collection initial_contact needs_analysis demo proposal_quote negotiation won lost"`
	OwnerID    string `query:"owner_id" json:"-" validate:"omitempty,uuid"`
	CustomerID string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
	// Open lists only live opportunities (true) or only closed ones (false).
	Open *bool `query:"open" json:"-"`
}

// List returns a page of opportunities in the actor's data scope, oldest first.
func (s *Service) List(ctx context.Context, f Filter) (api.Page[View], error) {
	page, err := policies.ListScoped(ctx, s.DB, s.Authz, f.ListParams, func(q *gorm.DB) *gorm.DB {
		if f.Stage != "" {
			q = q.Where("stage = ?", f.Stage)
		}
		q = listing.WhereIDs(q, map[string]string{"owner_id": f.OwnerID, "customer_id": f.CustomerID})
		if f.Open != nil {
			if *f.Open {
				q = q.Where("stage IN ?", OpenStages)
			} else {
				q = q.Where("stage IN ?", []string{StageWon, StageLost})
			}
		}
		return q
	}, show)
	if err != nil {
		return page, err
	}
	return page, s.DB.Read(ctx, func(tx *gorm.DB) error { return withCustomerNames(tx, page.Items) })
}

// show is view for reads that go through ListScoped.
func show(_ *gorm.DB, o *Opportunity) (View, error) { return view(o), nil }

// Update is a PATCH of an opportunity.
type Update struct {
	Version           int64                `json:"version" validate:"required"`
	Name              *string              `json:"name" validate:"omitempty,min=1,max=200"`
	Stage             *string              `json:"stage" validate:"omitempty,oneof=info_collection initial_contact needs_analysis demo proposal_quote negotiation won lost"`
	Probability       *int                 `json:"probability" validate:"omitempty,gte=0,lte=100"`
	Amount            *money.Money         `json:"amount"`
	ExpectedCloseDate api.Nullable[string] `json:"expected_close_date"`
	Source            *string              `json:"source" validate:"omitempty,max=50"`
	Description       *string              `json:"description" validate:"omitempty,max=5000"`
	LostReason        *string              `json:"lost_reason" validate:"omitempty,max=500"`
	OwnerID           *uuid.UUID           `json:"owner_id"`
}

// Update applies a PATCH. Stage rules: any move between open stages (forward, skipping the
// optional demo or other steps, or back); won or lost from any open stage, lost only with a
// lost_reason; won and lost are final, except that a user holding opportunity:approve (a
// manager) may reopen one to an open stage. A closed opportunity accepts no other change.
// Entering a stage sets its default probability unless the PATCH gives one; won is 100 and
// lost 0. Fails with conflict (stale version, closed opportunity, won↔lost), forbidden
// (reopening or reassigning without the permission) or validation_failed.
func (s *Service) Update(ctx context.Context, id uuid.UUID, u Update) (View, error) {
	if u.Amount != nil {
		if err := money.Check("amount", *u.Amount, false); err != nil {
			return View{}, err
		}
	}
	if u.Name != nil && (strings.TrimSpace(*u.Name) == "" || strings.IndexByte(*u.Name, 0) >= 0) {
		return View{}, problem.Field("name", "required", "field.required")
	}
	if u.ExpectedCloseDate.Set() && !u.ExpectedCloseDate.Null() {
		if _, err := ParseDate("expected_close_date", u.ExpectedCloseDate.Ptr()); err != nil {
			return View{}, err
		}
	}
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		o, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if o.Version != u.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		before := view(o)
		from := o.Stage
		to := from
		if u.Stage != nil {
			to = *u.Stage
		}
		now := s.now()
		if !IsOpen(from) {
			if to == from || !IsOpen(to) {
				if to != from {
					return problem.New(problem.Conflict, "transition", from, to)
				}
				if u.changesMoreThanNotes() {
					return problem.New(problem.Conflict, "opportunity_closed")
				}
			} else if err := s.Authz.Require(ctx, "opportunity", "approve"); err != nil {
				return err
			}
		}
		if u.OwnerID != nil && *u.OwnerID != o.OwnerID {
			if err := s.Authz.Require(ctx, "opportunity", "assign"); err != nil {
				return err
			}
			dept, err := org.OwnerDepartment(tx, "owner_id", *u.OwnerID)
			if err != nil {
				return err
			}
			o.OwnerID, o.DepartmentID = *u.OwnerID, dept
		}
		if u.Name != nil {
			o.Name = strings.TrimSpace(*u.Name)
		}
		if u.Amount != nil {
			o.Amount, o.Currency = u.Amount.Amount, u.Amount.Currency
		}
		if u.ExpectedCloseDate.Set() {
			o.ExpectedCloseDate, _ = ParseDate("expected_close_date", u.ExpectedCloseDate.Ptr())
		}
		if u.Source != nil {
			o.Source = strings.TrimSpace(*u.Source)
		}
		if u.Description != nil {
			o.Description = *u.Description
		}
		if u.LostReason != nil {
			o.LostReason = strings.TrimSpace(*u.LostReason)
		}
		if u.Probability != nil {
			o.Probability = *u.Probability
		}
		if to != from {
			o.Stage = to
			if u.Probability == nil {
				o.Probability = DefaultProbability[to]
			}
			switch {
			case to == StageWon || to == StageLost:
				o.ClosedAt = &now
			default:
				o.ClosedAt = nil
			}
			if to != StageLost {
				o.LostReason = ""
			}
		}
		switch o.Stage {
		case StageLost:
			if o.LostReason == "" {
				return problem.Field("lost_reason", "required", "field.lost_reason")
			}
			if o.Probability != 0 {
				return problem.Field("probability", "out_of_range", "field.probability_closed")
			}
		case StageWon:
			if o.Probability != 100 {
				return problem.Field("probability", "out_of_range", "field.probability_closed")
			}
		}
		if o.Stage != StageLost && u.LostReason != nil && *u.LostReason != "" {
			return problem.Field("lost_reason", "invalid", "field.lost_reason_open")
		}
		old := o.Version
		o.Version, o.UpdatedAt = old+1, now
		if err := store.SaveVersioned(tx, o, old); err != nil {
			return err
		}
		out = view(o)
		if err := audit.Record(ctx, tx, "update", "opportunity", o.ID.String(), before, out); err != nil {
			return err
		}
		if to == from {
			return outbox.Publish(ctx, tx, "opportunity.updated", "opportunity", o.ID, map[string]any{"opportunity": out})
		}
		if err := s.recordStage(ctx, tx, o, from, now); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "opportunity.stage_changed", "opportunity", o.ID,
			map[string]any{"opportunity": out, "from": from, "to": to})
	})
	if err != nil {
		return out, err
	}
	vs := []View{out}
	err = s.DB.Read(ctx, func(tx *gorm.DB) error { return withCustomerNames(tx, vs) })
	return vs[0], err
}

// WinTx marks opportunity id won inside tx because a contract for it was signed (the
// contract's signature is the win): an open opportunity moves to won with probability 100,
// with its stage history, audit entry and opportunity.stage_changed event naming the contract;
// one already won or lost stays as it is. It acts for the signer whatever their data scope
// over the opportunity: the contract links them.
func (s *Service) WinTx(ctx context.Context, tx *gorm.DB, id, contractID uuid.UUID) error {
	var o Opportunity
	if err := tx.Take(&o, "id = ?", id).Error; err != nil {
		return err
	}
	if !IsOpen(o.Stage) {
		return nil
	}
	before := view(&o)
	from, now, old := o.Stage, s.now(), o.Version
	o.Stage, o.Probability, o.ClosedAt, o.LostReason = StageWon, 100, &now, ""
	o.Version, o.UpdatedAt = old+1, now
	if err := store.SaveVersioned(tx, &o, old); err != nil {
		return err
	}
	out := view(&o)
	if err := audit.Record(ctx, tx, "win", "opportunity", o.ID.String(), before, out); err != nil {
		return err
	}
	if err := s.recordStage(ctx, tx, &o, from, now); err != nil {
		return err
	}
	return outbox.Publish(ctx, tx, "opportunity.stage_changed", "opportunity", o.ID,
		map[string]any{"opportunity": out, "from": from, "to": StageWon, "contract_id": contractID})
}

// changesMoreThanNotes reports whether a PATCH of a closed opportunity touches anything but
// its description and, for a lost one, the reason.
func (u Update) changesMoreThanNotes() bool {
	return u.Name != nil || u.Probability != nil || u.Amount != nil || u.ExpectedCloseDate.Set() ||
		u.Source != nil || u.OwnerID != nil
}

// CustomerHasOpen reports, for pool exemptions, which of ids have a live opportunity.
func CustomerHasOpen(tx *gorm.DB, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	var with []uuid.UUID
	if err := tx.Model(&Opportunity{}).Where("customer_id IN ? AND stage IN ?", ids, OpenStages).
		Distinct().Pluck("customer_id", &with).Error; err != nil {
		return nil, err
	}
	out := map[uuid.UUID]bool{}
	for _, id := range with {
		out[id] = true
	}
	return out, nil
}

// PoolExemption keeps customers with a live opportunity out of the public pool when the
// tenant's rules say so (pool.exempt_open_opportunities); it is a customer.PoolExemption.
func PoolExemption(ctx context.Context, tx *gorm.DB, rules tenants.PoolRules, ids []uuid.UUID) (map[uuid.UUID]bool, error) {
	if !rules.ExemptOpenDeals || len(ids) == 0 {
		return nil, nil
	}
	return CustomerHasOpen(tx, ids)
}
