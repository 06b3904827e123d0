// The project list beside the tasks (with archived projects on demand) and the settings of the
// project shown: rename, archive, and delete with a choice of what becomes of its tasks.

import { h, field, setError, toast, uid } from './dom.js';
import { api } from './api.js';

// Whether the list shows archived projects too; kept while the tab is open.
let showArchived = false;

/** The list page of a project. */
export function projectPath(project) {
  return !project || project.is_inbox ? '/app' : `/app?project=${encodeURIComponent(project.id)}`;
}

/** Every project of the user, archived ones included (each page filters what it shows). */
export async function allProjects() {
  const { data } = await api('GET', '/api/v1/projects?archived=true');
  return data;
}

/** The user's projects as links, the one shown marked current, and a form to start another. */
export function projectNav(ctx, projects, shown) {
  const archived = projects.filter((p) => p.archived);
  // The shown project is listed even when archived, so the page always has its current link.
  const listed = projects.filter((p) => !p.archived || showArchived || p.id === shown?.id);
  const links = listed.map((project) => h('li', {},
    h('a', {
      href: projectPath(project),
      'aria-current': project.id === shown?.id ? 'page' : null,
      class: project.archived ? 'archived' : null,
    }, project.name, project.archived ? h('span', { class: 'tag-archived' }, ' (archived)') : null)));
  const toggle = archived.length ? h('button', {
    type: 'button',
    class: 'link',
    'aria-pressed': String(showArchived),
    onclick: () => {
      showArchived = !showArchived;
      const nav = projectNav(ctx, projects, shown);
      el.replaceWith(nav);
      nav.querySelector('[aria-pressed]').focus();
    },
  }, 'Show archived projects') : null;
  const name = h('input', { type: 'text', name: 'name', required: true, maxlength: '100', autocomplete: 'off' });
  const create = h('button', { type: 'submit' }, 'Create project');
  const form = h('form', { class: 'new-project' }, field('New project', name), create);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!name.value.trim()) {
      name.focus();
      return;
    }
    create.disabled = true;
    try {
      const { data } = await api('POST', '/api/v1/projects', { name: name.value });
      toast(`Created the project “${data.name}”.`);
      ctx.navigate(projectPath(data));
    } catch (err) {
      toast(err.message);
      create.disabled = false;
    }
  });
  const el = h('nav', { class: 'projects', 'aria-label': 'Projects' }, h('ul', {}, links), toggle, form);
  return el;
}

/**
 * The settings of a project other than the Inbox (which the API keeps as it is). `changed` is
 * called with the project after a rename or (un)archive, so the page can show the new state.
 */
export function projectSettings(ctx, project, inbox, changed) {
  const name = h('input', { type: 'text', name: 'name', value: project.name, required: true, maxlength: '100', autocomplete: 'off' });
  const rename = h('button', { type: 'submit' }, 'Rename project');
  const renameForm = h('form', { class: 'rename' },
    h('div', { class: 'row' }, h('div', { class: 'grow' }, field('Project name', name)), rename));
  renameForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    setError(name, null);
    rename.disabled = true;
    try {
      const { data } = await api('PATCH', `/api/v1/projects/${encodeURIComponent(project.id)}`, { name: name.value });
      project = data;
      toast(`Renamed the project to “${data.name}”.`);
      changed(data);
    } catch (err) {
      const mine = (err.errors || []).find((e) => e.field === 'name');
      setError(name, mine ? mine.message : err.message);
      name.focus();
    } finally {
      rename.disabled = false;
    }
  });

  const archive = h('button', { type: 'button', onclick: () => setArchived(!project.archived) });
  const archiveHint = h('p', { class: 'hint' });
  const showArchive = () => {
    archive.textContent = project.archived ? 'Unarchive project' : 'Archive project';
    archiveHint.textContent = project.archived
      ? 'Archived: it keeps its tasks but takes no new ones, and the project list hides it.'
      : 'Archiving keeps its tasks but takes no new ones, and hides it from the project list.';
  };
  showArchive();
  async function setArchived(value) {
    archive.disabled = true;
    try {
      const { data } = await api('PATCH', `/api/v1/projects/${encodeURIComponent(project.id)}`, { archived: value });
      project = data;
      showArchive();
      toast(value ? `Archived “${data.name}”.` : `Unarchived “${data.name}”.`);
      changed(data);
    } catch (err) {
      toast(err.message);
    } finally {
      archive.disabled = false;
      archive.focus();
    }
  }

  const remove = h('button', { type: 'button', class: 'danger', onclick: () => confirmDelete() }, 'Delete project');
  const group = uid('fate');
  const moveChoice = h('input', { type: 'radio', name: group, value: 'move', checked: true, id: `${group}-move` });
  const dropChoice = h('input', { type: 'radio', name: group, value: 'delete', id: `${group}-delete` });
  const question = h('legend', {});
  const confirmBox = h('div', { class: 'confirm-delete', hidden: true },
    h('fieldset', {}, question,
      h('div', { class: 'field check' }, moveChoice, h('label', { for: moveChoice.id }, 'Move them to the Inbox')),
      h('div', { class: 'field check' }, dropChoice, h('label', { for: dropChoice.id }, 'Delete them with the project'))),
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'danger', onclick: () => destroy() }, 'Yes, delete the project'),
      h('button', { type: 'button', onclick: () => { confirmBox.hidden = true; remove.focus(); } }, 'Keep it')));

  async function confirmDelete() {
    let count = null;
    try {
      const { headers } = await api('GET', `/api/v1/tasks?project_id=${encodeURIComponent(project.id)}&status=all&limit=1`);
      count = Number(headers.get('X-Total-Count'));
    } catch {
      // The question reads well without the number too.
    }
    question.textContent = Number.isFinite(count)
      ? `Delete “${project.name}”? What becomes of its ${count === 1 ? 'task' : `${count} tasks`}:`
      : `Delete “${project.name}”? What becomes of its tasks:`;
    confirmBox.hidden = false;
    moveChoice.focus();
  }

  async function destroy() {
    const moving = moveChoice.checked;
    try {
      const query = moving ? `?move_to=${encodeURIComponent(inbox.id)}` : '';
      const { data } = await api('DELETE', `/api/v1/projects/${encodeURIComponent(project.id)}${query}`);
      const tasks = (n) => (n === 1 ? '1 task' : `${n} tasks`);
      toast(moving
        ? `Deleted “${project.name}”; ${tasks(data.tasks_moved)} moved to the Inbox.`
        : `Deleted “${project.name}” and ${tasks(data.tasks_deleted)}.`);
      ctx.navigate('/app');
    } catch (err) {
      toast(err.message);
    }
  }

  return h('details', { class: 'project-settings' },
    h('summary', {}, 'Project settings'),
    h('div', { class: 'settings-body' },
      renameForm,
      h('div', { class: 'setting' }, archive, archiveHint),
      h('div', { class: 'setting' }, remove, confirmBox)));
}
