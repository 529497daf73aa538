package customer

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/fieldcrypt"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// DuplicateQuery is GET /customers/duplicates: the values a new customer would have.
type DuplicateQuery struct {
	Name       string `query:"name" json:"-" validate:"max=200"`
	Phone      string `query:"phone" json:"-" validate:"max=40"`
	CreditCode string `query:"credit_code" json:"-" validate:"max=18"`
}

// DuplicateList is the answer of GET /customers/duplicates.
type DuplicateList struct {
	Items []Duplicate `json:"items"`
}

// FindDuplicates lists live customers of the tenant that share the name, the unified social
// credit code or a phone number (the customer's own or one of its contacts', matched as
// "contact_phone") with q (CUS-7). It searches the whole tenant, not only the actor's data
// scope: a duplicate in a colleague's hands is exactly what must be found before creating.
// At least one value is needed (validation_failed otherwise).
func (s *Service) FindDuplicates(ctx context.Context, q DuplicateQuery) (DuplicateList, error) {
	name, code, phone := strings.TrimSpace(q.Name), strings.ToUpper(strings.TrimSpace(q.CreditCode)), strings.TrimSpace(q.Phone)
	if name == "" && code == "" && phone == "" {
		return DuplicateList{}, problem.Fields(
			problem.FieldError{Field: "name", Code: "required", Key: "field.need_one_of", Args: []any{"name, phone, credit_code"}},
			problem.FieldError{Field: "phone", Code: "required", Key: "field.need_one_of", Args: []any{"name, phone, credit_code"}},
			problem.FieldError{Field: "credit_code", Code: "required", Key: "field.need_one_of", Args: []any{"name, phone, credit_code"}})
	}
	hash := ""
	if phone != "" {
		if fieldcrypt.NormalizePhone(phone) == "" {
			return DuplicateList{}, problem.Field("phone", "invalid_format", "field.invalid_format")
		}
		tid, _ := tenantctx.TenantID(ctx)
		hash = s.Keys.PhoneHash(tid.String(), phone)
	}
	out := DuplicateList{Items: []Duplicate{}}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		var err error
		out.Items, err = s.duplicatesOf(tx, name, code, hash, uuid.Nil)
		return err
	})
	return out, err
}

// duplicatesOf is findDuplicates plus customers whose live contacts have the phone number.
func (s *Service) duplicatesOf(tx *gorm.DB, name, creditCode, phoneHash string, except uuid.UUID) ([]Duplicate, error) {
	dups := []Duplicate{}
	if name != "" || creditCode != "" || phoneHash != "" {
		var err error
		if dups, err = findDuplicates(tx, name, creditCode, phoneHash, except); err != nil {
			return nil, err
		}
	}
	if phoneHash == "" {
		return dups, nil
	}
	var rows []Customer
	err := tx.Select("id", "name").
		Where("deleted_at IS NULL AND id IN (?)", tx.Model(&Contact{}).Select("customer_id").Where("phone_hash = ? AND deleted_at IS NULL", phoneHash)).
		Order("id").Limit(20).Find(&rows).Error
	if err != nil {
		return nil, err
	}
	at := map[uuid.UUID]int{}
	for i, d := range dups {
		at[d.ID] = i
	}
	for _, r := range rows {
		if r.ID == except {
			continue
		}
		i, ok := at[r.ID]
		if !ok {
			i = len(dups)
			at[r.ID] = i
			dups = append(dups, Duplicate{ID: r.ID, Name: r.Name})
		}
		dups[i].Matched = append(dups[i].Matched, "contact_phone")
	}
	return dups, nil
}

func (a API) duplicateRoutes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/customers/duplicates", ID: "findDuplicateCustomers", Summary: "Possible duplicates of a customer by name, phone or credit code, across the tenant", Tag: "customers", Perm: perm("read")},
		func(c *fiber.Ctx, in *DuplicateQuery) (*DuplicateList, error) {
			v, err := a.S.FindDuplicates(c.UserContext(), *in)
			return &v, err
		})
}
