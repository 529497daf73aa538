package deal_test

// Quotes (line pricing, status moves, drafts only change) and orders (delivery tracking),
// with the standard rows for every endpoint.

import (
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

func TestQuoteAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		peer := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		warehouse := acme.AddUser(t, "warehouse")
		cust := newCustomer(t, sales, "成都物流")
		var p1, p2, usd, off struct{ ID uuid.UUID }
		warehouse.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "A", "name": "托盘", "price": cny("100.00")}, 201, &p1)
		warehouse.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "B", "name": "叉车配件", "price": cny("19.99")}, 201, &p2)
		warehouse.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "C", "name": "进口件", "price": map[string]any{"amount": "10", "currency": "USD"}}, 201, &usd)
		warehouse.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "D", "name": "停售", "price": cny("1"), "active": false}, 201, &off)
		var foreignProduct struct{ ID uuid.UUID }
		other.Owner.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "A", "name": "x", "price": cny("1")}, 201, &foreignProduct)
		var opp struct{ ID uuid.UUID }
		sales.MustDo(t, "POST", "/api/v1/opportunities", map[string]any{"name": "托盘采购", "customer_id": cust}, 201, &opp)
		otherCust := newCustomer(t, sales, "另一个客户")

		line := func(product uuid.UUID, qty string, extra map[string]any) map[string]any {
			m := map[string]any{"product_id": product, "quantity": qty}
			for k, v := range extra {
				m[k] = v
			}
			return m
		}
		// 3 × 100.00 less 10 % = 270.00; 2.5 × 19.99 = 49.975 → 49.98; subtotal 349.98,
		// discount 30.00, total 319.98.
		body := map[string]any{"customer_id": cust, "opportunity_id": opp.ID, "currency": "CNY", "valid_until": "2026-12-31",
			"lines": []map[string]any{line(p1.ID, "3", map[string]any{"discount": "10"}), line(p2.ID, "2.5", nil)}}
		var q struct {
			ID            uuid.UUID
			Status        string
			Subtotal      moneyJSON `json:"subtotal"`
			DiscountTotal moneyJSON `json:"discount_total"`
			Total         moneyJSON `json:"total"`
			Lines         []struct {
				LineTotal moneyJSON `json:"line_total"`
			}
			Version int64
		}
		var foreignQuote struct{ ID uuid.UUID }
		fc := newCustomer(t, other.Owner, "别家")
		other.Owner.MustDo(t, "POST", "/api/v1/quotes", map[string]any{"customer_id": fc, "currency": "CNY", "lines": []map[string]any{line(foreignProduct.ID, "1", nil)}}, 201, &foreignQuote)
		env.Run(t, []apitest.Scenario{
			{Name: "create: no login", Method: "POST", URL: "/api/v1/quotes", Body: body, Status: 401},
			{Name: "create: other tenant's product", Method: "POST", URL: "/api/v1/quotes", As: sales,
				Body: map[string]any{"customer_id": cust, "currency": "CNY", "lines": []map[string]any{line(foreignProduct.ID, "1", nil)}}, Status: 422, Contains: []string{"lines[0].product_id"}},
			{Name: "create: wrong role", Method: "POST", URL: "/api/v1/quotes", As: warehouse, Body: body, Status: 403},
			{Name: "create: opportunity of another customer", Method: "POST", URL: "/api/v1/quotes", As: sales,
				Body: map[string]any{"customer_id": otherCust, "opportunity_id": opp.ID, "currency": "CNY", "lines": []map[string]any{line(p1.ID, "1", nil)}}, Status: 422, Contains: []string{"opportunity_id"}},
			{Name: "create: inactive product", Method: "POST", URL: "/api/v1/quotes", As: sales,
				Body: map[string]any{"customer_id": cust, "currency": "CNY", "lines": []map[string]any{line(off.ID, "1", nil)}}, Status: 422},
			{Name: "create: foreign-currency product needs a price", Method: "POST", URL: "/api/v1/quotes", As: sales,
				Body: map[string]any{"customer_id": cust, "currency": "CNY", "lines": []map[string]any{line(usd.ID, "1", nil)}}, Status: 422, Contains: []string{"lines[0].unit_price"}},
			{Name: "create: discount over 100", Method: "POST", URL: "/api/v1/quotes", As: sales,
				Body: map[string]any{"customer_id": cust, "currency": "CNY", "lines": []map[string]any{line(p1.ID, "1", map[string]any{"discount": "101"})}}, Status: 422},
			{Name: "create: zero quantity", Method: "POST", URL: "/api/v1/quotes", As: sales,
				Body: map[string]any{"customer_id": cust, "currency": "CNY", "lines": []map[string]any{line(p1.ID, "0", nil)}}, Status: 422},
			{Name: "create: totals beyond the largest amount", Method: "POST", URL: "/api/v1/quotes", As: sales,
				Body: map[string]any{"customer_id": cust, "currency": "CNY", "lines": []map[string]any{line(p1.ID, "999999999999", map[string]any{"unit_price": "999999999999999", "discount": "100"})}}, Status: 422},
			{Name: "create: no lines", Method: "POST", URL: "/api/v1/quotes", As: sales,
				Body: map[string]any{"customer_id": cust, "currency": "CNY", "lines": []map[string]any{}}, Status: 422},
			{Name: "create: success", Method: "POST", URL: "/api/v1/quotes", As: sales, Body: body, Status: 201,
				Check: func(t *testing.T, r *apitest.Response) { r.JSON(t, &q) }},
		})
		if q.Subtotal.Amount != "349.98" || q.DiscountTotal.Amount != "30.00" || q.Total.Amount != "319.98" ||
			len(q.Lines) != 2 || q.Lines[0].LineTotal.Amount != "270.00" || q.Lines[1].LineTotal.Amount != "49.98" {
			t.Fatalf("totals %+v", q)
		}
		url := "/api/v1/quotes/" + q.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "get: no login", Method: "GET", URL: url, Status: 401},
			{Name: "get: other tenant", Method: "GET", URL: "/api/v1/quotes/" + foreignQuote.ID.String(), As: sales, Status: 404},
			{Name: "get: colleague outside the scope", Method: "GET", URL: url, As: peer, Status: 404},
			{Name: "get: wrong role", Method: "GET", URL: url, As: warehouse, Status: 403},
			{Name: "get: not found", Method: "GET", URL: "/api/v1/quotes/" + uuid.NewString(), As: sales, Status: 404},
			{Name: "get: success", Method: "GET", URL: url, As: sales, Status: 200, Contains: []string{`"total":{"amount":"319.98","currency":"CNY"}`}},
			{Name: "list: no login", Method: "GET", URL: "/api/v1/quotes", Status: 401},
			{Name: "list: other tenant", Method: "GET", URL: "/api/v1/quotes", As: other.Owner, Status: 200, NotContains: []string{q.ID.String()}},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/quotes", As: warehouse, Status: 403},
			{Name: "list: invalid", Method: "GET", URL: "/api/v1/quotes?customer_id=abc", As: sales, Status: 422},
			{Name: "list: success", Method: "GET", URL: "/api/v1/quotes?opportunity_id=" + opp.ID.String(), As: sales, Status: 200, Contains: []string{q.ID.String()}},
			{Name: "patch: no login", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "status": "sent"}, Status: 401},
			{Name: "patch: other tenant", Method: "PATCH", URL: url, As: other.Owner, Body: map[string]any{"version": 1, "status": "sent"}, Status: 404},
			{Name: "patch: wrong role", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 1, "status": "sent"}, Status: 403},
			{Name: "patch: not found", Method: "PATCH", URL: "/api/v1/quotes/" + uuid.NewString(), As: sales, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "patch: accept a draft", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "status": "accepted"}, Status: 409},
			{Name: "patch: invalid lines", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "lines": []map[string]any{line(p1.ID, "-1", nil)}}, Status: 422},
			{Name: "patch: new lines", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "lines": []map[string]any{line(usd.ID, "2", map[string]any{"unit_price": "72.50"})}}, Status: 200,
				Contains: []string{`"total":{"amount":"145.00","currency":"CNY"}`}},
			{Name: "patch: send", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 2, "status": "sent"}, Status: 200},
			{Name: "patch: lines of a sent quote", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 3, "lines": []map[string]any{line(p1.ID, "1", nil)}}, Status: 409},
			{Name: "patch: accepted", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 3, "status": "accepted"}, Status: 200, Contains: []string{`"status":"accepted"`}},
		})
		if n := env.CountRows(t, "quote_lines", "quote_id = ?", q.ID); n != 1 {
			t.Errorf("%d lines after replacing them", n)
		}
		// A contract made from the accepted quote takes its total unless it names an amount.
		var k contract
		sales.MustDo(t, "POST", "/api/v1/contracts", map[string]any{"title": "依报价签约", "customer_id": cust, "quote_id": q.ID}, 201, &k)
		if k.Amount.Amount != "145.00" || k.Amount.Currency != "CNY" {
			t.Errorf("contract from quote: %+v", k.Amount)
		}
		sales.MustDo(t, "POST", "/api/v1/contracts", map[string]any{"title": "无金额", "customer_id": cust}, 422, nil)
		sales.MustDo(t, "POST", "/api/v1/contracts", map[string]any{"title": "他人客户", "customer_id": otherCust, "quote_id": q.ID}, 422, nil)
	})
}

func TestOrderAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		warehouse := acme.AddUser(t, "warehouse")
		cs := acme.AddUser(t, "customer_service")
		cust := newCustomer(t, sales, "武汉机电")
		c := signed(t, sales, acme.Owner, cust, cny("5000"), nil)
		draft := newContract(t, sales, cust, cny("1"), nil)
		fc := newCustomer(t, other.Owner, "别家")
		var foreign struct{ ID uuid.UUID }
		other.Owner.MustDo(t, "POST", "/api/v1/orders", map[string]any{"customer_id": fc, "amount": cny("1")}, 201, &foreign)
		body := map[string]any{"customer_id": cust, "contract_id": c.ID, "amount": cny("5000.00"), "order_date": "2026-02-01"}
		var o struct {
			ID             uuid.UUID
			DeliveryStatus string `json:"delivery_status"`
			Version        int64
		}
		env.Run(t, []apitest.Scenario{
			{Name: "create: no login", Method: "POST", URL: "/api/v1/orders", Body: body, Status: 401},
			{Name: "create: other tenant's customer", Method: "POST", URL: "/api/v1/orders", As: sales, Body: map[string]any{"customer_id": fc, "amount": cny("1")}, Status: 422},
			{Name: "create: wrong role", Method: "POST", URL: "/api/v1/orders", As: cs, Body: body, Status: 403},
			{Name: "create: unsigned contract", Method: "POST", URL: "/api/v1/orders", As: sales, Body: map[string]any{"customer_id": cust, "contract_id": draft.ID, "amount": cny("1")}, Status: 409},
			{Name: "create: invalid date", Method: "POST", URL: "/api/v1/orders", As: sales, Body: map[string]any{"customer_id": cust, "amount": cny("1"), "order_date": "01/02/2026"}, Status: 422},
			{Name: "create: success", Method: "POST", URL: "/api/v1/orders", As: sales, Body: body, Status: 201, Contains: []string{`"delivery_status":"pending"`},
				Check: func(t *testing.T, r *apitest.Response) { r.JSON(t, &o) }},
		})
		url := "/api/v1/orders/" + o.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "get: no login", Method: "GET", URL: url, Status: 401},
			{Name: "get: other tenant", Method: "GET", URL: "/api/v1/orders/" + foreign.ID.String(), As: sales, Status: 404},
			{Name: "get: wrong role", Method: "GET", URL: url, As: cs, Status: 403},
			{Name: "get: not found", Method: "GET", URL: "/api/v1/orders/" + uuid.NewString(), As: sales, Status: 404},
			{Name: "get: success", Method: "GET", URL: url, As: warehouse, Status: 200},
			{Name: "list: no login", Method: "GET", URL: "/api/v1/orders", Status: 401},
			{Name: "list: other tenant", Method: "GET", URL: "/api/v1/orders", As: other.Owner, Status: 200, NotContains: []string{o.ID.String()}},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/orders", As: cs, Status: 403},
			{Name: "list: invalid", Method: "GET", URL: "/api/v1/orders?delivery_status=lost", As: warehouse, Status: 422},
			{Name: "list: success", Method: "GET", URL: "/api/v1/orders?delivery_status=pending", As: warehouse, Status: 200, Contains: []string{o.ID.String()}},
			{Name: "patch: no login", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "delivery_status": "shipped"}, Status: 401},
			{Name: "patch: other tenant", Method: "PATCH", URL: url, As: other.Owner, Body: map[string]any{"version": 1, "delivery_status": "shipped"}, Status: 404},
			{Name: "patch: wrong role", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "delivery_status": "shipped"}, Status: 403},
			{Name: "patch: not found", Method: "PATCH", URL: "/api/v1/orders/" + uuid.NewString(), As: warehouse, Body: map[string]any{"version": 1}, Status: 404},
			{Name: "patch: skip shipping", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 1, "delivery_status": "delivered"}, Status: 409},
			{Name: "patch: invalid", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 1, "delivery_status": "lost"}, Status: 422},
			{Name: "patch: shipped", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 1, "delivery_status": "shipped", "tracking_no": "SF123"}, Status: 200,
				Contains: []string{`"tracking_no":"SF123"`}, NotContains: []string{`"shipped_at":null`}},
			{Name: "patch: amount after shipping", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 2, "amount": cny("1")}, Status: 409},
			{Name: "patch: delivered", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 2, "delivery_status": "delivered"}, Status: 200,
				NotContains: []string{`"delivered_at":null`}},
			{Name: "patch: cancel after delivery", Method: "PATCH", URL: url, As: warehouse, Body: map[string]any{"version": 3, "delivery_status": "cancelled"}, Status: 409},
		})
		if n := env.CountRows(t, "outbox", "entity_id = ? AND type = ?", o.ID, "order.delivered"); n != 1 {
			t.Errorf("%d order.delivered events", n)
		}
	})
}
