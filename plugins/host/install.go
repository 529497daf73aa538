package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"gorm.io/datatypes"
	"gorm.io/gorm/clause"

	"github.com/smecrm/crm/app/store"
	"github.com/smecrm/crm/plugins/sdk"
)

var pluginIDRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,38}[a-z0-9]$`)

// Install installs the plugin executable at src (PLG-5, platform admin): it copies it into
// dir, pins its SHA-256, launches the copy once — checksum verified — to read its manifest
// and protocol version, and records it. Installing a plugin again replaces the executable
// and the pinned checksum. Running servers pick new plugins up at their next start.
func Install(ctx context.Context, db *store.DB, dir, src string) (Installation, error) {
	var in Installation
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return in, err
	}
	f, err := os.Open(src)
	if err != nil {
		return in, err
	}
	defer f.Close()
	tmp, err := os.CreateTemp(dir, ".install-*")
	if err != nil {
		return in, err
	}
	defer os.Remove(tmp.Name())
	hash := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, hash), f); err != nil {
		tmp.Close()
		return in, err
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return in, err
	}
	if err := tmp.Close(); err != nil {
		return in, err
	}
	sum := hash.Sum(nil)
	m, err := describe(ctx, tmp.Name(), sum)
	if err != nil {
		return in, fmt.Errorf("plugin %s: %w", src, err)
	}
	if !pluginIDRE.MatchString(m.ID) {
		return in, fmt.Errorf("plugin %s: invalid id %q", src, m.ID)
	}
	if m.ProtocolVersion != sdk.ProtocolVersion {
		return in, fmt.Errorf("plugin %s speaks protocol %d; this CRM speaks %d", m.ID, m.ProtocolVersion, sdk.ProtocolVersion)
	}
	file := m.ID
	if err := os.Rename(tmp.Name(), filepath.Join(dir, file)); err != nil {
		return in, err
	}
	raw, _ := json.Marshal(m)
	now := time.Now().UTC()
	in = Installation{ID: m.ID, File: file, SHA256: hex.EncodeToString(sum), Manifest: datatypes.JSON(raw), InstalledAt: now, UpdatedAt: now}
	err = db.Gorm(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"file", "sha256", "manifest", "updated_at"})}).Create(&in).Error
	return in, err
}

// describe launches the executable at path (verifying sum), in the same sandbox as a
// supervised plugin, and returns its manifest.
func describe(ctx context.Context, path string, sum []byte) (sdk.Manifest, error) {
	sb, err := newSandbox("", "", "", slog.Default())
	if err != nil {
		return sdk.Manifest{}, fmt.Errorf("plugin sandbox: %w", err)
	}
	run, err := sb.prepare("install", path, sum)
	if err != nil {
		return sdk.Manifest{}, err
	}
	defer run.remove()
	pc := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:     sdk.Handshake,
		Plugins:             plugin.PluginSet{sdk.PluginName: &sdk.GRPCPlugin{}},
		Cmd:                 run.cmd,
		SkipHostEnv:         true,
		AllowedProtocols:    []plugin.Protocol{plugin.ProtocolGRPC},
		GRPCBrokerMultiplex: true,
		GRPCDialOptions:     []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(4 << 20))},
		StartTimeout:        10 * time.Second,
		Logger:              hclog.NewNullLogger(),
	})
	defer pc.Kill()
	proto, err := pc.Client()
	if err != nil {
		return sdk.Manifest{}, err
	}
	raw, err := proto.Dispense(sdk.PluginName)
	if err != nil {
		return sdk.Manifest{}, err
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	m, err := raw.(*sdk.Client).Describe(cctx)
	if err != nil {
		return sdk.Manifest{}, errors.Join(errors.New("describe"), err)
	}
	return m, nil
}

// Installed lists the installed plugins.
func Installed(ctx context.Context, db *store.DB) ([]Installation, error) {
	var out []Installation
	return out, db.Gorm(ctx).Order("id").Find(&out).Error
}
