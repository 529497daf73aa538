package host

import (
	"time"

	"github.com/google/uuid"
	"gorm.io/datatypes"
)

// Installation is an installed plugin executable (a platform table): its file in the plugin
// folder, the SHA-256 pinned at install and the manifest it described itself with.
type Installation struct {
	ID          string `gorm:"primaryKey"`
	File        string
	SHA256      string `gorm:"column:sha256"`
	Manifest    datatypes.JSON
	InstalledAt time.Time
	UpdatedAt   time.Time
}

// TableName is the installs table.
func (Installation) TableName() string { return "plugin_installs" }

// activation lists an enabled (plugin, tenant) pair in the platform directory.
type activation struct {
	PluginID string    `gorm:"primaryKey"`
	TenantID uuid.UUID `gorm:"primaryKey;column:tenant_id"`
}

func (activation) TableName() string { return "plugin_activations" }

// Setting is a tenant's enablement and configuration of a plugin, with the plugin's event
// cursor (the ID of the last outbox event delivered).
type Setting struct {
	TenantID       uuid.UUID `gorm:"primaryKey"`
	PluginID       string    `gorm:"primaryKey"`
	Enabled        bool
	Config         datatypes.JSON
	EventCursor    *uuid.UUID
	EventFailures  int
	LastEventError string
	Version        int64
	UpdatedBy      *uuid.UUID
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// TableName is the settings table.
func (Setting) TableName() string { return "plugin_settings" }

// recordRow is a document of a plugin's record store.
type recordRow struct {
	TenantID  uuid.UUID `gorm:"primaryKey"`
	PluginID  string    `gorm:"primaryKey"`
	Type      string    `gorm:"primaryKey"`
	ID        string    `gorm:"primaryKey"`
	Data      datatypes.JSON
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (recordRow) TableName() string { return "plugin_records" }

// indexRow is one indexed value of a record.
type indexRow struct {
	TenantID uuid.UUID `gorm:"primaryKey"`
	PluginID string    `gorm:"primaryKey"`
	Type     string    `gorm:"primaryKey"`
	Field    string    `gorm:"primaryKey"`
	Value    string    `gorm:"primaryKey"`
	RecordID string    `gorm:"primaryKey"`
}

func (indexRow) TableName() string { return "plugin_record_index" }
