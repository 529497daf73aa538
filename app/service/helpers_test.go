package service_test

import (
	"slices"
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

// workOrder is the part of a work order the tests read.
type workOrder struct {
	ID                 uuid.UUID   `json:"id"`
	Number             string      `json:"number"`
	CustomerID         uuid.UUID   `json:"customer_id"`
	Model              string      `json:"model"`
	Fault              string      `json:"fault"`
	Status             string      `json:"status"`
	StatusReason       string      `json:"status_reason"`
	Type               string      `json:"type"`
	TypeProposed       string      `json:"type_proposed"`
	TypeReason         string      `json:"type_reason"`
	CoverageContractID *uuid.UUID  `json:"coverage_contract_id"`
	WarrantyUntil      *string     `json:"warranty_until"`
	TechnicianID       *uuid.UUID  `json:"technician_id"`
	DepartmentID       *uuid.UUID  `json:"department_id"`
	Pooled             bool        `json:"pooled"`
	CarriedOver        bool        `json:"carried_over"`
	Remote             bool        `json:"remote"`
	CountersignedBy    *uuid.UUID  `json:"countersigned_by"`
	SignerName         string      `json:"signer_name"`
	SignedVia          string      `json:"signed_via"`
	HasSignature       bool        `json:"has_signature"`
	Fee                *moneyJSON  `json:"fee"`
	FeeMethod          string      `json:"fee_method"`
	ReceiptNumber      string      `json:"receipt_number"`
	InvoiceStatus      string      `json:"invoice_status"`
	InvoiceNumber      string      `json:"invoice_number"`
	ServiceCost        []moneyJSON `json:"service_cost"`
	TravelCost         []moneyJSON `json:"travel_cost"`
	Version            int64       `json:"version"`
}

type page struct {
	Items      []workOrder `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

// team is a company with the people of after-sales service: customer service registers
// (in the customer service department), the service manager dispatches and countersigns,
// two technicians of the after-sales department do the work, finance invoices; the
// warehouse may only read work orders and a salesperson not even that.
type team struct {
	co      *apitest.Company
	cs      *apitest.Client
	mgr     *apitest.Client
	tech    *apitest.Client
	tech2   *apitest.Client
	finance *apitest.Client
	reader  *apitest.Client
	sales   *apitest.Client
	// customer is customer service's customer; product a catalogue product with a 24-month
	// warranty.
	customer uuid.UUID
	product  uuid.UUID
}

func newTeam(t testing.TB, env *apitest.Env) *team {
	t.Helper()
	co := env.Signup(t)
	tm := &team{co: co,
		cs:      co.AddUserWith(t, apitest.UserOpts{Department: "Customer service"}, "customer_service"),
		mgr:     co.AddUserWith(t, apitest.UserOpts{Department: "After-sales service"}, "service_manager"),
		tech:    co.AddUserWith(t, apitest.UserOpts{Department: "After-sales service"}, "service_technician"),
		tech2:   co.AddUserWith(t, apitest.UserOpts{Department: "After-sales service"}, "service_technician"),
		finance: co.AddUserWith(t, apitest.UserOpts{Department: "Finance"}, "finance"),
		reader:  co.AddUser(t, "warehouse"),
		sales:   co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson"),
	}
	tm.customer = newCustomer(t, tm.cs, "华东机械")
	var p struct{ ID uuid.UUID }
	co.Owner.MustDo(t, "POST", "/api/v1/products", map[string]any{"code": "CNC-" + uuid.NewString()[:8], "name": "数控车床",
		"price": cny("98000.00"), "warranty_months": 24}, 201, &p)
	tm.product = p.ID
	return tm
}

func newCustomer(t testing.TB, as *apitest.Client, name string) uuid.UUID {
	t.Helper()
	var c struct{ ID uuid.UUID }
	as.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": name}, 201, &c)
	return c.ID
}

func request(customer uuid.UUID, extra map[string]any) map[string]any {
	body := map[string]any{"customer_id": customer, "model": "CK6140", "fault": "主轴异响", "channel": "phone", "urgency": "normal"}
	for k, v := range extra {
		body[k] = v
	}
	return body
}

func (tm *team) register(t testing.TB, extra map[string]any) workOrder {
	t.Helper()
	var w workOrder
	tm.cs.MustDo(t, "POST", "/api/v1/work-orders", request(tm.customer, extra), 201, &w)
	return w
}

func woURL(w workOrder, suffix string) string { return "/api/v1/work-orders/" + w.ID.String() + suffix }

func (tm *team) get(t testing.TB, w workOrder) workOrder {
	t.Helper()
	var out workOrder
	tm.co.Owner.MustDo(t, "GET", woURL(w, ""), nil, 200, &out)
	return out
}

func record(extra map[string]any) map[string]any {
	now := time.Now().UTC()
	body := map[string]any{"arrived_at": now.Add(-3 * time.Hour), "started_at": now.Add(-150 * time.Minute), "ended_at": now.Add(-30 * time.Minute),
		"work_done": "更换主轴轴承，试车正常"}
	for k, v := range extra {
		body[k] = v
	}
	return body
}

// to takes w along the happy path up to status (dispatched to tm.tech, records, on-site
// sign-off), as the people who do each step.
func (tm *team) to(t testing.TB, w workOrder, status string) workOrder {
	t.Helper()
	steps := []struct {
		status string
		do     func()
	}{
		{"dispatched", func() {
			tm.mgr.MustDo(t, "POST", woURL(w, "/dispatch"), map[string]any{"technician_id": tm.tech.UserID}, 200, &w)
		}},
		{"accepted", func() { tm.techOf(w).MustDo(t, "POST", woURL(w, "/accept"), nil, 200, &w) }},
		{"in_progress", func() { tm.techOf(w).MustDo(t, "POST", woURL(w, "/start"), nil, 200, &w) }},
		{"completed", func() {
			tm.techOf(w).MustDo(t, "POST", woURL(w, "/records"), record(nil), 201, nil)
			tm.techOf(w).MustDo(t, "POST", woURL(w, "/complete"), nil, 200, &w)
		}},
		{"signed_off", func() {
			tm.techOf(w).MustDo(t, "POST", woURL(w, "/sign-off"), map[string]any{"signer_name": "李工"}, 200, &w)
		}},
	}
	order := []string{"registered", "dispatched", "accepted", "in_progress", "completed", "signed_off"}
	for _, s := range steps {
		if w.Status == status {
			return w
		}
		if slices.Index(order, s.status) <= slices.Index(order, w.Status) {
			continue
		}
		s.do()
		if s.status != w.Status {
			t.Fatalf("step to %s left %s", s.status, w.Status)
		}
	}
	if w.Status != status {
		t.Fatalf("cannot take a work order to %s", status)
	}
	return w
}

// techOf is w's technician.
func (tm *team) techOf(w workOrder) *apitest.Client {
	if w.TechnicianID != nil && *w.TechnicianID == tm.tech2.UserID {
		return tm.tech2
	}
	return tm.tech
}

func day(t time.Time, months, days int) string {
	return t.AddDate(0, months, days).Format(time.DateOnly)
}
