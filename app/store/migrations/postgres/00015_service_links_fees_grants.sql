-- +goose Up
-- After-sales service, second step.
--
-- 1. Sign-off links are app/publiclink links now (purpose "sign-off", subject the work
--    order), like the survey links: sign_off_links goes. Links issued before the upgrade were
--    signed under the old layout and no longer open; issuing a new one from the work order
--    replaces them (a completed work order keeps waiting for its signature).
-- 2. A fee of paid work collected on site is a payment of the sales module: payments name the
--    work order they came from (work_order_id), and the work order the payment its charge made
--    (fee_payment_id).
-- 3. Grants added to policies/default_policy.csv after tenants had signed up (incidents; the
--    customer service's workorder:update; the salesperson reading incidents that affect their
--    customers) are given to the built-in roles of existing tenants. Idempotent: a grant a
--    tenant already has is left alone. The tenants' policy version moves so every replica
--    reloads their policies.
DROP TABLE sign_off_links;

ALTER TABLE payments ADD COLUMN work_order_id uuid;
ALTER TABLE payments ADD CONSTRAINT payments_work_order_fk FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id);
CREATE INDEX payments_work_order ON payments (tenant_id, work_order_id);
ALTER TABLE work_orders ADD COLUMN fee_payment_id uuid;

-- Row-level security is forced on roles and casbin_rule, for their owner too: the backfill
-- runs as each tenant in turn.
-- +goose StatementBegin
DO $$
DECLARE t uuid;
BEGIN
  FOR t IN SELECT id FROM tenants ORDER BY id LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    INSERT INTO casbin_rule (ptype, v0, v1, v2, v3)
    SELECT 'p', g.role, t::text, g.obj, g.act
    FROM (VALUES
  ('general_manager', 'incident', '*'),
  ('vice_president', 'incident', '*'),
  ('service_manager', 'incident', '*'),
  ('customer_service', 'incident', 'create'),
  ('customer_service', 'incident', 'read'),
  ('customer_service', 'workorder', 'update'),
  ('salesperson', 'incident', 'read')
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
-- The backfilled grants stay: they are the tenants' policies now, indistinguishable from
-- grants given by hand.
ALTER TABLE work_orders DROP COLUMN fee_payment_id;
ALTER TABLE payments DROP COLUMN work_order_id;
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
