// forms.js: checking account forms the way the server does
// (common/eva-validate.c) and showing what is wrong next to each field.
//
// Convention: a field <input id="x"> has its error text in <p id="x-error">;
// a form has its general error in an element with role="alert" given to
// showFormError().

import { ApiError, errorText } from './api.js';
import { focus, setFieldError } from './dom.js';
import { t } from './i18n.js';

/** sessionStorage: where to go after confirming the address (a path). */
export const NEXT_KEY = 'everato.next';

/**
 * @param {string} value
 * @returns {number} length in UTF-8 bytes
 */
function bytes (value)
{
  return new TextEncoder ().encode (value).length;
}

/**
 * @param {string} label
 * @returns {boolean}
 */
function dnsLabelOk (label)
{
  return label.length > 0 && bytes (label) <= 63 && !label.startsWith ('-') &&
         !label.endsWith ('-') && /^[\p{L}\p{N}\p{M}-]+$/u.test (label);
}

/**
 * @param {string} value
 * @returns {string} the problem, or '' when the address looks right
 */
export function checkEmail (value)
{
  if (!value)
    return t ('Enter your email address.');
  const at = value.indexOf ('@');
  const local = value.slice (0, at);
  const labels = value.slice (at + 1).split ('.');
  const ok = bytes (value) >= 3 && bytes (value) <= 254 && at > 0 &&
             value.indexOf ('@', at + 1) < 0 && bytes (local) <= 64 &&
             !/[\s\u0000-\u001f\u007f-\u009f"(),:;<>[\\\]]/.test (local) &&
             labels.length >= 2 && labels.every (dnsLabelOk) &&
             !/^\d+$/.test (labels[labels.length - 1] || '');
  return ok ? '' : t ('Enter an email address like name@example.com.');
}

/**
 * @param {string} value
 * @param {string} [email]  the account's address, which the password must not be
 * @returns {string} the problem, or ''
 */
export function checkNewPassword (value, email)
{
  if ([...value].length < 10)
    return t ('Use at least 10 characters.');
  if (bytes (value) > 1024)
    return t ('This password is too long.');
  if (email && value.toLowerCase () === email.toLowerCase ())
    return t ('Your password must not be your email address.');
  return '';
}

/**
 * @param {HTMLInputElement | HTMLSelectElement} field
 * @returns {HTMLElement}
 */
function errorOf (field)
{
  const el = document.getElementById (`${field.id}-error`);

  if (!el)
    throw new Error (`missing #${field.id}-error`);
  return el;
}

/**
 * Shows errors (field → message; empty message clears) and moves the
 * focus to the first field that has one.
 *
 * @param {Array<[HTMLInputElement | HTMLSelectElement, string]>} errors
 * @returns {boolean} whether all were empty
 */
export function showFieldErrors (errors)
{
  /** @type {HTMLElement | null} */
  let first = null;

  for (const [field, message] of errors)
    {
      setFieldError (field, errorOf (field), message);
      if (message && !first)
        first = field;
    }
  if (first)
    focus (first);
  return !first;
}

/**
 * Shows the general error of a form (or clears it with '') and moves the
 * focus to it.
 *
 * @param {HTMLElement} el
 * @param {string} message
 */
export function showFormError (el, message)
{
  el.textContent = message;
  if (message)
    focus (el);
}

/**
 * Server reasons for a field, as the site says them.
 *
 * @param {unknown} reason
 * @returns {string}
 */
function reasonText (reason)
{
  const r = String (reason);

  if (/at least 10/.test (r))
    return t ('Use at least 10 characters.');
  if (/same as the email/.test (r))
    return t ('Your password must not be your email address.');
  if (/is not correct/.test (r))
    return t ('This is not your current password.');
  if (/email/.test (r))
    return t ('Enter an email address like name@example.com.');
  if (/at most/.test (r))
    return t ('This is too long.');
  if (/required|empty/.test (r))
    return t ('Please fill this in.');
  return t ('Please check this field.');
}

/**
 * Puts a 400 validation_failed reply next to its fields; anything else (or
 * a field the form does not have) into formError.
 *
 * @param {unknown} err
 * @param {Record<string, HTMLInputElement | HTMLSelectElement>} fields  API field name → input
 * @param {HTMLElement} formError
 */
export function showServerError (err, fields, formError)
{
  if (err instanceof ApiError && err.code === 'validation_failed')
    {
      /** @type {Array<[HTMLInputElement | HTMLSelectElement, string]>} */
      const errors = [];
      for (const [name, reason] of Object.entries (err.details))
        {
          const field = fields[name];
          if (field)
            errors.push ([field, reasonText (reason)]);
        }
      if (errors.length)
        {
          showFormError (formError, '');
          showFieldErrors (errors);
          return;
        }
    }
  showFormError (formError, errorText (err));
}

/**
 * Marks button busy (disabled, aria-busy) or not.
 *
 * @param {HTMLButtonElement} button
 * @param {boolean} on
 */
export function setBusy (button, on)
{
  button.disabled = on;
  if (on)
    button.setAttribute ('aria-busy', 'true');
  else
    button.removeAttribute ('aria-busy');
}
