// The app's frame: who is signed in, which page the address names, and moving between pages
// without reloading (links under /app are handled here; everything else is the browser's).

import { h, replace, toast } from './dom.js';
import { api, whenUnauthorized } from './api.js';
import { setZone } from './format.js';
import { loginView, signupView } from './auth.js';
import { tasksView } from './tasks.js';
import { editView } from './edit.js';
import { chatView } from './chat.js';
import { accountView } from './account.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
let user = null;
let current = null;

const PUBLIC = ['/app/login', '/app/signup'];

function decode(part) {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function route(path) {
  const clean = path.replace(/\/+$/, '') || '/app';
  let m;
  if (clean === '/app/login') return (ctx) => loginView(ctx);
  if (clean === '/app/signup') return (ctx) => signupView(ctx);
  if (clean === '/app') return (ctx) => tasksView(ctx);
  if ((m = /^\/app\/tasks\/([^/]+)$/.exec(clean))) return (ctx) => editView(ctx, decode(m[1]));
  if (clean === '/app/chat') return (ctx) => chatView(ctx, null);
  if ((m = /^\/app\/chat\/([^/]+)$/.exec(clean))) return (ctx) => chatView(ctx, decode(m[1]));
  if (clean === '/app/account') return (ctx) => accountView(ctx);
  return () => {
    const heading = h('h1', { tabindex: '-1' }, 'Page not found');
    return {
      title: 'Not found',
      node: h('section', {}, heading, h('p', {}, 'There is nothing at this address. ', h('a', { href: '/app' }, 'Go to your tasks'))),
      focus: heading,
    };
  };
}

const ctx = {
  get user() {
    return user;
  },
  navigate,
  signedIn(who) {
    setUser(who);
    const next = new URLSearchParams(location.search).get('next');
    navigate(next && next.startsWith('/app') && !next.startsWith('//') ? next : '/app', { replace: true });
  },
  setUser,
  /** After the session ended on the server (logout everywhere, account deleted). */
  async signedOut(message) {
    try {
      await api('DELETE', '/app/api/session');
    } catch {
      // The cookie only holds a revoked token now; the login page replaces it.
    }
    setUser(null);
    navigate('/app/login', { replace: true });
    toast(message);
  },
};

function setUser(who) {
  user = who;
  nav.hidden = !user;
  if (user) setZone(user.timezone);
}

function render(moveFocus) {
  const path = location.pathname;
  const isPublic = PUBLIC.includes(path.replace(/\/+$/, ''));
  if (!user && !isPublic) {
    const next = path === '/app' || path === '/app/' ? '' : `?next=${encodeURIComponent(path + location.search)}`;
    history.replaceState(null, '', `/app/login${next}`);
    return render(moveFocus);
  }
  if (user && isPublic) {
    history.replaceState(null, '', '/app');
    return render(moveFocus);
  }
  if (current && current.leave) current.leave();
  current = route(path)(ctx);
  document.title = `${current.title} · tudu`;
  replace(main, current.node);
  for (const link of nav.querySelectorAll('a')) {
    const here = link.getAttribute('href');
    const active = here === '/app' ? path === '/app' || path.startsWith('/app/tasks') : path.startsWith(here);
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (moveFocus && current.focus) current.focus.focus();
  return undefined;
}

function navigate(path, { replace: swap = false } = {}) {
  if (swap) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render(true);
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href]');
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey || link.target) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/app')) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});

window.addEventListener('popstate', () => render(true));

document.getElementById('logout').addEventListener('click', async () => {
  try {
    await api('DELETE', '/app/api/session');
  } catch (err) {
    toast(err.message);
    return;
  }
  setUser(null);
  navigate('/app/login', { replace: true });
  toast('You are logged out.');
});

whenUnauthorized(() => {
  if (!user) return;
  setUser(null);
  render(true);
  toast('Your session has ended. Please log in again.');
});

async function start() {
  try {
    const { data } = await api('GET', '/app/api/session');
    setUser(data.user);
  } catch {
    setUser(null);
  }
  render(false);
  document.body.classList.add('ready');
}

start();
