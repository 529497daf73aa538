import { useEffect, useState } from 'react';
import { useParams } from 'react-router-dom';
import { Alert, Card, Descriptions, Result, Typography } from 'antd';
import { api, ApiError } from '../../api';
import { useI18n } from '../../i18n';
import { LangSwitch } from '../../Layout';
import { errorText } from '../../ui';
import { SignOffForm } from './WorkOrderPage';

// The customer's sign-off through a one-time link, without an account: what was done, then the
// signature. A used, replaced or expired link says so; anything else that does not verify is
// "not found", like a missing page.

interface PublicSignOff {
  company: string; number: string; model: string; serial: string; fault: string; status: string;
  completed_at: string | null; work_done: string[]; labour_hours: string;
}

export default function SignOffPublic() {
  const { token = '' } = useParams();
  const { t, dateTime } = useI18n();
  const [wo, setWo] = useState<PublicSignOff | null>(null);
  const [state, setState] = useState<'loading' | 'open' | 'gone' | 'missing' | 'done'>('loading');
  const [err, setErr] = useState<string | null>(null);
  const path = '/public/v1/sign-off/' + encodeURIComponent(token);
  useEffect(() => {
    api.get<PublicSignOff>(path).then(
      (v) => { setWo(v); setState('open'); },
      (e) => setState(e instanceof ApiError && e.status === 410 ? 'gone' : e instanceof ApiError && e.status === 404 ? 'missing' : (setErr(errorText(e)), 'missing')),
    );
  }, [path]);
  const body = () => {
    switch (state) {
      case 'loading':
        return null;
      case 'gone':
        return <Result status="warning" title={t('svc.link_gone')} />;
      case 'missing':
        return <Result status="404" title={err || t('svc.link_missing')} />;
      case 'done':
        return <Result status="success" title={t('svc.thanks_signed')} />;
    }
    return (
      <>
        <Descriptions size="small" column={1} data-testid="public-work-order">
          <Descriptions.Item label={t('sales.number')}>{wo!.number}</Descriptions.Item>
          <Descriptions.Item label={t('svc.model')}>{wo!.model} {wo!.serial}</Descriptions.Item>
          <Descriptions.Item label={t('svc.fault')}>{wo!.fault}</Descriptions.Item>
          {wo!.completed_at && <Descriptions.Item label={t('svc.completed_at')}>{dateTime(wo!.completed_at)}</Descriptions.Item>}
          {wo!.work_done?.length > 0 && <Descriptions.Item label={t('svc.work_done')}>{wo!.work_done.join('；')}</Descriptions.Item>}
        </Descriptions>
        <Typography.Paragraph type="secondary">{t('svc.sign_off_intro')}</Typography.Paragraph>
        <SignOffForm submit={async (b) => { await api.post(path, b); setState('done'); }} />
      </>
    );
  };
  return (
    <div className="auth-page">
      <Card className="auth-card" title={<Typography.Title level={4} style={{ margin: 0 }}>{wo?.company || t('svc.sign_off')}</Typography.Title>} extra={<LangSwitch compact />}>
        {err && state === 'open' && <Alert type="error" message={err} />}
        {body()}
      </Card>
    </div>
  );
}
