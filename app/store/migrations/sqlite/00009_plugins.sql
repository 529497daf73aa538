-- +goose Up
-- Plugins (PLG-1..7); see postgres/00009.
CREATE TABLE plugin_installs (
  id           TEXT PRIMARY KEY,
  file         TEXT NOT NULL,
  sha256       TEXT NOT NULL,
  manifest     TEXT NOT NULL,
  installed_at DATETIME NOT NULL,
  updated_at   DATETIME NOT NULL
);

CREATE TABLE plugin_activations (
  plugin_id TEXT NOT NULL,
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  PRIMARY KEY (plugin_id, tenant_id)
);

CREATE TABLE plugin_settings (
  tenant_id        TEXT NOT NULL REFERENCES tenants(id),
  plugin_id        TEXT NOT NULL,
  enabled          BOOLEAN NOT NULL DEFAULT false,
  config           TEXT NOT NULL DEFAULT '{}',
  event_cursor     TEXT,
  event_failures   INTEGER NOT NULL DEFAULT 0,
  last_event_error TEXT NOT NULL DEFAULT '',
  version          INTEGER NOT NULL DEFAULT 1,
  updated_by       TEXT,
  created_at       DATETIME NOT NULL,
  updated_at       DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, plugin_id)
);

CREATE TABLE plugin_records (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id),
  plugin_id  TEXT NOT NULL,
  type       TEXT NOT NULL,
  id         TEXT NOT NULL,
  data       TEXT NOT NULL,
  version    INTEGER NOT NULL,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, plugin_id, type, id)
);

CREATE TABLE plugin_record_index (
  tenant_id TEXT NOT NULL,
  plugin_id TEXT NOT NULL,
  type      TEXT NOT NULL,
  field     TEXT NOT NULL,
  value     TEXT NOT NULL,
  record_id TEXT NOT NULL,
  PRIMARY KEY (tenant_id, plugin_id, type, field, value, record_id),
  FOREIGN KEY (tenant_id, plugin_id, type, record_id) REFERENCES plugin_records (tenant_id, plugin_id, type, id) ON DELETE CASCADE
);
CREATE INDEX plugin_record_index_record ON plugin_record_index (tenant_id, plugin_id, type, record_id);

-- +goose Down
DROP TABLE plugin_record_index;
DROP TABLE plugin_records;
DROP TABLE plugin_settings;
DROP TABLE plugin_activations;
DROP TABLE plugin_installs;
