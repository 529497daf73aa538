-- +goose Up
-- Outgoing webhooks (EXP-3; app/webhook).
--
-- webhook_endpoints: a receiver URL registered by a user (owner_id), who the payloads are
-- filtered for: only records that user may read, within their data scope. The signing secret
-- is sealed with the field-encryption keys (app/fieldcrypt); after a rotation the previous
-- secret signs too until previous_secret_until, so receivers can switch without a gap.
-- event_cursor is the last outbox event looked at, as the plugin event cursor is.
-- failing_since is the first failed attempt since the last success: an endpoint failing for
-- the whole retry window is disabled (disabled_reason) and its owner mailed.
CREATE TABLE webhook_endpoints (
  tenant_id             uuid NOT NULL REFERENCES tenants(id),
  id                    uuid NOT NULL,
  url                   text NOT NULL,
  description           text NOT NULL DEFAULT '',
  event_types           jsonb NOT NULL,
  active                boolean NOT NULL DEFAULT true,
  disabled_reason       text NOT NULL DEFAULT '',
  disabled_at           timestamptz,
  owner_id              uuid NOT NULL,
  secret                text NOT NULL,
  previous_secret       text NOT NULL DEFAULT '',
  previous_secret_until timestamptz,
  event_cursor          uuid,
  failing_since         timestamptz,
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL,
  version               bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
SELECT crm_enable_rls('webhook_endpoints');

-- webhook_deliveries: one message to one endpoint (an outbox event, a test event, or a
-- redelivery of an earlier one, which keeps its message_id). Pending deliveries of one record
-- (entity_id) to one endpoint go out one at a time in ID order.
CREATE TABLE webhook_deliveries (
  tenant_id       uuid NOT NULL REFERENCES tenants(id),
  id              uuid NOT NULL,
  endpoint_id     uuid NOT NULL,
  message_id      text NOT NULL,
  event_id        uuid,
  event_type      text NOT NULL,
  entity_id       uuid,
  payload         jsonb,
  status          text NOT NULL,
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz,
  last_status     integer NOT NULL DEFAULT 0,
  last_error      text NOT NULL DEFAULT '',
  redelivery_of   uuid,
  created_at      timestamptz NOT NULL,
  finished_at     timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (tenant_id, endpoint_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, status, next_attempt_at);
CREATE INDEX webhook_deliveries_lane ON webhook_deliveries (tenant_id, endpoint_id, entity_id, status, id);
SELECT crm_enable_rls('webhook_deliveries');

-- webhook_attempts: each HTTP attempt of a delivery, with the answer's status, how long it
-- took and the start of its body (bounded).
CREATE TABLE webhook_attempts (
  tenant_id        uuid NOT NULL REFERENCES tenants(id),
  id               uuid NOT NULL,
  delivery_id      uuid NOT NULL,
  attempt          integer NOT NULL,
  status_code      integer NOT NULL DEFAULT 0,
  duration_ms      integer NOT NULL DEFAULT 0,
  error            text NOT NULL DEFAULT '',
  response_excerpt text NOT NULL DEFAULT '',
  at               timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (tenant_id, delivery_id, id);
SELECT crm_enable_rls('webhook_attempts');

-- The general manager's new grant to read the webhook endpoints, given to tenants that signed
-- up before (as 00015 did); RLS is forced on casbin_rule and roles, so it runs as each tenant.
-- +goose StatementBegin
DO $$
DECLARE t uuid;
BEGIN
  FOR t IN SELECT id FROM tenants ORDER BY id LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    INSERT INTO casbin_rule (ptype, v0, v1, v2, v3)
    SELECT 'p', g.role, t::text, g.obj, g.act
    FROM (VALUES ('general_manager', 'webhook', 'read')) AS g(role, obj, act)
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
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
