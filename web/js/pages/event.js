// pages/event.js: one event — picking tickets, the coupon, the live price,
// and holding the tickets.
//
// The first render uses the event JSON the server put into the page
// (#page-data); availability is fetched again after a sold_out refusal.
// The basket (quantities, coupon, Idempotency-Key) is kept in
// sessionStorage so that it survives signing in on the way. One key per
// basket: a retry or a double click sends the same key (the server then
// answers with the booking already made), a changed basket gets a new one.
//
// Hidden ticket types are not in the event JSON. Applying a coupon asks
// the quote endpoint what it unlocks (items: []); those types join the
// list, marked, until the coupon changes. A saved basket's coupon is
// applied again on the way back, which brings them and their quantities
// back.

import { ApiError, errorText, get, getMe, post } from '../api.js';
import { byId, fill, focus, h, setFieldError } from '../dom.js';
import { currentLang, formatDateTime, formatEventTime, formatMoney, formatPrice, t } from '../i18n.js';

const BASKET_KEY = 'everato.basket';

/**
 * @typedef {Object} Basket
 * @property {string} slug
 * @property {Record<string, number>} items  ticket type id → quantity
 * @property {string} coupon
 * @property {string} [key]  the Idempotency-Key of this basket
 * @property {string} [sig]  what the key was made for
 */

/** @typedef {import('../types.js').TicketType} TicketType */

/** @type {import('../types.js').PublicEvent} */
let ev;
/** @type {Basket} */
let basket;
/** @type {Map<string, TicketType>} */
const types = new Map ();
/** @type {Set<string>} ids of the hidden types the coupon unlocked */
const unlocked = new Set ();
/** The coupon (lower case) that unlocked them; '' when none did. */
let unlockedBy = '';
/** Whether the event lists no ticket types (only codes can open some). */
let codesOnly = false;
/** @type {ReturnType<typeof setTimeout> | undefined} */
let quoteTimer;
/** @type {AbortController | null} */
let quoteAbort = null;
let quoteSeq = 0;
let holding = false;

/* Basket */

/** @returns {Basket | null} */
function loadBasket ()
{
  try
    {
      const data = JSON.parse (sessionStorage.getItem (BASKET_KEY) || 'null');
      if (data && typeof data === 'object' && data.slug === ev.slug &&
          data.items && typeof data.items === 'object')
        return {
          slug: ev.slug,
          items: data.items,
          coupon: typeof data.coupon === 'string' ? data.coupon : '',
          key: typeof data.key === 'string' ? data.key : undefined,
          sig: typeof data.sig === 'string' ? data.sig : undefined,
        };
    }
  catch { /* unreadable: start afresh */ }
  return null;
}

function saveBasket ()
{
  try { sessionStorage.setItem (BASKET_KEY, JSON.stringify (basket)); }
  catch { /* storage full or disabled */ }
}

function dropBasket ()
{
  try { sessionStorage.removeItem (BASKET_KEY); }
  catch { /* storage disabled */ }
}

/** @returns {Array<{ ticket_type_id: string, quantity: number }>} */
function basketItems ()
{
  return [...types.keys ()]
    .filter ((id) => (basket.items[id] || 0) > 0)
    .map ((id) => ({ ticket_type_id: id, quantity: basket.items[id] || 0 }));
}

/** @returns {string} a random version 4 UUID */
function uuid ()
{
  if (typeof crypto.randomUUID === 'function')
    return crypto.randomUUID ();
  const b = crypto.getRandomValues (new Uint8Array (16));
  b[6] = ((b[6] || 0) & 0x0f) | 0x40;
  b[8] = ((b[8] || 0) & 0x3f) | 0x80;
  const hex = [...b].map ((x) => x.toString (16).padStart (2, '0')).join ('');
  return `${hex.slice (0, 8)}-${hex.slice (8, 12)}-${hex.slice (12, 16)}-${hex.slice (16, 20)}-${hex.slice (20)}`;
}

/**
 * The Idempotency-Key for the basket as it is now: the same as last time
 * unless the basket changed.
 *
 * @param {unknown} body
 * @returns {string}
 */
function keyFor (body)
{
  const sig = JSON.stringify (body);

  if (!basket.key || basket.sig !== sig)
    {
      basket.key = uuid ();
      basket.sig = sig;
      saveBasket ();
    }
  return basket.key;
}

/* Ticket types */

/**
 * @param {TicketType} tt
 * @returns {number} how many one may pick now
 */
function maxFor (tt)
{
  return tt.on_sale ? Math.max (0, Math.min (tt.max_per_order, tt.available)) : 0;
}

/**
 * @param {string} id
 * @returns {HTMLInputElement | null}
 */
function qtyInput (id)
{
  const el = document.getElementById (`qty-${id}`);
  return el instanceof HTMLInputElement ? el : null;
}

/**
 * Availability and sales window of tt, in plain words.
 *
 * @param {TicketType} tt
 * @returns {HTMLElement[]}
 */
function ticketStatus (tt)
{
  const now = Date.now ();
  /** @type {HTMLElement[]} */
  const out = [];

  if (!tt.on_sale && tt.sales_start && Date.parse (tt.sales_start) > now)
    out.push (h ('span', { class: 'ticket-window' },
                 t ('Sales start {date}', { date: formatDateTime (tt.sales_start, ev.timezone) })));
  else if (!tt.on_sale && tt.sales_end && Date.parse (tt.sales_end) <= now)
    out.push (h ('span', { class: 'badge badge-muted' }, t ('Sales ended')));
  else if (tt.available <= 0)
    out.push (h ('span', { class: 'badge badge-soldout' }, t ('Sold out')));
  else if (tt.available <= 10 || tt.available <= tt.capacity * 0.1)
    out.push (h ('span', { class: 'badge badge-few' }, t ('Few left')));
  if (tt.on_sale && tt.available > 0 && tt.sales_end)
    out.push (h ('span', { class: 'ticket-window' },
                 t ('Sales end {date}', { date: formatDateTime (tt.sales_end, ev.timezone) })));
  return out;
}

/**
 * Brings the status and the limits of tt's row up to date.
 *
 * @param {TicketType} tt
 */
function updateTicket (tt)
{
  const input = qtyInput (tt.id);
  const status = document.getElementById (`status-${tt.id}`);
  const max = maxFor (tt);

  if (status)
    fill (status, ticketStatus (tt));
  if (!input)
    return;
  input.max = String (max);
  input.disabled = max === 0 && (basket.items[tt.id] || 0) === 0;
  for (const button of input.parentElement ? input.parentElement.querySelectorAll ('button') : [])
    if (button instanceof HTMLButtonElement)
      button.disabled = input.disabled;
  input.closest ('li')?.classList.toggle ('is-unavailable', max === 0);
}

/**
 * @param {TicketType} tt
 * @param {boolean} [isUnlocked]  a hidden type the coupon unlocked
 * @returns {HTMLLIElement}
 */
function ticketRow (tt, isUnlocked = false)
{
  const id = `qty-${tt.id}`;
  const qty = basket.items[tt.id] || 0;
  const input = h ('input', {
    id, type: 'number', inputmode: 'numeric', min: 0, step: 1, value: qty,
    'aria-describedby': `${id}-error`, oninput: () => changed (tt),
  });
  /** @param {number} delta */
  const step = (delta) => {
    const n = Math.max (0, Math.min (maxFor (tt), (parseInt (input.value, 10) || 0) + delta));
    input.value = String (n);
    changed (tt);
  };

  const row = h ('li', { class: 'ticket', 'data-ticket-type': tt.id },
    h ('div', { class: 'ticket-info' },
      h ('h3', { class: 'ticket-name' }, tt.name),
      tt.description ? h ('p', { class: 'ticket-desc' }, tt.description) : null,
      h ('p', { class: 'ticket-meta' },
        h ('span', { class: 'ticket-price' }, formatPrice (tt.price, ev.currency)),
        isUnlocked ? h ('span', { class: 'badge badge-unlocked' }, t ('Unlocked by your code')) : null,
        h ('span', { id: `status-${tt.id}`, class: 'ticket-status' }))),
    h ('div', { class: 'qty' },
      h ('label', { for: id, class: 'visually-hidden' }, t ('Quantity for {name}', { name: tt.name })),
      h ('button', { type: 'button', class: 'qty-step', tabindex: -1,
                     'aria-label': t ('One fewer {name}', { name: tt.name }),
                     onclick: () => step (-1) }, '−'),
      input,
      h ('button', { type: 'button', class: 'qty-step', tabindex: -1,
                     'aria-label': t ('One more {name}', { name: tt.name }),
                     onclick: () => step (1) }, '+')),
    h ('p', { id: `${id}-error`, class: 'field-error', role: 'alert' }));
  return row;
}

/**
 * Shows the hidden ticket types coupon unlocks after the others, brings
 * those already shown up to date and takes away the ones it does not
 * unlock (with their quantities). A saved quantity comes back with its row.
 *
 * @param {TicketType[]} list  the quote's unlocked_ticket_types
 * @param {string} coupon
 * @returns {string[]} the names of the types added now
 */
function showUnlocked (list, coupon)
{
  const ids = new Set (list.map ((tt) => tt.id));
  /** @type {string[]} */
  const added = [];

  for (const id of [...unlocked])
    if (!ids.has (id))
      dropUnlockedType (id);
  for (const tt of list)
    {
      const known = types.get (tt.id);
      if (known)
        {
          Object.assign (known, tt);
          updateTicket (known);
          continue;
        }
      types.set (tt.id, tt);
      unlocked.add (tt.id);
      byId ('ticket-list').append (ticketRow (tt, true));
      updateTicket (tt);
      added.push (tt.name);
    }
  unlockedBy = unlocked.size ? coupon.toLowerCase () : '';
  saveBasket ();
  updateCodesOnly ();
  return added;
}

/** @param {string} id  an unlocked type: its row and quantity go */
function dropUnlockedType (id)
{
  qtyInput (id)?.closest ('li')?.remove ();
  types.delete (id);
  unlocked.delete (id);
  delete basket.items[id];
}

/** Takes away every unlocked type, as when the coupon changes. */
function dropUnlocked ()
{
  for (const id of [...unlocked])
    dropUnlockedType (id);
  unlockedBy = '';
  saveBasket ();
  updateCodesOnly ();
}

/**
 * An event that lists no ticket types sells only through codes: it says so
 * until a code has unlocked something.
 */
function updateCodesOnly ()
{
  const notice = byId ('event-notice');

  if (!codesOnly)
    return;
  notice.textContent = t ('No tickets are on sale right now. If you have a code, enter it below.');
  notice.hidden = unlocked.size > 0;
  byId ('get-tickets').hidden = unlocked.size === 0;
}

/* Errors */

/**
 * @param {string} id  ticket type id
 * @param {string} message
 * @returns {boolean} whether the ticket type is on the page
 */
function ticketError (id, message)
{
  const input = qtyInput (id);
  const el = document.getElementById (`qty-${id}-error`);

  if (!input || !el)
    return false;
  setFieldError (input, el, message);
  return true;
}

/**
 * @param {string} message
 * @param {...HTMLElement} extra  e.g. a button
 */
function formError (message, ...extra)
{
  const el = byId ('form-error');

  el.replaceChildren ();
  if (message)
    el.append (h ('p', null, message), ...extra);
}

/** @param {string} message */
function couponError (message)
{
  const input = byId ('coupon-code', HTMLInputElement);

  setFieldError (input, byId ('coupon-error'), message);
  if (message)
    byId ('coupon-status').textContent = '';
}

function clearErrors ()
{
  for (const id of types.keys ())
    ticketError (id, '');
  couponError ('');
  formError ('');
}

/**
 * Checks the quantities typed; shows what is wrong.
 *
 * @returns {HTMLInputElement | null} the first field in error
 */
function checkQuantities ()
{
  /** @type {HTMLInputElement | null} */
  let first = null;

  for (const tt of types.values ())
    {
      const input = qtyInput (tt.id);
      const n = basket.items[tt.id] ?? 0;
      let message = '';

      if (!input)
        continue;
      if (!Number.isInteger (n) || n < 0)
        message = t ('Enter a whole number.');
      else if (n > 0 && !tt.on_sale)
        message = t ('These tickets are not on sale now.');
      else if (n > 0 && tt.available <= 0)
        message = t ('Sold out. Choose another ticket.');
      else if (n > tt.available)
        message = t ('Only {count} left.', { count: tt.available });
      else if (n > tt.max_per_order)
        message = t ('You can get at most {count} of these in one order.', { count: tt.max_per_order });
      ticketError (tt.id, message);
      if (message && !first)
        first = input;
    }
  return first;
}

/** Fetches the event again and updates availability. */
async function refreshAvailability ()
{
  try
    {
      /** @type {import('../types.js').PublicEvent} */
      const fresh = await get (`/api/v1/public/events/${encodeURIComponent (ev.slug)}`);
      const seen = new Set ();
      for (const tt of fresh.ticket_types || [])
        {
          const known = types.get (tt.id);
          seen.add (tt.id);
          if (known)
            {
              Object.assign (known, tt);
              updateTicket (known);
            }
        }
      for (const tt of types.values ())
        if (!seen.has (tt.id) && !unlocked.has (tt.id))
          {
            tt.on_sale = false;
            tt.available = 0;
            updateTicket (tt);
          }
      if (fresh.status === 'cancelled')
        closeSales (t ('This event has been cancelled'));
    }
  catch { /* keep what we know */ }
}

/**
 * Explains a refusal of a quote or a hold next to what it concerns.
 *
 * @param {unknown} err
 * @param {boolean} holdAttempt
 */
function explain (err, holdAttempt)
{
  if (!(err instanceof ApiError))
    {
      formError (errorText (err));
      return;
    }

  const d = err.details;
  /** @type {Array<[string, string]>} */
  const perType = [];

  switch (err.code)
    {
    case 'sold_out':
      for (const [id, left] of Object.entries (d))
        {
          const n = Number (left);
          const tt = types.get (id);
          if (tt)
            {
              tt.available = n;
              updateTicket (tt);
            }
          perType.push ([id, n > 0 ? t ('Only {count} left. Choose fewer tickets.', { count: n })
                                   : t ('Sold out. Choose another ticket.')]);
        }
      refreshAvailability ();
      break;
    case 'sales_closed':
      if (d.event)
        {
          closeSales (t ('This event is over. Tickets are no longer sold.'));
          return;
        }
      for (const [id, why] of Object.entries (d))
        perType.push ([id, why === 'not_started' ? t ('Sales for these tickets have not started yet.')
                                                 : t ('Sales for these tickets have ended.')]);
      refreshAvailability ();
      break;
    case 'event_not_published':
      closeSales (d.status === 'cancelled' ? t ('This event has been cancelled')
                                           : t ('This event is not on sale.'));
      return;
    case 'max_per_order':
      for (const [id, max] of Object.entries (d))
        perType.push ([id, t ('You can get at most {count} of these in one order.', { count: Number (max) })]);
      break;
    case 'max_per_attendee':
      for (const [id, left] of Object.entries (d))
        perType.push ([id, Number (left) > 0
          ? t ('One person may book only {count} more of these.', { count: Number (left) })
          : t ('You already have as many of these as one person may book.')]);
      break;
    case 'hidden_type':
      for (const id of Object.keys (d))
        perType.push ([id, t ('These tickets need a coupon code.')]);
      break;
    case 'coupon_invalid':
      couponError ({
        unknown: t ('This coupon code does not exist. Check the spelling.'),
        not_applicable: t ('This coupon does not apply to the tickets you chose.'),
        not_yet_valid: t ('This coupon is not valid yet.'),
        expired: t ('This coupon has expired.'),
      }[String (d.coupon_code)] || t ('This coupon code is not valid.'));
      break;
    case 'coupon_exhausted':
      couponError (t ('This coupon has been used up.'));
      break;
    case 'too_many_attempts':
      couponError (t ('Too many wrong codes were tried from here. Please try again in {minutes} minutes.',
                      { minutes: Math.max (1, Math.ceil (Number (d.retry_after) / 60) || 60) }));
      break;
    case 'coupon_min_order':
      couponError (t ('This coupon needs an order of at least {amount}.',
                      { amount: formatMoney (Number (d.min_order), ev.currency) }));
      break;
    case 'unverified_account':
      formError (t ('Please confirm your email address before booking. Use the link we sent you when you signed up.'),
                 resendButton ());
      break;
    case 'idempotency_key_reused':
      basket.key = undefined;
      saveBasket ();
      formError (t ('Your order changed while it was being sent. Check it and press “Get tickets” again.'));
      break;
    case 'not_found':
      formError (t ('Some tickets are no longer offered. The list has been updated.'));
      refreshAvailability ();
      break;
    case 'amount_too_large':
      formError (t ('This order is too large. Please choose fewer tickets.'));
      break;
    case 'validation_failed':
      formError (t ('Please check your order.'));
      break;
    default:
      formError (errorText (err));
    }

  for (const [id, message] of perType)
    if (!ticketError (id, message))
      formError (message);

  if (holdAttempt)
    {
      const first = document.querySelector ('#ticket-list [aria-invalid="true"], #coupon-code[aria-invalid="true"]');
      if (first instanceof HTMLElement)
        first.focus ();
      else if (byId ('form-error').textContent)
        focus (byId ('form-error'));
    }
}

/** @returns {HTMLButtonElement} */
function resendButton ()
{
  const button = h ('button', { class: 'button button-secondary', type: 'button' },
                    t ('Resend verification email'));

  button.addEventListener ('click', async () => {
    const me = await getMe ();
    button.disabled = true;
    try
      {
        await post ('/api/v1/auth/verify/resend', { email: me ? me.email : '' });
        button.replaceWith (h ('p', { class: 'field-ok', role: 'status' },
          t ('A new link is on its way to {email}.', { email: me ? me.email : '' })));
      }
    catch (err)
      {
        button.disabled = false;
        formError (errorText (err), button);
      }
  });
  return button;
}

/* Price */

/**
 * @param {number} subtotal
 * @param {number} discount
 * @param {number} total
 */
function showSummary (subtotal, discount, total)
{
  const cur = ev.currency;
  /** @param {number} n */
  const money = (n) => cur ? formatMoney (n, cur) : t ('Free');

  byId ('sum-subtotal').textContent = money (subtotal);
  byId ('sum-discount-row').hidden = discount <= 0;
  byId ('sum-discount').textContent = `−${money (discount)}`;
  byId ('sum-total').textContent = money (total);
}

/** The price without a coupon, from the prices on the page. */
function localSummary ()
{
  let sum = 0;

  for (const tt of types.values ())
    sum += tt.price * (basket.items[tt.id] || 0);
  showSummary (sum, 0, sum);
  return sum;
}

/**
 * @param {unknown} err
 * @returns {boolean} whether err says the coupon itself is no good (not
 *   just for the tickets chosen)
 */
function couponRefused (err)
{
  return err instanceof ApiError &&
         (err.code === 'coupon_exhausted' ||
          (err.code === 'coupon_invalid' && err.details.coupon_code !== 'not_applicable'));
}

/**
 * Prices the basket. With unlock (the coupon was applied by hand, or came
 * back with a saved basket) it first asks, with no items, what the coupon
 * unlocks: so a code is checked and opens its ticket types even before
 * anything is chosen, or when it applies only to those types.
 *
 * @param {boolean} [unlock]
 */
async function quote (unlock)
{
  const coupon = basket.coupon;
  const seq = ++quoteSeq;
  const url = `/api/v1/public/events/${ev.id}/quote`;

  clearTimeout (quoteTimer);
  if (quoteAbort)
    quoteAbort.abort ();
  quoteAbort = null;
  if (unlockedBy && coupon.toLowerCase () !== unlockedBy)
    dropUnlocked ();
  localSummary ();
  byId ('coupon-status').textContent = '';
  if (!(unlock && coupon) && checkQuantities ())
    return;
  if (!(unlock && coupon) && !basketItems ().length)
    {
      couponError ('');
      if (!coupon)
        dropUnlocked ();
      return;
    }

  const abort = new AbortController ();
  quoteAbort = abort;
  /** @type {string[]} */
  let added = [];
  try
    {
      if (unlock && coupon)
        {
          /** @type {import('../types.js').Quote} */
          const u = await post (url, { items: [], coupon_code: coupon }, { signal: abort.signal });
          if (seq !== quoteSeq)
            return;
          added = showUnlocked (u.unlocked_ticket_types || [], coupon);
          couponError ('');
          localSummary ();
          if (checkQuantities ())
            return;
          if (!basketItems ().length)
            {
              appliedStatus (u.coupon_code, added);
              return;
            }
        }

      /** @type {import('../types.js').Quote} */
      const q = await post (url, { items: basketItems (), coupon_code: coupon || null },
                            { signal: abort.signal });
      if (seq !== quoteSeq)
        return;
      clearErrors ();
      added.push (...showUnlocked (q.unlocked_ticket_types || [], coupon));
      showSummary (q.subtotal, q.discount, q.total);
      byId ('summary-live').textContent =
        t ('Total: {amount}', { amount: byId ('sum-total').textContent || '' });
      appliedStatus (q.coupon_code, added);
    }
  catch (err)
    {
      if (seq !== quoteSeq || (err instanceof DOMException && err.name === 'AbortError'))
        return;
      clearErrors ();
      if (couponRefused (err))
        {
          dropUnlocked ();
          localSummary ();
        }
      explain (err, false);
    }
}

/**
 * @param {string | null} code  the coupon as the quote spelled it
 * @param {string[]} added  names of the ticket types it unlocked just now
 */
function appliedStatus (code, added)
{
  if (!code)
    return;
  const parts = [t ('Coupon {code} applied.', { code })];
  if (added.length)
    parts.push (t ('Tickets unlocked: {names}.',
                   { names: new Intl.ListFormat (currentLang (), { type: 'conjunction' }).format (added) }));
  byId ('coupon-status').textContent = parts.join (' ');
}

/** @param {number} [delay] */
function scheduleQuote (delay = 350)
{
  clearTimeout (quoteTimer);
  quoteTimer = setTimeout (() => quote (false), delay);
}

/** @param {TicketType} tt */
function changed (tt)
{
  const input = qtyInput (tt.id);
  if (!input)
    return;
  const raw = input.value.trim ();
  basket.items[tt.id] = raw === '' ? 0 : (/^\d+$/.test (raw) ? Number (raw) : NaN);
  saveBasket ();
  localSummary ();
  scheduleQuote ();
}

/* Holding */

/** @param {SubmitEvent} event */
async function submit (event)
{
  event.preventDefault ();
  if (holding)
    return;

  const button = byId ('get-tickets', HTMLButtonElement);
  const items = basketItems ();
  const invalid = checkQuantities ();

  formError ('');
  if (invalid)
    {
      invalid.focus ();
      return;
    }
  if (!items.length)
    {
      formError (t ('Choose at least one ticket.'));
      const first = document.querySelector ('#ticket-list input:not([disabled])');
      focus (first instanceof HTMLElement ? first : byId ('form-error'));
      return;
    }

  /* Busy from here on, before anything is awaited: a second click finds it so. */
  holding = true;
  button.disabled = true;
  button.setAttribute ('aria-busy', 'true');
  clearTimeout (quoteTimer);
  saveBasket ();

  /** @type {{ event_id: string, items: typeof items, coupon_code?: string }} */
  const body = { event_id: ev.id, items };
  if (basket.coupon)
    body.coupon_code = basket.coupon;
  const key = keyFor (body);

  if (!(await getMe ()))
    {
      location.assign (`/login?next=${encodeURIComponent (`/e/${ev.slug}`)}`);
      return;
    }
  try
    {
      /** @type {import('../types.js').Booking} */
      const booking = await post ('/api/v1/bookings', body, { headers: { 'Idempotency-Key': key } });
      dropBasket ();
      location.assign (`/bookings/${encodeURIComponent (booking.id)}`);
      return;
    }
  catch (err)
    {
      if (err instanceof ApiError && err.status === 401)
        {
          location.assign (`/login?next=${encodeURIComponent (`/e/${ev.slug}`)}`);
          return;
        }
      clearErrors ();
      explain (err, true);
    }
  holding = false;
  button.disabled = false;
  button.removeAttribute ('aria-busy');
}

/* Page */

/** @param {string} message  why nothing can be picked */
function closeSales (message)
{
  const notice = byId ('event-notice');

  notice.textContent = message;
  notice.hidden = false;
  byId ('ticket-form').hidden = true;
}

/** @returns {Promise<import('../types.js').PublicEvent | null>} */
async function readEvent ()
{
  const script = document.getElementById ('page-data');

  if (script && script.textContent)
    {
      try { return JSON.parse (script.textContent); }
      catch { /* fall through to the API */ }
    }
  const slug = decodeURIComponent (location.pathname.replace (/^\/e\//, '').replace (/\/$/, ''));
  try
    {
      return await get (`/api/v1/public/events/${encodeURIComponent (slug)}`);
    }
  catch
    {
      return null;
    }
}

function renderEvent ()
{
  const date = new Date (ev.starts_at);

  byId ('event-title').textContent = ev.title;
  byId ('event-date-tile').textContent = formatDateTime (ev.starts_at, ev.timezone,
    { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  fill (byId ('event-when'), h ('time', { datetime: date.toISOString () },
                                 formatEventTime (ev.starts_at, ev.ends_at, ev.timezone)));
  if (ev.venue)
    {
      const where = byId ('event-where');
      where.textContent = ev.venue;
      where.hidden = false;
      const venue = byId ('event-venue');
      fill (venue, h ('strong', null, ev.venue), ev.address ? h ('span', null, ev.address) : null);
      venue.hidden = false;
      byId ('venue-heading').hidden = false;
    }
  byId ('event-description').textContent = ev.description || '';
}

export async function init ()
{
  const root = byId ('event-root');
  const loaded = await readEvent ();

  if (!loaded)
    {
      fill (root, h ('div', { class: 'container section' },
        h ('h1', null, t ('Event not found')),
        h ('p', null, t ('This event does not exist or is no longer shown.'))));
      return;
    }
  ev = loaded;
  basket = loadBasket () || { slug: ev.slug, items: {}, coupon: '' };
  renderEvent ();

  const tts = ev.ticket_types || [];
  for (const tt of tts)
    types.set (tt.id, tt);

  if (ev.status === 'cancelled')
    return closeSales (t ('This event has been cancelled'));
  if (Date.parse (ev.ends_at) <= Date.now ())
    return closeSales (t ('This event is over. Tickets are no longer sold.'));
  /* No ticket type is listed: there may still be ones a code unlocks. */
  codesOnly = !tts.length;
  updateCodesOnly ();

  const list = byId ('ticket-list');
  const form = byId ('ticket-form', HTMLFormElement);
  const coupon = byId ('coupon-code', HTMLInputElement);

  fill (list, tts.map ((tt) => ticketRow (tt)));
  for (const tt of tts)
    updateTicket (tt);
  form.hidden = false;

  coupon.value = basket.coupon;
  coupon.addEventListener ('input', () => {
    basket.coupon = coupon.value.trim ();
    if (unlockedBy && basket.coupon.toLowerCase () !== unlockedBy)
      {
        /* Another code: what the old one opened goes with it. */
        dropUnlocked ();
        localSummary ();
        byId ('coupon-status').textContent = '';
      }
    saveBasket ();
  });
  coupon.addEventListener ('keydown', (e) => {
    if (e.key === 'Enter')
      {
        e.preventDefault ();
        quote (true);
      }
  });
  byId ('coupon-apply').addEventListener ('click', () => quote (true));
  form.addEventListener ('submit', submit);

  const me = await getMe ();
  const paid = tts.some ((tt) => tt.price > 0);
  const hold = /** @type {{ hold_minutes?: number }} */ (ev).hold_minutes;
  byId ('ticket-note').textContent = [
    paid && hold ? t ('We hold your tickets for {minutes} minutes while you complete your booking.', { minutes: hold }) : '',
    me ? '' : t ('You will be asked to log in or create an account.'),
  ].filter (Boolean).join (' ');

  localSummary ();
  if (basket.coupon)
    quote (true);
  else if (basketItems ().length)
    quote (false);
}
