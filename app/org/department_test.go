package org_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

type deptOut struct {
	ID        uuid.UUID  `json:"id"`
	Name      string     `json:"name"`
	ParentID  *uuid.UUID `json:"parent_id"`
	ManagerID *uuid.UUID `json:"manager_id"`
	Version   int64      `json:"version"`
}

func getDept(t *testing.T, as *apitest.Client, id uuid.UUID) deptOut {
	t.Helper()
	var d deptOut
	as.MustDo(t, "GET", "/api/v1/departments/"+id.String(), nil, 200, &d)
	return d
}

func TestDepartmentsRead(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUser(t, "salesperson")
		sid := acme.Departments["Sales"]
		env.Run(t, []apitest.Scenario{
			{Name: "no login: list", Method: "GET", URL: "/api/v1/departments", Status: 401, Code: "unauthenticated"},
			{Name: "no login: one", Method: "GET", URL: "/api/v1/departments/" + sid.String(), Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "GET", URL: "/api/v1/departments/" + other.Departments["Sales"].String(), As: sales, Status: 404, Code: "not_found"},
			// Every default role reads departments: no wrong-role row for reads.
			{Name: "not found", Method: "GET", URL: "/api/v1/departments/" + uuid.Must(uuid.NewV7()).String(), As: sales, Status: 404, Code: "not_found"},
			{Name: "not found: malformed id", Method: "GET", URL: "/api/v1/departments/sales", As: sales, Status: 404, Code: "not_found"},
			{Name: "success: one", Method: "GET", URL: "/api/v1/departments/" + sid.String(), As: sales, Status: 200, Contains: []string{`"name":"Sales"`, `"version":1`}},
			{Name: "success: list", Method: "GET", URL: "/api/v1/departments", As: sales, Status: 200, Check: func(t *testing.T, r *apitest.Response) {
				var p struct{ Items []deptOut }
				r.JSON(t, &p)
				if len(p.Items) != 8 {
					t.Errorf("%d departments, want the 8 defaults", len(p.Items))
				}
				for _, d := range p.Items {
					if d.ID == other.Departments[d.Name] {
						t.Errorf("other tenant's department %s listed", d.ID)
					}
				}
			}},
		})
	})
}

func TestCreateDepartment(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		foreign := other.AddUser(t, "salesperson")
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: "/api/v1/departments", Body: map[string]any{"name": "x"}, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant: its parent", Method: "POST", URL: "/api/v1/departments", Body: map[string]any{"name": "x", "parent_id": other.Departments["Sales"]}, As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "parent_id", "not_found") }},
			{Name: "other tenant: its user as manager", Method: "POST", URL: "/api/v1/departments", Body: map[string]any{"name": "x", "manager_id": foreign.UserID}, As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "manager_id", "not_found") }},
			{Name: "wrong role", Method: "POST", URL: "/api/v1/departments", Body: map[string]any{"name": "x"}, As: sales, Status: 403, Code: "forbidden"},
			{Name: "not found: parent", Method: "POST", URL: "/api/v1/departments", Body: map[string]any{"name": "x", "parent_id": uuid.Must(uuid.NewV7())}, As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "parent_id", "not_found") }},
			{Name: "invalid: no name", Method: "POST", URL: "/api/v1/departments", Body: map[string]any{"name": ""}, As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "name", "required") }},
			{Name: "invalid: malformed parent_id", Method: "POST", URL: "/api/v1/departments", Body: map[string]any{"name": "x", "parent_id": "top"}, As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "parent_id", "invalid_format") }},
			{Name: "broken JSON", Method: "POST", URL: "/api/v1/departments", Body: `{"name":}`, As: owner, Status: 400, Code: "bad_request"},
		})
		t.Run("refused creates wrote nothing", func(t *testing.T) {
			var p struct{ Items []deptOut }
			owner.MustDo(t, "GET", "/api/v1/departments", nil, 200, &p)
			if len(p.Items) != 8 {
				t.Errorf("%d departments after refused creates", len(p.Items))
			}
		})
		t.Run("success", func(t *testing.T) {
			var d deptOut
			owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "  华东大区  ", "parent_id": acme.Departments["Sales"], "manager_id": sales.UserID}, 201, &d)
			got := getDept(t, owner, d.ID)
			if got.Name != "华东大区" || got.ParentID == nil || *got.ParentID != acme.Departments["Sales"] || got.ManagerID == nil || *got.ManagerID != sales.UserID || got.Version != 1 {
				t.Errorf("stored %+v", got)
			}
			var top deptOut
			owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "研发部"}, 201, &top)
			if top.ParentID != nil || top.ManagerID != nil {
				t.Errorf("top-level %+v", top)
			}
			// Users can be placed in the new department.
			acme.Departments["华东大区"] = d.ID
			u := acme.AddUserWith(t, apitest.UserOpts{Department: "华东大区"}, "salesperson")
			if got := getUser(t, owner, u.UserID); got.DepartmentID == nil || *got.DepartmentID != d.ID {
				t.Errorf("user department %v", got.DepartmentID)
			}
		})
	})
}

func TestUpdateDepartment(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		var region, city deptOut
		owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "华东大区", "parent_id": acme.Departments["Sales"]}, 201, &region)
		owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "上海分部", "parent_id": region.ID}, 201, &city)
		url := "/api/v1/departments/" + region.ID.String()
		v := region.Version

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "PATCH", URL: url, Body: map[string]any{"version": v, "name": "x"}, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "PATCH", URL: "/api/v1/departments/" + other.Departments["Sales"].String(), Body: map[string]any{"version": 1, "name": "x"}, As: owner,
				Status: 404, Code: "not_found"},
			{Name: "other tenant: its parent", Method: "PATCH", URL: url, Body: map[string]any{"version": v, "parent_id": other.Departments["Sales"]}, As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "parent_id", "not_found") }},
			{Name: "wrong role", Method: "PATCH", URL: url, Body: map[string]any{"version": v, "name": "x"}, As: sales, Status: 403, Code: "forbidden"},
			{Name: "not found", Method: "PATCH", URL: "/api/v1/departments/" + uuid.Must(uuid.NewV7()).String(), Body: map[string]any{"version": 1, "name": "x"}, As: owner,
				Status: 404, Code: "not_found"},
			{Name: "invalid: under its own child", Method: "PATCH", URL: url, Body: map[string]any{"version": v, "parent_id": city.ID}, As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "parent_id", "invalid") }},
			{Name: "invalid: under itself", Method: "PATCH", URL: url, Body: map[string]any{"version": v, "parent_id": region.ID}, As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "parent_id", "invalid") }},
			{Name: "invalid: top under its grandchild", Method: "PATCH", URL: "/api/v1/departments/" + acme.Departments["Sales"].String(),
				Body: map[string]any{"version": 1, "parent_id": city.ID}, As: owner, Status: 422, Code: "validation_failed"},
			{Name: "invalid: empty name", Method: "PATCH", URL: url, Body: map[string]any{"version": v, "name": ""}, As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "name", "too_short") }},
			{Name: "invalid: no version", Method: "PATCH", URL: url, Body: map[string]any{"name": "x"}, As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "version", "required") }},
			{Name: "invalid: version not a number", Method: "PATCH", URL: url, Body: map[string]any{"version": "1", "name": "x"}, As: owner,
				Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, "version", "invalid_type") }},
			{Name: "conflict: stale version", Method: "PATCH", URL: url, Body: map[string]any{"version": v + 1, "name": "x"}, As: owner, Status: 409, Code: "conflict"},
		})
		t.Run("refused patches changed nothing", func(t *testing.T) {
			if got := getDept(t, owner, region.ID); got.Version != v || got.Name != "华东大区" || *got.ParentID != acme.Departments["Sales"] {
				t.Errorf("region %+v", got)
			}
			if got := getDept(t, owner, acme.Departments["Sales"]); got.ParentID != nil || got.Version != 1 {
				t.Errorf("Sales %+v", got)
			}
		})
		t.Run("success: rename, move, clear", func(t *testing.T) {
			var out deptOut
			owner.MustDo(t, "PATCH", url, map[string]any{"version": v, "name": "华东区", "manager_id": sales.UserID}, 200, &out)
			if out.Name != "华东区" || out.Version != v+1 || out.ManagerID == nil || *out.ParentID != acme.Departments["Sales"] {
				t.Errorf("renamed %+v", out)
			}
			// The old version is stale now.
			if r := owner.Do(t, "PATCH", url, map[string]any{"version": v, "name": "late"}); r.Status != 409 {
				t.Errorf("stale: %d %s", r.Status, r.Body)
			}
			// Move the city under Marketing, then make the region top-level.
			owner.MustDo(t, "PATCH", "/api/v1/departments/"+city.ID.String(), map[string]any{"version": city.Version, "parent_id": acme.Departments["Marketing"]}, 200, &out)
			if *out.ParentID != acme.Departments["Marketing"] {
				t.Errorf("moved %+v", out)
			}
			owner.MustDo(t, "PATCH", url, map[string]any{"version": v + 1, "parent_id": nil, "manager_id": nil}, 200, &out)
			got := getDept(t, owner, region.ID)
			if got.ParentID != nil || got.ManagerID != nil || got.Name != "华东区" || got.Version != v+2 {
				t.Errorf("cleared %+v", got)
			}
			// With the city moved away, Sales may now sit under the former region.
			owner.MustDo(t, "PATCH", "/api/v1/departments/"+acme.Departments["Sales"].String(), map[string]any{"version": 1, "parent_id": region.ID}, 200, nil)
		})
		t.Run("audited", func(t *testing.T) {
			var a auditPage
			owner.MustDo(t, "GET", "/api/v1/audit?entity=department&entity_id="+region.ID.String(), nil, 200, &a)
			if len(a.Items) != 3 || a.Items[0].Action != "update" || a.Items[2].Action != "create" {
				t.Fatalf("audit %+v", a.Items)
			}
			if c := a.Items[1].Changes["name"]; c[0] != "华东大区" || c[1] != "华东区" {
				t.Errorf("rename changes %v", a.Items[1].Changes)
			}
		})
	})
}

func TestDeleteDepartment(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		var parent, child, empty deptOut
		owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "父"}, 201, &parent)
		owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "子", "parent_id": parent.ID}, 201, &child)
		owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "空"}, 201, &empty)
		staffed := acme.Departments["Sales"]
		// A disabled user still belongs to their department.
		var lonely deptOut
		owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "离职"}, 201, &lonely)
		acme.Departments["离职"] = lonely.ID
		leaver := acme.AddUserWith(t, apitest.UserOpts{Department: "离职"}, "finance")
		owner.MustDo(t, "DELETE", "/api/v1/users/"+leaver.UserID.String(), nil, 204, nil)

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "DELETE", URL: "/api/v1/departments/" + empty.ID.String(), Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "DELETE", URL: "/api/v1/departments/" + other.Departments["Finance"].String(), As: owner, Status: 404, Code: "not_found"},
			{Name: "wrong role", Method: "DELETE", URL: "/api/v1/departments/" + empty.ID.String(), As: sales, Status: 403, Code: "forbidden"},
			{Name: "not found", Method: "DELETE", URL: "/api/v1/departments/" + uuid.Must(uuid.NewV7()).String(), As: owner, Status: 404, Code: "not_found"},
			{Name: "conflict: has staff", Method: "DELETE", URL: "/api/v1/departments/" + staffed.String(), As: owner, Status: 409, Code: "conflict"},
			{Name: "conflict: has a disabled member", Method: "DELETE", URL: "/api/v1/departments/" + lonely.ID.String(), As: owner, Status: 409, Code: "conflict"},
			{Name: "conflict: has a sub-department", Method: "DELETE", URL: "/api/v1/departments/" + parent.ID.String(), As: owner, Status: 409, Code: "conflict",
				Check: func(t *testing.T, r *apitest.Response) {
					if p := r.Problem(t); p.Detail != "The department still has sub-departments or staff." {
						t.Errorf("detail %q", p.Detail)
					}
				}},
			{Name: "success", Method: "DELETE", URL: "/api/v1/departments/" + empty.ID.String(), As: owner, Status: 204},
			{Name: "gone", Method: "GET", URL: "/api/v1/departments/" + empty.ID.String(), As: owner, Status: 404, Code: "not_found"},
			{Name: "again: not found", Method: "DELETE", URL: "/api/v1/departments/" + empty.ID.String(), As: owner, Status: 404, Code: "not_found"},
			{Name: "child first, then parent", Method: "DELETE", URL: "/api/v1/departments/" + child.ID.String(), As: owner, Status: 204},
			{Name: "parent now empty", Method: "DELETE", URL: "/api/v1/departments/" + parent.ID.String(), As: owner, Status: 204},
			{Name: "other tenant's department untouched", Method: "GET", URL: "/api/v1/departments/" + other.Departments["Finance"].String(), As: other.Owner, Status: 200},
		})
		t.Run("survivors", func(t *testing.T) {
			getDept(t, owner, staffed)
			getDept(t, owner, lonely.ID)
			var a auditPage
			owner.MustDo(t, "GET", "/api/v1/audit?entity=department&entity_id="+empty.ID.String(), nil, 200, &a)
			if len(a.Items) != 2 || a.Items[0].Action != "delete" {
				t.Errorf("audit %+v", a.Items)
			}
		})
	})
}
