package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/tenantctx"
)

func TestDiff(t *testing.T) {
	type rec struct {
		Name      string    `json:"name"`
		Tags      []string  `json:"tags"`
		Note      *string   `json:"note,omitempty"`
		UpdatedAt time.Time `json:"updated_at"`
		Version   int64     `json:"version"`
	}
	note := "n"
	before := rec{Name: "a", Tags: []string{"x"}, Note: &note, UpdatedAt: time.Unix(1, 0), Version: 1}
	after := rec{Name: "b", Tags: []string{"x"}, UpdatedAt: time.Unix(2, 0), Version: 2}
	got, err := audit.Diff(before, after)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]any{"name": {"a", "b"}, "note": {"n", nil}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Diff = %v, want %v", got, want)
	}
	created, err := audit.Diff(nil, after)
	if err != nil {
		t.Fatal(err)
	}
	if len(created) != 2 || created["name"] != [2]any{nil, "b"} {
		t.Errorf("Diff(nil, x) = %v, want name and tags from nil", created)
	}
	var none *rec
	deleted, err := audit.Diff(&before, none)
	if err != nil {
		t.Fatal(err)
	}
	if deleted["name"] != [2]any{"a", nil} {
		t.Errorf("Diff(x, nil) = %v", deleted)
	}
	same, err := audit.Diff(before, before)
	if err != nil || len(same) != 0 {
		t.Errorf("Diff(x, x) = %v, %v", same, err)
	}
}

// Record writes nothing for an update that changed nothing, and an entry with the actor
// otherwise; both inside the caller's transaction.
func TestRecord(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		co := env.Signup(t)
		ctx := tenantctx.WithActor(tenantctx.WithTenant(context.Background(), co.ID), tenantctx.Actor{UserID: co.Owner.UserID, Via: "test"})
		entity := "probe-" + uuid.NewString()
		count := func() int64 {
			var n int64
			if err := env.DB.Read(ctx, func(tx *gorm.DB) error {
				return tx.Model(&audit.Entry{}).Where("entity_id = ?", entity).Count(&n).Error
			}); err != nil {
				t.Fatal(err)
			}
			return n
		}
		err := env.DB.Tx(ctx, func(tx *gorm.DB) error {
			return audit.Record(ctx, tx, "update", "probe", entity, map[string]any{"a": 1}, map[string]any{"a": 1, "version": 3})
		})
		if err != nil || count() != 0 {
			t.Fatalf("no-op update recorded: err %v, %d entries", err, count())
		}
		// A rolled-back transaction takes its entry with it.
		boom := fmt.Errorf("boom")
		err = env.DB.Tx(ctx, func(tx *gorm.DB) error {
			if err := audit.Record(ctx, tx, "update", "probe", entity, map[string]any{"a": 1}, map[string]any{"a": 2}); err != nil {
				return err
			}
			return boom
		})
		if err != boom || count() != 0 {
			t.Fatalf("rolled back entry kept: err %v, %d entries", err, count())
		}
		err = env.DB.Tx(ctx, func(tx *gorm.DB) error {
			return audit.Record(ctx, tx, "update", "probe", entity, map[string]any{"a": 1}, map[string]any{"a": 2})
		})
		if err != nil || count() != 1 {
			t.Fatalf("entry not written: err %v, %d entries", err, count())
		}
		var e audit.Entry
		if err := env.DB.Read(ctx, func(tx *gorm.DB) error { return tx.Take(&e, "entity_id = ?", entity).Error }); err != nil {
			t.Fatal(err)
		}
		if e.TenantID != co.ID || e.ActorID == nil || *e.ActorID != co.Owner.UserID || e.Via != "test" || e.Changes.Data()["a"] != [2]any{float64(1), float64(2)} {
			t.Errorf("entry %+v changes %v", e, e.Changes.Data())
		}
		// Without a tenant in the context, nothing is written anywhere.
		err = env.DB.Tx(context.Background(), func(tx *gorm.DB) error {
			return audit.Record(context.Background(), tx, "create", "probe", entity, nil, map[string]any{"a": 1})
		})
		if err == nil {
			t.Error("an audit entry without a tenant was accepted")
		}
	})
}

type entryJSON struct {
	ID       uuid.UUID                     `json:"id"`
	At       time.Time                     `json:"at"`
	ActorID  *uuid.UUID                    `json:"actor_id"`
	Via      string                        `json:"via"`
	Action   string                        `json:"action"`
	Entity   string                        `json:"entity"`
	EntityID string                        `json:"entity_id"`
	Changes  map[string][2]json.RawMessage `json:"changes"`
}

type pageJSON struct {
	Items      []entryJSON `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

// allEntries follows the cursor through every page of query (limit per page).
func allEntries(t *testing.T, cl *apitest.Client, query url.Values, limit int) []entryJSON {
	t.Helper()
	var out []entryJSON
	query.Set("limit", fmt.Sprint(limit))
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("cursor never ends")
		}
		var p pageJSON
		cl.MustDo(t, "GET", "/api/v1/audit?"+query.Encode(), nil, 200, &p)
		if len(p.Items) > limit {
			t.Fatalf("page of %d items for limit %d", len(p.Items), limit)
		}
		out = append(out, p.Items...)
		if p.NextCursor == nil {
			return out
		}
		if len(p.Items) != limit {
			t.Fatalf("short page (%d of %d) with a next cursor", len(p.Items), limit)
		}
		query.Set("cursor", *p.NextCursor)
	}
}

func TestAuditAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		auditor := acme.AddUser(t, "auditor")
		foreign := other.AddUser(t, "salesperson")
		var dept struct {
			ID      uuid.UUID
			Version int64
		}
		owner.MustDo(t, "POST", "/api/v1/departments", map[string]any{"name": "Key accounts"}, 201, &dept)
		owner.MustDo(t, "PATCH", "/api/v1/departments/"+dept.ID.String(), map[string]any{"version": dept.Version, "name": "Key accounts East"}, 200, nil)

		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: "/api/v1/audit", Status: 401, Code: "unauthenticated"},
			{Name: "other tenant", Method: "GET", URL: "/api/v1/audit?entity=user&entity_id=" + foreign.UserID.String(), As: owner, Status: 200,
				Contains: []string{`"items":[]`}, NotContains: []string{foreign.UserID.String()}},
			{Name: "wrong role", Method: "GET", URL: "/api/v1/audit", As: sales, Status: 403, Code: "forbidden"},
			{Name: "not found", Method: "GET", URL: "/api/v1/audit?entity=department&entity_id=" + uuid.NewString(), As: owner, Status: 200, Contains: []string{`"items":[]`, `"next_cursor":null`}},
			{Name: "invalid limit", Method: "GET", URL: "/api/v1/audit?limit=1000", As: owner, Status: 422, Code: "validation_failed", Contains: []string{`"field":"limit"`}},
			{Name: "invalid actor", Method: "GET", URL: "/api/v1/audit?actor_id=someone", As: owner, Status: 422, Code: "validation_failed", Contains: []string{`"field":"actor_id"`}},
			{Name: "invalid cursor", Method: "GET", URL: "/api/v1/audit?cursor=***", As: owner, Status: 422, Code: "validation_failed", Contains: []string{`"field":"cursor"`}},
			{Name: "success", Method: "GET", URL: "/api/v1/audit?entity=department&entity_id=" + dept.ID.String(), As: auditor, Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					var p pageJSON
					r.JSON(t, &p)
					if len(p.Items) != 2 {
						t.Fatalf("%d entries for the department, want create and update: %s", len(p.Items), r.Body)
					}
					upd, cre := p.Items[0], p.Items[1]
					if upd.Action != "update" || cre.Action != "create" {
						t.Errorf("not newest first: %s then %s", upd.Action, cre.Action)
					}
					if string(upd.Changes["name"][0]) != `"Key accounts"` || string(upd.Changes["name"][1]) != `"Key accounts East"` {
						t.Errorf("update changes %s", mustJSON(upd.Changes))
					}
					if _, ok := upd.Changes["version"]; ok {
						t.Error("version is bookkeeping, not a change")
					}
					if string(cre.Changes["name"][0]) != "null" || string(cre.Changes["name"][1]) != `"Key accounts"` {
						t.Errorf("create changes %s", mustJSON(cre.Changes))
					}
					for _, e := range p.Items {
						if e.ActorID == nil || *e.ActorID != owner.UserID || e.Via != "session" || e.Entity != "department" || e.At.IsZero() {
							t.Errorf("entry %+v: want the owner's session as actor", e)
						}
					}
				}},
		})

		// Paging: every entry once, newest first, across pages of 2; none of the other tenant's.
		all := allEntries(t, owner, url.Values{}, 200)
		paged := allEntries(t, owner, url.Values{}, 2)
		if len(all) < 8 || len(paged) != len(all) {
			t.Fatalf("%d entries unpaged, %d paged", len(all), len(paged))
		}
		seen := map[uuid.UUID]bool{}
		for i, e := range paged {
			if e.ID != all[i].ID {
				t.Fatalf("page order differs at %d", i)
			}
			if seen[e.ID] {
				t.Fatalf("entry %s twice", e.ID)
			}
			seen[e.ID] = true
			if i > 0 && e.ID.String() >= paged[i-1].ID.String() {
				t.Errorf("entry %d not older than entry %d", i, i-1)
			}
		}
		foreignIDs := map[string]bool{other.ID.String(): true, other.Owner.UserID.String(): true, foreign.UserID.String(): true}
		for _, e := range all {
			if foreignIDs[e.EntityID] || (e.ActorID != nil && foreignIDs[e.ActorID.String()]) {
				t.Errorf("tenant B's entry shown to tenant A: %+v", e)
			}
		}
		if sig := allEntries(t, owner, url.Values{"entity": {"tenant"}}, 50); len(sig) != 1 || sig[0].EntityID != acme.ID.String() || sig[0].Action != "signup" {
			t.Errorf("signup entries %+v, want acme's only", sig)
		}
		// Filtering by actor.
		for _, e := range allEntries(t, owner, url.Values{"actor_id": {auditor.UserID.String()}}, 50) {
			if e.ActorID == nil || *e.ActorID != auditor.UserID {
				t.Errorf("actor filter let %+v through", e)
			}
		}
		// The other tenant sees its own history only.
		for _, e := range allEntries(t, other.Owner, url.Values{}, 200) {
			if e.EntityID == acme.ID.String() || e.EntityID == dept.ID.String() || e.EntityID == sales.UserID.String() {
				t.Errorf("tenant A's entry shown to tenant B: %+v", e)
			}
		}
	})
}

// A write that fails leaves no history: the entry is in the failed transaction.
func TestFailedWriteLeavesNoEntry(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		owner := acme.Owner
		before := allEntries(t, owner, url.Values{}, 200)
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"approval_tiers": []map[string]any{
			{"max_amount": "5000", "role": "sales_manager"}, {"max_amount": "1000", "role": "vice_president"}, {"role": "general_manager"}}}, 422, nil)
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"currency": "USD", "version": 999}, 409, nil)
		owner.MustDo(t, "PUT", "/api/v1/roles/salesperson", map[string]any{"name": "x", "data_scope": "own",
			"permissions": []map[string]string{{"object": "customer", "action": "read"}, {"object": "ufo", "action": "read"}}}, 422, nil)
		owner.MustDo(t, "POST", "/api/v1/users", map[string]any{"email": acme.Owner.Email, "name": "dup", "roles": []string{"salesperson"}}, 409, nil)
		after := allEntries(t, owner, url.Values{}, 200)
		if len(after) != len(before) {
			t.Errorf("failed writes left %d audit entries: %+v", len(after)-len(before), after[:len(after)-len(before)])
		}
		// A successful write right after does leave one.
		owner.MustDo(t, "PATCH", "/api/v1/settings", map[string]any{"currency": "USD"}, 200, nil)
		if got := allEntries(t, owner, url.Values{}, 200); len(got) != len(before)+1 || got[0].Entity != "settings" {
			t.Errorf("after a successful write: %d entries (was %d), newest %+v", len(got), len(before), got[0])
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
