// End-to-end tests of the web app in a real Chromium: the flows of issue 20 / SPEC §13.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'playwright-core';
import {
  BASE, PASSWORD, apiUser, axe, createTask, launch, logIn, openContext, signUp, taskItem, until,
} from './support.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('a browser opening / lands on the log-in page of /app', async () => {
  const { context, page, check } = await openContext(browser);
  await page.goto('/');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/app/login');
  check();
  await context.close();
});

test('sign up, quick add with a date and tag, edit, complete, undo, search, filter, log out', async () => {
  const { context, page, check } = await openContext(browser);
  const email = await signUp(page);

  // Quick add: the parsed result is shown before it is saved.
  const add = page.getByRole('textbox', { name: 'Add task' });
  await add.fill('buy milk tomorrow at 5pm #shopping');
  const preview = page.locator('.preview');
  await preview.filter({ hasText: '#shopping' }).waitFor();
  assert.match(await preview.innerText(), /buy milk[\s\S]*Tomorrow 17:00/);
  assert.equal(await taskItem(page, 'buy milk').count(), 0, 'nothing saved before Enter');
  await add.press('Enter');
  const milk = taskItem(page, 'buy milk');
  await milk.waitFor();
  assert.match(await milk.textContent(), /Tomorrow 17:00/);
  assert.match(await milk.textContent(), /#shopping/);

  // Edit every field.
  await milk.getByRole('link', { name: 'buy milk' }).click();
  await page.getByRole('heading', { name: 'Edit task' }).waitFor();
  await page.getByLabel('Title').fill('buy oat milk');
  await page.getByLabel('Description').fill('the barista kind');
  await page.getByLabel('Priority').selectOption('HIGH');
  await page.getByLabel('Tags').fill('shopping, dairy');
  await page.getByLabel('Due').fill('2031-03-04T09:30');
  await page.getByLabel('Repeats').selectOption('WEEKLY');
  await page.getByLabel('Repeat every').fill('2');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  const oat = taskItem(page, 'buy oat milk');
  await oat.waitFor();
  // textContent: a row not yet painted (content-visibility: auto) has no innerText.
  const text = await oat.textContent();
  for (const part of ['the barista kind', 'High priority', '#dairy', '4 Mar 2031 09:30', 'Repeats every 2 weeks']) {
    assert.ok(text.includes(part), `${part} missing from ${JSON.stringify(text)}`);
  }

  // Complete, then undo (a recurring task: undo also removes the occurrence it created).
  // click, not check(): check() reads the box again afterwards, and by then the next
  // occurrence (same title) may be listed too.
  await page.getByRole('checkbox', { name: 'Complete buy oat milk' }).click();
  await page.getByRole('status').filter({ hasText: 'Completed' }).waitFor();
  await until(page, () => document.querySelectorAll('.tasks li').length === 2);
  await page.getByRole('button', { name: 'Undo' }).click();
  await page.getByRole('status').filter({ hasText: 'Reopened' }).waitFor();
  await until(page, () => document.querySelectorAll('.tasks li').length === 1);
  assert.equal(await page.getByRole('checkbox', { name: 'Complete buy oat milk' }).isChecked(), false);

  // Search and filters narrow the list, and live in the address.
  await add.fill('call the plumber #home');
  await preview.filter({ hasText: '#home' }).waitFor();
  await add.press('Enter');
  await taskItem(page, 'call the plumber').waitFor();
  await page.getByRole('searchbox', { name: 'Search' }).fill('plumber');
  await until(page, () => document.querySelectorAll('.tasks li').length === 1
    && document.querySelector('.tasks li').textContent.includes('plumber'));
  assert.match(page.url(), /q=plumber/);
  await page.getByRole('searchbox', { name: 'Search' }).fill('');
  await page.getByLabel('Tag').fill('dairy');
  await until(page, () => document.querySelectorAll('.tasks li').length === 1
    && document.querySelector('.tasks li').textContent.includes('oat milk'));
  await page.getByLabel('Tag').fill('');
  await page.getByLabel('Priority').selectOption('HIGH');
  await until(page, () => document.querySelectorAll('.tasks li').length === 1);
  await page.getByLabel('Priority').selectOption('');
  await page.getByLabel('Status').selectOption('completed');
  await page.getByText('No task matches these filters.').waitFor();
  await page.getByLabel('Status').selectOption('pending');
  await page.getByLabel('Sort').selectOption('title:asc');
  await until(page, () => [...document.querySelectorAll('.tasks .task-title')].map((a) => a.textContent).join('|')
    === 'buy oat milk|call the plumber');

  // Log out, and back in.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  const cookies = await context.cookies();
  assert.equal(cookies.find((c) => c.name === 'tudu_session'), undefined, 'the session cookie is gone');
  await page.goto('/app');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await logIn(page, email);
  await taskItem(page, 'call the plumber').waitFor();
  check();
  await context.close();
});

test('projects: create one, add into it, and move a task there from the Inbox', async () => {
  const { context, page, check } = await openContext(browser);
  await signUp(page);
  const projects = page.getByRole('navigation', { name: 'Projects' });
  await projects.getByRole('link', { name: 'Inbox' }).waitFor();
  const add = page.getByRole('textbox', { name: 'Add task' });
  const preview = page.locator('.preview');
  await add.fill('water the plants');
  await preview.filter({ hasText: 'Will add' }).waitFor();
  await add.press('Enter');
  await taskItem(page, 'water the plants').waitFor();

  // A new project opens at once, with a list of its own.
  await page.getByLabel('New project').fill('Groceries');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('heading', { name: 'Groceries' }).waitFor();
  assert.equal(await projects.getByRole('link', { name: 'Groceries' }).getAttribute('aria-current'), 'page');
  await page.getByText('Nothing here yet.').waitFor();
  await add.fill('buy milk #dairy');
  await preview.filter({ hasText: '#dairy' }).waitFor();
  await add.press('Enter');
  await taskItem(page, 'buy milk').waitFor();
  assert.equal(await taskItem(page, 'water the plants').count(), 0, 'the Inbox task is not in Groceries');

  // The Inbox keeps its own; the edit page moves a task to another project.
  await projects.getByRole('link', { name: 'Inbox' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  await taskItem(page, 'water the plants').waitFor();
  assert.equal(await taskItem(page, 'buy milk').count(), 0, 'the Groceries task is not in the Inbox');
  await taskItem(page, 'water the plants').getByRole('link', { name: 'water the plants' }).click();
  await page.getByRole('heading', { name: 'Edit task' }).waitFor();
  await page.getByLabel('Project').selectOption({ label: 'Groceries' });
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Groceries' }).waitFor();
  await taskItem(page, 'water the plants').waitFor();
  await taskItem(page, 'buy milk').waitFor();
  check();
  await context.close();
});

test('the session cookie is HttpOnly and invisible to scripts', async () => {
  const { context, page, check } = await openContext(browser);
  await signUp(page);
  const cookie = (await context.cookies()).find((c) => c.name === 'tudu_session');
  assert.ok(cookie, 'a session cookie is set');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(await page.evaluate(() => document.cookie), '');
  assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0);
  check();
  await context.close();
});

test("quick add reads the issue's example: monthly, on the 1st, #home, high", async () => {
  const { context, page, check } = await openContext(browser);
  await signUp(page);
  const add = page.getByRole('textbox', { name: 'Add task' });
  await add.fill('pay rent every month on the 1st #home !high');
  const preview = page.locator('.preview');
  await preview.filter({ hasText: 'Repeats every month' }).waitFor();
  const shown = await preview.innerText();
  for (const part of ['pay rent', 'High priority', '#home', 'Due']) assert.ok(shown.includes(part), `${part} not in ${shown}`);
  await add.press('Enter');
  const rent = taskItem(page, 'pay rent');
  await rent.waitFor();
  assert.match(await rent.textContent(), /↻ Repeats every month/);
  check();
  await context.close();
});

test('overdue and recurring tasks are marked in words, not colour alone', async () => {
  const { email, api } = await apiUser();
  await createTask(api, { title: 'file taxes', due_date: '2020-04-15T12:00:00Z' });
  await createTask(api, { title: 'water plants', recurrence_pattern: 'DAILY' });
  const { context, page, check } = await openContext(browser);
  await logIn(page, email);
  await taskItem(page, 'file taxes').waitFor();
  assert.match(await taskItem(page, 'file taxes').textContent(), /Overdue · 15 Apr 2020/);
  assert.match(await taskItem(page, 'water plants').textContent(), /Repeats every day/);
  await page.getByLabel('Due').selectOption('overdue');
  await until(page, () => document.querySelectorAll('.tasks li').length === 1);
  check();
  await context.close();
  await api.dispose();
});

test('the chat panel adds a task and shows its tool calls', async () => {
  const { context, page, check } = await openContext(browser);
  await signUp(page);
  await page.getByRole('link', { name: 'Chat' }).click();
  await page.getByRole('heading', { name: 'Chat' }).waitFor();
  await page.getByRole('textbox', { name: 'Message' }).fill('add water the ferns tomorrow #garden');
  await page.getByRole('textbox', { name: 'Message' }).press('Enter');
  const call = page.locator('.tool-call').filter({ hasText: 'add_task' });
  await call.waitFor();
  assert.match(await call.innerText(), /"title":"water the ferns"/);
  assert.match(page.url(), /\/app\/chat\/[0-9a-f-]{36}$/);
  // Stored: a reload shows the same conversation.
  await page.reload();
  await page.locator('.tool-call').filter({ hasText: 'add_task' }).waitFor();
  await page.getByRole('navigation', { name: 'Conversations' }).getByRole('link').first().waitFor();
  await page.getByRole('link', { name: 'Tasks' }).click();
  await taskItem(page, 'water the ferns').waitFor();
  assert.match(await taskItem(page, 'water the ferns').textContent(), /#garden/);
  // Deleting the conversation keeps the task.
  await page.goBack();
  await page.getByRole('button', { name: 'Delete conversation' }).click();
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await until(page, () => location.pathname === '/app/chat'
    && document.querySelectorAll('.conversations li').length === 0);
  await page.getByRole('link', { name: 'Tasks' }).click();
  await taskItem(page, 'water the ferns').waitFor();
  check();
  await context.close();
});

test('keyboard only: add a task and complete it', async () => {
  const { context, page, check } = await openContext(browser);
  await signUp(page);
  await page.goto('/app');
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  const focusedName = () => page.evaluate(() => {
    const el = document.activeElement;
    return el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].textContent) || el.textContent;
  });
  const tabTo = async (name) => {
    for (let i = 0; i < 40; i += 1) {
      await page.keyboard.press('Tab');
      if ((await focusedName()).trim() === name) return;
    }
    assert.fail(`Tab never reached ${name}`);
  };
  await tabTo('Add task');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused field shows where focus is');
  await page.keyboard.type('sharpen pencils #desk');
  await page.locator('.preview').filter({ hasText: '#desk' }).waitFor();
  await page.keyboard.press('Enter');
  await taskItem(page, 'sharpen pencils').waitFor();
  await tabTo('Complete sharpen pencils');
  await page.keyboard.press('Space');
  await page.getByRole('status').filter({ hasText: 'Completed' }).waitFor();
  assert.equal(await page.getByRole('checkbox', { name: 'Complete sharpen pencils' }).isChecked(), true);
  check();
  await context.close();
});

test('account: profile and a password change that needs the current password', async () => {
  const { context, page, check } = await openContext(browser);
  const email = await signUp(page, 'Old Name');
  await page.getByRole('link', { name: 'Account' }).click();
  await page.getByRole('heading', { name: 'Account', exact: true }).waitFor();
  await page.getByLabel('Name').fill('New Name');
  await page.getByLabel('Time zone').fill('Asia/Tokyo');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await page.getByRole('status').filter({ hasText: 'Profile saved.' }).waitFor();

  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password').fill('a brand new secret');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByText('This is not your current password.').waitFor();
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor();

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await logIn(page, email, 'a brand new secret');
  await page.goto('/app/account');
  assert.equal(await page.getByLabel('Name').inputValue(), 'New Name');
  assert.equal(await page.getByLabel('Time zone').inputValue(), 'Asia/Tokyo');
  check();
  await context.close();
});

test('account: an access token shown once, log out everywhere, delete the account', async () => {
  const { context, page, check } = await openContext(browser);
  const email = await signUp(page);
  await page.goto('/app/account');
  await page.getByLabel('What the token is for').fill('my script');
  await page.getByLabel('Read tasks (tasks:read)').check();
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = page.getByLabel(/New token “my script”/);
  await secret.waitFor();
  const pat = await secret.inputValue();
  assert.match(pat, /^tudu_pat_/);
  const api = await request.newContext({ baseURL: BASE, extraHTTPHeaders: { Authorization: `Bearer ${pat}` } });
  assert.equal((await api.get('/api/v1/tasks')).status(), 200);
  await page.getByRole('button', { name: 'Revoke my script' }).click();
  await page.getByRole('status').filter({ hasText: 'Revoked' }).waitFor();
  assert.equal((await api.get('/api/v1/tasks')).status(), 401);
  await api.dispose();

  // Another device's session ends too.
  const other = await openContext(browser);
  await logIn(other.page, email);
  await page.getByRole('button', { name: 'End every session' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await other.page.reload();
  await other.page.getByRole('heading', { name: 'Log in' }).waitFor();
  other.check();
  await other.context.close();

  await logIn(page, email);
  await page.goto('/app/account');
  await page.getByLabel('Password to confirm').fill('wrong password');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await page.getByText('This is not your password.').waitFor();
  await page.getByLabel('Password to confirm').fill(PASSWORD);
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: /invalid|incorrect|wrong/i }).waitFor();
  check();
  await context.close();
});

const XSS = [
  '<img src=x onerror="window.__xss=1;alert(1)">',
  '<script>window.__xss=1;alert(1)</script>',
  '"><svg onload=alert(1)>',
];

test('XSS strings in every field render as text', async () => {
  const { email, api } = await apiUser({ name: XSS[2] });
  for (const payload of XSS) {
    await createTask(api, { title: `t ${payload}`, description: payload, tags: ['x<b>y</b>'], priority: 'HIGH' });
  }
  const chat = await api.post('/api/v1/chat', { data: { message: `add ${XSS[0]} #tag` } });
  assert.equal(chat.status(), 200, await chat.text());
  const { conversation_id: conversation } = await chat.json();
  const { context, page, check } = await openContext(browser);
  await logIn(page, email);
  for (const payload of XSS) await taskItem(page, `t ${payload}`).waitFor();
  assert.ok((await page.locator('.tasks').textContent()).includes('#x<b>y</b>'));
  const first = taskItem(page, `t ${XSS[0]}`);
  await first.getByRole('link').click();
  await page.getByRole('heading', { name: 'Edit task' }).waitFor();
  assert.equal(await page.getByLabel('Title').inputValue(), `t ${XSS[0]}`);
  await page.goto(`/app/chat/${conversation}`);
  await page.locator('.msg-user').filter({ hasText: XSS[0] }).waitFor();
  await page.goto('/app/account');
  assert.equal(await page.getByLabel('Name').inputValue(), XSS[2]);
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await page.locator('.tasks img, main img, main svg, main script').count(), 0);
  check();
  await context.close();
  await api.dispose();
});

test('a CSP violation is caught and would fail a test', async () => {
  const { context, page, problems } = await openContext(browser);
  await page.goto('/app/login');
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__ran = 1';
    document.body.append(script);
  });
  for (let i = 0; i < 50 && !problems.some((p) => p.startsWith('CSP violation')); i += 1) {
    await page.evaluate(() => new Promise(requestAnimationFrame));
  }
  assert.ok(problems.some((p) => p.startsWith('CSP violation: script-src')), JSON.stringify(problems));
  assert.equal(await page.evaluate(() => window.__ran), undefined, 'the inline script did not run');
  await context.close();
});

test('1 000 tasks load page by page as the list scrolls', async () => {
  const { email, api } = await apiUser();
  const batch = [];
  for (let i = 1; i <= 1000; i += 1) {
    batch.push(createTask(api, { title: `task ${String(i).padStart(4, '0')}`, tags: i % 2 ? ['odd'] : ['even'] }));
    if (batch.length === 50) await Promise.all(batch.splice(0));
  }
  const { context, page, check } = await openContext(browser);
  await logIn(page, email);
  await page.getByText('1000 tasks').waitFor();
  assert.equal(await page.locator('.tasks li').count(), 50, 'one page at first');
  const started = Date.now();
  for (let shown = 50; shown < 1000;) {
    // Counted before scrolling: the page it asks for may arrive before the next line runs.
    await page.evaluate(() => document.querySelector('.sentinel').scrollIntoView());
    await until(page, (n) => document.querySelectorAll('.tasks li').length > n
      || document.querySelector('.more').hidden, shown);
    shown = await page.locator('.tasks li').count();
    if (await page.locator('.more').isHidden()) break;
  }
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds < 30, `scrolling through 1 000 tasks took ${seconds} s`);
  assert.equal(await page.locator('.more').isHidden(), true);
  // textContent: off-screen items are not rendered (content-visibility), so they have no innerText.
  const titles = await page.evaluate(() => [...document.querySelectorAll('.tasks .task-title')].map((a) => a.textContent));
  assert.equal(new Set(titles).size, 1000, 'no task twice, none missing');
  check();
  await context.close();
  await api.dispose();
});

