// The account: profile (name, time zone) and a password change that needs the current one.

import { h, field, setError, toast } from './dom.js';
import { api } from './api.js';

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

  return { title: 'Account', node: h('section', { class: 'account-page' }, heading, profile, password), focus: heading };
}
