import { useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';
import { App, Button, Card, Form, Input, Radio, Result, Typography } from 'antd';
import { api, ApiError } from '../../api';
import { useI18n, type Key } from '../../i18n';
import { LangSwitch } from '../../Layout';
import { errorText } from '../../ui';

// The opinion survey (客戶意見調查) a customer answers through a one-time link, without an
// account: the technician rated on four points, suggestions and complaints.

interface PublicSurvey { company: string; work_order_number: string; technician_name: string; dimensions: string[]; levels: string[] }

export default function SurveyPublic() {
  const { token = '' } = useParams();
  const { t, opt } = useI18n();
  const { message } = App.useApp();
  const [sv, setSv] = useState<PublicSurvey | null>(null);
  const [state, setState] = useState<'loading' | 'open' | 'gone' | 'missing' | 'done'>('loading');
  const [busy, setBusy] = useState(false);
  const path = '/public/v1/surveys/' + encodeURIComponent(token);
  useEffect(() => {
    api.get<PublicSurvey>(path).then(
      (v) => { setSv(v); setState('open'); },
      (e) => setState(e instanceof ApiError && e.status === 410 ? 'gone' : 'missing'),
    );
  }, [path]);
  const submit = async (v: Record<string, string>) => {
    setBusy(true);
    try {
      const ratings = Object.fromEntries((sv?.dimensions || []).map((d) => [d, v[d]]));
      await api.post(path, { ratings, suggestions: v.suggestions || '', complaint: v.complaint || '' });
      setState('done');
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  let body = null;
  if (state === 'gone') body = <Result status="warning" title={t('svc.link_gone')} />;
  else if (state === 'missing') body = <Result status="404" title={t('svc.link_missing')} />;
  else if (state === 'done') body = <Result status="success" title={t('srv.thanks')} />;
  else if (sv)
    body = (
      <Form layout="vertical" onFinish={submit} requiredMark={false}>
        <Typography.Paragraph>{t('srv.intro', { number: sv.work_order_number, name: sv.technician_name })}</Typography.Paragraph>
        {sv.dimensions.map((d) => (
          <Form.Item key={d} name={d} label={t(`srv_dim.${d}` as Key)} rules={[{ required: true, message: t('form.required') }]}>
            <Radio.Group optionType="button" options={sv.levels.map((l) => ({ value: l, label: opt('srv_level', l) }))} />
          </Form.Item>
        ))}
        <Form.Item name="suggestions" label={t('srv.suggestions')}><Input.TextArea rows={2} /></Form.Item>
        <Form.Item name="complaint" label={t('srv.complaint')}><Input.TextArea rows={2} /></Form.Item>
        <Button type="primary" htmlType="submit" loading={busy} block>{t('srv.submit')}</Button>
      </Form>
    );
  return (
    <div className="auth-page">
      <Card className="auth-card" title={<Typography.Title level={4} style={{ margin: 0 }}>{sv?.company || t('srv.title')}</Typography.Title>} extra={<LangSwitch compact />}>
        {body}
      </Card>
    </div>
  );
}
