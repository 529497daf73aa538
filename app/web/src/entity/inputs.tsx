import { useEffect, useState } from 'react';
import { Button, DatePicker, Input, InputNumber, Select, Space, Switch, Typography } from 'antd';
import { PlusOutlined, DeleteOutlined } from '@ant-design/icons';
import { type Money } from '../api';
import { useI18n } from '../i18n';
import { listAll } from '../ui';
import { CustomerPicker } from '../pages/CustomerPicker';
import type { FieldSpec } from './types';

// LineItemsInput edits a quote's lines: product, quantity and unit price per line.
function LineItemsInput({ value, onChange }: { value?: any[]; onChange?: (v: any[]) => void }) {
  const { t, money } = useI18n();
  const [products, setProducts] = useState<any[]>([]);
  useEffect(() => {
    listAll<any>('/api/v1/products').then(setProducts, () => {});
  }, []);
  const lines = value || [];
  const set = (i: number, patch: any) => onChange?.(lines.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {lines.map((l, i) => (
        <Space key={i} wrap>
          <Select style={{ width: 220 }} showSearch optionFilterProp="label" placeholder={t('sales.product')} aria-label={t('sales.product')} value={l.product_id} onChange={(v) => set(i, { product_id: v })} options={products.map((p) => ({ value: p.id, label: `${p.name} · ${money(p.price)}` }))} />
          <InputNumber min={0} placeholder={t('sales.quantity')} aria-label={t('sales.quantity')} value={l.quantity} onChange={(v) => set(i, { quantity: v })} stringMode />
          <InputNumber min={0} placeholder={t('sales.unit_price')} aria-label={t('sales.unit_price')} value={l.unit_price} onChange={(v) => set(i, { unit_price: v })} stringMode />
          <Button type="text" danger icon={<DeleteOutlined />} aria-label={t('common.delete')} onClick={() => onChange?.(lines.filter((_, j) => j !== i))} />
        </Space>
      ))}
      <Button icon={<PlusOutlined />} onClick={() => onChange?.([...lines, { quantity: '1' }])}>{t('sales.add_line')}</Button>
      {products.length === 0 && <Typography.Text type="secondary">{t('sales.no_products')}</Typography.Text>}
    </Space>
  );
}

// ContractPicker chooses one of the tenant's contracts.
function ContractPicker({ value, onChange, id }: { value?: string; onChange?: (v: string) => void; id?: string }) {
  const { money } = useI18n();
  const [contracts, setContracts] = useState<any[]>([]);
  useEffect(() => {
    listAll<any>('/api/v1/contracts').then(setContracts, () => {});
  }, []);
  return <Select id={id} allowClear showSearch optionFilterProp="label" value={value} onChange={onChange} options={contracts.map((c) => ({ value: c.id, label: `${c.number} · ${c.title} · ${money(c.amount)}` }))} />;
}

// MoneyInput edits a {amount, currency} value.
export function MoneyInput({ value, onChange }: { value?: Money; onChange?: (v: Money) => void }) {
  const v = value || { amount: '', currency: 'CNY' };
  return (
    <Space.Compact style={{ width: '100%' }}>
      <InputNumber min={0} stringMode style={{ width: '70%' }} value={v.amount as any} onChange={(a) => onChange?.({ ...v, amount: a === null ? '' : String(a) })} />
      <Select style={{ width: '30%' }} value={v.currency} onChange={(c) => onChange?.({ ...v, currency: c })} options={['CNY', 'TWD', 'HKD', 'USD', 'EUR'].map((c) => ({ value: c, label: c }))} />
    </Space.Compact>
  );
}

// fieldInput is the input of one form field.
export function fieldInput(f: FieldSpec, opt: (prefix: string, v: string) => string) {
  switch (f.kind) {
    case 'textarea':
      return <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} />;
    case 'customer':
      return <CustomerPicker />;
    case 'money':
      return <MoneyInput />;
    case 'date':
      return <DatePicker style={{ width: '100%' }} />;
    case 'number':
      return <InputNumber style={{ width: '100%' }} stringMode />;
    case 'select':
      return <Select allowClear options={(f.options?.values || []).map((x) => ({ value: x, label: opt(f.options!.prefix, x) }))} />;
    case 'lines':
      return <LineItemsInput />;
    case 'contract':
      return <ContractPicker />;
    case 'switch':
      return <Switch />;
    default:
      return <Input />;
  }
}
