'use strict';

// Gatehouse is mounted under this prefix on the same origin as this page.
const API_BASE = '/auth';

// The bearer token lives only in this variable: never in storage or cookies,
// so a reload or closing the tab signs the user out.
let token = null;
// Bumped on every sign-in and sign-out so that answers to requests sent by an
// earlier session are dropped instead of painting stale data.
let session = 0;

// 401 details that mean the token is gone or no longer valid: back to the login form.
const SIGNED_OUT_DETAILS = new Set(['Could not validate credentials', 'Not authenticated']);

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

class StaleSession extends Error {}

async function api(path, { method = 'GET', json, form } = {}) {
  const startedIn = session;
  const headers = { Accept: 'application/json' };
  let body;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(form).toString();
  }
  let response;
  try {
    response = await fetch(API_BASE + path, {
      method, headers, body, cache: 'no-store', credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, 'Network error', null, String(e && e.message || e));
  }
  const raw = await response.text();
  if (startedIn !== session) throw new StaleSession();
  let data = null;
  if (raw !== '') {
    try { data = JSON.parse(raw); } catch { data = undefined; }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, response.statusText, data, raw);
    if (error.status === 401 && SIGNED_OUT_DETAILS.has(error.detail) && token !== null) {
      signOut(error);
      throw new StaleSession();
    }
    throw error;
  }
  return data;
}

// ---- small DOM helpers (text only: API data never goes through innerHTML) ----

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function clear(region) { region.replaceChildren(); }

// Shows an API error as the API said it: status, then the detail verbatim;
// a 422 lists each validation entry's loc and msg.
function showError(region, error) {
  if (error instanceof StaleSession) return;
  if (!(error instanceof ApiError)) {
    region.replaceChildren(el('p', { class: 'error' }, el('strong', {}, 'Error: '), String(error && error.message || error)));
    return;
  }
  const status = error.status === 0
    ? error.statusText
    : `${error.status}${error.statusText ? ' ' + error.statusText : ''}`;
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
  } else if (detail !== undefined) {
    head.append(' — ', JSON.stringify(detail));
  } else if (error.raw) {
    box.append(el('pre', { class: 'raw' }, error.raw.slice(0, 2000)));
  }
  region.replaceChildren(box);
}

function formatTime(value) {
  if (value === null || value === undefined || value === '') return null;
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(date.getTime())) return el('span', {}, String(value));
  return el('time', { datetime: date.toISOString(), title: String(value) }, date.toLocaleString());
}

function setBusy(button, busy) {
  button.disabled = busy;
  if (busy) button.setAttribute('aria-busy', 'true');
  else button.removeAttribute('aria-busy');
}

// Reads the claims of a JWT for display only; the server is what checks it.
function tokenClaims(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = decodeURIComponent(Array.from(atob(part), (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join(''));
    const claims = JSON.parse(json);
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

// ---- sign in / sign out ----

async function signIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector('button[type=submit]');
  const scopes = Array.from(form.querySelectorAll('input[name=scope]:checked'), (box) => box.value);
  clear($('login-error'));
  setBusy(button, true);
  token = null;
  session += 1;
  try {
    const answer = await api('/token', {
      method: 'POST',
      form: { username: $('username').value, password: $('password').value, scope: scopes.join(' ') },
    });
    if (!answer || typeof answer.access_token !== 'string') {
      throw new ApiError(200, 'OK', answer, 'The answer has no access_token.');
    }
    token = answer.access_token;
    session += 1;
    $('password').value = '';
    showSession();
  } catch (error) {
    showError($('login-error'), error);
  } finally {
    setBusy(button, false);
  }
}

function signOut(reason) {
  token = null;
  session += 1;
  $('session').hidden = true;
  $('login').hidden = false;
  for (const id of ['account', 'items', 'keys', 'account-error', 'items-error', 'keys-error', 'token-info']) clear($(id));
  hideNewKey();
  $('key-form').reset();
  if (reason) showError($('login-error'), reason);
  else clear($('login-error'));
  $('username').focus();
}

function showSession() {
  $('login').hidden = true;
  $('session').hidden = false;
  $('session-title').textContent = 'Signed in';
  const claims = tokenClaims(token);
  const info = $('token-info');
  clear(info);
  if (claims) {
    const who = typeof claims.sub === 'string' ? claims.sub : '';
    const scopes = Array.isArray(claims.scopes) ? claims.scopes.join(' ') : (typeof claims.scope === 'string' ? claims.scope : '');
    info.append('Token for ', el('strong', {}, who || '(unknown)'),
      ', scopes: ', el('code', {}, scopes || '(none)'));
    if (typeof claims.exp === 'number') info.append(', expires ', formatTime(claims.exp));
    info.append('. Kept in memory only.');
  } else {
    info.textContent = 'Signed in. The token is kept in memory only.';
  }
  $('session-title').focus();
  loadAccount();
  loadItems();
  loadKeys();
}

// ---- account and items ----

async function loadAccount() {
  const list = $('account');
  list.setAttribute('aria-busy', 'true');
  clear($('account-error'));
  try {
    const user = await api('/users/me/');
    const rows = [
      ['Username', user.username],
      ['Email', user.email],
      ['Full name', user.full_name],
      ['Disabled', user.disabled === true ? 'yes' : user.disabled === false ? 'no' : user.disabled],
    ];
    list.replaceChildren(...rows.flatMap(([name, value]) => [
      el('dt', {}, name),
      el('dd', {}, value === null || value === undefined ? '—' : String(value)),
    ]));
    if (typeof user.username === 'string') $('session-title').textContent = `Signed in as ${user.username}`;
  } catch (error) {
    clear(list);
    showError($('account-error'), error);
  } finally {
    list.removeAttribute('aria-busy');
  }
}

async function loadItems() {
  const list = $('items');
  list.setAttribute('aria-busy', 'true');
  clear($('items-error'));
  try {
    const items = await api('/users/me/items/');
    const rows = Array.isArray(items) ? items : [];
    list.replaceChildren(...rows.map((item) =>
      el('li', {}, el('strong', {}, String(item.item_id)), ' — owner ', String(item.owner))));
    if (rows.length === 0) list.append(el('li', { class: 'hint' }, 'No items.'));
  } catch (error) {
    clear(list);
    showError($('items-error'), error);
  } finally {
    list.removeAttribute('aria-busy');
  }
}

// ---- API keys ----

async function loadKeys() {
  const table = $('keys-table');
  table.setAttribute('aria-busy', 'true');
  try {
    const keys = await api('/users/me/api-keys');
    renderKeys(Array.isArray(keys) ? keys : []);
  } catch (error) {
    table.hidden = true;
    $('keys-empty').hidden = true;
    showError($('keys-error'), error);
  } finally {
    table.removeAttribute('aria-busy');
  }
}

function renderKeys(keys) {
  const body = $('keys');
  body.replaceChildren(...keys.map(keyRow));
  $('keys-empty').hidden = keys.length !== 0;
  $('keys-table').hidden = keys.length === 0;
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
  return el('tr', { class: revoked ? 'is-revoked' : '' },
    el('th', { scope: 'row' }, String(key.name)),
    el('td', {}, ...(scopes.length ? scopes.flatMap((s, i) => [i ? ' ' : '', el('code', {}, String(s))]) : ['—'])),
    el('td', {}, formatTime(key.created_at) || '—'),
    el('td', {}, formatTime(key.expires_at) || 'never'),
    el('td', {}, formatTime(key.last_used_at) || 'never'),
    el('td', {}, status),
    action);
}

async function createKey(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = form.querySelector('button[type=submit]');
  clear($('keys-error'));
  const days = $('key-days').value.trim();
  const request = {
    name: $('key-name').value,
    scopes: Array.from(form.querySelectorAll('input[name=key-scope]:checked'), (box) => box.value),
    expires_in_days: days === '' ? null : Number(days),
  };
  setBusy(button, true);
  try {
    const created = await api('/users/me/api-keys', { method: 'POST', json: request });
    if (created && typeof created.key === 'string') showNewKey(created.key);
    $('key-name').value = '';
    await loadKeys();
  } catch (error) {
    showError($('keys-error'), error);
  } finally {
    setBusy(button, false);
  }
}

async function revokeKey(key, button) {
  clear($('keys-error'));
  setBusy(button, true);
  try {
    await api(`/users/me/api-keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' });
    await loadKeys();
    $('keys-title').focus();
  } catch (error) {
    showError($('keys-error'), error);
    setBusy(button, false);
  }
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
    const copied = document.execCommand && document.execCommand('copy');
    status.textContent = copied ? 'Copied to the clipboard.' : 'Copy failed: the key is selected, press Ctrl+C.';
  }
}

document.addEventListener('DOMContentLoaded', () => {
  $('keys-title').setAttribute('tabindex', '-1');
  $('login-form').action = `${API_BASE}/token`;
  $('login-form').addEventListener('submit', signIn);
  $('logout').addEventListener('click', () => signOut(null));
  $('key-form').addEventListener('submit', createKey);
  $('copy-key').addEventListener('click', copyKey);
  $('dismiss-key').addEventListener('click', () => { hideNewKey(); $('key-name').focus(); });
  $('username').focus();
});
