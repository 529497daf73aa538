package tenants_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/smecrm/crm/app/apitest"
)

type tierJSON struct {
	MaxAmount *string `json:"max_amount"`
	Role      string  `json:"role"`
}

type settingsJSON struct {
	Locale        string     `json:"locale"`
	TimeZone      string     `json:"time_zone"`
	Currency      string     `json:"currency"`
	ApprovalTiers []tierJSON `json:"approval_tiers"`
	Cadences      struct {
		Key     int `json:"key"`
		General int `json:"general"`
		IntentA int `json:"intent_a"`
	} `json:"cadences"`
	Pool struct {
		Enabled        bool `json:"enabled"`
		RecycleDaysKey int  `json:"recycle_days_key"`
	} `json:"pool"`
	ComplaintSLADays int               `json:"complaint_sla_days"`
	EnabledPlugins   []string          `json:"enabled_plugins"`
	Extra            map[string]string `json:"extra"`
	Version          int64             `json:"version"`
}

func getSettings(t *testing.T, cl *apitest.Client) settingsJSON {
	t.Helper()
	var s settingsJSON
	cl.MustDo(t, "GET", "/api/v1/settings", nil, 200, &s)
	return s
}

func tiersOf(s settingsJSON) string {
	var parts []string
	for _, t := range s.ApprovalTiers {
		max := "∞"
		if t.MaxAmount != nil {
			max = *t.MaxAmount
		}
		parts = append(parts, max+":"+t.Role)
	}
	return strings.Join(parts, " ")
}

const defaultTiers = "1000:sales_manager 5000:vice_president ∞:general_manager"

func TestSettingsAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		// The other company changes its settings first; none of it may show for acme.
		other.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"currency": "USD", "time_zone": "Europe/Berlin"}, 200, nil)
		base := getSettings(t, owner)
		stale := base.Version - 1
		if stale < 0 {
			stale = 99
		}
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: "/api/v1/settings", Status: 401, Code: "unauthenticated"},
			{Name: "no login patch", Method: "PATCH", URL: "/api/v1/settings", Body: map[string]any{"currency": "USD"}, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "GET", URL: "/api/v1/settings", As: owner, Status: 200,
				Contains: []string{`"currency":"CNY"`, `"time_zone":"Asia/Shanghai"`}, NotContains: []string{"USD", "Europe/Berlin"}},
			{Name: "wrong role read", Method: "GET", URL: "/api/v1/settings", As: sales, Status: 403, Code: "forbidden"},
			{Name: "wrong role patch", Method: "PATCH", URL: "/api/v1/settings", As: sales, Body: map[string]any{"currency": "USD"}, Status: 403, Code: "forbidden"},
			{Name: "not found", Method: "GET", URL: "/api/v1/settings/approval", As: owner, Status: 404, Code: "not_found"},
			{Name: "invalid time zone", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"time_zone": "Mars/Olympus_Mons"},
				Status: 422, Code: "validation_failed", Contains: []string{`"field":"time_zone"`}},
			{Name: "empty time zone", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"time_zone": ""},
				Status: 422, Code: "validation_failed", Contains: []string{`"field":"time_zone"`}},
			{Name: "invalid tiers order", Method: "PATCH", URL: "/api/v1/settings", As: owner,
				Body:   map[string]any{"approval_tiers": []map[string]any{{"max_amount": "5000", "role": "sales_manager"}, {"max_amount": "1000", "role": "vice_president"}, {"max_amount": nil, "role": "general_manager"}}},
				Status: 422, Code: "validation_failed", Contains: []string{`"field":"approval_tiers"`}},
			{Name: "invalid tiers role", Method: "PATCH", URL: "/api/v1/settings", As: owner,
				Body:   map[string]any{"approval_tiers": []map[string]any{{"max_amount": "1000", "role": "ghost"}, {"max_amount": nil, "role": "general_manager"}}},
				Status: 422, Code: "validation_failed", Contains: []string{`"field":"approval_tiers"`}},
			{Name: "invalid tiers bounded last", Method: "PATCH", URL: "/api/v1/settings", As: owner,
				Body:   map[string]any{"approval_tiers": []map[string]any{{"max_amount": "1000", "role": "sales_manager"}}},
				Status: 422, Code: "validation_failed", Contains: []string{`"field":"approval_tiers"`}},
			{Name: "invalid tiers empty", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"approval_tiers": []any{}},
				Status: 422, Code: "validation_failed", Contains: []string{`"field":"approval_tiers"`}},
			{Name: "invalid tier amount", Method: "PATCH", URL: "/api/v1/settings", As: owner,
				Body:   map[string]any{"approval_tiers": []map[string]any{{"max_amount": "a lot", "role": "sales_manager"}, {"role": "general_manager"}}},
				Status: 422, Code: "validation_failed", Contains: []string{`"field":"approval_tiers"`}},
			{Name: "unknown tier field", Method: "PATCH", URL: "/api/v1/settings", As: owner,
				Body:   map[string]any{"approval_tiers": []map[string]any{{"max_amount": "1000", "role": "sales_manager", "approver": "bob"}, {"role": "general_manager"}}},
				Status: 422, Code: "validation_failed", Contains: []string{`"field":"approver"`, `"code":"unknown_field"`}},
			{Name: "unknown field", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"colour": "blue"},
				Status: 422, Code: "validation_failed", Contains: []string{`"field":"colour"`, `"code":"unknown_field"`}},
			{Name: "wrong type", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"complaint_sla_days": "six"},
				Status: 422, Code: "validation_failed", Contains: []string{`"code":"invalid_type"`}},
			{Name: "out of range", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"complaint_sla_days": -1},
				Status: 422, Code: "validation_failed", Contains: []string{`"code":"out_of_range"`}},
			{Name: "bad locale", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"locale": "fr"},
				Status: 422, Code: "validation_failed", Contains: []string{`"field":"locale"`}},
			{Name: "bad currency", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"currency": "yuan"},
				Status: 422, Code: "validation_failed", Contains: []string{`"field":"currency"`}},
			{Name: "stale version", Method: "PATCH", URL: "/api/v1/settings", As: owner, Body: map[string]any{"currency": "USD", "version": stale},
				Status: 409, Code: "conflict"},
			{Name: "success defaults", Method: "GET", URL: "/api/v1/settings", As: owner, Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					var s settingsJSON
					r.JSON(t, &s)
					if s.Locale != "en" || s.TimeZone != "Asia/Shanghai" || s.Currency != "CNY" || s.ComplaintSLADays != 6 {
						t.Errorf("defaults: %+v", s)
					}
					if got := tiersOf(s); got != defaultTiers {
						t.Errorf("tiers %q, want %q", got, defaultTiers)
					}
					if s.Cadences.Key != 7 || s.Cadences.General != 30 || !s.Pool.Enabled {
						t.Errorf("cadences/pool defaults: %+v", s)
					}
				}},
		})
		// None of the refused changes was saved.
		if after := getSettings(t, owner); after.Version != base.Version || tiersOf(after) != defaultTiers || after.Currency != "CNY" || after.TimeZone != "Asia/Shanghai" {
			t.Errorf("a refused PATCH changed the settings: %+v (was %+v)", after, base)
		}
	})
}

func TestSettingsPatchMerges(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		base := getSettings(t, owner)

		var s settingsJSON
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"cadences": map[string]any{"key": 3}, "version": base.Version}, 200, &s)
		if s.Cadences.Key != 3 || s.Cadences.General != 30 || s.Cadences.IntentA != 7 {
			t.Errorf("cadences after PATCH of key: %+v", s.Cadences)
		}
		if s.Version != base.Version+1 || s.Currency != "CNY" || tiersOf(s) != defaultTiers || !s.Pool.Enabled {
			t.Errorf("untouched fields changed: %+v", s)
		}
		if got := getSettings(t, owner); got.Cadences.Key != 3 || got.Cadences.General != 30 || got.Version != s.Version {
			t.Errorf("stored: %+v", got)
		}
		// The version just used is stale now.
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"cadences": map[string]any{"key": 4}, "version": base.Version}, 409, nil)

		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"time_zone": "Asia/Taipei", "currency": "TWD", "pool": map[string]any{"recycle_days_key": 45}}, 200, &s)
		if s.TimeZone != "Asia/Taipei" || s.Currency != "TWD" || s.Pool.RecycleDaysKey != 45 || !s.Pool.Enabled || s.Cadences.Key != 3 {
			t.Errorf("after second PATCH: %+v", s)
		}

		// A list is replaced as a whole, here by a shorter one.
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"approval_tiers": []map[string]any{
			{"max_amount": "3000", "role": "sales_manager"}, {"role": "general_manager"}}}, 200, &s)
		if got := tiersOf(s); got != "3000:sales_manager ∞:general_manager" {
			t.Errorf("tiers after shorter list: %q", got)
		}
		if got := tiersOf(getSettings(t, owner)); got != "3000:sales_manager ∞:general_manager" {
			t.Errorf("stored tiers after shorter list: %q", got)
		}
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"approval_tiers": []map[string]any{
			{"max_amount": 1500, "role": "sales_manager"}, {"max_amount": "6000.50", "role": "vice_president"}, {"max_amount": nil, "role": "general_manager"}}}, 200, &s)
		if got := tiersOf(s); got != "1500:sales_manager 6000.5:vice_president ∞:general_manager" {
			t.Errorf("tiers after longer list: %q", got)
		}
	})
}

type approverJSON struct {
	Amount string `json:"amount"`
	Role   string `json:"role"`
}

func approver(t *testing.T, cl *apitest.Client, amount string) string {
	t.Helper()
	var a approverJSON
	cl.MustDo(t, "GET", "/api/v1/approvals/approver?amount="+amount, nil, 200, &a)
	return a.Role
}

func TestApproverAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: "/api/v1/approvals/approver?amount=10", Status: 401, Code: "unauthenticated"},
			{Name: "invalid amount", Method: "GET", URL: "/api/v1/approvals/approver?amount=lots", As: sales, Status: 422, Code: "validation_failed", Contains: []string{`"field":"amount"`}},
			{Name: "negative amount", Method: "GET", URL: "/api/v1/approvals/approver?amount=-1", As: sales, Status: 422, Code: "validation_failed", Contains: []string{`"field":"amount"`}},
			{Name: "missing amount", Method: "GET", URL: "/api/v1/approvals/approver", As: sales, Status: 422, Code: "validation_failed", Contains: []string{`"field":"amount"`}},
			{Name: "success", Method: "GET", URL: "/api/v1/approvals/approver?amount=999.99", As: sales, Status: 200, Contains: []string{`"role":"sales_manager"`, `"amount":"999.99"`}},
		})
		for amount, role := range map[string]string{"0": "sales_manager", "999.99": "sales_manager", "1000": "vice_president", "4999.99": "vice_president", "5000": "general_manager", "5000.01": "general_manager", "1000000000": "general_manager"} {
			if got := approver(t, sales, amount); got != role {
				t.Errorf("default tiers: approver(%s) = %q, want %q", amount, got, role)
			}
		}
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"approval_tiers": []map[string]any{
			{"max_amount": "2000", "role": "sales_manager"}, {"max_amount": "10000", "role": "vice_president"}, {"max_amount": nil, "role": "general_manager"}}}, 200, nil)
		for amount, role := range map[string]string{"999.99": "sales_manager", "1000": "sales_manager", "1999.99": "sales_manager", "2000": "vice_president", "5000": "vice_president", "10000": "general_manager"} {
			if got := approver(t, sales, amount); got != role {
				t.Errorf("tiers 2000/10000: approver(%s) = %q, want %q", amount, got, role)
			}
		}
		// The other company keeps the defaults.
		if got := approver(t, other.Owner, "1000"); got != "vice_president" {
			t.Errorf("other tenant: approver(1000) = %q, want vice_president", got)
		}
		if got := approver(t, other.Owner, "5000"); got != "general_manager" {
			t.Errorf("other tenant: approver(5000) = %q, want general_manager", got)
		}
	})
}

// The settings change is audited with each changed field as [before, after], lists included.
func TestSettingsAudit(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{
			"approval_tiers": []map[string]any{{"max_amount": "2000", "role": "sales_manager"}, {"max_amount": "10000", "role": "vice_president"}, {"role": "general_manager"}},
			"extra":          map[string]string{"region": "east"},
			"cadences":       map[string]any{"general": 20},
		}, 200, nil)
		var hist struct {
			Items []struct {
				Action   string                        `json:"action"`
				EntityID string                        `json:"entity_id"`
				Changes  map[string][2]json.RawMessage `json:"changes"`
			}
		}
		owner.MustDo(t, "GET", "/api/v1/audit?entity=settings", nil, 200, &hist)
		if len(hist.Items) != 1 {
			t.Fatalf("settings audit entries: %d, want 1", len(hist.Items))
		}
		e := hist.Items[0]
		if e.Action != "update" || e.EntityID != acme.ID.String() {
			t.Errorf("entry %+v", e)
		}
		want := map[string][2]string{
			"approval_tiers": {`[{"max_amount":"1000","role":"sales_manager"},{"max_amount":"5000","role":"vice_president"},{"max_amount":null,"role":"general_manager"}]`,
				`[{"max_amount":"2000","role":"sales_manager"},{"max_amount":"10000","role":"vice_president"},{"max_amount":null,"role":"general_manager"}]`},
			"extra": {`null`, `{"region":"east"}`},
		}
		for field, w := range want {
			got, ok := e.Changes[field]
			if !ok {
				t.Errorf("changes lack %s: %v", field, keys(e.Changes))
				continue
			}
			if compact(t, got[0]) != w[0] || compact(t, got[1]) != w[1] {
				t.Errorf("%s: [%s, %s], want [%s, %s]", field, got[0], got[1], w[0], w[1])
			}
		}
		// A second change to a map: before is the first change's value, not the new one.
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"extra": map[string]string{"team": "b"}}, 200, nil)
		var hist2 struct {
			Items []struct {
				Changes map[string][2]json.RawMessage `json:"changes"`
			}
		}
		owner.MustDo(t, "GET", "/api/v1/audit?entity=settings", nil, 200, &hist2)
		if len(hist2.Items) != 2 {
			t.Fatalf("settings audit entries: %d, want 2", len(hist2.Items))
		}
		if c := hist2.Items[0].Changes["extra"]; compact(t, c[0]) != `{"region":"east"}` || compact(t, c[1]) != `{"region":"east","team":"b"}` {
			t.Errorf("second extra change: [%s, %s], want [{region:east}, {region:east, team:b}]", c[0], c[1])
		}
		if c, ok := e.Changes["cadences"]; !ok || !strings.Contains(string(c[0]), `"general":30`) || !strings.Contains(string(c[1]), `"general":20`) {
			t.Errorf("cadences change: %s", e.Changes["cadences"])
		}
		for _, f := range []string{"currency", "time_zone", "locale", "version"} {
			if _, ok := e.Changes[f]; ok {
				t.Errorf("unchanged field %s in changes", f)
			}
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
