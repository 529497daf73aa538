package complaint_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

// company is a tenant with the roles the complaint procedure involves: customer service (who
// takes complaints in and manages them) and its manager, the sales manager, vice president
// and general manager (the approval tiers), two salespeople, the warehouse, finance, an
// auditor and a technician; the customer is customer service's own, sales1 has one too.
type company struct {
	env                                         *apitest.Env
	co                                          *apitest.Company
	cs, csManager, salesMgr, vp, gm             *apitest.Client
	sales1, sales2, warehouse, finance, auditor *apitest.Client
	tech                                        *apitest.Client
	customer, salesCustomer, contact            uuid.UUID
	contactEmail                                string
}

func newCompany(t testing.TB, env *apitest.Env) *company {
	t.Helper()
	co := env.Signup(t)
	c := &company{env: env, co: co,
		cs:        co.AddUserWith(t, apitest.UserOpts{Department: "Customer service"}, "customer_service"),
		csManager: co.AddUserWith(t, apitest.UserOpts{Department: "Customer service"}, "service_manager"),
		salesMgr:  co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager"),
		vp:        co.AddUser(t, "vice_president"),
		gm:        co.AddUser(t, "general_manager"),
		sales1:    co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson"),
		sales2:    co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson"),
		warehouse: co.AddUser(t, "warehouse"),
		finance:   co.AddUser(t, "finance"),
		auditor:   co.AddUser(t, "auditor"),
		tech:      co.AddUserWith(t, apitest.UserOpts{Department: "After-sales service"}, "service_technician"),
	}
	var cust struct{ ID uuid.UUID }
	c.cs.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "华东机械厂"}, 201, &cust)
	c.customer = cust.ID
	c.contactEmail = "li@" + co.Slug + ".example.com"
	var ct struct{ ID uuid.UUID }
	c.cs.MustDo(t, "POST", "/api/v1/customers/"+c.customer.String()+"/contacts",
		map[string]any{"name": "李经理", "email": c.contactEmail, "is_primary": true}, 201, &ct)
	c.contact = ct.ID
	c.sales1.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "华南电子"}, 201, &cust)
	c.salesCustomer = cust.ID
	// The customer-service department's manager hears of overdue cases.
	dept := "/api/v1/departments/" + co.Departments["Customer service"].String()
	var d struct{ Version int64 }
	c.co.Owner.MustDo(t, "GET", dept, nil, 200, &d)
	c.co.Owner.MustDo(t, "PATCH", dept, map[string]any{"version": d.Version, "manager_id": c.csManager.UserID}, 200, nil)
	return c
}

type event struct {
	Action     string    `json:"action"`
	FromStatus string    `json:"from_status"`
	ToStatus   string    `json:"to_status"`
	Comment    string    `json:"comment"`
	At         time.Time `json:"at"`
}

type complaintView struct {
	ID                uuid.UUID  `json:"id"`
	Number            string     `json:"number"`
	CustomerID        uuid.UUID  `json:"customer_id"`
	Status            string     `json:"status"`
	Outcome           string     `json:"outcome"`
	Severity          string     `json:"severity"`
	Channel           string     `json:"channel"`
	Content           string     `json:"content"`
	ReceivedAt        time.Time  `json:"received_at"`
	DueAt             *time.Time `json:"due_at"`
	ReportDueAt       *time.Time `json:"report_due_at"`
	SLAStatus         string     `json:"sla_status"`
	Paused            bool       `json:"paused"`
	PausedAt          *time.Time `json:"paused_at"`
	ReopenedFromID    *uuid.UUID `json:"reopened_from_id"`
	ReopenedToID      *uuid.UUID `json:"reopened_to_id"`
	SurveyID          *uuid.UUID `json:"survey_id"`
	AckSentAt         *time.Time `json:"ack_sent_at"`
	HandlerID         *uuid.UUID `json:"handler_id"`
	ResponsibleUserID *uuid.UUID `json:"responsible_user_id"`
	RootCause         string     `json:"root_cause"`
	Version           int64      `json:"version"`
	History           []event    `json:"history"`
}

type remedyView struct {
	ID               uuid.UUID  `json:"id"`
	Kind             string     `json:"kind"`
	Status           string     `json:"status"`
	ApproverRole     string     `json:"approver_role"`
	WorkOrderID      *uuid.UUID `json:"work_order_id"`
	Quantity         *int       `json:"quantity"`
	QuantityReceived *int       `json:"quantity_received"`
	Amount           *struct {
		Amount   string `json:"amount"`
		Currency string `json:"currency"`
	} `json:"amount"`
}

func intake(extra map[string]any) map[string]any {
	b := map[string]any{"channel": "phone", "content": "第三批轴承有裂纹", "category": "quality", "order_number": "SO-2026-0042",
		"batch": "B-17", "ship_date": "2026-10-20", "defective_quantity": 12}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func (c *company) open(t testing.TB, as *apitest.Client, extra map[string]any) complaintView {
	t.Helper()
	b := intake(extra)
	if _, ok := b["customer_id"]; !ok {
		b["customer_id"] = c.customer
	}
	var v complaintView
	as.MustDo(t, "POST", "/api/v1/complaints", b, 201, &v)
	return v
}

func url(v complaintView, tail string) string { return "/api/v1/complaints/" + v.ID.String() + tail }

func (c *company) move(t testing.TB, as *apitest.Client, v complaintView, to string) complaintView {
	t.Helper()
	var out complaintView
	as.MustDo(t, "POST", url(v, "/transition"), map[string]any{"to": to}, 200, &out)
	return out
}

func (c *company) get(t testing.TB, v complaintView) complaintView {
	t.Helper()
	var out complaintView
	c.cs.MustDo(t, "GET", url(v, ""), nil, 200, &out)
	return out
}

func (c *company) propose(t testing.TB, v complaintView, body map[string]any) remedyView {
	t.Helper()
	var r remedyView
	c.cs.MustDo(t, "POST", url(v, "/remedies"), body, 201, &r)
	return r
}

func cny(a string) map[string]any { return map[string]any{"amount": a, "currency": "CNY"} }

type notification struct {
	Kind     string     `json:"kind"`
	Title    string     `json:"title"`
	EntityID *uuid.UUID `json:"entity_id"`
}

func notices(t testing.TB, as *apitest.Client, kind string) []notification {
	t.Helper()
	var p struct{ Items []notification }
	as.MustDo(t, "GET", "/api/v1/notifications?limit=200", nil, 200, &p)
	var out []notification
	for _, n := range p.Items {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}
