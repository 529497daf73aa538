import { useEffect, useState } from 'react';
import { App, Alert, Button, DatePicker, InputNumber, Space, Table, Tag, Tooltip } from 'antd';
import dayjs from 'dayjs';
import { api, type Money } from '../../api';
import { useI18n } from '../../i18n';
import { useAuth } from '../../auth';
import { errorText } from '../../ui';
import { ApprovalReason, useCreditCheck } from '../risk/ContractCredit';
import { type ActionCtx, type EntitySpec } from '../../entity';

// Contracts: contracts through their approval (submit, approve or reject, sign), each with its
// payment plan under the expanded row.

export const contracts: EntitySpec = {
  path: '/api/v1/contracts', object: 'contract', title: 'nav.contracts', newLabel: 'sales.new_contract',
  columns: [{ key: 'number', label: 'sales.number' }, { key: 'title', label: 'sales.title' }, { key: 'customer_id', label: 'opp.customer', kind: 'customer', responsive: ['md'] }, { key: 'amount', label: 'sales.amount', kind: 'money' }, { key: 'status', label: 'sales.status', kind: 'enum', prefix: 'contractstatus' }, { key: 'approver_role', label: 'sales.approver', kind: 'enum', prefix: 'role', responsive: ['lg'] }, { key: 'overdue', label: 'sales.overdue', kind: 'bool', responsive: ['md'] }],
  fields: [
    { name: 'title', label: 'sales.title', kind: 'text', required: true }, { name: 'customer_id', label: 'opp.customer', kind: 'customer', required: true },
    { name: 'amount', label: 'sales.amount', kind: 'money', required: true }, { name: 'number', label: 'sales.number', kind: 'text' },
    { name: 'party_a', label: 'sales.party_a', kind: 'text' }, { name: 'party_b', label: 'sales.party_b', kind: 'text' },
    { name: 'start_date', label: 'sales.start_date', kind: 'date' }, { name: 'end_date', label: 'sales.end_date', kind: 'date' }, { name: 'terms', label: 'sales.terms', kind: 'textarea' },
  ],
  filters: [{ name: 'status', label: 'sales.status', prefix: 'contractstatus', values: ['draft', 'under_review', 'approved', 'rejected', 'signed'] }],
  actions: (row, ctx) => <ContractActions row={row} ctx={ctx} />,
  expand: (row) => (
    <>
      <ApprovalReason contract={row} />
      <PaymentPlan contract={row} />
    </>
  ),
};

function ContractActions({ row, ctx }: { row: any; ctx: ActionCtx }) {
  const { t } = useI18n();
  const { can } = useAuth();
  const base = `/api/v1/contracts/${row.id}`;
  const v = { version: row.version };
  const [submitChecked, checkModal] = useCreditCheck();
  return (
    <>
      {checkModal}
      {(row.status === 'draft' || row.status === 'rejected') && can('contract', 'update') && <Button size="small" type="link" onClick={() => submitChecked(row, () => ctx.post(base + '/submit', v))}>{t('sales.submit')}</Button>}
      {row.status === 'under_review' && row.approval_reason && <Tooltip title={row.approval_reason}><Tag color="orange">{t('risk.escalated')}</Tag></Tooltip>}
      {row.status === 'under_review' && can('contract', 'approve') && (
        <>
          <Button size="small" type="link" onClick={() => ctx.ask(t('sales.approve'), 'comment', base + '/approve', v)}>{t('sales.approve')}</Button>
          <Button size="small" type="link" danger onClick={() => ctx.ask(t('sales.reject'), 'comment', base + '/reject', v, true)}>{t('sales.reject')}</Button>
        </>
      )}
      {row.status === 'approved' && can('contract', 'update') && <Button size="small" type="link" onClick={() => ctx.post(base + '/sign', { ...v, signed_on: dayjs().format('YYYY-MM-DD') })}>{t('sales.sign')}</Button>}
    </>
  );
}

function PaymentPlan({ contract }: { contract: any }) {
  const { t, money, date, opt } = useI18n();
  const { message } = App.useApp();
  const [plan, setPlan] = useState<any>(null);
  const [err, setErr] = useState<unknown>(null);
  const [due, setDue] = useState<dayjs.Dayjs | null>(null);
  const [amount, setAmount] = useState<string | null>(null);
  const load = () => api.get<any>(`/api/v1/contracts/${contract.id}/payment-plans`).then(setPlan, setErr);
  useEffect(() => {
    load();
  }, [contract.id]); // eslint-disable-line react-hooks/exhaustive-deps
  const add = async () => {
    if (!due || !amount) return;
    try {
      await api.post(`/api/v1/contracts/${contract.id}/payment-plans`, { installments: [{ due_date: due.format('YYYY-MM-DD'), amount: { amount, currency: contract.amount?.currency || 'CNY' } }] });
      setDue(null);
      setAmount(null);
      load();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  if (err) return <Alert type="error" message={errorText(err)} />;
  if (!plan) return null;
  return (
    <div>
      <Space wrap style={{ marginBottom: 8 }}>
        <span>{t('sales.planned')}: {money(plan.planned)}</span>
        <span>{t('sales.paid')}: {money(plan.paid)}</span>
        <span>{t('sales.outstanding')}: {money(plan.outstanding)}</span>
      </Space>
      <Table size="small" rowKey="id" pagination={false} dataSource={plan.installments || []} locale={{ emptyText: t('sales.no_installments') }}
        columns={[
          { title: t('sales.due_date'), dataIndex: 'due_date', render: (v: string) => date(v) },
          { title: t('sales.amount'), dataIndex: 'amount', render: (v: Money) => money(v) },
          { title: t('sales.paid'), dataIndex: 'paid_amount', render: (v: Money) => money(v) },
          { title: t('sales.status'), dataIndex: 'status', render: (v: string, r: any) => <Tag color={r.overdue ? 'red' : v === 'paid' ? 'green' : 'default'}>{opt('inststatus', v)}</Tag> },
        ]} />
      <Space wrap style={{ marginTop: 8 }}>
        <DatePicker value={due} onChange={setDue} placeholder={t('sales.due_date')} aria-label={t('sales.due_date')} />
        <InputNumber<string> min="0" stringMode value={amount} onChange={(v) => setAmount(v)} placeholder={t('sales.amount')} aria-label={t('sales.amount')} />
        <Button onClick={add}>{t('sales.add_installment')}</Button>
      </Space>
    </div>
  );
}
