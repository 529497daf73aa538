import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Card, Col, List, Row, Segmented, Space, Statistic, Table, Tag } from 'antd';
import { api, type Money } from '../../api';
import { useI18n } from '../../i18n';
import { useFeatures } from '../../features';
import { PageHeader, errorText } from '../../ui';
import { levelColor, MeasureButton, type Warning } from './CreditCard';

// The risk dashboard: the watched customers by risk level, the newest open warnings with
// their measures, and the overdue receivables by age.

interface Dashboard {
  by_level: Record<string, number>;
  customers: { customer_id: string; name: string; rating: string; risk_level: string }[];
  warnings: Warning[];
  ageing: { bucket: string; amount: Money; installments: number }[];
}

export default function RiskDashboard() {
  const { t, opt, money, dateTime } = useI18n();
  const f = useFeatures();
  const [d, setD] = useState<Dashboard | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [level, setLevel] = useState<string>('high');
  const load = useCallback(() => api.get<Dashboard>('/api/v1/risk/dashboard').then(setD, setErr), []);
  useEffect(() => {
    load();
  }, [load]);
  if (f.loaded && !f.has('/api/v1/risk/dashboard')) return <Alert type="info" showIcon message={t('common.module_unavailable')} />;
  return (
    <>
      <PageHeader title={t('risk.dashboard')} />
      {!!err && <Alert type="error" message={errorText(err)} />}
      {d && (
        <Row gutter={16}>
          <Col xs={24} lg={12}>
            <Card title={t('risk.customers_by_level')} size="small" style={{ marginBottom: 16 }}>
              <Row gutter={8} style={{ marginBottom: 12 }}>
                {['high', 'medium', 'low'].map((l) => (
                  <Col span={8} key={l}><Statistic title={opt('risk_level', l)} value={d.by_level[l] || 0} valueStyle={{ color: levelColor[l] }} /></Col>
                ))}
              </Row>
              <Segmented value={level} onChange={(v) => setLevel(String(v))} options={['high', 'medium', 'low'].map((l) => ({ value: l, label: opt('risk_level', l) }))} />
              <List size="small" dataSource={d.customers.filter((c) => c.risk_level === level)}
                renderItem={(c) => <List.Item><Link to={`/customers/${c.customer_id}`}>{c.name}</Link>{c.rating && <Tag color="blue">{c.rating}</Tag>}</List.Item>} />
            </Card>
            <Card title={t('risk.ageing')} size="small" style={{ marginBottom: 16 }}>
              <Table size="small" rowKey="bucket" pagination={false} dataSource={d.ageing}
                columns={[
                  { title: t('risk.days_overdue'), dataIndex: 'bucket', render: (v: string) => opt('risk_age', v) },
                  { title: t('sales.amount'), dataIndex: 'amount', render: (v: Money) => money(v) },
                  { title: t('risk.installments'), dataIndex: 'installments' },
                ]} />
            </Card>
          </Col>
          <Col xs={24} lg={12}>
            <Card title={t('risk.newest_warnings')} size="small" data-testid="risk-warnings">
              <List size="small" dataSource={d.warnings} locale={{ emptyText: t('risk.no_warnings') }}
                renderItem={(w) => (
                  <List.Item actions={[<MeasureButton key="m" warning={w} onDone={load} />]}>
                    <List.Item.Meta
                      title={<Space><Tag color={levelColor[w.level]}>{opt('risk_level', w.level)}</Tag><Link to={`/customers/${w.customer_id}`}>{w.customer_name}</Link>{opt('risk_kind', w.kind)}</Space>}
                      description={<>{w.message} · {dateTime(w.raised_at)}{w.measures.map((m) => <div key={m.id}><Tag>{opt('risk_measure', m.measure)}</Tag>{m.note}</div>)}</>} />
                  </List.Item>
                )} />
            </Card>
          </Col>
        </Row>
      )}
    </>
  );
}
