import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { Button, Card, Form, Input, Typography, Select } from 'antd';
import { api } from '../api';
import { useAuth, type Tenant, type User } from '../auth';
import { useI18n, LANG_NAMES } from '../i18n';
import { applyFormErrors, ErrorBanner } from '../ui';
import { LangSwitch } from '../Layout';
import { LANGS } from '../format';

interface SessionOut {
  user: User;
  tenant: Tenant;
  csrf_token: string;
}

function safeNext(n: string | null): string {
  return n && n.startsWith('/') && !n.startsWith('//') ? n : '/';
}

export function LoginPage() {
  const { t } = useI18n();
  const { signedIn } = useAuth();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const nav = useNavigate();
  const [params] = useSearchParams();
  const submit = async (v: { tenant: string; email: string; password: string }) => {
    setBusy(true);
    setErrors([]);
    try {
      const out = await api.post<SessionOut>('/api/v1/auth/login', v);
      await signedIn(out.csrf_token);
      nav(safeNext(params.get('next')), { replace: true });
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="auth-page">
      <Card className="auth-card" title={<Typography.Title level={3} style={{ margin: 0 }}>{t('auth.login_title')}</Typography.Title>} extra={<LangSwitch compact />}>
        <ErrorBanner messages={errors} />
        <Form form={form} layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item name="tenant" label={t('auth.tenant_slug')} rules={[{ required: true, message: t('form.required') }]}>
            <Input autoFocus autoComplete="organization" />
          </Form.Item>
          <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, message: t('form.required') }]}>
            <Input inputMode="email" autoComplete="username" />
          </Form.Item>
          <Form.Item name="password" label={t('auth.password')} rules={[{ required: true, message: t('form.required') }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('auth.login')}
          </Button>
        </Form>
        <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0 }}>
          {t('auth.no_account')} <Link to="/signup">{t('auth.signup')}</Link>
        </Typography.Paragraph>
      </Card>
    </div>
  );
}

export function SignupPage() {
  const { t, lang } = useI18n();
  const { signedIn } = useAuth();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const nav = useNavigate();
  const submit = async (v: Record<string, string>) => {
    setBusy(true);
    setErrors([]);
    try {
      const out = await api.post<SessionOut>('/api/v1/signup', v);
      await signedIn(out.csrf_token);
      nav('/', { replace: true });
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="auth-page">
      <Card className="auth-card" title={<Typography.Title level={3} style={{ margin: 0 }}>{t('auth.signup_title')}</Typography.Title>} extra={<LangSwitch compact />}>
        <ErrorBanner messages={errors} />
        <Form form={form} layout="vertical" onFinish={submit} requiredMark={false} initialValues={{ locale: lang }}>
          <Form.Item name="company_name" label={t('auth.company_name')} rules={[{ required: true, message: t('form.required') }]}>
            <Input autoFocus autoComplete="organization" />
          </Form.Item>
          <Form.Item name="slug" label={t('auth.slug')} extra={t('auth.slug_help')} rules={[{ required: true, message: t('form.required') }]}>
            <Input autoComplete="off" />
          </Form.Item>
          <Form.Item name="owner_name" label={t('auth.owner_name')} rules={[{ required: true, message: t('form.required') }]}>
            <Input autoComplete="name" />
          </Form.Item>
          <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, message: t('form.required') }]}>
            <Input inputMode="email" autoComplete="email" />
          </Form.Item>
          <Form.Item name="password" label={t('auth.password')} extra={t('auth.password_help')} rules={[{ required: true, message: t('form.required') }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item name="locale" label={t('common.language')}>
            <Select options={LANGS.map((l) => ({ value: l, label: LANG_NAMES[l] }))} />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('auth.signup')}
          </Button>
        </Form>
        <Typography.Paragraph style={{ marginTop: 16, marginBottom: 0 }}>
          {t('auth.have_account')} <Link to="/login">{t('auth.login')}</Link>
        </Typography.Paragraph>
      </Card>
    </div>
  );
}

// ChangePasswordPage is what a user whose password an owner reset sees instead of the app: the
// temporary password, then their own, twice.
export function ChangePasswordPage() {
  const { t } = useI18n();
  const { reload, logout } = useAuth();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const submit = async (v: { current_password: string; password: string }) => {
    setBusy(true);
    setErrors([]);
    try {
      await api.patch('/api/v1/me', { current_password: v.current_password, password: v.password });
      await reload();
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="auth-page">
      <Card className="auth-card" title={<Typography.Title level={3} style={{ margin: 0 }}>{t('auth.change_password_title')}</Typography.Title>} extra={<LangSwitch compact />}>
        <Typography.Paragraph>{t('auth.change_password_intro')}</Typography.Paragraph>
        <ErrorBanner messages={errors} />
        <Form form={form} layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item name="current_password" label={t('auth.temporary_password')} rules={[{ required: true, message: t('form.required') }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Form.Item name="password" label={t('auth.new_password')} extra={t('auth.password_help')} rules={[{ required: true, message: t('form.required') }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Form.Item
            name="confirm"
            label={t('auth.confirm_password')}
            dependencies={['password']}
            rules={[
              { required: true, message: t('form.required') },
              ({ getFieldValue }) => ({
                validator: (_, value) => (!value || getFieldValue('password') === value ? Promise.resolve() : Promise.reject(new Error(t('auth.passwords_differ')))),
              }),
            ]}
          >
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('auth.set_password')}
          </Button>
        </Form>
        <Button type="link" style={{ paddingLeft: 0, marginTop: 8 }} onClick={() => logout()}>
          {t('auth.logout_instead')}
        </Button>
      </Card>
    </div>
  );
}
