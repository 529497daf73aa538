-- Receivables of invoiced after-sales work (issue 12, 第9條): finance issuing the invoice of a
-- paid work order makes an installment of the sales module that belongs to the work order
-- instead of a contract. contract_id becomes nullable, work_order_id is added, and exactly one
-- of the two is set.
--
-- SQLite cannot change a column's NOT NULL, so the table is rebuilt inside goose's
-- transaction, where PRAGMA foreign_keys cannot be switched off. payment_allocations refers to
-- payment_installments and cascades on delete, and both ways of replacing a referenced table
-- in place lose its rows: dropping the parent runs an implicit DELETE whose ON DELETE CASCADE
-- empties payment_allocations, and renaming it rewrites payment_allocations' REFERENCES to the
-- old name (even with legacy_alter_table, while foreign keys are on). So payment_allocations
-- is set aside first (copied, dropped: nothing refers to it), payment_installments is rebuilt,
-- and payment_allocations is created again and refilled. defer_foreign_keys postpones the
-- checks to the commit, when every reference resolves again.

-- +goose Up
PRAGMA defer_foreign_keys = ON;
CREATE TABLE payment_allocations_kept AS SELECT tenant_id, payment_id, installment_id, amount FROM payment_allocations;
DROP TABLE payment_allocations;
CREATE TABLE payment_installments_new (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id),
  id            TEXT NOT NULL,
  contract_id   TEXT,
  work_order_id TEXT,
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
  CHECK ((contract_id IS NULL) <> (work_order_id IS NULL)),
  FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO payment_installments_new (tenant_id, id, contract_id, due_date, amount, currency, paid_amount, status,
  overdue, overdue_since, settled_at, note, created_at, updated_at, version)
SELECT tenant_id, id, contract_id, due_date, amount, currency, paid_amount, status,
  overdue, overdue_since, settled_at, note, created_at, updated_at, version FROM payment_installments;
DROP TABLE payment_installments;
ALTER TABLE payment_installments_new RENAME TO payment_installments;
CREATE INDEX payment_installments_contract ON payment_installments (tenant_id, contract_id, due_date);
CREATE INDEX payment_installments_open ON payment_installments (tenant_id, status, due_date);
CREATE UNIQUE INDEX payment_installments_work_order ON payment_installments (tenant_id, work_order_id) WHERE work_order_id IS NOT NULL;
CREATE TABLE payment_allocations (
  tenant_id      TEXT NOT NULL REFERENCES tenants(id),
  payment_id     TEXT NOT NULL,
  installment_id TEXT NOT NULL,
  amount         TEXT NOT NULL,
  PRIMARY KEY (tenant_id, payment_id, installment_id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, installment_id) REFERENCES payment_installments (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO payment_allocations (tenant_id, payment_id, installment_id, amount)
SELECT tenant_id, payment_id, installment_id, amount FROM payment_allocations_kept;
DROP TABLE payment_allocations_kept;

-- +goose Down
DELETE FROM payment_allocations WHERE installment_id IN (SELECT id FROM payment_installments WHERE work_order_id IS NOT NULL);
DELETE FROM payment_installments WHERE work_order_id IS NOT NULL;
PRAGMA defer_foreign_keys = ON;
CREATE TABLE payment_allocations_kept AS SELECT tenant_id, payment_id, installment_id, amount FROM payment_allocations;
DROP TABLE payment_allocations;
CREATE TABLE payment_installments_new (
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
INSERT INTO payment_installments_new (tenant_id, id, contract_id, due_date, amount, currency, paid_amount, status,
  overdue, overdue_since, settled_at, note, created_at, updated_at, version)
SELECT tenant_id, id, contract_id, due_date, amount, currency, paid_amount, status,
  overdue, overdue_since, settled_at, note, created_at, updated_at, version FROM payment_installments;
DROP TABLE payment_installments;
ALTER TABLE payment_installments_new RENAME TO payment_installments;
CREATE INDEX payment_installments_contract ON payment_installments (tenant_id, contract_id, due_date);
CREATE INDEX payment_installments_open ON payment_installments (tenant_id, status, due_date);
CREATE TABLE payment_allocations (
  tenant_id      TEXT NOT NULL REFERENCES tenants(id),
  payment_id     TEXT NOT NULL,
  installment_id TEXT NOT NULL,
  amount         TEXT NOT NULL,
  PRIMARY KEY (tenant_id, payment_id, installment_id),
  FOREIGN KEY (tenant_id, payment_id) REFERENCES payments (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, installment_id) REFERENCES payment_installments (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO payment_allocations (tenant_id, payment_id, installment_id, amount)
SELECT tenant_id, payment_id, installment_id, amount FROM payment_allocations_kept;
DROP TABLE payment_allocations_kept;
