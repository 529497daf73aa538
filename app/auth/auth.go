package auth

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
	"github.com/smecrm/crm/tenants"
)

// Cookie and header names.
const (
	SessionCookie = "crm_session"
	CSRFHeader    = "X-CSRF-Token"
	tokenPrefix   = "crm_"
)

// SessionTTL is how long a web session lasts.
const SessionTTL = 14 * 24 * time.Hour

// Auth authenticates requests and manages sessions and tokens.
type Auth struct {
	DB      *store.DB
	Tenants tenants.Repo
	Authz   *policies.Authorizer
	// SecureCookies marks cookies Secure (when the base URL is https).
	SecureCookies bool
	Now           func() time.Time
	// signOut is "METHOD /full/path" of the logout route, which a suspended tenant's users may
	// still use. Set by Routes.
	signOut string
	// whileResetting are the routes ("METHOD /full/path") a user whose password an owner reset
	// may call before choosing their own: who am I, change my profile, sign out.
	whileResetting []string

	// TenantStateTTL is how long a tenant's status and change counters are cached. Changes
	// made through this process apply at once; on other replicas within this time. Zero reads
	// the tenant on every request.
	TenantStateTTL time.Duration

	cacheOnce    sync.Once
	principals   *expirable.LRU[cacheKey, *cacheEntry]
	tenantStates *expirable.LRU[uuid.UUID, *tenants.Tenant]
}

func (a *Auth) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// principal is what authentication found.
type principal struct {
	tenant       *tenants.Tenant
	tenantLocale string
	user         org.User
	session      *Session
	via          string
}

// Authenticate is the guard for signed-in routes: it resolves the session cookie or bearer
// token into the tenant, user and locale of the request context, and checks CSRF for unsafe
// methods on cookie sessions.
func (a *Auth) Authenticate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	var p *principal
	var err error
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return problem.New(problem.Unauthenticated, "bad_token")
		}
		p, err = a.byToken(ctx, strings.TrimSpace(tok))
	} else if ck := c.Cookies(SessionCookie); ck != "" {
		p, err = a.bySession(ctx, ck)
		if err == nil && unsafeMethod(c.Method()) {
			if subtle.ConstantTimeCompare([]byte(c.Get(CSRFHeader)), []byte(p.session.CSRFToken)) != 1 {
				return problem.New(problem.Forbidden, "csrf")
			}
		}
	} else {
		return problem.New(problem.Unauthenticated, "unauthenticated")
	}
	if err != nil {
		return err
	}
	if !p.tenant.CanSignIn() {
		return problem.New(problem.TenantSuspended, "tenant_locked")
	}
	if p.user.MustChangePassword && !slices.Contains(a.whileResetting, c.Method()+" "+c.Route().Path) {
		return problem.New(problem.Forbidden, "password_change_required")
	}
	c.SetUserContext(a.contextFor(ctx, c, p))
	c.Locals("tenant_id", p.tenant.ID.String())
	c.Locals("user_id", p.user.ID.String())
	c.Locals(principalKey, p)
	if p.session != nil {
		c.Locals("session", p.session)
	}
	return c.Next()
}

func (a *Auth) contextFor(ctx context.Context, c *fiber.Ctx, p *principal) context.Context {
	info := p.tenant.Info()
	info.Locale = p.tenantLocale
	ctx = tenantctx.WithInfo(ctx, info)
	actor := tenantctx.Actor{UserID: p.user.ID, Via: p.via}
	if p.user.DepartmentID != nil {
		actor.DepartmentID = *p.user.DepartmentID
	}
	ctx = tenantctx.WithActor(ctx, actor)
	if p.session != nil {
		ctx = context.WithValue(ctx, sessionKey{}, p.session.ID)
	}
	return tenantctx.WithLocale(ctx, ResolveLocale(p.user.Locale, c.Get(fiber.HeaderAcceptLanguage), info.Locale))
}

// sessionKey carries the ID of the session a request came with.
type sessionKey struct{}

// ResolveLocale picks the user's setting, else the browser's Accept-Language, else the tenant's.
func ResolveLocale(user, acceptLanguage, tenant string) string {
	if problem.IsLocale(user) {
		return user
	}
	if l, ok := problem.MatchLocale(acceptLanguage); ok {
		return l
	}
	if problem.IsLocale(tenant) {
		return tenant
	}
	return "zh-CN"
}

func unsafeMethod(m string) bool {
	return m != fiber.MethodGet && m != fiber.MethodHead && m != fiber.MethodOptions
}

// Writable is the guard that refuses writes for a suspended or cancelled tenant. Signing out
// changes no data and only ends the caller's own access, so it stays allowed: a suspended
// company's users (who may still sign in) must be able to sign out again.
func (a *Auth) Writable(c *fiber.Ctx) error {
	if info, ok := tenantctx.InfoFrom(c.UserContext()); ok && !tenants.WritableStatus(info.Status) &&
		c.Method()+" "+c.Route().Path != a.signOut {
		return problem.New(problem.TenantSuspended, "tenant_suspended")
	}
	return c.Next()
}

// Authorize is the permission guard: the route's declared object and action.
func (a *Auth) Authorize(c *fiber.Ctx, obj, act string) error {
	return a.Authz.Require(c.UserContext(), obj, act)
}

func splitCredential(raw string, sep byte) (uuid.UUID, string, bool) {
	i := strings.IndexByte(raw, sep)
	if i <= 0 {
		return uuid.Nil, "", false
	}
	tid, err := uuid.Parse(raw[:i])
	if err != nil {
		return uuid.Nil, "", false
	}
	return tid, raw[i+1:], true
}

func (a *Auth) bySession(ctx context.Context, cookie string) (*principal, error) {
	tid, secret, ok := splitCredential(cookie, '.')
	if !ok {
		return nil, problem.New(problem.Unauthenticated, "unauthenticated")
	}
	hash := HashToken(secret)
	return a.resolve(ctx, tid, hash, "session", func(tx *gorm.DB, p *principal, e *cacheEntry) (uuid.UUID, error) {
		p.session = &Session{}
		err := tx.Take(p.session, "token_hash = ?", hash).Error
		if err != nil || !p.session.ExpiresAt.After(a.now()) {
			return uuid.Nil, problem.New(problem.Unauthenticated, "unauthenticated")
		}
		e.expires = p.session.ExpiresAt
		return p.session.UserID, nil
	})
}

// tokenString builds an API token: the tenant (so the lookup can be tenant-scoped) and a secret.
func tokenString(tid uuid.UUID, secret string) string {
	return tokenPrefix + hex.EncodeToString(tid[:]) + "_" + secret
}

func (a *Auth) byToken(ctx context.Context, raw string) (*principal, error) {
	bad := problem.New(problem.Unauthenticated, "bad_token")
	rest, ok := strings.CutPrefix(raw, tokenPrefix)
	if !ok || len(rest) < 34 || rest[32] != '_' {
		return nil, bad
	}
	b, err := hex.DecodeString(rest[:32])
	if err != nil {
		return nil, bad
	}
	tid, _ := uuid.FromBytes(b)
	hash := HashToken(raw)
	now := a.now()
	var used *APIToken
	p, err := a.resolve(ctx, tid, hash, "token", func(tx *gorm.DB, _ *principal, e *cacheEntry) (uuid.UUID, error) {
		var tok APIToken
		if err := tx.Take(&tok, "token_hash = ?", hash).Error; err != nil {
			return uuid.Nil, bad
		}
		if tok.RevokedAt != nil || (tok.ExpiresAt != nil && !tok.ExpiresAt.After(now)) {
			return uuid.Nil, bad
		}
		if tok.ExpiresAt != nil {
			e.expires = *tok.ExpiresAt
		}
		e.tokenID = tok.ID
		if tok.LastUsedAt != nil {
			e.lastUsed = *tok.LastUsedAt
		}
		used = &tok
		return tok.UserID, nil
	})
	if err != nil {
		if problem.Is(err, problem.Unauthenticated) {
			return nil, bad
		}
		return nil, err
	}
	// Record use at most every few minutes: a write per request would cost more than the read.
	if e, ok := a.cache().Get(cacheKey(hash)); ok && now.Sub(e.lastUsed) > 5*time.Minute {
		e.lastUsed = now
		tctx := tenantctx.WithTenant(ctx, tid)
		_ = a.DB.Tx(tctx, func(tx *gorm.DB) error {
			return tx.Model(&APIToken{TenantID: tid, ID: e.tokenID}).Update("last_used_at", now).Error
		})
	}
	_ = used
	return p, nil
}

// tenantState returns the tenant's status and change counters: from a cache that lives
// TenantStateTTL and is dropped in this process as soon as a change to the tenant commits, else
// from one primary-key read.
func (a *Auth) tenantState(ctx context.Context, tid uuid.UUID) (*tenants.Tenant, error) {
	states := a.states()
	if states != nil {
		if t, ok := states.Get(tid); ok {
			return t, nil
		}
	}
	var t tenants.Tenant
	err := a.DB.Gorm(ctx).Select("id", "slug", "name", "status", "suspend_mode", "plan", "policy_version", "auth_version").
		Take(&t, "id = ?", tid).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, problem.New(problem.Unauthenticated, "unauthenticated")
	}
	if err != nil {
		return nil, err
	}
	if states != nil {
		states.Add(tid, &t)
	}
	return &t, nil
}

// resolve authenticates a credential of tenant tid whose secret hashes to key. The tenant's
// state (status, versions) is read on every request — one primary-key read — so suspension,
// policy changes and credential changes apply at once on every replica; the credential and its
// user come from the principal cache while the tenant's auth_version is unchanged, else from
// the database through find.
func (a *Auth) resolve(ctx context.Context, tid uuid.UUID, key []byte, via string,
	find func(tx *gorm.DB, p *principal, e *cacheEntry) (uuid.UUID, error)) (*principal, error) {
	unauth := problem.New(problem.Unauthenticated, "unauthenticated")
	t, err := a.tenantState(ctx, tid)
	if err != nil {
		return nil, err
	}
	now := a.now()
	k := cacheKey(key)
	if e, ok := a.cache().Get(k); ok && e.tenantID == tid && e.authVersion == t.AuthVersion && (e.expires.IsZero() || e.expires.After(now)) {
		return &principal{tenant: t, tenantLocale: e.tenantLocale, user: e.user, session: e.session, via: via}, nil
	}
	full, err := a.Tenants.FindByID(ctx, tid)
	if err != nil {
		return nil, unauth
	}
	p := &principal{tenant: t, tenantLocale: full.Settings.Data().Locale, via: via}
	e := &cacheEntry{tenantID: tid, authVersion: t.AuthVersion, tenantLocale: p.tenantLocale}
	err = a.DB.Read(tenantctx.WithTenant(ctx, tid), func(tx *gorm.DB) error {
		uid, err := find(tx, p, e)
		if err != nil {
			return err
		}
		p.user, err = org.FindUser(tx, uid)
		if err != nil || p.user.Status != org.UserActive {
			return unauth
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.user, e.session = p.user, p.session
	a.cache().Add(k, e)
	return p, nil
}

// StartSession creates a session for a user and sets its cookie; it returns the CSRF token.
func (a *Auth) StartSession(c *fiber.Ctx, tenantID, userID uuid.UUID) (string, error) {
	secret := NewSecret(32)
	now := a.now()
	s := Session{ID: uuid.Must(uuid.NewV7()), UserID: userID, TokenHash: HashToken(secret),
		CSRFToken: NewSecret(24), ExpiresAt: now.Add(SessionTTL), CreatedAt: now}
	ctx := tenantctx.WithTenant(c.UserContext(), tenantID)
	if err := a.DB.Tx(ctx, func(tx *gorm.DB) error { return tx.Create(&s).Error }); err != nil {
		return "", err
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: tenantID.String() + "." + secret, Path: "/",
		Expires: s.ExpiresAt, HTTPOnly: true, Secure: a.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode})
	return s.CSRFToken, nil
}

// EndUserSessions deletes a user's sessions and revokes their tokens (run when a user is
// disabled, inside that transaction).
func EndUserSessions(ctx context.Context, tx *gorm.DB, userID uuid.UUID) error {
	if err := tx.Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
		return err
	}
	if err := tx.Model(&APIToken{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", time.Now().UTC()).Error; err != nil {
		return err
	}
	return CredentialsChanged(ctx, tx)
}

// EndOtherSessions ends userID's sessions except the one the request came with (a user who
// changes their own password stays signed in there); API tokens stay, being credentials of
// their own. For org.Service.OnPasswordChange.
func EndOtherSessions(ctx context.Context, tx *gorm.DB, userID uuid.UUID) error {
	q := tx.Where("user_id = ?", userID)
	if id, ok := ctx.Value(sessionKey{}).(uuid.UUID); ok {
		q = q.Where("id <> ?", id)
	}
	if err := q.Delete(&Session{}).Error; err != nil {
		return err
	}
	return CredentialsChanged(ctx, tx)
}

// CredentialsChanged tells every server's principal cache that a credential or a user of the
// context's tenant changed (call it inside the changing transaction).
func CredentialsChanged(ctx context.Context, tx *gorm.DB) error {
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return store.ErrNoTenant
	}
	return store.BumpTenantVersion(tx, tid, "auth_version")
}

var errBadLogin = problem.New(problem.Unauthenticated, "bad_credentials")

// Login checks a tenant user's credentials. Every failure reads the same, whichever part was
// wrong, so accounts cannot be probed.
func (a *Auth) Login(ctx context.Context, slug, email, password string) (*tenants.Tenant, org.User, error) {
	t, err := a.Tenants.FindBySlug(ctx, strings.ToLower(strings.TrimSpace(slug)))
	if err != nil {
		CheckPasswordOrDummy("", password)
		if problem.Is(err, problem.NotFound) {
			return nil, org.User{}, errBadLogin
		}
		return nil, org.User{}, err
	}
	var u org.User
	err = a.DB.Read(tenantctx.WithTenant(ctx, t.ID), func(tx *gorm.DB) error {
		var err error
		u, err = org.FindUserByEmail(tx, email)
		return err
	})
	if err != nil && !problem.Is(err, problem.NotFound) {
		return nil, u, err
	}
	if !CheckPasswordOrDummy(u.PasswordHash, password) || u.Status != org.UserActive {
		return nil, u, errBadLogin
	}
	if !t.CanSignIn() {
		return nil, u, problem.New(problem.TenantSuspended, "tenant_locked")
	}
	return t, u, nil
}

// Logout ends the request's session, if it has one.
func (a *Auth) Logout(c *fiber.Ctx) error {
	if s, ok := c.Locals("session").(*Session); ok {
		if err := a.DB.Tx(c.UserContext(), func(tx *gorm.DB) error {
			if err := tx.Delete(s).Error; err != nil {
				return err
			}
			return CredentialsChanged(c.UserContext(), tx)
		}); err != nil {
			return err
		}
	}
	c.Cookie(&fiber.Cookie{Name: SessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), HTTPOnly: true,
		Secure: a.SecureCookies, SameSite: fiber.CookieSameSiteLaxMode})
	return nil
}
