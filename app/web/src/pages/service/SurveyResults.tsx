import { useEffect, useState } from 'react';
import { Alert, DatePicker, Table, Tag } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api } from '../../api';
import { useI18n } from '../../i18n';
import { errorText, PageHeader } from '../../ui';

// Survey results per technician and month (第17條: they feed the monthly evaluation): surveys,
// flagged ones, the mean score (very satisfied 4 … poor 1) and the share satisfied.

interface Row {
  technician_id: string; technician_name: string; month: string; surveys: number; flagged: number;
  score: string | null; satisfaction: string | null;
}

export default function SurveyResults() {
  const { t } = useI18n();
  const [month, setMonth] = useState<Dayjs>(dayjs());
  const [rows, setRows] = useState<Row[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  useEffect(() => {
    setErr(null);
    api.get<{ rows: Row[] }>('/api/v1/reports/service', { period: month.format('YYYY-MM'), group_by: 'technician' }).then((r) => setRows(r.rows || []), setErr);
  }, [month]);
  return (
    <>
      <PageHeader title={t('nav.survey_results')} extra={<DatePicker picker="month" value={month} allowClear={false} onChange={(v) => v && setMonth(v)} aria-label={t('svc.month')} />} />
      {!!err && <Alert type="error" showIcon message={errorText(err)} />}
      <Table<Row> rowKey={(r) => r.technician_id + r.month} loading={rows === null && !err} dataSource={rows || []} pagination={false} data-testid="survey-results"
        columns={[
          { title: t('svc.technician'), dataIndex: 'technician_name' },
          { title: t('svc.month'), dataIndex: 'month', responsive: ['md'] },
          { title: t('svc.surveys'), dataIndex: 'surveys' },
          { title: t('svc.flagged'), dataIndex: 'flagged', render: (v: number) => (v ? <Tag color="red">{v}</Tag> : 0) },
          { title: t('svc.score'), dataIndex: 'score', render: (v: string | null) => v ?? '—' },
          { title: t('svc.satisfaction'), dataIndex: 'satisfaction', render: (v: string | null) => (v ? `${(Number(v) * 100).toFixed(1)}%` : '—') },
        ]} />
    </>
  );
}
