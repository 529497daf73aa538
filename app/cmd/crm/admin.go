package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/smecrm/crm/app/auth"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/tenantctx"
	"github.com/smecrm/crm/tenants"
)

func adminCmd() *cobra.Command {
	admin := &cobra.Command{Use: "admin", Short: "Platform administration from the shell (every action is audited)"}
	admin.AddCommand(createAdminCmd(), tenantsCmd())
	return admin
}

// withPlatform opens the database and runs fn with the platform service, as the CLI actor.
func withPlatform(cmd *cobra.Command, fn func(ctx context.Context, p *tenants.Platform) error) error {
	cfg := config.FromEnv()
	log := cfg.Logger()
	db, err := openApp(cmd.Context(), cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	p := &tenants.Platform{DB: db, Log: log, HashPassword: auth.HashPassword, CheckPassword: auth.CheckPassword}
	user := os.Getenv("USER")
	ctx := tenantctx.WithActor(cmd.Context(), tenantctx.Actor{Platform: true, Via: "cli:" + user})
	return fn(ctx, p)
}

func createAdminCmd() *cobra.Command {
	var email, name string
	c := &cobra.Command{
		Use:   "create-platform-admin --email E --name N",
		Short: "Create a platform administrator; the password is read from CRM_ADMIN_PASSWORD or standard input",
		RunE: func(cmd *cobra.Command, _ []string) error {
			pw := os.Getenv("CRM_ADMIN_PASSWORD")
			if pw == "" {
				fmt.Fprint(cmd.ErrOrStderr(), "Password (at least 10 characters): ")
				line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				pw = strings.TrimRight(line, "\r\n")
			}
			return withPlatform(cmd, func(ctx context.Context, p *tenants.Platform) error {
				a, err := p.CreateAdmin(ctx, email, name, pw)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created platform admin %s (%s)\n", a.Email, a.ID)
				return nil
			})
		},
	}
	c.Flags().StringVar(&email, "email", "", "sign-in email")
	c.Flags().StringVar(&name, "name", "", "display name")
	_ = c.MarkFlagRequired("email")
	return c
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func tenantsCmd() *cobra.Command {
	t := &cobra.Command{Use: "tenants", Short: "List, show, suspend and reactivate tenants"}
	var q, status string
	list := &cobra.Command{Use: "list", Short: "List tenants with their counts", RunE: func(cmd *cobra.Command, _ []string) error {
		return withPlatform(cmd, func(ctx context.Context, p *tenants.Platform) error {
			f := tenants.TenantFilter{Q: q, Status: status}
			f.Limit = 200
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%-36s  %-20s  %-10s  %-8s  %s\n", "ID", "SLUG", "STATUS", "USERS", "NAME")
			for {
				pg, err := p.ListTenants(ctx, f)
				if err != nil {
					return err
				}
				for _, s := range pg.Items {
					fmt.Fprintf(w, "%-36s  %-20s  %-10s  %-8d  %s\n", s.ID, s.Slug, s.Status, s.Counts["users"], s.Name)
				}
				if pg.NextCursor == nil {
					return nil
				}
				f.Cursor = *pg.NextCursor
			}
		})
	}}
	list.Flags().StringVar(&q, "q", "", "search name or slug")
	list.Flags().StringVar(&status, "status", "", "only this status")
	show := &cobra.Command{Use: "show ID|SLUG", Args: cobra.ExactArgs(1), Short: "Show one tenant", RunE: func(cmd *cobra.Command, args []string) error {
		return withPlatform(cmd, func(ctx context.Context, p *tenants.Platform) error {
			t, err := p.ResolveTenant(ctx, args[0])
			if err != nil {
				return err
			}
			s, err := p.ViewTenant(ctx, t.ID)
			if err != nil {
				return err
			}
			return printJSON(cmd.OutOrStdout(), s)
		})
	}}
	var mode, reason string
	suspend := &cobra.Command{Use: "suspend ID|SLUG", Args: cobra.ExactArgs(1), Short: "Suspend a tenant", RunE: func(cmd *cobra.Command, args []string) error {
		return withPlatform(cmd, func(ctx context.Context, p *tenants.Platform) error {
			t, err := p.ResolveTenant(ctx, args[0])
			if err != nil {
				return err
			}
			s, err := p.Suspend(ctx, t.ID, mode, reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is %s (%s)\n", s.Slug, s.Status, s.SuspendMode)
			return nil
		})
	}}
	suspend.Flags().StringVar(&mode, "mode", tenants.SuspendReadOnly, "read_only (users may sign in and read) or locked")
	suspend.Flags().StringVar(&reason, "reason", "", "why, for the audit trail")
	reactivate := &cobra.Command{Use: "reactivate ID|SLUG", Args: cobra.ExactArgs(1), Short: "Reactivate a suspended tenant", RunE: func(cmd *cobra.Command, args []string) error {
		return withPlatform(cmd, func(ctx context.Context, p *tenants.Platform) error {
			t, err := p.ResolveTenant(ctx, args[0])
			if err != nil {
				return err
			}
			s, err := p.Reactivate(ctx, t.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is %s\n", s.Slug, s.Status)
			return nil
		})
	}}
	t.AddCommand(list, show, suspend, reactivate)
	return t
}
