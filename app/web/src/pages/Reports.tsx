import { useMemo, useState } from 'react';
import { Alert, Card, Col, Empty, Row, Segmented, Select, Skeleton, Statistic, Table } from 'antd';
import { api } from '../api';
import { useI18n } from '../i18n';
import { useFeatures } from '../features';
import { Chart } from '../Chart';
import { PageHeader, errorText, useFetch, useUsers, useDepartments, nameOf } from '../ui';
import { moneyNumber, formatPercent } from '../format';

// Rows of GET /reports/sales: one per user or department, with revenue (money), conversion
// and follow-up compliance (fractions 0..1) and counts.
interface ReportRow {
  key?: string;
  id?: string;
  user_id?: string;
  department_id?: string;
  name?: string;
  revenue?: { amount: string; currency: string };
  [k: string]: unknown;
}

function rowsOf(r: any): ReportRow[] {
  if (!r) return [];
  if (Array.isArray(r)) return r;
  for (const k of ['items', 'rows', 'groups']) if (Array.isArray(r[k])) return r[k];
  return [];
}

export default function Reports() {
  const { t, money, lang, num } = useI18n();
  const f = useFeatures();
  const users = useUsers();
  const depts = useDepartments();
  const [period, setPeriod] = useState('month');
  const [groupBy, setGroupBy] = useState<'user' | 'department'>('user');
  const rep = useFetch(() => api.get<any>('/api/v1/reports/sales', { period, group_by: groupBy }), [period, groupBy]);
  const rows = rowsOf(rep.data);
  const label = (r: ReportRow) => r.name || (groupBy === 'user' ? nameOf(users, (r.user_id || r.key || r.id) as string) : nameOf(depts, (r.department_id || r.key || r.id) as string)) || String(r.key || r.id || '');
  const numericKeys = useMemo(() => {
    const s = new Set<string>();
    for (const r of rows) for (const [k, v] of Object.entries(r)) if (typeof v === 'number') s.add(k);
    return [...s];
  }, [rows]);
  const rateKeys = numericKeys.filter((k) => /rate|compliance|conversion/.test(k));
  const countKeys = numericKeys.filter((k) => !rateKeys.includes(k));
  const revenueOption = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      grid: { left: 8, right: 8, top: 24, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: rows.map(label), axisLabel: { interval: 0, rotate: rows.length > 6 ? 30 : 0 } },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => new Intl.NumberFormat(lang === 'en' ? 'en-US' : lang, { notation: 'compact' }).format(v) } },
      series: [{ type: 'bar', name: t('reports.revenue'), data: rows.map((r) => moneyNumber(r.revenue as any)), itemStyle: { color: '#1677ff' } }],
    }),
    [rows, lang, t], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const rateOption = useMemo(
    () => ({
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatPercent(v, lang) },
      legend: { bottom: 0 },
      grid: { left: 8, right: 8, top: 24, bottom: 32, containLabel: true },
      xAxis: { type: 'category', data: rows.map(label) },
      yAxis: { type: 'value', max: 1, axisLabel: { formatter: (v: number) => formatPercent(v, lang) } },
      series: rateKeys.map((k) => ({ type: 'bar', name: t(('reports.' + k) as any) === 'reports.' + k ? k : t(('reports.' + k) as any), data: rows.map((r) => r[k] as number) })),
    }),
    [rows, rateKeys, lang, t], // eslint-disable-line react-hooks/exhaustive-deps
  );
  if (f.loaded && !f.has('/api/v1/reports/sales')) return <Alert type="info" showIcon message={t('common.module_unavailable')} />;
  const totalRevenue = rows.reduce((a, r) => a + moneyNumber(r.revenue as any), 0);
  const currency = rows.find((r) => r.revenue)?.revenue?.currency || 'CNY';
  return (
    <>
      <PageHeader
        title={t('nav.reports')}
        extra={
          <>
            <Segmented value={period} onChange={(v) => setPeriod(String(v))} options={['week', 'month', 'quarter', 'year'].map((p) => ({ value: p, label: t(('reports.period_' + p) as any) }))} />
            <Select value={groupBy} onChange={setGroupBy} style={{ width: 130 }} aria-label={t('reports.group_by')} options={[{ value: 'user', label: t('reports.by_user') }, { value: 'department', label: t('reports.by_department') }]} />
          </>
        }
      />
      {rep.error ? <Alert type="error" showIcon message={errorText(rep.error)} style={{ marginBottom: 12 }} /> : null}
      {rep.loading && !rep.data ? (
        <Skeleton active />
      ) : rows.length === 0 ? (
        <Empty description={t('reports.empty')} />
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} md={8}>
            <Card size="small"><Statistic title={t('reports.revenue')} value={money({ amount: totalRevenue.toFixed(2), currency })} /></Card>
          </Col>
          {countKeys.slice(0, 2).map((k) => (
            <Col xs={12} md={8} key={k}>
              <Card size="small"><Statistic title={k} value={num(rows.reduce((a, r) => a + ((r[k] as number) || 0), 0))} /></Card>
            </Col>
          ))}
          <Col xs={24} lg={12}>
            <Card size="small" title={t('reports.revenue')}>
              <Chart option={revenueOption} label={t('reports.revenue')} />
            </Card>
          </Col>
          {rateKeys.length > 0 && (
            <Col xs={24} lg={12}>
              <Card size="small" title={t('reports.rates')}>
                <Chart option={rateOption} label={t('reports.rates')} />
              </Card>
            </Col>
          )}
          <Col xs={24}>
            <Table
              size="small"
              rowKey={(r) => String(r.key || r.id || r.user_id || r.department_id || label(r))}
              pagination={false}
              dataSource={rows}
              scroll={{ x: 'max-content' }}
              columns={[
                { title: groupBy === 'user' ? t('reports.by_user') : t('reports.by_department'), key: 'n', render: (_: unknown, r: ReportRow) => label(r) },
                { title: t('reports.revenue'), key: 'rev', render: (_: unknown, r: ReportRow) => money(r.revenue as any) },
                ...numericKeys.map((k) => ({ title: k, dataIndex: k, key: k, render: (v: number) => (rateKeys.includes(k) ? formatPercent(v, lang) : num(v)) })),
              ]}
            />
          </Col>
        </Row>
      )}
    </>
  );
}
