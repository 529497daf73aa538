import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { Alert, Badge, Card, Col, Empty, List, Row, Statistic, Tabs, Tag, Typography } from 'antd';
import { WarningOutlined, ClockCircleOutlined, CalendarOutlined, ExclamationCircleOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { api } from '../api';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import { useFeatures } from '../features';
import { Chart } from '../Chart';
import { RemoteApproval } from './service/WorkOrderForms';
import { listAll, errorText, OPP_STAGES } from '../ui';
import { moneyNumber, formatPercent } from '../format';
import type { FollowUp, Opportunity } from '../types';

interface Task {
  customer_id: string;
  customer_name: string;
  tier: string;
  intent_class: string | null;
  next_follow_up_at: string;
  last_follow_up_at: string | null;
}
interface Tasks {
  due_today: Task[];
  overdue: Task[];
  upcoming: Task[];
  pool_warnings: { customer_id: string; customer_name: string; due_on: string; warned_at: string }[] | null;
  approvals: { id: string; entity: string; title: string; link?: string }[] | null;
}

function TaskList({ items, kind }: { items: Task[]; kind: 'overdue' | 'today' | 'upcoming' }) {
  const { t, dateTime, opt } = useI18n();
  return (
    <List
      size="small"
      dataSource={items}
      locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('home.no_tasks')} /> }}
      renderItem={(x) => (
        <List.Item>
          <List.Item.Meta
            title={<Link to={`/customers/${x.customer_id}`}>{x.customer_name}</Link>}
            description={
              <span>
                <Typography.Text type={kind === 'overdue' ? 'danger' : undefined}>{dateTime(x.next_follow_up_at)}</Typography.Text>
                {' · '}
                {opt('tier', x.tier)}
                {x.intent_class ? <Tag color="blue" style={{ marginLeft: 6 }}>{x.intent_class}</Tag> : null}
              </span>
            }
          />
        </List.Item>
      )}
    />
  );
}

export default function Home() {
  const { t, opt, money, date, lang } = useI18n();
  const { me, can } = useAuth();
  const f = useFeatures();
  const [tasks, setTasks] = useState<Tasks | null>(null);
  const [taskErr, setTaskErr] = useState<unknown>(null);
  const [opps, setOpps] = useState<Opportunity[] | null>(null);
  const [fus, setFus] = useState<FollowUp[] | null>(null);
  const hasTasks = f.has('/api/v1/me/tasks');
  const [month, setMonth] = useState<{ revenue: { amount: string; currency: string }; won: { count: number }; win_rate: string | null } | null>(null);
  useEffect(() => {
    if (f.has('/api/v1/reports/sales') && can('report', 'read'))
      api.get<{ totals: typeof month }>('/api/v1/reports/sales', { period: dayjs().format('YYYY-MM') }).then((r) => setMonth(r.totals), () => setMonth(null));
  }, [f, can]);

  const reloadTasks = () => {
    if (hasTasks) api.get<Tasks>('/api/v1/me/tasks').then(setTasks, setTaskErr);
  };
  useEffect(() => {
    if (!hasTasks) return;
    api.get<Tasks>('/api/v1/me/tasks').then(setTasks, setTaskErr);
  }, [hasTasks]);
  useEffect(() => {
    if (f.has('/api/v1/opportunities') && can('opportunity', 'read')) listAll<Opportunity>('/api/v1/opportunities', { open: true }).then(setOpps, () => setOpps([]));
  }, [f, can]);
  useEffect(() => {
    if (f.has('/api/v1/follow-ups') && can('followup', 'read') && me)
      api.get<{ items: FollowUp[] }>('/api/v1/follow-ups', { owner_id: me.user.id, limit: 200 }).then((p) => setFus(p.items || []), () => setFus([]));
  }, [f, can, me]);

  const pipelineOption = useMemo(() => {
    if (!opps) return null;
    const stages = OPP_STAGES.filter((s) => s !== 'won' && s !== 'lost');
    const count = stages.map((s) => opps.filter((o) => o.stage === s).length);
    const amount = stages.map((s) => opps.filter((o) => o.stage === s).reduce((a, o) => a + moneyNumber(o.amount as any), 0));
    return {
      tooltip: { trigger: 'axis', valueFormatter: undefined },
      legend: { data: [t('home.count'), t('home.amount')], bottom: 0 },
      grid: { left: 8, right: 8, top: 24, bottom: 40, containLabel: true },
      xAxis: { type: 'category', data: stages.map((s) => opt('oppstage', s)), axisLabel: { interval: 0, rotate: 30 } },
      yAxis: [{ type: 'value', name: t('home.count'), minInterval: 1 }, { type: 'value', name: t('home.amount'), axisLabel: { formatter: (v: number) => new Intl.NumberFormat(lang === 'en' ? 'en-US' : lang, { notation: 'compact' }).format(v) } }],
      series: [
        { name: t('home.count'), type: 'bar', data: count, itemStyle: { color: '#1677ff' } },
        { name: t('home.amount'), type: 'line', yAxisIndex: 1, data: amount, smooth: true, itemStyle: { color: '#fa8c16' } },
      ],
    };
  }, [opps, t, opt, lang]);

  const activityOption = useMemo(() => {
    if (!fus) return null;
    const days = Array.from({ length: 14 }, (_, i) => dayjs().subtract(13 - i, 'day').format('YYYY-MM-DD'));
    const counts = days.map((d) => fus.filter((x) => dayjs(x.occurred_at).format('YYYY-MM-DD') === d).length);
    return {
      tooltip: { trigger: 'axis' },
      grid: { left: 8, right: 8, top: 16, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: days.map((d) => date(d).replace(/^\d{4}[-/年.]?\s*/, '')) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'bar', data: counts, name: t('home.followups'), itemStyle: { color: '#52c41a' } }],
    };
  }, [fus, t, date]);

  const taskPie = useMemo(() => {
    if (!tasks) return null;
    return {
      tooltip: { trigger: 'item' },
      legend: { bottom: 0 },
      series: [
        {
          type: 'pie', radius: ['45%', '70%'], label: { show: false },
          data: [
            { name: t('home.overdue'), value: tasks.overdue.length, itemStyle: { color: '#ff4d4f' } },
            { name: t('home.today'), value: tasks.due_today.length, itemStyle: { color: '#faad14' } },
            { name: t('home.upcoming'), value: tasks.upcoming.length, itemStyle: { color: '#1677ff' } },
          ],
        },
      ],
    };
  }, [tasks, t]);

  const pipelineTotal = opps ? opps.reduce((a, o) => a + moneyNumber(o.amount as any), 0) : 0;
  const warnings = tasks?.pool_warnings || [];
  const approvals = tasks?.approvals || [];

  return (
    <>
      <div className="page-header">
        <h1>{t('home.greeting', { name: me?.user.name || '' })}</h1>
      </div>
      {!hasTasks && f.loaded && <Alert type="info" showIcon style={{ marginBottom: 16 }} message={t('home.tasks_unavailable')} />}
      {taskErr ? <Alert type="error" showIcon message={errorText(taskErr)} style={{ marginBottom: 16 }} /> : null}
      {tasks && (
        <Row gutter={[16, 16]} className="stat-grid" style={{ marginBottom: 16 }}>
          <Col xs={12} md={6}>
            <Card size="small"><Statistic title={t('home.overdue')} value={tasks.overdue.length} prefix={<ExclamationCircleOutlined />} valueStyle={{ color: tasks.overdue.length ? '#cf1322' : undefined }} /></Card>
          </Col>
          <Col xs={12} md={6}>
            <Card size="small"><Statistic title={t('home.today')} value={tasks.due_today.length} prefix={<ClockCircleOutlined />} /></Card>
          </Col>
          <Col xs={12} md={6}>
            <Card size="small"><Statistic title={t('home.upcoming')} value={tasks.upcoming.length} prefix={<CalendarOutlined />} /></Card>
          </Col>
          <Col xs={12} md={6}>
            <Card size="small"><Statistic title={t('home.pool_warnings')} value={warnings.length} prefix={<WarningOutlined />} valueStyle={{ color: warnings.length ? '#d46b08' : undefined }} /></Card>
          </Col>
        </Row>
      )}
      {month && (
        <Row gutter={[16, 16]} className="stat-grid" style={{ marginBottom: 16 }}>
          <Col xs={24} md={8}>
            <Card size="small"><Statistic title={t('home.month_revenue')} value={money(month.revenue)} /></Card>
          </Col>
          <Col xs={12} md={8}>
            <Card size="small"><Statistic title={t('home.month_won')} value={month.won?.count ?? 0} /></Card>
          </Col>
          <Col xs={12} md={8}>
            <Card size="small"><Statistic title={t('reports.win_rate')} value={month.win_rate === null ? '—' : formatPercent(Number(month.win_rate), lang)} /></Card>
          </Col>
        </Row>
      )}
      <Row gutter={[16, 16]}>
        {tasks && (
          <Col xs={24} lg={14}>
            <Card title={t('home.my_tasks')} size="small" data-testid="tasks">
              <Tabs
                items={[
                  { key: 'overdue', label: <Badge count={tasks.overdue.length} offset={[10, -2]} size="small">{t('home.overdue')}</Badge>, children: <TaskList items={tasks.overdue} kind="overdue" /> },
                  { key: 'today', label: <Badge count={tasks.due_today.length} offset={[10, -2]} size="small" color="#faad14">{t('home.today')}</Badge>, children: <TaskList items={tasks.due_today} kind="today" /> },
                  { key: 'upcoming', label: t('home.upcoming'), children: <TaskList items={tasks.upcoming} kind="upcoming" /> },
                ]}
                defaultActiveKey={tasks.overdue.length ? 'overdue' : tasks.due_today.length ? 'today' : 'upcoming'}
              />
            </Card>
          </Col>
        )}
        {tasks && (
          <Col xs={24} lg={10}>
            <Card title={t('home.pool_warnings')} size="small" style={{ marginBottom: 16 }}>
              <List
                size="small"
                dataSource={warnings}
                locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('home.no_warnings')} /> }}
                renderItem={(w) => (
                  <List.Item>
                    <Link to={`/customers/${w.customer_id}`}>{w.customer_name}</Link>
                    <Typography.Text type="warning">{t('home.returns_on', { date: date(w.due_on) })}</Typography.Text>
                  </List.Item>
                )}
              />
            </Card>
            {approvals.length > 0 && (
              <Card title={t('home.approvals')} size="small" style={{ marginBottom: 16 }}>
                <List size="small" dataSource={approvals} renderItem={(a) => (
                  <List.Item>
                    {a.link ? <Link to={a.link}>{a.title || a.entity}</Link>
                      : a.entity === 'contract' ? <Link to="/sales/contracts">{a.title}</Link>
                      : a.entity === 'remote_application' ? <RemoteApproval id={a.id} title={a.title} onDecided={reloadTasks} />
                      : a.title || a.entity}
                  </List.Item>
                )} />
              </Card>
            )}
            {taskPie && (
              <Card title={t('home.task_mix')} size="small">
                <Chart option={taskPie} height={220} label={t('home.task_mix')} />
              </Card>
            )}
          </Col>
        )}
        {pipelineOption && (
          <Col xs={24} lg={14}>
            <Card title={t('home.pipeline')} size="small" extra={<span>{t('home.open_total')}: {money({ amount: pipelineTotal.toFixed(2), currency: (opps?.[0]?.amount as any)?.currency || 'CNY' })}</span>}>
              {opps && opps.length ? <Chart option={pipelineOption} label={t('home.pipeline')} /> : <Empty description={t('home.no_opportunities')} />}
            </Card>
          </Col>
        )}
        {activityOption && (
          <Col xs={24} lg={10}>
            <Card title={t('home.activity')} size="small">
              <Chart option={activityOption} height={280} label={t('home.activity')} />
            </Card>
          </Col>
        )}
        {!tasks && !pipelineOption && !activityOption && f.loaded && (
          <Col xs={24}>
            <Card>
              <Empty description={t('home.get_started')}>
                <Link to="/customers/new">{t('customer.new')}</Link>
              </Empty>
            </Card>
          </Col>
        )}
      </Row>
    </>
  );
}
