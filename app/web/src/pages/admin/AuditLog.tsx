import { useEffect, useState } from 'react';
import { Input, Table, Typography } from 'antd';
import { useI18n } from '../../i18n';
import { PageHeader, loadUsers, useCursorList, Pager, nameOf, type UserLite } from '../../ui';

// AuditLog (/admin/audit): the audit log, filtered by entity.
export default function Audit() {
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
