// pages/reset-password.js: choosing a new password with the mailed link
// (?token=).

import { ApiError, post } from '../api.js';
import { byId, fill, focus, h } from '../dom.js';
import { checkNewPassword, setBusy, showFieldErrors, showFormError, showServerError } from '../forms.js';
import { t } from '../i18n.js';

/**
 * @param {string} title
 * @param {string} text
 * @param {string} href
 * @param {string} label
 */
function finish (title, text, href, label)
{
  const heading = byId ('reset-title');
  const next = byId ('reset-next');

  heading.textContent = title;
  byId ('reset-text').textContent = text;
  byId ('reset-form').hidden = true;
  fill (next, h ('a', { class: 'button button-primary', href }, label));
  next.hidden = false;
  focus (heading);
}

export async function init ()
{
  const token = new URLSearchParams (location.search).get ('token');
  const form = byId ('reset-form', HTMLFormElement);
  const password = byId ('reset-password', HTMLInputElement);
  const submit = byId ('reset-submit', HTMLButtonElement);
  const formError = byId ('form-error');

  if (!token)
    {
      finish (t ('This link is not complete'),
              t ('Open the link from the email again, or ask for a new one.'),
              '/forgot-password', t ('Request a new link'));
      return;
    }
  history.replaceState (null, '', location.pathname);

  form.addEventListener ('submit', async (e) => {
    e.preventDefault ();
    showFormError (formError, '');
    if (!showFieldErrors ([[password, checkNewPassword (password.value)]]))
      return;
    setBusy (submit, true);
    try
      {
        await post ('/api/v1/auth/password-reset/confirm', { token, password: password.value });
        finish (t ('Password changed'), t ('Your password was changed. Log in with the new one.'),
                '/login', t ('Log in'));
        return;
      }
    catch (err)
      {
        if (err instanceof ApiError && err.code === 'invalid_token')
          {
            finish (t ('This link does not work any more'),
                    t ('It was already used, has expired, or a newer link was sent. Ask for a new one.'),
                    '/forgot-password', t ('Request a new link'));
            return;
          }
        showServerError (err, { password }, formError);
      }
    setBusy (submit, false);
  });
}
