-- +goose Up
-- Leads 線索 (EXP-1), the round-robin state of lead assignment rules, and in-app
-- notifications (EXP-7); see postgres/00010.
CREATE TABLE leads (
  tenant_id        TEXT NOT NULL REFERENCES tenants(id),
  id               TEXT NOT NULL,
  name             TEXT NOT NULL,
  company          TEXT NOT NULL DEFAULT '',
  phone_enc        TEXT NOT NULL DEFAULT '',
  phone_hash       TEXT NOT NULL DEFAULT '',
  email            TEXT NOT NULL DEFAULT '',
  source           TEXT NOT NULL DEFAULT '',
  region           TEXT NOT NULL DEFAULT '',
  industry         TEXT NOT NULL DEFAULT '',
  status           TEXT NOT NULL,
  owner_id         TEXT,
  department_id    TEXT,
  notes            TEXT NOT NULL DEFAULT '',
  product          TEXT NOT NULL DEFAULT '',
  quantity         NUMERIC,
  custom_fields    JSON NOT NULL DEFAULT '{}',
  customer_id      TEXT,
  contact_id       TEXT,
  opportunity_id   TEXT,
  converted_at     DATETIME,
  deleted_at       DATETIME,
  created_at       DATETIME NOT NULL,
  updated_at       DATETIME NOT NULL,
  version          INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, id)
);
CREATE INDEX leads_owner ON leads (tenant_id, owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_department ON leads (tenant_id, department_id, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_status ON leads (tenant_id, status, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_phone ON leads (tenant_id, phone_hash) WHERE phone_hash <> '';

CREATE TABLE lead_assignment_state (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  rule_key  TEXT NOT NULL,
  assigned  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, rule_key)
);

CREATE TABLE notifications (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id),
  id         TEXT NOT NULL,
  user_id    TEXT NOT NULL,
  kind       TEXT NOT NULL,
  dedupe_key TEXT NOT NULL DEFAULT '',
  title      TEXT NOT NULL,
  body       TEXT NOT NULL,
  entity     TEXT NOT NULL DEFAULT '',
  entity_id  TEXT,
  created_at DATETIME NOT NULL,
  read_at    DATETIME,
  emailed_at DATETIME,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_user ON notifications (tenant_id, user_id, id);
CREATE UNIQUE INDEX notifications_dedupe ON notifications (tenant_id, user_id, dedupe_key) WHERE dedupe_key <> '';

-- +goose Down
DROP TABLE notifications;
DROP TABLE lead_assignment_state;
DROP TABLE leads;
