package followup

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/customer"
	"github.com/smecrm/crm/app/notify"
)

// ScheduleTask raises a follow-up task on a customer for another part of the system (the
// plugin host's "create follow-up task", used by the commercial-vehicle module's recalls): the
// customer's next planned follow-up comes forward to due (now when nil), so it is on the
// owner's task list (GET /me/tasks) and gets the usual reminders, and the assignee (default:
// the owner) hears of it in the app, once per key. A pool customer has no owner to tell; its
// plan still moves, for whoever claims it. The answer identifies the task: the notification,
// or uuid.Nil when nobody was told.
func (s *Service) ScheduleTask(ctx context.Context, customerID uuid.UUID, title, note string, due *time.Time,
	assignee *uuid.UUID, key string) (uuid.UUID, error) {
	at := s.now()
	if due != nil {
		at = *due
	}
	var target customer.FollowUpTarget
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		var err error
		target, err = s.Customers.PlanFollowUp(ctx, tx, customerID, at, strings.TrimSpace(title))
		return err
	})
	if err != nil {
		return uuid.Nil, err
	}
	to := assignee
	if to == nil {
		to = target.OwnerID
	}
	if to == nil {
		return uuid.Nil, nil
	}
	id := target.ID
	n, err := s.Notify.Notify(ctx, *to, notify.Message{Kind: "follow_up_task", Key: "followup_task",
		Args: []any{target.Name, strings.TrimSpace(title), strings.TrimSpace(note)}, DedupeKey: "task:" + key,
		Entity: "customer", EntityID: &id, Link: "/customers/" + id.String()})
	return n.ID, err
}
