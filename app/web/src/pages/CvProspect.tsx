// The commercial-vehicle module's purchase intent of a customer (intended model and quantity),
// on the customer detail page when the tenant has the module enabled.
import { useEffect, useState } from 'react';
import { App, Button, Card, Descriptions, Form, Input, InputNumber, Space, Typography } from 'antd';
import { EditOutlined } from '@ant-design/icons';
import { api, ApiError } from '../api';
import { useI18n } from '../i18n';
import { applyFormErrors, ErrorBanner } from '../ui';

const BASE = '/api/v1/ext/commercial-vehicle/prospects/';

interface Prospect {
  customer_id: string;
  intended_model: string;
  quantity: number;
  version?: number;
}

export function ProspectCard({ customerId, editable }: { customerId: string; editable: boolean }) {
  const { t, num } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  // undefined: loading; null: none recorded yet.
  const [p, setP] = useState<Prospect | null | undefined>(undefined);
  const [hidden, setHidden] = useState(false);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  useEffect(() => {
    setP(undefined);
    setEditing(false);
    api.get<Prospect>(BASE + customerId).then(setP, (e) => {
      if (e instanceof ApiError && e.status === 404) setP(null);
      else setHidden(true); // no permission, or the module does not answer
    });
  }, [customerId]);
  const edit = () => {
    form.resetFields();
    form.setFieldsValue(p ? { intended_model: p.intended_model, quantity: p.quantity } : { quantity: 1 });
    setErrors([]);
    setEditing(true);
  };
  const save = async (v: { intended_model: string; quantity: number }) => {
    setBusy(true);
    try {
      const out = await api.put<Prospect>(BASE + customerId, { intended_model: (v.intended_model || '').trim(), quantity: Number(v.quantity) });
      setP(out);
      setEditing(false);
      message.success(t('common.saved'));
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  if (hidden) return null;
  return (
    <Card
      title={t('cv.prospect')}
      size="small"
      style={{ marginBottom: 16 }}
      data-testid="cv-prospect"
      loading={p === undefined}
      extra={editable && !editing && p !== undefined ? <Button size="small" icon={<EditOutlined />} onClick={edit} data-testid="cv-prospect-edit">{t('common.edit')}</Button> : null}
    >
      {editing ? (
        <>
          <ErrorBanner messages={errors} />
          <Form form={form} layout="vertical" onFinish={save}>
            <Form.Item name="intended_model" label={t('cv.intended_model')} rules={[{ required: true, message: t('form.required') }]}>
              <Input autoFocus maxLength={100} />
            </Form.Item>
            <Form.Item name="quantity" label={t('cv.quantity')} rules={[{ required: true, message: t('form.required') }]}>
              <InputNumber min={1} max={100000} precision={0} style={{ width: '100%' }} />
            </Form.Item>
            <Space>
              <Button onClick={() => setEditing(false)}>{t('common.cancel')}</Button>
              <Button type="primary" htmlType="submit" loading={busy} data-testid="cv-prospect-save">{t('common.save')}</Button>
            </Space>
          </Form>
        </>
      ) : p ? (
        <Descriptions size="small" column={1}>
          <Descriptions.Item label={t('cv.intended_model')}>{p.intended_model}</Descriptions.Item>
          <Descriptions.Item label={t('cv.quantity')}>{num(p.quantity)}</Descriptions.Item>
        </Descriptions>
      ) : (
        <Typography.Text type="secondary">{t('cv.no_prospect')}</Typography.Text>
      )}
    </Card>
  );
}
