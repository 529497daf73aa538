-- +goose Up
-- The tenant's working calendar and customer complaints 客訴 (seed 001 第18–29條).
--
-- calendar_days (app/workday): the tenant's own days on top of the built-in mainland
-- calendar (weekends, public holidays, 調休 make-up days): a local date that is a holiday or
-- a workday whatever the built-in calendar says.
CREATE TABLE calendar_days (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  date      TEXT NOT NULL,
  kind      TEXT NOT NULL,
  PRIMARY KEY (tenant_id, date)
);

-- complaints: one case. number follows the tenant's pattern (complaint_sequences holds the
-- counters). sla_days is fixed at intake; due_at and report_due_at are computed from
-- received_at, sla_days and the paused intervals in complaint_events (waiting_customer), and
-- stored after every event so lists sort by them. paused_at is set while waiting for the
-- customer. handler_id/department_id (customer service managing the case), responsible_* and
-- customer_owner_id/customer_department_id (the customer's owner at intake) are how data
-- scopes see a case. escalation counts the notices given (1 warned, 2 manager, 3 vice
-- president) so a restarted sweep never repeats one.
CREATE TABLE complaints (
  tenant_id                 TEXT NOT NULL REFERENCES tenants(id),
  id                        TEXT NOT NULL,
  number                    TEXT NOT NULL,
  customer_id               TEXT NOT NULL,
  contact_id                TEXT,
  channel                   TEXT NOT NULL,
  received_at               DATETIME NOT NULL,
  content                   TEXT NOT NULL,
  category                  TEXT NOT NULL,
  order_id                  TEXT,
  order_number              TEXT NOT NULL DEFAULT '',
  batch                     TEXT NOT NULL DEFAULT '',
  ship_date                 TEXT,
  defective_quantity        INTEGER,
  severity                  TEXT NOT NULL,
  status                    TEXT NOT NULL,
  outcome                   TEXT NOT NULL DEFAULT '',
  responsible_department_id TEXT,
  responsible_user_id       TEXT,
  root_cause                TEXT NOT NULL DEFAULT '',
  handler_id                TEXT,
  department_id             TEXT,
  customer_owner_id         TEXT,
  customer_department_id    TEXT,
  sla_days                  INTEGER NOT NULL,
  due_at                    DATETIME,
  report_due_at             DATETIME,
  paused_at                 DATETIME,
  resolved_at               DATETIME,
  closed_at                 DATETIME,
  reopened_from_id          TEXT,
  survey_id                 TEXT,
  ack_sent_at               DATETIME,
  escalation                INTEGER NOT NULL DEFAULT 0,
  created_by                TEXT,
  created_at                DATETIME NOT NULL,
  updated_at                DATETIME NOT NULL,
  version                   INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, number),
  UNIQUE (tenant_id, reopened_from_id),
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, reopened_from_id) REFERENCES complaints (tenant_id, id)
);
CREATE INDEX complaints_due ON complaints (tenant_id, status, due_at);
CREATE INDEX complaints_customer ON complaints (tenant_id, customer_id);
CREATE INDEX complaints_closed ON complaints (tenant_id, closed_at);

CREATE TABLE complaint_sequences (
  tenant_id TEXT NOT NULL REFERENCES tenants(id),
  scope     TEXT NOT NULL,
  value     INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, scope)
);

-- complaint_events: the case's history — intake, every status move (waiting_customer in and
-- out are the paused intervals the deadline leaves out), changes, remedies and penalties.
CREATE TABLE complaint_events (
  tenant_id    TEXT NOT NULL REFERENCES tenants(id),
  id           TEXT NOT NULL,
  complaint_id TEXT NOT NULL,
  action       TEXT NOT NULL,
  from_status  TEXT NOT NULL DEFAULT '',
  to_status    TEXT NOT NULL DEFAULT '',
  comment      TEXT NOT NULL DEFAULT '',
  actor_id     TEXT,
  at           DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, complaint_id) REFERENCES complaints (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX complaint_events_complaint ON complaint_events (tenant_id, complaint_id, id);

-- complaint_remedies: replacement, repair, discount, compensation or return, approved by the
-- role the tenant's approval tiers name for its amount (approver_role, fixed when proposed).
-- A repair opens a work order (work_order_id); a return 產品退貨單 is received by the
-- warehouse (quantity_received) and posted by finance.
CREATE TABLE complaint_remedies (
  tenant_id         TEXT NOT NULL REFERENCES tenants(id),
  id                TEXT NOT NULL,
  complaint_id      TEXT NOT NULL,
  kind              TEXT NOT NULL,
  amount            TEXT,
  currency          TEXT NOT NULL DEFAULT '',
  quantity          INTEGER,
  description       TEXT NOT NULL,
  status            TEXT NOT NULL,
  approver_role     TEXT NOT NULL,
  proposed_by       TEXT,
  decided_by        TEXT,
  decided_at        DATETIME,
  decision_comment  TEXT NOT NULL DEFAULT '',
  work_order_id     TEXT,
  quantity_received INTEGER,
  received_by       TEXT,
  received_at       DATETIME,
  posted_by         TEXT,
  posted_at         DATETIME,
  created_at        DATETIME NOT NULL,
  updated_at        DATETIME NOT NULL,
  version           INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, complaint_id) REFERENCES complaints (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX complaint_remedies_complaint ON complaint_remedies (tenant_id, complaint_id);
CREATE INDEX complaint_remedies_status ON complaint_remedies (tenant_id, status);

-- complaint_penalties: 處分及獎金罰扣 (第28條) of a department or a person, approved by the
-- general manager.
CREATE TABLE complaint_penalties (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id),
  id            TEXT NOT NULL,
  complaint_id  TEXT NOT NULL,
  department_id TEXT,
  user_id       TEXT,
  kind          TEXT NOT NULL,
  amount        TEXT,
  currency      TEXT NOT NULL DEFAULT '',
  reason        TEXT NOT NULL,
  status        TEXT NOT NULL,
  proposed_by   TEXT,
  decided_by    TEXT,
  decided_at    DATETIME,
  created_at    DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, complaint_id) REFERENCES complaints (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX complaint_penalties_complaint ON complaint_penalties (tenant_id, complaint_id);

-- Tenants that signed up before complaints get the grants added with them (the return note
-- object; warehouse and finance read complaints), without duplicating any; the policy version
-- bump reloads their policies.
WITH g(role, obj, act) AS (VALUES
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
)
INSERT INTO casbin_rule (ptype, v0, v1, v2, v3)
SELECT 'p', g.role, r.tenant_id, g.obj, g.act
FROM g JOIN roles r ON r.key = g.role AND r.builtin
WHERE NOT EXISTS (SELECT 1 FROM casbin_rule c
                  WHERE c.ptype = 'p' AND c.v0 = g.role AND c.v1 = r.tenant_id AND c.v2 = g.obj AND c.v3 = g.act);
UPDATE tenants SET policy_version = policy_version + 1;

-- +goose Down
-- The backfilled grants stay: they are the tenants' policies now.
DROP TABLE complaint_penalties;
DROP TABLE complaint_remedies;
DROP TABLE complaint_events;
DROP TABLE complaint_sequences;
DROP TABLE complaints;
DROP TABLE calendar_days;
