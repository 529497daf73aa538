package policies

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	gormadapter "github.com/casbin/gorm-adapter/v3"
	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
)

// Role is a tenant's role row: its name and data scope (its grants live in Casbin).
type Role struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	Key       string    `gorm:"primaryKey"`
	Name      string
	DataScope DataScope
	Builtin   bool
	CreatedAt time.Time
	UpdatedAt time.Time
	Version   int64
}

// Authorizer answers permission questions for tenants. It keeps one enforcer per tenant,
// loaded from that tenant's rows only and tagged with the tenant's policy version; a policy
// change bumps the version (in the same transaction) and the next check reloads, on every
// replica, because the version travels with the tenant row each request loads anyway.
type Authorizer struct {
	db    *store.DB
	model model.Model
	cache *lru.Cache[uuid.UUID, *tenantPolicy]
	group singleflight.Group
}

type tenantPolicy struct {
	version  int64
	enforcer *casbin.SyncedCachedEnforcer
	roles    map[string]Role
	// effective caches Effective per set of roles; the entry is replaced on any policy change.
	effective sync.Map // "role,role" → []Perm
}

// NewAuthorizer returns an Authorizer caching up to 4096 tenants' policies.
func NewAuthorizer(db *store.DB) (*Authorizer, error) {
	m, err := model.NewModelFromString(modelConf)
	if err != nil {
		return nil, err
	}
	cache, err := lru.New[uuid.UUID, *tenantPolicy](4096)
	if err != nil {
		return nil, err
	}
	return &Authorizer{db: db, model: m, cache: cache}, nil
}

func userSubject(id uuid.UUID) string { return "u:" + id.String() }

// adapter binds gorm-adapter to a transaction, so policy rows are read and written inside the
// tenant's transaction (and under row-level security on PostgreSQL). The table is created by
// migrations, never by the adapter.
func adapter(tx *gorm.DB) (*gormadapter.Adapter, error) {
	s := tx.Session(&gorm.Session{})
	gormadapter.TurnOffAutoMigrate(s)
	return gormadapter.NewFilteredAdapterByDB(s, "", "casbin_rule")
}

func (a *Authorizer) policy(ctx context.Context) (*tenantPolicy, error) {
	info, ok := tenantctx.InfoFrom(ctx)
	if !ok {
		return nil, problem.New(problem.Unauthenticated, "unauthenticated")
	}
	if p, ok := a.cache.Get(info.ID); ok && p.version >= info.PolicyVersion {
		return p, nil
	}
	v, err, _ := a.group.Do(info.ID.String(), func() (any, error) {
		return a.load(ctx, info.ID)
	})
	if err != nil {
		return nil, err
	}
	if p := v.(*tenantPolicy); p.version >= info.PolicyVersion {
		return p, nil
	}
	// This request joined a load that began before its policy version was committed (a role
	// change a moment ago): that load may miss the change, so read again.
	return a.load(ctx, info.ID)
}

func (a *Authorizer) load(ctx context.Context, tenantID uuid.UUID) (*tenantPolicy, error) {
	ctx = tenantctx.WithTenant(ctx, tenantID)
	p := &tenantPolicy{roles: map[string]Role{}}
	err := a.db.Read(ctx, func(tx *gorm.DB) error {
		var err error
		if p.version, err = store.TenantPolicyVersion(tx, tenantID); err != nil {
			return err
		}
		var roles []Role
		if err := tx.Find(&roles).Error; err != nil {
			return err
		}
		for _, r := range roles {
			p.roles[r.Key] = r
		}
		ad, err := adapter(tx)
		if err != nil {
			return err
		}
		e, err := casbin.NewSyncedCachedEnforcer(a.model.Copy())
		if err != nil {
			return err
		}
		e.SetAdapter(ad)
		e.EnableAutoSave(false)
		p.enforcer = e
		dom := tenantID.String()
		return e.LoadFilteredPolicy([]gormadapter.Filter{
			{Ptype: []string{"p"}, V1: []string{dom}},
			{Ptype: []string{"g"}, V2: []string{dom}},
		})
	})
	if err != nil {
		return nil, fmt.Errorf("load policies of tenant %s: %w", tenantID, err)
	}
	// The enforcer is read-only from here on; detach it from the finished transaction.
	a.cache.Add(tenantID, p)
	return p, nil
}

// Require fails with forbidden unless the acting user's roles grant obj/act in their tenant.
func (a *Authorizer) Require(ctx context.Context, obj, act string) error {
	ok, err := a.Allowed(ctx, obj, act)
	if err != nil {
		return err
	}
	if !ok {
		return problem.New(problem.Forbidden, "forbidden", obj, act)
	}
	return nil
}

// Allowed reports whether the acting user may do act on obj.
func (a *Authorizer) Allowed(ctx context.Context, obj, act string) (bool, error) {
	actor := tenantctx.ActorFrom(ctx)
	info, ok := tenantctx.InfoFrom(ctx)
	if !ok || actor.UserID == uuid.Nil {
		return false, problem.New(problem.Unauthenticated, "unauthenticated")
	}
	p, err := a.policy(ctx)
	if err != nil {
		return false, err
	}
	return p.enforcer.Enforce(userSubject(actor.UserID), info.ID.String(), obj, act)
}

// UserRoles returns the role keys of a user in the context's tenant, sorted.
func (a *Authorizer) UserRoles(ctx context.Context, userID uuid.UUID) ([]string, error) {
	p, err := a.policy(ctx)
	if err != nil {
		return nil, err
	}
	info, _ := tenantctx.InfoFrom(ctx)
	roles := p.enforcer.GetRolesForUserInDomain(userSubject(userID), info.ID.String())
	sort.Strings(roles)
	return roles, nil
}

// Grants lists a role's permissions as stored (wildcards kept).
func (a *Authorizer) Grants(ctx context.Context, role string) ([]Perm, error) {
	p, err := a.policy(ctx)
	if err != nil {
		return nil, err
	}
	info, _ := tenantctx.InfoFrom(ctx)
	rules, err := p.enforcer.GetFilteredPolicy(0, role, info.ID.String())
	if err != nil {
		return nil, err
	}
	out := make([]Perm, 0, len(rules))
	for _, r := range rules {
		out = append(out, Perm{Object: r[2], Action: r[3]})
	}
	sortPerms(out)
	return out, nil
}

// Effective lists the concrete permissions of a set of roles (wildcards expanded), sorted.
// The result is shared: callers must not modify it.
func (a *Authorizer) Effective(ctx context.Context, roles []string) ([]Perm, error) {
	p, err := a.policy(ctx)
	if err != nil {
		return nil, err
	}
	key := strings.Join(roles, ",")
	if v, ok := p.effective.Load(key); ok {
		return v.([]Perm), nil
	}
	seen := map[Perm]bool{}
	for _, r := range roles {
		grants, err := a.Grants(ctx, r)
		if err != nil {
			return nil, err
		}
		for _, g := range grants {
			for _, e := range g.Expand() {
				seen[e] = true
			}
		}
	}
	out := make([]Perm, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sortPerms(out)
	p.effective.Store(key, out)
	return out, nil
}

func sortPerms(ps []Perm) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Object != ps[j].Object {
			return ps[i].Object < ps[j].Object
		}
		return ps[i].Action < ps[j].Action
	})
}

// Roles returns the tenant's roles.
func (a *Authorizer) Roles(ctx context.Context) (map[string]Role, error) {
	p, err := a.policy(ctx)
	if err != nil {
		return nil, err
	}
	return p.roles, nil
}

// ScopeOf is the widest data scope among roles.
func (a *Authorizer) ScopeOf(ctx context.Context, roles []string) (DataScope, error) {
	all, err := a.Roles(ctx)
	if err != nil {
		return "", err
	}
	best := ScopeOwn
	for _, r := range roles {
		if role, ok := all[r]; ok && role.DataScope.Wider(best) {
			best = role.DataScope
		}
	}
	return best, nil
}

// HasRole reports whether roles contains key.
func HasRole(roles []string, key string) bool { return slices.Contains(roles, key) }

// Writes. Each runs inside the caller's tenant transaction and bumps the tenant's policy
// version there, so the change and the cache invalidation commit together.

// SeedTenant creates the default roles and grants for a new tenant.
func SeedTenant(ctx context.Context, tx *gorm.DB, tenantID uuid.UUID, locale string) error {
	now := time.Now().UTC()
	roles := make([]Role, 0, len(DefaultRoles))
	var rules [][]string
	dom := tenantID.String()
	for _, r := range DefaultRoles {
		roles = append(roles, Role{Key: r.Key, Name: r.Names[locale], DataScope: r.DataScope, Builtin: true, CreatedAt: now, UpdatedAt: now, Version: 1})
		for _, g := range DefaultGrants[r.Key] {
			rules = append(rules, []string{r.Key, dom, g.Object, g.Action})
		}
	}
	if err := tx.Create(&roles).Error; err != nil {
		return err
	}
	ad, err := adapter(tx)
	if err != nil {
		return err
	}
	return ad.AddPolicies("p", "p", rules)
}

// SetUserRoles replaces a user's roles.
func SetUserRoles(ctx context.Context, tx *gorm.DB, userID uuid.UUID, roles []string) error {
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return store.ErrNoTenant
	}
	ad, err := adapter(tx)
	if err != nil {
		return err
	}
	if err := ad.RemoveFilteredPolicy("g", "g", 0, userSubject(userID), "", tid.String()); err != nil {
		return err
	}
	if len(roles) > 0 {
		rules := make([][]string, 0, len(roles))
		for _, r := range roles {
			rules = append(rules, []string{userSubject(userID), r, tid.String()})
		}
		if err := ad.AddPolicies("g", "g", rules); err != nil {
			return err
		}
	}
	return bumpPolicyVersion(tx, tid)
}

// setRoleGrants replaces a role's grants.
func setRoleGrants(ctx context.Context, tx *gorm.DB, role string, perms []Perm) error {
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return store.ErrNoTenant
	}
	ad, err := adapter(tx)
	if err != nil {
		return err
	}
	if err := ad.RemoveFilteredPolicy("p", "p", 0, role, tid.String()); err != nil {
		return err
	}
	if len(perms) > 0 {
		rules := make([][]string, 0, len(perms))
		for _, p := range perms {
			rules = append(rules, []string{role, tid.String(), p.Object, p.Action})
		}
		if err := ad.AddPolicies("p", "p", rules); err != nil {
			return err
		}
	}
	return bumpPolicyVersion(tx, tid)
}

// UsersWithRole lists the users holding role (from the stored rules, inside tx).
func UsersWithRole(ctx context.Context, tx *gorm.DB, role string) ([]uuid.UUID, error) {
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return nil, store.ErrNoTenant
	}
	var subs []string
	if err := tx.Table("casbin_rule").Where("ptype = 'g' AND v1 = ? AND v2 = ?", role, tid.String()).Pluck("v0", &subs).Error; err != nil {
		return nil, err
	}
	out := make([]uuid.UUID, 0, len(subs))
	for _, s := range subs {
		if id, err := uuid.Parse(s[2:]); err == nil {
			out = append(out, id)
		}
	}
	return out, nil
}

func bumpPolicyVersion(tx *gorm.DB, tenantID uuid.UUID) error {
	return store.BumpTenantVersion(tx, tenantID, "policy_version")
}
