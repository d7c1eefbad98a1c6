// ticket-cards.js: tickets as their holder sees them, shared by My tickets
// (/tickets) and the booking page: the QR code to show at the entrance,
// the name on the ticket, the PDF and calendar downloads.
//
// The downloads are plain links to the API (the session cookie goes with
// them; the server answers with Content-Disposition: attachment), so they
// work without the script having to hold the file. The PDF's paper size is
// a preference kept on this device; its default follows the browser's
// region (US Letter in North America and a few others, else A4).

import { ApiError, errorText, request, serverNow } from './api.js';
import { focus, h, setFieldError } from './dom.js';
import { currentLang, t } from './i18n.js';

/** @typedef {import('./types.js').Ticket} Ticket */
/** @typedef {'a4' | 'letter'} Paper */

/**
 * What a ticket's event is as far as these pages need it.
 *
 * @typedef {Object} CalendarEvent
 * @property {string} title
 * @property {string | null} [slug]
 * @property {string | null} starts_at
 * @property {string | null} ends_at
 * @property {string | null} [timezone]
 * @property {string | null} [venue]
 * @property {string | null} [address]
 */

const PAPER_KEY = 'everato.paper';
/** Regions where US Letter is the usual paper. */
const LETTER_REGIONS = ['US', 'CA', 'MX', 'PH', 'CL', 'CO', 'VE', 'PR', 'GT', 'CR', 'PA', 'DO', 'SV', 'NI'];
/** Longest name on a ticket (the server's limit). */
export const HOLDER_NAME_MAX = 100;

/* Paper */

/**
 * @param {unknown} value
 * @returns {value is Paper}
 */
function isPaper (value)
{
  return value === 'a4' || value === 'letter';
}

/** @returns {Paper} the paper size for PDFs: chosen on this device, else the region's */
export function paperPreference ()
{
  let stored = null;

  try { stored = localStorage.getItem (PAPER_KEY); } catch { /* storage disabled */ }
  if (isPaper (stored))
    return stored;
  for (const tag of navigator.languages || [navigator.language])
    {
      const region = /-([A-Za-z]{2})\b/.exec (String (tag));
      if (region)
        return LETTER_REGIONS.includes (region[1].toUpperCase ()) ? 'letter' : 'a4';
    }
  return 'a4';
}

/** @param {Paper} paper */
function setPaperPreference (paper)
{
  try { localStorage.setItem (PAPER_KEY, paper); } catch { /* storage disabled */ }
}

/* Addresses */

/** @param {string} bookingId */
function bookingApi (bookingId)
{
  return `/api/v1/me/bookings/${encodeURIComponent (bookingId)}`;
}

/**
 * The PDF of a booking's tickets (or of one of them), in the page's
 * language and on the preferred paper.
 *
 * @param {string} bookingId
 * @param {string | null} [ticketId]
 * @returns {string}
 */
export function pdfUrl (bookingId, ticketId)
{
  const query = new URLSearchParams ({ paper: paperPreference () });

  if (ticketId)
    query.set ('ticket', ticketId);
  query.set ('lang', currentLang ());
  return `${bookingApi (bookingId)}/tickets.pdf?${query}`;
}

/**
 * @param {string} bookingId
 * @returns {string} the booking's event as an iCalendar file
 */
export function icsUrl (bookingId)
{
  return `${bookingApi (bookingId)}/event.ics`;
}

/** @param {string} iso  e.g. 2026-12-05T18:00:00Z → 20261205T180000Z */
function calendarStamp (iso)
{
  return new Date (iso).toISOString ().replace (/\.\d{3}Z$/, 'Z').replace (/[-:]/g, '');
}

/**
 * A Google Calendar link that opens the event, filled in, for saving; null
 * without a start.
 *
 * @param {CalendarEvent} event
 * @returns {string | null}
 */
export function googleCalendarUrl (event)
{
  if (!event.starts_at || Number.isNaN (Date.parse (event.starts_at)))
    return null;
  const end = event.ends_at && !Number.isNaN (Date.parse (event.ends_at))
    ? event.ends_at : new Date (Date.parse (event.starts_at) + 3600e3).toISOString ();
  const query = new URLSearchParams ({
    action: 'TEMPLATE',
    text: event.title,
    dates: `${calendarStamp (event.starts_at)}/${calendarStamp (end)}`,
  });
  const place = [event.venue, event.address].filter (Boolean).join (', ');

  if (place)
    query.set ('location', place);
  if (event.slug)
    query.set ('details', `${location.origin}/e/${encodeURIComponent (event.slug)}`);
  if (event.timezone)
    query.set ('ctz', event.timezone);
  return `https://calendar.google.com/calendar/render?${query}`;
}

/* Links */

/**
 * A link to the PDF of a booking's tickets (or one ticket) that follows the
 * paper size picker.
 *
 * @param {string} bookingId
 * @param {string | null} ticketId
 * @param {string} text
 * @param {Record<string, string>} [attrs]  more attributes (class, aria-describedby…)
 * @returns {HTMLAnchorElement}
 */
export function pdfLink (bookingId, ticketId, text, attrs = {})
{
  return h ('a', {
    class: 'button button-secondary button-small icon-download',
    ...attrs,
    href: pdfUrl (bookingId, ticketId),
    download: true,
    'data-pdf-booking': bookingId,
    'data-pdf-ticket': ticketId,
  }, text);
}

/** Points every PDF link of the page at the preferred paper size. */
function refreshPdfLinks ()
{
  for (const link of document.querySelectorAll ('a[data-pdf-booking]'))
    if (link instanceof HTMLAnchorElement)
      link.href = pdfUrl (link.dataset.pdfBooking || '', link.dataset.pdfTicket || null);
}

/**
 * The paper size picker for the page's PDF links.
 *
 * @param {string} id  of the select
 * @returns {HTMLDivElement}
 */
export function paperPicker (id)
{
  const paper = paperPreference ();
  const select = h ('select', {
    id,
    autocomplete: 'off',
    onchange: () => {
      if (isPaper (select.value))
        setPaperPreference (select.value);
      refreshPdfLinks ();
    },
  },
  h ('option', { value: 'a4', selected: paper === 'a4' }, t ('A4')),
  h ('option', { value: 'letter', selected: paper === 'letter' }, t ('US Letter')));

  return h ('div', { class: 'paper-picker' },
    h ('label', { for: id }, t ('Paper size for PDFs')),
    select);
}

/**
 * The calendar links of a booking's event: the .ics file and Google
 * Calendar (a new tab).
 *
 * @param {string} bookingId
 * @param {CalendarEvent | null} event
 * @param {string} [describedBy]  id of what the links are about
 * @returns {HTMLElement[]}
 */
export function calendarLinks (bookingId, event, describedBy)
{
  const google = event ? googleCalendarUrl (event) : null;

  return [
    h ('a', { class: 'button button-secondary button-small icon-calendar', href: icsUrl (bookingId), download: true,
              'aria-describedby': describedBy },
      t ('Calendar file (.ics)')),
    google
      ? h ('a', { class: 'button button-secondary button-small icon-external', href: google, target: '_blank',
                  rel: 'noopener noreferrer', 'aria-describedby': describedBy },
          t ('Add to Google Calendar'),
          h ('span', { class: 'visually-hidden' }, ` ${t ('(opens in a new tab)')}`))
      : null,
  ].filter ((el) => el !== null);
}

/**
 * A short reference for a booking or ticket id, as the booking page shows it.
 *
 * @param {string} id
 * @returns {string}
 */
export function shortRef (id)
{
  return id.slice (0, 8).toUpperCase ();
}

/* Cards */

/**
 * @typedef {Object} CardOptions
 * @property {string} eventTitle
 * @property {'h3' | 'h4'} [heading]  level of the card's heading (h3)
 * @property {boolean} [pdf]  whether the card has a link to its own PDF (true)
 * @property {boolean} [editable]  whether the name on the ticket can be changed here
 * @property {string | null} [startsAt]  the event's start: no changes offered after it
 * @property {(ticket: Ticket) => void} [onChange]  after the name was saved
 */

/**
 * @param {unknown} err
 * @returns {string}
 */
function holderErrorText (err)
{
  if (err instanceof ApiError)
    {
      if (err.code === 'too_late')
        return t ('The event has started, so the name can no longer be changed here. The organizer can still change it for you.');
      if (err.code === 'invalid_transition' || err.status === 404)
        return t ('This ticket is no longer valid. Reload the page to see your current tickets.');
      if (err.status === 400)
        return t ('Enter a name of at most {count} characters.', { count: HOLDER_NAME_MAX });
    }
  return errorText (err);
}

/**
 * One ticket: its QR code, large, and what is on it; with a PDF link and,
 * when editable, a form for the name on the ticket.
 *
 * @param {Ticket} ticket
 * @param {CardOptions} options
 * @returns {HTMLLIElement}
 */
export function ticketCard (ticket, options)
{
  const id = ticket.id;
  const titleId = `ticket-${id}-title`;
  const name = () => (ticket.holder_name || '').trim ();
  const nameText = h ('dd', { class: 'ticket-holder' });
  const showName = () => {
    nameText.textContent = name () || t ('Not set');
    nameText.classList.toggle ('is-unset', !name ());
  };
  const qrNote = h ('p', { class: 'qr-missing', hidden: true },
    t ('The QR code could not be loaded. Reload the page, or use the PDF.'));
  const img = h ('img', {
    src: `/api/v1/me/tickets/${encodeURIComponent (id)}/qr.svg`,
    alt: t ('QR code for entry: {type} ticket for {event}', { type: ticket.ticket_type, event: options.eventTitle }),
    width: 296,
    height: 296,
    decoding: 'async',
    onerror: () => { qrNote.hidden = false; img.hidden = true; },
  });
  const heading = options.heading || 'h3';
  const card = h ('li', { class: 'ticket-card', 'data-ticket-id': id },
    h ('div', { class: 'qr-frame' }, img, qrNote),
    h ('div', { class: 'ticket-card-body' },
      h (heading, { id: titleId, class: 'ticket-card-title' },
        ticket.ticket_type,
        h ('span', { class: 'ticket-card-seq' }, t ('Ticket {number}', { number: ticket.seq }))),
      h ('dl', { class: 'ticket-facts' },
        h ('div', null, h ('dt', null, t ('Name on ticket')), nameText),
        h ('div', null, h ('dt', null, t ('Ticket reference')), h ('dd', { class: 'ticket-ref' }, shortRef (id))))));
  const body = /** @type {HTMLElement} */ (card.lastElementChild);
  const actions = h ('div', { class: 'ticket-card-actions no-print' },
    options.pdf === false ? null : pdfLink (ticket.booking_id, id, t ('Download PDF'), { 'aria-describedby': titleId }));

  showName ();
  body.append (actions);
  if (options.editable)
    body.append (holderEditor (ticket, options, titleId, actions, showName));
  return card;
}

/**
 * The "Change name" button and its form.
 *
 * @param {Ticket} ticket
 * @param {CardOptions} options
 * @param {string} titleId
 * @param {HTMLElement} actions  where the button goes
 * @param {() => void} showName
 * @returns {HTMLElement} the form (and its status line)
 */
function holderEditor (ticket, options, titleId, actions, showName)
{
  const id = ticket.id;
  const inputId = `holder-${id}`;
  const errorId = `holder-${id}-error`;
  const started = () => Boolean (options.startsAt) && Date.parse (options.startsAt || '') <= serverNow ();
  const input = h ('input', {
    id: inputId, name: 'holder_name', type: 'text', maxlength: HOLDER_NAME_MAX, autocomplete: 'off',
    spellcheck: 'false', 'aria-describedby': `holder-${id}-hint`,
  });
  const error = h ('p', { id: errorId, class: 'field-error', role: 'alert' });
  const status = h ('p', { class: 'field-ok', role: 'status' });
  const save = h ('button', { class: 'button button-primary button-small', type: 'submit' }, t ('Save name'));
  const form = h ('form', { class: 'holder-form', hidden: true, novalidate: true },
    h ('label', { for: inputId }, t ('Name on ticket')),
    input,
    h ('p', { id: `holder-${id}-hint`, class: 'field-hint' },
      t ('The name of the person who will use this ticket. Leave it empty to remove the name.')),
    error,
    h ('div', { class: 'form-actions' },
      save,
      h ('button', { class: 'button button-secondary button-small', type: 'button', onclick: () => close (true) },
        t ('Cancel'))));
  const edit = h ('button', {
    class: 'button button-secondary button-small icon-edit', type: 'button', 'aria-describedby': titleId,
    'aria-expanded': 'false', 'aria-controls': `holder-${id}-form`,
    onclick: () => {
      input.value = (ticket.holder_name || '').trim ();
      setFieldError (input, error, '');
      status.textContent = '';
      form.hidden = false;
      edit.hidden = true;
      edit.setAttribute ('aria-expanded', 'true');
      input.focus ();
    },
  }, t ('Change name'));

  form.id = `holder-${id}-form`;
  form.addEventListener ('keydown', (ev) => {
    if (ev.key === 'Escape')
      {
        ev.preventDefault ();
        close (true);
      }
  });
  edit.hidden = started ();

  /** @param {boolean} refocus */
  function close (refocus)
  {
    form.hidden = true;
    edit.hidden = false;
    edit.setAttribute ('aria-expanded', 'false');
    setFieldError (input, error, '');
    if (refocus)
      edit.focus ();
  }

  form.addEventListener ('submit', async (ev) => {
    ev.preventDefault ();
    if (save.disabled)
      return;
    const value = input.value.trim ();
    if (value.length > HOLDER_NAME_MAX)
      {
        setFieldError (input, error, t ('Enter a name of at most {count} characters.', { count: HOLDER_NAME_MAX }));
        input.focus ();
        return;
      }
    setFieldError (input, error, '');
    save.disabled = true;
    save.setAttribute ('aria-busy', 'true');
    try
      {
        /** @type {Ticket} */
        const saved = await request ('PATCH', `/api/v1/me/tickets/${encodeURIComponent (id)}`,
                                     { body: { holder_name: value } });
        ticket.holder_name = saved && typeof saved.holder_name === 'string' ? saved.holder_name : value;
        showName ();
        close (true);
        status.textContent = ticket.holder_name.trim ()
          ? t ('Name saved: {name}.', { name: ticket.holder_name.trim () })
          : t ('Name removed.');
        if (options.onChange)
          options.onChange (ticket);
      }
    catch (err)
      {
        setFieldError (input, error, holderErrorText (err));
        focus (input);
      }
    save.disabled = false;
    save.removeAttribute ('aria-busy');
  });

  actions.prepend (edit);
  return h ('div', { class: 'holder-edit' }, form, status);
}
