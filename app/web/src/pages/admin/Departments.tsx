import { useEffect, useMemo, useState } from 'react';
import { App, Button, Card, Col, Empty, Form, Input, Row, Select, Space, Tree, Skeleton } from 'antd';
import { PlusOutlined, DeleteOutlined } from '@ant-design/icons';
import { api } from '../../api';
import { useI18n } from '../../i18n';
import { useAuth } from '../../auth';
import { PageHeader, applyFormErrors, ErrorBanner, errorText, loadDepartments, loadUsers, type Department, type UserLite } from '../../ui';

// Departments (/admin/departments): the department tree, and adding, editing and deleting one.
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

export default function Departments() {
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
