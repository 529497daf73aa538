import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { App, Alert, Button, Card, Col, DatePicker, Descriptions, Drawer, Dropdown, Empty, Form, Input, InputNumber, Modal, Row, Select, Space, Tag, Timeline, Typography } from 'antd';
import { PlusOutlined, SwapOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { api } from '../api';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import type { Opportunity } from '../types';
import { PageHeader, listAll, errorText, applyFormErrors, ErrorBanner, OPP_STAGES, useUsers, nameOf, useReasonPrompt } from '../ui';
import { CustomerPicker } from './CustomerPicker';

function NewOpportunity({ open, onClose, onSaved }: { open: boolean; onClose: () => void; onSaved: () => void }) {
  const { t, opt } = useI18n();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  useEffect(() => {
    if (open) {
      form.resetFields();
      setErrors([]);
    }
  }, [open, form]);
  const submit = async () => {
    let v: any;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    try {
      const body: any = { name: v.name, customer_id: v.customer_id, stage: v.stage };
      if (v.amount !== undefined && v.amount !== null && v.amount !== '') body.amount = { amount: String(v.amount), currency: v.currency || 'CNY' };
      if (v.expected_close_date) body.expected_close_date = dayjs(v.expected_close_date).format('YYYY-MM-DD');
      await api.post('/api/v1/opportunities', body);
      onSaved();
      onClose();
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} title={t('opp.new')} onOk={submit} onCancel={onClose} confirmLoading={busy} okText={t('common.save')} destroyOnClose okButtonProps={{ 'data-testid': 'opp-save' } as any}>
      <ErrorBanner messages={errors} />
      <Form form={form} layout="vertical" initialValues={{ stage: 'info_collection', currency: 'CNY' }}>
        <Form.Item name="name" label={t('opp.name')} rules={[{ required: true, message: t('form.required') }]}>
          <Input autoFocus data-testid="opp-name" />
        </Form.Item>
        <Form.Item name="customer_id" label={t('opp.customer')} rules={[{ required: true, message: t('form.required') }]}>
          <CustomerPicker />
        </Form.Item>
        <Row gutter={12}>
          <Col xs={16}>
            <Form.Item name="amount" label={t('opp.amount')}>
              <InputNumber min={0} style={{ width: '100%' }} stringMode />
            </Form.Item>
          </Col>
          <Col xs={8}>
            <Form.Item name="currency" label={t('settings.currency')}>
              <Select options={['CNY', 'TWD', 'HKD', 'USD', 'EUR'].map((c) => ({ value: c, label: c }))} />
            </Form.Item>
          </Col>
        </Row>
        <Row gutter={12}>
          <Col xs={12}>
            <Form.Item name="stage" label={t('opp.stage')}>
              <Select options={OPP_STAGES.filter((s) => s !== 'won' && s !== 'lost').map((s) => ({ value: s, label: opt('oppstage', s) }))} />
            </Form.Item>
          </Col>
          <Col xs={12}>
            <Form.Item name="expected_close_date" label={t('opp.expected_close')}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
      </Form>
    </Modal>
  );
}


function OpportunityDrawer({ id, onClose, onSaved }: { id: string | null; onClose: () => void; onSaved: (o: Opportunity) => void }) {
  const { t, opt, money, date, dateTime } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const users = useUsers();
  const [o, setO] = useState<any>(null);
  const [form] = Form.useForm();
  const [errors, setErrors] = useState<string[]>([]);
  useEffect(() => {
    setO(null);
    setErrors([]);
    if (!id) return;
    api.get<any>(`/api/v1/opportunities/${id}`).then((x) => {
      setO(x);
      form.setFieldsValue({ name: x.name, amount: x.amount?.amount, currency: x.amount?.currency || 'CNY', probability: x.probability, expected_close_date: x.expected_close_date ? dayjs(x.expected_close_date) : null, description: x.description });
    }, (e) => message.error(errorText(e)));
  }, [id, form, message]);
  const save = async () => {
    if (!o) return;
    const v = form.getFieldsValue();
    const body: any = { version: o.version, name: v.name, probability: v.probability, description: v.description ?? '' };
    if (v.amount !== undefined && v.amount !== null && v.amount !== '') body.amount = { amount: String(v.amount), currency: v.currency || 'CNY' };
    body.expected_close_date = v.expected_close_date ? dayjs(v.expected_close_date).format('YYYY-MM-DD') : null;
    try {
      const u = await api.patch<any>(`/api/v1/opportunities/${o.id}`, body);
      setO({ ...u, stage_history: o.stage_history });
      onSaved(u);
      message.success(t('common.saved'));
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    }
  };
  const editable = can('opportunity', 'update') && o && o.stage !== 'won' && o.stage !== 'lost';
  return (
    <Drawer open={!!id} onClose={onClose} title={o?.name} width={Math.min(480, typeof window !== 'undefined' ? window.innerWidth : 480)} extra={editable && <Button type="primary" onClick={save}>{t('common.save')}</Button>}>
      {o && (
        <>
          <Descriptions column={1} size="small" style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('opp.customer')}><Link to={`/customers/${o.customer_id}`}>{o.customer_name || t('common.open')}</Link></Descriptions.Item>
            <Descriptions.Item label={t('opp.stage')}><Tag>{opt('oppstage', o.stage)}</Tag></Descriptions.Item>
            <Descriptions.Item label={t('opp.amount')}>{money(o.amount)}</Descriptions.Item>
            <Descriptions.Item label={t('customer.owner')}>{nameOf(users, o.owner_id)}</Descriptions.Item>
            {o.lost_reason && <Descriptions.Item label={t('opp.lost_reason')}>{o.lost_reason}</Descriptions.Item>}
            {o.closed_at && <Descriptions.Item label={t('opp.closed_at')}>{date(o.closed_at)}</Descriptions.Item>}
          </Descriptions>
          <ErrorBanner messages={errors} />
          <Form form={form} layout="vertical" disabled={!editable} onFinish={save}>
            <Form.Item name="name" label={t('opp.name')} rules={[{ required: true, message: t('form.required') }]}><Input /></Form.Item>
            <Row gutter={12}>
              <Col xs={16}><Form.Item name="amount" label={t('opp.amount')}><InputNumber min={0} stringMode style={{ width: '100%' }} /></Form.Item></Col>
              <Col xs={8}><Form.Item name="currency" label={t('settings.currency')}><Select options={['CNY', 'TWD', 'HKD', 'USD', 'EUR'].map((c) => ({ value: c, label: c }))} /></Form.Item></Col>
              <Col xs={12}><Form.Item name="probability" label={t('opp.probability')}><InputNumber min={0} max={100} addonAfter="%" style={{ width: '100%' }} /></Form.Item></Col>
              <Col xs={12}><Form.Item name="expected_close_date" label={t('opp.expected_close')}><DatePicker style={{ width: '100%' }} /></Form.Item></Col>
            </Row>
            <Form.Item name="description" label={t('common.notes')}><Input.TextArea autoSize={{ minRows: 2 }} /></Form.Item>
          </Form>
          <Typography.Title level={5}>{t('opp.history')}</Typography.Title>
          <Timeline
            items={(o.stage_history || []).map((h: any, i: number) => ({
              key: i,
              children: (
                <>
                  <div>{h.from_stage ? `${opt('oppstage', h.from_stage)} → ${opt('oppstage', h.to_stage)}` : opt('oppstage', h.to_stage)}</div>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>{dateTime(h.at)} {nameOf(users, h.actor_id)}</Typography.Text>
                </>
              ),
            }))}
          />
        </>
      )}
    </Drawer>
  );
}

export default function Pipeline() {
  const { t, opt, money, date } = useI18n();
  const { can, me } = useAuth();
  const { message } = App.useApp();
  const users = useUsers();
  const [opps, setOpps] = useState<Opportunity[] | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [owner, setOwner] = useState<string | undefined>();
  const [showClosed, setShowClosed] = useState(true);
  const [dragging, setDragging] = useState<string | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const [newOpen, setNewOpen] = useState(false);
  const [promptReason, reasonModal] = useReasonPrompt();
  const [params] = useSearchParams();
  const highlight = params.get('opportunity');
  const [open, setOpen] = useState<string | null>(highlight);

  const load = () =>
    listAll<Opportunity>('/api/v1/opportunities', { owner_id: owner }).then(
      (x) => {
        setOpps(x);
        setErr(null);
      },
      (e) => setErr(e),
    );
  useEffect(() => {
    load();
  }, [owner]); // eslint-disable-line react-hooks/exhaustive-deps

  const stages = showClosed ? OPP_STAGES : OPP_STAGES.filter((s) => s !== 'won' && s !== 'lost');
  const byStage = useMemo(() => {
    const m: Record<string, Opportunity[]> = {};
    for (const s of OPP_STAGES) m[s] = [];
    for (const o of opps || []) (m[o.stage] ||= []).push(o);
    return m;
  }, [opps]);

  const move = async (o: Opportunity, to: string) => {
    if (o.stage === to) return;
    const doMove = async (extra: Record<string, unknown> = {}) => {
      // Optimistic: show the card in its new column at once, put it back on failure.
      setOpps((list) => (list || []).map((x) => (x.id === o.id ? { ...x, stage: to } : x)));
      try {
        const updated = await api.patch<Opportunity>(`/api/v1/opportunities/${o.id}`, { stage: to, version: o.version, ...extra });
        setOpps((list) => (list || []).map((x) => (x.id === o.id ? updated : x)));
        message.success(t('opp.moved', { name: o.name, stage: opt('oppstage', to) }));
      } catch (e) {
        setOpps((list) => (list || []).map((x) => (x.id === o.id ? o : x)));
        message.error(errorText(e));
      }
    };
    if (to === 'lost') {
      const reason = await promptReason(t('opp.lost_reason'));
      if (reason !== null) await doMove({ lost_reason: reason });
    } else await doMove();
  };

  const canMove = can('opportunity', 'update');
  return (
    <>
      <PageHeader
        title={t('nav.pipeline')}
        extra={
          <>
            <Select allowClear placeholder={t('customer.owner')} aria-label={t('customer.owner')} style={{ width: 150 }} value={owner} onChange={setOwner} options={[...(me ? [{ value: me.user.id, label: t('opp.mine') }] : []), ...users.filter((u) => u.id !== me?.user.id).map((u) => ({ value: u.id, label: u.name }))]} />
            <Button onClick={() => setShowClosed(!showClosed)}>{showClosed ? t('opp.hide_closed') : t('opp.show_closed')}</Button>
            {can('opportunity', 'create') && (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => setNewOpen(true)} data-testid="new-opportunity">
                {t('opp.new')}
              </Button>
            )}
          </>
        }
      />
      {err ? <Alert type="error" showIcon message={errorText(err)} style={{ marginBottom: 12 }} /> : null}
      {opps && opps.length === 0 && <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('opp.empty')} />}
      <div className="board" role="list" aria-label={t('nav.pipeline')}>
        {stages.map((s) => {
          const items = byStage[s] || [];
          const total = items.reduce((a, o) => a + Number(o.amount?.amount || 0), 0);
          return (
            <div
              key={s}
              role="listitem"
              aria-label={opt('oppstage', s)}
              data-stage={s}
              className={'board-col' + (over === s ? ' drop' : '')}
              onDragOver={(e) => {
                if (!dragging || !canMove) return;
                e.preventDefault();
                setOver(s);
              }}
              onDragLeave={() => setOver((x) => (x === s ? null : x))}
              onDrop={(e) => {
                e.preventDefault();
                const id = e.dataTransfer.getData('text/plain') || dragging;
                setOver(null);
                setDragging(null);
                const o = (opps || []).find((x) => x.id === id);
                if (o) move(o, s);
              }}
            >
              <h3>
                <span>{opt('oppstage', s)}</span>
                <Typography.Text type="secondary">{items.length}</Typography.Text>
              </h3>
              {items.length > 0 && (
                <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block', margin: '0 4px 8px' }}>
                  {money({ amount: total.toFixed(2), currency: items[0].amount?.currency || 'CNY' })}
                </Typography.Text>
              )}
              {items.map((o) => (
                <Card
                  key={o.id}
                  size="small"
                  className="board-card"
                  draggable={canMove}
                  tabIndex={0}
                  data-testid={'opp-card-' + o.id}
                  data-name={o.name}
                  style={o.id === highlight ? { borderColor: '#1677ff' } : undefined}
                  onDragStart={(e) => {
                    e.dataTransfer.setData('text/plain', o.id);
                    e.dataTransfer.effectAllowed = 'move';
                    setDragging(o.id);
                  }}
                  onDragEnd={() => {
                    setDragging(null);
                    setOver(null);
                  }}
                  onKeyDown={(e) => {
                    if (!canMove || !e.altKey) return;
                    const i = OPP_STAGES.indexOf(o.stage as any);
                    if (e.key === 'ArrowRight' && i < OPP_STAGES.length - 1) move(o, OPP_STAGES[i + 1]);
                    if (e.key === 'ArrowLeft' && i > 0) move(o, OPP_STAGES[i - 1]);
                  }}
                >
                  <Space direction="vertical" size={2} style={{ width: '100%' }}>
                    <Space style={{ justifyContent: 'space-between', width: '100%' }}>
                      <Typography.Link strong ellipsis style={{ maxWidth: 150 }} onClick={() => setOpen(o.id)}>{o.name}</Typography.Link>
                      {canMove && (
                        <Dropdown
                          trigger={['click']}
                          menu={{ items: OPP_STAGES.filter((x) => x !== o.stage).map((x) => ({ key: x, label: opt('oppstage', x) })), onClick: ({ key }) => move(o, key) }}
                        >
                          <Button size="small" type="text" icon={<SwapOutlined />} aria-label={t('opp.move_to')} title={t('opp.move_to')} />
                        </Dropdown>
                      )}
                    </Space>
                    {o.amount && <span>{money(o.amount)}</span>}
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      <Link to={`/customers/${o.customer_id}`}>{o.customer_name || t('opp.customer')}</Link>
                      {o.expected_close_date ? ` · ${date(o.expected_close_date as string)}` : ''}
                      {o.owner_id ? ` · ${nameOf(users, o.owner_id as string)}` : ''}
                    </Typography.Text>
                  </Space>
                </Card>
              ))}
              {items.length === 0 && <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('opp.drop_here')} />}
            </div>
          );
        })}
      </div>
      <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>{t('opp.keyboard_hint')}</Typography.Paragraph>
      {reasonModal}
      <OpportunityDrawer id={open} onClose={() => setOpen(null)} onSaved={(u) => setOpps((list) => (list || []).map((x) => (x.id === u.id ? u : x)))} />
      <NewOpportunity open={newOpen} onClose={() => setNewOpen(false)} onSaved={load} />
    </>
  );
}
