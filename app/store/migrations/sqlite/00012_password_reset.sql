-- +goose Up
-- A password an owner set for someone else is a temporary one: its user must choose their own
-- before doing anything else (IAM: nobody but the user knows their password).
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE users DROP COLUMN must_change_password;
