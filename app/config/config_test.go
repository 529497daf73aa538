package config

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestSecretKeyFile(t *testing.T) {
	newCfg := func(dir string) Config { return Config{DatabaseURL: "sqlite://" + filepath.Join(dir, "crm.db")} }

	t.Run("created readable by the owner only, and read back", func(t *testing.T) {
		dir := t.TempDir()
		c := newCfg(dir)
		if err := c.EnsureSecretKey(quiet()); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(filepath.Join(dir, "secret.key"))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600", fi.Mode().Perm())
		}
		if len(c.SecretKey) < MinSecretKeyLen {
			t.Errorf("generated key %q is short", c.SecretKey)
		}
		again := newCfg(dir)
		if err := again.EnsureSecretKey(quiet()); err != nil || again.SecretKey != c.SecretKey {
			t.Errorf("second start: %q %v, want the same key", again.SecretKey, err)
		}
	})

	refused := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"readable by others", strings.Repeat("k", 64), 0o644, "read by other users"},
		{"readable by the group", strings.Repeat("k", 64), 0o640, "read by other users"},
		{"short key", "short", 0o600, "shorter than"},
	}
	for _, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "secret.key")
			if err := os.WriteFile(path, []byte(r.content), r.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, r.mode); err != nil { // past the umask
				t.Fatal(err)
			}
			c := newCfg(dir)
			err := c.EnsureSecretKey(quiet())
			if err == nil || !strings.Contains(err.Error(), r.want) {
				t.Fatalf("err %v, want one saying %q", err, r.want)
			}
			if c.SecretKey != "" {
				t.Errorf("a refused file's key was used")
			}
			if b, _ := os.ReadFile(path); string(b) != r.content {
				t.Errorf("the refused file was replaced: %q", b)
			}
		})
	}

	t.Run("a short CRM_SECRET_KEY is refused", func(t *testing.T) {
		c := Config{SecretKey: "too short"}
		if err := c.EnsureSecretKey(quiet()); err == nil {
			t.Fatal("accepted a 9-character key")
		}
	})
}
