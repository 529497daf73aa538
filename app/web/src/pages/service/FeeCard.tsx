import { useState } from 'react';
import { Alert, App, Button, Card, DatePicker, Descriptions, Form, Input, InputNumber, Modal, Select, Space } from 'antd';
import type { Dayjs } from 'dayjs';
import { api } from '../../api';
import { useAuth } from '../../auth';
import { useI18n } from '../../i18n';
import { errorText } from '../../ui';

// The fee of paid work (type A, 第9條): the technician records it, collected on site with the
// receipt number (a payment of the sales module) or to be invoiced; finance then issues the
// invoice (a receivable due on its due date, or after the tenant's payment terms), corrects it,
// or cancels it while nothing is paid.

export interface Billing {
  id: string; type: string; status: string; version: number;
  fee: { amount: string; currency: string } | null; fee_method: string; receipt_number: string;
  invoice_status: string; invoice_number: string; invoiced_at: string | null;
}

const chargeable = ['in_progress', 'on_hold', 'completed', 'signed_off'];

export function FeeCard({ wo, onChange }: { wo: Billing; onChange: () => Promise<void> }) {
  const { t, opt, money, dateTime } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const [charge] = Form.useForm();
  const [invoice] = Form.useForm();
  const [cancelForm] = Form.useForm();
  const [cancelling, setCancelling] = useState(false);
  const method = Form.useWatch('method', charge);
  if (wo.type !== 'paid') return null;
  const canCharge = can('workorder', 'update') && chargeable.includes(wo.status) && wo.invoice_status !== 'issued';
  const canInvoice = can('payment', 'create') && wo.invoice_status !== '' && ['signed_off', 'invoiced'].includes(wo.status);
  const post = async (path: string, body: object) => {
    try {
      await api.post(`/api/v1/work-orders/${wo.id}/${path}`, { version: wo.version, ...body });
      message.success(t('common.saved'));
      await onChange();
      return true;
    } catch (e) {
      message.error(errorText(e));
      return false;
    }
  };
  return (
    <Card size="small" title={t('svc_fee.title')} style={{ marginBottom: 12 }} data-testid="work-order-fee">
      {wo.fee && (
        <Descriptions size="small" column={{ xs: 1, sm: 2 }}>
          <Descriptions.Item label={t('svc_fee.fee')}>{money(wo.fee)}</Descriptions.Item>
          <Descriptions.Item label={t('svc_fee.method')}>{opt('svc_fee_method', wo.fee_method)}</Descriptions.Item>
          {wo.receipt_number && <Descriptions.Item label={t('svc_fee.receipt')}>{wo.receipt_number}</Descriptions.Item>}
          {wo.invoice_status && <Descriptions.Item label={t('svc_fee.invoice')}>{opt('svc_invoice', wo.invoice_status)}{wo.invoice_number ? ` · ${wo.invoice_number}` : ''}{wo.invoiced_at ? ` · ${dateTime(wo.invoiced_at)}` : ''}</Descriptions.Item>}
        </Descriptions>
      )}
      {!wo.fee && !canCharge && <Alert type="info" showIcon message={t('svc_fee.none')} />}
      {canCharge && (
        <Form form={charge} layout="vertical" requiredMark={false} initialValues={{ method: wo.fee_method || 'on_site', amount: wo.fee ? Number(wo.fee.amount) : undefined, receipt_number: wo.receipt_number }}
          onFinish={(v) => post('charge', { fee: { amount: String(v.amount), currency: wo.fee?.currency || 'CNY' }, method: v.method, receipt_number: v.receipt_number || '' })}>
          <Space wrap align="end">
            <Form.Item name="amount" label={t('svc_fee.fee')} rules={[{ required: true, message: t('form.required') }]}><InputNumber min={0.01} step={10} precision={2} /></Form.Item>
            <Form.Item name="method" label={t('svc_fee.method')}>
              <Select style={{ width: 160 }} options={['on_site', 'invoice'].map((m) => ({ value: m, label: opt('svc_fee_method', m) }))} />
            </Form.Item>
            {method === 'on_site' && (
              <Form.Item name="receipt_number" label={t('svc_fee.receipt')} rules={[{ required: true, message: t('form.required') }]}><Input style={{ width: 180 }} /></Form.Item>
            )}
            <Form.Item><Button htmlType="submit">{t('svc_fee.record')}</Button></Form.Item>
          </Space>
        </Form>
      )}
      {canInvoice && (
        <Form form={invoice} layout="vertical" requiredMark={false} initialValues={{ invoice_number: wo.invoice_number }}
          onFinish={(v: { invoice_number: string; due_date?: Dayjs }) => post('invoice', { invoice_number: v.invoice_number, due_date: v.due_date ? v.due_date.format('YYYY-MM-DD') : undefined })}>
          <Space wrap align="end">
            <Form.Item name="invoice_number" label={t('svc_fee.invoice_number')} rules={[{ required: true, message: t('form.required') }]}><Input style={{ width: 180 }} /></Form.Item>
            <Form.Item name="due_date" label={t('svc_fee.due_date')} extra={t('svc_fee.due_default')}><DatePicker /></Form.Item>
            <Form.Item><Button type="primary" htmlType="submit">{t(wo.status === 'invoiced' ? 'svc_fee.correct' : 'svc_fee.issue')}</Button></Form.Item>
            {wo.status === 'invoiced' && <Form.Item><Button danger onClick={() => setCancelling(true)}>{t('svc_fee.cancel')}</Button></Form.Item>}
          </Space>
        </Form>
      )}
      <Modal open={cancelling} title={t('svc_fee.cancel')} okText={t('common.confirm')} cancelText={t('common.cancel')} onCancel={() => setCancelling(false)}
        onOk={() => cancelForm.validateFields().then(async (v) => { if (await post('invoice/cancel', { reason: v.reason })) { setCancelling(false); cancelForm.resetFields(); } })}>
        <Form form={cancelForm} layout="vertical">
          <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, message: t('common.reason_required') }]}><Input.TextArea rows={3} /></Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
