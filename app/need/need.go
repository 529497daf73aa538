// Package need records customers' needs (需求, SAL-4, seed 002 §2): basic needs (what the
// product must do), expected needs (extra value the customer hopes for) and latent needs (not
// yet recognised by the customer), ranked by importance and urgency, routed to the department
// that can act on them (R&D, production, service …), and closed with an answer that is fed
// back to the customer.
//
// Needs belong to the customer's record: reading them needs customer:read, recording and
// updating them customer:update, and data scopes apply to who recorded them.
package need

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/listing"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// Statuses: open → in_progress → resolved, or declined before it is resolved.
const (
	StatusOpen       = "open"
	StatusInProgress = "in_progress"
	StatusResolved   = "resolved"
	StatusDeclined   = "declined"
)

var moves = map[string][]string{
	StatusOpen:       {StatusInProgress, StatusResolved, StatusDeclined},
	StatusInProgress: {StatusResolved, StatusDeclined, StatusOpen},
}

var levels = map[string]int{"high": 3, "medium": 2, "low": 1}

// Need is the stored record.
type Need struct {
	TenantID           uuid.UUID `gorm:"primaryKey"`
	ID                 uuid.UUID `gorm:"primaryKey"`
	CustomerID         uuid.UUID
	OpportunityID      *uuid.UUID
	Kind               string
	Title              string
	Description        string
	Importance         string
	Urgency            string
	RoutedDepartmentID *uuid.UUID
	Status             string
	Feedback           string
	FeedbackAt         *time.Time
	OwnerID            uuid.UUID
	DepartmentID       *uuid.UUID
	CreatedAt          time.Time
	UpdatedAt          time.Time
	Version            int64
}

// TableName is the needs table.
func (Need) TableName() string { return "customer_needs" }

// Key is the need's ID.
func (n Need) Key() uuid.UUID { return n.ID }

// Owner is who recorded the need and their department (data scopes apply to them).
func (n Need) Owner() (uuid.UUID, *uuid.UUID) { return n.OwnerID, n.DepartmentID }

// View is a need as the API shows it. Priority is importance × urgency (1 to 9, high = 3).
type View struct {
	ID                 uuid.UUID  `json:"id"`
	CustomerID         uuid.UUID  `json:"customer_id"`
	OpportunityID      *uuid.UUID `json:"opportunity_id"`
	Kind               string     `json:"kind"`
	Title              string     `json:"title"`
	Description        string     `json:"description"`
	Importance         string     `json:"importance"`
	Urgency            string     `json:"urgency"`
	Priority           int        `json:"priority"`
	RoutedDepartmentID *uuid.UUID `json:"routed_department_id"`
	Status             string     `json:"status"`
	Feedback           string     `json:"feedback"`
	FeedbackAt         *time.Time `json:"feedback_at"`
	OwnerID            uuid.UUID  `json:"owner_id"`
	DepartmentID       *uuid.UUID `json:"department_id"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
	Version            int64      `json:"version"`
}

func view(n *Need) View {
	return View{ID: n.ID, CustomerID: n.CustomerID, OpportunityID: n.OpportunityID, Kind: n.Kind, Title: n.Title,
		Description: n.Description, Importance: n.Importance, Urgency: n.Urgency, Priority: levels[n.Importance] * levels[n.Urgency],
		RoutedDepartmentID: n.RoutedDepartmentID, Status: n.Status, Feedback: n.Feedback, FeedbackAt: n.FeedbackAt,
		OwnerID: n.OwnerID, DepartmentID: n.DepartmentID, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt, Version: n.Version}
}

// Service keeps needs.
type Service struct {
	DB    *store.DB
	Authz *policies.Authorizer
	Opps  *opportunity.Service
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Input is the body of POST /needs.
type Input struct {
	CustomerID         uuid.UUID  `json:"customer_id" validate:"required"`
	OpportunityID      *uuid.UUID `json:"opportunity_id"`
	Kind               string     `json:"kind" validate:"required,oneof=basic expected latent"`
	Title              string     `json:"title" validate:"required,max=200"`
	Description        string     `json:"description" validate:"max=5000"`
	Importance         string     `json:"importance" validate:"omitempty,oneof=high medium low"`
	Urgency            string     `json:"urgency" validate:"omitempty,oneof=high medium low"`
	RoutedDepartmentID *uuid.UUID `json:"routed_department_id"`
}

type department struct {
	TenantID uuid.UUID `gorm:"primaryKey"`
	ID       uuid.UUID `gorm:"primaryKey"`
}

func (department) TableName() string { return "departments" }

func checkDepartment(tx *gorm.DB, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	var n int64
	if err := tx.Model(&department{}).Where("id = ?", *id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return problem.Field("routed_department_id", "not_found", "field.not_found")
	}
	return nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Create records a need of a customer the acting user can see. Importance and urgency default
// to medium. Fails with validation_failed.
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	for f, v := range map[string]string{"title": in.Title, "description": in.Description} {
		if strings.IndexByte(v, 0) >= 0 {
			return View{}, problem.Field(f, "invalid", "field.invalid")
		}
	}
	if strings.TrimSpace(in.Title) == "" {
		return View{}, problem.Field("title", "required", "field.required")
	}
	actor := tenantctx.ActorFrom(ctx)
	now := s.now()
	n := &Need{ID: uuid.Must(uuid.NewV7()), CustomerID: in.CustomerID, OpportunityID: in.OpportunityID, Kind: in.Kind,
		Title: strings.TrimSpace(in.Title), Description: in.Description, Importance: or(in.Importance, "medium"),
		Urgency: or(in.Urgency, "medium"), RoutedDepartmentID: in.RoutedDepartmentID, Status: StatusOpen,
		OwnerID: actor.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if _, err := opportunity.VisibleCustomer(ctx, tx, s.Authz, "customer_id", in.CustomerID); err != nil {
			return err
		}
		if in.OpportunityID != nil {
			o, err := s.Opps.Load(ctx, tx, *in.OpportunityID)
			if problem.Is(err, problem.NotFound) || (err == nil && o.CustomerID != in.CustomerID) {
				return problem.Field("opportunity_id", "not_found", "field.not_found")
			}
			if err != nil {
				return err
			}
		}
		if err := checkDepartment(tx, in.RoutedDepartmentID); err != nil {
			return err
		}
		var err error
		if n.DepartmentID, err = org.OwnerDepartment(tx, "owner_id", n.OwnerID); err != nil {
			return err
		}
		if err := tx.Create(n).Error; err != nil {
			return err
		}
		out = view(n)
		if err := audit.Record(ctx, tx, "create", "need", n.ID.String(), nil, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, "need.created", "need", n.ID, map[string]any{"need": out})
	})
	return out, err
}

// load reads one need inside the actor's data scope; anything else is not_found.
func (s *Service) load(ctx context.Context, tx *gorm.DB, id uuid.UUID) (*Need, error) {
	return policies.LoadScoped[Need](ctx, tx, s.Authz, id, "entity.need")
}

// Get returns one need.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (View, error) {
	return policies.GetScoped(ctx, s.DB, s.Authz, id, "entity.need", show)
}

// Filter are the list parameters of GET /needs.
type Filter struct {
	api.ListParams
	CustomerID         string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
	OpportunityID      string `query:"opportunity_id" json:"-" validate:"omitempty,uuid"`
	RoutedDepartmentID string `query:"routed_department_id" json:"-" validate:"omitempty,uuid"`
	Kind               string `query:"kind" json:"-" validate:"omitempty,oneof=basic expected latent"`
	Status             string `query:"status" json:"-" validate:"omitempty,oneof=open in_progress resolved declined"`
	Importance         string `query:"importance" json:"-" validate:"omitempty,oneof=high medium low"`
	Urgency            string `query:"urgency" json:"-" validate:"omitempty,oneof=high medium low"`
}

// List returns a page of needs in the actor's scope, oldest first.
func (s *Service) List(ctx context.Context, f Filter) (api.Page[View], error) {
	return policies.ListScoped(ctx, s.DB, s.Authz, f.ListParams, func(q *gorm.DB) *gorm.DB {
		q = listing.WhereIDs(q, map[string]string{"customer_id": f.CustomerID, "opportunity_id": f.OpportunityID, "routed_department_id": f.RoutedDepartmentID})
		return listing.WhereEqual(q, map[string]string{"kind": f.Kind, "status": f.Status, "importance": f.Importance, "urgency": f.Urgency})
	}, show)
}

// show is view for reads that go through policies.GetScoped and ListScoped.
func show(_ *gorm.DB, n *Need) (View, error) { return view(n), nil }

// Update is a PATCH of a need. Feedback is the answer given to the customer; setting it stamps
// feedback_at.
type Update struct {
	Version            int64                   `json:"version" validate:"required"`
	Kind               *string                 `json:"kind" validate:"omitempty,oneof=basic expected latent"`
	Title              *string                 `json:"title" validate:"omitempty,min=1,max=200"`
	Description        *string                 `json:"description" validate:"omitempty,max=5000"`
	Importance         *string                 `json:"importance" validate:"omitempty,oneof=high medium low"`
	Urgency            *string                 `json:"urgency" validate:"omitempty,oneof=high medium low"`
	RoutedDepartmentID api.Nullable[uuid.UUID] `json:"routed_department_id"`
	Status             *string                 `json:"status" validate:"omitempty,oneof=open in_progress resolved declined"`
	Feedback           *string                 `json:"feedback" validate:"omitempty,max=5000"`
}

// Update applies a PATCH. Status moves open → in_progress → resolved, or to declined; a
// resolved or declined need needs feedback for the customer (given now or before) and does not
// change any more. Fails with not_found, conflict or validation_failed.
func (s *Service) Update(ctx context.Context, id uuid.UUID, u Update) (View, error) {
	for f, v := range map[string]*string{"title": u.Title, "description": u.Description, "feedback": u.Feedback} {
		if v != nil && strings.IndexByte(*v, 0) >= 0 {
			return View{}, problem.Field(f, "invalid", "field.invalid")
		}
	}
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		n, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if n.Version != u.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		if _, open := moves[n.Status]; !open {
			return problem.New(problem.Conflict, "transition", n.Status, n.Status)
		}
		before := view(n)
		now := s.now()
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = strings.TrimSpace(*v)
			}
		}
		set(&n.Kind, u.Kind)
		set(&n.Title, u.Title)
		set(&n.Importance, u.Importance)
		set(&n.Urgency, u.Urgency)
		if u.Description != nil {
			n.Description = *u.Description
		}
		if u.Title != nil && n.Title == "" {
			return problem.Field("title", "required", "field.required")
		}
		if u.RoutedDepartmentID.Set() {
			n.RoutedDepartmentID = u.RoutedDepartmentID.Ptr()
			if err := checkDepartment(tx, n.RoutedDepartmentID); err != nil {
				return err
			}
		}
		if u.Feedback != nil {
			n.Feedback = strings.TrimSpace(*u.Feedback)
			n.FeedbackAt = &now
		}
		event := "need.updated"
		if u.Status != nil && *u.Status != n.Status {
			if !slices.Contains(moves[n.Status], *u.Status) {
				return problem.New(problem.Conflict, "transition", n.Status, *u.Status)
			}
			n.Status = *u.Status
			event = "need." + n.Status
			if (n.Status == StatusResolved || n.Status == StatusDeclined) && n.Feedback == "" {
				return problem.Field("feedback", "required", "field.need_feedback")
			}
		}
		old := n.Version
		n.Version, n.UpdatedAt = old+1, now
		if err := store.SaveVersioned(tx, n, old); err != nil {
			return err
		}
		out = view(n)
		if err := audit.Record(ctx, tx, "update", "need", n.ID.String(), before, out); err != nil {
			return err
		}
		return outbox.Publish(ctx, tx, event, "need", n.ID, map[string]any{"need": out})
	})
	return out, err
}

// API serves /needs.
type API struct{ S *Service }

type patchInput struct {
	api.ByID
	Update
}

func perm(act string) api.Perm { return api.Perm{Object: "customer", Action: act} }

// Routes registers the needs endpoints.
func (a API) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/needs", ID: "listNeeds", Summary: "List customer needs", Tag: "sales", Perm: perm("read")},
		api.Call(a.S.List))
	api.Handle(r, api.Op{Method: "POST", Path: "/needs", ID: "createNeed", Summary: "Record a customer need", Tag: "sales", Status: 201, Perm: perm("update")},
		api.Call(a.S.Create))
	api.Handle(r, api.Op{Method: "GET", Path: "/needs/:id", ID: "getNeed", Summary: "Get a customer need", Tag: "sales", Perm: perm("read")},
		api.CallByID(a.S.Get))
	api.Handle(r, api.Op{Method: "PATCH", Path: "/needs/:id", ID: "updateNeed", Summary: "Route, rank, answer or close a customer need", Tag: "sales", Perm: perm("update")},
		func(c *fiber.Ctx, in *patchInput) (*View, error) {
			v, err := a.S.Update(c.UserContext(), in.ID, in.Update)
			return &v, err
		})
}
