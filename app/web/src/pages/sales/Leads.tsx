import { useEffect, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { App, Button, Checkbox, Col, Form, Input, Modal, Row, Select, Tag } from 'antd';
import { api } from '../../api';
import { useI18n } from '../../i18n';
import { useAuth } from '../../auth';
import { applyFormErrors, ErrorBanner, errorText } from '../../ui';
import { MoneyInput, type ActionCtx, type EntitySpec } from '../../entity';

// Leads: the lead list, and converting a lead into a customer (and an opportunity).

export const leads: EntitySpec = {
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
};

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
