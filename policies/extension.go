package policies

import (
	"context"
	"regexp"
	"sort"

	"gorm.io/gorm"

	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
)

// extObjectRE matches the permission objects of plugin modules: ext:{plugin id}:{object}.
var extObjectRE = regexp.MustCompile(`^ext:[a-z][a-z0-9-]{1,38}[a-z0-9]:[a-z][a-z0-9_]{0,62}$`)

// IsExtensionObject reports whether obj is a plugin module's permission object.
func IsExtensionObject(obj string) bool { return extObjectRE.MatchString(obj) }

// GrantExtension gives the context tenant's roles permissions on plugin module objects
// (role → permissions), inside tx: roles the tenant does not have are skipped, grants it
// already has are kept once. The policy version is bumped so every replica reloads.
func GrantExtension(ctx context.Context, tx *gorm.DB, grants map[string][]Perm) error {
	tid, ok := tenantctx.TenantID(ctx)
	if !ok {
		return store.ErrNoTenant
	}
	var keys []string
	if err := tx.Model(&Role{}).Pluck("key", &keys).Error; err != nil {
		return err
	}
	have := map[string]bool{}
	for _, k := range keys {
		have[k] = true
	}
	roles := make([]string, 0, len(grants))
	for r := range grants {
		roles = append(roles, r)
	}
	sort.Strings(roles)
	var rules [][]string
	for _, role := range roles {
		if !have[role] {
			continue
		}
		for _, p := range grants[role] {
			if !IsExtensionObject(p.Object) {
				continue
			}
			var n int64
			if err := tx.Table("casbin_rule").Where("ptype = 'p' AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ?", role, tid.String(), p.Object, p.Action).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				rules = append(rules, []string{role, tid.String(), p.Object, p.Action})
			}
		}
	}
	if len(rules) == 0 {
		return nil
	}
	ad, err := adapter(tx)
	if err != nil {
		return err
	}
	if err := ad.AddPolicies("p", "p", rules); err != nil {
		return err
	}
	return bumpPolicyVersion(tx, tid)
}
