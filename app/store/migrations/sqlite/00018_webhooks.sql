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
  tenant_id             TEXT NOT NULL REFERENCES tenants(id),
  id                    TEXT NOT NULL,
  url                   TEXT NOT NULL,
  description           TEXT NOT NULL DEFAULT '',
  event_types           TEXT NOT NULL,
  active                BOOLEAN NOT NULL DEFAULT true,
  disabled_reason       TEXT NOT NULL DEFAULT '',
  disabled_at           DATETIME,
  owner_id              TEXT NOT NULL,
  secret                TEXT NOT NULL,
  previous_secret       TEXT NOT NULL DEFAULT '',
  previous_secret_until DATETIME,
  event_cursor          TEXT,
  failing_since         DATETIME,
  created_at            DATETIME NOT NULL,
  updated_at            DATETIME NOT NULL,
  version               INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);

-- webhook_deliveries: one message to one endpoint (an outbox event, a test event, or a
-- redelivery of an earlier one, which keeps its message_id). Pending deliveries of one record
-- (entity_id) to one endpoint go out one at a time in ID order.
CREATE TABLE webhook_deliveries (
  tenant_id       TEXT NOT NULL REFERENCES tenants(id),
  id              TEXT NOT NULL,
  endpoint_id     TEXT NOT NULL,
  message_id      TEXT NOT NULL,
  event_id        TEXT,
  event_type      TEXT NOT NULL,
  entity_id       TEXT,
  payload         TEXT,
  status          TEXT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at DATETIME,
  last_status     INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT NOT NULL DEFAULT '',
  redelivery_of   TEXT,
  created_at      DATETIME NOT NULL,
  finished_at     DATETIME,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (tenant_id, endpoint_id, id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, status, next_attempt_at);
CREATE INDEX webhook_deliveries_lane ON webhook_deliveries (tenant_id, endpoint_id, entity_id, status, id);

-- webhook_attempts: each HTTP attempt of a delivery, with the answer's status, how long it
-- took and the start of its body (bounded).
CREATE TABLE webhook_attempts (
  tenant_id        TEXT NOT NULL REFERENCES tenants(id),
  id               TEXT NOT NULL,
  delivery_id      TEXT NOT NULL,
  attempt          INTEGER NOT NULL,
  status_code      INTEGER NOT NULL DEFAULT 0,
  duration_ms      INTEGER NOT NULL DEFAULT 0,
  error            TEXT NOT NULL DEFAULT '',
  response_excerpt TEXT NOT NULL DEFAULT '',
  at               DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (tenant_id, delivery_id, id);

-- The general manager's new grant to read the webhook endpoints, given to tenants that signed
-- up before (as 00015 did); a grant a tenant already has is left alone.
WITH g(role, obj, act) AS (VALUES ('general_manager', 'webhook', 'read'))
INSERT INTO casbin_rule (ptype, v0, v1, v2, v3)
SELECT 'p', g.role, r.tenant_id, g.obj, g.act
FROM g JOIN roles r ON r.key = g.role AND r.builtin
WHERE NOT EXISTS (SELECT 1 FROM casbin_rule c
                  WHERE c.ptype = 'p' AND c.v0 = g.role AND c.v1 = r.tenant_id AND c.v2 = g.obj AND c.v3 = g.act);
UPDATE tenants SET policy_version = policy_version + 1;

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
