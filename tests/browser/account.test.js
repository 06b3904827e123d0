// The account's export and import (issue 20): a download a person can keep, and that file
// merged into another account, with the report and the errors in words.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { axe, launch, openContext, signUp, taskItem } from './support.js';

let browser;
let dir;
before(async () => {
  browser = await launch();
  dir = mkdtempSync(join(tmpdir(), 'tudu-export-'));
});
after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function addTask(page, title) {
  await page.getByRole('textbox', { name: 'Add task' }).fill(title);
  await page.locator('.preview').filter({ hasText: title }).waitFor();
  await page.getByRole('textbox', { name: 'Add task' }).press('Enter');
  await taskItem(page, title).waitFor();
}

async function importFile(page, files) {
  await page.getByLabel('Import data').setInputFiles(files);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
}

test('export my data downloads the account, and an import merges it into another account once', async () => {
  const first = await openContext(browser);
  await signUp(first.page, 'Export Source');
  await addTask(first.page, 'water the ferns');
  await addTask(first.page, 'file the tax return');

  await first.page.goto('/app/account');
  await first.page.getByRole('heading', { name: 'Your data' }).waitFor();
  const [download] = await Promise.all([
    first.page.waitForEvent('download'),
    first.page.getByRole('link', { name: 'Export my data' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^tudu-export-\d{4}-\d{2}-\d{2}\.json$/);
  const file = join(dir, download.suggestedFilename());
  await download.saveAs(file);
  const document = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(document.format, 'tudu-export');
  assert.deepEqual(document.tasks.map((t) => t.title).sort(), ['file the tax return', 'water the ferns']);
  // The download left the app where it was.
  assert.equal(new URL(first.page.url()).pathname, '/app/account');
  first.check();
  await first.context.close();

  const second = await openContext(browser);
  const { page } = second;
  await signUp(page, 'Import Target');
  await page.goto('/app/account');
  await importFile(page, file);
  await page.getByRole('status').filter({ hasText: '2 tasks added, 0 already there; 0 conversations added' }).waitFor();
  // The report stays on the page after the toast has gone.
  await page.locator('main').getByText(/Imported “tudu-export-.*”: 2 tasks added/).waitFor();

  await page.getByRole('link', { name: 'Tasks' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  await taskItem(page, 'water the ferns').waitFor();
  await taskItem(page, 'file the tax return').waitFor();

  // The same file again adds nothing.
  await page.getByRole('link', { name: 'Account' }).click();
  await importFile(page, file);
  await page.getByRole('status').filter({ hasText: '0 tasks added, 2 already there' }).waitFor();
  await page.goto('/app');
  await taskItem(page, 'water the ferns').waitFor();
  assert.equal(await page.getByRole('list', { name: 'Tasks', exact: true }).getByRole('listitem').count(), 2);
  second.check();
  await second.context.close();
});

test('an import refuses a file that is invalid, not JSON, or over 64 MiB, in words', async () => {
  const { context, page, check } = await openContext(browser);
  await signUp(page);
  await page.goto('/app/account');

  const axeBefore = await axe(page);
  assert.deepEqual(axeBefore, [], 'the account page with export and import');

  // Nothing chosen yet.
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByText('Choose a file to import.').waitFor();

  const invalid = {
    format: 'tudu-export',
    version: 1,
    tasks: [
      { id: '01890000-0000-7000-8000-000000000001', title: 'fine' },
      { id: '01890000-0000-7000-8000-000000000002', title: '' },
    ],
  };
  await importFile(page, { name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(invalid)) });
  const alert = page.getByRole('alert').filter({ hasText: 'Nothing was imported' });
  await alert.waitFor();
  assert.match(await alert.innerText(), /the file has 1 problem\.[\s\S]*Task 2, title: must not be empty \(tasks\[1\]\.title\)/);
  assert.deepEqual(await axe(page), [], 'the account page showing an import error');

  await importFile(page, { name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('not json at all') });
  await page.getByRole('alert').filter({ hasText: '“notes.json” is not JSON, so it is not a tudu export.' }).waitFor();

  await importFile(page, { name: 'other.json', mimeType: 'application/json', buffer: Buffer.from('{"format": "something-else", "version": 1}') });
  await page.getByRole('alert').filter({ hasText: '“other.json” is not a tudu export this server reads.' }).waitFor();

  // Over the server's limit: refused here, never sent (a sparse file costs no disk).
  const big = join(dir, 'big.json');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 64 * 1024 * 1024 + 1);
  closeSync(fd);
  let sent = 0;
  page.on('request', (r) => { if (r.url().endsWith('/api/v1/auth/import')) sent += 1; });
  await importFile(page, big);
  await page.getByRole('alert').filter({ hasText: 'an import takes at most 64 MiB. Nothing was sent.' }).waitFor();
  assert.equal(sent, 0, 'the oversized file was not sent');

  await page.goto('/app');
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  // Nothing was imported.
  await page.getByText('Nothing here yet.', { exact: false }).waitFor();
  check();
  await context.close();
});
