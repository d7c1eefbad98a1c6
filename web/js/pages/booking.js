// pages/booking.js: one booking — held (with the countdown), confirmed,
// expired, cancelled, awaiting payment or refunded.
//
// The countdown runs on the server's clock (api.js keeps the offset from
// the Date header). The timer itself is not announced every second; a
// separate polite live region says how many minutes are left, at most once
// a minute. At zero the booking is read again, so what the page says is
// what the server decided.

import { ApiError, errorText, get, post, requireMe, serverNow } from '../api.js';
import { eventOf } from '../booking-info.js';
import { byId, fill, focus, h } from '../dom.js';
import { formatEventTime, formatMoney, formatPrice, t } from '../i18n.js';

/** @typedef {import('../types.js').Booking} Booking */
/** @typedef {import('../booking-info.js').BookingEvent} BookingEvent */

/** @type {Booking} */
let booking;
/** @type {BookingEvent | null} */
let event = null;
/** @type {ReturnType<typeof setInterval> | undefined} */
let ticker;

/** @param {number} seconds */
function clock (seconds)
{
  const m = Math.floor (seconds / 60);
  const s = seconds % 60;
  return `${String (m).padStart (2, '0')}:${String (s).padStart (2, '0')}`;
}

/** @returns {Promise<Booking>} */
function fetchBooking ()
{
  return get (`/api/v1/me/bookings/${encodeURIComponent (booking.id)}`);
}

function stopCountdown ()
{
  clearInterval (ticker);
  ticker = undefined;
}

/**
 * Reads the booking again when its hold ran out; tries a few times while
 * the server still calls it held (clocks are never quite equal).
 *
 * @param {number} attempt
 */
async function recheck (attempt)
{
  const before = booking.status;

  try
    {
      booking = await fetchBooking ();
    }
  catch (err)
    {
      showError (errorText (err));
    }
  if ((booking.status === 'held' || booking.status === 'pending_payment') && attempt < 5)
    {
      setTimeout (() => recheck (attempt + 1), 2000);
      return;
    }
  render ();
  if (booking.status !== before)
    focus (byId ('booking-title'));
}

/** @param {string} expiresAt */
function startCountdown (expiresAt)
{
  const end = Date.parse (expiresAt);
  const timer = byId ('countdown');
  const live = byId ('countdown-live');
  /** @type {number | null} */
  let lastMinutes = null;

  stopCountdown ();
  const tick = () => {
    const seconds = Math.max (0, Math.ceil ((end - serverNow ()) / 1000));
    const minutes = Math.ceil (seconds / 60);

    timer.textContent = clock (seconds);
    byId ('hold-timer').classList.toggle ('is-urgent', seconds <= 60);
    if (lastMinutes !== null && minutes !== lastMinutes && seconds > 0)
      live.textContent = minutes === 1
        ? t ('1 minute left to complete your booking.')
        : t ('{count} minutes left to complete your booking.', { count: minutes });
    lastMinutes = minutes;
    if (seconds === 0)
      {
        stopCountdown ();
        live.textContent = t ('The time is up.');
        recheck (0);
      }
  };
  tick ();
  ticker = setInterval (tick, 1000);
}

/** @param {string} message */
function showError (message)
{
  fill (byId ('booking-error'), message ? h ('p', null, message) : null);
}

/** @returns {boolean} whether this attendee may cancel the booking now */
function cancellable ()
{
  if (booking.status === 'held' || booking.status === 'pending_payment')
    return !booking.expires_at || Date.parse (booking.expires_at) > serverNow ();
  if (booking.status === 'confirmed' && booking.total === 0 && event && event.starts_at)
    return event.cancellation_hours > 0 &&
           serverNow () < Date.parse (event.starts_at) - event.cancellation_hours * 3600e3;
  return false;
}

/**
 * @param {string} status
 * @returns {[string, string]} heading and lead text
 */
function wording (status)
{
  switch (status)
    {
    case 'held':
      return [t ('Tickets held'), booking.total > 0
        ? t ('Your tickets are reserved for you. Payment comes next: paying online is not available yet, so the reservation ends when the time runs out.')
        : t ('Your tickets are reserved for you.')];
    case 'pending_payment':
      return [t ('Awaiting payment'), t ('Your tickets are reserved while your payment is being processed.')];
    case 'confirmed':
      return [t ('Booking confirmed'), t ('You are all set. Your tickets are booked.')];
    case 'expired':
      return [t ('Hold expired'), t ('The time to complete this booking ran out, so the tickets were released.')];
    case 'cancelled':
      return [t ('Booking cancelled'), t ('This booking was cancelled and its tickets were released.')];
    case 'refunded':
      return [t ('Booking refunded'), t ('This booking was refunded.')];
    default:
      return [t ('Your booking'), ''];
    }
}

function render ()
{
  const [title, lead] = wording (booking.status);
  const cur = booking.currency;
  const held = booking.status === 'held' || booking.status === 'pending_payment';

  document.title = `${title} – Everato`;
  byId ('booking-head').dataset.status = booking.status;
  byId ('booking-title').textContent = title;
  byId ('booking-lead').textContent = lead;

  byId ('hold-timer').hidden = !held || !booking.expires_at;
  if (held && booking.expires_at)
    startCountdown (booking.expires_at);
  else
    stopCountdown ();

  fill (byId ('order-event'), event
    ? [h ('p', { class: 'order-event-title' },
         event.slug ? h ('a', { href: `/e/${encodeURIComponent (event.slug)}` }, event.title) : event.title),
       event.starts_at
         ? h ('p', { class: 'meta icon-clock' }, formatEventTime (event.starts_at, event.ends_at, event.timezone))
         : null,
       event.venue ? h ('p', { class: 'meta icon-pin' }, event.venue) : null]
    : null);

  fill (byId ('order-items'), booking.items.map ((item) =>
    h ('li', { class: 'order-item' },
      h ('span', { class: 'order-item-name' },
        h ('span', { class: 'order-qty' }, t ('{count} ×', { count: item.quantity })), ' ', item.name,
        h ('span', { class: 'order-unit' }, t ('{price} each', { price: formatPrice (item.unit_price, cur) }))),
      h ('span', { class: 'order-item-total' }, formatPrice (item.quantity * item.unit_price, cur)))));

  byId ('order-subtotal').textContent = formatPrice (booking.subtotal, cur);
  byId ('order-discount-row').hidden = booking.discount <= 0;
  byId ('order-discount-label').textContent = booking.coupon_code
    ? t ('Discount ({code})', { code: booking.coupon_code }) : t ('Discount');
  byId ('order-discount').textContent = `−${formatMoney (booking.discount, cur)}`;
  byId ('order-total').textContent = formatPrice (booking.total, cur);
  byId ('order-ref').textContent = t ('Booking reference: {ref}', { ref: booking.id.slice (0, 8).toUpperCase () });
  byId ('booking-body').hidden = false;

  const actions = byId ('booking-actions');
  fill (actions);
  if (booking.status === 'expired')
    actions.append (h ('a', { class: 'button button-primary',
                              href: event && event.slug ? `/e/${encodeURIComponent (event.slug)}` : '/' },
                       t ('Try again')));
  if (cancellable ())
    actions.append (h ('button', { class: 'button button-danger-quiet', type: 'button', id: 'cancel-open',
                                   onclick: openCancel }, t ('Cancel booking')));
}

function openCancel ()
{
  const dialog = byId ('cancel-dialog', HTMLDialogElement);

  byId ('cancel-error').textContent = '';
  dialog.showModal ();
  byId ('cancel-keep').focus ();
}

/** Closes the dialog and puts the focus back where it makes sense. */
function closeCancel ()
{
  byId ('cancel-dialog', HTMLDialogElement).close ();
  const opener = document.getElementById ('cancel-open');
  focus (opener || byId ('booking-title'));
}

async function confirmCancel ()
{
  const button = byId ('cancel-confirm', HTMLButtonElement);

  button.disabled = true;
  try
    {
      booking = await post (`/api/v1/me/bookings/${encodeURIComponent (booking.id)}/cancel`);
      byId ('cancel-dialog', HTMLDialogElement).close ();
      render ();
      focus (byId ('booking-title'));
    }
  catch (err)
    {
      if (err instanceof ApiError && err.code === 'invalid_transition')
        {
          byId ('cancel-dialog', HTMLDialogElement).close ();
          try { booking = await fetchBooking (); } catch { /* show what we have */ }
          render ();
          showError (t ('This booking can no longer be cancelled.'));
          focus (byId ('booking-error'));
        }
      else
        byId ('cancel-error').textContent = errorText (err);
    }
  button.disabled = false;
}

export async function init ()
{
  const me = await requireMe ();
  if (!me)
    return;

  const id = decodeURIComponent (location.pathname.split ('/')[2] || '');
  byId ('cancel-keep').addEventListener ('click', closeCancel);
  byId ('cancel-confirm').addEventListener ('click', confirmCancel);

  try
    {
      booking = await get (`/api/v1/me/bookings/${encodeURIComponent (id)}`);
    }
  catch (err)
    {
      const missing = err instanceof ApiError && (err.status === 404 || err.status === 400);
      byId ('booking-head').dataset.status = 'missing';
      byId ('booking-title').textContent = missing ? t ('Booking not found') : t ('Your booking');
      byId ('booking-lead').textContent = missing
        ? t ('There is no booking of yours at this address.') : '';
      if (!missing)
        showError (errorText (err));
      return;
    }
  event = await eventOf (booking);
  render ();
}
