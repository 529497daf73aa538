export interface Customer {
  id: string;
  type: string;
  name: string;
  short_name: string;
  credit_code: string;
  industry: string;
  scale: { employees: number | null; annual_revenue: string | null };
  address: { province: string; city: string; district: string; street: string };
  region: string;
  business_scope: string;
  legal_representative: string;
  source: string;
  stage: string;
  tier: string;
  intent_class: string | null;
  value_class: string | null;
  classification: { rule: string; reasons: string[] | null; at: string; score?: number | null };
  credit: { rating: string; limit: string | null; valid_until: string | null };
  owner_id: string | null;
  department_id: string | null;
  in_pool: boolean;
  tags: string[] | null;
  phone: string;
  email: string;
  id_number: string;
  birthday: string | null;
  custom_fields: Record<string, unknown> | null;
  profile: { basic: Record<string, unknown> | null; characteristics: Record<string, unknown> | null; business: Record<string, unknown> | null; transactions: Record<string, unknown> | null };
  last_follow_up_at: string | null;
  next_follow_up_at: string | null;
  churned_at: string | null;
  churn_reason: string;
  deleted_at: string | null;
  created_at: string;
  updated_at: string;
  version: number;
}

export interface Contact {
  id: string;
  customer_id: string;
  name: string;
  title: string;
  phone: string;
  email: string;
  wechat: string;
  decision_role: string;
  is_primary: boolean;
  birthday: string | null;
  notes: string;
  version: number;
}

export interface TimelineItem {
  id: string;
  at: string;
  kind: string;
  action: string;
  actor_id: string | null;
  summary: string;
  changes: Record<string, [unknown, unknown]> | null;
  entity: string;
  entity_id: string;
}

export interface FollowUp {
  id: string;
  customer_id: string;
  method: string;
  occurred_at: string;
  contact_id?: string | null;
  content: string;
  outcome?: string;
  intent_class?: string | null;
  next_follow_up_at?: string | null;
  owner_id?: string;
  created_by?: string;
  customer_name?: string;
  [k: string]: unknown;
}

export interface Opportunity {
  id: string;
  customer_id: string;
  customer_name?: string;
  name: string;
  title?: string;
  stage: string;
  amount?: { amount: string; currency: string } | null;
  expected_amount?: { amount: string; currency: string } | null;
  expected_close?: string | null;
  expected_close_date?: string | null;
  owner_id?: string;
  version: number;
  [k: string]: unknown;
}

export interface Settings {
  locale: string;
  time_zone: string;
  currency: string;
  approval_tiers: { max_amount: string | null; role: string }[];
  cadences: Record<string, number>;
  pool: {
    enabled: boolean;
    recycle_days_key: number;
    recycle_days_other: number;
    warn_days_before: number;
    claim_limit: number;
    reclaim_bar_days: number;
    exempt_deals: boolean;
    exempt_open_opportunities: boolean;
    recycle_on: string;
  };
  classification: Record<string, unknown>;
  complaint_sla_days: number;
  duplicate_policy: string;
  enabled_plugins: string[];
  custom_fields: { key: string; label: string; type: string; required: boolean; options: string[] | null }[];
  version: number;
}
