// End-to-end test of sharing a project in the web app, with two people in two browser contexts:
// the owner shares it through the settings, the member adds to it, an assignment shows in the
// list, a viewer gets a read-only list, and leaving takes the project away.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { apiUser, axe, launch, openContext, signUp, taskItem } from './support.js';

const SHOTS = process.env.SCREENSHOT_DIR || new URL('../../docs/screenshots/', import.meta.url).pathname;

let browser;
before(async () => {
  browser = await launch();
  mkdirSync(SHOTS, { recursive: true });
});
after(async () => {
  await browser?.close();
});

test('sharing: share as editor, the member adds, assign, make them a viewer, and they leave', async () => {
  const owner = await openContext(browser);
  const member = await openContext(browser);
  const a = owner.page;
  const b = member.page;
  await signUp(a, 'Ada Owner');
  const bEmail = await signUp(b, 'Sam Member');

  // A creates "Groceries" and opens its settings: A is the only member, as its owner.
  const aProjects = a.getByRole('navigation', { name: 'Projects' });
  await a.getByLabel('New project').fill('Groceries');
  await a.getByRole('button', { name: 'Create project' }).click();
  await a.getByRole('heading', { name: 'Groceries', level: 1 }).waitFor();
  await a.getByText('Project settings', { exact: true }).click();
  const members = a.getByRole('list', { name: 'Members', exact: true });
  await members.getByRole('listitem').filter({ hasText: 'Ada Owner (you)' }).filter({ hasText: 'Owner' }).waitFor();
  assert.equal(await members.getByRole('listitem').count(), 1);
  assert.equal(await a.getByRole('button', { name: 'Leave project' }).count(), 0, 'the owner cannot leave');

  // Errors from the API show under the Email field: nobody has that email; sharing with oneself.
  const share = a.getByRole('form', { name: 'Share project' });
  const email = share.getByRole('textbox', { name: 'Email', exact: true });
  await email.fill('nobody-here@example.com');
  await share.getByRole('button', { name: 'Share', exact: true }).click();
  await share.locator('.error:not([hidden])').waitFor();
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.equal(await members.getByRole('listitem').count(), 1, 'nobody was added');

  // Share with B as an editor.
  await email.fill(bEmail);
  await share.getByRole('combobox', { name: 'Role', exact: true }).selectOption('editor');
  await share.getByRole('button', { name: 'Share', exact: true }).click();
  const role = a.getByRole('combobox', { name: `Role of ${bEmail}`, exact: true });
  await role.waitFor();
  assert.equal(await role.inputValue(), 'editor');
  assert.equal(await email.getAttribute('aria-invalid'), null, 'the earlier error is gone');
  await members.getByRole('listitem').filter({ hasText: 'Sam Member' }).waitFor();
  await a.getByRole('button', { name: `Remove ${bEmail}`, exact: true }).waitFor();
  await a.getByRole('button', { name: `Make ${bEmail} owner`, exact: true }).waitFor();
  // The owner's own list says the project is shared.
  await aProjects.getByRole('link', { name: 'Groceries (shared)', exact: true }).waitFor();
  assert.deepEqual(await axe(a), [], 'the settings with their members open');
  await a.screenshot({ path: `${SHOTS}sharing-1280-light.png` });
  // On a phone the member's tools wrap under their name, and nothing scrolls sideways.
  await a.setViewportSize({ width: 375, height: 800 });
  const overflow = await a.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the members scroll sideways by ${overflow} px at 375 px`);
  assert.deepEqual(await axe(a), [], 'the members at 375 px');
  await a.setViewportSize({ width: 1280, height: 900 });

  // Handing the project over asks first; keeping it changes nothing.
  await a.getByRole('button', { name: `Make ${bEmail} owner`, exact: true }).click();
  await a.getByRole('button', { name: 'Yes, make them the owner' }).waitFor();
  assert.deepEqual(await axe(a), [], 'with the hand-over question open');
  await a.getByRole('button', { name: 'Keep it' }).click();
  assert.equal(await a.getByRole('button', { name: 'Yes, make them the owner' }).isHidden(), true);

  // B sees the project, marked as shared with them, and adds a task to it as an editor.
  await b.reload();
  const bProjects = b.getByRole('navigation', { name: 'Projects' });
  await bProjects.getByRole('link', { name: 'Groceries (shared with you)', exact: true }).click();
  await b.getByRole('heading', { name: 'Groceries', level: 1 }).waitFor();
  const add = b.getByRole('textbox', { name: 'Add task' });
  await add.fill('buy oat milk');
  await b.locator('.preview').filter({ hasText: 'Will add' }).waitFor();
  await add.press('Enter');
  await taskItem(b, 'buy oat milk').waitFor();
  // An editor changes tasks but not who is in the project: no share form, no role controls.
  await b.getByText('Project settings', { exact: true }).click();
  await b.getByRole('list', { name: 'Members', exact: true }).getByRole('listitem').nth(1).waitFor();
  assert.equal(await b.getByRole('form', { name: 'Share project' }).count(), 0);
  assert.equal(await b.getByRole('combobox', { name: /^Role of / }).count(), 0);
  assert.equal(await b.getByRole('button', { name: 'Rename project' }).count(), 0);
  assert.equal(await b.getByRole('button', { name: 'Delete project' }).count(), 0);
  await b.getByRole('button', { name: 'Leave project' }).waitFor();

  // A sees B's task, and assigns it to B from its edit page; the list then says so.
  await a.reload();
  const milk = taskItem(a, 'buy oat milk');
  await milk.waitFor();
  await milk.getByRole('link', { name: 'buy oat milk' }).click();
  await a.getByRole('heading', { name: 'Edit task' }).waitFor();
  const assignee = a.getByRole('combobox', { name: 'Assignee', exact: true });
  assert.equal(await assignee.inputValue(), '', 'nobody yet');
  await assignee.selectOption({ label: `Sam Member (${bEmail})` });
  await a.getByRole('button', { name: 'Save' }).click();
  await a.getByRole('heading', { name: 'Groceries', level: 1 }).waitFor();
  await milk.filter({ hasText: 'Assigned to Sam Member' }).waitFor();

  // A makes B a viewer.
  await a.getByText('Project settings', { exact: true }).click();
  await a.getByRole('combobox', { name: `Role of ${bEmail}`, exact: true }).selectOption('viewer');
  await a.getByRole('status').filter({ hasText: 'Sam Member is now a viewer' }).waitFor();

  // B can still read the list, but can no longer add, complete or move anything.
  await b.reload();
  await b.getByRole('heading', { name: 'Groceries', level: 1 }).waitFor();
  await b.getByText('You are a viewer of this project: you can read its tasks, but not add, complete or change them.').waitFor();
  assert.equal(await b.getByRole('textbox', { name: 'Add task' }).count(), 0, 'no quick add for a viewer');
  const box = b.getByRole('checkbox', { name: 'Complete buy oat milk', exact: true });
  await box.waitFor();
  assert.equal(await box.isDisabled(), true);
  assert.equal(await b.getByRole('button', { name: /^Add subtask to / }).count(), 0);
  assert.match(await taskItem(b, 'buy oat milk').textContent(), /Assigned to Sam Member/);
  // Its edit page shows the task without a way to save it.
  await taskItem(b, 'buy oat milk').getByRole('link', { name: 'buy oat milk' }).click();
  await b.getByRole('heading', { name: 'Edit task' }).waitFor();
  assert.equal(await b.getByLabel('Title').isDisabled(), true);
  assert.equal(await b.getByRole('button', { name: 'Save' }).count(), 0);
  assert.equal(await b.getByRole('button', { name: 'Delete task' }).count(), 0);
  assert.deepEqual(await axe(b), [], 'a viewer’s edit page');
  await b.getByRole('link', { name: '← Back to Groceries' }).click();
  await b.getByRole('heading', { name: 'Groceries', level: 1 }).waitFor();

  // B leaves, after a question, and is back in the Inbox without the project.
  await b.getByText('Project settings', { exact: true }).click();
  await b.getByRole('button', { name: 'Leave project' }).click();
  assert.deepEqual(await axe(b), [], 'with the leave question open');
  await b.getByRole('button', { name: 'Yes, leave the project' }).click();
  await b.getByRole('heading', { name: 'Inbox', level: 1 }).waitFor();
  await bProjects.getByRole('link', { name: 'Inbox' }).waitFor();
  assert.equal(await bProjects.getByRole('link', { name: /Groceries/ }).count(), 0);
  await b.reload();
  await bProjects.getByRole('link', { name: 'Inbox' }).waitFor();
  assert.equal(await bProjects.getByRole('link', { name: /Groceries/ }).count(), 0);

  // A's project is A's alone again.
  await a.reload();
  await a.getByRole('heading', { name: 'Groceries', level: 1 }).waitFor();
  await a.getByText('Project settings', { exact: true }).click();
  await a.locator('details.project-settings[open]').waitFor();
  await members.getByRole('listitem').first().waitFor();
  assert.equal(await members.getByRole('listitem').count(), 1);
  await aProjects.getByRole('link', { name: 'Groceries', exact: true }).waitFor();

  owner.check();
  member.check();
  await owner.context.close();
  await member.context.close();
});

test('sharing: an existing member is refused, remove one, and hand the project over', async () => {
  const { context, page, check } = await openContext(browser);
  await signUp(page, 'Ada Owner');
  const ben = await apiUser({ name: 'Ben Admin' });
  const cy = await apiUser({ name: 'Cy Viewer' });
  await page.getByLabel('New project').fill('Garden');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('heading', { name: 'Garden', level: 1 }).waitFor();
  await page.getByText('Project settings', { exact: true }).click();
  const members = page.getByRole('list', { name: 'Members', exact: true });
  const share = page.getByRole('form', { name: 'Share project' });
  const email = share.getByRole('textbox', { name: 'Email', exact: true });
  const shareWith = async (address, role) => {
    await email.fill(address);
    await share.getByRole('combobox', { name: 'Role', exact: true }).selectOption(role);
    await share.getByRole('button', { name: 'Share', exact: true }).click();
  };
  await shareWith(ben.email, 'admin');
  await page.getByRole('combobox', { name: `Role of ${ben.email}`, exact: true }).waitFor();
  await shareWith(cy.email, 'viewer');
  await page.getByRole('combobox', { name: `Role of ${cy.email}`, exact: true }).waitFor();
  assert.equal(await members.getByRole('listitem').count(), 3);

  // Sharing again with a member is refused (409), in words under the field.
  await shareWith(cy.email, 'editor');
  await share.locator('.error:not([hidden])').waitFor();
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByRole('combobox', { name: `Role of ${cy.email}`, exact: true }).inputValue(), 'viewer');

  // Remove Cy: the row goes, and Cy no longer sees the project.
  await page.getByRole('button', { name: `Remove ${cy.email}`, exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Removed Cy Viewer' }).waitFor();
  assert.equal(await members.getByRole('listitem').count(), 2);
  const cyProjects = await (await cy.api.get('/api/v1/projects')).json();
  assert.equal(cyProjects.some((p) => p.name === 'Garden'), false);

  // Hand the project to Ben: Ada becomes an admin, who may leave but not delete it.
  await page.getByRole('button', { name: `Make ${ben.email} owner`, exact: true }).click();
  await page.getByRole('button', { name: 'Yes, make them the owner' }).click();
  await page.getByRole('status').filter({ hasText: 'Ben Admin now owns “Garden”' }).waitFor();
  await page.getByRole('heading', { name: 'Garden', level: 1 }).waitFor();
  await page.getByText('Project settings', { exact: true }).click();
  await page.getByText('You are an admin of this project.').waitFor();
  await members.getByRole('listitem').filter({ hasText: 'Ben Admin' }).filter({ hasText: 'Owner' }).waitFor();
  await page.getByRole('button', { name: 'Leave project' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Delete project' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: /^Make .* owner$/ }).count(), 0, 'only the owner hands it over');
  await page.getByRole('button', { name: 'Rename project' }).waitFor();
  await page.getByRole('navigation', { name: 'Projects' }).getByRole('link', { name: 'Garden (shared with you)', exact: true }).waitFor();
  const benProjects = await (await ben.api.get('/api/v1/projects')).json();
  assert.equal(benProjects.find((p) => p.name === 'Garden')?.role, 'owner');
  check();
  await context.close();
  await ben.api.dispose();
  await cy.api.dispose();
});
