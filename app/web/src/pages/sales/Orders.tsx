import { App, Button } from 'antd';
import { api } from '../../api';
import { useI18n } from '../../i18n';
import { useAuth } from '../../auth';
import { errorText } from '../../ui';
import { type ActionCtx, type EntitySpec } from '../../entity';

// Orders: orders and their delivery status.

export const orders: EntitySpec = {
  path: '/api/v1/orders', object: 'order', title: 'nav.orders', newLabel: 'sales.new_order',
  columns: [{ key: 'number', label: 'sales.number' }, { key: 'customer_id', label: 'opp.customer', kind: 'customer' }, { key: 'amount', label: 'sales.amount', kind: 'money' }, { key: 'order_date', label: 'sales.order_date', kind: 'date', responsive: ['md'] }, { key: 'delivery_status', label: 'sales.delivery', kind: 'enum', prefix: 'delivery' }],
  fields: [{ name: 'customer_id', label: 'opp.customer', kind: 'customer', required: true }, { name: 'amount', label: 'sales.amount', kind: 'money', required: true }, { name: 'contract_id', label: 'sales.contract', kind: 'contract' }, { name: 'order_date', label: 'sales.order_date', kind: 'date' }, { name: 'number', label: 'sales.number', kind: 'text' }, { name: 'notes', label: 'common.notes', kind: 'textarea' }],
  actions: (row, ctx) => <OrderActions row={row} ctx={ctx} />,
};

function OrderActions({ row, ctx }: { row: any; ctx: ActionCtx }) {
  const { t, opt } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const next: Record<string, string[]> = { pending: ['shipped', 'cancelled'], shipped: ['delivered'] };
  if (!can('order', 'update')) return null;
  return (
    <>
      {(next[row.delivery_status] || []).map((st) => (
        <Button key={st} size="small" type="link" danger={st === 'cancelled'} onClick={() => api.patch(`/api/v1/orders/${row.id}`, { version: row.version, delivery_status: st }).then(() => { message.success(t('common.saved')); ctx.reload(); }, (e) => message.error(errorText(e)))}>
          {t('sales.mark_as', { status: opt('delivery', st) })}
        </Button>
      ))}
    </>
  );
}
