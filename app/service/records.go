package service

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/catalog"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// PartInput is a product used on the job (from the catalogue), with its batch number where
// there is one.
type PartInput struct {
	ProductID uuid.UUID       `json:"product_id" validate:"required"`
	Quantity  decimal.Decimal `json:"quantity"`
	Batch     string          `json:"batch" validate:"max=64"`
}

// CostInput is one service cost entry.
type CostInput struct {
	Kind   string      `json:"kind" validate:"required,oneof=labour parts travel allowance accommodation other"`
	Amount money.Money `json:"amount"`
}

// RecordInput is the body of POST /work-orders/{id}/records: what the technician did on site.
// labour_hours defaults to the time between started_at and ended_at.
type RecordInput struct {
	ArrivedAt   *time.Time       `json:"arrived_at"`
	StartedAt   *time.Time       `json:"started_at"`
	EndedAt     *time.Time       `json:"ended_at"`
	LabourHours *decimal.Decimal `json:"labour_hours"`
	WorkDone    string           `json:"work_done" validate:"required,max=5000"`
	Parts       []PartInput      `json:"parts" validate:"max=100,dive"`
	Costs       []CostInput      `json:"costs" validate:"max=50,dive"`
}

// clockSkew is how far ahead of the server a phone's clock may be.
const clockSkew = 5 * time.Minute

func (in *RecordInput) check(now time.Time) error {
	if err := problem.CleanText(map[string]*string{"work_done": &in.WorkDone}); err != nil {
		return err
	}
	var errs []problem.FieldError
	if in.WorkDone == "" {
		errs = append(errs, problem.FieldError{Field: "work_done", Code: "required", Key: "field.required"})
	}
	for name, t := range map[string]*time.Time{"arrived_at": in.ArrivedAt, "started_at": in.StartedAt, "ended_at": in.EndedAt} {
		if t != nil && (t.After(now.Add(clockSkew)) || t.Year() < 2000) {
			errs = append(errs, problem.FieldError{Field: name, Code: "out_of_range", Key: "field.out_of_range"})
		}
	}
	if in.ArrivedAt != nil && in.StartedAt != nil && in.StartedAt.Before(*in.ArrivedAt) {
		errs = append(errs, problem.FieldError{Field: "started_at", Code: "invalid", Key: "service.times_order"})
	}
	if in.StartedAt != nil && in.EndedAt != nil && in.EndedAt.Before(*in.StartedAt) {
		errs = append(errs, problem.FieldError{Field: "ended_at", Code: "invalid", Key: "service.times_order"})
	}
	if in.LabourHours != nil && (in.LabourHours.IsNegative() || in.LabourHours.GreaterThan(decimal.NewFromInt(1000)) ||
		!in.LabourHours.Equal(in.LabourHours.Round(2))) {
		errs = append(errs, problem.FieldError{Field: "labour_hours", Code: "out_of_range", Key: "field.out_of_range"})
	}
	for i := range in.Parts {
		p := &in.Parts[i]
		field := fmt.Sprintf("parts[%d]", i)
		if err := problem.CleanText(map[string]*string{field + ".batch": &p.Batch}); err != nil {
			return err
		}
		if !p.Quantity.IsPositive() || p.Quantity.GreaterThanOrEqual(money.Max) || !p.Quantity.Equal(p.Quantity.Round(4)) {
			errs = append(errs, problem.FieldError{Field: field + ".quantity", Code: "out_of_range", Key: "field.out_of_range"})
		}
	}
	for i, c := range in.Costs {
		if err := money.Check(fmt.Sprintf("costs[%d].amount", i), c.Amount, false); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return problem.Fields(errs...)
	}
	return nil
}

// RecordView is a service record as the API shows it.
type RecordView struct {
	ID          uuid.UUID       `json:"id"`
	WorkOrderID uuid.UUID       `json:"work_order_id"`
	AuthorID    uuid.UUID       `json:"author_id"`
	ArrivedAt   *time.Time      `json:"arrived_at"`
	StartedAt   *time.Time      `json:"started_at"`
	EndedAt     *time.Time      `json:"ended_at"`
	LabourHours decimal.Decimal `json:"labour_hours"`
	WorkDone    string          `json:"work_done"`
	Parts       []PartView      `json:"parts"`
	Costs       []CostView      `json:"costs"`
	CreatedAt   time.Time       `json:"created_at"`
}

// PartView is a part of a record.
type PartView struct {
	ProductID uuid.UUID       `json:"product_id"`
	Quantity  decimal.Decimal `json:"quantity"`
	Batch     string          `json:"batch"`
}

// CostView is a cost entry.
type CostView struct {
	Kind   string      `json:"kind"`
	Amount money.Money `json:"amount"`
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func recordView(r *Record, parts []Part, costs []Cost) RecordView {
	v := RecordView{ID: r.ID, WorkOrderID: r.WorkOrderID, AuthorID: r.AuthorID, ArrivedAt: utc(r.ArrivedAt), StartedAt: utc(r.StartedAt),
		EndedAt: utc(r.EndedAt), LabourHours: r.LabourHours, WorkDone: r.WorkDone, Parts: []PartView{}, Costs: []CostView{}, CreatedAt: r.CreatedAt.UTC()}
	for _, p := range parts {
		v.Parts = append(v.Parts, PartView{ProductID: p.ProductID, Quantity: p.Quantity, Batch: p.Batch})
	}
	for _, c := range costs {
		v.Costs = append(v.Costs, CostView{Kind: c.Kind, Amount: money.New(c.Amount, c.Currency)})
	}
	return v
}

// recordable are the statuses in which the technician records work: from acceptance (travel
// and arrival) until the records are countersigned.
var recordable = []string{StatusAccepted, StatusInProgress, StatusOnHold, StatusCompleted}

// AddRecord adds a service record with its parts and costs; the costs go into the work
// order's service cost (travel costs of remote service among them). Only the technician (or
// the service manager) records, before the countersignature. Fails with validation_failed,
// forbidden or conflict.
func (s *Service) AddRecord(ctx context.Context, id uuid.UUID, in RecordInput) (RecordView, error) {
	now := s.now()
	if err := in.check(now); err != nil {
		return RecordView{}, err
	}
	hours := decimal.Zero
	if in.LabourHours != nil {
		hours = *in.LabourHours
	} else if in.StartedAt != nil && in.EndedAt != nil {
		hours = decimal.NewFromFloat(in.EndedAt.Sub(*in.StartedAt).Hours()).Round(2)
	}
	var out RecordView
	_, err := s.mutate(ctx, id, 0, "record", "record_added", func(tx *gorm.DB, w *WorkOrder, st *step) error {
		if err := s.mayWork(ctx, w); err != nil {
			return err
		}
		if !slices.Contains(recordable, w.Status) || w.CountersignedAt != nil {
			return problem.New(problem.Conflict, "service.records_closed")
		}
		r := Record{ID: uuid.Must(uuid.NewV7()), WorkOrderID: w.ID, AuthorID: tenantctx.ActorFrom(ctx).UserID, ArrivedAt: in.ArrivedAt,
			StartedAt: in.StartedAt, EndedAt: in.EndedAt, LabourHours: hours, WorkDone: in.WorkDone, CreatedAt: now}
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		parts := make([]Part, 0, len(in.Parts))
		for i, p := range in.Parts {
			if _, err := catalog.Load(tx, p.ProductID); problem.Is(err, problem.NotFound) {
				return problem.Field(fmt.Sprintf("parts[%d].product_id", i), "not_found", "field.not_found")
			} else if err != nil {
				return err
			}
			parts = append(parts, Part{RecordID: r.ID, Position: i + 1, ProductID: p.ProductID, Quantity: p.Quantity, Batch: p.Batch})
		}
		if len(parts) > 0 {
			if err := tx.Create(&parts).Error; err != nil {
				return err
			}
		}
		costs := make([]Cost, 0, len(in.Costs))
		for _, c := range in.Costs {
			rid := r.ID
			costs = append(costs, Cost{ID: uuid.Must(uuid.NewV7()), WorkOrderID: w.ID, RecordID: &rid, Kind: c.Kind,
				Amount: c.Amount.Amount, Currency: c.Amount.Currency, CreatedAt: now})
		}
		if len(costs) > 0 {
			if err := tx.Create(&costs).Error; err != nil {
				return err
			}
		}
		out = recordView(&r, parts, costs)
		st.event = map[string]any{"record": out}
		return nil
	})
	return out, err
}

// Records lists a work order's service records, oldest first.
func (s *Service) Records(ctx context.Context, id uuid.UUID) (Items[RecordView], error) {
	out := Items[RecordView]{Items: []RecordView{}}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if _, err := s.load(ctx, tx, id); err != nil {
			return err
		}
		var rs []Record
		if err := tx.Where("work_order_id = ?", id).Order("id").Limit(maxItems).Find(&rs).Error; err != nil {
			return err
		}
		if len(rs) == 0 {
			return nil
		}
		ids := make([]uuid.UUID, len(rs))
		for i, r := range rs {
			ids[i] = r.ID
		}
		var parts []Part
		if err := tx.Where("record_id IN ?", ids).Order("record_id").Order("position").Find(&parts).Error; err != nil {
			return err
		}
		var costs []Cost
		if err := tx.Where("record_id IN ?", ids).Order("id").Find(&costs).Error; err != nil {
			return err
		}
		for i := range rs {
			var ps []Part
			var cs []Cost
			for _, p := range parts {
				if p.RecordID == rs[i].ID {
					ps = append(ps, p)
				}
			}
			for _, c := range costs {
				if c.RecordID != nil && *c.RecordID == rs[i].ID {
					cs = append(cs, c)
				}
			}
			out.Items = append(out.Items, recordView(&rs[i], ps, cs))
		}
		return nil
	})
	return out, err
}
