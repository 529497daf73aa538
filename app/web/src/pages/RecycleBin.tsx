import { App, Button, Alert } from 'antd';
import { useI18n } from '../i18n';
import { useAuth } from '../auth';
import { api } from '../api';
import type { Customer } from '../types';
import { PageHeader, Pager, useCursorList, errorText } from '../ui';
import { CustomerFilters, CustomerTable, useCustomerQuery } from './CustomerList';

export default function RecycleBin() {
  const { t, dateTime } = useI18n();
  const { can } = useAuth();
  const { message } = App.useApp();
  const query = useCustomerQuery();
  const list = useCursorList<Customer>('/api/v1/customers', { ...query, deleted: true }, 20);
  const restore = async (c: Customer) => {
    try {
      await api.post(`/api/v1/customers/${c.id}/restore`);
      message.success(t('customer.restored'));
      list.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  return (
    <>
      <PageHeader title={t('nav.recycle_bin')} sub={<span style={{ color: '#888' }}>{t('recycle.explain')}</span>} />
      <CustomerFilters />
      {list.error ? <Alert type="error" showIcon message={errorText(list.error)} style={{ marginBottom: 12 }} /> : null}
      <CustomerTable
        items={list.items}
        loading={list.loading}
        emptyText={t('recycle.empty')}
        extraColumns={[
          { title: t('recycle.deleted_at'), key: 'del', render: (_: unknown, c: Customer) => dateTime(c.deleted_at) },
          { title: '', key: 'r', width: 90, fixed: 'right', render: (_: unknown, c: Customer) => (can('customer', 'delete') ? <Button size="small" onClick={() => restore(c)}>{t('customer.restore')}</Button> : null) },
        ]}
      />
      <Pager list={list} />
    </>
  );
}
