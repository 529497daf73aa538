-- +goose Up
-- auth_version changes whenever a credential or a user's standing in the tenant changes
-- (token revoked, signed out, user edited or disabled). Servers cache authenticated principals
-- and compare this version, read with the tenant on every request, so a change applies on the
-- next request on every replica.
ALTER TABLE tenants ADD COLUMN auth_version bigint NOT NULL DEFAULT 1;

-- +goose Down
ALTER TABLE tenants DROP COLUMN auth_version;
