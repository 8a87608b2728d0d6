'use strict';

// What every page of the demo site shares: the API at /auth (JSON, FastAPI's error bodies)
// and small DOM helpers. Pages that need a session send the sign-in page's HttpOnly cookie
// with each same-origin request; Gatehouse checks that requests which change something
// come from this site (their Origin). No page keeps a credential in JavaScript.
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

// `signedIn: false` for the public pages: no cookie goes, and a 401 is an error to show.
async function api(path, { method = 'GET', json, signedIn = true } = {}) {
  const headers = { Accept: 'application/json' };
  let body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  }
  let response;
  try {
    response = await fetch(API_BASE + path, {
      method, headers, body, cache: 'no-store', credentials: signedIn ? 'same-origin' : 'omit',
    });
  } catch (e) {
    throw new ApiError(0, 'Network error', null, String((e && e.message) || e));
  }
  const raw = await response.text();
  let data = null;
  if (raw !== '') {
    try { data = JSON.parse(raw); } catch { data = undefined; }
  }
  if (response.status === 401 && signedIn) {
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
  } else if (detail && typeof detail === 'object' && typeof detail.code === 'string') {
    // fastapi-users' {"code", "reason"} (a password the policy refuses).
    head.append(' — ', detail.code);
    if (typeof detail.reason === 'string') box.append(el('p', {}, detail.reason));
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

// A code a mailed link carries (`?token=…`, `#token=…`, `?invite=…`), taken off the address
// bar at once so it stays in neither the history nor a screenshot of the page.
function takeFromURL(name) {
  const url = new URL(window.location.href);
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
  const token = url.searchParams.get(name) || fragment.get(name) || '';
  if (url.search !== '' || url.hash !== '') window.history.replaceState(null, '', url.pathname);
  return token;
}

// A form's named fields, trimmed where they are not passwords; empty ones left out.
function formFields(form) {
  const fields = {};
  for (const input of form.querySelectorAll('input[name]')) {
    const value = input.type === 'password' ? input.value : input.value.trim();
    if (value !== '') fields[input.name] = value;
  }
  return fields;
}
