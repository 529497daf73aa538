// Small shared pieces: page header, form error mapping, cursor paging, option lists.
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { Alert, Button, Input, Modal, Space, type FormInstance } from 'antd';
import { LeftOutlined, RightOutlined } from '@ant-design/icons';
import { api, type Page, type Query } from './api';
import { mapFieldErrors, errorText } from './errors';
import { useI18n } from './i18n';

export function PageHeader({ title, extra, sub }: { title: ReactNode; extra?: ReactNode; sub?: ReactNode }) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {sub}
      </div>
      {extra && <Space wrap>{extra}</Space>}
    </div>
  );
}

// applyFormErrors puts the API's field errors on the form's fields and answers the messages
// that fit no field.
export function applyFormErrors(form: FormInstance, err: unknown): string[] {
  const names = new Set<string>();
  const all = form.getFieldsValue(true) as Record<string, unknown>;
  const walk = (v: unknown, prefix: (string | number)[]) => {
    names.add(JSON.stringify(prefix));
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v as object)) walk(x, [...prefix, k]);
  };
  walk(all, []);
  walk(form.getFieldsValue(), []);
  const known = (p: (string | number)[]) => {
    if (names.has(JSON.stringify(p))) return true;
    try {
      return !!form.getFieldInstance(p as any);
    } catch {
      return false;
    }
  };
  const m = mapFieldErrors(err, known);
  form.setFields(m.fields.map((f) => ({ name: f.name, errors: f.errors })));
  if (m.fields.length) {
    try {
      form.scrollToField(m.fields[0].name, { block: 'center' });
      form.focusField?.(m.fields[0].name as any);
    } catch {
      /* not rendered */
    }
  }
  return m.general;
}

export function ErrorBanner({ messages, onClose }: { messages: string[]; onClose?: () => void }) {
  if (!messages.length) return null;
  return (
    <Alert
      type="error"
      showIcon
      closable={!!onClose}
      onClose={onClose}
      style={{ marginBottom: 16 }}
      message={messages.length === 1 ? messages[0] : <ul style={{ margin: 0, paddingLeft: 18 }}>{messages.map((m, i) => <li key={i}>{m}</li>)}</ul>}
      role="alert"
    />
  );
}

export { errorText };

// useCursorList pages through a list endpoint with its cursors: next follows next_cursor,
// previous goes back through the cursors seen.
export function useCursorList<T>(path: string | null, query: Query, limit = 20) {
  const [items, setItems] = useState<T[]>([]);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [next, setNext] = useState<string | null>(null);
  const key = JSON.stringify([path, query, limit]);
  const seq = useRef(0);

  const load = useCallback(
    async (cursor: string | null) => {
      if (!path) return;
      const my = ++seq.current;
      setLoading(true);
      try {
        const page = await api.get<Page<T>>(path, { ...query, limit, cursor: cursor ?? undefined });
        if (my !== seq.current) return;
        setItems(page.items || []);
        setNext(page.next_cursor);
        setError(null);
      } catch (e) {
        if (my !== seq.current) return;
        setError(e);
        setItems([]);
        setNext(null);
      } finally {
        if (my === seq.current) setLoading(false);
      }
    },
    [key], // eslint-disable-line react-hooks/exhaustive-deps
  );

  useEffect(() => {
    setCursors([null]);
    load(null);
  }, [load]);

  return {
    items,
    loading,
    error,
    page: cursors.length,
    hasNext: !!next,
    hasPrev: cursors.length > 1,
    next: () => {
      if (!next) return;
      setCursors((c) => [...c, next]);
      load(next);
    },
    prev: () => {
      if (cursors.length < 2) return;
      const c = cursors.slice(0, -1);
      setCursors(c);
      load(c[c.length - 1]);
    },
    reload: () => load(cursors[cursors.length - 1]),
    setItems,
  };
}

export function Pager({ list }: { list: { page: number; hasNext: boolean; hasPrev: boolean; next: () => void; prev: () => void; loading: boolean } }) {
  const { t } = useI18n();
  if (!list.hasNext && !list.hasPrev) return null;
  return (
    <Space style={{ marginTop: 12, display: 'flex', justifyContent: 'flex-end' }}>
      <Button icon={<LeftOutlined />} disabled={!list.hasPrev || list.loading} onClick={list.prev}>
        {t('common.prev')}
      </Button>
      <span aria-live="polite">{t('common.page_n', { n: list.page })}</span>
      <Button disabled={!list.hasNext || list.loading} onClick={list.next} data-testid="next-page">
        {t('common.next')} <RightOutlined />
      </Button>
    </Space>
  );
}

// useFetch loads one thing and reloads it on demand.
export function useFetch<T>(fn: (() => Promise<T>) | null, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(!!fn);
  const seq = useRef(0);
  const run = useCallback(async () => {
    if (!fn) return;
    const my = ++seq.current;
    setLoading(true);
    try {
      const d = await fn();
      if (my === seq.current) {
        setData(d);
        setError(null);
      }
    } catch (e) {
      if (my === seq.current) setError(e);
    } finally {
      if (my === seq.current) setLoading(false);
    }
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    run();
  }, [run]);
  return { data, error, loading, reload: run, setData };
}

// Users and departments by ID, for names in lists.
export interface UserLite {
  id: string;
  name: string;
  email: string;
  department_id: string;
  roles: string[];
  status: string;
  version: number;
  locale: string;
  manager_id: string | null;
}
export interface Department {
  id: string;
  name: string;
  parent_id: string | null;
  manager_id: string | null;
  version: number;
}

let usersCache: Promise<UserLite[]> | null = null;
let deptCache: Promise<Department[]> | null = null;

export async function listAll<T>(path: string, query: Query = {}): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const page: Page<T> = await api.get<Page<T>>(path, { ...query, limit: 200, cursor: cursor ?? undefined });
    out.push(...(page.items || []));
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return out;
}

export function loadUsers(fresh = false): Promise<UserLite[]> {
  if (!usersCache || fresh) usersCache = listAll<UserLite>('/api/v1/users').catch(() => []);
  return usersCache;
}
export function loadDepartments(fresh = false): Promise<Department[]> {
  if (!deptCache || fresh) deptCache = listAll<Department>('/api/v1/departments').catch(() => []);
  return deptCache;
}

export function useUsers() {
  const [users, setUsers] = useState<UserLite[]>([]);
  useEffect(() => {
    loadUsers().then(setUsers);
  }, []);
  return users;
}
export function useDepartments() {
  const [d, setD] = useState<Department[]>([]);
  useEffect(() => {
    loadDepartments().then(setD);
  }, []);
  return d;
}

export function nameOf(list: { id: string; name: string }[], id: string | null | undefined): string {
  if (!id) return '';
  return list.find((x) => x.id === id)?.name ?? '';
}

// enumOptions builds Select options from values translated under a prefix.
export function useEnumOptions(prefix: string, values: readonly string[]) {
  const { opt } = useI18n();
  return values.map((v) => ({ value: v, label: opt(prefix, v) }));
}

export const CUSTOMER_STAGES = ['potential', 'prospect', 'deal', 'churned'] as const;
export const CUSTOMER_TIERS = ['key', 'general', 'potential'] as const;
export const CUSTOMER_TYPES = ['enterprise', 'individual'] as const;
export const CLASSES = ['A', 'B', 'C'] as const;
export const OPP_STAGES = ['info_collection', 'initial_contact', 'needs_analysis', 'demo', 'proposal_quote', 'negotiation', 'won', 'lost'] as const;
export const FOLLOWUP_METHODS = ['phone', 'email', 'visit', 'wechat', 'sms', 'meeting', 'online'] as const;
export const ROLES = ['owner', 'general_manager', 'vice_president', 'sales_manager', 'service_manager', 'salesperson', 'customer_service', 'marketing', 'service_technician', 'finance', 'warehouse', 'operations', 'auditor'] as const;
export const DATA_SCOPES = ['own', 'own_and_subordinates', 'department', 'department_tree', 'all'] as const;

// useReasonPrompt asks for a reason in a dialog: prompt(title, required) resolves to the text,
// or null when the user cancels. Render the returned element once.
export function useReasonPrompt(): [(title: string, required?: boolean) => Promise<string | null>, ReactNode] {
  const { t } = useI18n();
  const [state, setState] = useState<{ title: string; required: boolean; resolve: (v: string | null) => void } | null>(null);
  const [text, setText] = useState('');
  const [missing, setMissing] = useState(false);
  const prompt = useCallback(
    (title: string, required = true) =>
      new Promise<string | null>((resolve) => {
        setText('');
        setMissing(false);
        setState({ title, required, resolve });
      }),
    [],
  );
  const close = (v: string | null) => {
    state?.resolve(v);
    setState(null);
  };
  const ok = () => {
    if (state?.required && !text.trim()) {
      setMissing(true);
      return;
    }
    close(text.trim());
  };
  const el = (
    <Modal open={!!state} title={state?.title} onOk={ok} onCancel={() => close(null)} okText={t('common.confirm')} cancelText={t('common.cancel')} destroyOnClose>
      <Input.TextArea autoFocus aria-label={t('common.reason')} placeholder={t('common.reason')} value={text} status={missing ? 'error' : undefined} onChange={(e) => { setText(e.target.value); setMissing(false); }} autoSize={{ minRows: 3 }} />
      {missing && <div style={{ color: '#ff4d4f', marginTop: 4 }} role="alert">{t('common.reason_required')}</div>}
    </Modal>
  );
  return [prompt, el];
}
