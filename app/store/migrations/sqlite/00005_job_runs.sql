-- +goose Up
-- Runs of long background work and the files imports were started with; see postgres/00005.
CREATE TABLE job_runs (
  tenant_id   TEXT NOT NULL REFERENCES tenants(id),
  id          TEXT NOT NULL,
  kind        TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  progress    INTEGER NOT NULL DEFAULT 0,
  total       INTEGER NOT NULL DEFAULT 0,
  params      TEXT NOT NULL DEFAULT '{}',
  report      TEXT,
  created_by  TEXT,
  created_at  DATETIME NOT NULL,
  updated_at  DATETIME NOT NULL,
  finished_at DATETIME,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX job_runs_unfinished ON job_runs (tenant_id, kind, id) WHERE status IN ('queued', 'running');

CREATE TABLE import_files (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id),
  job_id     TEXT NOT NULL,
  name       TEXT NOT NULL,
  size       INTEGER NOT NULL,
  data       BLOB NOT NULL,
  created_at DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, job_id),
  FOREIGN KEY (tenant_id, job_id) REFERENCES job_runs (tenant_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE import_files;
DROP TABLE job_runs;
