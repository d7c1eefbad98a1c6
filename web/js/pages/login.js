// pages/login.js: signing in, then on to ?next= (a path of this site) or home.

import { ApiError, post, setMe } from '../api.js';
import { byId, nextParam } from '../dom.js';
import { checkEmail, setBusy, showFieldErrors, showFormError, showServerError } from '../forms.js';
import { isLang, rememberLang, t } from '../i18n.js';

export async function init ()
{
  const form = byId ('login-form', HTMLFormElement);
  const email = byId ('login-email', HTMLInputElement);
  const password = byId ('login-password', HTMLInputElement);
  const submit = byId ('login-submit', HTMLButtonElement);
  const formError = byId ('form-error');
  const next = nextParam ();

  if (next)
    byId ('register-link', HTMLAnchorElement).href = `/register?next=${encodeURIComponent (next)}`;

  form.addEventListener ('submit', async (e) => {
    e.preventDefault ();
    showFormError (formError, '');
    if (!showFieldErrors ([
      [email, checkEmail (email.value.trim ())],
      [password, password.value ? '' : t ('Enter your password.')],
    ]))
      return;

    setBusy (submit, true);
    try
      {
        const me = await post ('/api/v1/auth/login', { email: email.value.trim (), password: password.value });
        setMe (me);
        if (me && isLang (me.locale))
          rememberLang (me.locale);
        location.assign (next || '/');
        return;
      }
    catch (err)
      {
        if (err instanceof ApiError && err.code === 'invalid_credentials')
          showFormError (formError, t ('Wrong email or password.'));
        else if (err instanceof ApiError && err.code === 'account_disabled')
          showFormError (formError, t ('This account has been disabled. Please contact the organizer.'));
        else
          showServerError (err, { email, password }, formError);
      }
    setBusy (submit, false);
  });
}
