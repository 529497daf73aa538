package org_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/storetest"
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

type userOut struct {
	ID           uuid.UUID  `json:"id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	DepartmentID *uuid.UUID `json:"department_id"`
	ManagerID    *uuid.UUID `json:"manager_id"`
	Roles        []string   `json:"roles"`
	Locale       string     `json:"locale"`
	Status       string     `json:"status"`
	Version      int64      `json:"version"`
}

type userPage struct {
	Items      []userOut `json:"items"`
	NextCursor *string   `json:"next_cursor"`
}

func getUser(t *testing.T, as *apitest.Client, id uuid.UUID) userOut {
	t.Helper()
	var u userOut
	as.MustDo(t, "GET", "/api/v1/users/"+id.String(), nil, 200, &u)
	return u
}

// listAll walks every page of url (which already has a query) and fails on a repeated ID.
func listAll(t *testing.T, as *apitest.Client, url string) []userOut {
	t.Helper()
	var all []userOut
	seen := map[uuid.UUID]bool{}
	next := url
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		var p userPage
		as.MustDo(t, "GET", next, nil, 200, &p)
		for _, u := range p.Items {
			if seen[u.ID] {
				t.Fatalf("user %s on two pages", u.ID)
			}
			seen[u.ID] = true
			all = append(all, u)
		}
		if p.NextCursor == nil {
			return all
		}
		next = url + "&cursor=" + *p.NextCursor
	}
}

func ids(us []userOut) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(us))
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func TestListUsers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := []*apitest.Client{
			acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson"),
			acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson"),
			acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager"),
		}
		service := acme.AddUserWith(t, apitest.UserOpts{Department: "Customer service"}, "customer_service")
		other.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		var named userOut
		owner.MustDo(t, "POST", "/api/v1/users", map[string]any{"email": "li.ming@" + acme.Slug + ".example.com", "name": "李明 (Li_Ming%)",
			"roles": []string{"finance"}, "department_id": acme.Departments["Finance"]}, 201, &named)
		owner.MustDo(t, "DELETE", "/api/v1/users/"+sales[1].UserID.String(), nil, 204, nil)

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: "/api/v1/users", Status: 401, Code: "unauthenticated"},
			{Name: "other tenant: its department filters to nothing", Method: "GET", URL: "/api/v1/users?department_id=" + other.Departments["Sales"].String(), As: owner,
				Status: 200, Contains: []string{`"items":[]`}},
			// Every role reads the staff directory (user:read); there is no wrong-role row.
			{Name: "invalid: limit too big", Method: "GET", URL: "/api/v1/users?limit=201", As: owner, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "limit", "out_of_range") }},
			{Name: "invalid: limit negative", Method: "GET", URL: "/api/v1/users?limit=-1", As: owner, Status: 422, Code: "validation_failed"},
			{Name: "invalid: limit not a number", Method: "GET", URL: "/api/v1/users?limit=abc", As: owner, Status: 400, Code: "bad_request"},
			{Name: "invalid: cursor", Method: "GET", URL: "/api/v1/users?cursor=%21%21", As: owner, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "cursor", "invalid_format") }},
			{Name: "invalid: department_id", Method: "GET", URL: "/api/v1/users?department_id=sales", As: owner, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "department_id", "invalid_format") }},
			{Name: "invalid: status", Method: "GET", URL: "/api/v1/users?status=gone", As: owner, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "status", "invalid_choice") }},
		})

		t.Run("paging walks everyone once", func(t *testing.T) {
			all := listAll(t, owner, "/api/v1/users?limit=2")
			want := []uuid.UUID{owner.UserID, sales[0].UserID, sales[1].UserID, sales[2].UserID, service.UserID, named.ID}
			if len(all) != len(want) {
				t.Fatalf("%d users, want %d: %v", len(all), len(want), ids(all))
			}
			for i, id := range want { // oldest first
				if all[i].ID != id {
					t.Errorf("user %d is %s, want %s", i, all[i].ID, id)
				}
			}
			var first userPage
			owner.MustDo(t, "GET", "/api/v1/users?limit=2", nil, 200, &first)
			if len(first.Items) != 2 || first.NextCursor == nil {
				t.Errorf("first page: %d items, cursor %v", len(first.Items), first.NextCursor)
			}
			var whole userPage
			owner.MustDo(t, "GET", "/api/v1/users?limit=6", nil, 200, &whole)
			if len(whole.Items) != 6 || whole.NextCursor != nil {
				t.Errorf("exact page: %d items, cursor %v", len(whole.Items), whole.NextCursor)
			}
			// A salesperson sees the same directory.
			if got := listAll(t, sales[0], "/api/v1/users?limit=50"); len(got) != len(want) {
				t.Errorf("salesperson sees %d users", len(got))
			}
		})
		t.Run("filters", func(t *testing.T) {
			got := listAll(t, owner, "/api/v1/users?limit=2&department_id="+acme.Departments["Sales"].String())
			if len(got) != 3 {
				t.Errorf("Sales: %v", ids(got))
			}
			for _, u := range got {
				if u.DepartmentID == nil || *u.DepartmentID != acme.Departments["Sales"] {
					t.Errorf("user %s in department %v", u.ID, u.DepartmentID)
				}
			}
			got = listAll(t, owner, "/api/v1/users?limit=2&department_id="+acme.Departments["Sales"].String()+"&status=active")
			if len(got) != 2 {
				t.Errorf("active in Sales: %v", ids(got))
			}
			got = listAll(t, owner, "/api/v1/users?limit=50&status=disabled")
			if len(got) != 1 || got[0].ID != sales[1].UserID || got[0].Status != "disabled" {
				t.Errorf("disabled: %+v", got)
			}
			for q, want := range map[string]uuid.UUID{
				"李明":          named.ID,
				"li_ming":     named.ID, // LIKE wildcards in q are literal
				"LI.MING@":    named.ID, // email, case-insensitive
				"ming%":       named.ID,
				service.Email: service.UserID,
			} {
				got := listAll(t, owner, "/api/v1/users?limit=50&q="+urlQuery(q))
				if len(got) != 1 || got[0].ID != want {
					t.Errorf("q=%q: %v, want %s", q, ids(got), want)
				}
			}
			if got := listAll(t, owner, "/api/v1/users?limit=50&q=_"); len(got) != 1 {
				t.Errorf("q=_ matched %d users, want only the one with an underscore", len(got))
			}
			if got := listAll(t, owner, "/api/v1/users?limit=50&q=nobody-has-this"); len(got) != 0 {
				t.Errorf("q=nobody: %v", ids(got))
			}
		})
	})
}

func urlQuery(s string) string { return url.QueryEscape(s) }

func TestCreateUser(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		foreign := other.AddUser(t, "salesperson")
		email := func(p string) string { return p + "@" + acme.Slug + ".example.com" }
		body := func(e string, mod func(map[string]any)) map[string]any {
			b := map[string]any{"email": e, "name": "张三", "roles": []string{"salesperson"}, "department_id": acme.Departments["Sales"]}
			if mod != nil {
				mod(b)
			}
			return b
		}
		failed := []string{}
		fail := func(e string) string { failed = append(failed, e); return e }

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: "/api/v1/users", Body: body(fail(email("nologin")), nil), Status: 401, Code: "unauthenticated"},
			{Name: "other tenant: its department", Method: "POST", URL: "/api/v1/users", As: owner, Status: 422, Code: "validation_failed",
				Body:  body(fail(email("otherdept")), func(b map[string]any) { b["department_id"] = other.Departments["Sales"] }),
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "department_id", "not_found") }},
			{Name: "other tenant: its user as manager", Method: "POST", URL: "/api/v1/users", As: owner, Status: 422, Code: "validation_failed",
				Body:  body(fail(email("othermgr")), func(b map[string]any) { b["manager_id"] = foreign.UserID }),
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "manager_id", "not_found") }},
			{Name: "wrong role", Method: "POST", URL: "/api/v1/users", As: sales, Body: body(fail(email("wrongrole")), nil), Status: 403, Code: "forbidden"},
			{Name: "not found: department", Method: "POST", URL: "/api/v1/users", As: owner, Status: 422, Code: "validation_failed",
				Body:  body(fail(email("nodept")), func(b map[string]any) { b["department_id"] = uuid.Must(uuid.NewV7()) }),
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "department_id", "not_found") }},
			{Name: "invalid: unknown role", Method: "POST", URL: "/api/v1/users", As: owner, Status: 422, Code: "validation_failed",
				Body: body(fail(email("badrole")), func(b map[string]any) { b["roles"] = []string{"salesperson", "emperor"} }),
				Check: func(t *testing.T, r *apitest.Response) {
					if f := r.Problem(t).WantField(t, "roles", "invalid_choice"); !strings.Contains(f.Message, "emperor") {
						t.Errorf("message %q does not name the role", f.Message)
					}
				}},
			{Name: "invalid: no roles", Method: "POST", URL: "/api/v1/users", As: owner, Status: 422, Code: "validation_failed",
				Body: body(fail(email("noroles")), func(b map[string]any) { b["roles"] = []string{} })},
			{Name: "invalid: fields", Method: "POST", URL: "/api/v1/users", As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"email": "nope", "name": "", "password": "short", "roles": []string{"salesperson"}, "locale": "de"},
				Check: func(t *testing.T, r *apitest.Response) {
					p := r.Problem(t)
					p.WantField(t, "email", "invalid_format")
					p.WantField(t, "name", "required")
					p.WantField(t, "password", "too_short")
					p.WantField(t, "locale", "invalid_choice")
				}},
			{Name: "invalid: malformed department_id", Method: "POST", URL: "/api/v1/users", As: owner, Status: 422, Code: "validation_failed",
				Body:  body(fail(email("baduuid")), func(b map[string]any) { b["department_id"] = "sales" }),
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "department_id", "invalid_format") }},
			{Name: "invalid: unknown field", Method: "POST", URL: "/api/v1/users", As: owner, Status: 422, Code: "validation_failed",
				Body:  body(fail(email("unknown")), func(b map[string]any) { b["status"] = "active" }),
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "status", "unknown_field") }},
			{Name: "invalid: roles not a list", Method: "POST", URL: "/api/v1/users", As: owner, Status: 422, Code: "validation_failed",
				Body:  body(fail(email("rolestype")), func(b map[string]any) { b["roles"] = "salesperson" }),
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "roles", "invalid_type") }},
			{Name: "broken JSON", Method: "POST", URL: "/api/v1/users", As: owner, Body: `{"email": "x@y.com", `, Status: 400, Code: "bad_request"},
			{Name: "duplicate email", Method: "POST", URL: "/api/v1/users", As: owner, Status: 409, Code: "conflict",
				Body:  body(strings.ToUpper(sales.Email), nil),
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "email", "taken") }},
		})

		t.Run("failed creates wrote nothing", func(t *testing.T) {
			all := listAll(t, owner, "/api/v1/users?limit=200")
			for _, u := range all {
				for _, e := range failed {
					if u.Email == e {
						t.Errorf("failed create left user %s", e)
					}
				}
			}
			if len(all) != 2 {
				t.Errorf("%d users, want owner and salesperson", len(all))
			}
			for _, e := range failed {
				if n := env.CountRows(t, "users", "email = ?", e); n != 0 {
					t.Errorf("%s: %d rows", e, n)
				}
			}
		})

		t.Run("success", func(t *testing.T) {
			var created userOut
			r := owner.MustDo(t, "POST", "/api/v1/users", map[string]any{"email": "Wang.Wu@" + strings.ToUpper(acme.Slug) + ".example.com",
				"name": "  王五  ", "password": "a good long password", "roles": []string{"sales_manager", "salesperson"},
				"department_id": acme.Departments["Sales"], "manager_id": owner.UserID, "locale": "zh-TW"}, 201, &created)
			if b := string(r.Body); strings.Contains(b, "a good long password") || strings.Contains(b, "argon2") || strings.Contains(b, "password_hash") {
				t.Errorf("answer shows the password or its hash: %s", r.Body)
			}
			got := getUser(t, owner, created.ID)
			wantEmail := "wang.wu@" + acme.Slug + ".example.com"
			if got.Email != wantEmail || got.Name != "王五" || got.Status != "active" || got.Locale != "zh-TW" || got.Version != 1 ||
				got.DepartmentID == nil || *got.DepartmentID != acme.Departments["Sales"] || got.ManagerID == nil || *got.ManagerID != owner.UserID ||
				!slices.Equal(got.Roles, []string{"sales_manager", "salesperson"}) {
				t.Errorf("stored user %+v", got)
			}
			if created.ID != got.ID || created.Email != got.Email || !slices.Equal(created.Roles, got.Roles) {
				t.Errorf("create answered %+v, stored %+v", created, got)
			}
			// The new user signs in with that password.
			lr := env.Do(t, "POST", "/api/v1/auth/login", map[string]any{"tenant": acme.Slug, "email": wantEmail, "password": "a good long password"}, nil)
			if lr.Status != 200 {
				t.Errorf("login: %d %s", lr.Status, lr.Body)
			}
		})
		t.Run("success: without a password the account cannot sign in yet", func(t *testing.T) {
			var created userOut
			owner.MustDo(t, "POST", "/api/v1/users", map[string]any{"email": email("nopass"), "name": "x", "roles": []string{"finance"}}, 201, &created)
			if created.DepartmentID != nil || created.ManagerID != nil {
				t.Errorf("created %+v", created)
			}
			for _, pw := range []string{"", "!", "anything at all"} {
				lr := env.Do(t, "POST", "/api/v1/auth/login", map[string]any{"tenant": acme.Slug, "email": email("nopass"), "password": pw}, nil)
				if lr.Status == 200 {
					t.Errorf("password %q signed in", pw)
				}
			}
		})
		t.Run("success: a role given twice is held once", func(t *testing.T) {
			var created userOut
			owner.MustDo(t, "POST", "/api/v1/users", map[string]any{"email": email("twice"), "name": "x", "roles": []string{"warehouse", "finance", "warehouse"}}, 201, &created)
			want := []string{"finance", "warehouse"}
			got := getUser(t, owner, created.ID)
			if !slices.Equal(got.Roles, want) || !slices.Equal(created.Roles, want) {
				t.Errorf("stored roles %v, answered %v, want %v", got.Roles, created.Roles, want)
			}
			var out userOut
			owner.MustDo(t, "PATCH", "/api/v1/users/"+created.ID.String(), map[string]any{"version": got.Version, "roles": []string{"salesperson", "finance", "salesperson"}}, 200, &out)
			want = []string{"finance", "salesperson"}
			if got := getUser(t, owner, created.ID); !slices.Equal(got.Roles, want) || !slices.Equal(out.Roles, want) {
				t.Errorf("after PATCH stored %v, answered %v, want %v", got.Roles, out.Roles, want)
			}
		})
		t.Run("the same email in another company is fine", func(t *testing.T) {
			other.Owner.MustDo(t, "POST", "/api/v1/users", map[string]any{"email": sales.Email, "name": "同名", "roles": []string{"salesperson"}}, 201, nil)
		})
	})
}

func TestUpdateUser(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		peer := acme.AddUser(t, "salesperson")
		foreign := other.AddUser(t, "salesperson")
		u := getUser(t, owner, sales.UserID)
		url := "/api/v1/users/" + sales.UserID.String()
		patch := func(mod map[string]any) map[string]any {
			b := map[string]any{"version": u.Version}
			for k, v := range mod {
				b[k] = v
			}
			return b
		}

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "PATCH", URL: url, Body: patch(map[string]any{"name": "x"}), Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "PATCH", URL: "/api/v1/users/" + foreign.UserID.String(), Body: map[string]any{"version": 1, "name": "x"}, As: owner, Status: 404, Code: "not_found"},
			{Name: "other tenant: its department", Method: "PATCH", URL: url, Body: patch(map[string]any{"department_id": other.Departments["Sales"]}), As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "department_id", "not_found") }},
			{Name: "other tenant: its user as manager", Method: "PATCH", URL: url, Body: patch(map[string]any{"manager_id": foreign.UserID}), As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "manager_id", "not_found") }},
			{Name: "wrong role: on a colleague", Method: "PATCH", URL: "/api/v1/users/" + peer.UserID.String(), Body: map[string]any{"version": 1, "name": "x"}, As: sales, Status: 403, Code: "forbidden"},
			{Name: "wrong role: on oneself", Method: "PATCH", URL: url, Body: patch(map[string]any{"roles": []string{"owner"}}), As: sales, Status: 403, Code: "forbidden"},
			{Name: "not found", Method: "PATCH", URL: "/api/v1/users/" + uuid.Must(uuid.NewV7()).String(), Body: map[string]any{"version": 1}, As: owner, Status: 404, Code: "not_found"},
			{Name: "invalid: no version", Method: "PATCH", URL: url, Body: map[string]any{"name": "x"}, As: owner, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "version", "required") }},
			{Name: "invalid: fields", Method: "PATCH", URL: url, Body: patch(map[string]any{"name": "", "email": "nope", "status": "gone", "roles": []string{}, "password": "short"}), As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) {
					p := r.Problem(t)
					p.WantField(t, "name", "too_short")
					p.WantField(t, "email", "invalid_format")
					p.WantField(t, "status", "invalid_choice")
					p.WantField(t, "roles", "out_of_range")
					p.WantField(t, "password", "too_short")
				}},
			{Name: "invalid: unknown role", Method: "PATCH", URL: url, Body: patch(map[string]any{"roles": []string{"king"}}), As: owner, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "roles", "invalid_choice") }},
			{Name: "invalid: malformed manager_id", Method: "PATCH", URL: url, Body: patch(map[string]any{"manager_id": "boss"}), As: owner, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "manager_id", "invalid_format") }},
			{Name: "invalid: manager_id wrong type", Method: "PATCH", URL: url, Body: patch(map[string]any{"manager_id": 5}), As: owner, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "manager_id", "invalid_type") }},
			{Name: "invalid: own manager", Method: "PATCH", URL: url, Body: patch(map[string]any{"manager_id": sales.UserID}), As: owner, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "manager_id", "invalid") }},
			{Name: "invalid: path id in the body", Method: "PATCH", URL: url, Body: patch(map[string]any{"id": peer.UserID}), As: owner, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "id", "unknown_field") }},
			{Name: "conflict: email taken", Method: "PATCH", URL: url, Body: patch(map[string]any{"email": peer.Email}), As: owner, Status: 409, Code: "conflict",
				Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "email", "taken") }},
			{Name: "conflict: stale version", Method: "PATCH", URL: url, Body: map[string]any{"version": u.Version + 1, "name": "x"}, As: owner, Status: 409, Code: "conflict"},
		})
		t.Run("refused patches changed nothing", func(t *testing.T) {
			got := getUser(t, owner, sales.UserID)
			if got.Version != u.Version || got.Name != u.Name || got.Email != u.Email || got.ManagerID != nil ||
				!slices.Equal(got.Roles, []string{"salesperson"}) || *got.DepartmentID != acme.Departments["Sales"] {
				t.Errorf("user changed: %+v", got)
			}
		})

		t.Run("success: fields, then stale version", func(t *testing.T) {
			var out userOut
			owner.MustDo(t, "PATCH", url, patch(map[string]any{"name": "赵六", "email": "Zhao6@" + acme.Slug + ".example.com", "locale": "en",
				"department_id": nil, "manager_id": peer.UserID}), 200, &out)
			got := getUser(t, owner, sales.UserID)
			if got.Name != "赵六" || got.Email != "zhao6@"+acme.Slug+".example.com" || got.Locale != "en" || got.DepartmentID != nil ||
				got.ManagerID == nil || *got.ManagerID != peer.UserID || got.Version != u.Version+1 || out.Version != got.Version {
				t.Errorf("after patch %+v (answer %+v)", got, out)
			}
			// Absent fields stay: a patch of the name keeps the manager.
			owner.MustDo(t, "PATCH", url, map[string]any{"version": got.Version, "name": "赵六六"}, 200, &out)
			if out.ManagerID == nil || *out.ManagerID != peer.UserID || out.Email != got.Email {
				t.Errorf("absent fields changed: %+v", out)
			}
			// The version the first patch was based on is stale now.
			r := owner.Do(t, "PATCH", url, patch(map[string]any{"name": "late"}))
			if r.Status != 409 || r.Problem(t).Code != "conflict" {
				t.Errorf("stale patch: %d %s", r.Status, r.Body)
			}
			u = getUser(t, owner, sales.UserID)
		})

		t.Run("manager cycle", func(t *testing.T) {
			// peer manages sales (set above); making sales peer's manager would be a loop.
			p := getUser(t, owner, peer.UserID)
			r := owner.Do(t, "PATCH", "/api/v1/users/"+peer.UserID.String(), map[string]any{"version": p.Version, "manager_id": sales.UserID})
			if r.Status != 422 {
				t.Fatalf("cycle: %d %s", r.Status, r.Body)
			}
			r.Problem(t).WantField(t, "manager_id", "invalid")
			// A longer loop: third reports to sales, then peer under third.
			third := acme.AddUserWith(t, apitest.UserOpts{ManagerID: &sales.UserID}, "salesperson")
			r = owner.Do(t, "PATCH", "/api/v1/users/"+peer.UserID.String(), map[string]any{"version": p.Version, "manager_id": third.UserID})
			if r.Status != 422 {
				t.Errorf("long cycle: %d %s", r.Status, r.Body)
			}
			if got := getUser(t, owner, peer.UserID); got.ManagerID != nil || got.Version != p.Version {
				t.Errorf("peer changed: %+v", got)
			}
			// Clearing the manager with null works.
			owner.MustDo(t, "PATCH", url, map[string]any{"version": u.Version, "manager_id": nil}, 200, nil)
			if got := getUser(t, owner, sales.UserID); got.ManagerID != nil {
				t.Errorf("manager not cleared: %+v", got)
			}
			u = getUser(t, owner, sales.UserID)
		})

		t.Run("roles change permissions", func(t *testing.T) {
			if r := sales.Do(t, "GET", "/api/v1/roles", nil); r.Status != 403 {
				t.Fatalf("salesperson GET /roles: %d %s", r.Status, r.Body)
			}
			sess := sales.Session()
			if r := sess.Do(t, "GET", "/api/v1/roles", nil); r.Status != 403 {
				t.Fatalf("salesperson session GET /roles: %d", r.Status)
			}
			var out userOut
			owner.MustDo(t, "PATCH", url, map[string]any{"version": u.Version, "roles": []string{"sales_manager"}}, 200, &out)
			if !slices.Equal(out.Roles, []string{"sales_manager"}) {
				t.Errorf("roles %v", out.Roles)
			}
			// The same token and session now carry the new role.
			sales.MustDo(t, "GET", "/api/v1/roles", nil, 200, nil)
			sess.MustDo(t, "GET", "/api/v1/roles", nil, 200, nil)
			var me struct {
				Roles     []string
				DataScope string `json:"data_scope"`
			}
			sales.MustDo(t, "GET", "/api/v1/me", nil, 200, &me)
			if !slices.Equal(me.Roles, []string{"sales_manager"}) || me.DataScope != "department_tree" {
				t.Errorf("me %+v", me)
			}
			// ...and lose it again.
			owner.MustDo(t, "PATCH", url, map[string]any{"version": out.Version, "roles": []string{"salesperson"}}, 200, &out)
			if r := sales.Do(t, "GET", "/api/v1/roles", nil); r.Status != 403 {
				t.Errorf("demoted GET /roles: %d", r.Status)
			}
			u = getUser(t, owner, sales.UserID)
		})

		t.Run("password change", func(t *testing.T) {
			owner.MustDo(t, "PATCH", url, map[string]any{"version": u.Version, "password": "a brand new password"}, 200, nil)
			r := env.Do(t, "POST", "/api/v1/auth/login", map[string]any{"tenant": acme.Slug, "email": u.Email, "password": sales.Password}, nil)
			if r.Status != 401 {
				t.Errorf("old password: %d", r.Status)
			}
			r = env.Do(t, "POST", "/api/v1/auth/login", map[string]any{"tenant": acme.Slug, "email": u.Email, "password": "a brand new password"}, nil)
			if r.Status != 200 {
				t.Errorf("new password: %d %s", r.Status, r.Body)
			}
			u = getUser(t, owner, sales.UserID)
		})

		t.Run("disable and enable through PATCH", func(t *testing.T) {
			var out userOut
			owner.MustDo(t, "PATCH", url, map[string]any{"version": u.Version, "status": "disabled"}, 200, &out)
			if r := sales.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
				t.Errorf("disabled user's token: %d", r.Status)
			}
			owner.MustDo(t, "PATCH", url, map[string]any{"version": out.Version, "status": "active"}, 200, &out)
			// Re-enabling does not bring revoked credentials back.
			if r := sales.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
				t.Errorf("re-enabled user's old token: %d", r.Status)
			}
			r := env.Do(t, "POST", "/api/v1/auth/login", map[string]any{"tenant": acme.Slug, "email": u.Email, "password": "a brand new password"}, nil)
			if r.Status != 200 {
				t.Errorf("re-enabled login: %d %s", r.Status, r.Body)
			}
		})
	})
}

func TestLastOwner(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		ownerURL := "/api/v1/users/" + owner.UserID.String()
		lastOwner := func(t *testing.T, r *apitest.Response) {
			if p := r.Problem(t); p.Detail != "The company must keep at least one owner." {
				t.Errorf("detail %q", p.Detail)
			}
		}
		v := getUser(t, owner, owner.UserID).Version
		env.Run(t, []apitest.Scenario{
			{Name: "cannot drop the owner role", Method: "PATCH", URL: ownerURL, Body: map[string]any{"version": v, "roles": []string{"general_manager"}}, As: owner,
				Status: 409, Code: "conflict", Check: lastOwner},
			{Name: "cannot be disabled", Method: "PATCH", URL: ownerURL, Body: map[string]any{"version": v, "status": "disabled"}, As: owner,
				Status: 409, Code: "conflict", Check: lastOwner},
			{Name: "cannot be deactivated", Method: "DELETE", URL: ownerURL, As: owner, Status: 409, Code: "conflict", Check: lastOwner},
			{Name: "may add roles", Method: "PATCH", URL: ownerURL, Body: map[string]any{"version": v, "roles": []string{"owner", "finance"}}, As: owner, Status: 200},
		})
		if got := getUser(t, owner, owner.UserID); got.Status != "active" || !slices.Contains(got.Roles, "owner") {
			t.Fatalf("owner after refusals: %+v", got)
		}

		t.Run("a disabled second owner does not count", func(t *testing.T) {
			second := acme.AddUser(t, "owner")
			owner.MustDo(t, "DELETE", "/api/v1/users/"+second.UserID.String(), nil, 204, nil)
			r := owner.Do(t, "DELETE", ownerURL, nil)
			if r.Status != 409 {
				t.Errorf("deactivate with only a disabled second owner: %d %s", r.Status, r.Body)
			}
		})
		t.Run("with a second owner, the first may step down", func(t *testing.T) {
			second := acme.AddUser(t, "owner")
			cur := getUser(t, owner, owner.UserID)
			owner.MustDo(t, "PATCH", ownerURL, map[string]any{"version": cur.Version, "roles": []string{"general_manager"}}, 200, nil)
			// Now the second is the last one.
			sv := getUser(t, second, second.UserID).Version
			r := second.Do(t, "PATCH", "/api/v1/users/"+second.UserID.String(), map[string]any{"version": sv, "roles": []string{"finance"}})
			if r.Status != 409 {
				t.Errorf("second owner stepping down: %d %s", r.Status, r.Body)
			}
			r = second.Do(t, "DELETE", "/api/v1/users/"+second.UserID.String(), nil)
			if r.Status != 409 {
				t.Errorf("second owner deactivating self: %d %s", r.Status, r.Body)
			}
		})
	})
}

type auditPage struct {
	Items []struct {
		ActorID *uuid.UUID                `json:"actor_id"`
		Action  string                    `json:"action"`
		Entity  string                    `json:"entity"`
		Changes map[string][2]interface{} `json:"changes"`
	} `json:"items"`
}

func TestDeactivateUser(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		victim := acme.AddUser(t, "salesperson")
		session := *victim
		env.SignIn(t, &session, true) // a second, cookie-only sign-in
		session.Token = ""
		foreign := other.AddUser(t, "salesperson")
		v := getUser(t, owner, victim.UserID)
		owner.MustDo(t, "PATCH", "/api/v1/users/"+victim.UserID.String(), map[string]any{"version": v.Version, "name": "改名"}, 200, nil)
		url := "/api/v1/users/" + victim.UserID.String()

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "DELETE", URL: url, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "DELETE", URL: "/api/v1/users/" + foreign.UserID.String(), As: owner, Status: 404, Code: "not_found"},
			{Name: "wrong role", Method: "DELETE", URL: url, As: sales, Status: 403, Code: "forbidden"},
			{Name: "not found", Method: "DELETE", URL: "/api/v1/users/" + uuid.Must(uuid.NewV7()).String(), As: owner, Status: 404, Code: "not_found"},
			{Name: "not found: malformed id", Method: "DELETE", URL: "/api/v1/users/42", As: owner, Status: 404, Code: "not_found"},
			{Name: "still signed in", Method: "GET", URL: "/api/v1/me", As: &session, Status: 200},
			{Name: "success", Method: "DELETE", URL: url, As: owner, Status: 204},
			{Name: "token dead", Method: "GET", URL: "/api/v1/me", As: victim, Status: 401, Code: "unauthenticated"},
			{Name: "session dead", Method: "GET", URL: "/api/v1/me", As: &session, Status: 401, Code: "unauthenticated"},
			{Name: "cannot sign in", Method: "POST", URL: "/api/v1/auth/login", Body: map[string]any{"tenant": acme.Slug, "email": victim.Email, "password": victim.Password},
				Status: 401, Code: "unauthenticated"},
			{Name: "again is harmless", Method: "DELETE", URL: url, As: owner, Status: 204},
			{Name: "foreign user untouched", Method: "GET", URL: "/api/v1/me", As: foreign, Status: 200},
			{Name: "colleague untouched", Method: "GET", URL: "/api/v1/me", As: sales, Status: 200},
		})

		t.Run("kept, disabled", func(t *testing.T) {
			got := getUser(t, owner, victim.UserID)
			if got.Status != "disabled" || got.Name != "改名" || !slices.Equal(got.Roles, []string{"salesperson"}) {
				t.Errorf("after deactivation %+v", got)
			}
		})
		t.Run("audited", func(t *testing.T) {
			r := sales.Do(t, "GET", "/api/v1/audit?entity=user&entity_id="+victim.UserID.String(), nil)
			if r.Status != 403 {
				t.Errorf("salesperson reading audit: %d", r.Status)
			}
			var a auditPage
			owner.MustDo(t, "GET", "/api/v1/audit?entity=user&entity_id="+victim.UserID.String(), nil, 200, &a)
			var actions []string
			for _, e := range a.Items {
				actions = append(actions, e.Action)
				if e.ActorID == nil || *e.ActorID != owner.UserID || e.Entity != "user" {
					t.Errorf("entry %+v", e)
				}
			}
			// Newest first; the deactivation repeated on a disabled user wrote nothing.
			if !slices.Equal(actions, []string{"deactivate", "update", "create"}) {
				t.Fatalf("actions %v", actions)
			}
			if c := a.Items[0].Changes["status"]; c[0] != "active" || c[1] != "disabled" {
				t.Errorf("deactivate changes %v", a.Items[0].Changes)
			}
			if c := a.Items[1].Changes["name"]; c[1] != "改名" {
				t.Errorf("update changes %v", a.Items[1].Changes)
			}
			if _, ok := a.Items[1].Changes["version"]; ok {
				t.Errorf("bookkeeping in changes: %v", a.Items[1].Changes)
			}
			if c := a.Items[2].Changes["email"]; c[0] != nil || c[1] != victim.Email {
				t.Errorf("create changes %v", a.Items[2].Changes)
			}
			for _, e := range a.Items {
				for k := range e.Changes {
					if strings.Contains(k, "password") && k != "must_change_password" {
						t.Errorf("audit shows %s", k)
					}
				}
			}
		})
		t.Run("credentials ended, not just blocked", func(t *testing.T) {
			if n := env.CountRows(t, "sessions", "user_id = ?", victim.UserID.String()); n != 0 {
				t.Errorf("%d sessions left", n)
			}
			if n := env.CountRows(t, "api_tokens", "user_id = ? AND revoked_at IS NULL", victim.UserID.String()); n != 0 {
				t.Errorf("%d live tokens left", n)
			}
			// Re-enabling the account does not revive the old token or session.
			got := getUser(t, owner, victim.UserID)
			owner.MustDo(t, "PATCH", url, map[string]any{"version": got.Version, "status": "active"}, 200, nil)
			if r := victim.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
				t.Errorf("old token after re-enabling: %d", r.Status)
			}
			if r := session.Do(t, "GET", "/api/v1/me", nil); r.Status != 401 {
				t.Errorf("old session after re-enabling: %d", r.Status)
			}
		})
		t.Run("another tenant sees none of it", func(t *testing.T) {
			var a auditPage
			other.Owner.MustDo(t, "GET", "/api/v1/audit?entity=user&entity_id="+victim.UserID.String(), nil, 200, &a)
			if len(a.Items) != 0 {
				t.Errorf("foreign audit: %+v", a.Items)
			}
		})
	})
}

// raceRequests sends the requests at the same moment and returns their statuses and bodies.
func raceRequests(t *testing.T, env *apitest.Env, reqs ...func() *http.Request) ([]int, []string) {
	t.Helper()
	statuses := make([]int, len(reqs))
	bodies := make([]string, len(reqs))
	errs := make([]error, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, mk := range reqs {
		req := mk()
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := env.Server.App.Test(req, -1)
			if err != nil {
				errs[i] = err
				return
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			statuses[i], bodies[i] = res.StatusCode, string(b)
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return statuses, bodies
}

func request(c *apitest.Client, method, url string, body any) func() *http.Request {
	return func() *http.Request {
		var rd io.Reader
		if body != nil {
			raw, _ := json.Marshal(body)
			rd = bytes.NewReader(raw)
		}
		req := httptest.NewRequest(method, url, rd)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range c.Headers(method) {
			req.Header.Set(k, v)
		}
		return req
	}
}

// TestConcurrentOwnerRemoval: two owners removing each other at the same moment must not
// leave the company without an owner; exactly one of them wins.
func TestConcurrentOwnerRemoval(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		for round := 0; round < 4; round++ {
			acme := env.Signup(t)
			a := acme.Owner
			b := acme.AddUser(t, "owner")
			va, vb := getUser(t, a, a.UserID).Version, getUser(t, a, b.UserID).Version
			var reqs []func() *http.Request
			if round%2 == 0 { // demote each other
				reqs = append(reqs,
					request(a, "PATCH", "/api/v1/users/"+b.UserID.String(), map[string]any{"version": vb, "roles": []string{"finance"}}),
					request(b, "PATCH", "/api/v1/users/"+a.UserID.String(), map[string]any{"version": va, "roles": []string{"finance"}}))
			} else { // deactivate each other
				reqs = append(reqs,
					request(a, "DELETE", "/api/v1/users/"+b.UserID.String(), nil),
					request(b, "DELETE", "/api/v1/users/"+a.UserID.String(), nil))
			}
			statuses, bodies := raceRequests(t, env, reqs...)
			ok, refused := 0, 0
			for i, s := range statuses {
				switch {
				case s == 200 || s == 204:
					ok++
				case s == 409 || s == 401 || s == 403:
					// 409 last_owner; or, when the winner went first, 401 (the loser was disabled)
					// or 403 (the loser is no owner any more).
					refused++
				default:
					t.Errorf("round %d request %d: %d %s", round, i, s, bodies[i])
				}
			}
			if ok != 1 || refused != 1 {
				t.Errorf("round %d: statuses %v, want one success: %v", round, statuses, bodies)
			}
			owners := 0
			for _, id := range []uuid.UUID{a.UserID, b.UserID} {
				// Read as the owner still standing (one of them is).
				for _, as := range []*apitest.Client{a, b} {
					r := as.Do(t, "GET", "/api/v1/users/"+id.String(), nil)
					if r.Status != 200 {
						continue
					}
					var u userOut
					r.JSON(t, &u)
					if u.Status == "active" && slices.Contains(u.Roles, "owner") {
						owners++
					}
					break
				}
			}
			if owners != 1 {
				t.Errorf("round %d: %d active owners left, want 1", round, owners)
			}
		}
	})
}

// TestConcurrentCycles: two moves that are each fine alone but together make a loop (A under
// B while B goes under A) must not both succeed — for departments and for managers.
func TestConcurrentCycles(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		for round := 0; round < 3; round++ {
			var a, b deptOut
			owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "A"}, 201, &a)
			owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "B"}, 201, &b)
			statuses, bodies := raceRequests(t, env,
				request(owner, "PATCH", "/api/v1/departments/"+a.ID.String(), map[string]any{"version": a.Version, "parent_id": b.ID}),
				request(owner, "PATCH", "/api/v1/departments/"+b.ID.String(), map[string]any{"version": b.Version, "parent_id": a.ID}))
			slices.Sort(statuses)
			if !slices.Equal(statuses, []int{200, 422}) {
				t.Errorf("departments round %d: %v %v", round, statuses, bodies)
			}
			ga, gb := getDept(t, owner, a.ID), getDept(t, owner, b.ID)
			if ga.ParentID != nil && gb.ParentID != nil {
				t.Errorf("departments round %d: loop %s ↔ %s", round, a.ID, b.ID)
			}

			ua := acme.AddUser(t, "salesperson")
			ub := acme.AddUser(t, "salesperson")
			statuses, bodies = raceRequests(t, env,
				request(owner, "PATCH", "/api/v1/users/"+ua.UserID.String(), map[string]any{"version": 1, "manager_id": ub.UserID}),
				request(owner, "PATCH", "/api/v1/users/"+ub.UserID.String(), map[string]any{"version": 1, "manager_id": ua.UserID}))
			slices.Sort(statuses)
			if !slices.Equal(statuses, []int{200, 422}) {
				t.Errorf("managers round %d: %v %v", round, statuses, bodies)
			}
			if getUser(t, owner, ua.UserID).ManagerID != nil && getUser(t, owner, ub.UserID).ManagerID != nil {
				t.Errorf("managers round %d: loop", round)
			}
		}
	})
}

// TestConcurrentSameVersion: two PATCHes based on the same version; exactly one applies.
func TestConcurrentSameVersion(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		for round := 0; round < 3; round++ {
			u := getUser(t, owner, sales.UserID)
			d := getDept(t, owner, acme.Departments["Sales"])
			statuses, bodies := raceRequests(t, env,
				request(owner, "PATCH", "/api/v1/users/"+sales.UserID.String(), map[string]any{"version": u.Version, "name": "甲"}),
				request(owner, "PATCH", "/api/v1/users/"+sales.UserID.String(), map[string]any{"version": u.Version, "name": "乙"}),
				request(owner, "PATCH", "/api/v1/departments/"+d.ID.String(), map[string]any{"version": d.Version, "name": "甲"}),
				request(owner, "PATCH", "/api/v1/departments/"+d.ID.String(), map[string]any{"version": d.Version, "name": "乙"}))
			for i := 0; i < 4; i += 2 {
				pair := []int{statuses[i], statuses[i+1]}
				slices.Sort(pair)
				if !slices.Equal(pair, []int{200, 409}) {
					t.Errorf("round %d: %v %v", round, statuses, bodies)
				}
			}
			if got := getUser(t, owner, sales.UserID); got.Version != u.Version+1 {
				t.Errorf("round %d: user version %d, want %d", round, got.Version, u.Version+1)
			}
			if got := getDept(t, owner, d.ID); got.Version != d.Version+1 {
				t.Errorf("round %d: department version %d, want %d", round, got.Version, d.Version+1)
			}
		}
	})
}
