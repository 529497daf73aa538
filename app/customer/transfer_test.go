package customer_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/jobs"
)

// xferJob is GET /jobs/{id}.
type xferJob struct {
	ID       uuid.UUID `json:"id"`
	Kind     string    `json:"kind"`
	Status   string    `json:"status"`
	Progress int64     `json:"progress"`
	Total    int64     `json:"total"`
	Report   *struct {
		Created    int `json:"created"`
		Skipped    int `json:"skipped"`
		Merged     int `json:"merged"`
		Failed     int `json:"failed"`
		Errors     []xferRowError
		Duplicates []struct {
			Row            int       `json:"row"`
			Action         string    `json:"action"`
			CustomerID     uuid.UUID `json:"customer_id"`
			Matched        []string  `json:"matched"`
			DuplicateOfRow int       `json:"duplicate_of_row"`
		} `json:"duplicates"`
		Error *xferRowError `json:"error"`
	} `json:"report"`
}

type xferRowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Column  string `json:"column"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// xferStartJobs runs the server's job queue for the test, polling often.
func xferStartJobs(t *testing.T, env *apitest.Env) {
	t.Helper()
	env.StartJobs(t)
}

// xferForm builds a multipart body with a file (unless data is nil) and form fields.
func xferForm(t testing.TB, fileName string, data []byte, fields map[string]string) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if data != nil {
		fw, err := w.CreateFormFile("file", fileName)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), w.FormDataContentType()
}

// xferImport posts an import as c and returns the answer.
func xferImport(t testing.TB, env *apitest.Env, c *apitest.Client, fileName string, data []byte, fields map[string]string) *apitest.Response {
	t.Helper()
	body, ct := xferForm(t, fileName, data, fields)
	h := c.Headers("POST")
	h["Content-Type"] = ct
	return env.Do(t, "POST", "/api/v1/customers/import", body, h)
}

// xferMustImport posts an import that must be accepted and returns the job's ID.
func xferMustImport(t testing.TB, env *apitest.Env, c *apitest.Client, fileName string, data []byte, fields map[string]string) uuid.UUID {
	t.Helper()
	r := xferImport(t, env, c, fileName, data, fields)
	if r.Status != 202 {
		t.Fatalf("import: %d %s", r.Status, r.Body)
	}
	var out struct {
		JobID uuid.UUID `json:"job_id"`
	}
	r.JSON(t, &out)
	if out.JobID == uuid.Nil {
		t.Fatalf("import: no job_id: %s", r.Body)
	}
	return out.JobID
}

// xferWait polls the job until it has ended.
func xferWait(t testing.TB, c *apitest.Client, id uuid.UUID, within time.Duration) xferJob {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var j xferJob
		c.MustDo(t, "GET", "/api/v1/jobs/"+id.String(), nil, 200, &j)
		if j.Status == "succeeded" || j.Status == "failed" {
			return j
		}
		if time.Now().After(deadline) {
			var errs []string
			c.Env().DB.Gorm(context.Background()).Raw("SELECT CAST(errors AS TEXT) FROM river_job WHERE kind = 'customer.import' ORDER BY id DESC LIMIT 1").Scan(&errs)
			t.Logf("last import job's errors: %q", errs)
			t.Fatalf("job %s still %s after %s (progress %d/%d)", id, j.Status, within, j.Progress, j.Total)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func xferCSV(t testing.TB, rows [][]string, bom bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	if bom {
		buf.WriteString("\ufeff")
	}
	w := csv.NewWriter(&buf)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xferXLSX(t testing.TB, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func xferCreate(t testing.TB, c *apitest.Client, body map[string]any) uuid.UUID {
	t.Helper()
	var out struct{ ID uuid.UUID }
	c.MustDo(t, "POST", "/api/v1/customers", body, 201, &out)
	return out.ID
}

func xferGet(t testing.TB, c *apitest.Client, id uuid.UUID) map[string]any {
	t.Helper()
	return c.MustDo(t, "GET", "/api/v1/customers/"+id.String(), nil, 200, nil).Map(t)
}

// xferFind lists customers matching q (a name or phone) as c.
func xferFind(t testing.TB, c *apitest.Client, q string) []map[string]any {
	t.Helper()
	var page struct{ Items []map[string]any }
	c.MustDo(t, "GET", "/api/v1/customers?limit=200&q="+url.QueryEscape(q), nil, 200, &page)
	return page.Items
}

func xferErrorsAt(j xferJob, row int) []xferRowError {
	var out []xferRowError
	for _, e := range j.Report.Errors {
		if e.Row == row {
			out = append(out, e)
		}
	}
	return out
}

// TestImportCustomersCSV imports 5,000 good rows with bad rows and duplicates among them.
func TestImportCustomersCSV(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		xferStartJobs(t, env)
		acme := env.Signup(t)
		owner := acme.Owner
		existing := xferCreate(t, owner, map[string]any{"type": "enterprise", "name": "深圳华强电子有限公司", "phone": "13800000001"})
		xferCreate(t, owner, map[string]any{"type": "enterprise", "name": "北京东方贸易有限公司", "phone": "010-88886666"})

		rows := [][]string{{"公司名称", "电话", "省份", "标签", "邮箱", "备注（不导入）"}}
		for i := 0; i < 5000; i++ {
			rows = append(rows, []string{fmt.Sprintf("导入测试客户%05d有限公司", i), fmt.Sprintf("139%08d", i), "广东", "批量,导入", fmt.Sprintf("c%d@example.com", i), "x"})
		}
		// Row numbers as the user sees them: the header is row 1.
		rows = append(rows,
			[]string{"邮箱有误有限公司", "13711112222", "广东", "", "not-an-email", ""}, // 5002: invalid email
			[]string{"", "13711113333", "广东", "", "", ""},                     // 5003: no name
			[]string{"导入测试客户00007有限公司", "", "", "", "", ""},                   // 5004: same name as row 9
			[]string{"深圳华强电子有限公司", "", "", "", "", ""},                        // 5005: same name as an existing customer
			[]string{"另一个名字有限公司", "+86 138-0000-0001", "", "", "", ""},        // 5006: the existing phone
			[]string{"电话重复有限公司", "139 0000 0042", "", "", "", ""},             // 5007: phone of row 44
		)
		mapping := `{"公司名称":"name","电话":"phone","省份":"address.province","标签":"tags","邮箱":"email"}`
		start := time.Now()
		id := xferMustImport(t, env, owner, "客户.csv", xferCSV(t, rows, true), map[string]string{"mapping": mapping})
		j := xferWait(t, owner, id, 2*time.Minute)
		t.Logf("%s: 5,006 rows imported in %s", env.Dialect, time.Since(start).Round(time.Millisecond))
		if j.Status != "succeeded" || j.Report == nil {
			t.Fatalf("job: %+v", j)
		}
		r := j.Report
		if r.Created != 5000 || r.Skipped != 4 || r.Merged != 0 || r.Failed != 2 {
			t.Errorf("counts: created %d skipped %d merged %d failed %d, want 5000/4/0/2", r.Created, r.Skipped, r.Merged, r.Failed)
		}
		if j.Progress != j.Total || j.Total != 5006 {
			t.Errorf("progress %d / total %d, want 5006/5006", j.Progress, j.Total)
		}
		if e := xferErrorsAt(j, 5002); len(e) != 1 || e[0].Field != "email" || e[0].Code != "invalid_format" || e[0].Column != "邮箱" || e[0].Message != "Invalid format." {
			t.Errorf("row 5002 errors: %+v", e)
		}
		if e := xferErrorsAt(j, 5003); len(e) != 1 || e[0].Field != "name" || e[0].Code != "required" || e[0].Message == "" {
			t.Errorf("row 5003 errors: %+v", e)
		}
		if len(r.Errors) != 2 {
			t.Errorf("errors: %+v", r.Errors)
		}
		dups := map[int]string{}
		for _, d := range r.Duplicates {
			dups[d.Row] = fmt.Sprintf("%s %v of %d", d.Action, d.Matched, d.DuplicateOfRow)
			if d.Row == 5005 && d.CustomerID != existing {
				t.Errorf("row 5005 duplicates %s, want %s", d.CustomerID, existing)
			}
		}
		want := map[int]string{5004: "skipped [name] of 9", 5005: "skipped [name] of 0", 5006: "skipped [phone] of 0", 5007: "skipped [phone] of 44"}
		for row, w := range want {
			if dups[row] != w {
				t.Errorf("duplicate row %d: %q, want %q (all: %v)", row, dups[row], w, dups)
			}
		}

		// The customers are there, listed and searchable, with sealed fields readable.
		if n := env.CountRows(t, "customers", "tenant_id = ?", acme.ID); n != 5002 {
			t.Errorf("tenant has %d customers, want 5002", n)
		}
		found := xferFind(t, owner, "13900000042")
		if len(found) != 1 || found[0]["name"] != "导入测试客户00042有限公司" || found[0]["phone"] != "13900000042" ||
			found[0]["address"].(map[string]any)["province"] != "广东" || fmt.Sprint(found[0]["tags"]) != "[批量 导入]" ||
			found[0]["owner_id"] != owner.UserID.String() {
			t.Errorf("imported customer: %+v", found)
		}
		var page struct {
			Items      []map[string]any
			NextCursor *string `json:"next_cursor"`
		}
		owner.MustDo(t, "GET", "/api/v1/customers?tag="+url.QueryEscape("导入")+"&limit=200", nil, 200, &page)
		if len(page.Items) != 200 || page.NextCursor == nil {
			t.Errorf("tag list: %d items", len(page.Items))
		}
		// Each created customer has its history entry, and the import itself is audited.
		if n := env.CountRows(t, "audit_log", "tenant_id = ? AND entity = 'customer' AND action = 'create'", acme.ID); n != 5002 {
			t.Errorf("%d create audit entries, want 5002", n)
		}
		if n := env.CountRows(t, "audit_log", "tenant_id = ? AND entity_id = ? AND action IN ('import', 'import_finished')", acme.ID, id.String()); n != 2 {
			t.Errorf("%d import audit entries, want 2", n)
		}
		if n := env.CountRows(t, "outbox", "tenant_id = ? AND type = 'customer.created'", acme.ID); n != 5002 {
			t.Errorf("%d created events, want 5002", n)
		}
		// The uploaded file is not kept once the run has finished.
		if n := env.CountRows(t, "import_files", "tenant_id = ?", acme.ID); n != 0 {
			t.Errorf("%d import files left", n)
		}

		// on_duplicate=create makes the duplicate anyway under the default "warn" policy.
		id = xferMustImport(t, env, owner, "again.csv", xferCSV(t, [][]string{{"name", "phone"}, {"深圳华强电子有限公司", ""}}, false),
			map[string]string{"on_duplicate": "create"})
		j = xferWait(t, owner, id, time.Minute)
		if j.Report.Created != 1 || len(j.Report.Duplicates) != 1 || j.Report.Duplicates[0].Action != "created" {
			t.Errorf("create anyway: %+v", j.Report)
		}
	})
}

// TestImportCustomersXLSX imports a workbook with an explicit mapping and merges duplicates.
func TestImportCustomersXLSX(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		xferStartJobs(t, env)
		acme := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		existing := xferCreate(t, owner, map[string]any{"type": "enterprise", "name": "上海金桥机械有限公司", "industry": "机械", "tags": []string{"老客户"}})

		bday := time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC)
		rows := [][]any{{"公司名称", "电话", "省份", "标签", "邮箱", "生日", "负责人邮箱", "等级", "员工"}}
		for i := 0; i < 30; i++ {
			rows = append(rows, []any{fmt.Sprintf("杭州西湖软件%02d有限公司", i), 15000000000 + i, "浙江", "软件", "", nil, "", "一般客户", 50})
		}
		rows = append(rows,
			[]any{"杭州西湖软件99有限公司", "15100000000", "浙江", "", "", bday, sales.Email, "重点", "120"}, // 32: owner, tier label, birthday
			[]any{"坏邮箱有限公司", "", "", "", "bad@", nil, "", "", ""},                              // 33: invalid email
			[]any{nil, "15200000000", "浙江", "", "", nil, "", "", ""},                           // 34: no name
			[]any{"上海金桥机械有限公司", "02166668888", "上海", "新标签", "jq@example.com", nil, "", "", ""}, // 35: merge into existing
			[]any{"杭州西湖软件03有限公司", "", "", "外包", "xh03@example.com", nil, "", "", ""},           // 36: merge into row 5
			[]any{"未知负责人有限公司", "", "", "", "", nil, "nobody@example.com", "", ""},              // 37: unknown owner
			[]any{"员工数不对有限公司", "", "", "", "", nil, "", "", "很多"},                              // 38: employees not a number
		)
		mapping := `{"公司名称":"name","电话":"phone","省份":"address.province","标签":"tags","邮箱":"email","生日":"birthday","负责人邮箱":"owner_email","等级":"tier","员工":"scale.employees"}`
		id := xferMustImport(t, env, owner, "客户.xlsx", xferXLSX(t, rows), map[string]string{"mapping": mapping, "on_duplicate": "merge"})
		j := xferWait(t, owner, id, time.Minute)
		if j.Status != "succeeded" {
			t.Fatalf("job: %+v", j)
		}
		r := j.Report
		if r.Created != 31 || r.Merged != 2 || r.Skipped != 0 || r.Failed != 4 {
			t.Errorf("counts: created %d merged %d skipped %d failed %d, want 31/2/0/4: %+v", r.Created, r.Merged, r.Skipped, r.Failed, r)
		}
		if j.Progress != 37 || j.Total != 37 {
			t.Errorf("progress %d/%d, want 37/37", j.Progress, j.Total)
		}
		for row, field := range map[int]string{33: "email", 34: "name", 37: "owner_email", 38: "scale.employees"} {
			if e := xferErrorsAt(j, row); len(e) != 1 || e[0].Field != field {
				t.Errorf("row %d errors: %+v, want one about %s", row, e, field)
			}
		}

		// Typed cells came through: numbers as phone digits, a date cell as the birthday, a
		// tier label as its code, the owner by email with their department.
		got := xferFind(t, owner, "15000000007")
		if len(got) != 1 || got[0]["name"] != "杭州西湖软件07有限公司" || got[0]["tier"] != "general" ||
			got[0]["scale"].(map[string]any)["employees"] != float64(50) {
			t.Errorf("row 9: %+v", got)
		}
		got = xferFind(t, owner, "杭州西湖软件99有限公司")
		if len(got) != 1 || got[0]["birthday"] != "1990-05-17" || got[0]["tier"] != "key" || got[0]["owner_id"] != sales.UserID.String() {
			t.Errorf("row 32: %+v", got)
		}
		// Merged into the existing customer: its empty fields filled, nothing overwritten,
		// tags united.
		m := xferGet(t, owner, existing)
		if m["phone"] != "02166668888" || m["email"] != "jq@example.com" || m["industry"] != "机械" ||
			fmt.Sprint(m["tags"]) != "[老客户 新标签]" || m["address"].(map[string]any)["province"] != "上海" {
			t.Errorf("merged customer: %+v", m)
		}
		// Merged into a customer created by an earlier row of the same file.
		got = xferFind(t, owner, "杭州西湖软件03有限公司")
		if len(got) != 1 || got[0]["email"] != "xh03@example.com" || fmt.Sprint(got[0]["tags"]) != "[软件 外包]" {
			t.Errorf("merged within the file: %+v", got)
		}
		if n := env.CountRows(t, "customers", "tenant_id = ?", acme.ID); n != 32 {
			t.Errorf("tenant has %d customers, want 32", n)
		}
	})
}

// TestImportAPI runs the endpoint's standard rows and the job endpoint's.
func TestImportAPI(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		xferStartJobs(t, env)
		acme := env.Signup(t)
		other := env.Signup(t)
		tech := acme.AddUser(t, "service_technician")
		colleague := acme.AddUser(t, "sales_manager")
		good := xferCSV(t, [][]string{{"公司名称", "电话"}, {"成都天府茶业有限公司", "13511112222"}}, false)
		form := func(data []byte, fields map[string]string) ([]byte, map[string]string) {
			body, ct := xferForm(t, "customers.csv", data, fields)
			return body, map[string]string{"Content-Type": ct}
		}
		job := xferMustImport(t, env, acme.Owner, "customers.csv", good, map[string]string{"mapping": `{"公司名称":"name","电话":"phone"}`})
		xferWait(t, acme.Owner, job, time.Minute)

		body, h := form(good, map[string]string{"mapping": `{"公司名称":"name"}`})
		noFile, hNoFile := form(nil, map[string]string{"mapping": `{"公司名称":"name"}`})
		badJSON, hBadJSON := form(good, map[string]string{"mapping": `{"公司名称":`})
		unknownTarget, hUnknown := form(good, map[string]string{"mapping": `{"公司名称":"name","电话":"fax"}`})
		missingCol, hMissing := form(good, map[string]string{"mapping": `{"公司名称":"name","手机":"phone"}`})
		noName, hNoName := form(good, map[string]string{"mapping": `{"电话":"phone"}`})
		badDup, hBadDup := form(good, map[string]string{"on_duplicate": "replace"})
		binary, hBinary := form([]byte("\x00\x01\x02garbage\x00"), nil)
		with := func(c *apitest.Client, h map[string]string) map[string]string {
			out := map[string]string{}
			for k, v := range h {
				out[k] = v
			}
			for k, v := range c.Headers("POST") {
				out[k] = v
			}
			return out
		}
		wantField := func(field, code string) func(t *testing.T, r *apitest.Response) {
			return func(t *testing.T, r *apitest.Response) { r.Problem(t).WantField(t, field, code) }
		}
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "POST", URL: "/api/v1/customers/import", Body: body, Headers: h, Status: 401, Code: "unauthenticated"},
			{Name: "no login job", Method: "GET", URL: "/api/v1/jobs/" + job.String(), Status: 401, Code: "unauthenticated"},
			{Name: "other tenant's job", Method: "GET", URL: "/api/v1/jobs/" + job.String(), As: other.Owner, Status: 404, Code: "not_found"},
			{Name: "a colleague's job", Method: "GET", URL: "/api/v1/jobs/" + job.String(), As: colleague, Status: 404, Code: "not_found"},
			{Name: "wrong role", Method: "POST", URL: "/api/v1/customers/import", Body: body, Headers: with(tech, h), Status: 403, Code: "forbidden"},
			{Name: "job not found", Method: "GET", URL: "/api/v1/jobs/" + uuid.Must(uuid.NewV7()).String(), As: acme.Owner, Status: 404, Code: "not_found"},
			{Name: "malformed job id", Method: "GET", URL: "/api/v1/jobs/nope", As: acme.Owner, Status: 404, Code: "not_found"},
			{Name: "no file", Method: "POST", URL: "/api/v1/customers/import", Body: noFile, Headers: with(acme.Owner, hNoFile), Status: 422, Code: "validation_failed", Check: wantField("file", "required")},
			{Name: "not multipart", Method: "POST", URL: "/api/v1/customers/import", Body: map[string]any{"file": "x"}, As: acme.Owner, Status: 422, Code: "validation_failed", Check: wantField("file", "required")},
			{Name: "mapping not JSON", Method: "POST", URL: "/api/v1/customers/import", Body: badJSON, Headers: with(acme.Owner, hBadJSON), Status: 422, Check: wantField("mapping", "invalid_format")},
			{Name: "unknown target field", Method: "POST", URL: "/api/v1/customers/import", Body: unknownTarget, Headers: with(acme.Owner, hUnknown), Status: 422, Check: wantField("mapping.电话", "invalid_choice")},
			{Name: "column not in file", Method: "POST", URL: "/api/v1/customers/import", Body: missingCol, Headers: with(acme.Owner, hMissing), Status: 422, Check: wantField("mapping.手机", "not_found")},
			{Name: "name not mapped", Method: "POST", URL: "/api/v1/customers/import", Body: noName, Headers: with(acme.Owner, hNoName), Status: 422, Check: wantField("mapping", "required")},
			{Name: "bad on_duplicate", Method: "POST", URL: "/api/v1/customers/import", Body: badDup, Headers: with(acme.Owner, hBadDup), Status: 422, Check: wantField("on_duplicate", "invalid_choice")},
			{Name: "not a table", Method: "POST", URL: "/api/v1/customers/import", Body: binary, Headers: with(acme.Owner, hBinary), Status: 422, Check: wantField("file", "invalid_format")},
			{Name: "success", Method: "POST", URL: "/api/v1/customers/import", Body: body, Headers: with(acme.Owner, h), Status: 202, Contains: []string{`"job_id"`}},
			{Name: "job", Method: "GET", URL: "/api/v1/jobs/" + job.String(), As: acme.Owner, Status: 200,
				Contains: []string{`"status":"succeeded"`, `"progress":1`, `"total":1`, `"created":1`, `"kind":"customer.import"`}},
		})
		// The refused imports left nothing behind.
		if n := env.CountRows(t, "job_runs", "tenant_id = ?", acme.ID); n != 2 {
			t.Errorf("%d runs, want 2", n)
		}
		if n := env.CountRows(t, "job_runs", "tenant_id = ?", other.ID); n != 0 {
			t.Errorf("other tenant has %d runs", n)
		}
	})
}

// TestImportSurvivesRestart enqueues an import while the queue is stopped and lets a new
// queue — as after a restart — finish it.
func TestImportSurvivesRestart(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		// The server's queue ran and stopped: the process is going down.
		env.Server.Jobs.PollInterval = 100 * time.Millisecond
		if err := env.Server.Jobs.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := env.Server.Jobs.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		rows := [][]string{{"name", "phone"}}
		for i := 0; i < 700; i++ {
			rows = append(rows, []string{fmt.Sprintf("重启测试%03d有限公司", i), fmt.Sprintf("186%08d", i)})
		}
		id := xferMustImport(t, env, acme.Owner, "restart.csv", xferCSV(t, rows, false), nil)
		time.Sleep(300 * time.Millisecond)
		var j xferJob
		acme.Owner.MustDo(t, "GET", "/api/v1/jobs/"+id.String(), nil, 200, &j)
		if j.Status != "queued" || j.Progress != 0 {
			t.Fatalf("before the restart: %+v", j)
		}

		// A new process: a new queue on the same database.
		q := jobs.New(env.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))
		q.PollInterval = 100 * time.Millisecond
		env.Server.Customers.Jobs = q
		env.Server.Customers.RegisterJobs(q)
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = q.Stop(ctx)
		})
		j = xferWait(t, acme.Owner, id, time.Minute)
		if j.Status != "succeeded" || j.Report.Created != 700 || j.Progress != 700 || j.Total != 700 {
			t.Fatalf("after the restart: %+v", j)
		}
		if n := env.CountRows(t, "customers", "tenant_id = ?", acme.ID); n != 700 {
			t.Errorf("%d customers, want 700", n)
		}
	})
}

// TestExportCustomers exports CSV and XLSX and reads them back.
func TestExportCustomers(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		other := env.Signup(t)
		owner := acme.Owner
		sales := acme.AddUser(t, "salesperson")
		manager := acme.AddUser(t, "general_manager")
		manager.Lang = "zh-CN"
		a := xferCreate(t, owner, map[string]any{"type": "enterprise", "name": "深圳华强电子有限公司", "phone": "13800138000",
			"tags": []string{"vip"}, "stage": "deal", "address": map[string]any{"province": "广东", "city": "深圳", "street": "华强北路 1 号"}})
		xferCreate(t, owner, map[string]any{"type": "individual", "name": "张三", "phone": "13900139000", "id_number": "110101199003071234"})
		xferCreate(t, owner, map[string]any{"type": "enterprise", "name": "北京东方贸易有限公司"})
		xferCreate(t, other.Owner, map[string]any{"type": "enterprise", "name": "别家客户有限公司", "phone": "13700137000"})

		readCSV := func(t *testing.T, body []byte) [][]string {
			if !bytes.HasPrefix(body, []byte("\ufeff")) {
				t.Errorf("CSV without BOM")
			}
			recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff")))).ReadAll()
			if err != nil {
				t.Fatalf("csv: %v", err)
			}
			return recs
		}
		col := func(t *testing.T, header []string, name string) int {
			for i, h := range header {
				if h == name {
					return i
				}
			}
			t.Fatalf("no column %q in %v", name, header)
			return -1
		}
		env.Run(t, []apitest.Scenario{
			{Name: "no login", Method: "GET", URL: "/api/v1/customers/export", Status: 401, Code: "unauthenticated"},
			{Name: "wrong role", Method: "GET", URL: "/api/v1/customers/export", As: sales, Status: 403, Code: "forbidden"},
			{Name: "bad format", Method: "GET", URL: "/api/v1/customers/export?format=pdf", As: owner, Status: 422, Code: "validation_failed"},
			{Name: "bad filter", Method: "GET", URL: "/api/v1/customers/export?stage=won", As: owner, Status: 422, Code: "validation_failed"},
			{Name: "csv", Method: "GET", URL: "/api/v1/customers/export?format=csv", As: owner, Status: 200,
				NotContains: []string{"别家客户", "13700137000"},
				Check: func(t *testing.T, r *apitest.Response) {
					if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
						t.Errorf("Content-Type %q", ct)
					}
					if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".csv") {
						t.Errorf("Content-Disposition %q", cd)
					}
					recs := readCSV(t, r.Body)
					if len(recs) != 4 {
						t.Fatalf("%d records, want header + 3", len(recs))
					}
					h := recs[0]
					name, phone, idn, street, stage := col(t, h, "Name"), col(t, h, "Phone"), col(t, h, "ID number"), col(t, h, "Street address"), col(t, h, "Stage")
					byName := map[string][]string{}
					for _, rec := range recs[1:] {
						byName[rec[name]] = rec
					}
					if rec := byName["深圳华强电子有限公司"]; rec == nil || rec[phone] != "13800138000" || rec[street] != "华强北路 1 号" || rec[stage] != "Deal" || rec[col(t, h, "ID")] != a.String() {
						t.Errorf("exported customer: %v", rec)
					}
					if rec := byName["张三"]; rec == nil || rec[idn] != "110101199003071234" || rec[col(t, h, "Type")] != "Individual" {
						t.Errorf("exported individual: %v", rec)
					}
				}},
			{Name: "csv filtered", Method: "GET", URL: "/api/v1/customers/export?tag=vip", As: owner, Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					if recs := readCSV(t, r.Body); len(recs) != 2 || r.Header.Get("X-Export-Rows") != "1" {
						t.Errorf("filtered export: %v", recs)
					}
				}},
			{Name: "xlsx in Chinese", Method: "GET", URL: "/api/v1/customers/export?format=xlsx&stage=deal", As: manager, Status: 200,
				Check: func(t *testing.T, r *apitest.Response) {
					if ct := r.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
						t.Errorf("Content-Type %q", ct)
					}
					f, err := excelize.OpenReader(bytes.NewReader(r.Body))
					if err != nil {
						t.Fatalf("xlsx: %v", err)
					}
					defer f.Close()
					rows, err := f.GetRows(f.GetSheetList()[0])
					if err != nil {
						t.Fatal(err)
					}
					if len(rows) != 2 {
						t.Fatalf("%d rows, want header + 1: %v", len(rows), rows)
					}
					h := rows[0]
					if rows[1][col(t, h, "客户名称")] != "深圳华强电子有限公司" || rows[1][col(t, h, "电话")] != "13800138000" ||
						rows[1][col(t, h, "客户阶段")] != "成交" || rows[1][col(t, h, "负责人邮箱")] != owner.Email {
						t.Errorf("xlsx row: %v", rows[1])
					}
				}},
		})
		// Each export is audited with its format, filter and row count (IAM-8).
		var audit struct {
			Items []struct {
				Action string            `json:"action"`
				Raw    map[string][2]any `json:"changes"`
			}
		}
		owner.MustDo(t, "GET", "/api/v1/audit?entity=customer&limit=200", nil, 200, &audit)
		var exports []string
		for _, e := range audit.Items {
			if e.Action != "export" {
				continue
			}
			exports = append(exports, fmt.Sprintf("%v %v %v", e.Raw["format"][1], e.Raw["rows"][1], e.Raw["filter"][1]))
		}
		want := []string{"xlsx 1 map[stage:deal]", "csv 1 map[tag:vip]", "csv 3 map[]"}
		if strings.Join(exports, "|") != strings.Join(want, "|") {
			t.Errorf("export audit entries: %q, want %q", exports, want)
		}
		if n := env.CountRows(t, "audit_log", "tenant_id = ? AND action = 'export'", other.ID); n != 0 {
			t.Errorf("other tenant has %d export entries", n)
		}

		// Past the row cap an export is refused whole, with advice, and gives nothing out (no
		// audit entry either); a filter within the cap still exports.
		env.Server.Customers.ExportRowCap = 2
		defer func() { env.Server.Customers.ExportRowCap = 0 }()
		r := owner.Do(t, "GET", "/api/v1/customers/export?format=csv", nil)
		if r.Status != 422 || strings.HasPrefix(string(r.Body), "\ufeff") {
			t.Fatalf("export past the cap: %d %.200s", r.Status, r.Body)
		}
		if p := r.Problem(t); !strings.Contains(p.Detail, "2") {
			t.Errorf("the refusal does not name the cap: %+v", p)
		}
		owner.MustDo(t, "GET", "/api/v1/customers/export?tag=vip", nil, 200, nil)
		if n := env.CountRows(t, "audit_log", "tenant_id = ? AND action = 'export'", acme.ID); n != 4 {
			t.Errorf("%d export entries, want 4 (the refused export is not one)", n)
		}
	})
}

// TestExportImportRoundTrip imports an export of one tenant into another unchanged: headers
// are recognised without a mapping and localized values are read back.
func TestExportImportRoundTrip(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		xferStartJobs(t, env)
		acme := env.Signup(t)
		beta := env.Signup(t)
		// The owner is matched by email: beta has a user with the email of acme's owner.
		var twin struct{ ID uuid.UUID }
		beta.Owner.MustDo(t, "POST", "/api/v1/users", map[string]any{"email": acme.Owner.Email, "name": "同名", "password": "another good password",
			"roles": []string{"salesperson"}}, 201, &twin)
		xferCreate(t, acme.Owner, map[string]any{"type": "individual", "name": "李四", "phone": "13600136000", "tier": "key",
			"source": "walk_in", "birthday": "1985-02-03", "tags": []string{"a", "b"}, "scale": map[string]any{"employees": 3, "annual_revenue": "1234.50"}})
		r := acme.Owner.MustDo(t, "GET", "/api/v1/customers/export?format=xlsx", nil, 200, nil)
		id := xferMustImport(t, env, beta.Owner, "export.xlsx", r.Body, nil)
		j := xferWait(t, beta.Owner, id, time.Minute)
		if j.Status != "succeeded" || j.Report.Created != 1 || j.Report.Failed != 0 {
			t.Fatalf("round trip: %+v", j.Report)
		}
		got := xferFind(t, beta.Owner, "13600136000")
		if len(got) != 1 || got[0]["type"] != "individual" || got[0]["tier"] != "key" || got[0]["source"] != "walk_in" ||
			got[0]["birthday"] != "1985-02-03" || fmt.Sprint(got[0]["tags"]) != "[a b]" ||
			fmt.Sprint(got[0]["scale"]) != "map[annual_revenue:1234.5 employees:3]" || got[0]["owner_id"] != twin.ID.String() {
			t.Errorf("round trip: %+v", got)
		}
	})
}

// TestExportNeutralisesFormulas exports values that a spreadsheet would take for formulas with
// a leading apostrophe (CSV injection), and an import of that export reads them back as they
// were: the phone keeps its +86.
func TestExportNeutralisesFormulas(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		xferStartJobs(t, env)
		acme := env.Signup(t)
		beta := env.Signup(t)
		xferCreate(t, acme.Owner, map[string]any{"type": "enterprise", "name": "=HYPERLINK(\"http://x\",\"贸易\")", "phone": "+86 135 0013 5000",
			"address": map[string]any{"street": "@华强北路"}})
		r := acme.Owner.MustDo(t, "GET", "/api/v1/customers/export?format=csv", nil, 200, nil)
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff")))).ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("csv: %v %q", err, recs)
		}
		cells := map[string]string{}
		for i, h := range recs[0] {
			cells[h] = recs[1][i]
		}
		if cells["Name"] != "'=HYPERLINK(\"http://x\",\"贸易\")" || cells["Phone"] != "'+86 135 0013 5000" || cells["Street address"] != "'@华强北路" {
			t.Errorf("exported cells: %q", cells)
		}
		id := xferMustImport(t, env, beta.Owner, "export.csv", r.Body, map[string]string{
			"mapping": `{"Name":"name","Phone":"phone","Street address":"address.street"}`})
		if j := xferWait(t, beta.Owner, id, time.Minute); j.Status != "succeeded" || j.Report.Created != 1 {
			t.Fatalf("import of the export: %+v", j.Report)
		}
		got := xferFind(t, beta.Owner, "13500135000")
		if len(got) != 1 || got[0]["name"] != "=HYPERLINK(\"http://x\",\"贸易\")" || got[0]["phone"] != "+86 135 0013 5000" ||
			fmt.Sprint(got[0]["address"].(map[string]any)["street"]) != "@华强北路" {
			t.Errorf("imported: %+v", got)
		}
	})
}

// TestImportOwnerEmailStaysInTenant: an owner_email is looked up among the importing tenant's
// users only; another tenant's user with that email is not found (and never becomes an owner).
func TestImportOwnerEmailStaysInTenant(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		xferStartJobs(t, env)
		acme := env.Signup(t)
		beta := env.Signup(t)
		data := xferCSV(t, [][]string{{"name", "owner_email"}, {"甲公司", acme.Owner.Email}, {"乙公司", beta.Owner.Email}}, false)
		id := xferMustImport(t, env, beta.Owner, "owners.csv", data, nil)
		j := xferWait(t, beta.Owner, id, time.Minute)
		if j.Status != "succeeded" || j.Report.Created != 1 || j.Report.Failed != 1 {
			t.Fatalf("import: %s %+v", j.Status, j.Report)
		}
		if errs := xferErrorsAt(j, 2); len(errs) != 1 || errs[0].Field != "owner_email" || errs[0].Code != "not_found" {
			t.Errorf("row 2 errors: %+v", errs)
		}
		if n := env.CountRows(t, "customers", "tenant_id = ? AND name = ?", beta.ID, "甲公司"); n != 0 {
			t.Errorf("甲公司 imported with another tenant's owner")
		}
	})
}
