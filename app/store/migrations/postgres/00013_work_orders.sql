-- +goose Up
-- After-sales service (SVC-1, SVC-2; seed 001 第6–13條): work orders 服務工單 registered in
-- the service register, dispatched to a technician or left in the shared pool, carried out
-- with records of time, work, parts and costs, countersigned by the service manager, signed
-- off by the customer (on site or through a one-time link), invoiced when paid, closed; remote
-- (off-site) service needs an approved application before the work starts.
--
-- A work order is seen through two parties: the technician (technician_id, department_id —
-- the handling side) and whoever registered it (registered_by, registered_department_id); an
-- undispatched one without a technician is in the shared pool that every reader of work
-- orders sees. contact_id and coverage_contract_id have no foreign key: contacts are
-- soft-deleted and the contract only explains the proposed type.

-- A product's warranty in months (null: the tenant's default from the service settings), and
-- whether a contract covers the customer's service (a contract-service work order, type B).
ALTER TABLE products ADD COLUMN warranty_months integer;
ALTER TABLE contracts ADD COLUMN service_coverage boolean NOT NULL DEFAULT false;

CREATE TABLE work_orders (
  tenant_id                uuid NOT NULL REFERENCES tenants(id),
  id                       uuid NOT NULL,
  number                   text NOT NULL,
  customer_id              uuid NOT NULL,
  contact_id               uuid,
  product_id               uuid,
  model                    text NOT NULL DEFAULT '',
  specification            text NOT NULL DEFAULT '',
  serial                   text NOT NULL DEFAULT '',
  purchase_date            date,
  purchase_place           text NOT NULL DEFAULT '',
  fault                    text NOT NULL,
  channel                  text NOT NULL,
  urgency                  text NOT NULL,
  type                     text NOT NULL,
  type_proposed            text NOT NULL,
  type_reason              text NOT NULL DEFAULT '',
  coverage_contract_id     uuid,
  warranty_until           date,
  status                   text NOT NULL,
  status_reason            text NOT NULL DEFAULT '',
  technician_id            uuid,
  department_id            uuid,
  registered_by            uuid NOT NULL,
  registered_department_id uuid,
  carried_over             boolean NOT NULL DEFAULT false,
  remote                   boolean NOT NULL DEFAULT false,
  completed_at             timestamptz,
  countersigned_by         uuid,
  countersigned_at         timestamptz,
  signed_off_at            timestamptz,
  signer_name              text NOT NULL DEFAULT '',
  signature                text NOT NULL DEFAULT '',
  signed_via               text NOT NULL DEFAULT '',
  fee                      numeric(20,4),
  fee_currency             text NOT NULL DEFAULT '',
  fee_method               text NOT NULL DEFAULT '',
  receipt_number           text NOT NULL DEFAULT '',
  invoice_status           text NOT NULL DEFAULT '',
  invoice_number           text NOT NULL DEFAULT '',
  invoiced_by              uuid,
  invoiced_at              timestamptz,
  closed_at                timestamptz,
  created_at               timestamptz NOT NULL,
  updated_at               timestamptz NOT NULL,
  version                  bigint NOT NULL,
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
SELECT crm_enable_rls('work_orders');

-- Every state change and every other step of a work order, for its history and the
-- customer's timeline (customer_id is the work order's, kept here for the timeline's query).
CREATE TABLE work_order_history (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  id            uuid NOT NULL,
  work_order_id uuid NOT NULL,
  customer_id   uuid NOT NULL,
  action        text NOT NULL,
  from_status   text NOT NULL DEFAULT '',
  to_status     text NOT NULL,
  reason        text NOT NULL DEFAULT '',
  technician_id uuid,
  actor_id      uuid,
  at            timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX work_order_history_order ON work_order_history (tenant_id, work_order_id, id);
CREATE INDEX work_order_history_customer ON work_order_history (tenant_id, customer_id, at);
SELECT crm_enable_rls('work_order_history');

-- The technician's service records 服務凭证: times, labour, work done, parts and costs.
CREATE TABLE work_order_records (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  id            uuid NOT NULL,
  work_order_id uuid NOT NULL,
  author_id     uuid NOT NULL,
  arrived_at    timestamptz,
  started_at    timestamptz,
  ended_at      timestamptz,
  labour_hours  numeric(10,2) NOT NULL,
  work_done     text NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX work_order_records_order ON work_order_records (tenant_id, work_order_id, id);
SELECT crm_enable_rls('work_order_records');

CREATE TABLE work_order_parts (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  record_id  uuid NOT NULL,
  position   integer NOT NULL,
  product_id uuid NOT NULL,
  quantity   numeric(20,4) NOT NULL,
  batch      text NOT NULL DEFAULT '',
  PRIMARY KEY (tenant_id, record_id, position),
  FOREIGN KEY (tenant_id, record_id) REFERENCES work_order_records (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
SELECT crm_enable_rls('work_order_parts');

-- The work order's service cost: entries of the records (labour, parts, travel, allowance, …).
CREATE TABLE work_order_costs (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  id            uuid NOT NULL,
  work_order_id uuid NOT NULL,
  record_id     uuid,
  kind          text NOT NULL,
  amount        numeric(20,4) NOT NULL,
  currency      text NOT NULL,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, record_id) REFERENCES work_order_records (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX work_order_costs_order ON work_order_costs (tenant_id, work_order_id);
SELECT crm_enable_rls('work_order_costs');

-- One-time sign-off links: the token is signed (HMAC) and names this row, which makes it
-- single-use (used_at) and revocable (a newer link replaces it).
CREATE TABLE sign_off_links (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  id            uuid NOT NULL,
  work_order_id uuid NOT NULL,
  purpose       text NOT NULL,
  expires_at    timestamptz NOT NULL,
  created_by    uuid,
  created_at    timestamptz NOT NULL,
  used_at       timestamptz,
  revoked_at    timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX sign_off_links_order ON sign_off_links (tenant_id, work_order_id);
SELECT crm_enable_rls('sign_off_links');

-- Remote-service applications 異地服務申請單 (SVC-2), approved by the department manager.
CREATE TABLE remote_applications (
  tenant_id       uuid NOT NULL REFERENCES tenants(id),
  id              uuid NOT NULL,
  work_order_id   uuid NOT NULL,
  applicant_id    uuid NOT NULL,
  department_id   uuid,
  destination     text NOT NULL,
  from_date       date NOT NULL,
  to_date         date NOT NULL,
  purpose         text NOT NULL,
  estimated_costs jsonb NOT NULL DEFAULT '[]',
  status          text NOT NULL,
  decided_by      uuid,
  decided_at      timestamptz,
  comment         text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  version         bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, applicant_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX remote_applications_order ON remote_applications (tenant_id, work_order_id);
SELECT crm_enable_rls('remote_applications');

-- Work order numbers: one counter per tenant and numbering period (the date part of the
-- tenant's number pattern), so numbers restart each period without gaps from other tenants.
CREATE TABLE work_order_sequences (
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  scope     text NOT NULL,
  value     bigint NOT NULL,
  PRIMARY KEY (tenant_id, scope)
);
SELECT crm_enable_rls('work_order_sequences');

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
