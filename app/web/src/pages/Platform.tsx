// The platform administrators' console: its own sign-in (/platform/v1) and the tenant list.
import { useEffect, useState } from 'react';
import { Navigate, Route, Routes, useNavigate } from 'react-router-dom';
import { App, Alert, Button, Card, Descriptions, Drawer, Empty, Form, Input, Layout, Radio, Select, Space, Table, Tag, Typography } from 'antd';
import { api, ApiError, setCsrf } from '../api';
import { useI18n } from '../i18n';
import { PageHeader, Pager, useCursorList, applyFormErrors, ErrorBanner, errorText } from '../ui';
import { LangSwitch } from '../Layout';

const KEY = 'crm.platform.csrf';

interface Tenant {
  id: string;
  slug: string;
  name: string;
  status: string;
  plan: string;
  suspend_mode: string;
  trial_ends_at: string | null;
  created_at: string;
  counts: Record<string, number> | null;
}

function restoreCsrf() {
  const c = sessionStorage.getItem(KEY);
  if (c) setCsrf('platform', c);
}

function PlatformLogin() {
  const { t } = useI18n();
  const [form] = Form.useForm();
  const [errors, setErrors] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const nav = useNavigate();
  const submit = async (v: { email: string; password: string }) => {
    setBusy(true);
    setErrors([]);
    try {
      const r = await api.post<{ csrf_token: string; admin: { name: string } }>('/platform/v1/auth/login', v);
      sessionStorage.setItem(KEY, r.csrf_token);
      sessionStorage.setItem(KEY + '.name', r.admin?.name || '');
      setCsrf('platform', r.csrf_token);
      nav('/platform/tenants', { replace: true });
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="auth-page" style={{ background: 'linear-gradient(135deg, #1f1f1f 0%, #434343 100%)' }}>
      <Card className="auth-card" title={<Typography.Title level={3} style={{ margin: 0 }}>{t('platform.login_title')}</Typography.Title>} extra={<LangSwitch compact />}>
        <ErrorBanner messages={errors} />
        <Form form={form} layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, message: t('form.required') }]}>
            <Input inputMode="email" autoFocus autoComplete="username" />
          </Form.Item>
          <Form.Item name="password" label={t('auth.password')} rules={[{ required: true, message: t('form.required') }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('auth.login')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}

function statusColor(s: string) {
  return ({ active: 'green', trial: 'blue', suspended: 'orange', cancelled: 'red' } as Record<string, string>)[s] || 'default';
}

function Tenants() {
  const { t, opt, dateTime, date, num } = useI18n();
  const { message, modal } = App.useApp();
  const nav = useNavigate();
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<string | undefined>();
  const list = useCursorList<Tenant>('/platform/v1/tenants', { q, status }, 25);
  const [detail, setDetail] = useState<Tenant | null>(null);
  const [suspend, setSuspend] = useState<Tenant | null>(null);
  const [form] = Form.useForm();

  useEffect(() => {
    if (list.error instanceof ApiError && list.error.status === 401) nav('/platform/login', { replace: true });
  }, [list.error, nav]);

  const reactivate = (x: Tenant) =>
    modal.confirm({
      title: t('platform.reactivate_confirm', { name: x.name }),
      okText: t('platform.reactivate'),
      cancelText: t('common.cancel'),
      onOk: () => api.post(`/platform/v1/tenants/${x.id}/reactivate`).then(() => { message.success(t('common.saved')); list.reload(); }, (e) => message.error(errorText(e))),
    });
  const doSuspend = async () => {
    if (!suspend) return;
    const v = form.getFieldsValue();
    try {
      await api.post(`/platform/v1/tenants/${suspend.id}/suspend`, { mode: v.mode, reason: v.reason || '' });
      message.success(t('common.saved'));
      setSuspend(null);
      list.reload();
    } catch (e) {
      applyFormErrors(form, e);
    }
  };
  const logout = async () => {
    try {
      await api.post('/platform/v1/auth/logout');
    } catch {
      /* already gone */
    }
    sessionStorage.removeItem(KEY);
    nav('/platform/login');
  };

  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header className="main-header">
        <Typography.Text strong style={{ fontSize: 16 }}>{t('platform.console')}</Typography.Text>
        <div className="spacer" />
        <LangSwitch compact />
        <Button onClick={logout}>{t('auth.logout')}</Button>
      </Layout.Header>
      <Layout.Content>
        <div className="content-wrap">
          <PageHeader title={t('platform.tenants')} />
          <div className="toolbar">
            <Input.Search className="grow" allowClear placeholder={t('platform.search')} aria-label={t('platform.search')} onSearch={(v) => setQ(v.trim())} data-testid="tenant-search" />
            <Select allowClear placeholder={t('sales.status')} aria-label={t('sales.status')} style={{ width: 150 }} value={status} onChange={setStatus} options={['active', 'trial', 'suspended', 'cancelled'].map((s) => ({ value: s, label: opt('tstatus', s) }))} />
          </div>
          {list.error && !(list.error instanceof ApiError && list.error.status === 401) ? <Alert type="error" showIcon message={errorText(list.error)} style={{ marginBottom: 12 }} /> : null}
          <Table<Tenant>
            rowKey="id"
            size="middle"
            loading={list.loading}
            dataSource={list.items}
            pagination={false}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: <Empty description={t('common.no_results')} /> }}
            columns={[
              { title: t('auth.company_name'), dataIndex: 'name', render: (v: string, x) => <a onClick={() => setDetail(x)}>{v}</a> },
              { title: t('auth.slug'), dataIndex: 'slug', responsive: ['sm'] },
              { title: t('sales.status'), dataIndex: 'status', render: (s: string, x) => <Tag color={statusColor(s)}>{opt('tstatus', s)}{x.suspend_mode ? ` · ${opt('suspendshort', x.suspend_mode)}` : ''}</Tag> },
              { title: t('platform.plan'), dataIndex: 'plan', responsive: ['md'] },
              { title: t('platform.users'), key: 'u', responsive: ['md'], render: (_: unknown, x) => (x.counts && 'users' in x.counts ? num(x.counts.users) : '—') },
              { title: t('platform.customers'), key: 'c', responsive: ['md'], render: (_: unknown, x) => (x.counts && 'customers' in x.counts ? num(x.counts.customers) : '—') },
              { title: t('common.created_at'), dataIndex: 'created_at', responsive: ['lg'], render: (v: string) => dateTime(v) },
              {
                title: '', key: 'a',
                render: (_: unknown, x) =>
                  x.status === 'suspended' ? (
                    <Button size="small" onClick={() => reactivate(x)} data-testid={'reactivate-' + x.slug}>{t('platform.reactivate')}</Button>
                  ) : (
                    <Button size="small" danger onClick={() => { form.setFieldsValue({ mode: 'read_only', reason: '' }); setSuspend(x); }} data-testid={'suspend-' + x.slug}>{t('platform.suspend')}</Button>
                  ),
              },
            ]}
          />
          <Pager list={list} />
        </div>
      </Layout.Content>
      <Drawer open={!!detail} onClose={() => setDetail(null)} title={detail?.name} width={Math.min(480, window.innerWidth)}>
        {detail && (
          <Descriptions column={1} size="small" bordered>
            <Descriptions.Item label="ID">{detail.id}</Descriptions.Item>
            <Descriptions.Item label={t('auth.slug')}>{detail.slug}</Descriptions.Item>
            <Descriptions.Item label={t('sales.status')}>{opt('tstatus', detail.status)}</Descriptions.Item>
            <Descriptions.Item label={t('platform.plan')}>{detail.plan}</Descriptions.Item>
            {detail.trial_ends_at && <Descriptions.Item label={t('platform.trial_ends')}>{date(detail.trial_ends_at)}</Descriptions.Item>}
            {Object.entries(detail.counts || {}).map(([k, v]) => (
              <Descriptions.Item key={k} label={k}>{num(v)}</Descriptions.Item>
            ))}
          </Descriptions>
        )}
      </Drawer>
      <Drawer open={!!suspend} onClose={() => setSuspend(null)} title={t('platform.suspend_title', { name: suspend?.name || '' })} width={Math.min(420, window.innerWidth)}
        extra={<Space><Button onClick={() => setSuspend(null)}>{t('common.cancel')}</Button><Button danger type="primary" onClick={doSuspend} data-testid="suspend-confirm">{t('platform.suspend')}</Button></Space>}>
        <Form form={form} layout="vertical">
          <Form.Item name="mode" label={t('platform.suspend_mode')}>
            <Radio.Group>
              <Space direction="vertical">
                <Radio value="read_only">{opt('suspendmode', 'read_only')}</Radio>
                <Radio value="locked">{opt('suspendmode', 'locked')}</Radio>
              </Space>
            </Radio.Group>
          </Form.Item>
          <Form.Item name="reason" label={t('common.reason')}>
            <Input.TextArea autoSize={{ minRows: 3 }} />
          </Form.Item>
        </Form>
      </Drawer>
    </Layout>
  );
}

export default function Platform() {
  restoreCsrf();
  return (
    <Routes>
      <Route path="login" element={<PlatformLogin />} />
      <Route path="tenants" element={<Tenants />} />
      <Route path="*" element={<Navigate to="/platform/tenants" replace />} />
    </Routes>
  );
}
