import { useState } from 'react';
import { App, Alert, Button, Empty, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { api } from '../../api';
import { useI18n } from '../../i18n';
import { PageHeader, errorText, useFetch, listAll } from '../../ui';

type Endpoint = { id: string; url: string; description: string; event_types: string[]; active: boolean; disabled_reason: string; version: number; previous_secret_until: string | null };
type Attempt = { attempt: number; status_code: number; duration_ms: number; error: string; response_excerpt: string; at: string };
type Delivery = { id: string; event_type: string; status: string; attempt_count: number; next_attempt_at: string | null; last_error: string; created_at: string; attempts: Attempt[] };

const statusColor: Record<string, string> = { delivered: 'green', pending: 'blue', failed: 'red', skipped: 'default' };

// The delivery log of one endpoint, newest first, with each attempt and a redeliver button.
function DeliveryLog({ endpoint }: { endpoint: Endpoint }) {
  const { t, dateTime } = useI18n();
  const { message } = App.useApp();
  const log = useFetch(() => api.get<{ items: Delivery[] }>(`/api/v1/webhooks/${endpoint.id}/deliveries?limit=50`).then((r) => r.items), [endpoint.id]);
  const [since, setSince] = useState('');
  const redeliver = async (id: string) => {
    try {
      await api.post(`/api/v1/webhook-deliveries/${id}/redeliver`);
      message.success(t('webhooks.redelivered'));
      log.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const replay = async () => {
    if (!since) return;
    try {
      const r = await api.post<{ count: number }>(`/api/v1/webhooks/${endpoint.id}/replay`, { since: new Date(since).toISOString() });
      message.success(t('webhooks.replayed', { count: r.count }));
      log.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <div data-testid="webhook-log">
      <div className="toolbar">
        <Button size="small" onClick={log.reload}>{t('webhooks.refresh')}</Button>
        <Input type="datetime-local" size="small" style={{ width: 220 }} aria-label={t('webhooks.replay_since')} value={since} onChange={(e) => setSince(e.target.value)} />
        <Button size="small" onClick={replay} disabled={!since}>{t('webhooks.replay')}</Button>
      </div>
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        loading={log.loading}
        dataSource={log.data || []}
        locale={{ emptyText: <Empty description={t('webhooks.no_deliveries')} /> }}
        expandable={{
          expandedRowRender: (d: Delivery) => (
            <Table rowKey="attempt" size="small" pagination={false} dataSource={d.attempts}
              columns={[
                { title: '#', dataIndex: 'attempt' },
                { title: t('webhooks.at'), dataIndex: 'at', render: (v: string) => dateTime(v) },
                { title: t('webhooks.status_code'), dataIndex: 'status_code', render: (v: number) => v || '—' },
                { title: t('webhooks.duration'), dataIndex: 'duration_ms', render: (v: number) => `${v} ms` },
                { title: t('webhooks.error'), dataIndex: 'error' },
                { title: t('webhooks.response'), dataIndex: 'response_excerpt', render: (v: string) => <Typography.Text code ellipsis style={{ maxWidth: 320 }}>{v}</Typography.Text> },
              ]} />
          ),
        }}
        columns={[
          { title: t('webhooks.event_type'), dataIndex: 'event_type', render: (v: string) => <code>{v}</code> },
          { title: t('webhooks.delivery_status'), dataIndex: 'status', render: (v: string) => <Tag color={statusColor[v]}>{t(`webhooks.status.${v}` as any)}</Tag> },
          { title: t('webhooks.attempts'), dataIndex: 'attempt_count' },
          { title: t('webhooks.next_attempt'), dataIndex: 'next_attempt_at', render: (v: string) => dateTime(v) || '—' },
          { title: t('common.created_at'), dataIndex: 'created_at', render: (v: string) => dateTime(v) },
          { title: '', key: 'a', render: (_: unknown, d: Delivery) => <Button size="small" onClick={() => redeliver(d.id)}>{t('webhooks.redeliver')}</Button> },
        ]}
      />
    </div>
  );
}

// Webhooks (/admin/webhooks): the tenant's outgoing webhook endpoints. A new or rotated secret
// is shown once; each endpoint has its delivery log, a test event and secret rotation.
export default function Webhooks() {
  const { t } = useI18n();
  const { message, modal } = App.useApp();
  const endpoints = useFetch(() => listAll<Endpoint>('/api/v1/webhooks'), []);
  const catalog = useFetch(() => api.get<{ items: { type: string }[] }>('/api/v1/webhook-event-types').then((r) => r.items.map((i) => i.type).filter((x) => x !== 'webhook.test')), []);
  const [url, setUrl] = useState('');
  const [types, setTypes] = useState<string[]>([]);
  const [secret, setSecret] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const act = async (fn: () => Promise<unknown>, ok?: string) => {
    try {
      await fn();
      if (ok) message.success(ok);
      endpoints.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const create = () => act(async () => {
    const r = await api.post<{ secret: string }>('/api/v1/webhooks', { url: url.trim(), event_types: types });
    setSecret(r.secret);
    setUrl('');
    setTypes([]);
  });
  const rotate = (e: Endpoint) => modal.confirm({
    title: t('webhooks.rotate_confirm'), okText: t('webhooks.rotate'), cancelText: t('common.cancel'),
    onOk: () => act(async () => setSecret((await api.post<{ secret: string }>(`/api/v1/webhooks/${e.id}/rotate-secret`)).secret)),
  });
  return (
    <>
      <PageHeader title={t('nav.webhooks')} sub={t('webhooks.intro')} />
      <div className="toolbar">
        <Input className="grow" placeholder="https://example.com/crm-events" aria-label={t('webhooks.url')} value={url} onChange={(e) => setUrl(e.target.value)} />
        <Select mode="multiple" style={{ minWidth: 320 }} aria-label={t('webhooks.event_types')} placeholder={t('webhooks.event_types')} value={types} onChange={setTypes}
          options={(catalog.data || []).map((v) => ({ value: v, label: v }))} />
        <Button type="primary" onClick={create} disabled={!url.trim() || types.length === 0}>{t('webhooks.create')}</Button>
      </div>
      {secret && <Alert type="success" showIcon closable onClose={() => setSecret(null)} style={{ marginBottom: 12 }} message={t('webhooks.copy_secret')} description={<span data-testid="webhook-secret"><Typography.Text copyable code>{secret}</Typography.Text></span>} />}
      <Table
        rowKey="id"
        size="small"
        pagination={false}
        loading={endpoints.loading}
        dataSource={endpoints.data || []}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Empty description={t('webhooks.empty')} /> }}
        expandable={{ expandedRowKeys: open ? [open] : [], showExpandColumn: false, expandedRowRender: (e: Endpoint) => <DeliveryLog endpoint={e} /> }}
        columns={[
          { title: t('webhooks.url'), dataIndex: 'url', render: (v: string) => <code>{v}</code> },
          { title: t('webhooks.event_types'), dataIndex: 'event_types', render: (v: string[]) => v.map((x) => <Tag key={x}>{x}</Tag>) },
          { title: t('webhooks.state'), key: 's', render: (_: unknown, e: Endpoint) => e.active ? <Tag color="green">{t('webhooks.active')}</Tag> : <Tag color="red">{t('webhooks.disabled')}{e.disabled_reason ? ` · ${t(`webhooks.reason.${e.disabled_reason}` as any)}` : ''}</Tag> },
          {
            title: '', key: 'a', render: (_: unknown, e: Endpoint) => (
              <Space wrap>
                <Button size="small" onClick={() => setOpen(open === e.id ? null : e.id)}>{t('webhooks.log')}</Button>
                <Button size="small" onClick={() => act(() => api.post(`/api/v1/webhooks/${e.id}/test`), t('webhooks.test_sent'))}>{t('webhooks.test')}</Button>
                <Button size="small" onClick={() => rotate(e)}>{t('webhooks.rotate')}</Button>
                <Button size="small" onClick={() => act(() => api.patch(`/api/v1/webhooks/${e.id}`, { active: !e.active, version: e.version }))}>{e.active ? t('webhooks.disable') : t('webhooks.enable')}</Button>
                <Button size="small" danger onClick={() => modal.confirm({ title: t('webhooks.delete_confirm'), okButtonProps: { danger: true }, okText: t('common.delete'), cancelText: t('common.cancel'), onOk: () => act(() => api.del(`/api/v1/webhooks/${e.id}`)) })}>{t('common.delete')}</Button>
              </Space>
            ),
          },
        ]}
      />
    </>
  );
}
