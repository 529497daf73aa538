// Browser test of after-sales service beyond the main path (app.test.mjs has register and
// dispatch): a technician at phone width records the parts and costs of the work and applies
// for remote service, the service manager approves it from the task list, the customer signs
// off through the link mailed to them and answers the opinion survey mailed after it; the fee
// is recorded for invoicing and the owner, as finance would, issues the invoice: a receivable.
import assert from 'node:assert/strict';
import { addUser, apiCall, crm, linkIn, login, newPage, PHONE, shot, signup, state, ui, useCRM, waitMail } from './harness.mjs';

useCRM({ smtp: true });

const slug = 'jingshi';
const contactEmail = 'wang.li@pujiang-yiqi.cn';

ui('set up: a company, its service people, a customer with a contact and a dispatched work order', async () => {
  const page = await newPage();
  state.page = page;
  await signup(page, { company: '精实设备服务有限公司', slug, owner: '陈总', email: 'chen@jingshi.cn' });
  state.tech = await addUser(page, { name: '周师傅', email: 'zhou@jingshi.cn', password: 'a technician password', roles: ['service_technician'] });
  state.mgr = await addUser(page, { name: '马经理', email: 'ma@jingshi.cn', password: 'a manager password', roles: ['service_manager'] });
  const product = await apiCall(page, 'POST', '/api/v1/products', { code: 'BRG-6205', name: '主轴轴承', price: { amount: '180.00', currency: 'CNY' } });
  assert.equal(product.status, 201, JSON.stringify(product.body));
  const cust = await apiCall(page, 'POST', '/api/v1/customers', { type: 'enterprise', name: '浦江仪器' });
  assert.equal(cust.status, 201, JSON.stringify(cust.body));
  const contact = await apiCall(page, 'POST', `/api/v1/customers/${cust.body.id}/contacts`, { name: '王丽', email: contactEmail, is_primary: true });
  assert.equal(contact.status, 201, JSON.stringify(contact.body));
  const wo = await apiCall(page, 'POST', '/api/v1/work-orders', { customer_id: cust.body.id, contact_id: contact.body.id, model: 'CK6140', fault: '主轴异响',
    channel: 'phone', urgency: 'high', type: 'paid', type_reason: '客户自费维修' });
  assert.equal(wo.status, 201, JSON.stringify(wo.body));
  const d = await apiCall(page, 'POST', `/api/v1/work-orders/${wo.body.id}/dispatch`, { technician_id: state.tech.id });
  assert.equal(d.status, 200, JSON.stringify(d.body));
  state.wo = d.body;
});

ui('the technician applies for remote service at phone width; the work cannot start before approval', async () => {
  const p = await newPage(PHONE);
  await login(p, { slug, email: 'zhou@jingshi.cn', password: 'a technician password', name: '周师傅' });
  await p.goto('/service/work-orders/' + state.wo.id);
  await p.getByTestId('work-order').getByText('主轴异响').waitFor();
  await p.getByRole('button', { name: '接单' }).click();
  await p.getByRole('button', { name: '开始服务' }).waitFor();
  await p.getByLabel('目的地').fill('苏州工业园区');
  const dates = p.locator('.ant-picker-range input');
  await dates.nth(0).click();
  await dates.nth(0).fill('2026-12-08');
  await dates.nth(0).press('Enter');
  await dates.nth(1).fill('2026-12-10');
  await dates.nth(1).press('Enter');
  await p.getByLabel('事由').fill('客户现场更换主轴轴承');
  await p.getByRole('button', { name: '添加费用' }).last().click();
  await p.getByLabel('金额 1').last().fill('800');
  await p.getByRole('button', { name: '提交异地服务申请' }).click();
  await p.getByTestId('remote-application').filter({ hasText: '待审批' }).getByText('苏州工业园区').waitFor();
  const w = (await apiCall(p, 'GET', '/api/v1/work-orders/' + state.wo.id)).body;
  assert.equal(w.remote, true);
  const apps = (await apiCall(p, 'GET', `/api/v1/work-orders/${state.wo.id}/remote-applications`)).body.items;
  assert.equal(apps.length, 1);
  assert.equal(apps[0].from, '2026-12-08');
  assert.equal(apps[0].to, '2026-12-10');
  assert.deepEqual(apps[0].estimated_costs, [{ kind: 'travel', amount: { amount: '800.00', currency: 'CNY' } }]);
  // Not approved yet: starting is refused and the work order stays accepted.
  await p.getByRole('button', { name: '开始服务' }).click();
  await p.locator('.ant-message-error').waitFor();
  assert.equal((await apiCall(p, 'GET', '/api/v1/work-orders/' + state.wo.id)).body.status, 'accepted');
  await shot(p, 'service-remote-phone');
  state.phone = p;
  state.current = p;
});

ui('the service manager approves the application from the task list', async () => {
  const m = await newPage();
  state.current = m;
  await login(m, { slug, email: 'ma@jingshi.cn', password: 'a manager password', name: '马经理' });
  const item = m.getByTestId('remote-approval').filter({ hasText: state.wo.number });
  await item.getByText('苏州工业园区').waitFor();
  await item.getByText('客户现场更换主轴轴承').waitFor();
  await shot(m, 'service-remote-approval');
  await item.getByRole('button', { name: '批准' }).click();
  await item.waitFor({ state: 'detached' });
  const apps = (await apiCall(m, 'GET', `/api/v1/work-orders/${state.wo.id}/remote-applications`)).body.items;
  assert.equal(apps[0].status, 'approved');
  await m.context().close();
});

ui('the technician records parts and costs at phone width and completes the work', async () => {
  const p = state.phone;
  state.current = p;
  await p.reload();
  await p.getByTestId('remote-application').filter({ hasText: '已批准' }).waitFor();
  await p.getByRole('button', { name: '开始服务' }).click();
  await p.getByLabel('处理情况').waitFor();
  await p.getByLabel('处理情况').fill('更换主轴轴承，试车正常');
  await p.getByLabel('工时').fill('3');
  await p.getByRole('button', { name: '添加配件' }).click();
  await p.getByRole('combobox', { name: '配件 1' }).click();
  await p.getByTitle('BRG-6205 主轴轴承').click();
  await p.getByLabel('数量 1').fill('2');
  await p.getByLabel('批号 1').fill('B2026-11');
  await p.getByRole('button', { name: '添加费用' }).first().click();
  await p.getByLabel('金额 1').first().fill('650');
  // Nothing spills past the phone's width.
  const wide = await p.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(wide <= 390 + 1, `page is ${wide}px wide at phone width`);
  await shot(p, 'service-parts-costs-phone');
  await p.getByRole('button', { name: '保存记录' }).click();
  const rec = p.getByTestId('service-record').filter({ hasText: '更换主轴轴承' });
  await rec.getByText(/主轴轴承 × 2 \(B2026-11\)/).waitFor();
  await rec.getByText(/差旅 .*650/).waitFor();
  const records = (await apiCall(p, 'GET', `/api/v1/work-orders/${state.wo.id}/records`)).body.items;
  assert.equal(records.length, 1);
  assert.equal(records[0].parts[0].batch, 'B2026-11');
  assert.equal(Number(records[0].parts[0].quantity), 2);
  assert.deepEqual(records[0].costs, [{ kind: 'travel', amount: { amount: '650.00', currency: 'CNY' } }]);
  await p.getByRole('button', { name: '完工' }).click();
  await p.getByRole('button', { name: '邮件发送签收链接' }).click();
  await p.getByTestId('sign-off-mail').getByText(contactEmail).waitFor();
});

ui('the customer signs off through the mailed link, then answers the mailed survey', async () => {
  const mail = await waitMail(contactEmail, /签收/);
  assert.match(mail.subject, new RegExp(state.wo.number));
  assert.match(mail.text, /王丽 您好/);
  const url = linkIn(mail);
  const c = await newPage(PHONE);
  state.current = c;
  await c.goto(url.replace(crm.base, ''));
  await c.getByTestId('public-work-order').getByText('主轴异响').waitFor();
  await c.getByLabel('签收人姓名').fill('王丽');
  await c.getByRole('button', { name: '确认签收' }).click();
  await c.getByText('感谢您的签收').waitFor();
  await c.reload();
  await c.getByText('此链接已使用或已过期').waitFor();
  assert.equal((await apiCall(state.page, 'GET', '/api/v1/work-orders/' + state.wo.id)).body.status, 'signed_off');

  // The sign-off sends the opinion survey; the customer answers it on the public page.
  const sv = await waitMail(contactEmail, /评价/);
  const surveyURL = linkIn(sv);
  assert.notEqual(surveyURL, url);
  await c.goto(surveyURL.replace(crm.base, ''));
  for (const dim of ['服务态度', '服务技术', '到达时间', '遵守承诺']) {
    await c.locator('.ant-form-item').filter({ hasText: dim }).getByText('很满意').click();
  }
  await c.getByLabel('建议').fill('师傅很专业');
  await c.getByRole('button', { name: '提交' }).click();
  await c.getByText('感谢您的宝贵意见').waitFor();
  await shot(c, 'service-survey-answered');
  const list = (await apiCall(state.page, 'GET', '/api/v1/surveys?work_order_id=' + state.wo.id)).body.items;
  assert.equal(list.length, 1);
  assert.equal(list[0].status, 'answered');
  assert.equal(list[0].suggestions, '师傅很专业');
  await c.context().close();
  assert.deepEqual(state.pageErrors || [], []);
});

ui('the fee of the paid work is recorded for invoicing, and the invoice issued makes a receivable', async () => {
  const page = state.page;
  state.current = page;
  await page.goto('/service/work-orders/' + state.wo.id);
  const fee = page.getByTestId('work-order-fee');
  await fee.getByLabel('收费金额').fill('650');
  await fee.locator('.ant-select').click();
  await page.getByTitle('开票收款', { exact: true }).click();
  await fee.getByRole('button', { name: '登记收费' }).click();
  await fee.getByText('待开票').waitFor();
  await fee.getByLabel('发票号').fill('FP-2026-0088');
  await fee.getByRole('button', { name: '开具发票' }).click();
  await fee.getByText(/已开票 · FP-2026-0088/).waitFor();
  await shot(page, 'service-fee-invoiced');
  const wo = (await apiCall(page, 'GET', '/api/v1/work-orders/' + state.wo.id)).body;
  assert.equal(wo.status, 'invoiced');
  assert.deepEqual(wo.fee, { amount: '650.00', currency: 'CNY' });
  const rec = (await apiCall(page, 'GET', '/api/v1/installments?work_order_id=' + state.wo.id)).body.items;
  assert.equal(rec.length, 1);
  assert.deepEqual(rec[0].amount, { amount: '650.00', currency: 'CNY' });
  // The receivable is on the sales module's receivables screen, naming the work order.
  await page.goto('/sales/receivables');
  await page.getByRole('link', { name: new RegExp(state.wo.number) }).waitFor();
  assert.deepEqual(state.pageErrors || [], []);
});
