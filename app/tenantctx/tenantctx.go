// Package tenantctx carries the tenant and the acting user in a context.Context.
//
// It is a leaf package so that the store (which scopes every statement by the tenant) and the
// business packages can share it without import cycles. Nothing here touches the database.
package tenantctx

import (
	"context"

	"github.com/google/uuid"
)

type tenantKey struct{}
type actorKey struct{}
type localeKey struct{}

// Actor is the person acting in a request or job: a tenant user, or a platform admin.
type Actor struct {
	UserID       uuid.UUID
	DepartmentID uuid.UUID
	Roles        []string
	// Platform is true for platform administrators, who are not tenant users.
	Platform bool
	// Via names how the actor authenticated: "session", "token", "cli", "job".
	Via string
}

// WithTenant returns a context scoped to the tenant. Every tenant-owned statement run with the
// returned context is confined to that tenant by the store.
func WithTenant(ctx context.Context, tenantID uuid.UUID) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenantID)
}

// TenantID reports the tenant of ctx; ok is false when there is none.
func TenantID(ctx context.Context) (id uuid.UUID, ok bool) {
	id, ok = ctx.Value(tenantKey{}).(uuid.UUID)
	return id, ok && id != uuid.Nil
}

// WithActor records who is acting.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor of ctx (the zero Actor when there is none).
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// WithLocale records the language answers should be written in.
func WithLocale(ctx context.Context, locale string) context.Context {
	return context.WithValue(ctx, localeKey{}, locale)
}

// Locale returns the request's language, zh-CN when none was set.
func Locale(ctx context.Context) string {
	if l, ok := ctx.Value(localeKey{}).(string); ok && l != "" {
		return l
	}
	return "zh-CN"
}

type infoKey struct{}

// Info is what a request knows of its tenant after authentication: enough for the guards
// (status, policy version) without loading the tenant again.
type Info struct {
	ID            uuid.UUID
	Slug          string
	Status        string
	SuspendMode   string
	Plan          string
	Locale        string
	PolicyVersion int64
}

// WithInfo records the tenant's Info (and its ID, as WithTenant does).
func WithInfo(ctx context.Context, info Info) context.Context {
	return context.WithValue(WithTenant(ctx, info.ID), infoKey{}, info)
}

// InfoFrom returns the tenant Info of ctx.
func InfoFrom(ctx context.Context) (Info, bool) {
	i, ok := ctx.Value(infoKey{}).(Info)
	return i, ok
}
