import { useEffect, useMemo, useState } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { App, Alert, Button, Card, Checkbox, Col, Empty, Form, Input, InputNumber, Modal, Row, Select, Space, Table, Tag, Tree, Typography, Skeleton } from 'antd';
import { PlusOutlined, DeleteOutlined } from '@ant-design/icons';
import { api, type Page } from '../api';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import type { Settings } from '../types';
import { PageHeader, applyFormErrors, ErrorBanner, errorText, loadDepartments, loadUsers, useCursorList, Pager, nameOf, ROLES, DATA_SCOPES, type Department, type UserLite, useFetch, listAll, useDepartments } from '../ui';
import { PoolRuleFields, NamedPools, CustomFields, ClassificationFields, sectionsBody, foldListErrors } from './SettingsSections';
import { LANGS } from '../format';
import { LANG_NAMES } from '../i18n';

function useRoleOptions() {
  const { opt } = useI18n();
  return ROLES.map((r) => ({ value: r, label: opt('role', r) }));
}

// ---- users ----
function UserModal({ user, open, onClose, onSaved, depts, users }: { user: UserLite | null; open: boolean; onClose: () => void; onSaved: () => void; depts: Department[]; users: UserLite[] }) {
  const { t } = useI18n();
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<string[]>([]);
  const roles = useRoleOptions();
  useEffect(() => {
    if (!open) return;
    form.resetFields();
    setErrors([]);
    if (user) form.setFieldsValue({ ...user, password: undefined });
    else form.setFieldsValue({ roles: ['salesperson'] });
  }, [open, user, form]);
  const submit = async () => {
    let v: any;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    try {
      if (user) {
        const patch: any = { version: user.version };
        for (const k of ['name', 'email', 'department_id', 'manager_id', 'roles', 'locale']) if (JSON.stringify(v[k] ?? null) !== JSON.stringify((user as any)[k] ?? null)) patch[k] = v[k] ?? null;
        if (v.password) patch.password = v.password;
        await api.patch(`/api/v1/users/${user.id}`, patch);
      } else {
        const body = { ...v };
        for (const k of Object.keys(body)) if (body[k] === undefined || body[k] === null || body[k] === '') delete body[k];
        await api.post('/api/v1/users', body);
      }
      onSaved();
      onClose();
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open={open} title={user ? t('users.edit') : t('users.add')} onOk={submit} onCancel={onClose} confirmLoading={busy} okText={t('common.save')} width={560}>
      <ErrorBanner messages={errors} />
      <Form form={form} layout="vertical">
        <Row gutter={12}>
          <Col xs={24} sm={12}>
            <Form.Item name="name" label={t('users.name')} rules={[{ required: true, message: t('form.required') }]}>
              <Input autoFocus />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, message: t('form.required') }]}>
              <Input inputMode="email" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="password" label={user ? t('users.new_password') : t('auth.password')} rules={user ? [] : [{ required: true, message: t('form.required') }]}>
              <Input.Password autoComplete="new-password" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="locale" label={t('common.language')}>
              <Select allowClear options={LANGS.map((l) => ({ value: l, label: LANG_NAMES[l] }))} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="department_id" label={t('customer.department')} rules={[{ required: !user, message: t('form.required') }]}>
              <Select showSearch optionFilterProp="label" options={depts.map((d) => ({ value: d.id, label: d.name }))} />
            </Form.Item>
          </Col>
          <Col xs={24} sm={12}>
            <Form.Item name="manager_id" label={t('users.manager')}>
              <Select allowClear showSearch optionFilterProp="label" options={users.filter((u) => u.id !== user?.id).map((u) => ({ value: u.id, label: u.name }))} />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item name="roles" label={t('nav.roles')} rules={[{ required: true, message: t('form.required') }]}>
          <Select mode="multiple" options={roles} />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function Users() {
  const { t, opt } = useI18n();
  const { can } = useAuth();
  const { message, modal } = App.useApp();
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<string | undefined>();
  const list = useCursorList<UserLite>('/api/v1/users', { q, status }, 50);
  const [depts, setDepts] = useState<Department[]>([]);
  const [all, setAll] = useState<UserLite[]>([]);
  const [edit, setEdit] = useState<{ open: boolean; user: UserLite | null }>({ open: false, user: null });
  useEffect(() => {
    loadDepartments().then(setDepts);
    loadUsers().then(setAll);
  }, []);
  const saved = () => {
    list.reload();
    loadUsers(true).then(setAll);
    message.success(t('common.saved'));
  };
  return (
    <>
      <PageHeader title={t('nav.users')} extra={can('user', 'create') && <Button type="primary" icon={<PlusOutlined />} onClick={() => setEdit({ open: true, user: null })}>{t('users.add')}</Button>} />
      <div className="toolbar">
        <Input.Search className="grow" allowClear placeholder={t('users.search')} aria-label={t('users.search')} onSearch={(v) => setQ(v.trim())} />
        <Select allowClear placeholder={t('users.status')} aria-label={t('users.status')} style={{ width: 140 }} value={status} onChange={setStatus} options={['active', 'inactive'].map((s) => ({ value: s, label: opt('ustatus', s) }))} />
      </div>
      <Table<UserLite>
        rowKey="id"
        size="middle"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Empty description={t('common.no_results')} /> }}
        columns={[
          { title: t('users.name'), dataIndex: 'name' },
          { title: t('auth.email'), dataIndex: 'email', responsive: ['sm'] },
          { title: t('nav.roles'), dataIndex: 'roles', render: (r: string[]) => r.map((x) => <Tag key={x}>{opt('role', x)}</Tag>) },
          { title: t('customer.department'), dataIndex: 'department_id', responsive: ['md'], render: (v: string) => nameOf(depts, v) },
          { title: t('users.manager'), dataIndex: 'manager_id', responsive: ['lg'], render: (v: string) => nameOf(all, v) },
          { title: t('users.status'), dataIndex: 'status', render: (s: string) => <Tag color={s === 'active' ? 'green' : 'default'}>{opt('ustatus', s)}</Tag> },
          {
            title: '', key: 'a', width: 150,
            render: (_: unknown, u) => (
              <Space size={0}>
                {can('user', 'update') && <Button type="link" size="small" onClick={() => setEdit({ open: true, user: u })}>{t('common.edit')}</Button>}
                {can('user', 'delete') && u.status === 'active' && (
                  <Button type="link" size="small" danger onClick={() => modal.confirm({ title: t('users.deactivate_confirm', { name: u.name }), okButtonProps: { danger: true }, okText: t('users.deactivate'), cancelText: t('common.cancel'), onOk: () => api.del(`/api/v1/users/${u.id}`).then(saved, (e) => message.error(errorText(e))) })}>
                    {t('users.deactivate')}
                  </Button>
                )}
              </Space>
            ),
          },
        ]}
      />
      <Pager list={list} />
      <UserModal open={edit.open} user={edit.user} depts={depts} users={all} onClose={() => setEdit({ open: false, user: null })} onSaved={saved} />
    </>
  );
}

// ---- departments ----
export function buildTree(depts: Department[]) {
  type Node = { key: string; title: string; children: Node[] };
  const nodes = new Map<string, Node>(depts.map((d) => [d.id, { key: d.id, title: d.name, children: [] }]));
  const roots: Node[] = [];
  for (const d of depts) {
    const n = nodes.get(d.id)!;
    const p = d.parent_id ? nodes.get(d.parent_id) : undefined;
    if (p && p !== n) p.children.push(n);
    else roots.push(n);
  }
  return roots;
}

function Departments() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message, modal } = App.useApp();
  const [depts, setDepts] = useState<Department[] | null>(null);
  const [users, setUsers] = useState<UserLite[]>([]);
  const [sel, setSel] = useState<Department | null>(null);
  const [form] = Form.useForm();
  const [errors, setErrors] = useState<string[]>([]);
  const reload = async () => {
    const d = await loadDepartments(true);
    setDepts(d);
    return d;
  };
  useEffect(() => {
    reload();
    loadUsers().then(setUsers);
  }, []);
  useEffect(() => {
    form.resetFields();
    setErrors([]);
    if (sel) form.setFieldsValue(sel);
  }, [sel, form]);
  const tree = useMemo(() => buildTree(depts || []), [depts]);
  const save = async () => {
    let v: any;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    try {
      if (sel && sel.id) {
        const patch: any = { version: sel.version };
        for (const k of ['name', 'parent_id', 'manager_id']) if ((v[k] ?? null) !== ((sel as any)[k] ?? null)) patch[k] = v[k] ?? null;
        const d = await api.patch<Department>(`/api/v1/departments/${sel.id}`, patch);
        setSel(d);
      } else {
        const body: any = { name: v.name };
        if (v.parent_id) body.parent_id = v.parent_id;
        if (v.manager_id) body.manager_id = v.manager_id;
        const d = await api.post<Department>('/api/v1/departments', body);
        setSel(d);
      }
      message.success(t('common.saved'));
      reload();
    } catch (e) {
      setErrors(applyFormErrors(form, e));
    }
  };
  if (!depts) return <Skeleton active />;
  return (
    <>
      <PageHeader title={t('nav.departments')} extra={can('department', 'create') && <Button icon={<PlusOutlined />} type="primary" onClick={() => setSel({ id: '', name: '', parent_id: sel?.id || null, manager_id: null, version: 0 })}>{t('dept.add')}</Button>} />
      <Row gutter={16}>
        <Col xs={24} md={10}>
          <Card size="small" title={t('dept.tree')}>
            {tree.length ? (
              <Tree treeData={tree as any} defaultExpandAll selectedKeys={sel?.id ? [sel.id] : []} onSelect={(k) => setSel(depts.find((d) => d.id === k[0]) || null)} blockNode />
            ) : (
              <Empty />
            )}
          </Card>
        </Col>
        <Col xs={24} md={14}>
          <Card size="small" title={sel ? (sel.id ? sel.name : t('dept.add')) : t('dept.pick')}>
            {sel ? (
              <>
                <ErrorBanner messages={errors} />
                <Form form={form} layout="vertical" onFinish={save}>
                  <Form.Item name="name" label={t('dept.name')} rules={[{ required: true, message: t('form.required') }]}>
                    <Input autoFocus />
                  </Form.Item>
                  <Form.Item name="parent_id" label={t('dept.parent')}>
                    <Select allowClear options={depts.filter((d) => d.id !== sel.id).map((d) => ({ value: d.id, label: d.name }))} />
                  </Form.Item>
                  <Form.Item name="manager_id" label={t('dept.manager')}>
                    <Select allowClear showSearch optionFilterProp="label" options={users.map((u) => ({ value: u.id, label: u.name }))} />
                  </Form.Item>
                  <Space>
                    <Button type="primary" htmlType="submit" disabled={!can('department', sel.id ? 'update' : 'create')}>{t('common.save')}</Button>
                    {sel.id && can('department', 'delete') && (
                      <Button danger icon={<DeleteOutlined />} onClick={() => modal.confirm({ title: t('dept.delete_confirm', { name: sel.name }), okButtonProps: { danger: true }, okText: t('common.delete'), cancelText: t('common.cancel'), onOk: () => api.del(`/api/v1/departments/${sel.id}`).then(() => { setSel(null); reload(); }, (e) => message.error(errorText(e))) })}>
                        {t('common.delete')}
                      </Button>
                    )}
                  </Space>
                </Form>
              </>
            ) : (
              <Empty description={t('dept.pick')} />
            )}
          </Card>
        </Col>
      </Row>
    </>
  );
}

// ---- roles ----
interface Role {
  role: string;
  name: string;
  data_scope: string;
  builtin: boolean;
  permissions: { object: string; action: string }[];
  version: number;
}
const ACTIONS = ['read', 'create', 'update', 'delete', 'export', 'assign', 'approve'];

function Roles() {
  const { t, opt } = useI18n();
  const { me, isOwner } = useAuth();
  const { message } = App.useApp();
  const roles = useFetch(() => api.get<Page<Role>>('/api/v1/roles').then((p) => p.items), []);
  const [sel, setSel] = useState<string>('salesperson');
  const [draft, setDraft] = useState<Role | null>(null);
  const [busy, setBusy] = useState(false);
  const objects = useMemo(() => {
    const s = new Set<string>();
    for (const p of me?.permissions || []) if (p.object !== '*') s.add(p.object);
    for (const r of roles.data || []) for (const p of r.permissions) if (p.object !== '*') s.add(p.object);
    return [...s].sort();
  }, [me, roles.data]);
  useEffect(() => {
    const r = roles.data?.find((x) => x.role === sel);
    setDraft(r ? { ...r, permissions: [...r.permissions] } : null);
  }, [sel, roles.data]);
  const has = (o: string, a: string) => !!draft?.permissions.some((p) => (p.object === o || p.object === '*') && (p.action === a || p.action === '*'));
  const toggle = (o: string, a: string, on: boolean) => {
    if (!draft) return;
    // Expand wildcards of this object into single actions before changing one.
    let perms = draft.permissions.flatMap((p) => (p.object === o && p.action === '*' ? ACTIONS.map((x) => ({ object: o, action: x })) : [p]));
    perms = perms.filter((p) => !(p.object === o && p.action === a));
    if (on) perms.push({ object: o, action: a });
    setDraft({ ...draft, permissions: perms });
  };
  const save = async () => {
    if (!draft) return;
    setBusy(true);
    try {
      await api.put(`/api/v1/roles/${draft.role}`, { name: draft.name, data_scope: draft.data_scope, permissions: draft.permissions });
      message.success(t('common.saved'));
      roles.reload();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  const wildcard = draft?.permissions.some((p) => p.object === '*');
  return (
    <>
      <PageHeader title={t('nav.roles')} />
      <Row gutter={16}>
        <Col xs={24} md={6}>
          <Card size="small" bodyStyle={{ padding: 0 }}>
            <Table<Role>
              size="small"
              rowKey="role"
              showHeader={false}
              pagination={false}
              loading={roles.loading}
              dataSource={roles.data || []}
              rowClassName={(r) => (r.role === sel ? 'ant-table-row-selected' : '')}
              onRow={(r) => ({ onClick: () => setSel(r.role), onKeyDown: (e) => e.key === 'Enter' && setSel(r.role), tabIndex: 0 })}
              columns={[{ dataIndex: 'role', render: (r: string, x) => <span style={{ cursor: 'pointer' }}>{opt('role', r) || x.name}</span> }]}
            />
          </Card>
        </Col>
        <Col xs={24} md={18}>
          {draft && (
            <Card size="small" title={opt('role', draft.role) || draft.name} extra={isOwner && !wildcard && <Button type="primary" loading={busy} onClick={save}>{t('common.save')}</Button>}>
              <Space style={{ marginBottom: 12 }} wrap>
                <span>{t('roles.data_scope')}</span>
                <Select style={{ width: 220 }} value={draft.data_scope} disabled={!isOwner || wildcard} onChange={(v) => setDraft({ ...draft, data_scope: v })} options={DATA_SCOPES.map((s) => ({ value: s, label: opt('scope', s) }))} aria-label={t('roles.data_scope')} />
              </Space>
              {wildcard ? (
                <Alert type="info" showIcon message={t('roles.all_permissions')} />
              ) : (
                <Table
                  size="small"
                  rowKey="o"
                  pagination={false}
                  scroll={{ x: 'max-content' }}
                  dataSource={objects.map((o) => ({ o }))}
                  columns={[
                    { title: t('roles.object'), dataIndex: 'o', fixed: 'left', render: (o: string) => opt('object', o) },
                    ...ACTIONS.map((a) => ({
                      title: opt('action', a), key: a, align: 'center' as const,
                      render: (_: unknown, r: { o: string }) => <Checkbox aria-label={`${opt('object', r.o)} ${opt('action', a)}`} checked={has(r.o, a)} disabled={!isOwner} onChange={(e) => toggle(r.o, a, e.target.checked)} />,
                    })),
                  ]}
                />
              )}
            </Card>
          )}
        </Col>
      </Row>
    </>
  );
}

// ---- settings ----
function SettingsPage() {
  const { t, opt } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const [s, setS] = useState<Settings | null>(null);
  const [err, setErr] = useState<unknown>(null);
  const [errors, setErrors] = useState<string[]>([]);
  const [form] = Form.useForm();
  const [busy, setBusy] = useState(false);
  const editable = can('settings', 'update');
  const roleOpts = useRoleOptions();
  const depts = useDepartments();
  const load = () =>
    api.get<Settings>('/api/v1/settings').then((x) => {
      setS(x);
      form.setFieldsValue(x);
    }, setErr);
  useEffect(() => {
    load();
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  const save = async () => {
    if (!s) return;
    let v: any;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    setBusy(true);
    setErrors([]);
    try {
      const body: any = { version: s.version };
      for (const k of ['locale', 'time_zone', 'currency', 'duplicate_policy', 'complaint_sla_days', 'approval_tiers', 'cadences', 'pool']) body[k] = v[k];
      Object.assign(body, sectionsBody(v));
      body.approval_tiers = (v.approval_tiers || []).map((x: any) => ({ role: x.role, max_amount: x.max_amount === '' || x.max_amount === undefined || x.max_amount === null ? null : String(x.max_amount) }));
      const out = await api.patch<Settings>('/api/v1/settings', body);
      setS(out);
      form.setFieldsValue(out);
      message.success(t('common.saved'));
    } catch (e) {
      setErrors(applyFormErrors(form, foldListErrors(e)));
    } finally {
      setBusy(false);
    }
  };
  if (err) return <Alert type="error" showIcon message={errorText(err)} />;
  if (!s) return <Skeleton active />;
  const zones = ['Asia/Shanghai', 'Asia/Taipei', 'Asia/Hong_Kong', 'Asia/Singapore', 'Asia/Tokyo', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'UTC'];
  return (
    <>
      <PageHeader title={t('nav.settings')} extra={editable && <Button type="primary" loading={busy} onClick={save} data-testid="settings-save">{t('common.save')}</Button>} />
      <ErrorBanner messages={errors} />
      <Form form={form} layout="vertical" disabled={!editable} onFinish={save}>
        <Card size="small" title={t('settings.locale_section')} style={{ marginBottom: 16 }}>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item name="locale" label={t('settings.locale')}>
                <Select options={LANGS.map((l) => ({ value: l, label: LANG_NAMES[l] }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="time_zone" label={t('settings.time_zone')}>
                <Select showSearch options={[...new Set([s.time_zone, ...zones])].map((z) => ({ value: z, label: z }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="currency" label={t('settings.currency')}>
                <Select options={['CNY', 'TWD', 'HKD', 'USD', 'EUR', 'JPY'].map((c) => ({ value: c, label: c }))} />
              </Form.Item>
            </Col>
          </Row>
        </Card>
        <Card size="small" title={t('settings.approval_tiers')} style={{ marginBottom: 16 }}>
          <Typography.Paragraph type="secondary">{t('settings.approval_help')}</Typography.Paragraph>
          <Form.List name="approval_tiers">
            {(fields, { add, remove }) => (
              <>
                {fields.map((f) => (
                  <Space key={f.key} align="baseline" wrap style={{ display: 'flex', marginBottom: 8 }}>
                    <Form.Item name={[f.name, 'max_amount']} label={t('settings.below_amount')} style={{ marginBottom: 0 }}>
                      <Input placeholder={t('settings.no_limit')} inputMode="decimal" style={{ width: 160 }} />
                    </Form.Item>
                    <Form.Item name={[f.name, 'role']} label={t('settings.approver')} rules={[{ required: true, message: t('form.required') }]} style={{ marginBottom: 0 }}>
                      <Select style={{ width: 180 }} options={roleOpts} />
                    </Form.Item>
                    <Button type="text" danger icon={<DeleteOutlined />} onClick={() => remove(f.name)} aria-label={t('common.delete')} />
                  </Space>
                ))}
                <Button icon={<PlusOutlined />} onClick={() => add({ role: 'general_manager', max_amount: null })}>{t('settings.add_tier')}</Button>
              </>
            )}
          </Form.List>
        </Card>
        <Card size="small" title={t('settings.cadences')} style={{ marginBottom: 16 }}>
          <Typography.Paragraph type="secondary">{t('settings.cadences_help')}</Typography.Paragraph>
          <Row gutter={16}>
            {['key', 'general', 'potential', 'intent_a', 'intent_b', 'intent_c'].map((k) => (
              <Col xs={12} md={4} key={k}>
                <Form.Item name={['cadences', k]} label={opt('cadence', k)}>
                  <InputNumber min={0} max={365} addonAfter={t('common.days')} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            ))}
          </Row>
        </Card>
        <Card size="small" title={t('settings.pool')} style={{ marginBottom: 16 }} data-testid="settings-pool">
          <PoolRuleFields base={['pool']} />
        </Card>
        <NamedPools depts={depts} />
        <ClassificationFields currency={s.currency} />
        <CustomFields />
        <Card size="small" title={t('settings.other')} style={{ marginBottom: 16 }}>
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item name="duplicate_policy" label={t('settings.duplicate_policy')}>
                <Select options={['warn', 'block'].map((x) => ({ value: x, label: opt('duppolicy', x) }))} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="complaint_sla_days" label={t('settings.complaint_sla_days')}>
                <InputNumber min={0} max={365} addonAfter={t('common.days')} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          </Row>
        </Card>
      </Form>
    </>
  );
}

// ---- API tokens ----
function Tokens() {
  const { t, dateTime } = useI18n();
  const { message, modal } = App.useApp();
  const tokens = useFetch(() => listAll<any>('/api/v1/api-tokens'), []);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const create = async () => {
    if (!name.trim()) return;
    try {
      const r = await api.post<{ token: string }>('/api/v1/api-tokens', { name: name.trim() });
      setCreated(r.token);
      setName('');
      tokens.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <>
      <PageHeader title={t('nav.api_tokens')} />
      <div className="toolbar">
        <Input className="grow" placeholder={t('tokens.name')} aria-label={t('tokens.name')} value={name} onChange={(e) => setName(e.target.value)} onPressEnter={create} />
        <Button type="primary" onClick={create}>{t('tokens.create')}</Button>
      </div>
      {created && <Alert type="success" showIcon closable onClose={() => setCreated(null)} style={{ marginBottom: 12 }} message={t('tokens.copy_now')} description={<Typography.Text copyable code>{created}</Typography.Text>} />}
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        loading={tokens.loading}
        dataSource={tokens.data || []}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Empty description={t('tokens.empty')} /> }}
        columns={[
          { title: t('tokens.name'), dataIndex: 'name' },
          { title: t('tokens.prefix'), dataIndex: 'prefix', render: (v: string) => <code>{v}…</code> },
          { title: t('common.created_at'), dataIndex: 'created_at', render: (v: string) => dateTime(v) },
          { title: t('tokens.last_used'), dataIndex: 'last_used_at', render: (v: string) => dateTime(v) || '—' },
          { title: '', key: 'a', render: (_: unknown, r: any) => (r.revoked_at ? <Tag>{t('tokens.revoked')}</Tag> : <Button size="small" danger onClick={() => modal.confirm({ title: t('tokens.revoke_confirm', { name: r.name }), okButtonProps: { danger: true }, okText: t('tokens.revoke'), cancelText: t('common.cancel'), onOk: () => api.del(`/api/v1/api-tokens/${r.id}`).then(tokens.reload) })}>{t('tokens.revoke')}</Button>) },
        ]}
      />
    </>
  );
}

// ---- audit ----
function Audit() {
  const { t, dateTime } = useI18n();
  const [entity, setEntity] = useState<string | undefined>();
  const list = useCursorList<any>('/api/v1/audit', { entity }, 50);
  const [users, setUsers] = useState<UserLite[]>([]);
  useEffect(() => {
    loadUsers().then(setUsers);
  }, []);
  return (
    <>
      <PageHeader title={t('nav.audit')} />
      <div className="toolbar">
        <Input.Search allowClear className="grow" placeholder={t('audit.entity')} aria-label={t('audit.entity')} onSearch={(v) => setEntity(v.trim() || undefined)} />
      </div>
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        loading={list.loading}
        dataSource={list.items}
        scroll={{ x: 'max-content' }}
        columns={[
          { title: t('audit.at'), dataIndex: 'at', render: (v: string) => dateTime(v), width: 170 },
          { title: t('audit.actor'), dataIndex: 'actor_id', render: (v: string) => nameOf(users, v) || (v ? v.slice(0, 8) : '—') },
          { title: t('audit.entity'), dataIndex: 'entity' },
          { title: t('audit.action'), dataIndex: 'action' },
          { title: t('audit.changes'), dataIndex: 'changes', render: (c: Record<string, unknown>) => <Typography.Text type="secondary" style={{ fontSize: 12 }} ellipsis={{ tooltip: JSON.stringify(c) }}>{c ? Object.keys(c).join(', ') : ''}</Typography.Text> },
        ]}
      />
      <Pager list={list} />
    </>
  );
}

export default function Admin() {
  return (
    <Routes>
      <Route path="users" element={<Users />} />
      <Route path="departments" element={<Departments />} />
      <Route path="roles" element={<Roles />} />
      <Route path="settings" element={<SettingsPage />} />
      <Route path="tokens" element={<Tokens />} />
      <Route path="audit" element={<Audit />} />
      <Route path="*" element={<Navigate to="/admin/users" replace />} />
    </Routes>
  );
}


