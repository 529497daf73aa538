package risk_test

import (
	"testing"

	"github.com/smecrm/crm/app/apitest"
)

// Exposure is derived from the records in two currencies: a CNY contract with a plan (one
// installment overdue and partly paid, one not yet due) and a USD contract without a plan
// and a payment on account.
func TestExposureFromContractsAndPayments(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		c.co.Owner.MustDo(t, "POST", "/api/v1/exchange-rates", map[string]any{"currency": "USD", "rate_to_base": "7.1", "valid_from": day(-400)}, 201, nil)
		c.assess(t, c.gm, c.cust1, "100000")
		a := c.signed(t, c.sales1, c.cust1, cny("10000"))
		var plan struct {
			Installments []struct {
				ID string `json:"id"`
			} `json:"installments"`
		}
		c.sales1.MustDo(t, "POST", "/api/v1/contracts/"+a.ID.String()+"/payment-plans", map[string]any{"installments": []map[string]any{
			{"due_date": day(-10), "amount": cny("3000")}, {"due_date": day(20), "amount": cny("3000")}}}, 201, &plan)
		c.finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": c.cust1, "contract_id": a.ID, "amount": cny("1000"), "method": "bank_transfer"}, 201, nil)
		b := c.signed(t, c.sales1, c.cust1, map[string]any{"amount": "1000", "currency": "USD"})
		c.finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": c.cust1, "contract_id": b.ID,
			"amount": map[string]any{"amount": "100", "currency": "USD"}, "method": "bank_transfer"}, 201, nil)
		// A draft contract is no exposure.
		c.draft(t, c.sales1, c.cust1, cny("50000"))

		cr := creditOf(t, c.sales1, c.cust1)
		e := cr.Exposure
		// signed unpaid: 10000 − 6000 planned + (1000 − 100) USD × 7.1 = 4000 + 6390
		if e.SignedUnpaid.Amount != "10390.00" || e.OpenReceivables.Amount != "3000.00" || e.OverdueReceivables.Amount != "2000.00" ||
			e.Total.Amount != "15390.00" || e.Total.Currency != "CNY" || e.Unconverted != 0 {
			t.Errorf("exposure: %+v", e)
		}
		if cr.Utilisation == nil || *cr.Utilisation != "0.1539" {
			t.Errorf("utilisation: %v", cr.Utilisation)
		}
		// Drill-through: each amount with its contract and installment.
		got := map[string]string{}
		for _, l := range cr.Lines {
			key := l.Bucket + ":" + l.ContractID.String()
			if l.InstallmentID != nil {
				key += ":" + l.InstallmentID.String()
			}
			base := ""
			if l.Base != nil {
				base = l.Base.Amount
			}
			got[key] = l.Amount.Amount + " " + l.Amount.Currency + " = " + base
		}
		want := map[string]string{
			"signed_unpaid:" + a.ID.String():                                       "4000.00 CNY = 4000.00",
			"open_receivables:" + a.ID.String() + ":" + plan.Installments[1].ID:    "3000.00 CNY = 3000.00",
			"overdue_receivables:" + a.ID.String() + ":" + plan.Installments[0].ID: "2000.00 CNY = 2000.00",
			"signed_unpaid:" + b.ID.String():                                       "900.00 USD = 6390.00",
		}
		if len(got) != len(want) {
			t.Errorf("lines: %v", got)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("line %s = %q, want %q (all: %v)", k, got[k], v, got)
			}
		}
		for _, l := range cr.Lines {
			if l.Bucket == "overdue_receivables" && l.DaysOverdue != 10 {
				t.Errorf("days overdue: %+v", l)
			}
		}
		// Paying the rest of the overdue installment moves it out of the overdue bucket.
		c.finance.MustDo(t, "POST", "/api/v1/payments", map[string]any{"customer_id": c.cust1, "contract_id": a.ID, "amount": cny("2000"), "method": "bank_transfer"}, 201, nil)
		if e := creditOf(t, c.sales1, c.cust1).Exposure; e.OverdueReceivables.Amount != "0.00" || e.Total.Amount != "13390.00" {
			t.Errorf("after paying the overdue installment: %+v", e)
		}
	})
}
