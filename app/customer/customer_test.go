package customer_test

// API scenarios of the customer archive core (CUS-1, 2, 5, 7, EXP-5, IAM-5, IAM-8, IAM-9,
// NFR-2): create and read the data card, duplicates, PATCH, data scopes, encryption at rest,
// the recycle bin, churn and the outbox. Search, filters and paging are in search_test.go.
//
// Helpers of these files start with "core" so that the other test files of the package can
// name theirs freely.

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/app/tenantctx"
)

// coreCustomer is a customer as API.md names its fields (decoded independently of the
// server's own types, so a renamed JSON field fails here).
type coreCustomer struct {
	ID         uuid.UUID `json:"id"`
	Type       string    `json:"type"`
	Name       string    `json:"name"`
	ShortName  string    `json:"short_name"`
	CreditCode string    `json:"credit_code"`
	Industry   string    `json:"industry"`
	Scale      struct {
		Employees     *int             `json:"employees"`
		AnnualRevenue *decimal.Decimal `json:"annual_revenue"`
	} `json:"scale"`
	Address struct {
		Province string `json:"province"`
		City     string `json:"city"`
		District string `json:"district"`
		Street   string `json:"street"`
	} `json:"address"`
	Region              string  `json:"region"`
	BusinessScope       string  `json:"business_scope"`
	LegalRepresentative string  `json:"legal_representative"`
	Source              string  `json:"source"`
	Stage               string  `json:"stage"`
	Tier                string  `json:"tier"`
	IntentClass         *string `json:"intent_class"`
	ValueClass          *string `json:"value_class"`
	Classification      struct {
		Rule    string    `json:"rule"`
		Reasons []string  `json:"reasons"`
		At      time.Time `json:"at"`
	} `json:"classification"`
	OwnerID      *uuid.UUID     `json:"owner_id"`
	DepartmentID *uuid.UUID     `json:"department_id"`
	InPool       bool           `json:"in_pool"`
	Tags         []string       `json:"tags"`
	Phone        string         `json:"phone"`
	IDNumber     string         `json:"id_number"`
	Email        string         `json:"email"`
	Birthday     *string        `json:"birthday"`
	CustomFields map[string]any `json:"custom_fields"`
	Profile      struct {
		Basic           map[string]string `json:"basic"`
		Characteristics map[string]string `json:"characteristics"`
		Business        map[string]string `json:"business"`
		Transactions    map[string]string `json:"transactions"`
	} `json:"profile"`
	ChurnedAt   *time.Time `json:"churned_at"`
	ChurnReason string     `json:"churn_reason"`
	DeletedAt   *time.Time `json:"deleted_at"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	Version     int64      `json:"version"`
}

type corePage struct {
	Items      []coreCustomer `json:"items"`
	NextCursor *string        `json:"next_cursor"`
}

// coreAPIFields are the customer fields API.md fixes; every answer carries all of them.
var coreAPIFields = []string{"id", "type", "name", "short_name", "credit_code", "industry", "scale", "address", "region",
	"business_scope", "legal_representative", "source", "stage", "tier", "intent_class", "value_class", "classification",
	"credit", "owner_id", "department_id", "in_pool", "tags", "phone", "email", "birthday", "custom_fields", "profile",
	"last_follow_up_at", "next_follow_up_at", "churned_at", "churn_reason", "created_at", "updated_at", "version"}

const coreURL = "/api/v1/customers"

func coreCreate(t testing.TB, as *apitest.Client, body map[string]any) coreCustomer {
	t.Helper()
	var c coreCustomer
	as.MustDo(t, "POST", coreURL, body, 201, &c)
	return c
}

func coreGet(t testing.TB, as *apitest.Client, id uuid.UUID) coreCustomer {
	t.Helper()
	var c coreCustomer
	as.MustDo(t, "GET", coreURL+"/"+id.String(), nil, 200, &c)
	return c
}

// coreListAll walks every page of query (without "?") and fails on an ID seen twice.
func coreListAll(t testing.TB, as *apitest.Client, query string) []coreCustomer {
	t.Helper()
	var all []coreCustomer
	seen := map[uuid.UUID]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		u := coreURL + "?" + query
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		var p corePage
		as.MustDo(t, "GET", u, nil, 200, &p)
		for _, c := range p.Items {
			if seen[c.ID] {
				t.Fatalf("%s: customer %s (%s) on two pages", query, c.ID, c.Name)
			}
			seen[c.ID] = true
			all = append(all, c)
		}
		if p.NextCursor == nil {
			return all
		}
		if len(p.Items) == 0 {
			t.Fatalf("%s: empty page with a next cursor", query)
		}
		cursor = *p.NextCursor
	}
}

func coreIDs(cs []coreCustomer) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func coreNames(cs []coreCustomer) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// coreSameSet fails unless got and want hold the same IDs (in any order).
func coreSameSet(t testing.TB, what string, got []coreCustomer, want ...coreCustomer) {
	t.Helper()
	g, w := coreIDs(got), coreIDs(want)
	slices.SortFunc(g, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	slices.SortFunc(w, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	if !slices.Equal(g, w) {
		t.Errorf("%s: got %v, want %v", what, coreNames(got), coreNames(want))
	}
}

// coreWantFields fails unless the problem answer has an error about each field.
func coreWantFields(fields ...string) func(t *testing.T, r *apitest.Response) {
	return func(t *testing.T, r *apitest.Response) {
		t.Helper()
		p := r.Problem(t)
		for _, f := range fields {
			fe, ok := p.Field(f)
			if !ok {
				t.Errorf("no error about %q: %s", f, r.Body)
				continue
			}
			if fe.Code == "" || fe.Message == "" {
				t.Errorf("error about %q lacks code or message: %+v", f, fe)
			}
		}
	}
}

func coreWantField(field, code string) func(t *testing.T, r *apitest.Response) {
	return func(t *testing.T, r *apitest.Response) { t.Helper(); r.Problem(t).WantField(t, field, code) }
}

// coreWantFieldLike fails unless the problem answer has an error about a field whose name
// contains part (nested names may be given in full or by their last element).
func coreWantFieldLike(part string) func(t *testing.T, r *apitest.Response) {
	return func(t *testing.T, r *apitest.Response) {
		t.Helper()
		for _, f := range r.Problem(t).Errors {
			if strings.Contains(f.Field, part) && f.Code != "" && f.Message != "" {
				return
			}
		}
		t.Errorf("no error about a field like %q: %s", part, r.Body)
	}
}

// coreRaw runs a query straight against the database, past the API: on SQLite through the
// app's handle, on PostgreSQL as the administrator (which RLS does not hide rows from). query
// uses ? placeholders; every column is read as text (NULL as "").
func coreRaw(t testing.TB, env *apitest.Env, tenant uuid.UUID, query string, args ...any) []map[string]string {
	t.Helper()
	var rows *sql.Rows
	var err error
	if env.Dialect == store.Postgres {
		n := 0
		var b strings.Builder
		for _, r := range query {
			if r == '?' {
				n++
				b.WriteString("$" + strconv.Itoa(n))
				continue
			}
			b.WriteRune(r)
		}
		for i, a := range args {
			if id, ok := a.(uuid.UUID); ok {
				args[i] = id.String()
			}
		}
		rows, err = storetest.AdminDB(t).QueryContext(context.Background(), b.String(), args...)
	} else {
		rows, err = env.DB.Gorm(tenantctx.WithTenant(context.Background(), tenant)).Raw(query, args...).Rows()
	}
	if err != nil {
		t.Fatalf("raw %q: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("raw %q: scan: %v", query, err)
		}
		m := map[string]string{}
		for i, c := range cols {
			m[c] = vals[i].String
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// coreEvents lists the tenant's outbox, oldest first.
func coreEvents(t testing.TB, env *apitest.Env, tenant uuid.UUID) []outbox.Event {
	t.Helper()
	var evs []outbox.Event
	err := env.DB.Read(tenantctx.WithTenant(context.Background(), tenant), func(tx *gorm.DB) error {
		var err error
		evs, err = outbox.After(tx, uuid.Nil, 10000)
		return err
	})
	if err != nil {
		t.Fatalf("outbox: %v", err)
	}
	return evs
}

type coreAuditEntry struct {
	ID       uuid.UUID         `json:"id"`
	ActorID  *uuid.UUID        `json:"actor_id"`
	Action   string            `json:"action"`
	EntityID string            `json:"entity_id"`
	Changes  map[string][2]any `json:"changes"`
}

// coreAudit reads the customer's audit history (newest first) as the tenant owner.
func coreAudit(t testing.TB, owner *apitest.Client, id uuid.UUID) ([]coreAuditEntry, string) {
	t.Helper()
	var out struct{ Items []coreAuditEntry }
	r := owner.MustDo(t, "GET", "/api/v1/audit?limit=200&entity=customer&entity_id="+id.String(), nil, 200, &out)
	return out.Items, string(r.Body)
}

// coreAuditCount is the number of customer audit entries in the owner's tenant.
func coreAuditCount(t testing.TB, owner *apitest.Client) int {
	t.Helper()
	var out struct{ Items []coreAuditEntry }
	owner.MustDo(t, "GET", "/api/v1/audit?limit=200&entity=customer", nil, 200, &out)
	return len(out.Items)
}

// coreFullEnterprise is an enterprise with every section of the data card filled in.
func coreFullEnterprise() map[string]any {
	return map[string]any{
		"type": "enterprise", "name": "深圳华强电子有限公司", "short_name": "华强电子",
		"credit_code": "91440300ma5abcde1x", "industry": "电子制造",
		"scale":   map[string]any{"employees": 350, "annual_revenue": "120000000.50"},
		"address": map[string]any{"province": "广东省", "city": "深圳市", "district": "福田区", "street": "华强北路1001号"},
		"region":  "华南", "business_scope": "电子元器件研发、生产与销售", "legal_representative": "张伟",
		"source": "industry_event", "stage": "prospect", "tier": "key", "intent_class": "A",
		"tags":  []string{"VIP", "电子", " VIP "},
		"phone": "0755-8888 6666", "email": "contact@huaqiang.example.com",
		"custom_fields": map[string]any{"erp_code": "HQ-001", "vip_level": 3.0},
		"profile": map[string]any{
			"basic":           map[string]string{"founded": "1995-03-01", "organisation_form": "有限责任公司", "owner_personality": "稳健务实", "owner_education": "硕士", "relationship_since": "2015-06-01", "assets": "厂房两处"},
			"characteristics": map[string]string{"service_area": "华南", "sales_capacity": "年销两亿", "growth_potential": "高", "business_philosophy": "质量第一"},
			"business":        map[string]string{"sales_performance": "年增长20%", "staff_quality": "良好", "competitor_relations": "与赛格合作", "cooperation_attitude": "积极"},
			"transactions":    map[string]string{"current_activity": "季度采购", "credit_standing": "良好", "terms": "月结30天", "future_plans": "扩建产线"},
		},
	}
}

func TestCreateCustomer(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		colleague := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		technician := acme.AddUser(t, "service_technician")
		foreign := other.AddUser(t, "salesperson")
		body := func(mod func(map[string]any)) map[string]any {
			b := map[string]any{"type": "enterprise", "name": "无效客户 " + uuid.NewString()[:8]}
			if mod != nil {
				mod(b)
			}
			return b
		}
		auditBefore := coreAuditCount(t, owner)

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: coreURL, Body: body(nil), Status: 401, Code: "unauthenticated"},
			{Name: "other tenant: its user as owner", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body:  body(func(b map[string]any) { b["owner_id"] = foreign.UserID }),
				Check: coreWantField("owner_id", "not_found")},
			{Name: "other tenant: its department", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body:  body(func(b map[string]any) { b["department_id"] = other.Departments["Sales"] }),
				Check: coreWantField("department_id", "not_found")},
			{Name: "wrong role", Method: "POST", URL: coreURL, As: technician, Body: body(nil), Status: 403, Code: "forbidden"},
			{Name: "wrong role: a salesperson assigns a colleague", Method: "POST", URL: coreURL, As: sales, Status: 403, Code: "forbidden",
				Body: body(func(b map[string]any) { b["owner_id"] = colleague.UserID })},
			{Name: "not found: owner", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body:  body(func(b map[string]any) { b["owner_id"] = uuid.Must(uuid.NewV7()) }),
				Check: coreWantField("owner_id", "not_found")},
			{Name: "invalid: type", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["type"] = "company" }), Check: coreWantField("type", "invalid_choice")},
			{Name: "invalid: missing type and name", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"short_name": "x"}, Check: func(t *testing.T, r *apitest.Response) {
					p := r.Problem(t)
					p.WantField(t, "type", "required")
					p.WantField(t, "name", "required")
				}},
			{Name: "invalid: blank name", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["name"] = "   " }), Check: coreWantField("name", "required")},
			{Name: "invalid: credit code length", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["credit_code"] = "9144030012345" }), Check: coreWantFields("credit_code")},
			{Name: "invalid: credit code characters", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["credit_code"] = "91440300-A5ABCDE1X" }), Check: coreWantField("credit_code", "invalid_format")},
			{Name: "invalid: email", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["email"] = "not-an-email" }), Check: coreWantField("email", "invalid_format")},
			{Name: "invalid: birthday", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["birthday"] = "1990-02-30" }), Check: coreWantField("birthday", "invalid_format")},
			{Name: "invalid: birthday format", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["birthday"] = "07/03/1990" }), Check: coreWantField("birthday", "invalid_format")},
			{Name: "invalid: source", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["source"] = "television" }), Check: coreWantField("source", "invalid_choice")},
			{Name: "invalid: stage churned on create", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["stage"] = "churned" }), Check: coreWantField("stage", "invalid_choice")},
			{Name: "invalid: tier and intent class", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["tier"] = "gold"; b["intent_class"] = "D" }), Check: coreWantFields("tier", "intent_class")},
			{Name: "invalid: negative employees and revenue", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body:  body(func(b map[string]any) { b["scale"] = map[string]any{"employees": -1} }),
				Check: coreWantField("scale.employees", "out_of_range")},
			{Name: "invalid: negative revenue", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body:  body(func(b map[string]any) { b["scale"] = map[string]any{"annual_revenue": "-1"} }),
				Check: coreWantField("scale.annual_revenue", "out_of_range")},
			{Name: "invalid: revenue not a number", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body:  body(func(b map[string]any) { b["scale"] = map[string]any{"annual_revenue": "lots"} }),
				Check: coreWantField("scale.annual_revenue", "invalid_format")},
			{Name: "invalid: unknown field", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["nickname"] = "x" }), Check: coreWantField("nickname", "unknown_field")},
			{Name: "invalid: unknown nested field", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["address"] = map[string]any{"country": "CN"} }), Check: coreWantFieldLike("country")},
			{Name: "invalid: name of the wrong type", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": 42}, Check: coreWantField("name", "invalid_type")},
			{Name: "invalid: owner_id malformed", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["owner_id"] = "me" }), Check: coreWantField("owner_id", "invalid_format")},
			{Name: "invalid: too many characters", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: body(func(b map[string]any) { b["name"] = strings.Repeat("名", 201) }), Check: coreWantField("name", "too_long")},
			{Name: "broken JSON", Method: "POST", URL: coreURL, As: owner, Body: `{"type": "enterprise", "name": `, Status: 400, Code: "bad_request"},
			{Name: "success: minimal", Method: "POST", URL: coreURL, As: sales, Status: 201,
				Body: map[string]any{"type": "individual", "name": "王小明"},
				Check: func(t *testing.T, r *apitest.Response) {
					var c coreCustomer
					r.JSON(t, &c)
					if c.Stage != "potential" || c.Tier != "potential" || c.Version != 1 || c.InPool {
						t.Errorf("defaults: stage %q tier %q version %d in_pool %v", c.Stage, c.Tier, c.Version, c.InPool)
					}
					if c.OwnerID == nil || *c.OwnerID != sales.UserID {
						t.Errorf("owner %v, want the creator %s", c.OwnerID, sales.UserID)
					}
					if c.DepartmentID == nil || *c.DepartmentID != acme.Departments["Sales"] {
						t.Errorf("department %v, want the owner's (Sales)", c.DepartmentID)
					}
					if c.Tags == nil || c.CustomFields == nil || c.Birthday != nil {
						t.Errorf("empty tags/custom_fields should be [] and {}, birthday null: %s", r.Body)
					}
				}},
		})

		t.Run("failed creates wrote nothing", func(t *testing.T) {
			if n := coreAuditCount(t, owner); n != auditBefore+1 {
				t.Errorf("%d customer audit entries after one successful create, want %d", n, auditBefore+1)
			}
			all := coreListAll(t, owner, "limit=200")
			if len(all) != 1 {
				t.Errorf("customers after the scenarios: %v, want only the one created", coreNames(all))
			}
		})

		t.Run("enterprise: full data card read back field by field", func(t *testing.T) {
			owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"custom_fields": []map[string]any{
				{"key": "erp_code", "label": "ERP 编码", "type": "text"}, {"key": "vip_level", "label": "VIP 等级", "type": "number"}}}, 200, nil)
			in := coreFullEnterprise()
			created := coreCreate(t, sales, in)
			r := sales.MustDo(t, "GET", coreURL+"/"+created.ID.String(), nil, 200, nil)
			raw := r.Map(t)
			for _, f := range coreAPIFields {
				if _, ok := raw[f]; !ok {
					t.Errorf("answer lacks field %q", f)
				}
			}
			var c coreCustomer
			r.JSON(t, &c)
			for _, got := range []coreCustomer{created, c} {
				checks := []struct {
					field    string
					got, exp any
				}{
					{"id", got.ID, created.ID},
					{"type", got.Type, "enterprise"},
					{"name", got.Name, "深圳华强电子有限公司"},
					{"short_name", got.ShortName, "华强电子"},
					{"credit_code", got.CreditCode, "91440300MA5ABCDE1X"},
					{"industry", got.Industry, "电子制造"},
					{"address.province", got.Address.Province, "广东省"},
					{"address.city", got.Address.City, "深圳市"},
					{"address.district", got.Address.District, "福田区"},
					{"address.street", got.Address.Street, "华强北路1001号"},
					{"region", got.Region, "华南"},
					{"business_scope", got.BusinessScope, "电子元器件研发、生产与销售"},
					{"legal_representative", got.LegalRepresentative, "张伟"},
					{"source", got.Source, "industry_event"},
					{"stage", got.Stage, "prospect"},
					{"tier", got.Tier, "key"},
					{"phone", got.Phone, "0755-8888 6666"},
					{"email", got.Email, "contact@huaqiang.example.com"},
					{"in_pool", got.InPool, false},
					{"version", got.Version, int64(1)},
				}
				for _, ch := range checks {
					if ch.got != ch.exp {
						t.Errorf("%s: %v, want %v", ch.field, ch.got, ch.exp)
					}
				}
				if got.Scale.Employees == nil || *got.Scale.Employees != 350 {
					t.Errorf("scale.employees: %v", got.Scale.Employees)
				}
				if got.Scale.AnnualRevenue == nil || !got.Scale.AnnualRevenue.Equal(decimal.RequireFromString("120000000.5")) {
					t.Errorf("scale.annual_revenue: %v", got.Scale.AnnualRevenue)
				}
				if got.IntentClass == nil || *got.IntentClass != "A" || got.ValueClass != nil {
					t.Errorf("intent_class %v value_class %v", got.IntentClass, got.ValueClass)
				}
				if !slices.Equal(got.Tags, []string{"VIP", "电子"}) {
					t.Errorf("tags %q, want trimmed and without duplicates", got.Tags)
				}
				if got.OwnerID == nil || *got.OwnerID != sales.UserID || got.DepartmentID == nil || *got.DepartmentID != acme.Departments["Sales"] {
					t.Errorf("owner %v department %v", got.OwnerID, got.DepartmentID)
				}
				if got.CustomFields["erp_code"] != "HQ-001" || got.CustomFields["vip_level"] != 3.0 {
					t.Errorf("custom_fields %v", got.CustomFields)
				}
				wantProfile := in["profile"].(map[string]any)
				for section, m := range map[string]map[string]string{"basic": got.Profile.Basic, "characteristics": got.Profile.Characteristics,
					"business": got.Profile.Business, "transactions": got.Profile.Transactions} {
					want := wantProfile[section].(map[string]string)
					if len(m) != len(want) {
						t.Errorf("profile.%s: %v, want %v", section, m, want)
					}
					for k, v := range want {
						if m[k] != v {
							t.Errorf("profile.%s.%s: %q, want %q", section, k, m[k], v)
						}
					}
				}
				if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() || got.ChurnedAt != nil || got.DeletedAt != nil {
					t.Errorf("timestamps: created %v updated %v churned %v deleted %v", got.CreatedAt, got.UpdatedAt, got.ChurnedAt, got.DeletedAt)
				}
			}
			// Revenue is kept to the cent on both databases.
			cents := coreCreate(t, sales, map[string]any{"type": "enterprise", "name": "分位公司", "scale": map[string]any{"annual_revenue": "1234.567"}})
			if got := coreGet(t, sales, cents.ID); got.Scale.AnnualRevenue == nil || got.Scale.AnnualRevenue.String() != "1234.57" ||
				cents.Scale.AnnualRevenue == nil || cents.Scale.AnnualRevenue.String() != "1234.57" {
				t.Errorf("annual_revenue 1234.567 reads back as %v (answered %v), want 1234.57", got.Scale.AnnualRevenue, cents.Scale.AnnualRevenue)
			}
			if c.CreatedAt.Sub(created.CreatedAt).Abs() > time.Millisecond {
				t.Errorf("created_at %v on read, %v on create", c.CreatedAt, created.CreatedAt)
			}
		})

		t.Run("individual: read back field by field", func(t *testing.T) {
			created := coreCreate(t, owner, map[string]any{
				"type": "individual", "name": "李娜", "phone": "+86 139 0013 9000", "id_number": "110101199003071234",
				"email": "lina@example.com", "birthday": "1990-03-07", "source": "walk_in", "tags": []string{"个人"},
				"address": map[string]any{"province": "北京市", "city": "北京市", "district": "朝阳区", "street": "朝阳路88号3单元"},
				"profile": map[string]any{"basic": map[string]string{"interests": "高尔夫", "family": "已婚"}},
			})
			c := coreGet(t, owner, created.ID)
			if c.Type != "individual" || c.Name != "李娜" || c.Phone != "+86 139 0013 9000" || c.IDNumber != "110101199003071234" ||
				c.Email != "lina@example.com" || c.Source != "walk_in" || c.Address.Street != "朝阳路88号3单元" || c.Address.District != "朝阳区" {
				t.Errorf("read back %+v", c)
			}
			if c.Birthday == nil || *c.Birthday != "1990-03-07" {
				t.Errorf("birthday %v", c.Birthday)
			}
			if c.Profile.Basic["interests"] != "高尔夫" || c.Profile.Basic["family"] != "已婚" {
				t.Errorf("profile %+v", c.Profile)
			}
			if c.OwnerID == nil || *c.OwnerID != owner.UserID || c.DepartmentID == nil || *c.DepartmentID != acme.Departments["Management"] {
				t.Errorf("owner %v department %v", c.OwnerID, c.DepartmentID)
			}
		})

		t.Run("a manager assigns on create", func(t *testing.T) {
			c := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "指派客户", "owner_id": colleague.UserID})
			if c.OwnerID == nil || *c.OwnerID != colleague.UserID || c.DepartmentID == nil || *c.DepartmentID != acme.Departments["Sales"] {
				t.Errorf("owner %v department %v, want the colleague and their department", c.OwnerID, c.DepartmentID)
			}
			// Naming oneself is no assignment.
			own := coreCreate(t, sales, map[string]any{"type": "enterprise", "name": "自有客户", "owner_id": sales.UserID})
			if own.OwnerID == nil || *own.OwnerID != sales.UserID {
				t.Errorf("owner %v", own.OwnerID)
			}
		})
	})
}

func TestGetCustomer(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		finance := acme.AddUser(t, "finance")
		technician := acme.AddUser(t, "service_technician")
		c := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "北京华为技术", "phone": "010-6666 8888"})
		theirs := coreCreate(t, other.Owner, map[string]any{"type": "enterprise", "name": "北京华为技术"})
		url := coreURL + "/" + c.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: url, Status: 401, Code: "unauthenticated", NotContains: []string{"华为"}},
			{Name: "other tenant", Method: "GET", URL: coreURL + "/" + theirs.ID.String(), As: owner, Status: 404, Code: "not_found"},
			{Name: "other tenant asks for ours", Method: "GET", URL: url, As: other.Owner, Status: 404, Code: "not_found", NotContains: []string{"华为"}},
			{Name: "wrong role: finance", Method: "GET", URL: url, As: finance, Status: 403, Code: "forbidden", NotContains: []string{"华为"}},
			{Name: "wrong role: service technician", Method: "GET", URL: url, As: technician, Status: 403, Code: "forbidden"},
			{Name: "wrong role: finance lists", Method: "GET", URL: coreURL, As: finance, Status: 403, Code: "forbidden"},
			{Name: "not found", Method: "GET", URL: coreURL + "/" + uuid.Must(uuid.NewV7()).String(), As: owner, Status: 404, Code: "not_found"},
			{Name: "invalid: malformed ID answers as missing", Method: "GET", URL: coreURL + "/not-a-uuid", As: owner, Status: 404, Code: "not_found"},
			{Name: "success", Method: "GET", URL: url, As: owner, Status: 200, Contains: []string{`"name":"北京华为技术"`, `"phone":"010-6666 8888"`}},
		})
		// The other tenant's not-found is word for word the answer for a missing ID.
		missing := owner.Do(t, "GET", coreURL+"/"+uuid.Must(uuid.NewV7()).String(), nil).Problem(t)
		foreign := owner.Do(t, "GET", coreURL+"/"+theirs.ID.String(), nil).Problem(t)
		if missing.Detail != foreign.Detail || missing.Title != foreign.Title {
			t.Errorf("other tenant's record answers %+v, a missing one %+v", foreign, missing)
		}
	})
}

func TestCustomerDuplicatesOnCreate(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		first := coreCreate(t, sales, map[string]any{"type": "enterprise", "name": "深圳华强电子有限公司",
			"credit_code": "91440300MA5ABCDE1X", "phone": "138-0013-8000"})
		// The same customer in another tenant is no duplicate of anything here.
		coreCreate(t, other.Owner, map[string]any{"type": "enterprise", "name": "深圳华强电子有限公司",
			"credit_code": "91440300MA5ABCDE1X", "phone": "138-0013-8000"})

		auditBefore, eventsBefore := coreAuditCount(t, owner), len(coreEvents(t, env, acme.ID))
		dup := func(matched ...string) func(t *testing.T, r *apitest.Response) {
			return func(t *testing.T, r *apitest.Response) {
				t.Helper()
				r.Problem(t)
				var p struct {
					Data struct {
						Duplicates []struct {
							ID      uuid.UUID `json:"id"`
							Name    string    `json:"name"`
							Matched []string  `json:"matched"`
						} `json:"duplicates"`
					} `json:"data"`
				}
				r.JSON(t, &p)
				if len(p.Data.Duplicates) != 1 {
					t.Fatalf("duplicates %+v, want the first customer only: %s", p.Data.Duplicates, r.Body)
				}
				d := p.Data.Duplicates[0]
				if d.ID != first.ID || d.Name != first.Name {
					t.Errorf("duplicate %+v, want %s", d, first.ID)
				}
				got := slices.Clone(d.Matched)
				slices.Sort(got)
				want := slices.Clone(matched)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("matched %q, want %q", d.Matched, matched)
				}
			}
		}
		env.Run(t, []apitest.Scenario{
			{Name: "same name", Method: "POST", URL: coreURL, As: sales, Status: 409, Code: "conflict",
				Body: map[string]any{"type": "enterprise", "name": "深圳华强电子有限公司"}, Check: dup("name")},
			{Name: "same name with spaces around", Method: "POST", URL: coreURL, As: sales, Status: 409, Code: "conflict",
				Body: map[string]any{"type": "enterprise", "name": "  深圳华强电子有限公司 "}, Check: dup("name")},
			{Name: "same credit code in lower case", Method: "POST", URL: coreURL, As: sales, Status: 409, Code: "conflict",
				Body: map[string]any{"type": "enterprise", "name": "华强电子（深圳）", "credit_code": "91440300ma5abcde1x"}, Check: dup("credit_code")},
			{Name: "same phone formatted differently", Method: "POST", URL: coreURL, As: sales, Status: 409, Code: "conflict",
				Body: map[string]any{"type": "individual", "name": "陈先生", "phone": "+86 13800138000"}, Check: dup("phone")},
			{Name: "same phone with country prefix 0086", Method: "POST", URL: coreURL, As: sales, Status: 409, Code: "conflict",
				Body: map[string]any{"type": "individual", "name": "陈先生", "phone": "0086 138 0013 8000"}, Check: dup("phone")},
			{Name: "all three", Method: "POST", URL: coreURL, As: owner, Status: 409, Code: "conflict",
				Body:  map[string]any{"type": "enterprise", "name": "深圳华强电子有限公司", "credit_code": "91440300MA5ABCDE1X", "phone": "13800138000"},
				Check: dup("name", "credit_code", "phone")},
		})

		t.Run("a refused create writes no event and no audit entry", func(t *testing.T) {
			if n := coreAuditCount(t, owner); n != auditBefore {
				t.Errorf("%d customer audit entries, want %d", n, auditBefore)
			}
			if n := len(coreEvents(t, env, acme.ID)); n != eventsBefore {
				t.Errorf("%d outbox events, want %d", n, eventsBefore)
			}
			if all := coreListAll(t, owner, "limit=200"); len(all) != 1 {
				t.Errorf("customers %v, want only the first", coreNames(all))
			}
		})

		t.Run("confirmed under warn", func(t *testing.T) {
			c := coreCreate(t, sales, map[string]any{"type": "individual", "name": "陈先生", "phone": "+86 13800138000", "allow_duplicate": true})
			if c.Phone != "+86 13800138000" {
				t.Errorf("phone %q", c.Phone)
			}
		})

		t.Run("a deleted customer is no duplicate", func(t *testing.T) {
			gone := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "已删除公司"})
			owner.MustDo(t, "DELETE", coreURL+"/"+gone.ID.String(), nil, 204, nil)
			coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "已删除公司"})
		})

		t.Run("block policy", func(t *testing.T) {
			owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"duplicate_policy": "block"}, 200, nil)
			auditBefore := coreAuditCount(t, owner)
			r := sales.Do(t, "POST", coreURL, map[string]any{"type": "enterprise", "name": "深圳华强电子有限公司", "allow_duplicate": true})
			if r.Status != 409 {
				t.Fatalf("status %d under block with allow_duplicate: %s", r.Status, r.Body)
			}
			dup("name")(t, r)
			if p := r.Problem(t); p.Code != "conflict" {
				t.Errorf("code %q", p.Code)
			}
			if n := coreAuditCount(t, owner); n != auditBefore {
				t.Errorf("audit grew to %d from %d", n, auditBefore)
			}
			// Not a duplicate: created as usual.
			coreCreate(t, sales, map[string]any{"type": "enterprise", "name": "全新公司", "allow_duplicate": true})
		})
	})
}

func TestUpdateCustomer(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		sales2 := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		manager := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
		service := acme.AddUserWith(t, apitest.UserOpts{Department: "Customer service"}, "customer_service")
		finance := acme.AddUser(t, "finance")
		c := coreCreate(t, sales, map[string]any{"type": "enterprise", "name": "上海强生制药", "phone": "021-5555 1234",
			"email": "info@qs.example.com", "credit_code": "91310000MA1K000001", "tier": "general",
			"address": map[string]any{"province": "上海市", "city": "上海市", "street": "张江路100号"}})
		theirs := coreCreate(t, other.Owner, map[string]any{"type": "enterprise", "name": "上海强生制药"})
		url := coreURL + "/" + c.ID.String()

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "PATCH", URL: url, Body: map[string]any{"version": 1, "name": "x"}, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "PATCH", URL: coreURL + "/" + theirs.ID.String(), As: owner, Body: map[string]any{"version": 1, "name": "x"}, Status: 404, Code: "not_found"},
			{Name: "wrong role", Method: "PATCH", URL: url, As: finance, Body: map[string]any{"version": 1, "name": "x"}, Status: 403, Code: "forbidden"},
			{Name: "wrong role: outside the data scope answers as missing", Method: "PATCH", URL: url, As: sales2, Body: map[string]any{"version": 1, "name": "x"}, Status: 404, Code: "not_found"},
			{Name: "not found", Method: "PATCH", URL: coreURL + "/" + uuid.Must(uuid.NewV7()).String(), As: owner, Body: map[string]any{"version": 1, "name": "x"}, Status: 404, Code: "not_found"},
			{Name: "invalid: no version", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"name": "x"}, Status: 422, Code: "validation_failed", Check: coreWantField("version", "required")},
			{Name: "invalid: fields", Method: "PATCH", URL: url, As: sales, Status: 422, Code: "validation_failed",
				Body:  map[string]any{"version": 1, "email": "nope", "type": "company", "source": "tv", "credit_code": "123"},
				Check: coreWantFields("email", "type", "source", "credit_code")},
			{Name: "invalid: empty name", Method: "PATCH", URL: url, As: sales, Status: 422, Code: "validation_failed",
				Body: map[string]any{"version": 1, "name": ""}, Check: coreWantFields("name")},
			{Name: "invalid: blank name", Method: "PATCH", URL: url, As: sales, Status: 422, Code: "validation_failed",
				Body: map[string]any{"version": 1, "name": "  "}, Check: coreWantFields("name")},
			{Name: "invalid: intent class", Method: "PATCH", URL: url, As: sales, Status: 422, Code: "validation_failed",
				Body: map[string]any{"version": 1, "intent_class": "D"}, Check: coreWantField("intent_class", "invalid_choice")},
			{Name: "invalid: birthday", Method: "PATCH", URL: url, As: sales, Status: 422, Code: "validation_failed",
				Body: map[string]any{"version": 1, "birthday": "2001-13-01"}, Check: coreWantField("birthday", "invalid_format")},
			{Name: "invalid: stage churned (use /churn)", Method: "PATCH", URL: url, As: sales, Status: 422, Code: "validation_failed",
				Body: map[string]any{"version": 1, "stage": "churned"}, Check: coreWantField("stage", "invalid_choice")},
			{Name: "invalid: unknown field", Method: "PATCH", URL: url, As: sales, Status: 422, Code: "validation_failed",
				Body: map[string]any{"version": 1, "id": uuid.NewString()}, Check: coreWantField("id", "unknown_field")},
			{Name: "invalid: version of the wrong type", Method: "PATCH", URL: url, As: sales, Status: 422, Code: "validation_failed",
				Body: map[string]any{"version": "1"}, Check: coreWantField("version", "invalid_type")},
			{Name: "success", Method: "PATCH", URL: url, As: sales, Status: 200,
				Body: map[string]any{"version": 1, "name": "上海强生制药有限公司", "region": "华东", "stage": "deal", "tags": []string{"医药"},
					"scale": map[string]any{"employees": 1200}, "profile": map[string]any{"business": map[string]string{"cooperation_attitude": "积极"}}},
				Check: func(t *testing.T, r *apitest.Response) {
					var u coreCustomer
					r.JSON(t, &u)
					if u.Version != 2 || u.Name != "上海强生制药有限公司" || u.Region != "华东" || u.Stage != "deal" || !slices.Equal(u.Tags, []string{"医药"}) {
						t.Errorf("after PATCH: %+v", u)
					}
					if u.Scale.Employees == nil || *u.Scale.Employees != 1200 || u.Profile.Business["cooperation_attitude"] != "积极" {
						t.Errorf("scale/profile: %s", r.Body)
					}
					// Absent fields stay.
					if u.Phone != "021-5555 1234" || u.Email != "info@qs.example.com" || u.Address.Street != "张江路100号" || u.Tier != "general" {
						t.Errorf("untouched fields changed: %s", r.Body)
					}
					if !u.UpdatedAt.After(c.UpdatedAt) && !u.UpdatedAt.Equal(c.UpdatedAt) {
						t.Errorf("updated_at %v before %v", u.UpdatedAt, c.UpdatedAt)
					}
				}},
			{Name: "stale version", Method: "PATCH", URL: url, As: sales, Body: map[string]any{"version": 1, "region": "华北"}, Status: 409, Code: "conflict"},
		})
		if got := coreGet(t, sales, c.ID); got.Region != "华东" || got.Version != 2 {
			t.Fatalf("after the stale PATCH: region %q version %d", got.Region, got.Version)
		}

		t.Run("clearing fields", func(t *testing.T) {
			var u coreCustomer
			sales.MustDo(t, "PATCH", url, map[string]any{"version": 2, "email": "", "credit_code": "", "birthday": "1999-09-09"}, 200, &u)
			if u.Email != "" || u.CreditCode != "" || u.Birthday == nil || *u.Birthday != "1999-09-09" {
				t.Errorf("email %q credit_code %q birthday %v", u.Email, u.CreditCode, u.Birthday)
			}
			sales.MustDo(t, "PATCH", url, map[string]any{"version": 3, "birthday": nil}, 200, &u)
			if u.Birthday != nil || u.Version != 4 {
				t.Errorf("birthday %v version %d", u.Birthday, u.Version)
			}
		})

		t.Run("manual classification", func(t *testing.T) {
			cur := coreGet(t, sales, c.ID)
			var u coreCustomer
			sales.MustDo(t, "PATCH", url, map[string]any{"version": cur.Version, "tier": "key", "intent_class": "B"}, 200, &u)
			if u.Tier != "key" || u.IntentClass == nil || *u.IntentClass != "B" {
				t.Fatalf("tier %q intent %v", u.Tier, u.IntentClass)
			}
			if u.Classification.Rule != "manual" || !slices.Contains(u.Classification.Reasons, "tier=key") ||
				!slices.Contains(u.Classification.Reasons, "intent_class=B") || u.Classification.At.IsZero() {
				t.Errorf("classification %+v", u.Classification)
			}
			sales.MustDo(t, "PATCH", url, map[string]any{"version": u.Version, "intent_class": nil}, 200, &u)
			if u.IntentClass != nil || u.Classification.Rule != "manual" {
				t.Errorf("intent cleared: %v, classification %+v", u.IntentClass, u.Classification)
			}
		})

		t.Run("reassigning needs customer:assign", func(t *testing.T) {
			cur := coreGet(t, sales, c.ID)
			r := sales.Do(t, "PATCH", url, map[string]any{"version": cur.Version, "owner_id": sales2.UserID})
			if r.Status != 403 || r.Problem(t).Code != "forbidden" {
				t.Fatalf("salesperson reassigns: %d %s", r.Status, r.Body)
			}
			r = sales.Do(t, "PATCH", url, map[string]any{"version": cur.Version, "department_id": acme.Departments["Marketing"]})
			if r.Status != 403 {
				t.Fatalf("salesperson moves department: %d %s", r.Status, r.Body)
			}
			r = service.Do(t, "PATCH", url, map[string]any{"version": cur.Version, "owner_id": sales2.UserID})
			if r.Status != 403 && r.Status != 404 {
				t.Fatalf("customer service reassigns: %d %s", r.Status, r.Body)
			}
			if r := manager.Do(t, "PATCH", url, map[string]any{"version": cur.Version, "owner_id": other.Owner.UserID}); r.Status != 422 {
				t.Fatalf("assign to another tenant's user: %d %s", r.Status, r.Body)
			} else {
				r.Problem(t).WantField(t, "owner_id", "not_found")
			}
			var u coreCustomer
			manager.MustDo(t, "PATCH", url, map[string]any{"version": cur.Version, "owner_id": sales2.UserID}, 200, &u)
			if u.OwnerID == nil || *u.OwnerID != sales2.UserID || u.DepartmentID == nil || *u.DepartmentID != acme.Departments["Sales"] {
				t.Errorf("owner %v department %v", u.OwnerID, u.DepartmentID)
			}
			rows := coreRaw(t, env, acme.ID, "SELECT CAST(former_owner_id AS TEXT) AS former FROM customers WHERE tenant_id = ? AND id = ?", acme.ID, c.ID)
			if len(rows) != 1 || rows[0]["former"] != sales.UserID.String() {
				t.Errorf("former owner %v, want %s", rows, sales.UserID)
			}
			// The former owner (scope: own) no longer sees it; the new one does.
			if r := sales.Do(t, "GET", url, nil); r.Status != 404 {
				t.Errorf("former owner reads it: %d", r.Status)
			}
			coreGet(t, sales2, c.ID)
			entries, _ := coreAudit(t, owner, c.ID)
			if len(entries) == 0 || entries[0].Changes["owner_id"][0] != sales.UserID.String() || entries[0].Changes["owner_id"][1] != sales2.UserID.String() {
				t.Errorf("latest audit entry %+v, want owner_id [%s, %s]", entries[0], sales.UserID, sales2.UserID)
			}
		})

		t.Run("audit trail masks sensitive values", func(t *testing.T) {
			cur := coreGet(t, sales2, c.ID)
			var u coreCustomer
			sales2.MustDo(t, "PATCH", url, map[string]any{"version": cur.Version, "phone": "021-6666 9999", "id_number": "310101198001011234",
				"address": map[string]any{"province": "上海市", "city": "上海市", "district": "浦东新区", "street": "世纪大道8号"}}, 200, &u)
			if u.Phone != "021-6666 9999" || u.Address.Street != "世纪大道8号" || u.Address.District != "浦东新区" {
				t.Fatalf("after PATCH: %+v", u)
			}
			entries, body := coreAudit(t, owner, c.ID)
			for _, plain := range []string{"021-5555 1234", "02155551234", "021-6666 9999", "张江路100号", "世纪大道8号", "310101198001011234"} {
				if strings.Contains(body, plain) {
					t.Errorf("audit history shows %q: %s", plain, body)
				}
			}
			if len(entries) == 0 {
				t.Fatal("no audit entries")
			}
			latest := entries[0]
			if latest.Action != "update" || latest.ActorID == nil || *latest.ActorID != sales2.UserID {
				t.Errorf("latest entry %+v", latest)
			}
			if ch, ok := latest.Changes["phone"]; !ok || ch[0] != "***" || ch[1] != "***" {
				t.Errorf("phone change %v (present %v), want [***, ***]: %s", ch, ok, body)
			}
			if ch, ok := latest.Changes["id_number"]; !ok || (ch[0] != nil && ch[0] != "") || ch[1] != "***" {
				t.Errorf("id_number change %v (present %v), want [none, ***]", ch, ok)
			}
			addr, ok := latest.Changes["address"]
			if !ok {
				t.Fatalf("no address change: %s", body)
			}
			after, _ := addr[1].(map[string]any)
			if after["street"] != "***" || after["district"] != "浦东新区" {
				t.Errorf("address change %v", addr)
			}
			var created *coreAuditEntry
			for i := range entries {
				if entries[i].Action == "create" {
					created = &entries[i]
				}
			}
			if created == nil || created.Changes["name"][1] != "上海强生制药" || created.Changes["phone"][1] != "***" {
				t.Errorf("create entry %+v", created)
			}
		})
	})
}

func TestCustomerDataScope(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		// Sales East sits under Sales: the sales manager's department tree covers it.
		var east struct{ ID uuid.UUID }
		owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "Sales East", "parent_id": acme.Departments["Sales"]}, 201, &east)
		acme.Departments["Sales East"] = east.ID

		a := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		b := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		e := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales East"}, "salesperson")
		manager := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
		eastManager := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales East"}, "sales_manager")
		gm := acme.AddUserWith(t, apitest.UserOpts{Department: "Management"}, "general_manager")
		service := acme.AddUserWith(t, apitest.UserOpts{Department: "Customer service"}, "customer_service")
		service2 := acme.AddUserWith(t, apitest.UserOpts{Department: "Customer service"}, "customer_service")
		marketing := acme.AddUserWith(t, apitest.UserOpts{Department: "Marketing"}, "marketing")

		ca := coreCreate(t, a, map[string]any{"type": "enterprise", "name": "A的客户"})
		cb := coreCreate(t, b, map[string]any{"type": "enterprise", "name": "B的客户"})
		ce := coreCreate(t, e, map[string]any{"type": "enterprise", "name": "东区客户"})
		cs := coreCreate(t, service, map[string]any{"type": "individual", "name": "客服登记的客户"})
		cm := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "客服部门的客户", "department_id": acme.Departments["Customer service"]})
		co := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "老板的客户"})
		if cs.DepartmentID == nil || *cs.DepartmentID != acme.Departments["Customer service"] {
			t.Fatalf("customer service's customer in department %v", cs.DepartmentID)
		}

		for _, tc := range []struct {
			who     string
			as      *apitest.Client
			visible []coreCustomer
		}{
			{"salesperson A (own)", a, []coreCustomer{ca}},
			{"salesperson B (own)", b, []coreCustomer{cb}},
			{"salesperson in Sales East (own)", e, []coreCustomer{ce}},
			{"sales manager (department tree of Sales)", manager, []coreCustomer{ca, cb, ce}},
			{"sales manager of Sales East", eastManager, []coreCustomer{ce}},
			{"general manager (all)", gm, []coreCustomer{ca, cb, ce, cs, cm, co}},
			{"owner (all)", owner, []coreCustomer{ca, cb, ce, cs, cm, co}},
			{"customer service (department)", service, []coreCustomer{cs, cm}},
			{"other customer service (department)", service2, []coreCustomer{cs, cm}},
			{"marketing (all)", marketing, []coreCustomer{ca, cb, ce, cs, cm, co}},
		} {
			t.Run(tc.who, func(t *testing.T) {
				coreSameSet(t, "list", coreListAll(t, tc.as, "limit=2"), tc.visible...)
				for _, c := range []coreCustomer{ca, cb, ce, cs, cm, co} {
					want := 404
					if slices.ContainsFunc(tc.visible, func(v coreCustomer) bool { return v.ID == c.ID }) {
						want = 200
					}
					if r := tc.as.Do(t, "GET", coreURL+"/"+c.ID.String(), nil); r.Status != want {
						t.Errorf("GET %s: %d, want %d", c.Name, r.Status, want)
					}
				}
			})
		}

		t.Run("out of scope is as missing for every action", func(t *testing.T) {
			url := coreURL + "/" + cb.ID.String()
			env.Run(t, []apitest.Scenario{
				{Name: "patch", Method: "PATCH", URL: url, As: a, Body: map[string]any{"version": 1, "name": "x"}, Status: 404, Code: "not_found"},
				{Name: "churn", Method: "POST", URL: url + "/churn", As: a, Body: map[string]any{"reason": "x"}, Status: 404, Code: "not_found"},
				{Name: "delete by customer service", Method: "DELETE", URL: url, As: service, Status: 403, Code: "forbidden"},
				{Name: "owner filter names B", Method: "GET", URL: coreURL + "?owner_id=" + b.UserID.String(), As: a, Status: 200, Contains: []string{`"items":[]`}},
			})
			if got := coreGet(t, b, cb.ID); got.Name != "B的客户" || got.Version != 1 {
				t.Errorf("B's customer changed: %+v", got)
			}
		})
	})
}

func TestCustomerFieldsEncryptedAtRest(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		const phone, idNumber, street = "139-1234-5678", "440301199001011234", "深南大道6008号特区报业大厦"
		c := coreCreate(t, owner, map[string]any{"type": "individual", "name": "加密测试", "phone": phone, "id_number": idNumber,
			"address": map[string]any{"province": "广东省", "city": "深圳市", "street": street}})
		plains := []string{phone, "13912345678", idNumber, street, "特区报业"}

		rows := coreRaw(t, env, acme.ID, "SELECT phone_enc, street_enc, id_number_enc, phone_hash FROM customers WHERE tenant_id = ? AND id = ?", acme.ID, c.ID)
		if len(rows) != 1 {
			t.Fatalf("%d rows", len(rows))
		}
		for col, v := range rows[0] {
			if v == "" {
				t.Errorf("%s is empty", col)
			}
			for _, p := range plains {
				if strings.Contains(v, p) {
					t.Errorf("%s holds %q in clear: %s", col, p, v)
				}
			}
		}

		// Nowhere in the whole row either.
		var whole string
		if env.Dialect == store.Postgres {
			r := coreRaw(t, env, acme.ID, "SELECT row_to_json(c)::text AS j FROM customers c WHERE tenant_id = ? AND id = ?", acme.ID, c.ID)
			whole = r[0]["j"]
		} else {
			r := coreRaw(t, env, acme.ID, "SELECT * FROM customers WHERE tenant_id = ? AND id = ?", acme.ID, c.ID)
			b, _ := json.Marshal(r[0])
			whole = string(b)
		}
		if !strings.Contains(whole, "加密测试") {
			t.Fatalf("row dump lacks the name: %s", whole)
		}
		for _, p := range plains {
			if strings.Contains(whole, p) {
				t.Errorf("row holds %q in clear: %s", p, whole)
			}
		}

		// The API opens them again.
		got := coreGet(t, owner, c.ID)
		if got.Phone != phone || got.IDNumber != idNumber || got.Address.Street != street {
			t.Errorf("read back phone %q id %q street %q", got.Phone, got.IDNumber, got.Address.Street)
		}
		var p corePage
		owner.MustDo(t, "GET", coreURL+"?q="+url.QueryEscape("13912345678"), nil, 200, &p)
		if len(p.Items) != 1 || p.Items[0].Phone != phone {
			t.Errorf("phone search: %+v", p.Items)
		}
		// A PATCH of the phone reseals it; the old plaintext and the new stay out of the row.
		var u coreCustomer
		owner.MustDo(t, "PATCH", coreURL+"/"+c.ID.String(), map[string]any{"version": 1, "phone": "137 0000 1111"}, 200, &u)
		rows = coreRaw(t, env, acme.ID, "SELECT phone_enc, street_enc, id_number_enc, phone_hash FROM customers WHERE tenant_id = ? AND id = ?", acme.ID, c.ID)
		for col, v := range rows[0] {
			if strings.Contains(v, "13700001111") || strings.Contains(v, "137 0000 1111") || strings.Contains(v, "13912345678") {
				t.Errorf("%s in clear after PATCH: %s", col, v)
			}
		}
		if got := coreGet(t, owner, c.ID); got.Phone != "137 0000 1111" || got.IDNumber != idNumber || got.Address.Street != street {
			t.Errorf("after PATCH: phone %q id %q street %q", got.Phone, got.IDNumber, got.Address.Street)
		}
	})
}

func TestCustomerRecycleBin(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		// Tokens do not expire with the clock; the owner's session would after 14 days.
		gm := acme.AddUserWith(t, apitest.UserOpts{Department: "Management"}, "general_manager")
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		c := coreCreate(t, sales, map[string]any{"type": "enterprise", "name": "回收站客户"})
		theirs := coreCreate(t, other.Owner, map[string]any{"type": "enterprise", "name": "回收站客户"})
		url := coreURL + "/" + c.ID.String()
		missing := coreURL + "/" + uuid.Must(uuid.NewV7()).String()

		env.Run(t, []apitest.Scenario{
			{Name: "delete: no login", Method: "DELETE", URL: url, Status: 401, Code: "unauthenticated"},
			{Name: "delete: other tenant", Method: "DELETE", URL: coreURL + "/" + theirs.ID.String(), As: gm, Status: 404, Code: "not_found"},
			{Name: "delete: wrong role (salesperson has no customer:delete)", Method: "DELETE", URL: url, As: sales, Status: 403, Code: "forbidden"},
			{Name: "delete: not found", Method: "DELETE", URL: missing, As: gm, Status: 404, Code: "not_found"},
			{Name: "delete: malformed ID", Method: "DELETE", URL: coreURL + "/nope", As: gm, Status: 404, Code: "not_found"},
			{Name: "delete: success", Method: "DELETE", URL: url, As: gm, Status: 204},
			{Name: "delete: twice", Method: "DELETE", URL: url, As: gm, Status: 404, Code: "not_found"},
			{Name: "deleted: get", Method: "GET", URL: url, As: gm, Status: 404, Code: "not_found"},
			{Name: "deleted: patch", Method: "PATCH", URL: url, As: gm, Body: map[string]any{"version": 2, "name": "x"}, Status: 404, Code: "not_found"},
			{Name: "deleted: churn", Method: "POST", URL: url + "/churn", As: gm, Body: map[string]any{"reason": "x"}, Status: 404, Code: "not_found"},
			{Name: "deleted: not in the list", Method: "GET", URL: coreURL, As: gm, Status: 200, Contains: []string{`"items":[]`}},
			{Name: "deleted: in the recycle bin", Method: "GET", URL: coreURL + "?deleted=true", As: gm, Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					var p corePage
					r.JSON(t, &p)
					if len(p.Items) != 1 || p.Items[0].ID != c.ID || p.Items[0].DeletedAt == nil {
						t.Errorf("recycle bin %s", r.Body)
					}
				}},
			{Name: "deleted: other tenant's bin is empty of it", Method: "GET", URL: coreURL + "?deleted=true", As: other.Owner, Status: 200, Contains: []string{`"items":[]`}},
			{Name: "restore: no login", Method: "POST", URL: url + "/restore", Status: 401, Code: "unauthenticated"},
			{Name: "restore: other tenant", Method: "POST", URL: url + "/restore", As: other.Owner, Status: 404, Code: "not_found"},
			{Name: "restore: wrong role", Method: "POST", URL: url + "/restore", As: sales, Status: 403, Code: "forbidden"},
			{Name: "restore: not found", Method: "POST", URL: missing + "/restore", As: gm, Status: 404, Code: "not_found"},
			{Name: "restore: success", Method: "POST", URL: url + "/restore", As: gm, Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					var v coreCustomer
					r.JSON(t, &v)
					if v.ID != c.ID || v.DeletedAt != nil || v.Name != "回收站客户" {
						t.Errorf("restored %s", r.Body)
					}
				}},
			{Name: "restore: a live customer", Method: "POST", URL: url + "/restore", As: gm, Status: 409, Code: "conflict"},
			{Name: "restored: visible again", Method: "GET", URL: url, As: sales, Status: 200},
			{Name: "restored: not in the bin", Method: "GET", URL: coreURL + "?deleted=true", As: gm, Status: 200, Contains: []string{`"items":[]`}},
		})

		t.Run("purge after 30 days", func(t *testing.T) {
			old := coreCreate(t, gm, map[string]any{"type": "enterprise", "name": "三十天前删除"})
			recent := coreCreate(t, gm, map[string]any{"type": "enterprise", "name": "十天前删除"})
			live := coreCreate(t, gm, map[string]any{"type": "enterprise", "name": "未删除"})
			theirs := coreCreate(t, other.Owner, map[string]any{"type": "enterprise", "name": "别家删除"})
			other.Owner.MustDo(t, "DELETE", coreURL+"/"+theirs.ID.String(), nil, 204, nil)
			gm.MustDo(t, "DELETE", coreURL+"/"+old.ID.String(), nil, 204, nil)
			env.Clock().Advance(21 * 24 * time.Hour)
			gm.MustDo(t, "DELETE", coreURL+"/"+recent.ID.String(), nil, 204, nil)

			ctx := tenantctx.WithTenant(context.Background(), acme.ID)
			n, err := env.Server.Customers.PurgeRecycleBin(ctx, env.Clock().Now().Add(10*24*time.Hour+time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("purged %d, want 1", n)
			}
			bin := coreListAll(t, gm, "deleted=true")
			coreSameSet(t, "recycle bin after purge", bin, recent)
			coreSameSet(t, "live after purge", coreListAll(t, gm, "limit=50"), c, live)
			if n := env.CountRows(t, "customers", "id = ?", old.ID.String()); n != 0 {
				t.Errorf("purged customer still has %d rows", n)
			}
			// Another tenant's bin is not this tenant's purge.
			if n := env.CountRows(t, "customers", "id = ?", theirs.ID.String()); n != 1 {
				t.Errorf("other tenant's deleted customer: %d rows", n)
			}
			gm.MustDo(t, "POST", coreURL+"/"+old.ID.String()+"/restore", nil, 404, nil)
			gm.MustDo(t, "POST", coreURL+"/"+recent.ID.String()+"/restore", nil, 200, nil)
			// The audit history of the purged customer is kept.
			if entries, _ := coreAudit(t, gm, old.ID); len(entries) < 2 {
				t.Errorf("audit of the purged customer: %d entries", len(entries))
			}
		})
	})
}

func TestChurnCustomer(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		finance := acme.AddUser(t, "finance")
		c := coreCreate(t, sales, map[string]any{"type": "enterprise", "name": "流失客户", "stage": "deal"})
		keep := coreCreate(t, sales, map[string]any{"type": "enterprise", "name": "在保客户", "stage": "deal"})
		theirs := coreCreate(t, other.Owner, map[string]any{"type": "enterprise", "name": "流失客户"})
		url := coreURL + "/" + c.ID.String() + "/churn"
		before := time.Now().Add(-time.Second)
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: url, Body: map[string]any{"reason": "价格"}, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "POST", URL: coreURL + "/" + theirs.ID.String() + "/churn", As: owner, Body: map[string]any{"reason": "价格"}, Status: 404, Code: "not_found"},
			{Name: "wrong role", Method: "POST", URL: url, As: finance, Body: map[string]any{"reason": "价格"}, Status: 403, Code: "forbidden"},
			{Name: "not found", Method: "POST", URL: coreURL + "/" + uuid.Must(uuid.NewV7()).String() + "/churn", As: owner, Body: map[string]any{"reason": "价格"}, Status: 404, Code: "not_found"},
			{Name: "invalid: no reason", Method: "POST", URL: url, As: sales, Body: map[string]any{}, Status: 422, Code: "validation_failed", Check: coreWantField("reason", "required")},
			{Name: "invalid: reason too long", Method: "POST", URL: url, As: sales, Body: map[string]any{"reason": strings.Repeat("长", 501)}, Status: 422, Code: "validation_failed", Check: coreWantField("reason", "too_long")},
			{Name: "invalid: reason of the wrong type", Method: "POST", URL: url, As: sales, Body: map[string]any{"reason": 5}, Status: 422, Code: "validation_failed", Check: coreWantField("reason", "invalid_type")},
			{Name: "success", Method: "POST", URL: url, As: sales, Body: map[string]any{"reason": "被竞争对手以低价抢走"}, Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					var v coreCustomer
					r.JSON(t, &v)
					if v.Stage != "churned" || v.ChurnReason != "被竞争对手以低价抢走" || v.ChurnedAt == nil || v.ChurnedAt.Before(before) || v.Version != 2 {
						t.Errorf("churned: %s", r.Body)
					}
				}},
			{Name: "again", Method: "POST", URL: url, As: sales, Body: map[string]any{"reason": "再次"}, Status: 409, Code: "conflict"},
		})
		got := coreGet(t, sales, c.ID)
		if got.Stage != "churned" || got.ChurnReason != "被竞争对手以低价抢走" || got.ChurnedAt == nil || got.DeletedAt != nil {
			t.Errorf("read back: %+v", got)
		}
		coreSameSet(t, "stage=churned", coreListAll(t, sales, "stage=churned"), c)
		coreSameSet(t, "stage=deal", coreListAll(t, sales, "stage=deal"), keep)
		coreSameSet(t, "all (churned are archived, not deleted)", coreListAll(t, sales, "limit=10"), c, keep)
		coreSameSet(t, "recycle bin", coreListAll(t, owner, "deleted=true"))
	})
}

func TestCustomerOutboxEvents(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		const phone = "138-0013-8000"
		c := coreCreate(t, sales, map[string]any{"type": "individual", "name": "事件客户", "phone": phone, "id_number": "110101199003071234",
			"address": map[string]any{"street": "长安街1号"}})
		sales.MustDo(t, "PATCH", coreURL+"/"+c.ID.String(), map[string]any{"version": 1, "stage": "prospect"}, 200, nil)
		sales.MustDo(t, "POST", coreURL+"/"+c.ID.String()+"/churn", map[string]any{"reason": "搬家"}, 200, nil)
		coreCreate(t, other.Owner, map[string]any{"type": "individual", "name": "别家事件客户", "phone": phone})

		// A refused create (duplicate phone) and a refused update (stale version) add nothing.
		sales.MustDo(t, "POST", coreURL, map[string]any{"type": "individual", "name": "重复", "phone": "+86 13800138000"}, 409, nil)
		sales.MustDo(t, "PATCH", coreURL+"/"+c.ID.String(), map[string]any{"version": 1, "stage": "deal"}, 409, nil)

		evs := coreEvents(t, env, acme.ID)
		var types []string
		for _, e := range evs {
			if e.EntityID != c.ID || e.Entity != "customer" {
				t.Errorf("event %s about %s %s", e.Type, e.Entity, e.EntityID)
			}
			if e.ActorID == nil || *e.ActorID != sales.UserID {
				t.Errorf("event %s actor %v", e.Type, e.ActorID)
			}
			types = append(types, e.Type)
			raw, _ := json.Marshal(e.Payload.Data())
			for _, plain := range []string{phone, "13800138000", "110101199003071234", "长安街1号"} {
				if strings.Contains(string(raw), plain) {
					t.Errorf("event %s payload holds %q: %s", e.Type, plain, raw)
				}
			}
			if !strings.Contains(string(raw), "事件客户") {
				t.Errorf("event %s payload lacks the customer: %s", e.Type, raw)
			}
		}
		if want := []string{"customer.created", "customer.updated", "customer.churned"}; !slices.Equal(types, want) {
			t.Errorf("events %q, want %q", types, want)
		}
		for i := 1; i < len(evs); i++ {
			if evs[i].ID.String() <= evs[i-1].ID.String() {
				t.Errorf("events out of order: %s after %s", evs[i].ID, evs[i-1].ID)
			}
		}
		if len(evs) == 3 {
			stage := func(e outbox.Event) any { m, _ := e.Payload.Data()["customer"].(map[string]any); return m["stage"] }
			if stage(evs[1]) != "prospect" || stage(evs[2]) != "churned" {
				t.Errorf("payload stages %v, %v", stage(evs[1]), stage(evs[2]))
			}
		}
		// The other tenant's outbox has only its own event.
		if theirs := coreEvents(t, env, other.ID); len(theirs) != 1 || theirs[0].EntityID == c.ID {
			t.Errorf("other tenant's outbox: %+v", theirs)
		}
		// Events after a given one.
		var after []outbox.Event
		err := env.DB.Read(tenantctx.WithTenant(context.Background(), acme.ID), func(tx *gorm.DB) error {
			var err error
			after, err = outbox.After(tx, evs[0].ID, 10)
			return err
		})
		if err != nil || len(after) != 2 {
			t.Errorf("after the first: %d events, %v", len(after), err)
		}
	})
}

func TestCustomerBadInput(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		c := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "输入测试"})
		url := coreURL + "/" + c.ID.String()
		env.Run(t, []apitest.Scenario{
			{Name: "create: broken JSON", Method: "POST", URL: coreURL, As: owner, Body: `{"type":"enterprise",`, Status: 400, Code: "bad_request"},
			{Name: "create: trailing data", Method: "POST", URL: coreURL, As: owner, Body: `{"type":"enterprise","name":"x"} {}`, Status: 400, Code: "bad_request"},
			{Name: "create: an array", Method: "POST", URL: coreURL, As: owner, Body: `[]`, Status: 400, Code: "bad_request"},
			{Name: "create: not JSON", Method: "POST", URL: coreURL, As: owner, Body: `type=enterprise`, Status: 400, Code: "bad_request"},
			{Name: "create: form content type", Method: "POST", URL: coreURL, As: owner, Body: `type=enterprise&name=x`,
				Headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, Status: 415},
			{Name: "create: tags not a list", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": "x", "tags": "vip"}, Check: coreWantField("tags", "invalid_type")},
			{Name: "create: tag not a string", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": "x", "tags": []any{1}}, Check: coreWantFieldLike("tags")},
			{Name: "create: employees not a number", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": "x", "scale": map[string]any{"employees": "many"}}, Check: coreWantField("scale.employees", "invalid_type")},
			{Name: "create: employees a fraction", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": "x", "scale": map[string]any{"employees": 1.5}}, Check: coreWantFields("scale.employees")},
			{Name: "create: address a string", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": "x", "address": "深圳"}, Check: coreWantField("address", "invalid_type")},
			{Name: "create: profile section of numbers", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": "x", "profile": map[string]any{"basic": map[string]any{"age": 5}}}, Check: coreWantFieldLike("profile")},
			{Name: "create: custom_fields a list", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": "x", "custom_fields": []string{"a"}}, Check: coreWantField("custom_fields", "invalid_type")},
			{Name: "create: birthday a number", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "individual", "name": "x", "birthday": 19900101}, Check: coreWantField("birthday", "invalid_type")},
			{Name: "create: allow_duplicate a string", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "individual", "name": "x", "allow_duplicate": "yes"}, Check: coreWantField("allow_duplicate", "invalid_type")},
			{Name: "create: department_id malformed", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "individual", "name": "x", "department_id": "sales"}, Check: coreWantField("department_id", "invalid_format")},
			{Name: "create: employees beyond any company", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": "x", "scale": map[string]any{"employees": 3000000000}}, Check: coreWantField("scale.employees", "out_of_range")},
			{Name: "create: revenue beyond what is stored", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": "x", "scale": map[string]any{"annual_revenue": "1e30"}}, Check: coreWantField("scale.annual_revenue", "out_of_range")},
			{Name: "create: NUL in a name", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": "a\x00b"}, Check: coreWantField("name", "invalid")},
			{Name: "create: NUL in a profile section", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": "x", "profile": map[string]any{"basic": map[string]string{"k": "\x00"}}}, Check: coreWantFieldLike("profile")},
			{Name: "create: NUL in a tag", Method: "POST", URL: coreURL, As: owner, Status: 422, Code: "validation_failed",
				Body: map[string]any{"type": "enterprise", "name": "x", "tags": []string{"\x00"}}, Check: coreWantFieldLike("tags")},
			{Name: "create: body of null", Method: "POST", URL: coreURL, As: owner, Body: `null`, Status: 422, Code: "validation_failed"},
			{Name: "create: empty body", Method: "POST", URL: coreURL, As: owner, Body: ``, Status: 422, Code: "validation_failed"},
			{Name: "patch: broken JSON", Method: "PATCH", URL: url, As: owner, Body: `{"version": 1,`, Status: 400, Code: "bad_request"},
			{Name: "patch: owner_id malformed", Method: "PATCH", URL: url, As: owner, Body: map[string]any{"version": 1, "owner_id": "boss"}, Status: 422, Code: "validation_failed", Check: coreWantField("owner_id", "invalid_format")},
			{Name: "patch: owner_id a number", Method: "PATCH", URL: url, As: owner, Body: map[string]any{"version": 1, "owner_id": 7}, Status: 422, Code: "validation_failed", Check: coreWantFields("owner_id")},
			{Name: "patch: tags a number", Method: "PATCH", URL: url, As: owner, Body: map[string]any{"version": 1, "tags": 3}, Status: 422, Code: "validation_failed", Check: coreWantField("tags", "invalid_type")},
			{Name: "patch: negative revenue", Method: "PATCH", URL: url, As: owner, Body: map[string]any{"version": 1, "scale": map[string]any{"annual_revenue": "-5"}}, Status: 422, Code: "validation_failed", Check: coreWantField("scale.annual_revenue", "out_of_range")},
			{Name: "patch: version negative", Method: "PATCH", URL: url, As: owner, Body: map[string]any{"version": -1}, Status: 409, Code: "conflict"},
			{Name: "patch: NUL in the phone", Method: "PATCH", URL: url, As: owner, Body: map[string]any{"version": 1, "phone": "138\x00"}, Status: 422, Code: "validation_failed", Check: coreWantField("phone", "invalid")},
			{Name: "patch: NUL in a street", Method: "PATCH", URL: url, As: owner, Body: map[string]any{"version": 1, "address": map[string]any{"street": "\x00"}}, Status: 422, Code: "validation_failed", Check: coreWantFieldLike("address")},
			{Name: "patch: employees beyond any company", Method: "PATCH", URL: url, As: owner, Body: map[string]any{"version": 1, "scale": map[string]any{"employees": 3000000000}}, Status: 422, Code: "validation_failed", Check: coreWantField("scale.employees", "out_of_range")},
			{Name: "patch: revenue beyond what is stored", Method: "PATCH", URL: url, As: owner, Body: map[string]any{"version": 1, "scale": map[string]any{"annual_revenue": 1e18}}, Status: 422, Code: "validation_failed", Check: coreWantField("scale.annual_revenue", "out_of_range")},
			{Name: "churn: NUL in the reason", Method: "POST", URL: url + "/churn", As: owner, Body: map[string]any{"reason": "\x00"}, Status: 422, Code: "validation_failed", Check: coreWantField("reason", "invalid")},
			{Name: "list: NUL in q", Method: "GET", URL: coreURL + "?q=%00", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("q", "invalid")},
			{Name: "list: NUL in a filter", Method: "GET", URL: coreURL + "?region=%00", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("region", "invalid")},
			{Name: "list: NUL in a tag", Method: "GET", URL: coreURL + "?tag=a%00", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("tag", "invalid")},
			{Name: "churn: broken JSON", Method: "POST", URL: url + "/churn", As: owner, Body: `{"reason":`, Status: 400, Code: "bad_request"},
			{Name: "churn: unknown field", Method: "POST", URL: url + "/churn", As: owner, Body: map[string]any{"reason": "x", "at": "2020-01-01"}, Status: 422, Code: "validation_failed", Check: coreWantField("at", "unknown_field")},
			{Name: "list: limit not a number", Method: "GET", URL: coreURL + "?limit=many", As: owner, Status: 400, Code: "bad_request"},
			{Name: "list: deleted not a boolean", Method: "GET", URL: coreURL + "?deleted=maybe", As: owner, Status: 400, Code: "bad_request"},
			{Name: "unchanged after all that", Method: "GET", URL: url, As: owner, Status: 200, Contains: []string{`"version":1`, `"name":"输入测试"`}},
		})

		// A sweep of odd bodies: every answer is a client error or success, never a 500, and
		// every error is problem+json.
		bodies := []any{`{}`, `""`, `123`, `true`, `{"type":null,"name":null}`, `{"type":"enterprise","name":"x","scale":null}`,
			`{"type":"enterprise","name":"x","address":[]}`, `{"type":"enterprise","name":"x","tags":[null]}`,
			`{"type":"enterprise","name":"x","tags":[""]}`, `{"type":"enterprise","name":"x","intent_class":""}`,
			`{"type":"enterprise","name":"x","owner_id":null,"department_id":null}`, `{"type":"enterprise","name":"x","birthday":""}`,
			`{"type":"enterprise","name":"x","scale":{"annual_revenue":1e400}}`, `{"type":"enterprise","name":"x","scale":{"employees":1e20}}`,
			`{"type":"enterprise","name":"x","custom_fields":{"a":{"b":[1,2,{"c":null}]}}}`, `{"type":"enterprise","name":"\u0000"}`,
			`{"type":"enterprise","name":"x","phone":"+++"}`, `{"type":"enterprise","name":"x","credit_code":"ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲ"}`,
			`{"type":"enterprise","name":"x","email":"a@b"}`, `{"type":"enterprise","name":"x","profile":null}`,
			`{"type":"enterprise","name":"x","profile":{"basic":null}}`, `{"type":"enterprise","name":"x","NAME":"y"}`}
		patches := []any{`{}`, `{"version":null}`, `{"version":1.5}`, `{"version":99999999999999999999}`, `{"version":1,"owner_id":null}`,
			`{"version":1,"scale":null}`, `{"version":1,"address":null}`, `{"version":1,"tags":null}`, `{"version":1,"intent_class":null}`,
			`{"version":1,"department_id":null}`, `{"version":1,"birthday":""}`, `{"version":1,"custom_fields":null}`, `{"version":1,"profile":{}}`,
			`{"version":1,"tier":null}`, `{"version":1,"name":null}`}
		check := func(method, u string, b any) {
			r := env.Do(t, method, u, b, owner.Headers(method))
			if r.Status >= 500 {
				t.Errorf("%s %s %v: %d %s", method, u, b, r.Status, r.Body)
			}
			if r.Status >= 400 {
				if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
					t.Errorf("%s %s %v: %d with Content-Type %q", method, u, b, r.Status, ct)
				}
			}
		}
		for i, b := range bodies {
			// Distinct names, so that a body reaches the database instead of a duplicate warning.
			check("POST", coreURL, strings.Replace(b.(string), `"name":"x"`, `"name":"sweep `+strconv.Itoa(i)+`","allow_duplicate":true`, 1))
		}
		for _, b := range patches {
			check("PATCH", url, b)
		}
		for _, q := range []string{"q=%00", "q=%25%25%25", "q=" + coreQ("\"'; DROP TABLE customers; --"), "q=" + coreQ("a\"b"), "q=" + coreQ("*"),
			"q=" + coreQ("华 OR 强"), "q=" + coreQ("NEAR(a b)"), "q=" + coreQ("\\"), "sort=name&cursor=" + coreQ("eyJ2Ijoi"), "cursor=" + coreQ("e30"),
			"tag=" + coreQ("\"]"), "created_after=" + coreQ("2024-01-01T00:00:00+08:00"), "limit=0", "owner_id=" + uuid.NewString()} {
			check("GET", coreURL+"?"+q, nil)
		}
	})
}

func coreQ(s string) string { return url.QueryEscape(s) }

func TestCustomerConcurrentDuplicates(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"duplicate_policy": "block"}, 200, nil)
		const n = 6
		for round := 0; round < 3; round++ {
			name := "并发客户 " + strconv.Itoa(round)
			statuses := make(chan int, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					statuses <- owner.Do(t, "POST", coreURL, map[string]any{"type": "enterprise", "name": name, "phone": "139" + strconv.Itoa(round) + "0000000"[:7]}).Status
				}()
			}
			close(start)
			wg.Wait()
			close(statuses)
			created := 0
			for s := range statuses {
				switch s {
				case 201:
					created++
				case 409:
				default:
					t.Errorf("status %d", s)
				}
			}
			if created != 1 {
				t.Errorf("round %d: %d of %d concurrent creates of one customer succeeded under the block policy, want 1", round, created, n)
			}
		}
	})
}

// The owner cannot be cleared by PATCH: an ownerless customer outside the pool would be seen by
// nobody with an own data scope. Release is the way back to the pool.
func TestUpdateCustomerOwnerCannotBeCleared(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		c := coreCreate(t, acme.Owner, map[string]any{"type": "enterprise", "name": "负责人测试有限公司"})
		r := acme.Owner.Do(t, "PATCH", "/api/v1/customers/"+c.ID.String(), map[string]any{"version": c.Version, "owner_id": nil})
		if r.Status != 422 {
			t.Fatalf("clearing the owner: %d %s", r.Status, r.Body)
		}
		r.Problem(t).WantField(t, "owner_id", "required")
		if got := coreGet(t, acme.Owner, c.ID); got.OwnerID == nil || got.Version != c.Version {
			t.Fatalf("customer changed by a refused PATCH: %+v", got)
		}
	})
}
