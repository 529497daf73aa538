package customer

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/sheet"
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
// The export is in export.go; the row importer the worker runs is in import.go.

// Import limits and tuning.
const (
	// ImportBatchSize is how many rows one transaction writes.
	ImportBatchSize = 500
	// MaxImportRows bounds one file.
	MaxImportRows = 200_000
	// MaxImportFileSize bounds an upload (the HTTP server's own body limit is 32 MiB).
	MaxImportFileSize = 30 << 20
	// MaxImportColumns bounds a row's cells; a customer has some thirty fields.
	MaxImportColumns = 1000
	// MaxImportCellBytes is Excel's own cap on a cell, 32,767 characters, at up to four bytes
	// of UTF-8 each.
	MaxImportCellBytes = 32767 * 4
	// MaxImportUnzipBytes bounds what an XLSX upload unpacks to: MaxImportRows rows of thirty
	// cells take well under it.
	MaxImportUnzipBytes = 512 << 20
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

// ImportParams are what an import run keeps for its worker.
type ImportParams struct {
	FileName    string            `json:"file_name"`
	Format      string            `json:"format"`
	Mapping     map[string]string `json:"mapping"`
	OnDuplicate string            `json:"on_duplicate"`
	Locale      string            `json:"locale"`
}

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
	t, err := sheet.ReadHeader(req.FileName, req.Data, importLimits)
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
	cols, err := resolveMapping(t.Header, mapping, defs)
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
	format := t.Format
	params := ImportParams{FileName: req.FileName, Format: format, Mapping: mapping, OnDuplicate: onDup, Locale: tenantctx.Locale(ctx)}
	actor := tenantctx.ActorFrom(ctx)
	tid, _ := tenantctx.TenantID(ctx)
	var run *jobs.Run
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		if run, err = jobs.NewRun(ctx, tx, ImportKind, params, s.now()); err != nil {
			return err
		}
		if err := jobs.AttachFile(tx, run.ID, req.FileName, req.Data, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "import", "customer", run.ID.String(), nil, map[string]any{
			"job_id": run.ID, "file": req.FileName, "format": format, "size": len(req.Data), "mapping": mapping, "on_duplicate": onDup})
	})
	if err != nil {
		return uuid.Nil, err
	}
	jobs.EnqueueRun(ctx, s.Jobs, importArgs{TenantID: tid, RunID: run.ID, ActorID: actor.UserID})
	return run.ID, nil
}

// customerImport is the kind of the customer import's run jobs (see jobs.RunArgs: one job per
// run, resumed by the queued-run sweep when its insert was lost).
type customerImport struct{}

func (customerImport) Kind() string { return ImportKind }

type importArgs = jobs.RunArgs[customerImport]

func (s *Service) importJobs(q *jobs.Queue) {
	jobs.RegisterRun(q, s.runImport, func(ctx context.Context, a importArgs, err error) {
		s.failRun(ctx, a.RunID, nil, err)
	})
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
		return jobs.DropFile(tx, id)
	})
	if err != nil {
		slog.ErrorContext(ctx, "import: record failure", "job_id", id, "err", err)
	}
}

// runImport does (or resumes) the work of an import run.
func (s *Service) runImport(ctx context.Context, a importArgs) error {
	ctx = a.Context(ctx)
	var run *jobs.Run
	var file *jobs.File
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
		if file, err = jobs.RunFile(tx, a.RunID); err != nil {
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
	t, err := sheet.Read(file.Name, file.Data, importLimits)
	if err == nil {
		imp.xlsx = t.Format == sheet.XLSX
		imp.cols, err = resolveMapping(t.Header, p.Mapping, imp.defList)
	}
	if err != nil {
		if problem.Is(err, problem.Invalid) {
			// The file or the tenant's custom fields changed since the request was checked.
			s.failRun(ctx, run.ID, report, err)
			return nil
		}
		return err
	}
	total := int64(len(t.Rows))
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
		for start := int(run.Progress); start < len(t.Rows); start += ImportBatchSize {
			end := min(start+ImportBatchSize, len(t.Rows))
			b := imp.prepareBatch(pctx, t.Rows[start:end])
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
		if err := jobs.DropFile(tx, run.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "import_finished", "customer", run.ID.String(), nil, map[string]any{
			"job_id": run.ID, "rows": total, "created": report.Created, "skipped": report.Skipped,
			"merged": report.Merged, "failed": report.Failed})
	})
}
