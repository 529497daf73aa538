package complaint

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/survey"
	"github.com/smecrm/crm/app/tenantctx"
)

// TimelineItems puts a customer's complaints on its timeline (kind "complaint"): the intake,
// status moves and reopening of each case.
func TimelineItems(ctx context.Context, tx *gorm.DB, customerID uuid.UUID, before time.Time, limit int) ([]customer.TimelineItem, error) {
	out := []customer.TimelineItem{}
	var cs []Complaint
	if err := tx.Select("tenant_id", "id", "number").Where("customer_id = ?", customerID).Limit(10000).Find(&cs).Error; err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(cs))
	numbers := map[uuid.UUID]string{}
	for i, c := range cs {
		ids[i], numbers[c.ID] = c.ID, c.Number
	}
	var es []Event
	if err := tx.Where("complaint_id IN ? AND action IN ? AND at <= ?", ids, []string{"intake", "transition", "reopen"}, before).
		Order("at DESC").Order("id DESC").Limit(limit).Find(&es).Error; err != nil {
		return nil, err
	}
	locale := tenantctx.Locale(ctx)
	for _, e := range es {
		ch := map[string][2]any{}
		if e.FromStatus != e.ToStatus {
			var from any
			if e.FromStatus != "" {
				from = e.FromStatus
			}
			ch["status"] = [2]any{from, e.ToStatus}
		}
		status := ""
		if e.ToStatus != "" {
			status = problem.Message(locale, "complaint.status."+e.ToStatus)
		}
		summary := strings.TrimSpace(problem.Message(locale, "timeline.complaint."+e.Action, numbers[e.ComplaintID], status, e.Comment))
		out = append(out, customer.TimelineItem{ID: e.ID.String(), At: e.At.UTC(), Kind: "complaint", Action: e.Action,
			ActorID: e.ActorID, Summary: summary, Changes: ch, Entity: "complaint", EntityID: e.ComplaintID.String()})
	}
	return out, nil
}

// MoveCustomerRecords is the customer.MergeHook of complaints: a merged customer's cases
// belong to the customer it merged into.
func MoveCustomerRecords(_ context.Context, tx *gorm.DB, from, into uuid.UUID) error {
	return tx.Model(&Complaint{}).Where("customer_id = ?", from).UpdateColumn("customer_id", into).Error
}

// OnSurveyFlagged is the complaints' reaction to a survey answered with a complaint
// (survey.Service.OnFlagged): it opens a case of channel survey for the survey's customer and
// contact, in the survey's transaction, managed by whoever registered the surveyed work order
// (customer service). The case keeps the survey's ID; a survey opens one case at most.
func (s *Service) OnSurveyFlagged(ctx context.Context, tx *gorm.DB, sv survey.View, registeredBy *uuid.UUID) error {
	var n int64
	if err := tx.Model(&Complaint{}).Where("survey_id = ?", sv.ID).Count(&n).Error; err != nil || n > 0 {
		return err
	}
	hctx := ctx
	if registeredBy != nil {
		a := tenantctx.ActorFrom(ctx)
		if a.UserID == uuid.Nil {
			hctx = tenantctx.WithActor(ctx, tenantctx.Actor{UserID: *registeredBy, Via: "survey"})
		}
	}
	content := sv.Complaint
	if sv.WorkOrderNumber != "" {
		content = sv.WorkOrderNumber + ": " + content
	}
	c, err := s.intake(hctx, tx, Input{CustomerID: sv.CustomerID, ContactID: sv.ContactID, Channel: "survey", Content: content,
		Category: "service"}, nil)
	if err != nil {
		return err
	}
	id := sv.ID
	c.SurveyID = &id
	return tx.Model(&Complaint{}).Where("id = ?", c.ID).UpdateColumn("survey_id", id).Error
}
