package tenants_test

import (
	"encoding/json"
	"testing"

	"github.com/smecrm/crm/app/apitest"
)

// The follow-up and lead areas keep their settings as sections of their own; the API shows them
// as members of /settings, merges patches into them and validates them with the core settings.
func TestSettingsSections(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		type sections struct {
			Reminders struct {
				EarlyMinutes *int  `json:"early_minutes"`
				Email        *bool `json:"email"`
			} `json:"reminders"`
			LeadAssignment *struct {
				Rules []json.RawMessage `json:"rules"`
			} `json:"lead_assignment"`
			Currency string `json:"currency"`
			Version  int64  `json:"version"`
		}
		get := func(cl *apitest.Client) sections {
			var s sections
			cl.MustDo(t, "GET", "/api/v1/settings", nil, 200, &s)
			return s
		}

		// Never saved: the sections' defaults.
		s := get(owner)
		if s.Reminders.EarlyMinutes != nil || s.Reminders.Email != nil || s.LeadAssignment == nil || len(s.LeadAssignment.Rules) != 0 {
			t.Fatalf("defaults: %+v", s)
		}

		// Fields given replace, the others stay: a second patch keeps the first one's value.
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"reminders": map[string]any{"early_minutes": 30}}, 200, nil)
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"reminders": map[string]any{"email": false}}, 200, nil)
		s = get(owner)
		if s.Reminders.EarlyMinutes == nil || *s.Reminders.EarlyMinutes != 30 || s.Reminders.Email == nil || *s.Reminders.Email {
			t.Fatalf("after patches: %+v", s.Reminders)
		}
		saved := s.Version

		// Invalid sections are refused with the field under the section's key, and nothing of
		// the patch is saved, core members included.
		for _, c := range []struct {
			name  string
			body  map[string]any
			field string
			code  string
		}{
			{"out of range", map[string]any{"currency": "USD", "reminders": map[string]any{"early_minutes": -1}}, "reminders.early_minutes", "out_of_range"},
			{"unknown member of a section", map[string]any{"reminders": map[string]any{"bogus": 1}}, "reminders.bogus", "unknown_field"},
			{"wrong type in a section", map[string]any{"reminders": map[string]any{"email": "yes"}}, "reminders.email", "invalid_type"},
			{"section not an object", map[string]any{"reminders": 5}, "reminders", "invalid_type"},
			{"section set to null", map[string]any{"reminders": nil}, "reminders", "invalid_type"},
			{"rule without users", map[string]any{"lead_assignment": map[string]any{"rules": []any{map[string]any{"region": "华东"}}}}, "lead_assignment.rules[0].users", "required"},
			{"unknown section", map[string]any{"service_desk": map[string]any{}}, "service_desk", "unknown_field"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := owner.Do(t, "PATCH", "/api/v1/settings", c.body)
				if r.Status != 422 {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
				r.Problem(t).WantField(t, c.field, c.code)
				after := get(owner)
				if after.Version != saved || after.Currency != "CNY" || after.Reminders.EarlyMinutes == nil || *after.Reminders.EarlyMinutes != 30 {
					t.Fatalf("a refused patch changed the settings: %+v", after)
				}
			})
		}

		// A core change leaves the sections as they were; the other company's are its own.
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"currency": "USD"}, 200, nil)
		if s = get(owner); s.Currency != "USD" || s.Reminders.EarlyMinutes == nil || *s.Reminders.EarlyMinutes != 30 {
			t.Fatalf("after a core change: %+v", s)
		}
		if o := get(other.Owner); o.Reminders.EarlyMinutes != nil || o.Reminders.Email != nil {
			t.Fatalf("the other tenant sees acme's reminders: %+v", o.Reminders)
		}
	})
}
