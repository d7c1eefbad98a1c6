// pages/bookings.js: the signed-in attendee's bookings, newest first.

import { get, requireMe } from '../api.js';
import { eventOf, paymentState, refundText, statusLabel } from '../booking-info.js';
import { byId, fill, h } from '../dom.js';
import { formatDateTime, formatPrice, t } from '../i18n.js';

/**
 * @param {import('../types.js').Booking} booking
 * @returns {Promise<HTMLLIElement>}
 */
async function row (booking)
{
  const event = await eventOf (booking);
  const count = booking.items.reduce ((n, item) => n + item.quantity, 0);
  const state = paymentState (booking);
  const refunds = refundText (booking);

  return h ('li', null,
    h ('a', { class: 'booking-row', href: `/bookings/${encodeURIComponent (booking.id)}` },
      h ('span', { class: 'booking-row-main' },
        h ('span', { class: 'booking-row-title' }, event ? event.title : t ('Event')),
        h ('span', { class: 'booking-row-meta' },
          event && event.starts_at ? formatDateTime (event.starts_at, event.timezone) : '',
          event && event.starts_at ? ' · ' : '',
          count === 1 ? t ('1 ticket') : t ('{count} tickets', { count })),
        state || refunds
          ? h ('span', { class: 'booking-row-pay' },
              state ? h ('span', { class: `pay-state pay-state-${state.state}` }, state.text) : null,
              state && refunds ? ' · ' : '',
              refunds)
          : null),
      h ('span', { class: 'booking-row-side' },
        h ('span', { class: `badge status-badge status-${booking.status}` }, statusLabel (booking.status)),
        h ('span', { class: 'booking-row-total' }, formatPrice (booking.total, booking.currency)))));
}

export async function init ()
{
  if (!(await requireMe ()))
    return;

  const list = byId ('booking-list');
  const more = byId ('more-bookings', HTMLButtonElement);
  const errorBox = byId ('bookings-error');
  /** @type {string | null} */
  let cursor = null;
  let shown = 0;

  /** @param {boolean} first */
  async function load (first)
  {
    const query = new URLSearchParams ({ limit: '20' });
    if (cursor)
      query.set ('cursor', cursor);
    more.disabled = true;
    errorBox.replaceChildren ();
    try
      {
        /** @type {import('../types.js').Page<import('../types.js').Booking>} */
        const page = await get (`/api/v1/me/bookings?${query}`);
        const rows = await Promise.all (page.items.map (row));
        if (first)
          fill (list);
        list.append (...rows);
        shown += rows.length;
        cursor = page.next_cursor;
        more.hidden = !cursor;
        list.hidden = shown === 0;
        byId ('bookings-empty').hidden = shown > 0;
      }
    catch
      {
        if (first)
          fill (list);
        errorBox.append (h ('p', null, t ('Your bookings could not be loaded.')),
          h ('button', { class: 'button button-secondary', type: 'button', onclick: () => load (first) },
            t ('Try again')));
      }
    more.disabled = false;
    list.removeAttribute ('aria-busy');
  }

  more.addEventListener ('click', async () => {
    const before = list.children.length;
    await load (false);
    const link = list.children[before]?.querySelector ('a');
    if (link)
      link.focus ();
  });
  await load (true);
}
