package customer_test

import (
	"testing"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/policies"
)

// TestAPI1PoolClaimCoversEveryChange (OWASP API1): a customer in the public pool is changed
// only by whoever claims it first (or a manager with customer:assign) — its contacts,
// classification and merges as much as its own fields. Every such attempt answers 409 with the
// pool_claim_first message and, re-read, nothing changed; once claimed, the same changes work.
func TestAPI1PoolClaimCoversEveryChange(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		// A role that may merge (customer:delete) but not assign.
		owner.MustDo(t, "PUT", "/api/v1/roles/data_steward", map[string]any{"name": "数据管理员", "data_scope": "all", "permissions": []policies.Perm{
			{Object: "customer", Action: "create"}, {Object: "customer", Action: "read"}, {Object: "customer", Action: "update"}, {Object: "customer", Action: "delete"},
			{Object: "contact", Action: "*"}}}, 200, nil)
		steward := acme.AddUser(t, "data_steward")
		sales2 := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")

		pooled := plCreate(t, sales, map[string]any{"name": "公海客户 声明规则"})
		ct := cxNewContact(t, sales, pooled.ID, map[string]any{"name": "张三"})
		kept := plCreate(t, steward, map[string]any{"name": "合并目标 声明规则"})
		sales.MustDo(t, "POST", plURL(pooled.ID, "release"), map[string]any{"reason": "无意向"}, 200, nil)
		var before plCustomer
		owner.MustDo(t, "GET", "/api/v1/customers/"+pooled.ID.String(), nil, 200, &before)

		claimFirst := func(name string, as *apitest.Client, method, url string, body any) {
			t.Helper()
			r := as.Do(t, method, url, body)
			if r.Status != 409 {
				t.Errorf("%s: %d %s, want 409", name, r.Status, r.Body)
				return
			}
			if p := r.Problem(t); p.Code != "conflict" || p.Detail != problem.Message("en", "pool_claim_first") {
				t.Errorf("%s: %+v, want pool_claim_first", name, p)
			}
		}
		claimFirst("create a contact", sales, "POST", cxURL("customers", pooled.ID.String(), "contacts"), map[string]any{"name": "李四"})
		claimFirst("update a contact", sales, "PATCH", cxURL("contacts", ct.ID.String()), map[string]any{"version": ct.Version, "name": "张三丰"})
		claimFirst("delete a contact", steward, "DELETE", cxURL("contacts", ct.ID.String()), nil)
		claimFirst("re-classify", sales, "POST", plURL(pooled.ID, "classify"), nil)
		claimFirst("merge the pool customer away", steward, "POST", cxURL("customers", kept.ID.String(), "merge"), map[string]any{"from_id": pooled.ID})

		var after plCustomer
		owner.MustDo(t, "GET", "/api/v1/customers/"+pooled.ID.String(), nil, 200, &after)
		if after.Version != before.Version || !after.InPool || after.Tier != before.Tier || !after.Classification.At.Equal(before.Classification.At) {
			t.Errorf("pool customer changed: %+v → %+v", before, after)
		}
		if cs := cxContacts(t, owner, pooled.ID); len(cs) != 1 || cs[0].Name != "张三" || cs[0].Version != ct.Version {
			t.Errorf("contacts changed: %+v", cs)
		}

		// Claimed, a colleague works the customer as their own.
		sales2.MustDo(t, "POST", plURL(pooled.ID, "claim"), map[string]any{"version": after.Version}, 200, nil)
		cxNewContact(t, sales2, pooled.ID, map[string]any{"name": "李四"})
		sales2.MustDo(t, "PATCH", cxURL("contacts", ct.ID.String()), map[string]any{"version": ct.Version, "name": "张三丰"}, 200, nil)
		sales2.MustDo(t, "POST", plURL(pooled.ID, "classify"), nil, 200, nil)
	})
}
