// The API client: JSON over fetch with the session cookie, the CSRF header on unsafe methods
// and problem+json errors turned into ApiError.

export interface FieldError {
  field: string;
  code: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string;
  errors?: FieldError[];
  data?: any;
}

export class ApiError extends Error {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors: FieldError[];
  data: any;
  constructor(status: number, p: Problem) {
    super(p.detail || p.title || `HTTP ${status}`);
    this.status = status;
    this.code = p.code || (status === 0 ? 'network' : 'http_' + status);
    this.title = p.title || '';
    this.detail = p.detail || '';
    this.errors = Array.isArray(p.errors) ? p.errors : [];
    this.data = p.data;
  }
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

const csrf: Record<'app' | 'platform', string> = { app: '', platform: '' };
let language = 'zh-CN';
let onUnauthenticated: ((realm: 'app' | 'platform') => void) | null = null;

export function setCsrf(realm: 'app' | 'platform', token: string) {
  csrf[realm] = token || '';
}
export function setLanguage(l: string) {
  language = l;
}
export function setUnauthenticatedHandler(f: (realm: 'app' | 'platform') => void) {
  onUnauthenticated = f;
}

export type Query = Record<string, string | number | boolean | null | undefined | string[]>;

export function qs(q?: Query): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((x) => p.append(k, x));
    else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

function realmOf(path: string): 'app' | 'platform' {
  return path.startsWith('/platform/') ? 'platform' : 'app';
}

export async function request<T>(method: string, path: string, body?: unknown, opts: { query?: Query; quiet401?: boolean } = {}): Promise<T> {
  const realm = realmOf(path);
  const headers: Record<string, string> = { Accept: 'application/json', 'Accept-Language': language };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrf[realm]) headers['X-CSRF-Token'] = csrf[realm];
  let res: Response;
  try {
    res = await fetch(path + qs(opts.query), { method, headers, body: payload, credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, { detail: String(e) });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: any = undefined;
  if (text) {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (!res.ok) {
    const err = new ApiError(res.status, json && typeof json === 'object' ? json : { detail: text.slice(0, 200) });
    if (res.status === 401 && !opts.quiet401 && onUnauthenticated) onUnauthenticated(realm);
    throw err;
  }
  return (json === undefined ? text : json) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, opts?: { quiet401?: boolean }) => request<T>('GET', path, undefined, { query, ...opts }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  del: <T = void>(path: string) => request<T>('DELETE', path),
};

// Money as the API sends it: a decimal string and an ISO currency.
export interface Money {
  amount: string;
  currency: string;
}
