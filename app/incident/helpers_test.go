package incident_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/notify"
)

// company has two salespeople with customers in two regions, a general manager (sees every
// customer), the service manager, customer service and a technician.
type company struct {
	env     *apitest.Env
	co      *apitest.Company
	gm      *apitest.Client
	mgr     *apitest.Client
	cs      *apitest.Client
	tech    *apitest.Client
	sales1  *apitest.Client
	sales2  *apitest.Client
	auditor *apitest.Client
	// east1 and east2 are sales1's customers in 华东, east3 sales2's; south is sales2's in 华南.
	east1, east2, east3, south uuid.UUID
}

func newCompany(t testing.TB, env *apitest.Env) *company {
	t.Helper()
	co := env.Signup(t)
	c := &company{env: env, co: co,
		gm:      co.AddUser(t, "general_manager"),
		mgr:     co.AddUserWith(t, apitest.UserOpts{Department: "After-sales service"}, "service_manager"),
		cs:      co.AddUserWith(t, apitest.UserOpts{Department: "Customer service"}, "customer_service"),
		tech:    co.AddUserWith(t, apitest.UserOpts{Department: "After-sales service"}, "service_technician"),
		sales1:  co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson"),
		sales2:  co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson"),
		auditor: co.AddUser(t, "auditor"),
	}
	c.east1 = c.customer(t, c.sales1, "华东机械一厂", "华东")
	c.east2 = c.customer(t, c.sales1, "华东机械二厂", "华东")
	c.east3 = c.customer(t, c.sales2, "华东重工", "华东")
	c.south = c.customer(t, c.sales2, "华南电子", "华南")
	return c
}

func (c *company) customer(t testing.TB, owner *apitest.Client, name, region string) uuid.UUID {
	t.Helper()
	var out struct{ ID uuid.UUID }
	owner.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": name, "region": region}, 201, &out)
	return out.ID
}

type update struct {
	ID         uuid.UUID  `json:"id"`
	Action     string     `json:"action"`
	FromStatus string     `json:"from_status"`
	ToStatus   string     `json:"to_status"`
	Note       string     `json:"note"`
	ActorID    *uuid.UUID `json:"actor_id"`
}

type incidentView struct {
	ID             uuid.UUID      `json:"id"`
	Level          int            `json:"level"`
	Kind           string         `json:"kind"`
	Title          string         `json:"title"`
	ResponsePlan   string         `json:"response_plan"`
	Status         string         `json:"status"`
	OwnerID        uuid.UUID      `json:"owner_id"`
	CustomerFilter map[string]any `json:"customer_filter"`
	AffectedCount  int            `json:"affected_count"`
	CustomerIDs    []uuid.UUID    `json:"customer_ids"`
	RespondingAt   *time.Time     `json:"responding_at"`
	RecoveredAt    *time.Time     `json:"recovered_at"`
	ReviewedAt     *time.Time     `json:"reviewed_at"`
	Version        int64          `json:"version"`
	Timeline       []update       `json:"timeline"`
}

func (c *company) declare(t testing.TB, as *apitest.Client, body map[string]any) incidentView {
	t.Helper()
	var v incidentView
	as.MustDo(t, "POST", "/api/v1/incidents", body, 201, &v)
	return v
}

func outage(extra map[string]any) map[string]any {
	b := map[string]any{"level": 2, "kind": "equipment_failure", "title": "华东仓储系统故障", "description": "WMS 数据库宕机",
		"response_plan": "切换备用机房，人工出库"}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func incURL(v incidentView) string { return "/api/v1/incidents/" + v.ID.String() }

type notification struct {
	Kind     string     `json:"kind"`
	Title    string     `json:"title"`
	Body     string     `json:"body"`
	EntityID *uuid.UUID `json:"entity_id"`
}

func notices(t testing.TB, as *apitest.Client) []notification {
	t.Helper()
	var p struct{ Items []notification }
	as.MustDo(t, "GET", "/api/v1/notifications", nil, 200, &p)
	var out []notification
	for _, n := range p.Items {
		if n.Kind == "incident" {
			out = append(out, n)
		}
	}
	return out
}

// mailbox records the notification mail.
type mailbox struct {
	mu   sync.Mutex
	sent []notify.Mail
}

func (m *mailbox) Send(_ context.Context, msg notify.Mail) error {
	m.mu.Lock()
	m.sent = append(m.sent, msg)
	m.mu.Unlock()
	return nil
}

func (m *mailbox) count(to string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, x := range m.sent {
		if x.To == to {
			n++
		}
	}
	return n
}

func sameIDs(got []uuid.UUID, want ...uuid.UUID) bool {
	if len(got) != len(want) {
		return false
	}
	set := map[uuid.UUID]bool{}
	for _, id := range want {
		set[id] = true
	}
	for _, id := range got {
		if !set[id] {
			return false
		}
	}
	return true
}
