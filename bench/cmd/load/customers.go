package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The customer archive's setup: the benchmark tenant gets N customers through the real import
// endpoint (POST /api/v1/customers/import, then GET /api/v1/jobs/{id} until it ends), or, when
// that endpoint does not work, through concurrent POST /api/v1/customers — said loudly, since
// it is then not the import that was timed.

// probeRows is the size of the small import that checks the endpoint before the large one.
const probeRows = 10

// ImportResult is how the benchmark tenant's customers were created, and how long it took.
type ImportResult struct {
	// Method is "import" (POST /customers/import) or "post-fallback" (one POST /customers per row).
	Method string `json:"method"`
	// FallbackReason says why the import endpoint was not used.
	FallbackReason string `json:"fallback_reason,omitempty"`
	Rows           int    `json:"rows"`
	FileBytes      int    `json:"file_bytes,omitempty"`
	// GenerateSeconds is the time the load tool took to generate the rows and the CSV.
	GenerateSeconds float64 `json:"generate_seconds"`
	// UploadSeconds is POST /customers/import until its 202.
	UploadSeconds float64 `json:"upload_seconds,omitempty"`
	// WallSeconds is from the start of the upload until GET /jobs/{id} first showed the run
	// finished (polled every 100 ms): what a user waits.
	WallSeconds float64 `json:"wall_seconds"`
	// JobSeconds is the run's own created_at → finished_at, from the server.
	JobSeconds float64 `json:"job_seconds,omitempty"`
	JobID      string  `json:"job_id,omitempty"`
	Status     string  `json:"status"`
	Created    int     `json:"created"`
	Skipped    int     `json:"skipped"`
	Merged     int     `json:"merged"`
	Failed     int     `json:"failed"`
	// ReportSample is the start of the job's report (errors and duplicates lists included).
	ReportSample string `json:"report_sample,omitempty"`
	// ProbeRows more customers were created by the small import that checked the endpoint.
	ProbeRows    int     `json:"probe_rows"`
	ProbeSeconds float64 `json:"probe_seconds,omitempty"`
	CPU          CPU     `json:"cpu"`
	// Maintenance is what bench/run.sh ran on the database after the import (-after-import).
	Maintenance        string  `json:"maintenance,omitempty"`
	MaintenanceSeconds float64 `json:"maintenance_seconds,omitempty"`
}

// CustomerData is what the customer scenarios use, collected over the API after the import.
type CustomerData struct {
	Total        int            `json:"total"`
	Potential    int            `json:"potential"`
	SampleIDs    []string       `json:"-"`
	SampleCount  int            `json:"sample_ids"`
	Cursors      []string       `json:"-"`
	CursorPages  []int          `json:"cursor_pages"`
	TermMatches  map[string]int `json:"term_matches"`
	FirstID      string         `json:"first_id,omitempty"`
	CollectSecs  float64        `json:"collect_seconds"`
	ListPageSize int            `json:"list_page_size"`
}

// jobView is GET /jobs/{id}.
type jobView struct {
	ID         string          `json:"id"`
	Status     string          `json:"status"`
	Progress   int64           `json:"progress"`
	Total      int64           `json:"total"`
	Report     json.RawMessage `json:"report"`
	CreatedAt  time.Time       `json:"created_at"`
	FinishedAt *time.Time      `json:"finished_at"`
}

type importCounts struct {
	Created int  `json:"created"`
	Skipped int  `json:"skipped"`
	Merged  int  `json:"merged"`
	Failed  int  `json:"failed"`
	Trunc   bool `json:"truncated"`
	Error   *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// upload sends a CSV to POST /api/v1/customers/import and returns the job ID.
func (c *apiClient) upload(f *fixture, name string, data []byte) (string, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		return "", err
	}
	if _, err := fw.Write(data); err != nil {
		return "", err
	}
	m, _ := json.Marshal(importMapping)
	_ = mw.WriteField("mapping", string(m))
	_ = mw.WriteField("on_duplicate", "skip")
	if err := mw.Close(); err != nil {
		return "", err
	}
	req, err := http.NewRequest("POST", c.base.JoinPath("/api/v1/customers/import").String(), &body)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+f.token)
	cl := *c.http
	cl.Timeout = 2 * time.Minute
	res, err := cl.Do(req)
	if err != nil {
		return "", fmt.Errorf("POST /api/v1/customers/import: %w", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusAccepted {
		return "", fmt.Errorf("POST /api/v1/customers/import: status %d, want 202: %s", res.StatusCode, clip(raw, 500))
	}
	var out struct {
		JobID string `json:"job_id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.JobID == "" {
		return "", fmt.Errorf("POST /api/v1/customers/import: no job_id in %s", clip(raw, 300))
	}
	return out.JobID, nil
}

// waitJob polls GET /api/v1/jobs/{id} every 100 ms until the run has finished, or the deadline.
func (c *apiClient) waitJob(f *fixture, id string, deadline time.Duration, progress func(jobView)) (jobView, error) {
	end := time.Now().Add(deadline)
	lastPrint := time.Now()
	for {
		var j jobView
		if _, err := c.expect("GET", "/api/v1/jobs/"+id, nil, f.bearer(), http.StatusOK, &j); err != nil {
			return j, err
		}
		if j.Status == "succeeded" || j.Status == "failed" {
			return j, nil
		}
		if progress != nil && time.Since(lastPrint) >= 5*time.Second {
			progress(j)
			lastPrint = time.Now()
		}
		if time.Now().After(end) {
			return j, fmt.Errorf("job %s still %s (%d/%d) after %s", id, j.Status, j.Progress, j.Total, deadline)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func jobCounts(j jobView) (importCounts, error) {
	var ic importCounts
	if len(j.Report) == 0 || string(j.Report) == "null" {
		return ic, errors.New("the job has no report")
	}
	err := json.Unmarshal(j.Report, &ic)
	return ic, err
}

// importCustomers creates the benchmark tenant's customers: a probe import of probeRows rows
// first; if it works, the n rows in one file, timed; otherwise concurrent POSTs.
func importCustomers(c *apiClient, f *fixture, db string, n int, rows []customerRow, serverPID int, pgDB string,
	importDeadline time.Duration, forcePost bool) (*ImportResult, error) {
	res := &ImportResult{Rows: n, ProbeRows: probeRows}
	probe := customersCSV(rows[n:])
	t0 := time.Now()
	reason := "-import-method post"
	if forcePost {
		res.ProbeRows = 0
	} else {
		fmt.Printf("[%s] import: probing POST /api/v1/customers/import with %d rows\n", db, len(rows)-n)
		reason = probeImport(c, f, probe, len(rows)-n)
	}
	res.ProbeSeconds = time.Since(t0).Seconds()
	if reason != "" {
		res.Method, res.FallbackReason = "post-fallback", reason
		banner := strings.Repeat("!", 100)
		fmt.Printf("%s\n[%s] IMPORT ENDPOINT NOT USABLE: %s\n[%s] FALLING BACK to concurrent POST /api/v1/customers: the import time below is NOT the import's\n%s\n",
			banner, db, reason, db, banner)
		return res, postCustomers(c, f, db, rows[:n], res, serverPID, pgDB, importDeadline)
	}
	res.Method = "import"
	data := customersCSV(rows[:n])
	res.FileBytes = len(data)
	fmt.Printf("[%s] import: uploading %d rows (%.1f MB CSV)\n", db, n, float64(len(data))/1e6)
	before := snapshot(serverPID, pgDB)
	start := time.Now()
	id, err := c.upload(f, "customers.csv", data)
	if err != nil {
		return res, err
	}
	res.UploadSeconds = time.Since(start).Seconds()
	res.JobID = id
	j, err := c.waitJob(f, id, importDeadline, func(j jobView) {
		fmt.Printf("[%s] import: %s %d/%d after %.0fs\n", db, j.Status, j.Progress, j.Total, time.Since(start).Seconds())
	})
	res.WallSeconds = time.Since(start).Seconds()
	res.CPU = cpuBetween(before, snapshot(serverPID, pgDB), uint64(n))
	if err != nil {
		return res, err
	}
	res.Status = j.Status
	if j.FinishedAt != nil {
		res.JobSeconds = j.FinishedAt.Sub(j.CreatedAt).Seconds()
	}
	res.ReportSample = clip(j.Report, 600)
	ic, err := jobCounts(j)
	if err != nil {
		return res, fmt.Errorf("import job %s: %v", id, err)
	}
	res.Created, res.Skipped, res.Merged, res.Failed = ic.Created, ic.Skipped, ic.Merged, ic.Failed
	fmt.Printf("[%s] import: %s in %.1fs (upload %.1fs, job %.1fs): created %d, skipped %d, merged %d, failed %d\n", db, j.Status,
		res.WallSeconds, res.UploadSeconds, res.JobSeconds, ic.Created, ic.Skipped, ic.Merged, ic.Failed)
	if j.Status != "succeeded" {
		return res, fmt.Errorf("import job %s %s: %s", id, j.Status, clip(j.Report, 500))
	}
	return res, nil
}

// probeImport imports a small file and says what is wrong with the endpoint, "" if nothing.
func probeImport(c *apiClient, f *fixture, data []byte, rows int) string {
	id, err := c.upload(f, "probe.csv", data)
	if err != nil {
		return err.Error()
	}
	j, err := c.waitJob(f, id, 60*time.Second, nil)
	if err != nil {
		return err.Error()
	}
	if ic, err := jobCounts(j); err != nil || j.Status != "succeeded" || ic.Created != rows {
		return fmt.Sprintf("probe job %s ended %s with report %s", id, j.Status, clip(j.Report, 400))
	}
	return ""
}

// postCustomers is the fallback: one POST /api/v1/customers per row, 8 at a time, bounded by
// the deadline.
func postCustomers(c *apiClient, f *fixture, db string, rows []customerRow, res *ImportResult, serverPID int, pgDB string, deadline time.Duration) error {
	stageCodes := map[string]string{"潜在": "potential", "意向": "prospect", "成交": "deal"}
	before := snapshot(serverPID, pgDB)
	start := time.Now()
	end := start.Add(deadline)
	var next, created, failed atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(rows) || time.Now().After(end) {
					return
				}
				r := rows[i]
				typ := "enterprise"
				if r.Type == "个人" {
					typ = "individual"
				}
				var tags []string
				if r.Tags != "" {
					tags = strings.Split(r.Tags, "，")
				}
				_, err := c.expect("POST", "/api/v1/customers", map[string]any{"name": r.Name, "type": typ, "phone": r.Phone,
					"address": map[string]any{"province": r.Province, "city": r.City}, "industry": r.Industry, "tags": tags,
					"stage": stageCodes[r.Stage], "allow_duplicate": true}, f.bearer(), http.StatusCreated, nil)
				if err != nil {
					failed.Add(1)
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				if n := created.Add(1); n%10000 == 0 {
					fmt.Printf("[%s] fallback: %d customers created after %.0fs\n", db, n, time.Since(start).Seconds())
				}
			}
		}()
	}
	wg.Wait()
	res.WallSeconds = time.Since(start).Seconds()
	res.CPU = cpuBetween(before, snapshot(serverPID, pgDB), uint64(len(rows)))
	res.Created, res.Failed = int(created.Load()), int(failed.Load())
	res.Status = "succeeded"
	if res.Created < len(rows) {
		res.Status = "incomplete"
	}
	fmt.Printf("[%s] fallback: %d created, %d failed in %.1fs\n", db, res.Created, res.Failed, res.WallSeconds)
	if res.Created == 0 {
		return fmt.Errorf("fallback created no customer: %v", firstErr)
	}
	return nil
}

type listPage struct {
	Items []struct {
		ID        string    `json:"id"`
		Name      string    `json:"name"`
		Stage     string    `json:"stage"`
		CreatedAt time.Time `json:"created_at"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func (c *apiClient) list(f *fixture, q url.Values) (listPage, error) {
	var p listPage
	_, err := c.expect("GET", "/api/v1/customers?"+q.Encode(), nil, f.bearer(), http.StatusOK, &p)
	return p, err
}

// The list scenarios' page size and the pages whose cursors the list-cursor scenario uses.
const listLimit = 50

var cursorPages = []int{2, 10, 50, 100, 200}

// collectCustomerData reads, over the API, what the customer scenarios need: a sample of
// customer IDs spread over the whole import (pages of 200 at evenly spaced created_after
// points between the first and the last customer) and cursors to later pages of the filtered
// list (by walking it page by page). Bounded to a few hundred requests.
func collectCustomerData(c *apiClient, f *fixture, db string, sampleWanted int) (*CustomerData, error) {
	start := time.Now()
	d := &CustomerData{TermMatches: map[string]int{}, ListPageSize: listLimit}
	first, err := c.list(f, url.Values{"limit": {"200"}, "sort": {"created_at"}})
	if err != nil {
		return nil, err
	}
	last, err := c.list(f, url.Values{"limit": {"1"}, "sort": {"-created_at"}})
	if err != nil {
		return nil, err
	}
	if len(first.Items) == 0 || len(last.Items) == 0 {
		return nil, errors.New("the customer list is empty after the import")
	}
	d.FirstID = first.Items[0].ID
	seen := map[string]bool{}
	var ids []string
	add := func(p listPage) {
		for _, it := range p.Items {
			if !seen[it.ID] {
				seen[it.ID] = true
				ids = append(ids, it.ID)
			}
		}
	}
	add(first)
	t0, t1 := first.Items[0].CreatedAt, last.Items[0].CreatedAt
	const points = 10
	for k := 1; k < points; k++ {
		at := t0.Add(time.Duration(float64(t1.Sub(t0)) * float64(k) / points)).UTC().Truncate(time.Second)
		p, err := c.list(f, url.Values{"limit": {"200"}, "created_after": {at.Format(time.RFC3339)}})
		if err != nil {
			return nil, err
		}
		add(p)
	}
	// Spread the sample over what was collected.
	if len(ids) > sampleWanted {
		step := float64(len(ids)) / float64(sampleWanted)
		s := make([]string, 0, sampleWanted)
		for i := 0; i < sampleWanted; i++ {
			s = append(s, ids[int(float64(i)*step)])
		}
		ids = s
	}
	d.SampleIDs, d.SampleCount = ids, len(ids)

	// Walk the filtered list (the list scenario's query) and keep the cursors of later pages.
	q := url.Values{"limit": {strconv.Itoa(listLimit)}, "stage": {"potential"}}
	want := map[int]bool{}
	maxPage := 0
	for _, p := range cursorPages {
		want[p] = true
		maxPage = max(maxPage, p)
	}
	page := 1
	for ; page < maxPage && time.Since(start) < 90*time.Second; page++ {
		p, err := c.list(f, q)
		if err != nil {
			return nil, err
		}
		for _, it := range p.Items {
			if it.Stage != "potential" {
				return nil, fmt.Errorf("stage=potential listed a %q customer", it.Stage)
			}
		}
		if p.NextCursor == nil {
			break
		}
		q.Set("cursor", *p.NextCursor)
		if want[page+1] {
			d.Cursors = append(d.Cursors, *p.NextCursor)
			d.CursorPages = append(d.CursorPages, page+1)
		}
	}
	if len(d.Cursors) == 0 {
		return nil, fmt.Errorf("the filtered list has no second page (walked %d pages)", page)
	}
	d.CollectSecs = time.Since(start).Seconds()
	fmt.Printf("[%s] collected %d customer IDs and cursors to pages %v in %.1fs\n", db, len(d.SampleIDs), d.CursorPages, d.CollectSecs)
	return d, nil
}

// termList renders term counts for printing, in the order of the scenario's terms.
func termList(terms []string, m map[string]int) string {
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		parts = append(parts, fmt.Sprintf("%s %d", t, m[t]))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
