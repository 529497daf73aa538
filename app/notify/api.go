package notify

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// API serves the signed-in user's own notifications.
type API struct{ S *Service }

// ListQuery is GET /notifications.
type ListQuery struct {
	api.ListParams
	// Unread lists only notifications not read yet.
	Unread bool `query:"unread" json:"-"`
}

type byID struct {
	ID uuid.UUID `path:"id" json:"-"`
}

// Routes registers /notifications.
func (a API) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/notifications", ID: "listNotifications", Summary: "My notifications, newest first", Tag: "notifications", Access: api.SignedIn},
		func(c *fiber.Ctx, in *ListQuery) (*api.Page[View], error) {
			p, err := a.S.List(c.UserContext(), *in)
			return &p, err
		})
	api.Handle(r, api.Op{Method: "POST", Path: "/notifications/:id/read", ID: "readNotification", Summary: "Mark one of my notifications read", Tag: "notifications", Access: api.SignedIn},
		func(c *fiber.Ctx, in *byID) (*View, error) {
			v, err := a.S.MarkRead(c.UserContext(), in.ID)
			return &v, err
		})
}

// List pages the acting user's notifications, newest first.
func (s *Service) List(ctx context.Context, q ListQuery) (api.Page[View], error) {
	after, err := q.AfterID()
	if err != nil {
		return api.Page[View]{}, err
	}
	user := tenantctx.ActorFrom(ctx).UserID
	limit := q.PageSize()
	var rows []Notification
	err = s.DB.Read(ctx, func(tx *gorm.DB) error {
		w := tx.Where("user_id = ?", user)
		if q.Unread {
			w = w.Where("read_at IS NULL")
		}
		if after != uuid.Nil {
			w = w.Where("id < ?", after)
		}
		return w.Order("id DESC").Limit(limit + 1).Find(&rows).Error
	})
	if err != nil {
		return api.Page[View]{}, err
	}
	views := make([]View, len(rows))
	for i := range rows {
		views[i] = view(&rows[i])
	}
	return api.IDPage(views, limit, func(v View) uuid.UUID { return v.ID }), nil
}

// MarkRead marks one of the acting user's notifications read (again: a no-op). Another
// user's or tenant's notification is not_found.
func (s *Service) MarkRead(ctx context.Context, id uuid.UUID) (View, error) {
	user := tenantctx.ActorFrom(ctx).UserID
	var n Notification
	err := s.DB.Tx(ctx, func(tx *gorm.DB) error {
		err := tx.Take(&n, "id = ? AND user_id = ?", id, user).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return problem.NotFoundf("entity.notification")
		}
		if err != nil || n.ReadAt != nil {
			return err
		}
		now := s.now()
		n.ReadAt = &now
		return tx.Model(&n).Update("read_at", now).Error
	})
	return view(&n), err
}
