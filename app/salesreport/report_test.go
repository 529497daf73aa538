package salesreport_test

// The sales KPIs (SAL-6) against a hand-computed fixture for 2026-Q1 in Asia/Shanghai, base
// CNY, USD at 7.0 from 2025-01-01 and 7.5 from 2026-03-01, no EUR rate:
//
//	customers (created 2026-01-10 unless said): A s1 key partner_referral, B s1 general online,
//	  C s2 general partner_referral, D s3 potential cold_call, E s1 (created 2026-04-02)
//	opportunities created 2026-01-10: o1 s1 10,000 CNY info→contact→needs→demo→proposal→
//	  negotiation→won 2026-02-15; o2 s1 1,000 USD info→needs→lost 2026-02-15; o3 s2 created at
//	  proposal_quote→negotiation; o4 s3 2,000 USD info→won 2026-02-15 (×7.0 = 14,000);
//	  o5 s1 created 2026-04-02 (outside)
//	contracts signed: K1 s1 (A) ends 2026-03-31, renewed by K4 (signed); K2 s2 (C) ends
//	  2026-02-28, its renewal K5 only a draft; K3 s1 (B) ends 2026-03-15 but never signed
//	payments: P1 4,000 CNY on K1 2026-01-20 (s1); P2 100 USD from D 2026-03-05 (s3, ×7.5 = 750);
//	  P3 300 CNY from C 2025-12-31 (outside); P4 50 EUR from B 2026-02-01 (s1, no rate)
//	follow-ups: A 2026-03-28 (within 7 days of the end), B 2026-02-10 (not within 30),
//	  C 2026-03-15 (within 30); D's 90-day cadence is not yet due (created < 90 days before)
//
// o1 and o2 have accepted quotes of 100 × P (unit cost 60) at 100 and 1 × Q (no cost) at 50.
//
// Expected totals: revenue 4,750.00 from 3 payments (EUR missing); won 2 for 24,000.00, lost 1,
// win rate 0.6667; gross profit 10,000 − 100 × 60 = 4,000.00 from o1 (Q's line left out); conversion created 4, reached 4/4/4/3/3/2, demo 1, rate 0.5000;
// compliance 2 of 3; renewal 1 of 2; referral 2 of 4.

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/salesreport"
)

type metrics struct {
	Revenue  struct{ Amount, Currency string } `json:"revenue"`
	Payments int                               `json:"payments"`
	Won      struct {
		Count  int                     `json:"count"`
		Amount struct{ Amount string } `json:"amount"`
	} `json:"won"`
	Lost        int `json:"lost"`
	GrossProfit struct {
		Amount           struct{ Amount string } `json:"amount"`
		Deals            int                     `json:"deals"`
		LinesWithoutCost int                     `json:"lines_without_cost"`
	} `json:"gross_profit"`
	WinRate    *string `json:"win_rate"`
	Conversion struct {
		Created int `json:"created"`
		Stages  []struct {
			Stage      string  `json:"stage"`
			Reached    int     `json:"reached"`
			RateToNext *string `json:"rate_to_next"`
		} `json:"stages"`
		DemoReached int     `json:"demo_reached"`
		Rate        *string `json:"rate"`
	} `json:"conversion"`
	Compliance ratio `json:"follow_up_compliance"`
	Renewal    ratio `json:"renewal_rate"`
	Referral   ratio `json:"referral_rate"`
}

type ratio struct {
	Base  int     `json:"base"`
	Count int     `json:"count"`
	Rate  *string `json:"rate"`
}

type report struct {
	From, To     string
	BaseCurrency string `json:"base_currency"`
	GroupBy      string `json:"group_by"`
	Totals       metrics
	Groups       []struct {
		Key  *uuid.UUID `json:"key"`
		Name string     `json:"name"`
		metrics
	}
	MissingRates []struct{ Currency, Date string } `json:"missing_rates"`
}

func s(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

func reached(m metrics) []int {
	var out []int
	for _, st := range m.Conversion.Stages {
		out = append(out, st.Reached)
	}
	return out
}

func TestSalesKPIs(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sm := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
		s1 := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &sm.UserID}, "salesperson")
		s2 := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &sm.UserID}, "salesperson")
		s3 := acme.AddUserWith(t, apitest.UserOpts{Department: "Marketing"}, "salesperson")
		finance := acme.AddUser(t, "finance")
		warehouse := acme.AddUser(t, "warehouse")
		owner := acme.Owner

		setClock := func(rfc string) {
			at, _ := time.Parse(time.RFC3339, rfc)
			env.Clock().Advance(at.Sub(env.Clock().Now()))
		}
		cust := func(as *apitest.Client, name, tier, source string) uuid.UUID {
			var c struct{ ID uuid.UUID }
			as.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": name, "tier": tier, "source": source}, 201, &c)
			return c.ID
		}
		type opp struct {
			ID      uuid.UUID
			Version int64
		}
		newOpp := func(as *apitest.Client, c uuid.UUID, amount map[string]any, stage string) *opp {
			var o opp
			body := map[string]any{"name": "商机", "customer_id": c, "amount": amount}
			if stage != "" {
				body["stage"] = stage
			}
			as.MustDo(t, "POST", "/api/v1/opportunities", body, 201, &o)
			return &o
		}
		move := func(as *apitest.Client, o *opp, stages ...string) {
			for _, st := range stages {
				body := map[string]any{"version": o.Version, "stage": st}
				if st == "lost" {
					body["lost_reason"] = "预算取消"
				}
				as.MustDo(t, "PATCH", "/api/v1/opportunities/"+o.ID.String(), body, 200, o)
			}
		}
		type contract struct {
			ID      uuid.UUID
			Version int64
		}
		newContract := func(as *apitest.Client, c uuid.UUID, end string, renews *uuid.UUID, sign bool) contract {
			body := map[string]any{"title": "合同", "customer_id": c, "amount": map[string]any{"amount": "10000", "currency": "CNY"}, "end_date": end}
			if renews != nil {
				body["renewal_of_id"] = *renews
			}
			var k contract
			as.MustDo(t, "POST", "/api/v1/contracts", body, 201, &k)
			if sign {
				u := "/api/v1/contracts/" + k.ID.String()
				as.MustDo(t, "POST", u+"/submit", map[string]any{"version": k.Version}, 200, &k)
				owner.MustDo(t, "POST", u+"/approve", map[string]any{"version": k.Version}, 200, &k)
				as.MustDo(t, "POST", u+"/sign", map[string]any{"version": k.Version, "signed_on": "2026-01-10"}, 200, &k)
			}
			return k
		}
		cny := func(a string) map[string]any { return map[string]any{"amount": a, "currency": "CNY"} }
		usd := func(a string) map[string]any { return map[string]any{"amount": a, "currency": "USD"} }

		setClock("2026-01-10T02:00:00Z")
		finance.MustDo(t, "POST", "/api/v1/exchange-rates", map[string]any{"currency": "USD", "rate_to_base": "7.0", "valid_from": "2025-01-01"}, 201, nil)
		finance.MustDo(t, "POST", "/api/v1/exchange-rates", map[string]any{"currency": "USD", "rate_to_base": "7.5", "valid_from": "2026-03-01"}, 201, nil)
		a := cust(s1, "A 公司", "key", "partner_referral")
		b := cust(s1, "B 公司", "general", "online")
		c := cust(s2, "C 公司", "general", "partner_referral")
		d := cust(s3, "D 公司", "potential", "cold_call")
		o1 := newOpp(s1, a, cny("10000"), "")
		o2 := newOpp(s1, b, usd("1000"), "")
		o3 := newOpp(s2, c, cny("5000"), "proposal_quote")
		o4 := newOpp(s3, d, usd("2000"), "")
		k1 := newContract(s1, a, "2026-03-31", nil, true)
		k2 := newContract(s2, c, "2026-02-28", nil, true)
		newContract(s1, b, "2026-03-15", nil, false)
		// o1's accepted quote: 100 × P (cost 60) at 100, 1 × Q (no cost) at 50; o2's accepted
		// quote does not count, o2 is lost.
		var pp, pq struct{ ID uuid.UUID }
		warehouse.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "P", "name": "P", "price": cny("100"), "cost": "60"}, 201, &pp)
		warehouse.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "Q", "name": "Q", "price": cny("50")}, 201, &pq)
		accepted := func(o *opp, c uuid.UUID) {
			var q struct {
				ID      uuid.UUID
				Version int64
			}
			s1.MustDo(t, "POST", "/api/v1/quotes", map[string]any{"customer_id": c, "opportunity_id": o.ID, "currency": "CNY",
				"lines": []map[string]any{{"product_id": pp.ID, "quantity": "100"}, {"product_id": pq.ID, "quantity": "1"}}}, 201, &q)
			for _, st := range []string{"sent", "accepted"} {
				s1.MustDo(t, "PATCH", "/api/v1/quotes/"+q.ID.String(), map[string]any{"version": q.Version, "status": st}, 200, &q)
			}
		}
		accepted(o1, a)
		accepted(o2, b)

		setClock("2026-02-15T02:00:00Z")
		move(s1, o1, "initial_contact", "needs_analysis", "demo", "proposal_quote", "negotiation", "won")
		move(s1, o2, "needs_analysis", "lost")
		move(s2, o3, "negotiation")
		move(s3, o4, "won")

		setClock("2026-04-02T02:00:00Z")
		e := cust(s1, "E 公司", "key", "partner_referral")
		newOpp(s1, e, cny("1"), "")
		newContract(s1, a, "2027-03-31", &k1.ID, true)
		newContract(s2, c, "2027-02-28", &k2.ID, false)

		setClock("2026-04-05T02:00:00Z")
		pay := func(c uuid.UUID, contract *uuid.UUID, amount map[string]any, on string) {
			body := map[string]any{"customer_id": c, "amount": amount, "method": "bank_transfer", "received_on": on}
			if contract != nil {
				body["contract_id"] = *contract
			}
			finance.MustDo(t, "POST", "/api/v1/payments", body, 201, nil)
		}
		pay(a, &k1.ID, cny("4000"), "2026-01-20")
		pay(d, nil, usd("100"), "2026-03-05")
		pay(c, nil, cny("300"), "2025-12-31")
		pay(b, nil, map[string]any{"amount": "50", "currency": "EUR"}, "2026-02-01")
		follow := func(as *apitest.Client, c uuid.UUID, at string) {
			as.MustDo(t, "POST", "/api/v1/customers/"+c.String()+"/follow-ups", map[string]any{"method": "phone", "content": "回访", "occurred_at": at}, 201, nil)
		}
		follow(s1, a, "2026-03-28T03:00:00Z")
		follow(s1, b, "2026-02-10T03:00:00Z")
		follow(s2, c, "2026-03-15T03:00:00Z")

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: "/api/v1/reports/sales?period=2026-Q1", Status: 401},
			{Name: "other tenant sees none of it", Method: "GET", URL: "/api/v1/reports/sales?period=2026-Q1", As: other.Owner, Status: 200,
				Contains: []string{`"groups":[]`, `"revenue":{"amount":"0.00","currency":"CNY"}`}},
			{Name: "wrong role", Method: "GET", URL: "/api/v1/reports/sales?period=2026-Q1", As: warehouse, Status: 403},
			{Name: "invalid period", Method: "GET", URL: "/api/v1/reports/sales?period=2026-Q5", As: owner, Status: 422, Contains: []string{"period"}},
			{Name: "invalid group", Method: "GET", URL: "/api/v1/reports/sales?group_by=team", As: owner, Status: 422},
		})

		var all report
		owner.MustDo(t, "GET", "/api/v1/reports/sales?period=2026-Q1&group_by=user", nil, 200, &all)
		tot := all.Totals
		if all.From != "2026-01-01" || all.To != "2026-03-31" || all.BaseCurrency != "CNY" {
			t.Errorf("header %+v", all)
		}
		check := func(what string, got, want any) {
			t.Helper()
			if got != want {
				t.Errorf("%s: %v, want %v", what, got, want)
			}
		}
		check("revenue", tot.Revenue.Amount, "4750.00")
		check("payments", tot.Payments, 3)
		check("won count", tot.Won.Count, 2)
		check("won amount", tot.Won.Amount.Amount, "24000.00")
		check("lost", tot.Lost, 1)
		check("win rate", s(tot.WinRate), "0.6667")
		check("gross profit", tot.GrossProfit.Amount.Amount, "4000.00")
		check("gross profit deals", tot.GrossProfit.Deals, 1)
		check("lines without cost", tot.GrossProfit.LinesWithoutCost, 1)
		check("created", tot.Conversion.Created, 4)
		check("reached", fmtInts(reached(tot)), "4,4,4,3,3,2")
		check("demo", tot.Conversion.DemoReached, 1)
		check("conversion rate", s(tot.Conversion.Rate), "0.5000")
		if len(tot.Conversion.Stages) == 6 {
			check("needs→proposal", s(tot.Conversion.Stages[2].RateToNext), "0.7500")
			check("negotiation→won", s(tot.Conversion.Stages[4].RateToNext), "0.6667")
			check("won has no next", s(tot.Conversion.Stages[5].RateToNext), "null")
		}
		check("compliance", tot.Compliance, ratio{Base: 3, Count: 2, Rate: tot.Compliance.Rate})
		check("compliance rate", s(tot.Compliance.Rate), "0.6667")
		check("renewal", tot.Renewal.Base*10+tot.Renewal.Count, 21)
		check("renewal rate", s(tot.Renewal.Rate), "0.5000")
		check("referral", tot.Referral.Base*10+tot.Referral.Count, 42)
		check("referral rate", s(tot.Referral.Rate), "0.5000")
		if len(all.MissingRates) != 1 || all.MissingRates[0].Currency != "EUR" || all.MissingRates[0].Date != "2026-02-01" {
			t.Errorf("missing rates %+v", all.MissingRates)
		}
		byKey := map[uuid.UUID]metrics{}
		for _, g := range all.Groups {
			if g.Key != nil {
				byKey[*g.Key] = g.metrics
			}
		}
		if len(all.Groups) != 3 {
			t.Errorf("%d groups, want s1, s2, s3", len(all.Groups))
		}
		g1 := byKey[s1.UserID]
		check("s1 revenue", g1.Revenue.Amount, "4000.00")
		check("s1 payments", g1.Payments, 2)
		check("s1 won", g1.Won.Amount.Amount, "10000.00")
		check("s1 win rate", s(g1.WinRate), "0.5000")
		check("s1 reached", fmtInts(reached(g1)), "2,2,2,1,1,1")
		check("s1 compliance", s(g1.Compliance.Rate), "0.5000")
		check("s1 renewal", s(g1.Renewal.Rate), "1.0000")
		check("s1 referral", s(g1.Referral.Rate), "0.5000")
		g2 := byKey[s2.UserID]
		check("s2 reached", fmtInts(reached(g2)), "1,1,1,1,1,0")
		check("s2 conversion", s(g2.Conversion.Rate), "0.0000")
		check("s2 compliance", s(g2.Compliance.Rate), "1.0000")
		check("s2 renewal", s(g2.Renewal.Rate), "0.0000")
		check("s2 win rate (nothing closed)", s(g2.WinRate), "null")
		g3 := byKey[s3.UserID]
		check("s3 revenue", g3.Revenue.Amount, "750.00")
		check("s3 won", g3.Won.Amount.Amount, "14000.00")
		check("s3 gross profit (no quote)", g3.GrossProfit.Deals, 0)
		check("s1 gross profit", g1.GrossProfit.Amount.Amount, "4000.00")
		check("s3 compliance (not yet due)", g3.Compliance.Base, 0)

		// By department: Sales (s1, s2) and Marketing (s3).
		var depts report
		owner.MustDo(t, "GET", "/api/v1/reports/sales?period=2026-01-01..2026-03-31&group_by=department", nil, 200, &depts)
		names := map[string]string{}
		for _, g := range depts.Groups {
			names[g.Name] = g.Revenue.Amount
		}
		check("departments", len(depts.Groups), 2)
		check("Sales revenue", names["Sales"]+names["销售部"], "4000.00")
		check("Marketing revenue", names["Marketing"]+names["市场部"], "750.00")

		// Data scopes: a salesperson sees their own numbers, the sales manager the Sales subtree.
		var mine report
		s1.MustDo(t, "GET", "/api/v1/reports/sales?period=2026-Q1", nil, 200, &mine)
		check("s1 own groups", len(mine.Groups), 1)
		check("s1 own revenue", mine.Totals.Revenue.Amount, "4000.00")
		check("s1 own created", mine.Totals.Conversion.Created, 2)
		var mgr report
		sm.MustDo(t, "GET", "/api/v1/reports/sales?period=2026-Q1", nil, 200, &mgr)
		check("manager revenue", mgr.Totals.Revenue.Amount, "4000.00")
		check("manager won", mgr.Totals.Won.Amount.Amount, "10000.00")
		check("manager created", mgr.Totals.Conversion.Created, 3)
		check("manager referral", s(mgr.Totals.Referral.Rate), "0.6667")
		check("manager compliance", s(mgr.Totals.Compliance.Rate), "0.6667")

		// Another period: only what happened in it (E, o5, K4's signature do not count in Q1).
		var q2 report
		owner.MustDo(t, "GET", "/api/v1/reports/sales?period=2026-04", nil, 200, &q2)
		check("April created", q2.Totals.Conversion.Created, 1)
		check("April referral", q2.Totals.Referral.Base, 1)
		check("April revenue", q2.Totals.Revenue.Amount, "0.00")
	})
}

func fmtInts(xs []int) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ","
		}
		out += string(rune('0' + x))
	}
	return out
}

func TestParsePeriod(t *testing.T) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ in, from, to string }{
		{"", "2026-11-01", "2026-11-30"},
		{"2026", "2026-01-01", "2026-12-31"},
		{"2024-02", "2024-02-01", "2024-02-29"},
		{"2026-Q4", "2026-10-01", "2026-12-31"},
		{"2026-q1", "2026-01-01", "2026-03-31"},
		{"2026-01-15..2026-01-15", "2026-01-15", "2026-01-15"},
	} {
		f, to, err := salesreport.ParsePeriod(tc.in, now)
		if err != nil || f.Format(time.DateOnly) != tc.from || to.Format(time.DateOnly) != tc.to {
			t.Errorf("%q: %v %v %v", tc.in, f, to, err)
		}
	}
	for _, bad := range []string{"2026-13", "2026-Q0", "26", "2026-02-01..2026-01-01", "2026-02-30..2026-03-01", "last month"} {
		if _, _, err := salesreport.ParsePeriod(bad, now); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
