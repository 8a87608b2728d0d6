'use strict';

// The public account pages (after /api.js): register, verify (the mailed link), forgot
// password and reset password (the mailed link). They send no cookie; a token from a link
// is taken off the address bar before anything else happens.

const ANY_ACCOUNT = 'If an account has this address, a link is on its way to it (the answer is the same when none has).';

function detailIs(error, code) {
  return error instanceof ApiError && error.status === 400 && error.detail === code;
}

// ---- register ----

function setUpRegister(form) {
  const invite = takeFromURL('invite');
  $('register-invited').hidden = invite === '';
  let email = '';
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $('register');
    const account = formFields(form);
    if (invite !== '') account.invite = invite;
    setBusy(button, true);
    await run($('page-error'), async () => {
      try {
        const user = await api('/register', { method: 'POST', json: account, signedIn: false });
        email = user.email;
        form.hidden = true;
        $('registered-message').textContent = `Account ${user.username} created, for ${user.email}.`;
        $('registered').hidden = false;
        $('registered-sign-in').focus();
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) throw new Error('Registration is not open on this site.');
        throw error;
      }
    });
    setBusy(button, false);
  });
  $('send-verification').addEventListener('click', async (event) => {
    const button = event.currentTarget;
    setBusy(button, true);
    await run($('page-error'), async () => {
      await api('/verify/request', { method: 'POST', json: { email }, signedIn: false });
      $('verification-sent').textContent = `A new link is on its way to ${email}.`;
    });
    setBusy(button, false);
  });
}

// ---- verify (the link in the verification mail) ----

async function setUpVerify(requestForm) {
  const token = takeFromURL('token');
  const state = $('verify-state');
  requestForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $('verify-request');
    setBusy(button, true);
    await run($('page-error'), async () => {
      await api('/verify/request', { method: 'POST', json: formFields(requestForm), signedIn: false });
      $('verify-request-sent').textContent = ANY_ACCOUNT;
    });
    setBusy(button, false);
  });
  if (token === '') {
    state.textContent = 'This address carries no verification token: open the link from the mail as it is.';
    requestForm.hidden = false;
    return;
  }
  await run($('page-error'), async () => {
    try {
      const user = await api('/verify', { method: 'POST', json: { token }, signedIn: false });
      state.textContent = `Your email ${user.email} is verified, ${user.username}.`;
      $('verified-next').hidden = false;
    } catch (error) {
      if (detailIs(error, 'VERIFY_USER_ALREADY_VERIFIED')) {
        state.textContent = 'This email is verified already.';
        $('verified-next').hidden = false;
        return;
      }
      state.textContent = detailIs(error, 'VERIFY_USER_BAD_TOKEN')
        ? 'This link does not verify anything: it was used, it expired, or the email changed since.'
        : 'The email could not be verified.';
      requestForm.hidden = false;
      throw error;
    }
  });
}

// ---- forgot password ----

function setUpForgot(form) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $('forgot');
    setBusy(button, true);
    await run($('page-error'), async () => {
      await api('/forgot-password', { method: 'POST', json: formFields(form), signedIn: false });
      form.hidden = true;
      const sent = $('forgot-sent');
      sent.textContent = ANY_ACCOUNT;
      sent.hidden = false;
    });
    setBusy(button, false);
  });
}

// ---- reset password (the link in the reset mail) ----

function setUpReset(form) {
  const token = takeFromURL('token');
  if (token === '') {
    form.hidden = true;
    $('page-error').replaceChildren(el('p', { class: 'error' }, 'This address carries no reset token: open the link from the mail as it is.'));
    $('reset-again').hidden = false;
    return;
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $('reset-submit');
    const password = $('reset-password').value;
    if (password !== $('reset-password-again').value) {
      $('page-error').replaceChildren(el('p', { class: 'error' }, 'The two passwords differ.'));
      $('reset-password-again').focus();
      return;
    }
    setBusy(button, true);
    await run($('page-error'), async () => {
      try {
        await api('/reset-password', { method: 'POST', json: { token, password }, signedIn: false });
      } catch (error) {
        if (detailIs(error, 'RESET_PASSWORD_BAD_TOKEN')) {
          form.hidden = true;
          $('reset-again').hidden = false;
        }
        throw error;
      }
      form.reset();
      form.hidden = true;
      $('reset-done').hidden = false;
      $('reset-sign-in').focus();
    });
    setBusy(button, false);
  });
}

document.addEventListener('DOMContentLoaded', () => {
  const pages = [['register-form', setUpRegister], ['verify-request-form', setUpVerify],
    ['forgot-form', setUpForgot], ['reset-form', setUpReset]];
  for (const [id, setUp] of pages) {
    const form = $(id);
    if (form) setUp(form);
  }
});
