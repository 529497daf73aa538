package org_test

import (
	"testing"

	"github.com/smecrm/crm/app/apitest"
)

// TestProfileAPI: every user changes their own name, language and password through PATCH /me,
// whatever their roles; a new password needs the current one and ends their other sessions.
func TestProfileAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Session: true}, "salesperson") // no user:update
		elsewhere := *sales
		env.SignIn(t, &elsewhere, true)
		theirs := other.AddUser(t, "salesperson")
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "PATCH", URL: "/api/v1/me", Body: map[string]any{"name": "x"}, Status: 401, Code: "unauthenticated"},
			{Name: "invalid: empty name", Method: "PATCH", URL: "/api/v1/me", As: sales, Body: map[string]any{"name": ""}, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "name", "too_short") }},
			{Name: "invalid: unknown language", Method: "PATCH", URL: "/api/v1/me", As: sales, Body: map[string]any{"locale": "fr"}, Status: 422, Code: "validation_failed"},
			{Name: "invalid: new password without the current one", Method: "PATCH", URL: "/api/v1/me", As: sales, Body: map[string]any{"password": "a long new password"},
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "current_password", "required") }},
			{Name: "invalid: wrong current password", Method: "PATCH", URL: "/api/v1/me", As: sales,
				Body: map[string]any{"password": "a long new password", "current_password": "not my password"}, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "current_password", "invalid") }},
			{Name: "wrong role does not matter: a salesperson renames themself", Method: "PATCH", URL: "/api/v1/me", As: sales,
				Body: map[string]any{"name": "王小明", "locale": "zh-TW"}, Status: 200, Contains: []string{`"name":"王小明"`, `"locale":"zh-TW"`}},
			{Name: "other tenant: their PATCH /me is their own", Method: "PATCH", URL: "/api/v1/me", As: theirs, Body: map[string]any{"name": "别家的人"}, Status: 200,
				NotContains: []string{sales.UserID.String()}},
			{Name: "success: a new password", Method: "PATCH", URL: "/api/v1/me", As: sales,
				Body: map[string]any{"password": "a long new password", "current_password": sales.Password}, Status: 200},
			{Name: "the other session ended", Method: "GET", URL: "/api/v1/me", As: &elsewhere, Status: 401, Code: "unauthenticated"},
			{Name: "this session goes on, now in zh-TW", Method: "GET", URL: "/api/v1/me", As: sales, Status: 200, Contains: []string{"王小明"}},
		})
		var me struct {
			User struct{ Name string } `json:"user"`
		}
		acme.Owner.MustDo(t, "GET", "/api/v1/users/"+sales.UserID.String(), nil, 200, &me.User)
		if me.User.Name != "王小明" {
			t.Errorf("name after the profile change: %q", me.User.Name)
		}
		sales.Password = "a long new password"
		env.SignIn(t, sales, true)
	})
}
