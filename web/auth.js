// Log in and sign up. Both answer with a session cookie the page cannot read; the page only
// learns who is signed in.

import { h, field, setError } from './dom.js';
import { api, ApiError } from './api.js';

function showErrors(form, controls, err) {
  const banner = form.querySelector('.form-error');
  for (const control of Object.values(controls)) setError(control, null);
  let placed = false;
  if (err instanceof ApiError) {
    for (const e of err.errors) {
      const control = controls[e.field];
      if (control) {
        setError(control, e.message);
        placed = true;
      }
    }
  }
  banner.textContent = placed ? 'Please correct the fields below.' : err.message;
  banner.hidden = false;
  banner.focus();
}

function authForm({ title, fields, submit, other, onSubmit }) {
  const banner = h('p', { class: 'form-error', role: 'alert', tabindex: '-1', hidden: true });
  const button = h('button', { type: 'submit', class: 'primary' }, submit);
  const form = h('form', { class: 'card narrow', novalidate: true }, banner, fields, button, other);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      await onSubmit(form);
    } finally {
      button.disabled = false;
    }
  });
  const heading = h('h1', { tabindex: '-1' }, title);
  return { title, node: h('section', { class: 'auth' }, heading, form), focus: heading };
}

/** The log-in page. */
export function loginView(ctx) {
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'username', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', required: true });
  return authForm({
    title: 'Log in',
    submit: 'Log in',
    fields: [field('Email', email), field('Password', password)],
    other: h('p', { class: 'aside' }, 'New here? ', h('a', { href: '/app/signup' }, 'Create an account')),
    onSubmit: async (form) => {
      try {
        const { data } = await api('POST', '/app/api/session', { email: email.value, password: password.value });
        ctx.signedIn(data.user);
      } catch (err) {
        showErrors(form, { email, password }, err);
      }
    },
  });
}

/** The sign-up page. */
export function signupView(ctx) {
  const name = h('input', { type: 'text', name: 'name', autocomplete: 'name', required: true, maxlength: '100' });
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true });
  const password = h('input', { type: 'password', name: 'password', autocomplete: 'new-password', required: true, minlength: '8' });
  return authForm({
    title: 'Create your account',
    submit: 'Sign up',
    fields: [
      field('Name', name),
      field('Email', email),
      field('Password', password, { hint: 'At least 8 characters.' }),
    ],
    other: h('p', { class: 'aside' }, 'Already have an account? ', h('a', { href: '/app/login' }, 'Log in instead')),
    onSubmit: async (form) => {
      const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
      try {
        const { data } = await api('POST', '/app/api/signup', {
          name: name.value, email: email.value, password: password.value, timezone,
        });
        ctx.signedIn(data.user);
      } catch (err) {
        showErrors(form, { name, email, password }, err);
      }
    },
  });
}
