import { type EntitySpec } from '../../entity';

// Products: the product catalogue, edited in the detail drawer.

export const products: EntitySpec = {
  path: '/api/v1/products', object: 'product', title: 'nav.products', newLabel: 'sales.new_product',
  columns: [{ key: 'code', label: 'sales.code' }, { key: 'name', label: 'sales.product' }, { key: 'category', label: 'sales.category', responsive: ['md'] }, { key: 'unit', label: 'sales.unit', responsive: ['md'] }, { key: 'price', label: 'sales.price', kind: 'money' }],
  fields: [
    { name: 'code', label: 'sales.code', kind: 'text', required: true }, { name: 'name', label: 'sales.product', kind: 'text', required: true },
    { name: 'category', label: 'sales.category', kind: 'text' }, { name: 'unit', label: 'sales.unit', kind: 'text' },
    { name: 'price', label: 'sales.price', kind: 'money', required: true }, { name: 'description', label: 'common.notes', kind: 'textarea' },
  ],
  detail: {
    columns: [
      { key: 'code', label: 'sales.code' }, { key: 'name', label: 'sales.product' }, { key: 'category', label: 'sales.category' }, { key: 'unit', label: 'sales.unit' },
      { key: 'price', label: 'sales.price', kind: 'money' }, { key: 'cost', label: 'sales.cost', kind: 'money' }, { key: 'active', label: 'sales.active', kind: 'yesno' },
      { key: 'description', label: 'common.notes' }, { key: 'created_at', label: 'common.created_at', kind: 'datetime' },
    ],
    edit: [
      { name: 'code', label: 'sales.code', kind: 'text', required: true }, { name: 'name', label: 'sales.product', kind: 'text', required: true },
      { name: 'category', label: 'sales.category', kind: 'text' }, { name: 'unit', label: 'sales.unit', kind: 'text' },
      { name: 'price', label: 'sales.price', kind: 'money', required: true }, { name: 'cost', label: 'sales.cost', kind: 'number' },
      { name: 'active', label: 'sales.active', kind: 'switch' }, { name: 'description', label: 'common.notes', kind: 'textarea' },
    ],
  },
};
