package risk_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

// company has the roles credit risk involves: the general manager and vice president, a
// sales manager who manages two salespeople, finance, an auditor and a technician (no risk
// permissions); sales1 owns cust1, sales2 owns cust2.
type company struct {
	env          *apitest.Env
	co           *apitest.Company
	gm, vp, mgr  *apitest.Client
	sales1       *apitest.Client
	sales2       *apitest.Client
	finance      *apitest.Client
	auditor      *apitest.Client
	tech         *apitest.Client
	cust1, cust2 uuid.UUID
}

func newCompany(t testing.TB, env *apitest.Env) *company {
	t.Helper()
	co := env.Signup(t)
	c := &company{env: env, co: co,
		gm:      co.AddUser(t, "general_manager"),
		vp:      co.AddUser(t, "vice_president"),
		mgr:     co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager"),
		finance: co.AddUser(t, "finance"),
		auditor: co.AddUser(t, "auditor"),
		tech:    co.AddUserWith(t, apitest.UserOpts{Department: "After-sales service"}, "service_technician"),
	}
	c.sales1 = co.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &c.mgr.UserID}, "salesperson")
	c.sales2 = co.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &c.mgr.UserID}, "salesperson")
	c.cust1 = c.customer(t, c.sales1, "华东精密机械")
	c.cust2 = c.customer(t, c.sales2, "华南电子")
	return c
}

func (c *company) customer(t testing.TB, owner *apitest.Client, name string) uuid.UUID {
	t.Helper()
	var out struct{ ID uuid.UUID }
	owner.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": name}, 201, &out)
	return out.ID
}

type moneyJSON struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

func cny(s string) map[string]any { return map[string]any{"amount": s, "currency": "CNY"} }

type assessment struct {
	ID           uuid.UUID `json:"id"`
	CustomerID   uuid.UUID `json:"customer_id"`
	Score        string    `json:"score"`
	Rating       string    `json:"rating"`
	Limit        moneyJSON `json:"limit"`
	LimitBase    moneyJSON `json:"limit_base"`
	ValidUntil   string    `json:"valid_until"`
	Evidence     string    `json:"evidence"`
	Status       string    `json:"status"`
	ApproverRole string    `json:"approver_role"`
	AssessedBy   uuid.UUID `json:"assessed_by"`
	Version      int64     `json:"version"`
}

func scores(f, r, rec, rep int) map[string]any {
	return map[string]any{"financial": f, "results": r, "record": rec, "reputation": rep}
}

func assessBody(limit string) map[string]any {
	return map[string]any{"scores": scores(90, 80, 85, 70), "proposed_limit": cny(limit), "evidence": "2025 年审计报告；银行资信证明"}
}

func assessURL(id uuid.UUID) string {
	return "/api/v1/customers/" + id.String() + "/credit-assessments"
}

func (c *company) assess(t testing.TB, as *apitest.Client, customer uuid.UUID, limit string) assessment {
	t.Helper()
	var a assessment
	as.MustDo(t, "POST", assessURL(customer), assessBody(limit), 201, &a)
	return a
}

type exposureJSON struct {
	SignedUnpaid       moneyJSON `json:"signed_unpaid"`
	OpenReceivables    moneyJSON `json:"open_receivables"`
	OverdueReceivables moneyJSON `json:"overdue_receivables"`
	Total              moneyJSON `json:"total"`
	Unconverted        int       `json:"unconverted"`
}

type line struct {
	Bucket        string     `json:"bucket"`
	ContractID    uuid.UUID  `json:"contract_id"`
	InstallmentID *uuid.UUID `json:"installment_id"`
	DaysOverdue   int        `json:"days_overdue"`
	Amount        moneyJSON  `json:"amount"`
	Base          *moneyJSON `json:"base"`
}

type warning struct {
	ID         uuid.UUID      `json:"id"`
	CustomerID uuid.UUID      `json:"customer_id"`
	Kind       string         `json:"kind"`
	Level      string         `json:"level"`
	Status     string         `json:"status"`
	Message    string         `json:"message"`
	Detail     map[string]any `json:"detail"`
	Measures   []struct {
		Measure string `json:"measure"`
		Note    string `json:"note"`
	} `json:"measures"`
}

type credit struct {
	Rating      string       `json:"rating"`
	Limit       *moneyJSON   `json:"limit"`
	ValidUntil  *string      `json:"valid_until"`
	Exposure    exposureJSON `json:"exposure"`
	Lines       []line       `json:"lines"`
	Utilisation *string      `json:"utilisation"`
	RiskLevel   string       `json:"risk_level"`
	Warnings    []warning    `json:"warnings"`
	Pending     *assessment  `json:"pending"`
}

func creditOf(t testing.TB, as *apitest.Client, id uuid.UUID) credit {
	t.Helper()
	var c credit
	as.MustDo(t, "GET", "/api/v1/customers/"+id.String()+"/credit", nil, 200, &c)
	return c
}

func (c credit) has(kind string) *warning {
	for i := range c.Warnings {
		if c.Warnings[i].Kind == kind {
			return &c.Warnings[i]
		}
	}
	return nil
}

type contract struct {
	ID             uuid.UUID `json:"id"`
	Status         string    `json:"status"`
	ApproverRole   string    `json:"approver_role"`
	ApprovalReason string    `json:"approval_reason"`
	Version        int64     `json:"version"`
}

func (c *company) draft(t testing.TB, as *apitest.Client, customer uuid.UUID, amount map[string]any) contract {
	t.Helper()
	var k contract
	as.MustDo(t, "POST", "/api/v1/contracts", map[string]any{"title": "供货合同", "customer_id": customer, "amount": amount}, 201, &k)
	return k
}

// signed takes a contract of author through review (by the company owner, who may approve any
// tier) to signed.
func (c *company) signed(t testing.TB, author *apitest.Client, customer uuid.UUID, amount map[string]any) contract {
	t.Helper()
	k := c.draft(t, author, customer, amount)
	u := "/api/v1/contracts/" + k.ID.String()
	author.MustDo(t, "POST", u+"/submit", map[string]any{"version": k.Version}, 200, &k)
	c.co.Owner.MustDo(t, "POST", u+"/approve", map[string]any{"version": k.Version}, 200, &k)
	author.MustDo(t, "POST", u+"/sign", map[string]any{"version": k.Version}, 200, &k)
	return k
}

// tenantZone is the time zone a tenant signs up with; the service counts days (validity,
// days overdue) on the tenant's calendar, so the tests must too, or they fail for the hours
// in which the UTC date and the tenant's date differ.
var tenantZone = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// day is the tenant's calendar date days from today.
func day(days int) string { return time.Now().In(tenantZone).AddDate(0, 0, days).Format(time.DateOnly) }
