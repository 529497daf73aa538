package customer

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// Import and export of customers (CUS-10).
//
// An import is accepted in the request — the file is read far enough to check its header
// against the mapping — and stored with a queued jobs.Run; a River job then does the work.
// The worker validates every row with the rules of POST /customers (api.Validate on Input and
// newCustomer), detects duplicates (CUS-7) within the file and against the tenant, and writes
// ImportBatchSize rows per transaction with multi-row inserts of the customers, their audit
// entries and their events; the run's progress and report are saved in the same transaction,
// so a run interrupted by a restart resumes where its last batch ended. Bad rows never stop an
// import: they are counted and described in the report, in the importing user's language.
//
// An export writes the customers a list with the same filters would show (query()) as CSV or
// XLSX with localized headers and the sensitive fields in clear, and audits it (IAM-8).

// Import limits and tuning.
const (
	// ImportBatchSize is how many rows one transaction writes.
	ImportBatchSize = 500
	// MaxImportRows bounds one file.
	MaxImportRows = 200_000
	// MaxImportFileSize bounds an upload (the HTTP server's own body limit is 32 MiB).
	MaxImportFileSize = 30 << 20
	// maxReportItems caps the error and duplicate lists of a report.
	maxReportItems = 1000
	// ImportKind is the kind of import runs and of their River jobs.
	ImportKind = "customer.import"
)

// On-duplicate policies of an import.
const (
	OnDuplicateSkip   = "skip"
	OnDuplicateMerge  = "merge"
	OnDuplicateCreate = "create"
)

// fieldLabel is a column header in the three product languages.
type fieldLabel struct{ zhCN, zhTW, en string }

func (l fieldLabel) in(locale string) string {
	switch locale {
	case "en":
		return l.en
	case "zh-TW":
		return l.zhTW
	default:
		return l.zhCN
	}
}

func (l fieldLabel) matches(s string) bool {
	return strings.EqualFold(s, l.zhCN) || strings.EqualFold(s, l.zhTW) || strings.EqualFold(s, l.en)
}

// transferFields are the columns of an export, in order, and the targets an import column can
// be mapped to (plus custom_fields.<key>). Keys are the API's JSON paths.
var transferFields = []struct {
	key        string
	label      fieldLabel
	importable bool
}{
	{"id", fieldLabel{"客户编号", "客戶編號", "ID"}, false},
	{"name", fieldLabel{"客户名称", "客戶名稱", "Name"}, true},
	{"type", fieldLabel{"客户类型", "客戶類型", "Type"}, true},
	{"short_name", fieldLabel{"简称", "簡稱", "Short name"}, true},
	{"credit_code", fieldLabel{"统一社会信用代码", "統一社會信用代碼", "Unified social credit code"}, true},
	{"industry", fieldLabel{"行业", "行業", "Industry"}, true},
	{"scale.employees", fieldLabel{"员工人数", "員工人數", "Employees"}, true},
	{"scale.annual_revenue", fieldLabel{"年营业额", "年營業額", "Annual revenue"}, true},
	{"address.province", fieldLabel{"省份", "省份", "Province"}, true},
	{"address.city", fieldLabel{"城市", "城市", "City"}, true},
	{"address.district", fieldLabel{"区县", "區縣", "District"}, true},
	{"address.street", fieldLabel{"详细地址", "詳細地址", "Street address"}, true},
	{"region", fieldLabel{"区域", "區域", "Region"}, true},
	{"business_scope", fieldLabel{"经营范围", "經營範圍", "Business scope"}, true},
	{"legal_representative", fieldLabel{"法定代表人", "法定代表人", "Legal representative"}, true},
	{"source", fieldLabel{"客户来源", "客戶來源", "Source"}, true},
	{"stage", fieldLabel{"客户阶段", "客戶階段", "Stage"}, true},
	{"tier", fieldLabel{"客户等级", "客戶等級", "Tier"}, true},
	{"intent_class", fieldLabel{"意向等级", "意向等級", "Intent class"}, true},
	{"value_class", fieldLabel{"价值等级", "價值等級", "Value class"}, false},
	{"tags", fieldLabel{"标签", "標籤", "Tags"}, true},
	{"phone", fieldLabel{"电话", "電話", "Phone"}, true},
	{"id_number", fieldLabel{"证件号码", "證件號碼", "ID number"}, true},
	{"email", fieldLabel{"邮箱", "電子郵件", "Email"}, true},
	{"birthday", fieldLabel{"生日", "生日", "Birthday"}, true},
	{"owner", fieldLabel{"负责人", "負責人", "Owner"}, false},
	{"owner_email", fieldLabel{"负责人邮箱", "負責人電子郵件", "Owner email"}, true},
	{"department", fieldLabel{"所属部门", "所屬部門", "Department"}, false},
	{"in_pool", fieldLabel{"公海", "公海", "In pool"}, false},
	{"created_at", fieldLabel{"创建时间", "建立時間", "Created at"}, false},
}

// headerAliases are other common headers of customer spreadsheets, recognised when an import
// gives no mapping.
var headerAliases = map[string]string{
	"公司名称": "name", "公司名稱": "name", "企业名称": "name", "企業名稱": "name", "客户": "name", "客戶": "name",
	"名称": "name", "名稱": "name", "Company": "name", "Company name": "name", "Customer": "name",
	"手机": "phone", "手機": "phone", "手机号": "phone", "手機號碼": "phone", "联系电话": "phone", "聯絡電話": "phone", "电话号码": "phone",
	"邮件": "email", "电子邮箱": "email", "E-mail": "email", "信箱": "email",
	"省": "address.province", "市": "address.city", "区": "address.district", "地址": "address.street",
	"标签/分类": "tags", "标记": "tags",
}

// choiceLabels are the localized names of coded values, exported as such and accepted (as
// well as the codes) on import.
var choiceLabels = map[string]map[string]fieldLabel{
	"type": {
		TypeEnterprise: {"企业客户", "企業客戶", "Enterprise"},
		TypeIndividual: {"个人客户", "個人客戶", "Individual"},
	},
	"stage": {
		StagePotential: {"潜在", "潛在", "Potential"},
		StageProspect:  {"意向", "意向", "Prospect"},
		StageDeal:      {"成交", "成交", "Deal"},
		StageChurned:   {"流失", "流失", "Churned"},
	},
	"tier": {
		TierKey:       {"重点客户", "重點客戶", "Key"},
		TierGeneral:   {"一般客户", "一般客戶", "General"},
		TierPotential: {"潜在客户", "潛在客戶", "Potential"},
	},
	"source": {
		"market_research":  {"市场调研", "市場調研", "Market research"},
		"industry_event":   {"行业展会", "行業展會", "Industry event"},
		"partner_referral": {"合作伙伴推荐", "合作夥伴推薦", "Partner referral"},
		"online":           {"网络", "網路", "Online"},
		"cold_call":        {"电话陌拜", "電話陌拜", "Cold call"},
		"walk_in":          {"上门", "上門", "Walk-in"},
		"other":            {"其他", "其他", "Other"},
	},
}

// choiceCode turns a code or any language's label into the code; anything else is returned
// as given, for validation to refuse.
func choiceCode(field, v string) string {
	for code, l := range choiceLabels[field] {
		if strings.EqualFold(v, code) || l.matches(v) {
			return code
		}
	}
	// A short form such as 重点 for 重点客户, 企业 for 企业客户.
	for code, l := range choiceLabels[field] {
		for _, s := range []string{l.zhCN, l.zhTW} {
			if v != "" && strings.HasPrefix(s, v) && utf8.RuneCountInString(v) >= 2 {
				return code
			}
		}
	}
	return v
}

func choiceLabel(locale, field, code string) string {
	if l, ok := choiceLabels[field][code]; ok {
		return l.in(locale)
	}
	return code
}

// importTarget reports whether key is a field an import column may be mapped to.
func importTarget(key string) bool {
	if k, ok := strings.CutPrefix(key, "custom_fields."); ok {
		return k != "" && len(k) <= 64
	}
	for _, f := range transferFields {
		if f.key == key {
			return f.importable
		}
	}
	return false
}

func importTargets() string {
	var keys []string
	for _, f := range transferFields {
		if f.importable {
			keys = append(keys, f.key)
		}
	}
	return strings.Join(append(keys, "custom_fields.<key>"), ", ")
}

// ---- reading files ----

// table is an uploaded sheet: its header and its non-empty data rows.
type table struct {
	xlsx   bool
	header []string
	rows   []tableRow
}

// tableRow is one data row with its number as the user sees it (the header is row 1 when it
// is the first line).
type tableRow struct {
	num   int
	cells []string
}

var errBadFile = problem.Field("file", "invalid_format", "import.bad_file")

func isXLSX(data []byte) bool { return bytes.HasPrefix(data, []byte("PK\x03\x04")) }

// readTable reads a CSV (UTF-8 with or without BOM; GB18030, as older Excel saves it, is
// recognised too) or the first sheet of an XLSX workbook. headerOnly stops after the header.
func readTable(name string, data []byte, headerOnly bool) (*table, error) {
	ext := strings.ToLower(filepath.Ext(name))
	if ext == ".xls" || ext == ".numbers" {
		return nil, errBadFile
	}
	if isXLSX(data) {
		return readXLSX(data, headerOnly)
	}
	return readCSV(data, headerOnly)
}

func readCSV(data []byte, headerOnly bool) (*table, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || !utf8.Valid(dec) {
			return nil, errBadFile
		}
		data = dec
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, errBadFile // a binary file
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = false
	if first, _, _ := bytes.Cut(data, []byte("\n")); !bytes.ContainsRune(first, ',') {
		if bytes.ContainsRune(first, '\t') {
			r.Comma = '\t'
		} else if bytes.ContainsRune(first, ';') {
			r.Comma = ';'
		}
	}
	t := &table{}
	num := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, errBadFile
		}
		num++
		if done, err := t.add(num, rec, headerOnly); err != nil || done {
			if err != nil {
				return nil, err
			}
			break
		}
	}
	return t.finish()
}

// add takes one record of the file (line or row number num): the first non-blank one is the
// header, the others are data rows. done is true when only the header was wanted.
func (t *table) add(num int, rec []string, headerOnly bool) (done bool, err error) {
	if blank(rec) {
		return false, nil
	}
	if t.header == nil {
		t.header = trimAll(rec)
		return headerOnly, nil
	}
	if len(t.rows) >= MaxImportRows {
		return true, problem.Field("file", "too_many_rows", "import.too_many_rows", MaxImportRows)
	}
	t.rows = append(t.rows, tableRow{num: num, cells: rec})
	return false, nil
}

// finish checks that the file had a header.
func (t *table) finish() (*table, error) {
	if t.header == nil {
		return nil, problem.Field("file", "empty", "import.empty_file")
	}
	return t, nil
}

func readXLSX(data []byte, headerOnly bool) (*table, error) {
	opts := excelize.Options{RawCellValue: true}
	f, err := excelize.OpenReader(bytes.NewReader(data), opts)
	if err != nil {
		return nil, errBadFile
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, problem.Field("file", "empty", "import.empty_file")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, errBadFile
	}
	defer rows.Close()
	t := &table{xlsx: true}
	num := 0
	for rows.Next() {
		num++
		rec, err := rows.Columns(opts)
		if err != nil {
			return nil, errBadFile
		}
		if done, err := t.add(num, rec, headerOnly); err != nil || done {
			if err != nil {
				return nil, err
			}
			break
		}
	}
	if err := rows.Error(); err != nil {
		return nil, errBadFile
	}
	return t.finish()
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func trimAll(rec []string) []string {
	out := make([]string, len(rec))
	for i, c := range rec {
		out[i] = strings.TrimSpace(strings.TrimPrefix(c, "\ufeff"))
	}
	return out
}

// ---- mapping ----

// mappedColumn is one file column imported into a customer field.
type mappedColumn struct {
	index  int
	header string
	target string
}

// resolveMapping checks a mapping (source header → field) against the file's header and the
// tenant's custom fields. With no mapping, columns whose header is a field's key or its label
// in any language (a custom field's key or label) map to it.
func resolveMapping(header []string, mapping map[string]string, defs []tenants.FieldDef) ([]mappedColumn, error) {
	custom := map[string]bool{}
	for _, d := range defs {
		custom[d.Key] = true
	}
	index := map[string]int{}
	for i, h := range header {
		if _, dup := index[h]; !dup && h != "" {
			index[h] = i
		}
	}
	var cols []mappedColumn
	if mapping == nil {
	next:
		for i, h := range header {
			for _, f := range transferFields {
				if f.importable && (strings.EqualFold(h, f.key) || f.label.matches(h) || headerAliases[h] == f.key) {
					cols = append(cols, mappedColumn{index: i, header: h, target: f.key})
					continue next
				}
			}
			for _, d := range defs {
				if h == d.Key || h == d.Label || h == "custom_fields."+d.Key {
					cols = append(cols, mappedColumn{index: i, header: h, target: "custom_fields." + d.Key})
					continue next
				}
			}
		}
	} else {
		var fes []problem.FieldError
		sources := make([]string, 0, len(mapping))
		for src := range mapping {
			sources = append(sources, src)
		}
		sort.Strings(sources)
		for _, src := range sources {
			target := strings.TrimSpace(mapping[src])
			if target == "" {
				continue // column explicitly ignored
			}
			field := "mapping." + src
			i, ok := index[strings.TrimSpace(src)]
			k, isCustom := strings.CutPrefix(target, "custom_fields.")
			switch {
			case isCustom && !custom[k]:
				fes = append(fes, problem.FieldError{Field: field, Code: "unknown_field", Key: "field.unknown_custom_field"})
			case !importTarget(target):
				fes = append(fes, problem.FieldError{Field: field, Code: "invalid_choice", Key: "field.invalid_choice", Args: []any{importTargets()}})
			case !ok:
				fes = append(fes, problem.FieldError{Field: field, Code: "not_found", Key: "import.no_column", Args: []any{src}})
			default:
				cols = append(cols, mappedColumn{index: i, header: src, target: target})
			}
		}
		if len(fes) > 0 {
			return nil, problem.Fields(fes...)
		}
	}
	seen := map[string]bool{}
	hasName := false
	for _, c := range cols {
		if seen[c.target] {
			return nil, problem.Field("mapping."+c.header, "duplicate", "import.duplicate_target", c.target)
		}
		seen[c.target] = true
		hasName = hasName || c.target == "name"
	}
	if !hasName {
		return nil, problem.Field("mapping", "required", "import.name_unmapped")
	}
	sort.Slice(cols, func(i, j int) bool { return cols[i].index < cols[j].index })
	return cols, nil
}

// ---- starting an import ----

// ImportParams are what an import run keeps for its worker.
type ImportParams struct {
	FileName    string            `json:"file_name"`
	Format      string            `json:"format"`
	Mapping     map[string]string `json:"mapping"`
	OnDuplicate string            `json:"on_duplicate"`
	Locale      string            `json:"locale"`
}

// importFile is an uploaded import file, kept until its run finishes so that the run
// survives restarts.
type importFile struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	JobID     uuid.UUID `gorm:"primaryKey"`
	Name      string
	Size      int64
	Data      []byte
	CreatedAt time.Time
}

func (importFile) TableName() string { return "import_files" }

// ImportRequest is an upload to import.
type ImportRequest struct {
	FileName string
	Data     []byte
	// Mapping is the JSON object source column → customer field; "" maps by header names.
	Mapping string
	// OnDuplicate is skip (default), merge or create.
	OnDuplicate string
}

// Import checks an upload and its mapping, stores both with a queued run, and enqueues the
// work; it returns the run's ID. A file that cannot be read, a mapping naming a column the file
// lacks or a field that cannot be imported, or no column for the name are validation errors;
// merging duplicates needs the customer:update permission as well (forbidden otherwise).
func (s *Service) Import(ctx context.Context, req ImportRequest) (uuid.UUID, error) {
	onDup := strings.TrimSpace(req.OnDuplicate)
	if onDup == "" {
		onDup = OnDuplicateSkip
	}
	if onDup != OnDuplicateSkip && onDup != OnDuplicateMerge && onDup != OnDuplicateCreate {
		return uuid.Nil, problem.Field("on_duplicate", "invalid_choice", "field.invalid_choice", "skip, merge, create")
	}
	var mapping map[string]string
	if m := strings.TrimSpace(req.Mapping); m != "" {
		if err := json.Unmarshal([]byte(m), &mapping); err != nil || mapping == nil {
			return uuid.Nil, problem.Field("mapping", "invalid_format", "import.bad_mapping")
		}
	}
	if len(req.Data) == 0 {
		return uuid.Nil, problem.Field("file", "required", "field.required")
	}
	if len(req.Data) > MaxImportFileSize {
		return uuid.Nil, problem.Field("file", "too_large", "import.file_too_large", MaxImportFileSize>>20)
	}
	t, err := readTable(req.FileName, req.Data, true)
	if err != nil {
		return uuid.Nil, err
	}
	var defs []tenants.FieldDef
	if err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		defs, err = customFieldDefs(ctx, tx)
		return err
	}); err != nil {
		return uuid.Nil, err
	}
	cols, err := resolveMapping(t.header, mapping, defs)
	if err != nil {
		return uuid.Nil, err
	}
	// An owner_email column assigns customers, which needs customer:assign as naming an owner
	// on a single create does.
	if s.Authz != nil && tenantctx.ActorFrom(ctx).UserID != uuid.Nil && slices.ContainsFunc(cols, func(c mappedColumn) bool { return c.target == "owner_email" }) {
		if err := s.Authz.Require(ctx, "customer", "assign"); err != nil {
			return uuid.Nil, err
		}
	}
	if onDup == OnDuplicateMerge && s.Authz != nil {
		if err := s.Authz.Require(ctx, "customer", "update"); err != nil {
			return uuid.Nil, err
		}
	}
	format := "csv"
	if t.xlsx {
		format = "xlsx"
	}
	params := ImportParams{FileName: req.FileName, Format: format, Mapping: mapping, OnDuplicate: onDup, Locale: tenantctx.Locale(ctx)}
	actor := tenantctx.ActorFrom(ctx)
	tid, _ := tenantctx.TenantID(ctx)
	var run *jobs.Run
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		if run, err = jobs.NewRun(ctx, tx, ImportKind, params, s.now()); err != nil {
			return err
		}
		f := importFile{JobID: run.ID, Name: req.FileName, Size: int64(len(req.Data)), Data: req.Data, CreatedAt: s.now()}
		if err := tx.Create(&f).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "import", "customer", run.ID.String(), nil, map[string]any{
			"job_id": run.ID, "file": req.FileName, "format": format, "size": len(req.Data), "mapping": mapping, "on_duplicate": onDup})
	})
	if err != nil {
		return uuid.Nil, err
	}
	s.enqueueImport(ctx, importArgs{TenantID: tid, RunID: run.ID, ActorID: actor.UserID})
	return run.ID, nil
}

// enqueueImport inserts the River job of a committed run. Failing that, the run stays queued
// and durable: the sweep at the queue's next start (and every ImportSweepInterval) enqueues it.
func (s *Service) enqueueImport(ctx context.Context, args importArgs) {
	if s.Jobs == nil {
		return
	}
	if _, err := s.Jobs.Insert(ctx, args, nil); err != nil {
		slog.WarnContext(ctx, "import queued; job will be enqueued by the next sweep", "job_id", args.RunID, "err", err)
	}
}

// ---- the worker ----

// importArgs is the River job of an import run. Uniqueness by run keeps a run from being
// worked twice when the sweep enqueues it again.
type importArgs struct {
	TenantID uuid.UUID `json:"tenant_id"`
	RunID    uuid.UUID `json:"run_id" river:"unique"`
	ActorID  uuid.UUID `json:"actor_id"`
}

func (importArgs) Kind() string { return ImportKind }

func (importArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type importWorker struct {
	river.WorkerDefaults[importArgs]
	s *Service
}

func (w *importWorker) Work(ctx context.Context, job *river.Job[importArgs]) error {
	err := w.s.runImport(ctx, job.Args)
	if err != nil && job.Attempt >= job.MaxAttempts {
		// Out of retries: say so in the run rather than leave it "running" for ever.
		w.s.failRun(jobs.TenantContext(ctx, job.Args.TenantID, job.Args.ActorID), job.Args.RunID, nil, err)
	}
	return err
}

// importSweepArgs is the periodic job that enqueues import runs still queued (see
// enqueueImport).
type importSweepArgs struct{}

func (importSweepArgs) Kind() string { return "customer.import_sweep" }

type importSweepWorker struct {
	river.WorkerDefaults[importSweepArgs]
	s *Service
}

// ImportSweepInterval is how often queued import runs are checked for a missing job.
const ImportSweepInterval = 15 * time.Minute

func (w *importSweepWorker) Work(ctx context.Context, _ *river.Job[importSweepArgs]) error {
	return forEachTenant(ctx, w.s, func(ctx context.Context) error {
		tid, _ := tenantctx.TenantID(ctx)
		var runs []jobs.Run
		err := w.s.DB.Read(ctx, func(tx *gorm.DB) error {
			var err error
			runs, err = jobs.QueuedRuns(tx, ImportKind, w.s.now())
			return err
		})
		if err != nil {
			return err
		}
		for _, r := range runs {
			w.s.enqueueImport(ctx, importArgs{TenantID: tid, RunID: r.ID, ActorID: deref(r.CreatedBy)})
		}
		return nil
	})
}

func (s *Service) importJobs(q *jobs.Queue) {
	jobs.Register(q, &importWorker{s: s})
	jobs.Register(q, &importSweepWorker{s: s})
	q.Every("customer.import_sweep", ImportSweepInterval, func() river.JobArgs { return importSweepArgs{} })
}

// ImportReport is the report of an import run: counts, then the rows that failed (one entry
// per field error) and the duplicates found, each list capped at 1,000 entries.
type ImportReport struct {
	Created    int            `json:"created"`
	Skipped    int            `json:"skipped"`
	Merged     int            `json:"merged"`
	Failed     int            `json:"failed"`
	Errors     []RowError     `json:"errors"`
	Duplicates []RowDuplicate `json:"duplicates"`
	// Truncated says the lists were capped.
	Truncated bool `json:"truncated,omitempty"`
	// Error says why a failed run stopped (an unreadable file, say).
	Error *RowError `json:"error,omitempty"`
}

// RowError is one problem with one row (Row 0: with the whole file).
type RowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Column  string `json:"column,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// RowDuplicate is a row found to duplicate a customer (CUS-7): what was done with it, the
// customer, and which values matched. DuplicateOfRow is set when that customer came from an
// earlier row of the same file.
type RowDuplicate struct {
	Row            int       `json:"row"`
	Action         string    `json:"action"`
	CustomerID     uuid.UUID `json:"customer_id"`
	Matched        []string  `json:"matched"`
	DuplicateOfRow int       `json:"duplicate_of_row,omitempty"`
}

func (r *ImportReport) addError(e RowError) {
	if len(r.Errors) >= maxReportItems {
		r.Truncated = true
		return
	}
	r.Errors = append(r.Errors, e)
}

func (r *ImportReport) addDuplicate(d RowDuplicate) {
	if len(r.Duplicates) >= maxReportItems {
		r.Truncated = true
		return
	}
	r.Duplicates = append(r.Duplicates, d)
}

// failRun ends a run as failed, with cause as the report's error (internal errors are logged
// and shown without their cause).
func (s *Service) failRun(ctx context.Context, id uuid.UUID, report *ImportReport, cause error) {
	if report == nil {
		report = &ImportReport{}
	}
	if report.Errors == nil {
		report.Errors = []RowError{}
	}
	if report.Duplicates == nil {
		report.Duplicates = []RowDuplicate{}
	}
	locale := tenantctx.Locale(ctx)
	var pe *problem.Error
	if errors.As(cause, &pe) && pe.Code == problem.Invalid && len(pe.Fields) > 0 {
		f := pe.Fields[0]
		report.Error = &RowError{Field: f.Field, Code: f.Code, Message: problem.Message(locale, f.Key, f.Args...)}
	} else {
		slog.ErrorContext(ctx, "import failed", "job_id", id, "err", cause)
		report.Error = &RowError{Code: "internal", Message: problem.Message(locale, "internal")}
	}
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := jobs.FinishRun(tx, id, jobs.StatusFailed, report, s.now()); err != nil {
			return err
		}
		return tx.Where("job_id = ?", id).Delete(&importFile{}).Error
	})
	if err != nil {
		slog.ErrorContext(ctx, "import: record failure", "job_id", id, "err", err)
	}
}

// runImport does (or resumes) the work of an import run.
func (s *Service) runImport(ctx context.Context, a importArgs) error {
	ctx = jobs.TenantContext(ctx, a.TenantID, a.ActorID)
	var run *jobs.Run
	var file importFile
	var actor importUser
	var tn tenants.Tenant
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		var err error
		if run, err = jobs.FindRun(tx, a.RunID); err != nil || run.Finished() {
			return err
		}
		if err := tx.Take(&tn, "id = ?", a.TenantID).Error; err != nil {
			return err
		}
		if err := tx.Take(&file, "job_id = ?", a.RunID).Error; err != nil {
			return err
		}
		actor, err = org.FindUser(tx, a.ActorID)
		return err
	})
	if problem.Is(err, problem.NotFound) {
		return nil // the run (or its tenant) is gone: nothing to do
	}
	if err != nil || run.Finished() {
		return err
	}
	var p ImportParams
	if err := json.Unmarshal(run.Params, &p); err != nil {
		return err
	}
	// The job acts as the user who started it, in their tenant, language and data scope.
	ctx = tenantctx.WithInfo(ctx, tn.Info())
	ctx = tenantctx.WithLocale(ctx, p.Locale)
	ctx = tenantctx.WithActor(ctx, tenantctx.Actor{UserID: actor.ID, DepartmentID: deref(actor.DepartmentID), Via: "job"})
	if !tn.Writable() {
		s.failRun(ctx, run.ID, nil, problem.Field("file", "tenant_suspended", "tenant_suspended"))
		return nil
	}
	report := &ImportReport{Errors: []RowError{}, Duplicates: []RowDuplicate{}}
	if run.Progress > 0 && len(run.Report) > 0 {
		if err := json.Unmarshal(run.Report, report); err != nil {
			return err
		}
	}
	imp, err := s.newImporter(ctx, run, p, &tn, report)
	if err != nil {
		return err
	}
	t, err := readTable(file.Name, file.Data, false)
	if err == nil {
		imp.xlsx = t.xlsx
		imp.cols, err = resolveMapping(t.header, p.Mapping, imp.defList)
	}
	if err != nil {
		if problem.Is(err, problem.Invalid) {
			// The file or the tenant's custom fields changed since the request was checked.
			s.failRun(ctx, run.ID, report, err)
			return nil
		}
		return err
	}
	total := int64(len(t.rows))
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := jobs.StartRun(tx, run.ID, s.now()); err != nil {
			return err
		}
		return jobs.SaveProgress(tx, run.ID, run.Progress, total, report, s.now())
	})
	if err != nil {
		return err
	}
	// Two stages on two goroutines: the next batch is converted, validated and sealed while
	// the current one is written (SQLite writes on one core).
	started := time.Now()
	batches := make(chan *preparedBatch, 1)
	pctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		defer close(batches)
		for start := int(run.Progress); start < len(t.rows); start += ImportBatchSize {
			end := min(start+ImportBatchSize, len(t.rows))
			b := imp.prepareBatch(pctx, t.rows[start:end])
			b.progress = int64(end)
			select {
			case batches <- b:
			case <-pctx.Done():
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	for b := range batches {
		if b.err != nil {
			return b.err
		}
		if err := imp.write(ctx, b, total); err != nil {
			return err
		}
	}
	slog.InfoContext(ctx, "import done", "job_id", run.ID, "rows", total-run.Progress, "took", time.Since(started).String())
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := jobs.FinishRun(tx, run.ID, jobs.StatusSucceeded, report, s.now()); err != nil {
			return err
		}
		if err := tx.Where("job_id = ?", run.ID).Delete(&importFile{}).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "import_finished", "customer", run.ID.String(), nil, map[string]any{
			"job_id": run.ID, "rows": total, "created": report.Created, "skipped": report.Skipped,
			"merged": report.Merged, "failed": report.Failed})
	})
}

// importUser is a tenant user as the importer needs it (owner_email look-ups and owners'
// departments), read through app/org, which owns the table.
type importUser = org.User

// runRef is a customer created by an earlier row of the same run.
type runRef struct {
	id  uuid.UUID
	row int
}

// importer holds one run's state between batches.
type importer struct {
	s       *Service
	run     *jobs.Run
	params  ImportParams
	xlsx    bool
	cols    []mappedColumn
	report  *ImportReport
	locale  string
	users   map[uuid.UUID]importUser
	byEmail map[string]uuid.UUID
	policy  string // the tenant's duplicate policy: warn or block
	defs    map[string]tenants.FieldDef
	defList []tenants.FieldDef
	// Customers created by this run so far, by duplicate key.
	names, codes, phones map[string]runRef
}

func (s *Service) newImporter(ctx context.Context, run *jobs.Run, p ImportParams, tn *tenants.Tenant, report *ImportReport) (*importer, error) {
	imp := &importer{s: s, run: run, params: p, report: report, locale: p.Locale,
		users: map[uuid.UUID]importUser{}, byEmail: map[string]uuid.UUID{}, policy: "warn",
		defs: map[string]tenants.FieldDef{}, names: map[string]runRef{}, codes: map[string]runRef{}, phones: map[string]runRef{}}
	if dp := tn.Settings.Data().DuplicatePolicy; dp != "" {
		imp.policy = dp
	}
	imp.defList = tn.Settings.Data().CustomFields
	for _, d := range imp.defList {
		imp.defs[d.Key] = d
	}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		us, err := org.Directory(tx)
		if err != nil {
			return err
		}
		for _, u := range us {
			imp.users[u.ID] = u
			imp.byEmail[strings.ToLower(u.Email)] = u.ID
		}
		return nil
	})
	return imp, err
}

// candidate is a row that passed validation, with the record built from it.
type candidate struct {
	row     tableRow
	in      Input
	present map[string]bool // targets with a value in this row
	c       *Customer
	// plain sensitive values, for merging without opening what was just sealed
	street, phone, idNumber string
	// its audit entry and event, built ahead; stale once a later row merged into it
	entry audit.Entry
	event outbox.Event
	stale bool
	// create is set when the writer decides to create the row
	create bool
}

// rowFailure is a row refused before the database is asked.
type rowFailure struct {
	row tableRow
	fes []problem.FieldError
}

// preparedBatch is a batch converted, validated and sealed, ready to write.
type preparedBatch struct {
	cands    []*candidate
	failures []rowFailure
	chunks   []insertChunk
	progress int64
	err      error
}

// insertChunk is a run of candidates with their INSERT statements (customers, audit
// entries, events) built ahead, to be run as they are when every one of them is created.
type insertChunk struct {
	cands []*candidate
	stmts []builtStmt
}

// builtStmt is a statement built by GORM — the store's tenant scoping included — but not run,
// its values already converted for the driver.
type builtStmt struct {
	sql  string
	vars []any
}

// buildInsert builds the multi-row INSERT of rows (a slice of models) without running it.
func buildInsert(db *gorm.DB, rows any) (builtStmt, error) {
	st := db.Session(&gorm.Session{DryRun: true}).Create(rows)
	if st.Error != nil {
		return builtStmt{}, st.Error
	}
	vars := make([]any, len(st.Statement.Vars))
	for i, v := range st.Statement.Vars {
		dv, ok := v.(driver.Valuer)
		if !ok {
			vars[i] = v
			continue
		}
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			continue // NULL
		}
		x, err := dv.Value()
		if err != nil {
			return builtStmt{}, err
		}
		vars[i] = x
	}
	return builtStmt{sql: st.Statement.SQL.String(), vars: vars}, nil
}

// buildChunks groups a batch's candidates and builds their INSERTs. Building — GORM's SQL
// and the JSON of audit entries and events — is a good part of an insert's cost, and here it
// runs beside the writer rather than in its transaction.
func (imp *importer) buildChunks(ctx context.Context, cands []*candidate) ([]insertChunk, error) {
	db := imp.s.DB.Gorm(ctx)
	per := rowsPerInsert(db, &Customer{})
	var out []insertChunk
	for start := 0; start < len(cands); start += per {
		ch := insertChunk{cands: cands[start:min(start+per, len(cands))]}
		customers := make([]*Customer, len(ch.cands))
		entries := make([]audit.Entry, len(ch.cands))
		events := make([]outbox.Event, len(ch.cands))
		for i, c := range ch.cands {
			customers[i], entries[i], events[i] = c.c, c.entry, c.event
		}
		for _, rows := range []any{customers, entries, events} {
			st, err := buildInsert(db, rows)
			if err != nil {
				return nil, err
			}
			ch.stmts = append(ch.stmts, st)
		}
		out = append(out, ch)
	}
	return out, nil
}

// prepareBatch does for a batch everything that needs no database. It runs beside the
// writer, so it reports failures rather than counting them.
func (imp *importer) prepareBatch(ctx context.Context, rows []tableRow) *preparedBatch {
	b := &preparedBatch{cands: make([]*candidate, 0, len(rows))}
	for _, row := range rows {
		cand, fes, err := imp.prepare(ctx, row)
		if err == nil && cand != nil {
			err = cand.buildRecords(ctx, imp.s)
		}
		switch {
		case err != nil:
			b.err = err
			return b
		case len(fes) > 0:
			b.failures = append(b.failures, rowFailure{row: row, fes: fes})
		default:
			b.cands = append(b.cands, cand)
		}
	}
	b.chunks, b.err = imp.buildChunks(ctx, b.cands)
	return b
}

// buildRecords makes the candidate's create audit entry and event.
func (c *candidate) buildRecords(ctx context.Context, s *Service) error {
	v, err := view(s.Keys, c.c)
	if err != nil {
		return err
	}
	c.entry, c.event, err = changeRecords(ctx, "create", "customer.created", nil, v)
	c.stale = false
	return err
}

// fail records a row's field errors.
func (imp *importer) fail(row tableRow, fes []problem.FieldError) {
	imp.report.Failed++
	for _, fe := range fes {
		imp.report.addError(RowError{Row: row.num, Field: fe.Field, Column: imp.column(fe.Field), Code: fe.Code,
			Message: problem.Message(imp.locale, fe.Key, fe.Args...)})
	}
}

// column is the file column mapped to a field (for the report), if any.
func (imp *importer) column(field string) string {
	for _, c := range imp.cols {
		if c.target == field || strings.HasPrefix(field, c.target+".") || (field == "owner_id" && c.target == "owner_email") {
			return c.header
		}
	}
	return ""
}

func fieldErrors(err error) ([]problem.FieldError, bool) {
	var pe *problem.Error
	if errors.As(err, &pe) && pe.Code == problem.Invalid {
		if len(pe.Fields) == 0 {
			return []problem.FieldError{{Field: "", Code: "invalid", Key: pe.Key, Args: pe.Args}}, true
		}
		return pe.Fields, true
	}
	return nil, false
}

// prepare turns a row into a candidate, or says why it cannot be one.
func (imp *importer) prepare(ctx context.Context, row tableRow) (*candidate, []problem.FieldError, error) {
	cand := &candidate{row: row, present: map[string]bool{}}
	in := &cand.in
	var fes []problem.FieldError
	ownerEmail := ""
	custom := map[string]string{}
	for _, col := range imp.cols {
		if col.index >= len(row.cells) {
			continue
		}
		v := strings.TrimSpace(row.cells[col.index])
		if v == "" {
			continue
		}
		cand.present[col.target] = true
		if k, ok := strings.CutPrefix(col.target, "custom_fields."); ok {
			custom[k] = v
			continue
		}
		if fe := imp.set(in, &ownerEmail, col.target, v); fe != nil {
			fes = append(fes, *fe)
		}
	}
	in.CustomFields, fes = imp.customFields(custom, fes)
	if in.Type == "" {
		in.Type = TypeEnterprise
	}
	if ownerEmail != "" {
		id, ok := imp.byEmail[strings.ToLower(ownerEmail)]
		if !ok || imp.users[id].Status != "active" {
			fes = append(fes, problem.FieldError{Field: "owner_email", Code: "not_found", Key: "field.not_found"})
		} else {
			in.OwnerID = &id
		}
	}
	if err := api.Validate.Struct(in); err != nil {
		vfes, ok := fieldErrors(api.ValidationError(err))
		if !ok {
			return nil, nil, err
		}
		fes = append(fes, vfes...)
	}
	if len(fes) > 0 {
		return nil, fes, nil
	}
	c, err := imp.s.newCustomer(ctx, *in)
	if err != nil {
		if vfes, ok := fieldErrors(err); ok {
			return nil, vfes, nil
		}
		return nil, nil, err
	}
	// The owner's department, as setOwnerAndDepartment does for a single create.
	if c.OwnerID != nil {
		u, ok := imp.users[*c.OwnerID]
		if !ok || u.Status != "active" {
			return nil, []problem.FieldError{{Field: "owner_email", Code: "not_found", Key: "field.not_found"}}, nil
		}
		c.DepartmentID = u.DepartmentID
	}
	cand.c = c
	cand.street, cand.phone, cand.idNumber = in.Address.Street, in.Phone, in.IDNumber
	return cand, nil, nil
}

var dateSep = regexp.MustCompile(`^(\d{4})\D(\d{1,2})\D(\d{1,2})\D?$`)

// set puts one cell value into the input.
func (imp *importer) set(in *Input, ownerEmail *string, target, v string) *problem.FieldError {
	invalid := func() *problem.FieldError {
		return &problem.FieldError{Field: target, Code: "invalid_format", Key: "field.invalid_format"}
	}
	switch target {
	case "name":
		in.Name = v
	case "type", "stage", "tier", "source":
		code := choiceCode(target, v)
		switch target {
		case "type":
			in.Type = code
		case "stage":
			in.Stage = code
		case "tier":
			in.Tier = code
		default:
			in.Source = code
		}
	case "short_name":
		in.ShortName = v
	case "credit_code":
		in.CreditCode = v
	case "industry":
		in.Industry = v
	case "scale.employees":
		f, err := strconv.ParseFloat(cleanNumber(v), 64)
		if err != nil || f != float64(int(f)) {
			return invalid()
		}
		n := int(f)
		in.Scale.Employees = &n
	case "scale.annual_revenue":
		d, err := decimal.NewFromString(cleanNumber(v))
		if err != nil {
			return invalid()
		}
		in.Scale.AnnualRevenue = &d
	case "address.province":
		in.Address.Province = v
	case "address.city":
		in.Address.City = v
	case "address.district":
		in.Address.District = v
	case "address.street":
		in.Address.Street = v
	case "region":
		in.Region = v
	case "business_scope":
		in.BusinessScope = v
	case "legal_representative":
		in.LegalRepresentative = v
	case "intent_class":
		ic := strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(v, "类"), "類"))
		in.IntentClass = &ic
	case "tags":
		in.Tags = splitList(v)
	case "phone":
		in.Phone = v
	case "id_number":
		in.IDNumber = v
	case "email":
		in.Email = v
	case "birthday":
		d, ok := imp.date(v)
		if !ok {
			return invalid()
		}
		in.Birthday = &d
	case "owner_email":
		*ownerEmail = v
	}
	return nil
}

// customFields types a row's custom field texts by the tenant's definitions and checks them
// as validateCustomFields does on create (CUS-3): values of their type and among the options,
// required fields present.
func (imp *importer) customFields(raw map[string]string, fes []problem.FieldError) (map[string]any, []problem.FieldError) {
	out := map[string]any{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		d, ok := imp.defs[k]
		field := "custom_fields." + k
		if !ok {
			fes = append(fes, problem.FieldError{Field: field, Code: "unknown_field", Key: "field.unknown_custom_field"})
			continue
		}
		v := raw[k]
		var val any = v
		switch d.Type {
		case tenants.FieldNumber:
			f, err := strconv.ParseFloat(cleanNumber(v), 64)
			if err != nil {
				fes = append(fes, problem.FieldError{Field: field, Code: "invalid_type", Key: "field.invalid_type", Args: []any{"number"}})
				continue
			}
			val = f
		case tenants.FieldDate:
			if d, ok := imp.date(v); ok {
				val = d
			}
		case tenants.FieldMultiChoice:
			var items []any
			for _, it := range splitList(v) {
				items = append(items, it)
			}
			val = items
		}
		if fe := checkCustomValue(d, val); fe != nil {
			fes = append(fes, *fe)
			continue
		}
		out[k] = val
	}
	for _, d := range imp.defList {
		if d.Required && isEmptyCustomValue(out[d.Key]) && raw[d.Key] == "" {
			fes = append(fes, problem.FieldError{Field: "custom_fields." + d.Key, Code: "required", Key: "field.required"})
		}
	}
	return out, fes
}

// splitList splits a cell holding several values (tags, choices).
func splitList(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(",，;；|、\n", r) }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func cleanNumber(v string) string {
	return strings.NewReplacer(",", "", "，", "", "¥", "", "￥", "", " ", "").Replace(v)
}

// date reads 2006-01-02, 2006/1/2, 2006.1.2, 2006年1月2日 and, from XLSX, date serial numbers.
func (imp *importer) date(v string) (string, bool) {
	if imp.xlsx {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && f < 2958466 {
			t, err := excelize.ExcelDateToTime(f, false)
			if err != nil {
				return "", false
			}
			return t.Format(time.DateOnly), true
		}
	}
	if m := dateSep.FindStringSubmatch(v); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, time.UTC)
		if t.Month() != time.Month(mo) || t.Day() != d {
			return "", false
		}
		return t.Format(time.DateOnly), true
	}
	return "", false
}

// existing is a live customer of the tenant sharing a duplicate key with a row of a batch.
type existing struct {
	ID         uuid.UUID
	Name       string
	CreditCode string
	PhoneHash  string
	DeletedAt  *time.Time
}

// mergeOp merges a row into an existing customer.
type mergeOp struct {
	cand    *candidate
	target  uuid.UUID
	matched []string
	ofRow   int
}

// write de-duplicates and writes a prepared batch, saving the run's progress in the same
// transaction.
func (imp *importer) write(ctx context.Context, b *preparedBatch, total int64) error {
	s := imp.s
	cands := b.cands
	// A failed batch fails the job, and River's retry starts a new importer from the last
	// saved progress: counts and duplicate maps need no undoing here.
	return s.DB.Tx(ctx, func(tx *gorm.DB) error {
		for _, f := range b.failures {
			imp.fail(f.row, f.fes)
		}
		found, err := imp.existing(tx, cands)
		if err != nil {
			return err
		}
		lookup := func(m map[string]runRef, k string) (runRef, bool) {
			if k == "" {
				return runRef{}, false
			}
			r, ok := m[k]
			return r, ok
		}
		pending := map[uuid.UUID]*candidate{}
		var creates []*candidate
		var merges []mergeOp
		for _, cand := range cands {
			c := cand.c
			// The duplicate: an earlier row of this file first (credit code, phone, then
			// name), else a customer already in the tenant.
			var target runRef
			var hit bool
			for _, k := range []struct {
				m map[string]runRef
				v string
			}{{imp.codes, c.CreditCode}, {imp.phones, c.PhoneHash}, {imp.names, c.Name}} {
				if target, hit = lookup(k.m, k.v); hit {
					break
				}
			}
			if !hit {
				for _, e := range found {
					if (c.CreditCode != "" && e.CreditCode == c.CreditCode) || (c.PhoneHash != "" && e.PhoneHash == c.PhoneHash) || e.Name == c.Name {
						target, hit = runRef{id: e.ID}, true
						break
					}
				}
			}
			register := func() {
				ref := runRef{id: c.ID, row: cand.row.num}
				for _, k := range []struct {
					m map[string]runRef
					v string
				}{{imp.codes, c.CreditCode}, {imp.phones, c.PhoneHash}, {imp.names, c.Name}} {
					if _, ok := k.m[k.v]; k.v != "" && !ok {
						k.m[k.v] = ref
					}
				}
			}
			if !hit {
				creates = append(creates, cand)
				cand.create = true
				pending[c.ID] = cand
				register()
				continue
			}
			matched := imp.matched(c, target, found)
			dup := RowDuplicate{Row: cand.row.num, CustomerID: target.id, Matched: matched, DuplicateOfRow: target.row}
			switch imp.params.OnDuplicate {
			case OnDuplicateCreate:
				if imp.policy == "block" {
					imp.fail(cand.row, []problem.FieldError{{Field: "name", Code: "duplicate", Key: "duplicate_block"}})
					continue
				}
				creates = append(creates, cand)
				cand.create = true
				pending[c.ID] = cand
				register()
				dup.Action, dup.CustomerID = "created", c.ID
				imp.report.addDuplicate(dup)
			case OnDuplicateMerge:
				if p, ok := pending[target.id]; ok {
					// Into a customer this batch creates: merge before it is written.
					if err := imp.s.applyImport(p.c, cand, p.street, p.phone, p.idNumber); err != nil {
						return err
					}
					p.stale = true
					imp.report.Merged++
					dup.Action = "merged"
					imp.report.addDuplicate(dup)
					continue
				}
				merges = append(merges, mergeOp{cand: cand, target: target.id, matched: matched, ofRow: target.row})
			default:
				imp.report.Skipped++
				dup.Action = "skipped"
				imp.report.addDuplicate(dup)
			}
		}
		if err := imp.merge(ctx, tx, merges); err != nil {
			return err
		}
		if err := imp.insert(ctx, tx, b.chunks, creates); err != nil {
			return err
		}
		imp.report.Created += len(creates)
		return jobs.SaveProgress(tx, imp.run.ID, b.progress, total, imp.report, s.now())
	})
}

// matched lists which keys of c match the duplicate target.
func (imp *importer) matched(c *Customer, target runRef, found []existing) []string {
	var out []string
	for _, e := range found {
		if e.ID != target.id {
			continue
		}
		if e.Name == c.Name {
			out = append(out, "name")
		}
		if c.CreditCode != "" && e.CreditCode == c.CreditCode {
			out = append(out, "credit_code")
		}
		if c.PhoneHash != "" && e.PhoneHash == c.PhoneHash {
			out = append(out, "phone")
		}
		return out
	}
	for _, k := range []struct {
		m    map[string]runRef
		v    string
		name string
	}{{imp.names, c.Name, "name"}, {imp.codes, c.CreditCode, "credit_code"}, {imp.phones, c.PhoneHash, "phone"}} {
		if r, ok := k.m[k.v]; k.v != "" && ok && r.id == target.id {
			out = append(out, k.name)
		}
	}
	return out
}

// existing finds the tenant's live customers sharing a name, credit code or phone with the
// batch: findDuplicates' rule, for many rows at once. Deleted customers are dropped here.
func (imp *importer) existing(tx *gorm.DB, cands []*candidate) ([]existing, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	keys := map[string][]string{}
	for _, c := range cands {
		keys["name"] = append(keys["name"], c.c.Name)
		if c.c.CreditCode != "" {
			keys["credit_code"] = append(keys["credit_code"], c.c.CreditCode)
		}
		if c.c.PhoneHash != "" {
			keys["phone_hash"] = append(keys["phone_hash"], c.c.PhoneHash)
		}
	}
	seen := map[uuid.UUID]bool{}
	var out []existing
	for _, col := range []string{"name", "credit_code", "phone_hash"} {
		for start := 0; start < len(keys[col]); start += existingChunk {
			part := keys[col][start:min(start+existingChunk, len(keys[col]))]
			rows, err := imp.lookup(tx, col, part)
			if err != nil {
				return nil, err
			}
			for _, r := range rows {
				if r.DeletedAt == nil && !seen[r.ID] {
					seen[r.ID] = true
					out = append(out, r)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].ID[:], out[j].ID[:]) < 0 })
	return out, nil
}

// existingChunk is how many keys one look-up query carries.
const existingChunk = 500

// lookup reads the customers (deleted ones too) whose col is one of keys, through the btree
// index on (tenant_id, col). The query's shape is chosen so that it stays on that index however
// wrong the planner's estimates are — and they are wrong while a large import fills a table
// PostgreSQL has not analyzed yet: with "col IN (…)" it reads every customer of the tenant for
// each batch, and for names it may even pick the pg_trgm index (which also answers "=" and costs
// 50 ms a query for Chinese names, whose trigrams many rows share). So on PostgreSQL each key is
// looked up on its own in a LATERAL subquery, which the planner cannot turn into a scan; the
// tenant condition is written out there (the store scopes model queries, not raw SQL), and
// row-level security checks it again. SQLite's planner takes the IN list to the index as is;
// "<> ”" lets both use the partial indexes on credit code and phone hash, and a query per
// key avoids the OR that SQLite would answer with a scan.
func (imp *importer) lookup(tx *gorm.DB, col string, keys []string) ([]existing, error) {
	var rows []existing
	nonEmpty := ""
	if col != "name" {
		nonEmpty = " AND " + col + " <> ''"
	}
	if imp.s.DB.Dialect != store.Postgres {
		err := tx.Model(&Customer{}).Select("id", "name", "credit_code", "phone_hash", "deleted_at").
			Where(col+" IN ?"+nonEmpty, keys).Find(&rows).Error
		return rows, err
	}
	tid, ok := tenantctx.TenantID(tx.Statement.Context)
	if !ok {
		return nil, store.ErrNoTenant
	}
	values := strings.TrimSuffix(strings.Repeat("(?),", len(keys)), ",")
	args := make([]any, 0, len(keys)+1)
	for _, k := range keys {
		args = append(args, k)
	}
	args = append(args, tid)
	err := tx.Raw(`SELECT c.id, c.name, c.credit_code, c.phone_hash, c.deleted_at FROM (VALUES `+values+`) AS k(v)
		CROSS JOIN LATERAL (SELECT id, name, credit_code, phone_hash, deleted_at FROM customers
		WHERE tenant_id = ? AND `+col+` = k.v`+nonEmpty+` LIMIT 20) c`, args...).Scan(&rows).Error
	return rows, err
}

// insert writes created customers with their audit entries and events, many rows per
// statement.
func (imp *importer) insert(ctx context.Context, tx *gorm.DB, chunks []insertChunk, creates []*candidate) error {
	if len(creates) == 0 {
		return nil
	}
	// Chunks whose rows are all created as they were prepared run their built statements;
	// the others (duplicates skipped or merged among them) are built again here.
	var rest []*candidate
	for _, ch := range chunks {
		ready := true
		for _, c := range ch.cands {
			ready = ready && c.create && !c.stale
		}
		if !ready {
			for _, c := range ch.cands {
				if c.create {
					rest = append(rest, c)
				}
			}
			continue
		}
		for _, st := range ch.stmts {
			if _, err := tx.Statement.ConnPool.ExecContext(ctx, st.sql, st.vars...); err != nil {
				return err
			}
		}
	}
	if len(rest) == 0 {
		return nil
	}
	customers := make([]*Customer, len(rest))
	entries := make([]audit.Entry, len(rest))
	events := make([]outbox.Event, len(rest))
	for i, cand := range rest {
		if cand.stale {
			if err := cand.buildRecords(ctx, imp.s); err != nil {
				return err
			}
		}
		customers[i], entries[i], events[i] = cand.c, cand.entry, cand.event
	}
	if err := tx.CreateInBatches(customers, rowsPerInsert(tx, &Customer{})).Error; err != nil {
		return err
	}
	if err := tx.CreateInBatches(entries, rowsPerInsert(tx, &audit.Entry{})).Error; err != nil {
		return err
	}
	return tx.CreateInBatches(events, rowsPerInsert(tx, &outbox.Event{})).Error
}

// rowsPerInsert is how many rows of model one multi-row INSERT carries. PostgreSQL takes up
// to 65,535 bound values per statement, and large statements save round trips. The SQLite
// driver (glebarez/go-sqlite) finds each bound value by a linear scan of all of them, so its
// cost grows with the square of a statement's values: there, 500–1,000 values a statement are
// fastest (measured; 22,000 made a 10,000-row import three times slower).
func rowsPerInsert(tx *gorm.DB, model any) int {
	st := &gorm.Statement{DB: tx}
	if err := st.Parse(model); err != nil || len(st.Schema.DBNames) == 0 {
		return 50
	}
	values := 30000
	if tx.Dialector.Name() == "sqlite" {
		values = 600
	}
	return max(1, values/len(st.Schema.DBNames))
}

// changeRecords builds the audit entry and the event of a change, as audit.Record and
// outbox.Publish would write them, so that a batch can insert many at once. A create's
// entry is every field of the (redacted) record as [null, value]; it is built from the
// record's JSON directly, which costs a third of audit.Diff's round trip through maps.
func changeRecords(ctx context.Context, action, event string, before *View, after View) (audit.Entry, outbox.Event, error) {
	red := redacted(after)
	raw, err := json.Marshal(red)
	if err != nil {
		return audit.Entry{}, outbox.Event{}, err
	}
	var changes map[string][2]any
	if before == nil {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return audit.Entry{}, outbox.Event{}, err
		}
		changes = make(map[string][2]any, len(fields))
		for k, v := range fields {
			if k != "updated_at" && k != "version" {
				changes[k] = [2]any{nil, v}
			}
		}
	} else if changes, err = audit.Diff(redacted(*before), red); err != nil {
		return audit.Entry{}, outbox.Event{}, err
	}
	actor := tenantctx.ActorFrom(ctx)
	now := time.Now().UTC()
	e := audit.Entry{ID: uuid.Must(uuid.NewV7()), At: now, Via: or(actor.Via, "system"), Action: action,
		Entity: "customer", EntityID: after.ID.String(), Changes: datatypes.NewJSONType(changes)}
	ev := outbox.Event{ID: uuid.Must(uuid.NewV7()), Type: event, Entity: "customer", EntityID: after.ID,
		Payload: datatypes.NewJSONType(map[string]any{"customer": json.RawMessage(raw)}), CreatedAt: now}
	if actor.UserID != uuid.Nil {
		id := actor.UserID
		e.ActorID, ev.ActorID = &id, &id
	}
	return e, ev, nil
}

// merge applies rows to the existing customers they duplicate. The target must be one the
// importing user could edit (in their data scope, or in the pool); otherwise the row fails.
func (imp *importer) merge(ctx context.Context, tx *gorm.DB, ops []mergeOp) error {
	if len(ops) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, 0, len(ops))
	for _, op := range ops {
		ids = append(ids, op.target)
	}
	var rows []Customer
	if err := tx.Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return err
	}
	scope, err := imp.s.Authz.ScopeFilter(ctx, tx)
	if err != nil {
		return err
	}
	targets := map[uuid.UUID]*Customer{}
	befores := map[uuid.UUID]View{}
	for i := range rows {
		c := &rows[i]
		if !c.InPool && !scope.Allows(deref(c.OwnerID), deref(c.DepartmentID)) {
			continue
		}
		v, err := view(imp.s.Keys, c)
		if err != nil {
			return err
		}
		targets[c.ID], befores[c.ID] = c, v
	}
	var order []uuid.UUID
	for _, op := range ops {
		c, ok := targets[op.target]
		if !ok {
			imp.fail(op.cand.row, []problem.FieldError{{Field: "name", Code: "duplicate", Key: "import.duplicate_hidden"}})
			continue
		}
		cur, err := view(imp.s.Keys, c)
		if err != nil {
			return err
		}
		if err := imp.s.applyImport(c, op.cand, cur.Address.Street, cur.Phone, cur.IDNumber); err != nil {
			return err
		}
		if !containsID(order, c.ID) {
			order = append(order, c.ID)
		}
		imp.report.Merged++
		imp.report.addDuplicate(RowDuplicate{Row: op.cand.row.num, Action: "merged", CustomerID: c.ID, Matched: op.matched, DuplicateOfRow: op.ofRow})
	}
	var entries []audit.Entry
	var events []outbox.Event
	for _, id := range order {
		c := targets[id]
		old := c.Version
		c.UpdatedAt, c.Version = imp.s.now(), old+1
		if err := store.SaveVersioned(tx, c, old); err != nil {
			return err
		}
		after, err := view(imp.s.Keys, c)
		if err != nil {
			return err
		}
		before := befores[id]
		e, ev, err := changeRecords(ctx, "update", "customer.updated", &before, after)
		if err != nil {
			return err
		}
		entries, events = append(entries, e), append(events, ev)
	}
	if len(entries) == 0 {
		return nil
	}
	if err := tx.CreateInBatches(entries, rowsPerInsert(tx, &audit.Entry{})).Error; err != nil {
		return err
	}
	return tx.CreateInBatches(events, rowsPerInsert(tx, &outbox.Event{})).Error
}

func containsID(ids []uuid.UUID, id uuid.UUID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// applyImport merges a row into c the way Merge folds a duplicate in (CUS-7): c's empty
// fields are filled from the row, nothing already recorded is overwritten, tags are united,
// and the address is taken whole when c has none. Owner, pool, stage and classification are
// c's own state and stay. street, phone and idNumber are c's current plain values.
func (s *Service) applyImport(c *Customer, cand *candidate, street, phone, idNumber string) error {
	n := cand.c
	fillEmptyFields(c, n)
	if c.IntentClass == nil {
		c.IntentClass = n.IntentClass
	}
	c.Tags = datatypes.NewJSONType(normTags(append(append([]string{}, c.Tags.Data()...), n.Tags.Data()...)))
	cf := map[string]any{}
	for k, v := range n.CustomFields.Data() {
		cf[k] = v
	}
	for k, v := range c.CustomFields.Data() {
		if !isEmptyCustomValue(v) || cf[k] == nil {
			cf[k] = v
		}
	}
	c.CustomFields = datatypes.NewJSONType(cf)
	if street == "" && c.Province == "" && c.City == "" && c.District == "" {
		c.Province, c.City, c.District, street = n.Province, n.City, n.District, cand.street
	}
	if phone == "" {
		phone = cand.phone
	}
	if idNumber == "" {
		idNumber = cand.idNumber
	}
	return s.seal(c, street, phone, idNumber)
}

// ---- export ----

// ExportFormats are the formats of GET /customers/export.
const (
	ExportCSV  = "csv"
	ExportXLSX = "xlsx"
)

// Export is a file of customers.
type Export struct {
	Format      string
	ContentType string
	FileName    string
	Rows        int
	Data        []byte
}

// exportPage is how many customers one query of an export reads.
const exportPage = 1000

// Export writes the customers matching f that the actor may see (the list's query and data
// scope) as CSV (UTF-8 with BOM, which Excel needs for Chinese) or XLSX, with headers in the
// actor's language and sensitive fields in clear — so it is audited (IAM-8): the entry names
// the format, the filter and the number of rows, and without it no file is given out.
func (s *Service) Export(ctx context.Context, f Filter, format string) (*Export, error) {
	if format == "" {
		format = ExportCSV
	}
	if format != ExportCSV && format != ExportXLSX {
		return nil, problem.Field("format", "invalid_choice", "field.invalid_choice", "csv, xlsx")
	}
	locale := tenantctx.Locale(ctx)
	f.Limit, f.Cursor, f.pool = exportPage, "", false
	n := 0
	var w *sheetWriter
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if s.DB.Dialect == store.Postgres {
			// Pages follow an index in key order. A planner short of statistics (a table not
			// analyzed since it filled) would rather sort the tenant's customers for every
			// page, which makes a large export quadratic.
			if err := tx.Exec("SET LOCAL enable_sort = off").Error; err != nil {
				return err
			}
		}
		names, err := exportNames(tx)
		if err != nil {
			return err
		}
		defs, err := customFieldDefs(ctx, tx)
		if err != nil {
			return err
		}
		header := make([]string, 0, len(transferFields)+len(defs))
		for _, f := range transferFields {
			header = append(header, f.label.in(locale))
		}
		for _, d := range defs {
			header = append(header, d.Label)
		}
		if w, err = newSheetWriter(format, locale, header); err != nil {
			return err
		}
		for {
			rows, next, err := s.find(ctx, tx, f)
			if err != nil {
				return err
			}
			for i := range rows {
				v, err := view(s.Keys, &rows[i])
				if err != nil {
					return err
				}
				if err := w.row(exportRow(locale, &v, names, defs)); err != nil {
					return err
				}
				n++
			}
			if next == nil {
				return nil
			}
			f.Cursor = *next
		}
	})
	if err != nil {
		return nil, err
	}
	data, err := w.bytes()
	if err != nil {
		return nil, err
	}
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		return audit.Record(ctx, tx, "export", "customer", "", nil, map[string]any{
			"format": format, "filter": filterSummary(f), "rows": n})
	})
	if err != nil {
		return nil, err
	}
	out := &Export{Format: format, Rows: n, Data: data,
		FileName: "customers-" + s.now().Format("20060102-150405") + "." + format}
	if format == ExportXLSX {
		out.ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	} else {
		out.ContentType = "text/csv; charset=utf-8"
	}
	return out, nil
}

// filterSummary is the filter as the audit entry records it: the parameters that were set.
func filterSummary(f Filter) map[string]any {
	out := map[string]any{}
	for k, v := range map[string]string{"q": f.Q, "type": f.Type, "stage": f.Stage, "tier": f.Tier,
		"intent_class": f.IntentClass, "value_class": f.ValueClass, "owner_id": f.OwnerID,
		"department_id": f.DepartmentID, "tag": f.Tag, "region": f.Region, "industry": f.Industry,
		"source": f.Source, "created_after": f.CreatedAfter, "created_before": f.CreatedBefore, "sort": f.Sort} {
		if v != "" {
			out[k] = v
		}
	}
	if f.Deleted {
		out["deleted"] = true
	}
	return out
}

// nameIndex resolves owners and departments to names for an export.
type nameIndex struct {
	users map[uuid.UUID][2]string // name, email
	depts map[uuid.UUID]string
}

func exportNames(tx *gorm.DB) (nameIndex, error) {
	idx := nameIndex{users: map[uuid.UUID][2]string{}, depts: map[uuid.UUID]string{}}
	us, err := org.Directory(tx)
	if err != nil {
		return idx, err
	}
	for _, u := range us {
		idx.users[u.ID] = [2]string{u.Name, u.Email}
	}
	if idx.depts, err = org.DepartmentNamesAll(tx); err != nil {
		return idx, err
	}
	return idx, nil
}

// exportRow renders a customer in transferFields order, then its custom fields.
func exportRow(locale string, v *View, names nameIndex, defs []tenants.FieldDef) []string {
	out := make([]string, 0, len(transferFields)+len(defs))
	opt := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	for _, f := range transferFields {
		var s string
		switch f.key {
		case "id":
			s = v.ID.String()
		case "name":
			s = v.Name
		case "type", "stage", "tier", "source":
			s = choiceLabel(locale, f.key, map[string]string{"type": v.Type, "stage": v.Stage, "tier": v.Tier, "source": v.Source}[f.key])
		case "short_name":
			s = v.ShortName
		case "credit_code":
			s = v.CreditCode
		case "industry":
			s = v.Industry
		case "scale.employees":
			if v.Scale.Employees != nil {
				s = strconv.Itoa(*v.Scale.Employees)
			}
		case "scale.annual_revenue":
			if v.Scale.AnnualRevenue != nil {
				s = v.Scale.AnnualRevenue.StringFixed(2)
			}
		case "address.province":
			s = v.Address.Province
		case "address.city":
			s = v.Address.City
		case "address.district":
			s = v.Address.District
		case "address.street":
			s = v.Address.Street
		case "region":
			s = v.Region
		case "business_scope":
			s = v.BusinessScope
		case "legal_representative":
			s = v.LegalRepresentative
		case "intent_class":
			s = opt(v.IntentClass)
		case "value_class":
			s = opt(v.ValueClass)
		case "tags":
			s = strings.Join(v.Tags, ",")
		case "phone":
			s = v.Phone
		case "id_number":
			s = v.IDNumber
		case "email":
			s = v.Email
		case "birthday":
			s = opt(v.Birthday)
		case "owner", "owner_email":
			if v.OwnerID != nil {
				u := names.users[*v.OwnerID]
				if f.key == "owner" {
					s = u[0]
				} else {
					s = u[1]
				}
			}
		case "department":
			if v.DepartmentID != nil {
				s = names.depts[*v.DepartmentID]
			}
		case "in_pool":
			if v.InPool {
				s = "Y"
			}
		case "created_at":
			s = v.CreatedAt.UTC().Format(time.RFC3339)
		}
		out = append(out, s)
	}
	for _, d := range defs {
		out = append(out, customText(v.CustomFields[d.Key]))
	}
	return out
}

// customText renders a custom field's value for a cell: lists joined by commas, numbers
// without exponent.
func customText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, 0, len(x))
		for _, it := range x {
			parts = append(parts, customText(it))
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(x)
	}
}

// sheetWriter writes export rows as CSV or XLSX.
type sheetWriter struct {
	format string
	buf    bytes.Buffer
	csv    *csv.Writer
	xlsx   *excelize.File
	stream *excelize.StreamWriter
	n      int
}

func newSheetWriter(format, locale string, header []string) (*sheetWriter, error) {
	w := &sheetWriter{format: format}
	switch format {
	case ExportCSV:
		w.buf.WriteString("\ufeff")
		w.csv = csv.NewWriter(&w.buf)
		return w, w.csv.Write(header)
	case ExportXLSX:
		w.xlsx = excelize.NewFile()
		sheet := fieldLabel{"客户", "客戶", "Customers"}.in(locale)
		if err := w.xlsx.SetSheetName("Sheet1", sheet); err != nil {
			return nil, err
		}
		sw, err := w.xlsx.NewStreamWriter(sheet)
		if err != nil {
			return nil, err
		}
		w.stream = sw
		bold, err := w.xlsx.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
		if err != nil {
			return nil, err
		}
		cells := make([]any, len(header))
		for i, h := range header {
			cells[i] = excelize.Cell{StyleID: bold, Value: h}
		}
		return w, w.row0(cells)
	}
	return nil, problem.Field("format", "invalid_choice", "field.invalid_choice", "csv, xlsx")
}

func (w *sheetWriter) row0(cells []any) error {
	w.n++
	cell, err := excelize.CoordinatesToCellName(1, w.n)
	if err != nil {
		return err
	}
	return w.stream.SetRow(cell, cells)
}

func (w *sheetWriter) row(values []string) error {
	if w.csv != nil {
		return w.csv.Write(values)
	}
	cells := make([]any, len(values))
	for i, v := range values {
		cells[i] = v // text, so phone numbers and codes keep their digits
	}
	return w.row0(cells)
}

func (w *sheetWriter) bytes() ([]byte, error) {
	if w.csv != nil {
		w.csv.Flush()
		return w.buf.Bytes(), w.csv.Error()
	}
	if err := w.stream.Flush(); err != nil {
		return nil, err
	}
	if _, err := w.xlsx.WriteTo(&w.buf); err != nil {
		return nil, err
	}
	if err := w.xlsx.Close(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return w.buf.Bytes(), nil
}

// Seal encrypts a customer's street address, phone and ID number into c and sets the phone's
// lookup hash, exactly as a create does; c.TenantID and c.ID must be set. It serves bulk
// writers outside this package (crm seed), which must seal with the server's keys.
func (s *Service) Seal(c *Customer, street, phone, idNumber string) error {
	return s.seal(c, street, phone, idNumber)
}
