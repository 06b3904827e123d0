// End-to-end tests of organising lists in the web app (issue 20): subtasks (add, fold, reorder
// by keyboard, completion reaching them) and a project's settings (rename, archive, delete).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  apiUser, axe, createTask, launch, logIn, openContext, signUp, taskItem, until,
} from './support.js';

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

/** The titles of a list's own items, in order (not those of the lists nested in them). */
function titlesOf(list) {
  return list.evaluate((ul) => [...ul.children].map((li) => li.querySelector('.task-title').textContent));
}

test('subtasks: add, fold, reorder by keyboard, and completing the parent completes them', async () => {
  const { email, api } = await apiUser();
  const trip = await createTask(api, { title: 'plan the trip' });
  await createTask(api, { title: 'pack bags' });
  const { context, page, check } = await openContext(browser);
  await logIn(page, email);
  await taskItem(page, 'plan the trip').waitFor();

  // Add two subtasks from the one-line field under the task; it stays open for the next one.
  await page.getByRole('button', { name: 'Add subtask to plan the trip', exact: true }).click();
  const field = page.getByRole('textbox', { name: 'New subtask of “plan the trip”' });
  await field.fill('book flights');
  await field.press('Enter');
  const subtasks = page.getByRole('list', { name: 'plan the trip', exact: true });
  await subtasks.getByRole('checkbox', { name: 'Complete book flights', exact: true }).waitFor();
  await field.fill('book hotel');
  await field.press('Enter');
  await subtasks.getByRole('checkbox', { name: 'Complete book hotel', exact: true }).waitFor();
  assert.deepEqual(await titlesOf(subtasks), ['book flights', 'book hotel']);
  assert.match(await taskItem(page, 'plan the trip').textContent(), /0 of 2 subtasks done/);
  assert.deepEqual(await axe(page), [], 'with the subtask field open');
  await field.press('Escape');
  assert.equal(await field.isHidden(), true);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Add subtask to plan the trip');
  const stored = await (await api.get(`/api/v1/tasks?parent_id=${trip.id}&sort=position&order=asc`)).json();
  assert.deepEqual(stored.map((t) => t.title), ['book flights', 'book hotel']);

  // Fold and unfold: the button says what it will do and whether the list is shown.
  const hide = page.getByRole('button', { name: 'Hide subtasks of plan the trip', exact: true });
  assert.equal(await hide.getAttribute('aria-expanded'), 'true');
  await hide.click();
  await subtasks.waitFor({ state: 'hidden' });
  const show = page.getByRole('button', { name: 'Show subtasks of plan the trip', exact: true });
  assert.equal(await show.getAttribute('aria-expanded'), 'false');
  assert.deepEqual(await axe(page), [], 'with the subtasks folded');
  await show.press('Enter');
  await subtasks.waitFor();

  // Reorder by keyboard: the moved task keeps the focus, on the button still usable.
  await page.getByRole('button', { name: 'Move book hotel up', exact: true }).focus();
  await page.keyboard.press('Enter');
  await until(page, () => [...document.querySelectorAll('.subtasks > li .task-title')].map((a) => a.textContent).join('|')
    === 'book hotel|book flights');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Move book hotel down');
  // Top-level tasks move in the manual order.
  await page.getByLabel('Sort').selectOption('position:asc');
  await page.getByRole('button', { name: 'Move pack bags up', exact: true }).waitFor();
  const top = page.getByRole('list', { name: 'Tasks', exact: true });
  assert.deepEqual(await titlesOf(top), ['plan the trip', 'pack bags']);
  await page.getByRole('button', { name: 'Move pack bags up', exact: true }).focus();
  await page.keyboard.press('Space');
  await until(page, () => [...document.querySelectorAll('.tasks > li > .task-row .task-title')].map((a) => a.textContent).join('|')
    === 'pack bags|plan the trip');
  // Kept by the server: a reload shows the same order.
  await page.reload();
  await subtasks.waitFor();
  assert.deepEqual(await titlesOf(top), ['pack bags', 'plan the trip']);
  assert.deepEqual(await titlesOf(subtasks), ['book hotel', 'book flights']);

  // Completing the parent completes its open subtasks, shown by reading that level again.
  await page.getByRole('checkbox', { name: 'Complete plan the trip', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Completed' }).waitFor();
  await until(page, () => [...document.querySelectorAll('.subtasks input[type="checkbox"]')].every((box) => box.checked));
  assert.match(await taskItem(page, 'plan the trip').textContent(), /2 of 2 subtasks done/);
  const after = await (await api.get(`/api/v1/tasks?parent_id=${trip.id}&status=completed`)).json();
  assert.equal(after.length, 2);
  // Undo puts back what was open before.
  await page.getByRole('button', { name: 'Undo' }).click();
  await page.getByRole('status').filter({ hasText: 'Reopened' }).waitFor();
  await until(page, () => [...document.querySelectorAll('.tasks input[type="checkbox"]')].every((box) => !box.checked));

  // Search results are a flat list, where a subtask says it is one.
  await page.getByRole('searchbox', { name: 'Search' }).fill('book');
  await until(page, () => document.querySelectorAll('.tasks > li').length === 2
    && document.querySelectorAll('.subtasks > li').length === 0);
  assert.match(await taskItem(page, 'book hotel').textContent(), /Subtask/);
  check();
  await context.close();
  await api.dispose();
});

test('projects: rename, archive, show archived, and delete moving or dropping its tasks', async () => {
  const { context, page, check } = await openContext(browser);
  await signUp(page);
  const projects = page.getByRole('navigation', { name: 'Projects' });
  await projects.getByRole('link', { name: 'Inbox' }).waitFor();
  assert.equal(await page.getByText('Project settings', { exact: true }).isHidden(), true, 'the Inbox has no settings');
  const add = page.getByRole('textbox', { name: 'Add task' });
  const preview = page.locator('.preview');
  await page.getByLabel('New project').fill('Errands');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('heading', { name: 'Errands' }).waitFor();
  await add.fill('post the letter');
  await preview.filter({ hasText: 'Will add' }).waitFor();
  await add.press('Enter');
  await taskItem(page, 'post the letter').waitFor();

  // Rename.
  await page.getByText('Project settings', { exact: true }).click();
  await page.getByLabel('Project name').fill('Chores');
  await page.getByRole('button', { name: 'Rename project' }).click();
  await page.getByRole('heading', { name: 'Chores' }).waitFor();
  await projects.getByRole('link', { name: 'Chores' }).waitFor();
  assert.deepEqual(await axe(page), [], 'with the project settings open');

  // The edit page leads back to the task's own list.
  await taskItem(page, 'post the letter').getByRole('link').click();
  await page.getByRole('heading', { name: 'Edit task' }).waitFor();
  await page.getByRole('link', { name: '← Back to Chores' }).click();
  await page.getByRole('heading', { name: 'Chores' }).waitFor();

  // Archive: no new tasks, and the list of projects hides it unless asked.
  await page.getByText('Project settings', { exact: true }).click();
  await page.getByRole('button', { name: 'Archive project', exact: true }).click();
  await page.getByRole('button', { name: 'Unarchive project' }).waitFor();
  assert.equal(await add.isDisabled(), true, 'an archived project takes no tasks');
  await taskItem(page, 'post the letter').waitFor();
  await projects.getByRole('link', { name: 'Inbox' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  assert.equal(await projects.getByRole('link', { name: /Chores/ }).count(), 0);
  await projects.getByRole('button', { name: 'Show archived projects' }).click();
  assert.equal(await projects.getByRole('button', { name: 'Show archived projects' }).getAttribute('aria-pressed'), 'true');
  await projects.getByRole('link', { name: 'Chores (archived)' }).click();
  await page.getByRole('heading', { name: 'Chores' }).waitFor();
  await page.getByText('Project settings', { exact: true }).click();
  await page.getByRole('button', { name: 'Unarchive project' }).click();
  await page.getByRole('button', { name: 'Archive project', exact: true }).waitFor();
  assert.equal(await add.isDisabled(), false);

  // Delete, moving its tasks to the Inbox (the default choice), after a confirmation.
  await page.getByRole('button', { name: 'Delete project' }).click();
  await page.getByText('What becomes of its task').waitFor();
  assert.equal(await page.getByRole('radio', { name: 'Move them to the Inbox' }).isChecked(), true);
  assert.deepEqual(await axe(page), [], 'with the delete question open');
  await page.getByRole('button', { name: 'Yes, delete the project' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  await taskItem(page, 'post the letter').waitFor();
  assert.equal(await projects.getByRole('link', { name: /Chores/ }).count(), 0);

  // Delete with its tasks.
  await page.getByLabel('New project').fill('Scratch');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('heading', { name: 'Scratch' }).waitFor();
  await add.fill('throwaway');
  await preview.filter({ hasText: 'Will add' }).waitFor();
  await add.press('Enter');
  await taskItem(page, 'throwaway').waitFor();
  await page.getByText('Project settings', { exact: true }).click();
  await page.getByRole('button', { name: 'Delete project' }).click();
  await page.getByRole('radio', { name: 'Delete them with the project' }).check();
  await page.getByRole('button', { name: 'Yes, delete the project' }).click();
  await page.getByRole('status').filter({ hasText: 'Deleted “Scratch” and 1 task.' }).waitFor();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  await taskItem(page, 'post the letter').waitFor();
  assert.equal(await taskItem(page, 'throwaway').count(), 0);
  check();
  await context.close();
});
