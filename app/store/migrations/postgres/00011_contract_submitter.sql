-- +goose Up
-- Who submitted a contract for review: a reviewer may not approve their own submission
-- (the owner excepted).
ALTER TABLE contracts ADD COLUMN submitted_by uuid;

-- Customer needs (SAL-4, seed 002 §2): basic, expected or latent, with importance and
-- urgency, routed to a department, and the answer fed back to the customer. owner_id and
-- department_id are who recorded it (data scopes); routed_department_id is who handles it (no
-- foreign key: a department may be removed while old needs still name it).
CREATE TABLE customer_needs (
  tenant_id            uuid NOT NULL REFERENCES tenants(id),
  id                   uuid NOT NULL,
  customer_id          uuid NOT NULL,
  opportunity_id       uuid,
  kind                 text NOT NULL,
  title                text NOT NULL,
  description          text NOT NULL DEFAULT '',
  importance           text NOT NULL,
  urgency              text NOT NULL,
  routed_department_id uuid,
  status               text NOT NULL,
  feedback             text NOT NULL DEFAULT '',
  feedback_at          timestamptz,
  owner_id             uuid NOT NULL,
  department_id        uuid,
  created_at           timestamptz NOT NULL,
  updated_at           timestamptz NOT NULL,
  version              bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX customer_needs_customer ON customer_needs (tenant_id, customer_id);
CREATE INDEX customer_needs_routed ON customer_needs (tenant_id, routed_department_id, status);
SELECT crm_enable_rls('customer_needs');

-- +goose Down
DROP TABLE customer_needs;
ALTER TABLE contracts DROP COLUMN submitted_by;
