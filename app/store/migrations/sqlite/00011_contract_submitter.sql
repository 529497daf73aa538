-- +goose Up
-- Who submitted a contract for review: a reviewer may not approve their own submission
-- (the owner excepted).
ALTER TABLE contracts ADD COLUMN submitted_by TEXT;

-- Customer needs (SAL-4, seed 002 §2): basic, expected or latent, with importance and
-- urgency, routed to a department, and the answer fed back to the customer. owner_id and
-- department_id are who recorded it (data scopes); routed_department_id is who handles it (no
-- foreign key: a department may be removed while old needs still name it).
CREATE TABLE customer_needs (
  tenant_id            TEXT NOT NULL REFERENCES tenants(id),
  id                   TEXT NOT NULL,
  customer_id          TEXT NOT NULL,
  opportunity_id       TEXT,
  kind                 TEXT NOT NULL,
  title                TEXT NOT NULL,
  description          TEXT NOT NULL DEFAULT '',
  importance           TEXT NOT NULL,
  urgency              TEXT NOT NULL,
  routed_department_id TEXT,
  status               TEXT NOT NULL,
  feedback             TEXT NOT NULL DEFAULT '',
  feedback_at          DATETIME,
  owner_id             TEXT NOT NULL,
  department_id        TEXT,
  created_at           DATETIME NOT NULL,
  updated_at           DATETIME NOT NULL,
  version              INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX customer_needs_customer ON customer_needs (tenant_id, customer_id);
CREATE INDEX customer_needs_routed ON customer_needs (tenant_id, routed_department_id, status);

-- +goose Down
DROP TABLE customer_needs;
ALTER TABLE contracts DROP COLUMN submitted_by;
