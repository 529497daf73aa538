-- Receivables of invoiced after-sales work (issue 12, 第9條): finance issuing the invoice of a
-- paid work order makes an installment of the sales module that belongs to the work order
-- instead of a contract. contract_id becomes nullable, work_order_id is added (composite FK,
-- one installment per work order), and exactly one of the two is set. The table keeps its
-- row-level security; the new column needs no policy of its own.

-- +goose Up
ALTER TABLE payment_installments ALTER COLUMN contract_id DROP NOT NULL;
ALTER TABLE payment_installments ADD COLUMN work_order_id uuid;
ALTER TABLE payment_installments ADD CONSTRAINT payment_installments_work_order_fk
  FOREIGN KEY (tenant_id, work_order_id) REFERENCES work_orders (tenant_id, id) ON DELETE CASCADE;
ALTER TABLE payment_installments ADD CONSTRAINT payment_installments_one_source
  CHECK ((contract_id IS NULL) <> (work_order_id IS NULL));
CREATE UNIQUE INDEX payment_installments_work_order ON payment_installments (tenant_id, work_order_id) WHERE work_order_id IS NOT NULL;

-- +goose Down
DELETE FROM payment_installments WHERE work_order_id IS NOT NULL;
DROP INDEX payment_installments_work_order;
ALTER TABLE payment_installments DROP CONSTRAINT payment_installments_one_source;
ALTER TABLE payment_installments DROP CONSTRAINT payment_installments_work_order_fk;
ALTER TABLE payment_installments DROP COLUMN work_order_id;
ALTER TABLE payment_installments ALTER COLUMN contract_id SET NOT NULL;
