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

/** The values of a select's options, in order. */
function optionValues(select) {
  return select.evaluate((el) => [...el.options].map((o) => o.value));
}

test('edit page: a task goes under another and back, and no choice makes a cycle', async () => {
  const { email, api } = await apiUser();
  const report = await createTask(api, { title: 'write the report' });
  const figures = await createTask(api, { title: 'gather figures' });
  const sources = await createTask(api, { title: 'check sources', parent_id: figures.id });
  const work = await (await api.post('/api/v1/projects', { data: { name: 'Work' } })).json();
  const week = await createTask(api, { title: 'plan the week', project_id: work.id });
  const { context, page, check } = await openContext(browser);
  await logIn(page, email);

  // Neither the task itself nor its own subtask is offered as its parent.
  await page.goto(`/app/tasks/${figures.id}`);
  await page.getByRole('heading', { name: 'Edit task' }).waitFor();
  const parent = page.getByRole('combobox', { name: 'Subtask of' });
  await until(page, () => document.querySelector('select[name="parent_id"]')?.options.length > 1);
  assert.deepEqual(await optionValues(parent), ['', report.id]);
  assert.equal(await parent.inputValue(), '');
  assert.equal(await parent.locator('option').first().textContent(), 'None (top level)');
  assert.deepEqual(await axe(page), [], 'the edit page with Subtask of');

  // Under "write the report": the list shows it nested there, its own subtask with it.
  await parent.selectOption(report.id);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  const underReport = page.getByRole('list', { name: 'write the report', exact: true });
  await underReport.getByRole('checkbox', { name: 'Complete gather figures', exact: true }).waitFor();
  await page.getByRole('list', { name: 'gather figures', exact: true })
    .getByRole('checkbox', { name: 'Complete check sources', exact: true }).waitFor();
  const top = page.getByRole('list', { name: 'Tasks', exact: true });
  assert.deepEqual(await titlesOf(top), ['write the report']);

  // The parent's edit page offers neither of them (either would make a cycle).
  await page.goto(`/app/tasks/${report.id}`);
  await page.getByRole('heading', { name: 'Edit task' }).waitFor();
  await page.getByRole('textbox', { name: 'Title' }).waitFor();
  assert.deepEqual(await optionValues(parent), ['']);

  // Back to the top level, shown as chosen.
  await page.goto(`/app/tasks/${figures.id}`);
  await page.getByRole('heading', { name: 'Edit task' }).waitFor();
  await until(page, () => document.querySelector('select[name="parent_id"]')?.value !== undefined
    && document.querySelector('select[name="parent_id"]').options.length > 1);
  assert.equal(await parent.inputValue(), report.id);
  // Another project: the choice starts again from the top level, among that project's tasks.
  const project = page.getByRole('combobox', { name: 'Project' });
  await project.selectOption(work.id);
  await until(page, (id) => [...document.querySelector('select[name="parent_id"]').options].some((o) => o.value === id), week.id);
  assert.equal(await parent.inputValue(), '');
  assert.deepEqual(await optionValues(parent), ['', week.id]);
  await project.selectOption({ label: 'Inbox' });
  await until(page, (id) => [...document.querySelector('select[name="parent_id"]').options].some((o) => o.value === id), report.id);
  assert.equal(await parent.inputValue(), '');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'Inbox' }).waitFor();
  await until(page, () => document.querySelectorAll('.tasks > li').length === 2);
  assert.deepEqual((await titlesOf(top)).sort(), ['gather figures', 'write the report']);
  const moved = await (await api.get(`/api/v1/tasks/${figures.id}`)).json();
  assert.equal(moved.parent_id, null);
  const child = await (await api.get(`/api/v1/tasks/${sources.id}`)).json();
  assert.equal(child.parent_id, figures.id, 'its subtask went along');

  // A cycle made elsewhere after the page was read: the API's 422 shows at the field.
  await page.goto(`/app/tasks/${report.id}`);
  await page.getByRole('heading', { name: 'Edit task' }).waitFor();
  await until(page, () => document.querySelector('select[name="parent_id"]')?.options.length === 3);
  // A subtask is indented under its parent (no-break spaces: an option's text takes no style).
  assert.deepEqual(await parent.locator('option').allTextContents(),
    ['None (top level)', 'gather figures', '\u00a0\u00a0\u00a0\u00a0check sources']);
  const res = await api.patch(`/api/v1/tasks/${figures.id}`, { data: { parent_id: report.id } });
  assert.equal(res.status(), 200, await res.text());
  await parent.selectOption(figures.id);
  await page.getByRole('button', { name: 'Save' }).click();
  await until(page, () => document.querySelector('select[name="parent_id"]').getAttribute('aria-invalid') === 'true');
  const error = page.locator('.field', { has: parent }).locator('.error');
  assert.notEqual((await error.textContent()).trim(), '');
  assert.deepEqual(await axe(page), [], 'with the parent refused');
  check();
  await context.close();
  await api.dispose();
});

test('project colour: set it, see it in the project list, remove it', async () => {
  const { context, page, check } = await openContext(browser);
  await signUp(page);
  await page.getByLabel('New project').fill('Garden');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('heading', { name: 'Garden' }).waitFor();
  const projects = page.getByRole('navigation', { name: 'Projects' });
  const link = projects.getByRole('link', { name: 'Garden', exact: true });
  assert.equal(await link.locator('.swatch').count(), 0);

  await page.getByText('Project settings', { exact: true }).click();
  assert.equal(await page.getByRole('button', { name: 'Remove colour' }).isHidden(), true, 'no colour to remove yet');
  await page.getByLabel('Project colour').fill('#2a9d8f');
  await page.getByRole('button', { name: 'Save colour' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved the colour of “Garden”.' }).waitFor();
  // A decorative dot: the link's name stays the project's name.
  const swatch = link.locator('.swatch');
  await swatch.waitFor();
  assert.equal(await swatch.getAttribute('aria-hidden'), 'true');
  assert.equal(await swatch.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(42, 157, 143)');
  assert.deepEqual(await axe(page), [], 'with a colour set');
  // Kept by the server, and read back into the field.
  await page.reload();
  await swatch.waitFor();
  await page.getByText('Project settings', { exact: true }).click();
  assert.equal(await page.getByLabel('Project colour').inputValue(), '#2a9d8f');

  await page.getByRole('button', { name: 'Remove colour' }).click();
  await page.getByRole('status').filter({ hasText: 'Removed the colour of “Garden”.' }).waitFor();
  await until(page, () => !document.querySelector('.projects .swatch'));
  assert.equal(await page.getByRole('button', { name: 'Remove colour' }).isHidden(), true);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('name')), 'color');
  check();
  await context.close();
});
