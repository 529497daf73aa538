import { Link } from 'react-router-dom';
import { useI18n } from '../../i18n';
import { type EntitySpec } from '../../entity';

// Receivables: what customers owe, due date first — the installments of contracts' payment
// plans and the invoices of paid after-sales work. An installment of an invoiced work order
// has no contract; it names the work order (its number, linking to it) instead.

// Source shows what an installment is owed for: its work order (number, link) or contract.
export function Source({ row }: { row: any }) {
  const { t } = useI18n();
  if (row.work_order_id) {
    return <Link to={`/service/work-orders/${row.work_order_id}`}>{t('receivable.work_order')} {row.work_order_number}</Link>;
  }
  if (row.contract_id) return <Link to={`/sales/contracts?id=${row.contract_id}`}>{t('receivable.contract')}</Link>;
  return null;
}

export const receivables: EntitySpec = {
  path: '/api/v1/installments', object: 'payment', title: 'nav.receivables', newLabel: 'sales.new_payment', readOnly: true,
  columns: [
    { key: 'contract_id', label: 'receivable.source', render: (_: unknown, row: any) => <Source row={row} /> },
    { key: 'due_date', label: 'sales.due_date', kind: 'date' }, { key: 'amount', label: 'sales.amount', kind: 'money' },
    { key: 'paid_amount', label: 'sales.paid', kind: 'money', responsive: ['md'] }, { key: 'outstanding', label: 'sales.outstanding', kind: 'money' },
    { key: 'status', label: 'sales.status', kind: 'enum', prefix: 'inststatus' }, { key: 'overdue', label: 'sales.overdue', kind: 'bool', responsive: ['md'] },
    { key: 'note', label: 'common.notes', responsive: ['lg'] },
  ],
  fields: [],
  filters: [
    { name: 'open', label: 'receivable.open', prefix: 'receivable.open', values: ['true', 'false'] },
    { name: 'overdue', label: 'sales.overdue', prefix: 'receivable.overdue', values: ['true', 'false'] },
  ],
};
