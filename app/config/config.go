// Package config reads the CRM_* environment variables. Every variable has a safe default so
// that `crm serve` runs with none set; README.md documents them all.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Config is the process configuration.
type Config struct {
	Addr               string
	DatabaseURL        string
	MigrateDatabaseURL string
	// AllowUnsafeDBRole serves on a PostgreSQL role that row-level security does not bind
	// (superuser, BYPASSRLS, table owner); without it the server refuses to start on one.
	AllowUnsafeDBRole bool
	SecretKey         string
	EncryptionKeys    string
	BaseURL           string
	PluginDir         string
	SMTPURL           string
	SMTPFrom          string
	StripeSecretKey   string
	StripeWebhookKey  string
	StripeAPIBase     string
	LogLevel          string
	LogFormat         string
	// TrustedProxies (CRM_TRUSTED_PROXIES) are the addresses and CIDR ranges of the reverse
	// proxies whose X-Forwarded-For the server believes; empty: none, the socket's address is
	// the client's.
	TrustedProxies string
	// RedisURL (CRM_REDIS_URL) shares rate-limit counts between replicas; empty: each process
	// counts on its own.
	RedisURL string
	// RateLimitToken and RateLimitTenant (CRM_RATE_LIMIT_TOKEN, CRM_RATE_LIMIT_TENANT) are the
	// API requests allowed per minute per API token or session user, and per tenant; empty:
	// the server's defaults, 0: no limit.
	RateLimitToken  string
	RateLimitTenant string
	// MetricsAddr (CRM_METRICS_ADDR) is a separate listen address for /metrics; empty: /metrics
	// on the main address behind MetricsToken (CRM_METRICS_TOKEN), or not served without one.
	MetricsAddr  string
	MetricsToken string
	// BackupDir (CRM_BACKUP_DIR) is where `crm backup` writes scheduled backups; empty: the
	// backups folder of the data folder.
	BackupDir string
	// BackupKeep (CRM_BACKUP_KEEP) is how many scheduled backups rotation keeps; empty: 7,
	// 0: all.
	BackupKeep string
	// BackupDatabaseURL (CRM_BACKUP_DATABASE_URL) is the PostgreSQL role pg_dump runs as: it
	// must read every tenant's rows (BYPASSRLS); empty: the migration role's URL.
	BackupDatabaseURL string
}

// FromEnv reads the configuration from the environment.
func FromEnv() Config {
	c := Config{
		Addr:             env("CRM_ADDR", ":8080"),
		DatabaseURL:      env("CRM_DATABASE_URL", "sqlite://./data/crm.db"),
		SecretKey:        os.Getenv("CRM_SECRET_KEY"),
		EncryptionKeys:   os.Getenv("CRM_ENCRYPTION_KEYS"),
		BaseURL:          strings.TrimRight(env("CRM_BASE_URL", "http://localhost:8080"), "/"),
		PluginDir:        env("CRM_PLUGIN_DIR", "./data/plugins"),
		SMTPURL:          os.Getenv("CRM_SMTP_URL"),
		SMTPFrom:         os.Getenv("CRM_SMTP_FROM"),
		StripeSecretKey:  os.Getenv("CRM_STRIPE_SECRET_KEY"),
		StripeWebhookKey: os.Getenv("CRM_STRIPE_WEBHOOK_SECRET"),
		StripeAPIBase:    os.Getenv("CRM_STRIPE_API_BASE"),
		LogLevel:         env("CRM_LOG_LEVEL", "info"),
		LogFormat:        env("CRM_LOG_FORMAT", "json"),
		TrustedProxies:   os.Getenv("CRM_TRUSTED_PROXIES"),
		RedisURL:         os.Getenv("CRM_REDIS_URL"),
		RateLimitToken:   os.Getenv("CRM_RATE_LIMIT_TOKEN"),
		RateLimitTenant:  os.Getenv("CRM_RATE_LIMIT_TENANT"),
		MetricsAddr:      os.Getenv("CRM_METRICS_ADDR"),
		MetricsToken:     os.Getenv("CRM_METRICS_TOKEN"),
	}
	c.MigrateDatabaseURL = env("CRM_MIGRATE_DATABASE_URL", c.DatabaseURL)
	c.AllowUnsafeDBRole = os.Getenv("CRM_ALLOW_UNSAFE_DB_ROLE") == "1"
	c.BackupDir = env("CRM_BACKUP_DIR", filepath.Join(c.DataDir(), "backups"))
	c.BackupKeep = os.Getenv("CRM_BACKUP_KEEP")
	c.BackupDatabaseURL = env("CRM_BACKUP_DATABASE_URL", c.MigrateDatabaseURL)
	return c
}

// MailFrom is the sender of mail: CRM_SMTP_FROM, else noreply@ the base URL's host.
func (c Config) MailFrom() string {
	if c.SMTPFrom != "" {
		return c.SMTPFrom
	}
	host := strings.TrimPrefix(strings.TrimPrefix(c.BaseURL, "https://"), "http://")
	if i := strings.IndexAny(host, ":/"); i >= 0 {
		host = host[:i]
	}
	if host == "" {
		host = "localhost"
	}
	return "noreply@" + host
}

// RateLimits reads CRM_RATE_LIMIT_TOKEN and CRM_RATE_LIMIT_TENANT, each a whole number of
// requests per minute: unset gives def, 0 means no limit.
func (c Config) RateLimits(defToken, defTenant int) (token, tenant int, err error) {
	if token, err = perMinute("CRM_RATE_LIMIT_TOKEN", c.RateLimitToken, defToken); err != nil {
		return 0, 0, err
	}
	tenant, err = perMinute("CRM_RATE_LIMIT_TENANT", c.RateLimitTenant, defTenant)
	return token, tenant, err
}

// BackupRetention reads CRM_BACKUP_KEEP: how many scheduled backups to keep (unset: 7,
// 0: all).
func (c Config) BackupRetention() (int, error) {
	v := strings.TrimSpace(c.BackupKeep)
	if v == "" {
		return 7, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("CRM_BACKUP_KEEP=%q: want a whole number of backups to keep (0: all)", v)
	}
	return n, nil
}

func perMinute(name, v string, def int) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q: want a whole number of requests per minute (0: no limit)", name, v)
	}
	return n, nil
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// DataDir is the folder of the SQLite file (or ./data on PostgreSQL), where a generated secret
// key is kept.
func (c Config) DataDir() string {
	if p, ok := strings.CutPrefix(c.DatabaseURL, "sqlite://"); ok {
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return filepath.Dir(p)
	}
	return "./data"
}

// EnsureSecretKey fills SecretKey: from CRM_SECRET_KEY, else from data/secret.key, else a new
// random key written there (with a warning, since losing it signs everyone out). The file is
// created readable by the server's user only; an existing file that others may read, or that
// holds a short key, is refused rather than used or replaced: either would let sessions and
// signed links be forged, and replacing it would hide that.
func (c *Config) EnsureSecretKey(log *slog.Logger) error {
	if c.SecretKey != "" {
		if len(c.SecretKey) < MinSecretKeyLen {
			return fmt.Errorf("CRM_SECRET_KEY is shorter than %d characters", MinSecretKeyLen)
		}
		return nil
	}
	path := filepath.Join(c.DataDir(), "secret.key")
	f, err := os.Open(path)
	switch {
	case err == nil:
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return fmt.Errorf("%s may be read by other users (mode %v): chmod 600 it, or replace it and sign everyone out", path, fi.Mode().Perm())
		}
		b, err := io.ReadAll(io.LimitReader(f, 4096))
		if err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		key := strings.TrimSpace(string(b))
		if len(key) < MinSecretKeyLen {
			return fmt.Errorf("%s holds a key shorter than %d characters: replace it with a random one (this signs everyone out)", path, MinSecretKeyLen)
		}
		c.SecretKey = key
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("read %s: %w", path, err)
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return err
	}
	key := hex.EncodeToString(buf)
	if err := os.MkdirAll(c.DataDir(), 0o700); err != nil {
		return err
	}
	// O_EXCL: two servers starting at once on one folder must not each write their own key.
	nf, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return c.EnsureSecretKey(log)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := nf.WriteString(key + "\n"); err != nil {
		nf.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := nf.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	c.SecretKey = key
	log.Warn("CRM_SECRET_KEY is not set; generated one", "path", path)
	return nil
}

// MinSecretKeyLen is the shortest secret key accepted.
const MinSecretKeyLen = 32

// Logger builds the process logger from CRM_LOG_LEVEL and CRM_LOG_FORMAT.
func (c Config) Logger() *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}
