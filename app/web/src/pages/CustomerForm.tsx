import { useEffect, useState } from 'react';
import { useNavigate, useParams, Link } from 'react-router-dom';
import { App, Alert, Button, Card, Col, DatePicker, Form, Input, InputNumber, Modal, Row, Select, Skeleton, Space, List } from 'antd';
import dayjs from 'dayjs';
import { api, ApiError } from '../api';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import type { Customer, FieldDef, Settings } from '../types';
import { PageHeader, applyFormErrors, ErrorBanner, useUsers, useDepartments, useEnumOptions, CUSTOMER_STAGES, CUSTOMER_TIERS, CUSTOMER_TYPES, CLASSES, errorText } from '../ui';

export const SOURCES = ['market_research', 'industry_event', 'partner_referral', 'online', 'cold_call', 'walk_in', 'other'] as const;

interface Dup {
  id: string;
  name: string;
  matched: string[] | null;
}

// toForm turns a customer into form values (dates as dayjs).
function toForm(c: Customer) {
  return {
    ...c,
    birthday: c.birthday ? dayjs(c.birthday) : null,
    tags: c.tags || [],
    scale: { employees: c.scale?.employees ?? null, annual_revenue: c.scale?.annual_revenue ?? null },
  };
}

// customFieldInput is the input for a tenant-defined field of its type (CUS-3): choices as
// selects (several for multi_choice), numbers as number inputs, dates as the browser's date
// input (its value is the API's YYYY-MM-DD), text otherwise.
function customFieldInput(f: FieldDef) {
  const options = (f.options || []).map((o) => ({ value: o, label: o }));
  switch (f.type) {
    case 'multi_choice':
      return <Select mode="multiple" allowClear options={options} />;
    case 'choice':
      return <Select allowClear options={options} />;
    case 'number':
      return <InputNumber style={{ width: '100%' }} />;
    case 'date':
      return <Input type="date" />;
    default:
      return <Input />;
  }
}

// fromForm turns form values into the API's shape.
function fromForm(v: any) {
  const out: any = { ...v };
  out.birthday = v.birthday ? dayjs(v.birthday).format('YYYY-MM-DD') : null;
  if (v.scale) {
    out.scale = {
      employees: v.scale.employees === '' || v.scale.employees === undefined ? null : v.scale.employees,
      annual_revenue: v.scale.annual_revenue === '' || v.scale.annual_revenue === undefined || v.scale.annual_revenue === null ? null : String(v.scale.annual_revenue),
    };
  }
  for (const k of ['owner_id', 'department_id', 'intent_class']) if (out[k] === undefined) out[k] = null;
  return out;
}

function same(a: unknown, b: unknown) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

export default function CustomerFormPage() {
  const { id } = useParams();
  const editing = !!id;
  const { t, opt } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const nav = useNavigate();
  const [form] = Form.useForm();
  const users = useUsers();
  const depts = useDepartments();
  const [orig, setOrig] = useState<Customer | null>(null);
  const [loadErr, setLoadErr] = useState<unknown>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [dups, setDups] = useState<Dup[] | null>(null);
  const [liveDups, setLiveDups] = useState<Dup[]>([]);
  const [customFields, setCustomFields] = useState<FieldDef[]>([]);
  const type = Form.useWatch('type', form);
  const stages = useEnumOptions('stage', CUSTOMER_STAGES.filter((s) => s !== 'churned'));
  const typeOptions = useEnumOptions('ctype', CUSTOMER_TYPES);
  const tierOptions = useEnumOptions('tier', CUSTOMER_TIERS);

  useEffect(() => {
    if (can('settings', 'read')) api.get<Settings>('/api/v1/settings').then((s) => setCustomFields(s.custom_fields || [])).catch(() => {});
  }, [can]);

  useEffect(() => {
    if (!id) return;
    api
      .get<Customer>(`/api/v1/customers/${id}`)
      .then((c) => {
        setOrig(c);
        form.setFieldsValue(toForm(c));
      })
      .catch(setLoadErr);
  }, [id, form]);

  const checkDuplicates = async () => {
    if (editing) return;
    const v = form.getFieldsValue(['name', 'phone', 'credit_code']);
    if (!v.name && !v.phone && !v.credit_code) return setLiveDups([]);
    try {
      const r = await api.get<{ items: Dup[] }>('/api/v1/customers/duplicates', { name: v.name, phone: v.phone, credit_code: v.credit_code });
      setLiveDups(r.items || []);
    } catch {
      setLiveDups([]);
    }
  };

  const save = async (allowDuplicate = false) => {
    let values: any;
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    setErrors([]);
    try {
      const body = fromForm(values);
      if (editing && orig) {
        const patch: any = { version: orig.version };
        const base = fromForm(toForm(orig));
        for (const k of Object.keys(body)) if (!same(body[k], base[k])) patch[k] = body[k];
        const c = await api.patch<Customer>(`/api/v1/customers/${orig.id}`, patch);
        message.success(t('common.saved'));
        nav(`/customers/${c.id}`);
      } else {
        const c = await api.post<Customer>('/api/v1/customers', { ...body, allow_duplicate: allowDuplicate });
        message.success(t('common.created'));
        nav(`/customers/${c.id}`);
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.data?.duplicates) {
        setDups(e.data.duplicates);
        setErrors([e.detail || e.title]);
      } else {
        setErrors(applyFormErrors(form, e));
      }
    } finally {
      setBusy(false);
    }
  };

  if (loadErr) return <Alert type="error" showIcon message={errorText(loadErr)} />;
  if (editing && !orig) return <Skeleton active />;

  return (
    <>
      <PageHeader title={editing ? t('customer.edit_title', { name: orig?.name || '' }) : t('customer.new')} />
      <ErrorBanner messages={errors} onClose={() => setErrors([])} />
      <Form
        form={form}
        layout="vertical"
        initialValues={{ type: 'enterprise', stage: 'potential', tier: 'potential', tags: [], address: {}, scale: {} }}
        onFinish={() => save(false)}
        scrollToFirstError
      >
        <Card title={t('customer.section_basic')} style={{ marginBottom: 16 }}>
          <Row gutter={16}>
            <Col xs={24} md={12}>
              <Form.Item name="name" label={t('customer.name')} rules={[{ required: true, message: t('form.required') }, { max: 200 }]} validateTrigger="onBlur">
                <Input autoFocus onBlur={checkDuplicates} data-testid="customer-name" />
              </Form.Item>
              {liveDups.length > 0 && (
                <Alert
                  type="warning"
                  showIcon
                  style={{ marginTop: -12, marginBottom: 16 }}
                  message={t('customer.possible_duplicates')}
                  description={
                    <Space wrap>
                      {liveDups.map((d) => (
                        <Link key={d.id} to={`/customers/${d.id}`} target="_blank">
                          {d.name}
                        </Link>
                      ))}
                    </Space>
                  }
                />
              )}
            </Col>
            <Col xs={24} md={6}>
              <Form.Item name="type" label={t('customer.type')} rules={[{ required: true, message: t('form.required') }]}>
                <Select options={typeOptions} />
              </Form.Item>
            </Col>
            <Col xs={24} md={6}>
              <Form.Item name="short_name" label={t('customer.short_name')}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="phone" label={t('customer.phone')}>
                <Input onBlur={checkDuplicates} inputMode="tel" />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="email" label={t('customer.email')}>
                <Input inputMode="email" />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="source" label={t('customer.source')}>
                <Select allowClear options={SOURCES.map((s) => ({ value: s, label: opt('source', s) }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="stage" label={t('customer.stage')}>
                <Select options={stages} disabled={orig?.stage === 'churned'} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="tier" label={t('customer.tier')}>
                <Select options={tierOptions} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="intent_class" label={t('customer.intent_class')}>
                <Select allowClear options={CLASSES.map((c) => ({ value: c, label: opt('intent', c) }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item name="tags" label={t('customer.tags')}>
                <Select mode="tags" tokenSeparators={[',', '，']} open={false} suffixIcon={null} />
              </Form.Item>
            </Col>
            {type === 'individual' && (
              <Col xs={24} md={12}>
                <Form.Item name="birthday" label={t('customer.birthday')}>
                  <DatePicker style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            )}
          </Row>
        </Card>
        {type !== 'individual' && (
          <Card title={t('customer.section_business')} style={{ marginBottom: 16 }}>
            <Row gutter={16}>
              <Col xs={24} md={8}>
                <Form.Item name="credit_code" label={t('customer.credit_code')}>
                  <Input maxLength={18} onBlur={checkDuplicates} />
                </Form.Item>
              </Col>
              <Col xs={24} md={8}>
                <Form.Item name="legal_representative" label={t('customer.legal_representative')}>
                  <Input />
                </Form.Item>
              </Col>
              <Col xs={24} md={8}>
                <Form.Item name="industry" label={t('customer.industry')}>
                  <Input />
                </Form.Item>
              </Col>
              <Col xs={24} md={8}>
                <Form.Item name={['scale', 'employees']} label={t('customer.employees')}>
                  <InputNumber min={0} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
              <Col xs={24} md={8}>
                <Form.Item name={['scale', 'annual_revenue']} label={t('customer.annual_revenue')}>
                  <Input inputMode="decimal" />
                </Form.Item>
              </Col>
              <Col xs={24}>
                <Form.Item name="business_scope" label={t('customer.business_scope')}>
                  <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} />
                </Form.Item>
              </Col>
            </Row>
          </Card>
        )}
        {type === 'individual' && (
          <Card title={t('customer.section_identity')} style={{ marginBottom: 16 }}>
            <Form.Item name="id_number" label={t('customer.id_number')}>
              <Input />
            </Form.Item>
          </Card>
        )}
        <Card title={t('customer.section_address')} style={{ marginBottom: 16 }}>
          <Row gutter={16}>
            <Col xs={12} md={6}>
              <Form.Item name={['address', 'province']} label={t('customer.province')}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name={['address', 'city']} label={t('customer.city')}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name={['address', 'district']} label={t('customer.district')}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={12} md={6}>
              <Form.Item name="region" label={t('customer.region')}>
                <Input />
              </Form.Item>
            </Col>
            <Col xs={24}>
              <Form.Item name={['address', 'street']} label={t('customer.street')}>
                <Input />
              </Form.Item>
            </Col>
          </Row>
        </Card>
        <Card title={t('customer.section_ownership')} style={{ marginBottom: 16 }}>
          <Row gutter={16}>
            <Col xs={24} md={12}>
              <Form.Item name="owner_id" label={t('customer.owner')} extra={editing ? undefined : t('customer.owner_help')}>
                <Select allowClear={!editing} showSearch optionFilterProp="label" options={users.map((u) => ({ value: u.id, label: `${u.name} (${u.email})` }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>
              <Form.Item name="department_id" label={t('customer.department')}>
                <Select allowClear showSearch optionFilterProp="label" options={depts.map((d) => ({ value: d.id, label: d.name }))} />
              </Form.Item>
            </Col>
          </Row>
        </Card>
        {customFields.length > 0 && (
          <Card title={t('customer.section_custom')} style={{ marginBottom: 16 }}>
            <Row gutter={16}>
              {customFields.map((f) => (
                <Col xs={24} md={12} key={f.key}>
                  <Form.Item name={['custom_fields', f.key]} label={f.label || f.key} rules={f.required ? [{ required: true, message: t('form.required') }] : []}>
                    {customFieldInput(f)}
                  </Form.Item>
                </Col>
              ))}
            </Row>
          </Card>
        )}
        <Space>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="customer-save">
            {t('common.save')}
          </Button>
          <Button onClick={() => nav(-1)}>{t('common.cancel')}</Button>
        </Space>
      </Form>
      <Modal
        open={!!dups}
        title={t('customer.duplicate_title')}
        onCancel={() => setDups(null)}
        footer={[
          <Button key="cancel" onClick={() => setDups(null)}>
            {t('common.cancel')}
          </Button>,
          <Button
            key="create"
            type="primary"
            danger
            onClick={() => {
              setDups(null);
              save(true);
            }}
            data-testid="create-anyway"
          >
            {t('customer.create_anyway')}
          </Button>,
        ]}
      >
        <p>{t('customer.duplicate_explain')}</p>
        <List
          size="small"
          bordered
          dataSource={dups || []}
          renderItem={(d) => (
            <List.Item actions={[<Link key="open" to={`/customers/${d.id}`}>{t('customer.open_existing')}</Link>]}>
              <List.Item.Meta title={d.name} description={(d.matched || []).map((m) => opt('dupfield', m)).join(' · ')} />
            </List.Item>
          )}
        />
      </Modal>
    </>
  );
}

