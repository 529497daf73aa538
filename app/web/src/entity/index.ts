// The list/detail engine: the generic screen of one API collection, driven by a spec.
//
// A screen (see src/pages/sales/) provides one EntitySpec (types.ts):
//   - path: the collection, e.g. '/api/v1/quotes'. The engine lists it (GET with cursors and the
//     filters as query parameters), creates in it (POST) and, with detail, reads and edits one
//     record (GET and PATCH path/{id}, the PATCH carrying the record's version and only the
//     fields that changed);
//   - object: the permission object the create and edit buttons check;
//   - title and newLabel: i18n keys of the page header and of the create button and form;
//   - columns: the table's columns, each an API field shown by its kind (money, date, enum …);
//   - fields: the create form, each an API field entered by its kind (text, customer, money,
//     lines …); required fields are checked before the POST, and the server's field errors land
//     on the fields;
//   - optionally filters (a select or a search box above the table), actions (buttons at the
//     end of each row, given an ActionCtx to post and reload), expand (shown under an expanded
//     row) and detail (the drawer: its description columns, the fields PATCH changes, with
//     draftOnly for those that change only while the record is a draft, and a body under them).
// The screen renders <ListPage spec={…} />. Its router shows it only when the server offers
// spec.path, and keys it by route so that filters and the list do not carry over.
//
// Test ids: the drawer is 'detail' (its description list), 'detail-title', 'detail-edit',
// 'detail-save'; a row's detail button is 'detail-{id}'.
export { ListPage } from './ListPage';
export { DetailDrawer } from './DetailDrawer';
export { CreateModal } from './CreateModal';
export { MoneyInput, fieldInput } from './inputs';
export { useColumnRender } from './render';
export { createBody, editValues, fieldSpan, isLocked, patchBody, toApi, toForm, withFilter, type Filters } from './values';
export type { ActionCtx, ColumnKind, ColumnSpec, EntitySpec, FieldKind, FieldSpec, FilterSpec } from './types';
