-- +goose Up
-- Several public pools per tenant (EXP-2): pool_key names the pool a customer sits in ('' is
-- the default pool), and the pool log remembers which pool a claim came from, so that each
-- pool's claim quota counts only its own claims.
ALTER TABLE customers ADD COLUMN pool_key text NOT NULL DEFAULT '';
ALTER TABLE customer_pool_log ADD COLUMN pool_key text NOT NULL DEFAULT '';
DROP INDEX customers_pool;
CREATE INDEX customers_pool ON customers (tenant_id, in_pool, pool_key, id) WHERE deleted_at IS NULL;

-- Exact look-ups bind their value as a parameter; a generic plan cannot prove that "x = $1"
-- implies "x <> ''", so index every row rather than rely on custom plans.
DROP INDEX customers_phone;
CREATE INDEX customers_phone ON customers (tenant_id, phone_hash);
DROP INDEX customers_credit_code;
CREATE INDEX customers_credit_code ON customers (tenant_id, credit_code);
DROP INDEX contacts_phone;
CREATE INDEX contacts_phone ON contacts (tenant_id, phone_hash);

-- Name search (ILIKE '%…%') can use the pg_trgm index only if the planner may evaluate ILIKE
-- before the row-level-security policy, i.e. if texticlike is LEAKPROOF. Its only errors
-- come from the pattern — the searcher's own input — never from a row's contents, so the flag
-- reveals nothing about rows the policy hides. Setting it needs a superuser: a migration run by
-- the owner role leaves it to the provisioning step (deploy/ensure-postgres.sh, or the
-- statement in the README), and the server warns at start-up while it is missing.
-- +goose StatementBegin
DO $$
BEGIN
  ALTER FUNCTION texticlike(text, text) LEAKPROOF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'texticlike is not LEAKPROOF: 3+ character name search cannot use its index under RLS';
END $$;
-- +goose StatementEnd

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
