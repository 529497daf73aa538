import { useEffect, useState } from 'react';
import { App, Button, Col, Empty, Form, Input, Modal, Row, Select, Space, Table, Tag } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api } from '../../api';
import { useI18n, LANG_NAMES } from '../../i18n';
import { useAuth } from '../../auth';
import { PageHeader, applyFormErrors, ErrorBanner, errorText, loadDepartments, loadUsers, useCursorList, Pager, nameOf, type Department, type UserLite } from '../../ui';
import { LANGS } from '../../format';
import { useRoleOptions } from './roleOptions';

// Users (/admin/users): the tenant's users, adding and editing one, and deactivating.
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

export default function Users() {
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
