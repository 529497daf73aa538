import { useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { Button, Card, DatePicker, Form, Input, InputNumber, Select } from 'antd';
import type { Dayjs } from 'dayjs';
import { api } from '../../api';
import { useI18n } from '../../i18n';
import { CustomerPicker } from '../CustomerPicker';
import { applyFormErrors, ErrorBanner, PageHeader, useEnumOptions } from '../../ui';
import { CATEGORIES, CHANNELS, SEVERITIES, type Complaint } from './model';

// The intake form 客戶投訴處理表: who complains, how it came in, what about, and the order
// details of 第25條.1. Reachable from a customer's page (?customer_id=) and from a survey.
export default function Intake() {
  const { t } = useI18n();
  const nav = useNavigate();
  const [params] = useSearchParams();
  const [form] = Form.useForm();
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const channels = useEnumOptions('cmp_channel', CHANNELS);
  const categories = useEnumOptions('cmp_category', CATEGORIES);
  const severities = useEnumOptions('cmp_severity', SEVERITIES);
  const submit = async (v: Record<string, any>) => {
    setBusy(true);
    try {
      const body = { ...v, ship_date: (v.ship_date as Dayjs | undefined)?.format('YYYY-MM-DD') };
      const c = await api.post<Complaint>('/api/v1/complaints', body);
      nav(`/complaints/${c.id}`);
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <PageHeader title={t('cmp.new')} />
      <ErrorBanner messages={errors} onClose={() => setErrors([])} />
      <Card size="small">
        <Form form={form} layout="vertical" onFinish={submit} data-testid="complaint-intake"
          initialValues={{ customer_id: params.get('customer_id') || undefined, channel: params.get('channel') || 'phone', severity: 'normal', category: 'quality' }}>
          <Form.Item name="customer_id" label={t('cmp.customer')} rules={[{ required: true }]}><CustomerPicker /></Form.Item>
          <Form.Item name="channel" label={t('cmp.channel')} rules={[{ required: true }]}><Select options={channels} /></Form.Item>
          <Form.Item name="category" label={t('cmp.category')} rules={[{ required: true }]}><Select options={categories} /></Form.Item>
          <Form.Item name="severity" label={t('cmp.severity')}><Select options={severities} /></Form.Item>
          <Form.Item name="content" label={t('cmp.content')} rules={[{ required: true }]}><Input.TextArea rows={4} /></Form.Item>
          <Form.Item name="order_number" label={t('cmp.order_number')}><Input /></Form.Item>
          <Form.Item name="batch" label={t('cmp.batch')}><Input /></Form.Item>
          <Form.Item name="ship_date" label={t('cmp.ship_date')}><DatePicker /></Form.Item>
          <Form.Item name="defective_quantity" label={t('cmp.defective_quantity')}><InputNumber min={0} /></Form.Item>
          <Button type="primary" htmlType="submit" loading={busy}>{t('common.save')}</Button>
        </Form>
      </Card>
    </>
  );
}
