// event-view.js: the event page as far as it can be drawn, synchronously,
// from the event the server put into it (#page-data) and the basket saved
// in this tab: the heading, the ticket list with its quantity buttons, the
// summary, the notes.
//
// app.js draws it while its module graph is being evaluated. layout.html
// loads app.js with blocking="render", so a browser that honours it paints
// the page for the first time with its final layout, and nothing moves
// under the buyer's thumb when pages/event.js takes over: that module only
// wires the drawn page up (and draws it again if the language turned out to
// be another one). Until the page is drawn it stays hidden and holds its
// place (site.css), so elsewhere it appears at once, in place.

import { maybeSignedIn } from './api.js';
import { byId, fill, h } from './dom.js';
import { currentLang, formatDateTime, formatEventTime, formatMoney, formatPrice, t } from './i18n.js';

/** @typedef {import('./types.js').PublicEvent} PublicEvent */
/** @typedef {import('./types.js').TicketType} TicketType */

const BASKET_KEY = 'everato.basket';

/**
 * @typedef {Object} Basket
 * @property {string} slug
 * @property {Record<string, number>} items  ticket type id → quantity
 * @property {string} coupon
 * @property {string} [key]  the Idempotency-Key of this basket
 * @property {string} [sig]  what the key was made for
 */

/**
 * @typedef {Object} DrawnEvent
 * @property {PublicEvent} ev
 * @property {Basket} basket
 * @property {string} lang  the language it was drawn in
 * @property {boolean} open  whether tickets can be picked (not cancelled, not over)
 */

/** @type {DrawnEvent | null} */
let drawn = null;

/* Data */

/** @returns {PublicEvent | null} the event the server put into the page */
export function pageEvent ()
{
  const script = document.getElementById ('page-data');

  if (!script || !script.textContent)
    return null;
  try { return JSON.parse (script.textContent); }
  catch { return null; }
}

/**
 * The basket saved in this tab for the event slug, or an empty one.
 *
 * @param {string} slug
 * @returns {Basket}
 */
export function savedBasket (slug)
{
  try
    {
      const data = JSON.parse (sessionStorage.getItem (BASKET_KEY) || 'null');
      if (data && typeof data === 'object' && data.slug === slug &&
          data.items && typeof data.items === 'object')
        return {
          slug,
          items: data.items,
          coupon: typeof data.coupon === 'string' ? data.coupon : '',
          key: typeof data.key === 'string' ? data.key : undefined,
          sig: typeof data.sig === 'string' ? data.sig : undefined,
        };
    }
  catch { /* unreadable: start afresh */ }
  return { slug, items: {}, coupon: '' };
}

/** @param {Basket} basket */
export function storeBasket (basket)
{
  try { sessionStorage.setItem (BASKET_KEY, JSON.stringify (basket)); }
  catch { /* storage full or disabled */ }
}

export function dropBasket ()
{
  try { sessionStorage.removeItem (BASKET_KEY); }
  catch { /* storage disabled */ }
}

/* Ticket types */

/**
 * @param {TicketType} tt
 * @returns {number} how many one may pick now
 */
export function maxFor (tt)
{
  return tt.on_sale ? Math.max (0, Math.min (tt.max_per_order, tt.available)) : 0;
}

/**
 * @param {string} id
 * @returns {HTMLInputElement | null}
 */
export function qtyInput (id)
{
  const el = document.getElementById (`qty-${id}`);
  return el instanceof HTMLInputElement ? el : null;
}

/**
 * Availability and sales window of tt, in plain words.
 *
 * @param {PublicEvent} ev
 * @param {TicketType} tt
 * @returns {HTMLElement[]}
 */
function ticketStatus (ev, tt)
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
 * @param {PublicEvent} ev
 * @param {TicketType} tt
 * @param {number} qty  how many are in the basket
 */
export function updateTicketRow (ev, tt, qty)
{
  const input = qtyInput (tt.id);
  const status = document.getElementById (`status-${tt.id}`);
  const max = maxFor (tt);

  if (status)
    fill (status, ticketStatus (ev, tt));
  if (!input)
    return;
  input.max = String (max);
  input.disabled = max === 0 && qty === 0;
  for (const button of input.parentElement ? input.parentElement.querySelectorAll ('button') : [])
    if (button instanceof HTMLButtonElement)
      button.disabled = input.disabled;
  input.closest ('li')?.classList.toggle ('is-unavailable', max === 0);
}

/**
 * A row of the ticket list. It has no listeners of its own: pages/event.js
 * listens on the list (so that rows drawn before it was loaded work too).
 * The step buttons say by how much in data-step.
 *
 * @param {PublicEvent} ev
 * @param {TicketType} tt
 * @param {number} qty  how many are in the basket
 * @param {boolean} [isUnlocked]  a hidden type the coupon unlocked
 * @returns {HTMLLIElement}
 */
export function ticketRow (ev, tt, qty, isUnlocked = false)
{
  const id = `qty-${tt.id}`;
  const input = h ('input', {
    id, type: 'number', inputmode: 'numeric', min: 0, step: 1, value: qty,
    'aria-describedby': `${id}-error`,
  });

  return h ('li', { class: 'ticket', 'data-ticket-type': tt.id },
    h ('div', { class: 'ticket-info' },
      h ('h3', { class: 'ticket-name' }, tt.name),
      tt.description ? h ('p', { class: 'ticket-desc' }, tt.description) : null,
      h ('p', { class: 'ticket-meta' },
        h ('span', { class: 'ticket-price' }, formatPrice (tt.price, ev.currency)),
        isUnlocked ? h ('span', { class: 'badge badge-unlocked' }, t ('Unlocked by your code')) : null,
        h ('span', { id: `status-${tt.id}`, class: 'ticket-status' }))),
    h ('div', { class: 'qty' },
      h ('label', { for: id, class: 'visually-hidden' }, t ('Quantity for {name}', { name: tt.name })),
      h ('button', { type: 'button', class: 'qty-step', tabindex: -1, 'data-step': -1,
                     'aria-label': t ('One fewer {name}', { name: tt.name }) }, '−'),
      input,
      h ('button', { type: 'button', class: 'qty-step', tabindex: -1, 'data-step': 1,
                     'aria-label': t ('One more {name}', { name: tt.name }) }, '+')),
    h ('p', { id: `${id}-error`, class: 'field-error', role: 'alert' }));
}

/* Summary and notes */

/**
 * @param {PublicEvent} ev
 * @param {number} subtotal
 * @param {number} discount
 * @param {number} total
 */
export function showSummary (ev, subtotal, discount, total)
{
  const cur = ev.currency;
  /** @param {number} n */
  const money = (n) => cur ? formatMoney (n, cur) : t ('Free');

  byId ('sum-subtotal').textContent = money (subtotal);
  byId ('sum-discount-row').hidden = discount <= 0;
  byId ('sum-discount').textContent = `−${money (discount)}`;
  byId ('sum-total').textContent = money (total);
}

/**
 * The line under "Get tickets": how long tickets are held, and that
 * signing in comes next.
 *
 * @param {PublicEvent} ev
 * @param {boolean} signedIn
 * @returns {string}
 */
export function ticketNote (ev, signedIn)
{
  const paid = (ev.ticket_types || []).some ((tt) => tt.price > 0);
  const hold = /** @type {{ hold_minutes?: number }} */ (ev).hold_minutes;

  return [
    paid && hold ? t ('We hold your tickets for {minutes} minutes while you complete your booking.', { minutes: hold }) : '',
    signedIn ? '' : t ('You will be asked to log in or create an account.'),
  ].filter (Boolean).join (' ');
}

/** @param {string} message  why nothing can be picked */
export function closeSales (message)
{
  const notice = byId ('event-notice');

  notice.textContent = message;
  notice.hidden = false;
  byId ('ticket-form').hidden = true;
}

/**
 * An event that lists no ticket types sells only through codes: it says so
 * until a code has unlocked something.
 *
 * @param {boolean} anyUnlocked
 */
export function showCodesOnly (anyUnlocked)
{
  const notice = byId ('event-notice');

  notice.textContent = t ('No tickets are on sale right now. If you have a code, enter it below.');
  notice.hidden = anyUnlocked;
  byId ('get-tickets').hidden = !anyUnlocked;
}

/* Drawing */

/** @param {PublicEvent} ev */
function drawAbout (ev)
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

/**
 * Draws the whole page for ev and basket, in the current language, and
 * shows it.
 *
 * @param {PublicEvent} ev
 * @param {Basket} basket
 * @param {boolean} signedIn  whether the visitor seems to be signed in
 * @returns {DrawnEvent}
 */
export function drawEvent (ev, basket, signedIn)
{
  const tts = ev.ticket_types || [];
  const cancelled = ev.status === 'cancelled';
  const open = !cancelled && Date.parse (ev.ends_at) > Date.now ();

  drawAbout (ev);
  if (!open)
    closeSales (cancelled ? t ('This event has been cancelled')
                          : t ('This event is over. Tickets are no longer sold.'));
  else
    {
      let sum = 0;
      fill (byId ('ticket-list'), tts.map ((tt) => ticketRow (ev, tt, basket.items[tt.id] || 0)));
      for (const tt of tts)
        {
          updateTicketRow (ev, tt, basket.items[tt.id] || 0);
          sum += tt.price * (basket.items[tt.id] || 0);
        }
      /* No ticket type is listed: there may still be ones a code unlocks. */
      if (!tts.length)
        showCodesOnly (false);
      byId ('coupon-code', HTMLInputElement).value = basket.coupon;
      showSummary (ev, sum, 0, sum);
      byId ('ticket-note').textContent = ticketNote (ev, signedIn);
      byId ('ticket-form').hidden = false;
    }
  byId ('event-root').dataset.drawn = 'true';
  drawn = { ev, basket, lang: currentLang (), open };
  return drawn;
}

/** @returns {DrawnEvent | null} what is drawn, if anything */
export function drawnEvent ()
{
  return drawn;
}

/**
 * For app.js, before the first paint: draws the event page from the page's
 * own data. A page whose text waits for its translation (html.translating)
 * is left to pages/event.js, which draws it once the strings are there.
 */
export function drawEventPage ()
{
  if (document.body.dataset.page !== 'event' ||
      document.documentElement.classList.contains ('translating'))
    return;
  const ev = pageEvent ();
  if (ev)
    drawEvent (ev, savedBasket (ev.slug), maybeSignedIn ());
}
