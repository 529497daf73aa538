import { useEffect, useMemo, useState } from 'react';
import { App, Alert, Button, Card, Checkbox, Col, Row, Select, Space, Table } from 'antd';
import { api, type Page } from '../../api';
import { useI18n } from '../../i18n';
import { useAuth } from '../../auth';
import { PageHeader, errorText, DATA_SCOPES, useFetch } from '../../ui';

// Roles (/admin/roles): each role's data scope and permissions; the owner changes them.
interface Role {
  role: string;
  name: string;
  data_scope: string;
  builtin: boolean;
  permissions: { object: string; action: string }[];
  version: number;
}
const ACTIONS = ['read', 'create', 'update', 'delete', 'export', 'assign', 'approve'];

export default function Roles() {
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
