package service_test

// Work orders (SVC-1): the standard rows for registration, reading, listing and correcting;
// numbering; data scopes (technicians see their own work and the shared pool); the history,
// audit entries, events and the customer's timeline every change leaves.

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

func TestWorkOrderAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		other := newTeam(t, env)
		foreign := other.register(t, nil)
		var contact struct{ ID uuid.UUID }
		tm.cs.MustDo(t, "POST", "/api/v1/customers/"+tm.customer.String()+"/contacts", map[string]any{"name": "李工"}, 201, &contact)
		body := request(tm.customer, map[string]any{"contact_id": contact.ID, "product_id": tm.product, "serial": "VIN123",
			"specification": "1000mm", "purchase_date": day(time.Now(), -3, 0), "purchase_place": "杭州", "model": ""})
		var w workOrder
		env.Run(t, []apitest.Scenario{
			{Name: "create: no login", Method: "POST", URL: "/api/v1/work-orders", Body: body, Status: 401},
			{Name: "create: other tenant's customer", Method: "POST", URL: "/api/v1/work-orders", As: tm.cs,
				Body: request(other.customer, nil), Status: 422, Contains: []string{"customer_id"}},
			{Name: "create: other tenant's product", Method: "POST", URL: "/api/v1/work-orders", As: tm.cs,
				Body: request(tm.customer, map[string]any{"product_id": other.product}), Status: 422, Contains: []string{"product_id"}},
			{Name: "create: wrong role", Method: "POST", URL: "/api/v1/work-orders", As: tm.tech, Body: body, Status: 403, Code: "forbidden"},
			{Name: "create: contact of another customer", Method: "POST", URL: "/api/v1/work-orders", As: tm.cs,
				Body: request(newCustomer(t, tm.cs, "另一家"), map[string]any{"contact_id": contact.ID}), Status: 422, Contains: []string{"contact_id"}},
			{Name: "create: invalid channel", Method: "POST", URL: "/api/v1/work-orders", As: tm.cs,
				Body: request(tm.customer, map[string]any{"channel": "pigeon"}), Status: 422, Contains: []string{"channel"}},
			{Name: "create: no fault", Method: "POST", URL: "/api/v1/work-orders", As: tm.cs,
				Body: request(tm.customer, map[string]any{"fault": "  "}), Status: 422, Contains: []string{"fault"}},
			{Name: "create: no model and no product", Method: "POST", URL: "/api/v1/work-orders", As: tm.cs,
				Body: request(tm.customer, map[string]any{"model": ""}), Status: 422, Contains: []string{`"field":"model"`}},
			{Name: "create: purchase in the future", Method: "POST", URL: "/api/v1/work-orders", As: tm.cs,
				Body: request(tm.customer, map[string]any{"purchase_date": day(time.Now(), 0, 3)}), Status: 422, Contains: []string{"purchase_date"}},
			{Name: "create: success", Method: "POST", URL: "/api/v1/work-orders", As: tm.cs, Body: body, Status: 201,
				Contains: []string{`"status":"registered"`, `"type":"free"`, `"type_proposed":"free"`, `"technician_id":null`,
					`"carried_over":false`, `"pooled":true`, `"model":"数控车床"`, `"version":1`},
				Check: func(t *testing.T, r *apitest.Response) { r.JSON(t, &w) }},
		})
		today := time.Now().In(mustLoc(t, "Asia/Shanghai")).Format("20060102")
		if !strings.HasPrefix(w.Number, "FW"+today+"-") || len(w.Number) != len("FW20260101-001") {
			t.Errorf("number %q, want FW%s-NNN", w.Number, today)
		}
		second := tm.register(t, nil)
		if second.Number <= w.Number || second.Number[:11] != w.Number[:11] {
			t.Errorf("numbers %s then %s", w.Number, second.Number)
		}
		if other.register(t, nil).Number != foreign.Number[:11]+"002" {
			t.Errorf("another tenant's counter is its own")
		}

		url := woURL(w, "")
		fURL := woURL(foreign, "")
		missing := "/api/v1/work-orders/" + uuid.NewString()
		env.Run(t, []apitest.Scenario{
			{Name: "get: no login", Method: "GET", URL: url, Status: 401},
			{Name: "get: other tenant", Method: "GET", URL: fURL, As: tm.cs, Status: 404, Code: "not_found"},
			{Name: "get: wrong role", Method: "GET", URL: url, As: tm.sales, Status: 403},
			{Name: "get: not found", Method: "GET", URL: missing, As: tm.cs, Status: 404},
			{Name: "get: malformed id", Method: "GET", URL: "/api/v1/work-orders/nope", As: tm.cs, Status: 404},
			{Name: "get: success (pooled: every reader sees it)", Method: "GET", URL: url, As: tm.tech, Status: 200, Contains: []string{w.Number}},
			{Name: "list: no login", Method: "GET", URL: "/api/v1/work-orders", Status: 401},
			{Name: "list: other tenant", Method: "GET", URL: "/api/v1/work-orders", As: other.mgr, Status: 200, NotContains: []string{w.ID.String()}},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/work-orders", As: tm.sales, Status: 403},
			{Name: "list: invalid status", Method: "GET", URL: "/api/v1/work-orders?status=done", As: tm.cs, Status: 422},
			{Name: "list: invalid technician", Method: "GET", URL: "/api/v1/work-orders?technician_id=x", As: tm.cs, Status: 422},
			{Name: "list: success", Method: "GET", URL: "/api/v1/work-orders?status=registered&carried_over=false&customer_id=" + tm.customer.String(),
				As: tm.mgr, Status: 200, Contains: []string{w.ID.String(), second.ID.String()}, NotContains: []string{foreign.ID.String()}},
			{Name: "patch: no login", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "fault": "x"}, Status: 401},
			{Name: "patch: other tenant", Method: "PATCH", URL: fURL, As: tm.cs, Body: map[string]any{"version": 1, "fault": "x"}, Status: 404},
			{Name: "patch: wrong role", Method: "PATCH", URL: url, As: tm.reader, Body: map[string]any{"version": 1, "fault": "x"}, Status: 403},
			{Name: "patch: not found", Method: "PATCH", URL: missing, As: tm.cs, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "patch: invalid urgency", Method: "PATCH", URL: url, As: tm.cs, Body: map[string]any{"version": 1, "urgency": "asap"}, Status: 422},
			{Name: "patch: unknown field", Method: "PATCH", URL: url, As: tm.cs, Body: map[string]any{"version": 1, "number": "X"}, Status: 422},
			{Name: "patch: stale", Method: "PATCH", URL: url, As: tm.cs, Body: map[string]any{"version": 7, "fault": "x"}, Status: 409},
			{Name: "patch: success", Method: "PATCH", URL: url, As: tm.cs, Body: map[string]any{"version": 1, "fault": "主轴异响，伴有振动", "urgency": "high"}, Status: 200,
				Contains: []string{`"fault":"主轴异响，伴有振动"`, `"urgency":"high"`, `"version":2`}},
		})
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", w.ID, "work_order.registered"); n != 1 {
			t.Errorf("%d registered events", n)
		}
		if n := env.CountRows(t, "audit_log", "entity = ? AND entity_id = ?", "work_order", w.ID.String()); n != 2 {
			t.Errorf("%d audit entries, want 2", n)
		}
	})
}

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// The type is proposed from the product's warranty (or the tenant's default) and the
// purchase date, then from a running contract with service coverage, else paid; a different
// type needs a reason; a change of purchase date or product proposes again.
func TestTypeProposal(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		now := time.Now()
		var short struct{ ID uuid.UUID }
		tm.co.Owner.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "S-1", "name": "刀架", "price": cny("10"), "warranty_months": 6}, 201, &short)
		var plain struct{ ID uuid.UUID }
		tm.co.Owner.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "S-2", "name": "尾座", "price": cny("10")}, 201, &plain)

		cases := []struct {
			name  string
			extra map[string]any
			want  string
		}{
			{"product warranty 24 months, bought 23 months ago", map[string]any{"product_id": tm.product, "purchase_date": day(now, -23, 0)}, "free"},
			{"product warranty 24 months, bought 25 months ago", map[string]any{"product_id": tm.product, "purchase_date": day(now, -25, 0)}, "paid"},
			{"product warranty 6 months, bought 7 months ago", map[string]any{"product_id": short.ID, "purchase_date": day(now, -7, 0)}, "paid"},
			{"default warranty 12 months, bought 11 months ago", map[string]any{"product_id": plain.ID, "purchase_date": day(now, -11, 0)}, "free"},
			{"default warranty 12 months, bought 13 months ago", map[string]any{"purchase_date": day(now, -13, 0)}, "paid"},
			{"no purchase date", nil, "paid"},
		}
		for _, c := range cases {
			w := tm.register(t, c.extra)
			if w.TypeProposed != c.want || w.Type != c.want || w.TypeReason != "" {
				t.Errorf("%s: type %s, proposed %s, want %s", c.name, w.Type, w.TypeProposed, c.want)
			}
			if c.extra["purchase_date"] != nil && w.WarrantyUntil == nil {
				t.Errorf("%s: no warranty_until", c.name)
			}
		}
		// The warranty's last day: bought on a day, 24 months, covered through the day before.
		w := tm.register(t, map[string]any{"product_id": tm.product, "purchase_date": "2025-01-10"})
		if w.WarrantyUntil == nil || *w.WarrantyUntil != "2027-01-09" {
			t.Errorf("warranty_until %v, want 2027-01-09", w.WarrantyUntil)
		}

		// A signed contract with service coverage running today: contract service, with the
		// contract named; one without coverage, or not running, does not count.
		sign := func(coverage bool, start, end string) uuid.UUID {
			var c struct {
				ID      uuid.UUID
				Version int64
			}
			tm.co.Owner.MustDo(t, "POST", "/api/v1/contracts", map[string]any{"title": "维保合同", "customer_id": tm.customer, "amount": cny("5000.00"),
				"service_coverage": coverage, "start_date": start, "end_date": end}, 201, &c)
			u := "/api/v1/contracts/" + c.ID.String()
			tm.co.Owner.MustDo(t, "POST", u+"/submit", map[string]any{"version": c.Version}, 200, &c)
			tm.co.AddUser(t, "owner").MustDo(t, "POST", u+"/approve", map[string]any{"version": c.Version}, 200, &c)
			tm.co.Owner.MustDo(t, "POST", u+"/sign", map[string]any{"version": c.Version}, 200, nil)
			return c.ID
		}
		sign(false, day(now, -1, 0), day(now, 11, 0))
		sign(true, day(now, -24, 0), day(now, -12, 0))
		if w := tm.register(t, map[string]any{"purchase_date": day(now, -30, 0)}); w.TypeProposed != "paid" {
			t.Errorf("without a running covering contract: proposed %s", w.TypeProposed)
		}
		covering := sign(true, day(now, -1, 0), day(now, 11, 0))
		w = tm.register(t, map[string]any{"purchase_date": day(now, -30, 0)})
		if w.TypeProposed != "contract" || w.Type != "contract" || w.CoverageContractID == nil || *w.CoverageContractID != covering {
			t.Errorf("with a covering contract: %+v", w)
		}
		// The warranty comes first: the product's own promise.
		if w := tm.register(t, map[string]any{"purchase_date": day(now, -1, 0)}); w.TypeProposed != "free" {
			t.Errorf("under warranty and contract: proposed %s, want free", w.TypeProposed)
		}

		// Overrides need a reason; internal work is never proposed.
		env.Run(t, []apitest.Scenario{
			{Name: "override without reason", Method: "POST", URL: "/api/v1/work-orders", As: tm.cs,
				Body: request(tm.customer, map[string]any{"type": "paid", "purchase_date": day(now, -1, 0)}), Status: 422, Contains: []string{"type_reason"}},
			{Name: "internal without reason", Method: "POST", URL: "/api/v1/work-orders", As: tm.cs,
				Body: request(tm.customer, map[string]any{"type": "internal"}), Status: 422, Contains: []string{"type_reason"}},
			{Name: "unknown type", Method: "POST", URL: "/api/v1/work-orders", As: tm.cs,
				Body: request(tm.customer, map[string]any{"type": "gratis"}), Status: 422, Contains: []string{`"field":"type"`}},
			{Name: "type as proposed, reason dropped", Method: "POST", URL: "/api/v1/work-orders", As: tm.cs,
				Body: request(tm.customer, map[string]any{"type": "contract", "type_reason": "x", "purchase_date": day(now, -30, 0)}), Status: 201,
				Contains: []string{`"type":"contract"`, `"type_reason":""`}},
		})
		var over workOrder
		tm.cs.MustDo(t, "POST", "/api/v1/work-orders", request(tm.customer, map[string]any{"type": "paid", "type_reason": "人为损坏，不在保修范围",
			"purchase_date": day(now, -1, 0)}), 201, &over)
		if over.Type != "paid" || over.TypeProposed != "free" || over.TypeReason != "人为损坏，不在保修范围" {
			t.Errorf("override: %+v", over)
		}

		// PATCH: a new purchase date proposes again; the type follows unless overridden.
		var p workOrder
		tm.cs.MustDo(t, "PATCH", woURL(w, ""), map[string]any{"version": w.Version, "purchase_date": nil}, 200, &p)
		if p.TypeProposed != "contract" || p.Type != "contract" {
			t.Errorf("after clearing the purchase date: %s/%s", p.Type, p.TypeProposed)
		}
		tm.cs.MustDo(t, "PATCH", woURL(over, ""), map[string]any{"version": over.Version, "purchase_date": day(now, -40, 0)}, 200, &p)
		if p.TypeProposed != "contract" || p.Type != "paid" || p.TypeReason == "" {
			t.Errorf("an override stays: %+v", p)
		}
		r := tm.cs.Do(t, "PATCH", woURL(p, ""), map[string]any{"version": p.Version, "type": "free"})
		if r.Status != 422 {
			t.Errorf("override to free without a new reason keeps the old one: %d %s", r.Status, r.Body)
		}
		tm.cs.MustDo(t, "PATCH", woURL(p, ""), map[string]any{"version": p.Version, "type": "contract"}, 200, &p)
		if p.Type != "contract" || p.TypeReason != "" {
			t.Errorf("back to the proposal: %+v", p)
		}
	})
}

// When two customers merge, the merged one's work orders and their timeline move along.
func TestWorkOrdersMoveWithMergedCustomer(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		tm := newTeam(t, env)
		dup := newCustomer(t, tm.cs, "华东机械（重复）")
		var w workOrder
		tm.cs.MustDo(t, "POST", "/api/v1/work-orders", request(dup, nil), 201, &w)
		tm.co.Owner.MustDo(t, "POST", "/api/v1/customers/"+tm.customer.String()+"/merge", map[string]any{"from_id": dup}, 200, nil)
		if got := tm.get(t, w); got.CustomerID != tm.customer {
			t.Errorf("work order stayed with customer %s", got.CustomerID)
		}
		var tl struct {
			Items []struct {
				Kind     string `json:"kind"`
				EntityID string `json:"entity_id"`
			} `json:"items"`
		}
		tm.co.Owner.MustDo(t, "GET", "/api/v1/customers/"+tm.customer.String()+"/timeline", nil, 200, &tl)
		found := false
		for _, it := range tl.Items {
			found = found || (it.Kind == "work_order" && it.EntityID == w.ID.String())
		}
		if !found {
			t.Error("the merged customer's work order is not on the surviving customer's timeline")
		}
	})
}
