package auth

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// LoginInput is the body of POST /auth/login.
type LoginInput struct {
	Tenant   string `json:"tenant" validate:"required,max=64"`
	Email    string `json:"email" validate:"required,max=254"`
	Password string `json:"password" validate:"required,max=200"`
}

// LoginOutput answers a login.
type LoginOutput struct {
	User      org.UserView       `json:"user"`
	Tenant    tenants.TenantView `json:"tenant"`
	CSRFToken string             `json:"csrf_token"`
}

// MeOutput is GET /me.
type MeOutput struct {
	User        org.UserView       `json:"user"`
	Tenant      tenants.TenantView `json:"tenant"`
	Roles       []string           `json:"roles"`
	Permissions []policies.Perm    `json:"permissions"`
	DataScope   policies.DataScope `json:"data_scope"`
	Locale      string             `json:"locale"`
	CSRFToken   string             `json:"csrf_token,omitempty"`
}

// NewToken is the body of POST /api-tokens.
type NewToken struct {
	Name      string     `json:"name" validate:"required,max=100"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// CreatedToken is the one answer that contains the token itself.
type CreatedToken struct {
	APIToken
	Token string `json:"token"`
}

type tokenID struct {
	ID uuid.UUID `path:"id" json:"-"`
}

// Routes registers /auth, /me and /api-tokens.
func (a *Auth) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "POST", Path: "/auth/login", ID: "login", Summary: "Sign in (sets the session cookie)", Tag: "auth", Access: api.Public},
		func(c *fiber.Ctx, in *LoginInput) (*LoginOutput, error) {
			t, u, err := a.Login(c.UserContext(), in.Tenant, in.Email, in.Password)
			if err != nil {
				return nil, err
			}
			csrf, err := a.StartSession(c, t.ID, u.ID)
			if err != nil {
				return nil, err
			}
			ctx := tenantctx.WithInfo(c.UserContext(), t.Info())
			roles, err := a.Authz.UserRoles(ctx, u.ID)
			if err != nil {
				return nil, err
			}
			return &LoginOutput{User: u.View(roles), Tenant: t.View(), CSRFToken: csrf}, nil
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/auth/logout", ID: "logout", Summary: "Sign out", Tag: "auth", Access: api.SignedIn},
		func(c *fiber.Ctx, _ *struct{}) (*api.NoContent, error) { return nil, a.Logout(c) })
	api.Handle(r, api.Op{Method: "GET", Path: "/me", ID: "me", Summary: "The signed-in user, tenant, roles, permissions and data scope", Tag: "auth", Access: api.SignedIn},
		func(c *fiber.Ctx, _ *struct{}) (*MeOutput, error) { return a.Me(c) })
	api.Handle(r, api.Op{Method: "GET", Path: "/api-tokens", ID: "listApiTokens", Summary: "My API tokens", Tag: "auth", Access: api.SignedIn},
		func(c *fiber.Ctx, _ *struct{}) (*api.Page[APIToken], error) { return a.ListTokens(c.UserContext()) })
	api.Handle(r, api.Op{Method: "POST", Path: "/api-tokens", ID: "createApiToken", Summary: "Create an API token (shown once)", Tag: "auth", Access: api.SignedIn, Status: 201},
		func(c *fiber.Ctx, in *NewToken) (*CreatedToken, error) { return a.CreateToken(c.UserContext(), *in) })
	api.Handle(r, api.Op{Method: "DELETE", Path: "/api-tokens/:id", ID: "revokeApiToken", Summary: "Revoke one of my API tokens", Tag: "auth", Access: api.SignedIn},
		func(c *fiber.Ctx, in *tokenID) (*api.NoContent, error) {
			return nil, a.RevokeToken(c.UserContext(), in.ID)
		})
	for _, rt := range r.Registered() {
		switch rt.ID {
		case "logout":
			a.signOut = rt.Method + " " + rt.FullPath
		case "me":
			// PATCH on the same path (org's profile route) sets one's own password.
			a.whileResetting = append(a.whileResetting, rt.Method+" "+rt.FullPath, "PATCH "+rt.FullPath)
		}
	}
	a.whileResetting = append(a.whileResetting, a.signOut)
}

// Me describes the signed-in user.
func (a *Auth) Me(c *fiber.Ctx) (*MeOutput, error) {
	ctx := c.UserContext()
	// Authentication has just loaded (or validated from its cache) the user and tenant.
	p, ok := c.Locals(principalKey).(*principal)
	if !ok {
		return nil, problem.New(problem.Unauthenticated, "unauthenticated")
	}
	roles, err := a.Authz.UserRoles(ctx, p.user.ID)
	if err != nil {
		return nil, err
	}
	perms, err := a.Authz.Effective(ctx, roles)
	if err != nil {
		return nil, err
	}
	scope, err := a.Authz.ScopeOf(ctx, roles)
	if err != nil {
		return nil, err
	}
	u := p.user.View(roles)
	out := &MeOutput{User: u, Tenant: p.tenant.View(), Roles: u.Roles, Permissions: perms,
		DataScope: scope, Locale: tenantctx.Locale(ctx)}
	if p.session != nil {
		out.CSRFToken = p.session.CSRFToken
	}
	return out, nil
}

// ListTokens lists the acting user's tokens (never the secrets).
func (a *Auth) ListTokens(ctx context.Context) (*api.Page[APIToken], error) {
	var toks []APIToken
	err := a.DB.Read(ctx, func(tx *gorm.DB) error {
		return tx.Where("user_id = ?", tenantctx.ActorFrom(ctx).UserID).Order("id").Find(&toks).Error
	})
	if toks == nil {
		toks = []APIToken{}
	}
	return &api.Page[APIToken]{Items: toks}, err
}

// CreateToken issues a token for the acting user; the secret is in this answer only.
func (a *Auth) CreateToken(ctx context.Context, in NewToken) (*CreatedToken, error) {
	info, _ := tenantctx.InfoFrom(ctx)
	now := a.now()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return nil, problem.Field("expires_at", "out_of_range", "field.out_of_range")
	}
	raw := tokenString(info.ID, NewSecret(32))
	t := APIToken{ID: uuid.Must(uuid.NewV7()), UserID: tenantctx.ActorFrom(ctx).UserID, Name: strings.TrimSpace(in.Name),
		TokenHash: HashToken(raw), Prefix: raw[:12], ExpiresAt: in.ExpiresAt, CreatedAt: now}
	err := a.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&t).Error; err != nil {
			return err
		}
		return audit.Record(ctx, tx, "create", "api_token", t.ID.String(), nil, t)
	})
	if err != nil {
		return nil, err
	}
	return &CreatedToken{APIToken: t, Token: raw}, nil
}

// RevokeToken revokes one of the acting user's tokens; another user's token is not_found.
func (a *Auth) RevokeToken(ctx context.Context, id uuid.UUID) error {
	return a.DB.Tx(ctx, func(tx *gorm.DB) error {
		var t APIToken
		err := tx.Take(&t, "id = ? AND user_id = ?", id, tenantctx.ActorFrom(ctx).UserID).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return problem.NotFoundf("entity.api_token")
		}
		if err != nil {
			return err
		}
		if t.RevokedAt != nil {
			return nil
		}
		before := t
		now := a.now()
		t.RevokedAt = &now
		if err := tx.Model(&t).Update("revoked_at", now).Error; err != nil {
			return err
		}
		if err := CredentialsChanged(ctx, tx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "revoke", "api_token", t.ID.String(), before, t)
	})
}
