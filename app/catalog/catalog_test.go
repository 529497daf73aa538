package catalog_test

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

func TestProductAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		warehouse := acme.AddUser(t, "warehouse")
		sales := acme.AddUser(t, "salesperson")
		cs := acme.AddUser(t, "customer_service")
		body := map[string]any{"code": "P-100", "name": "数控机床", "unit": "台", "price": map[string]any{"amount": "98000.00", "currency": "CNY"}, "cost": "61000"}
		var foreign struct{ ID uuid.UUID }
		other.Owner.MustDo(t, "POST", "/api/v1/products", body, 201, &foreign)
		var p struct {
			ID      uuid.UUID
			Version int64
		}
		env.Run(t, []apitest.Scenario{
			{Name: "create: no login", Method: "POST", URL: "/api/v1/products", Body: body, Status: 401},
			{Name: "create: wrong role", Method: "POST", URL: "/api/v1/products", As: sales, Body: body, Status: 403, Code: "forbidden"},
			{Name: "create: invalid price", Method: "POST", URL: "/api/v1/products", As: warehouse,
				Body: map[string]any{"code": "X", "name": "x", "price": map[string]any{"amount": "-1", "currency": "CNY"}}, Status: 422, Contains: []string{"price.amount"}},
			{Name: "create: missing code", Method: "POST", URL: "/api/v1/products", As: warehouse,
				Body: map[string]any{"name": "x", "price": map[string]any{"amount": "1", "currency": "CNY"}}, Status: 422},
			{Name: "create: success (same code as another tenant's)", Method: "POST", URL: "/api/v1/products", As: warehouse, Body: body, Status: 201,
				Contains: []string{`"price":{"amount":"98000.00","currency":"CNY"}`, `"cost":{"amount":"61000.00","currency":"CNY"}`},
				Check:    func(t *testing.T, r *apitest.Response) { r.JSON(t, &p) }},
			{Name: "create: code taken", Method: "POST", URL: "/api/v1/products", As: warehouse, Body: body, Status: 409},
		})
		url := "/api/v1/products/" + p.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "get: no login", Method: "GET", URL: url, Status: 401},
			{Name: "get: other tenant", Method: "GET", URL: url, As: other.Owner, Status: 404},
			{Name: "get: wrong role", Method: "GET", URL: url, As: cs, Status: 403},
			{Name: "get: not found", Method: "GET", URL: "/api/v1/products/" + uuid.NewString(), As: sales, Status: 404},
			{Name: "get: success", Method: "GET", URL: url, As: sales, Status: 200, Contains: []string{"P-100"}},
			{Name: "list: no login", Method: "GET", URL: "/api/v1/products", Status: 401},
			{Name: "list: other tenant", Method: "GET", URL: "/api/v1/products", As: other.Owner, Status: 200, NotContains: []string{p.ID.String()}},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/products", As: cs, Status: 403},
			{Name: "list: invalid limit", Method: "GET", URL: "/api/v1/products?limit=1000", As: sales, Status: 422},
			{Name: "list: success", Method: "GET", URL: "/api/v1/products?q=机床", As: sales, Status: 200, Contains: []string{p.ID.String()}, NotContains: []string{foreign.ID.String()}},
			{Name: "patch: no login", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "active": false}, Status: 401},
			{Name: "patch: other tenant", Method: "PATCH", URL: url, As: other.Owner, Body: map[string]any{"version": 1, "active": false}, Status: 404},
			{Name: "patch: wrong role", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "active": false}, Status: 403},
			{Name: "patch: not found", Method: "PATCH", URL: "/api/v1/products/" + uuid.NewString(), As: warehouse, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "patch: invalid currency", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 1, "price": map[string]any{"amount": "1", "currency": "RMB"}}, Status: 422},
			{Name: "patch: stale", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 9, "active": false}, Status: 409},
			{Name: "patch: success", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 1, "active": false, "cost": nil}, Status: 200,
				Contains: []string{`"active":false`, `"cost":null`, `"version":2`}},
		})
	})
}

// The catalogue pages by ID cursor with its filters applied on every page.
func TestProductListPages(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		warehouse := acme.AddUser(t, "warehouse")
		var want []uuid.UUID
		for i := 0; i < 3; i++ {
			var p struct{ ID uuid.UUID }
			warehouse.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": fmt.Sprintf("ON-%d", i), "name": "在售", "price": map[string]any{"amount": "1", "currency": "CNY"}}, 201, &p)
			want = append(want, p.ID)
			warehouse.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": fmt.Sprintf("OFF-%d", i), "name": "停售", "active": false, "price": map[string]any{"amount": "1", "currency": "CNY"}}, 201, nil)
		}
		type page struct {
			Items []struct {
				ID     uuid.UUID `json:"id"`
				Active bool      `json:"active"`
			} `json:"items"`
			NextCursor *string `json:"next_cursor"`
		}
		var got []uuid.UUID
		var first, second page
		warehouse.MustDo(t, "GET", "/api/v1/products?active=true&limit=2", nil, 200, &first)
		if len(first.Items) != 2 || first.NextCursor == nil {
			t.Fatalf("first page: %d items, next %v; want 2 and a cursor", len(first.Items), first.NextCursor)
		}
		warehouse.MustDo(t, "GET", "/api/v1/products?active=true&limit=2&cursor="+*first.NextCursor, nil, 200, &second)
		if len(second.Items) != 1 || second.NextCursor != nil {
			t.Fatalf("second page: %d items, next %v; want 1 and none", len(second.Items), second.NextCursor)
		}
		for _, p := range append(first.Items, second.Items...) {
			if !p.Active {
				t.Fatalf("inactive product %s listed with active=true", p.ID)
			}
			got = append(got, p.ID)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("paged products %v, want %v", got, want)
		}
		r := warehouse.Do(t, "GET", "/api/v1/products?q=a%00b", nil)
		if r.Status != 422 {
			t.Fatalf("NUL in q: status %d, want 422: %s", r.Status, r.Body)
		}
		r.Problem(t).WantField(t, "q", "invalid")
	})
}

// A product's warranty (months after purchase; null: the tenant's default) is set, validated
// and cleared like its other fields.
func TestProductWarranty(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		warehouse := acme.AddUser(t, "warehouse")
		price := map[string]any{"amount": "1", "currency": "CNY"}
		var p struct {
			ID             uuid.UUID
			WarrantyMonths *int `json:"warranty_months"`
			Version        int64
		}
		warehouse.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "W-1", "name": "空压机", "price": price, "warranty_months": 24}, 201, &p)
		if p.WarrantyMonths == nil || *p.WarrantyMonths != 24 {
			t.Fatalf("warranty_months %v, want 24", p.WarrantyMonths)
		}
		url := "/api/v1/products/" + p.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "create: negative warranty", Method: "POST", URL: "/api/v1/products", As: warehouse,
				Body: map[string]any{"code": "W-2", "name": "x", "price": price, "warranty_months": -1}, Status: 422, Contains: []string{"warranty_months"}},
			{Name: "patch: warranty too long", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 1, "warranty_months": 601}, Status: 422,
				Contains: []string{"warranty_months"}},
			{Name: "patch: clear warranty", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 1, "warranty_months": nil}, Status: 200,
				Contains: []string{`"warranty_months":null`, `"version":2`}},
			{Name: "patch: set warranty", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 2, "warranty_months": 6}, Status: 200,
				Contains: []string{`"warranty_months":6`}},
		})
	})
}
