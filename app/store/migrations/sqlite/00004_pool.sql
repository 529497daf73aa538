-- +goose Up
-- Public pool (CUS-8, EXP-2); see postgres/00004. customer_pool_log is the history of pool
-- transitions (claimed, released, recycled) with who and why: it defines the claim quota
-- (customers whose latest transition is the holder's own claim) and starts the recycle clock
-- anew on a claim. customer_pool_warnings remembers the advance warnings sent, one per
-- customer and due date, so that the hourly run does not repeat them.
CREATE TABLE customer_pool_log (
  tenant_id   TEXT NOT NULL REFERENCES tenants(id),
  id          TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  action      TEXT NOT NULL,
  user_id     TEXT,
  actor_id    TEXT,
  reason      TEXT NOT NULL DEFAULT '',
  at          DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX customer_pool_log_customer ON customer_pool_log (tenant_id, customer_id, id);
CREATE INDEX customer_pool_log_user ON customer_pool_log (tenant_id, user_id, action);

CREATE TABLE customer_pool_warnings (
  tenant_id   TEXT NOT NULL REFERENCES tenants(id),
  customer_id TEXT NOT NULL,
  due_on      DATE NOT NULL,
  owner_id    TEXT,
  warned_at   DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, customer_id, due_on),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE customer_pool_warnings;
DROP TABLE customer_pool_log;
