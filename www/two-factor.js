'use strict';

// The account page's two-factor sign-in (after /api.js): its state, enrolment with the QR
// code and the key for manual entry, confirmation with a first code, the recovery codes
// (shown once), and turning it off with a code or the password. Turning it on or off ends
// every session of the account, this one too: after that the page only offers to sign in.

const SVG_NS = 'http://www.w3.org/2000/svg';

// What the API's QR code may hold, element by element: its attributes and their shapes.
// Anything else (a script, an event handler, a link, a style) and no image is shown.
const QR_ALLOWED = {
  svg: { width: /^\d{1,4}$/, height: /^\d{1,4}$/, viewBox: /^\d{1,4} \d{1,4} \d{1,4} \d{1,4}$/, 'shape-rendering': /^crispEdges$/ },
  rect: { width: /^\d{1,4}$/, height: /^\d{1,4}$/, fill: /^#[0-9a-fA-F]{3,6}$/ },
  path: { fill: /^#[0-9a-fA-F]{3,6}$/, d: /^[MmHhVvZz0-9 -]*$/ },
};

// The QR code as fresh SVG elements built from the API's text, copying only what
// QR_ALLOWED lists (so it needs no inline markup, no data: URL and no change to the CSP);
// null when the text is anything else.
function qrCode(text, label) {
  const source = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
  function copy(node) {
    const allowed = node.namespaceURI === SVG_NS ? QR_ALLOWED[node.localName] : undefined;
    if (!allowed || (node.localName === 'svg') !== (node === source)) return null;
    const clean = document.createElementNS(SVG_NS, node.localName);
    for (const attribute of node.attributes) {
      if (attribute.name === 'xmlns') continue;
      const shape = Object.hasOwn(allowed, attribute.name) ? allowed[attribute.name] : undefined;
      if (!shape || !shape.test(attribute.value)) return null;
      clean.setAttribute(attribute.name, attribute.value);
    }
    for (const child of node.children) {
      const cleanChild = copy(child);
      if (!cleanChild) return null;
      clean.append(cleanChild);
    }
    return clean;
  }
  const svg = copy(source);
  if (!svg) return null;
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  return svg;
}

const TOTP_PANELS = ['totp-off', 'totp-enrol', 'totp-recovery', 'totp-disable-form', 'totp-done'];

function showTotpPanel(id, state) {
  for (const panel of TOTP_PANELS) $(panel).hidden = panel !== id;
  $('totp-state').textContent = state;
}

async function loadTotp() {
  await run($('totp-error'), async () => {
    const totp = await api('/users/me/totp');
    if (totp.enabled) {
      const left = Number(totp.recovery_codes_left);
      showTotpPanel('totp-disable-form', `On since ${new Date(totp.enabled_at).toLocaleString()}; ${left} recovery code${left === 1 ? '' : 's'} left.`);
    } else {
      showTotpPanel('totp-off', 'Off: signing in asks only for your password.');
    }
  });
}

async function startTotp(event) {
  const button = event.currentTarget;
  setBusy(button, true);
  await run($('totp-error'), async () => {
    const enrolment = await api('/users/me/totp', { method: 'POST', json: {} });
    const figure = $('totp-qr');
    const image = typeof enrolment.qr_svg === 'string' ? qrCode(enrolment.qr_svg, 'QR code of the authenticator key') : null;
    figure.replaceChildren(image || el('figcaption', { class: 'hint' }, 'No QR code: type the key in by hand.'));
    $('totp-secret').value = enrolment.secret;
    $('totp-code').value = '';
    showTotpPanel('totp-enrol', 'Not on yet: confirm with a code from your app.');
    $('totp-code').focus();
  });
  setBusy(button, false);
}

async function confirmTotp(event) {
  event.preventDefault();
  const button = $('totp-confirm');
  setBusy(button, true);
  await run($('totp-error'), async () => {
    const confirmed = await api('/users/me/totp/confirm', { method: 'POST', json: { code: $('totp-code').value.trim() } });
    $('totp-secret').value = '';
    $('totp-qr').replaceChildren();
    const codes = Array.isArray(confirmed.recovery_codes) ? confirmed.recovery_codes : [];
    $('totp-recovery-codes').replaceChildren(...codes.map((code) => el('li', {}, el('code', {}, String(code)))));
    showTotpPanel('totp-recovery', 'On.');
    $('totp-sign-in').focus();
  });
  setBusy(button, false);
}

function cancelTotp() {
  $('totp-secret').value = '';
  $('totp-qr').replaceChildren();
  $('totp-error').replaceChildren();
  showTotpPanel('totp-off', 'Off: signing in asks only for your password.');
}

async function disableTotp(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = $('totp-disable');
  const proof = formFields(form);
  if (!('code' in proof) && !('password' in proof)) {
    $('totp-error').replaceChildren(el('p', { class: 'error' }, 'Type a code or your password.'));
    return;
  }
  setBusy(button, true);
  await run($('totp-error'), async () => {
    await api('/users/me/totp', { method: 'DELETE', json: proof });
    form.reset();
    showTotpPanel('totp-done', 'Off.');
    $('totp-off-sign-in').focus();
  });
  setBusy(button, false);
}

document.addEventListener('DOMContentLoaded', () => {
  $('totp-start').addEventListener('click', startTotp);
  $('totp-confirm-form').addEventListener('submit', confirmTotp);
  $('totp-cancel').addEventListener('click', cancelTotp);
  $('totp-disable-form').addEventListener('submit', disableTotp);
  loadTotp();
});
