package followup_test

// API scenarios of follow-ups (SAL-1), cadences and the task list (SAL-2) on both databases:
// every endpoint in the standard row order, the customer updated in the same transaction,
// audit and events, data scopes, the timeline, and the pool.

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/tenantctx"
)

type fuView struct {
	ID              uuid.UUID  `json:"id"`
	CustomerID      uuid.UUID  `json:"customer_id"`
	ContactID       *uuid.UUID `json:"contact_id"`
	OwnerID         uuid.UUID  `json:"owner_id"`
	Method          string     `json:"method"`
	OccurredAt      time.Time  `json:"occurred_at"`
	Content         string     `json:"content"`
	Outcome         string     `json:"outcome"`
	IntentClass     *string    `json:"intent_class"`
	NextFollowUpAt  *time.Time `json:"next_follow_up_at"`
	NextFromCadence bool       `json:"next_from_cadence"`
	DoneAt          *time.Time `json:"done_at"`
	DoneByID        *uuid.UUID `json:"done_by_id"`
}

type fuPage struct {
	Items      []fuView `json:"items"`
	NextCursor *string  `json:"next_cursor"`
}

type fuCustomer struct {
	ID             uuid.UUID  `json:"id"`
	Tier           string     `json:"tier"`
	IntentClass    *string    `json:"intent_class"`
	LastFollowUpAt *time.Time `json:"last_follow_up_at"`
	NextFollowUpAt *time.Time `json:"next_follow_up_at"`
	Version        int64      `json:"version"`
}

type fuTask struct {
	CustomerID     uuid.UUID `json:"customer_id"`
	CustomerName   string    `json:"customer_name"`
	NextFollowUpAt time.Time `json:"next_follow_up_at"`
}

type fuTasks struct {
	DueToday     []fuTask         `json:"due_today"`
	Overdue      []fuTask         `json:"overdue"`
	Upcoming     []fuTask         `json:"upcoming"`
	PoolWarnings []map[string]any `json:"pool_warnings"`
	Approvals    []map[string]any `json:"approvals"`
}

func fuNewCustomer(t testing.TB, as *apitest.Client, name string, extra map[string]any) fuCustomer {
	t.Helper()
	body := map[string]any{"type": "enterprise", "name": name}
	for k, v := range extra {
		body[k] = v
	}
	var c fuCustomer
	as.MustDo(t, "POST", "/api/v1/customers", body, 201, &c)
	return c
}

func fuGetCustomer(t testing.TB, as *apitest.Client, id uuid.UUID) fuCustomer {
	t.Helper()
	var c fuCustomer
	as.MustDo(t, "GET", "/api/v1/customers/"+id.String(), nil, 200, &c)
	return c
}

func fuLog(t testing.TB, as *apitest.Client, customer uuid.UUID, body map[string]any) fuView {
	t.Helper()
	var v fuView
	as.MustDo(t, "POST", "/api/v1/customers/"+customer.String()+"/follow-ups", body, 201, &v)
	return v
}

func TestFollowUpAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		clerk := acme.AddUser(t, "warehouse")
		cust := fuNewCustomer(t, sales, "跟进测试有限公司", map[string]any{"tier": "key"})
		var contact struct{ ID uuid.UUID }
		sales.MustDo(t, "POST", "/api/v1/customers/"+cust.ID.String()+"/contacts", map[string]any{"name": "李四"}, 201, &contact)
		otherCust := fuNewCustomer(t, sales, "另一家公司", nil)
		var otherContact struct{ ID uuid.UUID }
		sales.MustDo(t, "POST", "/api/v1/customers/"+otherCust.ID.String()+"/contacts", map[string]any{"name": "王五"}, 201, &otherContact)
		url := "/api/v1/customers/" + cust.ID.String() + "/follow-ups"
		missing := "/api/v1/customers/" + uuid.Must(uuid.NewV7()).String() + "/follow-ups"
		next := time.Now().UTC().Add(72 * time.Hour).Truncate(time.Second)
		good := map[string]any{"method": "phone", "content": "介绍了新产品", "outcome": "客户有兴趣", "intent_class": "A",
			"contact_id": contact.ID, "next_follow_up_at": next}
		var logged fuView
		env.Run(t, []apitest.Scenario{
			{Name: "log: no login", Method: "POST", URL: url, Body: good, Status: 401, Code: "unauthenticated"},
			{Name: "log: other tenant", Method: "POST", URL: url, Body: good, As: other.Owner, Status: 404, Code: "not_found"},
			{Name: "log: wrong role", Method: "POST", URL: url, Body: good, As: clerk, Status: 403, Code: "forbidden"},
			{Name: "log: not found", Method: "POST", URL: missing, Body: good, As: sales, Status: 404, Code: "not_found"},
			{Name: "log: invalid method", Method: "POST", URL: url, Body: map[string]any{"method": "telepathy", "content": "x"}, As: sales, Status: 422, Code: "validation_failed"},
			{Name: "log: blank content", Method: "POST", URL: url, Body: map[string]any{"method": "phone", "content": "   "}, As: sales, Status: 422, Code: "validation_failed"},
			{Name: "log: in the future", Method: "POST", URL: url, Body: map[string]any{"method": "phone", "content": "x", "occurred_at": time.Now().Add(time.Hour)}, As: sales, Status: 422, Code: "validation_failed"},
			{Name: "log: next before occurred", Method: "POST", URL: url, Body: map[string]any{"method": "phone", "content": "x", "next_follow_up_at": time.Now().Add(-time.Hour)}, As: sales, Status: 422, Code: "validation_failed"},
			{Name: "log: contact of another customer", Method: "POST", URL: url, Body: map[string]any{"method": "phone", "content": "x", "contact_id": otherContact.ID}, As: sales, Status: 422, Code: "validation_failed"},
			{Name: "log: bad intent class", Method: "POST", URL: url, Body: map[string]any{"method": "phone", "content": "x", "intent_class": "D"}, As: sales, Status: 422, Code: "validation_failed"},
			{Name: "log: success", Method: "POST", URL: url, Body: good, As: sales, Status: 201, Check: func(t *testing.T, r *apitest.Response) {
				r.JSON(t, &logged)
				if logged.Method != "phone" || logged.OwnerID != sales.UserID || logged.ContactID == nil || *logged.ContactID != contact.ID ||
					logged.NextFollowUpAt == nil || !logged.NextFollowUpAt.Equal(next) || logged.NextFromCadence {
					t.Errorf("logged %+v", logged)
				}
			}},
		})
		// Nothing was half-written by the refused requests: exactly one follow-up exists.
		if n := env.CountRows(t, "follow_ups", "tenant_id = ?", acme.ID); n != 1 {
			t.Fatalf("follow-ups in the tenant: %d, want 1", n)
		}
		c := fuGetCustomer(t, sales, cust.ID)
		if c.LastFollowUpAt == nil || c.NextFollowUpAt == nil || !c.NextFollowUpAt.Equal(next) || c.IntentClass == nil || *c.IntentClass != "A" {
			t.Fatalf("customer after the follow-up: %+v", c)
		}
		if n := env.CountRows(t, "audit_log", "tenant_id = ? AND entity = ? AND entity_id = ?", acme.ID, "followup", logged.ID.String()); n != 1 {
			t.Errorf("audit entries of the follow-up: %d", n)
		}
		if n := env.CountRows(t, "outbox", "tenant_id = ? AND type = ? AND entity_id = ?", acme.ID, "followup.logged", logged.ID); n != 1 {
			t.Errorf("followup.logged events: %d", n)
		}

		listURL := url
		env.Run(t, []apitest.Scenario{
			{Name: "customer list: no login", Method: "GET", URL: listURL, Status: 401, Code: "unauthenticated"},
			{Name: "customer list: other tenant", Method: "GET", URL: listURL, As: other.Owner, Status: 404, Code: "not_found"},
			{Name: "customer list: wrong role", Method: "GET", URL: listURL, As: clerk, Status: 403, Code: "forbidden"},
			{Name: "customer list: not found", Method: "GET", URL: missing, As: sales, Status: 404, Code: "not_found"},
			{Name: "customer list: invalid limit", Method: "GET", URL: listURL + "?limit=500", As: sales, Status: 422, Code: "validation_failed"},
			{Name: "customer list: success", Method: "GET", URL: listURL, As: sales, Status: 200, Contains: []string{logged.ID.String(), "介绍了新产品"}},
		})

		env.Run(t, []apitest.Scenario{
			{Name: "list: no login", Method: "GET", URL: "/api/v1/follow-ups", Status: 401, Code: "unauthenticated"},
			{Name: "list: other tenant sees none of it", Method: "GET", URL: "/api/v1/follow-ups", As: other.Owner, Status: 200, NotContains: []string{logged.ID.String()}},
			{Name: "list: wrong role", Method: "GET", URL: "/api/v1/follow-ups", As: clerk, Status: 403, Code: "forbidden"},
			{Name: "list: unknown owner finds nothing", Method: "GET", URL: "/api/v1/follow-ups?owner_id=" + uuid.NewString(), As: acme.Owner, Status: 200, NotContains: []string{logged.ID.String()}},
			{Name: "list: invalid due", Method: "GET", URL: "/api/v1/follow-ups?due=someday", As: sales, Status: 422, Code: "validation_failed"},
			{Name: "list: invalid owner", Method: "GET", URL: "/api/v1/follow-ups?owner_id=nope", As: sales, Status: 422, Code: "validation_failed"},
			{Name: "list: success", Method: "GET", URL: "/api/v1/follow-ups?owner_id=" + sales.UserID.String(), As: acme.Owner, Status: 200, Contains: []string{logged.ID.String()}},
			{Name: "list: due this week", Method: "GET", URL: "/api/v1/follow-ups?due=week", As: sales, Status: 200, Contains: []string{logged.ID.String()}},
			{Name: "list: nothing overdue", Method: "GET", URL: "/api/v1/follow-ups?due=overdue", As: sales, Status: 200, NotContains: []string{logged.ID.String()}},
		})

		env.Run(t, []apitest.Scenario{
			{Name: "tasks: no login", Method: "GET", URL: "/api/v1/me/tasks", Status: 401, Code: "unauthenticated"},
			{Name: "tasks: another tenant's owner has none of it", Method: "GET", URL: "/api/v1/me/tasks", As: other.Owner, Status: 200, NotContains: []string{cust.ID.String()}},
			{Name: "tasks: success", Method: "GET", URL: "/api/v1/me/tasks", As: sales, Status: 200, Check: func(t *testing.T, r *apitest.Response) {
				var ts fuTasks
				r.JSON(t, &ts)
				if len(ts.Upcoming) != 1 || ts.Upcoming[0].CustomerID != cust.ID || ts.Approvals == nil || ts.PoolWarnings == nil || ts.DueToday == nil || ts.Overdue == nil {
					t.Errorf("tasks %s", r.Body)
				}
			}},
		})

		// The next follow-up closes the earlier plan and takes its place.
		second := fuLog(t, sales, cust.ID, map[string]any{"method": "visit", "content": "上门拜访"})
		var page fuPage
		sales.MustDo(t, "GET", url, nil, 200, &page)
		if len(page.Items) != 2 || page.Items[0].ID != second.ID {
			t.Fatalf("customer's follow-ups, latest first: %+v", page.Items)
		}
		if page.Items[1].DoneAt == nil || page.Items[1].DoneByID == nil || *page.Items[1].DoneByID != second.ID {
			t.Errorf("first plan not closed by the second follow-up: %+v", page.Items[1])
		}
		sales.MustDo(t, "GET", "/api/v1/follow-ups?due=week", nil, 200, &page)
		for _, it := range page.Items {
			if it.ID == logged.ID {
				t.Errorf("a closed plan is still listed as due")
			}
		}
	})
}

func TestFollowUpCadenceAndTasks(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		key := fuNewCustomer(t, sales, "重点客户", map[string]any{"tier": "key"})
		general := fuNewCustomer(t, sales, "一般客户", map[string]any{"tier": "general"})
		prospect := fuNewCustomer(t, sales, "意向客户", map[string]any{"stage": "prospect"})

		at := env.Clock().Now().Add(-time.Hour).Truncate(time.Second)
		cases := []struct {
			c      fuCustomer
			intent any
			days   int
		}{{key, nil, 7}, {general, nil, 30}, {prospect, "A", 7}}
		for _, tc := range cases {
			body := map[string]any{"method": "phone", "content": "例行跟进", "occurred_at": at}
			if tc.intent != nil {
				body["intent_class"] = tc.intent
			}
			f := fuLog(t, sales, tc.c.ID, body)
			want := at.AddDate(0, 0, tc.days)
			if f.NextFollowUpAt == nil || !f.NextFollowUpAt.Equal(want) || !f.NextFromCadence {
				t.Errorf("%s: next %v (from cadence %v), want %v", tc.c.ID, f.NextFollowUpAt, f.NextFromCadence, want)
			}
			if c := fuGetCustomer(t, sales, tc.c.ID); c.NextFollowUpAt == nil || !c.NextFollowUpAt.Equal(want) {
				t.Errorf("customer's next follow-up %v, want %v", c.NextFollowUpAt, want)
			}
		}
		// A tenant's own cadence applies: key customers every three days.
		acme.Owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"cadences": map[string]any{"key": 3}}, 200, nil)
		f := fuLog(t, sales, key.ID, map[string]any{"method": "wechat", "content": "微信沟通", "occurred_at": at})
		if want := at.AddDate(0, 0, 3); f.NextFollowUpAt == nil || !f.NextFollowUpAt.Equal(want) {
			t.Errorf("tenant cadence: next %v, want %v", f.NextFollowUpAt, want)
		}

		tasks := func() fuTasks {
			var ts fuTasks
			sales.MustDo(t, "GET", "/api/v1/me/tasks", nil, 200, &ts)
			return ts
		}
		has := func(list []fuTask, id uuid.UUID) bool {
			for _, x := range list {
				if x.CustomerID == id {
					return true
				}
			}
			return false
		}
		ts := tasks()
		if !has(ts.Upcoming, key.ID) || !has(ts.Upcoming, prospect.ID) || has(ts.Upcoming, general.ID) || len(ts.Overdue) != 0 {
			t.Fatalf("tasks now: %+v", ts)
		}
		// Four days later (Asia/Shanghai days) the key customer is overdue; eight days later the
		// A-class prospect too, and the general customer still lies ahead.
		env.Clock().Advance(4*24*time.Hour + time.Hour)
		ts = tasks()
		if !has(ts.Overdue, key.ID) || has(ts.Overdue, prospect.ID) {
			t.Errorf("tasks after 4 days: %+v", ts)
		}
		env.Clock().Advance(4 * 24 * time.Hour)
		ts = tasks()
		if !has(ts.Overdue, key.ID) || !has(ts.Overdue, prospect.ID) || has(ts.Overdue, general.ID) {
			t.Errorf("tasks after 8 days: %+v", ts)
		}
		var page fuPage
		sales.MustDo(t, "GET", "/api/v1/follow-ups?due=overdue", nil, 200, &page)
		if len(page.Items) != 2 {
			t.Errorf("overdue plans: %d, want 2 (key and prospect)", len(page.Items))
		}
	})
}

func TestFollowUpDataScopeTimelineAndPool(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		manager := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")
		alice := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &manager.UserID}, "salesperson")
		bob := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales", ManagerID: &manager.UserID}, "salesperson")
		cust := fuNewCustomer(t, alice, "爱丽丝的客户", nil)
		f := fuLog(t, alice, cust.ID, map[string]any{"method": "email", "content": "发送了报价单"})
		url := "/api/v1/customers/" + cust.ID.String() + "/follow-ups"
		env.Run(t, []apitest.Scenario{
			{Name: "a colleague cannot see the customer's follow-ups", Method: "GET", URL: url, As: bob, Status: 404, Code: "not_found"},
			{Name: "nor list them", Method: "GET", URL: "/api/v1/follow-ups", As: bob, Status: 200, NotContains: []string{f.ID.String()}},
			{Name: "nor log one", Method: "POST", URL: url, Body: map[string]any{"method": "phone", "content": "x"}, As: bob, Status: 404, Code: "not_found"},
			{Name: "their manager sees them", Method: "GET", URL: url, As: manager, Status: 200, Contains: []string{f.ID.String()}},
			{Name: "and lists them", Method: "GET", URL: "/api/v1/follow-ups?owner_id=" + alice.UserID.String(), As: manager, Status: 200, Contains: []string{f.ID.String()}},
			{Name: "the timeline shows the follow-up", Method: "GET", URL: "/api/v1/customers/" + cust.ID.String() + "/timeline", As: alice, Status: 200,
				Contains: []string{`"kind":"follow_up"`, f.ID.String(), "Follow-up by email: 发送了报价单"}},
		})
		// A customer in the public pool is claimed before it is followed up.
		alice.MustDo(t, "POST", "/api/v1/customers/"+cust.ID.String()+"/release", map[string]any{"reason": "不再跟进"}, 200, nil)
		r := bob.Do(t, "POST", url, map[string]any{"method": "phone", "content": "x"})
		if r.Status != 409 || r.Problem(t).Code != "conflict" || !strings.Contains(string(r.Body), "claim it before following up") {
			t.Fatalf("follow-up of a pool customer: %d %s", r.Status, r.Body)
		}
		if n := env.CountRows(t, "follow_ups", "tenant_id = ? AND customer_id = ?", acme.ID, cust.ID); n != 1 {
			t.Errorf("follow-ups after the refused one: %d", n)
		}
	})
}

// The task list carries the pool warnings of the customers the user still holds.
func TestTasksShowPoolWarnings(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		colleague := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		idle := fuNewCustomer(t, sales, "久未跟进公司", nil)
		// Default rules: other customers go to the pool after 15 idle days, warned 3 days ahead.
		env.Clock().Advance(13 * 24 * time.Hour)
		ctx := tenantctx.WithTenant(context.Background(), acme.ID)
		run, err := env.Server.Customers.RecycleIdleCustomers(ctx, env.Clock().Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(run.Warned) != 1 || run.Warned[0] != idle.ID {
			t.Fatalf("warned %v, want the idle customer", run.Warned)
		}
		var ts fuTasks
		sales.MustDo(t, "GET", "/api/v1/me/tasks", nil, 200, &ts)
		if len(ts.PoolWarnings) != 1 || ts.PoolWarnings[0]["customer_id"] != idle.ID.String() || ts.PoolWarnings[0]["due_on"] == "" {
			t.Errorf("pool warnings %+v", ts.PoolWarnings)
		}
		colleague.MustDo(t, "GET", "/api/v1/me/tasks", nil, 200, &ts)
		if len(ts.PoolWarnings) != 0 {
			t.Errorf("a colleague sees another's pool warnings: %+v", ts.PoolWarnings)
		}
	})
}

// Merging customers keeps the merged one's follow-ups with the customer it merged into.
func TestFollowUpsMoveWithAMerge(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		into := fuNewCustomer(t, acme.Owner, "合并目标公司", nil)
		from := fuNewCustomer(t, acme.Owner, "被合并公司", nil)
		f := fuLog(t, acme.Owner, from.ID, map[string]any{"method": "visit", "content": "拜访被合并公司"})
		acme.Owner.MustDo(t, "POST", "/api/v1/customers/"+into.ID.String()+"/merge", map[string]any{"from_id": from.ID}, 200, nil)
		var page fuPage
		acme.Owner.MustDo(t, "GET", "/api/v1/customers/"+into.ID.String()+"/follow-ups", nil, 200, &page)
		if len(page.Items) != 1 || page.Items[0].ID != f.ID || page.Items[0].CustomerID != into.ID {
			t.Errorf("follow-ups of the merged customer: %+v", page.Items)
		}
	})
}
