// The chat panel: stored conversations, each message with the tool calls the agent made shown
// as they were (name, arguments, result), so the user sees exactly what changed.

import { h, field, replace } from './dom.js';
import { api, ApiError } from './api.js';

function pretty(value) {
  if (typeof value === 'string') {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

function compact(value) {
  try {
    return JSON.stringify(typeof value === 'string' ? JSON.parse(value) : value);
  } catch {
    return String(value);
  }
}

function toolCall(call) {
  return h('div', { class: 'tool-call' },
    h('p', { class: 'tool-name' }, 'Tool call: ', h('code', {}, call.name)),
    h('pre', { class: 'tool-args' }, compact(call.arguments)),
    h('details', {},
      h('summary', {}, 'Result'),
      h('pre', { class: 'tool-result' }, pretty(call.result))));
}

function message(role, content, calls) {
  const who = { user: 'You', assistant: 'tudu', tool: 'Tool' }[role] || role;
  return h('li', { class: `msg msg-${role}` },
    h('p', { class: 'who' }, who),
    (calls || []).map(toolCall),
    content ? h('p', { class: 'content' }, content) : null);
}

/** The chat page, on a new conversation or the one with `id`. */
export function chatView(ctx, id) {
  let conversationId = id || null;
  const heading = h('h1', { tabindex: '-1' }, 'Chat');
  const conversations = h('ul', { class: 'conversations' });
  // New replies are read out; the history loaded with the page is not.
  const messages = h('ol', { class: 'messages', 'aria-label': 'Messages', 'aria-live': 'polite', 'aria-relevant': 'additions' });
  const input = h('input', { type: 'text', name: 'message', autocomplete: 'off', maxlength: '4000', placeholder: 'add milk tomorrow #shopping' });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { class: 'composer' }, error, h('div', { class: 'row' }, field('Message', input, { className: 'grow' }), send));
  const intro = h('p', { class: 'hint' }, 'Ask in plain words: “add pay rent every month on the 1st”, “what is due this week?”, “complete task 3”.');

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    error.hidden = true;
    send.disabled = true;
    messages.append(message('user', text));
    input.value = '';
    try {
      const { data } = await api('POST', '/api/v1/chat', { message: text, conversation_id: conversationId });
      messages.append(message('assistant', data.response, data.tool_calls));
      if (!conversationId) {
        conversationId = data.conversation_id;
        history.replaceState(history.state, '', `/app/chat/${conversationId}`);
        remove.hidden = false;
        listConversations();
      }
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      send.disabled = false;
      input.focus();
      messages.lastElementChild?.scrollIntoView({ block: 'nearest' });
    }
  });

  async function listConversations() {
    try {
      const { data } = await api('GET', '/api/v1/conversations?limit=50');
      replace(conversations, data.map((c) => h('li', {},
        h('a', { href: `/app/chat/${c.id}`, 'aria-current': c.id === conversationId ? 'page' : null }, c.title || 'Untitled'))));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) replace(conversations, h('li', {}, err.message));
    }
  }

  async function loadConversation() {
    if (!conversationId) return;
    try {
      const { data } = await api('GET', `/api/v1/conversations/${encodeURIComponent(conversationId)}`);
      replace(messages, data.messages.map((m) => message(m.role, m.content, m.tool_calls)));
    } catch (err) {
      error.textContent = err.status === 404 ? 'This conversation does not exist (or is not yours).' : err.message;
      error.hidden = false;
    }
  }

  const remove = h('button', { type: 'button', class: 'danger', hidden: !conversationId, onclick: () => { confirmRow.hidden = false; confirmRow.querySelector('button').focus(); } }, 'Delete conversation');
  const confirmRow = h('div', { class: 'confirm', hidden: true },
    h('span', {}, 'Delete this conversation and its messages? Tasks stay as they are.'),
    h('button', { type: 'button', class: 'danger', onclick: () => destroy() }, 'Yes, delete'),
    h('button', { type: 'button', onclick: () => { confirmRow.hidden = true; remove.focus(); } }, 'Keep it'));

  async function destroy() {
    try {
      await api('DELETE', `/api/v1/conversations/${encodeURIComponent(conversationId)}`);
      ctx.navigate('/app/chat');
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  }

  listConversations();
  loadConversation();
  return {
    title: 'Chat',
    node: h('section', { class: 'chat-page' }, heading,
      h('div', { class: 'chat' },
        h('nav', { class: 'conversation-list', 'aria-label': 'Conversations' },
          h('a', { href: '/app/chat', class: 'button' }, 'New conversation'), conversations),
        h('div', { class: 'conversation' }, intro, messages, form, h('div', { class: 'actions end' }, remove), confirmRow))),
    focus: input,
  };
}
