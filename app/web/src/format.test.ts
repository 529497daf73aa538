import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, formatMoney, formatNumber, matchLang } from './format';

describe('formatMoney', () => {
  it('formats per language with the currency', () => {
    expect(formatMoney({ amount: '1234.5', currency: 'CNY' }, 'zh-CN')).toBe('¥1,234.50');
    expect(formatMoney({ amount: '1234.5', currency: 'TWD' }, 'zh-TW')).toMatch(/^\$1,234\.50$/);
    expect(formatMoney({ amount: '1234.5', currency: 'CNY' }, 'en')).toMatch(/^CNY\s1,234\.50$/);
    expect(formatMoney({ amount: '-12', currency: 'USD' }, 'en')).toMatch(/^-USD\s12\.00$/);
  });

  it('keeps every digit of large amounts and rounds half away from zero', () => {
    expect(formatMoney({ amount: '12345678901234567.89', currency: 'CNY' }, 'zh-CN')).toBe('¥12,345,678,901,234,567.89');
    expect(formatMoney({ amount: '0.005', currency: 'CNY' }, 'zh-CN')).toBe('¥0.01');
    expect(formatMoney({ amount: '9.995', currency: 'CNY' }, 'zh-CN')).toBe('¥10.00');
    expect(formatMoney({ amount: '100', currency: 'JPY' }, 'en')).toMatch(/^JPY\s100$/);
  });

  it('shows nothing for no amount', () => {
    expect(formatMoney(null, 'zh-CN')).toBe('');
    expect(formatMoney({ amount: '', currency: 'CNY' }, 'zh-CN')).toBe('');
  });
});

describe('dates', () => {
  const at = '2024-03-05T16:30:00Z';
  it('formats in the given time zone and language', () => {
    expect(formatDate(at, 'zh-CN', 'Asia/Shanghai')).toBe('2024/03/06');
    expect(formatDate(at, 'en', 'UTC')).toBe('03/05/2024');
    expect(formatDateTime(at, 'zh-CN', 'Asia/Shanghai')).toBe('2024/03/06 00:30');
    expect(formatDateTime(at, 'en', 'UTC')).toMatch(/^03\/05\/2024, 0?4:30\sPM$/);
    expect(formatDateTime(at, 'zh-TW', 'Asia/Taipei')).toMatch(/^2024\/03\/06\s00:30$/);
  });
  it('never shifts a calendar date', () => {
    expect(formatDate('2024-03-05', 'zh-CN', 'America/Los_Angeles')).toBe('2024/03/05');
  });
  it('shows nothing for no date or a bad one', () => {
    expect(formatDate(null, 'zh-CN')).toBe('');
    expect(formatDateTime('not a date', 'en')).toBe('');
  });
});

describe('numbers and languages', () => {
  it('groups digits', () => {
    expect(formatNumber(1234567.891, 'zh-CN')).toBe('1,234,567.89');
    expect(formatNumber('42', 'en')).toBe('42');
  });
  it('matches language tags', () => {
    expect(matchLang('zh-Hans-CN')).toBe('zh-CN');
    expect(matchLang('zh-HK')).toBe('zh-TW');
    expect(matchLang('zh-Hant')).toBe('zh-TW');
    expect(matchLang('en-GB')).toBe('en');
    expect(matchLang('fr')).toBeNull();
  });
});
