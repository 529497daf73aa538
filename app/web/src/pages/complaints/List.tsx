import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { Button, Select, Space, Table, Tag } from 'antd';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import { PageHeader, Pager, nameOf, useCursorList, useUsers } from '../../ui';
import { STATUSES, type Complaint } from './model';
import { SlaBadge } from './SlaBadge';

// The case lists: "my cases" (handled by me or mine to fix) and the department's queue, both
// sorted by deadline, soonest first, with the SLA badge; "all" in intake order.
export default function ComplaintList({ mode }: { mode: 'mine' | 'queue' | 'all' }) {
  const { t, opt, dateTime } = useI18n();
  const { me, can } = useAuth();
  const users = useUsers();
  const nav = useNavigate();
  const [status, setStatus] = useState<string>(mode === 'all' ? '' : 'open');
  const query: Record<string, string> = {};
  if (status) query.status = status;
  if (mode !== 'all') query.sort = 'due_at';
  if (mode === 'mine') query.mine = 'true';
  if (mode === 'queue' && me?.user.department_id) query.department_id = me.user.department_id;
  const list = useCursorList<Complaint>('/api/v1/complaints', query);
  const title = mode === 'mine' ? 'nav.my_cases' : mode === 'queue' ? 'nav.complaint_queue' : 'nav.complaints';
  return (
    <>
      <PageHeader title={t(title)} extra={can('complaint', 'create') && <Button type="primary" onClick={() => nav('/complaints/new')}>{t('cmp.new')}</Button>} />
      <Space style={{ marginBottom: 12 }} wrap>
        <Select style={{ minWidth: 180 }} value={status} onChange={setStatus} aria-label={t('cmp.status')}
          options={[{ value: '', label: t('cmp.all') }, { value: 'open', label: t('cmp.open_filter') }, ...STATUSES.map((s) => ({ value: s, label: opt('cmp_status', s) }))]} />
      </Space>
      <Table<Complaint> rowKey="id" size="small" loading={list.loading} dataSource={list.items} pagination={false} data-testid="complaint-list"
        locale={{ emptyText: t('cmp.empty') }}
        columns={[
          { title: t('cmp.number'), dataIndex: 'number', render: (v, r) => <Link to={`/complaints/${r.id}`}>{v}</Link> },
          { title: t('cmp.category'), dataIndex: 'category', render: (v) => opt('cmp_category', v), responsive: ['md'] },
          { title: t('cmp.severity'), dataIndex: 'severity', render: (v) => (v === 'severe' ? <Tag color="red">{opt('cmp_severity', v)}</Tag> : opt('cmp_severity', v)) },
          { title: t('cmp.status'), dataIndex: 'status', render: (v) => opt('cmp_status', v) },
          { title: t('cmp.due_at'), dataIndex: 'due_at', render: (v) => dateTime(v) },
          { title: t('cmp.sla'), dataIndex: 'sla_status', render: (v, r) => (r.status === 'closed' ? null : <SlaBadge status={v} paused={r.paused} />) },
          { title: t('cmp.handler'), dataIndex: 'handler_id', render: (v) => nameOf(users, v), responsive: ['lg'] },
        ]} />
      <Pager list={list} />
    </>
  );
}
