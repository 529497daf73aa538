// The pure part of the engine: how field values travel between a record, a form and the API,
// and how the filters become the list's query. No React here, so Vitest tests it directly.
import dayjs from 'dayjs';
import type { FieldSpec, FilterSpec } from './types';

export type Filters = Record<string, string | undefined>;

// withFilter is filters with filter f set to what the user chose or typed: a search box's
// text is trimmed, and an empty choice drops the parameter.
export function withFilter(filters: Filters, f: FilterSpec, raw: string | undefined | null): Filters {
  const v = f.values ? raw ?? undefined : raw?.trim() || undefined;
  return { ...filters, [f.name]: v };
}

// fieldSpan is a field's width on the 24-column grid from md up.
export function fieldSpan(f: FieldSpec): number {
  return f.span || (f.kind === 'textarea' || f.kind === 'lines' ? 24 : 12);
}

// isLocked: the record's API no longer changes field f (a draft-only field once the record
// has left draft); the edit form hides it and the PATCH leaves it out.
export function isLocked(f: FieldSpec, row: { status?: string } | null | undefined): boolean {
  return !!f.draftOnly && row?.status !== 'draft';
}

// linesBody is the API's lines from the form's: lines without a product are dropped, the
// quantity defaults to 1, and the unit price (and with discount, a non-zero discount) is sent
// only when given.
function linesBody(x: any[] | null | undefined, discount: boolean): any[] {
  return ((x || []) as any[])
    .filter((l) => l.product_id)
    .map((l) => ({
      product_id: l.product_id,
      quantity: String(l.quantity || '1'),
      ...(l.unit_price ? { unit_price: String(l.unit_price) } : {}),
      ...(discount && l.discount && Number(l.discount) !== 0 ? { discount: String(l.discount) } : {}),
    }));
}

// createBody is the POST body of the create form's values v: empty fields and money without
// an amount are left out, dates are YYYY-MM-DD, and a form with lines sends a currency (CNY
// unless given).
export function createBody(fields: FieldSpec[], v: Record<string, any>): Record<string, any> {
  const body: Record<string, any> = {};
  for (const f of fields) {
    let x = v[f.name];
    if (x === undefined || x === null || x === '') continue;
    if (f.kind === 'date') x = dayjs(x).format('YYYY-MM-DD');
    if (f.kind === 'money' && !x.amount) continue;
    if (f.kind === 'lines') x = linesBody(x, false);
    body[f.name] = x;
  }
  if (fields.some((f) => f.kind === 'lines') && !body.currency) body.currency = 'CNY';
  return body;
}

// toForm turns a record's value into the form's value for field f.
export function toForm(f: FieldSpec, v: any): any {
  switch (f.kind) {
    case 'date':
      return v ? dayjs(v) : null;
    case 'number':
      return v && typeof v === 'object' ? v.amount : v ?? null;
    case 'lines':
      return (v || []).map((l: any) => ({ product_id: l.product_id, quantity: l.quantity, unit_price: l.unit_price?.amount, discount: l.discount, description: l.description }));
    case 'switch':
      return !!v;
    default:
      return v ?? (f.kind === 'money' ? null : '');
  }
}

// toApi turns a form value into the API's value for field f.
export function toApi(f: FieldSpec, x: any): any {
  switch (f.kind) {
    case 'date':
      return x ? dayjs(x).format('YYYY-MM-DD') : null;
    case 'money':
      return x && x.amount !== '' && x.amount !== null && x.amount !== undefined ? { amount: String(x.amount), currency: x.currency } : null;
    case 'number':
      return x === null || x === undefined || x === '' ? null : String(x);
    case 'lines':
      return linesBody(x, true);
    case 'switch':
      return !!x;
    default:
      return x ?? '';
  }
}

// editValues are the edit form's starting values for record row.
export function editValues(edit: FieldSpec[], row: Record<string, any>): Record<string, any> {
  return Object.fromEntries(edit.map((f) => [f.name, toForm(f, row[f.name])]));
}

// patchBody is the PATCH body of the edit form's values v for record row: the row's version
// and the fields whose API value changed, without the locked ones.
export function patchBody(edit: FieldSpec[], row: Record<string, any>, v: Record<string, any>): Record<string, any> {
  const body: Record<string, any> = { version: row.version };
  for (const f of edit) {
    if (isLocked(f, row)) continue;
    const now = toApi(f, v[f.name]);
    if (JSON.stringify(now) !== JSON.stringify(toApi(f, toForm(f, row[f.name])))) body[f.name] = now;
  }
  return body;
}
