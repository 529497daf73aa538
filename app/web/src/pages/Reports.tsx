import { useMemo, useState } from 'react';
import { Alert, Card, Col, DatePicker, Empty, Row, Segmented, Select, Skeleton, Space, Statistic, Table } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api, type Money } from '../api';
import { useI18n } from '../i18n';
import { useFeatures } from '../features';
import { Chart } from '../Chart';
import { PageHeader, errorText, useFetch } from '../ui';
import { moneyNumber, formatPercent } from '../format';

interface Ratio {
  count: number;
  base: number;
  rate: string | null;
}
interface Metrics {
  revenue: Money;
  won: { count: number; amount: Money };
  lost: number;
  win_rate: string | null;
  conversion: { created: number; demo_reached: number; rate: string | null; stages: { stage: string; reached: number; rate_to_next: string | null }[] | null };
  follow_up_compliance: Ratio;
  renewal_rate: Ratio;
  referral_rate: Ratio;
  payments: number;
}
interface Group extends Metrics {
  key: string;
  name: string;
}
interface Report {
  base_currency: string;
  from: string;
  to: string;
  group_by: string;
  groups: Group[] | null;
  totals: Metrics;
  missing_rates: { currency: string; date: string }[] | null;
}

// periodOf turns the chosen kind of period and day into the API's period: 2024, 2024-05,
// 2024-Q2, or a range of days for a week.
export function periodOf(kind: string, d: Dayjs): string {
  switch (kind) {
    case 'year':
      return d.format('YYYY');
    case 'quarter':
      return `${d.format('YYYY')}-Q${Math.floor(d.month() / 3) + 1}`;
    case 'week': {
      const start = d.subtract((d.day() + 6) % 7, 'day');
      return `${start.format('YYYY-MM-DD')}..${start.add(6, 'day').format('YYYY-MM-DD')}`;
    }
    default:
      return d.format('YYYY-MM');
  }
}

const rate = (r: string | null | undefined) => (r === null || r === undefined ? null : Number(r));

export default function Reports() {
  const { t, money, lang, num, opt, date } = useI18n();
  const f = useFeatures();
  const [kind, setKind] = useState('month');
  const [day, setDay] = useState<Dayjs>(dayjs());
  const [groupBy, setGroupBy] = useState<'user' | 'department'>('user');
  const period = periodOf(kind, day);
  const rep = useFetch(() => api.get<Report>('/api/v1/reports/sales', { period, group_by: groupBy }), [period, groupBy]);
  const r = rep.data;
  const groups = r?.groups || [];
  const pct = (v: string | null | undefined) => (rate(v) === null ? '—' : formatPercent(rate(v), lang));
  const compact = (v: number) => new Intl.NumberFormat(lang === 'en' ? 'en-US' : lang, { notation: 'compact' }).format(v);

  const revenueOption = useMemo(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { bottom: 0 },
      grid: { left: 8, right: 8, top: 24, bottom: 32, containLabel: true },
      xAxis: { type: 'category', data: groups.map((g) => g.name), axisLabel: { interval: 0, rotate: groups.length > 6 ? 30 : 0 } },
      yAxis: { type: 'value', axisLabel: { formatter: compact } },
      series: [
        { type: 'bar', name: t('reports.revenue'), data: groups.map((g) => moneyNumber(g.revenue)), itemStyle: { color: '#1677ff' } },
        { type: 'bar', name: t('reports.won_amount'), data: groups.map((g) => moneyNumber(g.won?.amount)), itemStyle: { color: '#52c41a' } },
      ],
    }),
    [groups, t, lang], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const rateOption = useMemo(
    () => ({
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => formatPercent(v, lang) },
      legend: { bottom: 0 },
      grid: { left: 8, right: 8, top: 24, bottom: 32, containLabel: true },
      xAxis: { type: 'category', data: groups.map((g) => g.name) },
      yAxis: { type: 'value', max: 1, axisLabel: { formatter: (v: number) => formatPercent(v, lang) } },
      series: [
        { type: 'bar', name: t('reports.win_rate'), data: groups.map((g) => rate(g.win_rate)) },
        { type: 'bar', name: t('reports.conversion'), data: groups.map((g) => rate(g.conversion?.rate)) },
        { type: 'bar', name: t('reports.follow_up_compliance'), data: groups.map((g) => rate(g.follow_up_compliance?.rate)) },
      ],
    }),
    [groups, t, lang],
  );
  const funnelOption = useMemo(() => {
    const stages = r?.totals.conversion?.stages || [];
    return {
      tooltip: { trigger: 'item' },
      series: [{ type: 'funnel', left: '10%', width: '80%', sort: 'none', label: { show: true, position: 'inside' }, data: stages.map((s) => ({ name: opt('oppstage', s.stage), value: s.reached })) }],
    };
  }, [r, opt]);

  if (f.loaded && !f.has('/api/v1/reports/sales')) return <Alert type="info" showIcon message={t('common.module_unavailable')} />;
  const tot = r?.totals;
  return (
    <>
      <PageHeader
        title={t('nav.reports')}
        sub={r ? <span style={{ color: '#888' }}>{date(r.from)} – {date(r.to)}</span> : null}
        extra={
          <Space wrap>
            <Segmented value={kind} onChange={(v) => setKind(String(v))} options={['week', 'month', 'quarter', 'year'].map((p) => ({ value: p, label: t(('reports.period_' + p) as any) }))} />
            <DatePicker value={day} onChange={(d) => d && setDay(d)} picker={kind === 'week' ? 'week' : (kind as any)} allowClear={false} aria-label={t('reports.period')} />
            <Select value={groupBy} onChange={setGroupBy} style={{ width: 130 }} aria-label={t('reports.group_by')} options={[{ value: 'user', label: t('reports.by_user') }, { value: 'department', label: t('reports.by_department') }]} />
          </Space>
        }
      />
      {rep.error ? <Alert type="error" showIcon message={errorText(rep.error)} style={{ marginBottom: 12 }} /> : null}
      {r?.missing_rates && r.missing_rates.length > 0 && (
        <Alert type="warning" showIcon style={{ marginBottom: 12 }} message={t('reports.missing_rates', { list: r.missing_rates.map((m) => `${m.currency} ${date(m.date)}`).join(', ') })} />
      )}
      {rep.loading && !r ? (
        <Skeleton active />
      ) : !tot ? (
        <Empty description={t('reports.empty')} />
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={12} md={6}><Card size="small"><Statistic title={t('reports.revenue')} value={money(tot.revenue)} /></Card></Col>
          <Col xs={12} md={6}><Card size="small"><Statistic title={t('reports.won')} value={`${num(tot.won.count)} · ${money(tot.won.amount)}`} /></Card></Col>
          <Col xs={12} md={6}><Card size="small"><Statistic title={t('reports.win_rate')} value={pct(tot.win_rate)} /></Card></Col>
          <Col xs={12} md={6}><Card size="small"><Statistic title={t('reports.follow_up_compliance')} value={pct(tot.follow_up_compliance.rate)} /></Card></Col>
          <Col xs={24} lg={12}>
            <Card size="small" title={t('reports.revenue_by_group')}>
              {groups.length ? <Chart option={revenueOption} label={t('reports.revenue_by_group')} /> : <Empty description={t('reports.empty')} />}
            </Card>
          </Col>
          <Col xs={24} lg={12}>
            <Card size="small" title={t('reports.funnel')}>
              {(tot.conversion.stages || []).length ? <Chart option={funnelOption} label={t('reports.funnel')} /> : <Empty description={t('reports.empty')} />}
            </Card>
          </Col>
          {groups.length > 0 && (
            <Col xs={24}>
              <Card size="small" title={t('reports.rates')}>
                <Chart option={rateOption} label={t('reports.rates')} />
              </Card>
            </Col>
          )}
          <Col xs={24}>
            <Table<Group>
              size="small"
              rowKey="key"
              pagination={false}
              dataSource={groups}
              scroll={{ x: 'max-content' }}
              locale={{ emptyText: <Empty description={t('reports.empty')} /> }}
              columns={[
                { title: groupBy === 'user' ? t('reports.by_user') : t('reports.by_department'), dataIndex: 'name' },
                { title: t('reports.revenue'), key: 'rev', render: (_: unknown, g) => money(g.revenue) },
                { title: t('reports.won'), key: 'won', render: (_: unknown, g) => `${num(g.won.count)} · ${money(g.won.amount)}` },
                { title: t('reports.lost'), dataIndex: 'lost' },
                { title: t('reports.win_rate'), key: 'wr', render: (_: unknown, g) => pct(g.win_rate) },
                { title: t('reports.conversion'), key: 'cv', render: (_: unknown, g) => `${pct(g.conversion.rate)} (${num(g.conversion.created)})` },
                { title: t('reports.follow_up_compliance'), key: 'fc', render: (_: unknown, g) => pct(g.follow_up_compliance.rate) },
                { title: t('reports.renewal_rate'), key: 'rr', responsive: ['lg'], render: (_: unknown, g) => pct(g.renewal_rate.rate) },
                { title: t('reports.referral_rate'), key: 'rf', responsive: ['lg'], render: (_: unknown, g) => pct(g.referral_rate.rate) },
              ]}
            />
          </Col>
        </Row>
      )}
    </>
  );
}
