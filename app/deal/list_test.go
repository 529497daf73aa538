package deal_test

// Lists page by ID cursor: limit+1 rows tell whether a next page exists, the cursor names the
// last row kept, filters and the data scope apply on every page.

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

type quotePage struct {
	Items []struct {
		ID         uuid.UUID `json:"id"`
		CustomerID uuid.UUID `json:"customer_id"`
		Lines      []struct {
			Quantity string `json:"quantity"`
		} `json:"lines"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func TestQuoteListPages(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		peer := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		warehouse := acme.AddUser(t, "warehouse")
		var prod struct{ ID uuid.UUID }
		warehouse.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "P", "name": "托盘", "price": cny("10.00")}, 201, &prod)
		cust := newCustomer(t, sales, "分页客户")
		elsewhere := newCustomer(t, sales, "别的客户")
		peerCust := newCustomer(t, peer, "同事的客户")
		quote := func(as *apitest.Client, customer uuid.UUID, qty int) uuid.UUID {
			var q struct{ ID uuid.UUID }
			as.MustDo(t, "POST", "/api/v1/quotes", map[string]any{"customer_id": customer, "currency": "CNY",
				"lines": []map[string]any{{"product_id": prod.ID, "quantity": fmt.Sprint(qty)}}}, 201, &q)
			return q.ID
		}
		var want []uuid.UUID
		for i := 1; i <= 5; i++ {
			want = append(want, quote(sales, cust, i))
			quote(sales, elsewhere, 1)
			quote(peer, peerCust, 1)
		}

		var got []uuid.UUID
		url := "/api/v1/quotes?limit=2&customer_id=" + cust.String()
		for pages := 1; ; pages++ {
			var p quotePage
			sales.MustDo(t, "GET", url, nil, 200, &p)
			for _, q := range p.Items {
				if q.CustomerID != cust {
					t.Fatalf("page %d: quote %s of customer %s, filter asked for %s", pages, q.ID, q.CustomerID, cust)
				}
				if len(q.Lines) != 1 {
					t.Fatalf("page %d: quote %s has %d lines, want 1", pages, q.ID, len(q.Lines))
				}
				got = append(got, q.ID)
			}
			if p.NextCursor == nil {
				if pages != 3 || len(p.Items) != 1 {
					t.Fatalf("last page %d has %d items, want page 3 with 1", pages, len(p.Items))
				}
				break
			}
			if len(p.Items) != 2 {
				t.Fatalf("page %d has %d items and a next cursor, want 2", pages, len(p.Items))
			}
			url = "/api/v1/quotes?limit=2&customer_id=" + cust.String() + "&cursor=" + *p.NextCursor
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("paged quotes %v, want %v in creation order", got, want)
		}

		// A page exactly full has no next cursor; the peer's quotes stay outside the scope.
		var all quotePage
		sales.MustDo(t, "GET", "/api/v1/quotes?limit=10", nil, 200, &all)
		if len(all.Items) != 10 || all.NextCursor != nil {
			t.Fatalf("own quotes: %d items, next %v; want 10 and no next page", len(all.Items), all.NextCursor)
		}
		for _, q := range all.Items {
			if q.CustomerID == peerCust {
				t.Fatalf("quote %s of a peer's customer listed outside the actor's scope", q.ID)
			}
		}

		r := sales.Do(t, "GET", "/api/v1/quotes?cursor=not-a-cursor!", nil)
		if r.Status != 422 {
			t.Fatalf("bad cursor: status %d, want 422: %s", r.Status, r.Body)
		}
		r.Problem(t).WantField(t, "cursor", "invalid_format")
	})
}
