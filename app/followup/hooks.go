package followup

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// summaryRunes bounds the follow-up content quoted in a timeline line.
const summaryRunes = 80

// TimelineItems puts a customer's follow-ups on its timeline (kind "follow_up").
func TimelineItems(ctx context.Context, tx *gorm.DB, customerID uuid.UUID, before time.Time, limit int) ([]customer.TimelineItem, error) {
	var rows []FollowUp
	if err := tx.Where("customer_id = ? AND occurred_at <= ?", customerID, before).
		Order("occurred_at DESC").Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, err
	}
	locale := tenantctx.Locale(ctx)
	out := make([]customer.TimelineItem, 0, len(rows))
	for _, f := range rows {
		owner := f.OwnerID
		content := f.Content
		if utf8.RuneCountInString(content) > summaryRunes {
			content = string([]rune(content)[:summaryRunes]) + "…"
		}
		ch := map[string][2]any{"method": {nil, f.Method}}
		if f.Outcome != "" {
			ch["outcome"] = [2]any{nil, f.Outcome}
		}
		if f.IntentClass != nil {
			ch["intent_class"] = [2]any{nil, *f.IntentClass}
		}
		if f.NextFollowUpAt != nil {
			ch["next_follow_up_at"] = [2]any{nil, f.NextFollowUpAt.UTC()}
		}
		out = append(out, customer.TimelineItem{ID: f.ID.String(), At: f.OccurredAt.UTC(), Kind: "follow_up", Action: "create",
			ActorID: &owner, Summary: problem.Message(locale, "timeline.follow_up", problem.Message(locale, "followup.method."+f.Method), content),
			Changes: ch, Entity: "followup", EntityID: f.ID.String()})
	}
	return out, nil
}

// MoveFollowUps keeps a merged customer's follow-ups with the customer it merged into.
func MoveFollowUps(_ context.Context, tx *gorm.DB, from, into uuid.UUID) error {
	return tx.Model(&FollowUp{}).Where("customer_id = ?", from).Update("customer_id", into).Error
}
