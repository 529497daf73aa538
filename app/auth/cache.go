package auth

import (
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/tenants"
)

// cacheEntry is an authenticated credential: who it is, until when, and the tenant's
// auth_version it was read under. An entry is used only while that version is current.
type cacheEntry struct {
	tenantID     uuid.UUID
	authVersion  int64
	tenantLocale string
	user         org.User
	session      *Session
	expires      time.Time
	tokenID      uuid.UUID
	lastUsed     time.Time
}

// cacheKey is the hash of a credential's secret.
type cacheKey string

// principalTTL bounds how long an entry lives even when nothing changes (the tenant's locale,
// which is not versioned, refreshes within it).
const principalTTL = time.Minute

// principalKey is the fiber.Ctx local holding the request's *principal.
const principalKey = "auth.principal"

func (a *Auth) cache() *expirable.LRU[cacheKey, *cacheEntry] {
	a.cacheOnce.Do(a.initCaches)
	return a.principals
}

// states is the tenant-state cache, nil when TenantStateTTL is zero.
func (a *Auth) states() *expirable.LRU[uuid.UUID, *tenants.Tenant] {
	a.cacheOnce.Do(a.initCaches)
	return a.tenantStates
}

func (a *Auth) initCaches() {
	a.principals = expirable.NewLRU[cacheKey, *cacheEntry](100_000, nil, principalTTL)
	if a.TenantStateTTL > 0 {
		a.tenantStates = expirable.NewLRU[uuid.UUID, *tenants.Tenant](10_000, nil, a.TenantStateTTL)
		a.DB.OnTenantChange(func(id uuid.UUID) { a.tenantStates.Remove(id) })
	}
}
