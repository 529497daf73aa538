import { Tag } from 'antd';
import { useI18n } from '../../i18n';
import { slaColor } from './model';

// SlaBadge is the case's standing against its deadline: green on track, orange due soon, red
// overdue; grey while the clock is paused.
export function SlaBadge({ status, paused }: { status: string; paused?: boolean }) {
  const { t, opt } = useI18n();
  if (paused) return <Tag data-testid="sla-badge" data-sla="paused">{t('cmp.paused')}</Tag>;
  return <Tag data-testid="sla-badge" data-sla={status} color={slaColor[status] || 'default'}>{opt('cmp_sla', status)}</Tag>;
}
