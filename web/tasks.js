// The task list of one project (the Inbox unless the address names another): the project list
// beside it and the project's settings, quick add (read by the chat agent's grammar, shown before
// it is saved) into that project, search, filters and sort kept in the address, and top-level
// tasks loaded page by page as the list scrolls, each with its subtasks (rows: tree.js). In a
// project shared with the user as a viewer, the list is read-only.

import { h, field, options, replace, toast, debounce, uid } from './dom.js';
import { api, ApiError, nextLink } from './api.js';
import { PRIORITIES, dueText, localDate, dateAfter, priorityName, repeatText } from './format.js';
import { taskTree, withSubtasks, projectHasSubtasks } from './tree.js';
import {
  allProjects, canWrite, findShared, markShared, personName, projectMembers, projectNav, projectSettings,
} from './projects.js';

const PAGE = 50;
const SORTS = [
  ['created_at:desc', 'Newest'],
  ['created_at:asc', 'Oldest'],
  ['due_date:asc', 'Due date'],
  ['priority:desc', 'Priority'],
  ['title:asc', 'Title'],
  ['updated_at:desc', 'Last changed'],
  ['position:asc', 'Manual order'],
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

/** Whether the list is narrowed to search results, shown flat (subtasks among the rest). */
function isFiltered(filters) {
  return !!(filters.q.trim() || filters.priority || filters.tag.trim() || filters.due || filters.status === 'completed');
}

function listUrl(filters, projectId) {
  const q = new URLSearchParams();
  if (projectId) q.set('project_id', projectId);
  if (!isFiltered(filters)) q.set('parent_id', 'none');
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
  /** Closes quick add with a reason (an archived project takes no tasks), or opens it again. */
  const setClosed = (reason) => {
    input.disabled = !!reason;
    button.disabled = !!reason;
    replace(preview, reason || HINT);
  };
  return { form, input, setClosed };
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

/** One project's tasks (the Inbox's unless the address names another project). */
export function tasksView(ctx) {
  let filters = readFilters();
  let shown = null;
  let inbox = null;
  let next = null;
  let loading = false;
  let generation = 0;
  let tree = null;
  let nested = false;
  let subtasks = null;
  // The shown project's members (read once, alongside its first page) and, when it has any
  // beside its owner, who each is by user id, for the rows' "Assigned to …".
  let team = Promise.resolve([]);
  let people = null;
  const list = h('ul', { class: 'tasks', 'aria-label': 'Tasks', 'aria-busy': 'true' });
  const count = h('p', { class: 'count', 'aria-live': 'polite' }, '\u00a0');
  const more = h('button', { type: 'button', class: 'more', hidden: true, onclick: () => loadMore() }, 'Load more tasks');
  const empty = h('p', { class: 'empty', hidden: true });
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });

  async function load(url, reset) {
    const mine = reset ? ++generation : generation;
    loading = true;
    list.setAttribute('aria-busy', 'true');
    try {
      if (reset) {
        // Search results are flat; otherwise top-level tasks come with their subtasks, looked
        // for only when the project has any (asked alongside the first page).
        nested = !isFiltered(filters);
        subtasks = nested && shown ? projectHasSubtasks(shown.id) : Promise.resolve(false);
        subtasks.catch(() => {});
      }
      const { data, headers } = await api('GET', url);
      if (reset) people = peopleOf(await team.catch(() => []));
      const items = nested && (await subtasks) ? await withSubtasks(data) : data.map((task) => ({ task, children: [] }));
      if (mine !== generation) return;
      const total = Number(headers.get('X-Total-Count') || data.length);
      if (reset) {
        list.replaceChildren();
        tree = taskTree(list, {
          nested,
          manualTop: filters.sort === 'position:asc',
          readOnly: shown && !canWrite(shown) ? readOnly.id : null,
          assignee: (id) => assigneeName(id),
        });
      }
      tree.append(items);
      next = nextLink(headers);
      more.hidden = !next;
      count.textContent = total === 1 ? '1 task' : `${total} tasks`;
      empty.hidden = total !== 0;
      empty.textContent = isFiltered(filters) ? 'No task matches these filters.' : 'Nothing here yet. Add your first task above.';
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

  /** The members of a shared project by user id; null when only its owner is in it. */
  function peopleOf(members) {
    return members.length > 1 ? new Map(members.map((m) => [m.user_id, m])) : null;
  }

  /** Who a task is assigned to, in words; null when nobody is, or the project is not shared. */
  function assigneeName(id) {
    if (!id || !people) return null;
    const member = people.get(id);
    return member ? personName(member) : 'a former member';
  }

  function reload() {
    return load(listUrl(filters, shown?.id), true);
  }

  function loadMore() {
    if (next && !loading) load(next, false);
  }

  const { form, input, setClosed } = quickAdd(() => reload(), () => shown?.id);
  // In quick add's place for a viewer, who may read the tasks but not add or change any.
  const readOnly = h('p', { class: 'read-only', id: uid('read-only'), hidden: true },
    'You are a viewer of this project: you can read its tasks, but not add, complete or change them.');
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
  // A project's settings take their place at once (the Inbox has none), so the list below does
  // not move when the project's details arrive.
  const settings = h('div', { class: 'settings-slot', hidden: !filters.project },
    h('details', { class: 'project-settings' }, h('summary', {}, 'Project settings')));
  let projects = [];

  function showProject(project) {
    // Only a change of state touches quick add, so a rename keeps what is being typed there.
    if (project.archived !== !!shown?.archived) {
      setClosed(project.archived ? 'This project is archived, so it takes no new tasks. Unarchive it under Project settings to add some.' : null);
    }
    // A viewer gets no quick add at all; the note in its place says why.
    form.hidden = !canWrite(project);
    readOnly.hidden = canWrite(project);
    if (form.hidden && form.contains(document.activeElement)) heading.focus();
    shown = project;
    projects = projects.map((p) => (p.id === project.id ? project : p));
    heading.textContent = project.name;
    document.title = `${project.name} · tudu`;
    side.replaceChildren(projectNav(ctx, projects, shown));
    markShared(side);
  }

  // The list needs the project's id, so the projects come first (one small request).
  (async () => {
    try {
      projects = await allProjects();
      inbox = projects.find((p) => p.is_inbox) || null;
      const named = projects.find((p) => p.id === filters.project);
      if (filters.project && !named) toast('That project does not exist (or is not yours).');
      const project = named || inbox;
      if (project) showProject(project);
      else side.replaceChildren(projectNav(ctx, projects, null));
      if (project && !project.is_inbox) {
        // Read once for the settings and the rows; a project only its owner is in has just one.
        team = projectMembers(project);
        team.catch(() => {});
        settings.replaceChildren(projectSettings(ctx, project, inbox, showProject, team, (members) => {
          people = peopleOf(members);
          markShared(side);
        }));
      } else {
        settings.hidden = true;
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      side.replaceChildren(h('p', { class: 'form-error' }, err.message));
    }
    await reload();
    // Which of the user's own projects are shared shows in the navigation once learned, after
    // the list, which matters more.
    findShared(projects, side).catch(() => {});
  })();
  return {
    title: filters.project ? 'Project' : 'Inbox',
    node: h('div', { class: 'with-projects' }, side,
      h('section', { class: 'tasks-page' }, heading, settings, form, readOnly, bar, count, empty, list, more, sentinel)),
    focus: input,
    leave: () => observer.disconnect(),
  };
}
