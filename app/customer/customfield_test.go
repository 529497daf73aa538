package customer_test

// Custom fields (CUS-3): definitions in the tenant's settings, checked there, and customers'
// custom_fields checked against them on create and update.

import (
	"testing"

	"github.com/smecrm/crm/app/apitest"
)

// cxDefineFields sets the tenant's custom field definitions through PATCH /settings.
func cxDefineFields(t testing.TB, owner *apitest.Client, defs ...map[string]any) {
	t.Helper()
	if defs == nil {
		defs = []map[string]any{}
	}
	owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"custom_fields": defs}, 200, nil)
}

// cxStandardFields are a tenant's definitions used by these tests.
var cxStandardFields = []map[string]any{
	{"key": "erp_code", "label": "ERP 编号", "type": "text"},
	{"key": "vip_level", "label": "VIP 等级", "type": "number"},
	{"key": "contract_since", "label": "合作起始", "type": "date"},
	{"key": "grade", "label": "客户等级", "type": "choice", "options": []string{"金", "银", "铜"}, "required": true},
	{"key": "channels", "label": "渠道", "type": "multi_choice", "options": []string{"线上", "线下", "代理"}},
}

func TestCustomFieldDefinitions(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		u := "/api/v1/settings"
		patch := func(defs ...map[string]any) map[string]any { return map[string]any{"custom_fields": defs} }
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "PATCH", URL: u, Body: patch(cxStandardFields...), Status: 401, Code: "unauthenticated"},
			// Settings are always the caller's own tenant's: there is no other tenant to name.
			{Name: "wrong role", Method: "PATCH", URL: u, As: sales, Body: patch(cxStandardFields...), Status: 403, Code: "forbidden"},
			{Name: "invalid: key format", Method: "PATCH", URL: u, As: owner, Status: 422, Code: "validation_failed",
				Body: patch(map[string]any{"key": "Bad-Key", "label": "x", "type": "text"}), Check: cxWantField("custom_fields[0].key", "invalid_format")},
			{Name: "invalid: key starting with a digit", Method: "PATCH", URL: u, As: owner, Status: 422, Code: "validation_failed",
				Body: patch(map[string]any{"key": "1st", "label": "x", "type": "text"}), Check: cxWantField("custom_fields[0].key", "invalid_format")},
			{Name: "invalid: key too long", Method: "PATCH", URL: u, As: owner, Status: 422, Code: "validation_failed",
				Body: patch(map[string]any{"key": "a234567890123456789012345678901234567890x", "label": "x", "type": "text"}), Check: cxWantField("custom_fields[0].key", "too_long")},
			{Name: "invalid: duplicate keys", Method: "PATCH", URL: u, As: owner, Status: 422, Code: "validation_failed",
				Body:  patch(map[string]any{"key": "a", "label": "x", "type": "text"}, map[string]any{"key": "a", "label": "y", "type": "number"}),
				Check: cxWantField("custom_fields[1].key", "taken")},
			{Name: "invalid: options on a text field", Method: "PATCH", URL: u, As: owner, Status: 422, Code: "validation_failed",
				Body: patch(map[string]any{"key": "a", "label": "x", "type": "text", "options": []string{"p"}}), Check: cxWantField("custom_fields[0].options", "invalid")},
			{Name: "invalid: choice without options", Method: "PATCH", URL: u, As: owner, Status: 422, Code: "validation_failed",
				Body: patch(map[string]any{"key": "a", "label": "x", "type": "choice"}), Check: cxWantField("custom_fields[0].options", "required")},
			{Name: "invalid: repeated option", Method: "PATCH", URL: u, As: owner, Status: 422, Code: "validation_failed",
				Body: patch(map[string]any{"key": "a", "label": "x", "type": "multi_choice", "options": []string{"p", "p"}}), Check: cxWantField("custom_fields[0].options", "invalid")},
			{Name: "invalid: unknown type, no label", Method: "PATCH", URL: u, As: owner, Status: 422, Code: "validation_failed",
				Body: patch(map[string]any{"key": "a", "label": "", "type": "blob"}), Check: func(t *testing.T, r *apitest.Response) {
					p := r.Problem(t)
					p.WantField(t, "custom_fields[0].type", "invalid_choice")
					p.WantField(t, "custom_fields[0].label", "required")
				}},
			{Name: "invalid: unknown attribute", Method: "PATCH", URL: u, As: owner, Status: 422, Code: "validation_failed",
				Body: patch(map[string]any{"key": "a", "label": "x", "type": "text", "colour": "red"})},
			{Name: "success", Method: "PATCH", URL: u, As: owner, Body: patch(cxStandardFields...), Status: 200,
				Contains: []string{`"key":"grade"`, `"options":["金","银","铜"]`, `"required":true`}},
			{Name: "success: read back", Method: "GET", URL: u, As: owner, Status: 200, Contains: []string{`"key":"channels"`, `"type":"multi_choice"`}},
			// A list replaces the old one whole: nothing of an old definition lingers in the new.
			{Name: "success: replaced, not merged", Method: "PATCH", URL: u, As: owner, Body: patch(map[string]any{"key": "note", "label": "备注", "type": "text"}), Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					var s struct {
						CustomFields []struct {
							Key      string   `json:"key"`
							Options  []string `json:"options"`
							Required bool     `json:"required"`
						} `json:"custom_fields"`
					}
					r.JSON(t, &s)
					if len(s.CustomFields) != 1 || s.CustomFields[0].Key != "note" || s.CustomFields[0].Required || len(s.CustomFields[0].Options) != 0 {
						t.Errorf("custom_fields after replacing: %+v", s.CustomFields)
					}
				}},
			{Name: "success: other settings stay", Method: "GET", URL: u, As: owner, Status: 200, Contains: []string{`"duplicate_policy":"warn"`}},
		})
	})
}

func TestCustomFieldValues(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		cxDefineFields(t, owner, cxStandardFields...)
		u := "/api/v1/customers"
		create := func(name string, cf map[string]any) map[string]any {
			return map[string]any{"type": "enterprise", "name": name, "custom_fields": cf}
		}
		finance := acme.AddUser(t, "finance")
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: u, Body: create("甲", map[string]any{"grade": "金"}), Status: 401, Code: "unauthenticated"},
			// Another tenant has no definitions: the same values are unknown fields there.
			{Name: "other tenant: its own definitions apply", Method: "POST", URL: u, As: other.Owner, Body: create("外企", map[string]any{"grade": "金"}),
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.grade", "unknown_field")},
			{Name: "wrong role", Method: "POST", URL: u, As: finance, Body: create("甲", map[string]any{"grade": "金"}), Status: 403, Code: "forbidden"},
			{Name: "invalid: unknown key", Method: "POST", URL: u, As: owner, Body: create("甲", map[string]any{"grade": "金", "nope": "x"}),
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.nope", "unknown_field")},
			{Name: "invalid: wrong types", Method: "POST", URL: u, As: owner, Status: 422, Code: "validation_failed",
				Body: create("甲", map[string]any{"grade": 1, "vip_level": "high", "erp_code": 12, "contract_since": 20200101, "channels": "线上"}),
				Check: func(t *testing.T, r *apitest.Response) {
					p := r.Problem(t)
					for _, f := range []string{"grade", "vip_level", "erp_code", "contract_since", "channels"} {
						p.WantField(t, "custom_fields."+f, "invalid_type")
					}
				}},
			{Name: "invalid: choice not among the options", Method: "POST", URL: u, As: owner, Body: create("甲", map[string]any{"grade": "钻石"}),
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.grade", "invalid_choice")},
			{Name: "invalid: a multi-choice item not among the options", Method: "POST", URL: u, As: owner, Body: create("甲", map[string]any{"grade": "金", "channels": []any{"线上", "电视"}}),
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.channels", "invalid_choice")},
			{Name: "invalid: a multi-choice item of the wrong type", Method: "POST", URL: u, As: owner, Body: create("甲", map[string]any{"grade": "金", "channels": []any{"线上", 3}}),
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.channels", "invalid_type")},
			{Name: "invalid: not a date", Method: "POST", URL: u, As: owner, Body: create("甲", map[string]any{"grade": "金", "contract_since": "2020-02-30"}),
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.contract_since", "invalid_format")},
			{Name: "invalid: required missing on create", Method: "POST", URL: u, As: owner, Body: create("甲", map[string]any{"erp_code": "E1"}),
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.grade", "required")},
			{Name: "invalid: required empty on create", Method: "POST", URL: u, As: owner, Body: create("甲", map[string]any{"grade": ""}),
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.grade", "required")},
			{Name: "invalid: required without any custom_fields", Method: "POST", URL: u, As: owner, Body: map[string]any{"type": "enterprise", "name": "甲"},
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.grade", "required")},
			{Name: "success", Method: "POST", URL: u, As: owner, Status: 201,
				Body:     create("甲", map[string]any{"grade": "金", "vip_level": 3.5, "erp_code": "E-1", "contract_since": "2020-01-31", "channels": []any{"线上", "代理"}}),
				Contains: []string{`"custom_fields":{"channels":["线上","代理"],"contract_since":"2020-01-31","erp_code":"E-1","grade":"金","vip_level":3.5}`}},
			{Name: "success: optional fields left out or null", Method: "POST", URL: u, As: owner, Status: 201,
				Body: create("乙", map[string]any{"grade": "铜", "vip_level": nil, "channels": []any{}})},
		})

		var c cxCustomer
		owner.MustDo(t, "POST", u, create("丙", map[string]any{"grade": "银"}), 201, &c)
		one := cxURL("customers", c.ID.String())
		env.Run(t, []apitest.Scenario{
			{Name: "update: unknown key", Method: "PATCH", URL: one, As: owner, Body: map[string]any{"version": c.Version, "custom_fields": map[string]any{"grade": "银", "nope": 1}},
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.nope", "unknown_field")},
			{Name: "update: wrong type", Method: "PATCH", URL: one, As: owner, Body: map[string]any{"version": c.Version, "custom_fields": map[string]any{"grade": "银", "vip_level": true}},
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.vip_level", "invalid_type")},
			{Name: "update: choice not among the options", Method: "PATCH", URL: one, As: owner, Body: map[string]any{"version": c.Version, "custom_fields": map[string]any{"grade": "gold"}},
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.grade", "invalid_choice")},
			{Name: "update: a required field cleared", Method: "PATCH", URL: one, As: owner, Body: map[string]any{"version": c.Version, "custom_fields": map[string]any{"grade": nil}},
				Status: 422, Code: "validation_failed", Check: cxWantField("custom_fields.grade", "required")},
			{Name: "update: success", Method: "PATCH", URL: one, As: owner, Body: map[string]any{"version": c.Version, "custom_fields": map[string]any{"grade": "金", "erp_code": "E-9"}},
				Status: 200, Contains: []string{`"custom_fields":{"erp_code":"E-9","grade":"金"}`}},
			// A definition added after a customer was created must not block edits that leave
			// custom_fields alone.
			{Name: "update: other fields need no custom field check", Method: "PATCH", URL: one, As: owner, Body: map[string]any{"version": c.Version + 1, "industry": "化工"},
				Status: 200},
		})
	})
}
