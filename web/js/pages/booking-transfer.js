// pages/booking-transfer.js: how to pay a booking by bank transfer —
// amount, reference (with a button that copies it), the account details,
// and the deadline in the event's time zone. The page prints cleanly.

import { ApiError, errorText, get, requireMe } from '../api.js';
import { eventOf, formatDeadline } from '../booking-info.js';
import { byId, fill, h } from '../dom.js';
import { formatMoney, t } from '../i18n.js';

/** @typedef {import('../types.js').Booking} Booking */

/** @param {string} message */
function showError (message)
{
  fill (byId ('transfer-error'), message ? h ('p', null, message) : null);
}

/** @param {string} reference */
async function copyReference (reference)
{
  const status = byId ('copy-status');

  status.textContent = '';
  try
    {
      await navigator.clipboard.writeText (reference);
      status.textContent = t ('Reference copied.');
    }
  catch
    {
      /* No clipboard (permissions, an old browser): select it instead. */
      const selection = window.getSelection ();
      const range = document.createRange ();
      range.selectNodeContents (byId ('transfer-reference'));
      selection?.removeAllRanges ();
      selection?.addRange (range);
      status.textContent = t ('The reference is selected: copy it with your device’s copy command.');
    }
}

/** The booking has no open bank transfer: say what it is instead. */
/** @param {Booking} booking */
function noTransfer (booking)
{
  byId ('transfer-body').hidden = true;
  for (const el of document.querySelectorAll ('.transfer-note, #print-transfer'))
    if (el instanceof HTMLElement)
      el.hidden = true;
  byId ('transfer-lead').textContent = booking.paid
    ? t ('This booking is paid. There is nothing left to transfer.')
    : t ('This booking is not waiting for a bank transfer.');
}

export async function init ()
{
  if (!(await requireMe ()))
    return;

  const id = decodeURIComponent (location.pathname.split ('/')[2] || '');
  const link = byId ('transfer-booking', HTMLAnchorElement);
  /** @type {Booking} */
  let booking;

  link.href = `/bookings/${encodeURIComponent (id)}`;
  byId ('print-transfer').addEventListener ('click', () => window.print ());
  try
    {
      booking = await get (`/api/v1/me/bookings/${encodeURIComponent (id)}`);
    }
  catch (err)
    {
      const missing = err instanceof ApiError && (err.status === 404 || err.status === 400);
      byId ('transfer-body').hidden = true;
      byId ('transfer-title').textContent = missing ? t ('Booking not found') : t ('Pay by bank transfer');
      byId ('transfer-lead').textContent = missing ? t ('There is no booking of yours at this address.') : '';
      if (!missing)
        showError (errorText (err));
      return;
    }

  const transfer = booking.transfer;
  if (!transfer || booking.status !== 'pending_payment')
    {
      noTransfer (booking);
      return;
    }
  const event = await eventOf (booking);
  byId ('transfer-amount').textContent = formatMoney (transfer.amount, transfer.currency);
  byId ('transfer-reference').textContent = transfer.reference;
  byId ('transfer-deadline').textContent = formatDeadline (transfer.deadline, event ? event.timezone : null);
  byId ('transfer-details').textContent = transfer.details;
  if (event)
    byId ('transfer-lead').textContent = t ('Transfer the amount below to the organizer\'s account for “{event}”, with the reference exactly as shown.',
                                             { event: event.title });
  byId ('copy-reference').addEventListener ('click', () => copyReference (transfer.reference));
}
