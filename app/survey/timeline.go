package survey

import (
	"context"
	"sort"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// TimelineItems puts a customer's surveys on its timeline (kind "survey"): a survey sent by
// mail when it was sent, and every survey when it was answered, with its score and whether it
// carried a complaint.
func TimelineItems(ctx context.Context, tx *gorm.DB, customerID uuid.UUID, before time.Time, limit int) ([]customer.TimelineItem, error) {
	var sent, answered []Survey
	if err := tx.Where("customer_id = ? AND channel = ? AND created_at <= ?", customerID, ChannelEmail, before).
		Order("created_at DESC").Order("id DESC").Limit(limit).Find(&sent).Error; err != nil {
		return nil, err
	}
	if err := tx.Where("customer_id = ? AND answered_at <= ?", customerID, before).
		Order("answered_at DESC").Order("id DESC").Limit(limit).Find(&answered).Error; err != nil {
		return nil, err
	}
	locale := tenantctx.Locale(ctx)
	out := make([]customer.TimelineItem, 0, len(sent)+len(answered))
	for _, sv := range sent {
		out = append(out, customer.TimelineItem{ID: sv.ID.String() + ":sent", At: sv.CreatedAt.UTC(), Kind: "survey", Action: "sent",
			Summary: problem.Message(locale, "timeline.survey.sent", sv.WorkOrderNumber), Changes: map[string][2]any{},
			Entity: "survey", EntityID: sv.ID.String()})
	}
	for _, sv := range answered {
		key := "timeline.survey.received"
		if sv.Flagged {
			key = "timeline.survey.received_complaint"
		}
		sc := ""
		if p := score(sv.ratings()); p != nil {
			sc = *p
		}
		ch := map[string][2]any{"status": {StatusPending, StatusAnswered}}
		out = append(out, customer.TimelineItem{ID: sv.ID.String() + ":received", At: sv.AnsweredAt.UTC(), Kind: "survey", Action: "received",
			ActorID: sv.RecordedBy, Summary: problem.Message(locale, key, sv.WorkOrderNumber, sc), Changes: ch,
			Entity: "survey", EntityID: sv.ID.String()})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].At.Equal(out[j].At) {
			return out[i].At.After(out[j].At)
		}
		return out[i].ID > out[j].ID
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// MoveCustomerRecords is the customer.MergeHook of surveys: a merged customer's surveys move
// to the customer it merged into.
func MoveCustomerRecords(_ context.Context, tx *gorm.DB, from, into uuid.UUID) error {
	return tx.Model(&Survey{}).Where("customer_id = ?", from).UpdateColumn("customer_id", into).Error
}
