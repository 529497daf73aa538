package customer_test

// GET /customers/{id}/timeline (CUS-11): the customer's and its contacts' history and later
// modules' items, newest first, cursor-paged without gaps or repeats, never another tenant's.

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/customer"
)

type cxTimelineItem struct {
	ID       string            `json:"id"`
	At       time.Time         `json:"at"`
	Kind     string            `json:"kind"`
	Action   string            `json:"action"`
	ActorID  *uuid.UUID        `json:"actor_id"`
	Summary  string            `json:"summary"`
	Changes  map[string][2]any `json:"changes"`
	Entity   string            `json:"entity"`
	EntityID string            `json:"entity_id"`
}

type cxTimelinePage struct {
	Items      []cxTimelineItem `json:"items"`
	NextCursor *string          `json:"next_cursor"`
}

// cxSource is a stand-in for a later module's timeline source: items a test files under a
// customer ID.
var cxSource = struct {
	mu    sync.Mutex
	items map[uuid.UUID][]customer.TimelineItem
}{items: map[uuid.UUID][]customer.TimelineItem{}}

func cxRegisterTimelineSource(env *apitest.Env) {
	svc := env.Server.Customers
	svc.TimelineSources = append(svc.TimelineSources, func(_ context.Context, _ *gorm.DB, id uuid.UUID, before time.Time, limit int) ([]customer.TimelineItem, error) {
		cxSource.mu.Lock()
		defer cxSource.mu.Unlock()
		var out []customer.TimelineItem
		for _, it := range cxSource.items[id] { // filed newest first
			if !it.At.After(before) && len(out) < limit {
				out = append(out, it)
			}
		}
		return out, nil
	})
}

// cxTimeline walks every page of a customer's timeline with limit and fails on an item seen
// twice or out of order.
func cxTimeline(t testing.TB, as *apitest.Client, id uuid.UUID, limit int) []cxTimelineItem {
	t.Helper()
	base := cxURL("customers", id.String(), "timeline") + "?limit=" + strconv.Itoa(limit)
	var all []cxTimelineItem
	seen := map[string]bool{}
	next := base
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		var p cxTimelinePage
		as.MustDo(t, "GET", next, nil, 200, &p)
		if len(p.Items) > limit {
			t.Fatalf("page of %d items, limit %d", len(p.Items), limit)
		}
		for _, it := range p.Items {
			if seen[it.Kind+it.ID] {
				t.Fatalf("limit %d: item %s %s on two pages", limit, it.Kind, it.ID)
			}
			seen[it.Kind+it.ID] = true
			if n := len(all); n > 0 && (it.At.After(all[n-1].At) || (it.At.Equal(all[n-1].At) && it.ID > all[n-1].ID)) {
				t.Fatalf("limit %d: %s (%s) after %s (%s): not newest first", limit, it.Summary, it.At, all[n-1].Summary, all[n-1].At)
			}
			all = append(all, it)
		}
		if p.NextCursor == nil {
			return all
		}
		next = base + "&cursor=" + url.QueryEscape(*p.NextCursor)
	}
}

func cxSummaries(items []cxTimelineItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Summary)
	}
	return out
}

func TestCustomerTimeline(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		cxRegisterTimelineSource(env)
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		colleague := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		finance := acme.AddUser(t, "finance")
		missing := uuid.Must(uuid.NewV7())

		// Another tenant's customer with history of its own, and a customer of the same tenant.
		foreign := cxNewCustomer(t, other.Owner, "外企", nil)
		foreignCt := cxNewContact(t, other.Owner, foreign.ID, map[string]any{"name": "外人"})
		neighbour := cxNewCustomer(t, sales, "隔壁客户", nil)
		neighbourCt := cxNewContact(t, sales, neighbour.ID, map[string]any{"name": "邻居"})

		cust := cxNewCustomer(t, sales, "时间线客户", nil)
		var c cxCustomer
		sales.MustDo(t, "PATCH", cxURL("customers", cust.ID.String()), map[string]any{"version": 1, "industry": "化工"}, 200, &c)
		followUpAt := time.Now().UTC()
		time.Sleep(2 * time.Millisecond)
		ct := cxNewContact(t, sales, cust.ID, map[string]any{"name": "王芳", "phone": "13900001111"})
		sales.MustDo(t, "PATCH", cxURL("contacts", ct.ID.String()), map[string]any{"version": 1, "title": "经理", "phone": "13900002222"}, 200, nil)
		sales.MustDo(t, "PATCH", cxURL("customers", cust.ID.String()), map[string]any{"version": c.Version, "tags": []string{"重点"}}, 200, &c)
		owner.MustDo(t, "DELETE", cxURL("contacts", ct.ID.String()), nil, 204, nil)
		// A later module's item, filed between the first update and the contact.
		cxSource.mu.Lock()
		cxSource.items[cust.ID] = []customer.TimelineItem{{ID: "fu-1", At: followUpAt, Kind: "follow_up", Action: "create", Summary: "电话回访", Entity: "follow_up", EntityID: "fu-1"}}
		cxSource.mu.Unlock()

		u := cxURL("customers", cust.ID.String(), "timeline")
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: u, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "GET", URL: cxURL("customers", foreign.ID.String(), "timeline"), As: owner, Status: 404, Code: "not_found"},
			{Name: "wrong role", Method: "GET", URL: u, As: finance, Status: 403, Code: "forbidden"},
			{Name: "not found", Method: "GET", URL: cxURL("customers", missing.String(), "timeline"), As: owner, Status: 404, Code: "not_found"},
			{Name: "not found: outside the data scope", Method: "GET", URL: u, As: colleague, Status: 404, Code: "not_found"},
			{Name: "invalid: cursor", Method: "GET", URL: u + "?cursor=bm9wZQ", As: sales, Status: 422, Code: "validation_failed", Check: cxWantField("cursor", "invalid_format")},
			{Name: "invalid: limit", Method: "GET", URL: u + "?limit=201", As: sales, Status: 422, Code: "validation_failed", Check: cxWantField("limit", "out_of_range")},
			{Name: "success", Method: "GET", URL: u, As: sales, Status: 200,
				NotContains: []string{foreign.ID.String(), foreignCt.ID.String(), neighbour.ID.String(), neighbourCt.ID.String(), "外人", "邻居", "13900001111", "13900002222"},
				Check: func(t *testing.T, r *apitest.Response) {
					var p cxTimelinePage
					r.JSON(t, &p)
					want := []string{
						"Contact 王芳 removed",
						"Customer changed: tags",
						"Contact 王芳 changed: phone, title",
						"Contact 王芳 added",
						"电话回访",
						"Customer changed: industry",
						"Customer created",
					}
					if got := cxSummaries(p.Items); strings.Join(got, " | ") != strings.Join(want, " | ") || p.NextCursor != nil {
						t.Fatalf("timeline\n got %v\nwant %v (next %v)", got, want, p.NextCursor)
					}
					kinds := []string{"contact", "change", "contact", "contact", "follow_up", "change", "change"}
					for i, it := range p.Items {
						if it.Kind != kinds[i] {
							t.Errorf("item %d (%s) kind %q, want %q", i, it.Summary, it.Kind, kinds[i])
						}
						if it.Changes == nil {
							t.Errorf("item %d: changes null", i)
						}
					}
					upd := p.Items[2]
					if upd.ActorID == nil || *upd.ActorID != sales.UserID || upd.Changes["title"] != [2]any{"", "经理"} ||
						upd.Changes["phone"] != [2]any{"***", "***"} || upd.Entity != "contact" || upd.EntityID != ct.ID.String() {
						t.Errorf("contact update item %+v", upd)
					}
					if del := p.Items[0]; del.ActorID == nil || *del.ActorID != owner.UserID {
						t.Errorf("delete item actor %v", del.ActorID)
					}
					if p.Items[6].Action != "create" || p.Items[6].Changes["name"] != [2]any{nil, "时间线客户"} {
						t.Errorf("create item %+v", p.Items[6])
					}
				}},
		})

		t.Run("in the user's language", func(t *testing.T) {
			zh := *sales
			zh.Lang = "zh-CN"
			var p cxTimelinePage
			zh.MustDo(t, "GET", u+"?limit=2", nil, 200, &p)
			if got := cxSummaries(p.Items); len(got) != 2 || got[0] != "删除了联系人 王芳" || got[1] != "修改了客户：tags" {
				t.Errorf("zh-CN summaries %v", got)
			}
		})

		t.Run("every page size walks the same timeline", func(t *testing.T) {
			// More source items than a page holds, two of them at the very same instant, and
			// older than the whole audit history, so the merge must hold them back correctly.
			base := followUpAt.Add(-time.Hour)
			items := []customer.TimelineItem{{ID: "fu-1", At: followUpAt, Kind: "follow_up", Action: "create", Summary: "电话回访"}}
			for i, at := range []time.Duration{5, 4, 4, 3, 2, 1} {
				id := "old-" + strconv.Itoa(i)
				items = append(items, customer.TimelineItem{ID: id, At: base.Add(at * time.Minute), Kind: "order", Action: "create", Summary: id})
			}
			// Filed newest first; equal instants by ID descending.
			items[2], items[3] = items[3], items[2]
			cxSource.mu.Lock()
			cxSource.items[cust.ID] = items
			cxSource.mu.Unlock()
			whole := cxTimeline(t, sales, cust.ID, 200)
			if len(whole) != 13 {
				t.Fatalf("%d items: %v", len(whole), cxSummaries(whole))
			}
			if got := strings.Join(cxSummaries(whole[7:]), ","); got != "old-0,old-2,old-1,old-3,old-4,old-5" {
				t.Errorf("oldest items %s", got)
			}
			for _, limit := range []int{1, 2, 3, 5} {
				got := cxTimeline(t, sales, cust.ID, limit)
				if strings.Join(cxSummaries(got), "|") != strings.Join(cxSummaries(whole), "|") {
					t.Errorf("limit %d walks\n%v\nnot\n%v", limit, cxSummaries(got), cxSummaries(whole))
				}
			}
		})

		t.Run("a merge brings the merged customer's contacts' history along", func(t *testing.T) {
			dup := cxNewCustomer(t, sales, "时间线客户", map[string]any{"allow_duplicate": true})
			cxNewContact(t, sales, dup.ID, map[string]any{"name": "随迁"})
			owner.MustDo(t, "POST", cxURL("customers", cust.ID.String(), "merge"), map[string]any{"from_id": dup.ID}, 200, nil)
			var p cxTimelinePage
			sales.MustDo(t, "GET", u+"?limit=3", nil, 200, &p)
			if got := cxSummaries(p.Items); len(got) != 3 || got[0] != "Customers merged: 时间线客户" || got[1] != "Contact 随迁 moved over by a merge" || got[2] != "Contact 随迁 added" {
				t.Errorf("after the merge %v", got)
			}
		})

		t.Run("a customer in the recycle bin has no timeline", func(t *testing.T) {
			owner.MustDo(t, "DELETE", cxURL("customers", neighbour.ID.String()), nil, 204, nil)
			owner.MustDo(t, "GET", cxURL("customers", neighbour.ID.String(), "timeline"), nil, 404, nil)
		})
	})
}
