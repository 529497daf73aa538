package customer_test

// POST /customers/{id}/merge (CUS-7): contacts and later modules' records move to the
// survivor, its empty fields are filled, tags united, the duplicate lands in the recycle bin.

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/problem"
)

// cxHooks lets a test watch or fail merges of customers it names; merges of others pass.
var cxHooks = struct {
	mu    sync.Mutex
	seen  map[uuid.UUID]uuid.UUID // from → into
	fail  map[uuid.UUID]bool
	moved map[uuid.UUID]bool // from IDs whose hook saw the contacts already moved
}{seen: map[uuid.UUID]uuid.UUID{}, fail: map[uuid.UUID]bool{}, moved: map[uuid.UUID]bool{}}

func cxRegisterMergeHook(env *apitest.Env) {
	svc := env.Server.Customers
	svc.MergeHooks = append(svc.MergeHooks, func(ctx context.Context, tx *gorm.DB, from, into uuid.UUID) error {
		cxHooks.mu.Lock()
		defer cxHooks.mu.Unlock()
		if cxHooks.fail[from] {
			return problem.New(problem.Conflict, "version_conflict")
		}
		cxHooks.seen[from] = into
		var n int64
		if err := tx.Model(&customer.Contact{}).Where("customer_id = ?", from).Count(&n).Error; err != nil {
			return err
		}
		cxHooks.moved[from] = n == 0
		return nil
	})
}

func TestMergeCustomers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		cxRegisterMergeHook(env)
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		manager := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
		service := acme.AddUserWith(t, apitest.UserOpts{Department: "Customer service"}, "customer_service")
		marketing := acme.AddUser(t, "marketing")
		missing := uuid.Must(uuid.NewV7())

		into := cxNewCustomer(t, sales, "华强电子", map[string]any{"email": "a@huaqiang.example.com", "tags": []string{"VIP"},
			"profile": map[string]any{"basic": map[string]string{"founded": "1995", "assets": ""}}})
		from := cxNewCustomer(t, sales, "华强电子", map[string]any{"allow_duplicate": true, "industry": "电子制造", "email": "b@huaqiang.example.com",
			"phone": "0755-1234 5678", "tags": []string{"电子", "VIP"}, "short_name": "华强",
			"address": map[string]any{"province": "广东省", "city": "深圳市", "street": "华强北路1号"},
			"profile": map[string]any{"basic": map[string]string{"founded": "1996", "assets": "厂房两处", "education": "硕士"}}})
		a1 := cxNewContact(t, sales, into.ID, map[string]any{"name": "甲", "is_primary": true})
		b1 := cxNewContact(t, sales, from.ID, map[string]any{"name": "乙", "is_primary": true, "phone": "13700001111"})
		b2 := cxNewContact(t, sales, from.ID, map[string]any{"name": "丙"})
		b3 := cxNewContact(t, sales, from.ID, map[string]any{"name": "丁"})
		owner.MustDo(t, "DELETE", cxURL("contacts", b3.ID.String()), nil, 204, nil)
		hidden := cxNewCustomer(t, service, "客服的客户", nil)
		foreign := cxNewCustomer(t, other.Owner, "外企", nil)

		u := cxURL("customers", into.ID.String(), "merge")
		body := map[string]any{"from_id": from.ID}
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: u, Body: body, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant: from_id", Method: "POST", URL: u, As: owner, Body: map[string]any{"from_id": foreign.ID}, Status: 404, Code: "not_found"},
			{Name: "other tenant: survivor", Method: "POST", URL: cxURL("customers", foreign.ID.String(), "merge"), As: owner, Body: body, Status: 404, Code: "not_found"},
			{Name: "wrong role: update without delete", Method: "POST", URL: u, As: sales, Body: body, Status: 403, Code: "forbidden"},
			{Name: "wrong role: no update", Method: "POST", URL: u, As: marketing, Body: body, Status: 403, Code: "forbidden"},
			{Name: "not found: survivor", Method: "POST", URL: cxURL("customers", missing.String(), "merge"), As: owner, Body: body, Status: 404, Code: "not_found"},
			{Name: "not found: from_id", Method: "POST", URL: u, As: owner, Body: map[string]any{"from_id": missing}, Status: 404, Code: "not_found"},
			{Name: "not found: from_id outside the data scope", Method: "POST", URL: u, As: manager, Body: map[string]any{"from_id": hidden.ID}, Status: 404, Code: "not_found"},
			{Name: "invalid: into itself", Method: "POST", URL: u, As: owner, Body: map[string]any{"from_id": into.ID}, Status: 422, Code: "validation_failed", Check: cxWantField("from_id", "invalid")},
			{Name: "invalid: no from_id", Method: "POST", URL: u, As: owner, Body: map[string]any{}, Status: 422, Code: "validation_failed", Check: cxWantField("from_id", "required")},
			{Name: "invalid: malformed from_id", Method: "POST", URL: u, As: owner, Body: map[string]any{"from_id": "nope"}, Status: 422, Code: "validation_failed", Check: cxWantField("from_id", "invalid_format")},
			{Name: "success", Method: "POST", URL: u, As: manager, Body: body, Status: 200, Check: func(t *testing.T, r *apitest.Response) {
				var c cxCustomer
				r.JSON(t, &c)
				if c.ID != into.ID || c.Name != "华强电子" || c.Version != into.Version+1 {
					t.Errorf("survivor %+v", c)
				}
				// Empty fields filled, set ones kept, tags united, sealed values re-sealed for the survivor.
				if c.Industry != "电子制造" || c.ShortName != "华强" || c.Email != "a@huaqiang.example.com" || c.Phone != "0755-1234 5678" {
					t.Errorf("fields %+v", c)
				}
				if c.Address.Province != "广东省" || c.Address.City != "深圳市" || c.Address.Street != "华强北路1号" {
					t.Errorf("address %+v", c.Address)
				}
				if !slices.Equal(c.Tags, []string{"VIP", "电子"}) {
					t.Errorf("tags %v", c.Tags)
				}
				if !strings.Contains(string(r.Body), `"basic":{"assets":"厂房两处","education":"硕士","founded":"1995"}`) {
					t.Errorf("profile: %s", r.Body)
				}
			}},
			{Name: "the merged customer is gone", Method: "GET", URL: cxURL("customers", from.ID.String()), As: owner, Status: 404, Code: "not_found"},
			{Name: "and cannot be merged again", Method: "POST", URL: u, As: owner, Body: body, Status: 404, Code: "not_found"},
		})

		t.Run("contacts moved, one primary", func(t *testing.T) {
			var names []string
			primaries := 0
			for _, c := range cxContacts(t, owner, into.ID) {
				names = append(names, c.Name)
				if c.IsPrimary {
					primaries++
					if c.ID != a1.ID {
						t.Errorf("primary contact %s", c.Name)
					}
				}
			}
			slices.Sort(names)
			if strings.Join(names, ",") != "丙,乙,甲" || primaries != 1 {
				t.Errorf("survivor's contacts %v, %d primary", names, primaries)
			}
			var c cxContact
			owner.MustDo(t, "GET", cxURL("contacts", b1.ID.String()), nil, 200, &c)
			if c.CustomerID != into.ID || c.IsPrimary || c.Phone != "13700001111" {
				t.Errorf("moved contact %+v", c)
			}
			for _, id := range []uuid.UUID{b1.ID, b2.ID, b3.ID} {
				es := cxAudit(t, env, acme.ID, "contact", id)
				if last := es[len(es)-1]; last.Action != "merge" || last.Changes.Data()["customer_id"] != [2]any{from.ID.String(), into.ID.String()} {
					t.Errorf("contact %s: last audit %s %v", id, last.Action, last.Changes.Data())
				}
			}
			// The moved contact's phone now finds the survivor.
			var p struct{ Items []cxCustomer }
			owner.MustDo(t, "GET", "/api/v1/customers?q=13700001111", nil, 200, &p)
			if len(p.Items) != 1 || p.Items[0].ID != into.ID {
				t.Errorf("search by a moved contact's phone: %+v", p.Items)
			}
		})

		t.Run("the merged customer is in the recycle bin with a note", func(t *testing.T) {
			var bin struct{ Items []cxCustomer }
			owner.MustDo(t, "GET", "/api/v1/customers?deleted=true&limit=200", nil, 200, &bin)
			found := false
			for _, c := range bin.Items {
				found = found || c.ID == from.ID
			}
			if !found {
				t.Errorf("recycle bin lacks the merged customer")
			}
			es := cxAudit(t, env, acme.ID, "customer", from.ID)
			note := es[len(es)-1]
			if ch := note.Changes.Data(); note.Action != "merge" || ch["merged_into"][1] != into.ID.String() || ch["deleted_at"][1] == nil {
				t.Errorf("merged customer's last entry %s %v", note.Action, ch)
			}
			es = cxAudit(t, env, acme.ID, "customer", into.ID)
			note = es[len(es)-1]
			ch := note.Changes.Data()
			if note.Action != "merge" || ch["merged_from"][1] != from.ID.String() || ch["industry"] != [2]any{"", "电子制造"} || ch["phone"] != [2]any{"", "***"} {
				t.Errorf("survivor's last entry %s %v", note.Action, ch)
			}
			if note.ActorID == nil || *note.ActorID != manager.UserID {
				t.Errorf("merge actor %v", note.ActorID)
			}
			if _, ok := ch["email"]; ok {
				t.Errorf("the survivor's email was overwritten: %v", ch["email"])
			}
			evs := cxEventTypes(cxEvents(t, env, acme.ID, into.ID))
			if evs[len(evs)-1] != "customer.merged" {
				t.Errorf("survivor's events %v", evs)
			}
			evs = cxEventTypes(cxEvents(t, env, acme.ID, from.ID))
			if evs[len(evs)-1] != "customer.deleted" {
				t.Errorf("merged customer's events %v", evs)
			}
			// Restored from the bin, it is a customer again, without the contacts it gave away.
			owner.MustDo(t, "POST", cxURL("customers", from.ID.String(), "restore"), nil, 200, nil)
			if got := cxContacts(t, owner, from.ID); len(got) != 0 {
				t.Errorf("restored customer's contacts %v", got)
			}
		})

		t.Run("hooks run in the merge's transaction", func(t *testing.T) {
			cxHooks.mu.Lock()
			got, moved := cxHooks.seen[from.ID], cxHooks.moved[from.ID]
			cxHooks.mu.Unlock()
			if got != into.ID || !moved {
				t.Errorf("hook saw %s → %s (contacts moved first: %v)", from.ID, got, moved)
			}
			// A failing hook rolls the whole merge back.
			x := cxNewCustomer(t, owner, "回滚甲", nil)
			y := cxNewCustomer(t, owner, "回滚乙", map[string]any{"industry": "化工"})
			yc := cxNewContact(t, owner, y.ID, map[string]any{"name": "留下"})
			cxHooks.mu.Lock()
			cxHooks.fail[y.ID] = true
			cxHooks.mu.Unlock()
			owner.MustDo(t, "POST", cxURL("customers", x.ID.String(), "merge"), map[string]any{"from_id": y.ID}, 409, nil)
			var c cxContact
			owner.MustDo(t, "GET", cxURL("contacts", yc.ID.String()), nil, 200, &c)
			var gotX cxCustomer
			owner.MustDo(t, "GET", cxURL("customers", x.ID.String()), nil, 200, &gotX)
			owner.MustDo(t, "GET", cxURL("customers", y.ID.String()), nil, 200, nil)
			if c.CustomerID != y.ID || gotX.Industry != "" || gotX.Version != x.Version {
				t.Errorf("after a failed merge: contact on %s, survivor %+v", c.CustomerID, gotX)
			}
		})

		t.Run("another tenant is untouched", func(t *testing.T) {
			var c cxCustomer
			other.Owner.MustDo(t, "GET", cxURL("customers", foreign.ID.String()), nil, 200, &c)
			if c.Version != 1 {
				t.Errorf("foreign customer %+v", c)
			}
			var p struct{ Items []cxCustomer }
			other.Owner.MustDo(t, "GET", "/api/v1/customers?q="+url.QueryEscape("13700001111"), nil, 200, &p)
			if len(p.Items) != 0 {
				t.Errorf("other tenant finds %v", p.Items)
			}
		})
	})
}
