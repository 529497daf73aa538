// The browser tests' shared harness: the real server (the built binary, with the web app
// embedded) on a fresh SQLite database and a free port, driven through Debian's chromium by
// playwright-core, and optionally a real SMTP sink that keeps every mail the server sends.
//
// A test file calls useCRM once at its top; it registers the before/after hooks of that file
// (node --test runs each file in a process of its own, so one server per file):
//
//   import { useCRM, ui, newPage, signup, apiCall } from './harness.mjs';
//   const crm = useCRM({ smtp: true });
//   ui('a user does something', async () => { const page = await newPage(); … });
//
//   CRM_BIN=path/to/crm node --test e2e/      (make test-web builds everything first)
//
// Screenshots go to e2e/screenshots/ (not committed) for review.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { chromium } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const here = dirname(fileURLToPath(import.meta.url));
export const BIN = resolve(process.env.CRM_BIN || join(here, '../../../bin/crm'));
export const REPO = resolve(here, '../../..');
const CHROMIUM = process.env.CRM_CHROMIUM || '/usr/bin/chromium';
export const SHOTS = join(here, 'screenshots');
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

// crm is filled in by the before hook: base URL, the server's environment, its scratch folder,
// the browser, the log, and (with smtp) the mails received.
export const crm = { base: '', env: {}, work: '', browser: null, server: null, log: '', mails: [] };
// state carries pages and IDs from one test of a file to the next.
export const state = {};

export function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function waitReady(url, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url + '/readyz');
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    if (crm.server.exitCode !== null) throw new Error('server exited:\n' + crm.log);
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error('server not ready:\n' + crm.log);
}

// startSMTP starts a real SMTP server on loopback that accepts every message, parses it and
// keeps it in crm.mails as {from, to: [...], subject, text, html}.
async function startSMTP() {
  const port = await freePort();
  const srv = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((m) => {
          crm.mails.push({
            from: m.from?.text || '',
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: m.subject || '',
            text: m.text || '',
            html: typeof m.html === 'string' ? m.html : '',
          });
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise((res, rej) => {
    srv.once('error', rej);
    srv.listen(port, '127.0.0.1', res);
  });
  return { srv, port };
}

// waitMail waits for a mail to `to` (and, if given, whose subject or text matches `match`)
// and returns it.
export async function waitMail(to, match, ms = 15000) {
  const end = Date.now() + ms;
  for (;;) {
    const m = crm.mails.find((m) => m.to.includes(to) && (!match || match.test(m.subject) || match.test(m.text)));
    if (m) return m;
    if (Date.now() > end) throw new Error(`no mail to ${to} matching ${match}; received: ${JSON.stringify(crm.mails.map((m) => [m.to, m.subject]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// linkIn returns the first URL on the server's own base in a mail's text.
export function linkIn(mail) {
  const m = mail.text.match(new RegExp(crm.base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '/[^\\s"<>]+'));
  assert.ok(m, 'no link in mail: ' + mail.text);
  return m[0];
}

// useCRM registers the file's hooks. Options: plugins (example plugin folders under
// plugins/examples to build and install), smtp (start the mail sink and point the server at
// it), env (more environment for the server).
export function useCRM({ plugins = [], smtp = false, env = {} } = {}) {
  let sink;
  before(async () => {
    assert.ok(existsSync(BIN), `no server binary at ${BIN} (run make build)`);
    assert.ok(existsSync(CHROMIUM), `no chromium at ${CHROMIUM} (apt-get install chromium)`);
    crm.work = mkdtempSync(join(tmpdir(), 'crm-e2e-'));
    mkdirSync(SHOTS, { recursive: true });
    const port = await freePort();
    crm.base = `http://127.0.0.1:${port}`;
    crm.env = {
      ...process.env,
      CRM_ADDR: `127.0.0.1:${port}`,
      CRM_DATABASE_URL: `sqlite://${join(crm.work, 'crm.db')}`,
      CRM_SECRET_KEY: 'e2e-secret-key-e2e-secret-key-e2e-secret',
      CRM_PLUGIN_DIR: join(crm.work, 'plugins'),
      CRM_BASE_URL: crm.base,
      CRM_LOG_LEVEL: 'warn',
      ...env,
    };
    if (smtp) {
      sink = await startSMTP();
      crm.env.CRM_SMTP_URL = `smtp://127.0.0.1:${sink.port}`;
      crm.env.CRM_SMTP_FROM = 'crm@example.com';
    }
    // Plugins are built from the examples and installed like an operator would (the server
    // loads installed plugins when it starts).
    for (const name of plugins) {
      const bin = join(crm.work, name);
      execFileSync(process.env.GO || 'go', ['build', '-o', bin, './plugins/examples/' + name], { cwd: REPO, stdio: 'pipe' });
      execFileSync(BIN, ['plugins', 'install', bin], { env: crm.env, stdio: 'pipe' });
    }
    crm.server = spawn(BIN, ['serve'], { env: crm.env, stdio: ['ignore', 'pipe', 'pipe'] });
    crm.server.stdout.on('data', (d) => (crm.log += d));
    crm.server.stderr.on('data', (d) => (crm.log += d));
    await waitReady(crm.base);
    crm.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Playwright gives every launch a fresh --user-data-dir of its own.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await crm.browser?.close();
    if (crm.server && crm.server.exitCode === null) {
      crm.server.kill('SIGTERM');
      await new Promise((r) => crm.server.once('exit', r));
    }
    if (sink) await new Promise((r) => sink.srv.close(r));
    if (crm.work) rmSync(crm.work, { recursive: true, force: true });
  });
  return crm;
}

export async function newPage(viewport = DESKTOP, locale = 'zh-CN') {
  const ctx = await crm.browser.newContext({ viewport, locale, baseURL: crm.base, timezoneId: 'Asia/Shanghai' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  state.current = page;
  page.on('pageerror', (e) => {
    state.pageErrors = (state.pageErrors || []).concat(String(e));
  });
  // The server's Content-Security-Policy: a refused script, style, image or request shows
  // in the console.
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to (load|apply|execute|connect|frame|evaluate)/i.test(m.text())) {
      state.cspViolations = (state.cspViolations || []).concat(m.text());
    }
  });
  return page;
}

export async function shot(page, name) {
  await page.waitForTimeout(150);
  await page.screenshot({ path: join(SHOTS, name + '.png'), fullPage: false });
}

// ui is test() that leaves a screenshot of the current page when the test fails.
export function ui(name, fn) {
  return test(name, async (t) => {
    try {
      await fn(t);
    } catch (e) {
      const page = state.current || state.page;
      if (page && !page.isClosed()) await page.screenshot({ path: join(SHOTS, 'FAILED-' + name.replace(/[^\w]+/g, '-') + '.png') }).catch(() => {});
      throw e;
    }
  });
}

// signup registers a company through the web form and lands on its home page.
export async function signup(page, { company, slug, owner, email }) {
  await page.goto('/');
  await page.waitForURL(/\/login/);
  await page.getByRole('link', { name: '注册公司' }).click();
  await page.getByLabel('公司名称').fill(company);
  await page.getByLabel('公司代码').fill(slug);
  await page.getByLabel('管理员姓名').fill(owner);
  await page.getByLabel('邮箱').fill(email);
  await page.getByLabel('密码').fill('a long enough password');
  await page.getByRole('button', { name: '注册公司' }).click();
  await page.waitForURL(crm.base + '/');
  await page.getByRole('heading', { name: `您好，${owner}` }).waitFor();
}

// apiCall calls the API with the page's session cookie and CSRF token.
export async function apiCall(page, method, path, body) {
  return page.evaluate(
    async ([method, path, body]) => {
      const me = await (await fetch('/api/v1/me')).json();
      const r = await fetch(path, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : null };
    },
    [method, path, body],
  );
}

// addUser creates a user in the caller's department with the given roles, through the API as
// the signed-in page's user, and returns the new user.
export async function addUser(page, { name, email, password, roles }) {
  const me = await apiCall(page, 'GET', '/api/v1/me');
  const r = await apiCall(page, 'POST', '/api/v1/users', { name, email, password, department_id: me.body.user.department_id, roles });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
}

// login signs a user in through the login form and waits for their home page.
export async function login(page, { slug, email, password, name }) {
  await page.goto('/login');
  await page.getByLabel('公司代码').fill(slug);
  await page.getByLabel('邮箱').fill(email);
  await page.getByLabel('密码').fill(password);
  await page.getByRole('button', { name: '登录' }).click();
  if (name) await page.getByRole('heading', { name: `您好，${name}` }).waitFor();
}
