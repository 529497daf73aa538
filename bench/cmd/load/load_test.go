package main

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func TestLoopbackURL(t *testing.T) {
	for raw, ok := range map[string]bool{
		"http://127.0.0.1:8080":     true,
		"http://127.0.0.2:1/x":      true,
		"http://localhost:8080":     false, // may resolve elsewhere; run.sh always passes 127.0.0.1
		"http://[::1]:8080":         false,
		"http://10.0.0.1:8080":      false,
		"https://127.0.0.1:8080":    false,
		"http://example.com:80":     false,
		"ftp://127.0.0.1/whatever":  false,
		"http://127.0.0.1.nip.io:1": false,
	} {
		if _, err := loopbackURL("crm", raw); (err == nil) != ok {
			t.Errorf("loopbackURL(%q): err = %v, want ok = %v", raw, err, ok)
		}
	}
}

func TestParseStat(t *testing.T) {
	// Field 2 may contain spaces and parentheses; utime and stime are fields 14 and 15.
	line := "4242 (crm (serve) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 56 0 0 20 0 8 0 100 0 0\n"
	st, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if st.state != 'S' || st.ticks != 1234+56 {
		t.Fatalf("got %+v, want state S and 1290 ticks", st)
	}
	if _, err := parseStat([]byte("garbage")); err == nil {
		t.Fatal("malformed stat accepted")
	}
}

func TestMaxHitsStops(t *testing.T) {
	p := maxHits(3)
	for hits, stop := range []bool{false, false, false, true, true} {
		if wait, got := p.Pace(time.Second, uint64(hits)); got != stop || wait != 0 {
			t.Errorf("Pace(hits=%d) = %v, %v; want 0, %v", hits, wait, got, stop)
		}
	}
}

func TestGenerateCustomers(t *testing.T) {
	const n = 20000
	rows := generateCustomers(n)
	if len(rows) != n {
		t.Fatalf("got %d rows, want %d", len(rows), n)
	}
	again := generateCustomers(n)
	names, phones := map[string]bool{}, map[string]bool{}
	for i, r := range rows {
		if r != again[i] {
			t.Fatalf("row %d differs between two generations: %v, %v", i, r, again[i])
		}
		if names[r.Name] || phones[r.Phone] {
			t.Fatalf("row %d repeats a name or phone: %v", i, r)
		}
		names[r.Name], phones[r.Phone] = true, true
		if len(r.Phone) != 11 || r.Phone[0] != '1' || r.Name == "" || r.Province == "" || r.City == "" || r.Industry == "" {
			t.Fatalf("row %d is incomplete: %v", i, r)
		}
		if r.Type != "企业" && r.Type != "个人" {
			t.Fatalf("row %d has type %q", i, r.Type)
		}
	}
	// The terms match a realistic share: some, not all.
	for scen, terms := range searchTerms {
		for _, term := range terms {
			if m := countMatches(rows, term); m == n {
				t.Errorf("%s term %q matches every row", scen, term)
			}
		}
	}
	if m := countMatches(rows, "华强"); m < n/100 || m > n/5 {
		t.Errorf("华强 matches %d of %d rows", m, n)
	}
}

func TestCustomersCSV(t *testing.T) {
	rows := generateCustomers(3)
	recs, err := csv.NewReader(bytes.NewReader(customersCSV(rows))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 || !slices.Equal(recs[0], csvHeader) {
		t.Fatalf("header or row count wrong: %v", recs)
	}
	for _, h := range csvHeader {
		if importMapping[h] == "" {
			t.Errorf("column %q has no mapping", h)
		}
	}
	if recs[1][0] != rows[0].Name || recs[3][2] != rows[2].Phone {
		t.Fatalf("rows not written in order: %v", recs)
	}
}

func TestCappedPacer(t *testing.T) {
	p := cappedPacer{Pacer: vegeta.ConstantPacer{Freq: 50, Per: time.Second}, max: 2}
	if _, stop := p.Pace(time.Second, 1); stop {
		t.Fatal("stopped before the cap")
	}
	if _, stop := p.Pace(time.Second, 2); !stop {
		t.Fatal("did not stop at the cap")
	}
}

func TestCustomerTargets(t *testing.T) {
	r := Run{BareOKRPS: 1000, Import: &ImportResult{Method: "import", Rows: 100_000, WallSeconds: 19, Status: "succeeded", Created: 100_000}}
	sat := ScenarioResult{Name: "customer", Group: "customer", OKRPS: 300, RatioToBare: 0.3}
	list := ScenarioResult{Name: "list", Group: "customer", Mode: "rate"}
	list.LatencyMS.P99 = 25
	s1 := ScenarioResult{Name: "search1", Group: "customer", Mode: "rate"}
	s1.LatencyMS.P99 = 99
	r.Scenarios = []ScenarioResult{sat, list, s1}
	got := map[string]bool{}
	for _, c := range customerTargets(r, 0.4) {
		got[c.what] = c.met
	}
	want := map[string]bool{"import": true, "customer (get by ID)": false, "list": false, "search1": true}
	for k, v := range want {
		if m, ok := got[k]; !ok || m != v {
			t.Errorf("%s: met = %v (present %v), want %v", k, m, ok, v)
		}
	}
	r.Import.Method = "post-fallback"
	if c := customerTargets(r, 0.4)[0]; !c.na {
		t.Errorf("a fallback import must not be judged against the import target: %+v", c)
	}
}

func TestWriteExplain(t *testing.T) {
	d := &CustomerData{FirstID: "01a208d0-0000-7000-8000-000000000000", TermMatches: map[string]int{},
		Cursors: []string{encodeTestCursor("01a208d0-0000-7000-8000-000000000001")}, CursorPages: []int{2}}
	for _, db := range []string{"postgres", "sqlite"} {
		path := t.TempDir() + "/x.sql"
		if err := writeExplain(path, db, "01a208d0-0000-7000-8000-00000000000a", d); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(path)
		s := string(raw)
		for _, want := range map[string][]string{
			"postgres": {"SET ROLE crm_app", "set_config('app.tenant_id'", "ILIKE '%华强电子%'", "EXECUTE search3(", "id > '01a208d0-0000-7000-8000-000000000001'"},
			"sqlite":   {"EXPLAIN QUERY PLAN", `customers_fts MATCH '"华强电子"'`, "customers.name LIKE '%华强%'", "in_pool = 0"},
		}[db] {
			if !strings.Contains(s, want) {
				t.Errorf("%s script lacks %q", db, want)
			}
		}
	}
}

func encodeTestCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(`{"id":"` + id + `"}`))
}
