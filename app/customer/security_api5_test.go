package customer_test

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"testing"

	"github.com/smecrm/crm/app/apitest"
)

// TestAPI5AssignmentNeedsAssign (OWASP API5): choosing who owns a customer, or which
// department it is filed under, is an assignment and needs customer:assign — on a single create
// and through an import's owner_email column alike. A salesperson's attempts answer 403 and
// create nothing; a manager with customer:assign may do both.
func TestAPI5AssignmentNeedsAssign(t *testing.T) {
	apitest.Each(t, func(t *testing.T, env *apitest.Env) {
		acme := env.Signup(t)
		sales := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		colleague := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "salesperson")
		manager := acme.AddUserWith(t, apitest.UserOpts{Department: "Sales"}, "sales_manager")

		importAs := func(c *apitest.Client, name string) int {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			fw, _ := w.CreateFormFile("file", "customers.csv")
			fw.Write([]byte("name,owner_email\n" + name + "," + colleague.Email + "\n"))
			w.Close()
			h := c.Headers("POST")
			h["Content-Type"] = w.FormDataContentType()
			return env.Do(t, "POST", "/api/v1/customers/import", buf.Bytes(), h).Status
		}
		count := func(q string) int {
			var page struct{ Items []map[string]any }
			acme.Owner.MustDo(t, "GET", "/api/v1/customers?q="+url.QueryEscape(q), nil, 200, &page)
			return len(page.Items)
		}
		var jobs struct{ Items []map[string]any }

		if st := importAs(sales, "越权导入有限公司"); st != 403 {
			t.Errorf("salesperson's import with a colleague's owner_email: %d, want 403", st)
		}
		if r := sales.Do(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "越权部门有限公司", "department_id": acme.Departments["Marketing"]}); r.Status != 403 {
			t.Errorf("salesperson's create under another department: %d %s, want 403", r.Status, r.Body)
		}
		if n := count("越权"); n != 0 {
			t.Errorf("%d customers created by refused attempts", n)
		}
		if r := acme.Owner.Do(t, "GET", "/api/v1/jobs?kind=customer.import", nil); r.Status == 200 {
			r.JSON(t, &jobs)
			if len(jobs.Items) != 0 {
				t.Errorf("refused import left a job: %s", r.Body)
			}
		}
		// Within their own reach the salesperson still creates; the manager may assign.
		sales.MustDo(t, "POST", "/api/v1/customers", map[string]any{"type": "enterprise", "name": "本部门有限公司", "department_id": acme.Departments["Sales"]}, 201, nil)
		if st := importAs(manager, "经理导入有限公司"); st != 202 {
			t.Errorf("manager's import with owner_email: %d, want 202", st)
		}
	})
}
