-- +goose Up
-- Public pool (CUS-8, EXP-2). customer_pool_log is the history of pool transitions (claimed,
-- released, recycled) with who and why: it defines the claim quota (customers whose latest
-- transition is the holder's own claim) and starts the recycle clock anew on a claim.
-- customer_pool_warnings remembers the advance warnings sent, one per customer and due date,
-- so that the hourly run does not repeat them. Rows go with their customer when it is purged.
CREATE TABLE customer_pool_log (
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  id          uuid NOT NULL,
  customer_id uuid NOT NULL,
  action      text NOT NULL,
  user_id     uuid,
  actor_id    uuid,
  reason      text NOT NULL DEFAULT '',
  at          timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX customer_pool_log_customer ON customer_pool_log (tenant_id, customer_id, id);
CREATE INDEX customer_pool_log_user ON customer_pool_log (tenant_id, user_id, action);
SELECT crm_enable_rls('customer_pool_log');

CREATE TABLE customer_pool_warnings (
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  customer_id uuid NOT NULL,
  due_on      date NOT NULL,
  owner_id    uuid,
  warned_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, customer_id, due_on),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
SELECT crm_enable_rls('customer_pool_warnings');

-- +goose Down
DROP TABLE customer_pool_warnings, customer_pool_log;
