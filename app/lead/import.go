package lead

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/sheet"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// MaxImportRows bounds one lead import.
const MaxImportRows = 5000

// ImportKind is the kind of lead import runs and of their River jobs. The request only checks
// the file's header; the rows are read, checked and written by the job, so a large or
// hostile workbook never holds a request (or its memory) while it is parsed.
const ImportKind = "lead.import"

// importLimits bound a lead file as app/sheet reads it: blank rows count toward MaxImportRows,
// a lead has some ten fields, a cell at most Excel's 32,767 characters (4 bytes each in
// UTF-8), and 5,000 rows of a workbook unpack to far less than 64 MiB.
var importLimits = sheet.Limits{MaxFileBytes: maxImportFile, MaxUnzipBytes: 64 << 20,
	MaxRows: MaxImportRows, MaxColumns: 1000, MaxCellBytes: 32767 * 4}

// importColumns maps the header labels a lead file may use (the field key, and labels in
// Chinese) to fields.
var importColumns = map[string][]string{
	"name":     {"name", "姓名", "联系人", "聯絡人", "联系人姓名", "聯絡人姓名"},
	"company":  {"company", "公司", "公司名称", "公司名稱", "单位", "單位"},
	"phone":    {"phone", "电话", "電話", "手机", "手機", "联系电话", "聯絡電話"},
	"email":    {"email", "邮箱", "郵箱", "电子邮件", "電子郵件"},
	"source":   {"source", "来源", "來源"},
	"region":   {"region", "地区", "地區", "区域", "區域"},
	"industry": {"industry", "行业", "行業"},
	"notes":    {"notes", "备注", "備註"},
	"product":  {"product", "意向产品", "意向產品", "产品", "產品", "型号", "型號"},
	"quantity": {"quantity", "数量", "數量"},
}

// ImportRowError is a row that was not imported, and why.
type ImportRowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ImportResult is the report of a lead import run (GET /jobs/{id}): the leads created and the
// rows that were not, or the error that stopped the whole file.
type ImportResult struct {
	Created int              `json:"created"`
	Errors  []ImportRowError `json:"errors"`
	Error   *ImportRowError  `json:"error,omitempty"`
}

// ImportAccepted is the answer of POST /leads/import.
type ImportAccepted struct {
	JobID uuid.UUID `json:"job_id"`
}

// columns maps the header's labels to fields; validation_failed without a name column.
func columns(header []string) (map[string]int, error) {
	col := map[string]int{}
	for i, h := range header {
		for field, labels := range importColumns {
			for _, l := range labels {
				if strings.EqualFold(strings.TrimSpace(h), l) {
					if _, seen := col[field]; !seen {
						col[field] = i
					}
				}
			}
		}
	}
	if _, ok := col["name"]; !ok {
		return nil, problem.Field("file", "missing_column", "field.required")
	}
	return col, nil
}

// Import checks a CSV or XLSX file of leads (with app/sheet, as the customer import does)
// whose header names the columns (see importColumns; other columns are ignored), keeps it with
// a queued run and enqueues the job that imports it (importRows). Errors: validation_failed
// (no usable file, no name column, too many columns, a cell too long).
func (s *Service) Import(ctx context.Context, fileName string, data []byte) (uuid.UUID, error) {
	if len(data) == 0 {
		return uuid.Nil, problem.Field("file", "required", "field.required")
	}
	head, err := sheet.ReadHeader(fileName, data, importLimits)
	if err != nil {
		return uuid.Nil, err
	}
	if _, err := columns(head.Header); err != nil {
		return uuid.Nil, err
	}
	var run *jobs.Run
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		if run, err = jobs.NewRun(ctx, tx, ImportKind, importParams{Locale: tenantctx.Locale(ctx)}, s.now()); err != nil {
			return err
		}
		if err := jobs.AttachFile(tx, run.ID, fileName, data, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "import", "lead", run.ID.String(), nil, map[string]any{
			"job_id": run.ID, "file": fileName, "format": head.Format, "size": len(data)})
	})
	if err != nil {
		return uuid.Nil, err
	}
	tid, _ := tenantctx.TenantID(ctx)
	jobs.EnqueueRun(ctx, s.Jobs, importArgs{TenantID: tid, RunID: run.ID, ActorID: tenantctx.ActorFrom(ctx).UserID})
	return run.ID, nil
}

// importParams are what the job needs besides the file.
type importParams struct {
	Locale string `json:"locale"`
}

// leadImport is the kind of the lead import's run jobs.
type leadImport struct{}

func (leadImport) Kind() string { return ImportKind }

type importArgs = jobs.RunArgs[leadImport]

// RegisterJobs adds the lead import's worker (and its runs to the queued-run sweep).
func (s *Service) RegisterJobs(q *jobs.Queue) {
	jobs.RegisterRun(q, s.runImport, func(ctx context.Context, a importArgs, err error) {
		s.finishImport(ctx, a.RunID, ImportResult{}, err)
	})
}

// runImport does the work of a run, acting as the user who started it in their tenant,
// language and data scope.
func (s *Service) runImport(ctx context.Context, a importArgs) error {
	ctx = a.Context(ctx)
	var run *jobs.Run
	var file *jobs.File
	var actor org.User
	var tn tenants.Tenant
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		var err error
		if run, err = jobs.FindRun(tx, a.RunID); err != nil || run.Finished() {
			return err
		}
		if err := tx.Take(&tn, "id = ?", a.TenantID).Error; err != nil {
			return err
		}
		if file, err = jobs.RunFile(tx, a.RunID); err != nil {
			return err
		}
		actor, err = org.FindUser(tx, a.ActorID)
		return err
	})
	if problem.Is(err, problem.NotFound) {
		return nil // the run, its tenant or its user is gone: nothing to do
	}
	if err != nil || run.Finished() {
		return err
	}
	var p importParams
	if err := json.Unmarshal(run.Params, &p); err != nil {
		return err
	}
	ctx = tenantctx.WithInfo(ctx, tn.Info())
	ctx = tenantctx.WithLocale(ctx, p.Locale)
	act := tenantctx.Actor{UserID: actor.ID, Via: "job"}
	if actor.DepartmentID != nil {
		act.DepartmentID = *actor.DepartmentID
	}
	ctx = tenantctx.WithActor(ctx, act)
	if !tn.Writable() {
		s.finishImport(ctx, run.ID, ImportResult{}, problem.Field("file", "tenant_suspended", "tenant_suspended"))
		return nil
	}
	if err := s.DB.Tx(ctx, func(tx *gorm.DB) error { return jobs.StartRun(tx, run.ID, s.now()) }); err != nil {
		return err
	}
	res, err := s.importRows(ctx, file.Name, file.Data)
	if err != nil && !problem.Is(err, problem.Invalid) {
		return err // retried
	}
	s.finishImport(ctx, run.ID, res, err)
	return nil
}

// finishImport ends a run: succeeded with its report, or failed with cause as the report's
// error (internal errors are logged and shown without their cause). The file goes either way.
func (s *Service) finishImport(ctx context.Context, id uuid.UUID, res ImportResult, cause error) {
	status := jobs.StatusSucceeded
	if res.Errors == nil {
		res.Errors = []ImportRowError{}
	}
	if cause != nil {
		status = jobs.StatusFailed
		locale := tenantctx.Locale(ctx)
		var pe *problem.Error
		if errors.As(cause, &pe) && pe.Code == problem.Invalid && len(pe.Fields) > 0 {
			f := pe.Fields[0]
			res.Error = &ImportRowError{Field: f.Field, Code: f.Code, Message: problem.Message(locale, f.Key, f.Args...)}
		} else {
			slog.ErrorContext(ctx, "lead import failed", "job_id", id, "err", cause)
			res.Error = &ImportRowError{Code: "internal", Message: problem.Message(locale, "internal")}
		}
	}
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := jobs.FinishRun(tx, id, status, res, s.now()); err != nil {
			return err
		}
		if err := jobs.DropFile(tx, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "import_finished", "lead", id.String(), nil, map[string]any{
			"job_id": id, "status": status, "created": res.Created, "failed": len(res.Errors)})
	})
	if err != nil {
		slog.ErrorContext(ctx, "lead import: record the end", "job_id", id, "err", err)
	}
}

// importRows reads the file and creates a lead per valid row in one transaction, each
// assigned by the tenant's rules when it has no owner (the importer otherwise). Invalid rows are
// reported, not imported. Errors: validation_failed (the file as a whole: too many rows, no name
// column, a cell too long).
func (s *Service) importRows(ctx context.Context, fileName string, data []byte) (ImportResult, error) {
	file, err := sheet.Read(fileName, data, importLimits)
	if err != nil {
		return ImportResult{}, err
	}
	col, err := columns(file.Header)
	if err != nil {
		return ImportResult{}, err
	}
	rows := file.Rows
	locale := tenantctx.Locale(ctx)
	res := ImportResult{Errors: []ImportRowError{}}
	var leads []*Lead
	for _, r := range rows {
		cell := func(field string) string {
			if i, ok := col[field]; ok && i < len(r.Cells) {
				return strings.TrimSpace(r.Cells[i])
			}
			return ""
		}
		in := Input{Name: cell("name"), Company: cell("company"), Phone: cell("phone"), Email: cell("email"),
			Source: cell("source"), Region: cell("region"), Industry: cell("industry"), Notes: cell("notes"), Product: cell("product")}
		if q := cell("quantity"); q != "" {
			d, err := decimal.NewFromString(strings.ReplaceAll(q, ",", ""))
			if err != nil {
				res.Errors = append(res.Errors, ImportRowError{Row: r.Num, Field: "quantity", Code: "invalid_format",
					Message: problem.Message(locale, "field.invalid_format")})
				continue
			}
			in.Quantity = &d
		}
		if err := api.Validate.Struct(in); err != nil {
			res.Errors = append(res.Errors, rowErrors(locale, r.Num, api.ValidationError(err))...)
			continue
		}
		l, err := s.newLead(ctx, in)
		if err != nil {
			res.Errors = append(res.Errors, rowErrors(locale, r.Num, err)...)
			continue
		}
		leads = append(leads, l)
	}
	var assigned []*Lead
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		for _, l := range leads {
			byRule, err := s.createTx(ctx, tx, l, nil)
			if err != nil {
				return err
			}
			if byRule {
				assigned = append(assigned, l)
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	for _, l := range assigned {
		s.tellOwner(ctx, l)
	}
	res.Created = len(leads)
	return res, nil
}

// rowErrors turns a validation problem into row errors.
func rowErrors(locale string, row int, err error) []ImportRowError {
	var pe *problem.Error
	if !errors.As(err, &pe) || len(pe.Fields) == 0 {
		return []ImportRowError{{Row: row, Code: "invalid", Message: problem.Message(locale, "field.invalid")}}
	}
	out := make([]ImportRowError, 0, len(pe.Fields))
	for _, f := range pe.Fields {
		out = append(out, ImportRowError{Row: row, Field: f.Field, Code: f.Code, Message: problem.Message(locale, f.Key, f.Args...)})
	}
	return out
}
