// The task list of one project (the Inbox unless the address names another): the project list
// beside it, quick add (read by the chat agent's grammar, shown before it is saved) into that
// project, search, filters and sort kept in the address, pages loaded as the list scrolls, and
// completion with undo.

import { h, field, options, replace, toast, debounce, uid } from './dom.js';
import { api, ApiError, nextLink, taskPath } from './api.js';
import {
  PRIORITIES, dueText, isOverdue, localDate, dateAfter, priorityName, repeatText, longDate,
} from './format.js';

const PAGE = 50;
const SORTS = [
  ['created_at:desc', 'Newest'],
  ['created_at:asc', 'Oldest'],
  ['due_date:asc', 'Due date'],
  ['priority:desc', 'Priority'],
  ['title:asc', 'Title'],
  ['updated_at:desc', 'Last changed'],
];
const STATUSES = [['pending', 'Open'], ['completed', 'Completed'], ['all', 'All']];
const HINT = 'Dates (“tomorrow 5pm”, “on the 1st”), “every week”, #tags and !high are understood.';
const DUES = [['', 'Any'], ['overdue', 'Overdue'], ['today', 'Due today'], ['week', 'Next 7 days']];

function readFilters() {
  const q = new URLSearchParams(location.search);
  return {
    q: q.get('q') || '',
    status: q.get('status') || 'pending',
    priority: q.get('priority') || '',
    tag: q.get('tag') || '',
    due: q.get('due') || '',
    sort: q.get('sort') || 'created_at:desc',
    project: q.get('project') || '',
  };
}

function writeFilters(filters) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    const fallback = { status: 'pending', sort: 'created_at:desc' }[key] || '';
    if (value && value !== fallback) q.set(key, value);
  }
  const search = q.toString();
  history.replaceState(history.state, '', search ? `/app?${search}` : '/app');
}

function listUrl(filters, projectId) {
  const q = new URLSearchParams();
  if (projectId) q.set('project_id', projectId);
  const [sort, order] = filters.sort.split(':');
  q.set('status', filters.status);
  q.set('sort', sort);
  q.set('order', order);
  q.set('limit', String(PAGE));
  if (filters.q.trim()) q.set('q', filters.q.trim());
  if (filters.priority) q.set('priority', filters.priority);
  if (filters.tag.trim()) q.set('tag', filters.tag.trim().replace(/^#/, '').toLowerCase());
  if (filters.due === 'overdue') q.set('overdue', 'true');
  if (filters.due === 'today') {
    q.set('due_after', localDate());
    q.set('due_before', localDate());
  }
  if (filters.due === 'week') {
    q.set('due_after', localDate());
    q.set('due_before', dateAfter(6));
  }
  return `/api/v1/tasks?${q}`;
}

/** One task as a list item; its checkbox is named "Complete <title>". */
function taskItem(task, actions) {
  const overdue = isOverdue(task);
  const checkbox = h('input', {
    type: 'checkbox',
    checked: task.completed,
    'aria-label': `Complete ${task.title}`,
    onchange: () => actions.setDone(task, checkbox.checked, item),
  });
  const meta = [];
  if (task.due_date) {
    meta.push(h('span', { class: overdue ? 'chip due overdue' : 'chip due', title: longDate(task.due_date) },
      overdue ? `Overdue · ${dueText(task.due_date)}` : dueText(task.due_date)));
  }
  if (task.priority && task.priority !== 'NONE') {
    meta.push(h('span', { class: `chip prio prio-${task.priority.toLowerCase()}` }, `${priorityName(task.priority)} priority`));
  }
  if (task.is_recurring) {
    meta.push(h('span', { class: 'chip repeat' }, `↻ ${repeatText(task.recurrence_pattern, task.recurrence_interval)}`));
  }
  for (const tag of task.tags || []) meta.push(h('span', { class: 'chip tag' }, `#${tag}`));
  const item = h('li', { class: `task${task.completed ? ' done' : ''}${overdue ? ' is-overdue' : ''}`, 'data-id': task.id },
    checkbox,
    h('div', { class: 'task-body' },
      h('a', { class: 'task-title', href: `/app/tasks/${task.id}` }, task.title),
      task.description ? h('p', { class: 'task-desc' }, task.description) : null,
      meta.length ? h('div', { class: 'meta' }, meta) : null));
  return item;
}

/** A preview of what quick add will create. */
function previewOf(task) {
  const bits = [h('strong', {}, task.title)];
  if (task.due_date) bits.push(h('span', { class: 'chip due' }, `Due ${dueText(task.due_date)}`));
  if (task.priority !== 'NONE') bits.push(h('span', { class: `chip prio prio-${task.priority.toLowerCase()}` }, `${priorityName(task.priority)} priority`));
  if (task.recurrence_pattern) bits.push(h('span', { class: 'chip repeat' }, `↻ ${repeatText(task.recurrence_pattern, task.recurrence_interval)}`));
  for (const tag of task.tags) bits.push(h('span', { class: 'chip tag' }, `#${tag}`));
  return [h('span', { class: 'preview-label' }, 'Will add: '), bits];
}

function quickAdd(onAdded, projectId) {
  const input = h('input', {
    type: 'text', name: 'text', autocomplete: 'off', maxlength: '500',
    placeholder: 'pay rent every month on the 1st #home !high',
  });
  const preview = h('p', { class: 'preview', id: uid('preview'), 'aria-live': 'polite' }, HINT);
  input.setAttribute('aria-describedby', preview.id);
  let parsed = null;
  let parsedText = '';
  const parse = async (text) => {
    if (!text.trim()) {
      parsed = null;
      replace(preview, HINT);
      preview.classList.remove('bad');
      return null;
    }
    try {
      const { data } = await api('GET', `/app/api/parse?text=${encodeURIComponent(text)}`);
      if (input.value !== text) return null;
      parsed = data;
      parsedText = text;
      replace(preview, previewOf(data));
      preview.classList.remove('bad');
      return data;
    } catch (err) {
      if (input.value === text) {
        parsed = null;
        replace(preview, err.message);
        preview.classList.add('bad');
      }
      return null;
    }
  };
  const later = debounce(parse, 200);
  input.addEventListener('input', () => later(input.value));
  const button = h('button', { type: 'submit', class: 'primary' }, 'Add');
  const form = h('form', { class: 'quick-add' },
    h('label', { for: (input.id = uid('add')) }, 'Add task'),
    h('div', { class: 'row' }, input, button),
    preview);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value;
    const task = parsed && parsedText === text ? parsed : await parse(text);
    if (!task) {
      input.focus();
      return;
    }
    button.disabled = true;
    try {
      const project = projectId();
      const { data } = await api('POST', '/api/v1/tasks', project ? { ...task, project_id: project } : task);
      input.value = '';
      parsed = null;
      replace(preview, HINT);
      toast(`Added “${data.title}”.`);
      onAdded(data);
    } catch (err) {
      replace(preview, err.message);
      preview.classList.add('bad');
    } finally {
      button.disabled = false;
      input.focus();
    }
  });
  return { form, input };
}

function filterBar(filters, onChange) {
  const search = h('input', { type: 'search', name: 'q', value: filters.q, autocomplete: 'off' });
  const status = h('select', { name: 'status' }, options(STATUSES, filters.status));
  const priority = h('select', { name: 'priority' }, options([['', 'Any'], ...PRIORITIES], filters.priority));
  const tag = h('input', { type: 'text', name: 'tag', value: filters.tag, autocomplete: 'off', placeholder: 'home' });
  const due = h('select', { name: 'due' }, options(DUES, filters.due));
  const sort = h('select', { name: 'sort' }, options(SORTS, filters.sort));
  const read = () => ({
    q: search.value, status: status.value, priority: priority.value, tag: tag.value, due: due.value, sort: sort.value,
  });
  const typed = debounce(() => onChange(read()), 250);
  search.addEventListener('input', typed);
  tag.addEventListener('input', typed);
  for (const select of [status, priority, due, sort]) select.addEventListener('change', () => onChange(read()));
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter tasks' },
    field('Search', search, { className: 'wide' }),
    field('Status', status),
    field('Priority', priority),
    field('Tag', tag),
    field('Due', due),
    field('Sort', sort));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onChange(read());
  });
  // On a phone the filters start folded (unless one is in use), so the list is what shows.
  const active = filters.q || filters.priority || filters.tag || filters.due
    || filters.status !== 'pending' || filters.sort !== 'created_at:desc';
  const open = active || !window.matchMedia('(max-width: 40rem)').matches;
  return h('details', { class: 'filter-box', open }, h('summary', {}, 'Search, filters and sort'), form);
}

/** The user's projects as links, the one shown marked current, and a form to start another. */
function projectNav(ctx, projects, shown) {
  const links = projects.map((project) => h('li', {},
    h('a', {
      href: project.is_inbox ? '/app' : `/app?project=${encodeURIComponent(project.id)}`,
      'aria-current': project.id === shown?.id ? 'page' : null,
    }, project.name)));
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
      ctx.navigate(`/app?project=${encodeURIComponent(data.id)}`);
    } catch (err) {
      toast(err.message);
      create.disabled = false;
    }
  });
  return h('nav', { class: 'projects', 'aria-label': 'Projects' }, h('ul', {}, links), form);
}

/** One project's tasks (the Inbox's unless the address names another project). */
export function tasksView(ctx) {
  let filters = readFilters();
  let shown = null;
  let next = null;
  let loading = false;
  let generation = 0;
  const list = h('ul', { class: 'tasks', 'aria-label': 'Tasks', 'aria-busy': 'true' });
  const count = h('p', { class: 'count', 'aria-live': 'polite' }, '\u00a0');
  const more = h('button', { type: 'button', class: 'more', hidden: true, onclick: () => loadMore() }, 'Load more tasks');
  const empty = h('p', { class: 'empty', hidden: true });
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });

  const actions = {
    async setDone(task, done, item) {
      try {
        const { data } = await api('PATCH', `${taskPath(task.id)}/complete`, { completed: done });
        const fresh = taskItem(data, actions);
        item.replaceWith(fresh);
        if (done) {
          toast(`Completed “${data.title}”.`, {
            label: 'Undo',
            run: () => undo(data, data.next_occurrence, fresh),
          });
          if (data.next_occurrence) {
            list.prepend(taskItem(data.next_occurrence, actions));
          }
        } else {
          toast(`Reopened “${data.title}”.`);
        }
      } catch (err) {
        item.querySelector('input').checked = task.completed;
        toast(err.message);
      }
    },
  };

  async function undo(task, nextOccurrence, item) {
    try {
      const { data } = await api('PATCH', `${taskPath(task.id)}/complete`, { completed: false });
      if (nextOccurrence) {
        await api('DELETE', taskPath(nextOccurrence.id));
        list.querySelector(`li[data-id="${CSS.escape(nextOccurrence.id)}"]`)?.remove();
      }
      const fresh = taskItem(data, actions);
      item.replaceWith(fresh);
      fresh.querySelector('input').focus();
      toast(`Reopened “${data.title}”.`);
    } catch (err) {
      toast(err.message);
    }
  }

  async function load(url, reset) {
    const mine = reset ? ++generation : generation;
    loading = true;
    list.setAttribute('aria-busy', 'true');
    try {
      const { data, headers } = await api('GET', url);
      if (mine !== generation) return;
      const total = Number(headers.get('X-Total-Count') || data.length);
      const fragment = document.createDocumentFragment();
      for (const task of data) fragment.append(taskItem(task, actions));
      if (reset) list.replaceChildren(fragment);
      else list.append(fragment);
      next = nextLink(headers);
      more.hidden = !next;
      count.textContent = total === 1 ? '1 task' : `${total} tasks`;
      empty.hidden = total !== 0;
      empty.textContent = filtered() ? 'No task matches these filters.' : 'Nothing here yet. Add your first task above.';
      // User Timing mark: how long a page load takes to show tasks (read by the browser tests).
      if (reset) performance.mark('tudu:tasks-shown');
    } catch (err) {
      if (mine === generation && !(err instanceof ApiError && err.status === 401)) {
        count.textContent = err.message;
      }
    } finally {
      if (mine === generation) {
        loading = false;
        list.setAttribute('aria-busy', 'false');
        // The observer only reports changes: if the end of the list is still in reach (a short
        // page, or a scroll made while loading), nothing else would ask for the next page.
        if (next && sentinel.isConnected && sentinel.getBoundingClientRect().top < window.innerHeight + 600) loadMore();
      }
    }
  }

  function filtered() {
    return filters.q || filters.priority || filters.tag || filters.due || filters.status === 'completed';
  }

  function reload() {
    load(listUrl(filters, shown?.id), true);
  }

  function loadMore() {
    if (next && !loading) load(next, false);
  }

  const { form, input } = quickAdd(() => reload(), () => shown?.id);
  const bar = filterBar(filters, (changed) => {
    filters = { ...changed, project: filters.project };
    writeFilters(filters);
    reload();
  });
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { rootMargin: '600px' });
  observer.observe(sentinel);

  const heading = h('h1', { tabindex: '-1' }, filters.project ? 'Project' : 'Inbox');
  const side = h('div', { class: 'project-side' });
  // The list needs the project's id, so the projects come first (one small request).
  (async () => {
    try {
      const { data } = await api('GET', '/api/v1/projects');
      shown = data.find((p) => p.id === filters.project) || data.find((p) => p.is_inbox) || null;
      if (filters.project && shown?.id !== filters.project) toast('That project does not exist (or is not yours).');
      if (shown) {
        heading.textContent = shown.name;
        document.title = `${shown.name} · tudu`;
      }
      side.replaceChildren(projectNav(ctx, data, shown));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      side.replaceChildren(h('p', { class: 'form-error' }, err.message));
    }
    reload();
  })();
  return {
    title: filters.project ? 'Project' : 'Inbox',
    node: h('div', { class: 'with-projects' }, side,
      h('section', { class: 'tasks-page' }, heading, form, bar, count, empty, list, more, sentinel)),
    focus: input,
    leave: () => observer.disconnect(),
  };
}
