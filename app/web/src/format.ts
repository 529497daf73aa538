// Dates, numbers and money for the interface language.
export type Lang = 'zh-CN' | 'zh-TW' | 'en';

export const LANGS: Lang[] = ['zh-CN', 'zh-TW', 'en'];

const intlTag: Record<Lang, string> = { 'zh-CN': 'zh-CN', 'zh-TW': 'zh-TW', en: 'en-US' };

export function intlLocale(l: Lang): string {
  return intlTag[l] || 'zh-CN';
}

// matchLang picks the closest supported language for a tag such as "zh-Hant-TW" or "en-GB".
export function matchLang(tag: string | null | undefined): Lang | null {
  if (!tag) return null;
  const t = tag.toLowerCase();
  if (t.startsWith('zh')) {
    return /(tw|hk|mo|hant)/.test(t) ? 'zh-TW' : 'zh-CN';
  }
  if (t.startsWith('en')) return 'en';
  return null;
}

function toDate(v: string | Date | null | undefined): Date | null {
  if (!v) return null;
  const d = v instanceof Date ? v : new Date(v);
  return isNaN(d.getTime()) ? null : d;
}

export function formatDate(v: string | Date | null | undefined, lang: Lang, timeZone?: string): string {
  const d = toDate(v);
  if (!d) return '';
  // A bare date ("2024-05-01") is a calendar day: never shift it by a time zone.
  const bare = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v);
  return new Intl.DateTimeFormat(intlLocale(lang), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    timeZone: bare ? 'UTC' : timeZone,
  }).format(d);
}

export function formatDateTime(v: string | Date | null | undefined, lang: Lang, timeZone?: string): string {
  const d = toDate(v);
  if (!d) return '';
  return new Intl.DateTimeFormat(intlLocale(lang), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: lang === 'en' ? 'h12' : 'h23',
    timeZone,
  }).format(d);
}

export function formatNumber(v: number | string | null | undefined, lang: Lang, maxFractionDigits = 2): string {
  if (v === null || v === undefined || v === '') return '';
  const n = typeof v === 'number' ? v : Number(v);
  if (!isFinite(n)) return String(v);
  return new Intl.NumberFormat(intlLocale(lang), { maximumFractionDigits: maxFractionDigits }).format(n);
}

export function formatPercent(v: number | null | undefined, lang: Lang): string {
  if (v === null || v === undefined || !isFinite(v)) return '';
  return new Intl.NumberFormat(intlLocale(lang), { style: 'percent', maximumFractionDigits: 1 }).format(v);
}

// formatMoney formats {amount, currency} (amount a decimal string) without going through a
// float for the digits: large amounts keep every digit.
export function formatMoney(m: { amount: string | number; currency?: string } | null | undefined, lang: Lang, fallbackCurrency = 'CNY'): string {
  if (!m || m.amount === null || m.amount === undefined || m.amount === '') return '';
  const currency = (m.currency || fallbackCurrency).toUpperCase();
  const s = String(m.amount).trim();
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  const nf = new Intl.NumberFormat(intlLocale(lang), { style: 'currency', currency, currencyDisplay: lang === 'en' ? 'code' : 'symbol' });
  if (!match) return s + ' ' + currency;
  const [, sign, int, frac = ''] = match;
  const digits = nf.resolvedOptions().maximumFractionDigits ?? 2;
  // Round half away from zero on the decimal string.
  let fracPart = frac.padEnd(digits + 1, '0');
  let intPart = BigInt(int);
  let fracNum = digits > 0 ? BigInt(fracPart.slice(0, digits)) : 0n;
  if (Number(fracPart[digits]) >= 5) {
    fracNum += 1n;
    if (digits === 0 || fracNum >= 10n ** BigInt(digits)) {
      fracNum = 0n;
      intPart += 1n;
    }
  }
  // Format with a zero amount to learn the pattern (symbol position, spacing), then put the
  // grouped integer and the fraction in place of the zero.
  const parts = nf.formatToParts(sign ? -0.0001 : 0);
  const group = new Intl.NumberFormat(intlLocale(lang), { useGrouping: true }).format(intPart);
  let out = '';
  let placed = false;
  for (const p of parts) {
    if (p.type === 'integer') {
      if (!placed) out += group;
      placed = true;
    } else if (p.type === 'group') {
      // part of the zero's grouping: never present for 0
    } else if (p.type === 'fraction') {
      out += fracNum.toString().padStart(digits, '0');
    } else if (p.type === 'minusSign') {
      out += intPart === 0n && fracNum === 0n ? '' : p.value;
    } else {
      out += p.value;
    }
  }
  return out;
}

// moneyNumber is an amount as a number, for charts (not for display or arithmetic on records).
export function moneyNumber(m: { amount: string } | string | null | undefined): number {
  if (!m) return 0;
  const n = Number(typeof m === 'string' ? m : m.amount);
  return isFinite(n) ? n : 0;
}
