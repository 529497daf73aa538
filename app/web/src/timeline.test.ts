import { describe, expect, it } from 'vitest';
import { localizeSummary } from './timeline';

describe('localizeSummary', () => {
  const changes = { industry: ['', '仪器'], address: [{}, {}], scale: [{}, {}] };
  it('shows the changed fields by their labels in the current language', () => {
    expect(localizeSummary('zh-CN', { summary: '修改了客户：address, industry, scale', action: 'update', entity: 'customer', changes })).toBe('修改了客户：地址、行业、规模');
    expect(localizeSummary('en', { summary: 'Customer changed: address, industry, scale', action: 'update', entity: 'customer', changes })).toBe('Customer changed: Address, Industry, Size');
    expect(localizeSummary('zh-TW', { summary: '修改了聯絡人 王芳：phone', action: 'update', entity: 'contact', changes: { phone: ['1', '2'] } })).toBe('修改了聯絡人 王芳：電話');
  });
  it('keeps unknown fields and other lines as they are', () => {
    expect(localizeSummary('zh-CN', { summary: '修改了客户：industry, zz_new', action: 'update', entity: 'customer', changes: { industry: [], zz_new: [] } })).toBe('修改了客户：行业、zz_new');
    expect(localizeSummary('zh-CN', { summary: '创建了客户', action: 'create', entity: 'customer', changes })).toBe('创建了客户');
    expect(localizeSummary('zh-CN', { summary: '别的格式', action: 'update', entity: 'customer', changes })).toBe('别的格式');
  });
});
