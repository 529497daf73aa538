// Sections of the settings page: pool rules (for the default pool and each named pool), the
// named pools, custom customer fields and the classification thresholds.
import { Button, Card, Col, Form, Input, InputNumber, Row, Select, Switch, Typography } from 'antd';
import { PlusOutlined, DeleteOutlined } from '@ant-design/icons';
import { ApiError } from '../api';
import { useI18n } from '../i18n';
import type { Department } from '../ui';
import type { Settings } from '../types';

type Name = (string | number)[];

export const POOL_RULE_DEFAULTS: Settings['pool'] = {
  enabled: true,
  recycle_days_key: 30,
  recycle_days_other: 15,
  warn_days_before: 3,
  claim_limit: 50,
  reclaim_bar_days: 7,
  exempt_deals: true,
  exempt_open_opportunities: true,
  recycle_on: 'no_follow_up',
};

// PoolRuleFields are the inputs of one pool's rules under base (["pool"] for the default pool,
// [i, "rules"] inside the list of named pools).
export function PoolRuleFields({ base }: { base: Name }) {
  const { t, opt } = useI18n();
  return (
    <Row gutter={16}>
      <Col xs={24} md={6}>
        <Form.Item name={[...base, 'enabled']} label={t('settings.pool_enabled')} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Col>
      <Col xs={24} md={6}>
        <Form.Item name={[...base, 'recycle_on']} label={t('settings.recycle_on')}>
          <Select options={['no_follow_up', 'no_deal'].map((x) => ({ value: x, label: opt('recycle', x) }))} />
        </Form.Item>
      </Col>
      {(['recycle_days_key', 'recycle_days_other', 'warn_days_before', 'reclaim_bar_days'] as const).map((k) => (
        <Col xs={12} md={6} key={k}>
          <Form.Item name={[...base, k]} label={opt('poolrule', k)}>
            <InputNumber min={0} addonAfter={t('common.days')} style={{ width: '100%' }} />
          </Form.Item>
        </Col>
      ))}
      <Col xs={12} md={6}>
        <Form.Item name={[...base, 'claim_limit']} label={opt('poolrule', 'claim_limit')}>
          <InputNumber min={0} style={{ width: '100%' }} />
        </Form.Item>
      </Col>
      <Col xs={12} md={6}>
        <Form.Item name={[...base, 'exempt_deals']} label={opt('poolrule', 'exempt_deals')} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Col>
      <Col xs={12} md={6}>
        <Form.Item name={[...base, 'exempt_open_opportunities']} label={opt('poolrule', 'exempt_open_opportunities')} valuePropName="checked">
          <Switch />
        </Form.Item>
      </Col>
    </Row>
  );
}

// NamedPools edits settings.pools: each pool's key, name, departments and rules.
export function NamedPools({ depts }: { depts: Department[] }) {
  const { t } = useI18n();
  return (
    <Card size="small" title={t('settings.pools')} style={{ marginBottom: 16 }} data-testid="settings-pools">
      <Typography.Paragraph type="secondary">{t('settings.pools_help')}</Typography.Paragraph>
      <Form.List name="pools">
        {(fields, { add, remove }) => (
          <>
            {fields.map((f, i) => (
              <Card
                key={f.key}
                size="small"
                type="inner"
                style={{ marginBottom: 12 }}
                title={<Form.Item noStyle shouldUpdate>{(form) => form.getFieldValue(['pools', f.name, 'name']) || t('settings.pool_n', { n: i + 1 })}</Form.Item>}
                extra={<Button type="text" danger icon={<DeleteOutlined />} onClick={() => remove(f.name)} aria-label={t('settings.remove_pool')} />}
              >
                <Row gutter={16}>
                  <Col xs={24} md={6}>
                    <Form.Item name={[f.name, 'key']} label={t('settings.pool_key')} extra={t('settings.pool_key_help')} rules={[{ required: true, message: t('form.required') }]}>
                      <Input maxLength={32} />
                    </Form.Item>
                  </Col>
                  <Col xs={24} md={6}>
                    <Form.Item name={[f.name, 'name']} label={t('settings.pool_name')} rules={[{ required: true, message: t('form.required') }]}>
                      <Input maxLength={100} />
                    </Form.Item>
                  </Col>
                  <Col xs={24} md={12}>
                    <Form.Item name={[f.name, 'department_ids']} label={t('settings.pool_departments')} rules={[{ required: true, message: t('form.required') }]}>
                      <Select mode="multiple" showSearch optionFilterProp="label" options={depts.map((d) => ({ value: d.id, label: d.name }))} />
                    </Form.Item>
                  </Col>
                </Row>
                <PoolRuleFields base={[f.name, 'rules']} />
              </Card>
            ))}
            <Button icon={<PlusOutlined />} onClick={() => add({ key: '', name: '', department_ids: [], rules: { ...POOL_RULE_DEFAULTS } })}>
              {t('settings.add_pool')}
            </Button>
          </>
        )}
      </Form.List>
    </Card>
  );
}

export const FIELD_TYPES = ['text', 'number', 'date', 'choice', 'multi_choice'] as const;

// CustomFields edits the tenant's own customer fields.
export function CustomFields() {
  const { t, opt } = useI18n();
  return (
    <Card size="small" title={t('settings.custom_fields')} style={{ marginBottom: 16 }} data-testid="settings-custom-fields">
      <Typography.Paragraph type="secondary">{t('settings.custom_fields_help')}</Typography.Paragraph>
      <Form.List name="custom_fields">
        {(fields, { add, remove }) => (
          <>
            {fields.map((f) => (
              <Row gutter={12} key={f.key} align="top" className="settings-row">
                <Col xs={12} md={4}>
                  <Form.Item name={[f.name, 'key']} label={t('settings.field_key')} rules={[{ required: true, message: t('form.required') }]}>
                    <Input maxLength={40} />
                  </Form.Item>
                </Col>
                <Col xs={12} md={5}>
                  <Form.Item name={[f.name, 'label']} label={t('settings.field_label')} rules={[{ required: true, message: t('form.required') }]}>
                    <Input maxLength={100} />
                  </Form.Item>
                </Col>
                <Col xs={12} md={4}>
                  <Form.Item name={[f.name, 'type']} label={t('settings.field_type')}>
                    <Select options={FIELD_TYPES.map((x) => ({ value: x, label: opt('fieldtype', x) }))} />
                  </Form.Item>
                </Col>
                <Col xs={12} md={3}>
                  <Form.Item name={[f.name, 'required']} label={t('settings.field_required')} valuePropName="checked">
                    <Switch />
                  </Form.Item>
                </Col>
                <Form.Item noStyle shouldUpdate>
                  {(form) => {
                    const type = form.getFieldValue(['custom_fields', f.name, 'type']);
                    return (
                      <Col xs={20} md={7}>
                        <Form.Item name={[f.name, 'options']} label={t('settings.field_options')}>
                          <Select mode="tags" disabled={type !== 'choice' && type !== 'multi_choice'} tokenSeparators={[',', '，']} />
                        </Form.Item>
                      </Col>
                    );
                  }}
                </Form.Item>
                <Col xs={4} md={1} style={{ paddingTop: 30 }}>
                  <Button type="text" danger icon={<DeleteOutlined />} onClick={() => remove(f.name)} aria-label={t('common.delete')} />
                </Col>
              </Row>
            ))}
            <Button icon={<PlusOutlined />} onClick={() => add({ key: '', label: '', type: 'text', required: false, options: [] })}>
              {t('settings.add_field')}
            </Button>
          </>
        )}
      </Form.List>
    </Card>
  );
}

const AMOUNTS = ['key_min_annual_purchase', 'key_min_annual_revenue', 'general_min_annual_purchase'] as const;
const COUNTS = ['key_min_orders', 'key_min_employees'] as const;
const PERCENTS = ['value_a_percent', 'value_b_percent'] as const;

// ClassificationFields are the thresholds of the customer classification and ABC analysis.
export function ClassificationFields({ currency }: { currency: string }) {
  const { t, opt } = useI18n();
  return (
    <Card size="small" title={t('settings.classification')} style={{ marginBottom: 16 }} data-testid="settings-classification">
      <Typography.Paragraph type="secondary">{t('settings.classification_help')}</Typography.Paragraph>
      <Row gutter={16}>
        {AMOUNTS.map((k) => (
          <Col xs={24} md={8} key={k}>
            <Form.Item name={['classification', k]} label={opt('classrule', k)}>
              <InputNumber<string> min="0" stringMode addonAfter={currency} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        ))}
        {COUNTS.map((k) => (
          <Col xs={12} md={6} key={k}>
            <Form.Item name={['classification', k]} label={opt('classrule', k)}>
              <InputNumber min={0} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        ))}
        {PERCENTS.map((k) => (
          <Col xs={12} md={6} key={k}>
            <Form.Item name={['classification', k]} label={opt('classrule', k)}>
              <InputNumber min={0} max={100} precision={0} addonAfter="%" style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        ))}
      </Row>
    </Card>
  );
}

// settingsBody turns the form's values of these sections into the API's shape.
export function sectionsBody(v: any) {
  const num = (x: unknown) => (x === undefined || x === null || x === '' ? 0 : Number(x));
  const dec = (x: unknown) => (x === undefined || x === null || x === '' ? null : String(x));
  const cls = v.classification || {};
  return {
    pools: (v.pools || []).map((p: any) => ({
      key: (p.key || '').trim(),
      name: (p.name || '').trim(),
      department_ids: p.department_ids || [],
      rules: { ...POOL_RULE_DEFAULTS, ...(p.rules || {}) },
    })),
    custom_fields: (v.custom_fields || []).map((f: any) => ({
      key: (f.key || '').trim(),
      label: (f.label || '').trim(),
      type: f.type || 'text',
      required: !!f.required,
      options: f.type === 'choice' || f.type === 'multi_choice' ? (f.options || []).map((o: string) => o.trim()).filter(Boolean) : [],
    })),
    classification: {
      ...Object.fromEntries(AMOUNTS.map((k) => [k, dec(cls[k])])),
      ...Object.fromEntries([...COUNTS, ...PERCENTS].map((k) => [k, num(cls[k])])),
    },
  };
}

// foldListErrors puts errors on one element of a multi-select (pools[0].department_ids[2]) on
// the select itself (pools[0].department_ids), where the form shows them.
export function foldListErrors(e: unknown): unknown {
  if (e instanceof ApiError) e.errors = e.errors.map((x) => ({ ...x, field: (x.field || '').replace(/(\.department_ids|\.options)\[\d+\]$/, '$1') }));
  return e;
}
