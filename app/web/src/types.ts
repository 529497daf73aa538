// The API's records as the pages use them, derived from the generated OpenAPI types
// (api-types.ts, `make types`). What is written out by hand here is what the OpenAPI document
// does not say; each such place says why.
import type { components } from './api-types';

type Schemas = components['schemas'];

// Served<T> is a view as the server writes it: every property present, at every depth. The
// document marks no property required (its reflector goes by `required` tags, which the views
// do not have), yet Go writes every field without `omitempty`; Optional names the few with it.
type Served<T> = T extends readonly (infer U)[]
  ? Served<U>[]
  : T extends object
    ? { [K in keyof T]-?: Served<T[K]> }
    : T;

// Ids gives the keys K the type string. The document has one schema for uuid.UUID and
// *uuid.UUID alike (UuidUUID, nullable), so an ID that is never null reads string | null.
type Ids<T, K extends keyof T> = Omit<T, K> & { [P in K]: string };

// Optional gives back the ? of the keys K: the fields with `omitempty`, absent when empty.
type Optional<T, K extends keyof T> = Omit<T, K> & { [P in K]?: T[P] };

export type Customer = Optional<Ids<Omit<Served<Schemas['CustomerView']>, 'credit' | 'classification'>, 'id'>, 'id_number' | 'deleted_at'> & {
  classification: Optional<Served<Schemas['CustomerClassification']>, 'score'>;
  // datatypes.Date has no schema in the document (an empty object): the server writes
  // "YYYY-MM-DD" or null.
  credit: Omit<Served<Schemas['CustomerCredit']>, 'valid_until'> & { valid_until: string | null };
};

export type Contact = Ids<Served<Schemas['CustomerContactView']>, 'id' | 'customer_id'>;

export type TimelineItem = Omit<Served<Schemas['CustomerTimelineItem']>, 'changes'> & {
  // The document knows a change ([2]any in Go) as an array of any length; it is [before, after].
  changes: Record<string, [unknown, unknown]> | null;
};

export type FollowUp = Optional<Ids<Served<Schemas['FollowupView']>, 'id' | 'customer_id' | 'owner_id'>, 'customer_name'>;

export type Opportunity = Optional<Ids<Served<Schemas['OpportunityView']>, 'id' | 'customer_id' | 'owner_id'>, 'stage_history'>;

export type Settings = Optional<Served<Schemas['TenantsSettingsView']>, 'extra'>;

// FieldDef is a tenant-defined customer field (CUS-3), one of Settings' custom_fields.
export type FieldDef = Served<Schemas['TenantsFieldDef']>;
