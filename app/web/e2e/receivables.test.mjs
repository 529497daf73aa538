// Browser test of invoiced after-sales work as a receivable: finance issues the invoice of a
// paid work order, the sales module's receivables list shows it with the work order's number
// (a link to the work order) where a contract's installment shows its contract, and a payment
// against the work order settles it.
import assert from 'node:assert/strict';
import { addUser, apiCall, newPage, shot, signup, state, ui, useCRM } from './harness.mjs';

useCRM();

const ok = (r, status = 200) => assert.equal(r.status, status, JSON.stringify(r.body));

ui('set up: a paid work order done, signed off and invoiced by finance', async () => {
  const page = await newPage();
  state.page = page;
  await signup(page, { company: '精实设备服务有限公司', slug: 'jingshi-ar', owner: '陈总', email: 'chen@jingshi-ar.cn' });
  const tech = await addUser(page, { name: '周师傅', email: 'zhou@jingshi-ar.cn', password: 'a technician password', roles: ['service_technician', 'service_manager'] });
  const cust = await apiCall(page, 'POST', '/api/v1/customers', { type: 'enterprise', name: '浦江仪器' });
  ok(cust, 201);
  state.customer = cust.body.id;
  let w = await apiCall(page, 'POST', '/api/v1/work-orders', { customer_id: cust.body.id, model: 'CK6140', fault: '主轴异响', channel: 'phone', urgency: 'normal' });
  ok(w, 201);
  const id = w.body.id;
  ok(await apiCall(page, 'POST', `/api/v1/work-orders/${id}/dispatch`, { technician_id: tech.id }));
  state.wo = w.body;
  state.techId = tech.id;
});

ui('the technician does the work (through the API as the owner, who may act for them), finance invoices it', async () => {
  const page = state.page;
  const id = state.wo.id;
  // The owner may take the technician's steps (workorder:assign).
  for (const step of ['accept', 'start']) ok(await apiCall(page, 'POST', `/api/v1/work-orders/${id}/${step}`, {}));
  const now = new Date();
  ok(await apiCall(page, 'POST', `/api/v1/work-orders/${id}/records`, { arrived_at: new Date(now - 3 * 3600e3).toISOString(), started_at: new Date(now - 2 * 3600e3).toISOString(),
    ended_at: new Date(now - 3600e3).toISOString(), work_done: '更换主轴轴承' }), 201);
  ok(await apiCall(page, 'POST', `/api/v1/work-orders/${id}/charge`, { fee: { amount: '680.00', currency: 'CNY' }, method: 'invoice' }));
  ok(await apiCall(page, 'POST', `/api/v1/work-orders/${id}/complete`, {}));
  ok(await apiCall(page, 'POST', `/api/v1/work-orders/${id}/sign-off`, { signer_name: '王丽' }));
  const inv = await apiCall(page, 'POST', `/api/v1/work-orders/${id}/invoice`, { invoice_number: 'FP-2026-0042' });
  ok(inv);
  assert.equal(inv.body.status, 'invoiced');
});

ui('the receivables list shows the work order number, linking to the work order; a payment settles it', async () => {
  const page = state.page;
  await page.goto('/sales/receivables');
  const row = page.locator('tr', { hasText: state.wo.number });
  await row.getByText('待收').waitFor();
  const link = row.getByRole('link', { name: new RegExp(state.wo.number) });
  await link.waitFor();
  await shot(page, 'receivables-work-order');
  await link.click();
  await page.waitForURL(new RegExp('/service/work-orders/' + state.wo.id));
  await page.getByText(state.wo.number).first().waitFor();

  const pay = await apiCall(page, 'POST', '/api/v1/payments', { customer_id: state.customer, work_order_id: state.wo.id, amount: { amount: '680.00', currency: 'CNY' }, method: 'bank_transfer' });
  ok(pay, 201);
  assert.equal(pay.body.unallocated.amount, '0.00');
  const list = await apiCall(page, 'GET', `/api/v1/installments?work_order_id=${state.wo.id}`);
  ok(list);
  assert.equal(list.body.items.length, 1);
  assert.equal(list.body.items[0].status, 'paid');
  await page.goto('/sales/receivables');
  await page.locator('tr', { hasText: state.wo.number }).getByText('已收清').waitFor();
  await shot(page, 'receivables-paid');
  assert.deepEqual(state.pageErrors || [], []);
});
