import { useState } from 'react';
import { App, Alert, Button, Empty, Input, Table, Tag, Typography } from 'antd';
import { api } from '../../api';
import { useI18n } from '../../i18n';
import { PageHeader, errorText, useFetch, listAll } from '../../ui';

// Tokens (/admin/tokens): the tenant's API tokens; a new token is shown once.
export default function Tokens() {
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
