// account.test.js: logging in and out, password reset by mail, the
// account page, languages
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { Server, de, h1, launchBrowser, logIn, sleep, waitFor, waitForPath } from '../harness.js';
import { alertText, scenario, submitLogin, waitSignedIn } from '../site.js';

let server;
let browser;

before(async () => {
  server = await Server.start('account');
  browser = await launchBrowser();
  await server.createEvent({ title: 'Autumn Fair', types: [{ name: 'Entry', price: 0, capacity: 100 }] });
});

after(async () => {
  await browser?.close();
  await server?.cleanUp();
});

test('wrong credentials are refused in plain words', async () => {
  const who = await server.createAttendee({ prefix: 'wrong' });
  await scenario(browser, server, 'wrong password', async (page) => {
    await page.goto('/login');
    await submitLogin(page, who, 'not the password at all');
    const alert = page.getByRole('alert').filter({ hasText: 'Wrong email or password.' });
    await alert.first().waitFor({ state: 'visible' });
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(await page.getByRole('link', { name: 'My bookings', exact: true }).count(), 0);
  });
});

test('private pages send visitors who are logged out to log in, and back', async () => {
  const who = await server.createAttendee({ prefix: 'private' });
  await scenario(browser, server, 'private pages', async (page) => {
    for (const where of ['/bookings', '/account']) {
      await page.goto(where);
      const url = await waitForPath(page, /^\/login\?/);
      assert.equal(url.searchParams.get('next'), where);
      await h1(page, 'Log in');
    }
    await submitLogin(page, who);
    await waitForPath(page, '/account');
    await h1(page, 'Your account');

    // A next that leads elsewhere is not followed.
    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.getByRole('link', { name: 'Log in', exact: true }).waitFor({ state: 'visible' });
    await page.goto('/login?next=//example.com/phish');
    await submitLogin(page, who);
    await waitSignedIn(page);
    assert.equal(new URL(page.url()).origin, server.url);
  });
});

test('a forgotten password is reset with the mailed link', async () => {
  const who = await server.createAttendee({ prefix: 'reset' });
  const fresh = 'a brand new secret 42';
  await scenario(browser, server, 'password reset', async (page) => {
    await page.goto('/login');
    await h1(page, 'Log in');
    await page.getByRole('link', { name: 'Forgot password?', exact: true }).click();
    await waitForPath(page, '/forgot-password');
    await page.getByLabel('Email', { exact: true }).fill(who.email);
    await page.getByRole('button', { name: 'Send reset link', exact: true }).click();
    const link = await server.mailLink(who.email, '/reset-password');
    assert.ok(link.startsWith(`${server.url}/reset-password?token=`), link);

    await page.goto(link);
    await page.getByLabel('New password', { exact: true }).fill(fresh);
    await page.getByRole('button', { name: 'Set new password', exact: true }).click();
    await page.getByRole('main').getByRole('link', { name: 'Log in', exact: true }).click();
    await waitForPath(page, '/login');

    await submitLogin(page, who);
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).first().waitFor({ state: 'visible' });
    await page.getByLabel('Password', { exact: true }).fill(fresh);
    await page.getByRole('button', { name: 'Log in', exact: true }).click();
    await waitSignedIn(page);
  });
});

test('a form sent before the page script has loaded never puts the password in the URL', async () => {
  const who = await server.createAttendee({ prefix: 'early' });
  await scenario(browser, server, 'early submit', async (page) => {
    const urls = [];
    page.on('request', (request) => urls.push(request.url()));
    // A slow connection: the page is there, its script is not yet.
    let release;
    const late = new Promise((resolve) => { release = resolve; });
    await page.route('**/js/app.js', async (route) => { await late; await route.fallback(); });
    const forms = [
      ['/login', { Email: who.email, Password: who.password }],
      ['/register', { Name: 'Eager Beaver', Email: who.email, Password: who.password }],
      ['/reset-password?token=x', { 'New password': who.password }],
      ['/account', { 'Current password': who.password, 'New password': who.password }],
    ];
    for (const [where, fields] of forms) {
      const labels = Object.keys(fields);
      const last = page.getByLabel(labels[labels.length - 1], { exact: true });
      // (Module scripts hold DOMContentLoaded back: wait for the form only.)
      await page.gotoUnready(where, { waitUntil: 'commit' });
      await last.waitFor();
      for (const [label, value] of Object.entries(fields))
        await page.getByLabel(label, { exact: true }).fill(value);
      await last.press('Enter');
      await sleep(500);
    }
    release();
    const leaks = urls.filter((url) => /[?&](password|email)=/i.test(url) || url.includes(encodeURIComponent(who.password)));
    assert.deepEqual(leaks, [], 'a password (or email) in a URL ends up in logs and history');
  });
});

test('a bad verification link is explained, with a way to get a new one', async () => {
  await scenario(browser, server, 'bad verification link', async (page) => {
    await page.goto('/verify?token=not-a-real-token');
    const resend = page.getByRole('button', { name: 'Resend verification email', exact: true });
    await resend.waitFor({ state: 'visible' });
    assert.equal(await page.getByText('Email verified').count(), 0);
  });
});

test('the account page changes the name, and German shows German text', async () => {
  const who = await server.createAttendee({ prefix: 'profile', name: 'Ada Lovelace' });
  await scenario(browser, server, 'profile', async (page, context) => {
    await logIn(context, server, who);
    await page.goto('/account');
    await h1(page, 'Your account');
    const main = page.getByRole('main');
    const name = main.getByLabel('Name', { exact: true });
    await waitFor(async () => (await name.inputValue()) === 'Ada Lovelace', 'the name in the form');
    await name.fill('Ada King');
    await main.getByLabel('Language', { exact: true }).selectOption('de');
    await main.getByRole('button', { name: 'Save profile', exact: true }).click();

    await h1(page, de('Your account'));
    await waitFor(async () => (await page.locator('html').getAttribute('lang')) === 'de', '<html lang="de">');
    await page.getByRole('link', { name: de('My bookings'), exact: true }).waitFor({ state: 'visible' });
    assert.deepEqual(server.sql(`SELECT name, locale FROM attendees WHERE id = :'id'`, { id: who.id }),
                     [['Ada King', 'de']]);

    // The profile's language holds on the next visit, on every page.
    await page.reload();
    await h1(page, de('Your account'));
    await page.goto('/');
    await h1(page, de('Upcoming events'));
  });
});

test('the header language picker switches to German and remembers it', async () => {
  await scenario(browser, server, 'language picker', async (page) => {
    await page.goto('/');
    await h1(page, 'Upcoming events');
    await page.getByRole('banner').getByLabel('Language', { exact: true }).selectOption('de');
    await h1(page, de('Upcoming events'));
    assert.equal(await page.locator('html').getAttribute('lang'), 'de');
    assert.equal(await page.evaluate(() => localStorage.getItem('everato.lang')), 'de');
    await page.goto('/login');
    await h1(page, de('Log in'));
    await page.getByRole('banner').getByLabel(de('Language'), { exact: true }).selectOption('en');
    await h1(page, 'Log in');
  });
});

test('changing the password needs the current one', async () => {
  const who = await server.createAttendee({ prefix: 'change' });
  const fresh = 'another good password';
  await scenario(browser, server, 'change password', async (page, context) => {
    await logIn(context, server, who);
    await page.goto('/account');
    await h1(page, 'Your account');
    const main = page.getByRole('main');
    await main.getByLabel('Current password', { exact: true }).fill('this is not it');
    await main.getByLabel('New password', { exact: true }).fill(fresh);
    await main.getByRole('button', { name: 'Change password', exact: true }).click();
    const current = main.getByLabel('Current password', { exact: true });
    await waitFor(async () => (await current.getAttribute('aria-invalid')) === 'true', 'the current password marked wrong');
    const describedBy = (await current.getAttribute('aria-describedby')) ?? '';
    assert.notEqual(describedBy, '', 'the field points to its error');
    await alertText(page.locator(`[id="${describedBy.split(/\s+/)[0]}"]`));

    await current.fill(who.password);
    await main.getByRole('button', { name: 'Change password', exact: true }).click();
    await waitFor(async () => (await server.fetch('POST', '/api/v1/auth/login',
                                                  { body: { email: who.email, password: fresh } })).status === 200,
                  'the new password to work');
  });
});

test('deleting the account asks first', async () => {
  const who = await server.createAttendee({ prefix: 'delete' });
  await scenario(browser, server, 'delete account', async (page, context) => {
    await logIn(context, server, who);
    await page.goto('/account');
    await h1(page, 'Your account');
    await page.getByRole('button', { name: 'Delete account', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByRole('button', { name: 'Keep my account', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(server.sqlValue(`SELECT status FROM attendees WHERE id = :'id'`, { id: who.id }), 'active');

    await page.getByRole('button', { name: 'Delete account', exact: true }).click();
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByRole('button', { name: 'Delete my account', exact: true }).click();
    await page.getByRole('link', { name: 'Log in', exact: true }).waitFor({ state: 'visible' });
    assert.equal(server.sqlValue(`SELECT status FROM attendees WHERE id = :'id'`, { id: who.id }), 'deleted');
  });
});

test('the server stops cleanly', async () => {
  await browser.close();
  browser = null;
  await server.stop();
});
