-- +goose Up
-- Public links, opinion surveys and emergency incidents.
--
-- public_links (app/publiclink): one row per link that opens without an account. The token
-- is signed (HMAC) over its purpose, tenant, this row and the subject it is for; the row makes
-- it single-use (used_at) and revocable (revoked_at). subject_id has no foreign key: the
-- purpose says what it names (a survey, a work order, …).
CREATE TABLE public_links (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id),
  id         TEXT NOT NULL,
  purpose    TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  expires_at DATETIME NOT NULL,
  created_by TEXT,
  created_at DATETIME NOT NULL,
  used_at    DATETIME,
  revoked_at DATETIME,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX public_links_subject ON public_links (tenant_id, purpose, subject_id);

-- Opinion surveys 客戶意見調查 (SVC-6; seed 001 第14–17條): the technician of a signed-off
-- work order rated by the customer on attitude, technique, arrival time and keeping promises,
-- each very_satisfied | satisfied | average | poor, with suggestions and complaints. Sent by
-- mail with a public link (channel email) or recorded by customer service on the phone
-- (channel phone). The work order's number, technician and registrar are copied in when the
-- survey is made: the survey is seen through its technician (technician_id, department_id)
-- and through whoever registered the request (registered_by, registered_department_id), as
-- the work order is. One survey per work order.
CREATE TABLE surveys (
  tenant_id                TEXT NOT NULL REFERENCES tenants(id),
  id                       TEXT NOT NULL,
  work_order_id            TEXT,
  work_order_number        TEXT NOT NULL DEFAULT '',
  complaint_id             TEXT,
  customer_id              TEXT NOT NULL,
  contact_id               TEXT,
  technician_id            TEXT,
  department_id            TEXT,
  registered_by            TEXT,
  registered_department_id TEXT,
  channel                  TEXT NOT NULL,
  status                   TEXT NOT NULL,
  link_id                  TEXT,
  expires_at               DATETIME,
  mail_status              TEXT NOT NULL DEFAULT '',
  mail_attempts            INTEGER NOT NULL DEFAULT 0,
  mailed_at                DATETIME,
  attitude                 TEXT NOT NULL DEFAULT '',
  technique                TEXT NOT NULL DEFAULT '',
  arrival_time             TEXT NOT NULL DEFAULT '',
  promises                 TEXT NOT NULL DEFAULT '',
  suggestions              TEXT NOT NULL DEFAULT '',
  complaint                TEXT NOT NULL DEFAULT '',
  flagged                  BOOLEAN NOT NULL DEFAULT false,
  answered_at              DATETIME,
  recorded_by              TEXT,
  created_at               DATETIME NOT NULL,
  updated_at               DATETIME NOT NULL,
  version                  INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, work_order_id),
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX surveys_technician ON surveys (tenant_id, technician_id, answered_at);
CREATE INDEX surveys_customer ON surveys (tenant_id, customer_id);
CREATE INDEX surveys_mail ON surveys (tenant_id, mail_status) WHERE mail_status = 'pending';

-- Emergency incidents 應急事件 (seed 002 §8): level 1 (serious) or 2 (partial), a kind, the
-- affected customers (picked by ID or by the customer list's filter, kept in
-- incident_customers with their owner at the time, who is notified), a response plan, an
-- owner and a status open → responding → recovered → reviewed; incident_updates is its
-- timeline, shown on the affected customers' timelines too.
CREATE TABLE incidents (
  tenant_id       TEXT NOT NULL REFERENCES tenants(id),
  id              TEXT NOT NULL,
  level           INTEGER NOT NULL,
  kind            TEXT NOT NULL,
  title           TEXT NOT NULL,
  description     TEXT NOT NULL DEFAULT '',
  response_plan   TEXT NOT NULL DEFAULT '',
  status          TEXT NOT NULL,
  owner_id        TEXT NOT NULL,
  department_id   TEXT,
  customer_filter JSON,
  affected_count  INTEGER NOT NULL DEFAULT 0,
  responding_at   DATETIME,
  recovered_at    DATETIME,
  reviewed_at     DATETIME,
  created_by      TEXT,
  created_at      DATETIME NOT NULL,
  updated_at      DATETIME NOT NULL,
  version         INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX incidents_status ON incidents (tenant_id, status, id);

CREATE TABLE incident_customers (
  tenant_id   TEXT NOT NULL REFERENCES tenants(id),
  incident_id TEXT NOT NULL,
  customer_id TEXT NOT NULL,
  owner_id    TEXT,
  PRIMARY KEY (tenant_id, incident_id, customer_id),
  FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, customer_id) REFERENCES customers (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX incident_customers_customer ON incident_customers (tenant_id, customer_id);

CREATE TABLE incident_updates (
  tenant_id   TEXT NOT NULL REFERENCES tenants(id),
  id          TEXT NOT NULL,
  incident_id TEXT NOT NULL,
  action      TEXT NOT NULL,
  from_status TEXT NOT NULL DEFAULT '',
  to_status   TEXT NOT NULL,
  note        TEXT NOT NULL DEFAULT '',
  actor_id    TEXT,
  at          DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, incident_id) REFERENCES incidents (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX incident_updates_incident ON incident_updates (tenant_id, incident_id, id);

-- +goose Down
DROP TABLE incident_updates;
DROP TABLE incident_customers;
DROP TABLE incidents;
DROP TABLE surveys;
DROP TABLE public_links;
