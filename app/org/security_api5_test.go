package org_test

import (
	"slices"
	"testing"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/problem"
)

// TestAPI5RoleEscalation (OWASP API5, function-level authorization): a general manager may
// manage users (user:*) but cannot climb: no owner role for self or anyone else, no role equal
// to their own, no changes to the owner's account, no other user's password. Every attempt
// answers 403 and, re-read, nothing changed; the owner may do each of them.
func TestAPI5RoleEscalation(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		gm := acme.AddUser(t, "general_manager")
		colleague := acme.AddUserWith(t, apitest.UserOpts{Session: true}, "sales_manager")
		sales := acme.AddUser(t, "salesperson")

		// deny expects 403 forbidden with the rule's message (key, args) as the detail.
		deny := func(name, method, url string, body map[string]any, key string, args ...any) {
			t.Helper()
			r := gm.Do(t, method, url, body)
			var p struct{ Code, Detail string }
			r.JSON(t, &p)
			if want := problem.Message("en", key, args...); r.Status != 403 || p.Code != "forbidden" || p.Detail != want {
				t.Errorf("%s: %d %s, want 403 forbidden %q", name, r.Status, r.Body, want)
			}
		}
		users := func() map[string]userOut {
			out := map[string]userOut{}
			for _, c := range []*apitest.Client{owner, gm, colleague, sales} {
				out[c.UserID.String()] = getUser(t, owner, c.UserID)
			}
			return out
		}
		before := users()
		v := func(c *apitest.Client) int64 { return before[c.UserID.String()].Version }

		deny("make self owner", "PATCH", "/api/v1/users/"+gm.UserID.String(), map[string]any{"version": v(gm), "roles": []string{"general_manager", "owner"}}, "role_grant_denied", "owner")
		deny("grant owner to another", "PATCH", "/api/v1/users/"+colleague.UserID.String(), map[string]any{"version": v(colleague), "roles": []string{"owner"}}, "role_grant_denied", "owner")
		deny("grant own role to another", "PATCH", "/api/v1/users/"+sales.UserID.String(), map[string]any{"version": v(sales), "roles": []string{"general_manager"}}, "role_grant_denied", "general_manager")
		deny("create an owner", "POST", "/api/v1/users", map[string]any{"email": "new-owner@example.com", "name": "x", "roles": []string{"owner"}}, "role_grant_denied", "owner")
		deny("create a peer", "POST", "/api/v1/users", map[string]any{"email": "new-gm@example.com", "name": "x", "roles": []string{"general_manager"}}, "role_grant_denied", "general_manager")
		deny("change the owner's email", "PATCH", "/api/v1/users/"+owner.UserID.String(), map[string]any{"version": v(owner), "email": "taken-over@example.com"}, "owner_account_protected")
		deny("take the owner's role", "PATCH", "/api/v1/users/"+owner.UserID.String(), map[string]any{"version": v(owner), "roles": []string{"salesperson"}}, "owner_account_protected")
		deny("move the owner", "PATCH", "/api/v1/users/"+owner.UserID.String(), map[string]any{"version": v(owner), "department_id": acme.Departments["Sales"]}, "owner_account_protected")
		deny("disable the owner", "DELETE", "/api/v1/users/"+owner.UserID.String(), nil, "owner_account_protected")
		deny("set another user's password", "PATCH", "/api/v1/users/"+sales.UserID.String(), map[string]any{"version": v(sales), "password": "chosen by the manager"}, "password_self_only")

		after := users()
		for id, b := range before {
			a := after[id]
			if a.Version != b.Version || a.Email != b.Email || a.Status != b.Status || !slices.Equal(a.Roles, b.Roles) || !sameDept(a, b) {
				t.Errorf("user %s changed: %+v → %+v", id, b, a)
			}
		}
		for _, email := range []string{"new-owner@example.com", "new-gm@example.com"} {
			if us := listAll(t, owner, "/api/v1/users?q="+email); len(us) != 0 {
				t.Errorf("%s was created: %+v", email, us)
			}
		}
		// The old password still signs the salesperson in.
		env.SignIn(t, sales, true)

		// What a general manager may do: grant roles below their own.
		gm.MustDo(t, "PATCH", "/api/v1/users/"+sales.UserID.String(), map[string]any{"version": v(sales), "roles": []string{"sales_manager"}}, 200, nil)
		// The owner may grant the owner role and reset a password (which ends the user's sessions).
		owner.MustDo(t, "PATCH", "/api/v1/users/"+colleague.UserID.String(), map[string]any{"version": v(colleague), "roles": []string{"owner"}, "password": "reset by the owner"}, 200, nil)
		if r := colleague.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
			t.Errorf("colleague's session after the owner's reset: %d", r.Status)
		}
	})
}

func sameDept(a, b userOut) bool {
	if a.DepartmentID == nil || b.DepartmentID == nil {
		return a.DepartmentID == b.DepartmentID
	}
	return *a.DepartmentID == *b.DepartmentID
}
