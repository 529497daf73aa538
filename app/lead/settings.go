package lead

import (
	"github.com/google/uuid"

	"github.com/smecrm/crm/tenants"
)

// Assignment are the rules that give an owner to a lead created or imported without one
// (EXP-1): the lead area's settings section, "lead_assignment" in /settings. Rules are tried in
// order; the first whose region and industry match the lead (an empty one matches anything)
// gives the lead to the next of its users in turn (round-robin). A rule with neither region nor
// industry is plain round-robin over its users. Inactive users are passed over; a lead no rule
// matches stays unassigned.
type Assignment struct {
	Rules []Rule `json:"rules" validate:"max=100,dive"`
}

// Rule is one assignment rule.
type Rule struct {
	Region   string      `json:"region,omitempty" validate:"max=100"`
	Industry string      `json:"industry,omitempty" validate:"max=100"`
	Users    []uuid.UUID `json:"users" validate:"required,min=1,max=200"`
}

// Settings is the lead area's settings section; server.New adds it to the tenants service.
var Settings = tenants.Section[Assignment]{
	Key:      "lead_assignment",
	Defaults: func() Assignment { return Assignment{Rules: []Rule{}} },
}
