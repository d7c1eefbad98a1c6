// pages/account.js: name and language, password, deleting the account.

import { ApiError, errorText, post, request, requireMe, setMe } from '../api.js';
import { byId, fill, focus, h } from '../dom.js';
import { checkNewPassword, setBusy, showFieldErrors, showFormError, showServerError } from '../forms.js';
import { currentLang, isLang, loadLang, rememberLang, t, translate } from '../i18n.js';

/** @typedef {import('../types.js').Me} Me */

/** @param {Me} me */
function setupProfile (me)
{
  const form = byId ('profile-form', HTMLFormElement);
  const name = byId ('account-name', HTMLInputElement);
  const locale = byId ('account-locale', HTMLSelectElement);
  const submit = byId ('profile-submit', HTMLButtonElement);
  const status = byId ('profile-status');
  const formError = byId ('profile-error');

  name.value = me.name || '';
  locale.value = isLang (me.locale) ? me.locale : currentLang ();

  form.addEventListener ('submit', async (e) => {
    e.preventDefault ();
    status.textContent = '';
    showFormError (formError, '');
    if (!showFieldErrors ([[name, [...name.value.trim ()].length > 200 ? t ('This is too long.') : '']]))
      return;
    setBusy (submit, true);
    try
      {
        /** @type {Me} */
        const updated = await request ('PATCH', '/api/v1/me', {
          body: { name: name.value.trim (), locale: locale.value },
        });
        name.value = updated.name || '';
        if (isLang (updated.locale) && updated.locale !== currentLang ())
          {
            rememberLang (updated.locale);
            await loadLang (updated.locale);
            translate (document);
            byId ('lang-select', HTMLSelectElement).value = updated.locale;
            showEmail (updated);
          }
        status.textContent = t ('Profile saved.');
      }
    catch (err)
      {
        showServerError (err, { name, locale }, formError);
      }
    setBusy (submit, false);
  });
}

/** @param {Me} me */
function setupPassword (me)
{
  const form = byId ('password-form', HTMLFormElement);
  const current = byId ('account-current', HTMLInputElement);
  const fresh = byId ('account-new', HTMLInputElement);
  const submit = byId ('password-submit', HTMLButtonElement);
  const status = byId ('password-status');
  const formError = byId ('password-error');

  byId ('account-username', HTMLInputElement).value = me.email;
  form.addEventListener ('submit', async (e) => {
    e.preventDefault ();
    status.textContent = '';
    showFormError (formError, '');
    if (!showFieldErrors ([
      [current, current.value ? '' : t ('Enter your current password.')],
      [fresh, checkNewPassword (fresh.value, me.email)],
    ]))
      return;
    setBusy (submit, true);
    try
      {
        await post ('/api/v1/me/password', { current_password: current.value, new_password: fresh.value });
        form.reset ();
        status.textContent = t ('Your password was changed.');
      }
    catch (err)
      {
        showServerError (err, { current_password: current, new_password: fresh }, formError);
      }
    setBusy (submit, false);
  });
}

function setupDelete ()
{
  const dialog = byId ('delete-dialog', HTMLDialogElement);
  const open = byId ('delete-open', HTMLButtonElement);
  const confirm = byId ('delete-confirm', HTMLButtonElement);
  const error = byId ('delete-error');

  open.addEventListener ('click', () => {
    error.textContent = '';
    dialog.showModal ();
    byId ('delete-keep').focus ();
  });
  byId ('delete-keep').addEventListener ('click', () => {
    dialog.close ();
    open.focus ();
  });
  confirm.addEventListener ('click', async () => {
    setBusy (confirm, true);
    try
      {
        await request ('DELETE', '/api/v1/me');
      }
    catch (err)
      {
        setBusy (confirm, false);
        if (!(err instanceof ApiError && err.status === 401))
          {
            error.textContent = errorText (err);
            return;
          }
      }
    dialog.close ();
    setMe (null);
    const title = h ('h1', { tabindex: -1 }, t ('Your account has been deleted'));
    fill (byId ('main'), h ('div', { class: 'container section message-page' },
      title,
      h ('p', { class: 'lead' }, t ('Your name and email address have been erased. Thank you for having been with us.')),
      h ('p', null, h ('a', { class: 'button button-primary', href: '/' }, t ('Go to the event list')))));
    focus (title);
  });
}

/** @param {Me} me */
function showEmail (me)
{
  byId ('account-email').textContent = t ('Logged in as {email}', { email: me.email });
}

/** @param {Me} me */
function setupVerify (me)
{
  const box = byId ('account-verify');
  const button = byId ('account-resend', HTMLButtonElement);
  const status = byId ('account-resend-status');

  box.hidden = me.email_verified;
  button.addEventListener ('click', async () => {
    setBusy (button, true);
    try
      {
        await post ('/api/v1/auth/verify/resend', { email: me.email });
        status.textContent = t ('A new link is on its way to {email}.', { email: me.email });
      }
    catch (err)
      {
        status.textContent = errorText (err);
      }
    setBusy (button, false);
  });
}

export async function init ()
{
  const me = await requireMe ();
  if (!me)
    return;
  showEmail (me);
  setupVerify (me);
  setupProfile (me);
  setupPassword (me);
  setupDelete ();
}
