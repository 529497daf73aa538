package org_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func TestUsersAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUser(t, "salesperson")
		foreign := other.AddUser(t, "salesperson")
		missing := uuid.Must(uuid.NewV7())
		owner := acme.Owner
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: "/api/v1/users/" + sales.UserID.String(), Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "GET", URL: "/api/v1/users/" + foreign.UserID.String(), As: owner, Status: 404, Code: "not_found"},
			{Name: "wrong role", Method: "POST", URL: "/api/v1/users", As: sales, Body: map[string]any{"email": "x@y.com", "name": "x", "roles": []string{"salesperson"}}, Status: 403, Code: "forbidden"},
			{Name: "not found", Method: "GET", URL: "/api/v1/users/" + missing.String(), As: owner, Status: 404, Code: "not_found"},
			{Name: "invalid", Method: "POST", URL: "/api/v1/users", As: owner, Body: map[string]any{"email": "nope", "name": "", "roles": []string{}}, Status: 422, Code: "validation_failed", Contains: []string{`"field":"email"`, `"field":"name"`}},
			{Name: "success", Method: "GET", URL: "/api/v1/users/" + sales.UserID.String(), As: owner, Status: 200, Contains: []string{sales.Email, `"salesperson"`}},
		})
	})
}
