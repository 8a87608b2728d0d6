'use strict';

// The account page (after /api.js). It holds no credential: the session cookie goes with each request.

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
    document.dispatchEvent(new CustomEvent('account', { detail: user }));
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
