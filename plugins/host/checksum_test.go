package host_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/smecrm/crm/app/apitest"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/app/storetest"
	"github.com/smecrm/crm/plugins/host"
)

// An executable that changed after install is not launched: the supervisor reports it as
// failed with the checksum error, and classification stays with the built-in rules.
func TestChecksumVerifiedBeforeLaunch(t *testing.T) {
	storetest.RequireDialect(t, store.SQLite) // a supervisor test: one database is enough
	dir := t.TempDir()
	env := apitest.NewWithOptions(t, store.SQLite, server.Options{Plugins: testOptions(dir)})
	if _, err := host.Install(context.Background(), env.DB, dir, bins["classifier"]); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(dir, classifierID), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("tampered")); err != nil {
		t.Fatal(err)
	}
	f.Close()
	h := env.Server.Plugins
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	eventually(t, 10*time.Second, "checksum refused", func() error {
		if s := h.StatusOf(classifierID); s.State != host.StateFailed || !strings.Contains(s.LastError, "checksum") {
			return errorf("status %+v", s)
		}
		return nil
	})
	co := env.Signup(t)
	enable(t, co, classifierID, nil)
	if c := createCustomer(t, co.Owner, "校验客户", "deal"); c.Classification.Rule != "builtin:v1" {
		t.Errorf("classified by %s", c.Classification.Rule)
	}
}

// Reinstalling a plugin whose file had been tampered with gives it a fresh start on the new
// executable without restarting the server.
func TestReinstallRecovers(t *testing.T) {
	storetest.RequireDialect(t, store.SQLite)
	old := host.DiscoveryInterval
	host.DiscoveryInterval = 100 * time.Millisecond
	t.Cleanup(func() { host.DiscoveryInterval = old })
	dir := t.TempDir()
	env := apitest.NewWithOptions(t, store.SQLite, server.Options{Plugins: testOptions(dir)})
	if _, err := host.Install(context.Background(), env.DB, dir, bins["recorder"]); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, recorderID), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	h := env.Server.Plugins
	if err := h.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Stop)
	eventually(t, 10*time.Second, "tampered file refused", func() error {
		if s := h.StatusOf(recorderID); s.State != host.StateFailed {
			return errorf("status %+v", s)
		}
		return nil
	})
	// The platform admin installs a (different) build: new checksum, picked up by discovery.
	if _, err := host.Install(context.Background(), env.DB, dir, bins["recorder"]); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := h.WaitRunning(ctx, recorderID); err != nil {
		t.Fatal(err)
	}
}
