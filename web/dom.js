// Builds the page from data without ever parsing HTML: every string lands as a text node or an
// attribute value, so user data can never become markup.

let counter = 0;

/** A unique element id. */
export function uid(prefix = 'f') {
  counter += 1;
  return `${prefix}-${counter}`;
}

/**
 * h('button', {type: 'button', onclick: fn}, 'Save'): an element with attributes, listeners
 * (`on…`), properties (`value`, `checked`, …) and children (strings become text).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'value' || key === 'checked' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children, skipping empty ones; strings become text nodes. */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A labelled control: the label names it, a hint and an error slot describe it. */
export function field(label, control, { hint, className } = {}) {
  const id = control.id || uid();
  control.id = id;
  const error = h('p', { class: 'error', id: `${id}-error`, hidden: true });
  const described = [error.id];
  let hintEl = null;
  if (hint) {
    hintEl = h('p', { class: 'hint', id: `${id}-hint` }, hint);
    described.unshift(hintEl.id);
  }
  control.setAttribute('aria-describedby', described.join(' '));
  return h('div', { class: `field ${className || ''}`.trim() },
    h('label', { for: id }, label), control, hintEl, error);
}

/** Shows a field's error (or clears it with null). */
export function setError(control, message) {
  const error = document.getElementById(`${control.id}-error`);
  if (!error) return;
  error.hidden = !message;
  error.textContent = message || '';
  if (message) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

/** An option list for a select: [[value, label], …]. */
export function options(pairs, selected) {
  return pairs.map(([value, label]) => h('option', { value, selected: value === selected }, label));
}

/** A message shown in the polite live region at the bottom, with an optional action. */
export function toast(message, action) {
  const region = document.getElementById('toast');
  const body = [h('span', {}, message)];
  if (action) {
    body.push(h('button', {
      type: 'button',
      class: 'link',
      onclick: () => { region.replaceChildren(); action.run(); },
    }, action.label));
  }
  replace(region, h('div', { class: 'toast-body' }, body));
  clearTimeout(toast.timer);
  // Never taken away from under the keyboard or the pointer (WCAG 2.2.1).
  const dismiss = () => {
    if (region.contains(document.activeElement) || region.matches(':hover')) {
      toast.timer = setTimeout(dismiss, 2000);
    } else {
      region.replaceChildren();
    }
  };
  toast.timer = setTimeout(dismiss, action ? 10000 : 4000);
}

/** Calls `fn` once typing pauses for `ms`. */
export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
