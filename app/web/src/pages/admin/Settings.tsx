import { useEffect, useState } from 'react';
import { App, Alert, Button, Card, Col, Form, Input, InputNumber, Row, Select, Space, Typography, Skeleton } from 'antd';
import { PlusOutlined, DeleteOutlined } from '@ant-design/icons';
import { api } from '../../api';
import { useI18n, LANG_NAMES } from '../../i18n';
import { useAuth } from '../../auth';
import type { Settings } from '../../types';
import { PageHeader, applyFormErrors, ErrorBanner, errorText, useDepartments } from '../../ui';
import { PoolRuleFields, NamedPools, CustomFields, ClassificationFields, sectionsBody, foldListErrors } from '../SettingsSections';
import { LANGS } from '../../format';
import { useRoleOptions } from './roleOptions';

// Settings (/admin/settings): the tenant's settings; the sections beyond locale, approval tiers,
// cadences and the other settings are in ../SettingsSections.tsx.
export default function SettingsPage() {
  const { t, opt } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const [s, setS] = useState<Settings | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const editable = can('settings', 'update');
  const roleOpts = useRoleOptions();
  const depts = useDepartments();
  const load = () =>
    api.get<Settings>('/api/v1/settings').then((x) => {
      setS(x);
      form.setFieldsValue(x);
    }, setErr);
  useEffect(() => {
    load();
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const save = async () => {
    if (!s) return;
    let v: any;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    setErrors([]);
    try {
      const body: any = { version: s.version };
      for (const k of ['locale', 'time_zone', 'currency', 'duplicate_policy', 'complaint_sla_days', 'approval_tiers', 'cadences', 'pool']) body[k] = v[k];
      Object.assign(body, sectionsBody(v));
      body.approval_tiers = (v.approval_tiers || []).map((x: any) => ({ role: x.role, max_amount: x.max_amount === '' || x.max_amount === undefined || x.max_amount === null ? null : String(x.max_amount) }));
      const out = await api.patch<Settings>('/api/v1/settings', body);
      setS(out);
      form.setFieldsValue(out);
      message.success(t('common.saved'));
    } catch (e) {
      setErrors(applyFormErrors(form, foldListErrors(e)));
    } finally {
      setBusy(false);
    }
  };
  if (err) return <Alert type="error" showIcon message={errorText(err)} />;
  if (!s) return <Skeleton active />;
  const zones = ['Asia/Shanghai', 'Asia/Taipei', 'Asia/Hong_Kong', 'Asia/Singapore', 'Asia/Tokyo', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'UTC'];
  return (
    <>
      <PageHeader title={t('nav.settings')} extra={editable && <Button type="primary" loading={busy} onClick={save} data-testid="settings-save">{t('common.save')}</Button>} />
      <ErrorBanner messages={errors} />
      <Form form={form} layout="vertical" disabled={!editable} onFinish={save}>
        <Card size="small" title={t('settings.locale_section')} style={{ marginBottom: 16 }}>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item name="locale" label={t('settings.locale')}>
                <Select options={LANGS.map((l) => ({ value: l, label: LANG_NAMES[l] }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="time_zone" label={t('settings.time_zone')}>
                <Select showSearch options={[...new Set([s.time_zone, ...zones])].map((z) => ({ value: z, label: z }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="currency" label={t('settings.currency')}>
                <Select options={['CNY', 'TWD', 'HKD', 'USD', 'EUR', 'JPY'].map((c) => ({ value: c, label: c }))} />
              </Form.Item>
            </Col>
          </Row>
        </Card>
        <Card size="small" title={t('settings.approval_tiers')} style={{ marginBottom: 16 }}>
          <Typography.Paragraph type="secondary">{t('settings.approval_help')}</Typography.Paragraph>
          <Form.List name="approval_tiers">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <Space key={f.key} align="baseline" wrap style={{ display: 'flex', marginBottom: 8 }}>
                    <Form.Item name={[f.name, 'max_amount']} label={t('settings.below_amount')} style={{ marginBottom: 0 }}>
                      <Input placeholder={t('settings.no_limit')} inputMode="decimal" style={{ width: 160 }} />
                    </Form.Item>
                    <Form.Item name={[f.name, 'role']} label={t('settings.approver')} rules={[{ required: true, message: t('form.required') }]} style={{ marginBottom: 0 }}>
                      <Select style={{ width: 180 }} options={roleOpts} />
                    </Form.Item>
                    <Button type="text" danger icon={<DeleteOutlined />} onClick={() => remove(f.name)} aria-label={t('common.delete')} />
                  </Space>
                ))}
                <Button icon={<PlusOutlined />} onClick={() => add({ role: 'general_manager', max_amount: null })}>{t('settings.add_tier')}</Button>
              </>
            )}
          </Form.List>
        </Card>
        <Card size="small" title={t('settings.cadences')} style={{ marginBottom: 16 }}>
          <Typography.Paragraph type="secondary">{t('settings.cadences_help')}</Typography.Paragraph>
          <Row gutter={16}>
            {['key', 'general', 'potential', 'intent_a', 'intent_b', 'intent_c'].map((k) => (
              <Col xs={12} md={4} key={k}>
                <Form.Item name={['cadences', k]} label={opt('cadence', k)}>
                  <InputNumber min={0} max={365} addonAfter={t('common.days')} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            ))}
          </Row>
        </Card>
        <Card size="small" title={t('settings.pool')} style={{ marginBottom: 16 }} data-testid="settings-pool">
          <PoolRuleFields base={['pool']} />
        </Card>
        <NamedPools depts={depts} />
        <ClassificationFields currency={s.currency} />
        <CustomFields />
        <Card size="small" title={t('settings.other')} style={{ marginBottom: 16 }}>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item name="duplicate_policy" label={t('settings.duplicate_policy')}>
                <Select options={['warn', 'block'].map((x) => ({ value: x, label: opt('duppolicy', x) }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="complaint_sla_days" label={t('settings.complaint_sla_days')}>
                <InputNumber min={0} max={365} addonAfter={t('common.days')} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          </Row>
        </Card>
      </Form>
    </>
  );
}
