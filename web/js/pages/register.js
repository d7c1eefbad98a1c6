// pages/register.js: creating an account; the server mails a link to
// confirm the address (pages/verify.js).

import { post } from '../api.js';
import { byId, fill, focus, h, nextParam } from '../dom.js';
import { NEXT_KEY, checkEmail, checkNewPassword, setBusy, showFieldErrors, showFormError, showServerError } from '../forms.js';
import { currentLang, t } from '../i18n.js';

export async function init ()
{
  const form = byId ('register-form', HTMLFormElement);
  const name = byId ('register-name', HTMLInputElement);
  const email = byId ('register-email', HTMLInputElement);
  const password = byId ('register-password', HTMLInputElement);
  const submit = byId ('register-submit', HTMLButtonElement);
  const formError = byId ('form-error');
  const next = nextParam ();

  if (next)
    byId ('login-link', HTMLAnchorElement).href = `/login?next=${encodeURIComponent (next)}`;

  form.addEventListener ('submit', async (e) => {
    e.preventDefault ();
    const address = email.value.trim ();
    showFormError (formError, '');
    if (!showFieldErrors ([
      [name, [...name.value.trim ()].length > 200 ? t ('This is too long.') : ''],
      [email, checkEmail (address)],
      [password, checkNewPassword (password.value, address)],
    ]))
      return;

    setBusy (submit, true);
    try
      {
        await post ('/api/v1/auth/register', {
          name: name.value.trim (), email: address, password: password.value, locale: currentLang (),
        });
      }
    catch (err)
      {
        setBusy (submit, false);
        showServerError (err, { name, email, password }, formError);
        return;
      }

    try
      {
        if (next)
          sessionStorage.setItem (NEXT_KEY, next);
      }
    catch { /* storage disabled */ }

    const title = h ('h1', { tabindex: -1 }, t ('Check your email'));
    fill (byId ('register-card'),
      title,
      h ('p', { class: 'lead' },
        t ('We sent a link to {email}. Follow it to confirm your address, then log in.', { email: address })),
      h ('p', { class: 'fine-print' },
        t ('No mail after a few minutes? Look in your spam folder.')),
      h ('p', { class: 'actions' },
        h ('a', { class: 'button button-secondary', href: next ? `/login?next=${encodeURIComponent (next)}` : '/login' },
          t ('Go to log in'))));
    focus (title);
  });
}
