import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zhCN } from './i18n/zh-CN';
import { zhTW } from './i18n/zh-TW';
import { en } from './i18n/en';

const dicts = { 'zh-CN': zhCN, 'zh-TW': zhTW, en } as Record<string, Record<string, string>>;
const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'i18n' ? [] : sources(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('i18n', () => {
  it('has every key in all three languages, none empty', () => {
    const keys = Object.keys(zhCN).sort();
    for (const [lang, d] of Object.entries(dicts)) {
      expect(Object.keys(d).sort(), lang).toEqual(keys);
      for (const k of keys) expect(d[k].trim(), `${lang} ${k}`).not.toBe('');
    }
  });

  it('uses the same placeholders in every language', () => {
    for (const k of Object.keys(zhCN)) {
      const want = placeholders((zhCN as Record<string, string>)[k]);
      for (const [lang, d] of Object.entries(dicts)) expect(placeholders(d[k]), `${lang} ${k}`).toEqual(want);
    }
  });

  it('knows every key the code asks for', () => {
    const used = new Set<string>();
    for (const file of sources(join(__dirname))) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([a-z_]+\.[a-z0-9_]+)'/g)) used.add(m[1]);
      for (const m of text.matchAll(/(?:label|title|newLabel): '([a-z_]+\.[a-z0-9_]+)'/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(100);
    const missing = [...used].filter((k) => !(k in zhCN));
    expect(missing).toEqual([]);
  });

  it('translates every value of the enumerations the screens show', () => {
    const enums: Record<string, string[]> = {
      stage: ['potential', 'prospect', 'deal', 'churned'],
      tier: ['key', 'general', 'potential'],
      oppstage: ['info_collection', 'initial_contact', 'needs_analysis', 'demo', 'proposal_quote', 'negotiation', 'won', 'lost'],
      method: ['phone', 'email', 'visit', 'wechat', 'sms', 'meeting', 'online'],
      role: ['owner', 'general_manager', 'vice_president', 'sales_manager', 'service_manager', 'salesperson', 'customer_service', 'marketing', 'service_technician', 'finance', 'warehouse', 'operations', 'auditor'],
      scope: ['own', 'own_and_subordinates', 'department', 'department_tree', 'all'],
    };
    for (const [prefix, values] of Object.entries(enums)) for (const v of values) expect(zhCN, `${prefix}.${v}`).toHaveProperty(`${prefix}.${v}`);
  });
});
