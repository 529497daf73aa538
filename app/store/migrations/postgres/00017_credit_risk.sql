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
  tenant_id      uuid NOT NULL REFERENCES tenants(id),
  id             uuid NOT NULL,
  customer_id    uuid NOT NULL,
  financial      integer NOT NULL,
  results        integer NOT NULL,
  record         integer NOT NULL,
  reputation     integer NOT NULL,
  score          numeric(7,2) NOT NULL,
  rating         text NOT NULL,
  proposed_limit numeric(20,4) NOT NULL,
  currency       text NOT NULL,
  limit_base     numeric(20,4) NOT NULL,
  valid_until    date NOT NULL,
  evidence       text NOT NULL DEFAULT '',
  status         text NOT NULL,
  approver_role  text NOT NULL DEFAULT '',
  assessed_by    uuid,
  department_id  uuid,
  decided_by     uuid,
  decided_at     timestamptz,
  decision_note  text NOT NULL DEFAULT '',
  review_task_at timestamptz,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  version        bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX credit_assessments_customer ON credit_assessments (tenant_id, customer_id, status);
SELECT crm_enable_rls('credit_assessments');

-- risk_warnings: one row per warning raised for a customer. While a warning of a kind is open
-- no second one of that kind is raised for the customer (the partial unique index makes a
-- re-run or a restarted job idempotent); when the condition is gone it is resolved.
-- notified_at marks that the owner and their manager were told.
CREATE TABLE risk_warnings (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  id            uuid NOT NULL,
  customer_id   uuid NOT NULL,
  kind          text NOT NULL,
  level         text NOT NULL,
  status        text NOT NULL,
  detail        jsonb NOT NULL DEFAULT '{}',
  owner_id      uuid,
  department_id uuid,
  raised_at     timestamptz NOT NULL,
  resolved_at   timestamptz,
  notified_at   timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX risk_warnings_open ON risk_warnings (tenant_id, customer_id, kind) WHERE status = 'open';
CREATE INDEX risk_warnings_level ON risk_warnings (tenant_id, status, level, raised_at);
SELECT crm_enable_rls('risk_warnings');

-- risk_measures: what was done about a warning (guarantee, higher prepayment, shorter terms,
-- reduced cooperation, other), by whom and when.
CREATE TABLE risk_measures (
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  id          uuid NOT NULL,
  warning_id  uuid NOT NULL,
  measure     text NOT NULL,
  note        text NOT NULL DEFAULT '',
  recorded_by uuid,
  recorded_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, warning_id) REFERENCES risk_warnings (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX risk_measures_warning ON risk_measures (tenant_id, warning_id);
SELECT crm_enable_rls('risk_measures');

-- A contract whose customer would go over the credit limit is reviewed one tier higher; the
-- reason is kept on the contract for the approver to read.
ALTER TABLE contracts ADD COLUMN approval_reason text NOT NULL DEFAULT '';


-- Grants added to policies/default_policy.csv with credit risk (sales managers: risk; sales
-- people: read, assess and record measures for their own customers) are given to the
-- built-in roles of tenants that signed up before, as 00015 did; a grant a tenant already
-- has is left alone. RLS is forced on casbin_rule and roles, so it runs as each tenant.
-- +goose StatementBegin
DO $$
DECLARE t uuid;
BEGIN
  FOR t IN SELECT id FROM tenants ORDER BY id LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    INSERT INTO casbin_rule (ptype, v0, v1, v2, v3)
    SELECT 'p', g.role, t::text, g.obj, g.act
    FROM (VALUES
  ('sales_manager', 'risk', '*'),
  ('salesperson', 'risk', 'read'),
  ('salesperson', 'risk', 'create'),
  ('salesperson', 'risk', 'update')
    ) AS g(role, obj, act)
    JOIN roles r ON r.key = g.role AND r.builtin
    WHERE NOT EXISTS (SELECT 1 FROM casbin_rule c
                      WHERE c.ptype = 'p' AND c.v0 = g.role AND c.v1 = t::text AND c.v2 = g.obj AND c.v3 = g.act);
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END
$$;
-- +goose StatementEnd
UPDATE tenants SET policy_version = policy_version + 1;

-- +goose Down
-- The backfilled grants stay: they are the tenants' policies now.
ALTER TABLE contracts DROP COLUMN approval_reason;
DROP TABLE risk_measures;
DROP TABLE risk_warnings;
DROP TABLE credit_assessments;
