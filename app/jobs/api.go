package jobs

import (
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/tenantctx"
)

// API serves GET /jobs/{id}.
type API struct{ DB *store.DB }

type runByID struct {
	ID uuid.UUID `path:"id" json:"-"`
}

// Routes registers /jobs/:id.
//
// A run is shown to the user who started it and to nobody else: its report holds row-level
// detail of their own work (an import's rejected rows), so no separate permission is needed,
// and the permission that started the work was checked then. Another user's run, like another
// tenant's, is not_found.
func (a API) Routes(r *api.Router) {
	api.Handle(r, api.Op{Method: "GET", Path: "/jobs/:id", ID: "getJob", Summary: "Status, progress and report of a background job you started", Tag: "jobs", Access: api.SignedIn},
		func(c *fiber.Ctx, in *runByID) (*RunView, error) {
			ctx := c.UserContext()
			var out RunView
			err := a.DB.Read(ctx, func(tx *gorm.DB) error {
				run, err := FindRun(tx, in.ID)
				if err != nil {
					return err
				}
				if run.CreatedBy == nil || *run.CreatedBy != tenantctx.ActorFrom(ctx).UserID {
					return problem.NotFoundf("entity.job")
				}
				out = run.View()
				return nil
			})
			if err != nil {
				return nil, err
			}
			return &out, nil
		})
}
