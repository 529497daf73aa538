// Command crm is the one binary of the product: crm serve | migrate | admin … | openapi | version.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/jobs"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/plugins/host"
)

func main() {
	host.LauncherMain() // `crm plugin-exec …`: the sandboxed start of a plugin (never returns)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCmd().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "crm:", err)
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{Use: "crm", Short: "Multi-tenant CRM for small and medium enterprises", SilenceUsage: true}
	root.AddCommand(serveCmd(), migrateCmd(), adminCmd(), versionCmd(), seedCmd(), pluginsCmd(), openapiCmd(),
		backupCmd(), restoreCmd(), citusDDLCmd())
	return root
}

func versionCmd() *cobra.Command {
	return &cobra.Command{Use: "version", Short: "Print the version", Run: func(cmd *cobra.Command, _ []string) {
		fmt.Fprintln(cmd.OutOrStdout(), server.Version)
	}}
}

func migrateCmd() *cobra.Command {
	return &cobra.Command{Use: "migrate", Short: "Bring the database schema up to date", RunE: func(cmd *cobra.Command, _ []string) error {
		cfg := config.FromEnv()
		return store.Migrate(cmd.Context(), cfg.MigrateDatabaseURL, cfg.DatabaseURL, cfg.Logger(), jobs.Migrate)
	}}
}

// openApp migrates and opens the database as the app role.
func openApp(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	return openDB(ctx, cfg, log, true)
}

// openDB opens the database as the app role, migrating it first when migrate is set.
func openDB(ctx context.Context, cfg config.Config, log *slog.Logger, migrate bool) (*store.DB, error) {
	if migrate {
		if err := store.Migrate(ctx, cfg.MigrateDatabaseURL, cfg.DatabaseURL, log, jobs.Migrate); err != nil {
			return nil, err
		}
	}
	db, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Log: log})
	if err != nil {
		return nil, err
	}
	unsafe, advice, err := db.RoleCheck(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, w := range advice {
		log.Warn("database set-up needs attention", "problem", w)
	}
	if len(unsafe) > 0 {
		if !cfg.AllowUnsafeDBRole {
			db.Close()
			return nil, fmt.Errorf("refusing to serve: tenant isolation would rest on the application alone: %s (CRM_ALLOW_UNSAFE_DB_ROLE=1 overrides)", strings.Join(unsafe, "; "))
		}
		for _, w := range unsafe {
			log.Error("UNSAFE DATABASE ROLE: row-level security does not protect tenants; serving only because CRM_ALLOW_UNSAFE_DB_ROLE=1", "problem", w)
		}
	}
	return db, nil
}

func serveCmd() *cobra.Command {
	var noMigrate bool
	c := &cobra.Command{Use: "serve", Short: "Run the HTTP server", RunE: func(cmd *cobra.Command, _ []string) error {
		ctx := cmd.Context()
		cfg := config.FromEnv()
		log := cfg.Logger()
		slog.SetDefault(log)
		if err := cfg.EnsureSecretKey(log); err != nil {
			return err
		}
		db, err := openDB(ctx, cfg, log, !noMigrate)
		if err != nil {
			return err
		}
		defer db.Close()
		srv, err := server.New(cfg, db, log, server.Options{})
		if err != nil {
			return err
		}
		if err := srv.Plugins.Start(ctx); err != nil {
			return err
		}
		defer srv.Plugins.Stop()
		if err := srv.Jobs.Start(ctx); err != nil {
			return fmt.Errorf("start jobs: %w", err)
		}
		errc := make(chan error, 1)
		go func() { errc <- srv.App.Listen(cfg.Addr) }()
		if srv.MetricsApp != nil { // CRM_METRICS_ADDR: /metrics on its own address
			go func() { errc <- srv.MetricsApp.Listen(cfg.MetricsAddr) }()
			defer srv.MetricsApp.Shutdown()
		}
		fmt.Fprintf(cmd.OutOrStdout(), "CRM is running at %s (database: %s)\n", displayURL(cfg), db.Dialect)
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
		}
		log.Info("shutting down")
		shCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := srv.App.ShutdownWithContext(shCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		// Jobs stop after HTTP so nothing new is enqueued by a request after they are gone;
		// unfinished jobs stay in the database and resume at the next start.
		if err := srv.Jobs.Stop(shCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return nil
	}}
	// Replicas started by an orchestrator leave migrations to one `crm migrate` run as the
	// owner role (deploy/k8s/migrate-job.yaml): they then hold only the app role's secret.
	c.Flags().BoolVar(&noMigrate, "no-migrate", false, "do not migrate at start (a separate `crm migrate` does, as the owner role)")
	return c
}

// displayURL is the base URL, or the listen address on localhost when the base is the default.
func displayURL(cfg config.Config) string {
	if os.Getenv("CRM_BASE_URL") != "" {
		return cfg.BaseURL
	}
	addr := cfg.Addr
	if strings.HasPrefix(addr, ":") {
		addr = "localhost" + addr
	}
	return "http://" + addr
}
