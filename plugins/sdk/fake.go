package sdk

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// FakeHost is an in-memory host for unit tests of a plugin, without a CRM: records per
// tenant, customers per tenant, follow-up tasks and log lines, all inspectable. Bind a Call
// to a tenant with Call.
type FakeHost struct {
	// Manifest, when set, restricts queries to the indexed fields it declares, as the CRM
	// does.
	Manifest *Manifest

	mu        sync.Mutex
	records   map[string]map[string]Record // tenant -> type/id -> record
	customers map[string]map[string]Customer
	Tasks     []FakeTask
	Logs      []string
}

// FakeTask is a follow-up task created through a FakeHost.
type FakeTask struct {
	TenantID string
	ID       string
	FollowUpTask
}

// NewFakeHost returns an empty FakeHost.
func NewFakeHost() *FakeHost {
	return &FakeHost{records: map[string]map[string]Record{}, customers: map[string]map[string]Customer{}}
}

// AddCustomer stores a customer of tenant (an ID is made when empty) and returns it.
func (f *FakeHost) AddCustomer(tenant string, c Customer) Customer {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.ID == "" {
		c.ID = newID()
	}
	if f.customers[tenant] == nil {
		f.customers[tenant] = map[string]Customer{}
	}
	f.customers[tenant][c.ID] = c
	return c
}

// Call returns a Call for tenant with the given configuration (nil: "{}") and roles.
func (f *FakeHost) Call(tenant string, config any, roles ...string) *Call {
	raw := []byte("{}")
	if config != nil {
		raw, _ = json.Marshal(config)
	}
	return &Call{TenantID: tenant, UserID: "user-" + tenant, Roles: roles, Locale: "en", Config: raw, Host: f.For(tenant)}
}

// For returns the Host of one tenant.
func (f *FakeHost) For(tenant string) Host { return &fakeTenantHost{f: f, tenant: tenant} }

// Records returns all records of a tenant, sorted by type and ID.
func (f *FakeHost) Records(tenant string) []Record {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Record
	for _, r := range f.records[tenant] {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Type+out[i].ID < out[j].Type+out[j].ID })
	return out
}

type fakeTenantHost struct {
	f      *FakeHost
	tenant string
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	// time-ordered prefix so that IDs sort by creation, like the CRM's UUIDv7
	return fmt.Sprintf("%016x-%s", time.Now().UnixNano(), hex.EncodeToString(b[:4]))
}

func (h *fakeTenantHost) declared(typ string) error {
	if h.f.Manifest == nil {
		return nil
	}
	for _, rt := range h.f.Manifest.RecordTypes {
		if rt.Name == typ {
			return nil
		}
	}
	return fmt.Errorf("%w: record type %q is not declared", ErrInvalid, typ)
}

func (h *fakeTenantHost) indexed(typ, field string) error {
	m := h.f.Manifest
	if m == nil {
		return nil
	}
	for _, rt := range m.RecordTypes {
		if rt.Name == typ {
			for _, x := range rt.Indexed {
				if x == field {
					return nil
				}
			}
			return fmt.Errorf("%w: field %q of %q is not indexed", ErrInvalid, field, typ)
		}
	}
	return fmt.Errorf("%w: record type %q is not declared", ErrInvalid, typ)
}

func (h *fakeTenantHost) PutRecord(_ context.Context, r Record, expected int64) (Record, error) {
	if r.Type == "" || !json.Valid(r.Data) || !strings.HasPrefix(strings.TrimSpace(string(r.Data)), "{") {
		return Record{}, fmt.Errorf("%w: a record needs a type and a JSON object", ErrInvalid)
	}
	if err := h.declared(r.Type); err != nil {
		return Record{}, err
	}
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	if h.f.records[h.tenant] == nil {
		h.f.records[h.tenant] = map[string]Record{}
	}
	if r.ID == "" {
		r.ID = newID()
	}
	key := r.Type + "/" + r.ID
	cur, exists := h.f.records[h.tenant][key]
	if expected > 0 && (!exists || cur.Version != expected) {
		return Record{}, ErrConflict
	}
	now := time.Now().UTC()
	r.Version, r.CreatedAt, r.UpdatedAt = 1, now, now
	if exists {
		r.Version, r.CreatedAt = cur.Version+1, cur.CreatedAt
	}
	h.f.records[h.tenant][key] = r
	return r, nil
}

func (h *fakeTenantHost) GetRecord(_ context.Context, typ, id string) (Record, error) {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	r, ok := h.f.records[h.tenant][typ+"/"+id]
	if !ok {
		return Record{}, ErrNotFound
	}
	return r, nil
}

func (h *fakeTenantHost) QueryRecords(_ context.Context, q Query) ([]Record, string, error) {
	for _, c := range q.Where {
		if err := h.indexed(q.Type, c.Field); err != nil {
			return nil, "", err
		}
	}
	limit := q.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	h.f.mu.Lock()
	var all []Record
	for _, r := range h.f.records[h.tenant] {
		if r.Type == q.Type && r.ID > q.After && matches(r, q.Where) {
			all = append(all, r)
		}
	}
	h.f.mu.Unlock()
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	next := ""
	if len(all) > limit {
		all = all[:limit]
		next = all[limit-1].ID
	}
	return all, next, nil
}

// IndexValue renders a top-level JSON value the way the CRM indexes it: strings as they are,
// numbers and booleans in their JSON form; objects, arrays and null are not indexed.
func IndexValue(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64, bool, json.Number:
		b, _ := json.Marshal(x)
		return string(b), true
	}
	return "", false
}

func matches(r Record, where []Condition) bool {
	var m map[string]any
	if err := json.Unmarshal(r.Data, &m); err != nil {
		return false
	}
	for _, c := range where {
		v, ok := IndexValue(m[c.Field])
		if !ok {
			return false
		}
		if c.Op == "prefix" {
			if !strings.HasPrefix(v, c.Value) {
				return false
			}
		} else if v != c.Value {
			return false
		}
	}
	return true
}

func (h *fakeTenantHost) DeleteRecord(_ context.Context, typ, id string) error {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	delete(h.f.records[h.tenant], typ+"/"+id)
	return nil
}

func (h *fakeTenantHost) GetCustomer(_ context.Context, id string) (Customer, error) {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	c, ok := h.f.customers[h.tenant][id]
	if !ok {
		return Customer{}, ErrNotFound
	}
	return c, nil
}

func (h *fakeTenantHost) FindCustomers(_ context.Context, ids []string, name string, limit int) ([]Customer, error) {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	var out []Customer
	for _, id := range ids {
		if c, ok := h.f.customers[h.tenant][id]; ok {
			out = append(out, c)
		}
	}
	if name != "" {
		for _, c := range h.f.customers[h.tenant] {
			if strings.Contains(c.Name, name) {
				out = append(out, c)
			}
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (h *fakeTenantHost) CreateFollowUpTask(_ context.Context, t FollowUpTask) (FollowUpTaskResult, error) {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	if _, ok := h.f.customers[h.tenant][t.CustomerID]; !ok {
		return FollowUpTaskResult{}, fmt.Errorf("%w: customer %s", ErrNotFound, t.CustomerID)
	}
	for _, x := range h.f.Tasks {
		if t.Key != "" && x.TenantID == h.tenant && x.Key == t.Key {
			return FollowUpTaskResult{ID: x.ID, StoredIn: "followup"}, nil
		}
	}
	id := newID()
	h.f.Tasks = append(h.f.Tasks, FakeTask{TenantID: h.tenant, ID: id, FollowUpTask: t})
	return FollowUpTaskResult{ID: id, StoredIn: "followup"}, nil
}

func (h *fakeTenantHost) Log(_ context.Context, level, msg string, fields map[string]string) error {
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	h.f.Logs = append(h.f.Logs, fmt.Sprintf("%s %s %s %v", h.tenant, level, msg, fields))
	return nil
}
