package customer

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/fieldcrypt"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
)

// Filter are the list and export query parameters (CUS-9).
type Filter struct {
	api.ListParams
	Q             string `query:"q" json:"-" validate:"max=100"`
	Type          string `query:"type" json:"-" validate:"omitempty,oneof=enterprise individual"`
	Stage         string `query:"stage" json:"-" validate:"omitempty,oneof=potential prospect deal churned"`
	Tier          string `query:"tier" json:"-" validate:"omitempty,oneof=key general potential"`
	IntentClass   string `query:"intent_class" json:"-" validate:"omitempty,oneof=A B C"`
	ValueClass    string `query:"value_class" json:"-" validate:"omitempty,oneof=A B C"`
	OwnerID       string `query:"owner_id" json:"-" validate:"omitempty,uuid"`
	DepartmentID  string `query:"department_id" json:"-" validate:"omitempty,uuid"`
	Tag           string `query:"tag" json:"-" validate:"max=50"`
	Region        string `query:"region" json:"-" validate:"max=100"`
	Industry      string `query:"industry" json:"-" validate:"max=100"`
	Source        string `query:"source" json:"-" validate:"max=50"`
	CreatedAfter  string `query:"created_after" json:"-" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	CreatedBefore string `query:"created_before" json:"-" validate:"omitempty,datetime=2006-01-02T15:04:05Z07:00"`
	// Sort is created_at (default), -created_at, name or -name.
	Sort string `query:"sort" json:"-" validate:"omitempty,oneof=created_at -created_at name -name"`
	// Deleted lists the recycle bin instead of live customers.
	Deleted bool `query:"deleted" json:"-"`
	// pool restricts to the public pool (set by the pool endpoint, not the query) and
	// poolKeys to the pools the user may see.
	pool     bool
	poolKeys []string
}

type cursor struct {
	V  string    `json:"v,omitempty"`
	ID uuid.UUID `json:"id"`
}

func encodeCursor(c cursor) string { return api.EncodeCursor(c) }

func decodeCursor(s string) (cursor, error) { return api.DecodeCursor[cursor](s, nil) }

// List returns a page of customers the actor may see, filtered and sorted.
func (s *Service) List(ctx context.Context, f Filter) (api.Page[View], error) {
	var out api.Page[View]
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		rows, next, err := s.find(ctx, tx, f)
		if err != nil {
			return err
		}
		out.Items = make([]View, 0, len(rows))
		for i := range rows {
			v, err := view(s.Keys, &rows[i])
			if err != nil {
				return err
			}
			out.Items = append(out.Items, v)
		}
		out.NextCursor = next
		return nil
	})
	return out, err
}

// find runs the filtered, scoped, keyset-paginated query.
func (s *Service) find(ctx context.Context, tx *gorm.DB, f Filter) ([]Customer, *string, error) {
	q, err := s.query(ctx, tx, f)
	if err != nil {
		return nil, nil, err
	}
	limit := f.PageSize()
	col, desc := "id", false
	switch f.Sort {
	case "-created_at":
		desc = true
	case "name":
		col = "name"
	case "-name":
		col, desc = "name", true
	}
	op, dir := ">", "ASC"
	if desc {
		op, dir = "<", "DESC"
	}
	if f.Cursor != "" {
		c, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, nil, err
		}
		if col == "id" {
			q = q.Where("customers.id "+op+" ?", c.ID)
		} else {
			q = q.Where("(customers."+col+" "+op+" ? OR (customers."+col+" = ? AND customers.id "+op+" ?))", c.V, c.V, c.ID)
		}
	}
	if col != "id" {
		q = q.Order("customers." + col + " " + dir)
	}
	q = q.Order("customers.id " + dir).Limit(limit + 1)
	var rows []Customer
	if err := q.Find(&rows).Error; err != nil {
		return nil, nil, err
	}
	if len(rows) <= limit {
		return rows, nil, nil
	}
	rows = rows[:limit]
	last := rows[limit-1]
	c := cursor{ID: last.ID}
	if col == "name" {
		c.V = last.Name
	}
	next := encodeCursor(c)
	return rows, &next, nil
}

// query builds the WHERE clauses of a list or export.
func (s *Service) query(ctx context.Context, tx *gorm.DB, f Filter) (*gorm.DB, error) {
	if name := nulField(f); name != "" {
		return nil, problem.Field(name, "invalid", "field.invalid")
	}
	q := tx.Model(&Customer{})
	if f.Deleted {
		q = q.Where("customers.deleted_at IS NOT NULL")
	} else {
		q = q.Where("customers.deleted_at IS NULL")
	}
	if f.pool {
		q = q.Where("customers.in_pool = ? AND customers.pool_key IN ?", true, f.poolKeys)
	} else {
		scope, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return nil, err
		}
		q = scope.Apply(q.Where("customers.in_pool = ?", false), "customers.owner_id", "customers.department_id")
	}
	eq := map[string]string{"type": f.Type, "stage": f.Stage, "tier": f.Tier, "intent_class": f.IntentClass,
		"value_class": f.ValueClass, "region": f.Region, "industry": f.Industry, "source": f.Source}
	for _, col := range []string{"type", "stage", "tier", "intent_class", "value_class", "region", "industry", "source"} {
		if v := eq[col]; v != "" {
			q = q.Where("customers."+col+" = ?", v)
		}
	}
	for col, v := range map[string]string{"owner_id": f.OwnerID, "department_id": f.DepartmentID} {
		if v != "" {
			q = q.Where("customers."+col+" = ?", uuid.MustParse(v))
		}
	}
	if f.CreatedAfter != "" {
		t, _ := time.Parse(time.RFC3339, f.CreatedAfter)
		q = q.Where("customers.id >= ?", uuidAt(t))
	}
	if f.CreatedBefore != "" {
		t, _ := time.Parse(time.RFC3339, f.CreatedBefore)
		q = q.Where("customers.id < ?", uuidAt(t))
	}
	if f.Tag != "" {
		q = q.Where(store.JSONArrayContains(s.DB, "customers.tags"), f.Tag)
	}
	if term := strings.TrimSpace(f.Q); term != "" {
		q = s.search(ctx, q, term)
	}
	return q, nil
}

// uuidAt is the smallest UUIDv7 of instant t: IDs are time-ordered, so creation-time filters
// become ID ranges on the primary key.
func uuidAt(t time.Time) uuid.UUID {
	var u uuid.UUID
	ms := uint64(t.UnixMilli())
	for i := 0; i < 6; i++ {
		u[i] = byte(ms >> (40 - 8*i))
	}
	u[6] = 0x70
	u[8] = 0x80
	return u
}

// search matches an exact phone number (by its keyed hash, customers' and contacts') or a
// substring of the name: 3+ characters through the trigram index (FTS5 on SQLite, pg_trgm on
// PostgreSQL), 1–2 characters by a scan bounded to the tenant.
func (s *Service) search(ctx context.Context, q *gorm.DB, term string) *gorm.DB {
	tid, _ := tenantctx.TenantID(ctx)
	if digits := fieldcrypt.NormalizePhone(term); looksLikePhone(term) || (len(digits) >= 7 && len(digits) >= len(strings.ReplaceAll(term, " ", ""))-4) {
		h := s.Keys.PhoneHash(tid.String(), term)
		return q.Where("(customers.phone_hash = ? OR customers.id IN (SELECT customer_id FROM contacts WHERE contacts.tenant_id = ? AND contacts.phone_hash = ? AND contacts.deleted_at IS NULL))", h, tid, h)
	}
	like := "%" + escapeLike(term) + "%"
	if utf8.RuneCountInString(term) >= 3 {
		if s.DB.Dialect == store.SQLite {
			return q.Where("customers.rowid IN (SELECT rowid FROM customers_fts WHERE customers_fts MATCH ?)", `"`+strings.ReplaceAll(term, `"`, `""`)+`"`)
		}
		return q.Where("customers.name ILIKE ? ESCAPE '\\'", like)
	}
	if s.DB.Dialect == store.Postgres {
		// ILIKE, as for longer terms: SQLite's LIKE and FTS5 ignore case too.
		return q.Where("customers.name ILIKE ? ESCAPE '\\'", like)
	}
	return q.Where("customers.name LIKE ? ESCAPE '\\'", like)
}

// looksLikePhone reports whether term is written like a phone number: at least seven digits
// and nothing but digits, spaces, "+", "-", ".", and brackets ("+86 (138) 0013-8000").
func looksLikePhone(term string) bool {
	digits := 0
	for _, r := range term {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-.()", r):
		default:
			return false
		}
	}
	return digits >= 7
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
