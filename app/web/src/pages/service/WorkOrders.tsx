import { Link } from 'react-router-dom';
import { Button } from 'antd';
import { useI18n } from '../../i18n';
import { useAuth } from '../../auth';
import { type ActionCtx, type EntitySpec } from '../../entity';

// The service register (服務登記簿): every work order, registered here by customer service.

export const STATUSES = ['registered', 'dispatched', 'accepted', 'in_progress', 'on_hold', 'completed', 'signed_off', 'invoiced', 'closed', 'cancelled'];
export const CHANNELS = ['phone', 'email', 'document', 'visit', 'web', 'wechat', 'other'];
export const URGENCIES = ['low', 'normal', 'high', 'urgent'];
export const TYPES = ['paid', 'contract', 'free', 'internal'];

export const workOrders: EntitySpec = {
  path: '/api/v1/work-orders', object: 'workorder', title: 'nav.work_orders', newLabel: 'svc.register',
  columns: [
    { key: 'number', label: 'sales.number' },
    { key: 'customer_id', label: 'opp.customer', kind: 'customer' },
    { key: 'model', label: 'svc.model', responsive: ['md'] },
    { key: 'type', label: 'svc.type', kind: 'enum', prefix: 'svc_type' },
    { key: 'urgency', label: 'svc.urgency', kind: 'enum', prefix: 'svc_urgency', responsive: ['md'] },
    { key: 'technician_id', label: 'svc.technician', kind: 'user' },
    { key: 'carried_over', label: 'svc.carried_over', kind: 'bool', responsive: ['lg'] },
    { key: 'status', label: 'svc.status', kind: 'enum', prefix: 'svc_status' },
  ],
  fields: [
    { name: 'customer_id', label: 'opp.customer', kind: 'customer', required: true },
    { name: 'model', label: 'svc.model', kind: 'text', required: true },
    { name: 'specification', label: 'svc.specification', kind: 'text' },
    { name: 'serial', label: 'svc.serial', kind: 'text' },
    { name: 'purchase_date', label: 'svc.purchase_date', kind: 'date' },
    { name: 'purchase_place', label: 'svc.purchase_place', kind: 'text' },
    { name: 'channel', label: 'svc.channel', kind: 'select', required: true, options: { prefix: 'svc_channel', values: CHANNELS } },
    { name: 'urgency', label: 'svc.urgency', kind: 'select', required: true, options: { prefix: 'svc_urgency', values: URGENCIES } },
    { name: 'type', label: 'svc.type_override', kind: 'select', options: { prefix: 'svc_type', values: TYPES } },
    { name: 'type_reason', label: 'svc.type_reason', kind: 'text' },
    { name: 'fault', label: 'svc.fault', kind: 'textarea', required: true },
  ],
  filters: [
    { name: 'status', label: 'svc.status', prefix: 'svc_status', values: STATUSES },
    { name: 'carried_over', label: 'svc.carried_over', prefix: 'svc_yesno', values: ['true', 'false'] },
  ],
  actions: (row, ctx) => <WorkOrderActions row={row} ctx={ctx} />,
};

function WorkOrderActions({ row }: { row: any; ctx: ActionCtx }) {
  const { t } = useI18n();
  const { can } = useAuth();
  if (!can('workorder', 'read')) return null;
  return (
    <Link to={`/service/work-orders/${row.id}`}>
      <Button size="small" type="link">{t('svc.work_on')}</Button>
    </Link>
  );
}
