import { App, Button } from 'antd';
import { api } from '../../api';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import { errorText } from '../../ui';
import { type ActionCtx, type EntitySpec } from '../../entity';

// Emergency incidents (應急事件, seed 002 §8): the affected customers are one customer, or every
// customer of a tier; their owners hear of it.

export const INCIDENT_KINDS = ['natural_disaster', 'equipment_failure', 'network_attack', 'supply_interruption', 'other'];
export const INCIDENT_STATUSES = ['open', 'responding', 'recovered', 'reviewed'];

export const incidents: EntitySpec = {
  path: '/api/v1/incidents', object: 'incident', title: 'nav.incidents', newLabel: 'inc.new',
  columns: [
    { key: 'title', label: 'inc.title' },
    { key: 'level', label: 'inc.level', kind: 'enum', prefix: 'inc_level' },
    { key: 'kind', label: 'inc.kind', kind: 'enum', prefix: 'inc_kind', responsive: ['md'] },
    { key: 'owner_id', label: 'inc.owner', kind: 'user', responsive: ['md'] },
    { key: 'created_at', label: 'common.created_at', kind: 'datetime', responsive: ['lg'] },
    { key: 'status', label: 'svc.status', kind: 'enum', prefix: 'inc_status' },
  ],
  fields: [
    { name: 'title', label: 'inc.title', kind: 'text', required: true, span: 24 },
    { name: 'level', label: 'inc.level', kind: 'select', required: true, options: { prefix: 'inc_level', values: ['1', '2'] } },
    { name: 'kind', label: 'inc.kind', kind: 'select', required: true, options: { prefix: 'inc_kind', values: INCIDENT_KINDS } },
    { name: 'affected_customer', label: 'inc.affected_customer', kind: 'customer' },
    { name: 'affected_tier', label: 'inc.affected_tier', kind: 'select', options: { prefix: 'tier', values: ['key', 'general', 'potential'] } },
    { name: 'description', label: 'inc.description', kind: 'textarea' },
    { name: 'response_plan', label: 'inc.response_plan', kind: 'textarea' },
  ],
  prepare: ({ affected_customer, affected_tier, level, ...rest }) => ({
    ...rest,
    level: Number(level),
    ...(affected_customer ? { customer_ids: [affected_customer] } : {}),
    ...(affected_tier ? { customer_filter: { tier: affected_tier } } : {}),
  }),
  filters: [{ name: 'status', label: 'svc.status', prefix: 'inc_status', values: INCIDENT_STATUSES }],
  actions: (row, ctx) => {
    const next: Record<string, string> = { open: 'responding', responding: 'recovered', recovered: 'reviewed' };
    const to = next[row.status];
    return to ? <IncidentMove row={row} to={to} ctx={ctx} /> : null;
  },
};

function IncidentMove({ row, to, ctx }: { row: any; to: string; ctx: ActionCtx }) {
  const { t, opt } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  if (!can('incident', 'update')) return null;
  const move = () => api.patch(`/api/v1/incidents/${row.id}`, { version: row.version, status: to }).then(() => { message.success(t('common.saved')); ctx.reload(); }, (e) => message.error(errorText(e)));
  return (
    <Button size="small" type="link" onClick={move}>
      {t('inc.move_to', { status: opt('inc_status', to) })}
    </Button>
  );
}
