package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/smecrm/crm/app/backup"
	"github.com/smecrm/crm/app/config"
	"github.com/smecrm/crm/app/server"
	"github.com/smecrm/crm/app/store"
)

// fileRoots are the folders a backup holds besides the database: the data folder (the
// secret key file, the SQLite database's folder) and the plugin executables.
func fileRoots(cfg config.Config) map[string]string {
	return map[string]string{"data": cfg.DataDir(), "plugins": cfg.PluginDir}
}

func backupOptions(cfg config.Config) (backup.Options, error) {
	dialect, err := backup.Dialect(cfg.DatabaseURL)
	if err != nil {
		return backup.Options{}, err
	}
	src := cfg.DatabaseURL
	if dialect == store.Postgres {
		src = cfg.BackupDatabaseURL
	}
	return backup.Options{DatabaseURL: src, Files: fileRoots(cfg), Skip: []string{cfg.BackupDir}, Version: server.Version}, nil
}

func backupCmd() *cobra.Command {
	var output string
	var keep int
	c := &cobra.Command{
		Use:   "backup [--output FILE]",
		Short: "Write a consistent backup archive of the database and the files (scheduled backups rotate)",
		Long: `Without --output the archive goes to CRM_BACKUP_DIR as crm-backup-<UTC time>.tar.gz and
older scheduled backups beyond CRM_BACKUP_KEEP (default 7) are removed. The server may keep
running: SQLite is copied with VACUUM INTO, PostgreSQL dumped with pg_dump (custom format) as
CRM_BACKUP_DATABASE_URL, a role with BYPASSRLS.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := config.FromEnv()
			opt, err := backupOptions(cfg)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("keep") {
				if keep, err = cfg.BackupRetention(); err != nil {
					return err
				}
			}
			path, scheduled := output, output == ""
			if scheduled {
				path = filepath.Join(cfg.BackupDir, backup.ScheduledName(time.Now()))
			}
			m, err := backup.WriteFile(cmd.Context(), path, opt)
			if err != nil {
				return err
			}
			var rows int64
			for _, n := range m.Tables {
				rows += n
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "wrote %s (%s, %d tables, %d rows, %d members)\n", path, m.Dialect, len(m.Tables), rows, len(m.Members))
			if scheduled {
				removed, err := backup.Rotate(cfg.BackupDir, keep)
				for _, p := range removed {
					fmt.Fprintf(w, "removed old backup %s\n", p)
				}
				return err
			}
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "write the archive here (no rotation)")
	c.Flags().IntVar(&keep, "keep", 7, "scheduled backups to keep (default CRM_BACKUP_KEEP, else 7; 0: all)")
	c.AddCommand(verifyCmd())
	return c
}

func verifyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "verify ARCHIVE",
		Short: "Restore drill: restore the archive into scratch and compare row counts and checksums",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := config.FromEnv()
			ex, scratch, err := extract(args[0])
			if err != nil {
				return err
			}
			defer os.RemoveAll(scratch)
			if err := verifyExtracted(cmd.Context(), cfg, ex, scratch); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is good: %s backup of %s, %d tables and %d members match\n",
				args[0], ex.Manifest.Dialect, ex.Manifest.CreatedAt.Format(time.RFC3339), len(ex.Manifest.Tables), len(ex.Manifest.Members))
			return nil
		},
	}
}

// extract unpacks an archive into a new scratch folder beside the system's temporary files.
func extract(archive string) (*backup.Extracted, string, error) {
	scratch, err := os.MkdirTemp("", "crm-restore-*")
	if err != nil {
		return nil, "", err
	}
	ex, err := backup.Extract(archive, filepath.Join(scratch, "archive"))
	if err != nil {
		os.RemoveAll(scratch)
		return nil, "", err
	}
	return ex, scratch, nil
}

func verifyExtracted(ctx context.Context, cfg config.Config, ex *backup.Extracted, scratch string) error {
	if err := backup.VerifyFiles(ex, filepath.Join(scratch, "files")); err != nil {
		return err
	}
	if ex.Manifest.Dialect == store.SQLite {
		return backup.ScratchSQLite(ctx, ex, scratch)
	}
	// PostgreSQL: a scratch database on the configured server, dropped afterwards.
	name := fmt.Sprintf("crm_verify_%d", time.Now().UnixNano())
	t, err := pgTarget(cfg, name)
	if err != nil {
		return err
	}
	if err := backup.CreateDatabase(ctx, cfg.MigrateDatabaseURL, name); err != nil {
		return err
	}
	defer backup.DropDatabase(context.WithoutCancel(ctx), cfg.MigrateDatabaseURL, name)
	t.AppURL = "" // a drill grants nobody
	return backup.RestorePostgres(ctx, ex, t)
}

// pgTarget names database name with the configured roles: the owner restores, the app role is
// granted, the backup role counts.
func pgTarget(cfg config.Config, name string) (backup.PostgresTarget, error) {
	var t backup.PostgresTarget
	var err error
	if t.OwnerURL, err = backup.WithDatabase(cfg.MigrateDatabaseURL, name); err != nil {
		return t, err
	}
	if cfg.DatabaseURL != cfg.MigrateDatabaseURL {
		if t.AppURL, err = backup.WithDatabase(cfg.DatabaseURL, name); err != nil {
			return t, err
		}
	}
	t.ReadURL, err = backup.WithDatabase(cfg.BackupDatabaseURL, name)
	return t, err
}

func restoreCmd() *cobra.Command {
	var to, filesTo string
	c := &cobra.Command{
		Use:   "restore ARCHIVE [--to URL]",
		Short: "Restore a backup into a new database (and the files), check it, then switch to it",
		Long: `The archive is checked first (every member's SHA-256 and size against its manifest); a
damaged one is refused before anything is written. The database is restored beside the live
one and its row counts compared with the manifest; only then does the switch happen:
SQLite: the live file moves aside to <file>.pre-restore-<time> and the restored file takes its
name (stop the server first). PostgreSQL: the dump goes into a new database (<name>_restore_<time>,
created by the migration role, which needs CREATEDB); with no sessions on the live database it
is renamed aside and the new one takes its name, otherwise the commands to switch are printed.
With --to the restore goes to that database (a sqlite:// file that must not exist, or an empty
PostgreSQL database as its owner) and nothing is switched.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			cfg := config.FromEnv()
			w := cmd.OutOrStdout()
			ex, scratch, err := extract(args[0])
			if err != nil {
				return err
			}
			defer os.RemoveAll(scratch)
			now := time.Now().UTC()
			stamp := now.Format("20060102T150405Z")
			if ex.Manifest.Dialect == store.SQLite {
				err = restoreSQLite(ctx, w, cfg, ex, to, now)
			} else {
				err = restorePostgres(ctx, w, cfg, ex, to, stamp)
			}
			if err != nil {
				return err
			}
			roots := fileRoots(cfg)
			if filesTo != "" {
				for r := range roots {
					roots[r] = filepath.Join(filesTo, r)
				}
			}
			n, err := backup.RestoreFiles(ex, roots)
			if err != nil {
				return fmt.Errorf("restore files: %w", err)
			}
			fmt.Fprintf(w, "restored %d files\n", n)
			return nil
		},
	}
	c.Flags().StringVar(&to, "to", "", "restore into this database instead, without switching")
	c.Flags().StringVar(&filesTo, "files-to", "", "restore the files under this folder instead of the configured ones")
	return c
}

func restoreSQLite(ctx context.Context, w io.Writer, cfg config.Config, ex *backup.Extracted, to string, now time.Time) error {
	if to != "" {
		if d, err := backup.Dialect(to); err != nil || d != store.SQLite {
			return fmt.Errorf("--to must be a sqlite:// URL for a SQLite backup")
		}
		path := backup.SQLitePath(to)
		if err := backup.RestoreSQLite(ctx, ex, path); err != nil {
			return err
		}
		fmt.Fprintf(w, "restored the database into %s (row counts match); set CRM_DATABASE_URL=%s to use it\n", path, to)
		return nil
	}
	if d, _ := backup.Dialect(cfg.DatabaseURL); d != store.SQLite {
		return fmt.Errorf("the backup is of a SQLite database but CRM_DATABASE_URL is not: pass --to sqlite://FILE")
	}
	live := backup.SQLitePath(cfg.DatabaseURL)
	beside := live + ".restored-" + now.Format("20060102T150405Z")
	if err := backup.RestoreSQLite(ctx, ex, beside); err != nil {
		return err
	}
	aside, err := backup.SwitchSQLite(ctx, live, beside, now)
	if err != nil {
		return fmt.Errorf("switch to the restored database %s: %w", beside, err)
	}
	fmt.Fprintf(w, "restored the database into %s (row counts match)\n", live)
	if aside != "" {
		fmt.Fprintf(w, "the previous database is kept as %s (rename it back to roll back)\n", aside)
	}
	return nil
}

func restorePostgres(ctx context.Context, w io.Writer, cfg config.Config, ex *backup.Extracted, to, stamp string) error {
	if to != "" {
		name, err := backup.DatabaseName(to)
		if err != nil {
			return err
		}
		t, err := pgTarget(cfg, name)
		if err != nil {
			return err
		}
		t.OwnerURL = to
		if err := backup.RestorePostgres(ctx, ex, t); err != nil {
			return err
		}
		fmt.Fprintf(w, "restored into database %s (row counts match); point CRM_DATABASE_URL and CRM_MIGRATE_DATABASE_URL at it to use it\n", name)
		return nil
	}
	live, err := backup.DatabaseName(cfg.MigrateDatabaseURL)
	if err != nil {
		return err
	}
	name := live + "_restore_" + stamp
	t, err := pgTarget(cfg, name)
	if err != nil {
		return err
	}
	if err := backup.CreateDatabase(ctx, cfg.MigrateDatabaseURL, name); err != nil {
		return err
	}
	if err := backup.RestorePostgres(ctx, ex, t); err != nil {
		return fmt.Errorf("%w (the new database %s is left for inspection; drop it when done)", err, name)
	}
	fmt.Fprintf(w, "restored into the new database %s (row counts match)\n", name)
	aside := live + "_pre_restore_" + stamp
	if err := switchPostgres(ctx, t.OwnerURL, live, name, aside); err != nil {
		fmt.Fprintf(w, "not switched (%v). With the servers stopped, run as the owner role:\n"+
			"  ALTER DATABASE %s RENAME TO %s;   -- connected to %s\n"+
			"  ALTER DATABASE %s RENAME TO %s;   -- connected to %s\n"+
			"or point CRM_DATABASE_URL and CRM_MIGRATE_DATABASE_URL at %s.\n",
			err, pgx.Identifier{live}.Sanitize(), pgx.Identifier{aside}.Sanitize(), name,
			pgx.Identifier{name}.Sanitize(), pgx.Identifier{live}.Sanitize(), aside, name)
		return nil
	}
	fmt.Fprintf(w, "switched: %s is the restored database; the previous one is kept as %s\n", live, aside)
	return nil
}

// switchPostgres renames live aside and the restored database to live. PostgreSQL renames a
// database only when nobody is connected to it (and never the one the session is on), so a
// running server makes the first rename fail and nothing changes.
func switchPostgres(ctx context.Context, restoredURL, live, restored, aside string) error {
	rename := func(connURL, from, to string) error {
		db, err := sql.Open("pgx", connURL)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.ExecContext(ctx, "ALTER DATABASE "+pgx.Identifier{from}.Sanitize()+" RENAME TO "+pgx.Identifier{to}.Sanitize())
		return err
	}
	if err := rename(restoredURL, live, aside); err != nil {
		return err
	}
	asideURL, err := backup.WithDatabase(restoredURL, aside)
	if err != nil {
		return err
	}
	if err := rename(asideURL, restored, live); err != nil {
		_ = rename(restoredURL, aside, live) // put the live database back
		return err
	}
	return nil
}
