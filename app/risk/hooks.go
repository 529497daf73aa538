package risk

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/followup"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/policies"
)

// Approvals lists, for GET /me/tasks, the pending assessments the acting user may approve:
// of customers they see, not their own, needing a role theirs may act as. Oldest first.
func (s *Service) Approvals(ctx context.Context, tx *gorm.DB, limit int) ([]followup.Approval, error) {
	out := []followup.Approval{}
	if err := s.Authz.Require(ctx, "risk", "approve"); problem.Is(err, problem.Forbidden) {
		return out, nil
	} else if err != nil {
		return nil, err
	}
	actor := tenantctx.ActorFrom(ctx).UserID
	roles, err := s.Authz.UserRoles(ctx, actor)
	if err != nil {
		return nil, err
	}
	q, err := s.scopedCustomers(ctx, tx, tx.Model(&Assessment{}).Where("status = ?", StatusPending))
	if err != nil {
		return nil, err
	}
	var rows []Assessment
	if err := q.Order("id").Limit(500).Find(&rows).Error; err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, len(rows))
	for i, a := range rows {
		ids[i] = a.CustomerID
	}
	refs, err := customer.Refs(tx, ids)
	if err != nil {
		return nil, err
	}
	locale := tenantctx.Locale(ctx)
	for _, a := range rows {
		if (a.AssessedBy != nil && *a.AssessedBy == actor) || !policies.CanApproveAs(roles, a.ApproverRole) {
			continue
		}
		out = append(out, followup.Approval{ID: a.ID, Entity: "credit_assessment",
			Title: problem.Message(locale, "risk.approval_title", refs[a.CustomerID].Name, a.Rating)})
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// TimelineItems puts a customer's credit assessments (made and decided) and risk warnings
// (raised and resolved) on its timeline.
func TimelineItems(ctx context.Context, tx *gorm.DB, customerID uuid.UUID, before time.Time, limit int) ([]customer.TimelineItem, error) {
	locale := tenantctx.Locale(ctx)
	out := []customer.TimelineItem{}
	var as []Assessment
	if err := tx.Where("customer_id = ? AND created_at <= ?", customerID, before).Order("created_at DESC").Limit(limit).Find(&as).Error; err != nil {
		return nil, err
	}
	for _, a := range as {
		out = append(out, customer.TimelineItem{ID: a.ID.String(), At: a.CreatedAt.UTC(), Kind: "credit_assessment", Action: "create",
			ActorID: a.AssessedBy, Summary: problem.Message(locale, "timeline.credit.assessed", a.Rating, a.ProposedLimit.String()+" "+a.Currency),
			Changes: map[string][2]any{"rating": {nil, a.Rating}, "status": {nil, a.Status}}, Entity: "credit_assessment", EntityID: a.ID.String()})
		if a.DecidedAt != nil && a.Status != StatusPending && !a.DecidedAt.Equal(a.CreatedAt) && !a.DecidedAt.After(before) {
			out = append(out, customer.TimelineItem{ID: a.ID.String() + ":" + a.Status, At: a.DecidedAt.UTC(), Kind: "credit_assessment",
				Action: a.Status, ActorID: a.DecidedBy, Summary: problem.Message(locale, "timeline.credit."+a.Status, a.Rating),
				Changes: map[string][2]any{"status": {StatusPending, a.Status}}, Entity: "credit_assessment", EntityID: a.ID.String()})
		}
	}
	var ws []Warning
	if err := tx.Where("customer_id = ? AND raised_at <= ?", customerID, before).Order("raised_at DESC").Limit(limit).Find(&ws).Error; err != nil {
		return nil, err
	}
	for _, w := range ws {
		out = append(out, customer.TimelineItem{ID: w.ID.String(), At: w.RaisedAt.UTC(), Kind: "risk_warning", Action: "raise",
			Summary: problem.Message(locale, "timeline.risk.raised", problem.Message(locale, "risk.kind."+w.Kind), problem.Message(locale, "risk.level."+w.Level)),
			Changes: map[string][2]any{"level": {nil, w.Level}}, Entity: "risk_warning", EntityID: w.ID.String()})
		if w.ResolvedAt != nil && !w.ResolvedAt.After(before) {
			out = append(out, customer.TimelineItem{ID: w.ID.String() + ":resolved", At: w.ResolvedAt.UTC(), Kind: "risk_warning", Action: "resolve",
				Summary: problem.Message(locale, "timeline.risk.resolved", problem.Message(locale, "risk.kind."+w.Kind)),
				Changes: map[string][2]any{"status": {WarningOpen, WarningResolved}}, Entity: "risk_warning", EntityID: w.ID.String()})
		}
	}
	return out, nil
}

// MoveCustomerRecords is the customer.MergeHook of credit risk: the merged customer's
// assessments and warnings move to the customer it merged into. Its open warnings of a kind
// the other has open too are resolved first (one open warning per kind), and the next
// evaluation judges the merged figures.
func MoveCustomerRecords(_ context.Context, tx *gorm.DB, from, into uuid.UUID) error {
	if err := tx.Model(&Warning{}).Where("customer_id = ? AND status = ? AND kind IN (?)", from, WarningOpen,
		tx.Model(&Warning{}).Select("kind").Where("customer_id = ? AND status = ?", into, WarningOpen)).
		UpdateColumns(map[string]any{"status": WarningResolved, "resolved_at": time.Now().UTC()}).Error; err != nil {
		return err
	}
	if err := tx.Model(&Warning{}).Where("customer_id = ?", from).UpdateColumn("customer_id", into).Error; err != nil {
		return err
	}
	return tx.Model(&Assessment{}).Where("customer_id = ?", from).UpdateColumn("customer_id", into).Error
}
