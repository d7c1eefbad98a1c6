// booking.test.js: finding an event and booking it, end to end in Chromium
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  Server, PASSWORD, euros, h1, launchBrowser, sleep, waitFor, waitForPath, waitForText,
} from '../harness.js';
import {
  applyCoupon, book, bookingPage, choose, couponInput, getTickets, openEvent,
  quantity, scenario, submitLogin, waitForMain, waitSignedIn,
} from '../site.js';

let server;
let browser;
let concert;
let openDay;

before(async () => {
  server = await Server.start('booking');
  browser = await launchBrowser();
  concert = await server.createEvent({
    title: 'Spring Concert',
    slug: 'spring-concert',
    description: 'Strings and brass.\nDoors open at 18:30.',
    types: [{ name: 'Standard', price: 2500, capacity: 100, max_per_order: 10 }],
    coupons: [{ code: 'SAVE10', kind: 'percent', percent: 10 }],
  });
  openDay = await server.createEvent({
    title: 'Open Day',
    slug: 'open-day',
    daysAhead: 40,
    venue: 'Old Library',
    cancellation_hours: 24,
    types: [{ name: 'Entry', price: 0, capacity: 50 }],
  });
});

after(async () => {
  await browser?.close();
  await server?.cleanUp();
});

test('browse, register, verify, log in, hold paid tickets, book a free event, cancel it', async () => {
  await scenario(browser, server, 'main flow', async (page) => {
    // Browse: the list shows both events with venue and price.
    await page.goto('/');
    await h1(page, 'Upcoming events');
    const concertCard = page.locator('article').filter({ has: page.getByRole('link', { name: 'Spring Concert', exact: true }) });
    const openDayCard = page.locator('article').filter({ has: page.getByRole('link', { name: 'Open Day', exact: true }) });
    await waitForText(concertCard, /Town Hall/);
    await waitForText(concertCard, new RegExp(euros(2500).replace('.', '\\.')));
    await waitForText(openDayCard, /Free/);
    assert.equal(await concertCard.getByRole('link', { name: 'Spring Concert' }).getAttribute('href'), '/e/spring-concert');

    // Search narrows the list.
    await page.getByRole('search').getByLabel('Search', { exact: true }).fill('Spring');
    await page.getByRole('search').getByRole('button', { name: 'Search', exact: true }).click();
    await waitFor(async () => new URL(page.url()).searchParams.get('q') === 'Spring', 'the search in the URL');
    await concertCard.waitFor({ state: 'visible' });
    await openDayCard.waitFor({ state: 'detached' });

    // The event page.
    await concertCard.getByRole('link', { name: 'Spring Concert' }).click();
    await waitForPath(page, '/e/spring-concert');
    await h1(page, 'Spring Concert');
    await waitForMain(page, /Town Hall/);
    await waitForMain(page, /Market Square 1/);
    await waitForMain(page, /Strings and brass\./);

    // Register.
    await page.getByRole('link', { name: 'Log in', exact: true }).click();
    await h1(page, 'Log in');
    await page.getByRole('link', { name: 'Create an account', exact: true }).click();
    await h1(page, 'Create an account');
    const email = `grace-${Date.now()}@example.com`;
    await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account', exact: true }).click();
    await page.getByText('Check your email').first().waitFor({ state: 'visible' });
    assert.equal(server.sqlValue(`SELECT status FROM attendees WHERE email = :'e'`, { e: email }), 'unverified');

    // Verify with the link from the mail.
    const link = await server.mailLink(email, '/verify');
    assert.ok(link.startsWith(`${server.url}/verify?token=`), link);
    await page.goto(link);
    // The link asks for the password chosen at sign-up.
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Confirm email address', exact: true }).click();
    await page.getByText('Email verified').first().waitFor({ state: 'visible' });
    assert.equal(server.sqlValue(`SELECT status FROM attendees WHERE email = :'e'`, { e: email }), 'active');

    // Log in.
    const onward = page.getByRole('main').getByRole('link', { name: /^(Log in|Continue)$/ });
    await onward.first().click();
    if (!new URL(page.url()).pathname.startsWith('/login'))
      await page.goto('/login');
    await submitLogin(page, { email, password: PASSWORD });
    await waitSignedIn(page);
    assert.equal(new URL(page.url()).pathname.startsWith('/login'), false, 'still on the login page');

    // Hold two paid tickets.
    await openEvent(page, concert);
    const standard = concert.types.Standard;
    await choose(page, standard, 2);
    await waitForMain(page, /Total/);
    await waitForMain(page, new RegExp(euros(5000).replace('.', '\\.')));
    const heldId = await book(page, 'Tickets held');
    const timer = page.getByRole('timer');
    await timer.waitFor({ state: 'visible' });
    assert.equal(await timer.getAttribute('id'), 'countdown');
    const first = await waitForText(timer, /^\d{1,2}:\d{2}$/);
    const [mm] = first.split(':').map(Number);
    assert.ok(mm <= 15 && mm >= 13, `countdown ${first} for a 15 minute hold`);
    await waitFor(async () => (await timer.innerText()).trim() !== first, 'the countdown to tick');
    await waitForMain(page, /Standard/);
    await waitForMain(page, new RegExp(euros(5000).replace('.', '\\.')));
    let rows = server.bookingsOf(email);
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0].id, rows[0].status, rows[0].quantity, rows[0].total], [heldId, 'held', 2, 5000]);

    // Book the free event: confirmed at once.
    await page.getByRole('link', { name: 'Events', exact: true }).click();
    await h1(page, 'Upcoming events');
    await page.getByRole('link', { name: 'Open Day', exact: true }).click();
    await h1(page, 'Open Day');
    await choose(page, openDay.types.Entry, 1);
    const freeId = await book(page, 'Booking confirmed');
    rows = server.bookingsOf(email);
    assert.deepEqual(rows.map((r) => r.status), ['held', 'confirmed']);
    assert.equal(rows[1].id, freeId);

    // My bookings lists both.
    await page.getByRole('link', { name: 'My bookings', exact: true }).click();
    await h1(page, 'My bookings');
    const freeLink = page.getByRole('main').locator(`a[href="/bookings/${freeId}"]`);
    const heldLink = page.getByRole('main').locator(`a[href="/bookings/${heldId}"]`);
    await freeLink.first().waitFor({ state: 'visible' });
    await heldLink.first().waitFor({ state: 'visible' });
    await waitForMain(page, /Open Day/);
    await waitForMain(page, /Spring Concert/);

    // Cancel the free booking: first keep it, then cancel.
    await freeLink.first().click();
    await bookingPage(page, 'Booking confirmed');
    await page.getByRole('button', { name: 'Cancel booking', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByRole('button', { name: 'Keep booking', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(server.bookingsOf(email)[1].status, 'confirmed');
    await page.getByRole('button', { name: 'Cancel booking', exact: true }).click();
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByRole('button', { name: 'Yes, cancel booking', exact: true }).click();
    await h1(page, 'Booking cancelled');
    assert.equal(server.bookingsOf(email)[1].status, 'cancelled');

    // The list says so too.
    await page.getByRole('link', { name: 'My bookings', exact: true }).click();
    await h1(page, 'My bookings');
    await waitForText(page.getByRole('main').locator('li, article, tr').filter({ has: page.locator(`a[href="/bookings/${freeId}"]`) }).first(),
                      /Cancelled/i);

    // Log out.
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.getByRole('link', { name: 'Log in', exact: true }).waitFor({ state: 'visible' });
    assert.equal(await page.getByRole('link', { name: 'My bookings', exact: true }).count(), 0);
  });
});

test('a double click on "Get tickets" books once', async () => {
  const who = await server.createAttendee({ prefix: 'double' });
  await scenario(browser, server, 'double click', async (page, context) => {
    await context.request.post(`${server.url}/api/v1/auth/login`, { data: { email: who.email, password: who.password } });
    // A slow answer, so the second click lands while the first is on its way.
    const keys = [];
    await page.route('**/api/v1/bookings', async (route) => {
      if (route.request().method() === 'POST') {
        keys.push(route.request().headers()['idempotency-key']);
        await sleep(500);
      }
      await route.fallback();
    });
    await openEvent(page, concert);
    await choose(page, concert.types.Standard, 1);
    await waitForMain(page, new RegExp(euros(2500).replace('.', '\\.')));
    await getTickets(page).dblclick();
    await bookingPage(page, 'Tickets held');
    await sleep(1000);
    const rows = server.bookingsOf(who.email);
    assert.equal(rows.length, 1, `bookings: ${JSON.stringify(rows)}`);
    assert.equal(rows[0].quantity, 1);
    assert.ok(keys.length >= 1);
    assert.equal(new Set(keys).size, 1, `a retry must reuse the Idempotency-Key: ${keys}`);
  });
});

test('an expired hold says so and offers to try again', async () => {
  const who = await server.createAttendee({ prefix: 'expiry' });
  await scenario(browser, server, 'expired hold', async (page, context) => {
    await context.request.post(`${server.url}/api/v1/auth/login`, { data: { email: who.email, password: who.password } });
    await openEvent(page, concert);
    await choose(page, concert.types.Standard, 1);
    const id = await book(page, 'Tickets held');
    server.sql(`UPDATE bookings SET expires_at = now() + interval '6 seconds' WHERE id = :'id'`, { id });
    await page.reload();
    await h1(page, 'Tickets held');
    await waitForText(page.getByRole('timer'), /^0?0:0[0-6]$/);
    // The page itself notices the end, without being reloaded.
    await page.evaluate(() => { /** @type {any} */ (window).stillThisPage = true; });
    await h1(page, 'Hold expired');
    assert.equal(await page.evaluate(() => /** @type {any} */ (window).stillThisPage), true);
    const again = page.getByRole('link', { name: 'Try again', exact: true });
    await again.waitFor({ state: 'visible' });
    assert.equal(await again.getAttribute('href'), '/e/spring-concert');
    await waitFor(() => server.bookingsOf(who.email)[0].status === 'expired', 'the hold to expire in the database');
    await again.click();
    await h1(page, 'Spring Concert');
  });
});

/** Presses Tab until fn(the focused element's description) holds. */
async function tabTo(page, what, fn, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body)
        return null;
      const label = el instanceof HTMLInputElement && el.labels && el.labels[0] ? el.labels[0].textContent : '';
      return {
        tag: el.tagName.toLowerCase(),
        text: (el.textContent || '').replace(/\s+/g, ' ').trim(),
        label: (el.getAttribute('aria-label') || label || '').replace(/\s+/g, ' ').trim(),
        inDialog: Boolean(el.closest('dialog[open]')),
      };
    });
    if (focused && fn(focused))
      return focused;
  }
  throw new Error(`Tab never reached ${what}`);
}

/** The focused element shows a focus indicator (outline or ring). */
async function assertFocusVisible(page, what) {
  const style = await page.evaluate(() => {
    const el = /** @type {HTMLElement} */ (document.activeElement);
    const s = getComputedStyle(el);
    return { outline: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow, visible: el.matches(':focus-visible') };
  });
  assert.ok(style.visible, `${what} matches :focus-visible`);
  assert.ok((style.outline !== 'none' && style.width !== '0px') || style.shadow !== 'none',
            `${what} shows where the focus is: ${JSON.stringify(style)}`);
}

test('booking and cancelling with the keyboard alone', async () => {
  const who = await server.createAttendee({ prefix: 'keys' });
  await scenario(browser, server, 'keyboard', async (page, context) => {
    await context.request.post(`${server.url}/api/v1/auth/login`, { data: { email: who.email, password: who.password } });
    await openEvent(page, concert);

    // The skip link comes first and leads into the content.
    const skip = await tabTo(page, 'the skip link', () => true, 1);
    assert.equal(skip.text, 'Skip to content');
    await assertFocusVisible(page, 'the skip link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => location.hash === '#main' || document.activeElement?.id === 'main' ||
                                         Boolean(document.activeElement?.closest('main'))), true,
                 'the skip link moves to the content');

    await tabTo(page, 'the quantity field', (f) => f.label === 'Quantity for Standard');
    await assertFocusVisible(page, 'the quantity field');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    assert.equal(await quantity(page, concert.types.Standard).inputValue(), '2');
    await waitForMain(page, new RegExp(euros(5000).replace('.', '\\.')));
    await tabTo(page, '"Get tickets"', (f) => f.tag === 'button' && f.text === 'Get tickets');
    await assertFocusVisible(page, '"Get tickets"');
    await page.keyboard.press('Enter');
    const id = await bookingPage(page, 'Tickets held');

    // Cancel: Space opens the dialog, focus goes into it, Enter confirms.
    await tabTo(page, '"Cancel booking"', (f) => f.tag === 'button' && f.text === 'Cancel booking');
    await page.keyboard.press('Space');
    await page.getByRole('dialog').waitFor({ state: 'visible' });
    assert.equal(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog[open]'))), true,
                 'the focus moves into the dialog');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    assert.equal(server.bookingsOf(who.email)[0].status, 'held', 'Escape keeps the booking');
    await tabTo(page, '"Cancel booking"', (f) => f.tag === 'button' && f.text === 'Cancel booking');
    await page.keyboard.press('Space');
    await page.getByRole('dialog').waitFor({ state: 'visible' });
    const yes = await tabTo(page, '"Yes, cancel booking"', (f) => f.inDialog && f.text === 'Yes, cancel booking', 6);
    assert.equal(yes.inDialog, true);
    await page.keyboard.press('Enter');
    await h1(page, 'Booking cancelled');
    const rows = server.bookingsOf(who.email);
    assert.deepEqual(rows.map((r) => [r.id, r.status, r.quantity]), [[id, 'cancelled', 2]]);
  });
});

test('a basket picked while logged out is kept across logging in', async () => {
  const who = await server.createAttendee({ prefix: 'basket' });
  await scenario(browser, server, 'basket', async (page) => {
    await openEvent(page, concert);
    await choose(page, concert.types.Standard, 3);
    await couponInput(page).fill('SAVE10');
    await applyCoupon(page).click();
    await waitForMain(page, new RegExp(euros(6750).replace('.', '\\.')));
    await getTickets(page).click();

    const url = await waitForPath(page, /^\/login\?/);
    assert.equal(url.searchParams.get('next'), '/e/spring-concert');
    assert.equal(server.bookingsOf(who.email).length, 0);
    await submitLogin(page, who);
    await waitForPath(page, '/e/spring-concert');
    await h1(page, 'Spring Concert');
    await waitFor(async () => (await quantity(page, concert.types.Standard).inputValue()) === '3',
                  'the quantity to be restored');
    assert.equal(await couponInput(page).inputValue(), 'SAVE10');
    await waitForMain(page, new RegExp(euros(6750).replace('.', '\\.')));
    await book(page, 'Tickets held');
    const rows = server.bookingsOf(who.email);
    assert.equal(rows.length, 1);
    assert.deepEqual([rows[0].quantity, rows[0].total, rows[0].discount], [3, 6750, 750]);
  });
});

test('the server stops cleanly', async () => {
  await browser.close();
  browser = null;
  await server.stop();
});
