-- +goose Up
-- Who submitted a contract for review: a reviewer may not approve their own submission
-- (the owner excepted).
ALTER TABLE contracts ADD COLUMN submitted_by uuid;

-- +goose Down
ALTER TABLE contracts DROP COLUMN submitted_by;
