package lead_test

// API scenarios of leads (EXP-1) on both databases: every endpoint in the standard row order,
// the sealed phone, data scopes, conversion into a customer, contact and opportunity in one
// transaction, assignment rules and the CSV import.

import (
	"bytes"
	"io"
	"mime/multipart"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

type leadView struct {
	ID            uuid.UUID  `json:"id"`
	Name          string     `json:"name"`
	Company       string     `json:"company"`
	Phone         string     `json:"phone"`
	Status        string     `json:"status"`
	Region        string     `json:"region"`
	OwnerID       *uuid.UUID `json:"owner_id"`
	Product       string     `json:"product"`
	Quantity      *string    `json:"quantity"`
	CustomerID    *uuid.UUID `json:"customer_id"`
	ContactID     *uuid.UUID `json:"contact_id"`
	OpportunityID *uuid.UUID `json:"opportunity_id"`
	Version       int64      `json:"version"`
}

type leadPage struct {
	Items      []leadView `json:"items"`
	NextCursor *string    `json:"next_cursor"`
}

type converted struct {
	Lead     leadView `json:"lead"`
	Customer struct {
		ID      uuid.UUID  `json:"id"`
		Name    string     `json:"name"`
		Type    string     `json:"type"`
		Stage   string     `json:"stage"`
		OwnerID *uuid.UUID `json:"owner_id"`
	} `json:"customer"`
	Contact struct {
		ID         uuid.UUID `json:"id"`
		CustomerID uuid.UUID `json:"customer_id"`
		Name       string    `json:"name"`
		Phone      string    `json:"phone"`
		IsPrimary  bool      `json:"is_primary"`
	} `json:"contact"`
	Opportunity *struct {
		ID         uuid.UUID `json:"id"`
		Name       string    `json:"name"`
		CustomerID uuid.UUID `json:"customer_id"`
		Stage      string    `json:"stage"`
	} `json:"opportunity"`
}

func newLead(t testing.TB, as *apitest.Client, body map[string]any) leadView {
	t.Helper()
	var l leadView
	as.MustDo(t, "POST", "/api/v1/leads", body, 201, &l)
	return l
}

func TestLeadAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		clerk := acme.AddUser(t, "warehouse")
		good := map[string]any{"name": "张三", "company": "华南贸易有限公司", "phone": "13800138000", "email": "zs@example.com",
			"source": "online", "region": "华南", "industry": "零售", "product": "X1 型号", "quantity": "20", "notes": "展会认识"}
		var created leadView
		env.Run(t, []apitest.Scenario{
			{Name: "create: no login", Method: "POST", URL: "/api/v1/leads", Body: good, Status: 401, Code: "unauthenticated"},
			{Name: "create: another tenant's owner", Method: "POST", URL: "/api/v1/leads", Body: map[string]any{"name": "x", "owner_id": other.Owner.UserID}, As: acme.Owner, Status: 422, Code: "validation_failed"},
			{Name: "create: wrong role", Method: "POST", URL: "/api/v1/leads", Body: good, As: clerk, Status: 403, Code: "forbidden"},
			{Name: "create: naming another owner needs lead:assign", Method: "POST", URL: "/api/v1/leads", Body: map[string]any{"name": "x", "owner_id": acme.Owner.UserID}, As: sales, Status: 403, Code: "forbidden"},
			{Name: "create: invalid", Method: "POST", URL: "/api/v1/leads", Body: map[string]any{"company": "无名"}, As: sales, Status: 422, Code: "validation_failed"},
			{Name: "create: bad status", Method: "POST", URL: "/api/v1/leads", Body: map[string]any{"name": "x", "status": "converted"}, As: sales, Status: 422, Code: "validation_failed"},
			{Name: "create: negative quantity", Method: "POST", URL: "/api/v1/leads", Body: map[string]any{"name": "x", "quantity": "-1"}, As: sales, Status: 422, Code: "validation_failed"},
			{Name: "create: success", Method: "POST", URL: "/api/v1/leads", Body: good, As: sales, Status: 201, Check: func(t *testing.T, r *apitest.Response) {
				r.JSON(t, &created)
				if created.Phone != "13800138000" || created.Status != "new" || created.OwnerID == nil || *created.OwnerID != sales.UserID || created.Quantity == nil {
					t.Errorf("created %s", r.Body)
				}
			}},
		})
		if n := env.CountRows(t, "leads", "tenant_id = ?", acme.ID); n != 1 {
			t.Fatalf("leads after refused creates: %d", n)
		}
		if n := env.CountRows(t, "leads", "tenant_id = ? AND phone_enc LIKE ?", acme.ID, "%13800138000%"); n != 0 {
			t.Errorf("the phone is stored in clear")
		}
		if n := env.CountRows(t, "outbox", "tenant_id = ? AND type = ? AND entity_id = ?", acme.ID, "lead.created", created.ID); n != 1 {
			t.Errorf("lead.created events: %d", n)
		}
		url := "/api/v1/leads/" + created.ID.String()
		missing := "/api/v1/leads/" + uuid.Must(uuid.NewV7()).String()
		env.Run(t, []apitest.Scenario{
			{Name: "get: no login", Method: "GET", URL: url, Status: 401, Code: "unauthenticated"},
			{Name: "get: other tenant", Method: "GET", URL: url, As: other.Owner, Status: 404, Code: "not_found"},
			{Name: "get: wrong role", Method: "GET", URL: url, As: clerk, Status: 403, Code: "forbidden"},
			{Name: "get: not found", Method: "GET", URL: missing, As: sales, Status: 404, Code: "not_found"},
			{Name: "get: malformed id", Method: "GET", URL: "/api/v1/leads/nope", As: sales, Status: 404, Code: "not_found"},
			{Name: "get: success", Method: "GET", URL: url, As: sales, Status: 200, Contains: []string{"华南贸易有限公司", "13800138000"}},

			{Name: "list: no login", Method: "GET", URL: "/api/v1/leads", Status: 401, Code: "unauthenticated"},
			{Name: "list: other tenant sees none", Method: "GET", URL: "/api/v1/leads", As: other.Owner, Status: 200, NotContains: []string{created.ID.String()}},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/leads", As: clerk, Status: 403, Code: "forbidden"},
			{Name: "list: invalid status", Method: "GET", URL: "/api/v1/leads?status=hot", As: sales, Status: 422, Code: "validation_failed"},
			{Name: "list: by company substring", Method: "GET", URL: "/api/v1/leads?q=%E5%8D%8E%E5%8D%97", As: sales, Status: 200, Contains: []string{created.ID.String()}},
			{Name: "list: by exact phone", Method: "GET", URL: "/api/v1/leads?q=138-0013-8000", As: sales, Status: 200, Contains: []string{created.ID.String()}},
			{Name: "list: status filter", Method: "GET", URL: "/api/v1/leads?status=qualified", As: sales, Status: 200, NotContains: []string{created.ID.String()}},

			{Name: "update: no login", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "status": "contacted"}, Status: 401, Code: "unauthenticated"},
			{Name: "update: other tenant", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "status": "contacted"}, As: other.Owner, Status: 404, Code: "not_found"},
			{Name: "update: wrong role", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "status": "contacted"}, As: clerk, Status: 403, Code: "forbidden"},
			{Name: "update: not found", Method: "PATCH", URL: missing, Body: map[string]any{"version": 1, "status": "contacted"}, As: sales, Status: 404, Code: "not_found"},
			{Name: "update: no version", Method: "PATCH", URL: url, Body: map[string]any{"status": "contacted"}, As: sales, Status: 422, Code: "validation_failed"},
			{Name: "update: bad email", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "email": "nope"}, As: sales, Status: 422, Code: "validation_failed"},
			{Name: "update: converted by hand", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "status": "converted"}, As: sales, Status: 409, Code: "conflict"},
			{Name: "update: stale version", Method: "PATCH", URL: url, Body: map[string]any{"version": 7, "status": "contacted"}, As: sales, Status: 409, Code: "conflict"},
			{Name: "update: owner change needs lead:assign", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "owner_id": acme.Owner.UserID}, As: sales, Status: 403, Code: "forbidden"},
			{Name: "update: success", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "status": "qualified", "phone": "13900139000"}, As: sales, Status: 200,
				Contains: []string{`"status":"qualified"`, "13900139000", `"version":2`}},
		})

		// Conversion: everything or nothing. A customer of the same name stops it (duplicate
		// warning) and nothing is written; confirmed, it goes through.
		var dup struct{ ID uuid.UUID }
		sales.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "华南贸易有限公司"}, 201, &dup)
		customersBefore := env.CountRows(t, "customers", "tenant_id = ?", acme.ID)
		curl := url + "/convert"
		var conv converted
		env.Run(t, []apitest.Scenario{
			{Name: "convert: no login", Method: "POST", URL: curl, Body: map[string]any{}, Status: 401, Code: "unauthenticated"},
			{Name: "convert: other tenant", Method: "POST", URL: curl, Body: map[string]any{}, As: other.Owner, Status: 404, Code: "not_found"},
			{Name: "convert: wrong role", Method: "POST", URL: curl, Body: map[string]any{}, As: clerk, Status: 403, Code: "forbidden"},
			{Name: "convert: not found", Method: "POST", URL: missing + "/convert", Body: map[string]any{}, As: sales, Status: 404, Code: "not_found"},
			{Name: "convert: invalid", Method: "POST", URL: curl, Body: map[string]any{"customer_type": "robot"}, As: sales, Status: 422, Code: "validation_failed"},
			{Name: "convert: stale version", Method: "POST", URL: curl, Body: map[string]any{"version": 1}, As: sales, Status: 409, Code: "conflict"},
			{Name: "convert: duplicate customer", Method: "POST", URL: curl, Body: map[string]any{"opportunity": map[string]any{}}, As: sales, Status: 409, Code: "conflict", Contains: []string{dup.ID.String()}},
		})
		if n := env.CountRows(t, "customers", "tenant_id = ?", acme.ID); n != customersBefore {
			t.Fatalf("a refused conversion left customers behind: %d, want %d", n, customersBefore)
		}
		if n := env.CountRows(t, "contacts", "tenant_id = ?", acme.ID); n != 0 {
			t.Fatalf("a refused conversion left contacts behind: %d", n)
		}
		env.Run(t, []apitest.Scenario{
			{Name: "convert: success", Method: "POST", URL: curl, Body: map[string]any{"allow_duplicate": true, "opportunity": map[string]any{"stage": "needs_analysis"}}, As: sales, Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					r.JSON(t, &conv)
					if conv.Lead.Status != "converted" || conv.Lead.CustomerID == nil || *conv.Lead.CustomerID != conv.Customer.ID ||
						conv.Customer.Type != "enterprise" || conv.Customer.Stage != "prospect" || conv.Customer.Name != "华南贸易有限公司" ||
						conv.Contact.CustomerID != conv.Customer.ID || conv.Contact.Name != "张三" || conv.Contact.Phone != "13900139000" || !conv.Contact.IsPrimary ||
						conv.Opportunity == nil || conv.Opportunity.CustomerID != conv.Customer.ID || conv.Opportunity.Name != "X1 型号" ||
						conv.Opportunity.Stage != "needs_analysis" || conv.Lead.OpportunityID == nil || *conv.Lead.OpportunityID != conv.Opportunity.ID {
						t.Errorf("converted %s", r.Body)
					}
				}},
			{Name: "convert: again", Method: "POST", URL: curl, Body: map[string]any{}, As: sales, Status: 409, Code: "conflict"},
		})
		if r := sales.Do(t, "PATCH", url, map[string]any{"version": conv.Lead.Version, "notes": "x"}); r.Status != 409 || r.Problem(t).Code != "conflict" {
			t.Errorf("update of a converted lead: %d %s", r.Status, r.Body)
		}
		if n := env.CountRows(t, "outbox", "tenant_id = ? AND type = ? AND entity_id = ?", acme.ID, "lead.converted", created.ID); n != 1 {
			t.Errorf("lead.converted events: %d", n)
		}
		sales.MustDo(t, "GET", "/api/v1/customers/"+conv.Customer.ID.String(), nil, 200, nil)

		// A conversion without an opportunity answers opportunity null.
		plain := newLead(t, sales, map[string]any{"name": "李四", "phone": "13700137000"})
		var conv2 converted
		r := sales.MustDo(t, "POST", "/api/v1/leads/"+plain.ID.String()+"/convert", map[string]any{}, 200, &conv2)
		if conv2.Opportunity != nil || !strings.Contains(string(r.Body), `"opportunity":null`) || conv2.Customer.Type != "individual" || conv2.Customer.Name != "李四" {
			t.Errorf("conversion without an opportunity: %s", r.Body)
		}

		doomed := newLead(t, sales, map[string]any{"name": "王五"})
		durl := "/api/v1/leads/" + doomed.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "delete: no login", Method: "DELETE", URL: durl, Status: 401, Code: "unauthenticated"},
			{Name: "delete: other tenant", Method: "DELETE", URL: durl, As: other.Owner, Status: 404, Code: "not_found"},
			{Name: "delete: wrong role", Method: "DELETE", URL: durl, As: sales, Status: 403, Code: "forbidden"},
			{Name: "delete: not found", Method: "DELETE", URL: missing, As: acme.Owner, Status: 404, Code: "not_found"},
			{Name: "delete: success", Method: "DELETE", URL: durl, As: acme.Owner, Status: 204},
			{Name: "delete: gone", Method: "GET", URL: durl, As: acme.Owner, Status: 404, Code: "not_found"},
		})
	})
}

func TestLeadDataScope(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		manager := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
		alice := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &manager.UserID}, "salesperson")
		bob := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &manager.UserID}, "salesperson")
		l := newLead(t, alice, map[string]any{"name": "爱丽丝的线索"})
		url := "/api/v1/leads/" + l.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "a colleague cannot read it", Method: "GET", URL: url, As: bob, Status: 404, Code: "not_found"},
			{Name: "nor list it", Method: "GET", URL: "/api/v1/leads", As: bob, Status: 200, NotContains: []string{l.ID.String()}},
			{Name: "nor change it", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "status": "contacted"}, As: bob, Status: 404, Code: "not_found"},
			{Name: "nor convert it", Method: "POST", URL: url + "/convert", Body: map[string]any{}, As: bob, Status: 404, Code: "not_found"},
			{Name: "their manager reads it", Method: "GET", URL: url, As: manager, Status: 200, Contains: []string{l.ID.String()}},
			{Name: "and lists it", Method: "GET", URL: "/api/v1/leads?owner_id=" + alice.UserID.String(), As: manager, Status: 200, Contains: []string{l.ID.String()}},
		})
	})
}

func TestLeadAssignmentAndImport(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		mkt := acme.AddUser(t, "marketing")
		u1 := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		u2 := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		south := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		retail := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		acme.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"lead_assignment": map[string]any{"rules": []any{
			map[string]any{"region": "华南", "users": []any{south.UserID}},
			map[string]any{"industry": "零售", "users": []any{retail.UserID}},
			map[string]any{"users": []any{u1.UserID, u2.UserID}},
		}}}, 200, nil)
		owner := func(l leadView) uuid.UUID {
			if l.OwnerID == nil {
				return uuid.Nil
			}
			return *l.OwnerID
		}
		a := newLead(t, mkt, map[string]any{"name": "甲"})
		b := newLead(t, mkt, map[string]any{"name": "乙"})
		c := newLead(t, mkt, map[string]any{"name": "丙"})
		if owner(a) != u1.UserID || owner(b) != u2.UserID || owner(c) != u1.UserID {
			t.Errorf("round-robin owners %v %v %v, want u1 u2 u1", owner(a), owner(b), owner(c))
		}
		if l := newLead(t, mkt, map[string]any{"name": "丁", "region": "华南", "industry": "零售"}); owner(l) != south.UserID {
			t.Errorf("by region: owner %v", owner(l))
		}
		if l := newLead(t, mkt, map[string]any{"name": "戊", "industry": "零售"}); owner(l) != retail.UserID {
			t.Errorf("by industry: owner %v", owner(l))
		}
		if l := newLead(t, mkt, map[string]any{"name": "己", "owner_id": u2.UserID}); owner(l) != u2.UserID {
			t.Errorf("a named owner is kept: %v", owner(l))
		}
		// The rule's owner hears of it.
		var notes struct {
			Items []struct{ Kind, Title string }
		}
		retail.MustDo(t, "GET", "/api/v1/notifications", nil, 200, &notes)
		if len(notes.Items) != 1 || notes.Items[0].Kind != "lead_assigned" || !strings.Contains(notes.Items[0].Title, "戊") {
			t.Errorf("assignment notification %+v", notes.Items)
		}

		csv := "姓名,公司,电话,地区,意向产品,数量\n赵一,一号公司,13600000001,华南,A1,5\n,无名公司,13600000002,,,\n钱二,二号公司,13600000003,华北,B2,abc\n孙三,三号公司,13600000004,华北,,\n"
		env.StartJobs(t)
		r := importLeads(t, env, mkt, "leads.csv", []byte(csv))
		if r.Status != 202 {
			t.Fatalf("import: %d %s", r.Status, r.Body)
		}
		var accepted struct {
			JobID string `json:"job_id"`
		}
		r.JSON(t, &accepted)
		var run struct {
			Kind   string
			Status string
			Report struct {
				Created int
				Errors  []struct {
					Row   int
					Field string
					Code  string
				}
			}
		}
		apitest.WaitJob(t, mkt, accepted.JobID, 30*time.Second, &run)
		res := run.Report
		if run.Kind != "lead.import" || run.Status != "succeeded" || res.Created != 2 || len(res.Errors) != 2 || res.Errors[0].Row != 3 || res.Errors[0].Field != "name" || res.Errors[1].Row != 4 || res.Errors[1].Field != "quantity" {
			t.Fatalf("import run %+v", run)
		}
		// The run is its starter's: a colleague and another tenant see nothing of it.
		if r := acme.AddUser(t, "marketing").Do(t, "GET", "/api/v1/jobs/"+accepted.JobID, nil); r.Status != 404 {
			t.Errorf("a colleague reads the import run: %d", r.Status)
		}
		if r := env.Signup(t).Owner.Do(t, "GET", "/api/v1/jobs/"+accepted.JobID, nil); r.Status != 404 {
			t.Errorf("another tenant reads the import run: %d", r.Status)
		}
		if n := env.CountRows(t, "import_files", "tenant_id = ?", acme.ID); n != 0 {
			t.Errorf("%d import files kept after the run", n)
		}
		var page leadPage
		mkt.MustDo(t, "GET", "/api/v1/leads?q=%E4%B8%80%E5%8F%B7", nil, 200, &page)
		if len(page.Items) != 1 || owner(page.Items[0]) != south.UserID || page.Items[0].Phone != "13600000001" || page.Items[0].Product != "A1" {
			t.Errorf("imported lead in the south: %+v", page.Items)
		}
		env.Run(t, []apitest.Scenario{
			{Name: "import: no login", Method: "POST", URL: "/api/v1/leads/import", Body: "", Status: 401, Code: "unauthenticated"},
			{Name: "import: wrong role", Method: "POST", URL: "/api/v1/leads/import", Body: "", As: acme.AddUser(t, "warehouse"), Status: 403, Code: "forbidden"},
			{Name: "import: no file", Method: "POST", URL: "/api/v1/leads/import", Body: "", As: mkt, Status: 422, Code: "validation_failed"},
		})
		if r := importLeads(t, env, mkt, "x.csv", []byte("公司,电话\n一,2\n")); r.Status != 422 {
			t.Errorf("a file without a name column: %d %s", r.Status, r.Body)
		}
		if r := importLeads(t, env, mkt, "x.xls", []byte("\x00\x01binary")); r.Status != 422 {
			t.Errorf("a binary file: %d %s", r.Status, r.Body)
		}
	})
}

// importLeads posts a file to /leads/import as as.
func importLeads(t *testing.T, env *apitest.Env, as *apitest.Client, name string, data []byte) *apitest.Response {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(fw, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	_ = w.Close()
	h := as.Headers("POST")
	h["Content-Type"] = w.FormDataContentType()
	return env.Do(t, "POST", "/api/v1/leads/import", buf.Bytes(), h)
}
