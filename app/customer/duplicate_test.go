package customer_test

// GET /customers/duplicates (CUS-7): possible duplicates by name, credit code, phone and a
// contact's phone, within the tenant only.

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
)

type cxDuplicate struct {
	ID      uuid.UUID `json:"id"`
	Name    string    `json:"name"`
	Matched []string  `json:"matched"`
}

func TestDuplicatesAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		colleague := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		finance := acme.AddUser(t, "finance")

		byName := cxNewCustomer(t, colleague, "深圳华强电子有限公司", map[string]any{"phone": "0755-8888 6666"})
		byCode := cxNewCustomer(t, sales, "华强(深圳)", map[string]any{"credit_code": "91440300MA5ABCDE1X"})
		byContact := cxNewCustomer(t, sales, "华强代理商", nil)
		cxNewContact(t, sales, byContact.ID, map[string]any{"name": "王芳", "phone": "+86 139 0000 1111"})
		gone := cxNewCustomer(t, sales, "已删除的华强", map[string]any{"phone": "13900001111"})
		owner.MustDo(t, "DELETE", cxURL("customers", gone.ID.String()), nil, 204, nil)
		deletedContactOf := cxNewCustomer(t, sales, "联系人已删", nil)
		dc := cxNewContact(t, sales, deletedContactOf.ID, map[string]any{"name": "离职", "phone": "13900001111"})
		owner.MustDo(t, "DELETE", cxURL("contacts", dc.ID.String()), nil, 204, nil)
		foreign := cxNewCustomer(t, other.Owner, "深圳华强电子有限公司", map[string]any{"phone": "13900001111", "credit_code": "91440300MA5ABCDE1X"})

		u := "/api/v1/customers/duplicates"
		q := func(kv ...string) string {
			v := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				v.Set(kv[i], kv[i+1])
			}
			return u + "?" + v.Encode()
		}
		dups := func(t *testing.T, r *apitest.Response) map[uuid.UUID][]string {
			t.Helper()
			var out struct{ Items []cxDuplicate }
			r.JSON(t, &out)
			m := map[uuid.UUID][]string{}
			for _, d := range out.Items {
				m[d.ID] = d.Matched
			}
			return m
		}
		want := func(expect map[uuid.UUID][]string) func(t *testing.T, r *apitest.Response) {
			return func(t *testing.T, r *apitest.Response) {
				t.Helper()
				got := dups(t, r)
				if len(got) != len(expect) {
					t.Errorf("duplicates %v, want %v (another tenant's: %s)", got, expect, foreign.ID)
				}
				for id, m := range expect {
					g := got[id]
					slices.Sort(g)
					slices.Sort(m)
					if !slices.Equal(g, m) {
						t.Errorf("%s matched %v, want %v", id, g, m)
					}
				}
			}
		}
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: q("name", "x"), Status: 401, Code: "unauthenticated"},
			{Name: "other tenant: its customers are not duplicates here", Method: "GET", URL: q("name", "深圳华强电子有限公司", "phone", "13900001111", "credit_code", "91440300MA5ABCDE1X"), As: other.Owner,
				Status: 200, Check: want(map[uuid.UUID][]string{foreign.ID: {"name", "phone", "credit_code"}}),
				NotContains: []string{byName.ID.String(), byCode.ID.String(), byContact.ID.String()}},
			{Name: "wrong role", Method: "GET", URL: q("name", "x"), As: finance, Status: 403, Code: "forbidden"},
			{Name: "not found: nothing matches", Method: "GET", URL: q("name", "没有这家"), As: owner, Status: 200, Contains: []string{`{"items":[]}`}},
			{Name: "invalid: no parameter", Method: "GET", URL: u, As: owner, Status: 422, Code: "validation_failed",
				Check: func(t *testing.T, r *apitest.Response) {
					p := r.Problem(t)
					for _, f := range []string{"name", "phone", "credit_code"} {
						p.WantField(t, f, "required")
					}
				}},
			{Name: "invalid: blank parameters", Method: "GET", URL: q("name", "  ", "phone", ""), As: owner, Status: 422, Code: "validation_failed"},
			{Name: "invalid: phone without digits", Method: "GET", URL: q("phone", "abc"), As: owner, Status: 422, Code: "validation_failed", Check: cxWantField("phone", "invalid_format")},
			{Name: "invalid: too long", Method: "GET", URL: q("name", strings.Repeat("长", 201)), As: owner, Status: 422, Code: "validation_failed", Check: cxWantField("name", "too_long")},
			{Name: "success: by name, across the data scopes of the tenant", Method: "GET", URL: q("name", "深圳华强电子有限公司"), As: sales, Status: 200,
				Check: want(map[uuid.UUID][]string{byName.ID: {"name"}})},
			{Name: "success: by credit code, case-insensitive", Method: "GET", URL: q("credit_code", "91440300ma5abcde1x"), As: sales, Status: 200,
				Check: want(map[uuid.UUID][]string{byCode.ID: {"credit_code"}})},
			{Name: "success: by phone, customer's and contacts', live ones only", Method: "GET", URL: q("phone", "139-0000-1111"), As: sales, Status: 200,
				Check: want(map[uuid.UUID][]string{byContact.ID: {"contact_phone"}})},
			{Name: "success: by the customer's own phone", Method: "GET", URL: q("phone", "075588886666"), As: sales, Status: 200,
				Check: want(map[uuid.UUID][]string{byName.ID: {"phone"}})},
			{Name: "success: several at once", Method: "GET", URL: q("name", "深圳华强电子有限公司", "credit_code", "91440300MA5ABCDE1X", "phone", "13900001111"), As: sales, Status: 200,
				Check: want(map[uuid.UUID][]string{byName.ID: {"name"}, byCode.ID: {"credit_code"}, byContact.ID: {"contact_phone"}})},
		})
	})
}
