-- +goose Up
-- Customer archive, contacts and the outbox; see postgres/00002. Chinese substring search of
-- 3+ characters uses an FTS5 trigram index over customer names, kept in step by triggers.
CREATE TABLE customers (
  tenant_id            TEXT NOT NULL REFERENCES tenants(id),
  id                   TEXT NOT NULL,
  type                 TEXT NOT NULL,
  name                 TEXT NOT NULL,
  short_name           TEXT NOT NULL DEFAULT '',
  credit_code          TEXT NOT NULL DEFAULT '',
  industry             TEXT NOT NULL DEFAULT '',
  employees            INTEGER,
  annual_revenue       TEXT,
  province             TEXT NOT NULL DEFAULT '',
  city                 TEXT NOT NULL DEFAULT '',
  district             TEXT NOT NULL DEFAULT '',
  street_enc           TEXT NOT NULL DEFAULT '',
  region               TEXT NOT NULL DEFAULT '',
  business_scope       TEXT NOT NULL DEFAULT '',
  legal_representative TEXT NOT NULL DEFAULT '',
  source               TEXT NOT NULL DEFAULT '',
  stage                TEXT NOT NULL,
  tier                 TEXT NOT NULL,
  intent_class         TEXT,
  value_class          TEXT,
  classification       TEXT NOT NULL DEFAULT '{}',
  credit               TEXT NOT NULL DEFAULT '{}',
  owner_id             TEXT,
  department_id        TEXT,
  in_pool              BOOLEAN NOT NULL DEFAULT false,
  pool_entered_at      DATETIME,
  former_owner_id      TEXT,
  tags                 TEXT NOT NULL DEFAULT '[]',
  phone_enc            TEXT NOT NULL DEFAULT '',
  phone_hash           TEXT NOT NULL DEFAULT '',
  id_number_enc        TEXT NOT NULL DEFAULT '',
  email                TEXT NOT NULL DEFAULT '',
  birthday             DATE,
  custom_fields        TEXT NOT NULL DEFAULT '{}',
  profile              TEXT NOT NULL DEFAULT '{}',
  last_follow_up_at    DATETIME,
  next_follow_up_at    DATETIME,
  churned_at           DATETIME,
  churn_reason         TEXT NOT NULL DEFAULT '',
  deleted_at           DATETIME,
  created_at           DATETIME NOT NULL,
  updated_at           DATETIME NOT NULL,
  version              INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, id)
);
CREATE INDEX customers_owner ON customers (tenant_id, owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_department ON customers (tenant_id, department_id, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_stage ON customers (tenant_id, stage, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_phone ON customers (tenant_id, phone_hash) WHERE phone_hash <> '';
CREATE INDEX customers_credit_code ON customers (tenant_id, credit_code) WHERE credit_code <> '';
CREATE INDEX customers_name_exact ON customers (tenant_id, name);
CREATE INDEX customers_pool ON customers (tenant_id, in_pool, id) WHERE deleted_at IS NULL;
CREATE INDEX customers_last_follow ON customers (tenant_id, last_follow_up_at) WHERE deleted_at IS NULL;

CREATE VIRTUAL TABLE customers_fts USING fts5(name, content='customers', content_rowid='rowid', tokenize='trigram');
-- +goose StatementBegin
CREATE TRIGGER customers_fts_ai AFTER INSERT ON customers BEGIN
  INSERT INTO customers_fts(rowid, name) VALUES (new.rowid, new.name);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER customers_fts_ad AFTER DELETE ON customers BEGIN
  INSERT INTO customers_fts(customers_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER customers_fts_au AFTER UPDATE OF name ON customers BEGIN
  INSERT INTO customers_fts(customers_fts, rowid, name) VALUES ('delete', old.rowid, old.name);
  INSERT INTO customers_fts(rowid, name) VALUES (new.rowid, new.name);
END;
-- +goose StatementEnd

CREATE TABLE contacts (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id),
  id            TEXT NOT NULL,
  customer_id   TEXT NOT NULL,
  name          TEXT NOT NULL,
  title         TEXT NOT NULL DEFAULT '',
  phone_enc     TEXT NOT NULL DEFAULT '',
  phone_hash    TEXT NOT NULL DEFAULT '',
  email         TEXT NOT NULL DEFAULT '',
  wechat        TEXT NOT NULL DEFAULT '',
  birthday      DATE,
  is_primary    BOOLEAN NOT NULL DEFAULT false,
  decision_role TEXT NOT NULL DEFAULT '',
  notes         TEXT NOT NULL DEFAULT '',
  deleted_at    DATETIME,
  created_at    DATETIME NOT NULL,
  updated_at    DATETIME NOT NULL,
  version       INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE INDEX contacts_customer ON contacts (tenant_id, customer_id, id);
CREATE INDEX contacts_phone ON contacts (tenant_id, phone_hash) WHERE phone_hash <> '';

CREATE TABLE outbox (
  tenant_id    TEXT NOT NULL REFERENCES tenants(id),
  id           TEXT NOT NULL,
  type         TEXT NOT NULL,
  entity       TEXT NOT NULL,
  entity_id    TEXT NOT NULL,
  actor_id     TEXT,
  payload      TEXT NOT NULL,
  created_at   DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbox_entity ON outbox (tenant_id, entity_id, id);

-- +goose Down
DROP TABLE outbox;
DROP TABLE contacts;
DROP TRIGGER customers_fts_au;
DROP TRIGGER customers_fts_ad;
DROP TRIGGER customers_fts_ai;
DROP TABLE customers_fts;
DROP TABLE customers;
