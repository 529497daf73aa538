import { useCallback, useEffect, useState } from 'react';
import { App, Alert, Button, Card, DatePicker, Descriptions, Form, Input, InputNumber, List, Modal, Progress, Select, Space, Table, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { api, type Money, type Page } from '../../api';
import { useI18n } from '../../i18n';
import { useAuth } from '../../auth';
import { applyFormErrors, errorText } from '../../ui';

// The customer's credit card (RSK-1, RSK-2): rating, limit and validity, the exposure against
// the limit with the contracts and installments behind it, the open warnings with their
// measures, and the history of assessments with the form for a new one.

export const levelColor: Record<string, string> = { low: 'green', medium: 'orange', high: 'red' };
export const MEASURES = ['guarantee', 'prepayment', 'shorter_terms', 'reduced_cooperation', 'other'];

export interface Warning {
  id: string;
  customer_id: string;
  customer_name: string;
  kind: string;
  level: string;
  status: string;
  message: string;
  raised_at: string;
  measures: { id: string; measure: string; note: string; recorded_at: string }[];
}

interface Credit {
  rating: string;
  limit: Money | null;
  valid_until: string | null;
  expired: boolean;
  exposure: { signed_unpaid: Money; open_receivables: Money; overdue_receivables: Money; total: Money };
  lines: { bucket: string; contract_id: string | null; contract_number: string; work_order_id?: string; work_order_number?: string; installment_id: string | null; due_date: string | null; days_overdue: number; amount: Money; base: Money | null }[];
  utilisation: string | null;
  risk_level: string;
  warnings: Warning[];
  pending: Assessment | null;
}

interface Assessment {
  id: string;
  score: string;
  rating: string;
  limit: Money;
  valid_until: string;
  status: string;
  approver_role: string;
  evidence: string;
  created_at: string;
}

export function MeasureButton({ warning, onDone }: { warning: Warning; onDone: () => void }) {
  const { t, opt } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm();
  if (!can('risk', 'update')) return null;
  const save = async () => {
    const v = await form.validateFields();
    try {
      await api.post(`/api/v1/risk/warnings/${warning.id}/measures`, { measure: v.measure, note: v.note || '' });
      message.success(t('common.saved'));
      setOpen(false);
      form.resetFields();
      onDone();
    } catch (e) {
      applyFormErrors(form, e);
    }
  };
  return (
    <>
      <Button size="small" type="link" onClick={() => setOpen(true)}>{t('risk.record_measure')}</Button>
      <Modal open={open} title={t('risk.record_measure')} onOk={save} onCancel={() => setOpen(false)} destroyOnClose>
        <Form form={form} layout="vertical">
          <Form.Item name="measure" label={t('risk.measure')} rules={[{ required: true }]}>
            <Select options={MEASURES.map((m) => ({ value: m, label: opt('risk_measure', m) }))} />
          </Form.Item>
          <Form.Item name="note" label={t('risk.note')}><Input.TextArea rows={2} /></Form.Item>
        </Form>
      </Modal>
    </>
  );
}

function AssessForm({ customerId, open, onClose, onSaved }: { customerId: string; open: boolean; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm();
  const save = async () => {
    const v = await form.validateFields();
    try {
      const a = await api.post<Assessment>(`/api/v1/customers/${customerId}/credit-assessments`, {
        scores: { financial: v.financial, results: v.results, record: v.record, reputation: v.reputation },
        proposed_limit: { amount: String(v.limit), currency: v.currency || 'CNY' },
        ...(v.valid_until ? { valid_until: (v.valid_until as Dayjs).format('YYYY-MM-DD') } : {}),
        evidence: v.evidence || '',
      });
      message.success(t('risk.assessed') + (a.status === 'pending' ? ' · ' + t('risk.pending') : ''));
      form.resetFields();
      onSaved();
    } catch (e) {
      applyFormErrors(form, e);
    }
  };
  const score = (name: string, label: 'risk.financial' | 'risk.results' | 'risk.record' | 'risk.reputation') => (
    <Form.Item name={name} label={t(label)} rules={[{ required: true }]} style={{ marginBottom: 8 }}>
      <InputNumber min={0} max={100} precision={0} aria-label={t(label)} style={{ width: 120 }} />
    </Form.Item>
  );
  return (
    <Modal open={open} title={t('risk.assess')} onOk={save} onCancel={onClose} destroyOnClose okButtonProps={{ 'aria-label': t('common.save') } as any}>
      <Form form={form} layout="vertical" initialValues={{ currency: 'CNY' }}>
        <Typography.Text type="secondary">{t('risk.scores')}</Typography.Text>
        <Space wrap>
          {score('financial', 'risk.financial')}
          {score('results', 'risk.results')}
          {score('record', 'risk.record')}
          {score('reputation', 'risk.reputation')}
        </Space>
        <Space wrap>
          <Form.Item name="limit" label={t('risk.proposed_limit')} rules={[{ required: true }]}>
            <InputNumber<string> min="0" stringMode aria-label={t('risk.proposed_limit')} style={{ width: 180 }} />
          </Form.Item>
          <Form.Item name="currency" label=" "><Input style={{ width: 80 }} maxLength={3} /></Form.Item>
          <Form.Item name="valid_until" label={t('risk.valid_until')}><DatePicker /></Form.Item>
        </Space>
        <Form.Item name="evidence" label={t('risk.evidence')}><Input.TextArea rows={2} /></Form.Item>
      </Form>
    </Modal>
  );
}

export function CreditCard({ customerId, editable }: { customerId: string; editable: boolean }) {
  const { t, opt, money, date } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const [credit, setCredit] = useState<Credit | null>(null);
  const [history, setHistory] = useState<Assessment[]>([]);
  const [err, setErr] = useState<unknown>(null);
  const [assessing, setAssessing] = useState(false);
  const [lines, setLines] = useState(false);
  const load = useCallback(() => {
    api.get<Credit>(`/api/v1/customers/${customerId}/credit`).then(setCredit, setErr);
    api.get<Page<Assessment>>(`/api/v1/customers/${customerId}/credit-assessments`, { limit: 20 }).then((p) => setHistory(p.items), () => undefined);
  }, [customerId]);
  useEffect(load, [load]);
  if (!can('risk', 'read')) return null;
  const decide = async (id: string, approve: boolean) => {
    try {
      await api.post(`/api/v1/credit-assessments/${id}/${approve ? 'approve' : 'reject'}`, approve ? {} : { comment: t('risk.reject') });
      load();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const pct = credit?.utilisation ? Math.round(Number(credit.utilisation) * 100) : 0;
  return (
    <Card title={t('risk.credit')} size="small" style={{ marginBottom: 16 }} data-testid="credit-card"
      extra={editable && can('risk', 'create') ? <Button size="small" onClick={() => setAssessing(true)}>{t('risk.assess')}</Button> : null}>
      {!!err && <Alert type="error" message={errorText(err)} />}
      {credit && (
        <>
          {credit.rating ? (
            <Descriptions size="small" column={1}>
              <Descriptions.Item label={t('risk.rating')}><Tag color="blue">{credit.rating}</Tag></Descriptions.Item>
              <Descriptions.Item label={t('risk.limit')}>{money(credit.limit)}</Descriptions.Item>
              <Descriptions.Item label={t('risk.valid_until')}>{date(credit.valid_until)} {credit.expired && <Tag color="red">{t('risk.expired')}</Tag>}</Descriptions.Item>
              <Descriptions.Item label={t('risk.level')}><Tag color={levelColor[credit.risk_level]} data-testid="risk-level">{opt('risk_level', credit.risk_level)}</Tag></Descriptions.Item>
            </Descriptions>
          ) : (
            <Typography.Paragraph type="secondary">{t('risk.no_assessment')}</Typography.Paragraph>
          )}
          <div>
            {t('risk.exposure')}: <b>{money(credit.exposure.total)}</b>
            {credit.limit && <Progress percent={Math.min(pct, 100)} status={pct > 100 ? 'exception' : pct >= 80 ? 'active' : 'normal'} format={() => `${pct}%`} aria-label={t('risk.utilisation')} />}
            <Space wrap size="small">
              {(['signed_unpaid', 'open_receivables', 'overdue_receivables'] as const).map((b) => (
                <Tag key={b} color={b === 'overdue_receivables' ? 'red' : undefined}>{opt('risk_bucket', b)}: {money(credit.exposure[b])}</Tag>
              ))}
              {credit.lines.length > 0 && <Button size="small" type="link" onClick={() => setLines(!lines)}>{t('risk.lines')}</Button>}
            </Space>
            {lines && (
              <Table size="small" rowKey={(r) => r.bucket + (r.contract_id || r.work_order_id) + (r.installment_id || '')} pagination={false} dataSource={credit.lines} style={{ marginTop: 8 }}
                columns={[
                  { title: t('risk.contract'), dataIndex: 'contract_number',
                    // an invoiced work order's receivable names the work order instead
                    render: (v: string, r) => (r.work_order_id ? `${t('receivable.work_order')} ${r.work_order_number}` : v) },
                  { title: t('risk.exposure'), dataIndex: 'bucket', render: (v: string) => opt('risk_bucket', v) },
                  { title: t('risk.due_date'), dataIndex: 'due_date', render: (v: string | null) => date(v) },
                  { title: t('sales.amount'), dataIndex: 'amount', render: (v: Money) => money(v) },
                ]} />
            )}
          </div>
          {credit.pending && (
            <Alert style={{ marginTop: 8 }} type="info" showIcon
              message={`${t('risk.pending')}: ${credit.pending.rating} · ${money(credit.pending.limit)} · ${t('risk.approver')} ${opt('role', credit.pending.approver_role)}`}
              action={can('risk', 'approve') ? (
                <Space direction="vertical" size={0}>
                  <Button size="small" type="link" onClick={() => decide(credit.pending!.id, true)}>{t('risk.approve')}</Button>
                  <Button size="small" type="link" danger onClick={() => decide(credit.pending!.id, false)}>{t('risk.reject')}</Button>
                </Space>
              ) : undefined} />
          )}
          <Typography.Title level={5} style={{ marginTop: 12 }}>{t('risk.warnings')}</Typography.Title>
          <List size="small" dataSource={credit.warnings} locale={{ emptyText: t('risk.no_warnings') }} data-testid="credit-warnings"
            renderItem={(w) => (
              <List.Item actions={[<MeasureButton key="m" warning={w} onDone={load} />]}>
                <List.Item.Meta title={<Space><Tag color={levelColor[w.level]}>{opt('risk_level', w.level)}</Tag>{opt('risk_kind', w.kind)}</Space>}
                  description={<>{w.message}{w.measures.map((m) => <div key={m.id}><Tag>{opt('risk_measure', m.measure)}</Tag>{m.note}</div>)}</>} />
              </List.Item>
            )} />
          <Typography.Title level={5} style={{ marginTop: 12 }}>{t('risk.history')}</Typography.Title>
          <Table size="small" rowKey="id" pagination={false} dataSource={history}
            columns={[
              { title: t('common.created_at'), dataIndex: 'created_at', render: (v: string) => date(v) },
              { title: t('risk.rating'), dataIndex: 'rating' },
              { title: t('risk.limit'), dataIndex: 'limit', render: (v: Money) => money(v) },
              { title: t('sales.status'), dataIndex: 'status', render: (v: string) => opt('credit_status', v) },
            ]} />
        </>
      )}
      <AssessForm customerId={customerId} open={assessing} onClose={() => setAssessing(false)} onSaved={() => { setAssessing(false); load(); }} />
    </Card>
  );
}
