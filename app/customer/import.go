package customer

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/outbox"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/sheet"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// The row importer: what an import run (import_job.go) does with the rows of its file.

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
	row     sheet.Row
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
	row sheet.Row
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
func (imp *importer) prepareBatch(ctx context.Context, rows []sheet.Row) *preparedBatch {
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
func (imp *importer) fail(row sheet.Row, fes []problem.FieldError) {
	imp.report.Failed++
	for _, fe := range fes {
		imp.report.addError(RowError{Row: row.Num, Field: fe.Field, Column: imp.column(fe.Field), Code: fe.Code,
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
func (imp *importer) prepare(ctx context.Context, row sheet.Row) (*candidate, []problem.FieldError, error) {
	cand := &candidate{row: row, present: map[string]bool{}}
	in := &cand.in
	var fes []problem.FieldError
	ownerEmail := ""
	custom := map[string]string{}
	for _, col := range imp.cols {
		if col.index >= len(row.Cells) {
			continue
		}
		v := strings.TrimSpace(row.Cells[col.index])
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
				ref := runRef{id: c.ID, row: cand.row.Num}
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
			dup := RowDuplicate{Row: cand.row.Num, CustomerID: target.id, Matched: matched, DuplicateOfRow: target.row}
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
		imp.report.addDuplicate(RowDuplicate{Row: op.cand.row.Num, Action: "merged", CustomerID: c.ID, Matched: op.matched, DuplicateOfRow: op.ofRow})
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
