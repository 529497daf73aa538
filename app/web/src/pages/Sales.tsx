import { useEffect, useState, type ReactNode } from 'react';
import { Link, Navigate, Route, Routes, useNavigate, useSearchParams } from 'react-router-dom';
import { App, Alert, Button, Checkbox, Col, DatePicker, Descriptions, Drawer, Empty, Form, Input, InputNumber, Modal, Row, Select, Skeleton, Space, Switch, Table, Tag, Typography } from 'antd';
import { PlusOutlined, DeleteOutlined, EditOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { api, type Money } from '../api';
import { useI18n, type Key } from '../i18n';
import { useAuth } from '../auth';
import { useFeatures } from '../features';
import { PageHeader, Pager, useCursorList, applyFormErrors, ErrorBanner, errorText, listAll, useUsers, nameOf, useReasonPrompt } from '../ui';
import { CustomerPicker } from './CustomerPicker';

type FieldKind = 'text' | 'textarea' | 'customer' | 'money' | 'date' | 'number' | 'select' | 'lines' | 'contract' | 'switch';
interface FieldSpec {
  name: string;
  label: Key;
  kind: FieldKind;
  required?: boolean;
  options?: { prefix: string; values: string[] };
  span?: number;
  // draftOnly: the API changes it only while the record's status is draft.
  draftOnly?: boolean;
}
interface ColumnSpec {
  key: string;
  label: Key;
  kind?: 'money' | 'date' | 'datetime' | 'customer' | 'enum' | 'user' | 'bool' | 'yesno';
  prefix?: string;
  responsive?: ('sm' | 'md' | 'lg' | 'xl')[];
}
interface Spec {
  path: string;
  object: string;
  title: Key;
  newLabel: Key;
  columns: ColumnSpec[];
  fields: FieldSpec[];
  filters?: { name: string; label: Key; prefix?: string; values?: string[] }[];
  actions?: (row: any, ctx: ActionCtx) => ReactNode;
  expand?: (row: any) => ReactNode;
  // detail: the record in a drawer (GET path/{id}); edit lists what PATCH path/{id} changes.
  detail?: { columns: ColumnSpec[]; edit: FieldSpec[]; body?: (row: any) => ReactNode };
}
interface ActionCtx {
  reload: () => void;
  post: (path: string, body?: unknown, ok?: string) => Promise<void>;
  ask: (title: string, field: string, path: string, extra?: Record<string, unknown>, required?: boolean) => void;
}

function Products({ value, onChange }: { value?: any[]; onChange?: (v: any[]) => void }) {
  const { t, money } = useI18n();
  const [products, setProducts] = useState<any[]>([]);
  useEffect(() => {
    listAll<any>('/api/v1/products').then(setProducts, () => {});
  }, []);
  const lines = value || [];
  const set = (i: number, patch: any) => onChange?.(lines.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {lines.map((l, i) => (
        <Space key={i} wrap>
          <Select style={{ width: 220 }} showSearch optionFilterProp="label" placeholder={t('sales.product')} aria-label={t('sales.product')} value={l.product_id} onChange={(v) => set(i, { product_id: v })} options={products.map((p) => ({ value: p.id, label: `${p.name} · ${money(p.price)}` }))} />
          <InputNumber min={0} placeholder={t('sales.quantity')} aria-label={t('sales.quantity')} value={l.quantity} onChange={(v) => set(i, { quantity: v })} stringMode />
          <InputNumber min={0} placeholder={t('sales.unit_price')} aria-label={t('sales.unit_price')} value={l.unit_price} onChange={(v) => set(i, { unit_price: v })} stringMode />
          <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => onChange?.(lines.filter((_, j) => j !== i))} />
        </Space>
      ))}
      <Button icon={<PlusOutlined />} onClick={() => onChange?.([...lines, { quantity: '1' }])}>{t('sales.add_line')}</Button>
      {products.length === 0 && <Typography.Text type="secondary">{t('sales.no_products')}</Typography.Text>}
    </Space>
  );
}

function ContractPicker({ value, onChange, id }: { value?: string; onChange?: (v: string) => void; id?: string }) {
  const { money } = useI18n();
  const [contracts, setContracts] = useState<any[]>([]);
  useEffect(() => {
    listAll<any>('/api/v1/contracts').then(setContracts, () => {});
  }, []);
  return <Select id={id} allowClear showSearch optionFilterProp="label" value={value} onChange={onChange} options={contracts.map((c) => ({ value: c.id, label: `${c.number} · ${c.title} · ${money(c.amount)}` }))} />;
}

function MoneyInput({ value, onChange }: { value?: Money; onChange?: (v: Money) => void }) {
  const v = value || { amount: '', currency: 'CNY' };
  return (
    <Space.Compact style={{ width: '100%' }}>
      <InputNumber min={0} stringMode style={{ width: '70%' }} value={v.amount as any} onChange={(a) => onChange?.({ ...v, amount: a === null ? '' : String(a) })} />
      <Select style={{ width: '30%' }} value={v.currency} onChange={(c) => onChange?.({ ...v, currency: c })} options={['CNY', 'TWD', 'HKD', 'USD', 'EUR'].map((c) => ({ value: c, label: c }))} />
    </Space.Compact>
  );
}

// fieldInput is the input of one form field.
function fieldInput(f: FieldSpec, opt: (prefix: string, v: string) => string) {
  switch (f.kind) {
    case 'textarea':
      return <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} />;
    case 'customer':
      return <CustomerPicker />;
    case 'money':
      return <MoneyInput />;
    case 'date':
      return <DatePicker style={{ width: '100%' }} />;
    case 'number':
      return <InputNumber style={{ width: '100%' }} stringMode />;
    case 'select':
      return <Select allowClear options={(f.options?.values || []).map((x) => ({ value: x, label: opt(f.options!.prefix, x) }))} />;
    case 'lines':
      return <Products />;
    case 'contract':
      return <ContractPicker />;
    case 'switch':
      return <Switch />;
    default:
      return <Input />;
  }
}

function CreateModal({ spec, open, onClose, onSaved }: { spec: Spec; open: boolean; onClose: () => void; onSaved: (r: any) => void }) {
  const { t, opt } = useI18n();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  useEffect(() => {
    if (open) {
      form.resetFields();
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
    const body: any = {};
    for (const f of spec.fields) {
      let x = v[f.name];
      if (x === undefined || x === null || x === '') continue;
      if (f.kind === 'date') x = dayjs(x).format('YYYY-MM-DD');
      if (f.kind === 'money' && !x.amount) continue;
      if (f.kind === 'lines') x = (x as any[]).filter((l) => l.product_id).map((l) => ({ product_id: l.product_id, quantity: String(l.quantity || '1'), ...(l.unit_price ? { unit_price: String(l.unit_price) } : {}) }));
      body[f.name] = x;
    }
    if (spec.fields.some((f) => f.kind === 'lines') && !body.currency) body.currency = 'CNY';
    setBusy(true);
    try {
      const r = await api.post<any>(spec.path, body);
      onSaved(r);
      onClose();
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  const input = (f: FieldSpec) => fieldInput(f, opt);
  return (
    <Modal open={open} title={t(spec.newLabel)} onOk={submit} onCancel={onClose} confirmLoading={busy} okText={t('common.save')} width={640} destroyOnClose>
      <ErrorBanner messages={errors} />
      <Form form={form} layout="vertical" initialValues={{ currency: 'CNY', lines: [{ quantity: '1' }], amount: { amount: '', currency: 'CNY' } }}>
        <Row gutter={12}>
          {spec.fields.map((f, i) => (
            <Col xs={24} md={f.span || (f.kind === 'textarea' || f.kind === 'lines' ? 24 : 12)} key={f.name}>
              <Form.Item name={f.name} label={t(f.label)} rules={f.required ? [{ required: true, message: t('form.required') }] : []}>
                {i === 0 && f.kind === 'text' ? <Input autoFocus /> : input(f)}
              </Form.Item>
            </Col>
          ))}
        </Row>
      </Form>
    </Modal>
  );
}

// useColumnRender shows one value of a column by its kind.
function useColumnRender() {
  const { t, opt, money, date, dateTime } = useI18n();
  const users = useUsers();
  return (c: ColumnSpec) => (v: any) => {
    switch (c.kind) {
      case 'money':
        return <span className="nowrap">{money(v)}</span>;
      case 'date':
        return date(v);
      case 'datetime':
        return dateTime(v);
      case 'customer':
        return v ? <Link to={`/customers/${v}`}>{t('common.open')}</Link> : '';
      case 'enum':
        return v ? <Tag>{opt(c.prefix || '', v)}</Tag> : '';
      case 'user':
        return nameOf(users, v);
      case 'bool':
        return v ? <Tag color="red">{t('common.yes')}</Tag> : '';
      case 'yesno':
        return v ? t('common.yes') : t('common.no');
      default:
        return v;
    }
  };
}

// toForm turns a record's value into the form's value for field f.
function toForm(f: FieldSpec, v: any): any {
  switch (f.kind) {
    case 'date':
      return v ? dayjs(v) : null;
    case 'number':
      return v && typeof v === 'object' ? v.amount : v ?? null;
    case 'lines':
      return (v || []).map((l: any) => ({ product_id: l.product_id, quantity: l.quantity, unit_price: l.unit_price?.amount, discount: l.discount, description: l.description }));
    case 'switch':
      return !!v;
    default:
      return v ?? (f.kind === 'money' ? null : '');
  }
}

// toApi turns a form value into the API's value for field f.
function toApi(f: FieldSpec, x: any): any {
  switch (f.kind) {
    case 'date':
      return x ? dayjs(x).format('YYYY-MM-DD') : null;
    case 'money':
      return x && x.amount !== '' && x.amount !== null && x.amount !== undefined ? { amount: String(x.amount), currency: x.currency } : null;
    case 'number':
      return x === null || x === undefined || x === '' ? null : String(x);
    case 'lines':
      return ((x || []) as any[])
        .filter((l) => l.product_id)
        .map((l) => ({ product_id: l.product_id, quantity: String(l.quantity || '1'), ...(l.unit_price ? { unit_price: String(l.unit_price) } : {}), ...(l.discount && Number(l.discount) !== 0 ? { discount: String(l.discount) } : {}) }));
    case 'switch':
      return !!x;
    default:
      return x ?? '';
  }
}

// DetailDrawer shows one record and edits what its PATCH allows.
function DetailDrawer({ spec, id, onClose, onSaved }: { spec: Spec; id: string | null; onClose: () => void; onSaved: () => void }) {
  const { t, opt, dateTime } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const render = useColumnRender();
  const [form] = Form.useForm();
  const [row, setRow] = useState<any>(null);
  const [err, setErr] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const detail = spec.detail!;
  useEffect(() => {
    setRow(null);
    setErr(null);
    setEditing(false);
    setErrors([]);
    if (id) api.get<any>(`${spec.path}/${id}`).then(setRow, setErr);
  }, [id, spec.path]);
  const locked = (f: FieldSpec) => !!f.draftOnly && row?.status !== 'draft';
  const startEdit = () => {
    form.resetFields();
    form.setFieldsValue(Object.fromEntries(detail.edit.map((f) => [f.name, toForm(f, row[f.name])])));
    setErrors([]);
    setEditing(true);
  };
  const save = async () => {
    let v: any;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const body: any = { version: row.version };
    for (const f of detail.edit) {
      if (locked(f)) continue;
      const now = toApi(f, v[f.name]);
      if (JSON.stringify(now) !== JSON.stringify(toApi(f, toForm(f, row[f.name])))) body[f.name] = now;
    }
    setBusy(true);
    try {
      const out = await api.patch<any>(`${spec.path}/${row.id}`, body);
      setRow(out);
      setEditing(false);
      message.success(t('common.saved'));
      onSaved();
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  const title = row ? row.number || row.name || t(spec.title) : t('sales.details');
  const editable = row && can(spec.object, 'update');
  return (
    <Drawer
      open={!!id}
      onClose={onClose}
      title={<span data-testid="detail-title">{title}</span>}
      width="min(640px, 100vw)"
      destroyOnClose
      extra={
        editable && (editing ? (
          <Space>
            <Button onClick={() => setEditing(false)}>{t('common.cancel')}</Button>
            <Button type="primary" loading={busy} onClick={save} data-testid="detail-save">{t('common.save')}</Button>
          </Space>
        ) : (
          <Button type="primary" icon={<EditOutlined />} onClick={startEdit} data-testid="detail-edit">{t('common.edit')}</Button>
        ))
      }
    >
      {err ? (
        <Alert type="error" showIcon message={errorText(err)} />
      ) : !row ? (
        <Skeleton active />
      ) : editing ? (
        <>
          <ErrorBanner messages={errors} />
          {detail.edit.some(locked) && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('sales.only_draft')} />}
          <Form form={form} layout="vertical" onFinish={save}>
            <Row gutter={12}>
              {detail.edit.filter((f) => !locked(f)).map((f) => (
                <Col xs={24} md={f.span || (f.kind === 'textarea' || f.kind === 'lines' ? 24 : 12)} key={f.name}>
                  <Form.Item name={f.name} label={t(f.label)} valuePropName={f.kind === 'switch' ? 'checked' : 'value'} rules={f.required ? [{ required: true, message: t('form.required') }] : []}>
                    {fieldInput(f, opt)}
                  </Form.Item>
                </Col>
              ))}
            </Row>
          </Form>
        </>
      ) : (
        <>
          <Descriptions size="small" column={{ xs: 1, sm: 2, md: 2, lg: 2, xl: 2, xxl: 2 }} bordered data-testid="detail">
            {detail.columns.map((c) => (
              <Descriptions.Item key={c.key} label={t(c.label)}>{row[c.key] === null || row[c.key] === undefined || row[c.key] === '' ? '—' : render(c)(row[c.key])}</Descriptions.Item>
            ))}
            <Descriptions.Item label={t('common.updated_at')}>{dateTime(row.updated_at)}</Descriptions.Item>
          </Descriptions>
          {detail.body?.(row)}
        </>
      )}
    </Drawer>
  );
}

function Allocations({ row }: { row: any }) {
  const { t, money } = useI18n();
  if (!row.allocations?.length) return null;
  return (
    <Table size="small" rowKey="installment_id" pagination={false} style={{ marginTop: 16 }} dataSource={row.allocations}
      columns={[
        { title: t('sales.installment'), dataIndex: 'installment_id', render: (v: string) => <code>{v.slice(0, 8)}</code> },
        { title: t('sales.allocated'), dataIndex: 'amount', align: 'right' as const, render: (v: string) => money({ amount: v, currency: row.amount?.currency }) },
      ]} />
  );
}

function QuoteLines({ row }: { row: any }) {
  const { t, money } = useI18n();
  return (
    <Table size="small" rowKey={(_, i) => String(i)} pagination={false} style={{ marginTop: 16 }} scroll={{ x: 'max-content' }} dataSource={row.lines || []}
      columns={[
        { title: t('sales.product'), dataIndex: 'description' },
        { title: t('sales.quantity'), dataIndex: 'quantity', align: 'right' as const },
        { title: t('sales.unit_price'), dataIndex: 'unit_price', align: 'right' as const, render: (v: Money) => money(v) },
        { title: t('sales.total'), dataIndex: 'line_total', align: 'right' as const, render: (v: Money) => money(v) },
      ]} />
  );
}

function ResourcePage({ spec }: { spec: Spec }) {
  const { t, opt } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const detailId = params.get('id');
  const openDetail = (id: string | null) => {
    const next = new URLSearchParams(params);
    if (id) next.set('id', id);
    else next.delete('id');
    setParams(next);
  };
  const [filters, setFilters] = useState<Record<string, string | undefined>>({});
  const list = useCursorList<any>(spec.path, filters, 20);
  const [open, setOpen] = useState(false);
  const [promptReason, reasonModal] = useReasonPrompt();
  const ctx: ActionCtx = {
    reload: list.reload,
    post: async (path, body, ok) => {
      try {
        await api.post(path, body ?? {});
        message.success(ok || t('common.saved'));
        list.reload();
      } catch (e) {
        message.error(errorText(e));
      }
    },
    ask: async (title, field, path, extra = {}, required = false) => {
      const val = await promptReason(title, required);
      if (val !== null) await ctx.post(path, { ...extra, [field]: val });
    },
  };
  const render = useColumnRender();
  return (
    <>
      <PageHeader title={t(spec.title)} extra={can(spec.object, 'create') && <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)}>{t(spec.newLabel)}</Button>} />
      {spec.filters && (
        <div className="toolbar">
          {spec.filters.map((f) =>
            f.values ? (
              <Select key={f.name} allowClear placeholder={t(f.label)} aria-label={t(f.label)} style={{ width: 150 }} value={filters[f.name]} onChange={(v) => setFilters({ ...filters, [f.name]: v })} options={f.values.map((x) => ({ value: x, label: opt(f.prefix || '', x) }))} />
            ) : (
              <Input.Search key={f.name} className="grow" allowClear placeholder={t(f.label)} aria-label={t(f.label)} onSearch={(v) => setFilters({ ...filters, [f.name]: v.trim() || undefined })} />
            ),
          )}
        </div>
      )}
      {list.error ? <Alert type="error" showIcon message={errorText(list.error)} style={{ marginBottom: 12 }} /> : null}
      <Table
        rowKey="id"
        size="middle"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 'max-content' }}
        expandable={spec.expand ? { expandedRowRender: spec.expand } : undefined}
        locale={{ emptyText: <Empty description={t('common.no_results')} /> }}
        columns={[
          ...spec.columns.map((c) => ({ title: t(c.label), dataIndex: c.key, key: c.key, responsive: c.responsive, render: render(c) })),
          ...(spec.actions || spec.detail
            ? [{
                title: '', key: '_a',
                render: (_: unknown, r: any) => (
                  <Space size={0} wrap>
                    {spec.detail && <Button size="small" type="link" onClick={() => openDetail(r.id)} data-testid={'detail-' + r.id}>{t('sales.details')}</Button>}
                    {spec.actions?.(r, ctx)}
                  </Space>
                ),
              }]
            : []),
        ]}
      />
      <Pager list={list} />
      {reasonModal}
      <CreateModal spec={spec} open={open} onClose={() => setOpen(false)} onSaved={() => { message.success(t('common.created')); list.reload(); }} />
      {spec.detail && <DetailDrawer spec={spec} id={detailId} onClose={() => openDetail(null)} onSaved={list.reload} />}
    </>
  );
}

function PaymentPlan({ contract }: { contract: any }) {
  const { t, money, date, opt } = useI18n();
  const { message } = App.useApp();
  const [plan, setPlan] = useState<any>(null);
  const [err, setErr] = useState<unknown>(null);
  const [due, setDue] = useState<dayjs.Dayjs | null>(null);
  const [amount, setAmount] = useState<string | null>(null);
  const load = () => api.get<any>(`/api/v1/contracts/${contract.id}/payment-plans`).then(setPlan, setErr);
  useEffect(() => {
    load();
  }, [contract.id]); // eslint-disable-line react-hooks/exhaustive-deps
  const add = async () => {
    if (!due || !amount) return;
    try {
      await api.post(`/api/v1/contracts/${contract.id}/payment-plans`, { installments: [{ due_date: due.format('YYYY-MM-DD'), amount: { amount, currency: contract.amount?.currency || 'CNY' } }] });
      setDue(null);
      setAmount(null);
      load();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  if (err) return <Alert type="error" message={errorText(err)} />;
  if (!plan) return null;
  return (
    <div>
      <Space wrap style={{ marginBottom: 8 }}>
        <span>{t('sales.planned')}: {money(plan.planned)}</span>
        <span>{t('sales.paid')}: {money(plan.paid)}</span>
        <span>{t('sales.outstanding')}: {money(plan.outstanding)}</span>
      </Space>
      <Table size="small" rowKey="id" pagination={false} dataSource={plan.installments || []} locale={{ emptyText: t('sales.no_installments') }}
        columns={[
          { title: t('sales.due_date'), dataIndex: 'due_date', render: (v: string) => date(v) },
          { title: t('sales.amount'), dataIndex: 'amount', render: (v: Money) => money(v) },
          { title: t('sales.paid'), dataIndex: 'paid_amount', render: (v: Money) => money(v) },
          { title: t('sales.status'), dataIndex: 'status', render: (v: string, r: any) => <Tag color={r.overdue ? 'red' : v === 'paid' ? 'green' : 'default'}>{opt('inststatus', v)}</Tag> },
        ]} />
      <Space wrap style={{ marginTop: 8 }}>
        <DatePicker value={due} onChange={setDue} placeholder={t('sales.due_date')} aria-label={t('sales.due_date')} />
        <InputNumber<string> min="0" stringMode value={amount} onChange={(v) => setAmount(v)} placeholder={t('sales.amount')} aria-label={t('sales.amount')} />
        <Button onClick={add}>{t('sales.add_installment')}</Button>
      </Space>
    </div>
  );
}

function LeadActions({ row, ctx }: { row: any; ctx: ActionCtx }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const [open, setOpen] = useState(false);
  if (row.status === 'converted' || row.customer_id) {
    return row.customer_id ? <Link to={`/customers/${row.customer_id}`}><Tag color="green">{t('lead.converted')}</Tag></Link> : <Tag color="green">{t('lead.converted')}</Tag>;
  }
  if (!can('lead', 'update') || row.status === 'disqualified') return null;
  return (
    <>
      <Button size="small" type="primary" onClick={() => setOpen(true)} data-testid={'convert-' + row.id}>
        {t('lead.convert')}
      </Button>
      <ConvertModal lead={row} open={open} onClose={() => setOpen(false)} onDone={ctx.reload} />
    </>
  );
}

function ConvertModal({ lead, open, onClose, onDone }: { lead: any; open: boolean; onClose: () => void; onDone: () => void }) {
  const { t, opt } = useI18n();
  const { message } = App.useApp();
  const nav = useNavigate();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const withOpp = Form.useWatch('with_opportunity', form);
  useEffect(() => {
    if (!open) return;
    setErrors([]);
    form.setFieldsValue({ customer_name: lead.company || lead.name, customer_type: lead.company ? 'enterprise' : 'individual', with_opportunity: !!lead.product, opportunity: { name: lead.product || '', amount: { amount: '', currency: 'CNY' } } });
  }, [open, lead, form]);
  const submit = async (allowDuplicate = false) => {
    const v = form.getFieldsValue(true);
    const body: any = { version: lead.version, customer_name: v.customer_name, customer_type: v.customer_type, allow_duplicate: allowDuplicate };
    if (v.with_opportunity) {
      body.opportunity = { name: v.opportunity?.name || v.customer_name };
      if (v.opportunity?.amount?.amount) body.opportunity.amount = v.opportunity.amount;
    }
    setBusy(true);
    try {
      const r = await api.post<any>(`/api/v1/leads/${lead.id}/convert`, body);
      message.success(t('lead.converted'));
      onClose();
      onDone();
      if (r?.customer?.id) nav(`/customers/${r.customer.id}`);
    } catch (e) {
      if ((e as any).status === 409 && (e as any).data?.duplicates && !allowDuplicate) {
        setErrors([errorText(e) + ' ' + ((e as any).data.duplicates as any[]).map((d) => d.name).join('、')]);
      } else setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} title={t('lead.convert_title', { name: lead.name })} onCancel={onClose} destroyOnClose
      footer={[
        <Button key="c" onClick={onClose}>{t('common.cancel')}</Button>,
        errors.length > 0 && <Button key="d" danger onClick={() => submit(true)}>{t('customer.create_anyway')}</Button>,
        <Button key="ok" type="primary" loading={busy} onClick={() => submit(false)} data-testid="convert-ok">{t('lead.convert')}</Button>,
      ]}>
      <ErrorBanner messages={errors} />
      <Form form={form} layout="vertical">
        <Form.Item name="customer_name" label={t('customer.name')} rules={[{ required: true, message: t('form.required') }]}>
          <Input autoFocus />
        </Form.Item>
        <Form.Item name="customer_type" label={t('customer.type')}>
          <Select options={['enterprise', 'individual'].map((x) => ({ value: x, label: opt('ctype', x) }))} />
        </Form.Item>
        <Form.Item name="with_opportunity" valuePropName="checked">
          <Checkbox>{t('lead.with_opportunity')}</Checkbox>
        </Form.Item>
        {withOpp && (
          <Row gutter={12}>
            <Col xs={24} md={12}>
              <Form.Item name={['opportunity', 'name']} label={t('opp.name')}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item name={['opportunity', 'amount']} label={t('opp.amount')}>
                <MoneyInput />
              </Form.Item>
            </Col>
          </Row>
        )}
      </Form>
    </Modal>
  );
}

const specs: Record<string, Spec> = {
  leads: {
    path: '/api/v1/leads', object: 'lead', title: 'nav.leads', newLabel: 'lead.new',
    columns: [
      { key: 'name', label: 'lead.name' }, { key: 'company', label: 'lead.company' }, { key: 'phone', label: 'customer.phone', responsive: ['md'] },
      { key: 'source', label: 'customer.source', kind: 'enum', prefix: 'source', responsive: ['lg'] }, { key: 'product', label: 'lead.product', responsive: ['xl'] },
      { key: 'status', label: 'sales.status', kind: 'enum', prefix: 'leadstatus' },
      { key: 'owner_id', label: 'customer.owner', kind: 'user', responsive: ['md'] }, { key: 'created_at', label: 'common.created_at', kind: 'datetime', responsive: ['lg'] },
    ],
    fields: [
      { name: 'name', label: 'lead.name', kind: 'text', required: true }, { name: 'company', label: 'lead.company', kind: 'text' },
      { name: 'phone', label: 'customer.phone', kind: 'text' }, { name: 'email', label: 'customer.email', kind: 'text' },
      { name: 'source', label: 'customer.source', kind: 'select', options: { prefix: 'source', values: ['market_research', 'industry_event', 'partner_referral', 'online', 'cold_call', 'walk_in', 'other'] } },
      { name: 'industry', label: 'customer.industry', kind: 'text' }, { name: 'region', label: 'customer.region', kind: 'text' },
      { name: 'product', label: 'lead.product', kind: 'text' }, { name: 'notes', label: 'common.notes', kind: 'textarea' },
    ],
    filters: [{ name: 'q', label: 'common.search' }, { name: 'status', label: 'sales.status', prefix: 'leadstatus', values: ['new', 'contacted', 'qualified', 'converted', 'disqualified'] }],
    actions: (row, ctx) => <LeadActions row={row} ctx={ctx} />,
  },
  products: {
    path: '/api/v1/products', object: 'product', title: 'nav.products', newLabel: 'sales.new_product',
    columns: [{ key: 'code', label: 'sales.code' }, { key: 'name', label: 'sales.product' }, { key: 'category', label: 'sales.category', responsive: ['md'] }, { key: 'unit', label: 'sales.unit', responsive: ['md'] }, { key: 'price', label: 'sales.price', kind: 'money' }],
    fields: [
      { name: 'code', label: 'sales.code', kind: 'text', required: true }, { name: 'name', label: 'sales.product', kind: 'text', required: true },
      { name: 'category', label: 'sales.category', kind: 'text' }, { name: 'unit', label: 'sales.unit', kind: 'text' },
      { name: 'price', label: 'sales.price', kind: 'money', required: true }, { name: 'description', label: 'common.notes', kind: 'textarea' },
    ],
    detail: {
      columns: [
        { key: 'code', label: 'sales.code' }, { key: 'name', label: 'sales.product' }, { key: 'category', label: 'sales.category' }, { key: 'unit', label: 'sales.unit' },
        { key: 'price', label: 'sales.price', kind: 'money' }, { key: 'cost', label: 'sales.cost', kind: 'money' }, { key: 'active', label: 'sales.active', kind: 'yesno' },
        { key: 'description', label: 'common.notes' }, { key: 'created_at', label: 'common.created_at', kind: 'datetime' },
      ],
      edit: [
        { name: 'code', label: 'sales.code', kind: 'text', required: true }, { name: 'name', label: 'sales.product', kind: 'text', required: true },
        { name: 'category', label: 'sales.category', kind: 'text' }, { name: 'unit', label: 'sales.unit', kind: 'text' },
        { name: 'price', label: 'sales.price', kind: 'money', required: true }, { name: 'cost', label: 'sales.cost', kind: 'number' },
        { name: 'active', label: 'sales.active', kind: 'switch' }, { name: 'description', label: 'common.notes', kind: 'textarea' },
      ],
    },
  },
  quotes: {
    path: '/api/v1/quotes', object: 'quote', title: 'nav.quotes', newLabel: 'sales.new_quote',
    columns: [{ key: 'number', label: 'sales.number' }, { key: 'customer_id', label: 'opp.customer', kind: 'customer' }, { key: 'status', label: 'sales.status', kind: 'enum', prefix: 'quotestatus' }, { key: 'total', label: 'sales.total', kind: 'money' }, { key: 'valid_until', label: 'sales.valid_until', kind: 'date', responsive: ['md'] }, { key: 'owner_id', label: 'customer.owner', kind: 'user', responsive: ['lg'] }],
    fields: [{ name: 'customer_id', label: 'opp.customer', kind: 'customer', required: true }, { name: 'valid_until', label: 'sales.valid_until', kind: 'date' }, { name: 'lines', label: 'sales.lines', kind: 'lines', required: true }, { name: 'notes', label: 'common.notes', kind: 'textarea' }],
    filters: [{ name: 'status', label: 'sales.status', prefix: 'quotestatus', values: ['draft', 'sent', 'accepted', 'rejected'] }],
    detail: {
      columns: [
        { key: 'number', label: 'sales.number' }, { key: 'status', label: 'sales.status', kind: 'enum', prefix: 'quotestatus' }, { key: 'customer_id', label: 'opp.customer', kind: 'customer' },
        { key: 'owner_id', label: 'customer.owner', kind: 'user' }, { key: 'subtotal', label: 'sales.subtotal', kind: 'money' }, { key: 'discount_total', label: 'sales.discount', kind: 'money' },
        { key: 'total', label: 'sales.total', kind: 'money' }, { key: 'valid_until', label: 'sales.valid_until', kind: 'date' }, { key: 'notes', label: 'common.notes' },
        { key: 'created_at', label: 'common.created_at', kind: 'datetime' },
      ],
      edit: [{ name: 'valid_until', label: 'sales.valid_until', kind: 'date', draftOnly: true }, { name: 'lines', label: 'sales.lines', kind: 'lines', required: true, draftOnly: true }, { name: 'notes', label: 'common.notes', kind: 'textarea' }],
      body: (row) => <QuoteLines row={row} />,
    },
    actions: (row, ctx) => {
      const next: Record<string, string[]> = { draft: ['sent'], sent: ['accepted', 'rejected'] };
      return (next[row.status] || []).map((s) => (
        <Button key={s} size="small" type="link" onClick={() => api.patch(`/api/v1/quotes/${row.id}`, { status: s, version: row.version }).then(ctx.reload, (e) => Modal.error({ title: errorText(e) }))}>
          <QuoteStatusLabel s={s} />
        </Button>
      ));
    },
  },
  contracts: {
    path: '/api/v1/contracts', object: 'contract', title: 'nav.contracts', newLabel: 'sales.new_contract',
    columns: [{ key: 'number', label: 'sales.number' }, { key: 'title', label: 'sales.title' }, { key: 'customer_id', label: 'opp.customer', kind: 'customer', responsive: ['md'] }, { key: 'amount', label: 'sales.amount', kind: 'money' }, { key: 'status', label: 'sales.status', kind: 'enum', prefix: 'contractstatus' }, { key: 'approver_role', label: 'sales.approver', kind: 'enum', prefix: 'role', responsive: ['lg'] }, { key: 'overdue', label: 'sales.overdue', kind: 'bool', responsive: ['md'] }],
    fields: [
      { name: 'title', label: 'sales.title', kind: 'text', required: true }, { name: 'customer_id', label: 'opp.customer', kind: 'customer', required: true },
      { name: 'amount', label: 'sales.amount', kind: 'money', required: true }, { name: 'number', label: 'sales.number', kind: 'text' },
      { name: 'party_a', label: 'sales.party_a', kind: 'text' }, { name: 'party_b', label: 'sales.party_b', kind: 'text' },
      { name: 'start_date', label: 'sales.start_date', kind: 'date' }, { name: 'end_date', label: 'sales.end_date', kind: 'date' }, { name: 'terms', label: 'sales.terms', kind: 'textarea' },
    ],
    filters: [{ name: 'status', label: 'sales.status', prefix: 'contractstatus', values: ['draft', 'under_review', 'approved', 'rejected', 'signed'] }],
    actions: (row, ctx) => <ContractActions row={row} ctx={ctx} />,
    expand: (row) => <PaymentPlan contract={row} />,
  },
  orders: {
    path: '/api/v1/orders', object: 'order', title: 'nav.orders', newLabel: 'sales.new_order',
    columns: [{ key: 'number', label: 'sales.number' }, { key: 'customer_id', label: 'opp.customer', kind: 'customer' }, { key: 'amount', label: 'sales.amount', kind: 'money' }, { key: 'order_date', label: 'sales.order_date', kind: 'date', responsive: ['md'] }, { key: 'delivery_status', label: 'sales.delivery', kind: 'enum', prefix: 'delivery' }],
    fields: [{ name: 'customer_id', label: 'opp.customer', kind: 'customer', required: true }, { name: 'amount', label: 'sales.amount', kind: 'money', required: true }, { name: 'contract_id', label: 'sales.contract', kind: 'contract' }, { name: 'order_date', label: 'sales.order_date', kind: 'date' }, { name: 'number', label: 'sales.number', kind: 'text' }, { name: 'notes', label: 'common.notes', kind: 'textarea' }],
    actions: (row, ctx) => <OrderActions row={row} ctx={ctx} />,
  },
  payments: {
    path: '/api/v1/payments', object: 'payment', title: 'nav.payments', newLabel: 'sales.new_payment',
    columns: [{ key: 'received_on', label: 'sales.received_on', kind: 'date' }, { key: 'customer_id', label: 'opp.customer', kind: 'customer' }, { key: 'amount', label: 'sales.amount', kind: 'money' }, { key: 'method', label: 'sales.method', kind: 'enum', prefix: 'paymethod' }, { key: 'reference', label: 'sales.reference', responsive: ['md'] }, { key: 'unallocated', label: 'sales.unallocated', kind: 'money', responsive: ['lg'] }],
    fields: [
      { name: 'customer_id', label: 'opp.customer', kind: 'customer', required: true }, { name: 'amount', label: 'sales.amount', kind: 'money', required: true },
      { name: 'method', label: 'sales.method', kind: 'select', required: true, options: { prefix: 'paymethod', values: ['bank_transfer', 'cash', 'cheque', 'card', 'alipay', 'wechat_pay', 'other'] } },
      { name: 'received_on', label: 'sales.received_on', kind: 'date' }, { name: 'contract_id', label: 'sales.contract', kind: 'contract' }, { name: 'reference', label: 'sales.reference', kind: 'text' }, { name: 'note', label: 'common.notes', kind: 'textarea' },
    ],
    detail: {
      columns: [
        { key: 'received_on', label: 'sales.received_on', kind: 'date' }, { key: 'customer_id', label: 'opp.customer', kind: 'customer' }, { key: 'amount', label: 'sales.amount', kind: 'money' },
        { key: 'method', label: 'sales.method', kind: 'enum', prefix: 'paymethod' }, { key: 'reference', label: 'sales.reference' }, { key: 'unallocated', label: 'sales.unallocated', kind: 'money' },
        { key: 'owner_id', label: 'customer.owner', kind: 'user' }, { key: 'note', label: 'common.notes' }, { key: 'created_at', label: 'common.created_at', kind: 'datetime' },
      ],
      edit: [
        { name: 'amount', label: 'sales.amount', kind: 'money', required: true }, { name: 'received_on', label: 'sales.received_on', kind: 'date', required: true },
        { name: 'method', label: 'sales.method', kind: 'select', required: true, options: { prefix: 'paymethod', values: ['bank_transfer', 'cash', 'cheque', 'card', 'alipay', 'wechat_pay', 'other'] } },
        { name: 'reference', label: 'sales.reference', kind: 'text' }, { name: 'note', label: 'common.notes', kind: 'textarea' },
      ],
      body: (row) => <Allocations row={row} />,
    },
  },
};

function QuoteStatusLabel({ s }: { s: string }) {
  const { t, opt } = useI18n();
  return <>{t('sales.mark_as', { status: opt('quotestatus', s) })}</>;
}

function OrderActions({ row, ctx }: { row: any; ctx: ActionCtx }) {
  const { t, opt } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const next: Record<string, string[]> = { pending: ['shipped', 'cancelled'], shipped: ['delivered'] };
  if (!can('order', 'update')) return null;
  return (
    <>
      {(next[row.delivery_status] || []).map((st) => (
        <Button key={st} size="small" type="link" danger={st === 'cancelled'} onClick={() => api.patch(`/api/v1/orders/${row.id}`, { version: row.version, delivery_status: st }).then(() => { message.success(t('common.saved')); ctx.reload(); }, (e) => message.error(errorText(e)))}>
          {t('sales.mark_as', { status: opt('delivery', st) })}
        </Button>
      ))}
    </>
  );
}

function ContractActions({ row, ctx }: { row: any; ctx: ActionCtx }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const base = `/api/v1/contracts/${row.id}`;
  const v = { version: row.version };
  return (
    <>
      {(row.status === 'draft' || row.status === 'rejected') && can('contract', 'update') && <Button size="small" type="link" onClick={() => ctx.post(base + '/submit', v)}>{t('sales.submit')}</Button>}
      {row.status === 'under_review' && can('contract', 'approve') && (
        <>
          <Button size="small" type="link" onClick={() => ctx.ask(t('sales.approve'), 'comment', base + '/approve', v)}>{t('sales.approve')}</Button>
          <Button size="small" type="link" danger onClick={() => ctx.ask(t('sales.reject'), 'comment', base + '/reject', v, true)}>{t('sales.reject')}</Button>
        </>
      )}
      {row.status === 'approved' && can('contract', 'update') && <Button size="small" type="link" onClick={() => ctx.post(base + '/sign', { ...v, signed_on: dayjs().format('YYYY-MM-DD') })}>{t('sales.sign')}</Button>}
    </>
  );
}

export default function Sales() {
  const f = useFeatures();
  const { t } = useI18n();
  const gate = (name: string) => {
    const spec = specs[name];
    if (f.loaded && !f.has(spec.path)) return <Alert type="info" showIcon message={t('common.module_unavailable')} />;
    return <ResourcePage key={name} spec={spec} />;
  };
  return (
    <Routes>
      {Object.keys(specs).map((k) => (
        <Route key={k} path={k} element={gate(k)} />
      ))}
      <Route path="*" element={<Navigate to="/" replace />} />
    </Routes>
  );
}
