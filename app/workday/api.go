package workday

import "github.com/smecrm/crm/app/api"

// API serves /calendar.
type API struct{ S *Service }

// Routes registers the endpoints: the calendar is a tenant setting, read with settings:read
// and changed with settings:update (the owner).
func (a API) Routes(r *api.Router) {
	s := a.S
	api.Handle(r, api.Op{Method: "GET", Path: "/calendar", ID: "getCalendar", Summary: "The tenant's working calendar of a year", Tag: "settings",
		Perm: api.Perm{Object: "settings", Action: "read"}}, api.Call(s.Year))
	api.Handle(r, api.Op{Method: "PUT", Path: "/calendar", ID: "putCalendar", Summary: "Set the tenant's own days off and working days of a year", Tag: "settings",
		Perm: api.Perm{Object: "settings", Action: "update"}}, api.Call(s.Replace))
}
