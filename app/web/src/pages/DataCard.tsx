// The customer data card (客户资料卡): four sections of descriptive fields kept in the
// customer's profile, each edited on its own.
import { useEffect, useState } from 'react';
import { App, Button, Card, Col, Descriptions, Form, Input, Modal, Row, Typography } from 'antd';
import { EditOutlined } from '@ant-design/icons';
import { api } from '../api';
import { useI18n, type Key } from '../i18n';
import type { Customer } from '../types';
import { applyFormErrors, ErrorBanner } from '../ui';

export type Section = 'basic' | 'characteristics' | 'business' | 'transactions';

export const DATA_CARD: Record<Section, { title: Key; fields: string[] }> = {
  basic: { title: 'customer.card_basic_profile', fields: ['owner_personality', 'interests', 'family', 'education', 'age', 'founded_on', 'relationship_since', 'organisation_form', 'assets'] },
  characteristics: { title: 'customer.card_characteristics', fields: ['service_area', 'sales_capacity', 'growth_potential', 'philosophy', 'policies', 'scale'] },
  business: { title: 'customer.card_business', fields: ['sales_performance', 'staff_quality', 'competitor_relations', 'cooperation_attitude'] },
  transactions: { title: 'customer.card_transactions', fields: ['current_activity', 'problems', 'strengths', 'future_plans', 'image', 'reputation', 'credit_standing', 'terms', 'credit_issues'] },
};

export function DataCardSection({ customer, section, editable, onSaved }: { customer: Customer; section: Section; editable: boolean; onSaved: (c: Customer) => void }) {
  const { t, opt } = useI18n();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm();
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const spec = DATA_CARD[section];
  const data = (customer.profile?.[section] || {}) as Record<string, unknown>;
  const known = new Set(spec.fields);
  const filled = spec.fields.filter((f) => data[f] !== undefined && data[f] !== null && data[f] !== '');
  const others = Object.entries(data).filter(([k, v]) => !known.has(k) && v !== null && v !== '');
  useEffect(() => {
    if (open) {
      form.resetFields();
      form.setFieldsValue(Object.fromEntries(spec.fields.map((f) => [f, data[f] ?? ''])));
      setErrors([]);
    }
  }, [open]); // eslint-disable-line react-hooks/exhaustive-deps
  const save = async () => {
    const v = form.getFieldsValue();
    const next: Record<string, unknown> = { ...data };
    for (const f of spec.fields) {
      const x = typeof v[f] === 'string' ? v[f].trim() : v[f];
      if (x === '' || x === undefined || x === null) delete next[f];
      else next[f] = x;
    }
    setBusy(true);
    try {
      const c = await api.patch<Customer>(`/api/v1/customers/${customer.id}`, { version: customer.version, profile: { ...customer.profile, [section]: next } });
      onSaved(c);
      message.success(t('common.saved'));
      setOpen(false);
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card
      title={t(spec.title)}
      size="small"
      style={{ marginBottom: 16 }}
      extra={editable ? <Button size="small" type="text" icon={<EditOutlined />} onClick={() => setOpen(true)} aria-label={t('common.edit') + ' ' + t(spec.title)} data-testid={'edit-card-' + section}>{t('common.edit')}</Button> : null}
    >
      {filled.length + others.length === 0 ? (
        <Typography.Text type="secondary">{t('customer.card_empty')}</Typography.Text>
      ) : (
        <Descriptions size="small" column={{ xs: 1, sm: 2 }}>
          {filled.map((f) => (
            <Descriptions.Item key={f} label={opt('card', f)}>
              <span style={{ whiteSpace: 'pre-wrap' }}>{String(data[f])}</span>
            </Descriptions.Item>
          ))}
          {others.map(([k, v]) => (
            <Descriptions.Item key={k} label={k}>
              {typeof v === 'object' ? JSON.stringify(v) : String(v)}
            </Descriptions.Item>
          ))}
        </Descriptions>
      )}
      <Modal open={open} title={t(spec.title)} onOk={save} onCancel={() => setOpen(false)} confirmLoading={busy} okText={t('common.save')} width={640} destroyOnClose>
        <ErrorBanner messages={errors} />
        <Form form={form} layout="vertical">
          <Row gutter={12}>
            {spec.fields.map((f, i) => (
              <Col xs={24} md={12} key={f}>
                <Form.Item name={f} label={opt('card', f)}>
                  <Input.TextArea autoFocus={i === 0} autoSize={{ minRows: 1, maxRows: 4 }} />
                </Form.Item>
              </Col>
            ))}
          </Row>
        </Form>
      </Modal>
    </Card>
  );
}
