package tenants

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
)

// Platform administrators run the service (TEN-6). They are not tenant users: their accounts,
// sessions and audit trail live in platform tables, and they reach tenant data only through
// the operations here.

// PlatformAdmin is a platform administrator account.
type PlatformAdmin struct {
	ID           uuid.UUID `gorm:"primaryKey" json:"id"`
	Email        string    `json:"email"`
	Name         string    `json:"name"`
	PasswordHash string    `json:"-"`
	CreatedAt    time.Time `json:"created_at"`
}

// PlatformSession is a platform admin's browser session.
type PlatformSession struct {
	ID        uuid.UUID `gorm:"primaryKey"`
	AdminID   uuid.UUID
	TokenHash []byte
	CSRFToken string
	ExpiresAt time.Time
	CreatedAt time.Time
}

// PlatformAuditEntry records one platform-admin action.
type PlatformAuditEntry struct {
	ID       uuid.UUID                          `gorm:"primaryKey" json:"id"`
	At       time.Time                          `json:"at"`
	AdminID  *uuid.UUID                         `json:"admin_id"`
	Via      string                             `json:"via"`
	Action   string                             `json:"action"`
	TenantID *uuid.UUID                         `gorm:"column:target_tenant_id" json:"tenant_id"`
	Details  datatypes.JSONType[map[string]any] `json:"details"`
}

// TableName is the platform audit table.
func (PlatformAuditEntry) TableName() string { return "platform_audit" }

// PlatformCookie is the platform admin session cookie.
const PlatformCookie = "crm_platform"

// Platform is the platform-admin service and API.
type Platform struct {
	DB            *store.DB
	Log           *slog.Logger
	SecureCookies bool
	// HashPassword and CheckPassword are auth's argon2id functions (injected to keep this
	// package below auth).
	HashPassword  func(string) (string, error)
	CheckPassword func(hash, pw string) bool
	Now           func() time.Time
	// Counts are per-tenant figures shown to platform admins, each computed in the tenant's
	// scope; business packages add theirs (customers, …) with AddCount.
	counts []namedCount
}

type namedCount struct {
	name string
	fn   func(tx *gorm.DB) (int64, error)
}

// AddCount registers a per-tenant count for the tenant list.
func (p *Platform) AddCount(name string, fn func(tx *gorm.DB) (int64, error)) {
	p.counts = append(p.counts, namedCount{name, fn})
}

func (p *Platform) now() time.Time {
	if p.Now != nil {
		return p.Now().UTC()
	}
	return time.Now().UTC()
}

// CreateAdmin adds a platform administrator (the CLI's create-platform-admin).
func (p *Platform) CreateAdmin(ctx context.Context, email, name, password string) (*PlatformAdmin, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if err := api.Validate.Var(email, "required,email"); err != nil {
		return nil, problem.Field("email", "invalid_format", "field.invalid_format")
	}
	if len(password) < 10 {
		return nil, problem.Field("password", "too_short", "field.weak_password")
	}
	h, err := p.HashPassword(password)
	if err != nil {
		return nil, err
	}
	a := &PlatformAdmin{ID: uuid.Must(uuid.NewV7()), Email: email, Name: strings.TrimSpace(name), PasswordHash: h, CreatedAt: p.now()}
	err = p.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(a).Error; err != nil {
			if store.IsDuplicate(err) {
				return problem.New(problem.Conflict, "email_taken")
			}
			return err
		}
		return p.audit(ctx, tx, "create_admin", nil, map[string]any{"email": email})
	})
	return a, err
}

func (p *Platform) audit(ctx context.Context, tx *gorm.DB, action string, tenantID *uuid.UUID, details map[string]any) error {
	actor := tenantctx.ActorFrom(ctx)
	e := PlatformAuditEntry{ID: uuid.Must(uuid.NewV7()), At: p.now(), Via: actor.Via, Action: action, TenantID: tenantID,
		Details: datatypes.NewJSONType(details)}
	if e.Via == "" {
		e.Via = "cli"
	}
	if actor.Platform && actor.UserID != uuid.Nil {
		id := actor.UserID
		e.AdminID = &id
	}
	return tx.Create(&e).Error
}

// TenantSummary is a tenant as platform admins see it, with its counts.
type TenantSummary struct {
	ID          uuid.UUID        `json:"id"`
	Slug        string           `json:"slug"`
	Name        string           `json:"name"`
	Status      Status           `json:"status"`
	SuspendMode string           `json:"suspend_mode"`
	Plan        string           `json:"plan"`
	TrialEndsAt *time.Time       `json:"trial_ends_at"`
	CreatedAt   time.Time        `json:"created_at"`
	Counts      map[string]int64 `json:"counts"`
}

// TenantFilter narrows ListTenants.
type TenantFilter struct {
	api.ListParams
	Q      string `query:"q" json:"-" validate:"max=100"`
	Status string `query:"status" json:"-" validate:"omitempty,oneof=trial active past_due suspended cancelled"`
}

// ListTenants lists tenants, oldest first, with their counts.
func (p *Platform) ListTenants(ctx context.Context, f TenantFilter) (api.Page[TenantSummary], error) {
	after, err := f.AfterID()
	if err != nil {
		return api.Page[TenantSummary]{}, err
	}
	limit := f.PageSize()
	var ts []Tenant
	q := p.DB.Gorm(ctx).Order("id").Limit(limit + 1)
	if after != uuid.Nil {
		q = q.Where("id > ?", after)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if s := strings.TrimSpace(f.Q); s != "" {
		// The search text is literal: % and _ in it match themselves, not any text.
		like := "%" + escapeLike(strings.ToLower(s)) + "%"
		q = q.Where(`(LOWER(name) LIKE ? ESCAPE '\' OR slug LIKE ? ESCAPE '\')`, like, like)
	}
	if err := q.Find(&ts).Error; err != nil {
		return api.Page[TenantSummary]{}, err
	}
	out := make([]TenantSummary, 0, len(ts))
	for i := range ts {
		if i == limit {
			break
		}
		s, err := p.summary(ctx, &ts[i])
		if err != nil {
			return api.Page[TenantSummary]{}, err
		}
		out = append(out, s)
	}
	if len(ts) > limit {
		out = append(out, TenantSummary{ID: ts[limit].ID})
	}
	return api.IDPage(out, limit, func(s TenantSummary) uuid.UUID { return s.ID }), nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// summary counts within the tenant's own scope: platform code gets no cross-tenant query.
func (p *Platform) summary(ctx context.Context, t *Tenant) (TenantSummary, error) {
	s := TenantSummary{ID: t.ID, Slug: t.Slug, Name: t.Name, Status: t.Status, SuspendMode: t.SuspendMode, Plan: t.Plan,
		TrialEndsAt: t.TrialEndsAt, CreatedAt: t.CreatedAt, Counts: map[string]int64{}}
	err := p.DB.Read(tenantctx.WithTenant(ctx, t.ID), func(tx *gorm.DB) error {
		users, err := org.CountUsers(tx)
		if err != nil {
			return err
		}
		s.Counts["users"] = users
		for _, c := range p.counts {
			n, err := c.fn(tx)
			if err != nil {
				return err
			}
			s.Counts[c.name] = n
		}
		return nil
	})
	return s, err
}

// GetTenant returns one tenant's summary.
func (p *Platform) GetTenant(ctx context.Context, id uuid.UUID) (TenantSummary, error) {
	t, err := Repo{DB: p.DB}.FindByID(ctx, id)
	if err != nil {
		return TenantSummary{}, err
	}
	return p.summary(ctx, t)
}

// ViewTenant is GetTenant for a platform admin looking at one tenant: the look is audited
// (API.md lists GET /platform/v1/tenants/{id} among the audited operations).
func (p *Platform) ViewTenant(ctx context.Context, id uuid.UUID) (TenantSummary, error) {
	s, err := p.GetTenant(ctx, id)
	if err != nil {
		return s, err
	}
	err = p.DB.Tx(ctx, func(tx *gorm.DB) error { return p.audit(ctx, tx, "view", &s.ID, map[string]any{}) })
	return s, err
}

// ResolveTenant finds a tenant by ID or slug (for the CLI).
func (p *Platform) ResolveTenant(ctx context.Context, idOrSlug string) (*Tenant, error) {
	if id, err := uuid.Parse(idOrSlug); err == nil {
		return Repo{DB: p.DB}.FindByID(ctx, id)
	}
	return Repo{DB: p.DB}.FindBySlug(ctx, idOrSlug)
}

// Suspend stops a tenant's writes (mode read_only) or sign-ins too (mode locked). Nothing of
// the tenant's data is touched. Audited.
func (p *Platform) Suspend(ctx context.Context, id uuid.UUID, mode, reason string) (TenantSummary, error) {
	if mode == "" {
		mode = SuspendReadOnly
	}
	if mode != SuspendReadOnly && mode != SuspendLocked {
		return TenantSummary{}, problem.Field("mode", "invalid_choice", "field.invalid_choice", SuspendReadOnly+", "+SuspendLocked)
	}
	return p.transition(ctx, id, "suspend", func(t *Tenant) error {
		if t.Status == StatusCancelled {
			return problem.New(problem.Conflict, "transition", string(t.Status), string(StatusSuspended))
		}
		t.Status, t.SuspendMode = StatusSuspended, mode
		return nil
	}, map[string]any{"mode": mode, "reason": reason})
}

// Reactivate returns a suspended tenant to active. Audited.
func (p *Platform) Reactivate(ctx context.Context, id uuid.UUID) (TenantSummary, error) {
	return p.transition(ctx, id, "reactivate", func(t *Tenant) error {
		if t.Status != StatusSuspended && t.Status != StatusPastDue {
			return problem.New(problem.Conflict, "transition", string(t.Status), string(StatusActive))
		}
		t.Status, t.SuspendMode = StatusActive, SuspendReadOnly
		return nil
	}, nil)
}

func (p *Platform) transition(ctx context.Context, id uuid.UUID, action string, change func(*Tenant) error, details map[string]any) (TenantSummary, error) {
	var t Tenant
	err := p.DB.Tx(ctx, func(tx *gorm.DB) error {
		err := tx.Take(&t, "id = ?", id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return problem.NotFoundf("entity.tenant")
		}
		if err != nil {
			return err
		}
		from := t.Status
		if err := change(&t); err != nil {
			return err
		}
		t.UpdatedAt, t.Version = p.now(), t.Version+1
		if err := tx.Model(&t).Select("status", "suspend_mode", "updated_at", "version").Updates(&t).Error; err != nil {
			return err
		}
		store.TenantChanged(tx, t.ID)
		if details == nil {
			details = map[string]any{}
		}
		details["from"], details["to"] = from, t.Status
		return p.audit(ctx, tx, action, &t.ID, details)
	})
	if err != nil {
		return TenantSummary{}, err
	}
	return p.summary(ctx, &t)
}

// Login checks a platform admin's credentials and opens a session; it returns the admin, the
// cookie secret and the CSRF token.
func (p *Platform) Login(ctx context.Context, email, password string) (*PlatformAdmin, string, *PlatformSession, error) {
	var a PlatformAdmin
	err := p.DB.Gorm(ctx).Take(&a, "email = ?", strings.ToLower(strings.TrimSpace(email))).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, "", nil, err
	}
	hash := a.PasswordHash
	if hash == "" {
		hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	}
	if !p.CheckPassword(hash, password) || a.ID == uuid.Nil {
		return nil, "", nil, problem.New(problem.Unauthenticated, "bad_credentials")
	}
	secret := randomSecret()
	now := p.now()
	s := &PlatformSession{ID: uuid.Must(uuid.NewV7()), AdminID: a.ID, TokenHash: hashSecret(secret), CSRFToken: randomSecret(),
		ExpiresAt: now.Add(12 * time.Hour), CreatedAt: now}
	actx := tenantctx.WithActor(ctx, tenantctx.Actor{UserID: a.ID, Platform: true, Via: "session"})
	err = p.DB.Tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(s).Error; err != nil {
			return err
		}
		return p.audit(actx, tx, "login", nil, map[string]any{})
	})
	return &a, secret, s, err
}

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// Authenticate is the guard for platform routes.
func (p *Platform) Authenticate(c *fiber.Ctx) error {
	ck := c.Cookies(PlatformCookie)
	if ck == "" {
		return problem.New(problem.Unauthenticated, "unauthenticated")
	}
	var s PlatformSession
	err := p.DB.Gorm(c.UserContext()).Take(&s, "token_hash = ?", hashSecret(ck)).Error
	if err != nil || !s.ExpiresAt.After(p.now()) {
		return problem.New(problem.Unauthenticated, "unauthenticated")
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead &&
		subtle.ConstantTimeCompare([]byte(c.Get("X-CSRF-Token")), []byte(s.CSRFToken)) != 1 {
		return problem.New(problem.Forbidden, "csrf")
	}
	c.SetUserContext(tenantctx.WithActor(c.UserContext(), tenantctx.Actor{UserID: s.AdminID, Platform: true, Via: "session"}))
	c.Locals("platform_session", &s)
	return c.Next()
}

type platformLogin struct {
	Email    string `json:"email" validate:"required,max=254"`
	Password string `json:"password" validate:"required,max=200"`
}

type platformLoginOut struct {
	Admin     *PlatformAdmin `json:"admin"`
	CSRFToken string         `json:"csrf_token"`
}

type tenantID struct {
	ID uuid.UUID `path:"id" json:"-"`
}

type suspendInput struct {
	tenantID
	Mode   string `json:"mode" validate:"omitempty,oneof=read_only locked"`
	Reason string `json:"reason" validate:"max=500"`
}

// AuditQuery filters GET /platform/v1/audit.
type AuditQuery struct {
	api.ListParams
	TenantID string `query:"tenant_id" json:"-"`
}

// Routes registers /platform/v1.
func (p *Platform) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "POST", Path: "/auth/login", ID: "platformLogin", Summary: "Platform admin sign-in", Tag: "platform", Access: api.Public},
		func(c *fiber.Ctx, in *platformLogin) (*platformLoginOut, error) {
			a, secret, s, err := p.Login(c.UserContext(), in.Email, in.Password)
			if err != nil {
				return nil, err
			}
			c.Cookie(&fiber.Cookie{Name: PlatformCookie, Value: secret, Path: "/platform", Expires: s.ExpiresAt, HTTPOnly: true,
				Secure: p.SecureCookies, SameSite: fiber.CookieSameSiteStrictMode})
			return &platformLoginOut{Admin: a, CSRFToken: s.CSRFToken}, nil
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/auth/logout", ID: "platformLogout", Summary: "Platform admin sign-out", Tag: "platform", Access: api.PlatformAdmin},
		func(c *fiber.Ctx, _ *struct{}) (*api.NoContent, error) {
			if s, ok := c.Locals("platform_session").(*PlatformSession); ok {
				if err := p.DB.Gorm(c.UserContext()).Delete(s).Error; err != nil {
					return nil, err
				}
			}
			c.ClearCookie(PlatformCookie)
			return nil, nil
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/tenants", ID: "platformListTenants", Summary: "List and search tenants with their counts", Tag: "platform", Access: api.PlatformAdmin},
		func(c *fiber.Ctx, in *TenantFilter) (*api.Page[TenantSummary], error) {
			pg, err := p.ListTenants(c.UserContext(), *in)
			return &pg, err
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/tenants/:id", ID: "platformGetTenant", Summary: "One tenant", Tag: "platform", Access: api.PlatformAdmin},
		func(c *fiber.Ctx, in *tenantID) (*TenantSummary, error) {
			s, err := p.ViewTenant(c.UserContext(), in.ID)
			return &s, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/tenants/:id/suspend", ID: "platformSuspendTenant", Summary: "Suspend a tenant (read_only or locked)", Tag: "platform", Access: api.PlatformAdmin},
		func(c *fiber.Ctx, in *suspendInput) (*TenantSummary, error) {
			s, err := p.Suspend(c.UserContext(), in.ID, in.Mode, in.Reason)
			return &s, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/tenants/:id/reactivate", ID: "platformReactivateTenant", Summary: "Reactivate a suspended tenant", Tag: "platform", Access: api.PlatformAdmin},
		func(c *fiber.Ctx, in *tenantID) (*TenantSummary, error) {
			s, err := p.Reactivate(c.UserContext(), in.ID)
			return &s, err
		})
	api.Handle(r, api.Op{Method: "GET", Path: "/audit", ID: "platformAudit", Summary: "Platform admin actions, newest first", Tag: "platform", Access: api.PlatformAdmin},
		func(c *fiber.Ctx, in *AuditQuery) (*api.Page[PlatformAuditEntry], error) {
			before, err := in.AfterID()
			if err != nil {
				return nil, err
			}
			limit := in.PageSize()
			q := p.DB.Gorm(c.UserContext()).Order("id DESC").Limit(limit + 1)
			if before != uuid.Nil {
				q = q.Where("id < ?", before)
			}
			if in.TenantID != "" {
				id, err := api.ParseUUID("tenant_id", in.TenantID)
				if err != nil {
					return nil, err
				}
				q = q.Where("target_tenant_id = ?", id)
			}
			var items []PlatformAuditEntry
			if err := q.Find(&items).Error; err != nil {
				return nil, err
			}
			pg := api.IDPage(items, limit, func(e PlatformAuditEntry) uuid.UUID { return e.ID })
			return &pg, nil
		})
}
