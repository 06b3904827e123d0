// Shared helpers: one Chromium for the run, contexts that record every CSP violation and page
// error, users made through the public API, and an axe-core scan.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { chromium, request } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export const BASE = process.env.TUDU_URL || 'http://127.0.0.1:8000';
export const PASSWORD = 'correct horse battery staple';

let serial = 0;

/** A fresh email for this run. */
export function uniqueEmail(prefix = 'web') {
  serial += 1;
  return `${prefix}-${Date.now()}-${serial}@example.com`;
}

/** Debian's Chromium, headless. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A browser context whose pages report CSP violations, uncaught errors and dialogs (an XSS
 * payload that ran would open one) into `problems`; `check()` fails the test if any occurred.
 */
export async function openContext(browser, options = {}) {
  const context = await browser.newContext({ baseURL: BASE, viewport: { width: 1280, height: 900 }, ...options });
  const problems = [];
  await context.exposeBinding('__tuduReport', (_source, text) => problems.push(text));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__tuduReport(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  context.on('page', (page) => watch(page, problems));
  const page = await context.newPage();
  return {
    context,
    page,
    problems,
    check() {
      assert.deepEqual(problems, [], 'the page reported problems');
    },
  };
}

function watch(page, problems) {
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog opened: ${dialog.message()}`);
    dialog.dismiss().catch(() => {});
  });
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() === 'error' && !/status of (400|401|403|404|409|412|422)/.test(text)) {
      problems.push(`console error: ${text}`);
    }
  });
}

/** Signs a user up through the REST API; returns {email, token, api} (api: bearer requests). */
export async function apiUser(extra = {}) {
  const email = uniqueEmail('api');
  const ctx = await request.newContext({ baseURL: BASE });
  const res = await ctx.post('/api/v1/auth/signup', { data: { email, password: PASSWORD, name: 'Ada', timezone: 'UTC', ...extra } });
  assert.equal(res.status(), 201, await res.text());
  const { token } = await res.json();
  await ctx.dispose();
  const api = await request.newContext({ baseURL: BASE, extraHTTPHeaders: { Authorization: `Bearer ${token}` } });
  return { email, token, api };
}

/** Creates a task through the API. */
export async function createTask(api, body) {
  const res = await api.post('/api/v1/tasks', { data: body });
  assert.equal(res.status(), 201, await res.text());
  return res.json();
}

/** Logs in through the web app's form. */
export async function logIn(page, email, password = PASSWORD) {
  await page.goto('/app/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
}

/** Signs up through the web app's form. */
export async function signUp(page, name = 'Web User') {
  const email = uniqueEmail();
  await page.goto('/app/signup');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  return email;
}

/** The list item of the task titled `title`. */
export function taskItem(page, title) {
  return page.getByRole('list', { name: 'Tasks', exact: true }).getByRole('listitem')
    .filter({ has: page.getByRole('checkbox', { name: `Complete ${title}`, exact: true }) });
}

/** Waits until `fn()` in the page is truthy. */
export function until(page, fn, arg) {
  return page.waitForFunction(fn, arg, { timeout: 10000 });
}

/** Runs axe-core on the page; returns the serious and critical violations. */
export async function axe(page) {
  // Evaluated, not added as a <script>: an inline script would (rightly) be refused by the CSP.
  await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
  }));
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
