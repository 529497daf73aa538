package customer

import (
	"context"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/tenantctx"
)

// CreateTx is Create in the caller's transaction, for lead conversion (a customer, its contact
// and an opportunity in one transaction): the same checks, duplicate detection, audit entry
// and customer.created event. in is validated here (Create's is validated by the API layer).
// Errors as Create.
func (s *Service) CreateTx(ctx context.Context, tx *gorm.DB, in Input) (View, error) {
	if err := api.Validate.Struct(in); err != nil {
		return View{}, api.ValidationError(err)
	}
	if actor := tenantctx.ActorFrom(ctx); in.OwnerID != nil && *in.OwnerID != actor.UserID && actor.UserID != uuid.Nil && s.Authz != nil {
		if err := s.Authz.Require(ctx, "customer", "assign"); err != nil {
			return View{}, err
		}
	}
	c, err := s.newCustomer(ctx, in)
	if err != nil {
		return View{}, err
	}
	return s.createTx(ctx, tx, in, c)
}
