import { Table } from 'antd';
import { Link } from 'react-router-dom';
import { useI18n } from '../../i18n';
import { type EntitySpec } from '../../entity';

// Payments: payments received, with what they were allocated to in the detail drawer.

export const payments: EntitySpec = {
  path: '/api/v1/payments', object: 'payment', title: 'nav.payments', newLabel: 'sales.new_payment',
  columns: [{ key: 'received_on', label: 'sales.received_on', kind: 'date' }, { key: 'customer_id', label: 'opp.customer', kind: 'customer' }, { key: 'amount', label: 'sales.amount', kind: 'money' }, { key: 'method', label: 'sales.method', kind: 'enum', prefix: 'paymethod' }, { key: 'reference', label: 'sales.reference', responsive: ['md'] }, { key: 'unallocated', label: 'sales.unallocated', kind: 'money', responsive: ['lg'] }],
  fields: [
    { name: 'customer_id', label: 'opp.customer', kind: 'customer', required: true }, { name: 'amount', label: 'sales.amount', kind: 'money', required: true },
    { name: 'method', label: 'sales.method', kind: 'select', required: true, options: { prefix: 'paymethod', values: ['bank_transfer', 'cash', 'cheque', 'card', 'alipay', 'wechat_pay', 'other'] } },
    { name: 'received_on', label: 'sales.received_on', kind: 'date' }, { name: 'contract_id', label: 'sales.contract', kind: 'contract' }, { name: 'reference', label: 'sales.reference', kind: 'text' }, { name: 'note', label: 'common.notes', kind: 'textarea' },
  ],
  detail: {
    columns: [
      { key: 'received_on', label: 'sales.received_on', kind: 'date' }, { key: 'customer_id', label: 'opp.customer', kind: 'customer' }, { key: 'amount', label: 'sales.amount', kind: 'money' },
      { key: 'method', label: 'sales.method', kind: 'enum', prefix: 'paymethod' }, { key: 'reference', label: 'sales.reference' }, { key: 'unallocated', label: 'sales.unallocated', kind: 'money' },
      { key: 'work_order_id', label: 'receivable.work_order', render: (v: string) => <WorkOrderLink id={v} /> },
      { key: 'owner_id', label: 'customer.owner', kind: 'user' }, { key: 'note', label: 'common.notes' }, { key: 'created_at', label: 'common.created_at', kind: 'datetime' },
    ],
    edit: [
      { name: 'amount', label: 'sales.amount', kind: 'money', required: true }, { name: 'received_on', label: 'sales.received_on', kind: 'date', required: true },
      { name: 'method', label: 'sales.method', kind: 'select', required: true, options: { prefix: 'paymethod', values: ['bank_transfer', 'cash', 'cheque', 'card', 'alipay', 'wechat_pay', 'other'] } },
      { name: 'reference', label: 'sales.reference', kind: 'text' }, { name: 'note', label: 'common.notes', kind: 'textarea' },
    ],
    body: (row) => <Allocations row={row} />,
  },
};

// WorkOrderLink opens the after-sales work order a payment was made against (its fee collected
// on site, or a payment of its invoice).
function WorkOrderLink({ id }: { id: string }) {
  const { t } = useI18n();
  return <Link to={`/service/work-orders/${id}`}>{t('common.open')}</Link>;
}

function Allocations({ row }: { row: any }) {
  const { t, money } = useI18n();
  if (!row.allocations?.length) return null;
  return (
    <Table size="small" rowKey="installment_id" pagination={false} style={{ marginTop: 16 }} dataSource={row.allocations}
      columns={[
        { title: t('sales.installment'), dataIndex: 'installment_id', render: (v: string) => <code>{v.slice(0, 8)}</code> },
        { title: t('sales.allocated'), dataIndex: 'amount', align: 'right' as const, render: (v: string) => money({ amount: v, currency: row.amount?.currency }) },
      ]} />
  );
}
