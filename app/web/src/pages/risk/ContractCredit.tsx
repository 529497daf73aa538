import { useState, type ReactNode } from 'react';
import { Alert, Modal } from 'antd';
import { api } from '../../api';
import { useI18n } from '../../i18n';
import { useFeatures } from '../../features';

// What the customer's credit limit means for a contract: the salesperson sees, before
// submitting, that it would go over the limit and to whom it will go; the approver sees the
// reason on the contract.

interface Check {
  exceeds: boolean;
  escalated_role: string;
  reason: string;
}

// useCreditCheck answers a submit wrapper: it asks GET /contracts/{id}/credit-check first and,
// when the customer would go over its limit, shows the reason and submits only on confirmation.
export function useCreditCheck(): [(row: { id: string }, submit: () => void) => void, ReactNode] {
  const { t } = useI18n();
  const f = useFeatures();
  const [pending, setPending] = useState<{ check: Check; submit: () => void } | null>(null);
  const run = (row: { id: string }, submit: () => void) => {
    if (!f.has('/api/v1/contracts/{id}/credit-check')) return submit();
    api.get<Check>(`/api/v1/contracts/${row.id}/credit-check`).then(
      (c) => (c.exceeds ? setPending({ check: c, submit }) : submit()),
      () => submit(),
    );
  };
  const modal = (
    <Modal open={!!pending} title={t('risk.check_title')} okText={t('risk.check_submit')} onCancel={() => setPending(null)}
      onOk={() => { pending?.submit(); setPending(null); }}>
      {pending && <Alert type="warning" showIcon message={pending.check.reason} data-testid="credit-check-reason" />}
    </Modal>
  );
  return [run, modal];
}

// ApprovalReason shows why a contract went to a more senior reviewer.
export function ApprovalReason({ contract }: { contract: { approval_reason?: string; status: string } }) {
  const { t } = useI18n();
  if (!contract.approval_reason) return null;
  return <Alert style={{ marginBottom: 8 }} type="warning" showIcon message={t('risk.escalated')} description={contract.approval_reason} data-testid="approval-reason" />;
}
