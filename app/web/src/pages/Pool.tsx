import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { App, Button, Alert, Select } from 'antd';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import { api } from '../api';
import type { Customer } from '../types';
import { PageHeader, Pager, useCursorList, errorText } from '../ui';
import { CustomerFilters, CustomerTable, useCustomerQuery } from './CustomerList';

interface PoolInfo {
  key: string;
  name: string;
  customers: number;
}

export default function PoolPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const filters = useCustomerQuery();
  const [params, setParams] = useSearchParams();
  const pool = params.get('pool') || undefined;
  const query = useMemo(() => ({ ...filters, pool }), [filters, pool]);
  const list = useCursorList<Customer>('/api/v1/pool', query, 20);
  // With named pools, the user picks one of the pools they see (all of them by default).
  const [pools, setPools] = useState<PoolInfo[]>([]);
  useEffect(() => {
    api.get<{ items: PoolInfo[] }>('/api/v1/pools').then((r) => setPools(r.items || []), () => setPools([]));
  }, [list.items]);
  const poolName = (p: PoolInfo) => (p.key === 'default' && !p.name ? t('pool.default') : p.name || p.key);
  const total = pools.reduce((n, p) => n + (p.customers || 0), 0);
  const pickPool = (v: string | undefined) => {
    const next = new URLSearchParams(params);
    if (v) next.set('pool', v);
    else next.delete('pool');
    setParams(next, { replace: true });
  };
  const claim = async (c: Customer) => {
    try {
      await api.post(`/api/v1/customers/${c.id}/claim`, { version: c.version });
      message.success(t('pool.claimed_name', { name: c.name }));
      list.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <>
      <PageHeader title={t('nav.pool')} sub={<span style={{ color: '#888' }}>{t('pool.explain')}</span>} />
      {pools.length > 1 && (
        <div className="toolbar">
          <Select
            data-testid="pool-select"
            aria-label={t('pool.select')}
            style={{ minWidth: 240 }}
            value={pool || ''}
            onChange={(v) => pickPool(v || undefined)}
            options={[{ value: '', label: t('pool.option', { name: t('pool.all'), n: total }) }, ...pools.map((p) => ({ value: p.key, label: t('pool.option', { name: poolName(p), n: p.customers || 0 }) }))]}
          />
        </div>
      )}
      <CustomerFilters showOwner={false} />
      {list.error ? <Alert type="error" showIcon message={errorText(list.error)} style={{ marginBottom: 12 }} /> : null}
      <CustomerTable
        items={list.items}
        loading={list.loading}
        emptyText={t('pool.empty')}
        extraColumns={[
          {
            title: '', key: 'claim', fixed: 'right', width: 90,
            render: (_: unknown, c: Customer) => (can('customer', 'update') || can('customer', 'read') ? <Button size="small" type="primary" onClick={() => claim(c)}>{t('pool.claim')}</Button> : null),
          },
        ]}
      />
      <Pager list={list} />
    </>
  );
}
