import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { Alert, App, Button, Card, DatePicker, Descriptions, Form, Input, InputNumber, Modal, Space, Tag, Timeline, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { api } from '../../api';
import { useAuth } from '../../auth';
import { useI18n, type Key } from '../../i18n';
import { errorText, listAll, nameOf, PageHeader, useUsers } from '../../ui';
import { PartsCostsFields, recordLines, RemoteCard } from './WorkOrderForms';
import { FeeCard, type Billing } from './FeeCard';

// One work order as the technician works it on site, at phone width: what is to be done, the
// state moves the current state allows, the service record (times, labour, work done, parts,
// costs), and the customer's sign-off on this phone or by a one-time link.

interface WorkOrder extends Billing {
  id: string; number: string; customer_id: string; model: string; specification: string; serial: string; fault: string;
  type: string; type_proposed: string; urgency: string; channel: string; status: string; status_reason: string;
  technician_id: string | null; carried_over: boolean; pooled: boolean; remote: boolean; version: number;
  countersigned_at: string | null; signed_off_at: string | null; signer_name: string; has_signature: boolean;
}
interface ServiceRecord {
  id: string; work_done: string; labour_hours: string | null; arrived_at: string | null; ended_at: string | null; created_at: string;
  parts: { product_id: string; quantity: string; batch: string }[]; costs: { kind: string; amount: { amount: string; currency: string } }[];
}
interface History { id: string; action: string; from_status: string; to_status: string; reason: string; at: string }

// moves are the state moves offered from each state: [path, label, asks for a reason, permission action].
const moves: Record<string, [string, Key, boolean, string][]> = {
  registered: [['claim', 'svc.claim', false, 'update'], ['cancel', 'svc.cancel', true, 'update']],
  dispatched: [['accept', 'svc.accept', false, 'update'], ['decline', 'svc.decline', true, 'update'], ['cancel', 'svc.cancel', true, 'update']],
  accepted: [['start', 'svc.start', false, 'update'], ['cancel', 'svc.cancel', true, 'update']],
  in_progress: [['hold', 'svc.hold', true, 'update'], ['complete', 'svc.complete', false, 'update']],
  on_hold: [['start', 'svc.resume', false, 'update'], ['cancel', 'svc.cancel', true, 'update']],
  completed: [['countersign', 'svc.countersign', false, 'approve']],
  signed_off: [['countersign', 'svc.countersign', false, 'approve'], ['close', 'svc.close', false, 'approve']],
  invoiced: [['close', 'svc.close', false, 'approve']],
};

export default function WorkOrderPage() {
  const { id } = useParams();
  const { t, opt, dateTime, money } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const users = useUsers();
  const [wo, setWo] = useState<WorkOrder | null>(null);
  const [records, setRecords] = useState<ServiceRecord[]>([]);
  const [history, setHistory] = useState<History[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [reasonFor, setReasonFor] = useState<string | null>(null);
  const [link, setLink] = useState<{ url: string; expires_at: string; mail_status?: string; mail_to?: string } | null>(null);
  const [recordForm] = Form.useForm();
  const [reasonForm] = Form.useForm();
  const [products, setProducts] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!records.some((r) => (r.parts || []).length > 0)) return;
    listAll<{ id: string; name: string }>('/api/v1/products').then((ps) => setProducts(Object.fromEntries(ps.map((p) => [p.id, p.name]))), () => {});
  }, [records]);

  const load = useCallback(async () => {
    try {
      const [w, r, h] = await Promise.all([
        api.get<WorkOrder>(`/api/v1/work-orders/${id}`),
        api.get<{ items: ServiceRecord[] }>(`/api/v1/work-orders/${id}/records`),
        api.get<{ items: History[] }>(`/api/v1/work-orders/${id}/history`),
      ]);
      setWo(w);
      setRecords(r.items || []);
      setHistory(h.items || []);
    } catch (e) {
      setErr(e);
    }
  }, [id]);
  useEffect(() => {
    load();
  }, [load]);

  const move = async (path: string, body: Record<string, unknown> = {}) => {
    if (!wo) return;
    try {
      await api.post(`/api/v1/work-orders/${wo.id}/${path}`, { version: wo.version, ...body });
      message.success(t('common.saved'));
    } catch (e) {
      message.error(errorText(e));
    }
    await load();
  };

  if (err) return <Alert type="error" showIcon message={errorText(err)} />;
  if (!wo) return null;

  const addRecord = async (v: { arrived_at?: Dayjs; ended_at?: Dayjs; labour_hours?: number; work_done: string; parts?: any[]; costs?: any[] }) => {
    try {
      await api.post(`/api/v1/work-orders/${wo.id}/records`, {
        arrived_at: v.arrived_at?.toISOString(), started_at: v.arrived_at?.toISOString(), ended_at: v.ended_at?.toISOString(),
        labour_hours: v.labour_hours === undefined ? undefined : String(v.labour_hours), work_done: v.work_done, ...recordLines(v),
      });
      recordForm.resetFields();
      message.success(t('common.saved'));
      await load();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const issueLink = async (send: boolean) => {
    try {
      setLink(await api.post<{ url: string; expires_at: string; mail_status?: string; mail_to?: string }>(`/api/v1/work-orders/${wo.id}/sign-off-link`, { send }));
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const offered = (moves[wo.status] || []).filter(([path, , , act]) => can('workorder', act) && !(path === 'countersign' && wo.countersigned_at) && !(path === 'claim' && wo.technician_id));
  return (
    <>
      <PageHeader title={<Space wrap>{wo.number}<Tag color="blue">{opt('svc_status', wo.status)}</Tag>{wo.carried_over && <Tag color="orange">{t('svc.carried_over')}</Tag>}</Space>}
        extra={<Link to="/service/work-orders">{t('common.back')}</Link>} />
      <Card size="small" style={{ marginBottom: 12 }}>
        <Descriptions size="small" column={{ xs: 1, sm: 2 }} data-testid="work-order">
          <Descriptions.Item label={t('svc.model')}>{wo.model} {wo.specification}</Descriptions.Item>
          <Descriptions.Item label={t('svc.serial')}>{wo.serial}</Descriptions.Item>
          <Descriptions.Item label={t('svc.type')}>{opt('svc_type', wo.type)}{wo.type !== wo.type_proposed && <Typography.Text type="secondary"> ({t('svc.proposed')}: {opt('svc_type', wo.type_proposed)})</Typography.Text>}</Descriptions.Item>
          <Descriptions.Item label={t('svc.urgency')}>{opt('svc_urgency', wo.urgency)}</Descriptions.Item>
          <Descriptions.Item label={t('svc.technician')}>{nameOf(users, wo.technician_id) || t('svc.pool')}</Descriptions.Item>
          <Descriptions.Item label={t('opp.customer')}><Link to={`/customers/${wo.customer_id}`}>{t('common.open')}</Link></Descriptions.Item>
          <Descriptions.Item label={t('svc.fault')} span={2}>{wo.fault}</Descriptions.Item>
          {wo.status_reason && <Descriptions.Item label={t('common.reason')} span={2}>{wo.status_reason}</Descriptions.Item>}
          {wo.signed_off_at && <Descriptions.Item label={t('svc.signed_off_by')} span={2}>{wo.signer_name} · {dateTime(wo.signed_off_at)}</Descriptions.Item>}
        </Descriptions>
        {offered.length > 0 && (
          <Space wrap style={{ marginTop: 12 }}>
            {offered.map(([path, label, asks]) => (
              <Button key={path} type={asks ? 'default' : 'primary'} danger={path === 'cancel'} onClick={() => (asks ? setReasonFor(path) : move(path))}>
                {t(label)}
              </Button>
            ))}
          </Space>
        )}
      </Card>

      {['in_progress', 'on_hold', 'completed'].includes(wo.status) && can('workorder', 'update') && (
        <Card size="small" title={t('svc.record')} style={{ marginBottom: 12 }}>
          <Form form={recordForm} layout="vertical" onFinish={addRecord} requiredMark={false} initialValues={{ parts: [], costs: [] }}>
            <Space wrap>
              <Form.Item name="arrived_at" label={t('svc.arrived_at')}><DatePicker showTime /></Form.Item>
              <Form.Item name="ended_at" label={t('svc.ended_at')}><DatePicker showTime /></Form.Item>
              <Form.Item name="labour_hours" label={t('svc.labour_hours')}><InputNumber min={0} step={0.5} /></Form.Item>
            </Space>
            <Form.Item name="work_done" label={t('svc.work_done')} rules={[{ required: true, message: t('form.required') }]}>
              <Input.TextArea rows={3} />
            </Form.Item>
            <PartsCostsFields />
            <Button htmlType="submit">{t('svc.add_record')}</Button>
          </Form>
        </Card>
      )}
      {records.length > 0 && (
        <Card size="small" title={t('svc.records')} style={{ marginBottom: 12 }}>
          {records.map((r) => (
            <div key={r.id} data-testid="service-record" style={{ marginBottom: 8 }}>
              <div>{dateTime(r.created_at)} · {r.labour_hours ? t('svc.hours', { n: r.labour_hours }) + ' · ' : ''}{r.work_done}</div>
              {(r.parts || []).length > 0 && <Typography.Text type="secondary">{t('svc.parts')}: {r.parts.map((p) => `${products[p.product_id] || p.product_id.slice(0, 8)} × ${p.quantity}${p.batch ? ' (' + p.batch + ')' : ''}`).join('，')}<br /></Typography.Text>}
              {(r.costs || []).length > 0 && <Typography.Text type="secondary">{t('svc.costs')}: {r.costs.map((c) => `${opt('svc_cost', c.kind)} ${money(c.amount)}`).join('，')}</Typography.Text>}
            </div>
          ))}
        </Card>
      )}

      {wo.status === 'completed' && can('workorder', 'update') && (
        <Card size="small" title={t('svc.sign_off')} style={{ marginBottom: 12 }}>
          <SignOffForm submit={async (body) => { await api.post(`/api/v1/work-orders/${wo.id}/sign-off`, body); await load(); }} />
          <Space wrap style={{ marginTop: 8 }}>
            <Button onClick={() => issueLink(false)}>{t('svc.send_link')}</Button>
            <Button onClick={() => issueLink(true)}>{t('svc.mail_link')}</Button>
          </Space>
          {link && <Typography.Paragraph copyable={{ text: link.url }} style={{ marginTop: 8 }} data-testid="sign-off-link">{link.url} ({t('svc.expires')} {dateTime(link.expires_at)})</Typography.Paragraph>}
          {link?.mail_status && <Alert type={link.mail_status === 'sent' ? 'success' : 'warning'} showIcon data-testid="sign-off-mail"
            message={link.mail_status === 'sent' ? t('svc.link_mailed', { to: link.mail_to || '' }) : t(link.mail_status === 'no_address' ? 'svc.link_no_address' : 'svc.link_mail_failed')} />}
        </Card>
      )}

      <FeeCard wo={wo} onChange={load} />

      {(wo.remote || ['dispatched', 'accepted', 'in_progress', 'on_hold'].includes(wo.status)) && (
        <RemoteCard workOrderId={wo.id} onChange={load}
          canApply={can('workorder', 'update') && ['dispatched', 'accepted', 'on_hold'].includes(wo.status)} />
      )}

      <Card size="small" title={t('svc.history')}>
        <Timeline items={history.map((h) => ({ children: <span>{dateTime(h.at)} · {opt('svc_status', h.to_status)}{h.reason ? ' · ' + h.reason : ''}</span> }))} />
      </Card>

      <Modal open={!!reasonFor} title={reasonFor ? t(`svc.${reasonFor === 'start' ? 'resume' : reasonFor}` as Key) : ''} okText={t('common.confirm')} cancelText={t('common.cancel')}
        onCancel={() => setReasonFor(null)} onOk={() => reasonForm.validateFields().then(async (v) => { await move(reasonFor!, { reason: v.reason }); setReasonFor(null); reasonForm.resetFields(); })}>
        <Form form={reasonForm} layout="vertical">
          <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, message: t('common.reason_required') }]}>
            <Input.TextArea rows={3} />
          </Form.Item>
        </Form>
      </Modal>
    </>
  );
}

// SignOffForm takes the customer's typed name and, optionally, a signature drawn with a finger
// or mouse; it is shared by the technician's phone and the public sign-off page.
export function SignOffForm({ submit }: { submit: (body: { signer_name: string; signature?: string }) => Promise<void> }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const canvas = useRef<HTMLCanvasElement>(null);
  const drawn = useRef(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm();
  const point = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top] as const;
  };
  const down = (e: React.PointerEvent<HTMLCanvasElement>) => {
    const ctx = e.currentTarget.getContext('2d');
    if (!ctx) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    ctx.lineWidth = 2;
    ctx.lineCap = 'round';
    ctx.beginPath();
    ctx.moveTo(...point(e));
  };
  const moveTo = (e: React.PointerEvent<HTMLCanvasElement>) => {
    if (!e.buttons) return;
    const ctx = e.currentTarget.getContext('2d');
    if (!ctx) return;
    ctx.lineTo(...point(e));
    ctx.stroke();
    drawn.current = true;
  };
  const clear = () => {
    const c = canvas.current;
    c?.getContext('2d')?.clearRect(0, 0, c.width, c.height);
    drawn.current = false;
  };
  const finish = async (v: { signer_name: string }) => {
    setBusy(true);
    try {
      await submit({ signer_name: v.signer_name, signature: drawn.current ? canvas.current?.toDataURL('image/png') : undefined });
      message.success(t('svc.signed'));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Form form={form} layout="vertical" onFinish={finish} requiredMark={false}>
      <Form.Item name="signer_name" label={t('svc.signer_name')} rules={[{ required: true, message: t('form.required') }]}>
        <Input />
      </Form.Item>
      <Typography.Text type="secondary">{t('svc.draw_signature')}</Typography.Text>
      <canvas ref={canvas} width={320} height={140} data-testid="signature-pad" onPointerDown={down} onPointerMove={moveTo}
        style={{ display: 'block', border: '1px solid #d9d9d9', borderRadius: 6, touchAction: 'none', maxWidth: '100%', margin: '4px 0 8px' }} />
      <Space>
        <Button onClick={clear}>{t('svc.clear_signature')}</Button>
        <Button type="primary" htmlType="submit" loading={busy}>{t('svc.confirm_sign_off')}</Button>
      </Space>
    </Form>
  );
}
