package policies

import (
	"context"
	"errors"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// RoleView is a role with its grants, as GET/PUT /roles/{role} show it.
type RoleView struct {
	Role        string    `json:"role"`
	Name        string    `json:"name"`
	DataScope   DataScope `json:"data_scope"`
	Builtin     bool      `json:"builtin"`
	Permissions []Perm    `json:"permissions"`
	Version     int64     `json:"version"`
}

// RoleInput is the body of PUT /roles/{role}: the role's whole definition.
type RoleInput struct {
	Name        string    `json:"name" validate:"required,max=100"`
	DataScope   DataScope `json:"data_scope" validate:"required,oneof=own own_and_subordinates department department_tree all"`
	Permissions []Perm    `json:"permissions" validate:"max=500"`
}

type roleKey struct {
	Role string `path:"role" json:"-"`
}

type putRole struct {
	roleKey
	RoleInput
}

var roleKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// RoleAPI serves /roles; changes are for the owner (the role:update grant).
type RoleAPI struct{ A *Authorizer }

// Routes registers /roles.
func (ra RoleAPI) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/roles", ID: "listRoles", Summary: "Roles with their data scopes and permissions", Tag: "roles", Perm: api.Perm{Object: "role", Action: "read"}},
		func(c *fiber.Ctx, _ *struct{}) (*api.Page[RoleView], error) { return ra.list(c.UserContext()) })
	api.Handle(r, api.Op{Method: "GET", Path: "/roles/:role", ID: "getRole", Summary: "One role", Tag: "roles", Perm: api.Perm{Object: "role", Action: "read"}},
		func(c *fiber.Ctx, in *roleKey) (*RoleView, error) { return ra.get(c.UserContext(), in.Role) })
	api.Handle(r, api.Op{Method: "PUT", Path: "/roles/:role", ID: "putRole", Summary: "Define a role (create a custom one or change a default one)", Tag: "roles", Perm: api.Perm{Object: "role", Action: "update"}},
		func(c *fiber.Ctx, in *putRole) (*RoleView, error) {
			return ra.A.PutRole(c.UserContext(), in.Role, in.RoleInput)
		})
}

func (ra RoleAPI) list(ctx context.Context) (*api.Page[RoleView], error) {
	roles, err := ra.A.Roles(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]RoleView, 0, len(roles))
	// Default roles first, in catalogue order, then custom ones by key.
	for _, d := range DefaultRoles {
		if r, ok := roles[d.Key]; ok {
			v, err := ra.view(ctx, r)
			if err != nil {
				return nil, err
			}
			out = append(out, *v)
		}
	}
	var custom []string
	for k := range roles {
		if _, ok := RoleByKey(k); !ok {
			custom = append(custom, k)
		}
	}
	sort.Strings(custom)
	for _, k := range custom {
		v, err := ra.view(ctx, roles[k])
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return &api.Page[RoleView]{Items: out}, nil
}

func (ra RoleAPI) get(ctx context.Context, key string) (*RoleView, error) {
	roles, err := ra.A.Roles(ctx)
	if err != nil {
		return nil, err
	}
	r, ok := roles[key]
	if !ok {
		return nil, problem.NotFoundf("entity.role")
	}
	return ra.view(ctx, r)
}

func (ra RoleAPI) view(ctx context.Context, r Role) (*RoleView, error) {
	grants, err := ra.A.Grants(ctx, r.Key)
	if err != nil {
		return nil, err
	}
	if grants == nil {
		grants = []Perm{}
	}
	return &RoleView{Role: r.Key, Name: r.Name, DataScope: r.DataScope, Builtin: r.Builtin, Permissions: grants, Version: r.Version}, nil
}

// PutRole creates or replaces a role's name, data scope and grants. The owner role is fixed
// (a tenant must not lock itself out); unknown objects or actions are validation errors.
func (a *Authorizer) PutRole(ctx context.Context, key string, in RoleInput) (*RoleView, error) {
	key = strings.TrimSpace(key)
	if key == Owner {
		return nil, problem.New(problem.Conflict, "owner_role_fixed")
	}
	if !roleKeyRE.MatchString(key) {
		return nil, problem.Field("role", "invalid_format", "field.invalid_format")
	}
	seen := map[Perm]bool{}
	perms := make([]Perm, 0, len(in.Permissions))
	for _, p := range in.Permissions {
		if !p.Known() {
			return nil, problem.Field("permissions", "invalid_choice", "field.unknown_perm", p.Object+":"+p.Action)
		}
		if !seen[p] {
			seen[p] = true
			perms = append(perms, p)
		}
	}
	sortPerms(perms)
	now := time.Now().UTC()
	var view RoleView
	err := a.db.Tx(ctx, func(tx *gorm.DB) error {
		var r Role
		err := tx.Take(&r, "key = ?", key).Error
		isNew := errors.Is(err, gorm.ErrRecordNotFound)
		if err != nil && !isNew {
			return err
		}
		var oldGrants []Perm
		if !isNew {
			tid, _ := tenantctx.TenantID(ctx)
			if err := tx.Table("casbin_rule").Where("ptype = 'p' AND v0 = ? AND v1 = ?", key, tid.String()).Select("v2 AS object, v3 AS action").Scan(&oldGrants).Error; err != nil {
				return err
			}
			sortPerms(oldGrants)
		}
		before := RoleView{Role: r.Key, Name: r.Name, DataScope: r.DataScope, Builtin: r.Builtin, Permissions: oldGrants, Version: r.Version}
		r.Key, r.Name, r.DataScope, r.UpdatedAt = key, strings.TrimSpace(in.Name), in.DataScope, now
		if isNew {
			r.CreatedAt, r.Version = now, 1
			if err := tx.Create(&r).Error; err != nil {
				return err
			}
		} else {
			r.Version++
			if err := tx.Model(&r).Select("name", "data_scope", "updated_at", "version").Updates(&r).Error; err != nil {
				return err
			}
		}
		if err := setRoleGrants(ctx, tx, key, perms); err != nil {
			return err
		}
		view = RoleView{Role: key, Name: r.Name, DataScope: r.DataScope, Builtin: r.Builtin, Permissions: perms, Version: r.Version}
		action := "update"
		if isNew {
			action = "create"
		}
		return audit.Record(ctx, tx, action, "role", key, before, view)
	})
	if err != nil {
		return nil, err
	}
	return &view, nil
}
