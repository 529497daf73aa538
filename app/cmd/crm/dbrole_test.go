package main

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
)

// The server does not serve on a PostgreSQL role that row-level security does not bind (here the
// tables' owner), unless told to loudly; the proper app role starts.
func TestServeRefusesAnUnsafeDatabaseRole(t *testing.T) {
	storetest.RequireDialect(t, store.Postgres)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	owner, app := storetest.OwnerURL(t, store.Postgres), storetest.AppURL(t, store.Postgres)

	_, err := openApp(ctx, config.Config{DatabaseURL: owner, MigrateDatabaseURL: owner}, log)
	if err == nil || !strings.Contains(err.Error(), "owns the tables") || !strings.Contains(err.Error(), "CRM_ALLOW_UNSAFE_DB_ROLE") {
		t.Fatalf("serving as the owner: %v, want a refusal naming the reason and the override", err)
	}

	var logged strings.Builder
	loud := slog.New(slog.NewTextHandler(&logged, nil))
	db, err := openApp(ctx, config.Config{DatabaseURL: owner, MigrateDatabaseURL: owner, AllowUnsafeDBRole: true}, loud)
	if err != nil {
		t.Fatalf("with the override: %v", err)
	}
	db.Close()
	if !strings.Contains(logged.String(), "level=ERROR") || !strings.Contains(logged.String(), "owns the tables") {
		t.Errorf("the override did not log an error: %s", logged.String())
	}

	db, err = openApp(ctx, config.Config{DatabaseURL: app, MigrateDatabaseURL: owner}, log)
	if err != nil {
		t.Fatalf("the app role: %v", err)
	}
	db.Close()
}
