// api.js: talking to everato-server's JSON API.
//
// Every failure becomes an ApiError: the server's error envelope
// ({"error":{"code","message","details"}}) with the HTTP status, or code
// "network_error" (status 0) when the server could not be reached, which
// also raises the offline banner. The CSRF token lives in this module only.

import { t } from './i18n.js';

/** @typedef {import('./types.js').Me} Me */
/** @typedef {import('./types.js').PublicEvent} PublicEvent */

export class ApiError extends Error
{
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {Record<string, unknown>} details
   * @param {number | null} [retryAfter]  seconds from the Retry-After header
   */
  constructor (status, code, message, details, retryAfter = null)
  {
    super (message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    /** How many seconds to wait before trying again, when the server said so. */
    this.retryAfter = retryAfter;
  }
}

/**
 * The seconds a Retry-After header asks to wait (it holds seconds or an
 * HTTP date), or null.
 *
 * @param {string | null} value
 * @returns {number | null}
 */
function parseRetryAfter (value)
{
  if (!value)
    return null;
  if (/^\s*\d+\s*$/.test (value))
    return Number (value);
  const when = Date.parse (value);
  return Number.isNaN (when) ? null : Math.max (0, Math.ceil ((when - serverNow ()) / 1000));
}

/** @type {string | null} */
let csrfToken = null;
/** Server clock minus this clock, in ms (from the Date header). */
let clockSkew = 0;

/** @param {string | null | undefined} token */
export function setCsrfToken (token)
{
  csrfToken = token || null;
}

/** @returns {number} now by the server's clock, in ms since the epoch */
export function serverNow ()
{
  return Date.now () + clockSkew;
}

/** @param {boolean} online */
function announceNetwork (online)
{
  window.dispatchEvent (new CustomEvent ('everato:network', { detail: { online } }));
}

/**
 * @typedef {Object} RequestOptions
 * @property {unknown} [body]  sent as JSON
 * @property {Record<string, string>} [headers]
 * @property {AbortSignal} [signal]
 */

/**
 * Sends a request and returns the decoded JSON answer (null for 204).
 *
 * @param {string} method
 * @param {string} path  e.g. "/api/v1/me"
 * @param {RequestOptions} [options]
 * @returns {Promise<any>}
 * @throws {ApiError | DOMException} DOMException when aborted
 */
export async function request (method, path, options = {})
{
  /** @type {Record<string, string>} */
  const headers = { Accept: 'application/json', ...options.headers };
  /** @type {Response} */
  let res;

  if (options.body !== undefined)
    headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken)
    headers['X-CSRF-Token'] = csrfToken;

  try
    {
      res = await fetch (path, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify (options.body),
        credentials: 'same-origin',
        signal: options.signal,
      });
    }
  catch (err)
    {
      if (err instanceof DOMException && err.name === 'AbortError')
        throw err;
      announceNetwork (false);
      throw new ApiError (0, 'network_error', 'The server could not be reached', {});
    }
  announceNetwork (true);

  const date = res.headers.get ('Date');
  if (date && !Number.isNaN (Date.parse (date)))
    clockSkew = Date.parse (date) - Date.now ();

  if (res.status === 204)
    return null;

  /** @type {any} */
  let data = null;
  try
    {
      data = await res.json ();
    }
  catch
    {
      data = null;
    }

  if (res.ok)
    return data;

  const e = data && typeof data === 'object' && data.error && typeof data.error === 'object'
    ? data.error : {};
  throw new ApiError (res.status,
                      typeof e.code === 'string' ? e.code : `http_${res.status}`,
                      typeof e.message === 'string' ? e.message : res.statusText,
                      e.details && typeof e.details === 'object' ? e.details : {},
                      parseRetryAfter (res.headers.get ('Retry-After')));
}

/**
 * @param {string} path
 * @param {RequestOptions} [options]
 */
export function get (path, options)
{
  return request ('GET', path, options);
}

/**
 * @param {string} path
 * @param {unknown} [body]
 * @param {RequestOptions} [options]
 */
export function post (path, body, options)
{
  return request ('POST', path, { ...options, body });
}

/* The signed-in attendee */

/** @type {Promise<Me | null> | null} */
let mePromise = null;

/**
 * Whether the server's everato_signed_in marker is there: it comes and goes
 * with the (unreadable) session cookie and holds no secret. Without it there
 * is no session worth asking about.
 *
 * @returns {boolean}
 */
function maybeSignedIn ()
{
  return document.cookie.split (';').some (c => c.trim ().startsWith ('everato_signed_in=1'));
}

/**
 * The signed-in attendee, or null when signed out (asked once per page).
 * A network failure counts as signed out.
 *
 * @returns {Promise<Me | null>}
 */
export function getMe ()
{
  if (!mePromise && !maybeSignedIn ())
    mePromise = Promise.resolve (null);
  if (!mePromise)
    mePromise = get ('/api/v1/me').then (
      (/** @type {Me} */ me) => { setCsrfToken (me.csrf_token); return me; },
      () => null);
  return mePromise;
}

/**
 * Replaces what getMe() answers (after signing in or out).
 *
 * @param {Me | null} me
 */
export function setMe (me)
{
  if (me && me.csrf_token)
    setCsrfToken (me.csrf_token);
  if (!me)
    setCsrfToken (null);
  mePromise = Promise.resolve (me);
  window.dispatchEvent (new CustomEvent ('everato:auth', { detail: { me } }));
}

/**
 * The signed-in attendee; when signed out, sends the browser to the login
 * page (coming back here) and answers null.
 *
 * @returns {Promise<Me | null>}
 */
export async function requireMe ()
{
  const me = await getMe ();

  if (!me)
    goToLogin ();
  return me;
}

/** @type {Map<string, Promise<PublicEvent | null>>} */
const events = new Map ();

/**
 * A public event by id or slug, or null if it is not (or no longer) shown.
 *
 * @param {string} idOrSlug
 * @returns {Promise<PublicEvent | null>}
 */
export function getEvent (idOrSlug)
{
  let promise = events.get (idOrSlug);

  if (!promise)
    {
      promise = get (`/api/v1/public/events/${encodeURIComponent (idOrSlug)}`).catch (
        (err) => {
          events.delete (idOrSlug);
          if (err instanceof ApiError && err.status === 404)
            return null;
          throw err;
        });
      events.set (idOrSlug, promise);
    }
  return promise;
}

/**
 * Sends the browser to the login page, coming back to next afterwards.
 *
 * @param {string} [next]  defaults to this page
 */
export function goToLogin (next)
{
  location.replace (`/login?next=${encodeURIComponent (next || location.pathname + location.search)}`);
}

/**
 * Plain words for a failure that has no more specific explanation.
 *
 * @param {unknown} err
 * @returns {string}
 */
export function errorText (err)
{
  if (!(err instanceof ApiError))
    return t ('Something went wrong. Please try again.');
  if (err.code === 'network_error')
    return t ('Could not reach the server. Check your connection and try again.');
  if (err.status === 429)
    return t ('Too many attempts. Please wait a few minutes and try again.');
  if (err.status === 503)
    return t ('The service is busy right now. Please try again in a moment.');
  if (err.code === 'csrf_failed')
    return t ('Your session has changed. Reload the page and try again.');
  if (err.status === 401)
    return t ('Your session has ended. Please log in again.');
  return t ('Something went wrong. Please try again.');
}
