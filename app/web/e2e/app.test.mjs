// Browser tests of the core product: sign up, customers, sales, service, settings, plugins and
// the platform console, in one company whose state carries from one test to the next.
// The server, browser and helpers come from harness.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useCRM, crm, state, ui, newPage, shot, signup, apiCall, login, addUser, BIN, DESKTOP, PHONE } from './harness.mjs';

useCRM({ plugins: ['commercialvehicle'] });

ui('sign up a company and land on the home page', async () => {
  const page = await newPage();
  state.page = page;
  await signup(page, { company: '华东精密机械', slug: 'huadong', owner: '王经理', email: 'wang@huadong.cn' });
  await page.getByText('华东精密机械').first().waitFor();
  await shot(page, 'home-empty');
});

ui('API validation errors appear on their form fields', async () => {
  const page = state.page;
  await page.goto('/customers/new');
  await page.getByTestId('customer-name').fill('字段错误测试');
  await page.getByLabel('邮箱').fill('not-an-email');
  await page.getByTestId('customer-save').click();
  // The server's message for the email field shows under that field.
  const item = page.locator('.ant-form-item').filter({ has: page.getByLabel('邮箱') });
  await item.locator('.ant-form-item-explain-error').waitFor();
  assert.match(await item.locator('.ant-form-item-explain-error').innerText(), /.+/);
  assert.equal(page.url(), crm.base + '/customers/new');
  await shot(page, 'customer-form-errors');
});

ui('create a customer and find it by a two-character Chinese search', async () => {
  const page = state.page;
  await page.goto('/customers/new');
  await page.getByTestId('customer-name').fill('上海浦江精密仪器有限公司');
  await page.getByLabel('电话').fill('13812345678');
  await page.getByLabel('行业').fill('仪器仪表');
  await page.getByLabel('城市').fill('上海');
  await page.getByTestId('customer-save').click();
  await page.waitForURL(/\/customers\/[0-9a-f-]{36}$/);
  state.customerId = page.url().split('/').pop();
  await page.getByTestId('customer-title').filter({ hasText: '上海浦江精密仪器有限公司' }).waitFor();
  await shot(page, 'customer-detail');

  // Two more so that the search has something to leave out.
  for (const name of ['北京朝阳贸易公司', '深圳南山科技公司']) {
    const r = await apiCall(page, 'POST', '/api/v1/customers', { type: 'enterprise', name });
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
  await page.goto('/customers');
  await page.getByText('北京朝阳贸易公司').waitFor();
  await page.getByTestId('customer-search').fill('浦江');
  await page.getByTestId('customer-search').press('Enter');
  await page.waitForURL(/q=/);
  const rows = page.locator('.ant-table-tbody tr.ant-table-row');
  await rows.first().getByText('上海浦江精密仪器有限公司').waitFor();
  assert.equal(await rows.count(), 1);
  await shot(page, 'customer-list-search');
  await page.setViewportSize(PHONE);
  await shot(page, 'customer-list-phone');
  await page.goto('/customers/' + state.customerId);
  await page.getByTestId('customer-title').waitFor();
  await shot(page, 'customer-detail-phone');
  await page.setViewportSize(DESKTOP);
});

ui('duplicate warning on create, then merge the duplicate into the original', async () => {
  const page = state.page;
  await page.goto('/customers/new');
  await page.getByTestId('customer-name').fill('上海浦江精密仪器有限公司');
  await page.getByLabel('电话').click(); // leaving the name field looks for duplicates
  await page.locator('.ant-alert-warning').filter({ hasText: '可能重复的客户' }).waitFor();
  await page.getByTestId('customer-save').click();
  const dialog = page.getByRole('dialog').filter({ hasText: '可能重复的客户' });
  await dialog.waitFor();
  await shot(page, 'customer-duplicate');
  await dialog.getByTestId('create-anyway').click();
  await page.waitForURL(/\/customers\/[0-9a-f-]{36}$/);
  const dupId = page.url().split('/').pop();
  assert.notEqual(dupId, state.customerId);

  await page.goto('/customers/' + state.customerId);
  const warn = page.locator('.ant-alert-warning').filter({ hasText: '可能重复的客户' });
  await warn.getByRole('button', { name: '合并到本客户' }).click();
  await page.getByRole('dialog').getByRole('button', { name: '合并' }).click();
  await page.getByText('已合并').waitFor();
  const gone = await apiCall(page, 'GET', '/api/v1/customers/' + dupId);
  assert.equal(gone.status, 404);
});

ui('release a customer to the pool and claim it back', async () => {
  const page = state.page;
  const c = await apiCall(page, 'POST', '/api/v1/customers', { type: 'enterprise', name: '苏州工业园区物流公司' });
  assert.equal(c.status, 201);
  await page.goto('/customers/' + c.body.id);
  await page.getByRole('button', { name: '更多' }).click();
  await page.getByRole('menuitem', { name: '放入公海' }).click();
  await page.getByRole('dialog').getByRole('button', { name: '确定' }).click();
  await page.getByText('请填写原因').waitFor(); // a reason is required
  await page.getByRole('dialog').getByRole('textbox').fill('客户暂无采购计划');
  await page.getByRole('dialog').getByRole('button', { name: '确定' }).click();
  await page.getByText('已放入公海').waitFor();
  // By default the last owner may not claim a customer back for 7 days: lift that.
  const st = await apiCall(page, 'GET', '/api/v1/settings');
  const patched = await apiCall(page, 'PATCH', '/api/v1/settings', { version: st.body.version, pool: { reclaim_bar_days: 0 } });
  assert.equal(patched.status, 200, JSON.stringify(patched.body));
  await page.goto('/pool');
  const row = page.locator('.ant-table-row').filter({ hasText: '苏州工业园区物流公司' });
  await row.waitFor();
  await shot(page, 'pool');
  await row.getByRole('button', { name: '领取' }).click();
  await page.getByText('已领取“苏州工业园区物流公司”').waitFor();
  const after = await apiCall(page, 'GET', '/api/v1/customers/' + c.body.id);
  assert.equal(after.body.in_pool, false);
});

ui('edit a customer, export the list, delete and restore from the recycle bin', async () => {
  const page = state.page;
  const c = await apiCall(page, 'POST', '/api/v1/customers', { type: 'enterprise', name: '广州天河电子有限公司' });
  assert.equal(c.status, 201);
  await page.goto(`/customers/${c.body.id}/edit`);
  await page.getByLabel('行业').fill('电子元器件');
  await page.getByTestId('customer-save').click();
  await page.waitForURL(new RegExp(`/customers/${c.body.id}$`));
  await page.getByText('电子元器件').waitFor();
  // The timeline names the changed field by its label, not by its API name (industry).
  await page.locator('.ant-timeline').getByText('修改了客户：行业', { exact: true }).waitFor();
  // a data-card section
  await page.getByTestId('edit-card-business').click();
  await page.getByRole('dialog').getByLabel('合作态度').fill('积极，愿意签年度框架协议');
  await page.getByRole('dialog').getByRole('button', { name: '保存' }).click();
  await page.locator('.ant-descriptions').getByText('积极，愿意签年度框架协议').waitFor();
  await shot(page, 'customer-data-card');

  await page.goto('/customers?q=' + encodeURIComponent('天河'));
  await page.locator('.ant-table-row').filter({ hasText: '广州天河电子有限公司' }).waitFor();
  await page.getByRole('button', { name: '导出' }).hover();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'CSV' }).click()]);
  const file = join(crm.work, 'export.csv');
  await download.saveAs(file);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /广州天河电子有限公司/);
  assert.doesNotMatch(text, /上海浦江精密仪器有限公司/); // the export follows the list's search

  await page.goto('/customers/' + c.body.id);
  await page.getByRole('button', { name: '更多' }).click();
  await page.getByRole('menuitem', { name: '移入回收站' }).click();
  await page.getByRole('dialog').getByRole('button', { name: '删除' }).click();
  await page.waitForURL(/\/customers$/);
  await page.goto('/recycle-bin');
  const row = page.locator('.ant-table-row').filter({ hasText: '广州天河电子有限公司' });
  await row.waitFor();
  await shot(page, 'recycle-bin');
  await row.getByRole('button', { name: '恢复' }).click();
  await page.getByText('已恢复').waitFor();
  const back = await apiCall(page, 'GET', '/api/v1/customers/' + c.body.id);
  assert.equal(back.status, 200);
  assert.ok(!back.body.deleted_at);
});

ui('page through the customer list with the cursors', async () => {
  const page = state.page;
  const before = await apiCall(page, 'GET', '/api/v1/customers?limit=200');
  for (let i = before.body.items.length; i < 25; i++) {
    const r = await apiCall(page, 'POST', '/api/v1/customers', { type: 'individual', name: `翻页测试客户${String(i).padStart(2, '0')}` });
    assert.equal(r.status, 201);
  }
  await page.goto('/customers?sort=name');
  const rows = page.locator('.ant-table-tbody tr.ant-table-row');
  await rows.first().waitFor();
  assert.equal(await rows.count(), 20);
  const first = await rows.first().innerText();
  await page.getByTestId('next-page').click();
  await page.getByText('第 2 页').waitFor();
  await rows.first().waitFor();
  const second = await rows.count();
  assert.ok(second >= 5 && second <= 20, `page 2 has ${second} rows`);
  assert.notEqual(await rows.first().innerText(), first);
  await page.getByRole('button', { name: '上一页' }).click();
  await page.getByText('第 1 页').waitFor();
  assert.equal(await rows.first().innerText(), first);
});

ui('import customers from a CSV file with a column mapping and a progress bar', async () => {
  const page = state.page;
  const csv = join(crm.work, '客户.csv');
  writeFileSync(csv, '\ufeff公司名称,电话,城市,备注\n杭州西湖茶业有限公司,13900000001,杭州,老客户\n宁波港口机械有限公司,13900000002,宁波,\n,13900000003,温州,没有名称\n');
  await page.goto('/customers/import');
  await page.locator('input[type=file]').setInputFiles(csv);
  // "城市" maps itself; "公司名称" is not a label the server knows, so map it by hand.
  await page.locator('.ant-select').filter({ has: page.getByRole('combobox', { name: '客户字段 公司名称' }) }).click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '(name)' }).first().click();
  await page.locator('.ant-select').filter({ has: page.getByRole('combobox', { name: '客户字段 电话' }) }).click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '(phone)' }).first().click();
  await shot(page, 'import-mapping');
  await page.getByRole('button', { name: '开始导入' }).click();
  await page.locator('.ant-progress').waitFor();
  await page.getByText('导入完成').waitFor({ timeout: 30000 });
  await shot(page, 'import-done');
  const rows = await apiCall(page, 'GET', '/api/v1/customers?q=' + encodeURIComponent('西湖茶业'));
  assert.equal(rows.body.items.length, 1);
  assert.equal(rows.body.items[0].address.city, '杭州');
  // The row without a name is reported, not imported.
  await page.locator('.ant-table-row').filter({ hasText: '公司名称' }).filter({ hasText: '4' }).waitFor();
});

ui('log a follow-up and see it on the home page', async () => {
  const page = state.page;
  await page.goto('/customers/' + state.customerId);
  await page.getByTestId('log-followup').click();
  await page.getByTestId('followup-content').fill('电话沟通了采购需求，对方下周确认预算');
  // Next follow-up: today, so that it is due on the home page.
  // (the browser runs in Asia/Shanghai, like the tenant)
  const local = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(Date.now() + 60 * 60 * 1000));
  const picker = page.getByTestId('followup-next');
  await picker.click();
  await picker.fill(local);
  await picker.press('Enter');
  await page.getByTestId('followup-save').click();
  await page.getByText('跟进已记录').waitFor();
  await page.locator('.ant-list-item').filter({ hasText: '电话沟通了采购需求' }).first().waitFor();
  await page.goto('/');
  const tasks = page.getByTestId('tasks');
  await tasks.waitFor();
  await tasks.getByRole('link', { name: '上海浦江精密仪器有限公司' }).first().waitFor();
  await shot(page, 'home');
  await page.setViewportSize(PHONE);
  await shot(page, 'home-phone');
  await page.setViewportSize(DESKTOP);
});

ui('move an opportunity across the pipeline board', async () => {
  const page = state.page;
  const r = await apiCall(page, 'POST', '/api/v1/opportunities', { name: '浦江仪器年度采购', customer_id: state.customerId, amount: { amount: '120000.00', currency: 'CNY' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const opp = r.body;
  await page.goto('/pipeline');
  const card = page.getByTestId('opp-card-' + opp.id);
  await card.waitFor();
  assert.equal(await card.evaluate((el) => el.closest('[data-stage]').dataset.stage), 'info_collection');
  await card.dragTo(page.locator('[data-stage="needs_analysis"]'));
  await page.locator('[data-stage="needs_analysis"]').getByTestId('opp-card-' + opp.id).waitFor();
  await page.getByText('已移到').waitFor();
  const after = await apiCall(page, 'GET', '/api/v1/opportunities/' + opp.id);
  assert.equal(after.body.stage, 'needs_analysis');
  await shot(page, 'pipeline');
  // The keyboard moves it too: Alt+→ is the next stage.
  await card.focus();
  await page.keyboard.press('Alt+ArrowRight');
  await page.locator('[data-stage="demo"]').getByTestId('opp-card-' + opp.id).waitFor();
  assert.equal((await apiCall(page, 'GET', '/api/v1/opportunities/' + opp.id)).body.stage, 'demo');
  await card.getByText('浦江仪器年度采购').click();
  await page.getByRole('dialog').getByText('信息收集 → 需求分析').waitFor();
  await page.getByRole('dialog').getByText('需求分析 → 方案演示').waitFor();
  await shot(page, 'opportunity-drawer');
});

ui('convert a lead into a customer with an opportunity; the sales report', async () => {
  const page = state.page;
  await page.goto('/sales/leads');
  await page.getByRole('button', { name: '新建线索' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('线索名称').fill('陈先生');
  await dialog.getByLabel('公司').fill('无锡太湖纺织有限公司');
  await dialog.getByLabel('意向产品').fill('纺织机械');
  await dialog.getByRole('button', { name: '保存' }).click();
  const row = page.locator('.ant-table-row').filter({ hasText: '无锡太湖纺织有限公司' });
  await row.waitFor();
  await shot(page, 'leads');
  await row.getByRole('button', { name: '转为客户' }).click();
  await page.getByTestId('convert-ok').click();
  await page.waitForURL(/\/customers\/[0-9a-f-]{36}$/);
  await page.getByTestId('customer-title').filter({ hasText: '无锡太湖纺织有限公司' }).waitFor();
  await page.getByText('纺织机械').first().waitFor(); // its opportunity
  await page.goto('/reports');
  await page.getByText('赢单率').first().waitFor();
  await shot(page, 'reports');
});

ui('quote, contract and payment screens', async () => {
  const page = state.page;
  const prod = await apiCall(page, 'POST', '/api/v1/products', { code: 'CNC-01', name: '数控机床', price: { amount: '50000', currency: 'CNY' } });
  assert.equal(prod.status, 201, JSON.stringify(prod.body));
  const pickCustomer = async (dialog) => {
    await dialog.getByTestId('customer-picker').click();
    await page.getByTitle('上海浦江精密仪器有限公司').click();
  };
  // A product's drawer, opened from its address, edits the product.
  await page.goto('/sales/products?id=' + prod.body.id);
  let drawer = page.locator('.ant-drawer-content');
  await drawer.getByTestId('detail-edit').click();
  await drawer.getByLabel('类别').fill('机床设备');
  await drawer.getByTestId('detail-save').click();
  await drawer.getByTestId('detail').getByText('机床设备').waitFor();
  assert.equal((await apiCall(page, 'GET', '/api/v1/products/' + prod.body.id)).body.category, '机床设备');
  await page.goto('/sales/quotes');
  await page.getByRole('button', { name: '新建报价' }).click();
  let dialog = page.getByRole('dialog');
  await pickCustomer(dialog);
  await dialog.getByLabel('产品', { exact: true }).first().click();
  await page.getByTitle('数控机床 · ¥50,000.00').click();
  await dialog.getByRole('button', { name: '保存' }).click();
  const qrow = page.locator('.ant-table-row').filter({ hasText: '¥50,000.00' }).filter({ hasText: '草稿' });
  await qrow.waitFor();
  // The quote's detail drawer: its lines, and editing a draft's quantity and notes.
  await qrow.getByRole('button', { name: '详情' }).click();
  drawer = page.locator('.ant-drawer-content');
  await drawer.locator('.ant-table-row').filter({ hasText: '数控机床' }).waitFor();
  await drawer.getByTestId('detail-edit').click();
  await drawer.getByLabel('数量').fill('2');
  await drawer.getByLabel('备注').fill('含安装调试');
  await drawer.getByTestId('detail-save').click();
  await drawer.getByTestId('detail').getByText('含安装调试').waitFor();
  await drawer.getByTestId('detail').getByText('¥100,000.00').first().waitFor();
  await shot(page, 'quote-detail');
  // The drawer follows the address: opened from a link at phone width.
  await page.setViewportSize(PHONE);
  await page.reload();
  await drawer.getByTestId('detail').getByText('含安装调试').waitFor();
  await shot(page, 'quote-detail-phone');
  await page.setViewportSize(DESKTOP);
  await drawer.locator('.ant-drawer-close').click();
  await page.locator('.ant-table-row').filter({ hasText: '¥100,000.00' }).waitFor();

  await page.goto('/sales/contracts');
  await page.getByRole('button', { name: '新建合同' }).click();
  dialog = page.getByRole('dialog');
  await dialog.getByLabel('标题').fill('浦江仪器年度采购合同');
  await pickCustomer(dialog);
  await dialog.locator('input.ant-input-number-input').first().fill('8000');
  await dialog.getByRole('button', { name: '保存' }).click();
  const row = page.locator('.ant-table-row').filter({ hasText: '浦江仪器年度采购合同' });
  await row.getByRole('button', { name: '提交审批' }).click();
  await row.getByText('审批中').waitFor();
  await row.getByText('总经理').waitFor(); // 8,000 needs the general manager under the default tiers
  await shot(page, 'contracts');
  // Nobody approves what they own or submitted: the owner's home page does not offer it, and the
  // contract waits on a general manager's home page instead, linking to the contracts.
  await addUser(page, { name: '孙总经理', email: 'sun@huadong.cn', password: 'a general manager password', roles: ['general_manager'] });
  const ownerTasks = await apiCall(page, 'GET', '/api/v1/me/tasks');
  assert.equal(ownerTasks.status, 200);
  assert.ok(!(ownerTasks.body.approvals || []).some((a) => a.title === '浦江仪器年度采购合同'), JSON.stringify(ownerTasks.body.approvals));
  const gmPage = await newPage();
  await login(gmPage, { slug: 'huadong', email: 'sun@huadong.cn', password: 'a general manager password', name: '孙总经理' });
  const approvals = gmPage.locator('.ant-card').filter({ hasText: '待我审批' });
  await approvals.getByRole('link', { name: /浦江仪器年度采购合同/ }).click();
  await gmPage.waitForURL('**/sales/contracts');
  await gmPage.context().close();
  state.current = page;

  await page.goto('/sales/payments');
  await page.getByRole('button', { name: '登记回款' }).click();
  dialog = page.getByRole('dialog');
  await pickCustomer(dialog);
  await dialog.locator('input.ant-input-number-input').first().fill('3000');
  await dialog.getByLabel('付款方式').first().click();
  await page.getByTitle('银行转账').click();
  await dialog.getByRole('button', { name: '保存' }).click();
  const prow = page.locator('.ant-table-row').filter({ hasText: '¥3,000.00' }).filter({ hasText: '银行转账' });
  await prow.waitFor();
  // Correcting a payment in its drawer.
  await prow.getByRole('button', { name: '详情' }).click();
  drawer = page.locator('.ant-drawer-content');
  await drawer.getByTestId('detail-edit').click();
  await drawer.getByLabel('流水号').fill('HD-2026-001');
  await drawer.getByTestId('detail-save').click();
  await drawer.getByTestId('detail').getByText('HD-2026-001').waitFor();
  await shot(page, 'payment-detail');
  await drawer.locator('.ant-drawer-close').click();
  await page.locator('.ant-table-row').filter({ hasText: 'HD-2026-001' }).waitFor();

  const order = await apiCall(page, 'POST', '/api/v1/orders', { customer_id: state.customerId, amount: { amount: '3000', currency: 'CNY' } });
  assert.equal(order.status, 201, JSON.stringify(order.body));
  await page.goto('/sales/orders');
  const orow = page.locator('.ant-table-row').filter({ hasText: order.body.number });
  await orow.getByRole('button', { name: '标记为已发货' }).click();
  await orow.getByText('已发货', { exact: true }).waitFor();
});

ui('after-sales service: register, dispatch, work on site at phone width, the customer signs off by link', async () => {
  const page = state.page;
  await addUser(page, { name: '周师傅', email: 'zhou@huadong.cn', password: 'a technician password', roles: ['service_technician'] });

  // Customer service registers the call in the service register; the type is proposed.
  await page.goto('/service/work-orders');
  await page.getByRole('button', { name: '登记服务' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('customer-picker').click();
  await page.getByTitle('上海浦江精密仪器有限公司').click();
  await dialog.getByLabel('产品型号').fill('CNC-01 数控机床');
  await dialog.getByLabel('出厂编号/VIN').fill('SN-2026-0001');
  await dialog.getByLabel('受理渠道').click();
  await page.getByTitle('电话', { exact: true }).click();
  await dialog.getByLabel('紧急程度').click();
  await page.getByTitle('紧急', { exact: true }).click();
  await dialog.getByLabel('故障描述').fill('主轴异响，无法启动');
  await dialog.getByRole('button', { name: '保存' }).click();
  const row = page.locator('.ant-table-row').filter({ hasText: '已登记' }).first();
  await row.waitFor();
  const list = await apiCall(page, 'GET', '/api/v1/work-orders?status=registered');
  const wo = list.body.items[0];
  assert.ok(['paid', 'contract', 'free', 'internal'].includes(wo.type_proposed), JSON.stringify(wo));

  // The service manager drags it onto the technician on the dispatch board.
  await page.goto('/service/dispatch');
  const card = page.getByTestId('wo-' + wo.number);
  await card.waitFor();
  await card.dragTo(page.getByTestId('dispatch-tech-周师傅'));
  await page.getByTestId('dispatch-tech-周师傅').getByTestId('wo-' + wo.number).waitFor();
  await shot(page, 'dispatch-board');
  assert.equal((await apiCall(page, 'GET', '/api/v1/work-orders/' + wo.id)).body.status, 'dispatched');

  // The technician, on a phone, accepts, starts, records the work and completes it.
  const p = await newPage(PHONE);
  await login(p, { slug: 'huadong', email: 'zhou@huadong.cn', password: 'a technician password', name: '周师傅' });
  await p.goto('/service/my-work');
  await p.locator('.ant-table-row').filter({ hasText: wo.number }).getByRole('link', { name: '处理' }).click();
  await p.getByTestId('work-order').getByText('主轴异响').waitFor();
  await p.getByRole('button', { name: '接单' }).click();
  await p.getByRole('button', { name: '开始服务' }).click();
  await p.getByLabel('处理情况').fill('更换主轴轴承，试机正常');
  await p.getByLabel('工时').fill('2.5');
  await p.getByRole('button', { name: '保存记录' }).click();
  await p.getByTestId('service-record').filter({ hasText: '更换主轴轴承' }).waitFor();
  await p.getByRole('button', { name: '完工' }).click();
  await p.getByRole('button', { name: '生成签收链接' }).click();
  const url = (await p.getByTestId('sign-off-link').innerText()).split(' ')[0];
  await shot(p, 'work-order-phone');

  // The customer opens the link without an account and signs with a finger.
  const c = await newPage(PHONE);
  await c.goto(url.replace(crm.base, ''));
  await c.getByTestId('public-work-order').getByText('主轴异响').waitFor();
  await c.getByLabel('签收人姓名').fill('浦江 李工');
  const pad = await c.getByTestId('signature-pad').boundingBox();
  await c.mouse.move(pad.x + 20, pad.y + 70);
  await c.mouse.down();
  await c.mouse.move(pad.x + 120, pad.y + 40, { steps: 8 });
  await c.mouse.move(pad.x + 220, pad.y + 90, { steps: 8 });
  await c.mouse.up();
  await c.getByRole('button', { name: '确认签收' }).click();
  await c.getByText('感谢您的签收').waitFor();
  await shot(c, 'sign-off-public');
  // The link is used up.
  await c.reload();
  await c.getByText('此链接已使用或已过期').waitFor();
  await c.context().close();

  const done = (await apiCall(page, 'GET', '/api/v1/work-orders/' + wo.id)).body;
  assert.equal(done.status, 'signed_off');
  assert.equal(done.signer_name, '浦江 李工');
  assert.equal(done.has_signature, true);
  await p.context().close();
  state.current = page;

  // Customer service records the customer's opinion given on the phone; the month's results
  // show the technician's score.
  const sv = await apiCall(page, 'POST', '/api/v1/surveys', { work_order_id: wo.id,
    ratings: { attitude: 'very_satisfied', technique: 'satisfied', arrival_time: 'very_satisfied', promises: 'average' }, suggestions: '希望提前电话告知' });
  assert.ok([200, 201].includes(sv.status), JSON.stringify(sv.body));
  await page.goto('/service/survey-results');
  const results = page.getByTestId('survey-results').locator('.ant-table-row').filter({ hasText: '周师傅' });
  await results.waitFor();
  await results.getByText('3.25').waitFor(); // (4 + 3 + 4 + 2) / 4
  await results.getByText('75.0%').waitFor(); // three of the four at least satisfied
  await shot(page, 'survey-results');
});

ui('enable the commercial-vehicle module and use its screens', async () => {
  const page = state.page;
  await page.goto('/admin/plugins');
  const sw = page.getByTestId('plugin-switch-commercial-vehicle');
  await sw.waitFor();
  await sw.click();
  await page.getByRole('menuitem', { name: '商用车' }).waitFor();
  await shot(page, 'plugins');
  await page.goto('/cv/outlets');
  await page.getByRole('button', { name: '添加网点' }).click();
  let dialog = page.getByRole('dialog');
  await dialog.getByLabel('网点名称').fill('上海浦东服务站');
  await dialog.getByLabel('区域').fill('华东');
  await dialog.getByLabel('地址').fill('上海市浦东新区川沙路 100 号');
  await dialog.getByRole('button', { name: '保存' }).click();
  await page.locator('.ant-table-row').filter({ hasText: '上海浦东服务站' }).waitFor();
  await page.goto('/cv/vehicles');
  await page.getByRole('button', { name: '登记车辆' }).click();
  dialog = page.getByRole('dialog');
  await dialog.getByLabel('VIN').fill('LFV2A21K8H4000001');
  await dialog.getByLabel('车型').fill('解放J6P 牵引车');
  await dialog.getByTestId('customer-picker').click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '上海浦江精密仪器有限公司' }).click();
  await dialog.getByRole('button', { name: '保存' }).click();
  await page.locator('.ant-table-row').filter({ hasText: 'LFV2A21K8H4000001' }).waitFor();
  await page.goto('/cv/repairs');
  await page.getByRole('button', { name: '报修' }).click();
  dialog = page.getByRole('dialog');
  await dialog.getByLabel('VIN').click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').first().click();
  await dialog.getByLabel('网点').click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '上海浦东服务站' }).click();
  await dialog.getByLabel('故障描述').fill('发动机异响');
  await dialog.getByRole('button', { name: '保存' }).click();
  await page.locator('.ant-table-row').filter({ hasText: '发动机异响' }).getByText('已报修').waitFor();
  await shot(page, 'cv-repairs');
  // The module's purchase intent on the customer page.
  await page.goto('/customers/' + state.customerId);
  const prospect = page.getByTestId('cv-prospect');
  await prospect.getByText('尚未登记购车意向').waitFor();
  await prospect.getByTestId('cv-prospect-edit').click();
  await prospect.getByLabel('意向车型').fill('解放J7 牵引车');
  await prospect.getByLabel('数量').fill('3');
  await prospect.getByTestId('cv-prospect-save').click();
  await prospect.getByText('解放J7 牵引车').waitFor();
  const saved = await apiCall(page, 'GET', '/api/v1/ext/commercial-vehicle/prospects/' + state.customerId);
  assert.equal(saved.body.quantity, 3);
  await shot(page, 'cv-prospect');
});

ui("a second company's user cannot see the first company's customer", async () => {
  const page = await newPage();
  await signup(page, { company: '华南五金贸易', slug: 'huanan', owner: '李总', email: 'li@huanan.cn' });
  await page.goto('/customers?q=' + encodeURIComponent('浦江'));
  await page.locator('.ant-empty').first().waitFor();
  assert.equal(await page.locator('.ant-table-tbody tr.ant-table-row').count(), 0);
  const r = await apiCall(page, 'GET', '/api/v1/customers/' + state.customerId);
  assert.equal(r.status, 404);
  await page.goto('/customers/' + state.customerId);
  await page.locator('.ant-alert-error').waitFor();
  await page.context().close();
});

ui('switching the language changes the interface', async () => {
  const page = state.page;
  await page.goto('/customers');
  await page.getByRole('heading', { name: '客户列表' }).waitFor();
  const pick = async (label) => {
    await page.getByTestId('lang-switch').click();
    await page.locator('.ant-select-item-option').filter({ hasText: label }).click();
  };
  await pick('English');
  await page.getByRole('heading', { name: 'Customers' }).waitFor();
  await page.getByRole('button', { name: /New customer/ }).waitFor();
  await shot(page, 'customer-list-en');
  await pick('繁體中文');
  await page.getByRole('heading', { name: '客戶列表' }).waitFor();
  await pick('简体中文');
  await page.getByRole('heading', { name: '客户列表' }).waitFor();
});

ui('owner screens: settings, departments, users, roles, API tokens, audit log', async () => {
  const page = state.page;
  await page.goto('/admin/settings');
  await page.getByText('审批阈值').waitFor();
  const cadence = page.getByLabel('重点客户', { exact: true });
  await cadence.fill('10');
  await page.getByTestId('settings-save').click();
  await page.getByText('已保存').first().waitFor();
  const st = await apiCall(page, 'GET', '/api/v1/settings');
  assert.equal(st.body.cadences.key, 10);
  await shot(page, 'settings');

  await page.goto('/admin/departments');
  await page.locator('.ant-tree').waitFor();
  await page.getByRole('button', { name: '添加部门' }).click();
  await page.getByLabel('部门名称').fill('华东销售部');
  await page.getByRole('button', { name: '保存' }).click();
  await page.locator('.ant-tree').getByText('华东销售部').waitFor();
  await shot(page, 'departments');

  await page.goto('/admin/users');
  await page.getByRole('button', { name: '添加用户' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('姓名').fill('赵销售');
  await dialog.getByLabel('邮箱').fill('zhao@huadong.cn');
  await dialog.getByLabel('密码').fill('another long password');
  await dialog.getByLabel('所属部门').click();
  await page.getByTitle('华东销售部').click();
  await dialog.getByRole('button', { name: '保存' }).click();
  await page.locator('.ant-table-row').filter({ hasText: '赵销售' }).filter({ hasText: '销售人员' }).waitFor();

  await page.goto('/admin/roles');
  await page.getByText('数据范围').waitFor();
  await shot(page, 'roles');

  // An API token is shown once, when it is created; the list keeps its name and prefix.
  await page.goto('/admin/tokens');
  await page.getByText('还没有 API 令牌').waitFor();
  await page.getByLabel('令牌名称').fill('ERP 同步');
  await page.getByRole('button', { name: '创建令牌' }).click();
  await page.getByText('请立即复制此令牌，它只显示这一次。').waitFor();
  await page.locator('.ant-table-row').filter({ hasText: 'ERP 同步' }).waitFor();

  // The audit log, filtered by entity, has the product edited in its detail drawer earlier.
  await page.goto('/admin/audit');
  await page.getByRole('heading', { name: '操作日志' }).waitFor();
  await page.getByLabel('对象类型').fill('product');
  await page.getByLabel('对象类型').press('Enter');
  await page.locator('.ant-table-row').filter({ hasText: 'product' }).filter({ hasText: 'update' }).first().waitFor();
  await shot(page, 'audit');
});

ui('a user whose password the owner reset chooses their own before anything else', async () => {
  const page = state.page;
  const users = await apiCall(page, 'GET', '/api/v1/users?limit=200');
  const zhao = users.body.items.find((u) => u.email === 'zhao@huadong.cn');
  const reset = await apiCall(page, 'PATCH', '/api/v1/users/' + zhao.id, { version: zhao.version, password: 'a temporary password' });
  assert.equal(reset.status, 200, JSON.stringify(reset.body));
  const p = await newPage();
  await login(p, { slug: 'huadong', email: 'zhao@huadong.cn', password: 'a temporary password' });
  await p.getByText('设置新密码').first().waitFor();
  await shot(p, 'change-password');
  await p.getByLabel('临时密码').fill('a temporary password');
  await p.getByLabel('新密码', { exact: true }).fill('zhao chose this one');
  await p.getByLabel('确认新密码').fill('zhao chose something else');
  await p.getByRole('button', { name: '设置密码' }).click();
  await p.getByText('两次输入的密码不一致').waitFor();
  await p.getByLabel('确认新密码').fill('zhao chose this one');
  await p.getByRole('button', { name: '设置密码' }).click();
  await p.getByRole('heading', { name: '您好，赵销售' }).waitFor();
  await p.context().close();
  state.current = page;
});

ui('owner saves pool rules and a named pool; the pool page offers the pools', async () => {
  const page = state.page;
  const me = await apiCall(page, 'GET', '/api/v1/me');
  const depts = await apiCall(page, 'GET', '/api/v1/departments?limit=200');
  const ownDept = depts.body.items.find((d) => d.id === me.body.user.department_id).name;
  await page.goto('/admin/settings');
  const rules = page.getByTestId('settings-pool');
  await rules.getByLabel('原负责人禁领天数').fill('5');
  const pools = page.getByTestId('settings-pools');
  await pools.getByRole('button', { name: '添加公海' }).click();
  await pools.getByLabel('代码', { exact: true }).fill('Bad Key');
  await pools.getByLabel('名称', { exact: true }).fill('总部公海');
  await pools.getByLabel('部门', { exact: true }).click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: ownDept }).click();
  await page.keyboard.press('Escape');
  await pools.locator('.ant-select').filter({ has: page.getByLabel('回收条件') }).click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '长期未成交' }).click();
  // A custom customer field and a classification threshold, saved together with the pools.
  const cf = page.getByTestId('settings-custom-fields');
  await cf.getByRole('button', { name: '添加字段' }).click();
  await cf.getByLabel('字段代码').fill('cooperation');
  await cf.getByLabel('显示名称').fill('合作级别');
  await cf.locator('.ant-select').filter({ has: page.getByLabel('类型') }).click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '单选' }).click();
  const options = cf.getByLabel('选项');
  for (const o of ['战略', '普通']) {
    await options.fill(o);
    await options.press('Enter');
  }
  await page.keyboard.press('Escape');
  await page.getByTestId('settings-classification').getByLabel('重点客户：员工数不低于').fill('500');
  await page.getByTestId('settings-save').click();
  // The API's error for pools[0].key shows under that pool's key input.
  const keyItem = pools.locator('.ant-form-item').filter({ has: page.getByLabel('代码', { exact: true }) });
  await keyItem.locator('.ant-form-item-explain-error').filter({ hasText: '小写字母' }).waitFor();
  await shot(page, 'settings-pool-error');
  await pools.getByLabel('代码', { exact: true }).fill('hq');
  await page.getByTestId('settings-save').click();
  await page.getByText('已保存').first().waitFor();
  const st = await apiCall(page, 'GET', '/api/v1/settings');
  assert.equal(st.body.pool.reclaim_bar_days, 5);
  assert.equal(st.body.pools.length, 1);
  assert.equal(st.body.pools[0].key, 'hq');
  assert.equal(st.body.pools[0].rules.recycle_on, 'no_deal');
  assert.deepEqual(st.body.pools[0].department_ids, [me.body.user.department_id]);
  assert.deepEqual(st.body.custom_fields, [{ key: 'cooperation', label: '合作级别', type: 'choice', options: ['战略', '普通'], required: false }]);
  assert.equal(st.body.classification.key_min_employees, 500);
  await cf.scrollIntoViewIfNeeded();
  await shot(page, 'settings-custom-fields');
  await pools.scrollIntoViewIfNeeded();
  await shot(page, 'settings-pools');
  await page.setViewportSize(PHONE);
  await pools.scrollIntoViewIfNeeded();
  await shot(page, 'settings-pools-phone');
  await page.setViewportSize(DESKTOP);

  // The customer form offers the new field.
  await page.goto('/customers/new');
  await page.getByLabel('合作级别').waitFor();
  // A customer of the owner's department released now goes to the named pool.
  const c = await apiCall(page, 'POST', '/api/v1/customers', { type: 'enterprise', name: '嘉兴南湖机电有限公司' });
  assert.equal(c.status, 201);
  const rel = await apiCall(page, 'POST', `/api/v1/customers/${c.body.id}/release`, { version: c.body.version, reason: '转入公海' });
  assert.equal(rel.status, 200, JSON.stringify(rel.body));
  await page.goto('/pool');
  const select = page.getByTestId('pool-select');
  await select.click();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '默认公海' }).waitFor();
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option').filter({ hasText: '总部公海（1 个客户）' }).click();
  await page.waitForURL(/pool=hq/);
  await page.locator('.ant-table-row').filter({ hasText: '嘉兴南湖机电有限公司' }).waitFor();
  assert.equal(await page.locator('.ant-table-tbody tr.ant-table-row').count(), 1);
  await shot(page, 'pool-selector');
  await page.setViewportSize(PHONE);
  await shot(page, 'pool-selector-phone');
  await page.setViewportSize(DESKTOP);
});

ui('platform admins suspend and reactivate a tenant in their console', async () => {
  execFileSync(BIN, ['admin', 'create-platform-admin', '--email', 'ops@example.com', '--name', 'Ops'], { env: { ...crm.env, CRM_ADMIN_PASSWORD: 'platform admin password' }, stdio: 'pipe' });
  const page = await newPage();
  await page.goto('/platform/login');
  await page.getByLabel('邮箱').fill('ops@example.com');
  await page.getByLabel('密码').fill('platform admin password');
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/platform\/tenants/);
  await page.getByTestId('tenant-search').fill('华南');
  await page.getByTestId('tenant-search').press('Enter');
  await page.getByTestId('suspend-huanan').click();
  await page.getByTestId('suspend-confirm').click();
  await page.getByTestId('reactivate-huanan').waitFor();
  await shot(page, 'platform-tenants');
  await page.getByTestId('reactivate-huanan').click();
  await page.getByRole('dialog').getByRole('button', { name: '恢复' }).click();
  await page.getByTestId('suspend-huanan').waitFor();
  await page.context().close();
});

test('no script errors in the pages', () => {
  assert.deepEqual(state.pageErrors || [], []);
});

test('the pages ran under the Content-Security-Policy and broke none of it', async () => {
  const res = await fetch(crm.base + '/');
  assert.match(res.headers.get('content-security-policy') || '', /script-src 'self'/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.deepEqual(state.cspViolations || [], []);
});
