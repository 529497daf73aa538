package server_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// rungs place each package on the import ladder of docs/ARCHITECTURE.md; a package imports only
// packages on its own rung or below. Packages under app/ that are not listed are business areas.
var rungs = map[string]int{
	"app/problem": 0, "app/tenantctx": 0, "app/config": 0, "app/fieldcrypt": 0, "app/web": 0, "app/notify/smtpsink": 0,
	"app/store": 1, "app/api": 1, "app/listing": 1, "app/sheet": 1,
	"app/audit": 2, "app/outbox": 2, "app/jobs": 2, "app/storetest": 2,
	"policies": 3,
	"app/org":  4,
	"tenants":  5,
	// 6: business areas (app/customer, app/deal, app/auth, app/notify, …) and the plugin host.
	"plugins/host": 6,
	"app/server":   8, "app/apitest": 8,
	"app/cmd/crm": 9,
}

const businessRung = 6

func rungOf(pkg string) (int, bool) {
	if r, ok := rungs[pkg]; ok {
		return r, true
	}
	if strings.HasPrefix(pkg, "app/") {
		return businessRung, true
	}
	return 0, false
}

// TestImportLadder fails on an import that runs up the ladder (tests excepted: they may
// assemble a server).
func TestImportLadder(t *testing.T) {
	root := filepath.Join("..", "..")
	const module = "github.com/smecrm/crm/"
	fset := token.NewFileSet()
	for _, top := range []string{"app", "tenants", "policies", filepath.Join("plugins", "host")} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			pkg := filepath.ToSlash(rel)
			from, ok := rungOf(pkg)
			if !ok {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				dep, ok := strings.CutPrefix(p, module)
				if !ok {
					continue
				}
				if to, known := rungOf(dep); known && to > from {
					t.Errorf("%s (rung %d) imports %s (rung %d): imports run down the ladder", pkg, from, dep, to)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
