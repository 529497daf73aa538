package deal

import (
	"context"
	"slices"

	"gorm.io/gorm"

	"github.com/smecrm/crm/app/followup"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// Approvals lists, for the acting user's task list (GET /me/tasks), the contracts waiting for
// their review: under review, within their data scope, not their own submission (unless they
// are the owner), and of an amount their roles may approve under the tenant's tiers — exactly
// the contracts Review would let them approve. Oldest submission first, at most limit. Users
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
	rules, err := loadReviewRules(ctx, tx)
	if err != nil {
		return nil, err
	}
	owner := slices.Contains(roles, policies.Owner)
	for i := range cs {
		c := &cs[i]
		if c.SubmittedAt == nil || (c.SubmittedBy != nil && *c.SubmittedBy == actor && !owner) {
			continue
		}
		_, base, err := rules.approver(c, *c.SubmittedAt)
		if err != nil {
			continue // no rate for its currency: nobody can review it until one is recorded
		}
		if !policies.CanApprove(rules.tiers, roles, base) {
			continue
		}
		out = append(out, followup.Approval{ID: c.ID, Entity: "contract", Title: c.Number + " " + c.Title})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}
