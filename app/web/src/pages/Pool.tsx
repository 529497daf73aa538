import { App, Button, Alert } from 'antd';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import { api } from '../api';
import type { Customer } from '../types';
import { PageHeader, Pager, useCursorList, errorText } from '../ui';
import { CustomerFilters, CustomerTable, useCustomerQuery } from './CustomerList';

export default function PoolPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const query = useCustomerQuery();
  const list = useCursorList<Customer>('/api/v1/pool', query, 20);
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
