-- +goose Up
-- Customer archive (CUS-1..11), contacts (CUS-4), the event outbox (PLG-3 / EXP-3) and
-- background job bookkeeping. pg_trgm indexes serve Chinese substring search of 3+ characters.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE customers (
  tenant_id            uuid NOT NULL REFERENCES tenants(id),
  id                   uuid NOT NULL,
  type                 text NOT NULL,
  name                 text NOT NULL,
  short_name           text NOT NULL DEFAULT '',
  credit_code          text NOT NULL DEFAULT '',
  industry             text NOT NULL DEFAULT '',
  employees            integer,
  annual_revenue       numeric(20,2),
  province             text NOT NULL DEFAULT '',
  city                 text NOT NULL DEFAULT '',
  district             text NOT NULL DEFAULT '',
  street_enc           text NOT NULL DEFAULT '',
  region               text NOT NULL DEFAULT '',
  business_scope       text NOT NULL DEFAULT '',
  legal_representative text NOT NULL DEFAULT '',
  source               text NOT NULL DEFAULT '',
  stage                text NOT NULL,
  tier                 text NOT NULL,
  intent_class         text,
  value_class          text,
  classification       jsonb NOT NULL DEFAULT '{}',
  credit               jsonb NOT NULL DEFAULT '{}',
  owner_id             uuid,
  department_id        uuid,
  in_pool              boolean NOT NULL DEFAULT false,
  pool_entered_at      timestamptz,
  former_owner_id      uuid,
  tags                 jsonb NOT NULL DEFAULT '[]',
  phone_enc            text NOT NULL DEFAULT '',
  phone_hash           text NOT NULL DEFAULT '',
  id_number_enc        text NOT NULL DEFAULT '',
  email                text NOT NULL DEFAULT '',
  birthday             date,
  custom_fields        jsonb NOT NULL DEFAULT '{}',
  profile              jsonb NOT NULL DEFAULT '{}',
  last_follow_up_at    timestamptz,
  next_follow_up_at    timestamptz,
  churned_at           timestamptz,
  churn_reason         text NOT NULL DEFAULT '',
  deleted_at           timestamptz,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  version              bigint NOT NULL DEFAULT 1,
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
CREATE INDEX customers_name_trgm ON customers USING gin (name gin_trgm_ops);
CREATE INDEX customers_tags ON customers USING gin (tags jsonb_path_ops);
SELECT crm_enable_rls('customers');

CREATE TABLE contacts (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  id            uuid NOT NULL,
  customer_id   uuid NOT NULL,
  name          text NOT NULL,
  title         text NOT NULL DEFAULT '',
  phone_enc     text NOT NULL DEFAULT '',
  phone_hash    text NOT NULL DEFAULT '',
  email         text NOT NULL DEFAULT '',
  wechat        text NOT NULL DEFAULT '',
  birthday      date,
  is_primary    boolean NOT NULL DEFAULT false,
  decision_role text NOT NULL DEFAULT '',
  notes         text NOT NULL DEFAULT '',
  deleted_at    timestamptz,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  version       bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id)
);
CREATE INDEX contacts_customer ON contacts (tenant_id, customer_id, id);
CREATE INDEX contacts_phone ON contacts (tenant_id, phone_hash) WHERE phone_hash <> '';
SELECT crm_enable_rls('contacts');

-- Domain events written in the same transaction as the change that caused them; consumers
-- (plugins, outgoing webhooks) read them in ID order (UUIDv7: time-ordered) per tenant.
CREATE TABLE outbox (
  tenant_id    uuid NOT NULL REFERENCES tenants(id),
  id           uuid NOT NULL,
  type         text NOT NULL,
  entity       text NOT NULL,
  entity_id    uuid NOT NULL,
  actor_id     uuid,
  payload      jsonb NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX outbox_entity ON outbox (tenant_id, entity_id, id);
SELECT crm_enable_rls('outbox');

-- +goose Down
DROP TABLE outbox, contacts, customers CASCADE;
