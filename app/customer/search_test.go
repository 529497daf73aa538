package customer_test

// Search, filters, sorting and cursor paging of GET /customers (CUS-9).

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
)

func coreSearch(t testing.TB, as *apitest.Client, q string) []coreCustomer {
	t.Helper()
	return coreListAll(t, as, "limit=200&q="+url.QueryEscape(q))
}

func TestSearchCustomers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")

		huaqiang := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "深圳华强电子有限公司", "phone": "138-0013-8000", "tier": "key"})
		huawei := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "北京华为技术"})
		qiangsheng := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "上海强生制药", "tier": "key"})
		water := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "100%纯净水厂"})
		acmeCo := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "Acme Trading Co"})
		beta := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "Beta_Corp"})
		stall := coreCreate(t, sales, map[string]any{"type": "individual", "name": "华强北档口", "phone": "(0755) 8321-0000"})
		// The same names and phone in another tenant must never show up here.
		coreCreate(t, other.Owner, map[string]any{"type": "enterprise", "name": "深圳华强电子有限公司", "phone": "138-0013-8000"})
		coreCreate(t, other.Owner, map[string]any{"type": "enterprise", "name": "北京华为技术"})
		coreCreate(t, other.Owner, map[string]any{"type": "enterprise", "name": "上海强生制药"})
		coreCreate(t, other.Owner, map[string]any{"type": "enterprise", "name": "华强北档口"})

		for _, tc := range []struct {
			q    string
			want []coreCustomer
		}{
			// One character: a bounded scan (LIKE).
			{"华", []coreCustomer{huaqiang, huawei, stall}},
			{"强", []coreCustomer{huaqiang, qiangsheng, stall}},
			{"司", []coreCustomer{huaqiang}},
			{"药", []coreCustomer{qiangsheng}},
			{"%", []coreCustomer{water}},
			{"_", []coreCustomer{beta}},
			{"鑫", nil},
			// Two characters.
			{"华强", []coreCustomer{huaqiang, stall}},
			{"华为", []coreCustomer{huawei}},
			{"强生", []coreCustomer{qiangsheng}},
			{"深圳", []coreCustomer{huaqiang}},
			{"技术", []coreCustomer{huawei}},
			{"公司", []coreCustomer{huaqiang}},
			{"ac", []coreCustomer{acmeCo}},
			{"AC", []coreCustomer{acmeCo}},
			{"华北", nil},
			// Three and more: the trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL).
			{"华强北", []coreCustomer{stall}},
			{"为技术", []coreCustomer{huawei}},
			{"有限公司", []coreCustomer{huaqiang}},
			{"华强电子", []coreCustomer{huaqiang}},
			{"强电子有", []coreCustomer{huaqiang}},
			{"上海强生制药", []coreCustomer{qiangsheng}},
			{"深圳华强电子有限公司", []coreCustomer{huaqiang}},
			{"0%纯", []coreCustomer{water}},
			{"%%%", nil},
			{"ta_c", []coreCustomer{beta}},
			{"ta%c", nil},
			{"acme", []coreCustomer{acmeCo}},
			{"ACME TRAD", []coreCustomer{acmeCo}},
			{"orp", []coreCustomer{beta}},
			{"不存在的公司", nil},
			{`"华强"`, nil},
			{"华强 OR 华为", nil},
			{"  华为  ", []coreCustomer{huawei}},
			// An exact phone number in any formatting (by its keyed hash).
			{"13800138000", []coreCustomer{huaqiang}},
			{"138-0013-8000", []coreCustomer{huaqiang}},
			{"138 0013 8000", []coreCustomer{huaqiang}},
			{"+86 13800138000", []coreCustomer{huaqiang}},
			{"+86 138-0013-8000", []coreCustomer{huaqiang}},
			{"+86 (138) 0013-8000", []coreCustomer{huaqiang}},
			{"0086 138 0013 8000", []coreCustomer{huaqiang}},
			{"075583210000", []coreCustomer{stall}},
			{"0755-8321-0000", []coreCustomer{stall}},
			{"13800138001", nil},
			{"1380013800", nil},
		} {
			coreSameSet(t, "q="+tc.q, coreSearch(t, owner, tc.q), tc.want...)
		}

		t.Run("within the data scope", func(t *testing.T) {
			coreSameSet(t, "salesperson q=华强", coreSearch(t, sales, "华强"), stall)
			coreSameSet(t, "salesperson q=华", coreSearch(t, sales, "华"), stall)
			coreSameSet(t, "salesperson q=深圳华强", coreSearch(t, sales, "深圳华强"))
			coreSameSet(t, "salesperson q=phone of another's customer", coreSearch(t, sales, "138-0013-8000"))
		})

		t.Run("with filters", func(t *testing.T) {
			coreSameSet(t, "q=华&tier=key", coreListAll(t, owner, "q="+url.QueryEscape("华")+"&tier=key"), huaqiang)
			coreSameSet(t, "q=强&type=individual", coreListAll(t, owner, "q="+url.QueryEscape("强")+"&type=individual"), stall)
			coreSameSet(t, "q=强生制&tier=potential", coreListAll(t, owner, "q="+url.QueryEscape("强生制")+"&tier=potential"))
			coreSameSet(t, "q=强 paged by 1", coreListAll(t, owner, "limit=1&q="+url.QueryEscape("强")), huaqiang, qiangsheng, stall)
			coreSameSet(t, "q=强 paged by name", coreListAll(t, owner, "limit=1&sort=name&q="+url.QueryEscape("强")), huaqiang, qiangsheng, stall)
		})

		t.Run("renamed and deleted customers", func(t *testing.T) {
			var u coreCustomer
			owner.MustDo(t, "PATCH", coreURL+"/"+huawei.ID.String(), map[string]any{"version": 1, "name": "北京华为终端"}, 200, &u)
			coreSameSet(t, "old name", coreSearch(t, owner, "为技术"))
			coreSameSet(t, "new name", coreSearch(t, owner, "华为终端"), huawei)
			coreSameSet(t, "new name, two characters", coreSearch(t, owner, "终端"), huawei)

			owner.MustDo(t, "DELETE", coreURL+"/"+qiangsheng.ID.String(), nil, 204, nil)
			coreSameSet(t, "deleted: q=强生制药", coreSearch(t, owner, "强生制药"))
			coreSameSet(t, "deleted: q=强", coreSearch(t, owner, "强"), huaqiang, stall)
			coreSameSet(t, "recycle bin: q=强生制药", coreListAll(t, owner, "deleted=true&q="+url.QueryEscape("强生制药")), qiangsheng)
			owner.MustDo(t, "POST", coreURL+"/"+qiangsheng.ID.String()+"/restore", nil, 200, nil)
			coreSameSet(t, "restored: q=强生制药", coreSearch(t, owner, "强生制药"), qiangsheng)
		})

		t.Run("by a contact's phone", func(t *testing.T) {
			var ct struct{ ID uuid.UUID }
			owner.MustDo(t, "POST", coreURL+"/"+water.ID.String()+"/contacts", map[string]any{"name": "水厂采购", "phone": "139 1234 5678"}, 201, &ct)
			coreSameSet(t, "contact phone", coreSearch(t, owner, "13912345678"), water)
			owner.MustDo(t, "DELETE", "/api/v1/contacts/"+ct.ID.String(), nil, 204, nil)
			coreSameSet(t, "deleted contact's phone", coreSearch(t, owner, "13912345678"))
		})
	})
}

// coreSpec describes one customer of the list tests and the attributes filters look at.
type coreSpec struct {
	name     string
	as       string // s1, s2, cs, owner
	typ      string
	stage    string
	tier     string
	intent   string
	tags     []string
	region   string
	industry string
}

func TestListCustomers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		users := map[string]*apitest.Client{
			"owner": owner,
			"s1":    acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson"),
			"s2":    acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson"),
			"cs":    acme.AddUserWith(t, apitest.UserOpts{Department: "Customer service"}, "customer_service"),
		}
		finance := acme.AddUser(t, "finance")
		technician := acme.AddUser(t, "service_technician")
		foreign := other.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		coreCreate(t, foreign, map[string]any{"type": "enterprise", "name": "Alpha"})

		// Creation order differs from name order; two customers share a name so that the name
		// sort has a tie to break at a page boundary.
		specs := []coreSpec{
			{name: "Delta", as: "s2", typ: "enterprise", stage: "potential", tier: "potential", region: "华北", industry: "制造"},
			{name: "Alpha", as: "s1", typ: "enterprise", stage: "potential", tier: "key", tags: []string{"vip", "east"}, region: "华东", industry: "制造"},
			{name: "Charlie", as: "s2", typ: "enterprise", stage: "deal", tier: "key", tags: []string{"vip"}, region: "华东", industry: "零售"},
			{name: "Bravo", as: "s1", typ: "enterprise", stage: "prospect", tier: "general", tags: []string{"east"}, region: "华南", industry: "零售"},
			{name: "Foxtrot", as: "owner", typ: "enterprise", stage: "deal", tier: "key", region: "华东", industry: "制造"},
			{name: "Charlie", as: "owner", typ: "individual", stage: "potential", tier: "potential", tags: []string{"west"}},
			{name: "Echo", as: "cs", typ: "individual", stage: "prospect", tier: "general", intent: "A", tags: []string{"vip"}, region: "华南"},
		}
		const firstAfterMark = 4
		var all []coreCustomer
		var mark time.Time
		for i, s := range specs {
			if i == firstAfterMark {
				time.Sleep(5 * time.Millisecond)
				mark = time.Now()
				time.Sleep(5 * time.Millisecond)
			}
			body := map[string]any{"type": s.typ, "name": s.name, "stage": s.stage, "tier": s.tier, "tags": s.tags,
				"region": s.region, "industry": s.industry, "allow_duplicate": true}
			if s.intent != "" {
				body["intent_class"] = s.intent
			}
			all = append(all, coreCreate(t, users[s.as], body))
		}
		// A deleted one stays out of every list but the recycle bin.
		gone := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "Alpha deleted", "tier": "key", "tags": []string{"vip"}})
		owner.MustDo(t, "DELETE", coreURL+"/"+gone.ID.String(), nil, 204, nil)

		pick := func(keep func(i int, s coreSpec) bool) []coreCustomer {
			var out []coreCustomer
			for i, s := range specs {
				if keep(i, s) {
					out = append(out, all[i])
				}
			}
			return out
		}
		q := url.QueryEscape
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: coreURL, Status: 401, Code: "unauthenticated"},
			{Name: "other tenant: its department filters to nothing", Method: "GET", URL: coreURL + "?department_id=" + other.Departments["Sales"].String(), As: owner, Status: 200, Contains: []string{`"items":[]`}},
			{Name: "other tenant: its user filters to nothing", Method: "GET", URL: coreURL + "?owner_id=" + foreign.UserID.String(), As: owner, Status: 200, Contains: []string{`"items":[]`}},
			{Name: "wrong role: finance", Method: "GET", URL: coreURL, As: finance, Status: 403, Code: "forbidden", NotContains: []string{"Alpha"}},
			{Name: "wrong role: service technician", Method: "GET", URL: coreURL, As: technician, Status: 403, Code: "forbidden"},
			{Name: "not found: an unknown owner filters to nothing", Method: "GET", URL: coreURL + "?owner_id=" + uuid.NewString(), As: owner, Status: 200, Contains: []string{`"items":[]`}},
			{Name: "invalid: limit too big", Method: "GET", URL: coreURL + "?limit=201", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("limit", "out_of_range")},
			{Name: "invalid: limit negative", Method: "GET", URL: coreURL + "?limit=-1", As: owner, Status: 422, Code: "validation_failed", Check: coreWantFields("limit")},
			{Name: "invalid: stage", Method: "GET", URL: coreURL + "?stage=lost", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("stage", "invalid_choice")},
			{Name: "invalid: tier", Method: "GET", URL: coreURL + "?tier=gold", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("tier", "invalid_choice")},
			{Name: "invalid: intent class", Method: "GET", URL: coreURL + "?intent_class=D", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("intent_class", "invalid_choice")},
			{Name: "invalid: type", Method: "GET", URL: coreURL + "?type=company", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("type", "invalid_choice")},
			{Name: "invalid: owner_id", Method: "GET", URL: coreURL + "?owner_id=me", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("owner_id", "invalid_format")},
			{Name: "invalid: department_id", Method: "GET", URL: coreURL + "?department_id=sales", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("department_id", "invalid_format")},
			{Name: "invalid: created_after", Method: "GET", URL: coreURL + "?created_after=yesterday", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("created_after", "invalid_format")},
			{Name: "invalid: created_before without time", Method: "GET", URL: coreURL + "?created_before=2024-01-01", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("created_before", "invalid_format")},
			{Name: "invalid: sort", Method: "GET", URL: coreURL + "?sort=size", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("sort", "invalid_choice")},
			{Name: "invalid: cursor", Method: "GET", URL: coreURL + "?cursor=%21%21", As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("cursor", "invalid_format")},
			{Name: "invalid: q too long", Method: "GET", URL: coreURL + "?q=" + strings.Repeat("a", 101), As: owner, Status: 422, Code: "validation_failed", Check: coreWantField("q", "too_long")},
			{Name: "success", Method: "GET", URL: coreURL + "?limit=3", As: owner, Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					var p corePage
					r.JSON(t, &p)
					if len(p.Items) != 3 || p.NextCursor == nil {
						t.Errorf("first page: %d items, cursor %v", len(p.Items), p.NextCursor)
					}
				}},
		})

		t.Run("filters", func(t *testing.T) {
			for _, tc := range []struct {
				query string
				want  []coreCustomer
			}{
				{"stage=potential", pick(func(_ int, s coreSpec) bool { return s.stage == "potential" })},
				{"stage=deal", pick(func(_ int, s coreSpec) bool { return s.stage == "deal" })},
				{"stage=churned", nil},
				{"tier=key", pick(func(_ int, s coreSpec) bool { return s.tier == "key" })},
				{"tier=general", pick(func(_ int, s coreSpec) bool { return s.tier == "general" })},
				{"intent_class=A", pick(func(_ int, s coreSpec) bool { return s.intent == "A" })},
				{"type=individual", pick(func(_ int, s coreSpec) bool { return s.typ == "individual" })},
				{"tag=vip", pick(func(_ int, s coreSpec) bool { return slices.Contains(s.tags, "vip") })},
				{"tag=east", pick(func(_ int, s coreSpec) bool { return slices.Contains(s.tags, "east") })},
				{"tag=" + q("vi"), nil},
				{"tag=" + q("vip\"]"), nil},
				{"region=" + q("华东"), pick(func(_ int, s coreSpec) bool { return s.region == "华东" })},
				{"region=" + q("华"), nil},
				{"industry=" + q("零售"), pick(func(_ int, s coreSpec) bool { return s.industry == "零售" })},
				{"owner_id=" + users["s1"].UserID.String(), pick(func(_ int, s coreSpec) bool { return s.as == "s1" })},
				{"owner_id=" + owner.UserID.String(), pick(func(_ int, s coreSpec) bool { return s.as == "owner" })},
				{"department_id=" + acme.Departments["Sales"].String(), pick(func(_ int, s coreSpec) bool { return s.as == "s1" || s.as == "s2" })},
				{"department_id=" + acme.Departments["Customer service"].String(), pick(func(_ int, s coreSpec) bool { return s.as == "cs" })},
				{"created_after=" + q(mark.UTC().Format(time.RFC3339Nano)), pick(func(i int, _ coreSpec) bool { return i >= firstAfterMark })},
				{"created_before=" + q(mark.UTC().Format(time.RFC3339Nano)), pick(func(i int, _ coreSpec) bool { return i < firstAfterMark })},
				{"created_after=" + q(mark.In(time.FixedZone("CST", 8*3600)).Format(time.RFC3339Nano)), pick(func(i int, _ coreSpec) bool { return i >= firstAfterMark })},
				{"created_after=" + q(mark.Add(-time.Hour).UTC().Format(time.RFC3339)) + "&created_before=" + q(mark.UTC().Format(time.RFC3339Nano)),
					pick(func(i int, _ coreSpec) bool { return i < firstAfterMark })},
				{"created_after=" + q(mark.Add(time.Hour).UTC().Format(time.RFC3339)), nil},
				{"stage=potential&tier=key", pick(func(_ int, s coreSpec) bool { return s.stage == "potential" && s.tier == "key" })},
				{"tag=vip&region=" + q("华南"), pick(func(_ int, s coreSpec) bool { return slices.Contains(s.tags, "vip") && s.region == "华南" })},
				{"deleted=true", []coreCustomer{gone}},
				{"deleted=true&tag=vip", []coreCustomer{gone}},
				{"deleted=true&stage=deal", nil},
			} {
				got := coreListAll(t, owner, "limit=2&"+tc.query)
				coreSameSet(t, tc.query, got, tc.want...)
			}
			// Filters stay inside the data scope.
			coreSameSet(t, "s1 asks for s2's", coreListAll(t, users["s1"], "owner_id="+users["s2"].UserID.String()))
			coreSameSet(t, "s1 asks for tag=vip", coreListAll(t, users["s1"], "tag=vip"), pick(func(_ int, s coreSpec) bool {
				return s.as == "s1" && slices.Contains(s.tags, "vip")
			})...)
		})

		t.Run("sort and paging", func(t *testing.T) {
			byName := slices.Clone(all)
			slices.SortStableFunc(byName, func(a, b coreCustomer) int {
				if c := strings.Compare(a.Name, b.Name); c != 0 {
					return c
				}
				return strings.Compare(a.ID.String(), b.ID.String())
			})
			byNameDesc := slices.Clone(byName)
			slices.Reverse(byNameDesc)
			newest := slices.Clone(all)
			slices.Reverse(newest)
			for _, tc := range []struct {
				sort string
				want []coreCustomer
			}{
				{"", all},
				{"created_at", all},
				{"-created_at", newest},
				{"name", byName},
				{"-name", byNameDesc},
			} {
				for _, limit := range []int{1, 2, 3, 7, 50} {
					query := "limit=" + strconv.Itoa(limit)
					if tc.sort != "" {
						query += "&sort=" + tc.sort
					}
					got := coreListAll(t, owner, query)
					if !slices.Equal(coreIDs(got), coreIDs(tc.want)) {
						t.Errorf("%s: %v, want %v", query, coreNames(got), coreNames(tc.want))
					}
				}
				// Page sizes: 3, 3, 1 and the last page says so.
				var sizes []int
				u := coreURL + "?limit=3&sort=" + tc.sort
				for next := u; ; {
					var p corePage
					owner.MustDo(t, "GET", next, nil, 200, &p)
					sizes = append(sizes, len(p.Items))
					if p.NextCursor == nil {
						break
					}
					next = u + "&cursor=" + url.QueryEscape(*p.NextCursor)
				}
				if !slices.Equal(sizes, []int{3, 3, 1}) {
					t.Errorf("sort %q: page sizes %v", tc.sort, sizes)
				}
			}
			// A page that ends exactly at the last customer has no next cursor.
			var p corePage
			owner.MustDo(t, "GET", coreURL+"?limit=7", nil, 200, &p)
			if len(p.Items) != 7 || p.NextCursor != nil {
				t.Errorf("limit=7: %d items, cursor %v", len(p.Items), p.NextCursor)
			}
			// Paging with a filter and a narrower scope.
			s1 := coreListAll(t, users["s1"], "limit=1&sort=-name")
			if want := pick(func(_ int, s coreSpec) bool { return s.as == "s1" }); len(s1) != len(want) || s1[0].Name != "Bravo" || s1[1].Name != "Alpha" {
				t.Errorf("s1 by -name: %v", coreNames(s1))
			}
			// A customer created between two pages appears on a later page, none twice.
			first := coreListAll(t, owner, "limit=50")
			var page corePage
			owner.MustDo(t, "GET", coreURL+"?limit=4", nil, 200, &page)
			late := coreCreate(t, owner, map[string]any{"type": "enterprise", "name": "Late"})
			var rest corePage
			owner.MustDo(t, "GET", coreURL+"?limit=50&cursor="+url.QueryEscape(*page.NextCursor), nil, 200, &rest)
			got := append(coreIDs(page.Items), coreIDs(rest.Items)...)
			if want := append(coreIDs(first), late.ID); !slices.Equal(got, want) {
				t.Errorf("pages around a create: %v", got)
			}
		})
	})
}

// TestNameSearchIndexUnderRLS: on PostgreSQL the server's role works under row-level security,
// where the planner may use an index only for a LEAKPROOF operator; after the provisioning
// step, ILIKE name search uses the trigram index rather than reading every row of the tenant.
func TestNameSearchIndexUnderRLS(t *testing.T) {
	storetest.RequireDialect(t, store.Postgres)
	env := apitest.New(t, store.Postgres)
	acme := env.Signup(t)
	coreCreate(t, acme.Owner, map[string]any{"type": "enterprise", "name": "深圳华强电子有限公司"})
	// Enough rows, with statistics, that reading the tenant's rows costs more than the index.
	admin := storetest.AdminDB(t)
	if _, err := admin.Exec(`INSERT INTO customers (tenant_id, id, type, name, stage, tier, created_at, updated_at)
		SELECT $1, gen_random_uuid(), 'enterprise', md5(g::text), 'potential', 'potential', now(), now()
		FROM generate_series(1, 20000) g`, acme.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec("ANALYZE customers"); err != nil {
		t.Fatal(err)
	}
	var plan []string
	err := env.DB.Read(jobs.TenantContext(context.Background(), acme.ID, uuid.Nil), func(tx *gorm.DB) error {
		return tx.Raw(`EXPLAIN SELECT id FROM customers WHERE deleted_at IS NULL AND name ILIKE ? ESCAPE '\'`, "%华强电%").Scan(&plan).Error
	})
	if err != nil {
		t.Fatal(err)
	}
	if text := strings.Join(plan, "\n"); !strings.Contains(text, "customers_name_trgm") {
		t.Errorf("name search does not use the trigram index under RLS:\n%s", text)
	}
}
