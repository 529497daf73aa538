// Mapping API validation errors onto form fields.
import { ApiError, type FieldError } from './api';

export type NamePath = (string | number)[];

// fieldPath turns the API's field name into a form name path: "address.city" → ["address",
// "city"], "contacts[0].phone" and "contacts.0.phone" → ["contacts", 0, "phone"].
export function fieldPath(field: string): NamePath {
  const out: NamePath = [];
  for (const part of field.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (part === '') continue;
    out.push(/^\d+$/.test(part) ? Number(part) : part);
  }
  return out;
}

export interface FormFieldErrors {
  // fields for form.setFields: one entry per field, its messages in order.
  fields: { name: NamePath; errors: string[] }[];
  // messages that belong to no known field (or to no field at all), to show above the form.
  general: string[];
}

// mapFieldErrors groups an error's field errors by form field. When known is given, a field
// (or its top-level parent) that the form does not have goes to general, prefixed with its
// name so that the user still learns what was wrong.
export function mapFieldErrors(err: unknown, known?: (path: NamePath) => boolean): FormFieldErrors {
  const out: FormFieldErrors = { fields: [], general: [] };
  if (!(err instanceof ApiError)) {
    out.general.push(err instanceof Error ? err.message : String(err));
    return out;
  }
  const byKey = new Map<string, { name: NamePath; errors: string[] }>();
  for (const fe of err.errors as FieldError[]) {
    const msg = fe.message || fe.code;
    if (!fe.field) {
      out.general.push(msg);
      continue;
    }
    const name = fieldPath(fe.field);
    if (known && !known(name)) {
      out.general.push(`${fe.field}: ${msg}`);
      continue;
    }
    const key = JSON.stringify(name);
    let e = byKey.get(key);
    if (!e) {
      e = { name, errors: [] };
      byKey.set(key, e);
      out.fields.push(e);
    }
    if (!e.errors.includes(msg)) e.errors.push(msg);
  }
  if (out.fields.length === 0 && out.general.length === 0) out.general.push(err.detail || err.title || err.message);
  return out;
}

// errorText is one line for a notification.
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    // Field messages say what is wrong; the detail alone ("check the marked fields") would not.
    const fields = err.errors.map((e) => e.message || e.code).filter(Boolean);
    if (fields.length) return [err.detail, fields.join('；')].filter(Boolean).join(' ');
    return err.detail || err.title || err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
