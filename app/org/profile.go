package org

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"gorm.io/gorm"

	"github.com/smecrm/crm/app/api"
	"github.com/smecrm/crm/app/problem"
	"github.com/smecrm/crm/app/tenantctx"
)

// ProfileUpdate is PATCH /me: what every user may change of their own account, whatever their
// roles. A new password needs the current one.
type ProfileUpdate struct {
	Name            *string `json:"name" validate:"omitempty,min=1,max=100"`
	Locale          *string `json:"locale" validate:"omitempty,locale"`
	Password        *string `json:"password" validate:"omitempty,min=10,max=200"`
	CurrentPassword string  `json:"current_password" validate:"max=200"`
}

// UpdateProfile changes the acting user's own name, language or password (which ends their
// other sessions, see OnPasswordChange). Fails with validation_failed (current_password missing
// or wrong) or conflict (changed concurrently).
func (s *Service) UpdateProfile(ctx context.Context, p ProfileUpdate) (UserView, error) {
	me := tenantctx.ActorFrom(ctx).UserID
	var u User
	if err := s.DB.Read(ctx, func(tx *gorm.DB) error { return takeUser(tx, me, &u) }); err != nil {
		return UserView{}, err
	}
	if p.Password != nil {
		switch {
		case p.CurrentPassword == "":
			return UserView{}, problem.Field("current_password", "required", "field.required")
		case s.CheckPassword == nil || !s.CheckPassword(u.PasswordHash, p.CurrentPassword):
			return UserView{}, problem.Field("current_password", "invalid", "field.current_password")
		}
	}
	return s.UpdateUser(ctx, me, UserUpdate{Version: u.Version, Name: p.Name, Locale: p.Locale, Password: p.Password})
}

func (a API) profileRoutes(r *api.Router) {
	api.Handle(r, api.Op{Method: "PATCH", Path: "/me", ID: "updateProfile", Summary: "Change my own name, language or password (the current password is needed for a new one)", Tag: "auth", Access: api.SignedIn},
		func(c *fiber.Ctx, in *ProfileUpdate) (*UserView, error) {
			v, err := a.S.UpdateProfile(c.UserContext(), *in)
			return &v, err
		})
}
