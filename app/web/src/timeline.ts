// Timeline lines with field labels: the server names changed fields by their API names
// ("修改了客户：address, industry"); the screens show the labels the customer form uses.
import { translate, type Key } from './i18n';
import type { Lang } from './format';

// The customer form's labels, by API field name.
export const CUSTOMER_FIELD_LABELS: Record<string, Key> = {
  name: 'customer.name',
  type: 'customer.type',
  short_name: 'customer.short_name',
  credit_code: 'customer.credit_code',
  industry: 'customer.industry',
  scale: 'customer.scale',
  address: 'customer.address',
  region: 'customer.region',
  business_scope: 'customer.business_scope',
  legal_representative: 'customer.legal_representative',
  source: 'customer.source',
  stage: 'customer.stage',
  tier: 'customer.tier',
  intent_class: 'customer.intent_class',
  value_class: 'customer.value_class',
  classification: 'customer.classification',
  credit: 'customer.credit',
  owner_id: 'customer.owner',
  department_id: 'customer.department',
  in_pool: 'customer.in_pool',
  pool: 'customer.pool',
  tags: 'customer.tags',
  phone: 'customer.phone',
  email: 'customer.email',
  id_number: 'customer.id_number',
  birthday: 'customer.birthday',
  custom_fields: 'customer.section_custom',
  profile: 'customer.profile',
  last_follow_up_at: 'customer.last_follow_up',
  next_follow_up_at: 'customer.next_follow_up',
  churned_at: 'customer.churned_at',
  churn_reason: 'customer.churn_reason',
  created_at: 'common.created_at',
  updated_at: 'common.updated_at',
};

// The contact form's labels.
export const CONTACT_FIELD_LABELS: Record<string, Key> = {
  name: 'contact.name',
  title: 'contact.title',
  phone: 'customer.phone',
  email: 'customer.email',
  wechat: 'contact.wechat',
  decision_role: 'contact.decision_role',
  is_primary: 'contact.primary',
  birthday: 'customer.birthday',
  notes: 'common.notes',
};

// fieldLabel is a field's label for entity ("customer" or "contact"), else its name.
export function fieldLabel(lang: Lang, entity: string, field: string): string {
  const k = (entity === 'contact' ? CONTACT_FIELD_LABELS : CUSTOMER_FIELD_LABELS)[field];
  return k ? translate(lang, k) : field;
}

// localizeSummary replaces the list of changed field names that ends an update's summary
// (the changes' keys, sorted, joined by ", ") with their labels. Other summaries stay as
// they are.
export function localizeSummary(lang: Lang, item: { summary: string; action: string; entity: string; changes: Record<string, unknown> | null }): string {
  const s = item.summary || '';
  if (item.action !== 'update' || !item.changes) return s;
  const names = Object.keys(item.changes).sort();
  const list = names.join(', ');
  if (!names.length || !s.endsWith(list)) return s;
  const sep = lang === 'en' ? ', ' : '、';
  return s.slice(0, s.length - list.length) + names.map((n) => fieldLabel(lang, item.entity, n)).join(sep);
}
