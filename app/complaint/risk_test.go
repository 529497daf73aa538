package complaint_test

import (
	"testing"

	"github.com/smecrm/crm/app/apitest"
)

// Complaints reach credit risk: the third complaint of an assessed customer within the window
// (the default spike threshold) raises the complaint-spike warning on its credit card at once,
// the second does not, and the other customer's card stays clear.
func TestComplaintsRaiseTheSpikeWarning(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		c := newCompany(t, env)
		spike := func(customer string) bool {
			t.Helper()
			var credit struct {
				Warnings []struct {
					Kind  string `json:"kind"`
					Level string `json:"level"`
				} `json:"warnings"`
			}
			c.gm.MustDo(t, "GET", "/api/v1/customers/"+customer+"/credit", nil, 200, &credit)
			for _, w := range credit.Warnings {
				if w.Kind == "complaint_spike" {
					return true
				}
			}
			return false
		}
		for _, id := range []string{c.customer.String(), c.salesCustomer.String()} {
			c.gm.MustDo(t, "POST", "/api/v1/customers/"+id+"/credit-assessments", map[string]any{
				"scores":         map[string]int{"financial": 90, "results": 80, "record": 85, "reputation": 70},
				"proposed_limit": map[string]string{"amount": "500000", "currency": "CNY"}}, 201, nil)
		}
		c.open(t, c.cs, nil)
		c.open(t, c.cs, nil)
		if spike(c.customer.String()) {
			t.Fatal("a spike warning after two complaints; the default threshold is three")
		}
		c.open(t, c.cs, nil)
		if !spike(c.customer.String()) {
			t.Fatal("no spike warning after the third complaint")
		}
		if spike(c.salesCustomer.String()) {
			t.Error("the other customer got the warning too")
		}
	})
}
