// Interface language: dictionaries, the t() function and the React context that holds the
// chosen language.
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import 'dayjs/locale/zh-tw';
import 'dayjs/locale/en';
import { zhCN, type Messages } from './i18n/zh-CN';
import { zhTW } from './i18n/zh-TW';
import { en } from './i18n/en';
import { type Lang, LANGS, matchLang, formatDate, formatDateTime, formatMoney, formatNumber } from './format';
import { setLanguage } from './api';

export type Key = keyof Messages & string;

export const dictionaries: Record<Lang, Messages> = { 'zh-CN': zhCN, 'zh-TW': zhTW, en };

export const LANG_NAMES: Record<Lang, string> = { 'zh-CN': '简体中文', 'zh-TW': '繁體中文', en: 'English' };

// translate looks key up in lang and fills {name} placeholders from vars.
export function translate(lang: Lang, key: Key | string, vars?: Record<string, string | number>): string {
  const d = dictionaries[lang] as Record<string, string>;
  let s = d[key] ?? (zhCN as Record<string, string>)[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

// tOpt translates an enum value under a prefix ("stage." + "prospect"), falling back to the
// value itself for values the dictionaries do not know.
export function tOpt(lang: Lang, prefix: string, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  const key = prefix + '.' + value;
  const d = dictionaries[lang] as Record<string, string>;
  return d[key] ?? value;
}

const STORAGE = 'crm.lang';

export function initialLang(): Lang {
  const saved = typeof localStorage !== 'undefined' ? (localStorage.getItem(STORAGE) as Lang | null) : null;
  if (saved && LANGS.includes(saved)) return saved;
  return 'zh-CN';
}

const dayjsLocale: Record<Lang, string> = { 'zh-CN': 'zh-cn', 'zh-TW': 'zh-tw', en: 'en' };

interface I18n {
  lang: Lang;
  setLang: (l: Lang, persist?: boolean) => void;
  t: (key: Key, vars?: Record<string, string | number>) => string;
  opt: (prefix: string, value: string | null | undefined) => string;
  date: (v: string | null | undefined) => string;
  dateTime: (v: string | null | undefined) => string;
  num: (v: number | string | null | undefined) => string;
  money: (m: { amount: string; currency?: string } | null | undefined) => string;
  timeZone?: string;
  setTimeZone: (tz?: string) => void;
}

const Ctx = createContext<I18n | null>(null);

function apply(l: Lang) {
  setLanguage(l);
  dayjs.locale(dayjsLocale[l]);
  if (typeof document !== 'undefined') document.documentElement.lang = l;
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => {
    const l = initialLang();
    apply(l);
    return l;
  });
  const [timeZone, setTimeZone] = useState<string | undefined>(undefined);
  const value = useMemo<I18n>(() => {
    return {
      lang,
      timeZone,
      setTimeZone,
      setLang: (l: Lang, persist = true) => {
        const m = matchLang(l) || 'zh-CN';
        apply(m);
        if (persist) localStorage.setItem(STORAGE, m);
        setLangState(m);
      },
      t: (key, vars) => translate(lang, key, vars),
      opt: (prefix, v) => tOpt(lang, prefix, v),
      date: (v) => formatDate(v, lang, timeZone),
      dateTime: (v) => formatDateTime(v, lang, timeZone),
      num: (v) => formatNumber(v, lang),
      money: (m) => formatMoney(m, lang),
    };
  }, [lang, timeZone]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const c = useContext(Ctx);
  if (!c) throw new Error('useI18n outside I18nProvider');
  return c;
}

export function hasStoredLang(): boolean {
  return !!localStorage.getItem(STORAGE);
}
