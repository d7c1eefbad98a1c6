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

  try
    {
      await post ('/api/v1/auth/verify', { token });
    }
  catch (err)
    {
      if (err instanceof ApiError && (err.code === 'invalid_token' || err.code === 'validation_failed'))
        {
          title.textContent = t ('This link does not work any more');
          text.textContent = t ('It was already used, has expired, or a newer link was sent. Enter your email address to get a new one.');
        }
      else
        {
          title.textContent = t ('Something went wrong');
          text.textContent = t ('Your email address could not be confirmed just now. Please open the link again in a moment.');
          return;
        }
      showResend ();
      focus (title);
      return;
    }

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
