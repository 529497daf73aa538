package incident

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// TimelineItems puts the incidents that affect a customer on its timeline (kind "incident"):
// each entry of their timelines — the declaration, status moves, changes and notes.
func TimelineItems(ctx context.Context, tx *gorm.DB, customerID uuid.UUID, before time.Time, limit int) ([]customer.TimelineItem, error) {
	var ids []uuid.UUID
	if err := tx.Model(&Affected{}).Where("customer_id = ?", customerID).Limit(10000).Pluck("incident_id", &ids).Error; err != nil {
		return nil, err
	}
	out := []customer.TimelineItem{}
	if len(ids) == 0 {
		return out, nil
	}
	var us []Update
	if err := tx.Where("incident_id IN ? AND at <= ?", ids, before).Order("at DESC").Order("id DESC").Limit(limit).Find(&us).Error; err != nil {
		return nil, err
	}
	var incs []Incident
	if err := tx.Select("tenant_id", "id", "title", "level").Where("id IN ?", ids).Find(&incs).Error; err != nil {
		return nil, err
	}
	byID := make(map[uuid.UUID]Incident, len(incs))
	for _, inc := range incs {
		byID[inc.ID] = inc
	}
	locale := tenantctx.Locale(ctx)
	for _, u := range us {
		inc := byID[u.IncidentID]
		ch := map[string][2]any{}
		if u.FromStatus != u.ToStatus {
			var from any
			if u.FromStatus != "" {
				from = u.FromStatus
			}
			ch["status"] = [2]any{from, u.ToStatus}
		}
		if u.Note != "" {
			ch["note"] = [2]any{nil, u.Note}
		}
		summary := problem.Message(locale, "timeline.incident."+u.Action, inc.Title, inc.Level,
			problem.Message(locale, "incident.status."+u.ToStatus))
		out = append(out, customer.TimelineItem{ID: u.ID.String(), At: u.At.UTC(), Kind: "incident", Action: u.Action,
			ActorID: u.ActorID, Summary: summary, Changes: ch, Entity: "incident", EntityID: u.IncidentID.String()})
	}
	return out, nil
}

// MoveCustomerRecords is the customer.MergeHook of incidents: the incidents that affected a
// merged customer affect the customer it merged into (once, where both were affected).
func MoveCustomerRecords(_ context.Context, tx *gorm.DB, from, into uuid.UUID) error {
	var both []uuid.UUID
	if err := tx.Model(&Affected{}).Where("customer_id = ? AND incident_id IN (?)", from,
		tx.Model(&Affected{}).Select("incident_id").Where("customer_id = ?", into)).Pluck("incident_id", &both).Error; err != nil {
		return err
	}
	if len(both) > 0 {
		if err := tx.Where("customer_id = ? AND incident_id IN ?", from, both).Delete(&Affected{}).Error; err != nil {
			return err
		}
		if err := tx.Model(&Incident{}).Where("id IN ?", both).UpdateColumn("affected_count", gorm.Expr("affected_count - 1")).Error; err != nil {
			return err
		}
	}
	return tx.Model(&Affected{}).Where("customer_id = ?", from).UpdateColumn("customer_id", into).Error
}
