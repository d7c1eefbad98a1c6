// site.js: the attendee site as the tests see it — by roles, names and
// labels of the site's contract, never by styling classes.
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import assert from 'node:assert/strict';

import {
  TIMEOUT, h1, openContext, pathOf, removeScreenshot, screenshot, waitFor, waitForPath, waitForText,
} from './harness.js';

export const BOOKING_PATH = /^\/bookings\/[0-9a-f-]{36}$/;

/**
 * Runs fn(page, context) in a fresh, watched browser context and checks
 * afterwards that nothing went to another host, broke the CSP, threw or
 * logged an error. On failure a screenshot goes to the screenshot folder.
 */
export async function scenario(browser, server, name, fn, options = {}) {
  const context = await openContext(browser, server, options);
  const page = await context.newPage();
  const shot = `failed/${name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}`;
  try {
    await fn(page, context);
    context.check();
    removeScreenshot(shot);
  } catch (error) {
    await screenshot(page, shot).catch(() => {});
    error.message += `\n    at ${page.url()}`;
    throw error;
  } finally {
    await context.close();
  }
}

/** Waits until the page has finished loading what it needs. */
export async function settle(page) {
  await page.waitForLoadState('load');
  await page.waitForLoadState('networkidle', { timeout: TIMEOUT }).catch(() => {});
}

// ----------------------------------------------------------- event page --

export const ticketItem = (page, type) => page.locator(`li[data-ticket-type="${type.id}"]`);
export const quantity = (page, type) => page.getByLabel(`Quantity for ${type.name}`, { exact: true });
export const getTickets = (page) => page.getByRole('button', { name: 'Get tickets', exact: true });
export const couponInput = (page) => page.getByLabel('Coupon code', { exact: true });
export const applyCoupon = (page) => page.getByRole('button', { name: 'Apply', exact: true });

/** Opens an event's page and waits for its heading. */
export async function openEvent(page, event) {
  const response = await page.goto(`/e/${event.slug}`);
  assert.equal(response.status(), 200, `GET /e/${event.slug}`);
  await h1(page, event.title);
  await quantityOrNotice(page);
}

async function quantityOrNotice(page) {
  await waitFor(async () => (await page.getByLabel(/^Quantity for /).count()) > 0 ||
                            (await page.getByText('This event has been cancelled').count()) > 0,
  'the ticket types (or the cancellation notice)');
}

/** The text of the order summary area once it shows `re`. */
export async function waitForMain(page, re) {
  return waitForText(page.locator('main'), re);
}

/** Sets how many tickets of `type` to take. */
export async function choose(page, type, count) {
  const input = quantity(page, type);
  await input.fill(String(count));
  await input.dispatchEvent('change');
}

/** Clicks "Get tickets" and waits for the booking page; returns its id. */
export async function book(page, heading) {
  await getTickets(page).click();
  return bookingPage(page, heading);
}

/** Waits for a booking page with `heading`; returns the booking id. */
export async function bookingPage(page, heading) {
  const url = await waitForPath(page, BOOKING_PATH);
  await h1(page, heading);
  return url.pathname.split('/').pop();
}

/** The `.field-error` alert inside the ticket type's list item. */
export function fieldError(page, type) {
  return ticketItem(page, type).locator('.field-error[role="alert"]');
}

/** Waits for a non-empty alert; returns its text. */
export async function alertText(locator) {
  return waitForText(locator, /\S/);
}

// ------------------------------------------------------------- accounts --

/** Fills and sends the login form of the page at hand. */
export async function submitLogin(page, who, password = who.password) {
  await h1(page, 'Log in');
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in', exact: true }).click();
}

/** Waits until the header shows the signed-in navigation. */
export async function waitSignedIn(page) {
  await page.getByRole('link', { name: 'My bookings', exact: true }).waitFor({ state: 'visible' });
}

export { pathOf };
