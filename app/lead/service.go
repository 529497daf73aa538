package lead

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/fieldcrypt"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// Service runs leads.
type Service struct {
	DB        *store.DB
	Authz     *policies.Authorizer
	Keys      *fieldcrypt.Keys
	Customers *customer.Service
	// Opportunities creates the opportunity of a conversion; nil refuses conversions that
	// ask for one.
	Opportunities *opportunity.Service
	// Notify tells owners about leads the assignment rules gave them; nil tells nobody.
	Notify *notify.Service
	// Jobs runs imports; nil leaves them queued (the queued-run sweep enqueues them later).
	Jobs *jobs.Queue
	Now  func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Input is the body of POST /leads (and one imported row).
type Input struct {
	Name     string `json:"name" validate:"required,max=100"`
	Company  string `json:"company" validate:"max=200"`
	Phone    string `json:"phone" validate:"max=40"`
	Email    string `json:"email" validate:"omitempty,email,max=254"`
	Source   string `json:"source" validate:"omitempty,oneof=market_research industry_event partner_referral online cold_call walk_in other"`
	Region   string `json:"region" validate:"max=100"`
	Industry string `json:"industry" validate:"max=100"`
	Status   string `json:"status" validate:"omitempty,oneof=new contacted qualified disqualified"`
	// OwnerID names the owner (another than oneself needs lead:assign); without it the
	// tenant's assignment rules choose one, else the creator owns the lead.
	OwnerID      *uuid.UUID       `json:"owner_id"`
	DepartmentID *uuid.UUID       `json:"department_id"`
	Notes        string           `json:"notes" validate:"max=5000"`
	Product      string           `json:"product" validate:"max=200"`
	Quantity     *decimal.Decimal `json:"quantity"`
	CustomFields map[string]any   `json:"custom_fields"`
}

// Update is a PATCH of a lead: absent fields stay; version is required.
type Update struct {
	Version      int64                   `json:"version" validate:"required"`
	Name         *string                 `json:"name" validate:"omitempty,max=100"`
	Company      *string                 `json:"company" validate:"omitempty,max=200"`
	Phone        *string                 `json:"phone" validate:"omitempty,max=40"`
	Email        *string                 `json:"email" validate:"omitempty,max=254"`
	Source       *string                 `json:"source" validate:"omitempty,oneof=market_research industry_event partner_referral online cold_call walk_in other"`
	Region       *string                 `json:"region" validate:"omitempty,max=100"`
	Industry     *string                 `json:"industry" validate:"omitempty,max=100"`
	Status       *string                 `json:"status" validate:"omitempty,oneof=new contacted qualified converted disqualified"`
	OwnerID      api.Nullable[uuid.UUID] `json:"owner_id"`
	Notes        *string                 `json:"notes" validate:"omitempty,max=5000"`
	Product      *string                 `json:"product" validate:"omitempty,max=200"`
	Quantity     api.Nullable[string]    `json:"quantity"`
	CustomFields map[string]any          `json:"custom_fields"`
}

func aad(tenant, id uuid.UUID) string { return tenant.String() + "/" + id.String() + "/lead.phone" }

func (s *Service) view(l *Lead) (View, error) {
	phone, err := s.Keys.Open(l.PhoneEnc, aad(l.TenantID, l.ID))
	if err != nil {
		return View{}, err
	}
	v := View{ID: l.ID, Name: l.Name, Company: l.Company, Phone: phone, Email: l.Email, Source: l.Source, Region: l.Region,
		Industry: l.Industry, Status: l.Status, OwnerID: l.OwnerID, DepartmentID: l.DepartmentID, Notes: l.Notes,
		Product: l.Product, CustomFields: l.CustomFields.Data(), CustomerID: l.CustomerID, ContactID: l.ContactID,
		OpportunityID: l.OpportunityID, ConvertedAt: l.ConvertedAt, CreatedAt: l.CreatedAt.UTC(), UpdatedAt: l.UpdatedAt.UTC(), Version: l.Version}
	if l.Quantity.Valid {
		q := l.Quantity.Decimal
		v.Quantity = &q
	}
	if v.CustomFields == nil {
		v.CustomFields = map[string]any{}
	}
	return v, nil
}

func (s *Service) sealPhone(l *Lead, phone string) error {
	phone = strings.TrimSpace(phone)
	enc, err := s.Keys.Seal(phone, aad(l.TenantID, l.ID))
	if err != nil {
		return err
	}
	l.PhoneEnc, l.PhoneHash = enc, s.Keys.PhoneHash(l.TenantID.String(), phone)
	return nil
}

// redacted is a view for audit entries and events: the phone masked.
func redacted(v View) View {
	if v.Phone != "" {
		v.Phone = "***"
	}
	return v
}

func record(ctx context.Context, tx *gorm.DB, action, event string, before *View, after View, extra map[string]any) error {
	var b any
	if before != nil {
		b = *before
	}
	changes, err := audit.Diff(b, after)
	if err != nil {
		return err
	}
	audit.Mask(changes, "phone")
	if err := audit.RecordChanges(ctx, tx, action, "lead", after.ID.String(), changes); err != nil {
		return err
	}
	if event == "" {
		return nil
	}
	payload := map[string]any{"lead": redacted(after)}
	for k, v := range extra {
		payload[k] = v
	}
	return outbox.Publish(ctx, tx, event, "lead", after.ID, payload)
}

// checkQuantity refuses negative or absurd quantities.
func checkQuantity(q *decimal.Decimal) error {
	if q != nil && (q.IsNegative() || q.GreaterThanOrEqual(decimal.New(1, 15))) {
		return problem.Field("quantity", "out_of_range", "field.out_of_range")
	}
	return nil
}

func hasNUL(vals ...string) bool {
	for _, v := range vals {
		if strings.IndexByte(v, 0) >= 0 {
			return true
		}
	}
	return false
}

// newLead builds a lead from a validated Input without touching the database.
func (s *Service) newLead(ctx context.Context, in Input) (*Lead, error) {
	tid, _ := tenantctx.TenantID(ctx)
	now := s.now()
	l := &Lead{TenantID: tid, ID: uuid.Must(uuid.NewV7()), Name: strings.TrimSpace(in.Name), Company: strings.TrimSpace(in.Company),
		Email: strings.TrimSpace(in.Email), Source: in.Source, Region: strings.TrimSpace(in.Region), Industry: strings.TrimSpace(in.Industry),
		Status: in.Status, OwnerID: in.OwnerID, DepartmentID: in.DepartmentID, Notes: in.Notes, Product: strings.TrimSpace(in.Product),
		CustomFields: datatypes.NewJSONType(in.CustomFields), CreatedAt: now, UpdatedAt: now, Version: 1}
	if l.Status == "" {
		l.Status = StatusNew
	}
	if l.CustomFields.Data() == nil {
		l.CustomFields = datatypes.NewJSONType(map[string]any{})
	}
	if l.Name == "" {
		return nil, problem.Field("name", "required", "field.required")
	}
	if hasNUL(l.Name, l.Company, l.Notes, l.Product, l.Region, l.Industry, in.Phone) {
		return nil, problem.Field("name", "invalid", "field.invalid")
	}
	if err := checkQuantity(in.Quantity); err != nil {
		return nil, err
	}
	if in.Quantity != nil {
		l.Quantity = decimal.NullDecimal{Decimal: *in.Quantity, Valid: true}
	}
	return l, s.sealPhone(l, in.Phone)
}

// Create adds a lead. Without an owner the assignment rules pick one, else the creator owns
// it. Errors: validation_failed, forbidden (naming another owner without lead:assign).
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	if err := s.checkAssign(ctx, in.OwnerID); err != nil {
		return View{}, err
	}
	l, err := s.newLead(ctx, in)
	if err != nil {
		return View{}, err
	}
	var out View
	var byRule bool
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		byRule, err = s.createTx(ctx, tx, l, in.DepartmentID)
		if err != nil {
			return err
		}
		out, err = s.view(l)
		return err
	})
	if err == nil && byRule {
		s.tellOwner(ctx, l)
	}
	return out, err
}

// checkAssign requires lead:assign to name an owner other than the actor.
func (s *Service) checkAssign(ctx context.Context, owner *uuid.UUID) error {
	if actor := tenantctx.ActorFrom(ctx); owner != nil && *owner != actor.UserID && s.Authz != nil {
		return s.Authz.Require(ctx, "lead", "assign")
	}
	return nil
}

// createTx assigns an owner when there is none (rules, else the actor), checks the owner and
// department, and inserts l with its audit entry and lead.created event. byRule reports that a
// rule chose the owner.
func (s *Service) createTx(ctx context.Context, tx *gorm.DB, l *Lead, dept *uuid.UUID) (byRule bool, err error) {
	if l.OwnerID == nil {
		owner, err := s.assign(ctx, tx, l)
		if err != nil {
			return false, err
		}
		if owner != nil {
			l.OwnerID, byRule = owner, true
		} else if a := tenantctx.ActorFrom(ctx).UserID; a != uuid.Nil {
			l.OwnerID = &a
		}
	}
	if err := setOwnerAndDepartment(tx, l, dept); err != nil {
		return false, err
	}
	if err := tx.Create(l).Error; err != nil {
		return false, err
	}
	v, err := s.view(l)
	if err != nil {
		return false, err
	}
	return byRule, record(ctx, tx, "create", "lead.created", nil, v, map[string]any{"assigned_by_rule": byRule})
}

// userRow reads the org table (owned by app/org) for the assignment rules.
type userRow struct {
	TenantID     uuid.UUID `gorm:"primaryKey"`
	ID           uuid.UUID `gorm:"primaryKey"`
	DepartmentID *uuid.UUID
	Status       string
}

func (userRow) TableName() string { return "users" }

// setOwnerAndDepartment checks that the owner is an active user and the department exists;
// the department defaults to the owner's.
func setOwnerAndDepartment(tx *gorm.DB, l *Lead, dept *uuid.UUID) error {
	d, err := org.AssignOwner(tx, l.OwnerID, dept)
	if err != nil {
		return err
	}
	l.DepartmentID = d
	return nil
}

// tellOwner notifies the owner a rule gave the lead to (in the app; failures only cost the
// notice).
func (s *Service) tellOwner(ctx context.Context, l *Lead) {
	if s.Notify == nil || l.OwnerID == nil || *l.OwnerID == tenantctx.ActorFrom(ctx).UserID {
		return
	}
	id := l.ID
	_, _ = s.Notify.Notify(ctx, *l.OwnerID, notify.Message{Kind: "lead_assigned", Key: "lead_assigned", Args: []any{l.Name},
		Entity: "lead", EntityID: &id, DedupeKey: "lead_assigned:" + l.ID.String() + ":" + l.OwnerID.String()})
}

// load reads a live lead within the actor's data scope; anything else is not_found.
func (s *Service) load(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*Lead, error) {
	var l Lead
	err := tx.Take(&l, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && l.DeletedAt != nil) {
		return nil, problem.NotFoundf("entity.lead")
	}
	if err != nil {
		return nil, err
	}
	f, err := s.Authz.ScopeFilter(ctx, tx)
	if err != nil {
		return nil, err
	}
	if !f.Allows(deref(l.OwnerID), deref(l.DepartmentID)) {
		return nil, problem.NotFoundf("entity.lead")
	}
	return &l, nil
}

func deref(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}

// Get returns one lead.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (View, error) {
	var out View
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		l, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = s.view(l)
		return err
	})
	return out, err
}

// Filter is GET /leads.
type Filter struct {
	api.ListParams
	// Q is a substring of the name or company, or an exact phone number.
	Q            string `query:"q" json:"-" validate:"max=100"`
	Status       string `query:"status" json:"-" validate:"omitempty,oneof=new contacted qualified converted disqualified"`
	OwnerID      string `query:"owner_id" json:"-" validate:"omitempty,uuid"`
	DepartmentID string `query:"department_id" json:"-" validate:"omitempty,uuid"`
	Source       string `query:"source" json:"-" validate:"max=50"`
	Region       string `query:"region" json:"-" validate:"max=100"`
	Industry     string `query:"industry" json:"-" validate:"max=100"`
}

// List pages the leads the actor may see, newest first.
func (s *Service) List(ctx context.Context, f Filter) (api.Page[View], error) {
	after, err := f.AfterID()
	if err != nil {
		return api.Page[View]{}, err
	}
	if hasNUL(f.Q, f.Source, f.Region, f.Industry) {
		return api.Page[View]{}, problem.Field("q", "invalid", "field.invalid")
	}
	limit := f.PageSize()
	var out api.Page[View]
	err = s.DB.Read(ctx, func(tx *gorm.DB) error {
		scope, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return err
		}
		q := scope.Apply(tx.Model(&Lead{}).Where("leads.deleted_at IS NULL"), "leads.owner_id", "leads.department_id")
		for col, v := range map[string]string{"status": f.Status, "source": f.Source, "region": f.Region, "industry": f.Industry} {
			if v != "" {
				q = q.Where("leads."+col+" = ?", v)
			}
		}
		for col, v := range map[string]string{"owner_id": f.OwnerID, "department_id": f.DepartmentID} {
			if v != "" {
				q = q.Where("leads."+col+" = ?", uuid.MustParse(v))
			}
		}
		if term := strings.TrimSpace(f.Q); term != "" {
			tid, _ := tenantctx.TenantID(ctx)
			like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(term) + "%"
			op := "LIKE"
			if s.DB.Dialect == store.Postgres {
				op = "ILIKE"
			}
			cond := "(leads.name " + op + " ? ESCAPE '\\' OR leads.company " + op + " ? ESCAPE '\\'"
			args := []any{like, like}
			// A term with seven or more digits may be a phone number: exact match by hash.
			if digits := fieldcrypt.NormalizePhone(term); len(strings.TrimPrefix(digits, "+")) >= 7 {
				cond += " OR leads.phone_hash = ?"
				args = append(args, s.Keys.PhoneHash(tid.String(), term))
			}
			q = q.Where(cond+")", args...)
		}
		if after != uuid.Nil {
			q = q.Where("leads.id < ?", after)
		}
		var rows []Lead
		if err := q.Order("leads.id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
			return err
		}
		views := make([]View, 0, len(rows))
		for i := range rows {
			v, err := s.view(&rows[i])
			if err != nil {
				return err
			}
			views = append(views, v)
		}
		out = api.IDPage(views, limit, func(v View) uuid.UUID { return v.ID })
		return nil
	})
	return out, err
}

// mutate loads a visible lead, checks its version, applies change, saves it with the version
// bumped and records the change — the path of every lead change.
func (s *Service) mutate(ctx context.Context, id uuid.UUID, version int64, action, event string,
	change func(tx *gorm.DB, l *Lead) (map[string]any, error)) (View, error) {
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		l, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if version != 0 && l.Version != version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		before, err := s.view(l)
		if err != nil {
			return err
		}
		extra, err := change(tx, l)
		if err != nil {
			return err
		}
		old := l.Version
		l.UpdatedAt, l.Version = s.now(), old+1
		if err := store.SaveVersioned(tx, l, old); err != nil {
			return err
		}
		if out, err = s.view(l); err != nil {
			return err
		}
		return record(ctx, tx, action, event, &before, out, extra)
	})
	return out, err
}

// Update applies a PATCH. Errors: not_found, validation_failed, forbidden (changing the owner
// without lead:assign), conflict (stale version; a converted lead; status "converted" set by
// hand).
func (s *Service) Update(ctx context.Context, id uuid.UUID, u Update) (View, error) {
	if u.OwnerID.Set() && s.Authz != nil {
		if err := s.Authz.Require(ctx, "lead", "assign"); err != nil {
			return View{}, err
		}
	}
	var qty *decimal.Decimal
	if u.Quantity.Set() && !u.Quantity.Null() {
		q, err := decimal.NewFromString(u.Quantity.Value())
		if err != nil {
			return View{}, problem.Field("quantity", "invalid_format", "field.invalid_format")
		}
		if err := checkQuantity(&q); err != nil {
			return View{}, err
		}
		qty = &q
	}
	if u.Name != nil && strings.TrimSpace(*u.Name) == "" {
		return View{}, problem.Field("name", "required", "field.required")
	}
	if u.Email != nil && strings.TrimSpace(*u.Email) != "" && api.Validate.Var(strings.TrimSpace(*u.Email), "email") != nil {
		return View{}, problem.Field("email", "invalid_format", "field.invalid_format")
	}
	for _, p := range []*string{u.Name, u.Company, u.Phone, u.Notes, u.Product, u.Region, u.Industry} {
		if p != nil && hasNUL(*p) {
			return View{}, problem.Field("name", "invalid", "field.invalid")
		}
	}
	return s.mutate(ctx, id, u.Version, "update", "lead.updated", func(tx *gorm.DB, l *Lead) (map[string]any, error) {
		if l.Status == StatusConverted {
			return nil, problem.New(problem.Conflict, "lead_converted")
		}
		if u.Status != nil && *u.Status == StatusConverted {
			return nil, problem.New(problem.Conflict, "lead_status_converted")
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = strings.TrimSpace(*v)
			}
		}
		set(&l.Name, u.Name)
		set(&l.Company, u.Company)
		set(&l.Email, u.Email)
		set(&l.Source, u.Source)
		set(&l.Region, u.Region)
		set(&l.Industry, u.Industry)
		set(&l.Status, u.Status)
		set(&l.Product, u.Product)
		if u.Notes != nil {
			l.Notes = *u.Notes
		}
		if u.Phone != nil {
			if err := s.sealPhone(l, *u.Phone); err != nil {
				return nil, err
			}
		}
		if u.Quantity.Set() {
			l.Quantity = decimal.NullDecimal{}
			if qty != nil {
				l.Quantity = decimal.NullDecimal{Decimal: *qty, Valid: true}
			}
		}
		if u.CustomFields != nil {
			l.CustomFields = datatypes.NewJSONType(u.CustomFields)
		}
		if u.OwnerID.Set() {
			l.OwnerID = u.OwnerID.Ptr()
			if err := setOwnerAndDepartment(tx, l, nil); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}

// Delete removes a lead (kept with deleted_at for the history).
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	_, err := s.mutate(ctx, id, 0, "delete", "lead.deleted", func(_ *gorm.DB, l *Lead) (map[string]any, error) {
		now := s.now()
		l.DeletedAt = &now
		return nil, nil
	})
	return err
}
