package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/plugins/host"
)

// pluginsCmd is `crm plugins install PATH | list`: the platform admin's plugin installation
// (tenants enable and configure installed plugins through the API).
func pluginsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "plugins", Short: "Install and list plugins (platform administration)"}
	cmd.AddCommand(&cobra.Command{Use: "install PATH", Args: cobra.ExactArgs(1),
		Short: "Copy a plugin executable into CRM_PLUGIN_DIR, pin its SHA-256 and record it",
		RunE: func(c *cobra.Command, args []string) error {
			cfg := config.FromEnv()
			db, err := openApp(c.Context(), cfg, cfg.Logger())
			if err != nil {
				return err
			}
			defer db.Close()
			in, err := host.Install(c.Context(), db, cfg.PluginDir, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(c.OutOrStdout(), "installed %s (sha256 %s) in %s; running servers start it within 30 seconds\n", in.ID, in.SHA256, cfg.PluginDir)
			return nil
		}})
	cmd.AddCommand(&cobra.Command{Use: "list", Short: "List installed plugins", RunE: func(c *cobra.Command, _ []string) error {
		cfg := config.FromEnv()
		db, err := openApp(c.Context(), cfg, cfg.Logger())
		if err != nil {
			return err
		}
		defer db.Close()
		list, err := host.Installed(c.Context(), db)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(c.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tFILE\tSHA256\tINSTALLED")
		for _, in := range list {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", in.ID, in.File, in.SHA256, in.InstalledAt.Format("2006-01-02 15:04"))
		}
		return w.Flush()
	}})
	return cmd
}
