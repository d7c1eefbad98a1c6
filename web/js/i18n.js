// i18n.js: the site's language, translated strings, money and dates.
//
// English text is the message id. locales/<lang>.json maps it to the
// translation; a missing entry falls back to the English text. Static HTML
// marks translatable text with data-i18n (the element's own text is the
// id) and attributes with data-i18n-attr="aria-label placeholder".

/** @typedef {'en' | 'de'} Lang */

export const LANGS = /** @type {const} */ (['en', 'de']);
const STORAGE_KEY = 'everato.lang';
const LANG_COOKIE = 'everato_lang';

/** @type {Lang} */
let lang = 'en';
/** @type {Record<string, string>} */
let catalog = {};
/** Original (English) attribute values of elements already translated. */
const attrSource = new WeakMap ();

/**
 * @param {unknown} value
 * @returns {value is Lang}
 */
export function isLang (value)
{
  return typeof value === 'string' && /** @type {readonly string[]} */ (LANGS).includes (value);
}

/**
 * The language to start with: the one chosen on this device, else the
 * browser's first supported language, else English.
 *
 * @returns {Lang}
 */
export function preferredLang ()
{
  let stored = null;

  try { stored = localStorage.getItem (STORAGE_KEY); } catch { /* storage disabled */ }
  if (isLang (stored))
    {
      if (!document.cookie.split (';').some (c => c.trim () === `${LANG_COOKIE}=${stored}`))
        rememberLangCookie (stored);
      return stored;
    }
  for (const tag of navigator.languages || [navigator.language])
    {
      const base = String (tag).toLowerCase ().split ('-')[0];
      if (isLang (base))
        return base;
    }
  return 'en';
}

/**
 * Keeps the choice on this device, and tells the server too (a cookie
 * holding only the language), so that its pages come in that language.
 *
 * @param {Lang} value
 */
export function rememberLang (value)
{
  try { localStorage.setItem (STORAGE_KEY, value); } catch { /* storage disabled */ }
  rememberLangCookie (value);
}

/** @param {Lang} value */
function rememberLangCookie (value)
{
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${LANG_COOKIE}=${value}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
}

/** @returns {Lang} */
export function currentLang ()
{
  return lang;
}

/**
 * Loads the strings of value and makes it the page's language.
 *
 * @param {Lang} value
 */
export async function loadLang (value)
{
  /** @type {Record<string, string>} */
  let strings = {};

  if (value !== 'en')
    {
      try
        {
          const res = await fetch (`/locales/${value}.json`);
          if (res.ok)
            strings = await res.json ();
        }
      catch { /* offline: English it is */ }
    }
  lang = value;
  catalog = strings;
  document.documentElement.lang = value;
}

/**
 * Translates msgid and fills in {placeholders} from params.
 *
 * @param {string} msgid
 * @param {Record<string, string | number>} [params]
 * @returns {string}
 */
export function t (msgid, params)
{
  const text = (Object.prototype.hasOwnProperty.call (catalog, msgid) && catalog[msgid]) || msgid;

  if (!params)
    return text;
  return text.replace (/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call (params, name) ? String (params[name]) : whole);
}

/**
 * Translates the data-i18n / data-i18n-attr elements under root. Safe to
 * run again after the language changed: the English source is kept.
 *
 * @param {ParentNode} root
 */
export function translate (root)
{
  for (const el of root.querySelectorAll ('[data-i18n]'))
    {
      if (!(el instanceof HTMLElement))
        continue;
      if (!el.dataset.i18n)
        el.dataset.i18n = (el.textContent || '').replace (/\s+/g, ' ').trim ();
      el.textContent = t (el.dataset.i18n);
    }
  for (const el of root.querySelectorAll ('[data-i18n-attr]'))
    {
      /** @type {Record<string, string>} */
      let source = attrSource.get (el);
      if (!source)
        {
          source = {};
          for (const name of (el.getAttribute ('data-i18n-attr') || '').split (/\s+/))
            if (name)
              source[name] = el.getAttribute (name) || '';
          attrSource.set (el, source);
        }
      for (const [name, msgid] of Object.entries (source))
        el.setAttribute (name, t (msgid));
    }
  if (root === document)
    showText ();
}

/**
 * Shows the page's text: the server marks a page in another language than
 * English "translating", which hides its English text until now.
 */
export function showText ()
{
  document.documentElement.classList.remove ('translating');
}

/* Money */

/** @type {Map<string, Intl.NumberFormat>} */
const moneyFormats = new Map ();

/**
 * @param {string} currency
 * @returns {Intl.NumberFormat}
 */
function moneyFormat (currency)
{
  const key = `${lang}|${currency}`;
  let format = moneyFormats.get (key);

  if (!format)
    {
      format = new Intl.NumberFormat (lang, { style: 'currency', currency });
      moneyFormats.set (key, format);
    }
  return format;
}

/**
 * Formats an amount in minor units (cents) of an ISO 4217 currency.
 *
 * @param {number} minor
 * @param {string | null | undefined} currency
 * @returns {string}
 */
export function formatMoney (minor, currency)
{
  if (!currency)
    return new Intl.NumberFormat (lang, { minimumFractionDigits: 2 }).format (minor / 100);
  try
    {
      const format = moneyFormat (currency);
      const digits = format.resolvedOptions ().maximumFractionDigits ?? 2;
      return format.format (minor / 10 ** digits);
    }
  catch
    {
      return `${(minor / 100).toFixed (2)} ${currency}`;
    }
}

/**
 * Like formatMoney, but "Free" for 0.
 *
 * @param {number} minor
 * @param {string | null | undefined} currency
 * @returns {string}
 */
export function formatPrice (minor, currency)
{
  return minor === 0 ? t ('Free') : formatMoney (minor, currency);
}

/* Dates */

/**
 * A date formatter for timeZone, falling back to the browser's zone when
 * the name is unknown to this browser.
 *
 * @param {string | null | undefined} timeZone
 * @param {Intl.DateTimeFormatOptions} options
 * @returns {Intl.DateTimeFormat}
 */
function dateFormat (timeZone, options)
{
  try
    {
      return new Intl.DateTimeFormat (lang, { ...options, timeZone: timeZone || undefined });
    }
  catch
    {
      return new Intl.DateTimeFormat (lang, options);
    }
}

/** @type {Intl.DateTimeFormatOptions} */
const DAY = { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' };
/** @type {Intl.DateTimeFormatOptions} */
const TIME = { hour: 'numeric', minute: '2-digit' };

/**
 * Date and time of iso in timeZone, e.g. "Sat, 14 Jun 2025, 19:00".
 *
 * @param {string} iso
 * @param {string | null | undefined} timeZone
 * @param {Intl.DateTimeFormatOptions} [options]
 * @returns {string}
 */
export function formatDateTime (iso, timeZone, options)
{
  return dateFormat (timeZone, options || { ...DAY, ...TIME }).format (new Date (iso));
}

/**
 * When an event takes place, in its own time zone with the zone's short
 * name: "Sat, 14 Jun 2025, 19:00 – 23:00 CEST".
 *
 * @param {string} startIso
 * @param {string | null | undefined} endIso
 * @param {string | null | undefined} timeZone
 * @returns {string}
 */
export function formatEventTime (startIso, endIso, timeZone)
{
  const format = dateFormat (timeZone, { ...DAY, ...TIME, timeZoneName: 'short' });
  const start = new Date (startIso);

  if (!endIso)
    return format.format (start);
  try
    {
      return format.formatRange (start, new Date (endIso));
    }
  catch
    {
      return format.format (start);
    }
}

/**
 * The parts of a date tile: short month and day of month in timeZone.
 *
 * @param {string} iso
 * @param {string | null | undefined} timeZone
 * @returns {{ month: string, day: string }}
 */
export function dateTile (iso, timeZone)
{
  const date = new Date (iso);

  return {
    month: dateFormat (timeZone, { month: 'short' }).format (date),
    day: dateFormat (timeZone, { day: 'numeric' }).format (date),
  };
}
