import { useEffect, useRef, useState } from 'react';
import { Select, Spin } from 'antd';
import { api, type Page } from '../api';
import type { Customer } from '../types';
import { useI18n } from '../i18n';

// CustomerPicker searches customers by name as the user types.
export function CustomerPicker({ value, onChange, id }: { value?: string; onChange?: (v: string) => void; id?: string }) {
  const { t } = useI18n();
  const [opts, setOpts] = useState<{ value: string; label: string }[]>([]);
  const [loading, setLoading] = useState(false);
  const timer = useRef<number | undefined>(undefined);
  const search = (q: string) => {
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(async () => {
      setLoading(true);
      try {
        const p = await api.get<Page<Customer>>('/api/v1/customers', { q: q || undefined, limit: 20 });
        setOpts(p.items.map((c) => ({ value: c.id, label: c.name })));
      } finally {
        setLoading(false);
      }
    }, 250);
  };
  useEffect(() => {
    search('');
  }, []); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <Select
      id={id}
      showSearch
      value={value}
      onChange={onChange}
      filterOption={false}
      onSearch={search}
      options={opts}
      placeholder={t('customer.search_placeholder')}
      notFoundContent={loading ? <Spin size="small" /> : undefined}
      data-testid="customer-picker"
    />
  );
}
