-- +goose Up
-- Credit and risk (RSK-1, RSK-2, EXP-4; seed 000 part 七, seed 003 §6).
--
-- credit_assessments: each assessment of a customer is kept (history). The four scores are
-- 0–100, weighted by the tenant's risk settings into score and rating; proposed_limit is in
-- currency, limit_base the same in the tenant's base currency when it was assessed (what
-- approval tiers and exposure compare with). A limit above what the assessor may approve is
-- pending until someone of approver_role approves it; the newest approved one is the
-- customer's credit. review_task_at records that the review before valid_until was put on the
-- owner's task list, so the daily job does it once.
CREATE TABLE credit_assessments (
  tenant_id      TEXT NOT NULL REFERENCES tenants(id),
  id             TEXT NOT NULL,
  customer_id    TEXT NOT NULL,
  financial      INTEGER NOT NULL,
  results        INTEGER NOT NULL,
  record         INTEGER NOT NULL,
  reputation     INTEGER NOT NULL,
  score          TEXT NOT NULL,
  rating         TEXT NOT NULL,
  proposed_limit TEXT NOT NULL,
  currency       TEXT NOT NULL,
  limit_base     TEXT NOT NULL,
  valid_until    DATE NOT NULL,
  evidence       TEXT NOT NULL DEFAULT '',
  status         TEXT NOT NULL,
  approver_role  TEXT NOT NULL DEFAULT '',
  assessed_by    TEXT,
  department_id  TEXT,
  decided_by     TEXT,
  decided_at     DATETIME,
  decision_note  TEXT NOT NULL DEFAULT '',
  review_task_at DATETIME,
  created_at     DATETIME NOT NULL,
  updated_at     DATETIME NOT NULL,
  version        INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX credit_assessments_customer ON credit_assessments (tenant_id, customer_id, status);

-- risk_warnings: one row per warning raised for a customer. While a warning of a kind is open
-- no second one of that kind is raised for the customer (the partial unique index makes a
-- re-run or a restarted job idempotent); when the condition is gone it is resolved.
-- notified_at marks that the owner and their manager were told.
CREATE TABLE risk_warnings (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id),
  id            TEXT NOT NULL,
  customer_id   TEXT NOT NULL,
  kind          TEXT NOT NULL,
  level         TEXT NOT NULL,
  status        TEXT NOT NULL,
  detail        TEXT NOT NULL DEFAULT '{}',
  owner_id      TEXT,
  department_id TEXT,
  raised_at     DATETIME NOT NULL,
  resolved_at   DATETIME,
  notified_at   DATETIME,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX risk_warnings_open ON risk_warnings (tenant_id, customer_id, kind) WHERE status = 'open';
CREATE INDEX risk_warnings_level ON risk_warnings (tenant_id, status, level, raised_at);

-- risk_measures: what was done about a warning (guarantee, higher prepayment, shorter terms,
-- reduced cooperation, other), by whom and when.
CREATE TABLE risk_measures (
  tenant_id   TEXT NOT NULL REFERENCES tenants(id),
  id          TEXT NOT NULL,
  warning_id  TEXT NOT NULL,
  measure     TEXT NOT NULL,
  note        TEXT NOT NULL DEFAULT '',
  recorded_by TEXT,
  recorded_at DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, warning_id) REFERENCES risk_warnings (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX risk_measures_warning ON risk_measures (tenant_id, warning_id);

-- A contract whose customer would go over the credit limit is reviewed one tier higher; the
-- reason is kept on the contract for the approver to read.
ALTER TABLE contracts ADD COLUMN approval_reason TEXT NOT NULL DEFAULT '';


-- Grants added to policies/default_policy.csv with credit risk, given to the built-in roles of
-- tenants that signed up before (as 00015 did); a grant a tenant already has is left alone.
WITH g(role, obj, act) AS (VALUES
  ('sales_manager', 'risk', '*'),
  ('salesperson', 'risk', 'read'),
  ('salesperson', 'risk', 'create'),
  ('salesperson', 'risk', 'update')
)
INSERT INTO casbin_rule (ptype, v0, v1, v2, v3)
SELECT 'p', g.role, r.tenant_id, g.obj, g.act
FROM g JOIN roles r ON r.key = g.role AND r.builtin
WHERE NOT EXISTS (SELECT 1 FROM casbin_rule c
                  WHERE c.ptype = 'p' AND c.v0 = g.role AND c.v1 = r.tenant_id AND c.v2 = g.obj AND c.v3 = g.act);
UPDATE tenants SET policy_version = policy_version + 1;

-- +goose Down
-- The backfilled grants stay: they are the tenants' policies now.
ALTER TABLE contracts DROP COLUMN approval_reason;
DROP TABLE risk_measures;
DROP TABLE risk_warnings;
DROP TABLE credit_assessments;
