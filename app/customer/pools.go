package customer

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// Several public pools (EXP-2). tenants.PoolDef lists, per named pool, the departments whose
// customers go to it; every other customer goes to the default pool (stored as pool_key "").
// A customer's pool follows its department at the moment it enters the pool; staff see and
// claim the default pool and the pool their own department belongs to.

// departmentParent is a department's place in the tree.
type departmentParent struct {
	TenantID uuid.UUID `gorm:"primaryKey"`
	ID       uuid.UUID `gorm:"primaryKey"`
	ParentID *uuid.UUID
}

func (departmentParent) TableName() string { return "departments" }

// poolMap resolves departments to pools under one tenant's settings.
type poolMap struct {
	st     tenants.Settings
	parent map[uuid.UUID]uuid.UUID // department → parent (absent at the root)
	listed map[uuid.UUID]string    // department named by a pool → that pool's key
}

// loadPools reads what resolving pools needs; without named pools nothing is read.
func loadPools(tx *gorm.DB, st tenants.Settings) (*poolMap, error) {
	m := &poolMap{st: st, listed: map[uuid.UUID]string{}}
	if len(st.Pools) == 0 {
		return m, nil
	}
	for _, p := range st.Pools {
		for _, d := range p.DepartmentIDs {
			m.listed[d] = p.Key
		}
	}
	var rows []departmentParent
	if err := tx.Select("id", "parent_id").Find(&rows).Error; err != nil {
		return nil, err
	}
	m.parent = make(map[uuid.UUID]uuid.UUID, len(rows))
	for _, r := range rows {
		if r.ParentID != nil {
			m.parent[r.ID] = *r.ParentID
		}
	}
	return m, nil
}

// keyFor is the pool of a department: the nearest department at or above it that a pool
// lists, else the default pool ("").
func (m *poolMap) keyFor(dept *uuid.UUID) string {
	if dept == nil || len(m.listed) == 0 {
		return ""
	}
	d := *dept
	for range len(m.parent) + 1 { // bounded: a cycle cannot loop forever
		if k, ok := m.listed[d]; ok {
			return k
		}
		p, ok := m.parent[d]
		if !ok {
			return ""
		}
		d = p
	}
	return ""
}

// rules are the rules of the pool with key.
func (m *poolMap) rules(key string) tenants.PoolRules { return m.st.PoolRulesFor(key) }

// keys are every pool's key, the default ("") first.
func (m *poolMap) keys() []string {
	out := []string{""}
	for _, p := range m.st.Pools {
		out = append(out, p.Key)
	}
	return out
}

// departments are the departments whose customers go to the pool with key (for the default
// pool: those that go to a named pool, which the caller excludes).
func (m *poolMap) departments(key string) []uuid.UUID {
	var out []uuid.UUID
	for d := range m.parent {
		if k := m.keyFor(&d); (key == "" && k != "") || (key != "" && k == key) {
			out = append(out, d)
		}
	}
	// Roots have no parent entry.
	for d, k := range m.listed {
		if _, ok := m.parent[d]; !ok && ((key == "" && k != "") || k == key) {
			out = append(out, d)
		}
	}
	return out
}

// restrict narrows q (on customers) to the customers whose department belongs to the pool
// with key.
func (m *poolMap) restrict(q *gorm.DB, key string) *gorm.DB {
	if len(m.listed) == 0 {
		return q
	}
	ds := m.departments(key)
	if key != "" {
		if len(ds) == 0 {
			return q.Where("1 = 0")
		}
		return q.Where("customers.department_id IN ?", ds)
	}
	if len(ds) == 0 {
		return q
	}
	return q.Where("(customers.department_id IS NULL OR customers.department_id NOT IN ?)", ds)
}

// visiblePools are the pools the acting user sees and claims from: the default one and their
// department's; every pool for those who may assign customers (they manage the pools).
func (s *Service) visiblePools(ctx context.Context, m *poolMap) ([]string, error) {
	if len(m.listed) == 0 {
		return []string{""}, nil
	}
	if s.Authz != nil {
		err := s.Authz.Require(ctx, "customer", "assign")
		if err == nil {
			return m.keys(), nil
		}
		if !problem.Is(err, problem.Forbidden) {
			return nil, err
		}
	}
	return m.visible(ctx), nil
}

// visible are the pools of the acting user's department: the default one and their
// department's.
func (m *poolMap) visible(ctx context.Context) []string {
	out := []string{""}
	dept := tenantctx.ActorFrom(ctx).DepartmentID
	if dept == uuid.Nil {
		return out
	}
	if k := m.keyFor(&dept); k != "" {
		out = append(out, k)
	}
	return out
}

// poolName turns a stored key into its API name.
func poolName(key string) string {
	if key == "" {
		return tenants.DefaultPool
	}
	return key
}

// poolKey turns an API name into the stored key.
func poolKey(name string) string {
	if name == tenants.DefaultPool {
		return ""
	}
	return name
}

// poolsFor loads the context tenant's settings and pool map in tx.
func poolsFor(ctx context.Context, tx *gorm.DB) (*tenants.Tenant, *poolMap, error) {
	t, err := tenantRow(ctx, tx)
	if err != nil {
		return nil, nil, err
	}
	m, err := loadPools(tx, t.Settings.Data())
	return t, m, err
}

// PoolInfo describes one public pool for GET /pools.
type PoolInfo struct {
	Key       string            `json:"key"`
	Name      string            `json:"name"`
	Rules     tenants.PoolRules `json:"rules"`
	Customers int64             `json:"customers"`
}

// Pools lists the pools the acting user sees, with how many customers each holds.
func (s *Service) Pools(ctx context.Context) ([]PoolInfo, error) {
	var out []PoolInfo
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		_, m, err := poolsFor(ctx, tx)
		if err != nil {
			return err
		}
		names := map[string]string{"": ""}
		for _, p := range m.st.Pools {
			names[p.Key] = p.Name
		}
		keys, err := s.visiblePools(ctx, m)
		if err != nil {
			return err
		}
		for _, k := range keys {
			var n int64
			if err := tx.Model(&Customer{}).Where("deleted_at IS NULL AND in_pool = ? AND pool_key = ?", true, k).
				Count(&n).Error; err != nil {
				return err
			}
			out = append(out, PoolInfo{Key: poolName(k), Name: names[k], Rules: m.rules(k), Customers: n})
		}
		return nil
	})
	return out, err
}

type poolsOutput struct {
	Items []PoolInfo `json:"items"`
}

func (a API) poolsRoutes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/pools", ID: "listPools", Summary: "The public pools the user sees (the default one and their department's), with their rules and sizes", Tag: "customers", Perm: perm("read")},
		func(c *fiber.Ctx, _ *struct{}) (*poolsOutput, error) {
			items, err := a.S.Pools(c.UserContext())
			return &poolsOutput{Items: items}, err
		})
}
