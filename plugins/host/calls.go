package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/plugins/sdk"
	"github.com/smecrm/crm/policies"
)

// scopedHost is the host API of one call: the tenant, plugin and user come from the scope
// the host bound to the call token, never from the plugin's arguments.
type scopedHost struct {
	h *Host
	s *scope
}

// Limits of the record store.
const (
	maxRecordBytes = 256 << 10
	maxIndexValue  = 200
	maxQueryLimit  = 500
)

var recordIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$`)

func (sh *scopedHost) ctx(ctx context.Context) context.Context {
	ctx = tenantctx.WithTenant(ctx, sh.s.tenant)
	if sh.s.info.ID == sh.s.tenant {
		ctx = tenantctx.WithInfo(ctx, sh.s.info)
	}
	return tenantctx.WithActor(ctx, tenantctx.Actor{UserID: sh.s.user, DepartmentID: sh.s.dept, Via: "plugin:" + sh.s.plugin.inst.ID})
}

// visibleCustomers narrows q (on customers) to what the acting user may see: their data scope
// (policies.ScopeFilter), plus the public pool, which everyone sees. A call made on nobody's
// behalf — an event delivered in the background — has no user and keeps the tenant's scope,
// as the host's own jobs do. Named pools, which only some departments see, are left out.
func (sh *scopedHost) visibleCustomers(ctx context.Context, tx *gorm.DB, q *gorm.DB) (*gorm.DB, error) {
	if sh.s.user == uuid.Nil || sh.h.opt.Authz == nil {
		return q, nil
	}
	f, err := sh.h.opt.Authz.ScopeFilter(ctx, tx)
	if err != nil {
		return nil, err
	}
	if f.Scope == policies.ScopeAll {
		return q, nil
	}
	scoped := f.Apply(tx.Session(&gorm.Session{NewDB: true}).Where("in_pool = ?", false), "owner_id", "department_id")
	pool := tx.Session(&gorm.Session{NewDB: true}).Where("in_pool = ? AND (pool_key = '' OR pool_key IS NULL)", true)
	return q.Where(tx.Session(&gorm.Session{NewDB: true}).Where(scoped).Or(pool)), nil
}

func (sh *scopedHost) pluginID() string { return sh.s.plugin.inst.ID }

// followUpRecords is the host-defined record type every plugin has: follow-up tasks kept in
// its own store when the CRM's follow-up service is not wired (see CreateFollowUpTask).
var followUpRecords = sdk.RecordType{Name: followUpType, Indexed: []string{"customer_id", "status"}}

func (sh *scopedHost) recordType(name string) (sdk.RecordType, error) {
	if name == followUpType {
		return followUpRecords, nil
	}
	for _, rt := range sh.s.plugin.manifest.RecordTypes {
		if rt.Name == name {
			return rt, nil
		}
	}
	return sdk.RecordType{}, fmt.Errorf("%w: record type %q is not declared", sdk.ErrInvalid, name)
}

func toRecord(r recordRow) sdk.Record {
	return sdk.Record{Type: r.Type, ID: r.ID, Data: json.RawMessage(r.Data), Version: r.Version, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// indexValues extracts the indexed fields of data: scalars, and each scalar of an array.
func indexValues(rt sdk.RecordType, m map[string]any) map[string][]string {
	out := map[string][]string{}
	for _, f := range rt.Indexed {
		var vals []any
		switch v := m[f].(type) {
		case []any:
			vals = v
		default:
			vals = []any{v}
		}
		seen := map[string]bool{}
		for _, v := range vals {
			s, ok := sdk.IndexValue(v)
			if !ok {
				continue
			}
			if len(s) > maxIndexValue {
				s = s[:maxIndexValue]
			}
			if !seen[s] {
				seen[s] = true
				out[f] = append(out[f], s)
			}
		}
	}
	return out
}

func (sh *scopedHost) PutRecord(ctx context.Context, r sdk.Record, expected int64) (sdk.Record, error) {
	rt, err := sh.recordType(r.Type)
	if err != nil {
		return sdk.Record{}, err
	}
	if len(r.Data) > maxRecordBytes {
		return sdk.Record{}, fmt.Errorf("%w: record larger than %d bytes", sdk.ErrInvalid, maxRecordBytes)
	}
	var m map[string]any
	if err := json.Unmarshal(r.Data, &m); err != nil || m == nil {
		return sdk.Record{}, fmt.Errorf("%w: record data must be a JSON object", sdk.ErrInvalid)
	}
	if r.ID == "" {
		r.ID = uuid.Must(uuid.NewV7()).String()
	} else if !recordIDRE.MatchString(r.ID) {
		return sdk.Record{}, fmt.Errorf("%w: record ID %q", sdk.ErrInvalid, r.ID)
	}
	ctx = sh.ctx(ctx)
	pid := sh.pluginID()
	var out recordRow
	err = sh.h.db.Tx(ctx, func(tx *gorm.DB) error {
		var cur recordRow
		err := tx.Where("plugin_id = ? AND type = ? AND id = ?", pid, r.Type, r.ID).Take(&cur).Error
		exists := err == nil
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if expected > 0 && (!exists || cur.Version != expected) {
			return sdk.ErrConflict
		}
		now := time.Now().UTC()
		if exists {
			res := tx.Model(&recordRow{}).Where("plugin_id = ? AND type = ? AND id = ? AND version = ?", pid, r.Type, r.ID, cur.Version).
				Updates(map[string]any{"data": datatypes.JSON(r.Data), "version": cur.Version + 1, "updated_at": now})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected != 1 {
				return sdk.ErrConflict
			}
			if err := tx.Where("plugin_id = ? AND type = ? AND record_id = ?", pid, r.Type, r.ID).Delete(&indexRow{}).Error; err != nil {
				return err
			}
			out = recordRow{PluginID: pid, Type: r.Type, ID: r.ID, Data: datatypes.JSON(r.Data), Version: cur.Version + 1, CreatedAt: cur.CreatedAt, UpdatedAt: now}
		} else {
			out = recordRow{PluginID: pid, Type: r.Type, ID: r.ID, Data: datatypes.JSON(r.Data), Version: 1, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(&out).Error; err != nil {
				return err
			}
		}
		var idx []indexRow
		for f, vals := range indexValues(rt, m) {
			for _, v := range vals {
				idx = append(idx, indexRow{PluginID: pid, Type: r.Type, Field: f, Value: v, RecordID: r.ID})
			}
		}
		if len(idx) > 0 {
			return tx.Create(&idx).Error
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, sdk.ErrConflict) {
			return sdk.Record{}, sdk.ErrConflict
		}
		return sdk.Record{}, err
	}
	return toRecord(out), nil
}

func (sh *scopedHost) GetRecord(ctx context.Context, typ, id string) (sdk.Record, error) {
	var row recordRow
	err := sh.h.db.Read(sh.ctx(ctx), func(tx *gorm.DB) error {
		return tx.Where("plugin_id = ? AND type = ? AND id = ?", sh.pluginID(), typ, id).Take(&row).Error
	})
	if err != nil {
		if notFound(err) {
			return sdk.Record{}, sdk.ErrNotFound
		}
		return sdk.Record{}, err
	}
	return toRecord(row), nil
}

func notFound(err error) bool {
	return errors.Is(err, gorm.ErrRecordNotFound) || problem.Is(err, problem.NotFound)
}

func (sh *scopedHost) QueryRecords(ctx context.Context, q sdk.Query) ([]sdk.Record, string, error) {
	rt, err := sh.recordType(q.Type)
	if err != nil {
		return nil, "", err
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, maxQueryLimit)
	for _, c := range q.Where {
		ok := false
		for _, f := range rt.Indexed {
			ok = ok || f == c.Field
		}
		if !ok {
			return nil, "", fmt.Errorf("%w: field %q of %q is not indexed", sdk.ErrInvalid, c.Field, q.Type)
		}
		if c.Op != "" && c.Op != "eq" && c.Op != "prefix" {
			return nil, "", fmt.Errorf("%w: operator %q", sdk.ErrInvalid, c.Op)
		}
	}
	var rows []recordRow
	err = sh.h.db.Read(sh.ctx(ctx), func(tx *gorm.DB) error {
		qq := tx.Where("plugin_id = ? AND type = ?", sh.pluginID(), q.Type)
		if q.After != "" {
			qq = qq.Where("id > ?", q.After)
		}
		const sub = "EXISTS (SELECT 1 FROM plugin_record_index i WHERE i.tenant_id = plugin_records.tenant_id AND i.plugin_id = plugin_records.plugin_id AND i.type = plugin_records.type AND i.record_id = plugin_records.id AND i.field = ? AND "
		for _, c := range q.Where {
			v := c.Value
			if len(v) > maxIndexValue {
				v = v[:maxIndexValue]
			}
			if c.Op == "prefix" {
				qq = qq.Where(sub+`i.value LIKE ? ESCAPE '\')`, c.Field, likeEscape(v)+"%")
			} else {
				qq = qq.Where(sub+"i.value = ?)", c.Field, v)
			}
		}
		return qq.Order("id").Limit(limit + 1).Find(&rows).Error
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	out := make([]sdk.Record, len(rows))
	for i, r := range rows {
		out[i] = toRecord(r)
	}
	return out, next, nil
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func (sh *scopedHost) DeleteRecord(ctx context.Context, typ, id string) error {
	return sh.h.db.Tx(sh.ctx(ctx), func(tx *gorm.DB) error {
		if err := tx.Where("plugin_id = ? AND type = ? AND record_id = ?", sh.pluginID(), typ, id).Delete(&indexRow{}).Error; err != nil {
			return err
		}
		return tx.Where("plugin_id = ? AND type = ? AND id = ?", sh.pluginID(), typ, id).Delete(&recordRow{}).Error
	})
}

// CustomerView converts a stored customer to what plugins see (no sensitive fields).
func CustomerView(c *customer.Customer) sdk.Customer {
	out := sdk.Customer{ID: c.ID.String(), Type: c.Type, Name: c.Name, Industry: c.Industry, Region: c.Region, Source: c.Source,
		Stage: c.Stage, Tier: c.Tier, Tags: c.Tags.Data(), CustomFields: c.CustomFields.Data(), CreatedAt: c.CreatedAt}
	if c.IntentClass != nil {
		out.IntentClass = *c.IntentClass
	}
	if c.ValueClass != nil {
		out.ValueClass = *c.ValueClass
	}
	if c.Employees != nil {
		out.Employees = int64(*c.Employees)
	}
	if c.AnnualRevenue.Valid {
		out.AnnualRevenue = c.AnnualRevenue.Decimal.String()
	}
	if c.OwnerID != nil {
		out.OwnerID = c.OwnerID.String()
	}
	return out
}

func (sh *scopedHost) GetCustomer(ctx context.Context, id string) (sdk.Customer, error) {
	cid, err := uuid.Parse(id)
	if err != nil {
		return sdk.Customer{}, sdk.ErrNotFound
	}
	var c customer.Customer
	ctx = sh.ctx(ctx)
	err = sh.h.db.Read(ctx, func(tx *gorm.DB) error {
		q, err := sh.visibleCustomers(ctx, tx, tx.Where("id = ? AND deleted_at IS NULL", cid))
		if err != nil {
			return err
		}
		return q.Take(&c).Error
	})
	if err != nil {
		if notFound(err) {
			return sdk.Customer{}, sdk.ErrNotFound
		}
		return sdk.Customer{}, err
	}
	return CustomerView(&c), nil
}

func (sh *scopedHost) FindCustomers(ctx context.Context, ids []string, name string, limit int) ([]sdk.Customer, error) {
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	var uids []uuid.UUID
	for _, s := range ids {
		if id, err := uuid.Parse(s); err == nil {
			uids = append(uids, id)
		}
	}
	if len(uids) > 200 {
		return nil, fmt.Errorf("%w: at most 200 IDs", sdk.ErrInvalid)
	}
	if len(uids) == 0 && strings.TrimSpace(name) == "" {
		return []sdk.Customer{}, nil
	}
	var cs []customer.Customer
	ctx = sh.ctx(ctx)
	err := sh.h.db.Read(ctx, func(tx *gorm.DB) error {
		q, err := sh.visibleCustomers(ctx, tx, tx.Where("deleted_at IS NULL"))
		if err != nil {
			return err
		}
		if len(uids) > 0 {
			q = q.Where("id IN ?", uids)
		}
		if n := strings.TrimSpace(name); n != "" {
			q = q.Where("name LIKE ? ESCAPE '\\'", "%"+likeEscape(n)+"%")
		}
		return q.Order("id").Limit(limit).Find(&cs).Error
	})
	if err != nil {
		return nil, err
	}
	out := make([]sdk.Customer, len(cs))
	for i := range cs {
		out[i] = CustomerView(&cs[i])
	}
	return out, nil
}

func (sh *scopedHost) CreateFollowUpTask(ctx context.Context, t sdk.FollowUpTask) (sdk.FollowUpTaskResult, error) {
	cust, err := sh.GetCustomer(ctx, t.CustomerID)
	if err != nil {
		return sdk.FollowUpTaskResult{}, err
	}
	title := strings.TrimSpace(t.Title)
	if title == "" || len(title) > 200 || len(t.Note) > 4000 {
		return sdk.FollowUpTaskResult{}, fmt.Errorf("%w: a task needs a title (at most 200 bytes) and a note of at most 4000", sdk.ErrInvalid)
	}
	key := t.Key
	if key == "" {
		key = uuid.Must(uuid.NewV7()).String()
	}
	if !recordIDRE.MatchString(key) {
		return sdk.FollowUpTaskResult{}, fmt.Errorf("%w: task key %q", sdk.ErrInvalid, key)
	}
	if f := sh.h.opt.FollowUps; f != nil {
		var assignee *uuid.UUID
		if id, err := uuid.Parse(t.AssigneeID); err == nil {
			assignee = &id
		} else if id, err := uuid.Parse(cust.OwnerID); err == nil {
			assignee = &id
		}
		cid, _ := uuid.Parse(cust.ID)
		id, err := f(sh.ctx(ctx), cid, title, t.Note, t.DueAt, assignee, sh.pluginID()+":"+key)
		if err != nil {
			return sdk.FollowUpTaskResult{}, err
		}
		return sdk.FollowUpTaskResult{ID: id.String(), StoredIn: "followup"}, nil
	}
	// Without the follow-up service the task is kept in the plugin's own record store.
	data, _ := json.Marshal(map[string]any{"customer_id": cust.ID, "owner_id": cust.OwnerID, "title": title, "note": t.Note,
		"due_at": t.DueAt, "assignee_id": t.AssigneeID, "status": "open"})
	existing, err := sh.GetRecord(ctx, followUpType, key)
	if err == nil {
		return sdk.FollowUpTaskResult{ID: existing.ID, StoredIn: "plugin_record"}, nil
	}
	rec, err := sh.PutRecord(ctx, sdk.Record{Type: followUpType, ID: key, Data: data}, 0)
	if err != nil {
		return sdk.FollowUpTaskResult{}, err
	}
	return sdk.FollowUpTaskResult{ID: rec.ID, StoredIn: "plugin_record"}, nil
}

// followUpType is the record type of follow-up tasks kept in a plugin's record store.
const followUpType = "followup_task"

func (sh *scopedHost) Log(ctx context.Context, level, msg string, fields map[string]string) error {
	args := []any{"plugin", sh.pluginID(), "tenant_id", sh.s.tenant.String()}
	n := 0
	for k, v := range fields {
		if n++; n > 20 {
			break
		}
		args = append(args, "f_"+k, v)
	}
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	switch level {
	case "debug":
		sh.h.log.DebugContext(ctx, msg, args...)
	case "warn":
		sh.h.log.WarnContext(ctx, msg, args...)
	case "error":
		sh.h.log.ErrorContext(ctx, msg, args...)
	default:
		sh.h.log.InfoContext(ctx, msg, args...)
	}
	return nil
}
