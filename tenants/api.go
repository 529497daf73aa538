package tenants

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/tenantctx"
)

// TenantView is the tenant as its users see it.
type TenantView struct {
	ID     uuid.UUID `json:"id"`
	Slug   string    `json:"slug"`
	Name   string    `json:"name"`
	Status string    `json:"status"`
	Plan   string    `json:"plan"`
}

// View renders t for its users.
func (t *Tenant) View() TenantView {
	return TenantView{ID: t.ID, Slug: t.Slug, Name: t.Name, Status: string(t.Status), Plan: t.Plan}
}

// SignupOutput answers a signup; the session cookie is set too.
type SignupOutput struct {
	Tenant    TenantView   `json:"tenant"`
	User      org.UserView `json:"user"`
	CSRFToken string       `json:"csrf_token"`
}

// SignupAPI serves POST /signup. StartSession signs the new owner in (auth.Auth.StartSession).
type SignupAPI struct {
	S            *Service
	StartSession func(c *fiber.Ctx, tenantID, userID uuid.UUID) (string, error)
}

// Routes registers /signup.
func (a SignupAPI) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "POST", Path: "/signup", ID: "signup", Summary: "Sign up a company and its owner", Tag: "auth", Access: api.Public, Status: 201},
		func(c *fiber.Ctx, in *SignupInput) (*SignupOutput, error) {
			t, u, err := a.S.Signup(c.UserContext(), *in)
			if err != nil {
				return nil, err
			}
			csrf, err := a.StartSession(c, t.ID, u.ID)
			if err != nil {
				return nil, err
			}
			c.SetUserContext(tenantctx.WithInfo(c.UserContext(), t.Info()))
			return &SignupOutput{Tenant: t.View(), User: u.View([]string{"owner"}), CSRFToken: csrf}, nil
		})
}
