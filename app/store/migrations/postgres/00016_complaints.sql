-- +goose Up
-- The tenant's working calendar and customer complaints 客訴 (seed 001 第18–29條).
--
-- calendar_days (app/workday): the tenant's own days on top of the built-in mainland
-- calendar (weekends, public holidays, 調休 make-up days): a local date that is a holiday or
-- a workday whatever the built-in calendar says.
CREATE TABLE calendar_days (
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  date      text NOT NULL,
  kind      text NOT NULL,
  PRIMARY KEY (tenant_id, date)
);
SELECT crm_enable_rls('calendar_days');

-- complaints: one case. number follows the tenant's pattern (complaint_sequences holds the
-- counters). sla_days is fixed at intake; due_at and report_due_at are computed from
-- received_at, sla_days and the paused intervals in complaint_events (waiting_customer), and
-- stored after every event so lists sort by them. paused_at is set while waiting for the
-- customer. handler_id/department_id (customer service managing the case), responsible_* and
-- customer_owner_id/customer_department_id (the customer's owner at intake) are how data
-- scopes see a case. escalation counts the notices given (1 warned, 2 manager, 3 vice
-- president) so a restarted sweep never repeats one.
CREATE TABLE complaints (
  tenant_id                 uuid NOT NULL REFERENCES tenants(id),
  id                        uuid NOT NULL,
  number                    text NOT NULL,
  customer_id               uuid NOT NULL,
  contact_id                uuid,
  channel                   text NOT NULL,
  received_at               timestamptz NOT NULL,
  content                   text NOT NULL,
  category                  text NOT NULL,
  order_id                  uuid,
  order_number              text NOT NULL DEFAULT '',
  batch                     text NOT NULL DEFAULT '',
  ship_date                 text,
  defective_quantity        integer,
  severity                  text NOT NULL,
  status                    text NOT NULL,
  outcome                   text NOT NULL DEFAULT '',
  responsible_department_id uuid,
  responsible_user_id       uuid,
  root_cause                text NOT NULL DEFAULT '',
  handler_id                uuid,
  department_id             uuid,
  customer_owner_id         uuid,
  customer_department_id    uuid,
  sla_days                  integer NOT NULL,
  due_at                    timestamptz,
  report_due_at             timestamptz,
  paused_at                 timestamptz,
  resolved_at               timestamptz,
  closed_at                 timestamptz,
  reopened_from_id          uuid,
  survey_id                 uuid,
  ack_sent_at               timestamptz,
  escalation                integer NOT NULL DEFAULT 0,
  created_by                uuid,
  created_at                timestamptz NOT NULL,
  updated_at                timestamptz NOT NULL,
  version                   integer NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  UNIQUE (tenant_id, reopened_from_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, reopened_from_id) REFERENCES complaints (tenant_id, id)
);
CREATE INDEX complaints_due ON complaints (tenant_id, status, due_at);
CREATE INDEX complaints_customer ON complaints (tenant_id, customer_id);
CREATE INDEX complaints_closed ON complaints (tenant_id, closed_at);
SELECT crm_enable_rls('complaints');

CREATE TABLE complaint_sequences (
  tenant_id uuid NOT NULL REFERENCES tenants(id),
  scope     text NOT NULL,
  value     bigint NOT NULL,
  PRIMARY KEY (tenant_id, scope)
);
SELECT crm_enable_rls('complaint_sequences');

-- complaint_events: the case's history — intake, every status move (waiting_customer in and
-- out are the paused intervals the deadline leaves out), changes, remedies and penalties.
CREATE TABLE complaint_events (
  tenant_id    uuid NOT NULL REFERENCES tenants(id),
  id           uuid NOT NULL,
  complaint_id uuid NOT NULL,
  action       text NOT NULL,
  from_status  text NOT NULL DEFAULT '',
  to_status    text NOT NULL DEFAULT '',
  comment      text NOT NULL DEFAULT '',
  actor_id     uuid,
  at           timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, complaint_id) REFERENCES complaints (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX complaint_events_complaint ON complaint_events (tenant_id, complaint_id, id);
SELECT crm_enable_rls('complaint_events');

-- complaint_remedies: replacement, repair, discount, compensation or return, approved by the
-- role the tenant's approval tiers name for its amount (approver_role, fixed when proposed).
-- A repair opens a work order (work_order_id); a return 產品退貨單 is received by the
-- warehouse (quantity_received) and posted by finance.
CREATE TABLE complaint_remedies (
  tenant_id         uuid NOT NULL REFERENCES tenants(id),
  id                uuid NOT NULL,
  complaint_id      uuid NOT NULL,
  kind              text NOT NULL,
  amount            numeric(20,4),
  currency          text NOT NULL DEFAULT '',
  quantity          integer,
  description       text NOT NULL,
  status            text NOT NULL,
  approver_role     text NOT NULL,
  proposed_by       uuid,
  decided_by        uuid,
  decided_at        timestamptz,
  decision_comment  text NOT NULL DEFAULT '',
  work_order_id     uuid,
  quantity_received integer,
  received_by       uuid,
  received_at       timestamptz,
  posted_by         uuid,
  posted_at         timestamptz,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL,
  version           integer NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, complaint_id) REFERENCES complaints (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX complaint_remedies_complaint ON complaint_remedies (tenant_id, complaint_id);
CREATE INDEX complaint_remedies_status ON complaint_remedies (tenant_id, status);
SELECT crm_enable_rls('complaint_remedies');

-- complaint_penalties: 處分及獎金罰扣 (第28條) of a department or a person, approved by the
-- general manager.
CREATE TABLE complaint_penalties (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  id            uuid NOT NULL,
  complaint_id  uuid NOT NULL,
  department_id uuid,
  user_id       uuid,
  kind          text NOT NULL,
  amount        numeric(20,4),
  currency      text NOT NULL DEFAULT '',
  reason        text NOT NULL,
  status        text NOT NULL,
  proposed_by   uuid,
  decided_by    uuid,
  decided_at    timestamptz,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, complaint_id) REFERENCES complaints (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX complaint_penalties_complaint ON complaint_penalties (tenant_id, complaint_id);
SELECT crm_enable_rls('complaint_penalties');

-- Tenants that signed up before complaints get the grants added with them (the return note
-- object; warehouse and finance read complaints), without duplicating any. Row-level security
-- is forced on roles and casbin_rule, for their owner too: the backfill runs as each tenant in
-- turn.
-- +goose StatementBegin
DO $$
DECLARE t uuid;
BEGIN
  FOR t IN SELECT id FROM tenants ORDER BY id LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    INSERT INTO casbin_rule (ptype, v0, v1, v2, v3)
    SELECT 'p', g.role, t::text, g.obj, g.act
    FROM (VALUES
  ('general_manager', 'return_note', 'read'),
  ('vice_president', 'return_note', 'read'),
  ('service_manager', 'return_note', 'read'),
  ('customer_service', 'return_note', 'read'),
  ('finance', 'complaint', 'read'),
  ('finance', 'return_note', 'read'),
  ('finance', 'return_note', 'approve'),
  ('warehouse', 'complaint', 'read'),
  ('warehouse', 'return_note', 'read'),
  ('warehouse', 'return_note', 'update')
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
DROP TABLE complaint_penalties;
DROP TABLE complaint_remedies;
DROP TABLE complaint_events;
DROP TABLE complaint_sequences;
DROP TABLE complaints;
DROP TABLE calendar_days;
