package survey

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/listing"
	"github.com/smecrm/crm/app/salesreport"
)

// Filter are the list parameters of GET /surveys.
type Filter struct {
	api.ListParams
	TechnicianID string `query:"technician_id" json:"-" validate:"omitempty,uuid"`
	WorkOrderID  string `query:"work_order_id" json:"-" validate:"omitempty,uuid"`
	CustomerID   string `query:"customer_id" json:"-" validate:"omitempty,uuid"`
	Status       string `query:"status" json:"-" validate:"omitempty,oneof=pending answered"`
	Channel      string `query:"channel" json:"-" validate:"omitempty,oneof=email phone"`
	Flagged      *bool  `query:"flagged" json:"-"`
	// Period keeps the surveys answered in it (2026, 2026-03, 2026-Q1 or
	// 2026-01-01..2026-03-31, in the tenant's time zone).
	Period string `query:"period" json:"-" validate:"max=40"`
}

// List returns a page of the surveys the actor sees, oldest first.
func (s *Service) List(ctx context.Context, f Filter) (api.Page[View], error) {
	return listing.ListByID(ctx, s.DB.Read, f.ListParams, func(tx *gorm.DB) (*gorm.DB, error) {
		scope, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return nil, err
		}
		q := scoped(tx, tx.Model(&Survey{}), scope)
		q = listing.WhereEqual(q, map[string]string{"status": f.Status, "channel": f.Channel})
		q = listing.WhereIDs(q, map[string]string{"technician_id": f.TechnicianID, "work_order_id": f.WorkOrderID, "customer_id": f.CustomerID})
		if f.Flagged != nil {
			q = q.Where("flagged = ?", *f.Flagged)
		}
		if f.Period != "" {
			start, end, _, err := s.period(ctx, tx, f.Period)
			if err != nil {
				return nil, err
			}
			q = q.Where("answered_at >= ? AND answered_at < ?", start, end)
		}
		return q, nil
	}, func(sv *Survey) uuid.UUID { return sv.ID }, show)
}

// period turns a period into its start and end instants in the tenant's time zone (the end
// excluded), and the zone.
func (s *Service) period(ctx context.Context, tx *gorm.DB, p string) (start, end time.Time, loc *time.Location, err error) {
	t, err := tenantRow(ctx, tx)
	if err != nil {
		return start, end, nil, err
	}
	loc, lerr := time.LoadLocation(t.Settings.Data().TimeZone)
	if lerr != nil || t.Settings.Data().TimeZone == "" {
		loc = time.UTC
	}
	from, to, err := salesreport.ParsePeriod(p, s.now().In(loc))
	if err != nil {
		return start, end, nil, err
	}
	start = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc).UTC()
	end = time.Date(to.Year(), to.Month(), to.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, 1).UTC()
	return start, end, loc, nil
}
