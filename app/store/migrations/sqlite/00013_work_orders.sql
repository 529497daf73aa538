-- +goose Up
-- After-sales service: work orders, their history, records, parts and costs, sign-off links,
-- remote-service applications and number counters; see postgres/00013.

-- A product's warranty in months (null: the tenant's default from the service settings), and
-- whether a contract covers the customer's service (a contract-service work order, type B).
ALTER TABLE products ADD COLUMN warranty_months INTEGER;
ALTER TABLE contracts ADD COLUMN service_coverage BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE work_orders (
  tenant_id                TEXT NOT NULL REFERENCES tenants(id),
  id                       TEXT NOT NULL,
  number                   TEXT NOT NULL,
  customer_id              TEXT NOT NULL,
  contact_id               TEXT,
  product_id               TEXT,
  model                    TEXT NOT NULL DEFAULT '',
  specification            TEXT NOT NULL DEFAULT '',
  serial                   TEXT NOT NULL DEFAULT '',
  purchase_date            DATE,
  purchase_place           TEXT NOT NULL DEFAULT '',
  fault                    TEXT NOT NULL,
  channel                  TEXT NOT NULL,
  urgency                  TEXT NOT NULL,
  type                     TEXT NOT NULL,
  type_proposed            TEXT NOT NULL,
  type_reason              TEXT NOT NULL DEFAULT '',
  coverage_contract_id     TEXT,
  warranty_until           DATE,
  status                   TEXT NOT NULL,
  status_reason            TEXT NOT NULL DEFAULT '',
  technician_id            TEXT,
  department_id            TEXT,
  registered_by            TEXT NOT NULL,
  registered_department_id TEXT,
  carried_over             BOOLEAN NOT NULL DEFAULT false,
  remote                   BOOLEAN NOT NULL DEFAULT false,
  completed_at             DATETIME,
  countersigned_by         TEXT,
  countersigned_at         DATETIME,
  signed_off_at            DATETIME,
  signer_name              TEXT NOT NULL DEFAULT '',
  signature                TEXT NOT NULL DEFAULT '',
  signed_via               TEXT NOT NULL DEFAULT '',
  fee                      TEXT,
  fee_currency             TEXT NOT NULL DEFAULT '',
  fee_method               TEXT NOT NULL DEFAULT '',
  receipt_number           TEXT NOT NULL DEFAULT '',
  invoice_status           TEXT NOT NULL DEFAULT '',
  invoice_number           TEXT NOT NULL DEFAULT '',
  invoiced_by              TEXT,
  invoiced_at              DATETIME,
  closed_at                DATETIME,
  created_at               DATETIME NOT NULL,
  updated_at               DATETIME NOT NULL,
  version                  INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id),
  FOREIGN KEY (tenant_id, technician_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, registered_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX work_orders_customer ON work_orders (tenant_id, customer_id);
CREATE INDEX work_orders_technician ON work_orders (tenant_id, technician_id, id);
CREATE INDEX work_orders_department ON work_orders (tenant_id, department_id, id);
CREATE INDEX work_orders_registrar ON work_orders (tenant_id, registered_by, id);
CREATE INDEX work_orders_status ON work_orders (tenant_id, status, id);

-- Every state change and every other step of a work order, for its history and the
-- customer's timeline (customer_id is the work order's, kept here for the timeline's query).
CREATE TABLE work_order_history (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id),
  id            TEXT NOT NULL,
  work_order_id TEXT NOT NULL,
  customer_id   TEXT NOT NULL,
  action        TEXT NOT NULL,
  from_status   TEXT NOT NULL DEFAULT '',
  to_status     TEXT NOT NULL,
  reason        TEXT NOT NULL DEFAULT '',
  technician_id TEXT,
  actor_id      TEXT,
  at            DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX work_order_history_order ON work_order_history (tenant_id, work_order_id, id);
CREATE INDEX work_order_history_customer ON work_order_history (tenant_id, customer_id, at);

-- The technician's service records 服務凭证: times, labour, work done, parts and costs.
CREATE TABLE work_order_records (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id),
  id            TEXT NOT NULL,
  work_order_id TEXT NOT NULL,
  author_id     TEXT NOT NULL,
  arrived_at    DATETIME,
  started_at    DATETIME,
  ended_at      DATETIME,
  labour_hours  TEXT NOT NULL,
  work_done     TEXT NOT NULL,
  created_at    DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX work_order_records_order ON work_order_records (tenant_id, work_order_id, id);

CREATE TABLE work_order_parts (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id),
  record_id  TEXT NOT NULL,
  position   INTEGER NOT NULL,
  product_id TEXT NOT NULL,
  quantity   TEXT NOT NULL,
  batch      TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, record_id, position),
  FOREIGN KEY (tenant_id, record_id) REFERENCES work_order_records (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);

-- The work order's service cost: entries of the records (labour, parts, travel, allowance, …).
CREATE TABLE work_order_costs (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id),
  id            TEXT NOT NULL,
  work_order_id TEXT NOT NULL,
  record_id     TEXT,
  kind          TEXT NOT NULL,
  amount        TEXT NOT NULL,
  currency      TEXT NOT NULL,
  created_at    DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, record_id) REFERENCES work_order_records (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX work_order_costs_order ON work_order_costs (tenant_id, work_order_id);

-- One-time sign-off links: the token is signed (HMAC) and names this row, which makes it
-- single-use (used_at) and revocable (a newer link replaces it).
CREATE TABLE sign_off_links (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id),
  id            TEXT NOT NULL,
  work_order_id TEXT NOT NULL,
  purpose       TEXT NOT NULL,
  expires_at    DATETIME NOT NULL,
  created_by    TEXT,
  created_at    DATETIME NOT NULL,
  used_at       DATETIME,
  revoked_at    DATETIME,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sign_off_links_order ON sign_off_links (tenant_id, work_order_id);

-- Remote-service applications 異地服務申請單 (SVC-2), approved by the department manager.
CREATE TABLE remote_applications (
  tenant_id       TEXT NOT NULL REFERENCES tenants(id),
  id              TEXT NOT NULL,
  work_order_id   TEXT NOT NULL,
  applicant_id    TEXT NOT NULL,
  department_id   TEXT,
  destination     TEXT NOT NULL,
  from_date       DATE NOT NULL,
  to_date         DATE NOT NULL,
  purpose         TEXT NOT NULL,
  estimated_costs JSON NOT NULL DEFAULT '[]',
  status          TEXT NOT NULL,
  decided_by      TEXT,
  decided_at      DATETIME,
  comment         TEXT NOT NULL DEFAULT '',
  created_at      DATETIME NOT NULL,
  updated_at      DATETIME NOT NULL,
  version         INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, applicant_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX remote_applications_order ON remote_applications (tenant_id, work_order_id);

-- Work order numbers: one counter per tenant and numbering period (the DATE part of the
-- tenant's number pattern), so numbers restart each period without gaps from other tenants.
CREATE TABLE work_order_sequences (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  scope     TEXT NOT NULL,
  value     INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, scope)
);

-- +goose Down
DROP TABLE work_order_sequences;
DROP TABLE remote_applications;
DROP TABLE sign_off_links;
DROP TABLE work_order_costs;
DROP TABLE work_order_parts;
DROP TABLE work_order_records;
DROP TABLE work_order_history;
DROP TABLE work_orders;
ALTER TABLE contracts DROP COLUMN service_coverage;
ALTER TABLE products DROP COLUMN warranty_months;
