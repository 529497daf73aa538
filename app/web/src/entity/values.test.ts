import { describe, expect, it } from 'vitest';
import dayjs from 'dayjs';
import type { FieldSpec, FilterSpec } from './types';
import { createBody, editValues, fieldSpan, isLocked, patchBody, toApi, toForm, withFilter } from './values';

const f = (name: string, kind: FieldSpec['kind'], extra: Partial<FieldSpec> = {}): FieldSpec => ({ name, label: 'common.notes', kind, ...extra });

describe('withFilter', () => {
  const search: FilterSpec = { name: 'q', label: 'common.search' };
  const status: FilterSpec = { name: 'status', label: 'sales.status', prefix: 'leadstatus', values: ['new', 'contacted'] };
  it('trims a search and drops an empty one', () => {
    expect(withFilter({ status: 'new' }, search, '  acme ')).toEqual({ status: 'new', q: 'acme' });
    expect(withFilter({ q: 'acme' }, search, '   ')).toEqual({ q: undefined });
  });
  it('sets and clears a select', () => {
    expect(withFilter({ q: 'acme' }, status, 'contacted')).toEqual({ q: 'acme', status: 'contacted' });
    expect(withFilter({ status: 'new' }, status, undefined)).toEqual({ status: undefined });
  });
});

describe('field layout and locks', () => {
  it('gives textareas and lines the whole row', () => {
    expect(fieldSpan(f('notes', 'textarea'))).toBe(24);
    expect(fieldSpan(f('lines', 'lines'))).toBe(24);
    expect(fieldSpan(f('name', 'text'))).toBe(12);
    expect(fieldSpan(f('name', 'text', { span: 8 }))).toBe(8);
  });
  it('locks draft-only fields once the record leaves draft', () => {
    const lines = f('lines', 'lines', { draftOnly: true });
    expect(isLocked(lines, { status: 'draft' })).toBe(false);
    expect(isLocked(lines, { status: 'sent' })).toBe(true);
    expect(isLocked(f('notes', 'textarea'), { status: 'sent' })).toBe(false);
  });
});

describe('createBody', () => {
  const fields = [f('customer_id', 'customer'), f('valid_until', 'date'), f('amount', 'money'), f('lines', 'lines'), f('notes', 'textarea')];
  it('leaves out empty values, formats dates and drops lines without a product', () => {
    const body = createBody(fields, {
      customer_id: 'c1',
      valid_until: dayjs('2026-03-31T10:00:00'),
      amount: { amount: '', currency: 'CNY' },
      lines: [{ product_id: 'p1', quantity: '2', unit_price: '10.5' }, { product_id: 'p2' }, { quantity: '3' }],
      notes: '',
    });
    expect(body).toEqual({
      customer_id: 'c1',
      valid_until: '2026-03-31',
      lines: [{ product_id: 'p1', quantity: '2', unit_price: '10.5' }, { product_id: 'p2', quantity: '1' }],
      currency: 'CNY',
    });
  });
  it('sends money with an amount, and no currency without lines', () => {
    expect(createBody([f('amount', 'money')], { amount: { amount: '99', currency: 'USD' } })).toEqual({ amount: { amount: '99', currency: 'USD' } });
  });
});

describe('toForm and toApi', () => {
  it('round-trips each kind', () => {
    const date = f('d', 'date');
    expect(toApi(date, toForm(date, '2026-01-02'))).toBe('2026-01-02');
    expect(toApi(date, toForm(date, null))).toBeNull();
    const num = f('cost', 'number');
    expect(toForm(num, { amount: '12.30', currency: 'CNY' })).toBe('12.30');
    expect(toApi(num, '')).toBeNull();
    const money = f('price', 'money');
    expect(toForm(money, undefined)).toBeNull();
    expect(toApi(money, { amount: 5, currency: 'CNY' })).toEqual({ amount: '5', currency: 'CNY' });
    const sw = f('active', 'switch');
    expect(toApi(sw, toForm(sw, undefined))).toBe(false);
    expect(toForm(f('name', 'text'), null)).toBe('');
  });
  it('sends a line discount only when it is not zero', () => {
    const lines = f('lines', 'lines');
    const form = toForm(lines, [
      { product_id: 'p1', quantity: '2', unit_price: { amount: '10', currency: 'CNY' }, discount: '0', description: 'A' },
      { product_id: 'p2', quantity: '1', unit_price: { amount: '3', currency: 'CNY' }, discount: '0.5' },
    ]);
    expect(toApi(lines, form)).toEqual([
      { product_id: 'p1', quantity: '2', unit_price: '10' },
      { product_id: 'p2', quantity: '1', unit_price: '3', discount: '0.5' },
    ]);
  });
});

describe('patchBody', () => {
  const edit = [f('valid_until', 'date', { draftOnly: true }), f('notes', 'textarea'), f('price', 'money')];
  const row = { id: 'q1', version: 4, status: 'draft', valid_until: '2026-01-31', notes: 'old', price: { amount: '10', currency: 'CNY' } };
  it('sends the version and only what changed', () => {
    const v = { ...editValues(edit, row), notes: 'new' };
    expect(patchBody(edit, row, v)).toEqual({ version: 4, notes: 'new' });
    expect(patchBody(edit, row, editValues(edit, row))).toEqual({ version: 4 });
  });
  it('leaves out locked fields', () => {
    const sent = { ...row, status: 'sent' };
    const v = { ...editValues(edit, sent), valid_until: dayjs('2026-02-28'), price: { amount: '12', currency: 'CNY' } };
    expect(patchBody(edit, sent, v)).toEqual({ version: 4, price: { amount: '12', currency: 'CNY' } });
  });
});
