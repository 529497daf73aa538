import type { Money } from '../../api';

// The complaint's API shapes and the workflow the case page offers (API.md, Complaints).

export const CHANNELS = ['phone', 'email', 'web', 'visit', 'survey'] as const;
export const CATEGORIES = ['quality', 'transport', 'handling', 'service', 'other'] as const;
export const SEVERITIES = ['normal', 'severe'] as const;
export const STATUSES = ['received', 'investigating', 'plan_proposed', 'approved', 'resolving', 'resolved', 'closed', 'waiting_customer'] as const;
export const KINDS = ['replacement', 'repair', 'discount', 'compensation', 'return'] as const;

export interface Complaint {
  id: string; number: string; customer_id: string; contact_id: string | null; channel: string; received_at: string;
  content: string; category: string; order_number: string; batch: string; ship_date: string | null;
  defective_quantity: number | null; severity: string; status: string; outcome: string;
  responsible_department_id: string | null; responsible_user_id: string | null; root_cause: string; handler_id: string | null;
  due_at: string | null; report_due_at: string | null; sla_status: 'on_track' | 'due_soon' | 'overdue'; paused: boolean;
  reopened_from_id: string | null; reopened_to_id: string | null; ack_sent_at: string | null; version: number;
  history?: { id: string; action: string; from_status: string; to_status: string; comment: string; actor_id: string | null; at: string }[];
}

export interface Remedy {
  id: string; kind: string; amount: Money | null; quantity: number | null; description: string; status: string;
  approver_role: string; proposed_by: string | null; work_order_id: string | null; quantity_received: number | null;
}

export interface Penalty {
  id: string; department_id: string | null; user_id: string | null; kind: string; amount: Money | null; reason: string; status: string;
}

// moves are the workflow buttons of each status (waiting_customer returns to the status it
// paused: the server answers 409 for any other, so the page offers the one it can infer).
export const moves: Record<string, string[]> = {
  received: ['investigating', 'waiting_customer'],
  investigating: ['plan_proposed', 'waiting_customer'],
  plan_proposed: ['approved', 'investigating', 'waiting_customer'],
  approved: ['resolving', 'waiting_customer'],
  resolving: ['resolved', 'waiting_customer'],
  resolved: ['closed'],
};

// pausedFrom is the status a waiting case goes back to: the last move into waiting_customer.
export function pausedFrom(c: Complaint): string | null {
  const h = c.history || [];
  for (let i = h.length - 1; i >= 0; i--) if (h[i].to_status === 'waiting_customer') return h[i].from_status;
  return null;
}

export const slaColor: Record<string, string> = { on_track: 'green', due_soon: 'orange', overdue: 'red' };
