import { useEffect, useState } from 'react';
import { Link, Navigate, Route, Routes, useNavigate } from 'react-router-dom';
import { App, Alert, Button, Checkbox, Col, DatePicker, Form, Input, InputNumber, Modal, Row, Select, Space, Table, Tag } from 'antd';
import dayjs from 'dayjs';
import { api, type Money } from '../api';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import { useFeatures } from '../features';
import { applyFormErrors, ErrorBanner, errorText } from '../ui';
import { ListPage, MoneyInput, type ActionCtx, type EntitySpec } from '../entity';

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

const specs: Record<string, EntitySpec> = {
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
    return <ListPage key={name} spec={spec} />;
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
