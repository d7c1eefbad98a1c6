// pages/verify.js: the link from the confirmation mail (?token=).

import { ApiError, getMe, post } from '../api.js';
import { byId, fill, focus, h, safeNext } from '../dom.js';
import { NEXT_KEY, checkEmail, setBusy, showFieldErrors, showFormError, showServerError } from '../forms.js';
import { t } from '../i18n.js';

/** @returns {string | null} where the attendee was going when signing up */
function storedNext ()
{
  try { return safeNext (sessionStorage.getItem (NEXT_KEY)); }
  catch { return null; }
}

function showResend ()
{
  const form = byId ('resend-form', HTMLFormElement);
  const email = byId ('resend-email', HTMLInputElement);
  const submit = byId ('resend-submit', HTMLButtonElement);
  const formError = byId ('form-error');

  form.hidden = false;
  form.addEventListener ('submit', async (e) => {
    e.preventDefault ();
    showFormError (formError, '');
    byId ('resend-status').textContent = '';
    if (!showFieldErrors ([[email, checkEmail (email.value.trim ())]]))
      return;
    setBusy (submit, true);
    try
      {
        await post ('/api/v1/auth/verify/resend', { email: email.value.trim () });
        byId ('resend-status').textContent =
          t ('If this address still needs confirming, a new link is on its way.');
      }
    catch (err)
      {
        showServerError (err, { email }, formError);
      }
    setBusy (submit, false);
  });
}

/**
 * Sends the link (and the password, once known).
 * @param {string} token
 * @param {string | null} password
 * @returns {Promise<'done' | 'password' | 'failed' | 'wrong'>}
 */
async function confirm (token, password)
{
  const title = byId ('verify-title');
  const text = byId ('verify-text');

  try
    {
      await post ('/api/v1/auth/verify', password === null ? { token } : { token, password });
      return 'done';
    }
  catch (err)
    {
      if (err instanceof ApiError && err.code === 'password_required')
        return 'password';
      if (err instanceof ApiError && err.code === 'validation_failed' && password !== null &&
          err.details && 'password' in err.details)
        return 'wrong';
      if (err instanceof ApiError && (err.code === 'invalid_token' || err.code === 'validation_failed'))
        {
          title.textContent = t ('This link does not work any more');
          text.textContent = t ('It was already used, has expired, or a newer link was sent. Enter your email address to get a new one.');
          byId ('verify-form').hidden = true;
          showResend ();
          focus (title);
          return 'failed';
        }
      if (err instanceof ApiError && err.code === 'too_many_attempts')
        {
          showFormError (byId ('verify-error'), t ('Too many wrong passwords. Please wait a while and try again.'));
          return 'wrong';
        }
      title.textContent = t ('Something went wrong');
      text.textContent = t ('Your email address could not be confirmed just now. Please open the link again in a moment.');
      return 'failed';
    }
}

/**
 * Shows the password form; once the link is confirmed, the result.
 * @param {string} token
 */
function askPassword (token)
{
  const form = byId ('verify-form', HTMLFormElement);
  const password = byId ('verify-password', HTMLInputElement);
  const submit = byId ('verify-submit', HTMLButtonElement);
  const formError = byId ('verify-error');

  form.hidden = false;
  password.focus ();
  form.addEventListener ('submit', async (e) => {
    e.preventDefault ();
    showFormError (formError, '');
    if (!showFieldErrors ([[password, password.value ? '' : t ('Enter your password.')]]))
      return;
    setBusy (submit, true);
    const outcome = await confirm (token, password.value);
    setBusy (submit, false);
    if (outcome === 'wrong')
      {
        if (!formError.textContent)
          showFieldErrors ([[password, t ('This is not the password you chose when you signed up.')]]);
        return;
      }
    form.hidden = true;
    if (outcome === 'done')
      await showVerified ();
  });
}

/* The address is confirmed: say so, and where to go on. */
async function showVerified ()
{
  const title = byId ('verify-title');
  const text = byId ('verify-text');
  const me = await getMe ();
  const next = storedNext ();
  const box = byId ('verify-next');

  title.textContent = t ('Email verified');
  text.textContent = me ? t ('Thank you. You can book tickets now.')
                        : t ('Thank you. Log in to book tickets.');
  fill (box, me
    ? h ('a', { class: 'button button-primary', href: next || '/' }, t ('Continue'))
    : h ('a', { class: 'button button-primary', href: next ? `/login?next=${encodeURIComponent (next)}` : '/login' },
        t ('Log in')));
  box.hidden = false;
  try { sessionStorage.removeItem (NEXT_KEY); } catch { /* storage disabled */ }
  focus (title);
}

export async function init ()
{
  const token = new URLSearchParams (location.search).get ('token');
  const title = byId ('verify-title');
  const text = byId ('verify-text');

  /* The token is not needed in the address bar (or in any Referer) any more. */
  if (token)
    history.replaceState (null, '', location.pathname);

  if (!token)
    {
      title.textContent = t ('This link is not complete');
      text.textContent = t ('Open the link from the email again, or ask for a new one.');
      showResend ();
      return;
    }

  /* The link needs the password of the sign-up that sent it: a link that
   * somebody else's sign-up mailed here is of no use to anyone else. */
  const outcome = await confirm (token, null);
  if (outcome === 'password')
    {
      title.textContent = t ('Confirm your email address');
      text.textContent = t ('Enter the password you chose when you signed up.');
      askPassword (token);
    }
  else if (outcome === 'done')
    await showVerified ();
}
