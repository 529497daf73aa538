// Browser test of outgoing webhooks: the owner registers an endpoint pointing at a receiver this
// test runs on loopback (the server allows loopback receivers only because this test sets
// CRM_WEBHOOK_ALLOW_LOOPBACK=1), copies the secret shown once, sends a test event and reads the
// delivery log; a customer created afterwards reaches the receiver as customer.created. The
// receiver checks every signature with the Standard Webhooks algorithm.
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { after, before } from 'node:test';
import { apiCall, newPage, shot, signup, state, ui, useCRM } from './harness.mjs';

useCRM({ env: { CRM_WEBHOOK_ALLOW_LOOPBACK: '1' } });

const received = [];
let receiver;
before(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"received":true}');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
});
after(() => new Promise((r) => receiver.close(r)));

// verified reports whether one of the request's signatures is the secret's over id.timestamp.body.
function verified(secret, { headers, body }) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const want = createHmac('sha256', key).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest();
  return String(headers['webhook-signature'] || '').split(' ').some((s) => {
    const [v, sig] = s.split(',');
    const got = Buffer.from(sig || '', 'base64');
    return v === 'v1' && got.length === want.length && timingSafeEqual(got, want);
  });
}

async function until(fn, ms = 20000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 250));
  }
}

ui('the owner registers an endpoint, sends a test event and reads its delivery log', async () => {
  const page = await newPage();
  state.page = page;
  await signup(page, { company: '钩子科技有限公司', slug: 'gouzi', owner: '林总', email: 'lin@gouzi.cn' });
  await page.goto('/admin/webhooks');
  const url = `http://127.0.0.1:${receiver.address().port}/crm-events`;
  await page.getByLabel('接收地址').fill(url);
  await page.getByRole('combobox', { name: '事件类型' }).click();
  await page.keyboard.type('customer.created');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: '登记端点' }).click();
  const secret = (await page.getByTestId('webhook-secret').innerText()).trim();
  assert.match(secret, /^whsec_/);
  await page.getByRole('cell', { name: url }).waitFor();

  await page.getByRole('button', { name: '发送测试事件' }).click();
  const test = await until(() => received.find((r) => r.body.includes('"webhook.test"')));
  assert.ok(verified(secret, test), 'the test event verifies with the secret shown');

  await page.getByRole('button', { name: '投递记录' }).click();
  const log = page.getByTestId('webhook-log');
  await until(async () => {
    await log.getByRole('button', { name: '刷新' }).click();
    await page.waitForTimeout(300);
    return (await log.getByRole('row').filter({ hasText: 'webhook.test' }).filter({ hasText: '已送达' }).count()) > 0;
  });
  await shot(page, 'webhooks-log');

  // A real event: the customer created reaches the receiver signed, in the next rounds.
  const c = await apiCall(page, 'POST', '/api/v1/customers', { type: 'enterprise', name: '浦江仪器' });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  const ev = await until(() => received.find((r) => r.body.includes('"customer.created"')));
  assert.ok(verified(secret, ev));
  const body = JSON.parse(ev.body);
  assert.equal(body.data.customer.id, c.body.id);
  assert.equal(body.data.customer.name, '浦江仪器');
  await until(async () => {
    await log.getByRole('button', { name: '刷新' }).click();
    await page.waitForTimeout(300);
    return (await log.getByRole('row').filter({ hasText: 'customer.created' }).filter({ hasText: '已送达' }).count()) > 0;
  });
  // The attempt's details: HTTP status and the receiver's answer.
  await log.getByRole('row').filter({ hasText: 'customer.created' }).getByRole('button', { name: /expand|展开/i }).click();
  await log.getByRole('row').filter({ hasText: '{"received":true}' }).filter({ hasText: '200' }).last().waitFor();
  await shot(page, 'webhooks-attempts');
});

ui('a private address is refused even with loopback receivers allowed', async () => {
  const r = await apiCall(state.page, 'POST', '/api/v1/webhooks', { url: 'http://10.0.0.8/hook', event_types: ['customer.created'] });
  assert.equal(r.status, 422);
  assert.equal(r.body.errors[0].code, 'blocked_address');
});
