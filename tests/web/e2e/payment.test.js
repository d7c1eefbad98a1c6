// payment.test.js: paying for a booking, end to end in Chromium — by card
// through the Stripe stand-in (tests/stripe/stripe-standin.py), by bank
// transfer, at the door; a payment provider that fails; axe on the payment
// pages in English and German, at a small phone's width.
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  SMALL_PHONE, SOURCE_ROOT, Server, TIMEOUT, axeViolations, de, euros, h1, launchBrowser, screenshot, waitFor,
  waitForPath, waitForText,
} from '../harness.js';
import { book, bookingPage, choose, openEvent, scenario, waitForMain } from '../site.js';

const SECRET_KEY = 'sk_test_everato';
const WEBHOOK_SECRET = 'whsec_everato';
const TRANSFER_DETAILS = 'Harbour Events GmbH\nIBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX';
const PAID_PATH = /^\/bookings\/[0-9a-f-]{36}\/paid(\?.*)?$/;
const TRANSFER_PATH = /^\/bookings\/[0-9a-f-]{36}\/transfer$/;

let standin;
let server;
let browser;
let festival;

// ---------------------------------------------------------- the stand-in --

/** Starts the Stripe stand-in on a free port; resolves to {url, stop}. */
function startStandin() {
  const script = path.join(SOURCE_ROOT, 'tests/stripe/stripe-standin.py');
  const child = spawn('python3', [script, '--port', '0', '--secret-key', SECRET_KEY,
                                  '--webhook-url', 'http://127.0.0.1:9/not-yet',
                                  '--webhook-secret', WEBHOOK_SECRET],
                      { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = new Promise((resolve) => child.on('exit', resolve));
  process.on('exit', () => { try { child.kill('SIGKILL'); } catch { /* gone */ } });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Stripe stand-in did not start:\n${log}`)), 30000);
    const collect = (chunk) => {
      log += chunk;
      const m = /listening on (?:\S*:)?(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: `http://127.0.0.1:${m[1]}`,
          get log() { return log; },
          async stop() {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill('SIGTERM');
              await exited;
            }
          },
        });
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    exited.then((code) => reject(new Error(`the Stripe stand-in exited (${code}):\n${log}`)));
  });
}

/** A call to the stand-in's control API. */
async function control(what, body) {
  const r = await fetch(`${standin.url}/_standin/${what}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.equal(r.status, 200, `stand-in ${what}: ${await r.text()}`);
}

// --------------------------------------------------------------- helpers --

before(async () => {
  standin = await startStandin();
  server = await Server.start('payment', {
    env: {
      EVERATO_STRIPE_SECRET_KEY: SECRET_KEY,
      EVERATO_STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
      EVERATO_STRIPE_API_BASE: standin.url,
      EVERATO_TRANSFER_DETAILS: 'Set by the server',
    },
  });
  await control('config', {
    webhook_url: `${server.url}/api/v1/payments/stripe/webhook`,
    webhook_secrets: [WEBHOOK_SECRET],
    auto_deliver: true,
  });
  browser = await launchBrowser();
  festival = await server.createEvent({
    title: 'Harbour Festival',
    slug: 'harbour-festival',
    payment_methods: ['card', 'bank_transfer', 'at_door'],
    transfer_details: TRANSFER_DETAILS,
    transfer_days: 5,
    types: [{ name: 'Standard', price: 2500, capacity: 100, max_per_order: 10 }],
  });
});

after(async () => {
  await browser?.close();
  await server?.cleanUp();
  await standin?.stop();
});

/** Signs a fresh attendee in for the context; returns them. */
async function signIn(context, prefix, locale = 'en') {
  const who = await server.createAttendee({ prefix, locale });
  const r = await context.request.post(`${server.url}/api/v1/auth/login`,
                                       { data: { email: who.email, password: who.password } });
  assert.equal(r.status(), 200);
  return who;
}

/** Holds `count` tickets of the festival through the site; returns the booking id. */
async function holdTickets(page, count = 2) {
  await openEvent(page, festival);
  await choose(page, festival.types.Standard, count);
  return book(page, 'Tickets held');
}

/** The booking as its attendee sees it (through the browser's session). */
async function bookingJson(page, id) {
  const r = await page.request.get(`/api/v1/me/bookings/${id}`);
  assert.equal(r.status(), 200);
  return r.json();
}

const status = (id) => server.sqlValue(`SELECT status FROM bookings WHERE id = :'id'`, { id });
const payButton = (page) => page.getByRole('button', { name: /^(Pay|Book now)/ });
const payError = (page) => page.locator('#pay-error[role="alert"]');

/** Waits until the browser is on the stand-in's hosted checkout page. */
async function onCheckout(page) {
  await waitFor(() => page.url().startsWith(`${standin.url}/checkout/`), `the stand-in's checkout page (at ${page.url()})`);
  await page.waitForLoadState('load');
  return page.url();
}

// ----------------------------------------------------------------- tests --

test('card: pick tickets, pay on the hosted page, come back confirmed', async () => {
  await scenario(browser, server, 'pay by card', async (page, context) => {
    const who = await signIn(context, 'card');
    const id = await holdTickets(page, 2);

    // The order, the hold's end, and the methods the event offers.
    await waitForMain(page, new RegExp(euros(5000).replace('.', '\\.')));
    await waitForText(page.locator('#hold-until'), /^Held until \d/);
    for (const name of ['Card', 'Bank transfer', 'Pay at the door'])
      await page.getByRole('radio', { name, exact: true }).waitFor({ state: 'visible' });
    await page.getByRole('radio', { name: 'Card', exact: true }).check();
    await waitForText(payButton(page), new RegExp(`^Pay ${euros(5000).replace('.', '\\.')}$`));
    await screenshot(page, 'payment/booking-choose');

    await payButton(page).click();
    const checkout = await onCheckout(page);
    assert.equal(status(id), 'pending_payment');

    // Cancelled on the hosted page: back on the booking, the hold kept,
    // its end now the Checkout session's; paying again reuses the session.
    await page.goto(`/bookings/${id}?payment=cancelled`);
    await h1(page, 'Awaiting payment');
    await waitForText(page.getByRole('status').filter({ hasText: 'Payment cancelled' }), /you can try again/);
    const session = await bookingJson(page, id);
    assert.ok(session.expires_at, 'a pending card payment has an end');
    await waitForText(page.getByRole('main'), /Awaiting payment \(Card\)/);
    // The card payment under way is the one to go on with (the server does
    // not switch a booking awaiting payment to another method).
    assert.deepEqual(await page.getByRole('radio').evaluateAll((radios) => radios.map((r) => r.id)),
                     ['method-card']);
    await page.getByRole('radio', { name: 'Card', exact: true }).check();
    await payButton(page).click();
    assert.equal(await onCheckout(page), checkout, 'the same Checkout session');

    // Pay: the stand-in delivers the signed webhook and sends the browser
    // to the success URL, the return page.
    await page.getByRole('button', { name: /pay/i }).first().click();
    await waitForPath(page, PAID_PATH);
    await h1(page, 'Payment received — booking confirmed');
    await screenshot(page, 'payment/paid');
    assert.equal(status(id), 'confirmed');

    await page.getByRole('link', { name: 'View your booking', exact: true }).click();
    await bookingPage(page, 'Booking confirmed');
    await waitForText(page.locator('#payment-state'), /Paid by card/);
    await page.goto('/bookings');
    await h1(page, 'My bookings');
    await waitForText(page.getByRole('main').locator('li').filter({ has: page.locator(`a[href="/bookings/${id}"]`) }),
                      /Paid by card/);
    assert.equal(server.bookingsOf(who.email).length, 1);
  }, { allowOrigins: [standin.url] });
});

test('bank transfer: the instructions show amount, reference and account details', async () => {
  await scenario(browser, server, 'pay by transfer', async (page, context) => {
    await signIn(context, 'transfer');
    const id = await holdTickets(page, 1);
    const radio = (name) => page.getByRole('radio', { name, exact: true });
    // The methods are one radio group for the keyboard…
    await radio('Card').focus();
    await page.keyboard.press('ArrowDown');
    assert.equal(await radio('Bank transfer').isChecked(), true, 'the arrow key picks the next method');
    await waitForText(payButton(page), /by bank transfer$/);
    // …and a click anywhere on a method's box (here on its description) picks it.
    const hint = await page.getByText(/^Your booking is confirmed now/).boundingBox();
    await page.mouse.click(hint.x + hint.width / 2, hint.y + hint.height / 2);
    assert.equal(await radio('Pay at the door').isChecked(), true, 'a click on the box picks its method');
    await waitForText(payButton(page), /^Book now, pay at the door$/);
    await radio('Bank transfer').check();
    await waitForText(payButton(page), /by bank transfer$/);
    await payButton(page).click();
    await waitForPath(page, TRANSFER_PATH);
    await h1(page, 'Pay by bank transfer');
    assert.equal(status(id), 'pending_payment');

    const booking = await bookingJson(page, id);
    assert.ok(booking.transfer, `the booking has transfer instructions: ${JSON.stringify(booking)}`);
    await waitForText(page.locator('#transfer-amount'), new RegExp(`^${euros(2500).replace('.', '\\.')}$`));
    await waitForText(page.locator('#transfer-reference'), new RegExp(`^${booking.transfer.reference}$`));
    assert.equal(booking.transfer.reference, booking.payment_reference);
    // The account details keep their lines.
    const details = await page.locator('#transfer-details').innerText();
    assert.equal(details.trim(), TRANSFER_DETAILS);
    // The deadline, in the event's zone.
    await waitForText(page.locator('#transfer-deadline'), /\d{4}.*(CES?T|GMT\+[12])/);
    await waitForText(page.getByRole('main'), /the booking expires and the tickets go back on sale/);

    await page.getByRole('button', { name: 'Copy reference', exact: true }).click();
    await waitForText(page.locator('#copy-status'), /^Reference copied\.$/);
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), booking.transfer.reference);
    await screenshot(page, 'payment/transfer');
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('.site-header').isVisible(), false, 'no header in print');
    await page.emulateMedia({ media: 'screen' });

    // The booking page says it awaits the transfer and links back here.
    await page.getByRole('link', { name: 'View your booking', exact: true }).click();
    await bookingPage(page, 'Awaiting payment');
    await waitForText(page.locator('#payment-state'), /Awaiting payment \(Bank transfer\)/);
    await waitForMain(page, new RegExp(booking.transfer.reference));
    assert.equal(await page.getByRole('link', { name: 'Bank transfer details', exact: true }).getAttribute('href'),
                 `/bookings/${id}/transfer`);
  }, { permissions: ['clipboard-read', 'clipboard-write'] });
});

test('at the door: the booking is confirmed at once, to be paid on arrival', async () => {
  await scenario(browser, server, 'pay at door', async (page, context) => {
    await signIn(context, 'door');
    const id = await holdTickets(page, 3);
    await page.getByRole('radio', { name: 'Pay at the door', exact: true }).check();
    await payButton(page).click();
    await h1(page, 'Booking confirmed');
    await waitForMain(page, new RegExp(`Pay ${euros(7500).replace('.', '\\.')} at the door`));
    await waitForText(page.locator('#payment-state'), /Unpaid — pay at the door/);
    assert.equal(await page.locator('#pay-section').isVisible(), false);
    assert.equal(status(id), 'confirmed');
    await screenshot(page, 'payment/at-door');
  });
});

test('the payment provider failing keeps the hold, and paying again works', async () => {
  await scenario(browser, server, 'gateway failure', async (page, context) => {
    await signIn(context, 'failure');
    const id = await holdTickets(page, 1);
    const heldUntil = server.sqlValue(`SELECT expires_at FROM bookings WHERE id = :'id'`, { id });
    await control('fail', { path_prefix: '/v1/checkout/sessions', status: 500, count: 3 });
    await page.getByRole('radio', { name: 'Card', exact: true }).check();
    await payButton(page).click();
    await waitForText(payError(page), /payment provider could not be reached.*still held/, TIMEOUT * 2);
    // docs/PAYMENTS.md: a checkout that cannot reach the provider leaves its
    // attempt open (the booking may already await that card payment, with
    // no session yet), and the tickets stay held, no earlier than before.
    assert.ok(['held', 'pending_payment'].includes(status(id)), `status ${status(id)}`);
    assert.equal(server.sqlValue(`SELECT expires_at >= :'until'::timestamptz AND expires_at > now()
                                    FROM bookings WHERE id = :'id'`, { id, until: heldUntil }), 't',
                 'the hold is kept, no shorter than before');
    assert.deepEqual((await bookingJson(page, id)).payments.filter((p) => p.checkout_url), [],
                     'no Checkout session yet');
    assert.match(page.url(), /\/bookings\/[0-9a-f-]{36}$/);
    await h1(page, 'Tickets held');
    await screenshot(page, 'payment/gateway-failure');

    await payButton(page).click();
    await onCheckout(page);
    assert.equal(status(id), 'pending_payment');
  }, { allowOrigins: [standin.url] });
});

// ------------------------------------------------------------------- axe --

for (const lang of ['en', 'de']) {
  test(`axe finds nothing on the payment pages (${lang}, 360 px)`, async () => {
    const T = (text) => (lang === 'de' ? de(text) : text);
    await scenario(browser, server, `payment axe ${lang}`, async (page, context) => {
      const who = await signIn(context, `axe-${lang}`, lang);
      const found = [];
      const noOverflow = async (what) => {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${what} is ${overflow} px wider than the screen`);
      };

      // The booking page with the choice of method.
      const booking = await server.hold(who, festival.id, [{ ticket_type_id: festival.types.Standard.id, quantity: 1 }]);
      const id = booking.id;
      await page.goto(`/bookings/${id}`);
      await h1(page, T('Tickets held'));
      await page.getByRole('radio', { name: T('Card'), exact: true }).waitFor({ state: 'visible' });
      found.push(...await axeViolations(page, `booking (${lang})`));
      await noOverflow('the booking page');
      await screenshot(page, `payment/phone-booking-${lang}`);

      // The transfer instructions.
      await page.getByRole('radio', { name: T('Bank transfer'), exact: true }).check();
      await page.locator('#pay-button').click();
      await waitForPath(page, TRANSFER_PATH);
      await h1(page, T('Pay by bank transfer'));
      await waitForText(page.locator('#transfer-reference'), /\S/);
      found.push(...await axeViolations(page, `transfer (${lang})`));
      await noOverflow('the transfer page');
      await screenshot(page, `payment/phone-transfer-${lang}`);

      // The return page, for a booking that is not paid by card.
      await page.goto(`/bookings/${id}/paid?session_id=cs_test_none`);
      await page.locator('#paid-title').waitFor({ state: 'visible' });
      await waitFor(async () => (await page.locator('#paid-title').innerText()) !== T('Checking your payment…'),
                    'the return page to know');
      found.push(...await axeViolations(page, `paid (${lang})`));
      await noOverflow('the return page');
      await screenshot(page, `payment/phone-paid-${lang}`);

      assert.deepEqual(found, []);
    }, { locale: lang === 'de' ? 'de-DE' : 'en-US', viewport: SMALL_PHONE, isMobile: true, hasTouch: true });
  });
}

test('the server and the stand-in stop cleanly', async () => {
  await server.stop();
  await standin.stop();
});
