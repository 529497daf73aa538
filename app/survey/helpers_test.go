package survey_test

import (
	"context"
	"encoding/base64"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/notify"
)

// mailbox records the mail the server sends; fail makes sending fail.
type mailbox struct {
	mu   sync.Mutex
	sent []notify.Mail
	fail error
}

func (m *mailbox) Send(_ context.Context, msg notify.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, msg)
	return nil
}

func (m *mailbox) to(addr string) []notify.Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []notify.Mail
	for _, x := range m.sent {
		if x.To == addr {
			out = append(out, x)
		}
	}
	return out
}

func (m *mailbox) setFail(err error) {
	m.mu.Lock()
	m.fail = err
	m.mu.Unlock()
}

// team is a company with after-sales service: customer service registers requests and records
// surveys, the service manager dispatches, two technicians do the work; a salesperson owns the
// customer (kept in the customer service department, so that customer service sees it), and
// the warehouse may read work orders but not surveys.
type team struct {
	env    *apitest.Env
	co     *apitest.Company
	cs     *apitest.Client
	mgr    *apitest.Client
	tech   *apitest.Client
	tech2  *apitest.Client
	sales  *apitest.Client
	reader *apitest.Client
	mail   *mailbox
	// customer has a primary contact with a mail address (contactEmail); bare has no contact.
	customer     uuid.UUID
	contact      uuid.UUID
	contactEmail string
	bare         uuid.UUID
}

func newTeam(t testing.TB, env *apitest.Env) *team {
	t.Helper()
	co := env.Signup(t)
	tm := &team{env: env, co: co,
		cs:     co.AddUserWith(t, apitest.UserOpts{Department: "Customer service"}, "customer_service"),
		mgr:    co.AddUserWith(t, apitest.UserOpts{Department: "After-sales service"}, "service_manager"),
		tech:   co.AddUserWith(t, apitest.UserOpts{Department: "After-sales service"}, "service_technician"),
		tech2:  co.AddUserWith(t, apitest.UserOpts{Department: "After-sales service"}, "service_technician"),
		sales:  co.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson"),
		reader: co.AddUser(t, "warehouse"),
	}
	mb, ok := env.Server.Surveys.Mail.(*mailbox)
	if !ok {
		mb = &mailbox{}
		env.Server.Surveys.Mail = mb
	}
	tm.mail = mb
	tm.customer = tm.newCustomer(t, "华东机械")
	tm.contactEmail = "li.gong@" + co.Slug + ".example.com"
	var ct struct{ ID uuid.UUID }
	tm.cs.MustDo(t, "POST", "/api/v1/customers/"+tm.customer.String()+"/contacts",
		map[string]any{"name": "李工", "email": tm.contactEmail, "is_primary": true}, 201, &ct)
	tm.contact = ct.ID
	tm.bare = tm.newCustomer(t, "无联系人公司")
	return tm
}

// newCustomer is a customer of the salesperson kept in the customer service department.
func (tm *team) newCustomer(t testing.TB, name string) uuid.UUID {
	t.Helper()
	var c struct{ ID uuid.UUID }
	tm.co.Owner.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": name,
		"owner_id": tm.sales.UserID, "department_id": tm.co.Departments["Customer service"]}, 201, &c)
	return c.ID
}

type workOrder struct {
	ID           uuid.UUID  `json:"id"`
	Number       string     `json:"number"`
	Status       string     `json:"status"`
	TechnicianID *uuid.UUID `json:"technician_id"`
}

func woURL(w workOrder, suffix string) string { return "/api/v1/work-orders/" + w.ID.String() + suffix }

// register enters a work order for customer as customer service.
func (tm *team) register(t testing.TB, customer uuid.UUID) workOrder {
	t.Helper()
	var w workOrder
	tm.cs.MustDo(t, "POST", "/api/v1/work-orders", map[string]any{"customer_id": customer, "model": "CK6140", "fault": "主轴异响",
		"channel": "phone", "urgency": "normal"}, 201, &w)
	return w
}

// completed takes a new work order of customer to completed by tech.
func (tm *team) completed(t testing.TB, customer uuid.UUID, tech *apitest.Client) workOrder {
	t.Helper()
	w := tm.register(t, customer)
	tm.mgr.MustDo(t, "POST", woURL(w, "/dispatch"), map[string]any{"technician_id": tech.UserID}, 200, &w)
	tech.MustDo(t, "POST", woURL(w, "/accept"), nil, 200, &w)
	tech.MustDo(t, "POST", woURL(w, "/start"), nil, 200, &w)
	now := tm.env.Clock().Now()
	tech.MustDo(t, "POST", woURL(w, "/records"), map[string]any{"arrived_at": now.Add(-3 * time.Hour), "started_at": now.Add(-2 * time.Hour),
		"ended_at": now.Add(-time.Hour), "work_done": "更换主轴轴承"}, 201, nil)
	tech.MustDo(t, "POST", woURL(w, "/complete"), nil, 200, &w)
	return w
}

// signedOff takes a new work order of customer to signed off by tech, on site.
func (tm *team) signedOff(t testing.TB, customer uuid.UUID, tech *apitest.Client) workOrder {
	t.Helper()
	w := tm.completed(t, customer, tech)
	tech.MustDo(t, "POST", woURL(w, "/sign-off"), map[string]any{"signer_name": "李工"}, 200, &w)
	if w.Status != "signed_off" {
		t.Fatalf("work order %s: %s", w.Number, w.Status)
	}
	return w
}

type ratings struct {
	Attitude    string `json:"attitude"`
	Technique   string `json:"technique"`
	ArrivalTime string `json:"arrival_time"`
	Promises    string `json:"promises"`
}

type surveyView struct {
	ID              uuid.UUID  `json:"id"`
	WorkOrderID     *uuid.UUID `json:"work_order_id"`
	WorkOrderNumber string     `json:"work_order_number"`
	CustomerID      uuid.UUID  `json:"customer_id"`
	ContactID       *uuid.UUID `json:"contact_id"`
	TechnicianID    *uuid.UUID `json:"technician_id"`
	TechnicianName  string     `json:"technician_name"`
	Channel         string     `json:"channel"`
	Status          string     `json:"status"`
	Ratings         *ratings   `json:"ratings"`
	Score           *string    `json:"score"`
	Suggestions     string     `json:"suggestions"`
	Complaint       string     `json:"complaint"`
	Flagged         bool       `json:"flagged"`
	MailStatus      string     `json:"mail_status"`
	ExpiresAt       *time.Time `json:"expires_at"`
	AnsweredAt      *time.Time `json:"answered_at"`
	RecordedBy      *uuid.UUID `json:"recorded_by"`
	Version         int64      `json:"version"`
}

type surveyPage struct {
	Items      []surveyView `json:"items"`
	NextCursor *string      `json:"next_cursor"`
}

// surveyOf is the survey of work order w, as the owner sees it.
func (tm *team) surveyOf(t testing.TB, w workOrder) (surveyView, bool) {
	t.Helper()
	var p surveyPage
	tm.co.Owner.MustDo(t, "GET", "/api/v1/surveys?work_order_id="+w.ID.String(), nil, 200, &p)
	if len(p.Items) > 1 {
		t.Fatalf("%d surveys of %s", len(p.Items), w.Number)
	}
	if len(p.Items) == 0 {
		return surveyView{}, false
	}
	return p.Items[0], true
}

func rate(a, b, c, d string) map[string]any {
	return map[string]any{"attitude": a, "technique": b, "arrival_time": c, "promises": d}
}

// byPhone records a survey of w by phone as customer service.
func (tm *team) byPhone(t testing.TB, w workOrder, r map[string]any, complaint string) surveyView {
	t.Helper()
	var sv surveyView
	tm.cs.MustDo(t, "POST", "/api/v1/surveys", map[string]any{"work_order_id": w.ID, "ratings": r, "complaint": complaint}, 201, &sv)
	return sv
}

// linkIn is the survey link of the last mail to addr, as a path on the server.
func (tm *team) linkIn(t testing.TB, addr string) string {
	t.Helper()
	ms := tm.mail.to(addr)
	if len(ms) == 0 {
		t.Fatalf("no mail to %s", addr)
	}
	text := ms[len(ms)-1].Text
	// The mailed link is the web page /survey/{token}; the page answers through the API path.
	const page = "http://localhost:8080/survey/"
	i := strings.Index(text, page)
	if i < 0 {
		t.Fatalf("no survey link in %q", text)
	}
	rest := text[i+len(page):]
	if j := strings.IndexAny(rest, " \n"); j >= 0 {
		rest = rest[:j]
	}
	return "/public/v1/surveys/" + rest
}

func tokenOf(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(path, "/public/v1/surveys/"))
	if err != nil {
		t.Fatalf("token of %s: %v", path, err)
	}
	return raw
}

func surveyPath(raw []byte) string {
	return "/public/v1/surveys/" + base64.RawURLEncoding.EncodeToString(raw)
}

func public(t testing.TB, env *apitest.Env, method, path string, body any) *apitest.Response {
	t.Helper()
	return env.Do(t, method, path, body, nil)
}
