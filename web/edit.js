// Editing every field of one task, its place in the task tree among them. The write carries the
// ETag of what was read, so a change made elsewhere in between is reported instead of
// overwritten. In a shared project the task can be assigned to a member; a viewer sees the
// fields but cannot change them.

import { h, field, options, setError, toast } from './dom.js';
import { api, ApiError, taskPath } from './api.js';
import { PRIORITIES, toLocalInput, isOverdue, dueText, currentZone } from './format.js';
import {
  allProjects, canWrite, personName, projectMembers, projectPath, roleIn,
} from './projects.js';
import { MAX_DEPTH } from './tree.js';

const REPEATS = [['', 'Does not repeat'], ['DAILY', 'Daily'], ['WEEKLY', 'Weekly'], ['MONTHLY', 'Monthly']];

function tagsOf(text) {
  return text.split(/[\s,]+/).map((t) => t.replace(/^#/, '').trim()).filter(Boolean);
}

/**
 * The tasks of a project in manual order, one listing of 200 (every level; a project with more
 * offers the first 200 as parents, and the API still checks whatever is chosen).
 */
async function projectTasks(projectId) {
  const { data } = await api('GET', `/api/v1/tasks?project_id=${encodeURIComponent(projectId)}&status=all&sort=position&order=asc&limit=200`);
  return data;
}

/** How many levels of subtasks a task has below it, as far as the listing shows. */
function heightBelow(id, listing) {
  const kids = listing.filter((t) => t.parent_id === id);
  return kids.length ? 1 + Math.max(...kids.map((k) => heightBelow(k.id, listing))) : 0;
}

/**
 * What `Subtask of` offers, from a listing: every task after its parent, indented by its depth,
 * leaving out the task itself and its subtasks at every level (a cycle) and any task too deep to
 * take it with its own subtasks (the API's four levels), both of which the API would refuse. A
 * task whose parent is not in the listing is placed at the top level (the API has the last word).
 */
function parentChoices(listing, task, height) {
  const ids = new Set(listing.map((t) => t.id));
  const children = new Map();
  for (const t of listing) {
    const key = t.parent_id && ids.has(t.parent_id) ? t.parent_id : null;
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(t);
  }
  const pairs = [];
  const walk = (parentId, depth) => {
    for (const t of children.get(parentId) || []) {
      if (t.id === task.id) continue;
      // No-break spaces, as an option's text cannot be styled: the title is all a reader hears.
      if (t.id === task.parent_id || depth + 1 + height <= MAX_DEPTH) pairs.push([t.id, `${'\u00a0'.repeat(depth * 4)}${t.title}`]);
      walk(t.id, depth + 1);
    }
  };
  walk(null, 0);
  return pairs;
}

/** The edit page of one task. */
export function editView(ctx, id) {
  const heading = h('h1', { tabindex: '-1' }, 'Edit task');
  const body = h('div', { class: 'card' }, h('p', { class: 'loading' }, 'Loading…'));
  // Named after the task's own project once it is read.
  const back = h('a', { href: '/app' }, '← Back to the list');
  const node = h('section', { class: 'edit-page' }, h('p', { class: 'back' }, back), heading, body);
  load();
  return { title: 'Edit task', node, focus: heading };

  async function load() {
    try {
      const [{ data, headers }, every] = await Promise.all([api('GET', taskPath(id)), allProjects()]);
      const own = every.find((p) => p.id === data.project_id);
      back.href = projectPath(own);
      back.textContent = `← Back to ${own && !own.is_inbox ? own.name : 'the Inbox'}`;
      // A task stays among its owner's projects (the API refuses the rest); an archived one
      // takes no tasks, nor does one the user only views, so it is offered only to a task
      // already in it.
      const movable = (p) => p.owner_id === own?.owner_id && !p.archived && canWrite(p);
      const projects = every.filter((p) => movable(p) || p.id === data.project_id)
        .map((p) => (p.archived ? { ...p, name: `${p.name} (archived)` } : p));
      const [members, listing] = await Promise.all([membersOf(own), projectTasks(data.project_id).catch(() => null)]);
      body.replaceChildren(form(data, headers.get('ETag'), projects, own, members, listing));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      body.replaceChildren(h('p', { class: 'form-error', role: 'alert' },
        err.status === 404 ? 'This task does not exist (or is not yours).' : err.message));
    }
  }

  /** A project's members, or none for the Inbox (never shared) or when they cannot be read. */
  async function membersOf(project) {
    if (!project || project.is_inbox) return [];
    try {
      return await projectMembers(project);
    } catch {
      return [];
    }
  }

  /** The list page of the project a task is in. */
  function listOf(projectId, projects) {
    return projectPath(projects.find((p) => p.id === projectId));
  }

  function form(task, etag, projects, own, members, listing) {
    const readOnly = !canWrite(own);
    const project = h('select', { name: 'project_id' },
      options(projects.map((p) => [p.id, p.name]), task.project_id));
    const title = h('input', { type: 'text', name: 'title', value: task.title, required: true, maxlength: '200' });
    const description = h('textarea', { name: 'description', rows: '4', maxlength: '1000' });
    description.value = task.description || '';
    const completed = h('input', { type: 'checkbox', name: 'completed', checked: task.completed });
    const priority = h('select', { name: 'priority' }, options(PRIORITIES, task.priority));
    const tags = h('input', { type: 'text', name: 'tags', value: (task.tags || []).join(', '), autocomplete: 'off' });
    const due = h('input', { type: 'datetime-local', name: 'due_date', value: toLocalInput(task.due_date) });
    const repeat = h('select', { name: 'recurrence_pattern' }, options(REPEATS, task.recurrence_pattern || ''));
    const interval = h('input', {
      type: 'number', name: 'recurrence_interval', min: '1', max: '1000', inputmode: 'numeric',
      value: String(task.recurrence_interval || 1),
    });
    // The interval only means something for a repeating task.
    const syncInterval = () => { interval.disabled = !repeat.value; };
    repeat.addEventListener('change', syncInterval);
    syncInterval();
    // Anyone in the task's project may be assigned it; offered only when someone besides its
    // owner is in it (otherwise there is nobody to hand it to).
    const assignee = h('select', { name: 'assignee_id' });
    const assigneeField = field('Assignee', assignee);
    let assigneeShown = false;
    const showAssignees = (list, selected) => {
      assigneeShown = list.length > 1;
      assigneeField.hidden = !assigneeShown;
      assignee.replaceChildren(...options([['', 'Nobody'],
        ...list.map((m) => [m.user_id, m.name ? `${m.name} (${m.email})` : m.email])], selected || ''));
      // Someone no longer in the project stays named until the task is saved.
      if (selected && !list.some((m) => m.user_id === selected)) {
        assignee.append(h('option', { value: selected, selected: true }, 'A former member'));
      }
    };
    showAssignees(members, task.assignee_id);
    // Another project has other members: the list follows the project chosen.
    project.addEventListener('change', async () => {
      const chosen = projects.find((p) => p.id === project.value);
      const keep = assignee.value;
      const list = await membersOf(chosen);
      if (project.value === chosen?.id) showAssignees(list, list.some((m) => m.user_id === keep) ? keep : '');
    });
    // Its place in the task tree: under a task of the project chosen, or at the top level. Its
    // own subtasks go along, so their levels count against the four the API allows.
    const height = listing ? heightBelow(task.id, listing) : 0;
    const parent = h('select', { name: 'parent_id' });
    // Only a list that was read is sent back, so a project whose tasks could not be read keeps
    // the task's parent.
    let parentShown = false;
    const showParents = (list, selected) => {
      parentShown = !!list;
      const pairs = list ? parentChoices(list, task, height) : [];
      parent.replaceChildren(...options([['', 'None (top level)'], ...pairs], selected || ''));
      // A parent beyond the first 200 tasks stays chosen until something else is.
      if (selected && !pairs.some(([value]) => value === selected)) {
        parent.append(h('option', { value: selected, selected: true }, 'Its current parent'));
      }
    };
    showParents(listing, task.parent_id);
    // A move to another project leaves the parent (the API does the same): the choice starts
    // again from the top level, among the tasks of the project chosen.
    project.addEventListener('change', async () => {
      const chosen = project.value;
      parent.value = '';
      parent.disabled = true;
      const list = chosen === task.project_id ? listing : await projectTasks(chosen).catch(() => null);
      if (project.value !== chosen) return;
      showParents(list, '');
      parent.disabled = false;
    });
    const controls = {
      title, description, priority, tags, due_date: due, recurrence_pattern: repeat, recurrence_interval: interval, project_id: project,
      assignee_id: assignee, parent_id: parent,
    };
    const banner = h('p', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
    const status = [];
    if (isOverdue(task)) status.push(h('span', { class: 'chip due overdue' }, `Overdue · ${dueText(task.due_date)}`));
    if (task.is_recurring) status.push(h('span', { class: 'chip repeat' }, '↻ Recurring'));
    const save = h('button', { type: 'submit', class: 'primary' }, 'Save');
    const remove = h('button', { type: 'button', class: 'danger', onclick: () => confirmDelete() }, 'Delete task');
    const confirmRow = h('div', { class: 'confirm', hidden: true },
      h('span', {}, 'Delete this task for good?'),
      h('button', { type: 'button', class: 'danger', onclick: () => destroy() }, 'Yes, delete'),
      h('button', { type: 'button', onclick: () => { confirmRow.hidden = true; remove.focus(); } }, 'Keep it'));

    // Task numbers are the project owner's: the number means this task only to its owner.
    const yours = roleIn(own) === 'owner';
    const el = h('form', { class: 'edit', novalidate: true },
      banner,
      status.length ? h('p', { class: 'meta' }, status) : null,
      yours ? h('p', { class: 'hint' }, `Task #${task.number}`) : null,
      readOnly ? h('p', { class: 'read-only', id: 'edit-read-only' },
        'You are a viewer of this project: you can read this task, but not change it.') : null,
      field('Title', title),
      field('Description', description),
      h('div', { class: 'field check' }, completed, h('label', { for: (completed.id = 'edit-completed') }, 'Completed')),
      h('div', { class: 'grid' },
        field('Project', project),
        field('Subtask of', parent, { hint: 'It takes its subtasks along, and goes last among the chosen task’s.' }),
        field('Priority', priority),
        field('Due', due, { hint: `Your time zone: ${currentZone()}. Leave empty for no date.` }),
        field('Repeats', repeat),
        field('Repeat every', interval, { hint: 'Days, weeks or months.' }),
        field('Tags', tags, { hint: 'Separated by commas or spaces.' }),
        assigneeField),
      readOnly
        ? h('div', { class: 'actions' }, h('a', { href: listOf(task.project_id, projects), class: 'button' }, 'Back to the list'))
        : h('div', { class: 'actions' }, save, h('a', { href: listOf(task.project_id, projects), class: 'button' }, 'Cancel'), remove),
      confirmRow);
    if (readOnly) {
      for (const control of [...Object.values(controls), completed]) {
        control.disabled = true;
        control.setAttribute('aria-describedby', `${control.getAttribute('aria-describedby') || ''} edit-read-only`.trim());
      }
    }

    el.addEventListener('submit', async (event) => {
      event.preventDefault();
      for (const control of Object.values(controls)) setError(control, null);
      banner.hidden = true;
      const patch = {
        title: title.value,
        description: description.value.trim() ? description.value : null,
        priority: priority.value,
        tags: tagsOf(tags.value),
        due_date: due.value || null,
        recurrence_pattern: repeat.value || null,
      };
      if (repeat.value) patch.recurrence_interval = Number(interval.value);
      if (project.value !== task.project_id) patch.project_id = project.value;
      if (parentShown && (parent.value || null) !== (task.parent_id || null)) patch.parent_id = parent.value || null;
      // Only a list that was shown is read back, so a project whose members could not be read
      // keeps its task's assignee.
      if (assigneeShown && (assignee.value || null) !== (task.assignee_id || null)) patch.assignee_id = assignee.value || null;
      else if (!assigneeShown && task.assignee_id && project.value !== task.project_id) patch.assignee_id = null;
      save.disabled = true;
      try {
        const res = await api('PATCH', taskPath(task.id), patch, etag ? { 'If-Match': etag } : {});
        etag = res.headers.get('ETag');
        if (completed.checked !== res.data.completed) {
          await api('PATCH', `${taskPath(task.id)}/complete`, { completed: completed.checked });
        }
        toast(`Saved “${res.data.title}”.`);
        ctx.navigate(listOf(res.data.project_id, projects));
      } catch (err) {
        let placed = false;
        for (const e of err.errors || []) {
          const control = controls[e.field];
          if (control) {
            setError(control, e.message);
            placed = true;
          }
        }
        banner.textContent = err.status === 412
          ? 'This task was changed elsewhere since you opened it. Reload the page to see the new version.'
          : placed ? 'Please correct the fields below.' : err.message;
        banner.hidden = false;
        banner.focus();
      } finally {
        save.disabled = false;
      }
    });

    function confirmDelete() {
      confirmRow.hidden = false;
      confirmRow.querySelector('button').focus();
    }

    async function destroy() {
      try {
        await api('DELETE', taskPath(task.id));
        toast(`Deleted “${task.title}”.`);
        ctx.navigate(listOf(task.project_id, projects));
      } catch (err) {
        banner.textContent = err.message;
        banner.hidden = false;
      }
    }
    return el;
  }
}
