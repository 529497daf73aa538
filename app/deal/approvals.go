package deal

import (
	"context"

	"gorm.io/gorm"

	"github.com/smecrm/crm/app/followup"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// Approvals lists, for the acting user's task list (GET /me/tasks), the contracts waiting for
// their review: under review, within their data scope, neither theirs nor submitted by them,
// and needing an approver role theirs may act as (fixed at submission) — exactly the
// contracts Review would let them approve (checkReviewer). Oldest submission first, at most limit. Users
// without contract:approve have none.
func (s *Service) Approvals(ctx context.Context, tx *gorm.DB, limit int) ([]followup.Approval, error) {
	out := []followup.Approval{}
	if err := s.Authz.Require(ctx, "contract", "approve"); problem.Is(err, problem.Forbidden) {
		return out, nil
	} else if err != nil {
		return nil, err
	}
	actor := tenantctx.ActorFrom(ctx).UserID
	roles, err := s.Authz.UserRoles(ctx, actor)
	if err != nil {
		return nil, err
	}
	scope, err := s.Authz.ScopeFilter(ctx, tx)
	if err != nil {
		return nil, err
	}
	var cs []Contract
	if err := scope.Apply(tx.Model(&Contract{}), "owner_id", "department_id").Where("status = ?", ContractUnderReview).
		Order("submitted_at").Order("id").Limit(500).Find(&cs).Error; err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return out, nil
	}
	for i := range cs {
		c := &cs[i]
		if c.SubmittedAt == nil || checkReviewer(c, actor, roles) != nil {
			continue
		}
		out = append(out, followup.Approval{ID: c.ID, Entity: "contract", Title: c.Number + " " + c.Title})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}
