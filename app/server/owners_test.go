package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// tableOwners names the one package that owns each table: only it maps the table to a model or
// names it in SQL; the others read and write it through the owner's functions.
var tableOwners = map[string]string{
	"api_tokens": "app/auth", "sessions": "app/auth",
	"audit_log":   "app/audit",
	"casbin_rule": "policies", "roles": "policies",
	"contacts": "app/customer", "customers": "app/customer", "customers_fts": "app/customer",
	"customer_pool_log": "app/customer", "customer_pool_warnings": "app/customer", "import_files": "app/jobs",
	"contracts": "app/deal", "orders": "app/deal", "payments": "app/deal", "payment_allocations": "app/deal",
	"payment_installments": "app/deal", "quotes": "app/deal", "quote_lines": "app/deal",
	// 00019's SQLite rebuild of payment_installments: created and dropped in the migration
	"payment_installments_new": "app/deal", "payment_allocations_kept": "app/deal",
	"customer_needs": "app/need",
	"departments":    "app/org", "users": "app/org",
	"exchange_rates": "app/money",
	"follow_ups":     "app/followup",
	"job_runs":       "app/jobs",
	"leads":          "app/lead", "lead_assignment_state": "app/lead",
	"notifications": "app/notify",
	"opportunities": "app/opportunity", "opportunity_stage_history": "app/opportunity",
	"outbox":          "app/outbox",
	"platform_admins": "tenants", "platform_audit": "tenants", "platform_sessions": "tenants", "tenants": "tenants",
	"plugin_activations": "plugins/host", "plugin_installs": "plugins/host", "plugin_record_index": "plugins/host",
	"plugin_records": "plugins/host", "plugin_settings": "plugins/host",
	"products":    "app/catalog",
	"work_orders": "app/service", "work_order_history": "app/service", "work_order_records": "app/service",
	"work_order_parts": "app/service", "work_order_costs": "app/service", "work_order_sequences": "app/service",
	"remote_applications": "app/service",
	"sign_off_links":      "app/service", // dropped by 00015 (sign-off links are public_links); its Down makes it again
	"public_links":        "app/publiclink",
	"surveys":             "app/survey",
	"incidents":           "app/incident", "incident_customers": "app/incident", "incident_updates": "app/incident",
	"calendar_days": "app/workday",
	"complaints":    "app/complaint", "complaint_events": "app/complaint", "complaint_remedies": "app/complaint",
	"complaint_penalties": "app/complaint", "complaint_sequences": "app/complaint",
	"credit_assessments": "app/risk", "risk_warnings": "app/risk", "risk_measures": "app/risk",
	"webhook_endpoints": "app/webhook", "webhook_deliveries": "app/webhook", "webhook_attempts": "app/webhook",
}

// knownReaders are the reads of another package's table that remain, each with its reason. The
// list only shrinks: a new entry needs a reason as good as these.
var knownReaders = map[string]string{
	"policies users":             "data scopes resolve managers and departments below app/org on the import ladder",
	"policies departments":       "data scopes resolve department subtrees below app/org on the import ladder",
	"app/opportunity customers":  "opportunity.CustomerRef: sales records check their customer's visibility and pool state",
	"app/salesreport customers":  "the sales report aggregates customers by owner and department in SQL",
	"app/salesreport follow_ups": "the sales report aggregates follow-up compliance in SQL",
	"app/notify users":           "a notification's recipient (language, mail address) is read where the mail is rendered",
	"app/customer departments":   "pools resolve their departments' subtrees",
	"app/lead users":             "lead assignment rules pick among active users of a department",
	"app/need departments":       "a need's routed department is checked to exist",
	"app/followup customers":     "the task list keeps follow-ups of live, owned customers in one SQL filter",
	"app/deal work_orders":       "an invoiced work order's receivable: payments against it check its customer, lists show its number and scope it by customer; app/service imports app/deal, so app/deal cannot call it",
}

var (
	createTable = regexp.MustCompile(`(?i)create\s+(?:virtual\s+)?table\s+(?:if\s+not\s+exists\s+)?([a-z_0-9]+)`)
	sqlTable    = regexp.MustCompile(`(?i)\b(?:from|join|update|into|table)\s+"?([a-z_0-9]+)`)
)

// TestTableOwners checks that every table of the migrations has exactly one owner, and that no
// other package maps it to a model (TableName, Table("…")) or names it in SQL.
func TestTableOwners(t *testing.T) {
	root := filepath.Join("..", "..")
	tables := map[string]bool{}
	for _, dialect := range []string{"sqlite", "postgres"} {
		dir := filepath.Join(root, "app", "store", "migrations", dialect)
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range createTable.FindAllStringSubmatch(string(b), -1) {
				tables[strings.ToLower(m[1])] = true
			}
		}
	}
	for table := range tables {
		if tableOwners[table] == "" {
			t.Errorf("table %s has no owner in tableOwners", table)
		}
	}
	for table := range tableOwners {
		if !tables[table] {
			t.Errorf("tableOwners names %s, which no migration creates", table)
		}
	}

	seen := map[string]bool{}
	fset := token.NewFileSet()
	for _, top := range []string{"app", "tenants", "policies", filepath.Join("plugins", "host")} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				switch rel {
				// Tools and test harnesses that set up whole databases, not areas reading each other.
				case "app/cmd", "app/store", "app/storetest", "app/apitest", "app/web":
					return filepath.SkipDir
				}
				if d.Name() == "testdata" || d.Name() == "node_modules" {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			pkg := filepath.ToSlash(filepath.Dir(rel))
			check := func(table string, pos token.Pos) {
				owner, ok := tableOwners[table]
				if !ok || strings.HasPrefix(pkg, owner) {
					return
				}
				key := pkg + " " + table
				seen[key] = true
				if knownReaders[key] == "" {
					t.Errorf("%s: %s names %s, owned by %s: use the owner's functions", fset.Position(pos), pkg, table, owner)
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncDecl:
					if n.Name.Name == "TableName" && n.Recv != nil && n.Body != nil {
						ast.Inspect(n.Body, func(m ast.Node) bool {
							if lit, ok := m.(*ast.BasicLit); ok && lit.Kind == token.STRING {
								if s, err := strconv.Unquote(lit.Value); err == nil {
									check(s, lit.Pos())
								}
							}
							return true
						})
					}
				case *ast.CallExpr:
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Table" && len(n.Args) > 0 {
						if lit, ok := n.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							if s, err := strconv.Unquote(lit.Value); err == nil {
								check(strings.Fields(s + " ")[0], lit.Pos())
							}
						}
					}
				case *ast.BasicLit:
					if n.Kind == token.STRING {
						if s, err := strconv.Unquote(n.Value); err == nil {
							for _, m := range sqlTable.FindAllStringSubmatch(s, -1) {
								check(strings.ToLower(m[1]), n.Pos())
							}
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var stale []string
	for key := range knownReaders {
		if !seen[key] {
			stale = append(stale, key)
		}
	}
	sort.Strings(stale)
	for _, key := range stale {
		t.Errorf("knownReaders lists %q, which no longer reads that table: remove the entry", key)
	}
}
