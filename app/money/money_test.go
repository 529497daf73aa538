package money_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

func TestMoneyJSON(t *testing.T) {
	var m money.Money
	if err := json.Unmarshal([]byte(`{"amount":"1234.5","currency":"cny"}`), &m); err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(m)
	if string(out) != `{"amount":"1234.50","currency":"CNY"}` {
		t.Errorf("round trip: %s", out)
	}
	jpy, _ := json.Marshal(money.MustParse("1200", "JPY"))
	kwd, _ := json.Marshal(money.MustParse("1.5", "KWD"))
	if string(jpy) != `{"amount":"1200","currency":"JPY"}` || string(kwd) != `{"amount":"1.500","currency":"KWD"}` {
		t.Errorf("minor units: %s %s", jpy, kwd)
	}
	for _, bad := range []string{`{"amount":12.5,"currency":"CNY"}`, `{"amount":"12,5","currency":"CNY"}`, `{"amount":"1","currency":"CNY","x":1}`, `{"currency":"CNY"}`} {
		if err := json.Unmarshal([]byte(bad), &m); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	for _, tc := range []struct {
		m     money.Money
		field string
	}{
		{money.MustParse("1", "RMB"), "x.currency"},
		{money.MustParse("1", ""), "x.currency"},
		{money.MustParse("-1", "CNY"), "x.amount"},
		{money.MustParse("1.001", "CNY"), "x.amount"},
		{money.MustParse("1.5", "JPY"), "x.amount"},
		{money.MustParse("1000000000000000", "CNY"), "x.amount"},
	} {
		err := money.Check("x", tc.m, false)
		var pe *problem.Error
		if !errorsAs(err, &pe) || len(pe.Fields) != 1 || pe.Fields[0].Field != tc.field {
			t.Errorf("%v: %v", tc.m, err)
		}
	}
	for _, ok := range []money.Money{money.MustParse("0", "CNY"), money.MustParse("1.10", "USD"), money.MustParse("1.123", "BHD"), money.MustParse("999999999999999.99", "CNY")} {
		if err := money.Check("x", ok, false); err != nil {
			t.Errorf("%v refused: %v", ok, err)
		}
	}
}

func errorsAs(err error, pe **problem.Error) bool {
	p, ok := err.(*problem.Error)
	*pe = p
	return ok
}

func TestExchangeRateAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		finance := acme.AddUser(t, "finance")
		sales := acme.AddUser(t, "salesperson")
		cs := acme.AddUser(t, "customer_service")
		body := map[string]any{"currency": "USD", "rate_to_base": "7.1000", "valid_from": "2026-01-01"}
		env.Run(t, []apitest.Scenario{
			{Name: "create: no login", Method: "POST", URL: "/api/v1/exchange-rates", Body: body, Status: 401},
			{Name: "create: wrong role", Method: "POST", URL: "/api/v1/exchange-rates", As: sales, Body: body, Status: 403},
			{Name: "create: unknown currency", Method: "POST", URL: "/api/v1/exchange-rates", As: finance, Body: map[string]any{"currency": "ABC", "rate_to_base": "1", "valid_from": "2026-01-01"}, Status: 422, Contains: []string{`"currency"`}},
			{Name: "create: base currency", Method: "POST", URL: "/api/v1/exchange-rates", As: finance, Body: map[string]any{"currency": "CNY", "rate_to_base": "1", "valid_from": "2026-01-01"}, Status: 422},
			{Name: "create: zero rate", Method: "POST", URL: "/api/v1/exchange-rates", As: finance, Body: map[string]any{"currency": "USD", "rate_to_base": "0", "valid_from": "2026-01-01"}, Status: 422, Contains: []string{"rate_to_base"}},
			{Name: "create: bad date", Method: "POST", URL: "/api/v1/exchange-rates", As: finance, Body: map[string]any{"currency": "USD", "rate_to_base": "7", "valid_from": "2026-02-30"}, Status: 422},
			{Name: "create: success", Method: "POST", URL: "/api/v1/exchange-rates", As: finance, Body: body, Status: 201,
				Contains: []string{`"rate_to_base":"7.1"`, `"base_currency":"CNY"`, `"valid_from":"2026-01-01"`}},
			{Name: "create: same day again", Method: "POST", URL: "/api/v1/exchange-rates", As: finance, Body: body, Status: 409},
			{Name: "create: other tenant has its own", Method: "POST", URL: "/api/v1/exchange-rates", As: other.Owner, Body: map[string]any{"currency": "USD", "rate_to_base": "6.5", "valid_from": "2026-01-01"}, Status: 201},
			{Name: "later rate", Method: "POST", URL: "/api/v1/exchange-rates", As: finance, Body: map[string]any{"currency": "USD", "rate_to_base": "7.3", "valid_from": "2026-03-01"}, Status: 201},
			{Name: "list: no login", Method: "GET", URL: "/api/v1/exchange-rates", Status: 401},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/exchange-rates", As: cs, Status: 403},
			{Name: "list: invalid", Method: "GET", URL: "/api/v1/exchange-rates?currency=dollars", As: sales, Status: 422},
			{Name: "list: success, own tenant only", Method: "GET", URL: "/api/v1/exchange-rates?currency=USD", As: sales, Status: 200,
				Contains: []string{`"7.1"`, `"7.3"`}, NotContains: []string{`"6.5"`}},
		})
		var typo struct{ ID string }
		finance.MustDo(t, "POST", "/api/v1/exchange-rates", map[string]any{"currency": "EUR", "rate_to_base": "78", "valid_from": "2026-01-01"}, 201, &typo)
		var foreignRate struct{ ID string }
		other.Owner.MustDo(t, "POST", "/api/v1/exchange-rates", map[string]any{"currency": "EUR", "rate_to_base": "7.8", "valid_from": "2026-01-01"}, 201, &foreignRate)
		env.Run(t, []apitest.Scenario{
			{Name: "delete: no login", Method: "DELETE", URL: "/api/v1/exchange-rates/" + typo.ID, Status: 401},
			{Name: "delete: other tenant", Method: "DELETE", URL: "/api/v1/exchange-rates/" + foreignRate.ID, As: finance, Status: 404},
			{Name: "delete: wrong role", Method: "DELETE", URL: "/api/v1/exchange-rates/" + typo.ID, As: sales, Status: 403},
			{Name: "delete: not found", Method: "DELETE", URL: "/api/v1/exchange-rates/01a20921-40d0-76ce-9b79-be6f0dc47381", As: finance, Status: 404},
			{Name: "delete: malformed id", Method: "DELETE", URL: "/api/v1/exchange-rates/seventy-eight", As: finance, Status: 404},
			{Name: "delete: success", Method: "DELETE", URL: "/api/v1/exchange-rates/" + typo.ID, As: finance, Status: 204},
			{Name: "gone", Method: "GET", URL: "/api/v1/exchange-rates?currency=EUR", As: finance, Status: 200, NotContains: []string{typo.ID}},
			{Name: "the other tenant's stays", Method: "GET", URL: "/api/v1/exchange-rates?currency=EUR", As: other.Owner, Status: 200, Contains: []string{foreignRate.ID}},
		})

		// Conversion uses the rate valid on the day: 7.1 through February, 7.3 from March.
		ctx := tenantctx.WithTenant(context.Background(), acme.ID)
		err := env.DB.Read(ctx, func(tx *gorm.DB) error {
			c, err := money.LoadConverter(ctx, tx)
			if err != nil {
				return err
			}
			for _, tc := range []struct {
				day  string
				want string
			}{{"2026-02-28", "710.00"}, {"2026-03-01", "730.00"}, {"2026-12-31", "730.00"}} {
				d, _ := time.Parse(time.DateOnly, tc.day)
				got, err := c.ToBase(money.MustParse("100", "USD"), d)
				if err != nil || got.StringFixed(2) != tc.want {
					t.Errorf("%s: %v %v, want %s", tc.day, got, err, tc.want)
				}
			}
			d, _ := time.Parse(time.DateOnly, "2025-12-31")
			if _, err := c.ToBase(money.MustParse("100", "USD"), d); err != money.ErrNoRate {
				t.Errorf("before the first rate: %v", err)
			}
			if got, _ := c.ToBase(money.MustParse("5", "CNY"), d); !got.Equal(decimal.NewFromInt(5)) {
				t.Errorf("base currency: %v", got)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
