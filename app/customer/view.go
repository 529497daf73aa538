package customer

import (
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"

	"github.com/smecrm/crm/app/fieldcrypt"
)

// aad binds a sealed value to its tenant, record and field.
func aad(tenant, id uuid.UUID, field string) string {
	return tenant.String() + "/" + id.String() + "/" + field
}

// view renders c, opening its sealed fields.
func view(keys *fieldcrypt.Keys, c *Customer) (View, error) {
	street, err := keys.Open(c.StreetEnc, aad(c.TenantID, c.ID, "street"))
	if err != nil {
		return View{}, err
	}
	phone, err := keys.Open(c.PhoneEnc, aad(c.TenantID, c.ID, "phone"))
	if err != nil {
		return View{}, err
	}
	idn, err := keys.Open(c.IDNumberEnc, aad(c.TenantID, c.ID, "id_number"))
	if err != nil {
		return View{}, err
	}
	v := View{
		ID: c.ID, Type: c.Type, Name: c.Name, ShortName: c.ShortName, CreditCode: c.CreditCode, Industry: c.Industry,
		Scale:   Scale{Employees: c.Employees},
		Address: Address{Province: c.Province, City: c.City, District: c.District, Street: street},
		Region:  c.Region, BusinessScope: c.BusinessScope, LegalRepresentative: c.LegalRepresentative, Source: c.Source,
		Stage: c.Stage, Tier: c.Tier, IntentClass: c.IntentClass, ValueClass: c.ValueClass,
		Classification: c.Classification.Data(), Credit: c.Credit.Data(), OwnerID: c.OwnerID, DepartmentID: c.DepartmentID,
		InPool: c.InPool, Tags: c.Tags.Data(), Phone: phone, IDNumber: idn, Email: c.Email,
		CustomFields: c.CustomFields.Data(), Profile: c.Profile.Data(), LastFollowUpAt: c.LastFollowUpAt,
		NextFollowUpAt: c.NextFollowUpAt, ChurnedAt: c.ChurnedAt, ChurnReason: c.ChurnReason, DeletedAt: c.DeletedAt,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, Version: c.Version,
	}
	if c.AnnualRevenue.Valid {
		d := c.AnnualRevenue.Decimal
		v.Scale.AnnualRevenue = &d
	}
	if c.Birthday != nil {
		s := time.Time(*c.Birthday).Format(time.DateOnly)
		v.Birthday = &s
	}
	if v.Tags == nil {
		v.Tags = []string{}
	}
	if v.CustomFields == nil {
		v.CustomFields = map[string]any{}
	}
	if v.Classification.Reasons == nil {
		v.Classification.Reasons = []string{}
	}
	return v, nil
}

func nullDecimal(d *decimal.Decimal) decimal.NullDecimal {
	if d == nil {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: *d, Valid: true}
}

func parseDate(s *string) (*datatypes.Date, error) {
	if s == nil || *s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.DateOnly, *s)
	if err != nil {
		return nil, err
	}
	d := datatypes.Date(t)
	return &d, nil
}
