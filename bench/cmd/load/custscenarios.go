package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// defaultScenarios is the order of `load run`: the platform scenarios, the customer archive's
// (after its import), logging follow-ups (followups.go), and the bare route again as the
// drift check.
var defaultScenarios = []string{"bare", "me", "user", "customer", "list", "list-cursor", "search3", "search2", "search1", "followup", "bare-after"}

var customerScenarioNames = []string{"customer", "list", "list-cursor", "search3", "search2", "search1"}

func isCustomerScenario(name string) bool { return contains(customerScenarioNames, name) }

type customerSetup struct {
	db            string
	crmURL        *url.URL
	fx            *fixture
	crmPID        int
	pgDB          string
	customers     int
	sampleIDs     int
	importTimeout time.Duration
	afterImport   string
	explainOut    string
	forcePost     bool
}

// setupCustomers fills the benchmark tenant with customers, reads what the scenarios need,
// and returns the customer scenarios, each checked once.
func setupCustomers(run *Run, cs customerSetup) (map[string]scenario, error) {
	c := newAPIClient(cs.crmURL)
	t0 := time.Now()
	rows := generateCustomers(cs.customers + probeRows)
	gen := time.Since(t0).Seconds()
	imp, err := importCustomers(c, cs.fx, cs.db, cs.customers, rows, cs.crmPID, cs.pgDB, cs.importTimeout, cs.forcePost)
	if imp != nil {
		imp.GenerateSeconds = gen
		run.Import = imp
	}
	if err != nil {
		return nil, err
	}
	if cs.afterImport != "" {
		fmt.Printf("[%s] after the import: %s\n", cs.db, cs.afterImport)
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		cmd := exec.CommandContext(ctx, "sh", "-c", cs.afterImport)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		err := cmd.Run()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("-after-import: %w", err)
		}
		imp.Maintenance, imp.MaintenanceSeconds = cs.afterImport, time.Since(start).Seconds()
	}

	d, err := collectCustomerData(c, cs.fx, cs.db, cs.sampleIDs)
	if err != nil {
		return nil, err
	}
	d.Total = imp.Created + probeRows
	if imp.Method != "import" {
		d.Total = imp.Created
	}
	d.Potential = stageCount(rows[:d.Total], "潜在")
	for _, terms := range searchTerms {
		for _, t := range terms {
			d.TermMatches[t] = countMatches(rows[:d.Total], t)
		}
	}
	run.Customers = d
	for _, k := range sortedKeys(searchTerms) {
		fmt.Printf("[%s] %s terms (rows matching): %s\n", cs.db, k, termList(searchTerms[k], d.TermMatches))
	}

	bearer := http.Header{"Authorization": {"Bearer " + cs.fx.token}}
	get := func(path string, q url.Values) vegeta.Target {
		u := cs.crmURL.JoinPath(path)
		if q != nil {
			u.RawQuery = q.Encode()
		}
		return vegeta.Target{Method: "GET", URL: u.String(), Header: bearer}
	}
	scs := map[string]scenario{}
	add := func(sc scenario) {
		sc.Group, sc.ServerPID = "customer", cs.crmPID
		if len(sc.Targets) > 0 {
			sc.Target = sc.Targets[0]
		}
		scs[sc.Name] = sc
	}

	var byID []vegeta.Target
	for _, id := range d.SampleIDs {
		byID = append(byID, get("/api/v1/customers/"+id, nil))
	}
	add(scenario{Name: "customer", Description: "GET /api/v1/customers/{id}: one customer (decrypting phone and address), rotating over imported IDs",
		Targets: byID, Note: fmt.Sprintf("%d IDs sampled across the import", len(byID)),
		checkTarget: func(t vegeta.Target, body []byte) error {
			return expectJSONField([]string{"id"}, t.URL[strings.LastIndexByte(t.URL, '/')+1:])(body)
		}})

	listQ := func(extra ...string) url.Values {
		q := url.Values{"limit": {strconv.Itoa(listLimit)}, "stage": {"potential"}}
		for i := 0; i+1 < len(extra); i += 2 {
			q.Set(extra[i], extra[i+1])
		}
		return q
	}
	add(scenario{Name: "list", Description: "GET /api/v1/customers?limit=50&stage=potential: the first page of a filtered list",
		Targets: []vegeta.Target{get("/api/v1/customers", listQ())},
		Note:    fmt.Sprintf("%d of %d customers are potential", d.Potential, d.Total),
		check:   expectPage(listLimit, func(it pageItem) error { return wantStage(it, "potential") })})
	var cursored []vegeta.Target
	pages := map[string]string{}
	for i, cur := range d.Cursors {
		t := get("/api/v1/customers", listQ("cursor", cur))
		cursored = append(cursored, t)
		pages[t.URL] = "page " + strconv.Itoa(d.CursorPages[i])
	}
	add(scenario{Name: "list-cursor", Description: "GET /api/v1/customers?limit=50&stage=potential&cursor=…: later pages of the filtered list",
		Targets: cursored, Note: fmt.Sprintf("cursors to pages %v", d.CursorPages), Labels: pages,
		check: expectPage(listLimit, func(it pageItem) error { return wantStage(it, "potential") })})
	for _, name := range []string{"search3", "search2", "search1"} {
		var tgts []vegeta.Target
		labels := map[string]string{}
		for _, term := range searchTerms[name] {
			t := get("/api/v1/customers", url.Values{"q": {term}, "limit": {strconv.Itoa(listLimit)}})
			tgts = append(tgts, t)
			labels[t.URL] = term
		}
		kind := map[string]string{"search3": "3+ characters: FTS5 trigram on SQLite, pg_trgm on PostgreSQL",
			"search2": "2 characters: LIKE scan", "search1": "1 character: LIKE scan"}[name]
		add(scenario{Name: name, Description: "GET /api/v1/customers?q=…&limit=50: name search, " + kind + ", rotating over terms",
			Targets: tgts, Note: termList(searchTerms[name], d.TermMatches), Labels: labels,
			checkTarget: func(t vegeta.Target, body []byte) error {
				u, _ := url.Parse(t.URL)
				term := u.Query().Get("q")
				return expectPage(min(listLimit, d.TermMatches[term]), func(it pageItem) error {
					if !strings.Contains(it.Name, term) {
						return fmt.Errorf("q=%s found %q", term, it.Name)
					}
					return nil
				})(body)
			}})
	}
	for _, name := range customerScenarioNames {
		sc := scs[name]
		if err := preflight(&sc); err != nil {
			return nil, fmt.Errorf("preflight: %w", err)
		}
		scs[name] = sc
	}
	if cs.explainOut != "" {
		if err := writeExplain(cs.explainOut, cs.db, cs.fx.TenantID, d); err != nil {
			return nil, err
		}
	}
	return scs, nil
}

type pageItem struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Stage string `json:"stage"`
}

// expectPage checks a list answer: exactly want items, each passing each.
func expectPage(want int, each func(pageItem) error) func([]byte) error {
	return func(body []byte) error {
		var p struct {
			Items []pageItem `json:"items"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			return fmt.Errorf("not a list: %v: %s", err, clip(body, 200))
		}
		if len(p.Items) != want {
			return fmt.Errorf("%d items, want %d", len(p.Items), want)
		}
		for _, it := range p.Items {
			if err := each(it); err != nil {
				return err
			}
		}
		return nil
	}
}

func wantStage(it pageItem, stage string) error {
	if it.Stage != stage {
		return fmt.Errorf("customer %s has stage %q, want %q", it.ID, it.Stage, stage)
	}
	return nil
}

// writeExplain writes, for the database's command-line client, the statements the server
// runs for the customer scenarios — as app/customer/list.go and the store's tenant scoping
// build them for the owner (data scope "all") — each under EXPLAIN, so that the plans can be
// read against the benchmark database while it exists. Keep in step with list.go.
//
// PostgreSQL: run by the administrator, but after SET ROLE crm_app inside a read-only
// transaction with app.tenant_id set, as the server does, so that row-level security applies:
// a superuser bypasses RLS and would see other plans. Each statement is shown with its
// literal values (the custom plan) and, for the searches, as the server runs it: pgx prepares
// and caches the statement per connection, and after five executions PostgreSQL's plan cache
// (plan_cache_mode auto) may switch to a generic plan, so each search is also explained as a
// prepared statement already executed five times with the scenario's terms.
func writeExplain(path, db, tenantID string, d *CustomerData) error {
	var b strings.Builder
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	cursorID := func(c string) string {
		raw, err := base64.RawURLEncoding.DecodeString(c)
		if err != nil {
			return ""
		}
		var v struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &v)
		return v.ID
	}
	falseLit, tenant := "false", lit(tenantID)
	if db == "sqlite" {
		falseLit = "0"
	}
	base := "SELECT * FROM \"customers\" WHERE customers.deleted_at IS NULL AND customers.in_pool = " + falseLit
	tail := " AND \"customers\".\"tenant_id\" = " + tenant + " ORDER BY customers.id LIMIT " + strconv.Itoa(listLimit+1)
	type stmt struct{ title, scenario, sql, param, paramSQL string }
	var stmts []stmt
	stmts = append(stmts, stmt{title: "customer: GET /customers/{id} (s.load)",
		sql: "SELECT * FROM \"customers\" WHERE id = " + lit(d.FirstID) + " AND \"customers\".\"tenant_id\" = " + tenant + " LIMIT 1"})
	stmts = append(stmts, stmt{title: "list: stage=potential, first page", sql: base + " AND customers.stage = 'potential'" + tail})
	if len(d.Cursors) > 0 {
		c := d.Cursors[len(d.Cursors)-1]
		stmts = append(stmts, stmt{title: fmt.Sprintf("list-cursor: stage=potential, page %d", d.CursorPages[len(d.CursorPages)-1]),
			sql: base + " AND customers.stage = 'potential' AND customers.id > " + lit(cursorID(c)) + tail})
	}
	for _, name := range []string{"search3", "search2", "search1"} {
		for _, term := range searchTerms[name] {
			title := fmt.Sprintf("%s: q=%s (%d matching rows)", name, term, d.TermMatches[term])
			like := "%" + term + "%"
			var cond, pcond string
			switch {
			case db == "sqlite" && name == "search3":
				cond = "customers.rowid IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH " + lit(`"`+term+`"`) + ")"
			case db == "sqlite":
				cond = "customers.name LIKE " + lit(like) + " ESCAPE '\\'"
			default:
				cond = "customers.name ILIKE " + lit(like) + " ESCAPE '\\'"
				pcond = "customers.name ILIKE $1 ESCAPE '\\'"
			}
			st := stmt{title: title, scenario: name, sql: base + " AND " + cond + tail}
			if pcond != "" {
				st.paramSQL, st.param = base+" AND "+pcond+tail, like
			}
			stmts = append(stmts, st)
		}
	}

	switch db {
	case "postgres":
		b.WriteString("-- Written by `load run -explain-out` (bench/cmd/load/custscenarios.go); run with psql as the administrator.\n")
		b.WriteString("\\pset pager off\n\\timing off\n")
		b.WriteString("SELECT relname, n_live_tup, last_analyze, last_autoanalyze, last_vacuum, last_autovacuum FROM pg_stat_user_tables WHERE relname IN ('customers', 'audit_log', 'outbox') ORDER BY relname;\n")
		b.WriteString("SELECT pg_size_pretty(pg_total_relation_size('customers')) AS customers_total, pg_size_pretty(pg_relation_size('customers_name_trgm')) AS name_trgm_index;\n")
		b.WriteString("SET ROLE crm_app;\nSELECT current_user, (SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user) AS bypassrls;\n")
		b.WriteString("BEGIN READ ONLY;\nSELECT set_config('app.tenant_id', " + tenant + ", true);\n")
		for _, st := range stmts {
			fmt.Fprintf(&b, "\\echo '=== %s (app role crm_app, RLS on, custom plan: literal values)'\n", st.title)
			b.WriteString("EXPLAIN (ANALYZE, BUFFERS, COSTS) " + st.sql + ";\n")
		}
		// The searches as the server's cached prepared statement runs them.
		for _, name := range []string{"search3", "search2", "search1"} {
			var group []stmt
			for _, st := range stmts {
				if st.scenario == name && st.paramSQL != "" {
					group = append(group, st)
				}
			}
			if len(group) == 0 {
				continue
			}
			fmt.Fprintf(&b, "PREPARE %s(text) AS %s;\n\\o /dev/null\n", name, group[0].paramSQL)
			for i := 0; i < 5; i++ {
				fmt.Fprintf(&b, "EXECUTE %s(%s);\n", name, lit(group[i%len(group)].param))
			}
			b.WriteString("\\o\n")
			for _, st := range group {
				fmt.Fprintf(&b, "\\echo '=== %s (app role crm_app, RLS on, prepared statement after 5 executions, plan_cache_mode auto: as the server runs it)'\n", st.title)
				fmt.Fprintf(&b, "EXPLAIN (ANALYZE, BUFFERS, COSTS) EXECUTE %s(%s);\n", name, lit(st.param))
			}
			fmt.Fprintf(&b, "DEALLOCATE %s;\n", name)
		}
		b.WriteString("COMMIT;\nRESET ROLE;\n")
		b.WriteString("\\echo '=== for comparison: the same searches as the superuser (RLS bypassed), custom plans'\n")
		for _, st := range stmts {
			if strings.HasPrefix(st.title, "search3") || strings.HasPrefix(st.title, "search2: q=华强") {
				fmt.Fprintf(&b, "\\echo '=== %s (superuser, no RLS)'\n", st.title)
				b.WriteString("EXPLAIN (ANALYZE, BUFFERS, COSTS) " + st.sql + ";\n")
			}
		}
	case "sqlite":
		b.WriteString("-- Written by `load run -explain-out` (bench/cmd/load/custscenarios.go); run with the sqlite3 shell.\n")
		b.WriteString(".headers on\nSELECT sqlite_version() AS cli_sqlite_version;\nSELECT count(*) AS sqlite_stat1_tables FROM sqlite_master WHERE name = 'sqlite_stat1';\n")
		for _, st := range stmts {
			fmt.Fprintf(&b, ".print '=== %s'\nEXPLAIN QUERY PLAN %s;\n", st.title, st.sql)
			// Time it (three runs, the answer thrown away).
			fmt.Fprintf(&b, ".timer on\n.output /dev/null\n%s;\n%s;\n%s;\n.output stdout\n.timer off\n", st.sql, st.sql, st.sql)
		}
	default:
		return nil
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
