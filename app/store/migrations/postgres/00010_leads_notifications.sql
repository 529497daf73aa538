-- +goose Up
-- Leads 線索 (EXP-1): prospects kept apart from customers until converted. The phone is sealed
-- (field encryption, like customers') with a keyed hash for exact search; custom_fields holds
-- what plugins add. A converted lead names the customer, contact and opportunity it became.
-- Deleted leads keep their row (deleted_at) for the history. customer_id, contact_id and
-- opportunity_id have no foreign keys: they record what the lead became, and a customer
-- purged from the recycle bin must not take the lead's history with it.
CREATE TABLE leads (
  tenant_id        uuid NOT NULL REFERENCES tenants(id),
  id               uuid NOT NULL,
  name             text NOT NULL,
  company          text NOT NULL DEFAULT '',
  phone_enc        text NOT NULL DEFAULT '',
  phone_hash       text NOT NULL DEFAULT '',
  email            text NOT NULL DEFAULT '',
  source           text NOT NULL DEFAULT '',
  region           text NOT NULL DEFAULT '',
  industry         text NOT NULL DEFAULT '',
  status           text NOT NULL,
  owner_id         uuid,
  department_id    uuid,
  notes            text NOT NULL DEFAULT '',
  product          text NOT NULL DEFAULT '',
  quantity         numeric(20,4),
  custom_fields    jsonb NOT NULL DEFAULT '{}',
  customer_id      uuid,
  contact_id       uuid,
  opportunity_id   uuid,
  converted_at     timestamptz,
  deleted_at       timestamptz,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  version          bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, id)
);
CREATE INDEX leads_owner ON leads (tenant_id, owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_department ON leads (tenant_id, department_id, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_status ON leads (tenant_id, status, id) WHERE deleted_at IS NULL;
CREATE INDEX leads_phone ON leads (tenant_id, phone_hash) WHERE phone_hash <> '';
SELECT crm_enable_rls('leads');

-- Round-robin position of each lead assignment rule (tenants.LeadRule), keyed by the rule's
-- region and industry: how many leads the rule has handed out.
CREATE TABLE lead_assignment_state (
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  rule_key  text NOT NULL,
  assigned  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, rule_key)
);
SELECT crm_enable_rls('lead_assignment_state');

-- In-app notifications (EXP-7), rendered in the recipient's language when created.
-- dedupe_key makes one per user and key (a retried reminder job); emailed_at says the mail
-- went out.
CREATE TABLE notifications (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  id         uuid NOT NULL,
  user_id    uuid NOT NULL,
  kind       text NOT NULL,
  dedupe_key text NOT NULL DEFAULT '',
  title      text NOT NULL,
  body       text NOT NULL,
  entity     text NOT NULL DEFAULT '',
  entity_id  uuid,
  created_at timestamptz NOT NULL,
  read_at    timestamptz,
  emailed_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_user ON notifications (tenant_id, user_id, id);
CREATE UNIQUE INDEX notifications_dedupe ON notifications (tenant_id, user_id, dedupe_key) WHERE dedupe_key <> '';
SELECT crm_enable_rls('notifications');

-- +goose Down
DROP TABLE notifications, lead_assignment_state, leads;
