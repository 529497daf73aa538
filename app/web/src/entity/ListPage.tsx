import { useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { App, Alert, Button, Empty, Input, Select, Space, Table } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api } from '../api';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import { PageHeader, Pager, useCursorList, errorText, useReasonPrompt } from '../ui';
import { CreateModal } from './CreateModal';
import { DetailDrawer } from './DetailDrawer';
import { useColumnRender } from './render';
import type { ActionCtx, EntitySpec } from './types';
import { withFilter, type Filters } from './values';

// ListPage is a screen of spec: the filters, the paged table with each row's actions, the
// create form and, with spec.detail, the detail drawer of the record named by `?id=`.
export function ListPage({ spec }: { spec: EntitySpec }) {
  const { t, opt } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const detailId = params.get('id');
  const openDetail = (id: string | null) => {
    const next = new URLSearchParams(params);
    if (id) next.set('id', id);
    else next.delete('id');
    setParams(next);
  };
  const [filters, setFilters] = useState<Filters>({});
  const list = useCursorList<any>(spec.path, spec.scope ? { ...filters, ...spec.scope } : filters, 20);
  const [open, setOpen] = useState(false);
  const [promptReason, reasonModal] = useReasonPrompt();
  const ctx: ActionCtx = {
    reload: list.reload,
    post: async (path, body, ok) => {
      try {
        await api.post(path, body ?? {});
        message.success(ok || t('common.saved'));
        list.reload();
      } catch (e) {
        message.error(errorText(e));
      }
    },
    ask: async (title, field, path, extra = {}, required = false) => {
      const val = await promptReason(title, required);
      if (val !== null) await ctx.post(path, { ...extra, [field]: val });
    },
  };
  const render = useColumnRender();
  return (
    <>
      <PageHeader title={t(spec.title)} extra={!spec.readOnly && can(spec.object, 'create') && <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)}>{t(spec.newLabel)}</Button>} />
      {spec.filters && (
        <div className="toolbar">
          {spec.filters.map((f) =>
            f.values ? (
              <Select key={f.name} allowClear placeholder={t(f.label)} aria-label={t(f.label)} style={{ width: 150 }} value={filters[f.name]} onChange={(v) => setFilters(withFilter(filters, f, v))} options={f.values.map((x) => ({ value: x, label: opt(f.prefix || '', x) }))} />
            ) : (
              <Input.Search key={f.name} className="grow" allowClear placeholder={t(f.label)} aria-label={t(f.label)} onSearch={(v) => setFilters(withFilter(filters, f, v))} />
            ),
          )}
        </div>
      )}
      {list.error ? <Alert type="error" showIcon message={errorText(list.error)} style={{ marginBottom: 12 }} /> : null}
      <Table
        rowKey="id"
        size="middle"
        loading={list.loading}
        dataSource={list.items}
        pagination={false}
        scroll={{ x: 'max-content' }}
        expandable={spec.expand ? { expandedRowRender: spec.expand } : undefined}
        locale={{ emptyText: <Empty description={t('common.no_results')} /> }}
        columns={[
          ...spec.columns.map((c) => ({ title: t(c.label), dataIndex: c.key, key: c.key, responsive: c.responsive, render: c.render ?? render(c) })),
          ...(spec.actions || spec.detail
            ? [{
                title: '', key: '_a',
                render: (_: unknown, r: any) => (
                  <Space size={0} wrap>
                    {spec.detail && <Button size="small" type="link" onClick={() => openDetail(r.id)} data-testid={'detail-' + r.id}>{t('sales.details')}</Button>}
                    {spec.actions?.(r, ctx)}
                  </Space>
                ),
              }]
            : []),
        ]}
      />
      <Pager list={list} />
      {reasonModal}
      <CreateModal spec={spec} open={open} onClose={() => setOpen(false)} onSaved={() => { message.success(t('common.created')); list.reload(); }} />
      {spec.detail && <DetailDrawer spec={spec} id={detailId} onClose={() => openDetail(null)} onSaved={list.reload} />}
    </>
  );
}
