package service

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// TimelineItems puts a customer's work orders on its timeline (kind "work_order"): every step
// of their history — registration, dispatch, each state change, records, countersignature.
func TimelineItems(ctx context.Context, tx *gorm.DB, customerID uuid.UUID, before time.Time, limit int) ([]customer.TimelineItem, error) {
	var hs []History
	if err := tx.Where("customer_id = ? AND at <= ?", customerID, before).Order("at DESC").Order("id DESC").Limit(limit).Find(&hs).Error; err != nil {
		return nil, err
	}
	out := make([]customer.TimelineItem, 0, len(hs))
	if len(hs) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, 0, len(hs))
	for _, h := range hs {
		ids = append(ids, h.WorkOrderID)
	}
	var ws []WorkOrder
	if err := tx.Select("tenant_id", "id", "number").Where("id IN ?", ids).Find(&ws).Error; err != nil {
		return nil, err
	}
	numbers := make(map[uuid.UUID]string, len(ws))
	for _, w := range ws {
		numbers[w.ID] = w.Number
	}
	locale := tenantctx.Locale(ctx)
	for _, h := range hs {
		ch := map[string][2]any{}
		if h.FromStatus != h.ToStatus {
			ch["status"] = [2]any{nilIfEmpty(h.FromStatus), h.ToStatus}
		}
		if h.Reason != "" {
			ch["reason"] = [2]any{nil, h.Reason}
		}
		summary := problem.Message(locale, "timeline.work_order", numbers[h.WorkOrderID],
			problem.Message(locale, "service.action."+h.Action), problem.Message(locale, "service.status."+h.ToStatus))
		out = append(out, customer.TimelineItem{ID: h.ID.String(), At: h.At.UTC(), Kind: "work_order", Action: h.Action,
			ActorID: h.ActorID, Summary: summary, Changes: ch, Entity: "work_order", EntityID: h.WorkOrderID.String()})
	}
	return out, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// MoveCustomerRecords is the customer.MergeHook of after-sales service: a merged customer's
// work orders (and their history, for the timeline) move to the customer it merged into.
func MoveCustomerRecords(_ context.Context, tx *gorm.DB, from, into uuid.UUID) error {
	for _, model := range []any{&WorkOrder{}, &History{}} {
		if err := tx.Model(model).Where("customer_id = ?", from).UpdateColumn("customer_id", into).Error; err != nil {
			return err
		}
	}
	return nil
}
