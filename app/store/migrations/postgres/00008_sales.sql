-- +goose Up
-- Sales (SAL-3, SAL-5, SAL-6, EXP-4, EXP-6): exchange rates, opportunities with their stage
-- history, products, quotes with lines, contracts with review, orders with delivery,
-- payment plans (installments), payments and how they settle installments.
-- Money is an amount (numeric) beside its ISO 4217 currency code; reports convert to the
-- tenant's base currency at the rate valid on the transaction date (exchange_rates).
-- Records go with their customer when it is purged from the recycle bin.
CREATE TABLE exchange_rates (
  tenant_id    uuid NOT NULL REFERENCES tenants(id),
  id           uuid NOT NULL,
  currency     text NOT NULL,
  rate_to_base numeric(24,10) NOT NULL,
  valid_from   date NOT NULL,
  created_by   uuid,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, currency, valid_from)
);
SELECT crm_enable_rls('exchange_rates');

CREATE TABLE opportunities (
  tenant_id           uuid NOT NULL REFERENCES tenants(id),
  id                  uuid NOT NULL,
  name                text NOT NULL,
  customer_id         uuid NOT NULL,
  stage               text NOT NULL,
  probability         integer NOT NULL,
  amount              numeric(20,4) NOT NULL,
  currency            text NOT NULL,
  expected_close_date date,
  source              text NOT NULL DEFAULT '',
  description         text NOT NULL DEFAULT '',
  lost_reason         text NOT NULL DEFAULT '',
  closed_at           timestamptz,
  owner_id            uuid NOT NULL,
  department_id       uuid,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  version             bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX opportunities_customer ON opportunities (tenant_id, customer_id);
CREATE INDEX opportunities_owner ON opportunities (tenant_id, owner_id, id);
CREATE INDEX opportunities_stage ON opportunities (tenant_id, stage);
SELECT crm_enable_rls('opportunities');

CREATE TABLE opportunity_stage_history (
  tenant_id      uuid NOT NULL REFERENCES tenants(id),
  id             uuid NOT NULL,
  opportunity_id uuid NOT NULL,
  from_stage     text NOT NULL DEFAULT '',
  to_stage       text NOT NULL,
  actor_id       uuid,
  at             timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX opportunity_stage_history_opp ON opportunity_stage_history (tenant_id, opportunity_id, id);
SELECT crm_enable_rls('opportunity_stage_history');

CREATE TABLE products (
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  id          uuid NOT NULL,
  code        text NOT NULL,
  name        text NOT NULL,
  category    text NOT NULL DEFAULT '',
  unit        text NOT NULL DEFAULT '',
  price       numeric(20,4) NOT NULL,
  currency    text NOT NULL,
  cost        numeric(20,4),
  active      boolean NOT NULL DEFAULT true,
  description text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  version     bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code)
);
SELECT crm_enable_rls('products');

CREATE TABLE quotes (
  tenant_id      uuid NOT NULL REFERENCES tenants(id),
  id             uuid NOT NULL,
  number         text NOT NULL,
  customer_id    uuid NOT NULL,
  opportunity_id uuid,
  status         text NOT NULL,
  currency       text NOT NULL,
  subtotal       numeric(20,4) NOT NULL,
  discount_total numeric(20,4) NOT NULL,
  total          numeric(20,4) NOT NULL,
  valid_until    date,
  notes          text NOT NULL DEFAULT '',
  owner_id       uuid NOT NULL,
  department_id  uuid,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  version        bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id)
);
CREATE INDEX quotes_customer ON quotes (tenant_id, customer_id);
SELECT crm_enable_rls('quotes');

CREATE TABLE quote_lines (
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  quote_id    uuid NOT NULL,
  position    integer NOT NULL,
  product_id  uuid NOT NULL,
  description text NOT NULL DEFAULT '',
  quantity    numeric(20,4) NOT NULL,
  unit_price  numeric(20,4) NOT NULL,
  discount    numeric(7,4) NOT NULL,
  line_total  numeric(20,4) NOT NULL,
  PRIMARY KEY (tenant_id, quote_id, position),
  FOREIGN KEY (tenant_id, quote_id) REFERENCES quotes (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
SELECT crm_enable_rls('quote_lines');

CREATE TABLE contracts (
  tenant_id      uuid NOT NULL REFERENCES tenants(id),
  id             uuid NOT NULL,
  number         text NOT NULL,
  title          text NOT NULL,
  customer_id    uuid NOT NULL,
  opportunity_id uuid,
  quote_id       uuid,
  renewal_of_id  uuid,
  party_a        text NOT NULL,
  party_b        text NOT NULL,
  amount         numeric(20,4) NOT NULL,
  currency       text NOT NULL,
  terms          text NOT NULL DEFAULT '',
  start_date     date,
  end_date       date,
  status         text NOT NULL,
  approver_role  text NOT NULL DEFAULT '',
  submitted_at   timestamptz,
  reviewed_by    uuid,
  reviewed_at    timestamptz,
  review_comment text NOT NULL DEFAULT '',
  signed_on      date,
  signed_at      timestamptz,
  overdue        boolean NOT NULL DEFAULT false,
  owner_id       uuid NOT NULL,
  department_id  uuid,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  version        bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id),
  FOREIGN KEY (tenant_id, quote_id) REFERENCES quotes (tenant_id, id),
  FOREIGN KEY (tenant_id, renewal_of_id) REFERENCES contracts (tenant_id, id)
);
CREATE INDEX contracts_customer ON contracts (tenant_id, customer_id);
CREATE INDEX contracts_end ON contracts (tenant_id, end_date);
SELECT crm_enable_rls('contracts');

CREATE TABLE orders (
  tenant_id       uuid NOT NULL REFERENCES tenants(id),
  id              uuid NOT NULL,
  number          text NOT NULL,
  customer_id     uuid NOT NULL,
  contract_id     uuid,
  amount          numeric(20,4) NOT NULL,
  currency        text NOT NULL,
  order_date      date NOT NULL,
  delivery_status text NOT NULL,
  tracking_no     text NOT NULL DEFAULT '',
  shipped_at      timestamptz,
  delivered_at    timestamptz,
  notes           text NOT NULL DEFAULT '',
  owner_id        uuid NOT NULL,
  department_id   uuid,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  version         bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX orders_customer ON orders (tenant_id, customer_id);
SELECT crm_enable_rls('orders');

CREATE TABLE payment_installments (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  id            uuid NOT NULL,
  contract_id   uuid NOT NULL,
  due_date      date NOT NULL,
  amount        numeric(20,4) NOT NULL,
  currency      text NOT NULL,
  paid_amount   numeric(20,4) NOT NULL,
  status        text NOT NULL,
  overdue       boolean NOT NULL DEFAULT false,
  overdue_since date,
  settled_at    timestamptz,
  note          text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  version       bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX payment_installments_contract ON payment_installments (tenant_id, contract_id, due_date);
CREATE INDEX payment_installments_open ON payment_installments (tenant_id, status, due_date);
SELECT crm_enable_rls('payment_installments');

CREATE TABLE payments (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  id            uuid NOT NULL,
  customer_id   uuid NOT NULL,
  contract_id   uuid,
  amount        numeric(20,4) NOT NULL,
  currency      text NOT NULL,
  received_on   date NOT NULL,
  method        text NOT NULL,
  reference     text NOT NULL DEFAULT '',
  note          text NOT NULL DEFAULT '',
  unallocated   numeric(20,4) NOT NULL,
  owner_id      uuid NOT NULL,
  department_id uuid,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  version       bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX payments_received ON payments (tenant_id, received_on);
CREATE INDEX payments_contract ON payments (tenant_id, contract_id);
SELECT crm_enable_rls('payments');

CREATE TABLE payment_allocations (
  tenant_id      uuid NOT NULL REFERENCES tenants(id),
  payment_id     uuid NOT NULL,
  installment_id uuid NOT NULL,
  amount         numeric(20,4) NOT NULL,
  PRIMARY KEY (tenant_id, payment_id, installment_id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, installment_id) REFERENCES payment_installments (tenant_id, id) ON DELETE CASCADE
);
SELECT crm_enable_rls('payment_allocations');

-- +goose Down
DROP TABLE payment_allocations, payments, payment_installments, orders, contracts, quote_lines, quotes,
  products, opportunity_stage_history, opportunities, exchange_rates;
