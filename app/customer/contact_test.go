package customer_test

// API scenarios of contacts (CUS-4): the five endpoints in the standard row order, one primary
// contact per customer, the phone sealed at rest yet searchable, the audit trail and events.
//
// Helpers of the contact, duplicate, merge, timeline and custom-field tests start with "cx"
// (the core tests' start with "core"); the shared ones live in this file.

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/tenantctx"
)

// cxCustomer is the part of a customer these tests look at.
type cxCustomer struct {
	ID           uuid.UUID      `json:"id"`
	Name         string         `json:"name"`
	ShortName    string         `json:"short_name"`
	CreditCode   string         `json:"credit_code"`
	Industry     string         `json:"industry"`
	Phone        string         `json:"phone"`
	Email        string         `json:"email"`
	Tags         []string       `json:"tags"`
	CustomFields map[string]any `json:"custom_fields"`
	Address      struct {
		Province string `json:"province"`
		City     string `json:"city"`
		Street   string `json:"street"`
	} `json:"address"`
	Version int64 `json:"version"`
}

// cxContact is a contact as API.md names its fields.
type cxContact struct {
	ID           uuid.UUID `json:"id"`
	CustomerID   uuid.UUID `json:"customer_id"`
	Name         string    `json:"name"`
	Title        string    `json:"title"`
	Phone        string    `json:"phone"`
	Email        string    `json:"email"`
	Wechat       string    `json:"wechat"`
	Birthday     *string   `json:"birthday"`
	IsPrimary    bool      `json:"is_primary"`
	DecisionRole string    `json:"decision_role"`
	Notes        string    `json:"notes"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
	Version      int64     `json:"version"`
}

type cxContactPage struct {
	Items      []cxContact `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

// cxNewCustomer creates an enterprise customer named name (plus any extra fields) as as.
func cxNewCustomer(t testing.TB, as *apitest.Client, name string, extra map[string]any) cxCustomer {
	t.Helper()
	body := map[string]any{"type": "enterprise", "name": name}
	for k, v := range extra {
		body[k] = v
	}
	var c cxCustomer
	as.MustDo(t, "POST", "/api/v1/customers", body, 201, &c)
	return c
}

// cxNewContact adds a contact to customer as as.
func cxNewContact(t testing.TB, as *apitest.Client, customer uuid.UUID, body map[string]any) cxContact {
	t.Helper()
	var c cxContact
	as.MustDo(t, "POST", "/api/v1/customers/"+customer.String()+"/contacts", body, 201, &c)
	return c
}

func cxContacts(t testing.TB, as *apitest.Client, customer uuid.UUID) []cxContact {
	t.Helper()
	var p cxContactPage
	as.MustDo(t, "GET", "/api/v1/customers/"+customer.String()+"/contacts?limit=200", nil, 200, &p)
	return p.Items
}

// cxRead runs fn in a read of tenant's data (scoped, and under RLS on PostgreSQL).
func cxRead(t testing.TB, env *apitest.Env, tenant uuid.UUID, fn func(tx *gorm.DB) error) {
	t.Helper()
	if err := env.DB.Read(tenantctx.WithTenant(context.Background(), tenant), fn); err != nil {
		t.Fatalf("read: %v", err)
	}
}

// cxEvents lists the tenant's events about entity id, oldest first.
func cxEvents(t testing.TB, env *apitest.Env, tenant, id uuid.UUID) []outbox.Event {
	t.Helper()
	var out []outbox.Event
	cxRead(t, env, tenant, func(tx *gorm.DB) error { return tx.Where("entity_id = ?", id).Order("id").Find(&out).Error })
	return out
}

func cxEventTypes(evs []outbox.Event) []string {
	out := make([]string, 0, len(evs))
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

// cxAudit lists the tenant's audit entries about entity/id, oldest first.
func cxAudit(t testing.TB, env *apitest.Env, tenant uuid.UUID, entity string, id uuid.UUID) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	cxRead(t, env, tenant, func(tx *gorm.DB) error {
		return tx.Where("entity = ? AND entity_id = ?", entity, id.String()).Order("id").Find(&out).Error
	})
	return out
}

func cxWantField(field, code string) func(t *testing.T, r *apitest.Response) {
	return func(t *testing.T, r *apitest.Response) { t.Helper(); r.Problem(t).WantField(t, field, code) }
}

func cxURL(parts ...string) string { return "/api/v1/" + strings.Join(parts, "/") }

func TestContactsAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		colleague := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		finance := acme.AddUser(t, "finance")
		marketing := acme.AddUser(t, "marketing")
		missing := uuid.Must(uuid.NewV7()).String()

		cust := cxNewCustomer(t, sales, "华强电子", nil)
		ct := cxNewContact(t, sales, cust.ID, map[string]any{"name": "王芳", "title": "采购经理", "phone": "139 0000 1111"})
		foreignCust := cxNewCustomer(t, other.Owner, "外企", nil)
		foreignCt := cxNewContact(t, other.Owner, foreignCust.ID, map[string]any{"name": "外人"})
		list := cxURL("customers", cust.ID.String(), "contacts")
		one := cxURL("contacts", ct.ID.String())

		t.Run("GET /customers/{id}/contacts", func(t *testing.T) {
			env.Run(t, []apitest.Scenario{
				{Name: "no login", Method: "GET", URL: list, Status: 401, Code: "unauthenticated"},
				{Name: "other tenant", Method: "GET", URL: cxURL("customers", foreignCust.ID.String(), "contacts"), As: owner, Status: 404, Code: "not_found"},
				{Name: "wrong role", Method: "GET", URL: list, As: finance, Status: 403, Code: "forbidden"},
				{Name: "not found", Method: "GET", URL: cxURL("customers", missing, "contacts"), As: owner, Status: 404, Code: "not_found"},
				{Name: "not found: outside the data scope", Method: "GET", URL: list, As: colleague, Status: 404, Code: "not_found"},
				{Name: "invalid: limit", Method: "GET", URL: list + "?limit=500", As: sales, Status: 422, Code: "validation_failed", Check: cxWantField("limit", "out_of_range")},
				{Name: "invalid: cursor", Method: "GET", URL: list + "?cursor=%21", As: sales, Status: 422, Code: "validation_failed", Check: cxWantField("cursor", "invalid_format")},
				{Name: "success", Method: "GET", URL: list, As: sales, Status: 200, Contains: []string{`"name":"王芳"`, `"phone":"139 0000 1111"`, `"next_cursor":null`},
					NotContains: []string{"外人"}},
			})
		})

		t.Run("POST /customers/{id}/contacts", func(t *testing.T) {
			body := map[string]any{"name": "李雷"}
			env.Run(t, []apitest.Scenario{
				{Name: "no login", Method: "POST", URL: list, Body: body, Status: 401, Code: "unauthenticated"},
				{Name: "other tenant", Method: "POST", URL: cxURL("customers", foreignCust.ID.String(), "contacts"), As: owner, Body: body, Status: 404, Code: "not_found"},
				{Name: "wrong role", Method: "POST", URL: list, As: marketing, Body: body, Status: 403, Code: "forbidden"},
				{Name: "not found", Method: "POST", URL: cxURL("customers", missing, "contacts"), As: owner, Body: body, Status: 404, Code: "not_found"},
				{Name: "not found: outside the data scope", Method: "POST", URL: list, As: colleague, Body: body, Status: 404, Code: "not_found"},
				{Name: "invalid", Method: "POST", URL: list, As: sales, Status: 422, Code: "validation_failed",
					Body: map[string]any{"name": "", "email": "nope", "decision_role": "boss", "birthday": "2020-13-01", "phone": strings.Repeat("1", 41)},
					Check: func(t *testing.T, r *apitest.Response) {
						p := r.Problem(t)
						p.WantField(t, "name", "required")
						p.WantField(t, "email", "invalid_format")
						p.WantField(t, "decision_role", "invalid_choice")
						p.WantField(t, "birthday", "invalid_format")
						p.WantField(t, "phone", "too_long")
					}},
				{Name: "invalid: unknown field", Method: "POST", URL: list, As: sales, Body: map[string]any{"name": "x", "customer_id": foreignCust.ID},
					Status: 422, Code: "validation_failed", Check: cxWantField("customer_id", "unknown_field")},
				{Name: "invalid: blank name", Method: "POST", URL: list, As: sales, Body: map[string]any{"name": "   "},
					Status: 422, Code: "validation_failed", Check: cxWantField("name", "required")},
				{Name: "success", Method: "POST", URL: list, As: sales, Status: 201,
					Body: map[string]any{"name": " 李雷 ", "title": "总工", "phone": "+86 138-0013-8000", "email": "lilei@example.com", "wechat": "lilei_wx",
						"birthday": "1985-06-01", "decision_role": "influencer", "notes": "技术把关"},
					Check: func(t *testing.T, r *apitest.Response) {
						var c cxContact
						r.JSON(t, &c)
						if c.Name != "李雷" || c.CustomerID != cust.ID || c.Phone != "+86 138-0013-8000" || c.Email != "lilei@example.com" ||
							c.Wechat != "lilei_wx" || c.Birthday == nil || *c.Birthday != "1985-06-01" || c.DecisionRole != "influencer" ||
							c.Notes != "技术把关" || c.Title != "总工" || c.IsPrimary || c.Version != 1 || c.CreatedAt.IsZero() {
							t.Errorf("created %+v", c)
						}
					}},
			})
		})

		t.Run("GET /contacts/{id}", func(t *testing.T) {
			env.Run(t, []apitest.Scenario{
				{Name: "no login", Method: "GET", URL: one, Status: 401, Code: "unauthenticated"},
				{Name: "other tenant", Method: "GET", URL: cxURL("contacts", foreignCt.ID.String()), As: owner, Status: 404, Code: "not_found"},
				{Name: "wrong role", Method: "GET", URL: one, As: finance, Status: 403, Code: "forbidden"},
				{Name: "not found", Method: "GET", URL: cxURL("contacts", missing), As: owner, Status: 404, Code: "not_found"},
				{Name: "not found: customer outside the data scope", Method: "GET", URL: one, As: colleague, Status: 404, Code: "not_found"},
				{Name: "invalid: malformed id names nothing", Method: "GET", URL: cxURL("contacts", "not-an-id"), As: owner, Status: 404, Code: "not_found"},
				{Name: "success", Method: "GET", URL: one, As: sales, Status: 200, Contains: []string{`"name":"王芳"`, `"title":"采购经理"`, `"customer_id":"` + cust.ID.String()}},
				{Name: "success: marketing reads", Method: "GET", URL: one, As: marketing, Status: 200},
			})
		})

		t.Run("PATCH /contacts/{id}", func(t *testing.T) {
			env.Run(t, []apitest.Scenario{
				{Name: "no login", Method: "PATCH", URL: one, Body: map[string]any{"version": 1, "title": "x"}, Status: 401, Code: "unauthenticated"},
				{Name: "other tenant", Method: "PATCH", URL: cxURL("contacts", foreignCt.ID.String()), As: owner, Body: map[string]any{"version": 1, "title": "x"}, Status: 404, Code: "not_found"},
				{Name: "wrong role", Method: "PATCH", URL: one, As: marketing, Body: map[string]any{"version": 1, "title": "x"}, Status: 403, Code: "forbidden"},
				{Name: "not found", Method: "PATCH", URL: cxURL("contacts", missing), As: owner, Body: map[string]any{"version": 1, "title": "x"}, Status: 404, Code: "not_found"},
				{Name: "not found: outside the data scope", Method: "PATCH", URL: one, As: colleague, Body: map[string]any{"version": 1, "title": "x"}, Status: 404, Code: "not_found"},
				{Name: "invalid: no version", Method: "PATCH", URL: one, As: sales, Body: map[string]any{"title": "x"}, Status: 422, Code: "validation_failed", Check: cxWantField("version", "required")},
				{Name: "invalid: fields", Method: "PATCH", URL: one, As: sales, Body: map[string]any{"version": 1, "name": " ", "email": "x", "decision_role": "king", "birthday": "2000-02-30"},
					Status: 422, Code: "validation_failed", Check: func(t *testing.T, r *apitest.Response) {
						p := r.Problem(t)
						p.WantField(t, "name", "required")
						p.WantField(t, "email", "invalid_format")
						p.WantField(t, "decision_role", "invalid_choice")
						p.WantField(t, "birthday", "invalid_format")
					}},
				{Name: "invalid: too long", Method: "PATCH", URL: one, As: sales, Body: map[string]any{"version": 1, "notes": strings.Repeat("注", 2001)}, Status: 422, Code: "validation_failed", Check: cxWantField("notes", "too_long")},
				{Name: "stale version", Method: "PATCH", URL: one, As: sales, Body: map[string]any{"version": 7, "title": "x"}, Status: 409, Code: "conflict"},
				{Name: "success", Method: "PATCH", URL: one, As: sales, Body: map[string]any{"version": 1, "title": "采购总监", "phone": "13900002222", "birthday": "1990-02-03", "decision_role": "decision_maker"},
					Status: 200, Check: func(t *testing.T, r *apitest.Response) {
						var c cxContact
						r.JSON(t, &c)
						if c.Title != "采购总监" || c.Phone != "13900002222" || c.Name != "王芳" || c.Version != 2 || c.DecisionRole != "decision_maker" ||
							c.Birthday == nil || *c.Birthday != "1990-02-03" {
							t.Errorf("patched %+v", c)
						}
					}},
				{Name: "success: null and empty values clear", Method: "PATCH", URL: one, As: sales, Body: map[string]any{"version": 2, "birthday": nil, "email": "", "decision_role": "", "wechat": ""},
					Status: 200, Contains: []string{`"birthday":null`, `"email":""`, `"decision_role":""`, `"version":3`, `"title":"采购总监"`}},
				{Name: "the old version is stale now", Method: "PATCH", URL: one, As: sales, Body: map[string]any{"version": 1, "title": "y"}, Status: 409, Code: "conflict"},
			})
		})

		t.Run("DELETE /contacts/{id}", func(t *testing.T) {
			env.Run(t, []apitest.Scenario{
				{Name: "no login", Method: "DELETE", URL: one, Status: 401, Code: "unauthenticated"},
				{Name: "other tenant", Method: "DELETE", URL: cxURL("contacts", foreignCt.ID.String()), As: owner, Status: 404, Code: "not_found"},
				// Salespeople create and edit contacts; deleting one is a manager's call.
				{Name: "wrong role", Method: "DELETE", URL: one, As: sales, Status: 403, Code: "forbidden"},
				{Name: "not found", Method: "DELETE", URL: cxURL("contacts", missing), As: owner, Status: 404, Code: "not_found"},
				{Name: "invalid: malformed id names nothing", Method: "DELETE", URL: cxURL("contacts", "42"), As: owner, Status: 404, Code: "not_found"},
				{Name: "success", Method: "DELETE", URL: one, As: owner, Status: 204},
				{Name: "gone for GET", Method: "GET", URL: one, As: owner, Status: 404, Code: "not_found"},
				{Name: "gone for PATCH", Method: "PATCH", URL: one, As: owner, Body: map[string]any{"version": 4, "title": "x"}, Status: 404, Code: "not_found"},
				{Name: "gone for DELETE", Method: "DELETE", URL: one, As: owner, Status: 404, Code: "not_found"},
				{Name: "gone from the list", Method: "GET", URL: list, As: sales, Status: 200, NotContains: []string{"王芳"}, Contains: []string{"李雷"}},
			})
			// The foreign tenant's contact was never touched.
			var c cxContact
			other.Owner.MustDo(t, "GET", cxURL("contacts", foreignCt.ID.String()), nil, 200, &c)
			if c.Name != "外人" || c.Version != 1 {
				t.Errorf("foreign contact %+v", c)
			}
		})

		t.Run("history and events", func(t *testing.T) {
			entries := cxAudit(t, env, acme.ID, "contact", ct.ID)
			var actions []string
			for _, e := range entries {
				actions = append(actions, e.Action)
				ch := e.Changes.Data()
				if p, ok := ch["phone"]; ok {
					for _, v := range p {
						if s, _ := v.(string); strings.Contains(s, "139") {
							t.Errorf("audit %s keeps the phone in clear: %v", e.Action, p)
						}
					}
				}
			}
			if strings.Join(actions, ",") != "create,update,update,delete" {
				t.Errorf("audit actions %v", actions)
			}
			if ch := entries[0].Changes.Data(); ch["customer_id"][1] != cust.ID.String() || ch["phone"][1] != "***" {
				t.Errorf("create entry %v", ch)
			}
			// A changed number shows as changed, masked on both sides.
			if ch := entries[1].Changes.Data(); ch["phone"] != [2]any{"***", "***"} || ch["title"] != [2]any{"采购经理", "采购总监"} {
				t.Errorf("update entry %v", ch)
			}
			if ch := entries[3].Changes.Data(); ch["deleted_at"][1] == nil {
				t.Errorf("delete entry %v", ch)
			}
			if entries[0].ActorID == nil || *entries[0].ActorID != sales.UserID || *entries[3].ActorID != owner.UserID {
				t.Errorf("actors %v %v", entries[0].ActorID, entries[3].ActorID)
			}
			evs := cxEvents(t, env, acme.ID, ct.ID)
			if got := strings.Join(cxEventTypes(evs), ","); got != "contact.created,contact.updated,contact.updated,contact.deleted" {
				t.Errorf("events %s", got)
			}
			for _, e := range evs {
				c, _ := e.Payload.Data()["contact"].(map[string]any)
				if e.Entity != "contact" || c == nil || c["customer_id"] != cust.ID.String() || strings.Contains(c["phone"].(string), "139") {
					t.Errorf("event %s: %v", e.Type, e.Payload.Data())
				}
			}
		})
	})
}

func TestPrimaryContact(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		cust := cxNewCustomer(t, sales, "主联系人测试", nil)
		otherCust := cxNewCustomer(t, sales, "另一家", nil)
		a := cxNewContact(t, sales, cust.ID, map[string]any{"name": "A", "is_primary": true})
		elsewhere := cxNewContact(t, sales, otherCust.ID, map[string]any{"name": "E", "is_primary": true})
		b := cxNewContact(t, sales, cust.ID, map[string]any{"name": "B"})

		primaries := func(want ...string) {
			t.Helper()
			var got []string
			for _, c := range cxContacts(t, sales, cust.ID) {
				if c.IsPrimary {
					got = append(got, c.Name)
				}
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("primary contacts %v, want %v", got, want)
			}
		}
		primaries("A")

		// A new primary contact takes the flag.
		c := cxNewContact(t, sales, cust.ID, map[string]any{"name": "C", "is_primary": true})
		primaries("C")
		list := cxContacts(t, sales, cust.ID)
		if list[0].Name != "C" || list[1].Name != "A" || list[2].Name != "B" {
			t.Errorf("the primary contact comes first, then oldest first: %v %v %v", list[0].Name, list[1].Name, list[2].Name)
		}
		var gotA cxContact
		sales.MustDo(t, "GET", cxURL("contacts", a.ID.String()), nil, 200, &gotA)
		if gotA.IsPrimary || gotA.Version != 2 {
			t.Errorf("A after C became primary: %+v", gotA)
		}
		if n := len(cxAudit(t, env, acme.ID, "contact", a.ID)); n != 2 {
			t.Errorf("A's losing the flag is audited: %d entries", n)
		}

		// PATCH makes B primary, taking it from C.
		var gotB cxContact
		sales.MustDo(t, "PATCH", cxURL("contacts", b.ID.String()), map[string]any{"version": b.Version, "is_primary": true}, 200, &gotB)
		if !gotB.IsPrimary {
			t.Errorf("B %+v", gotB)
		}
		primaries("B")
		// Setting it again changes nothing else; unsetting leaves no primary.
		sales.MustDo(t, "PATCH", cxURL("contacts", b.ID.String()), map[string]any{"version": gotB.Version, "is_primary": true}, 200, &gotB)
		primaries("B")
		sales.MustDo(t, "PATCH", cxURL("contacts", b.ID.String()), map[string]any{"version": gotB.Version, "is_primary": false}, 200, &gotB)
		primaries()
		// Deleting the primary contact leaves none.
		var gotC cxContact
		sales.MustDo(t, "GET", cxURL("contacts", c.ID.String()), nil, 200, &gotC)
		sales.MustDo(t, "PATCH", cxURL("contacts", c.ID.String()), map[string]any{"version": gotC.Version, "is_primary": true}, 200, nil)
		primaries("C")
		acme.Owner.MustDo(t, "DELETE", cxURL("contacts", c.ID.String()), nil, 204, nil)
		primaries()
		// The other customer's primary contact was never touched.
		var gotE cxContact
		sales.MustDo(t, "GET", cxURL("contacts", elsewhere.ID.String()), nil, 200, &gotE)
		if !gotE.IsPrimary || gotE.Version != 1 {
			t.Errorf("another customer's primary contact changed: %+v", gotE)
		}
		// At most one live primary per customer in the table itself.
		var n int64
		cxRead(t, env, acme.ID, func(tx *gorm.DB) error {
			return tx.Model(&customer.Contact{}).Where("customer_id = ? AND is_primary = ? AND deleted_at IS NULL", cust.ID, true).Count(&n).Error
		})
		if n != 0 {
			t.Errorf("%d primary contacts left", n)
		}
	})
}

func TestContactPaging(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		cust := cxNewCustomer(t, owner, "翻页", nil)
		var want []string
		for _, n := range []string{"c1", "c2", "c3", "c4", "c5"} {
			cxNewContact(t, owner, cust.ID, map[string]any{"name": n, "is_primary": n == "c3"})
		}
		want = []string{"c3", "c1", "c2", "c4", "c5"}
		var got []string
		u := cxURL("customers", cust.ID.String(), "contacts") + "?limit=2"
		next := u
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("paging does not end")
			}
			var p cxContactPage
			owner.MustDo(t, "GET", next, nil, 200, &p)
			for _, c := range p.Items {
				got = append(got, c.Name)
			}
			if p.NextCursor == nil {
				break
			}
			next = u + "&cursor=" + url.QueryEscape(*p.NextCursor)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("pages %v, want %v", got, want)
		}
	})
}

func TestContactPhoneSealedAndSearchable(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		colleague := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		cust := cxNewCustomer(t, sales, "手机号搜索", nil)
		cxNewCustomer(t, sales, "无关客户", nil)
		ct := cxNewContact(t, sales, cust.ID, map[string]any{"name": "赵六", "phone": "138-0013-8000"})
		// The same number in another tenant hashes differently and is never found from here.
		foreign := cxNewCustomer(t, other.Owner, "外企", nil)
		cxNewContact(t, other.Owner, foreign.ID, map[string]any{"name": "外人", "phone": "13800138000"})

		var row customer.Contact
		cxRead(t, env, acme.ID, func(tx *gorm.DB) error { return tx.Take(&row, "id = ?", ct.ID).Error })
		if row.PhoneEnc == "" || strings.Contains(row.PhoneEnc, "0013") || strings.Contains(row.PhoneEnc, "13800138000") {
			t.Errorf("phone at rest: %q", row.PhoneEnc)
		}
		if len(row.PhoneHash) != 64 || strings.Contains(row.PhoneHash, "13800138000") {
			t.Errorf("phone hash %q", row.PhoneHash)
		}

		search := func(as *apitest.Client, q string) []string {
			t.Helper()
			var p struct{ Items []cxCustomer }
			as.MustDo(t, "GET", "/api/v1/customers?q="+url.QueryEscape(q), nil, 200, &p)
			var names []string
			for _, c := range p.Items {
				names = append(names, c.Name)
			}
			return names
		}
		for _, q := range []string{"13800138000", "+86 138 0013 8000", "138-0013-8000"} {
			if got := search(sales, q); len(got) != 1 || got[0] != "手机号搜索" {
				t.Errorf("q=%q found %v", q, got)
			}
		}
		if got := search(colleague, "13800138000"); len(got) != 0 {
			t.Errorf("outside the data scope, q found %v", got)
		}
		if got := search(other.Owner, "13800138000"); len(got) != 1 || got[0] != "外企" {
			t.Errorf("other tenant found %v", got)
		}

		// A changed number is found by the new one only; a deleted contact's not at all.
		var c cxContact
		sales.MustDo(t, "PATCH", cxURL("contacts", ct.ID.String()), map[string]any{"version": 1, "phone": "021-5555 6666"}, 200, &c)
		if got := search(sales, "13800138000"); len(got) != 0 {
			t.Errorf("old number still finds %v", got)
		}
		if got := search(sales, "02155556666"); len(got) != 1 {
			t.Errorf("new number finds %v", got)
		}
		acme.Owner.MustDo(t, "DELETE", cxURL("contacts", ct.ID.String()), nil, 204, nil)
		if got := search(sales, "02155556666"); len(got) != 0 {
			t.Errorf("a deleted contact's number still finds %v", got)
		}
	})
}
