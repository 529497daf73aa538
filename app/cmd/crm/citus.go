package main

import (
	"database/sql"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/smecrm/crm/app/backup"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/scaleout"
	"github.com/smecrm/crm/app/store"
)

func citusDDLCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "citus-ddl",
		Short: "Print the Citus distribution statements derived from the migrated PostgreSQL schema",
		Long: `Reads the catalog of the database CRM_MIGRATE_DATABASE_URL names (migrated first) and
prints create_reference_table for platform tables and create_distributed_table by tenant_id,
all co-located, for every tenant table (see docs/SCALE-OUT.md). It fails when the schema has
something Citus would refuse, listing it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := config.FromEnv()
			if d, _ := backup.Dialect(cfg.MigrateDatabaseURL); d != store.Postgres {
				return fmt.Errorf("citus-ddl reads a PostgreSQL schema: set CRM_MIGRATE_DATABASE_URL to a postgres:// URL")
			}
			db, err := sql.Open("pgx", cfg.MigrateDatabaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			p, err := scaleout.Derive(cmd.Context(), db)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "-- Citus distribution: %d tenant tables by tenant_id co-located with %s, %d reference tables, %d local.\n",
				len(p.Distributed), p.Anchor, len(p.Reference), len(p.Local))
			for _, n := range p.Notes {
				fmt.Fprintf(w, "-- note: %s\n", n)
			}
			for _, s := range p.Statements() {
				fmt.Fprintln(w, s)
			}
			if len(p.Problems) > 0 {
				for _, pr := range p.Problems {
					fmt.Fprintf(cmd.ErrOrStderr(), "problem: %s\n", pr)
				}
				return fmt.Errorf("the schema is not ready for Citus (%d problems)", len(p.Problems))
			}
			return nil
		},
	}
}
