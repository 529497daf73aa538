package customer

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/sheet"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// An export (CUS-10) writes the customers a list with the same filters would show (query()) as
// CSV or XLSX with localized headers and the sensitive fields in clear, and audits it (IAM-8).
// app/sheet writes the file; it neutralises cells that would read as formulas.

// ExportFormats are the formats of GET /customers/export.
const (
	ExportCSV  = "csv"
	ExportXLSX = "xlsx"
)

// Export is a file of customers, written to a temporary file that is already unlinked: it
// goes away when File is closed (the handler streams it out and closes it).
type Export struct {
	Format      string
	ContentType string
	FileName    string
	Rows        int
	File        *os.File
	Size        int64
}

// exportPage is how many customers one query of an export reads.
const exportPage = 1000

// MaxExportRows bounds one export (Service.ExportRowCap, when set, instead): a larger one is
// refused before anything is given out, with the advice to narrow the filter. The whole
// tenant leaves through the tenant export, which is a job.
const MaxExportRows = 200_000

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
	rowCap := MaxExportRows
	if s.ExportRowCap > 0 {
		rowCap = s.ExportRowCap
	}
	// The file is made on disk, not in memory: a large export takes the same memory as a
	// small one. Unlinked at once, it cannot outlive the request.
	tmp, err := os.CreateTemp("", "crm-export-*."+format)
	if err != nil {
		return nil, err
	}
	_ = os.Remove(tmp.Name())
	done := false
	defer func() {
		if !done {
			tmp.Close()
		}
	}()
	n := 0
	var w *sheet.Writer
	err = s.DB.Read(ctx, func(tx *gorm.DB) error {
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
		if w, err = sheet.NewWriter(tmp, format, fieldLabel{"客户", "客戶", "Customers"}.in(locale), header); err != nil {
			return err
		}
		for {
			rows, next, err := s.find(ctx, tx, f)
			if err != nil {
				return err
			}
			if n+len(rows) > rowCap {
				return problem.New(problem.Invalid, "export_too_large", rowCap)
			}
			for i := range rows {
				v, err := view(s.Keys, &rows[i])
				if err != nil {
					return err
				}
				if err := w.Row(exportRow(locale, &v, names, defs)); err != nil {
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
	if err := w.Close(); err != nil {
		return nil, err
	}
	size, err := tmp.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		return audit.Record(ctx, tx, "export", "customer", "", nil, map[string]any{
			"format": format, "filter": filterSummary(f), "rows": n})
	})
	if err != nil {
		return nil, err
	}
	done = true
	out := &Export{Format: format, Rows: n, File: tmp, Size: size,
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
