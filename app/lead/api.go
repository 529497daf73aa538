package lead

import (
	"io"
	"mime/multipart"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/problem"
)

// API serves /leads.
type API struct{ S *Service }

type byID struct {
	ID uuid.UUID `path:"id" json:"-"`
}

type patchInput struct {
	byID
	Update
}

type convertInput struct {
	byID
	ConvertInput
}

// importForm describes the multipart form of POST /leads/import for the OpenAPI document; the
// handler reads the form itself.
type importForm struct {
	File *multipart.FileHeader `formData:"file" json:"-" required:"true" description:"CSV (UTF-8 or GB18030) or XLSX (first sheet); the first non-empty row is the header. Columns by key or label: name/姓名 (required), company/公司, phone/电话, email/邮箱, source/来源, region/地区, industry/行业, notes/备注, product/意向产品, quantity/数量."`
}

// maxImportFile bounds the uploaded file.
const maxImportFile = 10 << 20

func perm(act string) api.Perm { return api.Perm{Object: "lead", Action: act} }

// Routes registers the lead endpoints.
func (a API) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/leads", ID: "listLeads", Summary: "Leads within the data scope, newest first", Tag: "leads", Perm: perm("read")},
		func(c *fiber.Ctx, in *Filter) (*api.Page[View], error) {
			p, err := a.S.List(c.UserContext(), *in)
			return &p, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/leads", ID: "createLead", Summary: "Create a lead (assigned by the tenant's rules when no owner is given)", Tag: "leads", Status: 201, Perm: perm("create")},
		func(c *fiber.Ctx, in *Input) (*View, error) {
			v, err := a.S.Create(c.UserContext(), *in)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/leads/import", ID: "importLeads", Summary: "Import leads from a CSV or XLSX file: the header is checked now, the rows by a job (GET /jobs/{id} reports the rows that fail)", Tag: "leads", Status: 202, Perm: perm("create")},
		func(c *fiber.Ctx, _ *importForm) (*ImportAccepted, error) {
			fh, err := c.FormFile("file")
			if err != nil {
				return nil, problem.Field("file", "required", "field.required")
			}
			if fh.Size > maxImportFile {
				return nil, problem.Field("file", "too_large", "import.file_too_large", maxImportFile>>20)
			}
			f, err := fh.Open()
			if err != nil {
				return nil, err
			}
			defer f.Close()
			data, err := io.ReadAll(io.LimitReader(f, maxImportFile+1))
			if err != nil {
				return nil, err
			}
			id, err := a.S.Import(c.UserContext(), fh.Filename, data)
			if err != nil {
				return nil, err
			}
			return &ImportAccepted{JobID: id}, nil
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/leads/:id", ID: "getLead", Summary: "Get a lead", Tag: "leads", Perm: perm("read")},
		func(c *fiber.Ctx, in *byID) (*View, error) {
			v, err := a.S.Get(c.UserContext(), in.ID)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "PATCH", Path: "/leads/:id", ID: "updateLead", Summary: "Update a lead (version required; 409 when stale)", Tag: "leads", Perm: perm("update")},
		func(c *fiber.Ctx, in *patchInput) (*View, error) {
			v, err := a.S.Update(c.UserContext(), in.ID, in.Update)
			return &v, err
		})
	api.Handle(r, api.Op{Method: "DELETE", Path: "/leads/:id", ID: "deleteLead", Summary: "Delete a lead", Tag: "leads", Perm: perm("delete")},
		func(c *fiber.Ctx, in *byID) (*api.NoContent, error) {
			return nil, a.S.Delete(c.UserContext(), in.ID)
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/leads/:id/convert", ID: "convertLead", Summary: "Convert a lead into a customer, its contact and optionally an opportunity, in one transaction", Tag: "leads", Perm: perm("update")},
		func(c *fiber.Ctx, in *convertInput) (*Converted, error) {
			v, err := a.S.Convert(c.UserContext(), in.ID, in.ConvertInput)
			return &v, err
		})
}
