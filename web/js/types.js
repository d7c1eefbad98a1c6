// types.js: the shapes of the API's JSON (docs/openapi.yaml), for the
// type checker only; no page loads this file.

/**
 * @typedef {Object} TicketType
 * @property {string} id
 * @property {string} name
 * @property {string} [description]
 * @property {number} price
 * @property {string | null} [currency]
 * @property {number} capacity
 * @property {number} available
 * @property {string | null} [sales_start]
 * @property {string | null} [sales_end]
 * @property {number} max_per_order
 * @property {number | null} [max_per_attendee]
 * @property {boolean} [hidden]  true only for types a coupon unlocked
 * @property {number} [sort_order]
 * @property {boolean} on_sale
 */

/**
 * @typedef {Object} PublicEvent
 * @property {string} id
 * @property {string} slug
 * @property {string} title
 * @property {string} [description]
 * @property {string} [venue]
 * @property {string} [address]
 * @property {string} timezone
 * @property {string} starts_at
 * @property {string} ends_at
 * @property {string} status
 * @property {string | null} currency
 * @property {number} [cancellation_hours]
 * @property {number | null} [price_min]
 * @property {number | null} [price_max]
 * @property {number} [available]
 * @property {number} [capacity]
 * @property {boolean} [sold_out]
 * @property {TicketType[]} [ticket_types]
 * @property {string[]} [payment_methods]  card, bank_transfer, at_door: offered now
 */

/**
 * @template T
 * @typedef {Object} Page
 * @property {T[]} items
 * @property {number} total
 * @property {string | null} next_cursor
 */

/**
 * @typedef {Object} Me
 * @property {string} id
 * @property {string} email
 * @property {string} name
 * @property {string} locale
 * @property {string} status
 * @property {boolean} email_verified
 * @property {string} [csrf_token]
 */

/**
 * @typedef {Object} BookingItem
 * @property {string} ticket_type_id
 * @property {string} name
 * @property {number} quantity
 * @property {number} unit_price
 * @property {number} discount
 * @property {number} line_total
 */

/**
 * @typedef {Object} Payment
 * @property {string} id
 * @property {string} method
 * @property {string} status  pending, paid, failed or expired
 * @property {number} amount
 * @property {string} currency
 * @property {number} refunded_amount
 * @property {string | null} expires_at
 * @property {string | null} paid_at
 * @property {string | null} reference
 * @property {string | null} checkout_url
 * @property {string} created_at
 */

/**
 * @typedef {Object} Refund
 * @property {string} id
 * @property {string} payment_id
 * @property {number} amount
 * @property {string} currency
 * @property {string | null} reason
 * @property {string | null} note
 * @property {string} status  pending, succeeded, failed, recorded or to_refund
 * @property {string | null} error
 * @property {string} created_at
 */

/**
 * @typedef {Object} Transfer  how to pay a booking by bank transfer
 * @property {string} details  account holder, IBAN, BIC… (several lines)
 * @property {string} reference
 * @property {string} deadline
 * @property {number} amount
 * @property {string} currency
 */

/**
 * @typedef {Object} Booking
 * @property {string} id
 * @property {string} event_id
 * @property {string} status
 * @property {string | null} expires_at
 * @property {BookingItem[]} items
 * @property {number} subtotal
 * @property {number} discount
 * @property {number} total
 * @property {string | null} currency
 * @property {string | null} coupon_code
 * @property {string} created_at
 * @property {'card' | 'bank_transfer' | 'at_door' | null} [payment_method]
 * @property {string | null} [payment_reference]
 * @property {boolean} [paid]
 * @property {number} [amount_paid]
 * @property {number} [amount_refunded]
 * @property {Payment[]} [payments]
 * @property {Refund[]} [refunds]
 * @property {Transfer | null} [transfer]
 * @property {{ title?: string, slug?: string, starts_at?: string, ends_at?: string, timezone?: string, venue?: string, status?: string, cancellation_hours?: number } | undefined} [event]
 */

/**
 * @typedef {Object} Quote
 * @property {BookingItem[]} items
 * @property {number} subtotal
 * @property {number} discount
 * @property {number} total
 * @property {string | null} currency
 * @property {string | null} coupon_code
 * @property {TicketType[]} unlocked_ticket_types  the hidden types the coupon unlocks
 */

/**
 * @typedef {Object} Ticket  one admitted person's signed ticket
 * @property {string} id
 * @property {string} booking_id
 * @property {string} event_id
 * @property {string} ticket_type_id
 * @property {string} ticket_type  the ticket type's name
 * @property {number} seq  1… within its booking item
 * @property {string | null} holder_name
 * @property {string} code  the signed code the QR code holds
 * @property {string} key_id
 * @property {string} status  valid, cancelled or reissued
 * @property {string} issued_at
 * @property {string | null} revoked_at
 */

/**
 * @typedef {Object} TicketEvent  the event of a ticket in GET /me/tickets
 * @property {string} id
 * @property {string} slug
 * @property {string} title
 * @property {string | null} [venue]
 * @property {string | null} [address]
 * @property {string} timezone
 * @property {string} starts_at
 * @property {string} ends_at
 * @property {string} status
 */

/**
 * @typedef {Ticket & { event: TicketEvent, past: boolean, booking_reference?: string }} MyTicket
 *   a valid ticket of the signed-in attendee, with its event; past: the
 *   event has ended
 */

export {};
