-- +goose Up
-- Several public pools per tenant (EXP-2): pool_key names the pool a customer sits in ('' is
-- the default pool), and the pool log remembers which pool a claim came from, so that each
-- pool's claim quota counts only its own claims.
ALTER TABLE customers ADD COLUMN pool_key TEXT NOT NULL DEFAULT '';
ALTER TABLE customer_pool_log ADD COLUMN pool_key TEXT NOT NULL DEFAULT '';
DROP INDEX customers_pool;
CREATE INDEX customers_pool ON customers (tenant_id, in_pool, pool_key, id) WHERE deleted_at IS NULL;

-- Exact look-ups bind their value as a parameter, and SQLite cannot prove that "x = ?" implies
-- "x <> ''", so the partial indexes of 00002 were never used for them: index every row.
DROP INDEX customers_phone;
CREATE INDEX customers_phone ON customers (tenant_id, phone_hash);
DROP INDEX customers_credit_code;
CREATE INDEX customers_credit_code ON customers (tenant_id, credit_code);
DROP INDEX contacts_phone;
CREATE INDEX contacts_phone ON contacts (tenant_id, phone_hash);

-- +goose Down
DROP INDEX contacts_phone;
CREATE INDEX contacts_phone ON contacts (tenant_id, phone_hash) WHERE phone_hash <> '';
DROP INDEX customers_credit_code;
CREATE INDEX customers_credit_code ON customers (tenant_id, credit_code) WHERE credit_code <> '';
DROP INDEX customers_phone;
CREATE INDEX customers_phone ON customers (tenant_id, phone_hash) WHERE phone_hash <> '';
DROP INDEX customers_pool;
CREATE INDEX customers_pool ON customers (tenant_id, in_pool, id) WHERE deleted_at IS NULL;
ALTER TABLE customer_pool_log DROP COLUMN pool_key;
ALTER TABLE customers DROP COLUMN pool_key;
