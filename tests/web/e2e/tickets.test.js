// tickets.test.js: the attendee's tickets, end to end in Chromium — My
// tickets (QR codes, grouped by event, upcoming first, past ones apart), the
// PDF and .ics downloads, the Google Calendar link, the booking page's
// tickets (names on tickets, the paper size, mailing the tickets again and
// its throttle), someone else's booking, signed-out visitors, German; axe
// in light and dark, screenshots at desktop and phone size.
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import fs from 'node:fs';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  DESKTOP, Server, axeViolations, de, h1, launchBrowser, logIn, screenshot, sleep, waitFor, waitForPath,
  waitForText,
} from '../harness.js';
import { bookingPage, scenario, settle } from '../site.js';

/** The phone size the ticket pages must fit. */
const PHONE_375 = { width: 375, height: 812 };

let server;
let browser;
let concert;
let fair;
let oldTimes;
let ada;
let bob;
/** Ada's bookings: two tickets of the concert, one of the fair, one of a past event. */
let concertBooking;
let fairBooking;
let pastBooking;

before(async () => {
  server = await Server.start('tickets');
  browser = await launchBrowser();
  // Created out of order: the page sorts by date, not by creation.
  fair = await server.createEvent({
    title: 'Spring Fair',
    slug: 'spring-fair',
    daysAhead: 60,
    venue: 'Market Hall',
    types: [{ name: 'Day pass', price: 0, capacity: 100 }],
  });
  concert = await server.createEvent({
    title: 'Winter Concert',
    slug: 'winter-concert',
    daysAhead: 20,
    types: [{ name: 'Entry', price: 0, capacity: 100, max_per_order: 10 }],
  });
  oldTimes = await server.createEvent({
    title: 'Old Times',
    slug: 'old-times',
    daysAhead: 10,
    types: [{ name: 'Seat', price: 0, capacity: 10 }],
  });

  ada = await server.createAttendee({ prefix: 'ada', name: 'Ada Lovelace' });
  bob = await server.createAttendee({ prefix: 'bob', name: 'Bob Builder' });
  concertBooking = await server.hold(ada, concert.id, [{ ticket_type_id: concert.types.Entry.id, quantity: 2 }]);
  fairBooking = await server.hold(ada, fair.id, [{ ticket_type_id: fair.types['Day pass'].id, quantity: 1 }]);
  pastBooking = await server.hold(ada, oldTimes.id, [{ ticket_type_id: oldTimes.types.Seat.id, quantity: 1 }]);
  for (const booking of [concertBooking, fairBooking, pastBooking])
    assert.equal(booking.status, 'confirmed', 'a free booking is confirmed at once');
  // The past event: it was booked while on sale, and took place last week.
  server.sql(`UPDATE events SET starts_at = now() - interval '7 days', ends_at = now() - interval '7 days' + interval '3 hours'
               WHERE id = :'id'`, { id: oldTimes.id });
});

after(async () => {
  await browser?.close();
  await server?.cleanUp();
});

// --------------------------------------------------------------- helpers --

/** Waits until every QR code image under `scope` has loaded; returns how many. */
async function qrCodesLoaded(scope, name = /^QR code for entry: /) {
  const images = scope.getByRole('img', { name });
  await images.first().waitFor({ state: 'visible' });
  return waitFor(async () => {
    const sizes = await images.evaluateAll((els) => els.map((el) => (el instanceof HTMLImageElement && el.complete ? el.naturalWidth : 0)));
    return sizes.length > 0 && sizes.every((w) => w > 0) ? sizes.length : 0;
  }, 'the QR codes to load');
}

/** Clicks a download link; returns {name, bytes}. */
async function download(page, link) {
  const [file] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const failure = await file.failure();
  assert.equal(failure, null, `download of ${await link.getAttribute('href')} failed`);
  return { name: file.suggestedFilename(), bytes: fs.readFileSync(await file.path()) };
}

/** GETs a link's target with the page's session; returns the response. */
async function fetchLink(page, link) {
  const href = await link.getAttribute('href');
  assert.ok(href, 'the link has an address');
  return page.request.get(href);
}

/** Google Calendar's form of a UTC time: 20261205T170000Z. */
const stamp = (iso) => new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');

/** Runs axe in light and dark; screenshots at desktop and 375 px phone size, light and dark. */
async function checkLooks(page, name) {
  await page.setViewportSize(DESKTOP);
  await settle(page);
  const violations = await axeViolations(page, name);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await screenshot(page, `tickets/${name}-desktop-${scheme}`);
  }
  await page.setViewportSize(PHONE_375);
  await sleep(50);
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await screenshot(page, `tickets/${name}-phone-${scheme}`);
  }
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  const phoneViolations = await axeViolations(page, `${name} (phone)`);
  await page.emulateMedia({ colorScheme: null });
  await page.setViewportSize(DESKTOP);
  assert.ok(overflow <= 0, `${name} is ${overflow}px wider than a ${PHONE_375.width}px screen`);
  assert.deepEqual([...violations, ...phoneViolations], [], `axe-core found problems:\n${[...violations, ...phoneViolations].join('\n')}`);
}

/** The name on a ticket in the database ('' for none). */
const holderOf = (ticketId) =>
  server.sqlValue(`SELECT '=' || coalesce(holder_name, '') FROM tickets WHERE id = :'id'`, { id: ticketId }).slice(1);

// ----------------------------------------------------------------- tests --

test('signed out, My tickets sends to the login page and back', async () => {
  await scenario(browser, server, 'tickets signed out', async (page) => {
    await page.goto('/tickets');
    const url = await waitForPath(page, /^\/login\?/);
    assert.equal(url.searchParams.get('next'), '/tickets');
    await page.getByLabel('Email', { exact: true }).fill(ada.email);
    await page.getByLabel('Password', { exact: true }).fill(ada.password);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await waitForPath(page, '/tickets');
    await h1(page, 'My tickets');
  });
});

test('My tickets: QR codes by event, upcoming first, PDF and calendar downloads', async () => {
  await scenario(browser, server, 'my tickets', async (page, context) => {
    await logIn(context, server, ada);
    await page.goto('/');
    await page.getByRole('link', { name: 'My tickets', exact: true }).click();
    await waitForPath(page, '/tickets');
    await h1(page, 'My tickets');
    assert.equal(await page.getByRole('link', { name: 'My tickets', exact: true }).getAttribute('aria-current'), 'page');

    // Upcoming events, soonest first, then the past one apart, without codes.
    const main = page.getByRole('main');
    await qrCodesLoaded(main);
    assert.deepEqual(await main.getByRole('heading', { level: 2 }).allInnerTexts(),
                     ['Winter Concert', 'Spring Fair', 'Past events', 'Old Times']);
    const concertGroup = main.getByRole('region', { name: 'Winter Concert', exact: true });
    const fairGroup = main.getByRole('region', { name: 'Spring Fair', exact: true });
    const past = main.getByRole('region', { name: 'Past events', exact: true });
    assert.equal(await qrCodesLoaded(concertGroup), 2);
    assert.equal(await qrCodesLoaded(fairGroup), 1);
    assert.equal(await past.getByRole('img').count(), 0, 'no QR codes for past events');
    await waitForText(past, /Old Times/);

    // Each ticket: its type, the name on it, the alt text, the link to its booking.
    const [first, second] = await concertGroup.getByRole('listitem').all();
    await waitForText(first, /^Entry Ticket 1 /);
    await waitForText(second, /^Entry Ticket 2 /);
    await waitForText(first, /Name on ticket\s*Not set/i);
    assert.equal(await first.getByRole('img').getAttribute('alt'), 'QR code for entry: Entry ticket for Winter Concert');
    const view = concertGroup.getByRole('link', { name: 'View booking', exact: true });
    assert.equal(await view.getAttribute('href'), `/bookings/${concertBooking.id}`);
    await waitForText(concertGroup, /Town Hall, Market Square 1, 10115 Berlin/);

    // One ticket's PDF.
    const ticketPdf = first.getByRole('link', { name: 'Download PDF', exact: true });
    const ticketId = await first.getAttribute('data-ticket-id');
    const href = new URL(await ticketPdf.getAttribute('href'), server.url);
    assert.equal(href.pathname, `/api/v1/me/bookings/${concertBooking.id}/tickets.pdf`);
    assert.equal(href.searchParams.get('ticket'), ticketId);
    assert.equal(href.searchParams.get('lang'), 'en');
    assert.match(href.searchParams.get('paper'), /^(a4|letter)$/);
    const pdf = await download(page, ticketPdf);
    assert.equal(pdf.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.match(pdf.name, /\.pdf$/);
    const pdfResponse = await fetchLink(page, ticketPdf);
    assert.equal(pdfResponse.status(), 200);
    assert.match(pdfResponse.headers()['content-type'], /^application\/pdf/);
    assert.match(pdfResponse.headers()['content-disposition'] ?? '', /^attachment/);

    // The booking's PDF holds both tickets; the second ticket has its own.
    const bookingPdf = concertGroup.getByRole('link', { name: 'All tickets (PDF)', exact: true });
    assert.equal(new URL(await bookingPdf.getAttribute('href'), server.url).searchParams.get('ticket'), null);
    const all = await download(page, bookingPdf);
    assert.equal(all.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.ok(all.bytes.length > pdf.bytes.length, 'two tickets make a bigger PDF than one');
    assert.equal(await second.getByRole('link', { name: 'Download PDF', exact: true }).count(), 1);

    // The calendar file.
    const ics = concertGroup.getByRole('link', { name: 'Calendar file (.ics)', exact: true });
    const calendar = await download(page, ics);
    assert.match(calendar.bytes.toString('utf8'), /^BEGIN:VCALENDAR\r?\n/);
    assert.match(calendar.bytes.toString('utf8'), /SUMMARY:Winter Concert/);
    assert.equal(calendar.name, 'winter-concert.ics');
    const icsResponse = await fetchLink(page, ics);
    assert.match(icsResponse.headers()['content-type'], /^text\/calendar/);

    // Google Calendar: a new tab, with the event's UTC times, title and place.
    const google = concertGroup.getByRole('link', { name: /^Add to Google Calendar/ });
    assert.equal(await google.getAttribute('target'), '_blank');
    assert.match(await google.getAttribute('rel'), /noopener/);
    const url = new URL(await google.getAttribute('href'));
    assert.equal(url.origin + url.pathname, 'https://calendar.google.com/calendar/render');
    assert.equal(url.searchParams.get('action'), 'TEMPLATE');
    assert.equal(url.searchParams.get('text'), 'Winter Concert');
    assert.equal(url.searchParams.get('dates'), `${stamp(concert.starts_at)}/${stamp(concert.ends_at)}`);
    assert.equal(url.searchParams.get('location'), 'Town Hall, Market Square 1, 10115 Berlin');
    assert.equal(url.searchParams.get('ctz'), 'Europe/Berlin');

    // The paper size picker follows every PDF link, and is remembered.
    await page.getByLabel('Paper size for PDFs', { exact: true }).selectOption('letter');
    for (const link of await main.locator('a[href*="tickets.pdf"]').all())
      assert.equal(new URL(await link.getAttribute('href'), server.url).searchParams.get('paper'), 'letter');
    await page.reload();
    await h1(page, 'My tickets');
    assert.equal(await page.getByLabel('Paper size for PDFs', { exact: true }).inputValue(), 'letter');
    await page.getByLabel('Paper size for PDFs', { exact: true }).selectOption('a4');

    await qrCodesLoaded(main);
    await checkLooks(page, 'my-tickets');
  });
});

test('the booking page: tickets, names on tickets, PDF paper, mailing the tickets again', async () => {
  await scenario(browser, server, 'booking tickets', async (page, context) => {
    await logIn(context, server, ada);
    await page.goto(`/bookings/${concertBooking.id}`);
    await bookingPage(page, 'Booking confirmed');
    const tickets = page.getByRole('region', { name: 'Your tickets', exact: true });
    assert.equal(await qrCodesLoaded(tickets), 2);

    // PDFs on A4 or US Letter.
    const paper = tickets.getByLabel('Paper size for PDFs', { exact: true });
    const allPdf = tickets.getByRole('link', { name: 'All tickets (PDF)', exact: true });
    await paper.selectOption('letter');
    assert.equal(new URL(await allPdf.getAttribute('href'), server.url).searchParams.get('paper'), 'letter');
    const letter = await download(page, allPdf);
    assert.equal(letter.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.match(letter.bytes.toString('latin1'), /\/MediaBox\s*\[\s*0 0 612 792\s*\]/, 'US Letter pages');
    await paper.selectOption('a4');
    assert.equal(new URL(await allPdf.getAttribute('href'), server.url).searchParams.get('paper'), 'a4');
    const a4 = await download(page, allPdf);
    assert.equal(a4.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.match(a4.bytes.toString('latin1'), /\/MediaBox\s*\[\s*0 0 595\.\d+ 841\.\d+\s*\]/, 'A4 pages');
    const ics = await download(page, tickets.getByRole('link', { name: 'Calendar file (.ics)', exact: true }));
    assert.match(ics.bytes.toString('utf8'), /^BEGIN:VCALENDAR/);

    // A name on the first ticket: saved, announced, kept.
    const first = tickets.getByRole('listitem').first();
    const ticketId = await first.getAttribute('data-ticket-id');
    await first.getByRole('button', { name: 'Change name', exact: true }).click();
    const nameInput = first.getByLabel('Name on ticket', { exact: true });
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'holder_name', 'the field has the focus');
    await nameInput.fill('Grace Hopper');
    await checkLooks(page, 'booking-name-form');
    await first.getByRole('button', { name: 'Save name', exact: true }).click();
    await waitForText(first.getByRole('status'), /^Name saved: Grace Hopper\.$/);
    await waitForText(first, /Name on ticket\s*Grace Hopper/i);
    assert.equal(holderOf(ticketId), 'Grace Hopper');
    await page.reload();
    await bookingPage(page, 'Booking confirmed');
    await waitForText(tickets.locator(`[data-ticket-id="${ticketId}"]`), /Name on ticket\s*Grace Hopper/i);

    // The keyboard alone: Enter opens the form on the field, Escape closes
    // it unchanged, Enter saves; an empty name removes it.
    const second = tickets.getByRole('listitem').nth(1);
    const secondId = await second.getAttribute('data-ticket-id');
    const change = second.getByRole('button', { name: 'Change name', exact: true });
    const focusedName = () => page.evaluate(() => document.activeElement?.getAttribute('name') ?? document.activeElement?.textContent?.trim());
    await change.focus();
    await page.keyboard.press('Enter');
    assert.equal(await focusedName(), 'holder_name');
    await page.keyboard.type('Nobody');
    await page.keyboard.press('Escape');
    await second.getByLabel('Name on ticket', { exact: true }).waitFor({ state: 'hidden' });
    assert.equal(await focusedName(), 'Change name', 'the focus is back on the button');
    assert.equal(holderOf(secondId), '');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Alan Turing');
    await page.keyboard.press('Enter');
    await waitForText(second.getByRole('status'), /^Name saved: Alan Turing\.$/);
    assert.equal(holderOf(secondId), 'Alan Turing');
    assert.equal(await focusedName(), 'Change name');
    await page.keyboard.press('Enter');
    assert.equal(await second.getByLabel('Name on ticket', { exact: true }).inputValue(), 'Alan Turing');
    await second.getByLabel('Name on ticket', { exact: true }).fill('');
    await page.keyboard.press('Enter');
    await waitForText(second.getByRole('status'), /^Name removed\.$/);
    await waitForText(second, /Name on ticket\s*Not set/i);
    assert.equal(holderOf(secondId), '');

    // Mail the tickets again: on its way; at once again: not yet, and when.
    // (The confirmation mailed them when the booking was made: that was
    // an hour ago, as far as the throttle knows.)
    server.sql(`UPDATE bookings SET tickets_mailed_at = now() - interval '1 hour' WHERE id = :'id'`, { id: concertBooking.id });
    const resend = tickets.getByRole('button', { name: 'Email my tickets again', exact: true });
    const resendStatus = tickets.locator('#resend-status[role="status"]');
    await resend.click();
    await waitForText(resendStatus, new RegExp(`^Your tickets are on their way to ${ada.email.replace(/[.+]/g, '\\$&')}\\.`));
    await resend.click();
    await waitForText(resendStatus, /^Your tickets were emailed a moment ago\. You can send them again in (\d+ seconds|1 minute|2 minutes) \(at \d{1,2}:\d{2}( [AP]M)?\)\.$/);
    assert.equal(await resend.isEnabled(), true);

    await qrCodesLoaded(tickets);
    await checkLooks(page, 'booking-tickets');
  });
});

test('a name can no longer be changed once the event has started', async () => {
  await scenario(browser, server, 'name too late', async (page, context) => {
    await logIn(context, server, ada);
    await page.goto(`/bookings/${fairBooking.id}`);
    await bookingPage(page, 'Booking confirmed');
    const card = page.getByRole('region', { name: 'Your tickets', exact: true }).getByRole('listitem').first();
    const ticketId = await card.getAttribute('data-ticket-id');
    await card.getByRole('button', { name: 'Change name', exact: true }).click();
    // The event starts while the form is open.
    server.sql(`UPDATE events SET starts_at = now() - interval '1 minute' WHERE id = :'id'`, { id: fair.id });
    try {
      await card.getByLabel('Name on ticket', { exact: true }).fill('Too Late');
      await card.getByRole('button', { name: 'Save name', exact: true }).click();
      await waitForText(card.getByRole('alert'), /^The event has started, so the name can no longer be changed here\./);
      assert.equal(await card.getByLabel('Name on ticket', { exact: true }).getAttribute('aria-invalid'), 'true');
      assert.equal(holderOf(ticketId), '');
      await screenshot(page, 'tickets/booking-name-too-late');
      // Read again, the page offers no change any more.
      await page.reload();
      await bookingPage(page, 'Booking confirmed');
      await waitForText(page.getByRole('region', { name: 'Your tickets', exact: true }), /can only be changed by the organizer/);
      assert.equal(await page.getByRole('button', { name: 'Change name', exact: true }).count(), 0);
    } finally {
      server.sql(`UPDATE events SET starts_at = ends_at - interval '3 hours' WHERE id = :'id'`, { id: fair.id });
    }
  });
});

test('someone else’s booking is not found, and their own tickets page is empty', async () => {
  await scenario(browser, server, 'other attendee', async (page, context) => {
    await logIn(context, server, bob);
    await page.goto(`/bookings/${concertBooking.id}`);
    await h1(page, 'Booking not found');
    await waitForText(page.getByRole('main'), /There is no booking of yours at this address\./);
    assert.equal(await page.getByRole('region', { name: 'Your tickets', exact: true }).count(), 0);
    assert.equal(await page.getByRole('img', { name: /QR code/ }).count(), 0);
    const r = await page.request.get(`/api/v1/me/bookings/${concertBooking.id}/tickets`);
    assert.equal(r.status(), 404);

    await page.goto('/tickets');
    await h1(page, 'My tickets');
    await page.getByRole('heading', { name: 'No tickets yet', exact: true }).waitFor();
    await checkLooks(page, 'my-tickets-empty');
  });
});

test('in German', async () => {
  // The profile's language wins over the browser's.
  const greta = await server.createAttendee({ prefix: 'greta', name: 'Greta Garbo', locale: 'de' });
  const booking = await server.hold(greta, concert.id, [{ ticket_type_id: concert.types.Entry.id, quantity: 1 }]);
  await scenario(browser, server, 'tickets german', async (page, context) => {
    await logIn(context, server, greta);
    await page.goto('/tickets');
    await h1(page, de('My tickets'));
    assert.equal(await qrCodesLoaded(page.getByRole('main'), /^QR-Code für den Einlass: /), 1);
    assert.equal(await page.getByRole('img').first().getAttribute('alt'),
                 de('QR code for entry: {type} ticket for {event}').replace('{type}', 'Entry').replace('{event}', 'Winter Concert'));
    const pdf = page.getByRole('link', { name: de('Download PDF'), exact: true }).first();
    assert.equal(new URL(await pdf.getAttribute('href'), server.url).searchParams.get('lang'), 'de');
    const file = await download(page, pdf);
    assert.equal(file.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    await page.getByRole('link', { name: de('Calendar file (.ics)'), exact: true }).first().waitFor();
    await checkLooks(page, 'my-tickets-de');

    await page.goto(`/bookings/${booking.id}`);
    await h1(page, de('Booking confirmed'));
    await page.getByRole('button', { name: de('Email my tickets again'), exact: true }).click();
    await waitForText(page.locator('#resend-status'), /^Deine Tickets wurden gerade erst per E-Mail gesendet\. Du kannst sie in \d+ (Sekunden|Minuten?) wieder senden \(um \d{1,2}:\d{2}\)\.$/);
    await checkLooks(page, 'booking-tickets-de');
  }, { locale: 'de-DE' });
});

test('the server stops cleanly', async () => {
  await browser.close();
  browser = null;
  await server.stop();
});
