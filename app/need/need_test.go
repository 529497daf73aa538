package need_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

func TestNeedAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		peer := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		warehouse := acme.AddUser(t, "warehouse")
		var cust, fc struct{ ID uuid.UUID }
		sales.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "需求客户"}, 201, &cust)
		other.Owner.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "别家"}, 201, &fc)
		var foreign struct{ ID uuid.UUID }
		other.Owner.MustDo(t, "POST", "/api/v1/needs", map[string]any{"customer_id": fc.ID, "kind": "basic", "title": "x"}, 201, &foreign)
		ops := acme.Departments["Operations"]
		body := map[string]any{"customer_id": cust.ID, "kind": "latent", "title": "希望设备可远程诊断", "importance": "high", "urgency": "low", "routed_department_id": ops}
		var n struct {
			ID       uuid.UUID
			Priority int
			Status   string
			Version  int64
		}
		env.Run(t, []apitest.Scenario{
			{Name: "create: no login", Method: "POST", URL: "/api/v1/needs", Body: body, Status: 401},
			{Name: "create: other tenant's customer", Method: "POST", URL: "/api/v1/needs", As: sales, Body: map[string]any{"customer_id": fc.ID, "kind": "basic", "title": "x"}, Status: 422},
			{Name: "create: wrong role", Method: "POST", URL: "/api/v1/needs", As: warehouse, Body: body, Status: 403},
			{Name: "create: unknown department", Method: "POST", URL: "/api/v1/needs", As: sales,
				Body: map[string]any{"customer_id": cust.ID, "kind": "basic", "title": "x", "routed_department_id": uuid.New()}, Status: 422, Contains: []string{"routed_department_id"}},
			{Name: "create: invalid kind", Method: "POST", URL: "/api/v1/needs", As: sales, Body: map[string]any{"customer_id": cust.ID, "kind": "urgent", "title": "x"}, Status: 422},
			{Name: "create: success", Method: "POST", URL: "/api/v1/needs", As: sales, Body: body, Status: 201, Contains: []string{`"priority":3`, `"status":"open"`},
				Check: func(t *testing.T, r *apitest.Response) { r.JSON(t, &n) }},
		})
		url := "/api/v1/needs/" + n.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "get: no login", Method: "GET", URL: url, Status: 401},
			{Name: "get: other tenant", Method: "GET", URL: "/api/v1/needs/" + foreign.ID.String(), As: sales, Status: 404},
			{Name: "get: outside the scope", Method: "GET", URL: url, As: peer, Status: 404},
			{Name: "get: wrong role", Method: "GET", URL: url, As: warehouse, Status: 403},
			{Name: "get: not found", Method: "GET", URL: "/api/v1/needs/" + uuid.NewString(), As: sales, Status: 404},
			{Name: "get: success", Method: "GET", URL: url, As: sales, Status: 200},
			{Name: "list: no login", Method: "GET", URL: "/api/v1/needs", Status: 401},
			{Name: "list: other tenant", Method: "GET", URL: "/api/v1/needs", As: other.Owner, Status: 200, NotContains: []string{n.ID.String()}},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/needs", As: warehouse, Status: 403},
			{Name: "list: invalid", Method: "GET", URL: "/api/v1/needs?status=closed", As: sales, Status: 422},
			{Name: "list: routed to operations", Method: "GET", URL: "/api/v1/needs?routed_department_id=" + ops.String(), As: acme.Owner, Status: 200, Contains: []string{n.ID.String()}},
			{Name: "patch: no login", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "status": "in_progress"}, Status: 401},
			{Name: "patch: other tenant", Method: "PATCH", URL: url, As: other.Owner, Body: map[string]any{"version": 1, "status": "in_progress"}, Status: 404},
			{Name: "patch: wrong role", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 1, "status": "in_progress"}, Status: 403},
			{Name: "patch: not found", Method: "PATCH", URL: "/api/v1/needs/" + uuid.NewString(), As: sales, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "patch: invalid", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "urgency": "asap"}, Status: 422},
			{Name: "patch: in progress, more urgent", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "status": "in_progress", "urgency": "high"}, Status: 200,
				Contains: []string{`"priority":9`}},
			{Name: "patch: resolve without feedback", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 2, "status": "resolved"}, Status: 422, Contains: []string{"feedback"}},
			{Name: "patch: resolve with feedback", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 2, "status": "resolved", "feedback": "新版固件已支持远程诊断"}, Status: 200,
				NotContains: []string{`"feedback_at":null`}},
			{Name: "patch: closed", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 3, "title": "x"}, Status: 409},
		})
	})
}
