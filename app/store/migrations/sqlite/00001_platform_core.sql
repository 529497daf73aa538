-- +goose Up
-- The SQLite schema mirrors postgres/ without row-level security (SQLite has none); the GORM
-- tenant callbacks in store/tenantscope.go are the isolation on both databases.
CREATE TABLE tenants (
  id             TEXT PRIMARY KEY,
  slug           TEXT NOT NULL UNIQUE,
  name           TEXT NOT NULL,
  status         TEXT NOT NULL,
  suspend_mode   TEXT NOT NULL DEFAULT 'read_only',
  plan           TEXT NOT NULL,
  trial_ends_at  DATETIME,
  settings       TEXT NOT NULL,
  policy_version INTEGER NOT NULL DEFAULT 1,
  created_at     DATETIME NOT NULL,
  updated_at     DATETIME NOT NULL,
  version        INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE platform_admins (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  created_at    DATETIME NOT NULL
);

CREATE TABLE platform_sessions (
  id          TEXT PRIMARY KEY,
  admin_id    TEXT NOT NULL REFERENCES platform_admins(id) ON DELETE CASCADE,
  token_hash  BLOB NOT NULL UNIQUE,
  csrf_token  TEXT NOT NULL,
  expires_at  DATETIME NOT NULL,
  created_at  DATETIME NOT NULL
);

CREATE TABLE platform_audit (
  id         TEXT PRIMARY KEY,
  at         DATETIME NOT NULL,
  admin_id   TEXT,
  via        TEXT NOT NULL,
  action     TEXT NOT NULL,
  target_tenant_id TEXT,
  details    TEXT NOT NULL
);
CREATE INDEX platform_audit_tenant ON platform_audit (target_tenant_id, at);

CREATE TABLE departments (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id),
  id         TEXT NOT NULL,
  name       TEXT NOT NULL,
  parent_id  TEXT,
  manager_id TEXT,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  version    INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES departments (tenant_id, id),
  FOREIGN KEY (tenant_id, manager_id) REFERENCES users (tenant_id, id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE users (
  tenant_id     TEXT NOT NULL REFERENCES tenants(id),
  id            TEXT NOT NULL,
  email         TEXT NOT NULL,
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  department_id TEXT,
  manager_id    TEXT,
  locale        TEXT NOT NULL DEFAULT '',
  status        TEXT NOT NULL DEFAULT 'active',
  created_at    DATETIME NOT NULL,
  updated_at    DATETIME NOT NULL,
  version       INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, email),
  FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, id),
  FOREIGN KEY (tenant_id, manager_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX users_manager ON users (tenant_id, manager_id);
CREATE INDEX users_department ON users (tenant_id, department_id);

CREATE TABLE sessions (
  tenant_id    TEXT NOT NULL REFERENCES tenants(id),
  id           TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  token_hash   BLOB NOT NULL,
  csrf_token   TEXT NOT NULL,
  expires_at   DATETIME NOT NULL,
  created_at   DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE api_tokens (
  tenant_id    TEXT NOT NULL REFERENCES tenants(id),
  id           TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  name         TEXT NOT NULL,
  token_hash   BLOB NOT NULL,
  prefix       TEXT NOT NULL,
  expires_at   DATETIME,
  last_used_at DATETIME,
  revoked_at   DATETIME,
  created_at   DATETIME NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE roles (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id),
  key        TEXT NOT NULL,
  name       TEXT NOT NULL,
  data_scope TEXT NOT NULL,
  builtin    BOOLEAN NOT NULL DEFAULT false,
  created_at DATETIME NOT NULL,
  updated_at DATETIME NOT NULL,
  version    INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, key)
);

CREATE TABLE casbin_rule (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  ptype     TEXT NOT NULL,
  v0        TEXT NOT NULL DEFAULT '',
  v1        TEXT NOT NULL DEFAULT '',
  v2        TEXT NOT NULL DEFAULT '',
  v3        TEXT NOT NULL DEFAULT '',
  v4        TEXT NOT NULL DEFAULT '',
  v5        TEXT NOT NULL DEFAULT '',
  tenant_id TEXT GENERATED ALWAYS AS (CASE WHEN ptype = 'p' THEN v1 ELSE v2 END) STORED,
  UNIQUE (tenant_id, ptype, v0, v1, v2, v3, v4, v5)
);

CREATE TABLE audit_log (
  tenant_id  TEXT NOT NULL REFERENCES tenants(id),
  id         TEXT NOT NULL,
  at         DATETIME NOT NULL,
  actor_id   TEXT,
  via        TEXT NOT NULL,
  action     TEXT NOT NULL,
  entity     TEXT NOT NULL,
  entity_id  TEXT NOT NULL,
  changes    TEXT NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity, entity_id, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE casbin_rule;
DROP TABLE roles;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE departments;
DROP TABLE platform_audit;
DROP TABLE platform_sessions;
DROP TABLE platform_admins;
DROP TABLE tenants;
