-- +goose Up
-- Sales (SAL-3, SAL-5, SAL-6, EXP-4, EXP-6): exchange rates, opportunities with their stage
-- history, products, quotes with lines, contracts with review, orders with delivery,
-- payment plans (installments), payments and how they settle installments.
-- Money is an amount (numeric) beside its ISO 4217 currency code; reports convert to the
-- tenant's base currency at the rate valid on the transaction date (exchange_rates).
-- Records go with their customer when it is purged from the recycle bin. See postgres/00008.
CREATE TABLE exchange_rates (
  tenant_id    TEXT NOT NULL REFERENCES tenants(id),
  id           TEXT NOT NULL,
  currency     TEXT NOT NULL,
  rate_to_base TEXT NOT NULL,
  valid_from   DATE NOT NULL,
  created_by   TEXT,
  created_at   DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, currency, valid_from)
);

CREATE TABLE opportunities (
  tenant_id           TEXT NOT NULL REFERENCES tenants(id),
  id                  TEXT NOT NULL,
  name                TEXT NOT NULL,
  customer_id         TEXT NOT NULL,
  stage               TEXT NOT NULL,
  probability         INTEGER NOT NULL,
  amount              TEXT NOT NULL,
  currency            TEXT NOT NULL,
  expected_close_date DATE,
  source              TEXT NOT NULL DEFAULT '',
  description         TEXT NOT NULL DEFAULT '',
  lost_reason         TEXT NOT NULL DEFAULT '',
  closed_at           DATETIME,
  owner_id            TEXT NOT NULL,
  department_id       TEXT,
  created_at          DATETIME NOT NULL,
  updated_at          DATETIME NOT NULL,
  version             INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX opportunities_customer ON opportunities (tenant_id, customer_id);
CREATE INDEX opportunities_owner ON opportunities (tenant_id, owner_id, id);
CREATE INDEX opportunities_stage ON opportunities (tenant_id, stage);

CREATE TABLE opportunity_stage_history (
  tenant_id      TEXT NOT NULL REFERENCES tenants(id),
  id             TEXT NOT NULL,
  opportunity_id TEXT NOT NULL,
  from_stage     TEXT NOT NULL DEFAULT '',
  to_stage       TEXT NOT NULL,
  actor_id       TEXT,
  at             DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX opportunity_stage_history_opp ON opportunity_stage_history (tenant_id, opportunity_id, id);

CREATE TABLE products (
  tenant_id   TEXT NOT NULL REFERENCES tenants(id),
  id          TEXT NOT NULL,
  code        TEXT NOT NULL,
  name        TEXT NOT NULL,
  category    TEXT NOT NULL DEFAULT '',
  unit        TEXT NOT NULL DEFAULT '',
  price       TEXT NOT NULL,
  currency    TEXT NOT NULL,
  cost        TEXT,
  active      BOOLEAN NOT NULL DEFAULT true,
  description TEXT NOT NULL DEFAULT '',
  created_at  DATETIME NOT NULL,
  updated_at  DATETIME NOT NULL,
  version     INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code)
);

CREATE TABLE quotes (
  tenant_id      TEXT NOT NULL REFERENCES tenants(id),
  id             TEXT NOT NULL,
  number         TEXT NOT NULL,
  customer_id    TEXT NOT NULL,
  opportunity_id TEXT,
  status         TEXT NOT NULL,
  currency       TEXT NOT NULL,
  subtotal       TEXT NOT NULL,
  discount_total TEXT NOT NULL,
  total          TEXT NOT NULL,
  valid_until    DATE,
  notes          TEXT NOT NULL DEFAULT '',
  owner_id       TEXT NOT NULL,
  department_id  TEXT,
  created_at     DATETIME NOT NULL,
  updated_at     DATETIME NOT NULL,
  version        INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id)
);
CREATE INDEX quotes_customer ON quotes (tenant_id, customer_id);

CREATE TABLE quote_lines (
  tenant_id   TEXT NOT NULL REFERENCES tenants(id),
  quote_id    TEXT NOT NULL,
  position    INTEGER NOT NULL,
  product_id  TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  quantity    TEXT NOT NULL,
  unit_price  TEXT NOT NULL,
  discount    TEXT NOT NULL,
  line_total  TEXT NOT NULL,
  PRIMARY KEY (tenant_id, quote_id, position),
  FOREIGN KEY (tenant_id, quote_id) REFERENCES quotes (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);

CREATE TABLE contracts (
  tenant_id      TEXT NOT NULL REFERENCES tenants(id),
  id             TEXT NOT NULL,
  number         TEXT NOT NULL,
  title          TEXT NOT NULL,
  customer_id    TEXT NOT NULL,
  opportunity_id TEXT,
  quote_id       TEXT,
  renewal_of_id  TEXT,
  party_a        TEXT NOT NULL,
  party_b        TEXT NOT NULL,
  amount         TEXT NOT NULL,
  currency       TEXT NOT NULL,
  terms          TEXT NOT NULL DEFAULT '',
  start_date     DATE,
  end_date       DATE,
  status         TEXT NOT NULL,
  approver_role  TEXT NOT NULL DEFAULT '',
  submitted_at   DATETIME,
  reviewed_by    TEXT,
  reviewed_at    DATETIME,
  review_comment TEXT NOT NULL DEFAULT '',
  signed_on      DATE,
  signed_at      DATETIME,
  overdue        BOOLEAN NOT NULL DEFAULT false,
  owner_id       TEXT NOT NULL,
  department_id  TEXT,
  created_at     DATETIME NOT NULL,
  updated_at     DATETIME NOT NULL,
  version        INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, opportunity_id) REFERENCES opportunities (tenant_id, id),
  FOREIGN KEY (tenant_id, quote_id) REFERENCES quotes (tenant_id, id),
  FOREIGN KEY (tenant_id, renewal_of_id) REFERENCES contracts (tenant_id, id)
);
CREATE INDEX contracts_customer ON contracts (tenant_id, customer_id);
CREATE INDEX contracts_end ON contracts (tenant_id, end_date);

CREATE TABLE orders (
  tenant_id       TEXT NOT NULL REFERENCES tenants(id),
  id              TEXT NOT NULL,
  number          TEXT NOT NULL,
  customer_id     TEXT NOT NULL,
  contract_id     TEXT,
  amount          TEXT NOT NULL,
  currency        TEXT NOT NULL,
  order_date      DATE NOT NULL,
  delivery_status TEXT NOT NULL,
  tracking_no     TEXT NOT NULL DEFAULT '',
  shipped_at      DATETIME,
  delivered_at    DATETIME,
  notes           TEXT NOT NULL DEFAULT '',
  owner_id        TEXT NOT NULL,
  department_id   TEXT,
  created_at      DATETIME NOT NULL,
  updated_at      DATETIME NOT NULL,
  version         INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX orders_customer ON orders (tenant_id, customer_id);

CREATE TABLE payment_installments (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id),
  id            TEXT NOT NULL,
  contract_id   TEXT NOT NULL,
  due_date      DATE NOT NULL,
  amount        TEXT NOT NULL,
  currency      TEXT NOT NULL,
  paid_amount   TEXT NOT NULL,
  status        TEXT NOT NULL,
  overdue       BOOLEAN NOT NULL DEFAULT false,
  overdue_since DATE,
  settled_at    DATETIME,
  note          TEXT NOT NULL DEFAULT '',
  created_at    DATETIME NOT NULL,
  updated_at    DATETIME NOT NULL,
  version       INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX payment_installments_contract ON payment_installments (tenant_id, contract_id, due_date);
CREATE INDEX payment_installments_open ON payment_installments (tenant_id, status, due_date);

CREATE TABLE payments (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id),
  id            TEXT NOT NULL,
  customer_id   TEXT NOT NULL,
  contract_id   TEXT,
  amount        TEXT NOT NULL,
  currency      TEXT NOT NULL,
  received_on   DATE NOT NULL,
  method        TEXT NOT NULL,
  reference     TEXT NOT NULL DEFAULT '',
  note          TEXT NOT NULL DEFAULT '',
  unallocated   TEXT NOT NULL,
  owner_id      TEXT NOT NULL,
  department_id TEXT,
  created_at    DATETIME NOT NULL,
  updated_at    DATETIME NOT NULL,
  version       INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX payments_received ON payments (tenant_id, received_on);
CREATE INDEX payments_contract ON payments (tenant_id, contract_id);

CREATE TABLE payment_allocations (
  tenant_id      TEXT NOT NULL REFERENCES tenants(id),
  payment_id     TEXT NOT NULL,
  installment_id TEXT NOT NULL,
  amount         TEXT NOT NULL,
  PRIMARY KEY (tenant_id, payment_id, installment_id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, installment_id) REFERENCES payment_installments (tenant_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE payment_allocations;
DROP TABLE payments;
DROP TABLE payment_installments;
DROP TABLE orders;
DROP TABLE contracts;
DROP TABLE quote_lines;
DROP TABLE quotes;
DROP TABLE products;
DROP TABLE opportunity_stage_history;
DROP TABLE opportunities;
DROP TABLE exchange_rates;
