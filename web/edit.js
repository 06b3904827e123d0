// Editing every field of one task. The write carries the ETag of what was read, so a change
// made elsewhere in between is reported instead of overwritten. In a shared project the task can
// be assigned to a member; a viewer sees the fields but cannot change them.

import { h, field, options, setError, toast } from './dom.js';
import { api, ApiError, taskPath } from './api.js';
import { PRIORITIES, toLocalInput, isOverdue, dueText, currentZone } from './format.js';
import {
  allProjects, canWrite, personName, projectMembers, projectPath, roleIn,
} from './projects.js';

const REPEATS = [['', 'Does not repeat'], ['DAILY', 'Daily'], ['WEEKLY', 'Weekly'], ['MONTHLY', 'Monthly']];

function tagsOf(text) {
  return text.split(/[\s,]+/).map((t) => t.replace(/^#/, '').trim()).filter(Boolean);
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
      const members = await membersOf(own);
      body.replaceChildren(form(data, headers.get('ETag'), projects, own, members));
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

  function form(task, etag, projects, own, members) {
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
    const controls = {
      title, description, priority, tags, due_date: due, recurrence_pattern: repeat, recurrence_interval: interval, project_id: project,
      assignee_id: assignee,
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
