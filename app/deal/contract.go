package deal

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// Contract statuses: a draft is submitted for review (under_review), approved or rejected by
// a role the approval tiers name for its amount, and an approved contract is signed. A
// rejected contract is edited and submitted again.
const (
	ContractDraft       = "draft"
	ContractUnderReview = "under_review"
	ContractApproved    = "approved"
	ContractRejected    = "rejected"
	ContractSigned      = "signed"
)

// Contract is the stored record.
type Contract struct {
	TenantID      uuid.UUID `gorm:"primaryKey"`
	ID            uuid.UUID `gorm:"primaryKey"`
	Number        string
	Title         string
	CustomerID    uuid.UUID
	OpportunityID *uuid.UUID
	QuoteID       *uuid.UUID
	RenewalOfID   *uuid.UUID
	PartyA        string
	PartyB        string
	Amount        decimal.Decimal
	Currency      string
	Terms         string
	StartDate     *datatypes.Date
	EndDate       *datatypes.Date
	Status        string
	ApproverRole  string
	SubmittedAt   *time.Time
	SubmittedBy   *uuid.UUID
	ReviewedBy    *uuid.UUID
	ReviewedAt    *time.Time
	ReviewComment string
	SignedOn      *datatypes.Date
	SignedAt      *time.Time
	Overdue       bool
	OwnerID       uuid.UUID
	DepartmentID  *uuid.UUID
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Version       int64

	// ServiceCoverage says the contract covers the customer's after-sales service while it
	// runs: work orders of its customer are proposed as contract service (type B).
	ServiceCoverage bool

	// ApprovalReason says why the contract went to a more senior reviewer than its amount
	// needs (the customer's credit limit); "" when it did not.
	ApprovalReason string
}

// Key is the contract's ID.
func (c Contract) Key() uuid.UUID { return c.ID }

// Owner is the contract's owner and their department.
func (c Contract) Owner() (uuid.UUID, *uuid.UUID) { return c.OwnerID, c.DepartmentID }

func (c *Contract) money() money.Money { return money.New(c.Amount, c.Currency) }

// ContractView is a contract as the API shows it. party_a is the tenant's side, party_b the
// customer's.
type ContractView struct {
	ID            uuid.UUID   `json:"id"`
	Number        string      `json:"number"`
	Title         string      `json:"title"`
	CustomerID    uuid.UUID   `json:"customer_id"`
	OpportunityID *uuid.UUID  `json:"opportunity_id"`
	QuoteID       *uuid.UUID  `json:"quote_id"`
	RenewalOfID   *uuid.UUID  `json:"renewal_of_id"`
	PartyA        string      `json:"party_a"`
	PartyB        string      `json:"party_b"`
	Amount        money.Money `json:"amount"`
	Terms         string      `json:"terms"`
	StartDate     *string     `json:"start_date"`
	EndDate       *string     `json:"end_date"`
	Status        string      `json:"status"`
	ApproverRole  string      `json:"approver_role"`
	SubmittedAt   *time.Time  `json:"submitted_at"`
	SubmittedBy   *uuid.UUID  `json:"submitted_by"`
	ReviewedBy    *uuid.UUID  `json:"reviewed_by"`
	ReviewedAt    *time.Time  `json:"reviewed_at"`
	ReviewComment string      `json:"review_comment"`
	SignedOn      *string     `json:"signed_on"`
	SignedAt      *time.Time  `json:"signed_at"`
	Overdue       bool        `json:"overdue"`
	OwnerID       uuid.UUID   `json:"owner_id"`
	DepartmentID  *uuid.UUID  `json:"department_id"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	Version       int64       `json:"version"`

	ServiceCoverage bool `json:"service_coverage"`

	// ApprovalReason: why the review went to a more senior role (credit limit), "" if not.
	ApprovalReason string `json:"approval_reason"`
}

func contractView(c *Contract) ContractView {
	return ContractView{ID: c.ID, Number: c.Number, Title: c.Title, CustomerID: c.CustomerID, OpportunityID: c.OpportunityID,
		QuoteID: c.QuoteID, RenewalOfID: c.RenewalOfID, PartyA: c.PartyA, PartyB: c.PartyB, Amount: c.money(), Terms: c.Terms,
		StartDate: opportunity.FormatDate(c.StartDate), EndDate: opportunity.FormatDate(c.EndDate), Status: c.Status,
		ApproverRole: c.ApproverRole, SubmittedAt: c.SubmittedAt, SubmittedBy: c.SubmittedBy, ReviewedBy: c.ReviewedBy,
		ReviewedAt: c.ReviewedAt, ReviewComment: c.ReviewComment, SignedOn: opportunity.FormatDate(c.SignedOn), SignedAt: c.SignedAt,
		Overdue: c.Overdue, OwnerID: c.OwnerID, DepartmentID: c.DepartmentID, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version,
		ServiceCoverage: c.ServiceCoverage, ApprovalReason: c.ApprovalReason}
}

// ContractInput is the body of POST /contracts.
type ContractInput struct {
	Number        string     `json:"number" validate:"max=64"`
	Title         string     `json:"title" validate:"required,max=200"`
	CustomerID    uuid.UUID  `json:"customer_id" validate:"required"`
	OpportunityID *uuid.UUID `json:"opportunity_id"`
	QuoteID       *uuid.UUID `json:"quote_id"`
	RenewalOfID   *uuid.UUID `json:"renewal_of_id"`
	PartyA        string     `json:"party_a" validate:"max=200"`
	PartyB        string     `json:"party_b" validate:"max=200"`
	// Amount may be left out when QuoteID is given: the quote's total.
	Amount    money.Money `json:"amount"`
	Terms     string      `json:"terms" validate:"max=20000"`
	StartDate *string     `json:"start_date" validate:"omitempty,datetime=2006-01-02"`
	EndDate   *string     `json:"end_date" validate:"omitempty,datetime=2006-01-02"`

	// ServiceCoverage: the contract covers after-sales service between its start and end dates.
	ServiceCoverage bool `json:"service_coverage"`
}

func checkDates(start, end *datatypes.Date) error {
	if start != nil && end != nil && time.Time(*end).Before(time.Time(*start)) {
		return problem.Field("end_date", "invalid", "field.dates_order")
	}
	return nil
}

// linkContractRefs checks the quote and renewed contract a contract names: visible, and of the
// same customer.
func (s *Service) linkContractRefs(ctx context.Context, tx *gorm.DB, c *Contract) error {
	if err := s.linkOpportunity(ctx, tx, c.OpportunityID, c.CustomerID); err != nil {
		return err
	}
	if c.QuoteID != nil {
		q, err := loadScoped[Quote](ctx, s, tx, *c.QuoteID, "entity.quote")
		if problem.Is(err, problem.NotFound) {
			return problem.Field("quote_id", "not_found", "field.not_found")
		}
		if err != nil {
			return err
		}
		if q.CustomerID != c.CustomerID {
			return problem.Field("quote_id", "invalid", "field.other_customer")
		}
	}
	if c.RenewalOfID != nil {
		r, err := loadScoped[Contract](ctx, s, tx, *c.RenewalOfID, "entity.contract")
		if problem.Is(err, problem.NotFound) || (err == nil && r.ID == c.ID) {
			return problem.Field("renewal_of_id", "not_found", "field.not_found")
		}
		if err != nil {
			return err
		}
		if r.CustomerID != c.CustomerID {
			return problem.Field("renewal_of_id", "invalid", "field.other_customer")
		}
	}
	return nil
}

// CreateContract adds a draft contract owned by the acting user. party_a defaults to the
// company's name and party_b to the customer's. Fails with validation_failed or conflict
// (number taken).
func (s *Service) CreateContract(ctx context.Context, in ContractInput) (ContractView, error) {
	if err := noNUL(map[string]string{"number": in.Number, "title": in.Title, "party_a": in.PartyA, "party_b": in.PartyB, "terms": in.Terms}); err != nil {
		return ContractView{}, err
	}
	if strings.TrimSpace(in.Title) == "" {
		return ContractView{}, problem.Field("title", "required", "field.required")
	}
	// Without an amount, a contract made from a quote takes the quote's total.
	fromQuote := in.QuoteID != nil && in.Amount.Currency == "" && in.Amount.Amount.IsZero()
	if !fromQuote {
		if err := money.Check("amount", in.Amount, false); err != nil {
			return ContractView{}, err
		}
	}
	start, err := opportunity.ParseDate("start_date", in.StartDate)
	if err != nil {
		return ContractView{}, err
	}
	end, err := opportunity.ParseDate("end_date", in.EndDate)
	if err != nil {
		return ContractView{}, err
	}
	if err := checkDates(start, end); err != nil {
		return ContractView{}, err
	}
	now := s.now()
	c := &Contract{ID: uuid.Must(uuid.NewV7()), Number: strings.TrimSpace(in.Number), Title: strings.TrimSpace(in.Title),
		CustomerID: in.CustomerID, OpportunityID: in.OpportunityID, QuoteID: in.QuoteID, RenewalOfID: in.RenewalOfID,
		PartyA: strings.TrimSpace(in.PartyA), PartyB: strings.TrimSpace(in.PartyB), Amount: in.Amount.Amount, Currency: in.Amount.Currency,
		Terms: in.Terms, StartDate: start, EndDate: end, Status: ContractDraft, CreatedAt: now, UpdatedAt: now, Version: 1,
		ServiceCoverage: in.ServiceCoverage}
	if c.Number == "" {
		c.Number = newNumber("HT", now, c.ID)
	}
	var out ContractView
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		cust, err := opportunity.VisibleCustomer(ctx, tx, s.Authz, "customer_id", in.CustomerID)
		if err != nil {
			return err
		}
		if err := s.linkContractRefs(ctx, tx, c); err != nil {
			return err
		}
		if fromQuote {
			var q Quote
			if err := tx.Take(&q, "id = ?", *c.QuoteID).Error; err != nil {
				return err
			}
			c.Amount, c.Currency = q.Total, q.Currency
		}
		if c.OwnerID, c.DepartmentID, err = actorOwner(tx, tenantctx.ActorFrom(ctx).UserID); err != nil {
			return err
		}
		if c.PartyB == "" {
			c.PartyB = cust.Name
		}
		if c.PartyA == "" {
			t, err := tenantRow(ctx, tx)
			if err != nil {
				return err
			}
			c.PartyA = t.Name
		}
		if err := numberFree(tx, &Contract{}, c.Number); err != nil {
			return err
		}
		if err := tx.Create(c).Error; err != nil {
			return created(err)
		}
		out = contractView(c)
		if err := audit.Record(ctx, tx, "create", "contract", c.ID.String(), nil, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "contract.created", "contract", c.ID, map[string]any{"contract": out})
	})
	return out, err
}

func tenantRow(ctx context.Context, tx *gorm.DB) (*tenants.Tenant, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var t tenants.Tenant
	return &t, tx.Select("id", "name", "settings").Take(&t, "id = ?", tid).Error
}

// GetContract returns one contract.
func (s *Service) GetContract(ctx context.Context, id uuid.UUID) (ContractView, error) {
	return policies.GetScoped(ctx, s.DB, s.Authz, id, "entity.contract", showContract)
}

// showContract is contractView for reads through policies.GetScoped and ListScoped.
func showContract(_ *gorm.DB, c *Contract) (ContractView, error) { return contractView(c), nil }

// ContractFilter are the list parameters of GET /contracts.
type ContractFilter struct {
	api.ListParams
	CustomerID string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
	Status     string `query:"status" json:"-" validate:"omitempty,oneof=draft under_review approved rejected signed"`
	// Overdue lists contracts with (true) or without (false) overdue installments, as the daily
	// job last flagged them.
	Overdue *bool `query:"overdue" json:"-"`
	// EndBefore lists contracts ending before a date (renewals coming up).
	EndBefore string `query:"end_before" json:"-" validate:"omitempty,datetime=2006-01-02"`
}

// ListContracts returns a page of contracts in the actor's scope, oldest first.
func (s *Service) ListContracts(ctx context.Context, f ContractFilter) (api.Page[ContractView], error) {
	return policies.ListScoped(ctx, s.DB, s.Authz, f.ListParams, func(q *gorm.DB) *gorm.DB {
		if f.CustomerID != "" {
			q = q.Where("customer_id = ?", uuid.MustParse(f.CustomerID))
		}
		if f.Status != "" {
			q = q.Where("status = ?", f.Status)
		}
		if f.Overdue != nil {
			q = q.Where("overdue = ?", *f.Overdue)
		}
		if f.EndBefore != "" {
			d, _ := time.Parse(time.DateOnly, f.EndBefore)
			q = q.Where("end_date < ?", datatypes.Date(d))
		}
		return q
	}, showContract)
}

// ContractUpdate is a PATCH of a draft or rejected contract.
type ContractUpdate struct {
	Version     int64                   `json:"version" validate:"required"`
	Number      *string                 `json:"number" validate:"omitempty,min=1,max=64"`
	Title       *string                 `json:"title" validate:"omitempty,min=1,max=200"`
	PartyA      *string                 `json:"party_a" validate:"omitempty,min=1,max=200"`
	PartyB      *string                 `json:"party_b" validate:"omitempty,min=1,max=200"`
	Amount      *money.Money            `json:"amount"`
	Terms       *string                 `json:"terms" validate:"omitempty,max=20000"`
	StartDate   api.Nullable[string]    `json:"start_date"`
	EndDate     api.Nullable[string]    `json:"end_date"`
	RenewalOfID api.Nullable[uuid.UUID] `json:"renewal_of_id"`

	ServiceCoverage *bool `json:"service_coverage"`
}

// UpdateContract applies a PATCH; only drafts and rejected contracts change (what was
// reviewed is what gets signed). Fails with not_found, conflict (stale version, under review
// or later) or validation_failed.
func (s *Service) UpdateContract(ctx context.Context, id uuid.UUID, u ContractUpdate) (ContractView, error) {
	if err := ptrNoNUL(map[string]*string{"number": u.Number, "title": u.Title, "party_a": u.PartyA, "party_b": u.PartyB, "terms": u.Terms}); err != nil {
		return ContractView{}, err
	}
	if u.Amount != nil {
		if err := money.Check("amount", *u.Amount, false); err != nil {
			return ContractView{}, err
		}
	}
	return s.mutateContract(ctx, id, u.Version, "update", "contract.updated", func(tx *gorm.DB, c *Contract) error {
		if c.Status != ContractDraft && c.Status != ContractRejected {
			return problem.New(problem.Conflict, "contract_locked")
		}
		if u.Number != nil && strings.TrimSpace(*u.Number) != c.Number {
			if err := numberFree(tx, &Contract{}, strings.TrimSpace(*u.Number)); err != nil {
				return err
			}
			c.Number = strings.TrimSpace(*u.Number)
		}
		for _, f := range []struct {
			name string
			dst  *string
			v    *string
		}{{"title", &c.Title, u.Title}, {"party_a", &c.PartyA, u.PartyA}, {"party_b", &c.PartyB, u.PartyB}} {
			if f.v != nil {
				if strings.TrimSpace(*f.v) == "" {
					return problem.Field(f.name, "required", "field.required")
				}
				*f.dst = strings.TrimSpace(*f.v)
			}
		}
		if u.Terms != nil {
			c.Terms = *u.Terms
		}
		if u.ServiceCoverage != nil {
			c.ServiceCoverage = *u.ServiceCoverage
		}
		if u.Amount != nil {
			c.Amount, c.Currency = u.Amount.Amount, u.Amount.Currency
			if err := s.checkPlanTotal(tx, c, decimal.Zero); err != nil {
				return err
			}
		}
		var err error
		if u.StartDate.Set() {
			if c.StartDate, err = opportunity.ParseDate("start_date", u.StartDate.Ptr()); err != nil {
				return err
			}
		}
		if u.EndDate.Set() {
			if c.EndDate, err = opportunity.ParseDate("end_date", u.EndDate.Ptr()); err != nil {
				return err
			}
		}
		if err := checkDates(c.StartDate, c.EndDate); err != nil {
			return err
		}
		if u.RenewalOfID.Set() {
			c.RenewalOfID = u.RenewalOfID.Ptr()
			return s.linkContractRefs(ctx, tx, c)
		}
		return nil
	})
}

// mutateContract loads a visible contract, checks its version (0: no check), applies change,
// saves it, and writes the audit entry and the event — the path of every contract change.
func (s *Service) mutateContract(ctx context.Context, id uuid.UUID, version int64, action, event string,
	change func(tx *gorm.DB, c *Contract) error) (ContractView, error) {
	var out ContractView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		c, err := loadScoped[Contract](ctx, s, tx, id, "entity.contract")
		if err != nil {
			return err
		}
		if version != 0 && c.Version != version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		before := contractView(&c)
		if err := change(tx, &c); err != nil {
			return err
		}
		old := c.Version
		c.Version, c.UpdatedAt = old+1, s.now()
		if err := store.SaveVersioned(tx, &c, old); err != nil {
			return err
		}
		out = contractView(&c)
		if err := audit.Record(ctx, tx, action, "contract", c.ID.String(), before, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, event, "contract", c.ID, map[string]any{"contract": out})
	})
	if err == nil {
		s.changed(ctx, out.CustomerID)
	}
	return out, err
}

// reviewRules are what deciding a contract's approver needs: the tenant's approval tiers and
// its exchange rates. Load them once for many contracts.
type reviewRules struct {
	tiers []policies.Tier
	conv  *money.Converter
}

func loadReviewRules(ctx context.Context, tx *gorm.DB) (reviewRules, error) {
	t, err := tenantRow(ctx, tx)
	if err != nil {
		return reviewRules{}, err
	}
	tiers := t.Settings.Data().ApprovalTiers
	if len(tiers) == 0 {
		tiers = policies.DefaultTiers()
	}
	conv, err := money.LoadConverter(ctx, tx)
	return reviewRules{tiers: tiers, conv: conv}, err
}

// approver is the role the tiers name for c's amount, converted to the base currency at the
// rate valid on day (conflict no_rate without one), and that base amount.
func (r reviewRules) approver(c *Contract, day time.Time) (string, decimal.Decimal, error) {
	base, err := r.conv.ToBase(c.money(), day)
	if err != nil {
		return "", decimal.Zero, problem.New(problem.Conflict, "no_rate", c.Currency, day.Format(time.DateOnly))
	}
	return policies.ApproverFor(r.tiers, base), base, nil
}

// approver is reviewRules.approver for one contract.
func approver(ctx context.Context, tx *gorm.DB, c *Contract, day time.Time) (string, []policies.Tier, decimal.Decimal, error) {
	r, err := loadReviewRules(ctx, tx)
	if err != nil {
		return "", nil, decimal.Zero, err
	}
	role, base, err := r.approver(c, day)
	return role, r.tiers, base, err
}

// Submit sends a draft or rejected contract for review; the approver role for its amount is
// fixed on the contract for all to see. Fails with conflict when the contract is in another
// status or its currency has no exchange rate today.
func (s *Service) Submit(ctx context.Context, id uuid.UUID, version int64) (ContractView, error) {
	return s.mutateContract(ctx, id, version, "submit", "contract.submitted", func(tx *gorm.DB, c *Contract) error {
		if c.Status != ContractDraft && c.Status != ContractRejected {
			return problem.New(problem.Conflict, "transition", c.Status, ContractUnderReview)
		}
		now := s.now()
		role, tiers, base, err := approver(ctx, tx, c, now)
		if err != nil {
			return err
		}
		c.ApprovalReason = ""
		if s.CreditGate != nil {
			d, err := s.CreditGate(ctx, tx, CreditRequest{ContractID: c.ID, CustomerID: c.CustomerID, Amount: c.money(), Base: base,
				Role: role, Tiers: tiers, Day: now})
			if err != nil {
				return err
			}
			role, c.ApprovalReason = d.Role, d.Reason
		}
		actor := tenantctx.ActorFrom(ctx).UserID
		c.Status, c.ApproverRole, c.SubmittedAt, c.SubmittedBy = ContractUnderReview, role, &now, &actor
		c.ReviewedAt, c.ReviewedBy, c.ReviewComment = nil, nil, ""
		return nil
	})
}

// ReviewInput is the body of approve and reject.
type ReviewInput struct {
	Version int64  `json:"version" validate:"required"`
	Comment string `json:"comment" validate:"max=2000"`
}

// Review approves or rejects a contract under review (IAM-7): the reviewer needs the approver
// role fixed at submission (or a more senior one) — exchange rates or tiers recorded since do
// not move it — and cannot review a contract they own or submitted, whatever their role
// (approve_own). A rejection needs a comment. Fails with forbidden, conflict or
// validation_failed.
func (s *Service) Review(ctx context.Context, id uuid.UUID, in ReviewInput, approve bool) (ContractView, error) {
	if strings.IndexByte(in.Comment, 0) >= 0 {
		return ContractView{}, problem.Field("comment", "invalid", "field.invalid")
	}
	if !approve && strings.TrimSpace(in.Comment) == "" {
		return ContractView{}, problem.Field("comment", "required", "field.required")
	}
	action, to := "approve", ContractApproved
	if !approve {
		action, to = "reject", ContractRejected
	}
	return s.mutateContract(ctx, id, in.Version, action, "contract."+to, func(tx *gorm.DB, c *Contract) error {
		if c.Status != ContractUnderReview {
			return problem.New(problem.Conflict, "transition", c.Status, to)
		}
		actor := tenantctx.ActorFrom(ctx).UserID
		roles, err := s.Authz.UserRoles(ctx, actor)
		if err != nil {
			return err
		}
		if err := checkReviewer(c, actor, roles); err != nil {
			return err
		}
		role := c.ApproverRole
		now := s.now()
		c.Status, c.ApproverRole, c.ReviewedBy, c.ReviewedAt, c.ReviewComment = to, role, &actor, &now, strings.TrimSpace(in.Comment)
		return nil
	})
}

// checkReviewer is Review's rule for who may decide c: not its owner nor its submitter
// (forbidden approve_own), and only a role that may approve as c's approver role (forbidden
// approval_tier). A contract submitted before the approver role was stored has none: its
// reviewer needs the top tier's authority (the owner).
func checkReviewer(c *Contract, actor uuid.UUID, roles []string) error {
	if (c.SubmittedBy != nil && *c.SubmittedBy == actor) || (c.OwnerID == actor) {
		return problem.New(problem.Forbidden, "approve_own")
	}
	need := c.ApproverRole
	if need == "" {
		need = policies.Owner
	}
	if !policies.CanApproveAs(roles, need) {
		return problem.New(problem.Forbidden, "approval_tier", need)
	}
	return nil
}

// SignInput is the body of POST /contracts/{id}/sign.
type SignInput struct {
	Version  int64   `json:"version" validate:"required"`
	SignedOn *string `json:"signed_on" validate:"omitempty,datetime=2006-01-02"`
}

// Sign records the signature of an approved contract (event contract.signed). Fails with
// conflict when it is not approved.
func (s *Service) Sign(ctx context.Context, id uuid.UUID, in SignInput) (ContractView, error) {
	on, err := opportunity.ParseDate("signed_on", in.SignedOn)
	if err != nil {
		return ContractView{}, err
	}
	return s.mutateContract(ctx, id, in.Version, "sign", "contract.signed", func(tx *gorm.DB, c *Contract) error {
		if c.Status != ContractApproved {
			return problem.New(problem.Conflict, "transition", c.Status, ContractSigned)
		}
		now := s.now()
		if on == nil {
			local, err := localDay(ctx, tx, now)
			if err != nil {
				return err
			}
			d := datatypes.Date(local)
			on = &d
		}
		c.Status, c.SignedOn, c.SignedAt = ContractSigned, on, &now
		if c.OpportunityID != nil {
			return s.Opps.WinTx(ctx, tx, *c.OpportunityID, c.ID) // the signature wins the deal
		}
		return nil
	})
}

// ServiceContract is a signed contract covering a customer's after-sales service.
type ServiceContract struct {
	ID     uuid.UUID
	Number string
}

// ServiceContractFor finds, in tx, a signed contract of customerID with service coverage that
// runs on day (start and end dates inclusive; an open end runs on), the one signed last; nil
// when there is none. After-sales service proposes contract service (type B) from it.
func ServiceContractFor(tx *gorm.DB, customerID uuid.UUID, day time.Time) (*ServiceContract, error) {
	d := datatypes.Date(today(day))
	var cs []Contract
	err := tx.Select("tenant_id", "id", "number").
		Where("customer_id = ? AND status = ? AND service_coverage = ?", customerID, ContractSigned, true).
		Where("(start_date IS NULL OR start_date <= ?) AND (end_date IS NULL OR end_date >= ?)", d, d).
		Order("signed_at DESC").Order("id DESC").Limit(1).Find(&cs).Error
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return &ServiceContract{ID: cs[0].ID, Number: cs[0].Number}, nil
}
