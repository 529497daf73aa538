import type { ReactNode } from 'react';
import type { Key } from '../i18n';

// FieldKind is how a form field is entered (see fieldInput in inputs.tsx) and how its value
// travels between the record, the form and the API (see values.ts).
export type FieldKind = 'text' | 'textarea' | 'customer' | 'money' | 'date' | 'number' | 'select' | 'lines' | 'contract' | 'switch';

// FieldSpec is one field of the create form or of the detail drawer's edit form.
export interface FieldSpec {
  // name is the API's field name, in the record and in the POST/PATCH body.
  name: string;
  label: Key;
  kind: FieldKind;
  required?: boolean;
  // options are a select's values; the labels are the i18n keys `${prefix}.${value}`.
  options?: { prefix: string; values: string[] };
  // span is the field's width on the 24-column grid from md up (default: 24 for textarea and
  // lines, else 12).
  span?: number;
  // draftOnly: the API changes it only while the record's status is draft.
  draftOnly?: boolean;
}

// ColumnKind is how a column's value is shown (see useColumnRender in render.tsx).
export type ColumnKind = 'money' | 'date' | 'datetime' | 'customer' | 'enum' | 'user' | 'bool' | 'yesno';

// ColumnSpec is one column of the list, or one row of the detail drawer's description list.
export interface ColumnSpec {
  key: string;
  label: Key;
  kind?: ColumnKind;
  // prefix: for kind 'enum', the i18n prefix of its values.
  prefix?: string;
  // responsive: the list shows the column only from these breakpoints up.
  responsive?: ('sm' | 'md' | 'lg' | 'xl')[];
  // render, when set, shows the value itself (a link that depends on other members of the
  // row, say), in place of the kind's.
  render?: (value: any, row: any) => ReactNode;
}

// FilterSpec is one filter above the list, sent as the query parameter `name`: a select when
// values are given (labels `${prefix}.${value}`), else a search box.
export interface FilterSpec {
  name: string;
  label: Key;
  prefix?: string;
  values?: string[];
}

// ActionCtx is what a row's actions may call on the list they are in.
export interface ActionCtx {
  // reload fetches the current page of the list again.
  reload: () => void;
  // post sends body to path, says ok (or "saved") and reloads; an error becomes a message.
  post: (path: string, body?: unknown, ok?: string) => Promise<void>;
  // ask prompts for a reason, then posts { ...extra, [field]: reason } to path.
  ask: (title: string, field: string, path: string, extra?: Record<string, unknown>, required?: boolean) => void;
}

// EntitySpec is everything a screen gives the engine: see index.ts.
export interface EntitySpec {
  // path is the collection: GET (list, with cursors and the filters), POST (create),
  // GET/PATCH path/{id} (detail). The screen is shown only when the server offers it.
  path: string;
  // object is the permission object: can(object, 'create') shows the new button,
  // can(object, 'update') the detail drawer's edit button.
  object: string;
  title: Key;
  newLabel: Key;
  // readOnly: the collection has no create (the list never shows the new button).
  readOnly?: boolean;
  columns: ColumnSpec[];
  // fields are the create form's.
  fields: FieldSpec[];
  // prepare, when set, turns the create form's body into the API's (form fields that stand
  // for a nested or list member of the body, say).
  prepare?: (body: Record<string, any>) => Record<string, any>;
  filters?: FilterSpec[];
  // scope are query parameters every list request carries, whatever the filters (a screen of
  // the user's own records, say).
  scope?: Record<string, string>;
  // actions are the buttons at the end of a row.
  actions?: (row: any, ctx: ActionCtx) => ReactNode;
  // expand is shown under a row when it is expanded.
  expand?: (row: any) => ReactNode;
  // detail: the record in a drawer (GET path/{id}, `?id=` in the address); edit lists what
  // PATCH path/{id} changes; body is shown under the description list.
  detail?: { columns: ColumnSpec[]; edit: FieldSpec[]; body?: (row: any) => ReactNode };
}
