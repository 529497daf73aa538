-- +goose Up
-- Public links, opinion surveys and emergency incidents.
--
-- public_links (app/publiclink): one row per link that opens without an account. The token
-- is signed (HMAC) over its purpose, tenant, this row and the subject it is for; the row makes
-- it single-use (used_at) and revocable (revoked_at). subject_id has no foreign key: the
-- purpose says what it names (a survey, a work order, …).
CREATE TABLE public_links (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  id         uuid NOT NULL,
  purpose    text NOT NULL,
  subject_id uuid NOT NULL,
  expires_at timestamptz NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL,
  used_at    timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX public_links_subject ON public_links (tenant_id, purpose, subject_id);
SELECT crm_enable_rls('public_links');

-- Opinion surveys 客戶意見調查 (SVC-6; seed 001 第14–17條): the technician of a signed-off
-- work order rated by the customer on attitude, technique, arrival time and keeping promises,
-- each very_satisfied | satisfied | average | poor, with suggestions and complaints. Sent by
-- mail with a public link (channel email) or recorded by customer service on the phone
-- (channel phone). The work order's number, technician and registrar are copied in when the
-- survey is made: the survey is seen through its technician (technician_id, department_id)
-- and through whoever registered the request (registered_by, registered_department_id), as
-- the work order is. One survey per work order.
CREATE TABLE surveys (
  tenant_id                uuid NOT NULL REFERENCES tenants(id),
  id                       uuid NOT NULL,
  work_order_id            uuid,
  work_order_number        text NOT NULL DEFAULT '',
  complaint_id             uuid,
  customer_id              uuid NOT NULL,
  contact_id               uuid,
  technician_id            uuid,
  department_id            uuid,
  registered_by            uuid,
  registered_department_id uuid,
  channel                  text NOT NULL,
  status                   text NOT NULL,
  link_id                  uuid,
  expires_at               timestamptz,
  mail_status              text NOT NULL DEFAULT '',
  mail_attempts            integer NOT NULL DEFAULT 0,
  mailed_at                timestamptz,
  attitude                 text NOT NULL DEFAULT '',
  technique                text NOT NULL DEFAULT '',
  arrival_time             text NOT NULL DEFAULT '',
  promises                 text NOT NULL DEFAULT '',
  suggestions              text NOT NULL DEFAULT '',
  complaint                text NOT NULL DEFAULT '',
  flagged                  boolean NOT NULL DEFAULT false,
  answered_at              timestamptz,
  recorded_by              uuid,
  created_at               timestamptz NOT NULL,
  updated_at               timestamptz NOT NULL,
  version                  bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, work_order_id),
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX surveys_technician ON surveys (tenant_id, technician_id, answered_at);
CREATE INDEX surveys_customer ON surveys (tenant_id, customer_id);
CREATE INDEX surveys_mail ON surveys (tenant_id, mail_status) WHERE mail_status = 'pending';
SELECT crm_enable_rls('surveys');

-- Emergency incidents 應急事件 (seed 002 §8): level 1 (serious) or 2 (partial), a kind, the
-- affected customers (picked by ID or by the customer list's filter, kept in
-- incident_customers with their owner at the time, who is notified), a response plan, an
-- owner and a status open → responding → recovered → reviewed; incident_updates is its
-- timeline, shown on the affected customers' timelines too.
CREATE TABLE incidents (
  tenant_id       uuid NOT NULL REFERENCES tenants(id),
  id              uuid NOT NULL,
  level           integer NOT NULL,
  kind            text NOT NULL,
  title           text NOT NULL,
  description     text NOT NULL DEFAULT '',
  response_plan   text NOT NULL DEFAULT '',
  status          text NOT NULL,
  owner_id        uuid NOT NULL,
  department_id   uuid,
  customer_filter jsonb,
  affected_count  integer NOT NULL DEFAULT 0,
  responding_at   timestamptz,
  recovered_at    timestamptz,
  reviewed_at     timestamptz,
  created_by      uuid,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL,
  version         bigint NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX incidents_status ON incidents (tenant_id, status, id);
SELECT crm_enable_rls('incidents');

CREATE TABLE incident_customers (
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  incident_id uuid NOT NULL,
  customer_id uuid NOT NULL,
  owner_id    uuid,
  PRIMARY KEY (tenant_id, incident_id, customer_id),
  FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX incident_customers_customer ON incident_customers (tenant_id, customer_id);
SELECT crm_enable_rls('incident_customers');

CREATE TABLE incident_updates (
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  id          uuid NOT NULL,
  incident_id uuid NOT NULL,
  action      text NOT NULL,
  from_status text NOT NULL DEFAULT '',
  to_status   text NOT NULL,
  note        text NOT NULL DEFAULT '',
  actor_id    uuid,
  at          timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX incident_updates_incident ON incident_updates (tenant_id, incident_id, id);
SELECT crm_enable_rls('incident_updates');

-- +goose Down
DROP TABLE incident_updates;
DROP TABLE incident_customers;
DROP TABLE incidents;
DROP TABLE surveys;
DROP TABLE public_links;
