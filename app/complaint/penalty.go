package complaint

import (
	"context"
	"errors"

	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/audit"
	"github.com/smecrm/crm/app/money"
	"github.com/smecrm/crm/app/org"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// PenaltyInput is the body of POST /complaints/{id}/penalties: the responsible department or
// person, the kind and, for a bonus deduction, the amount.
type PenaltyInput struct {
	DepartmentID *uuid.UUID   `json:"department_id"`
	UserID       *uuid.UUID   `json:"user_id"`
	Kind         string       `json:"kind" validate:"required,oneof=administrative bonus_deduction"`
	Amount       *money.Money `json:"amount"`
	Reason       string       `json:"reason" validate:"required,max=5000"`
}

type penaltyInput struct {
	api.ByID
	PenaltyInput
}

// ProposePenalty proposes a penalty of a case (第28條), pending the general manager's
// approval. Fails with not_found or validation_failed (input; neither or both of department and
// person; an unknown one; a bonus deduction without an amount).
func (s *Service) ProposePenalty(ctx context.Context, id uuid.UUID, in PenaltyInput) (PenaltyView, error) {
	if err := problem.CleanText(map[string]*string{"reason": &in.Reason}); err != nil {
		return PenaltyView{}, err
	}
	if in.Reason == "" {
		return PenaltyView{}, problem.Field("reason", "required", "field.required")
	}
	if (in.DepartmentID == nil) == (in.UserID == nil) {
		return PenaltyView{}, problem.Field("user_id", "required", "complaint.penalty_target")
	}
	if in.Kind == "bonus_deduction" && in.Amount == nil {
		return PenaltyView{}, problem.Field("amount", "required", "field.required")
	}
	var out PenaltyView
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		if in.Amount != nil {
			if in.Amount.Currency == "" {
				base, err := money.BaseCurrency(ctx, tx)
				if err != nil {
					return err
				}
				in.Amount.Currency = base
			}
			if err := money.Check("amount", *in.Amount, false); err != nil {
				return err
			}
		}
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if in.UserID != nil {
			if _, err := org.OwnerDepartment(tx, "user_id", *in.UserID); err != nil {
				return err
			}
		}
		if in.DepartmentID != nil {
			if _, err := org.AssignOwner(tx, nil, in.DepartmentID); err != nil {
				return err
			}
		}
		p := &Penalty{ID: uuid.Must(uuid.NewV7()), ComplaintID: c.ID, DepartmentID: in.DepartmentID, UserID: in.UserID, Kind: in.Kind,
			Reason: in.Reason, Status: PenaltyPending, CreatedAt: s.now()}
		if in.Amount != nil {
			a := in.Amount.Amount
			p.Amount, p.Currency = &a, in.Amount.Currency
		}
		if a := tenantctx.ActorFrom(ctx).UserID; a != uuid.Nil {
			p.ProposedBy = &a
		}
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		out = penaltyView(p)
		if err := addEvent(ctx, tx, c, "penalty", "", "", p.Kind, s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, "create", "complaint_penalty", p.ID.String(), nil, out)
	})
	return out, err
}

// Penalties lists a case's penalties, oldest first.
func (s *Service) Penalties(ctx context.Context, id uuid.UUID) (api.Page[PenaltyView], error) {
	out := api.Page[PenaltyView]{Items: []PenaltyView{}}
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		if _, err := s.load(ctx, tx, id); err != nil {
			return err
		}
		var ps []Penalty
		if err := tx.Where("complaint_id = ?", id).Order("id").Limit(200).Find(&ps).Error; err != nil {
			return err
		}
		for i := range ps {
			out.Items = append(out.Items, penaltyView(&ps[i]))
		}
		return nil
	})
	return out, err
}

// DecidePenalty approves or rejects a pending penalty; only the general manager (or the
// owner) decides. Fails with not_found, forbidden approval_tier or conflict (decided).
func (s *Service) DecidePenalty(ctx context.Context, id uuid.UUID, approve bool, _ DecisionInput) (PenaltyView, error) {
	roles, err := s.actorRoles(ctx)
	if err != nil {
		return PenaltyView{}, err
	}
	actor := tenantctx.ActorFrom(ctx).UserID
	var out PenaltyView
	err = s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var p Penalty
		err := tx.Take(&p, "id = ?", id).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return problem.NotFoundf("entity.penalty")
		}
		if err != nil {
			return err
		}
		c, err := loadAny(tx, p.ComplaintID)
		if err != nil {
			return err
		}
		if !policies.CanApproveAs(roles, PenaltyApprover) {
			return problem.New(problem.Forbidden, "approval_tier", PenaltyApprover)
		}
		if p.Status != PenaltyPending {
			return problem.New(problem.Conflict, "complaint.penalty_decided")
		}
		before := penaltyView(&p)
		now := s.now()
		p.Status, p.DecidedBy, p.DecidedAt = PenaltyRejected, &actor, &now
		if approve {
			p.Status = PenaltyApproved
		}
		res := tx.Model(&Penalty{}).Where("id = ? AND status = ?", p.ID, PenaltyPending).
			UpdateColumns(map[string]any{"status": p.Status, "decided_by": actor, "decided_at": now})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return problem.New(problem.Conflict, "complaint.penalty_decided")
		}
		out = penaltyView(&p)
		if err := addEvent(ctx, tx, c, "penalty_decided", "", "", p.Kind+":"+p.Status, now); err != nil {
			return err
		}
		return audit.Record(ctx, tx, map[bool]string{true: "approve", false: "reject"}[approve], "complaint_penalty", p.ID.String(), before, out)
	})
	return out, err
}

// ReviewQuery selects the month of GET /complaints/review (YYYY-MM; default: last month in
// the tenant's time zone, the month the general manager's office reviews by the 10th, 第28條).
type ReviewQuery struct {
	Month string `query:"month" json:"-" validate:"omitempty,datetime=2006-01"`
}

// ReviewItem is one closed case of the monthly review: the case, its remedies and penalties.
type ReviewItem struct {
	Complaint View          `json:"complaint"`
	Remedies  []RemedyView  `json:"remedies"`
	Penalties []PenaltyView `json:"penalties"`
}

// Review is the monthly review list.
type Review struct {
	Month string       `json:"month"`
	From  time.Time    `json:"from"`
	To    time.Time    `json:"to"`
	Items []ReviewItem `json:"items"`
	// Counts are the month's cases by outcome and how many closed late.
	Counts map[string]int `json:"counts"`
}

// maxReview bounds the cases of one month's review.
const maxReview = 2000

// MonthlyReview lists the cases the actor sees that closed in month (the tenant's local
// month), oldest closure first, with their remedies and penalties.
func (s *Service) MonthlyReview(ctx context.Context, q ReviewQuery) (Review, error) {
	var out Review
	err := s.DB.Read(ctx, func(tx *gorm.DB) error {
		cal, err := loadLoc(ctx, tx)
		if err != nil {
			return err
		}
		var start time.Time
		if q.Month != "" {
			m, _ := time.Parse("2006-01", q.Month)
			start = time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, cal)
		} else {
			n := s.now().In(cal)
			start = time.Date(n.Year(), n.Month()-1, 1, 0, 0, 0, 0, cal)
		}
		end := time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, cal)
		out = Review{Month: start.Format("2006-01"), From: start.UTC(), To: end.UTC(), Items: []ReviewItem{}, Counts: map[string]int{}}
		scope, err := s.Authz.ScopeFilter(ctx, tx)
		if err != nil {
			return err
		}
		var cs []Complaint
		if err := scoped(tx, tx.Model(&Complaint{}), scope).Where("status = ? AND closed_at >= ? AND closed_at < ?", StatusClosed, start.UTC(), end.UTC()).
			Order("closed_at").Order("id").Limit(maxReview).Find(&cs).Error; err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(cs))
		for i := range cs {
			ids[i] = cs[i].ID
		}
		rs := map[uuid.UUID][]RemedyView{}
		ps := map[uuid.UUID][]PenaltyView{}
		if len(ids) > 0 {
			var rows []Remedy
			if err := tx.Where("complaint_id IN ?", ids).Order("id").Find(&rows).Error; err != nil {
				return err
			}
			for i := range rows {
				rs[rows[i].ComplaintID] = append(rs[rows[i].ComplaintID], remedyView(&rows[i]))
			}
			var prs []Penalty
			if err := tx.Where("complaint_id IN ?", ids).Order("id").Find(&prs).Error; err != nil {
				return err
			}
			for i := range prs {
				ps[prs[i].ComplaintID] = append(ps[prs[i].ComplaintID], penaltyView(&prs[i]))
			}
		}
		for i := range cs {
			v, err := s.show(ctx, tx, &cs[i], false)
			if err != nil {
				return err
			}
			item := ReviewItem{Complaint: v, Remedies: rs[cs[i].ID], Penalties: ps[cs[i].ID]}
			if item.Remedies == nil {
				item.Remedies = []RemedyView{}
			}
			if item.Penalties == nil {
				item.Penalties = []PenaltyView{}
			}
			out.Items = append(out.Items, item)
			out.Counts[cs[i].Outcome]++
			if v.SLAStatus == SLAOverdue {
				out.Counts["late"]++
			}
		}
		out.Counts["total"] = len(cs)
		return nil
	})
	return out, err
}

func loadLoc(ctx context.Context, tx *gorm.DB) (*time.Location, error) {
	t, err := tenantOf(ctx, tx)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(t.Settings.Data().TimeZone)
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}
