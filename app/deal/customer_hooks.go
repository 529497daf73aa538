package deal

import (
	"context"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/datatypes"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/opportunity"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// Summaries gives customer classification and the ABC analysis their transaction figures
// (it is a customer.TxSummaries): the orders of the last 365 days that were not cancelled —
// their number and their amount in the base currency at each order day's rate (orders in a
// currency without a rate for their day are left out of the amount) — and the day of the
// latest order ever.
func (s *Service) Summaries(ctx context.Context, tx *gorm.DB, ids []uuid.UUID) (map[uuid.UUID]customer.TxSummary, error) {
	out := map[uuid.UUID]customer.TxSummary{}
	if len(ids) == 0 {
		return out, nil
	}
	conv, err := money.LoadConverter(ctx, tx)
	if err != nil {
		return nil, err
	}
	since := datatypes.Date(today(s.now()).AddDate(0, 0, -365))
	var rows []Order
	if err := tx.Select("customer_id", "amount", "currency", "order_date").
		Where("customer_id IN ? AND delivery_status <> ?", ids, DeliveryCancelled).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, o := range rows {
		sum := out[o.CustomerID]
		if sum.AnnualPurchase.IsZero() {
			sum.AnnualPurchase = decimal.Zero
		}
		day := time.Time(o.OrderDate)
		if sum.LastOrderAt == nil || day.After(*sum.LastOrderAt) {
			d := day
			sum.LastOrderAt = &d
		}
		if !day.Before(time.Time(since)) {
			sum.OrderCount++
			if v, err := conv.ToBase(money.New(o.Amount, o.Currency), day); err == nil {
				sum.AnnualPurchase = sum.AnnualPurchase.Add(v)
			}
		}
		out[o.CustomerID] = sum
	}
	return out, nil
}

// TimelineItems puts a customer's opportunities (creation and stage changes), contracts
// (creation and signature), orders and payments on its timeline.
func TimelineItems(ctx context.Context, tx *gorm.DB, customerID uuid.UUID, before time.Time, limit int) ([]customer.TimelineItem, error) {
	locale := tenantctx.Locale(ctx)
	var items []customer.TimelineItem
	add := func(id string, at time.Time, kind, action string, actor *uuid.UUID, entity string, entityID uuid.UUID, summary string) {
		items = append(items, customer.TimelineItem{ID: id, At: at.UTC(), Kind: kind, Action: action, ActorID: actor,
			Summary: summary, Changes: map[string][2]any{}, Entity: entity, EntityID: entityID.String()})
	}

	var opps []opportunity.Opportunity
	if err := tx.Select("tenant_id", "id", "name", "amount", "currency").Where("customer_id = ?", customerID).Find(&opps).Error; err != nil {
		return nil, err
	}
	if len(opps) > 0 {
		byID := map[uuid.UUID]opportunity.Opportunity{}
		ids := make([]uuid.UUID, len(opps))
		for i, o := range opps {
			byID[o.ID], ids[i] = o, o.ID
		}
		var hist []opportunity.StageChange
		if err := tx.Where("opportunity_id IN ? AND at <= ?", ids, before).Order("at DESC").Order("id DESC").Limit(limit).Find(&hist).Error; err != nil {
			return nil, err
		}
		for _, h := range hist {
			o := byID[h.OpportunityID]
			to := problem.Message(locale, "opportunity.stage."+h.ToStage)
			if h.FromStage == "" {
				add(h.ID.String(), h.At, "opportunity", "create", h.ActorID, "opportunity", o.ID,
					problem.Message(locale, "timeline.opportunity.create", o.Name, money.New(o.Amount, o.Currency).String(), to))
				continue
			}
			add(h.ID.String(), h.At, "opportunity", "stage_changed", h.ActorID, "opportunity", o.ID,
				problem.Message(locale, "timeline.opportunity.stage", o.Name, problem.Message(locale, "opportunity.stage."+h.FromStage), to))
		}
	}

	var contracts []Contract
	if err := tx.Where("customer_id = ? AND created_at <= ?", customerID, before).Order("created_at DESC").Limit(limit).Find(&contracts).Error; err != nil {
		return nil, err
	}
	for _, c := range contracts {
		owner := c.OwnerID
		add(c.ID.String()+":create", c.CreatedAt, "contract", "create", &owner, "contract", c.ID,
			problem.Message(locale, "timeline.contract.create", c.Number, c.money().String()))
	}
	contracts = nil
	if err := tx.Where("customer_id = ? AND signed_at <= ?", customerID, before).Order("signed_at DESC").Limit(limit).Find(&contracts).Error; err != nil {
		return nil, err
	}
	for _, c := range contracts {
		add(c.ID.String()+":sign", *c.SignedAt, "contract", "sign", nil, "contract", c.ID,
			problem.Message(locale, "timeline.contract.sign", c.Number, c.money().String()))
	}

	var orders []Order
	if err := tx.Where("customer_id = ? AND created_at <= ?", customerID, before).Order("created_at DESC").Limit(limit).Find(&orders).Error; err != nil {
		return nil, err
	}
	for _, o := range orders {
		owner := o.OwnerID
		add(o.ID.String(), o.CreatedAt, "order", "create", &owner, "order", o.ID,
			problem.Message(locale, "timeline.order.create", o.Number, money.New(o.Amount, o.Currency).String()))
	}

	var pays []Payment
	if err := tx.Where("customer_id = ? AND created_at <= ?", customerID, before).Order("created_at DESC").Limit(limit).Find(&pays).Error; err != nil {
		return nil, err
	}
	for _, p := range pays {
		add(p.ID.String(), p.CreatedAt, "payment", "create", nil, "payment", p.ID,
			problem.Message(locale, "timeline.payment.create", money.New(p.Amount, p.Currency).String(), time.Time(p.ReceivedOn).Format(time.DateOnly)))
	}

	sort.Slice(items, func(i, j int) bool {
		if !items[i].At.Equal(items[j].At) {
			return items[i].At.After(items[j].At)
		}
		return items[i].ID > items[j].ID
	})
	if len(items) > limit {
		items = items[:limit]
	}
	return items, nil
}
