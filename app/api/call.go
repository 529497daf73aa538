package api

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
)

// ByID is the input of an operation on one record named by the path's :id; a PATCH input
// embeds it beside its body.
type ByID struct {
	ID uuid.UUID `path:"id" json:"-"`
}

// Call is the handler of an operation whose service method takes the bound input as it is
// (a list filter, a create body) and answers its result.
func Call[In, Out any](fn func(ctx context.Context, in In) (Out, error)) func(*fiber.Ctx, *In) (*Out, error) {
	return func(c *fiber.Ctx, in *In) (*Out, error) {
		out, err := fn(c.UserContext(), *in)
		return &out, err
	}
}

// CallByID is the handler of an operation whose service method takes the path's record ID.
func CallByID[Out any](fn func(ctx context.Context, id uuid.UUID) (Out, error)) func(*fiber.Ctx, *ByID) (*Out, error) {
	return func(c *fiber.Ctx, in *ByID) (*Out, error) {
		out, err := fn(c.UserContext(), in.ID)
		return &out, err
	}
}
