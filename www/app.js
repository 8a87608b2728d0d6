'use strict';

// The account page. It holds no credential: the browser sends the sign-in page's HttpOnly
// session cookie with each same-origin request, and Gatehouse checks that requests which
// change something come from this site (their Origin).
const API_BASE = '/auth';
const SIGN_IN = `${API_BASE}/login?rd=${encodeURIComponent('/account/')}`;

const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, statusText, body, raw) {
    super(`HTTP ${status}`);
    this.status = status;
    this.statusText = statusText;
    this.body = body;
    this.raw = raw;
  }
  get detail() {
    return this.body && typeof this.body === 'object' ? this.body.detail : undefined;
  }
}

// The session ended (elsewhere, or it expired): the page is left for the sign-in page.
class SignedOut extends Error {}

async function api(path, { method = 'GET', json } = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(API_BASE + path, { method, headers, body, cache: 'no-store', credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'Network error', null, String((e && e.message) || e));
  }
  const raw = await response.text();
  let data = null;
  if (raw !== '') {
    try { data = JSON.parse(raw); } catch { data = undefined; }
  }
  if (response.status === 401) {
    window.location.assign(SIGN_IN);
    throw new SignedOut();
  }
  if (!response.ok) throw new ApiError(response.status, response.statusText, data, raw);
  return data;
}

// ---- small DOM helpers (text only: API data never goes through innerHTML) ----

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// Shows an API error as the API said it: status, then the detail verbatim; a 422 lists
// each validation entry's loc and msg.
function showError(region, error) {
  if (error instanceof SignedOut) return;
  if (!(error instanceof ApiError)) {
    region.replaceChildren(el('p', { class: 'error' }, el('strong', {}, 'Error: '), String((error && error.message) || error)));
    return;
  }
  const status = error.status === 0 ? error.statusText : `${error.status}${error.statusText ? ' ' + error.statusText : ''}`;
  const box = el('div', { class: 'error' });
  const head = el('p', {}, el('strong', {}, `HTTP ${status}`));
  box.append(head);
  const detail = error.detail;
  if (Array.isArray(detail)) {
    const list = el('ul', { class: 'issues' });
    for (const issue of detail) {
      const loc = issue && Array.isArray(issue.loc) ? issue.loc.join(' → ') : '';
      const msg = issue && typeof issue.msg === 'string' ? issue.msg : JSON.stringify(issue);
      list.append(el('li', {}, loc ? el('code', {}, loc) : null, loc ? ': ' : '', msg));
    }
    box.append(list);
  } else if (typeof detail === 'string') {
    head.append(' — ', detail);
  } else if (error.raw) {
    box.append(el('pre', { class: 'raw' }, error.raw.slice(0, 2000)));
  }
  region.replaceChildren(box);
}

function formatTime(value) {
  if (value === null || value === undefined || value === '') return null;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return el('span', {}, String(value));
  return el('time', { datetime: date.toISOString(), title: String(value) }, date.toLocaleString());
}

function setBusy(button, busy) {
  button.disabled = busy;
  if (busy) button.setAttribute('aria-busy', 'true');
  else button.removeAttribute('aria-busy');
}

async function run(region, work) {
  region.replaceChildren();
  try {
    await work();
  } catch (error) {
    showError(region, error);
  }
}

// ---- account ----

async function loadAccount() {
  const list = $('account');
  await run($('account-error'), async () => {
    const user = await api('/users/me/');
    const rows = [
      ['Username', user.username],
      ['Email', user.email],
      ['Full name', user.full_name],
      ['Disabled', user.disabled ? 'yes' : 'no'],
    ];
    list.replaceChildren(...rows.flatMap(([name, value]) => [
      el('dt', {}, name),
      el('dd', { 'data-field': name.toLowerCase().replace(' ', '_') }, value === null || value === undefined ? '—' : String(value)),
    ]));
    $('account-title').textContent = `Signed in as ${user.username}`;
  });
  list.removeAttribute('aria-busy');
}

// ---- sessions ----

async function loadSessions() {
  const table = $('sessions-table');
  await run($('sessions-error'), async () => {
    const sessions = await api('/users/me/sessions');
    $('sessions').replaceChildren(...(Array.isArray(sessions) ? sessions : []).map(sessionRow));
  });
  table.removeAttribute('aria-busy');
}

function sessionRow(session) {
  const action = el('td');
  if (session.current) {
    action.append(el('span', { class: 'badge active' }, 'This session'));
  } else {
    const button = el('button', { type: 'button', class: 'danger small', 'aria-label': `End the session started ${new Date(session.created_at).toLocaleString()}` }, 'End');
    button.addEventListener('click', () => endSession(session, button));
    action.append(button);
  }
  return el('tr', { 'data-session-id': String(session.id), class: session.current ? 'is-current' : '' },
    el('td', {}, formatTime(session.created_at) || '—'),
    el('td', {}, formatTime(session.last_seen_at) || '—'),
    el('td', {}, session.client_address || '—'),
    el('td', { class: 'agent' }, session.user_agent || '—'),
    action);
}

async function endSession(session, button) {
  setBusy(button, true);
  await run($('sessions-error'), async () => {
    await api(`/users/me/sessions/${encodeURIComponent(session.id)}`, { method: 'DELETE' });
    await loadSessions();
    $('sessions-title').focus();
  });
  setBusy(button, false);
}

async function signOutEverywhere(event) {
  const button = event.currentTarget;
  setBusy(button, true);
  await run($('sessions-error'), async () => {
    await api('/users/me/sessions', { method: 'DELETE' });
    $('logout-form').submit();
  });
  setBusy(button, false);
}

// ---- API keys ----

async function loadKeys() {
  const table = $('keys-table');
  await run($('keys-error'), async () => {
    const keys = await api('/users/me/api-keys');
    const rows = Array.isArray(keys) ? keys : [];
    $('keys').replaceChildren(...rows.map(keyRow));
    $('keys-empty').hidden = rows.length !== 0;
    table.hidden = rows.length === 0;
  });
  table.removeAttribute('aria-busy');
}

function keyRow(key) {
  const revoked = key.revoked_at !== null && key.revoked_at !== undefined;
  const expiresAt = key.expires_at ? new Date(key.expires_at) : null;
  const expired = expiresAt && !Number.isNaN(expiresAt.getTime()) && expiresAt <= new Date();
  const status = revoked
    ? el('span', { class: 'badge revoked' }, 'Revoked ', formatTime(key.revoked_at))
    : expired
      ? el('span', { class: 'badge expired' }, 'Expired')
      : el('span', { class: 'badge active' }, 'Active');
  const action = el('td');
  if (!revoked) {
    const button = el('button', { type: 'button', class: 'danger small', 'aria-label': `Revoke key ${key.name}` }, 'Revoke');
    button.addEventListener('click', () => revokeKey(key, button));
    action.append(button);
  }
  const scopes = Array.isArray(key.scopes) ? key.scopes : [];
  return el('tr', { 'data-key-id': String(key.id), class: revoked ? 'is-revoked' : '' },
    el('th', { scope: 'row' }, String(key.name)),
    el('td', {}, ...(scopes.length ? scopes.flatMap((s, i) => [i ? ' ' : '', el('code', {}, String(s))]) : ['—'])),
    el('td', {}, formatTime(key.created_at) || '—'),
    el('td', {}, formatTime(key.expires_at) || 'never'),
    el('td', {}, formatTime(key.last_used_at) || 'never'),
    el('td', { class: 'status' }, status),
    action);
}

async function createKey(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = $('create-key');
  const days = $('key-days').value.trim();
  const request = {
    name: $('key-name').value,
    scopes: Array.from(form.querySelectorAll('input[name=key-scope]:checked'), (box) => box.value),
    expires_in_days: days === '' ? null : Number(days),
  };
  setBusy(button, true);
  await run($('keys-error'), async () => {
    const created = await api('/users/me/api-keys', { method: 'POST', json: request });
    if (created && typeof created.key === 'string') showNewKey(created.key);
    $('key-name').value = '';
    await loadKeys();
  });
  setBusy(button, false);
}

async function revokeKey(key, button) {
  setBusy(button, true);
  await run($('keys-error'), async () => {
    await api(`/users/me/api-keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' });
    await loadKeys();
    $('keys-title').focus();
  });
  setBusy(button, false);
}

function showNewKey(secret) {
  $('new-key-value').value = secret;
  $('copy-status').textContent = '';
  $('new-key').hidden = false;
  $('new-key-value').focus();
  $('new-key-value').select();
}

function hideNewKey() {
  $('new-key-value').value = '';
  $('copy-status').textContent = '';
  $('new-key').hidden = true;
}

async function copyKey() {
  const input = $('new-key-value');
  const status = $('copy-status');
  try {
    await navigator.clipboard.writeText(input.value);
    status.textContent = 'Copied to the clipboard.';
  } catch {
    // The async clipboard needs a secure context; plain http on a LAN name is not one.
    input.focus();
    input.select();
    status.textContent = 'The key is selected: press Ctrl+C to copy it.';
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('key-form').addEventListener('submit', createKey);
  $('copy-key').addEventListener('click', copyKey);
  $('dismiss-key').addEventListener('click', () => { hideNewKey(); $('key-name').focus(); });
  $('sign-out-everywhere').addEventListener('click', signOutEverywhere);
  loadAccount();
  loadSessions();
  loadKeys();
});
