package customer

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/problem"
)

// Update is a PATCH of a customer: absent fields stay, null clears where allowed.
type Update struct {
	Version             int64                   `json:"version" validate:"required"`
	Type                *string                 `json:"type" validate:"omitempty,oneof=enterprise individual"`
	Name                *string                 `json:"name" validate:"omitempty,min=1,max=200"`
	ShortName           *string                 `json:"short_name" validate:"omitempty,max=100"`
	CreditCode          *string                 `json:"credit_code" validate:"omitzero,len=18,alphanum"`
	Industry            *string                 `json:"industry" validate:"omitempty,max=100"`
	Scale               *Scale                  `json:"scale"`
	Address             *Address                `json:"address"`
	Region              *string                 `json:"region" validate:"omitempty,max=100"`
	BusinessScope       *string                 `json:"business_scope" validate:"omitempty,max=2000"`
	LegalRepresentative *string                 `json:"legal_representative" validate:"omitempty,max=100"`
	Source              *string                 `json:"source" validate:"omitempty,oneof=market_research industry_event partner_referral online cold_call walk_in other"`
	Stage               *string                 `json:"stage" validate:"omitempty,oneof=potential prospect deal"`
	Tier                *string                 `json:"tier" validate:"omitempty,oneof=key general potential"`
	IntentClass         api.Nullable[string]    `json:"intent_class"`
	OwnerID             api.Nullable[uuid.UUID] `json:"owner_id"`
	DepartmentID        api.Nullable[uuid.UUID] `json:"department_id"`
	Tags                *[]string               `json:"tags" validate:"omitempty,max=50,dive,min=1,max=50"`
	Phone               *string                 `json:"phone" validate:"omitempty,max=40"`
	IDNumber            *string                 `json:"id_number" validate:"omitempty,max=40"`
	Email               *string                 `json:"email" validate:"omitzero,email,max=254"`
	Birthday            api.Nullable[string]    `json:"birthday"`
	CustomFields        *map[string]any         `json:"custom_fields"`
	Profile             *Profile                `json:"profile"`
}

// Update applies a PATCH. Changing the owner or department needs the customer:assign
// permission; a manual tier or intent class is recorded as the "manual" classification rule.
func (s *Service) Update(ctx context.Context, id uuid.UUID, u Update) (View, error) {
	var out View
	err := s.classifyOutsideTx(ctx, func(ctx context.Context) (err error) {
		out, err = s.update(ctx, id, u)
		return err
	})
	return out, err
}

// update is Update inside classifyOutsideTx (the classifier plugin is asked outside the
// transaction).
func (s *Service) update(ctx context.Context, id uuid.UUID, u Update) (View, error) {
	if (u.OwnerID.Set() || u.DepartmentID.Set()) && s.Authz != nil {
		if err := s.Authz.Require(ctx, "customer", "assign"); err != nil {
			return View{}, err
		}
	}
	if u.OwnerID.Null() {
		// An ownerless customer outside the pool would be invisible to everyone with an own
		// data scope; returning a customer to the pool is what release is for.
		return View{}, problem.Field("owner_id", "required", "owner_required")
	}
	if f := nulField(u); f != "" {
		return View{}, problem.Field(f, "invalid", "field.invalid")
	}
	if u.Name != nil && strings.TrimSpace(*u.Name) == "" {
		return View{}, problem.Field("name", "required", "field.required")
	}
	if v := u.IntentClass.Value(); u.IntentClass.Set() && !u.IntentClass.Null() && v != "A" && v != "B" && v != "C" {
		return View{}, problem.Field("intent_class", "invalid_choice", "field.invalid_choice", "A, B, C")
	}
	return s.mutate(ctx, id, u.Version, "update", "customer.updated", false, func(tx *gorm.DB, c *Customer) error {
		if err := s.poolGuard(ctx, c); err != nil {
			return err
		}
		setTrimmed(&c.Type, u.Type)
		setTrimmed(&c.Name, u.Name)
		setTrimmed(&c.ShortName, u.ShortName)
		setTrimmed(&c.Industry, u.Industry)
		setTrimmed(&c.Region, u.Region)
		setTrimmed(&c.BusinessScope, u.BusinessScope)
		setTrimmed(&c.LegalRepresentative, u.LegalRepresentative)
		setTrimmed(&c.Source, u.Source)
		setTrimmed(&c.Stage, u.Stage)
		setTrimmed(&c.Email, u.Email)
		if u.CreditCode != nil {
			c.CreditCode = strings.ToUpper(*u.CreditCode)
		}
		if u.Scale != nil {
			if err := checkRevenue(u.Scale.AnnualRevenue); err != nil {
				return err
			}
			c.Employees, c.AnnualRevenue = u.Scale.Employees, nullDecimal(u.Scale.AnnualRevenue)
		}
		manual := []string{}
		if u.Tier != nil && *u.Tier != c.Tier {
			c.Tier = *u.Tier
			manual = append(manual, "tier="+c.Tier)
		}
		if u.IntentClass.Set() {
			c.IntentClass = u.IntentClass.Ptr()
			manual = append(manual, "intent_class="+u.IntentClass.Value())
		}
		if len(manual) > 0 {
			c.Classification = datatypes.NewJSONType(Classification{Rule: "manual", Reasons: manual, At: s.now()})
		}
		if u.Tags != nil {
			c.Tags = datatypes.NewJSONType(normTags(*u.Tags))
		}
		if u.CustomFields != nil {
			if err := s.validateCustomFields(ctx, tx, *u.CustomFields, false); err != nil {
				return err
			}
			c.CustomFields = datatypes.NewJSONType(orMap(*u.CustomFields))
		}
		if u.Profile != nil {
			c.Profile = datatypes.NewJSONType(*u.Profile)
		}
		if u.Birthday.Set() {
			bd, err := parseDate(u.Birthday.Ptr())
			if err != nil {
				return problem.Field("birthday", "invalid_format", "field.invalid_format")
			}
			c.Birthday = bd
		}
		// Sensitive fields: reseal only what changed, keeping the others' ciphertext.
		cur, err := view(s.Keys, c)
		if err != nil {
			return err
		}
		street, phone, idn := cur.Address.Street, cur.Phone, cur.IDNumber
		if u.Address != nil {
			c.Province, c.City, c.District, street = u.Address.Province, u.Address.City, u.Address.District, u.Address.Street
		}
		if u.Phone != nil {
			phone = *u.Phone
		}
		if u.IDNumber != nil {
			idn = *u.IDNumber
		}
		if u.Address != nil || u.Phone != nil || u.IDNumber != nil {
			if err := s.seal(c, street, phone, idn); err != nil {
				return err
			}
		}
		var dept *uuid.UUID = c.DepartmentID
		if u.OwnerID.Set() {
			if u.OwnerID.Ptr() != nil && deref(c.OwnerID) != u.OwnerID.Value() {
				c.FormerOwnerID = c.OwnerID
			}
			c.OwnerID = u.OwnerID.Ptr()
			if c.OwnerID != nil && c.InPool {
				c.InPool, c.PoolKey, c.PoolEnteredAt = false, "", nil // assigned out of the public pool
			}
			if !u.DepartmentID.Set() {
				dept = nil // follow the new owner's department
			}
		}
		if u.DepartmentID.Set() {
			dept = u.DepartmentID.Ptr()
		}
		if u.OwnerID.Set() || u.DepartmentID.Set() {
			if err := s.setOwnerAndDepartment(tx, c, dept); err != nil {
				return err
			}
		}
		return s.classifyAfterUpdate(ctx, tx, c, &u)
	})
}
