// booking-info.js: what the booking pages share — status names, the event
// a booking belongs to, and how it is paid (docs/PAYMENTS.md).

import { getEvent } from './api.js';
import { formatDateTime, formatMoney, t } from './i18n.js';

/** @typedef {import('./types.js').Booking} Booking */

/**
 * @param {string} status
 * @returns {string} the status in a word or two
 */
export function statusLabel (status)
{
  /** @type {Record<string, string>} */
  const labels = {
    held: t ('Held'),
    pending_payment: t ('Awaiting payment'),
    confirmed: t ('Confirmed'),
    expired: t ('Expired'),
    cancelled: t ('Cancelled'),
    refunded: t ('Refunded'),
  };
  return labels[status] || status;
}

/**
 * @typedef {Object} BookingEvent
 * @property {string} title
 * @property {string | null} slug
 * @property {string | null} starts_at
 * @property {string | null} ends_at
 * @property {string | null} timezone
 * @property {string | null} venue
 * @property {string | null} address
 * @property {number} cancellation_hours
 * @property {string[] | null} payment_methods  null: not known from the booking
 */

/**
 * The event of booking: from the booking itself when the server includes
 * it, else the public event (null when it is no longer shown).
 *
 * @param {import('./types.js').Booking} booking
 * @returns {Promise<BookingEvent | null>}
 */
export async function eventOf (booking)
{
  /** @type {any} */
  let e = booking.event;

  if (!e || !e.title)
    {
      try { e = await getEvent (booking.event_id); }
      catch { e = null; }
    }
  if (!e)
    return null;
  return {
    title: String (e.title),
    slug: e.slug || null,
    starts_at: e.starts_at || null,
    ends_at: e.ends_at || null,
    timezone: e.timezone || null,
    venue: e.venue || null,
    address: e.address || null,
    cancellation_hours: Number (e.cancellation_hours) || 0,
    payment_methods: Array.isArray (e.payment_methods) ? e.payment_methods.map (String) : null,
  };
}

/**
 * The payment methods the event of booking offers now, from the public
 * event (empty when it is no longer shown or offers none).
 *
 * @param {Booking} booking
 * @returns {Promise<string[]>}
 */
export async function paymentMethodsOf (booking)
{
  try
    {
      const e = await getEvent (booking.event_id);
      return e && Array.isArray (e.payment_methods) ? e.payment_methods.map (String) : [];
    }
  catch
    {
      return [];
    }
}

/**
 * @param {string | null | undefined} method
 * @returns {string} the payment method in a word or two
 */
export function methodLabel (method)
{
  /** @type {Record<string, string>} */
  const labels = {
    card: t ('Card'),
    bank_transfer: t ('Bank transfer'),
    at_door: t ('Pay at the door'),
  };
  return (method && labels[method]) || String (method || '');
}

/**
 * Where the money of booking stands, in a few words, or null when there is
 * nothing to say (free, or not paid and no longer payable).
 *
 * @param {Booking} booking
 * @returns {{ state: 'paid' | 'awaiting' | 'at_door' | 'unpaid', text: string } | null}
 */
export function paymentState (booking)
{
  const method = booking.payment_method || null;

  if (booking.total <= 0)
    return null;
  if (booking.paid)
    {
      /** @type {Record<string, string>} */
      const by = {
        card: t ('Paid by card'),
        bank_transfer: t ('Paid by bank transfer'),
        at_door: t ('Paid at the door'),
      };
      return { state: 'paid', text: (method && by[method]) || t ('Paid') };
    }
  if (booking.status === 'pending_payment')
    return { state: 'awaiting', text: t ('Awaiting payment ({method})', { method: methodLabel (method) }) };
  if (booking.status === 'confirmed' && method === 'at_door')
    return { state: 'at_door', text: t ('Unpaid — pay at the door') };
  if (booking.status === 'held' || booking.status === 'confirmed')
    return { state: 'unpaid', text: t ('Unpaid') };
  return null;
}

/**
 * What was paid back for booking, e.g. "Refunded €12.00", or null.
 *
 * @param {Booking} booking
 * @returns {string | null}
 */
export function refundText (booking)
{
  const refunded = Number (booking.amount_refunded) || 0;

  if (refunded > 0)
    return t ('Refunded {amount}', { amount: formatMoney (refunded, booking.currency) });
  if ((booking.refunds || []).some ((r) => r.status === 'to_refund' || r.status === 'pending'))
    return t ('Refund on its way');
  return null;
}


/**
 * A deadline with its date, time and zone, in timeZone (the event's).
 *
 * @param {string} iso
 * @param {string | null | undefined} timeZone
 * @returns {string}
 */
export function formatDeadline (iso, timeZone)
{
  return formatDateTime (iso, timeZone, {
    weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
    hour: 'numeric', minute: '2-digit', timeZoneName: 'short',
  });
}
