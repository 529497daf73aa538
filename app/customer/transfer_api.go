package customer

import (
	"io"
	"mime/multipart"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/swaggest/openapi-go"
	"github.com/swaggest/openapi-go/openapi31"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/problem"
)

// importForm describes the multipart form of POST /customers/import for the OpenAPI
// document. The binder reads JSON bodies only, so the handler reads the form itself.
type importForm struct {
	File *multipart.FileHeader `formData:"file" json:"-" required:"true" description:"CSV (UTF-8, with or without BOM) or XLSX (the first sheet is read); the first non-empty row is the header."`
	// Mapping is a JSON object from source column header to customer field.
	Mapping string `formData:"mapping" json:"-" description:"JSON object: source column header → customer field, e.g. {\"公司名称\":\"name\",\"电话\":\"phone\",\"省份\":\"address.province\",\"标签\":\"tags\"}. Fields: name, type, short_name, credit_code, industry, scale.employees, scale.annual_revenue, address.province|city|district|street, region, business_scope, legal_representative, source, stage, tier, intent_class, tags, phone, id_number, email, birthday, owner_email, custom_fields.<key>. Omitted: columns whose header is a field's key or its label (any language) are imported."`
	// OnDuplicate says what to do with a row that duplicates a customer (CUS-7).
	OnDuplicate string `formData:"on_duplicate" json:"-" enum:"skip,merge,create" default:"skip" description:"skip the row; merge it into the customer it duplicates (fills empty fields; needs customer:update); or create it anyway (refused for the row where the tenant blocks duplicates)."`
}

// importAccepted is the answer to an accepted import: follow it at GET /jobs/{job_id}.
type importAccepted struct {
	JobID uuid.UUID `json:"job_id"`
}

// exportQuery is GET /customers/export: the list's filters and the format.
type exportQuery struct {
	Filter
	Format string `query:"format" json:"-" validate:"omitempty,oneof=csv xlsx" enum:"csv,xlsx" default:"csv"`
}

// exportFile documents the export's answer: a file, not JSON.
type exportFile struct{}

// SetupContentUnit describes the answer as a CSV or XLSX download.
func (exportFile) SetupContentUnit(cu *openapi.ContentUnit) {
	cu.ContentType, cu.Format = "text/csv", "binary"
	cu.Description = "The customers as a file (Content-Disposition: attachment)."
	cu.Customize = func(cor openapi.ContentOrReference) {
		if r, ok := cor.(*openapi31.ResponseOrReference); ok && r.Response != nil {
			if r.Response.Content == nil {
				r.Response.Content = map[string]openapi31.MediaType{}
			}
			r.Response.Content[xlsxType] = openapi31.MediaType{Schema: map[string]any{"type": "string", "format": "binary"}}
		}
	}
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (a API) transferRoutes(r *api.Router) {
	api.Handle(r, api.Op{Method: "POST", Path: "/customers/import", ID: "importCustomers", Summary: "Import customers from a CSV or XLSX file with a column mapping (202: follow the job)", Tag: "customers", Status: fiber.StatusAccepted, Perm: perm("create")},
		func(c *fiber.Ctx, _ *importForm) (*importAccepted, error) {
			fh, err := c.FormFile("file")
			if err != nil {
				return nil, problem.Field("file", "required", "field.required")
			}
			if fh.Size > MaxImportFileSize {
				return nil, problem.Field("file", "too_large", "import.file_too_large", MaxImportFileSize>>20)
			}
			f, err := fh.Open()
			if err != nil {
				return nil, err
			}
			defer f.Close()
			data, err := io.ReadAll(io.LimitReader(f, MaxImportFileSize+1))
			if err != nil {
				return nil, err
			}
			id, err := a.S.Import(c.UserContext(), ImportRequest{FileName: fh.Filename, Data: data,
				Mapping: c.FormValue("mapping"), OnDuplicate: c.FormValue("on_duplicate")})
			if err != nil {
				return nil, err
			}
			return &importAccepted{JobID: id}, nil
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/customers/export", ID: "exportCustomers", Summary: "Export the customers a list with the same filters shows, as CSV or XLSX (audited)", Tag: "customers", Perm: perm("export")},
		func(c *fiber.Ctx, in *exportQuery) (*exportFile, error) {
			out, err := a.S.Export(c.UserContext(), in.Filter, in.Format)
			if err != nil {
				return nil, err
			}
			c.Set(fiber.HeaderContentType, out.ContentType)
			c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+out.FileName+`"; filename*=UTF-8''`+url.PathEscape(out.FileName))
			c.Set("X-Export-Rows", strconv.Itoa(out.Rows))
			c.Set(fiber.HeaderCacheControl, "no-store")
			// fasthttp closes the file once the answer is sent.
			return nil, c.SendStream(out.File, int(out.Size))
		})
}
