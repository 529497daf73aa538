import { useEffect, useState } from 'react';
import { App, DatePicker, Form, Input, Modal, Select } from 'antd';
import dayjs from 'dayjs';
import { api } from '../api';
import { useI18n } from '../i18n';
import type { Contact, FollowUp } from '../types';
import { applyFormErrors, ErrorBanner, FOLLOWUP_METHODS, CLASSES } from '../ui';

// FollowUpModal logs a follow-up on a customer (POST /customers/{id}/follow-ups).
export function FollowUpModal({ customerId, contacts, open, onClose, onSaved }: { customerId: string; contacts: Contact[]; open: boolean; onClose: () => void; onSaved: (f: FollowUp) => void }) {
  const { t, opt } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  useEffect(() => {
    if (open) {
      form.resetFields();
      form.setFieldsValue({ method: 'phone', occurred_at: dayjs() });
      setErrors([]);
    }
  }, [open, form]);
  const submit = async () => {
    let v: any;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    try {
      const body: any = {
        method: v.method,
        occurred_at: dayjs(v.occurred_at).toISOString(),
        content: v.content,
      };
      if (v.contact_id) body.contact_id = v.contact_id;
      if (v.outcome) body.outcome = v.outcome;
      if (v.intent_class) body.intent_class = v.intent_class;
      if (v.next_follow_up_at) body.next_follow_up_at = dayjs(v.next_follow_up_at).toISOString();
      const f = await api.post<FollowUp>(`/api/v1/customers/${customerId}/follow-ups`, body);
      message.success(t('followup.logged'));
      onSaved(f);
      onClose();
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} title={t('followup.log')} onCancel={onClose} onOk={submit} okText={t('common.save')} confirmLoading={busy} destroyOnClose okButtonProps={{ 'data-testid': 'followup-save' } as any}>
      <ErrorBanner messages={errors} />
      <Form form={form} layout="vertical" onFinish={submit}>
        <Form.Item name="method" label={t('followup.method')} rules={[{ required: true, message: t('form.required') }]}>
          <Select options={FOLLOWUP_METHODS.map((m) => ({ value: m, label: opt('method', m) }))} />
        </Form.Item>
        <Form.Item name="occurred_at" label={t('followup.occurred_at')} rules={[{ required: true, message: t('form.required') }]}>
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} />
        </Form.Item>
        {contacts.length > 0 && (
          <Form.Item name="contact_id" label={t('followup.contact')}>
            <Select allowClear options={contacts.map((c) => ({ value: c.id, label: c.name + (c.title ? ` · ${c.title}` : '') }))} />
          </Form.Item>
        )}
        <Form.Item name="content" label={t('followup.content')} rules={[{ required: true, message: t('form.required') }]}>
          <Input.TextArea autoSize={{ minRows: 3, maxRows: 8 }} data-testid="followup-content" />
        </Form.Item>
        <Form.Item name="outcome" label={t('followup.outcome')}>
          <Input />
        </Form.Item>
        <Form.Item name="intent_class" label={t('customer.intent_class')}>
          <Select allowClear options={CLASSES.map((c) => ({ value: c, label: opt('intent', c) }))} />
        </Form.Item>
        <Form.Item name="next_follow_up_at" label={t('followup.next_at')}>
          <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" style={{ width: '100%' }} data-testid="followup-next" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
