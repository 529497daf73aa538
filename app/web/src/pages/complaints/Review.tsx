import { useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Card, DatePicker, Space, Statistic, Table, Tag } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api } from '../../api';
import { useI18n } from '../../i18n';
import { errorText, PageHeader, useFetch } from '../../ui';
import type { Complaint, Penalty, Remedy } from './model';

interface Review {
  month: string;
  items: { complaint: Complaint; remedies: Remedy[]; penalties: Penalty[] }[];
  counts: Record<string, number>;
}

// The monthly review (第28條): the cases closed in a month, last month by default, with their
// outcome, remedies and penalties, for the general manager's office by the 10th.
export default function ReviewPage() {
  const { t, opt, dateTime } = useI18n();
  const [month, setMonth] = useState<Dayjs>(dayjs().subtract(1, 'month'));
  const { data, error } = useFetch(() => api.get<Review>('/api/v1/complaints/review', { month: month.format('YYYY-MM') }), [month.format('YYYY-MM')]);
  return (
    <>
      <PageHeader title={t('nav.complaint_review')} extra={<DatePicker picker="month" value={month} onChange={(v) => v && setMonth(v)} allowClear={false} aria-label={t('cmp.month')} />} />
      {error ? <Alert type="error" showIcon message={errorText(error)} /> : null}
      <Card size="small" style={{ marginBottom: 12 }}>
        <Space size="large" wrap>
          <Statistic title={t('cmp.total')} value={data?.counts.total ?? 0} />
          <Statistic title={opt('cmp_outcome', 'resolved')} value={data?.counts.resolved ?? 0} />
          <Statistic title={opt('cmp_outcome', 'not_established')} value={data?.counts.not_established ?? 0} />
          <Statistic title={opt('cmp_outcome', 'not_accepted')} value={data?.counts.not_accepted ?? 0} />
          <Statistic title={t('cmp.late')} value={data?.counts.late ?? 0} />
        </Space>
      </Card>
      <Table rowKey={(r) => r.complaint.id} size="small" pagination={false} dataSource={data?.items || []} data-testid="complaint-review"
        columns={[
          { title: t('cmp.number'), key: 'n', render: (_, r) => <Link to={`/complaints/${r.complaint.id}`}>{r.complaint.number}</Link> },
          { title: t('cmp.category'), key: 'c', render: (_, r) => opt('cmp_category', r.complaint.category) },
          { title: t('cmp.outcome'), key: 'o', render: (_, r) => opt('cmp_outcome', r.complaint.outcome) },
          { title: t('cmp.sla'), key: 's', render: (_, r) => (r.complaint.sla_status === 'overdue' ? <Tag color="red">{opt('cmp_sla', 'overdue')}</Tag> : <Tag color="green">{opt('cmp_sla', 'on_track')}</Tag>) },
          { title: t('cmp.remedies'), key: 'r', render: (_, r) => r.remedies.map((m) => opt('cmp_kind', m.kind)).join('、') },
          { title: t('cmp.penalties'), key: 'p', render: (_, r) => r.penalties.map((p) => `${opt('cmp_penalty', p.kind)} (${opt('cmp_penalty', p.status)})`).join('、') },
          { title: t('cmp.received_at'), key: 'd', render: (_, r) => dateTime(r.complaint.received_at), responsive: ['lg'] },
        ]} />
    </>
  );
}
