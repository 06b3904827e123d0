// Every page, light and dark, at desktop and phone width: axe-core finds no serious or critical
// violation, nothing overflows sideways, and the screenshots in docs/screenshots are taken.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { apiUser, axe, createTask, launch, logIn, openContext, taskItem } from './support.js';

const SHOTS = process.env.SCREENSHOT_DIR || new URL('../../docs/screenshots/', import.meta.url).pathname;

let browser;
let user;
let taskId;
let conversation;
let projectId;
before(async () => {
  browser = await launch();
  user = await apiUser({ name: 'Grace Hopper' });
  const day = 86400000;
  const at = (days, hour) => {
    const d = new Date(Date.now() + days * day);
    d.setUTCHours(hour, 0, 0, 0);
    return d.toISOString();
  };
  await createTask(user.api, { title: 'Pay rent', due_date: at(20, 23), recurrence_pattern: 'MONTHLY', tags: ['home'], priority: 'HIGH' });
  await createTask(user.api, { title: 'Water the ferns', due_date: at(1, 8), recurrence_pattern: 'WEEKLY', tags: ['garden'] });
  await createTask(user.api, { title: 'Read the compiler paper', description: 'Sections 3 and 4, with notes for Friday.', priority: 'LOW', tags: ['reading'] });
  const done = await createTask(user.api, { title: 'Book dentist', priority: 'MEDIUM' });
  await user.api.patch(`/api/v1/tasks/${done.id}/complete`, { data: { completed: true } });
  const last = await createTask(user.api, { title: 'Call the plumber about the kitchen sink', due_date: at(0, 23), priority: 'MEDIUM', tags: ['home'] });
  taskId = last.id;
  // Subtasks, one of them done, so every sweep also covers the nested rows and their tools.
  const stopcock = await createTask(user.api, { title: 'Find the stopcock', parent_id: last.id });
  await user.api.patch(`/api/v1/tasks/${stopcock.id}/complete`, { data: { completed: true } });
  await createTask(user.api, { title: 'Ask two plumbers for a quote', parent_id: last.id });
  await createTask(user.api, { title: 'Renew passport', due_date: at(-3, 9), priority: 'HIGH', tags: ['admin'] });
  // With a colour, so every sweep also covers its swatch and `Remove colour`.
  const project = await (await user.api.post('/api/v1/projects', { data: { name: 'Kitchen renovation', color: '#2a9d8f' } })).json();
  projectId = project.id;
  const tiles = await createTask(user.api, { title: 'Choose the tiles', project_id: projectId, priority: 'MEDIUM' });
  for (const title of ['Collect samples', 'Measure the wall']) {
    await createTask(user.api, { title, parent_id: tiles.id });
  }
  await createTask(user.api, { title: 'Order the worktop', project_id: projectId, due_date: at(9, 12) });
  await createTask(user.api, { title: 'Book the electrician', project_id: projectId, tags: ['call'] });
  const chat = await user.api.post('/api/v1/chat', { data: { message: 'add buy coffee beans tomorrow #shopping' } });
  conversation = (await chat.json()).conversation_id;
  await user.api.post('/api/v1/chat', { data: { message: "what's due this week?", conversation_id: conversation } });
  mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await user?.api.dispose();
  await browser?.close();
});

const PAGES = [
  { name: 'login', path: '/app/login', heading: 'Log in', signedIn: false },
  { name: 'signup', path: '/app/signup', heading: 'Create your account', signedIn: false },
  { name: 'tasks', path: '/app', heading: 'Inbox', signedIn: true, ready: (page) => taskItem(page, 'Pay rent').waitFor() },
  {
    name: 'project',
    path: () => `/app?project=${projectId}&sort=position:asc`,
    heading: 'Kitchen renovation',
    signedIn: true,
    ready: async (page) => {
      await page.getByRole('button', { name: 'Move Measure the wall up' }).waitFor();
      await page.getByText('Project settings', { exact: true }).click();
      await page.getByLabel('Project name').waitFor();
    },
  },
  { name: 'edit', path: () => `/app/tasks/${taskId}`, heading: 'Edit task', signedIn: true, ready: (page) => page.getByLabel('Title').waitFor() },
  { name: 'chat', path: () => `/app/chat/${conversation}`, heading: 'Chat', signedIn: true, ready: (page) => page.locator('.tool-call').first().waitFor() },
  { name: 'account', path: '/app/account', heading: 'Account', signedIn: true },
  { name: 'not-found', path: '/app/nowhere', heading: 'Page not found', signedIn: true },
];

for (const scheme of ['light', 'dark']) {
  for (const width of [1280, 375]) {
    test(`every page passes axe at ${width} px, ${scheme}`, async () => {
      const { context, page, check } = await openContext(browser, {
        viewport: { width, height: width > 500 ? 900 : 800 },
        colorScheme: scheme,
      });
      let signedIn = false;
      for (const spec of PAGES) {
        if (spec.signedIn && !signedIn) {
          await logIn(page, user.email);
          signedIn = true;
        }
        await page.goto(typeof spec.path === 'function' ? spec.path() : spec.path);
        await page.getByRole('heading', { level: 1, name: spec.heading }).waitFor();
        if (spec.ready) await spec.ready(page);
        await page.locator('ul.tasks[aria-busy="false"], main:not(:has(ul.tasks))').first().waitFor();
        const violations = await axe(page);
        assert.deepEqual(violations, [], `${spec.name} at ${width} px, ${scheme}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${spec.name} scrolls sideways by ${overflow} px at ${width} px`);
        const shot = spec.name === 'tasks'
          || (['project', 'chat', 'edit', 'account'].includes(spec.name) && width === 1280 && scheme === 'light')
          || (spec.name === 'login' && width === 375 && scheme === 'dark');
        if (shot) {
          await page.screenshot({ path: `${SHOTS}${spec.name}-${width}-${scheme}.png`, fullPage: spec.name === 'account' });
        }
      }
      check();
      await context.close();
    });
  }
}

test('the page does not shift when the list arrives', async () => {
  const { context, page, check } = await openContext(browser);
  await logIn(page, user.email);
  await page.goto('/app');
  await page.evaluate(() => {
    window.__shift = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shift += entry.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  await taskItem(page, 'Pay rent').waitFor();
  await page.evaluate(() => new Promise(requestAnimationFrame));
  const shift = await page.evaluate(() => window.__shift);
  assert.ok(shift < 0.1, `cumulative layout shift ${shift}`);
  check();
  await context.close();
});

test('the Inbox is interactive within 1 s of navigation on loopback', async () => {
  const { context, page, check } = await openContext(browser);
  await logIn(page, user.email);
  await page.goto('/app');
  await taskItem(page, 'Pay rent').waitFor();
  const ms = await page.evaluate(() => performance.getEntriesByName('tudu:tasks-shown')[0].startTime);
  console.log(`# Inbox with its first page of tasks ready ${Math.round(ms)} ms after navigation`);
  assert.ok(ms < 1000, `ready after ${ms} ms`);
  check();
  await context.close();
});
