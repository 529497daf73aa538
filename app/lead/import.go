package lead

import (
	"context"
	"errors"
	"strings"

	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/sheet"
	"github.com/smecrm/crm/app/tenantctx"
)

// MaxImportRows bounds one lead import; it runs within the request.
const MaxImportRows = 5000

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

// ImportResult is the answer of POST /leads/import.
type ImportResult struct {
	Created int              `json:"created"`
	Errors  []ImportRowError `json:"errors"`
}

// Import reads a CSV or XLSX file of leads (with app/sheet, as the customer import does) whose
// header names the columns (see importColumns; other columns are ignored) and creates a lead
// per valid row in one transaction, each assigned by the tenant's rules when it has no owner (the importer otherwise). Invalid rows are reported, not
// imported. Errors: validation_failed (no usable file, no name column, too many rows or
// columns, a cell too long).
func (s *Service) Import(ctx context.Context, fileName string, data []byte) (ImportResult, error) {
	file, err := sheet.Read(fileName, data, importLimits)
	if err != nil {
		return ImportResult{}, err
	}
	header, rows := file.Header, file.Rows
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
		return ImportResult{}, problem.Field("file", "missing_column", "field.required")
	}
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
