import { Button, Modal, Table } from 'antd';
import { api, type Money } from '../../api';
import { useI18n } from '../../i18n';
import { errorText } from '../../ui';
import { type EntitySpec } from '../../entity';

// Quotes: quotes with their lines; a draft's lines change in the detail drawer, and a row's
// buttons move the quote on (draft → sent → accepted or rejected).

export const quotes: EntitySpec = {
  path: '/api/v1/quotes', object: 'quote', title: 'nav.quotes', newLabel: 'sales.new_quote',
  columns: [{ key: 'number', label: 'sales.number' }, { key: 'customer_id', label: 'opp.customer', kind: 'customer' }, { key: 'status', label: 'sales.status', kind: 'enum', prefix: 'quotestatus' }, { key: 'total', label: 'sales.total', kind: 'money' }, { key: 'valid_until', label: 'sales.valid_until', kind: 'date', responsive: ['md'] }, { key: 'owner_id', label: 'customer.owner', kind: 'user', responsive: ['lg'] }],
  fields: [{ name: 'customer_id', label: 'opp.customer', kind: 'customer', required: true }, { name: 'valid_until', label: 'sales.valid_until', kind: 'date' }, { name: 'lines', label: 'sales.lines', kind: 'lines', required: true }, { name: 'notes', label: 'common.notes', kind: 'textarea' }],
  filters: [{ name: 'status', label: 'sales.status', prefix: 'quotestatus', values: ['draft', 'sent', 'accepted', 'rejected'] }],
  detail: {
    columns: [
      { key: 'number', label: 'sales.number' }, { key: 'status', label: 'sales.status', kind: 'enum', prefix: 'quotestatus' }, { key: 'customer_id', label: 'opp.customer', kind: 'customer' },
      { key: 'owner_id', label: 'customer.owner', kind: 'user' }, { key: 'subtotal', label: 'sales.subtotal', kind: 'money' }, { key: 'discount_total', label: 'sales.discount', kind: 'money' },
      { key: 'total', label: 'sales.total', kind: 'money' }, { key: 'valid_until', label: 'sales.valid_until', kind: 'date' }, { key: 'notes', label: 'common.notes' },
      { key: 'created_at', label: 'common.created_at', kind: 'datetime' },
    ],
    edit: [{ name: 'valid_until', label: 'sales.valid_until', kind: 'date', draftOnly: true }, { name: 'lines', label: 'sales.lines', kind: 'lines', required: true, draftOnly: true }, { name: 'notes', label: 'common.notes', kind: 'textarea' }],
    body: (row) => <QuoteLines row={row} />,
  },
  actions: (row, ctx) => {
    const next: Record<string, string[]> = { draft: ['sent'], sent: ['accepted', 'rejected'] };
    return (next[row.status] || []).map((s) => (
      <Button key={s} size="small" type="link" onClick={() => api.patch(`/api/v1/quotes/${row.id}`, { status: s, version: row.version }).then(ctx.reload, (e) => Modal.error({ title: errorText(e) }))}>
        <QuoteStatusLabel s={s} />
      </Button>
    ));
  },
};

function QuoteLines({ row }: { row: any }) {
  const { t, money } = useI18n();
  return (
    <Table size="small" rowKey={(_, i) => String(i)} pagination={false} style={{ marginTop: 16 }} scroll={{ x: 'max-content' }} dataSource={row.lines || []}
      columns={[
        { title: t('sales.product'), dataIndex: 'description' },
        { title: t('sales.quantity'), dataIndex: 'quantity', align: 'right' as const },
        { title: t('sales.unit_price'), dataIndex: 'unit_price', align: 'right' as const, render: (v: Money) => money(v) },
        { title: t('sales.total'), dataIndex: 'line_total', align: 'right' as const, render: (v: Money) => money(v) },
      ]} />
  );
}

function QuoteStatusLabel({ s }: { s: string }) {
  const { t, opt } = useI18n();
  return <>{t('sales.mark_as', { status: opt('quotestatus', s) })}</>;
}
