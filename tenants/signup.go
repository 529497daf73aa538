package tenants

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// SignupInput is the body of POST /signup (TEN-1).
type SignupInput struct {
	CompanyName string `json:"company_name" validate:"required,max=100"`
	Slug        string `json:"slug" validate:"required,slug"`
	OwnerName   string `json:"owner_name" validate:"required,max=100"`
	Email       string `json:"email" validate:"required,email,max=254"`
	Password    string `json:"password" validate:"required,min=10,max=200"`
	Locale      string `json:"locale,omitempty" validate:"omitempty,locale"`
}

// Service runs tenant signup, settings and lifecycle.
type Service struct {
	DB  *store.DB
	Org *org.Service
	Now func() time.Time
	// TrialDays starts new tenants in a trial when billing is on; 0 starts them active.
	TrialDays int

	// sections are the business areas' settings blocks (AddSection).
	sections map[string]sectionDef
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// defaultDepartments a new tenant starts with; the owner sits in the first.
var defaultDepartments = []map[string]string{
	{"zh-CN": "总经理办公室", "zh-TW": "總經理辦公室", "en": "Management"},
	{"zh-CN": "销售部", "zh-TW": "銷售部", "en": "Sales"},
	{"zh-CN": "客服部", "zh-TW": "客服部", "en": "Customer service"},
	{"zh-CN": "售后服务部", "zh-TW": "售後服務部", "en": "After-sales service"},
	{"zh-CN": "市场部", "zh-TW": "市場部", "en": "Marketing"},
	{"zh-CN": "财务部", "zh-TW": "財務部", "en": "Finance"},
	{"zh-CN": "仓储部", "zh-TW": "倉儲部", "en": "Warehouse"},
	{"zh-CN": "运营部", "zh-TW": "運營部", "en": "Operations"},
}

// Signup creates a tenant with its owner, default departments, roles and grants, all in one
// transaction: a taken slug (even by a concurrent signup) fails with conflict and leaves
// nothing behind.
func (s *Service) Signup(ctx context.Context, in SignupInput) (*Tenant, org.User, error) {
	locale := in.Locale
	if locale == "" {
		locale = tenantctx.Locale(ctx)
	}
	now := s.now()
	t := &Tenant{ID: uuid.Must(uuid.NewV7()), Slug: strings.ToLower(in.Slug), Name: strings.TrimSpace(in.CompanyName),
		Status: StatusActive, SuspendMode: SuspendReadOnly, Plan: DefaultPlan,
		Settings: datatypes.NewJSONType(DefaultSettings(locale)), PolicyVersion: 1,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if s.TrialDays > 0 {
		end := now.AddDate(0, 0, s.TrialDays)
		t.Status, t.TrialEndsAt = StatusTrial, &end
	}
	ctx = tenantctx.WithTenant(ctx, t.ID)
	var owner org.User
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(t).Error; err != nil {
			if store.IsDuplicate(err) {
				return slugTaken()
			}
			return err
		}
		if err := policies.SeedTenant(ctx, tx, t.ID, locale); err != nil {
			return err
		}
		var first uuid.UUID
		for i, names := range defaultDepartments {
			d, err := s.Org.CreateDepartmentTx(ctx, tx, org.NewDepartment{Name: names[locale]})
			if err != nil {
				return err
			}
			if i == 0 {
				first = d.ID
			}
		}
		var err error
		owner, err = s.Org.CreateUserTx(ctx, tx, org.NewUser{Email: in.Email, Name: in.OwnerName, Password: in.Password,
			DepartmentID: &first, Roles: []string{policies.Owner}, Locale: in.Locale})
		if err != nil {
			return err
		}
		actx := tenantctx.WithActor(ctx, tenantctx.Actor{UserID: owner.ID, Via: "signup"})
		return audit.Record(actx, tx, "signup", "tenant", t.ID.String(), nil, map[string]any{"slug": t.Slug, "name": t.Name})
	})
	if err != nil {
		return nil, org.User{}, err
	}
	return t, owner, nil
}

func slugTaken() error {
	return &problem.Error{Code: problem.Conflict, Key: "slug_taken",
		Fields: []problem.FieldError{{Field: "slug", Code: "taken", Key: "slug_taken"}}}
}
