package customer

import (
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"

	"github.com/smecrm/crm/app/fieldcrypt"
	"github.com/smecrm/crm/app/problem"
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
	if c.InPool {
		name := poolName(c.PoolKey)
		v.Pool = &name
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

// nullDecimal is an optional amount for storage, rounded to the cent as PostgreSQL's
// numeric(20,2) column would round it, so both databases keep the same value.
func nullDecimal(d *decimal.Decimal) decimal.NullDecimal {
	if d == nil {
		return decimal.NullDecimal{}
	}
	return decimal.NullDecimal{Decimal: d.Round(2), Valid: true}
}

// maxRevenue is the first annual revenue numeric(20,2) cannot hold.
var maxRevenue = decimal.New(1, 18)

// checkRevenue refuses a negative annual revenue, and one too large to store (which
// PostgreSQL would refuse with an error, while SQLite kept it).
func checkRevenue(d *decimal.Decimal) error {
	switch {
	case d == nil:
		return nil
	case d.IsNegative():
		return problem.Field("scale.annual_revenue", "out_of_range", "field.amount")
	case d.Round(2).Cmp(maxRevenue) >= 0:
		return problem.Field("scale.annual_revenue", "out_of_range", "field.out_of_range")
	}
	return nil
}

// nulField names the first field of v (an input struct) with a NUL character in any of its
// strings — map keys and values, list elements and nested objects included — as a dotted
// JSON or query name; "" when there is none. PostgreSQL cannot store NUL in text, so such
// input is refused as invalid on every database instead of failing there as an internal
// error.
func nulField(v any) string { return nulIn(reflect.ValueOf(v), "") }

func nulIn(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nulIn(v.Elem(), path)
		}
	case reflect.String:
		if strings.IndexByte(v.String(), 0) >= 0 {
			return path
		}
	case reflect.Slice, reflect.Array:
		switch v.Type().Elem().Kind() {
		case reflect.String, reflect.Interface, reflect.Pointer, reflect.Struct, reflect.Map, reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				if f := nulIn(v.Index(i), path); f != "" {
					return f
				}
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			k := fmt.Sprint(it.Key())
			if strings.IndexByte(k, 0) >= 0 {
				return path
			}
			if f := nulIn(it.Value(), joinPath(path, k)); f != "" {
				return f
			}
		}
	case reflect.Struct:
		if pkg := v.Type().PkgPath(); pkg == "time" || pkg == "math/big" {
			return ""
		}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || name == "" {
				name, _, _ = strings.Cut(f.Tag.Get("query"), ",")
			}
			sub := path // embedded structs and the insides of wrappers (api.Nullable) add no name
			if name != "" && name != "-" {
				sub = joinPath(path, name)
			} else if f.IsExported() && !f.Anonymous {
				continue // not part of the input
			}
			if found := nulIn(v.Field(i), sub); found != "" {
				return found
			}
		}
	}
	return ""
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
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

// setTrimmed sets *dst to the trimmed *v when a PATCH gave the field.
func setTrimmed(dst *string, v *string) {
	if v != nil {
		*dst = strings.TrimSpace(*v)
	}
}
