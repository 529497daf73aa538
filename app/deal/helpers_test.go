package deal_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

type moneyJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func cny(s string) map[string]any { return map[string]any{"amount": s, "currency": "CNY"} }

type contract struct {
	ID           uuid.UUID  `json:"id"`
	Number       string     `json:"number"`
	Status       string     `json:"status"`
	ApproverRole string     `json:"approver_role"`
	Amount       moneyJSON  `json:"amount"`
	PartyA       string     `json:"party_a"`
	PartyB       string     `json:"party_b"`
	Overdue      bool       `json:"overdue"`
	SignedOn     *string    `json:"signed_on"`
	ReviewedBy   *uuid.UUID `json:"reviewed_by"`
	Version      int64      `json:"version"`
}

func newCustomer(t testing.TB, as *apitest.Client, name string) uuid.UUID {
	t.Helper()
	var c struct{ ID uuid.UUID }
	as.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": name}, 201, &c)
	return c.ID
}

func newContract(t testing.TB, as *apitest.Client, customer uuid.UUID, amount map[string]any, extra map[string]any) contract {
	t.Helper()
	body := map[string]any{"title": "供货合同", "customer_id": customer, "amount": amount}
	for k, v := range extra {
		body[k] = v
	}
	var c contract
	as.MustDo(t, "POST", "/api/v1/contracts", body, 201, &c)
	return c
}

// signed takes a new contract through review (approved by approver) to signed. Nobody
// approves their own contract: when approver is the author, another owner of the company
// approves it.
func signed(t testing.TB, author, approver *apitest.Client, customer uuid.UUID, amount map[string]any, extra map[string]any) contract {
	t.Helper()
	if approver == author {
		approver = approver.Company.AddUser(t, "owner")
	}
	c := newContract(t, author, customer, amount, extra)
	u := "/api/v1/contracts/" + c.ID.String()
	author.MustDo(t, "POST", u+"/submit", map[string]any{"version": c.Version}, 200, &c)
	approver.MustDo(t, "POST", u+"/approve", map[string]any{"version": c.Version}, 200, &c)
	author.MustDo(t, "POST", u+"/sign", map[string]any{"version": c.Version}, 200, &c)
	return c
}

func day(t time.Time, days int) string { return t.AddDate(0, 0, days).Format(time.DateOnly) }
