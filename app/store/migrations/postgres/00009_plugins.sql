-- +goose Up
-- Plugins (PLG-1..7). plugin_installs is a platform table: the executables the platform admin
-- installed, with the SHA-256 pinned at install and checked before every launch.
-- plugin_activations is the platform's directory of which tenant enabled which plugin (no
-- tenant data: the event worker finds its work there without crossing RLS). The rest are
-- tenant tables: a tenant's enablement and configuration with the event cursor of the
-- plugin (plugin_settings), and the record store the host API gives plugins
-- (plugin_records, with plugin_record_index holding the declared indexed fields).
CREATE TABLE plugin_installs (
  id           text PRIMARY KEY,
  file         text NOT NULL,
  sha256       text NOT NULL,
  manifest     jsonb NOT NULL,
  installed_at timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);

CREATE TABLE plugin_activations (
  plugin_id text NOT NULL,
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  PRIMARY KEY (plugin_id, tenant_id)
);

CREATE TABLE plugin_settings (
  tenant_id        uuid NOT NULL REFERENCES tenants(id),
  plugin_id        text NOT NULL,
  enabled          boolean NOT NULL DEFAULT false,
  config           jsonb NOT NULL DEFAULT '{}',
  event_cursor     uuid,
  event_failures   integer NOT NULL DEFAULT 0,
  last_event_error text NOT NULL DEFAULT '',
  version          bigint NOT NULL DEFAULT 1,
  updated_by       uuid,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, plugin_id)
);
SELECT crm_enable_rls('plugin_settings');

CREATE TABLE plugin_records (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  plugin_id  text NOT NULL,
  type       text NOT NULL,
  id         text NOT NULL,
  data       jsonb NOT NULL,
  version    bigint NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, plugin_id, type, id)
);
SELECT crm_enable_rls('plugin_records');

CREATE TABLE plugin_record_index (
  tenant_id uuid NOT NULL,
  plugin_id text NOT NULL,
  type      text NOT NULL,
  field     text NOT NULL,
  value     text NOT NULL,
  record_id text NOT NULL,
  PRIMARY KEY (tenant_id, plugin_id, type, field, value, record_id),
  FOREIGN KEY (tenant_id, plugin_id, type, record_id) REFERENCES plugin_records (tenant_id, plugin_id, type, id) ON DELETE CASCADE
);
CREATE INDEX plugin_record_index_record ON plugin_record_index (tenant_id, plugin_id, type, record_id);
SELECT crm_enable_rls('plugin_record_index');

-- +goose Down
DROP TABLE plugin_record_index, plugin_records, plugin_settings, plugin_activations, plugin_installs;
