package lead

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

// MatchRule returns the index of the first rule matching a lead's region and industry (an
// empty rule field matches anything), or -1.
func MatchRule(rules []Rule, region, industry string) int {
	for i, r := range rules {
		if (r.Region == "" || r.Region == region) && (r.Industry == "" || r.Industry == industry) {
			return i
		}
	}
	return -1
}

// ruleKey identifies a rule's round-robin position; it follows the rule's region and industry
// rather than its place in the list, so reordering the rules keeps each one's turn.
func ruleKey(r Rule) string { return r.Region + "\x1f" + r.Industry }

// assign picks the owner for l under the tenant's rules, in tx: the matching rule's next user
// in turn, passing over inactive ones. nil when no rule matches or none of its users is
// active.
func (s *Service) assign(ctx context.Context, tx *gorm.DB, l *Lead) (*uuid.UUID, error) {
	tid, _ := tenantctx.TenantID(ctx)
	var t tenants.Tenant
	if err := tx.Select("id", "settings").Take(&t, "id = ?", tid).Error; err != nil {
		return nil, err
	}
	rules := Settings.From(t.Settings.Data()).Rules
	i := MatchRule(rules, l.Region, l.Industry)
	if i < 0 {
		return nil, nil
	}
	users := rules[i].Users
	var active []uuid.UUID
	if err := tx.Model(&userRow{}).Where("id IN ? AND status = ?", users, "active").Pluck("id", &active).Error; err != nil {
		return nil, err
	}
	if len(active) == 0 {
		return nil, nil
	}
	ok := make(map[uuid.UUID]bool, len(active))
	for _, id := range active {
		ok[id] = true
	}
	// One upsert both takes the turn and serialises concurrent assignments (row lock on
	// PostgreSQL, the write lock on SQLite). Raw SQL: it names the tenant itself.
	var turn int64
	err := tx.Raw(`INSERT INTO lead_assignment_state (tenant_id, rule_key, assigned) VALUES (?, ?, 1)
		ON CONFLICT (tenant_id, rule_key) DO UPDATE SET assigned = lead_assignment_state.assigned + 1
		RETURNING assigned`, tid, ruleKey(rules[i])).Scan(&turn).Error
	if err != nil {
		return nil, err
	}
	for k := 0; k < len(users); k++ {
		u := users[(int(turn-1)+k)%len(users)]
		if ok[u] {
			return &u, nil
		}
	}
	return nil, nil
}
