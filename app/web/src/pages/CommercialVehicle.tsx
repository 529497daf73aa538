import { useMemo, useState } from 'react';
import { Navigate, Route, Routes, useParams } from 'react-router-dom';
import { App, Alert, Button, Empty, Form, Input, Modal, Table, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api } from '../api';
import { useI18n, type Key } from '../i18n';
import { useFeatures } from '../features';
import { PageHeader, Pager, useCursorList, errorText, applyFormErrors, ErrorBanner } from '../ui';

const BASE = '/api/v1/ext/commercial-vehicle';
const KINDS: Record<string, { title: Key; fields: string[] }> = {
  vehicles: { title: 'cv.vehicles', fields: ['vin', 'model', 'plate_no', 'customer_id', 'purchased_on'] },
  outlets: { title: 'cv.outlets', fields: ['name', 'city', 'address', 'phone'] },
  inventory: { title: 'cv.inventory', fields: ['model', 'vin', 'outlet_id', 'status'] },
  repairs: { title: 'cv.repairs', fields: ['vehicle_id', 'outlet_id', 'description', 'status'] },
  recalls: { title: 'cv.recalls', fields: ['title', 'models', 'description', 'starts_on'] },
};

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') {
    const o = v as any;
    if ('amount' in o && 'currency' in o) return `${o.amount} ${o.currency}`;
    return JSON.stringify(v);
  }
  return String(v);
}

function KindPage() {
  const { kind = 'vehicles' } = useParams();
  const { t } = useI18n();
  const { message } = App.useApp();
  const spec = KINDS[kind];
  const list = useCursorList<Record<string, unknown>>(spec ? `${BASE}/${kind}` : null, {}, 20);
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm();
  const [errors, setErrors] = useState<string[]>([]);
  const keys = useMemo(() => {
    const s = new Set<string>();
    for (const it of list.items.slice(0, 20)) for (const k of Object.keys(it)) if (!['tenant_id', 'version', 'updated_at'].includes(k)) s.add(k);
    return s.size ? [...s].slice(0, 8) : spec?.fields || [];
  }, [list.items, spec]);
  if (!spec) return <Navigate to="/cv/vehicles" replace />;
  const fields = list.items.length ? keys.filter((k) => k !== 'id' && k !== 'created_at') : spec.fields;
  const submit = async () => {
    const v = form.getFieldsValue();
    const body: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined && x !== '') body[k] = x as string;
    try {
      await api.post(`${BASE}/${kind}`, body);
      message.success(t('common.created'));
      setOpen(false);
      list.reload();
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    }
  };
  return (
    <>
      <PageHeader title={t(spec.title)} extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => { form.resetFields(); setErrors([]); setOpen(true); }}>{t('common.new')}</Button>} />
      {list.error ? <Alert type="error" showIcon message={errorText(list.error)} style={{ marginBottom: 12 }} /> : null}
      <Table
        rowKey={(r) => String(r.id ?? JSON.stringify(r))}
        size="middle"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Empty description={t('common.no_results')} /> }}
        columns={keys.map((k) => ({ title: k, dataIndex: k, key: k, render: (v: unknown) => <Typography.Text ellipsis style={{ maxWidth: 240 }}>{cell(v)}</Typography.Text> }))}
      />
      <Pager list={list} />
      <Modal open={open} title={t(spec.title)} onOk={submit} onCancel={() => setOpen(false)} okText={t('common.save')}>
        <ErrorBanner messages={errors} />
        <Form form={form} layout="vertical">
          {fields.map((k, i) => (
            <Form.Item key={k} name={k} label={k}>
              <Input autoFocus={i === 0} />
            </Form.Item>
          ))}
        </Form>
      </Modal>
    </>
  );
}

export default function CommercialVehicle() {
  const { t } = useI18n();
  const f = useFeatures();
  if (f.loaded && !f.pluginEnabled('commercial-vehicle')) return <Alert type="info" showIcon message={t('cv.disabled')} />;
  return (
    <Routes>
      <Route path=":kind" element={<KindPage />} />
      <Route path="*" element={<Navigate to="/cv/vehicles" replace />} />
    </Routes>
  );
}
