'use strict';

// The account page's email and password form (after /api.js and /app.js): PATCH /users/me/
// with the current password, sending only what changed.

let shownEmail = '';

document.addEventListener('account', (event) => {
  shownEmail = event.detail.email || '';
  const input = $('profile-email');
  if (document.activeElement !== input) input.value = shownEmail;
});

async function saveProfile(event) {
  event.preventDefault();
  const button = $('save-profile');
  const status = $('profile-status');
  const email = $('profile-email').value.trim();
  const password = $('profile-password').value;
  const change = { current_password: $('profile-current-password').value };
  if (email !== '' && email !== shownEmail) change.email = email;
  if (password !== '') change.password = password;
  status.textContent = '';
  if (!('email' in change) && !('password' in change)) {
    $('profile-error').replaceChildren();
    status.textContent = 'Nothing to change: type a new email or a new password.';
    return;
  }
  setBusy(button, true);
  await run($('profile-error'), async () => {
    await api('/users/me/', { method: 'PATCH', json: change });
    const done = [];
    if ('email' in change) done.push(`Your email is now ${email}: follow the link mailed there to verify it.`);
    if ('password' in change) done.push('Your password is changed; your other sessions are signed out.');
    $('profile-password').value = '';
    $('profile-current-password').value = '';
    status.textContent = done.join(' ');
    await Promise.all([loadAccount(), loadSessions()]);
  });
  setBusy(button, false);
}

document.addEventListener('DOMContentLoaded', () => {
  $('profile-form').addEventListener('submit', saveProfile);
});
