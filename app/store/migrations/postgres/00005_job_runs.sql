-- +goose Up
-- Runs of long background work a user started (customer imports first): the durable record
-- behind GET /jobs/{id}. The River job only triggers the work; the run row, its progress and
-- its uploaded input survive restarts, and a run still queued at start-up is enqueued again.
CREATE TABLE job_runs (
  tenant_id   uuid NOT NULL REFERENCES tenants(id),
  id          uuid NOT NULL,
  kind        text NOT NULL,
  status      text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  progress    bigint NOT NULL DEFAULT 0,
  total       bigint NOT NULL DEFAULT 0,
  params      jsonb NOT NULL DEFAULT '{}',
  report      jsonb,
  created_by  uuid,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX job_runs_unfinished ON job_runs (tenant_id, kind, id) WHERE status IN ('queued', 'running');
SELECT crm_enable_rls('job_runs');

-- The file an import was started with, kept until the run finishes.
CREATE TABLE import_files (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  job_id     uuid NOT NULL,
  name       text NOT NULL,
  size       bigint NOT NULL,
  data       bytea NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, job_id),
  FOREIGN KEY (tenant_id, job_id) REFERENCES job_runs (tenant_id, id) ON DELETE CASCADE
);
SELECT crm_enable_rls('import_files');

-- +goose Down
DROP TABLE import_files, job_runs;
