// The commercial-vehicle module's screens: its routes live under /api/v1/ext/commercial-vehicle
// and appear when the tenant has the plugin enabled.
import { useEffect, useState, type ReactNode } from 'react';
import { Link, Navigate, Route, Routes } from 'react-router-dom';
import { App, Alert, Button, Card, Col, DatePicker, Empty, Form, Input, InputNumber, Modal, Rate, Row, Select, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined, DeleteOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { api, type Page } from '../api';
import { useI18n, type Key } from '../i18n';
import { useFeatures } from '../features';
import { PageHeader, Pager, useCursorList, errorText, applyFormErrors, ErrorBanner, listAll } from '../ui';
import { CustomerPicker } from './CustomerPicker';

const BASE = '/api/v1/ext/commercial-vehicle';

type Rec = Record<string, any> & { id: string; version?: number };

// FormModal is a small create form: fields render inside, submit posts the values through send.
function FormModal({ open, title, onClose, children, send, initial }: { open: boolean; title: string; onClose: () => void; children: ReactNode; send: (v: any) => Promise<unknown>; initial?: Record<string, unknown> }) {
  const { t } = useI18n();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  useEffect(() => {
    if (open) {
      form.resetFields();
      if (initial) form.setFieldsValue(initial);
      setErrors([]);
    }
  }, [open, form]); // eslint-disable-line react-hooks/exhaustive-deps
  const submit = async () => {
    let v: any;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    try {
      await send(v);
      onClose();
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} title={title} onOk={submit} onCancel={onClose} confirmLoading={busy} okText={t('common.save')} destroyOnClose width={560}>
      <ErrorBanner messages={errors} />
      <Form form={form} layout="vertical">
        {children}
      </Form>
    </Modal>
  );
}

function useOutlets() {
  const [o, setO] = useState<Rec[]>([]);
  useEffect(() => {
    listAll<Rec>(`${BASE}/outlets`).then(setO, () => setO([]));
  }, []);
  return o;
}

function ListPage({ title, path, columns, newLabel, form, query = {}, extra }: { title: Key; path: string; columns: any[]; newLabel?: Key; form?: (close: () => void, reload: () => void) => ReactNode; query?: Record<string, string | undefined>; extra?: ReactNode }) {
  const { t } = useI18n();
  const list = useCursorList<Rec>(`${BASE}${path}`, query, 50);
  const [open, setOpen] = useState(false);
  return (
    <>
      <PageHeader title={t(title)} extra={<>{extra}{newLabel && <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)}>{t(newLabel)}</Button>}</>} />
      {list.error ? <Alert type="error" showIcon message={errorText(list.error)} style={{ marginBottom: 12 }} /> : null}
      <Table<Rec> rowKey="id" size="middle" loading={list.loading} dataSource={list.items} pagination={false} scroll={{ x: 'max-content' }} columns={typeof columns === 'function' ? (columns as any)(list.reload) : columns} locale={{ emptyText: <Empty description={t('common.no_results')} /> }} />
      <Pager list={list} />
      {open && form && form(() => setOpen(false), list.reload)}
    </>
  );
}

function Vehicles() {
  const { t, date, num } = useI18n();
  return (
    <ListPage
      title="cv.vehicles"
      path="/vehicles"
      newLabel="cv.new_vehicle"
      columns={[
        { title: 'VIN', dataIndex: 'vin', render: (v: string) => <code>{v}</code> },
        { title: t('cv.model'), dataIndex: 'model' },
        { title: t('cv.configuration'), dataIndex: 'configuration', responsive: ['lg'] },
        { title: t('opp.customer'), dataIndex: 'customer_id', render: (v: string) => (v ? <Link to={`/customers/${v}`}>{t('common.open')}</Link> : '') },
        { title: t('cv.purchase_date'), dataIndex: 'purchase_date', responsive: ['md'], render: (v: string) => date(v) },
        { title: t('cv.mileage'), dataIndex: 'mileage', responsive: ['md'], render: (v: number) => num(v) },
      ]}
      form={(close, reload) => (
        <FormModal open title={t('cv.new_vehicle')} onClose={close} send={async (v) => {
          await api.post(`${BASE}/vehicles`, { ...v, purchase_date: v.purchase_date ? dayjs(v.purchase_date).format('YYYY-MM-DD') : '', mileage: v.mileage ? Number(v.mileage) : 0 });
          reload();
        }}>
          <Form.Item name="vin" label="VIN" rules={[{ required: true, message: t('form.required') }]}><Input autoFocus maxLength={17} /></Form.Item>
          <Form.Item name="model" label={t('cv.model')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
          <Form.Item name="configuration" label={t('cv.configuration')}><Input /></Form.Item>
          <Form.Item name="customer_id" label={t('opp.customer')} rules={[{ required: true, message: t('form.required') }]}><CustomerPicker /></Form.Item>
          <Row gutter={12}>
            <Col xs={12}><Form.Item name="purchase_date" label={t('cv.purchase_date')}><DatePicker style={{ width: '100%' }} /></Form.Item></Col>
            <Col xs={12}><Form.Item name="mileage" label={t('cv.mileage')}><InputNumber min={0} style={{ width: '100%' }} /></Form.Item></Col>
          </Row>
        </FormModal>
      )}
    />
  );
}

function Outlets() {
  const { t, opt } = useI18n();
  return (
    <ListPage
      title="cv.outlets"
      path="/outlets"
      newLabel="cv.new_outlet"
      columns={[
        { title: t('cv.outlet_name'), dataIndex: 'name' },
        { title: t('cv.kind'), dataIndex: 'kind', render: (v: string) => <Tag>{opt('cvkind', v)}</Tag> },
        { title: t('customer.region'), dataIndex: 'region' },
        { title: t('customer.address'), dataIndex: 'address', responsive: ['lg'] },
        { title: t('cv.capabilities'), dataIndex: 'capabilities', responsive: ['md'], render: (v: string[]) => (v || []).map((x) => <Tag key={x}>{x}</Tag>) },
        { title: t('cv.technicians'), dataIndex: 'technicians', responsive: ['lg'], render: (v: { name: string }[]) => (v || []).map((x) => x.name).join('、') },
      ]}
      form={(close, reload) => (
        <FormModal open title={t('cv.new_outlet')} onClose={close} initial={{ kind: 'outlet', capabilities: [] }} send={async (v) => {
          await api.post(`${BASE}/outlets`, { ...v, technicians: (v.technicians || []).map((n: string) => ({ name: n, skills: [] })) });
          reload();
        }}>
          <Form.Item name="name" label={t('cv.outlet_name')} rules={[{ required: true, message: t('form.required') }]}><Input autoFocus /></Form.Item>
          <Form.Item name="kind" label={t('cv.kind')}><Select options={['outlet', 'partner_shop'].map((k) => ({ value: k, label: opt('cvkind', k) }))} /></Form.Item>
          <Form.Item name="region" label={t('customer.region')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
          <Form.Item name="address" label={t('customer.address')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
          <Form.Item name="capabilities" label={t('cv.capabilities')}><Select mode="tags" open={false} suffixIcon={null} /></Form.Item>
          <Form.Item name="technicians" label={t('cv.technicians')}><Select mode="tags" open={false} suffixIcon={null} /></Form.Item>
        </FormModal>
      )}
    />
  );
}

function Inventory() {
  const { t, num } = useI18n();
  const outlets = useOutlets();
  const [outlet, setOutlet] = useState<string | undefined>();
  const [open, setOpen] = useState(false);
  const [stock, setStock] = useState<Rec[] | null>(null);
  const [reorder, setReorder] = useState<Rec[]>([]);
  const load = () => {
    if (outlet) listAll<Rec>(`${BASE}/outlets/${outlet}/parts`).then(setStock, () => setStock([]));
    listAll<Rec>(`${BASE}/parts/reorder`).then(setReorder, () => setReorder([]));
  };
  useEffect(() => {
    if (!outlet && outlets.length) setOutlet(outlets[0].id);
  }, [outlets, outlet]);
  useEffect(load, [outlet]); // eslint-disable-line react-hooks/exhaustive-deps
  const nameOfOutlet = (id: string) => outlets.find((o) => o.id === id)?.name || id;
  const cols = [
    { title: t('cv.part_no'), dataIndex: 'part_no', render: (v: string) => <code>{v}</code> },
    { title: t('cv.part_name'), dataIndex: 'name' },
    { title: t('sales.quantity'), dataIndex: 'quantity', render: (v: number, r: Rec) => <Typography.Text type={r.below_reorder === 'true' ? 'danger' : undefined}>{num(v)}</Typography.Text> },
    { title: t('cv.reorder_level'), dataIndex: 'reorder_level', render: (v: number) => num(v) },
  ];
  return (
    <>
      <PageHeader
        title={t('cv.inventory')}
        extra={
          <>
            <Select style={{ width: 200 }} placeholder={t('cv.outlet')} aria-label={t('cv.outlet')} value={outlet} onChange={setOutlet} options={outlets.map((o) => ({ value: o.id, label: o.name }))} />
            <Button type="primary" icon={<PlusOutlined />} disabled={!outlet} onClick={() => setOpen(true)}>{t('cv.set_stock')}</Button>
          </>
        }
      />
      {outlets.length === 0 && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('cv.need_outlet')} />}
      {reorder.length > 0 && (
        <Card size="small" title={t('cv.reorder')} style={{ marginBottom: 16 }}>
          <Table<Rec> size="small" rowKey="id" pagination={false} dataSource={reorder} scroll={{ x: 'max-content' }} columns={[{ title: t('cv.outlet'), dataIndex: 'outlet_id', render: nameOfOutlet }, ...cols]} />
        </Card>
      )}
      <Table<Rec> rowKey="id" size="middle" dataSource={stock || []} loading={!!outlet && stock === null} pagination={false} scroll={{ x: 'max-content' }} columns={cols} locale={{ emptyText: <Empty description={t('common.no_results')} /> }} />
      {open && outlet && (
        <FormModal open title={t('cv.set_stock')} onClose={() => setOpen(false)} send={async (v) => {
          await api.put(`${BASE}/outlets/${outlet}/parts/${encodeURIComponent(v.part_no)}`, { name: v.name, quantity: Number(v.quantity ?? 0), reorder_level: Number(v.reorder_level ?? 0) });
          load();
        }}>
          <Form.Item name="part_no" label={t('cv.part_no')} rules={[{ required: true, message: t('form.required') }]}><Input autoFocus /></Form.Item>
          <Form.Item name="name" label={t('cv.part_name')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
          <Row gutter={12}>
            <Col xs={12}><Form.Item name="quantity" label={t('sales.quantity')} rules={[{ required: true, message: t('form.required') }]}><InputNumber min={0} style={{ width: '100%' }} /></Form.Item></Col>
            <Col xs={12}><Form.Item name="reorder_level" label={t('cv.reorder_level')} rules={[{ required: true, message: t('form.required') }]}><InputNumber min={0} style={{ width: '100%' }} /></Form.Item></Col>
          </Row>
        </FormModal>
      )}
    </>
  );
}

function RepairSteps({ r, reload }: { r: Rec; reload: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [step, setStep] = useState<string | null>(null);
  const post = (path: string) => async (body: any) => {
    await api.post(`${BASE}/repairs/${r.id}/${path}`, body);
    message.success(t('common.saved'));
    reload();
  };
  return (
    <Space size={0} wrap>
      {r.status === 'reported' && <Button size="small" type="link" onClick={() => setStep('diagnosis')}>{t('cv.diagnose')}</Button>}
      {r.status === 'diagnosed' && <Button size="small" type="link" onClick={() => setStep('repair')}>{t('cv.record_repair')}</Button>}
      {r.status === 'repaired' && <Button size="small" type="link" onClick={() => setStep('revisit')}>{t('cv.revisit')}</Button>}
      {step === 'diagnosis' && (
        <FormModal open title={t('cv.diagnose')} onClose={() => setStep(null)} send={post('diagnosis')}>
          <Form.Item name="fault" label={t('cv.fault')} rules={[{ required: true, message: t('form.required') }]}><Input.TextArea autoFocus /></Form.Item>
          <Form.Item name="technician" label={t('cv.technician')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
        </FormModal>
      )}
      {step === 'repair' && (
        <FormModal open title={t('cv.record_repair')} onClose={() => setStep(null)} initial={{ parts: [] }} send={(v) => post('repair')({ description: v.description, parts: (v.parts || []).map((p: any) => ({ ...p, quantity: Number(p.quantity || 1) })) })}>
          <Form.Item name="description" label={t('cv.work_done')} rules={[{ required: true, message: t('form.required') }]}><Input.TextArea autoFocus /></Form.Item>
          <Form.List name="parts">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <Space key={f.key} align="baseline" wrap>
                    <Form.Item name={[f.name, 'part_no']} rules={[{ required: true, message: t('form.required') }]}><Input placeholder={t('cv.part_no')} aria-label={t('cv.part_no')} /></Form.Item>
                    <Form.Item name={[f.name, 'batch_no']} rules={[{ required: true, message: t('form.required') }]}><Input placeholder={t('cv.batch_no')} aria-label={t('cv.batch_no')} /></Form.Item>
                    <Form.Item name={[f.name, 'quantity']}><InputNumber min={1} placeholder={t('sales.quantity')} aria-label={t('sales.quantity')} /></Form.Item>
                    <Button type="text" danger icon={<DeleteOutlined />} onClick={() => remove(f.name)} aria-label={t('common.delete')} />
                  </Space>
                ))}
                <Button icon={<PlusOutlined />} onClick={() => add({ quantity: 1 })}>{t('cv.add_part')}</Button>
              </>
            )}
          </Form.List>
        </FormModal>
      )}
      {step === 'revisit' && (
        <FormModal open title={t('cv.revisit')} onClose={() => setStep(null)} initial={{ satisfaction: 5 }} send={post('revisit')}>
          <Form.Item name="satisfaction" label={t('cv.satisfaction')}><Rate /></Form.Item>
          <Form.Item name="note" label={t('common.notes')}><Input.TextArea /></Form.Item>
        </FormModal>
      )}
    </Space>
  );
}

function Repairs() {
  const { t, opt, dateTime } = useI18n();
  const outlets = useOutlets();
  const [status, setStatus] = useState<string | undefined>();
  const [vehicles, setVehicles] = useState<Rec[]>([]);
  useEffect(() => {
    api.get<Page<Rec>>(`${BASE}/vehicles`, { limit: 200 }).then((p) => setVehicles(p.items || []), () => {});
  }, []);
  return (
    <ListPage
      title="cv.repairs"
      path="/repairs"
      query={{ status }}
      newLabel="cv.report_repair"
      extra={<Select allowClear style={{ width: 140 }} placeholder={t('sales.status')} aria-label={t('sales.status')} value={status} onChange={setStatus} options={['reported', 'diagnosed', 'repaired', 'revisited'].map((s) => ({ value: s, label: opt('repairstatus', s) }))} />}
      columns={((reload: () => void) => [
        { title: t('cv.reported_at'), dataIndex: 'reported_at', render: (v: string) => dateTime(v) },
        { title: 'VIN', dataIndex: 'vehicle_id', render: (v: string) => <code>{vehicles.find((x) => x.id === v)?.vin || v}</code> },
        { title: t('cv.outlet'), dataIndex: 'outlet_id', responsive: ['md'], render: (v: string) => outlets.find((o) => o.id === v)?.name || v },
        { title: t('cv.complaint'), dataIndex: 'complaint', ellipsis: true },
        { title: t('sales.status'), dataIndex: 'status', render: (v: string) => <Tag color={v === 'revisited' ? 'green' : 'blue'}>{opt('repairstatus', v)}</Tag> },
        { title: '', key: 'a', render: (_: unknown, r: Rec) => <RepairSteps r={r} reload={reload} /> },
      ]) as any}
      form={(close, reload) => (
        <FormModal open title={t('cv.report_repair')} onClose={close} send={async (v) => {
          await api.post(`${BASE}/repairs`, v);
          reload();
        }}>
          <Form.Item name="vehicle_id" label="VIN" rules={[{ required: true, message: t('form.required') }]}>
            <Select showSearch optionFilterProp="label" options={vehicles.map((x) => ({ value: x.id, label: `${x.vin} · ${x.model}` }))} />
          </Form.Item>
          <Form.Item name="outlet_id" label={t('cv.outlet')} rules={[{ required: true, message: t('form.required') }]}>
            <Select options={outlets.map((o) => ({ value: o.id, label: o.name }))} />
          </Form.Item>
          <Form.Item name="complaint" label={t('cv.complaint')} rules={[{ required: true, message: t('form.required') }]}><Input.TextArea /></Form.Item>
        </FormModal>
      )}
    />
  );
}

function Recalls() {
  const { t, dateTime, num } = useI18n();
  return (
    <ListPage
      title="cv.recalls"
      path="/recalls"
      newLabel="cv.new_recall"
      columns={[
        { title: t('common.created_at'), dataIndex: 'created_at', render: (v: string) => dateTime(v) },
        { title: t('cv.part_no'), dataIndex: 'part_no', render: (v: string) => <code>{v}</code> },
        { title: t('cv.batch_no'), dataIndex: 'batch_no', render: (v: string) => <code>{v}</code> },
        { title: t('common.reason'), dataIndex: 'reason', ellipsis: true },
        { title: t('cv.affected_vehicles'), dataIndex: 'vehicles', render: (v: unknown[]) => num((v || []).length) },
        { title: t('cv.affected_customers'), dataIndex: 'customers', render: (v: { customer_id: string; name: string }[]) => (v || []).map((c) => <Link key={c.customer_id} to={`/customers/${c.customer_id}`} style={{ marginRight: 8 }}>{c.name || c.customer_id.slice(0, 8)}</Link>) },
      ]}
      form={(close, reload) => (
        <FormModal open title={t('cv.new_recall')} onClose={close} send={async (v) => {
          await api.post(`${BASE}/recalls`, v);
          reload();
        }}>
          <Form.Item name="part_no" label={t('cv.part_no')} rules={[{ required: true, message: t('form.required') }]}><Input autoFocus /></Form.Item>
          <Form.Item name="batch_no" label={t('cv.batch_no')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
          <Form.Item name="reason" label={t('common.reason')} rules={[{ required: true, message: t('form.required') }]}><Input.TextArea /></Form.Item>
          <Typography.Paragraph type="secondary">{t('cv.recall_help')}</Typography.Paragraph>
        </FormModal>
      )}
    />
  );
}

export default function CommercialVehicle() {
  const { t } = useI18n();
  const f = useFeatures();
  if (f.loaded && !f.pluginEnabled('commercial-vehicle')) return <Alert type="info" showIcon message={t('cv.disabled')} />;
  return (
    <Routes>
      <Route path="vehicles" element={<Vehicles />} />
      <Route path="outlets" element={<Outlets />} />
      <Route path="inventory" element={<Inventory />} />
      <Route path="repairs" element={<Repairs />} />
      <Route path="recalls" element={<Recalls />} />
      <Route path="*" element={<Navigate to="/cv/vehicles" replace />} />
    </Routes>
  );
}


