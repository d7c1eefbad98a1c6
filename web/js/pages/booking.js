// pages/booking.js: one booking — held (with the countdown and the choice
// of how to pay), confirmed, expired, cancelled, awaiting payment or
// refunded.
//
// Paying (docs/PAYMENTS.md): "Pay" asks the server to check out with the
// chosen method. Card goes on to the payment provider's page (which comes
// back to /bookings/{id}/paid, or here with ?payment=cancelled), bank
// transfer to /bookings/{id}/transfer, and at the door confirms the booking
// here. A failure keeps the hold and says so; the button stays to retry.
//
// The countdown runs on the server's clock (api.js keeps the offset from
// the Date header). The timer itself is not announced every second; a
// separate polite live region says how many minutes are left, at most once
// a minute. At zero the booking is read again, so what the page says is
// what the server decided.

import { ApiError, errorText, get, getMe, post, requireMe, serverNow } from '../api.js';
import {
  eventOf, formatDeadline, methodLabel, paymentMethodsOf, paymentState, refundText,
} from '../booking-info.js';
import { byId, fill, focus, h } from '../dom.js';
import { formatDateTime, formatEventTime, formatMoney, formatPrice, t } from '../i18n.js';
import { calendarLinks, paperPicker, pdfLink, ticketCard } from '../ticket-cards.js';

/** @typedef {import('../types.js').Booking} Booking */
/** @typedef {import('../booking-info.js').BookingEvent} BookingEvent */
/** @typedef {import('../types.js').Ticket} Ticket */

/** @type {Booking} */
let booking;
/** @type {BookingEvent | null} */
let event = null;
/** @type {ReturnType<typeof setInterval> | undefined} */
let ticker;
/** The payment methods the event offers now. */
/** @type {string[]} */
let methods = [];
/** The order the methods are shown in, the first one chosen unless the
    buyer chose before, whatever order the event lists them in. */
const METHOD_ORDER = ['card', 'bank_transfer', 'at_door'];
/** Holds longer than this show their deadline, not a countdown. */
const COUNTDOWN_MAX_S = 3600;
/** Whether the tickets of the (confirmed) booking were asked for. */
let ticketsAsked = false;

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
  const total = formatMoney (booking.total, booking.currency);
  const transfer = booking.transfer;

  switch (status)
    {
    case 'held':
      if (booking.total <= 0)
        return [t ('Tickets held'), t ('Your tickets are reserved for you.')];
      return [t ('Tickets held'), methods.length > 0
        ? t ('Your tickets are reserved for you. Choose how to pay before the time runs out.')
        : t ('Your tickets are reserved for you, but this event takes no payments right now, so the reservation ends when the time runs out.')];
    case 'pending_payment':
      if (booking.payment_method === 'bank_transfer' && transfer)
        return [t ('Awaiting payment'), t ('Your tickets are held for you until {deadline}. They are yours once your bank transfer has arrived.',
                                           { deadline: formatDeadline (transfer.deadline, event && event.timezone) })];
      return [t ('Awaiting payment'), t ('Your tickets are reserved while your payment is being processed.')];
    case 'confirmed':
      if (booking.payment_method === 'at_door' && !booking.paid && booking.total > 0)
        return [t ('Booking confirmed'), t ('You are all set. Pay {amount} at the door when you arrive.', { amount: total })];
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

/**
 * The methods to choose from now: those the event offers, but a payment
 * under way goes on with its own method (the server does not switch a
 * booking awaiting payment to another method: 409).
 *
 * @returns {string[]}
 */
function payMethods ()
{
  if (booking.status === 'pending_payment' && booking.payment_method)
    return methods.filter ((m) => m === booking.payment_method);
  return methods;
}

/** @returns {boolean} whether the hold is still open for paying */
function payable ()
{
  if (booking.total <= 0 || payMethods ().length === 0)
    return false;
  if (booking.expires_at && Date.parse (booking.expires_at) <= serverNow ())
    return false;
  return booking.status === 'held' ||
         (booking.status === 'pending_payment' && booking.payment_method === 'card');
}

/** @param {string} method */
function payLabel (method)
{
  const amount = formatMoney (booking.total, booking.currency);

  if (method === 'bank_transfer')
    return t ('Pay {amount} by bank transfer', { amount });
  if (method === 'at_door')
    return t ('Book now, pay at the door');
  return t ('Pay {amount}', { amount });
}

/** @param {string} method */
function methodHint (method)
{
  if (method === 'card')
    return t ('Pay now on the secure page of our payment provider. Your tickets are booked as soon as the payment goes through.');
  if (method === 'bank_transfer')
    return t ('Get the account details and a reference to transfer the amount. Your tickets are held until the money has arrived.');
  if (method === 'at_door')
    return t ('Your booking is confirmed now; you pay when you arrive.');
  return '';
}

/** @returns {string} the method chosen in the form, or '' */
function chosenMethod ()
{
  const input = byId ('pay-form', HTMLFormElement).querySelector ('input[name="method"]:checked');
  return input instanceof HTMLInputElement ? input.value : '';
}

function renderPay ()
{
  const section = byId ('pay-section');
  const button = byId ('pay-button', HTMLButtonElement);
  const open = payable ();

  section.hidden = !open;
  if (!open)
    return;
  const choices = payMethods ();
  const before = chosenMethod ();
  const selected = [before, booking.payment_method || '', choices[0]].find ((m) => m && choices.includes (m)) || '';
  fill (byId ('pay-methods'), choices.map ((method) =>
    h ('div', { class: 'pay-option' },
      h ('input', { type: 'radio', name: 'method', id: `method-${method}`, value: method,
                    checked: method === selected, 'aria-describedby': `method-${method}-hint`,
                    onchange: () => { button.textContent = payLabel (chosenMethod ()); } }),
      h ('label', { for: `method-${method}` }, methodLabel (method)),
      h ('p', { class: 'pay-option-hint', id: `method-${method}-hint` }, methodHint (method)))));
  button.textContent = payLabel (selected);
}

function renderTransfer ()
{
  const transfer = booking.transfer;
  const open = booking.status === 'pending_payment' && booking.payment_method === 'bank_transfer';

  byId ('transfer-summary').hidden = !open;
  if (!open)
    return;
  byId ('transfer-summary-text').textContent = transfer
    ? t ('Transfer {amount} with the reference {reference} by {deadline}.', {
        amount: formatMoney (transfer.amount, transfer.currency),
        reference: transfer.reference,
        deadline: formatDeadline (transfer.deadline, event && event.timezone),
      })
    : '';
  byId ('transfer-link', HTMLAnchorElement).href = `/bookings/${encodeURIComponent (booking.id)}/transfer`;
}

function renderPaymentState ()
{
  const state = paymentState (booking);
  const refunds = refundText (booking);
  const list = byId ('payment-state');

  fill (list,
    state ? h ('div', { class: 'summary-row' },
              h ('dt', null, t ('Payment')),
              h ('dd', { class: `pay-state pay-state-${state.state}` }, state.text)) : null,
    refunds ? h ('div', { class: 'summary-row' },
                h ('dt', null, t ('Refunds')), h ('dd', null, refunds)) : null);
  list.hidden = !state && !refunds;
}

/** @param {string} message */
function showPayError (message)
{
  fill (byId ('pay-error'), message ? h ('p', null, message) : null);
}

/**
 * @param {unknown} err
 * @returns {string}
 */
function payErrorText (err)
{
  if (!(err instanceof ApiError))
    return errorText (err);
  if (err.code === 'gateway_unavailable' || (err.status === 503 && err.code !== 'network_error'))
    return t ('The payment provider could not be reached. Your tickets are still held for you: please try again in a moment.');
  if (err.code === 'gateway_error' || err.status === 502)
    return err.message
      ? t ('The payment provider refused the payment: {message}', { message: err.message })
      : t ('The payment provider refused the payment.');
  if (err.code === 'method_not_offered')
    return t ('This payment method is not offered for this event any more. Please choose another one.');
  return errorText (err);
}

/** @param {SubmitEvent} ev */
async function pay (ev)
{
  const button = byId ('pay-button', HTMLButtonElement);
  const method = chosenMethod ();
  const id = encodeURIComponent (booking.id);

  ev.preventDefault ();
  if (button.disabled)
    return;
  if (!method)
    {
      showPayError (t ('Choose how you would like to pay.'));
      return;
    }
  showPayError ('');
  button.disabled = true;
  button.setAttribute ('aria-busy', 'true');
  try
    {
      /** @type {{ booking?: Booking, checkout_url?: string }} */
      const answer = await post (`/api/v1/me/bookings/${id}/checkout`, { method });
      if (answer && answer.booking)
        booking = answer.booking;
      if (method === 'card' && answer && typeof answer.checkout_url === 'string' &&
          /^https?:\/\//.test (answer.checkout_url))
        {
          location.assign (answer.checkout_url);
          return;
        }
      if (method === 'bank_transfer')
        {
          location.assign (`/bookings/${id}/transfer`);
          return;
        }
      render ();
      focus (byId ('booking-title'));
    }
  catch (err)
    {
      if (err instanceof ApiError && err.status === 409)
        {
          try { booking = await fetchBooking (); } catch { /* show what we have */ }
          render ();
          if (payable () && booking.payment_method && booking.payment_method !== method)
            {
              /* A payment by another method is under way (e.g. a card
                 checkout the provider did not answer): go on with that. */
              showPayError (t ('This booking is already awaiting payment ({method}). Please go on with that method.',
                               { method: methodLabel (booking.payment_method) }));
              focus (byId ('pay-error'));
            }
          else
            {
              showPayError ('');
              showError (t ('This booking can no longer be paid: it is paid already, or its time ran out.'));
              focus (byId ('booking-error'));
            }
        }
      else
        showPayError (payErrorText (err));
    }
  button.disabled = false;
  button.removeAttribute ('aria-busy');
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

  const left = booking.expires_at ? (Date.parse (booking.expires_at) - serverNow ()) / 1000 : 0;
  const counting = held && Boolean (booking.expires_at) && left <= COUNTDOWN_MAX_S;
  byId ('hold-timer').hidden = !counting;
  if (counting && booking.expires_at)
    {
      startCountdown (booking.expires_at);
      byId ('hold-until').textContent = t ('Held until {time}',
        { time: formatDateTime (booking.expires_at, null, { hour: 'numeric', minute: '2-digit' }) });
    }
  else
    stopCountdown ();
  byId ('payment-notice').hidden = !held;

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
  renderPaymentState ();
  byId ('booking-body').hidden = false;
  renderPay ();
  renderTransfer ();
  renderTickets ();

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

/* Tickets */

/** @returns {boolean} whether the event has started (names are fixed then) */
function eventStarted ()
{
  return Boolean (event && event.starts_at) && Date.parse (event && event.starts_at || '') <= serverNow ();
}

function renderTickets ()
{
  const open = booking.status === 'confirmed';

  byId ('tickets-section').hidden = !open;
  if (open && !ticketsAsked)
    {
      /* The tools come with the section, their rows' room kept (pages.css)
         until the tickets are there: nothing moves when they arrive. */
      byId ('ticket-tools').hidden = false;
      ticketsAsked = true;
      loadTickets ();
    }
}

async function loadTickets ()
{
  const list = byId ('ticket-cards');
  const errorBox = byId ('tickets-error');
  const id = encodeURIComponent (booking.id);
  /** @type {Ticket[]} */
  let tickets;

  list.setAttribute ('aria-busy', 'true');
  errorBox.replaceChildren ();
  try
    {
      /** @type {{ items: Ticket[] }} */
      const answer = await get (`/api/v1/me/bookings/${id}/tickets`);
      tickets = (answer && Array.isArray (answer.items) ? answer.items : []).filter ((ticket) => ticket.status === 'valid');
    }
  catch (err)
    {
      list.removeAttribute ('aria-busy');
      fill (list);
      byId ('ticket-tools').hidden = true;
      errorBox.append (h ('p', null, t ('Your tickets could not be loaded.')),
        h ('button', { class: 'button button-secondary', type: 'button', onclick: loadTickets }, t ('Try again')));
      if (err instanceof ApiError && err.code === 'network_error')
        errorBox.append (h ('p', null, errorText (err)));
      return;
    }

  const calendarEvent = event ? { ...event, address: event.address || null } : null;
  const title = event ? event.title : t ('Event');
  const started = eventStarted ();

  byId ('ticket-tools').hidden = tickets.length === 0;
  fill (byId ('pdf-tools'),
    paperPicker ('paper-size'),
    pdfLink (booking.id, null, tickets.length === 1 ? t ('Download PDF') : t ('All tickets (PDF)'),
             { class: 'button button-primary button-small icon-download' }));
  fill (byId ('calendar-tools'), calendarLinks (booking.id, calendarEvent));
  byId ('tickets-lead').textContent = tickets.length === 0
    ? t ('This booking has no valid tickets.')
    : started
      ? t ('Show the QR code at the entrance. The event has started, so the names on the tickets can only be changed by the organizer.')
      : t ('Show the QR code at the entrance. Add the name of the person who will use each ticket; you can change names until the event starts.');
  fill (list, tickets.map ((ticket) => ticketCard (ticket, {
    eventTitle: title, editable: true, startsAt: event ? event.starts_at : null,
    /* One ticket: the PDF above is its PDF. */
    pdf: tickets.length > 1,
  })));
  list.removeAttribute ('aria-busy');
}

/**
 * "3 minutes", "1 minute", "40 seconds".
 *
 * @param {number} seconds
 * @returns {string}
 */
function waitText (seconds)
{
  if (seconds < 60)
    return seconds === 1 ? t ('1 second') : t ('{count} seconds', { count: seconds });
  const minutes = Math.ceil (seconds / 60);
  return minutes === 1 ? t ('1 minute') : t ('{count} minutes', { count: minutes });
}

async function resend ()
{
  const button = byId ('resend-button', HTMLButtonElement);
  const status = byId ('resend-status');

  if (button.disabled)
    return;
  button.disabled = true;
  button.setAttribute ('aria-busy', 'true');
  status.textContent = '';
  status.dataset.tone = '';
  try
    {
      await post (`/api/v1/me/bookings/${encodeURIComponent (booking.id)}/tickets/resend`);
      const me = await getMe ();
      status.dataset.tone = 'ok';
      status.textContent = me
        ? t ('Your tickets are on their way to {email}. The email may take a few minutes to arrive.', { email: me.email })
        : t ('Your tickets are on their way to your email address.');
    }
  catch (err)
    {
      status.dataset.tone = 'warning';
      if (err instanceof ApiError && err.status === 429 && err.retryAfter)
        status.textContent = t ('Your tickets were emailed a moment ago. You can send them again in {wait} (at {time}).', {
          wait: waitText (err.retryAfter),
          time: formatDateTime (new Date (serverNow () + err.retryAfter * 1000).toISOString (), null,
                                { hour: 'numeric', minute: '2-digit' }),
        });
      else if (err instanceof ApiError && err.status === 429)
        status.textContent = t ('Your tickets were emailed a moment ago. Please wait a few minutes before sending them again.');
      else if (err instanceof ApiError && err.code === 'no_tickets')
        status.textContent = t ('This booking has no valid tickets to send.');
      else
        {
          status.dataset.tone = 'error';
          status.textContent = errorText (err);
        }
    }
  button.disabled = false;
  button.removeAttribute ('aria-busy');
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
  byId ('pay-form', HTMLFormElement).addEventListener ('submit', pay);
  byId ('resend-button').addEventListener ('click', resend);
  /* Back from the payment provider's page: the page may come from the
     back/forward cache with its button still busy. */
  window.addEventListener ('pageshow', (ev) => {
    if (ev.persisted)
      {
        byId ('pay-button', HTMLButtonElement).disabled = false;
        byId ('pay-button').removeAttribute ('aria-busy');
      }
  });

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
  if (booking.total > 0 && (booking.status === 'held' || booking.status === 'pending_payment'))
    {
      const offered = event && event.payment_methods ? event.payment_methods : await paymentMethodsOf (booking);
      methods = METHOD_ORDER.filter ((m) => offered.includes (m));
    }
  if (new URLSearchParams (location.search).get ('payment') === 'cancelled')
    byId ('payment-notice').textContent = t ('Payment cancelled. Your tickets are still held: you can try again.');
  render ();
}
