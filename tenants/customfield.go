package tenants

import (
	"fmt"
	"regexp"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/problem"
)

// Custom field types (CUS-3).
const (
	FieldText        = "text"
	FieldNumber      = "number"
	FieldDate        = "date"
	FieldChoice      = "choice"
	FieldMultiChoice = "multi_choice"
)

// FieldDef defines one of a tenant's own customer fields (CUS-3). Customers carry the values
// in custom_fields under Key; the customer service checks them against these definitions.
type FieldDef struct {
	Key      string   `json:"key" validate:"required,max=40"`
	Label    string   `json:"label" validate:"required,max=100"`
	Type     string   `json:"type" validate:"required,oneof=text number date choice multi_choice"`
	Options  []string `json:"options" validate:"max=200,dive,min=1,max=100"`
	Required bool     `json:"required"`
}

// UnmarshalJSON decodes a definition from scratch: encoding/json decodes a list into the
// elements already there, so a PATCH of custom_fields over the current ones would otherwise
// keep an old definition's options or required flag (the same trap as policies.Tier).
// Unknown fields are refused, as everywhere in request bodies.
func (d *FieldDef) UnmarshalJSON(b []byte) error {
	type plain FieldDef
	var p plain
	if err := api.DecodeFresh(b, &p); err != nil {
		return err
	}
	*d = FieldDef(p)
	return nil
}

// IsChoice reports whether the field's values come from Options.
func (d FieldDef) IsChoice() bool { return d.Type == FieldChoice || d.Type == FieldMultiChoice }

var fieldKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// validateFieldDefs checks what struct tags cannot: keys are identifiers and unique, choice
// fields have distinct options and other types none.
func validateFieldDefs(defs []FieldDef) error {
	var errs []problem.FieldError
	seen := map[string]bool{}
	for i, d := range defs {
		at := fmt.Sprintf("custom_fields[%d]", i)
		switch {
		case !fieldKeyRE.MatchString(d.Key):
			errs = append(errs, problem.FieldError{Field: at + ".key", Code: "invalid_format", Key: "field.custom_field_key"})
		case seen[d.Key]:
			errs = append(errs, problem.FieldError{Field: at + ".key", Code: "taken", Key: "field.custom_field_taken"})
		}
		seen[d.Key] = true
		switch {
		case d.IsChoice() && len(d.Options) == 0:
			errs = append(errs, problem.FieldError{Field: at + ".options", Code: "required", Key: "field.required"})
		case !d.IsChoice() && len(d.Options) > 0:
			errs = append(errs, problem.FieldError{Field: at + ".options", Code: "invalid", Key: "field.options_not_allowed"})
		}
		opts := map[string]bool{}
		for _, o := range d.Options {
			if opts[o] {
				errs = append(errs, problem.FieldError{Field: at + ".options", Code: "invalid", Key: "field.options_repeated", Args: []any{o}})
				break
			}
			opts[o] = true
		}
	}
	if len(errs) > 0 {
		return problem.Fields(errs...)
	}
	return nil
}
