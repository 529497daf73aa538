-- +goose Up
-- Follow-up records 跟進記錄 (SAL-1): who followed up which customer (and contact), how, when,
-- what came of it, the intent class after it and the next planned date. owner_id is the staff
-- member who followed up and department_id their department at the time: data scopes and the
-- sales reports (follow-up compliance) read them. A follow-up's plan (next_follow_up_at) is
-- open until the customer's next follow-up is logged: done_at and done_by_id then say when and
-- by which record it was kept. next_from_cadence marks a date derived from the tenant's
-- cadence rules (SAL-2) rather than given. Rows go with their customer when it is purged.
CREATE TABLE follow_ups (
  tenant_id         uuid NOT NULL REFERENCES tenants(id),
  id                uuid NOT NULL,
  customer_id       uuid NOT NULL,
  contact_id        uuid,
  owner_id          uuid NOT NULL,
  department_id     uuid,
  method            text NOT NULL,
  occurred_at       timestamptz NOT NULL,
  content           text NOT NULL,
  outcome           text NOT NULL DEFAULT '',
  intent_class      text,
  next_follow_up_at timestamptz,
  next_from_cadence boolean NOT NULL DEFAULT false,
  done_at           timestamptz,
  done_by_id        uuid,
  created_at        timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, id)
);
CREATE INDEX follow_ups_customer ON follow_ups (tenant_id, customer_id, occurred_at DESC, id DESC);
CREATE INDEX follow_ups_owner ON follow_ups (tenant_id, owner_id, occurred_at);
CREATE INDEX follow_ups_department ON follow_ups (tenant_id, department_id, occurred_at);
CREATE INDEX follow_ups_open ON follow_ups (tenant_id, next_follow_up_at) WHERE done_at IS NULL AND next_follow_up_at IS NOT NULL;
SELECT crm_enable_rls('follow_ups');

-- +goose Down
DROP TABLE follow_ups;
