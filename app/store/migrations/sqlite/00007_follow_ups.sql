-- +goose Up
-- Follow-up records 跟進記錄 (SAL-1); see postgres/00007. owner_id is the staff member who
-- followed up, department_id their department at the time; a plan (next_follow_up_at) stays
-- open until the customer's next follow-up is logged (done_at, done_by_id).
CREATE TABLE follow_ups (
  tenant_id         TEXT NOT NULL REFERENCES tenants(id),
  id                TEXT NOT NULL,
  customer_id       TEXT NOT NULL,
  contact_id        TEXT,
  owner_id          TEXT NOT NULL,
  department_id     TEXT,
  method            TEXT NOT NULL,
  occurred_at       DATETIME NOT NULL,
  content           TEXT NOT NULL,
  outcome           TEXT NOT NULL DEFAULT '',
  intent_class      TEXT,
  next_follow_up_at DATETIME,
  next_from_cadence BOOLEAN NOT NULL DEFAULT 0,
  done_at           DATETIME,
  done_by_id        TEXT,
  created_at        DATETIME NOT NULL,
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

-- +goose Down
DROP TABLE follow_ups;
