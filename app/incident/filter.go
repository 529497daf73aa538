package incident

import (
	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/customer"
)

// CustomerFilter picks affected customers as the customer list does (GET /customers with the
// same parameters): the live customers outside the public pool in the acting user's data
// scope that match every given field.
type CustomerFilter struct {
	Q             string `json:"q,omitempty" validate:"max=100"`
	Type          string `json:"type,omitempty" validate:"omitempty,oneof=enterprise individual"`
	Stage         string `json:"stage,omitempty" validate:"omitempty,oneof=potential prospect deal churned"`
	Tier          string `json:"tier,omitempty" validate:"omitempty,oneof=key general potential"`
	IntentClass   string `json:"intent_class,omitempty" validate:"omitempty,oneof=A B C"`
	ValueClass    string `json:"value_class,omitempty" validate:"omitempty,oneof=A B C"`
	OwnerID       string `json:"owner_id,omitempty" validate:"omitempty,uuid"`
	DepartmentID  string `json:"department_id,omitempty" validate:"omitempty,uuid"`
	Tag           string `json:"tag,omitempty" validate:"max=50"`
	Region        string `json:"region,omitempty" validate:"max=100"`
	Industry      string `json:"industry,omitempty" validate:"max=100"`
	Source        string `json:"source,omitempty" validate:"max=50"`
	CreatedAfter  string `json:"created_after,omitempty" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	CreatedBefore string `json:"created_before,omitempty" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
}

// empty reports whether f names no field: it would pick every customer in sight, which must
// be asked for by a field, not by leaving them all out.
func (f CustomerFilter) empty() bool { return f == CustomerFilter{} }

// list is f as the customer list's filter.
func (f CustomerFilter) list() customer.Filter {
	return customer.Filter{ListParams: api.ListParams{}, Q: f.Q, Type: f.Type, Stage: f.Stage, Tier: f.Tier, IntentClass: f.IntentClass,
		ValueClass: f.ValueClass, OwnerID: f.OwnerID, DepartmentID: f.DepartmentID, Tag: f.Tag, Region: f.Region,
		Industry: f.Industry, Source: f.Source, CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore}
}
