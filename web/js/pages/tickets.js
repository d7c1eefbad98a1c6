// pages/tickets.js: My tickets — every valid ticket of the signed-in
// attendee, grouped by event, upcoming events first (the server's order):
// the QR codes to show at the entrance, the PDFs, the calendar links and
// the way to the booking. Past events follow, shorter, without QR codes.

import { get, requireMe } from '../api.js';
import { byId, fill, h } from '../dom.js';
import { dateTile, formatEventTime, t } from '../i18n.js';
import { calendarLinks, paperPicker, pdfLink, shortRef, ticketCard } from '../ticket-cards.js';

/** @typedef {import('../types.js').MyTicket} MyTicket */
/** @typedef {import('../types.js').TicketEvent} TicketEvent */

/**
 * @typedef {Object} EventGroup
 * @property {TicketEvent} event
 * @property {boolean} past
 * @property {Map<string, MyTicket[]>} bookings  booking id → its tickets, in order
 */

/**
 * Groups tickets by event and, within each, by booking, keeping the
 * order they came in.
 *
 * @param {MyTicket[]} tickets
 * @returns {EventGroup[]}
 */
function groupByEvent (tickets)
{
  /** @type {Map<string, EventGroup>} */
  const groups = new Map ();

  for (const ticket of tickets)
    {
      const key = ticket.event ? ticket.event.id : ticket.event_id;
      let group = groups.get (key);
      if (!group)
        {
          group = { event: ticket.event, past: Boolean (ticket.past), bookings: new Map () };
          groups.set (key, group);
        }
      const list = group.bookings.get (ticket.booking_id) || [];
      list.push (ticket);
      group.bookings.set (ticket.booking_id, list);
    }
  /* A booking's tickets in the order its page shows them. */
  for (const group of groups.values ())
    for (const list of group.bookings.values ())
      list.sort ((a, b) => a.issued_at.localeCompare (b.issued_at) || a.ticket_type_id.localeCompare (b.ticket_type_id) ||
                           a.seq - b.seq || a.id.localeCompare (b.id));
  return [...groups.values ()];
}

/** @param {number} count */
function ticketCount (count)
{
  return count === 1 ? t ('1 ticket') : t ('{count} tickets', { count });
}

/**
 * The head of an event's group: date tile, title, when and where.
 *
 * @param {TicketEvent} event
 * @param {string} headingId
 * @returns {HTMLElement}
 */
function eventHead (event, headingId)
{
  const tile = dateTile (event.starts_at, event.timezone);
  const place = [event.venue, event.address].filter (Boolean).join (', ');

  return h ('div', { class: 'ticket-event-head' },
    h ('div', { class: 'date-tile', 'aria-hidden': 'true' },
      h ('span', { class: 'date-tile-month' }, tile.month),
      h ('span', { class: 'date-tile-day' }, tile.day)),
    h ('div', { class: 'ticket-event-info' },
      h ('h2', { id: headingId, class: 'ticket-event-title' },
        event.slug ? h ('a', { href: `/e/${encodeURIComponent (event.slug)}` }, event.title) : event.title),
      h ('p', { class: 'meta icon-clock' }, formatEventTime (event.starts_at, event.ends_at, event.timezone)),
      place ? h ('p', { class: 'meta icon-pin' }, place) : null,
      event.status === 'cancelled'
        ? h ('p', { class: 'badge badge-soldout' }, t ('This event has been cancelled'))
        : null));
}

/**
 * An upcoming event with its tickets, booking by booking.
 *
 * @param {EventGroup} group
 * @returns {HTMLElement}
 */
function upcomingEvent (group)
{
  const event = group.event;
  const headingId = `event-${event.id}-title`;
  const firstBooking = group.bookings.keys ().next ().value || '';

  return h ('section', { class: 'ticket-event', 'aria-labelledby': headingId },
    eventHead (event, headingId),
    h ('div', { class: 'ticket-event-actions no-print' }, calendarLinks (firstBooking, event, headingId)),
    [...group.bookings.entries ()].map (([bookingId, tickets]) => {
      const refId = `booking-${bookingId}-ref`;
      return h ('div', { class: 'ticket-booking' },
        h ('div', { class: 'ticket-booking-head' },
          h ('p', { id: refId, class: 'ticket-booking-ref' },
            t ('Booking {ref}', { ref: tickets[0].booking_reference || shortRef (bookingId) }),
            h ('span', { class: 'ticket-booking-count' }, ` · ${ticketCount (tickets.length)}`)),
          h ('div', { class: 'ticket-booking-links no-print' },
            h ('a', { href: `/bookings/${encodeURIComponent (bookingId)}`, 'aria-describedby': refId },
              t ('View booking')),
            tickets.length > 1
              ? pdfLink (bookingId, null, t ('All tickets (PDF)'), { 'aria-describedby': refId })
              : null)),
        h ('ul', { class: 'ticket-cards' },
          tickets.map ((ticket) => ticketCard (ticket, { eventTitle: event.title }))));
    }));
}

/**
 * A past event, in short: no QR codes, the booking and its PDF.
 *
 * @param {EventGroup} group
 * @returns {HTMLElement}
 */
function pastEvent (group)
{
  const event = group.event;
  const headingId = `event-${event.id}-title`;

  return h ('section', { class: 'ticket-event is-past', 'aria-labelledby': headingId },
    eventHead (event, headingId),
    h ('ul', { class: 'past-bookings' },
      [...group.bookings.entries ()].map (([bookingId, tickets]) => {
        const refId = `booking-${bookingId}-ref`;
        return h ('li', { class: 'ticket-booking-head' },
          h ('p', { id: refId, class: 'ticket-booking-ref' },
            t ('Booking {ref}', { ref: tickets[0].booking_reference || shortRef (bookingId) }),
            h ('span', { class: 'ticket-booking-count' }, ` · ${ticketCount (tickets.length)}`)),
          h ('div', { class: 'ticket-booking-links no-print' },
            h ('a', { href: `/bookings/${encodeURIComponent (bookingId)}`, 'aria-describedby': refId },
              t ('View booking')),
            pdfLink (bookingId, null, t ('Download PDF'), { 'aria-describedby': refId })));
      })));
}

export async function init ()
{
  if (!(await requireMe ()))
    return;

  const list = byId ('tickets-list');
  const errorBox = byId ('tickets-error');

  async function load ()
  {
    list.setAttribute ('aria-busy', 'true');
    errorBox.replaceChildren ();
    try
      {
        /** @type {{ items: MyTicket[] }} */
        const answer = await get ('/api/v1/me/tickets');
        const tickets = (answer && Array.isArray (answer.items) ? answer.items : [])
          .filter ((ticket) => ticket.status === 'valid' && ticket.event);
        const groups = groupByEvent (tickets);
        const upcoming = groups.filter ((g) => !g.past);
        const past = groups.filter ((g) => g.past);

        fill (list, upcoming.map (upcomingEvent));
        fill (byId ('past-list'), past.map (pastEvent));
        list.hidden = upcoming.length === 0;
        byId ('past-events').hidden = past.length === 0;
        byId ('tickets-empty').hidden = groups.length > 0;
        byId ('tickets-none-upcoming').hidden = upcoming.length > 0 || past.length === 0;
        byId ('tickets-tools').hidden = groups.length === 0;
      }
    catch
      {
        fill (list);
        errorBox.append (h ('p', null, t ('Your tickets could not be loaded.')),
          h ('button', { class: 'button button-secondary', type: 'button', onclick: load }, t ('Try again')));
      }
    list.removeAttribute ('aria-busy');
  }

  fill (byId ('tickets-tools'), paperPicker ('paper-size'));
  await load ();
}
