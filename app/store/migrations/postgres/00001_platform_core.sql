-- +goose Up
-- Row-level security for tenant tables: every tenant table calls crm_enable_rls, which forces
-- RLS (so even the owner is checked) and allows only rows of the transaction's tenant, set by
-- the application with set_config('app.tenant_id', …, true). With no tenant set, nothing.
-- +goose StatementBegin
CREATE FUNCTION crm_current_tenant() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(current_setting('app.tenant_id', true), '')::uuid
$$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION crm_enable_rls(tbl regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tbl);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', tbl);
  EXECUTE format('CREATE POLICY tenant_isolation ON %s USING (tenant_id = crm_current_tenant()) WITH CHECK (tenant_id = crm_current_tenant())', tbl);
END
$$;
-- +goose StatementEnd

-- Platform tables: not tenant-owned, reference tables under Citus.
CREATE TABLE tenants (
  id             uuid PRIMARY KEY,
  slug           text NOT NULL UNIQUE,
  name           text NOT NULL,
  status         text NOT NULL,
  suspend_mode   text NOT NULL DEFAULT 'read_only',
  plan           text NOT NULL,
  trial_ends_at  timestamptz,
  settings       jsonb NOT NULL,
  policy_version bigint NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  version        bigint NOT NULL DEFAULT 1
);

CREATE TABLE platform_admins (
  id            uuid PRIMARY KEY,
  email         text NOT NULL UNIQUE,
  name          text NOT NULL,
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL
);

CREATE TABLE platform_sessions (
  id          uuid PRIMARY KEY,
  admin_id    uuid NOT NULL REFERENCES platform_admins(id) ON DELETE CASCADE,
  token_hash  bytea NOT NULL UNIQUE,
  csrf_token  text NOT NULL,
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL
);

CREATE TABLE platform_audit (
  id         uuid PRIMARY KEY,
  at         timestamptz NOT NULL,
  admin_id   uuid,
  via        text NOT NULL,
  action     text NOT NULL,
  target_tenant_id uuid,
  details    jsonb NOT NULL
);
CREATE INDEX platform_audit_tenant ON platform_audit (target_tenant_id, at);

-- Tenant tables: tenant_id leads every primary key (the Citus distribution column).
CREATE TABLE departments (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  id         uuid NOT NULL,
  name       text NOT NULL,
  parent_id  uuid,
  manager_id uuid,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version    bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, parent_id) REFERENCES departments (tenant_id, id)
);
SELECT crm_enable_rls('departments');

CREATE TABLE users (
  tenant_id     uuid NOT NULL REFERENCES tenants(id),
  id            uuid NOT NULL,
  email         text NOT NULL,
  name          text NOT NULL,
  password_hash text NOT NULL,
  department_id uuid,
  manager_id    uuid,
  locale        text NOT NULL DEFAULT '',
  status        text NOT NULL DEFAULT 'active',
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  version       bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, email),
  FOREIGN KEY (tenant_id, department_id) REFERENCES departments (tenant_id, id),
  FOREIGN KEY (tenant_id, manager_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX users_manager ON users (tenant_id, manager_id);
CREATE INDEX users_department ON users (tenant_id, department_id);
SELECT crm_enable_rls('users');

ALTER TABLE departments ADD FOREIGN KEY (tenant_id, manager_id) REFERENCES users (tenant_id, id);

CREATE TABLE sessions (
  tenant_id    uuid NOT NULL REFERENCES tenants(id),
  id           uuid NOT NULL,
  user_id      uuid NOT NULL,
  token_hash   bytea NOT NULL,
  csrf_token   text NOT NULL,
  expires_at   timestamptz NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
SELECT crm_enable_rls('sessions');

CREATE TABLE api_tokens (
  tenant_id    uuid NOT NULL REFERENCES tenants(id),
  id           uuid NOT NULL,
  user_id      uuid NOT NULL,
  name         text NOT NULL,
  token_hash   bytea NOT NULL,
  prefix       text NOT NULL,
  expires_at   timestamptz,
  last_used_at timestamptz,
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
SELECT crm_enable_rls('api_tokens');

CREATE TABLE roles (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  key        text NOT NULL,
  name       text NOT NULL,
  data_scope text NOT NULL,
  builtin    boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version    bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, key)
);
SELECT crm_enable_rls('roles');

-- Casbin's table (gorm-adapter's layout). The tenant is the policy's domain: v1 of a "p" rule
-- (role, tenant, object, action), v2 of a "g" rule (user, role, tenant); tenant_id is derived
-- from it so that row-level security applies here as everywhere.
CREATE TABLE casbin_rule (
  id        bigserial,
  ptype     varchar(100) NOT NULL,
  v0        varchar(100) NOT NULL DEFAULT '',
  v1        varchar(100) NOT NULL DEFAULT '',
  v2        varchar(100) NOT NULL DEFAULT '',
  v3        varchar(100) NOT NULL DEFAULT '',
  v4        varchar(100) NOT NULL DEFAULT '',
  v5        varchar(100) NOT NULL DEFAULT '',
  tenant_id uuid GENERATED ALWAYS AS ((CASE WHEN ptype = 'p' THEN v1 ELSE v2 END)::uuid) STORED,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, ptype, v0, v1, v2, v3, v4, v5)
);
SELECT crm_enable_rls('casbin_rule');

CREATE TABLE audit_log (
  tenant_id  uuid NOT NULL REFERENCES tenants(id),
  id         uuid NOT NULL,
  at         timestamptz NOT NULL,
  actor_id   uuid,
  via        text NOT NULL,
  action     text NOT NULL,
  entity     text NOT NULL,
  entity_id  text NOT NULL,
  changes    jsonb NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_log_entity ON audit_log (tenant_id, entity, entity_id, id);
SELECT crm_enable_rls('audit_log');

-- +goose Down
DROP TABLE audit_log, casbin_rule, roles, api_tokens, sessions, users, departments CASCADE;
DROP TABLE platform_audit, platform_sessions, platform_admins, tenants CASCADE;
DROP FUNCTION crm_enable_rls(regclass);
DROP FUNCTION crm_current_tenant();
