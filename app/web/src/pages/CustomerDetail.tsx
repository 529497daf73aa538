import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { App, Alert, Button, Card, Col, Descriptions, Dropdown, Empty, Form, Input, List, Modal, Row, Skeleton, Space, Switch, Table, Tag, Timeline, Typography, DatePicker } from 'antd';
import { EditOutlined, MessageOutlined, MoreOutlined, ReloadOutlined, PlusOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { api, type Page } from '../api';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import { useFeatures } from '../features';
import type { Contact, Customer, FollowUp, Opportunity, TimelineItem } from '../types';
import { PageHeader, applyFormErrors, ErrorBanner, errorText, useUsers, useDepartments, nameOf, useReasonPrompt } from '../ui';
import { stageColor } from './CustomerList';
import { FollowUpModal } from './FollowUpModal';
import { DataCardSection, type Section } from './DataCard';
import { localizeSummary } from '../timeline';
import { ProspectCard } from './CvProspect';

function KV({ data }: { data: Record<string, unknown> | null | undefined }) {
  const { t } = useI18n();
  const entries = Object.entries(data || {}).filter(([, v]) => v !== null && v !== '' && v !== undefined);
  if (!entries.length) return <Typography.Text type="secondary">{t('common.none')}</Typography.Text>;
  return (
    <Descriptions size="small" column={{ xs: 1, sm: 2 }}>
      {entries.map(([k, v]) => (
        <Descriptions.Item key={k} label={k}>
          {typeof v === 'object' ? JSON.stringify(v) : String(v)}
        </Descriptions.Item>
      ))}
    </Descriptions>
  );
}

function ContactModal({ customerId, contact, open, onClose, onSaved }: { customerId: string; contact: Contact | null; open: boolean; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setErrors([]);
    if (contact) form.setFieldsValue({ ...contact, birthday: contact.birthday ? dayjs(contact.birthday) : null });
  }, [open, contact, form]);
  const submit = async () => {
    let v: any;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    try {
      const body = { ...v, birthday: v.birthday ? dayjs(v.birthday).format('YYYY-MM-DD') : null, is_primary: !!v.is_primary };
      if (contact) await api.patch(`/api/v1/contacts/${contact.id}`, { ...body, version: contact.version });
      else await api.post(`/api/v1/customers/${customerId}/contacts`, body);
      onSaved();
      onClose();
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} title={contact ? t('contact.edit') : t('contact.add')} onOk={submit} onCancel={onClose} confirmLoading={busy} okText={t('common.save')}>
      <ErrorBanner messages={errors} />
      <Form form={form} layout="vertical">
        <Form.Item name="name" label={t('contact.name')} rules={[{ required: true, message: t('form.required') }]}>
          <Input autoFocus />
        </Form.Item>
        <Row gutter={12}>
          <Col xs={24} sm={12}>
            <Form.Item name="title" label={t('contact.title')}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="decision_role" label={t('contact.decision_role')}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="phone" label={t('customer.phone')}>
              <Input inputMode="tel" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="email" label={t('customer.email')}>
              <Input inputMode="email" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="wechat" label={t('contact.wechat')}>
              <Input />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="birthday" label={t('customer.birthday')}>
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="is_primary" label={t('contact.primary')} valuePropName="checked">
          <Switch />
        </Form.Item>
        <Form.Item name="notes" label={t('common.notes')}>
          <Input.TextArea autoSize={{ minRows: 2 }} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

export default function CustomerDetail() {
  const { id = '' } = useParams();
  const { t, opt, dateTime, date, money, lang } = useI18n();
  const { can, me } = useAuth();
  const f = useFeatures();
  const { message, modal } = App.useApp();
  const nav = useNavigate();
  const users = useUsers();
  const depts = useDepartments();
  const [c, setC] = useState<Customer | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [contacts, setContacts] = useState<Contact[]>([]);
  const [timeline, setTimeline] = useState<TimelineItem[]>([]);
  const [tlCursor, setTlCursor] = useState<string | null>(null);
  const [followUps, setFollowUps] = useState<FollowUp[]>([]);
  const [opps, setOpps] = useState<Opportunity[]>([]);
  const [dups, setDups] = useState<{ id: string; name: string; matched: string[] | null }[]>([]);
  const [contactModal, setContactModal] = useState<{ open: boolean; contact: Contact | null }>({ open: false, contact: null });
  const [fuOpen, setFuOpen] = useState(false);
  const [promptReason, reasonModal] = useReasonPrompt();
  const hasFollowUps = f.has('/api/v1/customers/{id}/follow-ups', 'POST');

  const load = useCallback(async () => {
    try {
      const cu = await api.get<Customer>(`/api/v1/customers/${id}`);
      setC(cu);
      setErr(null);
      return cu;
    } catch (e) {
      setErr(e);
      return null;
    }
  }, [id]);
  const loadContacts = useCallback(() => api.get<Page<Contact>>(`/api/v1/customers/${id}/contacts`, { limit: 200 }).then((p) => setContacts(p.items || [])).catch(() => {}), [id]);
  const loadTimeline = useCallback(
    (cursor?: string | null) =>
      api
        .get<Page<TimelineItem>>(`/api/v1/customers/${id}/timeline`, { limit: 20, cursor: cursor || undefined })
        .then((p) => {
          setTimeline((old) => (cursor ? [...old, ...(p.items || [])] : p.items || []));
          setTlCursor(p.next_cursor);
        })
        .catch(() => {}),
    [id],
  );
  const loadFollowUps = useCallback(() => {
    if (!hasFollowUps) return;
    api.get<Page<FollowUp>>(`/api/v1/customers/${id}/follow-ups`, { limit: 50 }).then((p) => setFollowUps(p.items || [])).catch(() => {});
  }, [id, hasFollowUps]);

  useEffect(() => {
    load().then((cu) => {
      if (!cu) return;
      loadContacts();
      loadTimeline();
      const q: Record<string, string> = {};
      if (cu.name) q.name = cu.name;
      if (cu.credit_code) q.credit_code = cu.credit_code;
      api.get<{ items: typeof dups }>('/api/v1/customers/duplicates', q).then((r) => setDups((r.items || []).filter((d) => d.id !== cu.id))).catch(() => {});
    });
  }, [load, loadContacts, loadTimeline]);
  useEffect(() => loadFollowUps(), [loadFollowUps]);
  // The server writes timeline lines in the request's language: fetch them again after a switch.
  const shownLang = useRef(lang);
  useEffect(() => {
    if (shownLang.current === lang) return;
    shownLang.current = lang;
    loadTimeline();
  }, [lang, loadTimeline]);
  useEffect(() => {
    if (f.has('/api/v1/opportunities') && can('opportunity', 'read'))
      api.get<Page<Opportunity>>('/api/v1/opportunities', { customer_id: id, limit: 50 }).then((p) => setOpps(p.items || [])).catch(() => {});
  }, [id, f, can]);

  const refreshAll = () => {
    load();
    loadTimeline();
    loadFollowUps();
  };

  const act = async (fn: () => Promise<unknown>, ok: string) => {
    try {
      const r = await fn();
      if (r && typeof r === 'object' && 'id' in (r as object)) setC(r as Customer);
      message.success(ok);
      loadTimeline();
    } catch (e) {
      message.error(errorText(e));
      load();
    }
  };

  const askReason = async (title: string, onOk: (reason: string) => Promise<void>, required = true) => {
    const reason = await promptReason(title, required);
    if (reason !== null) await onOk(reason);
  };

  if (err) return <Alert type="error" showIcon message={errorText(err)} action={<Button onClick={() => nav('/customers')}>{t('common.back')}</Button>} />;
  if (!c) return <Skeleton active />;

  const deleted = !!c.deleted_at;
  const moreItems = [
    c.in_pool
      ? { key: 'claim', label: t('pool.claim') }
      : { key: 'release', label: t('pool.release'), disabled: !can('customer', 'update') },
    { key: 'classify', label: t('customer.classify_now') },
    { key: 'churn', label: t('customer.churn'), disabled: c.stage === 'churned' || !can('customer', 'update') },
    { type: 'divider' as const },
    { key: 'delete', label: t('customer.delete'), danger: true, disabled: !can('customer', 'delete') },
  ];
  const onMore = ({ key }: { key: string }) => {
    if (key === 'claim') act(() => api.post(`/api/v1/customers/${c.id}/claim`, { version: c.version }), t('pool.claimed'));
    if (key === 'release') askReason(t('pool.release_confirm'), (r) => act(() => api.post(`/api/v1/customers/${c.id}/release`, { version: c.version, reason: r }), t('pool.released')));
    if (key === 'classify') act(() => api.post(`/api/v1/customers/${c.id}/classify`), t('customer.classified'));
    if (key === 'churn') askReason(t('customer.churn_confirm'), (r) => act(() => api.post(`/api/v1/customers/${c.id}/churn`, { reason: r }), t('common.saved')));
    if (key === 'delete')
      modal.confirm({
        title: t('customer.delete_confirm', { name: c.name }),
        okButtonProps: { danger: true },
        okText: t('common.delete'),
        cancelText: t('common.cancel'),
        onOk: async () => {
          try {
            await api.del(`/api/v1/customers/${c.id}`);
            message.success(t('customer.deleted'));
            nav('/customers');
          } catch (e) {
            message.error(errorText(e));
          }
        },
      });
  };

  const merge = (from: { id: string; name: string }) =>
    modal.confirm({
      title: t('customer.merge_confirm', { from: from.name, into: c.name }),
      content: t('customer.merge_explain'),
      okText: t('customer.merge'),
      cancelText: t('common.cancel'),
      onOk: () =>
        act(async () => {
          const r = await api.post<Customer>(`/api/v1/customers/${c.id}/merge`, { from_id: from.id });
          setDups((d) => d.filter((x) => x.id !== from.id));
          loadContacts();
          return r;
        }, t('customer.merged')),
    });

  const cls = c.classification || { rule: '', reasons: [], at: '' };
  // The module's own permissions decide when the session lists them; otherwise whoever may
  // change customers gets the edit button and the module answers for itself.
  const cvPerms = (me?.permissions || []).some((p) => p.object.startsWith('ext:commercial-vehicle:'));
  const cvProspectEditable = !deleted && (cvPerms ? can('ext:commercial-vehicle:prospect', 'update') : can('customer', 'update'));
  return (
    <>
      <PageHeader
        title={
          <Space wrap>
            <span data-testid="customer-title">{c.name}</span>
            <Tag color={stageColor(c.stage)}>{opt('stage', c.stage)}</Tag>
            {c.in_pool && <Tag color="orange">{t('customer.in_pool')}</Tag>}
            {deleted && <Tag color="red">{t('nav.recycle_bin')}</Tag>}
          </Space>
        }
        sub={
          <Space wrap size={4} style={{ marginTop: 4 }}>
            {(c.tags || []).map((x) => (
              <Tag key={x}>{x}</Tag>
            ))}
          </Space>
        }
        extra={
          deleted ? (
            <Button onClick={() => act(() => api.post(`/api/v1/customers/${c.id}/restore`), t('customer.restored'))}>{t('customer.restore')}</Button>
          ) : (
            <>
              {hasFollowUps && can('followup', 'create') && (
                <Button type="primary" icon={<MessageOutlined />} onClick={() => setFuOpen(true)} data-testid="log-followup">
                  {t('followup.log')}
                </Button>
              )}
              {can('complaint', 'create') && (
                <Button onClick={() => nav(`/complaints/new?customer_id=${c.id}`)} data-testid="file-complaint">
                  {t('cmp.file')}
                </Button>
              )}
              {can('customer', 'update') && (
                <Button icon={<EditOutlined />} onClick={() => nav(`/customers/${c.id}/edit`)}>
                  {t('common.edit')}
                </Button>
              )}
              <Dropdown menu={{ items: moreItems, onClick: onMore }}>
                <Button icon={<MoreOutlined />} aria-label={t('common.more')}>
                  {t('common.more')}
                </Button>
              </Dropdown>
            </>
          )
        }
      />
      {dups.length > 0 && !deleted && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          message={t('customer.possible_duplicates')}
          description={
            <List
              size="small"
              dataSource={dups}
              renderItem={(d) => (
                <List.Item
                  actions={[
                    <Link key="o" to={`/customers/${d.id}`}>{t('common.open')}</Link>,
                    can('customer', 'update') ? (
                      <Button key="m" size="small" onClick={() => merge(d)}>
                        {t('customer.merge_into_this')}
                      </Button>
                    ) : null,
                  ]}
                >
                  {d.name} <Typography.Text type="secondary">{(d.matched || []).map((m) => opt('dupfield', m)).join(' · ')}</Typography.Text>
                </List.Item>
              )}
            />
          }
        />
      )}
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={16}>
          <Card title={t('customer.card_basic')} size="small" style={{ marginBottom: 16 }}>
            <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }}>
              <Descriptions.Item label={t('customer.type')}>{opt('ctype', c.type)}</Descriptions.Item>
              <Descriptions.Item label={t('customer.short_name')}>{c.short_name}</Descriptions.Item>
              <Descriptions.Item label={t('customer.source')}>{opt('source', c.source)}</Descriptions.Item>
              <Descriptions.Item label={t('customer.phone')}>{c.phone}</Descriptions.Item>
              <Descriptions.Item label={t('customer.email')}>{c.email}</Descriptions.Item>
              <Descriptions.Item label={t('customer.region')}>{c.region}</Descriptions.Item>
              <Descriptions.Item label={t('customer.address')} span={3}>
                {[c.address?.province, c.address?.city, c.address?.district, c.address?.street].filter(Boolean).join(' ')}
              </Descriptions.Item>
              <Descriptions.Item label={t('customer.owner')}>{c.in_pool ? t('customer.in_pool') : nameOf(users, c.owner_id)}</Descriptions.Item>
              <Descriptions.Item label={t('customer.department')}>{nameOf(depts, c.department_id)}</Descriptions.Item>
              <Descriptions.Item label={t('common.created_at')}>{dateTime(c.created_at)}</Descriptions.Item>
              <Descriptions.Item label={t('customer.last_follow_up')}>{dateTime(c.last_follow_up_at) || '—'}</Descriptions.Item>
              <Descriptions.Item label={t('customer.next_follow_up')}>{dateTime(c.next_follow_up_at) || '—'}</Descriptions.Item>
              {c.type === 'individual' && <Descriptions.Item label={t('customer.birthday')}>{date(c.birthday)}</Descriptions.Item>}
              {c.stage === 'churned' && <Descriptions.Item label={t('customer.churn_reason')}>{c.churn_reason}</Descriptions.Item>}
            </Descriptions>
          </Card>
          {c.type !== 'individual' && (
            <Card title={t('customer.card_company')} size="small" style={{ marginBottom: 16 }}>
              <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }}>
                <Descriptions.Item label={t('customer.credit_code')}>{c.credit_code}</Descriptions.Item>
                <Descriptions.Item label={t('customer.legal_representative')}>{c.legal_representative}</Descriptions.Item>
                <Descriptions.Item label={t('customer.industry')}>{c.industry}</Descriptions.Item>
                <Descriptions.Item label={t('customer.employees')}>{c.scale?.employees ?? ''}</Descriptions.Item>
                <Descriptions.Item label={t('customer.annual_revenue')}>{c.scale?.annual_revenue ? money({ amount: c.scale.annual_revenue }) : ''}</Descriptions.Item>
                <Descriptions.Item label={t('customer.credit_rating')}>
                  {c.credit?.rating} {c.credit?.limit ? money({ amount: c.credit.limit }) : ''}
                </Descriptions.Item>
                <Descriptions.Item label={t('customer.business_scope')} span={3}>
                  {c.business_scope}
                </Descriptions.Item>
              </Descriptions>
            </Card>
          )}
          <Row gutter={16}>
            {(['basic', 'characteristics', 'business', 'transactions'] as Section[]).map((sec) => (
              <Col xs={24} lg={12} key={sec}>
                <DataCardSection customer={c} section={sec} editable={can('customer', 'update') && !deleted} onSaved={(u) => { setC(u); loadTimeline(); }} />
              </Col>
            ))}
          </Row>
          {c.custom_fields && Object.keys(c.custom_fields).length > 0 && (
            <Card title={t('customer.section_custom')} size="small" style={{ marginBottom: 16 }}>
              <KV data={c.custom_fields} />
            </Card>
          )}
          <Card
            title={t('contact.title_plural')}
            size="small"
            style={{ marginBottom: 16 }}
            extra={
              can('contact', 'create') && !deleted ? (
                <Button size="small" icon={<PlusOutlined />} onClick={() => setContactModal({ open: true, contact: null })}>
                  {t('contact.add')}
                </Button>
              ) : null
            }
          >
            <Table<Contact>
              size="small"
              rowKey="id"
              pagination={false}
              dataSource={contacts}
              scroll={{ x: 'max-content' }}
              locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('contact.empty')} /> }}
              columns={[
                { title: t('contact.name'), dataIndex: 'name', render: (v: string, r) => (<>{v} {r.is_primary && <Tag color="blue">{t('contact.primary')}</Tag>}</>) },
                { title: t('contact.title'), dataIndex: 'title', responsive: ['sm'] },
                { title: t('customer.phone'), dataIndex: 'phone' },
                { title: t('customer.email'), dataIndex: 'email', responsive: ['md'] },
                { title: t('contact.decision_role'), dataIndex: 'decision_role', responsive: ['lg'] },
                {
                  title: '', key: 'a', width: 130,
                  render: (_: unknown, r) => (
                    <Space size={0}>
                      {can('contact', 'update') && <Button type="link" size="small" onClick={() => setContactModal({ open: true, contact: r })}>{t('common.edit')}</Button>}
                      {can('contact', 'delete') && (
                        <Button type="link" size="small" danger onClick={() => modal.confirm({ title: t('contact.delete_confirm', { name: r.name }), okText: t('common.delete'), cancelText: t('common.cancel'), okButtonProps: { danger: true }, onOk: () => api.del(`/api/v1/contacts/${r.id}`).then(loadContacts, (e) => message.error(errorText(e))) })}>
                          {t('common.delete')}
                        </Button>
                      )}
                    </Space>
                  ),
                },
              ]}
            />
          </Card>
          {hasFollowUps && (
            <Card title={t('followup.title_plural')} size="small" style={{ marginBottom: 16 }}>
              <List
                dataSource={followUps}
                locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('followup.empty')} /> }}
                renderItem={(fu) => (
                  <List.Item>
                    <List.Item.Meta
                      title={
                        <Space wrap>
                          <Tag>{opt('method', fu.method)}</Tag>
                          <span>{dateTime(fu.occurred_at)}</span>
                          {fu.intent_class && <Tag color="blue">{opt('intent', fu.intent_class)}</Tag>}
                        </Space>
                      }
                      description={
                        <>
                          <div style={{ whiteSpace: 'pre-wrap', color: 'rgba(0,0,0,.85)' }}>{fu.content}</div>
                          {fu.outcome && <div>{t('followup.outcome')}: {fu.outcome}</div>}
                          {fu.next_follow_up_at && <div>{t('followup.next_at')}: {dateTime(fu.next_follow_up_at)}</div>}
                        </>
                      }
                    />
                  </List.Item>
                )}
              />
            </Card>
          )}
          {opps.length > 0 && (
            <Card title={t('opp.title_plural')} size="small" style={{ marginBottom: 16 }}>
              <List
                dataSource={opps}
                renderItem={(o) => (
                  <List.Item>
                    <Space wrap>
                      <Link to={`/pipeline?opportunity=${o.id}`}>{o.name}</Link>
                      <Tag>{opt('oppstage', o.stage)}</Tag>
                      {money(o.amount)}
                    </Space>
                  </List.Item>
                )}
              />
            </Card>
          )}
        </Col>
        <Col xs={24} xl={8}>
          {f.pluginEnabled('commercial-vehicle') && !deleted && <ProspectCard customerId={c.id} editable={cvProspectEditable} />}
          <Card
            title={t('customer.classification')}
            size="small"
            style={{ marginBottom: 16 }}
            extra={
              can('customer', 'update') && !deleted ? (
                <Button size="small" icon={<ReloadOutlined />} onClick={() => act(() => api.post(`/api/v1/customers/${c.id}/classify`), t('customer.classified'))}>
                  {t('customer.classify_now')}
                </Button>
              ) : null
            }
          >
            <Descriptions size="small" column={1}>
              <Descriptions.Item label={t('customer.tier')}>{opt('tier', c.tier)}</Descriptions.Item>
              <Descriptions.Item label={t('customer.intent_class')}>{c.intent_class ? opt('intent', c.intent_class) : '—'}</Descriptions.Item>
              <Descriptions.Item label={t('customer.value_class')}>{c.value_class || '—'}</Descriptions.Item>
              {cls.rule && <Descriptions.Item label={t('customer.rule')}>{cls.rule}</Descriptions.Item>}
              {cls.at && <Descriptions.Item label={t('customer.classified_at')}>{dateTime(cls.at)}</Descriptions.Item>}
            </Descriptions>
            {(cls.reasons || []).length > 0 ? (
              <>
                <Typography.Text strong>{t('customer.reasons')}</Typography.Text>
                <ul style={{ paddingLeft: 18, margin: '4px 0 0' }} data-testid="classification-reasons">
                  {(cls.reasons || []).map((r, i) => (
                    <li key={i}>{r}</li>
                  ))}
                </ul>
              </>
            ) : (
              <Typography.Text type="secondary">{t('customer.no_reasons')}</Typography.Text>
            )}
          </Card>
          <Card title={t('customer.timeline')} size="small">
            {timeline.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('common.nothing_yet')} />
            ) : (
              <Timeline
                items={timeline.map((it) => ({
                  key: it.kind + it.id,
                  color: it.kind === 'follow_up' ? 'green' : it.action === 'delete' ? 'red' : 'blue',
                  children: (
                    <>
                      <div>{localizeSummary(lang, it) || `${opt('tlkind', it.kind)} · ${it.action}`}</div>
                      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                        {dateTime(it.at)} {nameOf(users, it.actor_id)}
                      </Typography.Text>
                    </>
                  ),
                }))}
              />
            )}
            {tlCursor && (
              <Button block onClick={() => loadTimeline(tlCursor)}>
                {t('common.load_more')}
              </Button>
            )}
          </Card>
        </Col>
      </Row>
      {reasonModal}
      <ContactModal customerId={c.id} open={contactModal.open} contact={contactModal.contact} onClose={() => setContactModal({ open: false, contact: null })} onSaved={() => { loadContacts(); loadTimeline(); }} />
      {hasFollowUps && <FollowUpModal customerId={c.id} contacts={contacts} open={fuOpen} onClose={() => setFuOpen(false)} onSaved={refreshAll} />}
    </>
  );
}
