// The account: profile (name, time zone), a password change that needs the current one, access
// tokens, export and import, ending every session and deleting the account.

import { h, field, setError, toast, replace, uid } from './dom.js';
import { api } from './api.js';
import { dueText } from './format.js';

const SCOPES = [
  ['tasks:read', 'Read tasks'],
  ['tasks:write', 'Change tasks'],
  ['chat', 'Chat'],
  ['mcp', 'MCP tools'],
];

function zones() {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

function errorsInto(controls, banner, err) {
  let placed = false;
  for (const e of err.errors || []) {
    const control = controls[e.field];
    if (control) {
      setError(control, e.message);
      placed = true;
    }
  }
  banner.textContent = placed ? 'Please correct the fields below.' : err.message;
  banner.hidden = false;
}

/** The account page. */
export function accountView(ctx) {
  const user = ctx.user;
  const heading = h('h1', { tabindex: '-1' }, 'Account');

  const name = h('input', { type: 'text', name: 'name', value: user.name, autocomplete: 'name', maxlength: '100' });
  const timezone = h('input', { type: 'text', name: 'timezone', value: user.timezone, list: 'zones', autocomplete: 'off' });
  const zoneList = h('datalist', { id: 'zones' }, zones().map((z) => h('option', { value: z })));
  const profileError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const profile = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'profile-h' },
    h('h2', { id: 'profile-h' }, 'Profile'),
    h('p', { class: 'hint' }, 'Signed in as ', h('strong', {}, user.email)),
    profileError,
    field('Name', name),
    field('Time zone', timezone, { hint: 'Dates you type are read in this zone, e.g. Europe/Paris.' }),
    zoneList,
    h('button', { type: 'submit', class: 'primary' }, 'Save profile'));
  profile.addEventListener('submit', async (event) => {
    event.preventDefault();
    setError(name, null);
    setError(timezone, null);
    profileError.hidden = true;
    try {
      const { data } = await api('PATCH', '/api/v1/auth/me', { name: name.value, timezone: timezone.value });
      ctx.setUser(data);
      toast('Profile saved.');
    } catch (err) {
      errorsInto({ name, timezone }, profileError, err);
    }
  });

  const current = h('input', { type: 'password', name: 'current_password', autocomplete: 'current-password' });
  const fresh = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', minlength: '8' });
  const passwordError = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const password = h('form', { class: 'card', novalidate: true, 'aria-labelledby': 'password-h' },
    h('h2', { id: 'password-h' }, 'Change password'),
    passwordError,
    field('Current password', current),
    field('New password', fresh, { hint: 'At least 8 characters.' }),
    h('button', { type: 'submit', class: 'primary' }, 'Change password'));
  password.addEventListener('submit', async (event) => {
    event.preventDefault();
    setError(current, null);
    setError(fresh, null);
    passwordError.hidden = true;
    try {
      await api('PATCH', '/api/v1/auth/me', { password: fresh.value, current_password: current.value });
      // A password change may end every session: sign this one in again with the new password.
      await api('POST', '/app/api/session', { email: user.email, password: fresh.value });
      current.value = '';
      fresh.value = '';
      toast('Password changed.');
    } catch (err) {
      if (err.status === 403) {
        setError(current, 'This is not your current password.');
        passwordError.textContent = 'Nothing was changed.';
        passwordError.hidden = false;
      } else {
        errorsInto({ password: fresh, current_password: current }, passwordError, err);
      }
    }
  });

  return {
    title: 'Account',
    node: h('section', { class: 'account-page' }, heading, profile, password, tokensCard(), dataCard(), sessionsCard(ctx), deleteCard(ctx)),
    focus: heading,
  };
}

/** Personal access tokens for scripts and MCP clients: the secret is shown once, here. */
function tokensCard() {
  const list = h('ul', { class: 'token-list', 'aria-label': 'Access tokens' });
  const name = h('input', { type: 'text', name: 'name', maxlength: '100', autocomplete: 'off' });
  const boxes = SCOPES.map(([value, label]) => {
    const box = h('input', { type: 'checkbox', name: 'scopes', value, id: uid('scope') });
    return { value, box, row: h('div', { class: 'field check' }, box, h('label', { for: box.id }, `${label} (${value})`)) };
  });
  const days = h('input', { type: 'number', name: 'expires_in_days', min: '1', max: '365', inputmode: 'numeric' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const created = h('div', { class: 'created', 'aria-live': 'polite' });
  const form = h('form', { novalidate: true },
    error,
    // Not labelled "… name": the account's `Name` field must stay the only match for that word.
    field('What the token is for', name, { hint: 'For example: laptop MCP client.' }),
    h('fieldset', {}, h('legend', {}, 'Scopes'), boxes.map((b) => b.row)),
    field('Expires in days', days, { hint: '1 to 365; leave empty for a token that does not expire.' }),
    h('button', { type: 'submit', class: 'primary' }, 'Create token'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    setError(name, null);
    const body = { name: name.value, scopes: boxes.filter((b) => b.box.checked).map((b) => b.value) };
    if (days.value) body.expires_in_days = Number(days.value);
    try {
      const { data } = await api('POST', '/api/v1/auth/tokens', body);
      const secret = h('input', { type: 'text', readonly: true, value: data.token, class: 'secret' });
      replace(created, h('div', { class: 'notice' },
        field(`New token “${data.name}” (shown only now: copy it)`, secret)));
      secret.focus();
      secret.select();
      name.value = '';
      days.value = '';
      for (const b of boxes) b.box.checked = false;
      load();
    } catch (err) {
      for (const e of err.errors || []) if (e.field === 'name') setError(name, e.message);
      error.textContent = err.message;
      error.hidden = false;
    }
  });

  async function load() {
    try {
      const { data } = await api('GET', '/api/v1/auth/tokens');
      replace(list, data.length ? data.map(tokenRow) : h('li', { class: 'hint' }, 'No access token yet.'));
    } catch (err) {
      replace(list, h('li', {}, err.message));
    }
  }

  function tokenRow(token) {
    const used = token.last_used_at ? `last used ${dueText(token.last_used_at)}` : 'never used';
    const expires = token.expires_at ? `expires ${dueText(token.expires_at)}` : 'does not expire';
    return h('li', { class: 'token' },
      h('div', {}, h('strong', {}, token.name), h('p', { class: 'hint' }, `${token.scopes.join(', ')} · ${used} · ${expires}`)),
      h('button', {
        type: 'button',
        class: 'danger',
        'aria-label': `Revoke ${token.name}`,
        onclick: async () => {
          try {
            await api('DELETE', `/api/v1/auth/tokens/${encodeURIComponent(token.id)}`);
            toast(`Revoked “${token.name}”.`);
            load();
          } catch (err) {
            toast(err.message);
          }
        },
      }, 'Revoke'));
  }

  load();
  return h('section', { class: 'card', 'aria-labelledby': 'tokens-h' },
    h('h2', { id: 'tokens-h' }, 'Access tokens'),
    h('p', { class: 'hint' }, 'For scripts and MCP clients: send one as Authorization: Bearer. It can never manage this account.'),
    list, created, form);
}

// The server's own limit (`MAX_IMPORT_BYTES`): a bigger file is refused before it is sent.
const MAX_IMPORT_BYTES = 64 * 1024 * 1024;

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

/** An import's report in words: "2 tasks added, 0 already there; …". */
function importReport(r) {
  return `${plural(r.tasks_created, 'task', 'tasks')} added, ${r.tasks_skipped} already there; `
    + `${plural(r.conversations_created, 'conversation', 'conversations')} added, ${r.conversations_skipped} already there; `
    + `${plural(r.messages_created, 'message', 'messages')} added.`;
}

/** `tasks[17].title` as a person counts: "Task 18, title". */
function rowName(path) {
  return path
    .replace(/^tasks\[(\d+)\]\.?/, (_, i) => `Task ${Number(i) + 1}, `)
    .replace(/^conversations\[(\d+)\]\.?/, (_, i) => `Conversation ${Number(i) + 1}, `)
    .replace(/messages\[(\d+)\]\.?/, (_, i) => `message ${Number(i) + 1}, `)
    .replace(/, $/, '');
}

/** Export as a download, and import of such a file (a merge into this account). */
function dataCard() {
  // A plain link: the browser sends the session cookie with a same-origin GET and saves the
  // answer under the name its Content-Disposition gives (tudu-export-<date>.json), streaming it
  // to disk however large the account is; no script holds the document.
  const exportLink = h('a', { href: '/api/v1/auth/export', download: true, class: 'button' }, 'Export my data');
  const file = h('input', { type: 'file', name: 'file', accept: '.json,application/json' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Import');
  const error = h('div', { class: 'form-error', role: 'alert', hidden: true });
  const done = h('p', { class: 'hint', hidden: true });
  const form = h('form', { novalidate: true },
    error,
    field('Import data', file, {
      hint: 'A tudu export (.json, at most 64 MiB). An import merges: it adds what this account does not have yet and changes nothing it has. Tasks go to your Inbox, subtasks as tasks of their own.',
    }),
    submit,
    done);

  function fail(message, details = []) {
    replace(error, h('p', {}, message), details.length ? h('ul', {}, details.map((d) => h('li', {}, d))) : null);
    error.hidden = false;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    done.hidden = true;
    setError(file, null);
    const chosen = file.files[0];
    if (!chosen) {
      setError(file, 'Choose a file to import.');
      file.focus();
      return;
    }
    if (chosen.size > MAX_IMPORT_BYTES) {
      fail(`“${chosen.name}” is ${(chosen.size / 1048576).toFixed(1)} MiB; an import takes at most 64 MiB. Nothing was sent.`);
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Importing…';
    try {
      const { data } = await api('POST', '/api/v1/auth/import', chosen);
      const words = `Imported “${chosen.name}”: ${importReport(data)}`;
      toast(words);
      done.textContent = words;
      done.hidden = false;
      file.value = '';
    } catch (err) {
      const rows = err.errors.filter((e) => /^(tasks|conversations)\[/.test(e.field));
      if (err.status === 400) {
        fail(`“${chosen.name}” is not JSON, so it is not a tudu export. Nothing was imported.`);
      } else if (err.status === 422 && rows.length) {
        // The server lists at most 100.
        const count = err.errors.length >= 100 ? 'at least 100 problems' : plural(err.errors.length, 'problem', 'problems');
        fail(`Nothing was imported: the file has ${count}.`,
          err.errors.map((e) => `${rowName(e.field)}: ${e.message} (${e.field})`));
      } else if (err.status === 422) {
        fail(`“${chosen.name}” is not a tudu export this server reads. Nothing was imported.`,
          err.errors.map((e) => `${e.field}: ${e.message}`));
      } else if (err.status === 413) {
        fail('The file is over the 64 MiB an import takes. Nothing was imported.');
      } else if (err.status === 0) {
        // The answer was lost, not necessarily the import; sending the file again is safe.
        fail(`${err.message} If the import reached the server, importing the file again adds nothing twice.`);
      } else {
        // An import is one transaction: any error answer means nothing was written.
        fail(`${err.message} Nothing was imported.`);
      }
    } finally {
      submit.disabled = false;
      submit.textContent = 'Import';
    }
  });

  return h('section', { class: 'card', 'aria-labelledby': 'data-h' },
    h('h2', { id: 'data-h' }, 'Your data'),
    h('p', { class: 'hint' }, 'Export downloads everything you own, tasks and conversations, as one JSON file (never your password or tokens). Importing that file here or into another account adds what it holds.'),
    h('p', {}, exportLink),
    form);
}

function sessionsCard(ctx) {
  // Not "Log out …": the header's `Log out` button must stay the only match for those words.
  const button = h('button', { type: 'button', class: 'danger' }, 'End every session');
  button.addEventListener('click', async () => {
    try {
      await api('POST', '/api/v1/auth/logout-all');
    } catch (err) {
      toast(err.message);
      return;
    }
    await ctx.signedOut('You are logged out on every device, and every access token is revoked.');
  });
  return h('section', { class: 'card', 'aria-labelledby': 'sessions-h' },
    h('h2', { id: 'sessions-h' }, 'Sessions'),
    h('p', { class: 'hint' }, 'Ends every session on every device, this one too, and revokes every access token.'),
    button);
}

function deleteCard(ctx) {
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { class: 'card danger-zone', novalidate: true, 'aria-labelledby': 'delete-h' },
    h('h2', { id: 'delete-h' }, 'Delete account'),
    h('p', { class: 'hint' }, 'Deletes the account and everything it owns: tasks, conversations and tokens. This cannot be undone.'),
    error,
    field('Password to confirm', password),
    h('button', { type: 'submit', class: 'danger' }, 'Delete my account'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.hidden = true;
    setError(password, null);
    try {
      await api('DELETE', '/api/v1/auth/me', { password: password.value });
    } catch (err) {
      if (err.status === 403) setError(password, 'This is not your password.');
      error.textContent = err.status === 403 ? 'Nothing was deleted.' : err.message;
      error.hidden = false;
      return;
    }
    await ctx.signedOut('Your account and everything in it were deleted.');
  });
  return form;
}
