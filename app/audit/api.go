package audit

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/store"
)

// Query filters GET /audit.
type Query struct {
	api.ListParams
	Entity   string `query:"entity" json:"-" validate:"max=64"`
	EntityID string `query:"entity_id" json:"-" validate:"max=64"`
	ActorID  string `query:"actor_id" json:"-"`
}

// API serves GET /audit.
type API struct{ DB *store.DB }

// Routes registers /audit.
func (a API) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/audit", ID: "listAudit", Summary: "Change history, newest first", Tag: "audit", Perm: api.Perm{Object: "audit", Action: "read"}},
		func(c *fiber.Ctx, in *Query) (*api.Page[Entry], error) {
			before, err := in.AfterID()
			if err != nil {
				return nil, err
			}
			limit := in.PageSize()
			var items []Entry
			err = a.DB.Read(c.UserContext(), func(tx *gorm.DB) error {
				q := tx.Order("id DESC").Limit(limit + 1)
				if before != uuid.Nil {
					q = q.Where("id < ?", before)
				}
				if in.Entity != "" {
					q = q.Where("entity = ?", in.Entity)
				}
				if in.EntityID != "" {
					q = q.Where("entity_id = ?", in.EntityID)
				}
				if in.ActorID != "" {
					id, err := api.ParseUUID("actor_id", in.ActorID)
					if err != nil {
						return err
					}
					q = q.Where("actor_id = ?", id)
				}
				return q.Find(&items).Error
			})
			if err != nil {
				return nil, err
			}
			p := api.IDPage(items, limit, func(e Entry) uuid.UUID { return e.ID })
			return &p, nil
		})
}
