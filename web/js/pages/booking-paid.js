// pages/booking-paid.js: where a card payment comes back to
// (/bookings/{id}/paid?session_id=…, the payment provider's success URL).
//
// The page reads the booking and, while it waits for a card payment, asks
// the server to read that payment again from the provider (POST
// …/payment/refresh; the provider's event may not have come yet). It asks
// again every POLL_MS while the booking is still pending_payment, for at
// most GIVE_UP_MS; then it says the payment is still being processed and
// links to the booking, which will show it when it comes through. A failure
// to ask (provider or network down) counts as "still pending".

import { ApiError, errorText, get, post, requireMe } from '../api.js';
import { byId, fill, h } from '../dom.js';
import { t } from '../i18n.js';

/** @typedef {import('../types.js').Booking} Booking */

const POLL_MS = 2000;
const GIVE_UP_MS = 60000;

/** @type {string} */
let id = '';

/**
 * @param {string} status  for the icon: confirmed, pending_payment, expired
 * @param {string} title
 * @param {string} lead
 * @param {Array<{ href: string, text: string, primary?: boolean }>} links
 */
function show (status, title, lead, links)
{
  const titleEl = byId ('paid-title');
  const changed = titleEl.textContent !== title;

  document.title = `${title} · Everato`;
  byId ('paid-head').dataset.status = status;
  titleEl.textContent = title;
  byId ('paid-lead').textContent = lead;
  fill (byId ('paid-actions'), links.map ((link) =>
    h ('a', { class: `button ${link.primary ? 'button-primary' : 'button-secondary'}`, href: link.href }, link.text)));
  if (changed)
    byId ('paid-status').textContent = title;
}

/** @returns {string} */
function bookingHref ()
{
  return `/bookings/${encodeURIComponent (id)}`;
}

/**
 * The latest card payment of booking, if any.
 *
 * @param {Booking} booking
 */
function lastCardPayment (booking)
{
  const payments = (booking.payments || []).filter ((p) => p.method === 'card');
  return payments.length > 0 ? payments[payments.length - 1] : null;
}

/**
 * Shows what booking says; returns whether it is final.
 *
 * @param {Booking} booking
 * @returns {boolean}
 */
function render (booking)
{
  const payment = lastCardPayment (booking);
  const toBooking = { href: bookingHref (), text: t ('View your booking'), primary: true };
  const tryAgain = { href: bookingHref (), text: t ('Try again'), primary: true };

  switch (booking.status)
    {
    case 'confirmed':
      if (booking.paid || booking.total <= 0)
        show ('confirmed', t ('Payment received — booking confirmed'),
              t ('Thank you! Your payment went through and your tickets are booked.'), [toBooking]);
      else
        show ('confirmed', t ('Booking confirmed'), t ('Your tickets are booked.'), [toBooking]);
      return true;
    case 'pending_payment':
      if (booking.payment_method === 'card' && payment && payment.status === 'pending')
        {
          show ('pending_payment', t ('Payment processing…'),
                t ('Your payment is being processed. This page updates by itself; it usually takes a few seconds.'), []);
          return false;
        }
      show ('pending_payment', t ('Awaiting payment'), t ('This booking is still waiting for its payment.'), [toBooking]);
      return true;
    case 'held':
      show ('expired', t ('Payment failed — try again'),
            payment && payment.status === 'failed'
              ? t ('The payment did not go through. Your tickets are still held for you: you can try again.')
              : t ('The payment was not completed. Your tickets are still held for you: you can try again.'),
            [tryAgain]);
      return true;
    case 'expired':
      show ('expired', t ('Payment failed — try again'),
            t ('The time to pay ran out, so the tickets were released. You can book again if there are tickets left.'),
            [toBooking]);
      return true;
    case 'refunded':
      show ('cancelled', t ('Booking refunded'), t ('This booking was refunded.'), [toBooking]);
      return true;
    default:
      show ('cancelled', t ('Booking cancelled'), t ('This booking was cancelled and its tickets were released.'), [toBooking]);
      return true;
    }
}

/**
 * The booking, and when it waits for a card payment, the booking after the
 * server read that payment again from the provider (when it could not, the
 * booking as it was).
 *
 * @returns {Promise<Booking>}
 */
async function refresh ()
{
  const path = `/api/v1/me/bookings/${encodeURIComponent (id)}`;
  /** @type {Booking} */
  const booking = await get (path);

  if (booking.status !== 'pending_payment' || booking.payment_method !== 'card')
    return booking;
  try
    {
      /** @type {{ booking: Booking }} */
      const answer = await post (`${path}/payment/refresh`);
      if (answer && answer.booking)
        return answer.booking;
    }
  catch
    {
      /* Asked again in the next round. */
    }
  return booking;
}

function gaveUp ()
{
  show ('pending_payment', t ('Payment processing…'),
        t ('Your payment is still being processed. It can take a little longer: your booking will show it as soon as it is through.'),
        [{ href: bookingHref (), text: t ('View your booking'), primary: true }]);
}

export async function init ()
{
  if (!(await requireMe ()))
    return;

  id = decodeURIComponent (location.pathname.split ('/')[2] || '');
  const started = Date.now ();

  const round = async () => {
    try
      {
        if (render (await refresh ()))
          return;
        fill (byId ('paid-error'));
      }
    catch (err)
      {
        if (err instanceof ApiError && (err.status === 404 || err.status === 400))
          {
            show ('expired', t ('Booking not found'), t ('There is no booking of yours at this address.'), []);
            return;
          }
        fill (byId ('paid-error'), h ('p', null, errorText (err)));
      }
    if (Date.now () - started + POLL_MS > GIVE_UP_MS)
      gaveUp ();
    else
      setTimeout (round, POLL_MS);
  };
  await round ();
}
