// Package service is after-sales service (SVC-1, SVC-2; seed 001 第6–13條): work orders 服務工單
// registered from a call or document, typed paid (A), contract (B), free (C) or internal (D) —
// proposed from the product's warranty and the customer's service contracts, overridden with a
// reason —, dispatched by the service manager to a technician or left in a shared pool that
// technicians claim from, carried out with service records (times, labour, work done, parts,
// costs), countersigned by the service manager, signed off by the customer on site or through
// a signed one-time link that needs no account, invoiced by finance when paid, and closed.
// Remote service needs an application approved by a department manager before the work
// starts. Work left undispatched is carried over to the next day by a periodic job.
//
// Every change writes a history step, an audit entry and an outbox event (work_order.completed
// among them, for plugins), and shows on the customer's timeline.
package service

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/catalog"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/deal"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/listing"
	"github.com/smecrm/crm/app/notify"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/publiclink"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// Service runs work orders and remote-service applications.
type Service struct {
	DB    *store.DB
	Authz *policies.Authorizer
	// Links issues and checks the public sign-off links; Mail sends them to the contact.
	Links *publiclink.Links
	Mail  notify.Mailer
	// Notify tells technicians of the work dispatched to them; nil tells nobody.
	Notify *notify.Service
	Log    *slog.Logger
	Now    func() time.Time
	// OnEvent are other areas' reactions to a work order's events (work_order.signed_off, …;
	// server.New sets them): each runs in the change's transaction, after its outbox event, with
	// the work order as it is now; an error rolls the change back.
	OnEvent []func(ctx context.Context, tx *gorm.DB, event string, w View) error
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// RegisterJobs adds the carry-over of undispatched work.
func (s *Service) RegisterJobs(q *jobs.Queue) { registerCarryOverJob(s, q) }

// Channels a request can come in by; Urgencies how soon it needs doing.
var (
	Channels  = []string{"phone", "email", "document", "visit", "web", "wechat", "other"}
	Urgencies = []string{"low", "normal", "high", "urgent"}
	Types     = []string{TypePaid, TypeContract, TypeFree, TypeInternal}
)

// Input is the body of POST /work-orders: a request entered in the service register (第7條).
// The type is proposed when left out; a type other than the proposal needs type_reason.
type Input struct {
	CustomerID uuid.UUID  `json:"customer_id" validate:"required"`
	ContactID  *uuid.UUID `json:"contact_id"`
	Type       string     `json:"type" validate:"omitempty,oneof=paid contract free internal"`
	TypeReason string     `json:"type_reason" validate:"max=1000"`
	ProductID  *uuid.UUID `json:"product_id"`
	// Model is the product model; it defaults to the catalogue product's name.
	Model         string  `json:"model" validate:"max=200"`
	Specification string  `json:"specification" validate:"max=200"`
	Serial        string  `json:"serial" validate:"max=100"`
	PurchaseDate  *string `json:"purchase_date" validate:"omitempty,datetime=2006-01-02"`
	PurchasePlace string  `json:"purchase_place" validate:"max=200"`
	Fault         string  `json:"fault" validate:"required,max=5000"`
	Channel       string  `json:"channel" validate:"required,oneof=phone email document visit web wechat other"`
	Urgency       string  `json:"urgency" validate:"required,oneof=low normal high urgent"`
}

// Register enters a work order in the service register, numbered by the tenant's pattern,
// with its type proposed (and, when given, overridden with a reason). It is registered and in
// the shared pool until dispatched or claimed. Fails with validation_failed (input, a customer
// the actor cannot see, a contact not of that customer, an unknown product, an override
// without reason).
func (s *Service) Register(ctx context.Context, in Input) (View, error) {
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		out, err = s.RegisterTx(ctx, tx, in)
		return err
	})
	return out, err
}

// RegisterTx is Register inside another area's transaction tx (a complaint's repair remedy
// opens its work order this way, so both exist or neither), acting as the context's actor.
func (s *Service) RegisterTx(ctx context.Context, tx *gorm.DB, in Input) (View, error) {
	if err := problem.CleanText(map[string]*string{"type_reason": &in.TypeReason, "model": &in.Model, "specification": &in.Specification,
		"serial": &in.Serial, "purchase_place": &in.PurchasePlace, "fault": &in.Fault}); err != nil {
		return View{}, err
	}
	if in.Fault == "" {
		return View{}, problem.Field("fault", "required", "field.required")
	}
	purchase, err := opportunity.ParseDate("purchase_date", in.PurchaseDate)
	if err != nil {
		return View{}, err
	}
	now := s.now()
	actor := tenantctx.ActorFrom(ctx).UserID
	w := &WorkOrder{ID: uuid.Must(uuid.NewV7()), CustomerID: in.CustomerID, ContactID: in.ContactID, ProductID: in.ProductID,
		Model: in.Model, Specification: in.Specification, Serial: in.Serial, PurchaseDate: purchase, PurchasePlace: in.PurchasePlace,
		Fault: in.Fault, Channel: in.Channel, Urgency: in.Urgency, Status: StatusRegistered, RegisteredBy: actor,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	return s.register(ctx, tx, in, w, purchase, now, actor)
}

func (s *Service) register(ctx context.Context, tx *gorm.DB, in Input, w *WorkOrder, purchase *datatypes.Date, now time.Time, actor uuid.UUID) (View, error) {
	var out View
	err := func() error {
		if _, err := opportunity.VisibleCustomer(ctx, tx, s.Authz, "customer_id", in.CustomerID); err != nil {
			return err
		}
		if err := checkContact(tx, w.CustomerID, w.ContactID); err != nil {
			return err
		}
		st, err := settingsOf(ctx, tx)
		if err != nil {
			return err
		}
		day, err := localDay(ctx, tx, now)
		if err != nil {
			return err
		}
		if purchase != nil && time.Time(*purchase).After(day) {
			return problem.Field("purchase_date", "out_of_range", "field.out_of_range")
		}
		product, err := loadProduct(tx, w.ProductID)
		if err != nil {
			return err
		}
		if w.Model == "" && product != nil {
			w.Model = product.Name
		}
		if w.Model == "" {
			return problem.Field("model", "required", "field.required")
		}
		if err := propose(tx, w, product, st, day); err != nil {
			return err
		}
		if err := setType(w, in.Type, in.TypeReason); err != nil {
			return err
		}
		if w.RegisteredDepartmentID, err = org.OwnerDepartment(tx, "registered_by", actor); err != nil {
			return err
		}
		if w.Number, err = nextNumber(ctx, tx, st.NumberPattern, day); err != nil {
			return err
		}
		if err := tx.Create(w).Error; err != nil {
			if store.IsDuplicate(err) {
				return problem.New(problem.Conflict, "number_taken")
			}
			return err
		}
		out = view(w, nil)
		if err := addHistory(ctx, tx, w, "register", "", "", now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, "create", "work_order", w.ID.String(), nil, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "work_order.registered", "work_order", w.ID, map[string]any{"work_order": out})
	}()
	return out, err
}

func checkContact(tx *gorm.DB, customerID uuid.UUID, contactID *uuid.UUID) error {
	if contactID == nil {
		return nil
	}
	ok, err := customer.ContactOf(tx, customerID, *contactID)
	if err != nil {
		return err
	}
	if !ok {
		return problem.Field("contact_id", "not_found", "field.not_found")
	}
	return nil
}

func loadProduct(tx *gorm.DB, id *uuid.UUID) (*catalog.Product, error) {
	if id == nil {
		return nil, nil
	}
	p, err := catalog.Load(tx, *id)
	if problem.Is(err, problem.NotFound) {
		return nil, problem.Field("product_id", "not_found", "field.not_found")
	}
	return p, err
}

// propose sets w's proposed type as of day (the tenant's date): free (C) while the product
// bought on the purchase date is under warranty (the product's months, else the tenant's
// default) — the warranty is the product's own promise, so it comes first —, else contract
// service (B) when a signed contract of the customer with service coverage runs on day, else
// paid (A). Internal work (D) is never proposed: it is chosen, with a reason.
func propose(tx *gorm.DB, w *WorkOrder, product *catalog.Product, st Settings, day time.Time) error {
	w.TypeProposed, w.CoverageContractID, w.WarrantyUntil = TypePaid, nil, nil
	if w.PurchaseDate != nil {
		months := st.DefaultWarrantyMonths
		if product != nil && product.WarrantyMonths != nil {
			months = *product.WarrantyMonths
		}
		// The last day covered: bought on 10 January with 12 months, covered through 9 January.
		until := datatypes.Date(time.Time(*w.PurchaseDate).AddDate(0, months, -1))
		w.WarrantyUntil = &until
		if !day.After(time.Time(until)) {
			w.TypeProposed = TypeFree
			return nil
		}
	}
	c, err := deal.ServiceContractFor(tx, w.CustomerID, day)
	if err != nil {
		return err
	}
	if c != nil {
		w.TypeProposed, w.CoverageContractID = TypeContract, &c.ID
	}
	return nil
}

// setType applies a requested type (empty: the proposal). A type other than the proposal is
// an override and needs a reason, which is kept; following the proposal clears it.
func setType(w *WorkOrder, typ, reason string) error {
	if typ == "" || typ == w.TypeProposed {
		w.Type, w.TypeReason = w.TypeProposed, ""
		return nil
	}
	if reason == "" {
		return problem.Field("type_reason", "required", "service.type_reason")
	}
	w.Type, w.TypeReason = typ, reason
	return nil
}

// nextNumber takes the next number of the pattern for day from the tenant's counter of that
// period, skipping numbers already in use (a pattern changed back and forth).
func nextNumber(ctx context.Context, tx *gorm.DB, pattern string, day time.Time) (string, error) {
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return "", store.ErrNoTenant
	}
	scope := numberScope(pattern, day)
	for range 1000 {
		var seq int64
		// Raw SQL names the tenant itself; the upsert makes concurrent registrations queue on
		// the counter's row instead of taking the same number.
		if err := tx.Raw(`INSERT INTO work_order_sequences (tenant_id, scope, value) VALUES (?, ?, 1)
			ON CONFLICT (tenant_id, scope) DO UPDATE SET value = work_order_sequences.value + 1 RETURNING value`, tid, scope).
			Scan(&seq).Error; err != nil {
			return "", err
		}
		number := renderNumber(pattern, scope, seq)
		var n int64
		if err := tx.Model(&WorkOrder{}).Where("number = ?", number).Count(&n).Error; err != nil {
			return "", err
		}
		if n == 0 {
			return number, nil
		}
	}
	return "", problem.New(problem.Conflict, "number_taken")
}

func today(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// tenantLocation is the context tenant's time zone (settings.time_zone), UTC when unknown.
func tenantLocation(ctx context.Context, tx *gorm.DB) (*time.Location, error) {
	t, err := tenantRow(ctx, tx)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(t.Settings.Data().TimeZone)
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}

// localDay is the calendar day of t in the tenant's time zone, as a UTC midnight like stored
// dates.
func localDay(ctx context.Context, tx *gorm.DB, t time.Time) (time.Time, error) {
	loc, err := tenantLocation(ctx, tx)
	if err != nil {
		return time.Time{}, err
	}
	return today(t.In(loc)), nil
}

// addHistory writes the history step of w's latest change (from: the status before it; ""
// when it did not change status).
func addHistory(ctx context.Context, tx *gorm.DB, w *WorkOrder, action, from, reason string, at time.Time) error {
	h := History{ID: uuid.Must(uuid.NewV7()), WorkOrderID: w.ID, CustomerID: w.CustomerID, Action: action,
		FromStatus: from, ToStatus: w.Status, Reason: reason, TechnicianID: w.TechnicianID, At: at}
	if a := tenantctx.ActorFrom(ctx); a.UserID != uuid.Nil {
		id := a.UserID
		h.ActorID = &id
	}
	return tx.Create(&h).Error
}

// Data scopes. A work order is seen by whoever's scope holds its technician (and the
// technician's department) or the person who registered it (and their department), and while
// it waits in the shared pool by everyone who may read work orders: technicians (scope own)
// see their own work and the pool; the service manager sees the pool, the department's work
// and what the department registered; customer service what it registered.

func sees(f policies.Filter, w *WorkOrder) bool {
	reg := w.RegisteredBy
	return w.pooled() || f.AllowsRef(w.TechnicianID, w.DepartmentID) || f.AllowsRef(&reg, w.RegisteredDepartmentID)
}

// scoped narrows a query of work orders to those f sees.
func scoped(tx, q *gorm.DB, f policies.Filter) *gorm.DB {
	cond := tx.Session(&gorm.Session{NewDB: true})
	switch f.Scope {
	case policies.ScopeAll:
		return q
	case policies.ScopeDepartment, policies.ScopeDepartmentTree:
		cond = cond.Where("department_id IN ?", f.Departments).Or("registered_department_id IN ?", f.Departments)
	default:
		cond = cond.Where("technician_id IN ?", f.Owners).Or("registered_by IN ?", f.Owners)
	}
	return q.Where(cond.Or("status = ? AND technician_id IS NULL", StatusRegistered))
}

// load reads work order id in tx when the actor sees it; anything else (missing, another
// tenant's, outside the scope) is not_found.
func (s *Service) load(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*WorkOrder, error) {
	return policies.LoadVisible(ctx, tx, s.Authz, id, "entity.work_order", sees)
}

func costsOf(tx *gorm.DB, ids []uuid.UUID) (map[uuid.UUID][]Cost, error) {
	out := map[uuid.UUID][]Cost{}
	if len(ids) == 0 {
		return out, nil
	}
	var cs []Cost
	if err := tx.Where("work_order_id IN ?", ids).Order("id").Find(&cs).Error; err != nil {
		return nil, err
	}
	for _, c := range cs {
		out[c.WorkOrderID] = append(out[c.WorkOrderID], c)
	}
	return out, nil
}

func show(tx *gorm.DB, w *WorkOrder) (View, error) {
	costs, err := costsOf(tx, []uuid.UUID{w.ID})
	if err != nil {
		return View{}, err
	}
	return view(w, costs[w.ID]), nil
}

// Get returns one work order the actor sees.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (View, error) {
	var out View
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		w, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		out, err = show(tx, w)
		return err
	})
	return out, err
}

// Filter are the list parameters of GET /work-orders.
type Filter struct {
	api.ListParams
	Status       string `query:"status" json:"-" validate:"omitempty,oneof=registered dispatched accepted in_progress on_hold completed signed_off invoiced closed cancelled"`
	TechnicianID string `query:"technician_id" json:"-" validate:"omitempty,uuid"`
	CustomerID   string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
	CarriedOver  *bool  `query:"carried_over" json:"-"`
	// Pooled lists the shared pool (true) or the work with a technician or past registration.
	Pooled *bool `query:"pooled" json:"-"`
}

// List returns a page of the work orders the actor sees, oldest first. The dispatch board
// asks for status=registered&carried_over=true first (yesterday's work, 第11條), then the rest.
func (s *Service) List(ctx context.Context, f Filter) (api.Page[View], error) {
	return listing.ListByID(ctx, s.DB.Read, f.ListParams, func(tx *gorm.DB) (*gorm.DB, error) {
		scope, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return nil, err
		}
		q := scoped(tx, tx.Model(&WorkOrder{}), scope)
		q = listing.WhereEqual(q, map[string]string{"status": f.Status})
		q = listing.WhereIDs(q, map[string]string{"technician_id": f.TechnicianID, "customer_id": f.CustomerID})
		if f.CarriedOver != nil {
			q = q.Where("carried_over = ?", *f.CarriedOver)
		}
		if f.Pooled != nil {
			if *f.Pooled {
				q = q.Where("status = ? AND technician_id IS NULL", StatusRegistered)
			} else {
				q = q.Where("NOT (status = ? AND technician_id IS NULL)", StatusRegistered)
			}
		}
		return q, nil
	}, func(w *WorkOrder) uuid.UUID { return w.ID }, func(tx *gorm.DB, w *WorkOrder) (View, error) { return show(tx, w) })
}

// Update is a PATCH of a work order's registration, allowed until the work is completed. A
// change of product or purchase date proposes the type again; the type follows the new
// proposal unless it was overridden (or is overridden now, with a reason).
type Update struct {
	Version       int64                   `json:"version" validate:"required"`
	ContactID     api.Nullable[uuid.UUID] `json:"contact_id"`
	Type          *string                 `json:"type" validate:"omitempty,oneof=paid contract free internal"`
	TypeReason    *string                 `json:"type_reason" validate:"omitempty,max=1000"`
	ProductID     api.Nullable[uuid.UUID] `json:"product_id"`
	Model         *string                 `json:"model" validate:"omitempty,min=1,max=200"`
	Specification *string                 `json:"specification" validate:"omitempty,max=200"`
	Serial        *string                 `json:"serial" validate:"omitempty,max=100"`
	PurchaseDate  api.Nullable[string]    `json:"purchase_date"`
	PurchasePlace *string                 `json:"purchase_place" validate:"omitempty,max=200"`
	Fault         *string                 `json:"fault" validate:"omitempty,min=1,max=5000"`
	Channel       *string                 `json:"channel" validate:"omitempty,oneof=phone email document visit web wechat other"`
	Urgency       *string                 `json:"urgency" validate:"omitempty,oneof=low normal high urgent"`
}

var editable = []string{StatusRegistered, StatusDispatched, StatusAccepted, StatusInProgress, StatusOnHold}

// Update applies a PATCH. Fails with not_found, conflict (stale version; completed or later)
// or validation_failed.
func (s *Service) Update(ctx context.Context, id uuid.UUID, u Update) (View, error) {
	if err := problem.CleanText(map[string]*string{"type_reason": u.TypeReason, "model": u.Model, "specification": u.Specification,
		"serial": u.Serial, "purchase_place": u.PurchasePlace, "fault": u.Fault}); err != nil {
		return View{}, err
	}
	for name, v := range map[string]*string{"model": u.Model, "fault": u.Fault} {
		if v != nil && *v == "" {
			return View{}, problem.Field(name, "required", "field.required")
		}
	}
	var purchase *datatypes.Date
	if u.PurchaseDate.Set() {
		var err error
		if purchase, err = opportunity.ParseDate("purchase_date", u.PurchaseDate.Ptr()); err != nil {
			return View{}, err
		}
	}
	return s.mutate(ctx, id, u.Version, "update", "updated", func(tx *gorm.DB, w *WorkOrder, _ *step) error {
		if !slices.Contains(editable, w.Status) {
			return problem.New(problem.Conflict, "service.locked")
		}
		if u.ContactID.Set() {
			w.ContactID = u.ContactID.Ptr()
			if err := checkContact(tx, w.CustomerID, w.ContactID); err != nil {
				return err
			}
		}
		for _, f := range []struct {
			dst *string
			v   *string
		}{{&w.Model, u.Model}, {&w.Specification, u.Specification}, {&w.Serial, u.Serial}, {&w.PurchasePlace, u.PurchasePlace},
			{&w.Fault, u.Fault}, {&w.Channel, u.Channel}, {&w.Urgency, u.Urgency}} {
			if f.v != nil {
				*f.dst = *f.v
			}
		}
		overridden := w.Type != w.TypeProposed
		if u.ProductID.Set() || u.PurchaseDate.Set() {
			if u.ProductID.Set() {
				w.ProductID = u.ProductID.Ptr()
			}
			if u.PurchaseDate.Set() {
				w.PurchaseDate = purchase
			}
			product, err := loadProduct(tx, w.ProductID)
			if err != nil {
				return err
			}
			st, err := settingsOf(ctx, tx)
			if err != nil {
				return err
			}
			day, err := localDay(ctx, tx, w.CreatedAt)
			if err != nil {
				return err
			}
			if w.PurchaseDate != nil && time.Time(*w.PurchaseDate).After(day) {
				return problem.Field("purchase_date", "out_of_range", "field.out_of_range")
			}
			if err := propose(tx, w, product, st, day); err != nil {
				return err
			}
		}
		switch {
		case u.Type != nil:
			// A new type needs its own reason; the same type keeps the one it has.
			reason := ""
			if u.TypeReason != nil {
				reason = *u.TypeReason
			} else if *u.Type == w.Type {
				reason = w.TypeReason
			}
			return setType(w, *u.Type, reason)
		case overridden:
			if u.TypeReason != nil {
				if *u.TypeReason == "" {
					return problem.Field("type_reason", "required", "service.type_reason")
				}
				w.TypeReason = *u.TypeReason
			}
			if w.Type == w.TypeProposed { // the new proposal met the override
				w.TypeReason = ""
			}
			return nil
		default:
			return setType(w, "", "")
		}
	})
}
