import { useMemo, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { Button, Input, Select, Table, Tag, Space, Dropdown, DatePicker, Empty, Alert, Typography } from 'antd';
import type { TableProps } from 'antd';
import { PlusOutlined, DownloadOutlined, UploadOutlined, FilterOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import type { Customer } from '../types';
import { PageHeader, Pager, useCursorList, useUsers, useDepartments, nameOf, useEnumOptions, CUSTOMER_STAGES, CUSTOMER_TIERS, CUSTOMER_TYPES, CLASSES, errorText } from '../ui';
import { qs } from '../api';

const FILTERS = ['q', 'type', 'stage', 'tier', 'intent_class', 'value_class', 'owner_id', 'department_id', 'tag', 'region', 'industry', 'created_after', 'created_before', 'sort'] as const;

export function stageColor(s: string) {
  return ({ potential: 'default', prospect: 'processing', deal: 'success', churned: 'error' } as Record<string, string>)[s] || 'default';
}

export function CustomerTable({ items, loading, extraColumns = [], emptyText }: { items: Customer[]; loading: boolean; extraColumns?: TableProps<Customer>['columns']; emptyText?: string }) {
  const { t, opt, dateTime, date } = useI18n();
  const users = useUsers();
  const [params, setParams] = useSearchParams();
  const sort = params.get('sort') || '-created_at';
  const order = (k: string) => (sort === k ? 'ascend' : sort === '-' + k ? 'descend' : null);
  const columns: TableProps<Customer>['columns'] = [
    {
      title: t('customer.name'), dataIndex: 'name', key: 'name', sorter: true, sortOrder: order('name'), ellipsis: true,
      render: (v: string, c) => (
        <Link to={`/customers/${c.id}`}>
          {v}
          {c.short_name && c.short_name !== v ? <Typography.Text type="secondary"> ({c.short_name})</Typography.Text> : null}
        </Link>
      ),
    },
    { title: t('customer.stage'), dataIndex: 'stage', key: 'stage', width: 100, render: (v: string) => <Tag color={stageColor(v)}>{opt('stage', v)}</Tag> },
    { title: t('customer.tier'), dataIndex: 'tier', key: 'tier', width: 100, responsive: ['md'], render: (v: string) => opt('tier', v) },
    {
      title: t('customer.classes'), key: 'classes', width: 110, responsive: ['lg'],
      render: (_: unknown, c) => (
        <Space size={4}>
          {c.intent_class && <Tag color="blue" title={t('customer.intent_class')}>{c.intent_class}</Tag>}
          {c.value_class && <Tag color="purple" title={t('customer.value_class')}>{c.value_class}</Tag>}
        </Space>
      ),
    },
    { title: t('customer.industry'), dataIndex: 'industry', key: 'industry', responsive: ['xl'], ellipsis: true },
    { title: t('customer.region'), key: 'region', responsive: ['lg'], ellipsis: true, render: (_: unknown, c) => c.region || [c.address?.province, c.address?.city].filter(Boolean).join(' ') },
    { title: t('customer.owner'), dataIndex: 'owner_id', key: 'owner', width: 110, responsive: ['md'], render: (v: string | null, c) => (c.in_pool ? <Tag>{t('customer.in_pool')}</Tag> : nameOf(users, v)) },
    { title: t('customer.last_follow_up'), dataIndex: 'last_follow_up_at', key: 'last', width: 120, responsive: ['xl'], render: (v: string | null) => <span title={dateTime(v)}>{date(v)}</span> },
    { title: t('common.created_at'), dataIndex: 'created_at', key: 'created_at', width: 130, sorter: true, sortOrder: order('created_at'), responsive: ['sm'], render: (v: string) => <span title={dateTime(v)}>{date(v)}</span> },
    ...(extraColumns || []),
  ];
  return (
    <Table<Customer>
      rowKey="id"
      size="middle"
      columns={columns}
      dataSource={items}
      loading={loading}
      pagination={false}
      scroll={{ x: 'max-content' }}
      locale={{ emptyText: <Empty description={emptyText || t('customer.empty')} /> }}
      onChange={(_p, _f, sorter) => {
        const s = Array.isArray(sorter) ? sorter[0] : sorter;
        const next = new URLSearchParams(params);
        if (s && s.order && s.columnKey) next.set('sort', (s.order === 'descend' ? '-' : '') + String(s.columnKey));
        else next.delete('sort');
        setParams(next, { replace: true });
      }}
    />
  );
}

export function useCustomerQuery() {
  const [params] = useSearchParams();
  return useMemo(() => {
    const q: Record<string, string> = {};
    for (const k of FILTERS) {
      const v = params.get(k);
      if (v) q[k] = v;
    }
    return q;
  }, [params]);
}

export function CustomerFilters({ showOwner = true }: { showOwner?: boolean }) {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const users = useUsers();
  const depts = useDepartments();
  const [q, setQ] = useState(params.get('q') || '');
  const [more, setMore] = useState(() => FILTERS.some((k) => !['q', 'sort', 'stage', 'tier'].includes(k) && params.get(k)));
  const set = (k: string, v: string | null | undefined) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    setParams(next, { replace: true });
  };
  const stages = useEnumOptions('stage', CUSTOMER_STAGES);
  const tiers = useEnumOptions('tier', CUSTOMER_TIERS);
  const types = useEnumOptions('ctype', CUSTOMER_TYPES);
  const classes = CLASSES.map((c) => ({ value: c, label: c }));
  const sel = (k: string, placeholder: string, options: { value: string; label: string }[], width = 130) => (
    <Select allowClear placeholder={placeholder} aria-label={placeholder} value={params.get(k) || undefined} onChange={(v) => set(k, v)} options={options} style={{ width }} showSearch optionFilterProp="label" />
  );
  const active = FILTERS.filter((k) => k !== 'sort' && params.get(k)).length;
  return (
    <>
      <div className="toolbar">
        <Input.Search
          className="grow"
          allowClear
          placeholder={t('customer.search_placeholder')}
          aria-label={t('customer.search_placeholder')}
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            if (!e.target.value) set('q', null);
          }}
          onSearch={(v) => set('q', v.trim())}
          data-testid="customer-search"
          enterButton
        />
        {sel('stage', t('customer.stage'), stages, 120)}
        {sel('tier', t('customer.tier'), tiers, 120)}
        <Button icon={<FilterOutlined />} onClick={() => setMore(!more)} aria-expanded={more}>
          {t('common.more_filters')}
        </Button>
        {active > 0 && (
          <Button
            type="link"
            onClick={() => {
              setQ('');
              const next = new URLSearchParams();
              if (params.get('sort')) next.set('sort', params.get('sort')!);
              setParams(next, { replace: true });
            }}
          >
            {t('common.clear_filters')}
          </Button>
        )}
      </div>
      {more && (
        <div className="toolbar">
          {sel('type', t('customer.type'), types, 120)}
          {sel('intent_class', t('customer.intent_class'), classes, 120)}
          {sel('value_class', t('customer.value_class'), classes, 120)}
          {showOwner && sel('owner_id', t('customer.owner'), users.map((u) => ({ value: u.id, label: u.name })), 140)}
          {sel('department_id', t('customer.department'), depts.map((d) => ({ value: d.id, label: d.name })), 140)}
          <Input placeholder={t('customer.tag')} aria-label={t('customer.tag')} defaultValue={params.get('tag') || ''} onPressEnter={(e) => set('tag', (e.target as HTMLInputElement).value.trim())} onBlur={(e) => set('tag', e.target.value.trim())} style={{ width: 120 }} />
          <Input placeholder={t('customer.region')} aria-label={t('customer.region')} defaultValue={params.get('region') || ''} onPressEnter={(e) => set('region', (e.target as HTMLInputElement).value.trim())} onBlur={(e) => set('region', e.target.value.trim())} style={{ width: 120 }} />
          <Input placeholder={t('customer.industry')} aria-label={t('customer.industry')} defaultValue={params.get('industry') || ''} onPressEnter={(e) => set('industry', (e.target as HTMLInputElement).value.trim())} onBlur={(e) => set('industry', e.target.value.trim())} style={{ width: 120 }} />
          <DatePicker.RangePicker
            aria-label={t('common.created_at')}
            value={[params.get('created_after') ? dayjs(params.get('created_after')) : null, params.get('created_before') ? dayjs(params.get('created_before')) : null]}
            onChange={(r) => {
              const next = new URLSearchParams(params);
              const [a, b] = r || [];
              if (a) next.set('created_after', a.startOf('day').toISOString());
              else next.delete('created_after');
              if (b) next.set('created_before', b.endOf('day').toISOString());
              else next.delete('created_before');
              setParams(next, { replace: true });
            }}
          />
        </div>
      )}
    </>
  );
}

export default function CustomerList() {
  const { t } = useI18n();
  const { can } = useAuth();
  const nav = useNavigate();
  const query = useCustomerQuery();
  const list = useCursorList<Customer>('/api/v1/customers', query, 20);
  const exportQuery = { ...query };
  return (
    <>
      <PageHeader
        title={t('nav.customer_list')}
        extra={
          <>
            {can('customer', 'export') && (
              <Dropdown
                menu={{
                  items: [
                    { key: 'csv', label: <a href={'/api/v1/customers/export' + qs({ ...exportQuery, format: 'csv' })} download>CSV</a> },
                    { key: 'xlsx', label: <a href={'/api/v1/customers/export' + qs({ ...exportQuery, format: 'xlsx' })} download>Excel (XLSX)</a> },
                  ],
                }}
              >
                <Button icon={<DownloadOutlined />}>{t('common.export')}</Button>
              </Dropdown>
            )}
            {can('customer', 'create') && (
              <Button icon={<UploadOutlined />} onClick={() => nav('/customers/import')}>
                {t('nav.import')}
              </Button>
            )}
            {can('customer', 'create') && (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => nav('/customers/new')} data-testid="new-customer">
                {t('customer.new')}
              </Button>
            )}
          </>
        }
      />
      <CustomerFilters />
      {list.error ? <Alert type="error" showIcon message={errorText(list.error)} style={{ marginBottom: 12 }} /> : null}
      <CustomerTable items={list.items} loading={list.loading} emptyText={query.q ? t('customer.no_match', { q: query.q }) : undefined} />
      <Pager list={list} />
    </>
  );
}
