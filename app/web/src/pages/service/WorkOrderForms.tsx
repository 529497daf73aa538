import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { App, Button, Card, DatePicker, Form, Input, InputNumber, Modal, Select, Space, Tag, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import type { Dayjs } from 'dayjs';
import { api } from '../../api';
import { useI18n } from '../../i18n';
import { errorText, listAll, useEnumOptions } from '../../ui';

// The parts of a service record that take more than one line — parts used and costs — the
// remote-service application, and deciding one from the task list. Every row wraps onto its
// own lines at phone width.

export const COST_KINDS = ['labour', 'parts', 'travel', 'allowance', 'accommodation', 'other'] as const;

interface Product { id: string; code: string; name: string }

// PartsCostsFields are the parts and costs lists of the record form (Form.List named parts
// and costs): a product from the catalogue, its quantity and batch; a cost's kind and amount.
export function PartsCostsFields() {
  const { t } = useI18n();
  const [products, setProducts] = useState<Product[]>([]);
  const kinds = useEnumOptions('svc_cost', COST_KINDS);
  useEffect(() => {
    listAll<Product>('/api/v1/products').then(setProducts, () => {});
  }, []);
  return (
    <>
      <Typography.Text strong>{t('svc.parts')}</Typography.Text>
      <Form.List name="parts">
        {(fields, { add, remove }) => (
          <Space direction="vertical" style={{ width: '100%', marginBottom: 12 }}>
            {fields.map((f, i) => (
              <Space key={f.key} wrap align="start" data-testid="part-row">
                <Form.Item name={[f.name, 'product_id']} rules={[{ required: true, message: t('form.required') }]} style={{ marginBottom: 0 }}>
                  <Select style={{ width: 220, maxWidth: '80vw' }} showSearch optionFilterProp="label" placeholder={t('svc.part')} aria-label={`${t('svc.part')} ${i + 1}`}
                    options={products.map((p) => ({ value: p.id, label: `${p.code} ${p.name}` }))} />
                </Form.Item>
                <Form.Item name={[f.name, 'quantity']} rules={[{ required: true, message: t('form.required') }]} style={{ marginBottom: 0 }}>
                  <InputNumber min={0} stringMode placeholder={t('svc.quantity')} aria-label={`${t('svc.quantity')} ${i + 1}`} />
                </Form.Item>
                <Form.Item name={[f.name, 'batch']} style={{ marginBottom: 0 }}>
                  <Input placeholder={t('svc.batch')} aria-label={`${t('svc.batch')} ${i + 1}`} style={{ width: 140 }} maxLength={64} />
                </Form.Item>
                <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => remove(f.name)} />
              </Space>
            ))}
            <Button icon={<PlusOutlined />} onClick={() => add({ quantity: '1' })}>{t('svc.add_part')}</Button>
          </Space>
        )}
      </Form.List>
      <Typography.Text strong>{t('svc.costs')}</Typography.Text>
      <CostLines name="costs" kinds={kinds} />
    </>
  );
}

// CostLines is a Form.List of {kind, amount (CNY)} rows.
function CostLines({ name, kinds }: { name: string; kinds: { value: string; label: string }[] }) {
  const { t } = useI18n();
  return (
    <Form.List name={name}>
      {(fields, { add, remove }) => (
        <Space direction="vertical" style={{ width: '100%', marginBottom: 12 }}>
          {fields.map((f, i) => (
            <Space key={f.key} wrap align="start" data-testid={`${name}-row`}>
              <Form.Item name={[f.name, 'kind']} rules={[{ required: true, message: t('form.required') }]} style={{ marginBottom: 0 }}>
                <Select style={{ width: 140 }} options={kinds} placeholder={t('svc.cost_kind')} aria-label={`${t('svc.cost_kind')} ${i + 1}`} />
              </Form.Item>
              <Form.Item name={[f.name, 'amount']} rules={[{ required: true, message: t('form.required') }]} style={{ marginBottom: 0 }}>
                <InputNumber min={0} stringMode addonAfter="CNY" placeholder={t('svc.amount')} aria-label={`${t('svc.amount')} ${i + 1}`} />
              </Form.Item>
              <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => remove(f.name)} />
            </Space>
          ))}
          <Button icon={<PlusOutlined />} onClick={() => add({ kind: 'travel' })}>{t('svc.add_cost')}</Button>
        </Space>
      )}
    </Form.List>
  );
}

// recordLines turns the form's parts and costs into the API's.
export function recordLines(v: { parts?: { product_id: string; quantity: string; batch?: string }[]; costs?: { kind: string; amount: string }[] }) {
  return {
    parts: (v.parts || []).map((p) => ({ product_id: p.product_id, quantity: String(p.quantity), batch: p.batch || '' })),
    costs: costLines(v.costs),
  };
}

function costLines(cs?: { kind: string; amount: string }[]) {
  return (cs || []).map((c) => ({ kind: c.kind, amount: { amount: String(c.amount), currency: 'CNY' } }));
}

interface Remote {
  id: string; destination: string; from: string; to: string; purpose: string; status: string; comment: string;
  estimated_costs: { kind: string; amount: { amount: string; currency: string } }[];
}

// RemoteCard lists a work order's remote-service applications and lets its technician apply:
// destination, dates, purpose and estimated costs. A remote work order starts once approved.
export function RemoteCard({ workOrderId, canApply, onChange }: { workOrderId: string; canApply: boolean; onChange: () => void }) {
  const { t, opt, money } = useI18n();
  const { message } = App.useApp();
  const kinds = useEnumOptions('svc_cost', COST_KINDS);
  const [items, setItems] = useState<Remote[]>([]);
  const [form] = Form.useForm();
  const load = () => api.get<{ items: Remote[] }>(`/api/v1/work-orders/${workOrderId}/remote-applications`).then((r) => setItems(r.items || []), () => {});
  useEffect(() => {
    load();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [workOrderId]);
  const apply = async (v: { destination: string; dates: [Dayjs, Dayjs]; purpose: string; estimated_costs?: { kind: string; amount: string }[] }) => {
    try {
      await api.post(`/api/v1/work-orders/${workOrderId}/remote-applications`, {
        destination: v.destination, from: v.dates[0].format('YYYY-MM-DD'), to: v.dates[1].format('YYYY-MM-DD'), purpose: v.purpose,
        estimated_costs: costLines(v.estimated_costs),
      });
      form.resetFields();
      message.success(t('common.saved'));
      await load();
      onChange();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  if (!canApply && items.length === 0) return null;
  return (
    <Card size="small" title={t('svc.remote')} style={{ marginBottom: 12 }}>
      {items.map((a) => (
        <p key={a.id} data-testid="remote-application">
          <Tag color={a.status === 'approved' ? 'green' : a.status === 'rejected' ? 'red' : 'gold'}>{opt('svc_remote', a.status)}</Tag>
          {a.destination} · {a.from} – {a.to} · {a.purpose}
          {a.estimated_costs.length > 0 && <> · {a.estimated_costs.map((c) => `${opt('svc_cost', c.kind)} ${money(c.amount)}`).join('，')}</>}
          {a.comment && <Typography.Text type="secondary"> · {a.comment}</Typography.Text>}
        </p>
      ))}
      {canApply && !items.some((a) => a.status === 'pending') && (
        <Form form={form} layout="vertical" onFinish={apply} requiredMark={false} initialValues={{ estimated_costs: [] }}>
          <Form.Item name="destination" label={t('svc.destination')} rules={[{ required: true, message: t('form.required') }]}>
            <Input maxLength={200} />
          </Form.Item>
          <Form.Item name="dates" label={t('svc.remote_dates')} rules={[{ required: true, message: t('form.required') }]}>
            <DatePicker.RangePicker style={{ maxWidth: '100%' }} />
          </Form.Item>
          <Form.Item name="purpose" label={t('svc.purpose')} rules={[{ required: true, message: t('form.required') }]}>
            <Input.TextArea rows={2} maxLength={2000} />
          </Form.Item>
          <Typography.Text strong>{t('svc.estimated_costs')}</Typography.Text>
          <CostLines name="estimated_costs" kinds={kinds} />
          <Button htmlType="submit">{t('svc.apply_remote')}</Button>
        </Form>
      )}
    </Card>
  );
}

// RemoteApproval is a remote-service application on the manager's task list: what it is for,
// with approve and reject (a rejection asks for a comment).
export function RemoteApproval({ id, title, onDecided }: { id: string; title: string; onDecided: () => void }) {
  const { t, opt, money } = useI18n();
  const { message } = App.useApp();
  const [a, setA] = useState<(Remote & { work_order_id: string; version: number }) | null>(null);
  const [rejecting, setRejecting] = useState(false);
  const [form] = Form.useForm();
  useEffect(() => {
    api.get<Remote & { work_order_id: string; version: number }>(`/api/v1/remote-applications/${id}`).then(setA, () => {});
  }, [id]);
  const decide = async (verb: 'approve' | 'reject', comment = '') => {
    try {
      await api.post(`/api/v1/remote-applications/${id}/${verb}`, { version: a?.version ?? 0, comment });
      message.success(t('common.saved'));
      onDecided();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="remote-approval">
      <span>
        <Tag color="gold">{t('svc.remote')}</Tag>
        {a ? <Link to={`/service/work-orders/${a.work_order_id}`}>{title}</Link> : title}
      </span>
      {a && (
        <Typography.Text type="secondary">
          {a.from} – {a.to} · {a.purpose}
          {a.estimated_costs.length > 0 && <> · {a.estimated_costs.map((c) => `${opt('svc_cost', c.kind)} ${money(c.amount)}`).join('，')}</>}
        </Typography.Text>
      )}
      <Space wrap>
        <Button size="small" type="primary" onClick={() => decide('approve')}>{t('svc.approve')}</Button>
        <Button size="small" danger onClick={() => setRejecting(true)}>{t('svc.reject')}</Button>
      </Space>
      <Modal open={rejecting} title={t('svc.reject')} okText={t('common.confirm')} cancelText={t('common.cancel')} onCancel={() => setRejecting(false)}
        onOk={() => form.validateFields().then(async (v) => { setRejecting(false); await decide('reject', v.comment); })}>
        <Form form={form} layout="vertical">
          <Form.Item name="comment" label={t('svc.reject_comment')} rules={[{ required: true, message: t('form.required') }]}>
            <Input.TextArea rows={3} />
          </Form.Item>
        </Form>
      </Modal>
    </Space>
  );
}
