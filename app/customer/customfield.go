package customer

import (
	"context"
	"encoding/json"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// maxCustomText caps a text custom field's value, in characters.
const maxCustomText = 2000

// customFieldDefs reads the tenant's custom field definitions (CUS-3) in tx.
func customFieldDefs(ctx context.Context, tx *gorm.DB) ([]tenants.FieldDef, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var t tenants.Tenant
	if err := tx.Select("settings").Take(&t, "id = ?", tid).Error; err != nil {
		return nil, err
	}
	return t.Settings.Data().CustomFields, nil
}

// validateCustomFields checks a customer's custom_fields against the tenant's definitions
// (CUS-3): every key must be defined (unknown_field), every value of its type (invalid_type;
// a date that is no YYYY-MM-DD is invalid_format, a text over 2,000 characters too_long),
// choices among the options (invalid_choice). A null value means "no value". On create every
// required field needs a value (required); on update the map given replaces the stored one,
// so a required field given as null or "" is refused there too, while one left out is not —
// a definition added later must not block unrelated edits of older customers. All problems
// are reported at once, as fields "custom_fields.<key>".
func (s *Service) validateCustomFields(ctx context.Context, tx *gorm.DB, fields map[string]any, creating bool) error {
	if len(fields) == 0 && !creating {
		return nil
	}
	defs, err := customFieldDefs(ctx, tx)
	if err != nil {
		return err
	}
	byKey := make(map[string]tenants.FieldDef, len(defs))
	for _, d := range defs {
		byKey[d.Key] = d
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []problem.FieldError
	for _, k := range keys {
		d, ok := byKey[k]
		if !ok {
			errs = append(errs, problem.FieldError{Field: "custom_fields." + k, Code: "unknown_field", Key: "field.unknown_custom_field"})
			continue
		}
		if fe := checkCustomValue(d, fields[k]); fe != nil {
			errs = append(errs, *fe)
		}
	}
	for _, d := range defs {
		v, given := fields[d.Key]
		if d.Required && (given || creating) && isEmptyCustomValue(v) {
			errs = append(errs, problem.FieldError{Field: "custom_fields." + d.Key, Code: "required", Key: "field.required"})
		}
	}
	if len(errs) > 0 {
		return problem.Fields(errs...)
	}
	return nil
}

// checkCustomValue checks one value against its definition; nil when it fits.
func checkCustomValue(d tenants.FieldDef, v any) *problem.FieldError {
	if v == nil {
		return nil
	}
	field := "custom_fields." + d.Key
	wrongType := func(kind string) *problem.FieldError {
		return &problem.FieldError{Field: field, Code: "invalid_type", Key: "field.invalid_type", Args: []any{kind}}
	}
	choice := func(s string) bool {
		for _, o := range d.Options {
			if o == s {
				return true
			}
		}
		return false
	}
	notAChoice := &problem.FieldError{Field: field, Code: "invalid_choice", Key: "field.invalid_choice", Args: []any{strings.Join(d.Options, ", ")}}
	switch d.Type {
	case tenants.FieldText:
		s, ok := v.(string)
		if !ok {
			return wrongType("string")
		}
		if utf8.RuneCountInString(s) > maxCustomText {
			return &problem.FieldError{Field: field, Code: "too_long", Key: "field.too_long", Args: []any{maxCustomText}}
		}
	case tenants.FieldNumber:
		var f float64
		switch n := v.(type) {
		case float64:
			f = n
		case int:
			f = float64(n)
		case int64:
			f = float64(n)
		case json.Number:
			var err error
			if f, err = n.Float64(); err != nil {
				return wrongType("number")
			}
		default:
			return wrongType("number")
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return wrongType("number")
		}
	case tenants.FieldDate:
		s, ok := v.(string)
		if !ok {
			return wrongType("string")
		}
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return &problem.FieldError{Field: field, Code: "invalid_format", Key: "field.invalid_format"}
		}
	case tenants.FieldChoice:
		s, ok := v.(string)
		if !ok {
			return wrongType("string")
		}
		if s != "" && !choice(s) {
			return notAChoice
		}
	case tenants.FieldMultiChoice:
		var items []string
		switch list := v.(type) {
		case []any:
			for _, it := range list {
				s, ok := it.(string)
				if !ok {
					return wrongType("array")
				}
				items = append(items, s)
			}
		case []string:
			items = list
		default:
			return wrongType("array")
		}
		for _, s := range items {
			if !choice(s) {
				return notAChoice
			}
		}
	}
	return nil
}

// isEmptyCustomValue reports whether v gives no value: absent, null, "" or an empty list.
func isEmptyCustomValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	}
	return false
}
