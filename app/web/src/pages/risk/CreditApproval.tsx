import { App, Button, Space } from 'antd';
import { api } from '../../api';
import { useI18n } from '../../i18n';
import { errorText } from '../../ui';

// A credit assessment waiting for the user's approval on the home page's 待我审批 list.
export function CreditApproval({ id, title, onDecided }: { id: string; title: string; onDecided: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const decide = (approve: boolean) =>
    api.post(`/api/v1/credit-assessments/${id}/${approve ? 'approve' : 'reject'}`, approve ? {} : { comment: t('risk.reject') }).then(
      () => { message.success(t('common.saved')); onDecided(); },
      (e) => message.error(errorText(e)),
    );
  return (
    <Space wrap data-testid="credit-approval">
      <span>{title}</span>
      <Button size="small" type="link" onClick={() => decide(true)}>{t('risk.approve')}</Button>
      <Button size="small" type="link" danger onClick={() => decide(false)}>{t('risk.reject')}</Button>
    </Space>
  );
}
