// Browser test of complaints: customer service takes a complaint in from the customer's page
// (the contact gets the acknowledgement by mail), investigates and proposes a remedy; the sales
// manager, whom the approval tiers name for the amount, approves it from the task list; the case
// is resolved, and when the customer does not accept, a linked follow-up case opens.
import assert from 'node:assert/strict';
import { useCRM, crm, state, ui, newPage, shot, signup, apiCall, addUser, login, waitMail } from './harness.mjs';

useCRM({ smtp: true });

const slug = 'kesu';
const password = 'another good password';

ui('set up: a company, customer service, a sales manager and a customer with a contact', async () => {
  const page = await newPage();
  state.owner = page;
  await signup(page, { company: '客诉测试机械', slug, owner: '周总', email: 'zhou@kesu.cn' });
  await addUser(page, { name: '客服小王', email: 'wang@kesu.cn', password, roles: ['customer_service'] });
  await addUser(page, { name: '销售经理老李', email: 'li@kesu.cn', password, roles: ['sales_manager'] });
  const c = await apiCall(page, 'POST', '/api/v1/customers', { type: 'enterprise', name: '华东轴承厂' });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  state.customerId = c.body.id;
  const ct = await apiCall(page, 'POST', `/api/v1/customers/${c.body.id}/contacts`, { name: '陈工', email: 'chen@huadong-bearing.cn', is_primary: true });
  assert.equal(ct.status, 201, JSON.stringify(ct.body));
});

ui('customer service takes a complaint in from the customer page', async () => {
  const page = await newPage();
  state.cs = page;
  await login(page, { slug, email: 'wang@kesu.cn', password, name: '客服小王' });
  await page.goto(`/customers/${state.customerId}`);
  await page.getByTestId('file-complaint').click();
  await page.waitForURL(/\/complaints\/new\?customer_id=/);
  await page.getByTestId('complaint-intake').getByText('华东轴承厂').waitFor();
  await page.getByLabel('投诉内容').fill('第三批轴承有裂纹，影响装配');
  await page.getByLabel('订单编号').fill('SO-2026-0042');
  await page.getByLabel('不良数量').fill('12');
  await page.getByRole('button', { name: '保存' }).click();
  await page.waitForURL(/\/complaints\/[0-9a-f-]{36}$/);
  state.caseUrl = page.url();
  const number = await page.getByTestId('complaint-number').innerText();
  assert.match(number, /^KS-\d{4}-\d{6}$/);
  state.number = number;
  assert.equal(await page.getByTestId('complaint-status').innerText(), '已受理');
  assert.equal(await page.getByTestId('sla-badge').getAttribute('data-sla'), 'on_track');
  await shot(page, 'complaint-received');
  // The contact is told the case number and the promised date.
  const mail = await waitMail('chen@huadong-bearing.cn', new RegExp(number));
  assert.match(mail.text, /\d{4}-\d{2}-\d{2}/);
  // The case is on customer service's own list, with its badge.
  await page.goto('/complaints/mine');
  await page.getByTestId('complaint-list').getByText(number).waitFor();
  await page.getByTestId('complaint-list').getByTestId('sla-badge').first().waitFor();
  await shot(page, 'complaints-mine');
});

ui('investigation and a plan: a compensation the sales manager must approve', async () => {
  const page = state.cs;
  await page.goto(state.caseUrl);
  await page.getByTestId('move-investigating').click();
  await page.getByTestId('complaint-status').filter({ hasText: '调查中' }).waitFor();
  const form = page.getByTestId('propose-remedy');
  await form.locator('.ant-select').first().click();
  await page.locator('.ant-select-item-option', { hasText: '赔款' }).click();
  await form.getByPlaceholder('金额').fill('800');
  await form.getByPlaceholder('说明').fill('赔偿误工损失');
  await form.getByRole('button', { name: '提出方案' }).click();
  const row = page.getByTestId('remedies').locator('tr.ant-table-row').first();
  await row.getByText('待审批').waitFor();
  await row.getByText('销售经理').waitFor();
  // Customer service cannot approve it, and the plan cannot be approved while it waits.
  assert.equal(await row.getByTestId('approve-remedy').count(), 0);
  await page.getByTestId('move-plan_proposed').click();
  await page.getByTestId('complaint-status').filter({ hasText: '已提出方案' }).waitFor();
  await shot(page, 'complaint-plan');
});

ui('the sales manager approves from the task list', async () => {
  const page = await newPage();
  state.mgr = page;
  await login(page, { slug, email: 'li@kesu.cn', password, name: '销售经理老李' });
  await page.getByText('待我审批').waitFor();
  await page.getByRole('link', { name: new RegExp(state.number) }).click();
  await page.waitForURL(state.caseUrl);
  await page.getByTestId('approve-remedy').click();
  await page.getByTestId('remedies').getByText('已批准').waitFor();
  // The last decision approves the plan.
  await page.getByTestId('complaint-status').filter({ hasText: '方案已批准' }).waitFor();
  await shot(page, 'complaint-approved');
});

ui('resolution, and the customer does not accept: a linked follow-up case', async () => {
  const page = state.cs;
  await page.goto(state.caseUrl);
  await page.getByTestId('move-resolving').click();
  await page.getByTestId('complaint-status').filter({ hasText: '处理中' }).waitFor();
  await page.getByTestId('move-resolved').click();
  await page.getByTestId('complaint-status').filter({ hasText: '已解决' }).waitFor();
  await page.getByTestId('reopen').click();
  await page.getByTestId('ask-comment').fill('客户认为赔偿金额不足');
  await page.getByRole('button', { name: /OK|确\s*定/ }).click();
  await page.waitForURL((u) => u.href !== state.caseUrl && /\/complaints\/[0-9a-f-]{36}$/.test(u.pathname));
  const next = await page.getByTestId('complaint-number').filter({ hasNotText: state.number }).innerText();
  assert.notEqual(next, state.number);
  assert.equal(await page.getByTestId('complaint-status').innerText(), '已受理');
  await page.getByText('原客诉').waitFor();
  const id = page.url().split('/').pop();
  const r = await apiCall(page, 'GET', `/api/v1/complaints/${id}`);
  assert.equal(r.body.reopened_from_id, state.caseUrl.split('/').pop());
  await shot(page, 'complaint-follow-up');
  // The original is closed as not accepted and points to the follow-up.
  await page.goto(state.caseUrl);
  await page.getByTestId('complaint-status').filter({ hasText: '已结案' }).waitFor();
  await page.getByTestId('reopened-to').waitFor();
  assert.deepEqual(state.pageErrors || [], []);
  assert.deepEqual(state.cspViolations || [], []);
});
