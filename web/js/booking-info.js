// booking-info.js: what the booking pages share — status names and the
// event a booking belongs to.

import { getEvent } from './api.js';
import { t } from './i18n.js';

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
 * @property {number} cancellation_hours
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
    cancellation_hours: Number (e.cancellation_hours) || 0,
  };
}
