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
  const unverified = byId ('login-unverified');
  const resend = byId ('login-resend', HTMLButtonElement);
  const resendStatus = byId ('login-resend-status');
  const next = nextParam ();

  // An account whose address is not confirmed yet gets no session: offer
  // the link again instead.
  resend.addEventListener ('click', async () => {
    const address = email.value.trim ();
    resend.disabled = true;
    try
      {
        await post ('/api/v1/auth/verify/resend', { email: address });
        resendStatus.textContent = t ('A new link is on its way to {email}.', { email: address });
      }
    catch (err)
      {
        resend.disabled = false;
        showServerError (err, { email }, formError);
      }
  });

  if (next)
    byId ('register-link', HTMLAnchorElement).href = `/register?next=${encodeURIComponent (next)}`;

  form.addEventListener ('submit', async (e) => {
    e.preventDefault ();
    showFormError (formError, '');
    unverified.hidden = true;
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
        else if (err instanceof ApiError && err.code === 'email_not_verified')
          {
            unverified.hidden = false;
            resend.disabled = false;
            resendStatus.textContent = '';
          }
        else if (err instanceof ApiError && err.code === 'account_disabled')
          showFormError (formError, t ('This account has been disabled. Please contact the organizer.'));
        else
          showServerError (err, { email, password }, formError);
      }
    setBusy (submit, false);
  });
}
