// pages/forgot-password.js: asking for a password reset link. The answer
// is the same whether or not the address has an account.

import { post } from '../api.js';
import { byId } from '../dom.js';
import { checkEmail, setBusy, showFieldErrors, showFormError, showServerError } from '../forms.js';
import { t } from '../i18n.js';

export async function init ()
{
  const form = byId ('forgot-form', HTMLFormElement);
  const email = byId ('forgot-email', HTMLInputElement);
  const submit = byId ('forgot-submit', HTMLButtonElement);
  const formError = byId ('form-error');
  const status = byId ('forgot-status');

  form.addEventListener ('submit', async (e) => {
    e.preventDefault ();
    showFormError (formError, '');
    status.textContent = '';
    if (!showFieldErrors ([[email, checkEmail (email.value.trim ())]]))
      return;
    setBusy (submit, true);
    try
      {
        await post ('/api/v1/auth/password-reset', { email: email.value.trim () });
        status.textContent = t ('If an account uses this address, a link to choose a new password is on its way. The link works for one hour.');
      }
    catch (err)
      {
        showServerError (err, { email }, formError);
      }
    setBusy (submit, false);
  });
}
