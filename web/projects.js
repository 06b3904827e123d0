// The project list beside the tasks (with archived projects on demand, shared ones marked, each
// with its colour) and the settings of the project shown: rename, colour, archive, delete with a
// choice of what becomes of its tasks, and its members (share, change a role, remove, hand it
// over, leave), each offered only to the roles the API allows it.

import { h, field, options, setError, toast, uid } from './dom.js';
import { api } from './api.js';

// Whether the list shows archived projects too; kept while the tab is open.
let showArchived = false;

// Whether each of the user's own projects has members, by id: from its `member_count`, and
// again from its member list after a change made here.
const sharedOwn = new Map();

const ROLE_NAMES = { owner: 'Owner', admin: 'Admin', editor: 'Editor', viewer: 'Viewer' };
const ROLE_WITH_ARTICLE = { owner: 'the owner', admin: 'an admin', editor: 'an editor', viewer: 'a viewer' };
// What a member may be made here; the owner is changed only by handing the project over.
const GRANTABLE = [['viewer', 'Viewer'], ['editor', 'Editor'], ['admin', 'Admin']];

/** The caller's role in a project (a server from before sharing names none: the caller owns it). */
export function roleIn(project) {
  return (project && project.role) || 'owner';
}

/** Whether the caller may add, change, complete and delete the project's tasks. */
export function canWrite(project) {
  return roleIn(project) !== 'viewer';
}

/** Whether the caller may rename, archive and share the project (owner and admins). */
function canManage(project) {
  const role = roleIn(project);
  return role === 'owner' || role === 'admin';
}

/** What a member is called on the page: their name, else their email. */
export function personName(member) {
  return member.name || member.email;
}

/** The members of a project, its owner first (any member may read them). */
export async function projectMembers(project) {
  const { data } = await api('GET', `/api/v1/projects/${encodeURIComponent(project.id)}/members`);
  if (roleIn(project) === 'owner') sharedOwn.set(project.id, data.length > 1);
  return data;
}

/** Marks, in `root`'s project navigation, which of the user's own projects have members. */
export async function findShared(projects, root) {
  for (const p of projects) {
    if (roleIn(p) === 'owner') sharedOwn.set(p.id, (p.member_count || 0) > 0);
  }
  markShared(root);
}

/** The words after a project's name in the navigation: whose it is when not only the user's. */
function sharedMark(project) {
  if (roleIn(project) !== 'owner') return ' (shared with you)';
  return sharedOwn.get(project.id) ? ' (shared)' : '';
}

/** Brings the shared marks under `root` in line with what is known now. */
export function markShared(root) {
  for (const mark of root.querySelectorAll('.tag-shared[data-project]')) {
    mark.textContent = sharedMark({ id: mark.dataset.project, role: mark.dataset.role });
  }
}

/** A project's colour as a colour input takes it (`#rrggbb`; the API also stores `#rgb`), or null. */
function fullHex(color) {
  if (!color) return null;
  return color.length === 4 ? `#${[...color.slice(1)].map((c) => c + c).join('')}` : color;
}

/**
 * A project's colour before its name: decorative (the name says which project it is), so hidden
 * from assistive technology. The colour goes in through the CSSOM, which the CSP allows (a
 * `style` attribute would be refused).
 */
function swatch(project) {
  if (!project.color) return null;
  const dot = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  dot.style.setProperty('--swatch', project.color);
  return dot;
}

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
    }, swatch(project), project.name,
    // In words, so the mark is part of the link's name ("Groceries (shared with you)").
    h('span', { class: 'tag-shared', 'data-project': project.id, 'data-role': roleIn(project) }, sharedMark(project)),
    project.archived ? h('span', { class: 'tag-archived' }, ' (archived)') : null)));
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
 * called with the project after a rename or (un)archive, so the page can show the new state;
 * `members` is the promise of its member list (the page reads it once, for its rows too), and
 * `membersChanged` is called with the list after every change made here.
 */
export function projectSettings(ctx, project, inbox, changed, members, membersChanged) {
  const manage = canManage(project);
  const owner = roleIn(project) === 'owner';
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

  // Any colour the input offers; without one set it starts from the app's own blue.
  const colour = h('input', { type: 'color', name: 'color', value: fullHex(project.color) || '#2457c5' });
  const saveColour = h('button', { type: 'submit' }, 'Save colour');
  const removeColour = h('button', { type: 'button', hidden: !project.color, onclick: () => setColour(null) }, 'Remove colour');
  const colourHint = h('p', { class: 'hint', id: uid('colour-hint') });
  // Without a colour the input still shows one: the hint says that none is saved yet.
  const showColour = () => {
    colourHint.textContent = project.color
      ? 'Shown before its name in the project list, for everyone it is shared with.'
      : 'No colour yet: choose one and save it to show it before the name in the project list.';
    removeColour.hidden = !project.color;
  };
  showColour();
  const colourForm = h('form', { class: 'colour setting' },
    h('div', { class: 'row' }, field('Project colour', colour), saveColour, removeColour),
    colourHint);
  colour.setAttribute('aria-describedby', `${colour.getAttribute('aria-describedby')} ${colourHint.id}`);
  colourForm.addEventListener('submit', (event) => {
    event.preventDefault();
    setColour(colour.value);
  });
  async function setColour(value) {
    setError(colour, null);
    saveColour.disabled = true;
    removeColour.disabled = true;
    try {
      const { data } = await api('PATCH', `/api/v1/projects/${encodeURIComponent(project.id)}`, { color: value });
      project = data;
      toast(data.color ? `Saved the colour of “${data.name}”.` : `Removed the colour of “${data.name}”.`);
      changed(data);
    } catch (err) {
      const mine = (err.errors || []).find((e) => e.field === 'color');
      setError(colour, mine ? mine.message : err.message);
    } finally {
      saveColour.disabled = false;
      removeColour.disabled = false;
      showColour();
      // `Remove colour` has just gone: the keyboard goes on from the colour itself.
      if (removeColour.hidden) colour.focus();
    }
  }

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

  // Renaming and archiving are the owner's and the admins'; deleting only the owner's (the API
  // refuses the rest, so they are not offered).
  return h('details', { class: 'project-settings' },
    h('summary', {}, 'Project settings'),
    h('div', { class: 'settings-body' },
      manage ? renameForm : null,
      manage ? colourForm : null,
      manage ? h('div', { class: 'setting' }, archive, archiveHint) : null,
      memberSection(ctx, () => project, members, membersChanged),
      owner ? h('div', { class: 'setting' }, remove, confirmBox) : null));
}

/** A yes-or-no question under a button, answered with two buttons (no dialog box). */
function confirmRow(text, yes, no, onYes, back) {
  const box = h('div', { class: 'confirm', hidden: true });
  const label = h('span', {});
  box.append(label,
    h('button', { type: 'button', class: 'danger', onclick: () => onYes() }, yes),
    h('button', { type: 'button', onclick: () => { box.hidden = true; back().focus(); } }, no));
  return {
    box,
    ask() {
      label.textContent = text();
      box.hidden = false;
      box.querySelector('button').focus();
    },
  };
}

/**
 * Who is in a project, in words, and what the caller's role lets them do about it: the owner and
 * admins share it, change roles and remove members; the owner hands it over; anyone else leaves.
 */
function memberSection(ctx, project, loading, membersChanged) {
  const me = ctx.user && ctx.user.id;
  const role = roleIn(project());
  const manage = canManage(project());
  const heading = h('h2', { id: uid('members-h') }, 'Members');
  const list = h('ul', { class: 'members', 'aria-labelledby': heading.id });
  const status = h('p', { class: 'hint' }, 'Loading members…');
  let members = [];

  const memberPath = (userId) => `/api/v1/projects/${encodeURIComponent(project().id)}/members/${encodeURIComponent(userId)}`;

  function changedList(focusLabel) {
    if (role === 'owner') sharedOwn.set(project().id, members.length > 1);
    status.hidden = true;
    list.replaceChildren(...members.map(row));
    membersChanged(members);
    if (focusLabel) [...list.querySelectorAll('[aria-label]')].find((el) => el.getAttribute('aria-label') === focusLabel)?.focus();
  }

  function row(member) {
    const you = member.user_id === me;
    const who = h('div', { class: 'member-who' },
      h('span', { class: 'member-name' }, personName(member), you ? ' (you)' : null),
      member.name ? h('span', { class: 'hint' }, member.email) : null);
    // Nobody changes the owner's role or their own here: the owner hands the project over, and
    // a member who wants out leaves (below).
    if (!manage || member.role === 'owner' || you) {
      return h('li', { class: 'member' }, who, h('span', { class: 'chip role' }, ROLE_NAMES[member.role] || member.role));
    }
    const select = h('select', { name: 'role', 'aria-label': `Role of ${member.email}` }, options(GRANTABLE, member.role));
    select.addEventListener('change', async () => {
      select.disabled = true;
      try {
        const { data } = await api('PATCH', memberPath(member.user_id), { role: select.value });
        members = members.map((m) => (m.user_id === data.user_id ? data : m));
        toast(`${personName(data)} is now ${ROLE_WITH_ARTICLE[data.role]} of “${project().name}”.`);
        changedList(select.getAttribute('aria-label'));
      } catch (err) {
        select.value = member.role;
        toast(err.message);
        select.disabled = false;
        select.focus();
      }
    });
    const drop = h('button', {
      type: 'button', 'aria-label': `Remove ${member.email}`, onclick: () => removeMember(member),
    }, 'Remove');
    const tools = [select, drop];
    let handOver = null;
    if (role === 'owner') {
      // The whole name in sight, so that what a speech user reads is what they say (WCAG 2.5.3).
      const give = h('button', { type: 'button' }, `Make ${member.email} owner`);
      handOver = confirmRow(
        () => `Make ${personName(member)} the owner of “${project().name}”? You become an admin, and its tasks take their owner’s task numbers.`,
        'Yes, make them the owner', 'Keep it', () => transfer(member), () => give,
      );
      give.addEventListener('click', () => handOver.ask());
      tools.push(give);
    }
    return h('li', { class: 'member' }, who, h('div', { class: 'member-tools' }, tools), handOver && handOver.box);
  }

  async function removeMember(member) {
    try {
      await api('DELETE', memberPath(member.user_id));
      members = members.filter((m) => m.user_id !== member.user_id);
      toast(`Removed ${personName(member)} from “${project().name}”.`);
      changedList();
      // The row and its button are gone: the keyboard goes on from the share form.
      email.focus();
    } catch (err) {
      toast(err.message);
    }
  }

  async function transfer(member) {
    try {
      await api('PATCH', memberPath(member.user_id), { role: 'owner' });
      toast(`${personName(member)} now owns “${project().name}”; you are an admin.`);
      // Every control of the page depends on the role: draw it again with the new one.
      ctx.navigate(projectPath(project()), { replace: true });
    } catch (err) {
      toast(err.message);
    }
  }

  // Sharing: an account's email and the role it gets.
  const email = h('input', { type: 'email', name: 'email', required: true, maxlength: '254', autocomplete: 'off' });
  const grant = h('select', { name: 'role' }, options(GRANTABLE, 'editor'));
  const share = h('button', { type: 'submit' }, 'Share');
  const shareHeading = h('h3', { id: uid('share-h') }, 'Share project');
  const shareForm = h('form', { class: 'share', 'aria-labelledby': shareHeading.id },
    shareHeading,
    h('div', { class: 'row wrap' },
      h('div', { class: 'grow' }, field('Email', email)),
      field('Role', grant),
      share),
    h('p', { class: 'hint' }, 'Viewers read its tasks; editors also add, change, complete and delete them; admins also share, rename and archive it.'));
  shareForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    setError(email, null);
    if (!email.value.trim()) {
      email.focus();
      return;
    }
    share.disabled = true;
    try {
      const { data } = await api('POST', `/api/v1/projects/${encodeURIComponent(project().id)}/members`,
        { email: email.value.trim(), role: grant.value });
      members = [...members.filter((m) => m.user_id !== data.user_id), data];
      email.value = '';
      toast(`Shared “${project().name}” with ${personName(data)} as ${ROLE_WITH_ARTICLE[data.role]}.`);
      changedList();
    } catch (err) {
      // 422: no account has that email; 409: already a member, or the caller's own.
      const mine = (err.errors || []).find((e) => e.field === 'email');
      setError(email, mine ? mine.message : err.message);
    } finally {
      share.disabled = false;
      email.focus();
    }
  });

  // Leaving: any member but the owner, who would leave the project without one.
  const leave = h('button', { type: 'button', class: 'danger' }, 'Leave project');
  const leaving = confirmRow(
    () => `Leave “${project().name}”? Its tasks will no longer show here, until its owner or an admin shares it with you again.`,
    'Yes, leave the project', 'Stay', () => leaveProject(), () => leave,
  );
  leave.addEventListener('click', () => leaving.ask());
  async function leaveProject() {
    try {
      await api('DELETE', memberPath(me));
      toast(`You left “${project().name}”.`);
      ctx.navigate('/app');
    } catch (err) {
      toast(err.message);
    }
  }

  loading.then((data) => {
    members = data;
    changedList();
  }, (err) => {
    status.textContent = err.message;
  });

  const yours = role === 'owner' ? null
    : h('p', { class: 'hint' }, `You are ${ROLE_WITH_ARTICLE[role]} of this project${role === 'viewer' ? ': you can read its tasks but not change them' : ''}.`);
  return h('section', { class: 'setting members-box', 'aria-labelledby': heading.id },
    heading,
    yours,
    status,
    list,
    manage ? shareForm : null,
    role !== 'owner' ? h('div', { class: 'setting' }, leave, leaving.box) : null);
}
