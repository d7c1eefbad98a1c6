// pages/events.js: the list of upcoming events, with search and paging.

import { get } from '../api.js';
import { byId, fill, h } from '../dom.js';
import { dateTile, formatEventTime, formatPrice, t } from '../i18n.js';

const PAGE_SIZE = 12;

/**
 * "2025-06-14" → the start of that day in this browser's zone, as RFC 3339.
 *
 * @param {string} day
 * @param {number} [addDays]
 * @returns {string | null}
 */
function dayStart (day, addDays = 0)
{
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec (day);

  if (!m)
    return null;
  return new Date (Number (m[1]), Number (m[2]) - 1, Number (m[3]) + addDays).toISOString ();
}

/**
 * @param {import('../types.js').PublicEvent} ev
 * @returns {string}
 */
function priceRange (ev)
{
  if (ev.price_min === null || ev.price_min === undefined ||
      ev.price_max === null || ev.price_max === undefined)
    return '';
  if (ev.price_min === ev.price_max)
    return formatPrice (ev.price_min, ev.currency);
  if (ev.price_min === 0)
    return t ('Free – {price}', { price: formatPrice (ev.price_max, ev.currency) });
  return t ('{min} – {max}', { min: formatPrice (ev.price_min, ev.currency),
                                 max: formatPrice (ev.price_max, ev.currency) });
}

/**
 * @param {import('../types.js').PublicEvent} ev
 * @returns {HTMLLIElement}
 */
function card (ev)
{
  const tile = dateTile (ev.starts_at, ev.timezone);
  const available = ev.available ?? 0;
  const capacity = ev.capacity ?? 0;
  let badge = null;

  if (ev.sold_out)
    badge = h ('span', { class: 'badge badge-soldout' }, t ('Sold out'));
  else if (available > 0 && (available <= 10 || available <= capacity * 0.1))
    badge = h ('span', { class: 'badge badge-few' }, t ('Few left'));

  return h ('li', null,
    h ('article', { class: 'event-card' },
      h ('div', { class: 'date-tile', 'aria-hidden': 'true' },
        h ('span', { class: 'date-tile-month' }, tile.month),
        h ('span', { class: 'date-tile-day' }, tile.day)),
      h ('div', { class: 'event-card-body' },
        h ('h2', { class: 'event-card-title' },
          h ('a', { href: `/e/${encodeURIComponent (ev.slug)}` }, ev.title)),
        h ('p', { class: 'meta icon-clock' },
          h ('time', { datetime: ev.starts_at }, formatEventTime (ev.starts_at, ev.ends_at, ev.timezone))),
        ev.venue ? h ('p', { class: 'meta icon-pin' }, ev.venue) : null,
        h ('div', { class: 'event-card-foot' },
          h ('span', { class: 'price' }, priceRange (ev)),
          badge))));
}

export async function init ()
{
  const params = new URLSearchParams (location.search);
  const q = (params.get ('q') || '').trim ();
  const from = params.get ('from') || '';
  const to = params.get ('to') || '';
  const list = byId ('event-list');
  const status = byId ('events-status');
  const empty = byId ('events-empty');
  const errorBox = byId ('events-error');
  const more = byId ('more-events', HTMLButtonElement);
  const filtered = Boolean (q || from || to);
  /** @type {string | null} */
  let cursor = null;
  let shown = 0;

  byId ('search-q', HTMLInputElement).value = q;
  byId ('search-from', HTMLInputElement).value = from;
  byId ('search-to', HTMLInputElement).value = to;
  byId ('clear-search').hidden = !filtered;

  /** @param {boolean} first */
  async function load (first)
  {
    const query = new URLSearchParams ({ limit: String (PAGE_SIZE) });
    const fromIso = dayStart (from);
    const toIso = dayStart (to, 1);

    if (q)
      query.set ('q', q);
    if (fromIso)
      query.set ('from', fromIso);
    if (toIso)
      query.set ('to', toIso);
    if (cursor)
      query.set ('cursor', cursor);

    errorBox.textContent = '';
    more.disabled = true;
    list.setAttribute ('aria-busy', 'true');
    try
      {
        /** @type {import('../types.js').Page<import('../types.js').PublicEvent>} */
        const page = await get (`/api/v1/public/events?${query}`);
        if (first)
          fill (list);
        list.append (...page.items.map (card));
        shown += page.items.length;
        cursor = page.next_cursor;
        more.hidden = !cursor;
        empty.hidden = shown > 0;
        list.hidden = shown === 0;
        if (shown === 0 && filtered)
          byId ('events-empty-hint').textContent =
            t ('No events match your search. Try other words or dates.');
        status.textContent = filtered ? t ('Events found: {count}', { count: page.total }) : '';
      }
    catch (err)
      {
        if (first)
          fill (list);
        errorBox.replaceChildren (
          h ('p', null, t ('The events could not be loaded.')),
          h ('button', { class: 'button button-secondary', type: 'button',
                         onclick: () => load (first) }, t ('Try again')));
      }
    finally
      {
        more.disabled = false;
        list.removeAttribute ('aria-busy');
      }
  }

  more.addEventListener ('click', async () => {
    const before = list.children.length;
    await load (false);
    const next = list.children[before];
    const link = next ? next.querySelector ('a') : null;
    if (link)
      link.focus ();
  });

  await load (true);
}
