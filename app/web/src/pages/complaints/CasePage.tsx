import { useCallback, useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { Alert, App, Button, Card, Descriptions, Form, Input, InputNumber, Modal, Select, Space, Table, Tag, Timeline } from 'antd';
import { api } from '../../api';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import { errorText, nameOf, PageHeader, useDepartments, useEnumOptions, useUsers } from '../../ui';
import { KINDS, moves, pausedFrom, type Complaint, type Penalty, type Remedy } from './model';
import { SlaBadge } from './SlaBadge';

// One case: what happened, its deadline and SLA badge, the workflow buttons the status
// allows, the remedies with their approval (the approver sees approve/reject), the return note
// for the warehouse and finance, penalties for the general manager, and the history.
export default function CasePage() {
  const { id } = useParams();
  const { t, opt, dateTime, money } = useI18n();
  const { can, me } = useAuth();
  const { message } = App.useApp();
  const nav = useNavigate();
  const users = useUsers();
  const departments = useDepartments();
  const [c, setC] = useState<Complaint | null>(null);
  const [remedies, setRemedies] = useState<Remedy[]>([]);
  const [penalties, setPenalties] = useState<Penalty[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [ask, setAsk] = useState<null | { title: string; run: (comment: string) => Promise<void> }>(null);
  const [receiving, setReceiving] = useState<Remedy | null>(null);
  const [remedyForm] = Form.useForm();
  const [penaltyForm] = Form.useForm();
  const [askForm] = Form.useForm();
  const [qtyForm] = Form.useForm();
  const kinds = useEnumOptions('cmp_kind', KINDS);

  const load = useCallback(async () => {
    try {
      const [v, r, p] = await Promise.all([
        api.get<Complaint>(`/api/v1/complaints/${id}`),
        api.get<{ items: Remedy[] }>(`/api/v1/complaints/${id}/remedies`),
        api.get<{ items: Penalty[] }>(`/api/v1/complaints/${id}/penalties`),
      ]);
      setC(v);
      setRemedies(r.items || []);
      setPenalties(p.items || []);
      setErr(null);
    } catch (e) {
      setErr(e);
    }
  }, [id]);
  useEffect(() => {
    load();
  }, [load]);

  const run = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
      message.success(t('common.saved'));
    } catch (e) {
      message.error(errorText(e));
    }
    await load();
  };

  if (err) return <Alert type="error" showIcon message={errorText(err)} />;
  if (!c) return null;

  const transition = (to: string, extra: Record<string, unknown> = {}) => run(() => api.post(`/api/v1/complaints/${c.id}/transition`, { to, ...extra }));
  const offered = c.status === 'waiting_customer' ? [pausedFrom(c)].filter((s): s is string => !!s) : moves[c.status] || [];
  const canUpdate = can('complaint', 'update');
  const planning = c.status === 'investigating' || c.status === 'plan_proposed';
  const reopenable = c.status === 'resolved' || (c.status === 'closed' && c.outcome === 'resolved');
  const mine = (r: Remedy) => r.proposed_by === me?.user.id;

  return (
    <>
      <PageHeader
        title={<Space wrap><span data-testid="complaint-number">{c.number}</span><Tag color="blue" data-testid="complaint-status">{opt('cmp_status', c.status)}</Tag>
          {c.status !== 'closed' && <SlaBadge status={c.sla_status} paused={c.paused} />}
          {c.severity === 'severe' && <Tag color="red">{opt('cmp_severity', c.severity)}</Tag>}</Space>}
        extra={<Link to="/complaints">{t('common.back')}</Link>} />
      <Card size="small" style={{ marginBottom: 12 }}>
        <Descriptions size="small" column={{ xs: 1, sm: 2 }} data-testid="complaint">
          <Descriptions.Item label={t('cmp.customer')}><Link to={`/customers/${c.customer_id}`}>{t('cmp.open_case')}</Link></Descriptions.Item>
          <Descriptions.Item label={t('cmp.channel')}>{opt('cmp_channel', c.channel)}</Descriptions.Item>
          <Descriptions.Item label={t('cmp.received_at')}>{dateTime(c.received_at)}</Descriptions.Item>
          <Descriptions.Item label={t('cmp.category')}>{opt('cmp_category', c.category)}</Descriptions.Item>
          <Descriptions.Item label={t('cmp.due_at')}><span data-testid="complaint-due">{dateTime(c.due_at)}</span></Descriptions.Item>
          <Descriptions.Item label={t('cmp.report_due_at')}>{dateTime(c.report_due_at)}</Descriptions.Item>
          <Descriptions.Item label={t('cmp.handler')}>{nameOf(users, c.handler_id)}</Descriptions.Item>
          <Descriptions.Item label={t('cmp.responsible_user')}>{nameOf(users, c.responsible_user_id)}</Descriptions.Item>
          <Descriptions.Item label={t('cmp.order_number')}>{c.order_number} {c.batch}</Descriptions.Item>
          <Descriptions.Item label={t('cmp.defective_quantity')}>{c.defective_quantity ?? ''}</Descriptions.Item>
          <Descriptions.Item label={t('cmp.content')} span={2}>{c.content}</Descriptions.Item>
          {c.root_cause && <Descriptions.Item label={t('cmp.root_cause')} span={2}>{c.root_cause}</Descriptions.Item>}
          {c.outcome && <Descriptions.Item label={t('cmp.outcome')}>{opt('cmp_outcome', c.outcome)}</Descriptions.Item>}
          {c.ack_sent_at && <Descriptions.Item label={t('cmp.ack_sent')}>{dateTime(c.ack_sent_at)}</Descriptions.Item>}
          {c.reopened_from_id && <Descriptions.Item label={t('cmp.reopened_from')}><Link to={`/complaints/${c.reopened_from_id}`}>{t('cmp.open_case')}</Link></Descriptions.Item>}
          {c.reopened_to_id && <Descriptions.Item label={t('cmp.reopened_to')}><Link data-testid="reopened-to" to={`/complaints/${c.reopened_to_id}`}>{t('cmp.open_case')}</Link></Descriptions.Item>}
        </Descriptions>
        {canUpdate && (
          <Space wrap style={{ marginTop: 12 }} data-testid="workflow">
            {offered.map((to) => (
              <Button key={to} data-testid={`move-${to}`} type={to === 'waiting_customer' ? 'default' : 'primary'} onClick={() => transition(to)}>
                {opt('cmp_status', to)}
              </Button>
            ))}
            {['received', 'investigating', 'plan_proposed'].includes(c.status) && (
              <Button danger data-testid="not-established" onClick={() => setAsk({ title: t('cmp.not_established'), run: (comment) => transition('closed', { outcome: 'not_established', comment }) })}>
                {t('cmp.not_established')}
              </Button>
            )}
            {reopenable && (
              <Button data-testid="reopen" onClick={() => setAsk({ title: t('cmp.reopen'), run: async (comment) => {
                try {
                  const n = await api.post<Complaint>(`/api/v1/complaints/${c.id}/reopen`, { comment });
                  nav(`/complaints/${n.id}`);
                } catch (e) {
                  message.error(errorText(e));
                }
              } })}>{t('cmp.reopen')}</Button>
            )}
          </Space>
        )}
      </Card>

      <Card size="small" title={t('cmp.remedies')} style={{ marginBottom: 12 }}>
        <Table<Remedy> rowKey="id" size="small" pagination={false} dataSource={remedies} data-testid="remedies"
          columns={[
            { title: t('cmp.kind'), dataIndex: 'kind', render: (v) => opt('cmp_kind', v) },
            { title: t('cmp.amount'), dataIndex: 'amount', render: (v) => (v ? money(v) : '') },
            { title: t('cmp.quantity'), dataIndex: 'quantity', render: (v, r) => (v ?? '') + (r.quantity_received != null ? ` / ${t('cmp.quantity_received')} ${r.quantity_received}` : '') },
            { title: t('cmp.description'), dataIndex: 'description' },
            { title: t('cmp.approver'), dataIndex: 'approver_role', render: (v) => opt('role', v) },
            { title: t('cmp.status'), dataIndex: 'status', render: (v, r) => <Space>{opt('cmp_remedy', v)}{r.work_order_id && <Link to={`/service/work-orders/${r.work_order_id}`}>{t('cmp.work_order')}</Link>}</Space> },
            { title: '', key: 'actions', render: (_, r) => (
              <Space wrap>
                {r.status === 'pending' && can('complaint', 'approve') && !mine(r) && (
                  <>
                    <Button size="small" type="primary" data-testid="approve-remedy" onClick={() => run(() => api.post(`/api/v1/remedies/${r.id}/approve`, {}))}>{t('cmp.approve')}</Button>
                    <Button size="small" danger onClick={() => setAsk({ title: t('cmp.reject'), run: (comment) => run(() => api.post(`/api/v1/remedies/${r.id}/reject`, { comment })) })}>{t('cmp.reject')}</Button>
                  </>
                )}
                {r.kind === 'return' && r.status === 'approved' && can('return_note', 'update') && (
                  <Button size="small" data-testid="receive-return" onClick={() => { qtyForm.setFieldsValue({ quantity_received: r.quantity }); setReceiving(r); }}>{t('cmp.receive')}</Button>
                )}
                {r.kind === 'return' && r.status === 'received' && can('return_note', 'approve') && (
                  <Button size="small" data-testid="post-return" onClick={() => run(() => api.post(`/api/v1/remedies/${r.id}/post`, {}))}>{t('cmp.post')}</Button>
                )}
              </Space>
            ) },
          ]} />
        {canUpdate && planning && (
          <Form form={remedyForm} layout="inline" style={{ marginTop: 12 }} data-testid="propose-remedy"
            onFinish={(v) => run(async () => {
              await api.post(`/api/v1/complaints/${c.id}/remedies`, {
                kind: v.kind, description: v.description, quantity: v.quantity ?? undefined,
                amount: v.amount == null ? undefined : { amount: String(v.amount) },
              });
              remedyForm.resetFields();
            })}>
            <Form.Item name="kind" rules={[{ required: true }]}><Select style={{ width: 140 }} options={kinds} placeholder={t('cmp.kind')} /></Form.Item>
            <Form.Item name="amount"><InputNumber min={0} step={0.01} placeholder={t('cmp.amount')} /></Form.Item>
            <Form.Item name="quantity"><InputNumber min={1} placeholder={t('cmp.quantity')} /></Form.Item>
            <Form.Item name="description" rules={[{ required: true }]}><Input placeholder={t('cmp.description')} /></Form.Item>
            <Button htmlType="submit">{t('cmp.propose')}</Button>
          </Form>
        )}
      </Card>

      <Card size="small" title={t('cmp.penalties')} style={{ marginBottom: 12 }}>
        <Table<Penalty> rowKey="id" size="small" pagination={false} dataSource={penalties}
          columns={[
            { title: t('cmp.penalty_user'), dataIndex: 'user_id', render: (v, r) => nameOf(users, v) || nameOf(departments, r.department_id) },
            { title: t('cmp.kind'), dataIndex: 'kind', render: (v) => opt('cmp_penalty', v) },
            { title: t('cmp.amount'), dataIndex: 'amount', render: (v) => (v ? money(v) : '') },
            { title: t('cmp.reason'), dataIndex: 'reason' },
            { title: t('cmp.status'), dataIndex: 'status', render: (v) => opt('cmp_penalty', v) },
            { title: '', key: 'a', render: (_, p) => p.status === 'pending' && me?.roles.some((r) => r === 'general_manager' || r === 'owner') && (
              <Space>
                <Button size="small" type="primary" onClick={() => run(() => api.post(`/api/v1/penalties/${p.id}/approve`, {}))}>{t('cmp.approve')}</Button>
                <Button size="small" danger onClick={() => run(() => api.post(`/api/v1/penalties/${p.id}/reject`, {}))}>{t('cmp.reject')}</Button>
              </Space>
            ) },
          ]} />
        {canUpdate && (
          <Form form={penaltyForm} layout="inline" style={{ marginTop: 12 }}
            onFinish={(v) => run(async () => {
              await api.post(`/api/v1/complaints/${c.id}/penalties`, {
                user_id: v.user_id || undefined, department_id: v.user_id ? undefined : v.department_id, kind: v.kind, reason: v.reason,
                amount: v.amount == null ? undefined : { amount: String(v.amount) },
              });
              penaltyForm.resetFields();
            })}>
            <Form.Item name="user_id"><Select allowClear style={{ width: 160 }} placeholder={t('cmp.penalty_user')} options={users.map((u) => ({ value: u.id, label: u.name }))} /></Form.Item>
            <Form.Item name="department_id"><Select allowClear style={{ width: 160 }} placeholder={t('cmp.penalty_department')} options={departments.map((d) => ({ value: d.id, label: d.name }))} /></Form.Item>
            <Form.Item name="kind" rules={[{ required: true }]}><Select style={{ width: 140 }} placeholder={t('cmp.kind')} options={[{ value: 'administrative', label: opt('cmp_penalty', 'administrative') }, { value: 'bonus_deduction', label: opt('cmp_penalty', 'bonus_deduction') }]} /></Form.Item>
            <Form.Item name="amount"><InputNumber min={0} placeholder={t('cmp.amount')} /></Form.Item>
            <Form.Item name="reason" rules={[{ required: true }]}><Input placeholder={t('cmp.reason')} /></Form.Item>
            <Button htmlType="submit">{t('cmp.propose_penalty')}</Button>
          </Form>
        )}
      </Card>

      <Card size="small" title={t('cmp.history')}>
        <Timeline items={(c.history || []).map((h) => ({
          children: <span>{dateTime(h.at)} · {nameOf(users, h.actor_id)} · {h.to_status ? opt('cmp_status', h.to_status) : h.action} {h.comment}</span>,
        }))} />
      </Card>

      <Modal open={!!ask} title={ask?.title} onCancel={() => setAsk(null)} destroyOnClose
        onOk={async () => { const v = askForm.getFieldsValue(); const a = ask; setAsk(null); askForm.resetFields(); await a?.run(v.comment || ''); }}>
        <Form form={askForm} layout="vertical"><Form.Item name="comment" label={t('cmp.comment')}><Input.TextArea rows={3} data-testid="ask-comment" /></Form.Item></Form>
      </Modal>
      <Modal open={!!receiving} title={t('cmp.return_note')} onCancel={() => setReceiving(null)}
        onOk={async () => { const r = receiving; setReceiving(null); const q = qtyForm.getFieldValue('quantity_received'); await run(() => api.post(`/api/v1/remedies/${r?.id}/return-receipt`, { quantity_received: q })); }}>
        <Form form={qtyForm} layout="vertical"><Form.Item name="quantity_received" label={t('cmp.quantity_received')}><InputNumber min={0} /></Form.Item></Form>
      </Modal>
    </>
  );
}
