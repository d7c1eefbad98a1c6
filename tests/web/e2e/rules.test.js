// rules.test.js: what the event page says when the rules say no — sold
// out, coupons (and the hidden tickets they unlock), limits per order and
// per person, sales windows, cancelled events, unverified accounts
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Server, euros, h1, launchBrowser, logIn, sleep, waitFor, waitForPath, waitForText } from '../harness.js';
import {
  alertText, applyCoupon, book, choose, couponInput, fieldError, getTickets, openEvent, quantity,
  scenario, submitLogin, ticketItem, waitForMain,
} from '../site.js';

let server;
let browser;
let other;

const money = (minor) => new RegExp(euros(minor).replace(/[.$]/g, '\\$&'));

before(async () => {
  server = await Server.start('rules');
  browser = await launchBrowser();
  other = await server.createAttendee({ name: 'Someone Else', prefix: 'other' });
});

after(async () => {
  await browser?.close();
  await server?.cleanUp();
});

test('sold-out and nearly sold-out ticket types say so, in the list and next to the type', async () => {
  const house = await server.createEvent({
    title: 'Full House',
    types: [
      { name: 'Gone', price: 1000, capacity: 1 },
      { name: 'Scarce', price: 1000, capacity: 8 },
      { name: 'Plenty', price: 1000, capacity: 100 },
    ],
  });
  const show = await server.createEvent({
    title: 'Sold Out Show',
    daysAhead: 31,
    types: [{ name: 'Only', price: 1000, capacity: 1 }],
  });
  await server.hold(other, house.id, [{ ticket_type_id: house.types.Gone.id, quantity: 1 }]);
  await server.hold(other, show.id, [{ ticket_type_id: show.types.Only.id, quantity: 1 }]);
  await sleep(1100); // the public event cache lives a second

  await scenario(browser, server, 'sold out', async (page) => {
    await page.goto('/');
    await h1(page, 'Upcoming events');
    const card = page.locator('article').filter({ has: page.getByRole('link', { name: 'Sold Out Show', exact: true }) });
    await waitForText(card, /Sold out/);
    const houseCard = page.locator('article').filter({ has: page.getByRole('link', { name: 'Full House', exact: true }) });
    await houseCard.waitFor({ state: 'visible' });
    assert.doesNotMatch(await houseCard.innerText(), /Sold out/);

    await openEvent(page, house);
    await waitForText(ticketItem(page, house.types.Gone), /Sold out/);
    await waitForText(ticketItem(page, house.types.Scarce), /Few left/);
    const plenty = await ticketItem(page, house.types.Plenty).innerText();
    assert.doesNotMatch(plenty, /Sold out|Few left/);
    const gone = quantity(page, house.types.Gone);
    const blocked = (await gone.count()) === 0 || await gone.isDisabled() ||
                    (await gone.getAttribute('max')) === '0';
    assert.ok(blocked, 'a sold-out type cannot be picked');
    assert.equal(await quantity(page, house.types.Scarce).getAttribute('max'), '8');
  });
});

test('tickets that sell out while choosing: the refusal is explained next to the type', async () => {
  const event = await server.createEvent({
    title: 'Last Two',
    daysAhead: 32,
    types: [{ name: 'Seat', price: 1500, capacity: 2 }],
  });
  const who = await server.createAttendee({ prefix: 'late' });
  await scenario(browser, server, 'sells out meanwhile', async (page, context) => {
    await logIn(context, server, who);
    await openEvent(page, event);
    // Someone else is faster.
    await server.hold(other, event.id, [{ ticket_type_id: event.types.Seat.id, quantity: 2 }]);
    await choose(page, event.types.Seat, 1);
    await sleep(500);
    if (await getTickets(page).isEnabled())
      await getTickets(page).click();
    const text = await alertText(fieldError(page, event.types.Seat));
    assert.ok(text.length > 5, `an explanation, not "${text}"`);
    assert.equal(new URL(page.url()).pathname, `/e/${event.slug}`);
    assert.equal(server.bookingsOf(who.email).length, 0);
  });
});

test('a coupon: the quote shows the discount before holding; a wrong code is explained', async () => {
  const event = await server.createEvent({
    title: 'Coupon Night',
    daysAhead: 33,
    types: [{ name: 'Seat', price: 2000, capacity: 50 }],
    coupons: [{ code: 'SAVE10', kind: 'percent', percent: 10 },
              { code: 'BIGSPENDER', kind: 'fixed', amount: 500, min_order: 10000 }],
  });
  const who = await server.createAttendee({ prefix: 'coupon' });
  await scenario(browser, server, 'coupon', async (page, context) => {
    await logIn(context, server, who);
    await openEvent(page, event);
    await choose(page, event.types.Seat, 2);
    await waitForMain(page, /Total/);
    await waitForMain(page, money(4000));

    // Unknown code.
    await couponInput(page).fill('NOPE');
    await applyCoupon(page).click();
    const error = page.locator('#coupon-error');
    assert.equal(await error.getAttribute('role'), 'alert');
    const text = await alertText(error);
    assert.ok(text.length > 5, `an explanation, not "${text}"`);
    assert.equal(await couponInput(page).getAttribute('aria-invalid'), 'true');
    const described = (await couponInput(page).getAttribute('aria-describedby')) ?? '';
    assert.ok(described.split(/\s+/).includes('coupon-error'), 'the field points to its error');
    assert.doesNotMatch(await page.locator('main').innerText(), money(3600));

    // Below the minimum order.
    await couponInput(page).fill('BIGSPENDER');
    await applyCoupon(page).click();
    await waitFor(async () => (await error.innerText()).trim() !== '' && (await error.innerText()).trim() !== text,
                  'a different explanation for the minimum order');

    // A good code: the discount shows before anything is held.
    await couponInput(page).fill('SAVE10');
    await applyCoupon(page).click();
    await waitForMain(page, money(3600));
    await waitForMain(page, money(400));
    await waitFor(async () => (await error.innerText()).trim() === '' || !(await error.isVisible()),
                  'the coupon error to go away');
    assert.notEqual(await couponInput(page).getAttribute('aria-invalid'), 'true');
    assert.equal(server.bookingsOf(who.email).length, 0, 'nothing is held by a quote');

    await book(page, 'Tickets held');
    await waitForMain(page, money(3600));
    const rows = server.bookingsOf(who.email);
    assert.deepEqual([rows.length, rows[0].total, rows[0].discount], [1, 3600, 400]);
    assert.notEqual(rows[0].coupon, '');
  });
});

test('a coupon unlocks hidden tickets: they join the list after "Apply" and can be held', async () => {
  const event = await server.createEvent({
    title: 'Secret Set',
    daysAhead: 38,
    types: [
      { name: 'Seat', price: 2000, capacity: 50 },
      { name: 'Backstage', price: 5000, capacity: 5, hidden: true },
      { name: 'Crew', price: 0, capacity: 5, hidden: true },
    ],
    coupons: [{ code: 'INSIDER', kind: 'percent', percent: 10, unlocks_hidden: true, ticket_types: ['Backstage'] },
              { code: 'SAVE10', kind: 'percent', percent: 10 }],
  });
  const who = await server.createAttendee({ prefix: 'insider' });
  await scenario(browser, server, 'unlocked by a coupon', async (page, context) => {
    await logIn(context, server, who);
    await openEvent(page, event);
    const backstage = ticketItem(page, event.types.Backstage);
    const error = page.locator('#coupon-error');
    await ticketItem(page, event.types.Seat).waitFor({ state: 'visible' });
    assert.equal(await backstage.count(), 0, 'a hidden type is not listed');
    assert.equal(await ticketItem(page, event.types.Crew).count(), 0);

    // A wrong code, before any ticket is chosen: explained, nothing unlocked.
    await couponInput(page).fill('INSIDR');
    await applyCoupon(page).click();
    const text = await alertText(error);
    assert.ok(text.length > 5, `an explanation, not "${text}"`);
    assert.equal(await couponInput(page).getAttribute('aria-invalid'), 'true');
    assert.equal(await backstage.count(), 0);

    // The right code: the type it unlocks joins the list, marked; the
    // hidden type it does not unlock stays hidden.
    await couponInput(page).fill('insider');
    await applyCoupon(page).click();
    await backstage.waitFor({ state: 'visible' });
    await waitForText(backstage, /Unlocked by your code/);
    await waitForText(backstage, money(5000));
    await waitFor(async () => (await error.innerText()).trim() === '', 'the coupon error to go away');
    assert.equal(await ticketItem(page, event.types.Crew).count(), 0);
    assert.doesNotMatch(await ticketItem(page, event.types.Seat).innerText(), /Unlocked by your code/);
    assert.equal(await quantity(page, event.types.Backstage).getAttribute('max'), '5');

    // Another code takes it away again, with what was chosen of it.
    await choose(page, event.types.Backstage, 2);
    await waitForMain(page, money(9000));
    await couponInput(page).fill('SAVE10');
    await waitFor(async () => (await backstage.count()) === 0, 'the unlocked type to go');
    await applyCoupon(page).click();
    await page.locator('#coupon-status').getByText(/SAVE10/).waitFor({ state: 'visible' });
    assert.equal(await backstage.count(), 0);
    assert.equal(server.bookingsOf(who.email).length, 0, 'nothing is held by a quote');

    // Back to the code: the row comes back empty; one ticket is held.
    await couponInput(page).fill('INSIDER');
    await applyCoupon(page).click();
    await backstage.waitFor({ state: 'visible' });
    assert.equal(await quantity(page, event.types.Backstage).inputValue(), '0');
    await choose(page, event.types.Backstage, 1);
    await waitForMain(page, money(4500));
    await book(page, 'Tickets held');
    await waitForMain(page, /Backstage/);
    await waitForMain(page, money(4500));
    const rows = server.bookingsOf(who.email);
    assert.deepEqual(rows.map((r) => [r.quantity, r.total, r.discount]), [[1, 4500, 500]]);
    assert.notEqual(rows[0].coupon, '');
  });
});

test('an event sold only through codes says so, and a code opens its tickets', async () => {
  const event = await server.createEvent({
    title: 'Friends Only',
    daysAhead: 40,
    types: [{ name: 'Guest list', price: 1500, capacity: 20, hidden: true }],
    coupons: [{ code: 'FRIEND', kind: 'percent', percent: 10, unlocks_hidden: true }],
  });
  const who = await server.createAttendee({ prefix: 'friend' });
  await scenario(browser, server, 'codes only', async (page, context) => {
    await logIn(context, server, who);
    await page.goto(`/e/${event.slug}`);
    await h1(page, event.title);
    const notice = page.locator('#event-notice');
    await waitForText(notice, /If you have a code, enter it below/);
    assert.equal(await getTickets(page).isVisible(), false, 'nothing to get yet');
    assert.equal(await ticketItem(page, event.types['Guest list']).count(), 0);

    await couponInput(page).fill('FRIEND');
    await applyCoupon(page).click();
    await ticketItem(page, event.types['Guest list']).waitFor({ state: 'visible' });
    await notice.waitFor({ state: 'hidden' });
    await choose(page, event.types['Guest list'], 2);
    await waitForMain(page, money(2700));
    await book(page, 'Tickets held');
    const rows = server.bookingsOf(who.email);
    assert.deepEqual(rows.map((r) => [r.quantity, r.total]), [[2, 2700]]);
  });
});

test('a throttled coupon check is explained at the coupon field', async () => {
  const event = await server.createEvent({
    title: 'Guarded Codes',
    daysAhead: 41,
    types: [{ name: 'Seat', price: 2000, capacity: 50 }],
  });
  await scenario(browser, server, 'coupon throttled', async (page) => {
    // The server's answer after 30 unknown codes from one address.
    await page.route('**/quote', (route) => route.fulfill({
      status: 429,
      contentType: 'application/json',
      headers: { 'Retry-After': '1200' },
      body: JSON.stringify({ error: { code: 'too_many_attempts', message: 'Too many unknown coupon codes', details: { retry_after: 1200 } } }),
    }));
    await openEvent(page, event);
    await couponInput(page).fill('GUESS');
    await applyCoupon(page).click();
    const text = await alertText(page.locator('#coupon-error'));
    assert.match(text, /Too many wrong codes/);
    assert.match(text, /20 minutes/);
  });
});

test('unlocked tickets picked while logged out come back after logging in', async () => {
  const event = await server.createEvent({
    title: 'Secret Matinee',
    daysAhead: 39,
    types: [
      { name: 'Seat', price: 2000, capacity: 50 },
      { name: 'Backstage', price: 5000, capacity: 5, hidden: true },
    ],
    coupons: [{ code: 'INSIDER', kind: 'fixed', amount: 1000, unlocks_hidden: true }],
  });
  const who = await server.createAttendee({ prefix: 'matinee' });
  await scenario(browser, server, 'unlocked basket', async (page) => {
    await openEvent(page, event);
    await choose(page, event.types.Seat, 1);
    await couponInput(page).fill('INSIDER');
    await applyCoupon(page).click();
    await ticketItem(page, event.types.Backstage).waitFor({ state: 'visible' });
    await choose(page, event.types.Backstage, 2);
    await waitForMain(page, money(11000));
    await getTickets(page).click();

    await waitForPath(page, /^\/login\?/);
    await submitLogin(page, who);
    await waitForPath(page, `/e/${event.slug}`);
    await h1(page, event.title);
    await waitFor(async () => (await quantity(page, event.types.Backstage).count()) === 1 &&
                              (await quantity(page, event.types.Backstage).inputValue()) === '2',
                  'the unlocked type and its quantity to be restored');
    await waitForText(ticketItem(page, event.types.Backstage), /Unlocked by your code/);
    assert.equal(await quantity(page, event.types.Seat).inputValue(), '1');
    await waitForMain(page, money(11000));
    await book(page, 'Tickets held');
    const rows = server.bookingsOf(who.email);
    assert.deepEqual(rows.map((r) => [r.quantity, r.total, r.discount]), [[3, 11000, 1000]]);
  });
});

test('limits per order and per person are explained next to the type', async () => {
  const event = await server.createEvent({
    title: 'Limited Gig',
    daysAhead: 34,
    types: [
      { name: 'Limited', price: 1000, capacity: 50, max_per_order: 4, max_per_attendee: 5 },
      { name: 'Tiny', price: 1000, capacity: 3, max_per_order: 10 },
    ],
  });
  const who = await server.createAttendee({ prefix: 'limits' });
  await scenario(browser, server, 'limits', async (page, context) => {
    await logIn(context, server, who);
    await openEvent(page, event);
    assert.equal(await quantity(page, event.types.Limited).getAttribute('max'), '4');
    assert.equal(await quantity(page, event.types.Tiny).getAttribute('max'), '3');
    assert.equal(await quantity(page, event.types.Limited).getAttribute('min'), '0');

    // Six is more than one order may have.
    await choose(page, event.types.Limited, 6);
    await sleep(400);
    if (await getTickets(page).isEnabled())
      await getTickets(page).click();
    await alertText(fieldError(page, event.types.Limited));
    assert.equal(await quantity(page, event.types.Limited).getAttribute('aria-invalid'), 'true');
    assert.equal(new URL(page.url()).pathname, `/e/${event.slug}`);
    assert.equal(server.bookingsOf(who.email).length, 0);

    // Four is fine.
    await choose(page, event.types.Limited, 4);
    await book(page, 'Tickets held');

    // Two more would be six for one person (at most five).
    await openEvent(page, event);
    await choose(page, event.types.Limited, 2);
    await sleep(400);
    await getTickets(page).click();
    await alertText(fieldError(page, event.types.Limited));
    assert.equal(new URL(page.url()).pathname, `/e/${event.slug}`);
    const rows = server.bookingsOf(who.email);
    assert.deepEqual(rows.map((r) => r.quantity), [4]);
  });
});

test('sales windows are shown for types not on sale', async () => {
  const day = 86400000;
  const event = await server.createEvent({
    title: 'Window Shopping',
    daysAhead: 35,
    types: [
      { name: 'Early', price: 1000, capacity: 10, sales_start: new Date(Date.now() + 2 * day).toISOString() },
      { name: 'Past', price: 1000, capacity: 10, sales_end: new Date(Date.now() - day).toISOString() },
      { name: 'Now', price: 1000, capacity: 10 },
    ],
  });
  await scenario(browser, server, 'sales windows', async (page) => {
    await openEvent(page, event);
    await waitForText(ticketItem(page, event.types.Early), /Sales start/);
    await waitForText(ticketItem(page, event.types.Past), /Sales ended/);
    assert.doesNotMatch(await ticketItem(page, event.types.Now).innerText(), /Sales (start|ended)/);
  });
});

test('a cancelled event says so and offers nothing to pick', async () => {
  const event = await server.createEvent({
    title: 'Called Off',
    daysAhead: 36,
    types: [{ name: 'Seat', price: 1000, capacity: 10 }],
  });
  await server.admin('POST', `/api/v1/admin/events/${event.id}/cancel`, undefined, 200);
  await sleep(1100);
  await scenario(browser, server, 'cancelled event', async (page) => {
    await openEvent(page, event);
    await page.getByText('This event has been cancelled').first().waitFor({ state: 'visible' });
    assert.equal(await quantity(page, event.types.Seat).count(), 0);
    const button = getTickets(page);
    assert.ok((await button.count()) === 0 || !(await button.isVisible()) || await button.isDisabled(),
              'no "Get tickets" for a cancelled event');
  });
});

test('an unverified account gets no session: sign-in asks to verify first and can send the mail again', async () => {
  const who = await server.createAttendee({ prefix: 'unverified', verified: false });
  const first = await server.mailLink(who.email, '/verify');
  // The API refuses a session outright.
  const r = await server.fetch('POST', '/api/v1/auth/login', { body: { email: who.email, password: who.password } });
  assert.equal(r.status, 403);
  assert.equal(r.json.error.code, 'email_not_verified');
  assert.doesNotMatch(r.headers.get('set-cookie') ?? '', /everato_session=[^;]/);
  await scenario(browser, server, 'unverified', async (page) => {
    await page.goto('/login');
    await page.getByLabel('Email', { exact: true }).fill(who.email);
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    const resend = page.getByRole('button', { name: 'Resend verification email', exact: true });
    await resend.waitFor({ state: 'visible' });
    await page.getByText('Confirm your email address first', { exact: false }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/login');
    await resend.click();
    await page.getByText(`A new link is on its way to ${who.email}.`).waitFor();
    const second = await server.mailLink(who.email, '/verify', { seen: [first] });
    assert.notEqual(second, first);
    // The link signs nobody in by itself; after it, the password does.
    await page.goto(new URL(second).pathname + new URL(second).search);
    // A wrong password is refused and uses nothing up; the right one works.
    await page.getByLabel('Password', { exact: true }).fill('not the password at all');
    await page.getByRole('button', { name: 'Confirm email address', exact: true }).click();
    await page.getByText('This is not the password you chose when you signed up.').waitFor();
    await page.getByLabel('Password', { exact: true }).fill(who.password);
    await page.getByRole('button', { name: 'Confirm email address', exact: true }).click();
    await waitForMain(page, /verified/i);
    const after = await server.fetch('POST', '/api/v1/auth/login', { body: { email: who.email, password: who.password } });
    assert.equal(after.status, 200, after.text);
  });
});

test('a long list of events comes in pages; a search without results says so', async () => {
  for (let i = 1; i <= 20; i++)
    await server.createEvent({ title: `Series Night ${i}`, daysAhead: 50 + i, types: [{ name: 'Seat', price: 500, capacity: 10 }] });
  const total = Number((await server.fetch('GET', '/api/v1/public/events?limit=1')).json.total);
  assert.ok(total >= 20);
  await scenario(browser, server, 'paging', async (page) => {
    await page.goto('/');
    await h1(page, 'Upcoming events');
    const articles = page.locator('main article');
    await articles.first().waitFor();
    const more = page.getByRole('button', { name: 'Show more events', exact: true });
    let clicks = 0;
    while (await more.isVisible()) {
      const before = await articles.count();
      await more.click();
      await waitFor(async () => (await articles.count()) > before, 'more events');
      clicks++;
      assert.ok(clicks < 10);
    }
    assert.equal(await articles.count(), total);
    assert.ok(clicks > 0, 'not all events on the first page');
    for (let i = 1; i <= 20; i++)
      assert.equal(await articles.getByRole('link', { name: `Series Night ${i}`, exact: true }).count(), 1);

    await page.getByRole('search').getByLabel('Search', { exact: true }).fill('no such thing at all');
    await page.getByRole('search').getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByText('No upcoming events', { exact: true }).waitFor({ state: 'visible' });
    assert.equal(await articles.count(), 0);
  });
});

test('the server stops cleanly', async () => {
  await browser.close();
  browser = null;
  await server.stop();
});
