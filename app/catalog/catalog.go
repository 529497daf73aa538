// Package catalog is the product catalogue (SAL-5): what a company sells, with its list
// price and, optionally, its unit cost. Quotes take their lines from it.
package catalog

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/listing"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
)

// Product is the stored record. Code is unique in the tenant.
type Product struct {
	TenantID    uuid.UUID `gorm:"primaryKey"`
	ID          uuid.UUID `gorm:"primaryKey"`
	Code        string
	Name        string
	Category    string
	Unit        string
	Price       decimal.Decimal
	Currency    string
	Cost        decimal.NullDecimal
	Active      bool
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64

	// WarrantyMonths is how long the product is under warranty after purchase (nil: the
	// tenant's default); after-sales service proposes free service within it.
	WarrantyMonths *int
}

// View is a product as the API shows it; cost is in the price's currency.
type View struct {
	ID          uuid.UUID    `json:"id"`
	Code        string       `json:"code"`
	Name        string       `json:"name"`
	Category    string       `json:"category"`
	Unit        string       `json:"unit"`
	Price       money.Money  `json:"price"`
	Cost        *money.Money `json:"cost"`
	Active      bool         `json:"active"`
	Description string       `json:"description"`
	CreatedAt   time.Time    `json:"created_at"`
	UpdatedAt   time.Time    `json:"updated_at"`
	Version     int64        `json:"version"`

	// WarrantyMonths is null when the tenant's default warranty applies.
	WarrantyMonths *int `json:"warranty_months"`
}

func view(p *Product) View {
	v := View{ID: p.ID, Code: p.Code, Name: p.Name, Category: p.Category, Unit: p.Unit, Price: money.New(p.Price, p.Currency),
		Active: p.Active, Description: p.Description, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Version: p.Version,
		WarrantyMonths: p.WarrantyMonths}
	if p.Cost.Valid {
		c := money.New(p.Cost.Decimal, p.Currency)
		v.Cost = &c
	}
	return v
}

// Service keeps the catalogue.
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Input is the body of POST /products.
type Input struct {
	Code        string           `json:"code" validate:"required,max=64"`
	Name        string           `json:"name" validate:"required,max=200"`
	Category    string           `json:"category" validate:"max=100"`
	Unit        string           `json:"unit" validate:"max=20"`
	Price       money.Money      `json:"price"`
	Cost        *decimal.Decimal `json:"cost"`
	Active      *bool            `json:"active"`
	Description string           `json:"description" validate:"max=5000"`

	// WarrantyMonths: null or absent for the tenant's default warranty.
	WarrantyMonths *int `json:"warranty_months" validate:"omitempty,gte=0,lte=600"`
}

func checkText(fields map[string]string) error {
	for f, v := range fields {
		if strings.IndexByte(v, 0) >= 0 {
			return problem.Field(f, "invalid", "field.invalid")
		}
	}
	return nil
}

// Create adds a product. Fails with validation_failed or conflict (code taken).
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	if err := checkText(map[string]string{"code": in.Code, "name": in.Name, "category": in.Category, "unit": in.Unit, "description": in.Description}); err != nil {
		return View{}, err
	}
	code, name := strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	if code == "" {
		return View{}, problem.Field("code", "required", "field.required")
	}
	if name == "" {
		return View{}, problem.Field("name", "required", "field.required")
	}
	if err := money.Check("price", in.Price, false); err != nil {
		return View{}, err
	}
	now := s.now()
	tid, _ := tenantctx.TenantID(ctx)
	p := &Product{TenantID: tid, ID: uuid.Must(uuid.NewV7()), Code: code, Name: name, Category: strings.TrimSpace(in.Category),
		Unit: strings.TrimSpace(in.Unit), Price: in.Price.Amount, Currency: in.Price.Currency, Active: in.Active == nil || *in.Active,
		Description: in.Description, CreatedAt: now, UpdatedAt: now, Version: 1, WarrantyMonths: in.WarrantyMonths}
	if in.Cost != nil {
		if err := money.Check("cost", money.New(*in.Cost, in.Price.Currency), false); err != nil {
			return View{}, problem.Field("cost", "out_of_range", "field.amount")
		}
		p.Cost = decimal.NewNullDecimal(*in.Cost)
	}
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&Product{}).Where("code = ?", code).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return problem.New(problem.Conflict, "number_taken")
		}
		if err := tx.Create(p).Error; err != nil {
			if store.IsDuplicate(err) {
				return problem.New(problem.Conflict, "number_taken")
			}
			return err
		}
		out = view(p)
		return audit.Record(ctx, tx, "create", "product", p.ID.String(), nil, out)
	})
	return out, err
}

// Load reads one product in tx; a missing one is not_found.
func Load(tx *gorm.DB, id uuid.UUID) (*Product, error) {
	var p Product
	err := tx.Take(&p, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.NotFoundf("entity.product")
	}
	return &p, err
}

// Get returns one product.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (View, error) {
	var out View
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		p, err := Load(tx, id)
		if err == nil {
			out = view(p)
		}
		return err
	})
	return out, err
}

// Filter are the list parameters.
type Filter struct {
	api.ListParams
	Q        string `query:"q" json:"-" validate:"max=100"`
	Category string `query:"category" json:"-" validate:"max=100"`
	Active   *bool  `query:"active" json:"-"`
}

// List returns a page of products, oldest first.
func (s *Service) List(ctx context.Context, f Filter) (api.Page[View], error) {
	return listing.ListByID(ctx, s.DB.Read, f.ListParams, func(tx *gorm.DB) (*gorm.DB, error) {
		if err := checkText(map[string]string{"q": f.Q, "category": f.Category}); err != nil {
			return nil, err
		}
		q := tx.Model(&Product{})
		if f.Category != "" {
			q = q.Where("category = ?", f.Category)
		}
		if f.Active != nil {
			q = q.Where("active = ?", *f.Active)
		}
		if t := strings.TrimSpace(f.Q); t != "" {
			like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(t) + "%"
			q = q.Where(`(name LIKE ? ESCAPE '\' OR code LIKE ? ESCAPE '\')`, like, like)
		}
		return q, nil
	}, func(p *Product) uuid.UUID { return p.ID }, func(_ *gorm.DB, p *Product) (View, error) { return view(p), nil })
}

// Update is a PATCH of a product.
type Update struct {
	Version     int64                         `json:"version" validate:"required"`
	Code        *string                       `json:"code" validate:"omitempty,min=1,max=64"`
	Name        *string                       `json:"name" validate:"omitempty,min=1,max=200"`
	Category    *string                       `json:"category" validate:"omitempty,max=100"`
	Unit        *string                       `json:"unit" validate:"omitempty,max=20"`
	Price       *money.Money                  `json:"price"`
	Cost        api.Nullable[decimal.Decimal] `json:"cost"`
	Active      *bool                         `json:"active"`
	Description *string                       `json:"description" validate:"omitempty,max=5000"`

	// WarrantyMonths: null returns to the tenant's default warranty.
	WarrantyMonths api.Nullable[int] `json:"warranty_months"`
}

// Update applies a PATCH. Quotes keep the prices they were made with. Fails with not_found,
// conflict (stale version, code taken) or validation_failed.
func (s *Service) Update(ctx context.Context, id uuid.UUID, u Update) (View, error) {
	for f, v := range map[string]*string{"code": u.Code, "name": u.Name, "category": u.Category, "unit": u.Unit, "description": u.Description} {
		if v != nil && strings.IndexByte(*v, 0) >= 0 {
			return View{}, problem.Field(f, "invalid", "field.invalid")
		}
		if v != nil && (f == "code" || f == "name") && strings.TrimSpace(*v) == "" {
			return View{}, problem.Field(f, "required", "field.required")
		}
	}
	if u.Price != nil {
		if err := money.Check("price", *u.Price, false); err != nil {
			return View{}, err
		}
	}
	var out View
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		p, err := Load(tx, id)
		if err != nil {
			return err
		}
		if p.Version != u.Version {
			return problem.New(problem.Conflict, "version_conflict")
		}
		before := view(p)
		if u.Code != nil && strings.TrimSpace(*u.Code) != p.Code {
			var n int64
			if err := tx.Model(&Product{}).Where("code = ?", strings.TrimSpace(*u.Code)).Count(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				return problem.New(problem.Conflict, "number_taken")
			}
			p.Code = strings.TrimSpace(*u.Code)
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = strings.TrimSpace(*v)
			}
		}
		set(&p.Name, u.Name)
		set(&p.Category, u.Category)
		set(&p.Unit, u.Unit)
		if u.Description != nil {
			p.Description = *u.Description
		}
		if u.Active != nil {
			p.Active = *u.Active
		}
		if u.WarrantyMonths.Set() {
			if w := u.WarrantyMonths.Ptr(); w != nil && (*w < 0 || *w > 600) {
				return problem.Field("warranty_months", "out_of_range", "field.out_of_range")
			}
			p.WarrantyMonths = u.WarrantyMonths.Ptr()
		}
		if u.Price != nil {
			p.Price, p.Currency = u.Price.Amount, u.Price.Currency
		}
		if u.Cost.Set() {
			if u.Cost.Null() {
				p.Cost = decimal.NullDecimal{}
			} else {
				if err := money.Check("cost", money.New(u.Cost.Value(), p.Currency), false); err != nil {
					return problem.Field("cost", "out_of_range", "field.amount")
				}
				p.Cost = decimal.NewNullDecimal(u.Cost.Value())
			}
		}
		old := p.Version
		p.Version, p.UpdatedAt = old+1, s.now()
		if err := store.SaveVersioned(tx, p, old); err != nil {
			return err
		}
		out = view(p)
		return audit.Record(ctx, tx, "update", "product", p.ID.String(), before, out)
	})
	return out, err
}

// API serves /products: reading needs product:read, changes product:create/update.
type API struct{ S *Service }

type patchInput struct {
	api.ByID
	Update
}

func perm(act string) api.Perm { return api.Perm{Object: "product", Action: act} }

// Routes registers the catalogue endpoints.
func (a API) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/products", ID: "listProducts", Summary: "List products", Tag: "sales", Perm: perm("read")},
		api.Call(a.S.List))
	api.Handle(r, api.Op{Method: "POST", Path: "/products", ID: "createProduct", Summary: "Add a product to the catalogue", Tag: "sales", Status: 201, Perm: perm("create")},
		api.Call(a.S.Create))
	api.Handle(r, api.Op{Method: "GET", Path: "/products/:id", ID: "getProduct", Summary: "Get a product", Tag: "sales", Perm: perm("read")},
		api.CallByID(a.S.Get))
	api.Handle(r, api.Op{Method: "PATCH", Path: "/products/:id", ID: "updateProduct", Summary: "Update a product", Tag: "sales", Perm: perm("update")},
		func(c *fiber.Ctx, in *patchInput) (*View, error) {
			v, err := a.S.Update(c.UserContext(), in.ID, in.Update)
			return &v, err
		})
}
