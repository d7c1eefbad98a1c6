// types.js: the shapes of the API's JSON, for the type checker only; no
// page loads this file. They are the schemas of docs/openapi.yaml, through
// api-types.d.ts (made from it by scripts/openapi-gen.py), so a script
// that reads a field the API does not have fails `tsc --checkJs`.

/** @typedef {import('./api-types').TicketType} TicketType */

/**
 * @typedef {import('./api-types').PublicEventSummary & { ticket_types?: TicketType[] }} PublicEvent
 *   an event of the public list, or one event with its ticket types
 */

/**
 * @template T
 * @typedef {Object} Page
 * @property {T[]} items
 * @property {number} total
 * @property {string | null} next_cursor
 */

/** @typedef {import('./api-types').Attendee} Me */
/** @typedef {import('./api-types').BookingLine} BookingItem */
/** @typedef {import('./api-types').Payment} Payment */
/** @typedef {import('./api-types').Refund} Refund */
/** @typedef {import('./api-types').Transfer} Transfer  how to pay a booking by bank transfer */
/** @typedef {import('./api-types').Booking} Booking */
/** @typedef {import('./api-types').Quote} Quote */
/** @typedef {import('./api-types').Ticket} Ticket  one admitted person's signed ticket */
/** @typedef {import('./api-types').MyTicket['event']} TicketEvent  the event of a ticket in GET /me/tickets */
/**
 * @typedef {import('./api-types').MyTicket} MyTicket
 *   a valid ticket of the signed-in attendee, with its event; past: the
 *   event has ended
 */

export {};
