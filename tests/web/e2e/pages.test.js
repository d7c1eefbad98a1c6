// pages.test.js: every page — accessibility (axe-core, light and dark),
// screenshots, status codes, the head of event pages, security headers,
// weight, no third parties, phone sizes
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  DESKTOP, PHONE, SMALL_PHONE, Server, axeViolations, euros, h1, launchBrowser, logIn, openContext, pathOf,
  screenshot, sleep, waitFor, waitForText,
} from '../harness.js';
import { bookingPage, choose, couponInput, applyCoupon, getTickets, openEvent, scenario, settle } from '../site.js';

const NASTY_TITLE = `Rock & Roll <script>alert("x")</script> 'Night'`;
const NASTY_DESCRIPTION = 'Loud "guitars" & <b>drums</b>.\nSecond line: doors at 7.';

const CSP = {
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' data:",
  'connect-src': "'self'",
  'font-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'self'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
};

let server;
let browser;
let rock;
let openAir;
let draft;
let member;
let held;
let confirmed;
let verifyPath;
let resetPath;
/** Two watched contexts shared by the page tests: logged out and in. */
let anon;
let signedIn;

before(async () => {
  server = await Server.start('pages');
  browser = await launchBrowser();
  rock = await server.createEvent({
    title: NASTY_TITLE,
    slug: 'rock-night',
    description: NASTY_DESCRIPTION,
    venue: 'The "Cellar" & Bar',
    types: [
      { name: 'Standard', price: 2500, capacity: 100, description: 'A place to stand.' },
      { name: 'Balcony', price: 4000, capacity: 6 },
    ],
    coupons: [{ code: 'SAVE10', kind: 'percent', percent: 10 }],
  });
  openAir = await server.createEvent({
    title: 'Open Air',
    daysAhead: 45,
    cancellation_hours: 24,
    types: [{ name: 'Lawn', price: 0, capacity: 500 }],
  });
  draft = await server.createEvent({ title: 'Secret Draft', publish: false, types: [{ name: 'X', price: 0, capacity: 1 }] });

  member = await server.createAttendee({ prefix: 'member', name: 'Mary Member' });
  held = await server.hold(member, rock.id, [{ ticket_type_id: rock.types.Standard.id, quantity: 2 }], { coupon: 'SAVE10' });
  confirmed = await server.hold(member, openAir.id, [{ ticket_type_id: openAir.types.Lawn.id, quantity: 3 }]);
  assert.equal(held.status, 'held');
  assert.equal(confirmed.status, 'confirmed');

  const unverified = await server.createAttendee({ prefix: 'fresh', verified: false });
  verifyPath = pathOf(await server.mailLink(unverified.email, '/verify'));
  const forgetful = await server.createAttendee({ prefix: 'forgetful' });
  const r = await server.fetch('POST', '/api/v1/auth/password-reset', { body: { email: forgetful.email } });
  assert.equal(r.status, 202);
  resetPath = pathOf(await server.mailLink(forgetful.email, '/reset-password'));

  anon = await openContext(browser, server);
  signedIn = await openContext(browser, server);
  await logIn(signedIn, server, member);
});

after(async () => {
  await browser?.close();
  await server?.cleanUp();
});

/** Checks a shared context's watch and empties it for the next test. */
function checkAndReset(context) {
  try {
    context.check();
  } finally {
    for (const list of Object.values(context.watch))
      list.length = 0;
  }
}

// ------------------------------------------------------------ status codes --

test('unknown pages and events get the not-found page with status 404', async () => {
  await scenario(browser, server, 'not found', async (page) => {
    for (const where of ['/no-such-page', '/e/no-such-event', `/e/${draft.slug}`, '/bookings/x/y']) {
      const response = await page.goto(where);
      assert.equal(response.status(), 404, where);
      assert.match(response.headers()['content-type'] ?? '', /^text\/html/);
      await h1(page, 'Page not found');
      const home = page.getByRole('main').locator('a[href="/"]');
      assert.ok(await home.count() > 0, 'a link back to the events');
    }
  });
});

// -------------------------------------------------------------- event head --

test('the event page head carries the event, HTML-escaped', async () => {
  // The raw document: nothing of the title may come out as markup.
  const raw = await server.fetch('GET', '/e/rock-night');
  assert.equal(raw.status, 200);
  assert.doesNotMatch(raw.text, /<script>alert/);
  assert.doesNotMatch(raw.text, /<b>drums/);
  assert.match(raw.text, /Rock &amp; Roll &lt;script&gt;alert\((&quot;|&#34;|&#x22;)x(&quot;|&#34;|&#x22;)\)&lt;\/script&gt;/);

  await scenario(browser, server, 'event head', async (page) => {
    await openEvent(page, rock);
    const head = await page.evaluate(() => {
      const meta = (sel) => document.querySelector(sel)?.getAttribute('content') ?? null;
      return {
        title: document.title,
        description: meta('meta[name="description"]'),
        ogTitle: meta('meta[property="og:title"]'),
        ogDescription: meta('meta[property="og:description"]'),
        ogUrl: meta('meta[property="og:url"]'),
        twitterTitle: meta('meta[name="twitter:title"]'),
        canonical: document.querySelector('link[rel="canonical"]')?.getAttribute('href') ?? null,
        data: document.getElementById('page-data')?.textContent ?? null,
        dataType: document.getElementById('page-data')?.getAttribute('type') ?? null,
        bold: document.querySelectorAll('main b').length,
        scripts: [...document.scripts].filter((s) => s.type !== 'application/json' && s.type !== 'application/ld+json')
          .map((s) => s.src),
      };
    });
    assert.ok(head.title.includes(NASTY_TITLE), `<title> ${JSON.stringify(head.title)}`);
    assert.ok(head.ogTitle?.includes(NASTY_TITLE), `og:title ${JSON.stringify(head.ogTitle)}`);
    assert.ok(head.twitterTitle?.includes(NASTY_TITLE), `twitter:title ${JSON.stringify(head.twitterTitle)}`);
    assert.ok(head.ogDescription?.includes('Loud "guitars" & <b>drums</b>.'), `og:description ${JSON.stringify(head.ogDescription)}`);
    assert.ok(head.description?.includes('Loud "guitars"'), `description ${JSON.stringify(head.description)}`);
    assert.equal(head.canonical, `${server.url}/e/rock-night`);
    assert.equal(head.ogUrl, `${server.url}/e/rock-night`);
    assert.equal(head.dataType, 'application/json');
    const data = JSON.parse(head.data);
    assert.equal(data.title, NASTY_TITLE);
    assert.equal(data.id, rock.id);
    assert.deepEqual(head.scripts, [`${server.url}/js/app.js`], 'one module script, no inline ones');

    // The page shows the text as text, newlines kept.
    assert.equal(head.bold, 0);
    await waitForText(page.getByRole('main'), /Loud "guitars" & <b>drums<\/b>\./);
    const shown = await page.getByRole('main').innerText();
    assert.match(shown, /<b>drums<\/b>\.\s*\n\s*Second line: doors at 7\./);
    assert.match(shown, /The "Cellar" & Bar/);
  });
});

// ------------------------------------------------------- headers and weight --

test('every page sends the Content-Security-Policy, and static files revalidate', async () => {
  const pages = ['/', '/e/rock-night', '/login', '/register', '/verify', '/forgot-password',
                 '/reset-password', '/account', '/bookings', `/bookings/${held.id}`, '/tickets', '/nope'];
  for (const where of pages) {
    const r = await server.fetch('GET', where);
    const csp = r.headers.get('content-security-policy');
    assert.ok(csp, `${where}: no Content-Security-Policy`);
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim()).filter(Boolean)
      .map((d) => { const [name, ...value] = d.split(/\s+/); return [name, value.join(' ')]; }));
    for (const [name, value] of Object.entries(CSP))
      assert.equal(directives[name], value, `${where}: ${name} in "${csp}"`);
  }
  for (const file of ['/js/app.js', '/css/site.css', '/locales/de.json']) {
    const r = await server.fetch('GET', file);
    assert.equal(r.status, 200, file);
    const etag = r.headers.get('etag');
    assert.ok(etag, `${file}: ETag`);
    assert.match(r.headers.get('cache-control') ?? '', /no-cache/, `${file}: Cache-Control`);
    const again = await server.fetch('GET', file, { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304, `${file}: revalidation`);
  }
});

/** Loads the event page in a fresh context; returns [total bytes, details]. */
async function eventPageWeight(page) {
  const responses = [];
  page.on('response', (response) => responses.push(response));
  await page.goto(`/e/${rock.slug}`);
  await settle(page);
  let total = 0;
  const sizes = [];
  for (const response of responses) {
    assert.equal(new URL(response.url()).origin, server.url);
    // A signed-out visitor meets no refusals (e.g. no 401 from /api/v1/me).
    assert.ok(response.status() < 400, `${response.status()} for ${pathOf(response.url())}`);
    // The body as sent (compressed, if it was).
    const size = (await response.request().sizes()).responseBodySize;
    total += size;
    sizes.push(`${pathOf(response.url())} ${size}`);
  }
  return [total, `${responses.length} responses:\n${sizes.join('\n')}`];
}

test('the event page weighs under 100 KB and nothing comes from elsewhere', async (t) => {
  await scenario(browser, server, 'weight', async (page, context) => {
    const [total, details] = await eventPageWeight(page);
    t.diagnostic(`event page, English: ${total} bytes`);
    assert.ok(total < 100 * 1024, `${total} bytes in ${details}`);
    assert.deepEqual(context.watch.foreign, []);
  });
  // German adds the catalogue: reported, so growth shows.
  await scenario(browser, server, 'weight-de', async (page) => {
    await page.addInitScript(() => localStorage.setItem('everato.lang', 'de'));
    const [total] = await eventPageWeight(page);
    t.diagnostic(`event page, German: ${total} bytes`);
  }, { locale: 'de-DE' });
});

test('a German visitor never sees the English text flash by', async () => {
  await scenario(browser, server, 'no-flash', async (page) => {
    // Hold the German strings back: until they come, the page is as a
    // slow phone connection would show it.
    let release = () => {};
    const held = new Promise((resolve) => { release = resolve; });
    await page.route('**/locales/de.json', async (route) => { await held; await route.continue(); });
    await page.gotoUnready(`/e/${rock.slug}`, { waitUntil: 'domcontentloaded' });
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'de');
    const heading = page.locator('.site-nav a[data-nav="events"]');
    assert.equal(await heading.textContent(), 'Events');
    assert.equal(await heading.evaluate((el) => getComputedStyle(el).visibility), 'hidden');
    release();
    await page.locator('body[data-ready="true"]').waitFor();
    assert.equal(await heading.textContent(), 'Veranstaltungen');
    assert.equal(await heading.evaluate((el) => getComputedStyle(el).visibility), 'visible');
    assert.equal(await page.evaluate(() => document.documentElement.className), '');
  }, { locale: 'de-DE' });

  // English needs no waiting: nothing is hidden.
  await scenario(browser, server, 'no-flash-en', async (page) => {
    await page.gotoUnready('/', { waitUntil: 'domcontentloaded' });
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.equal(await page.locator('h1').evaluate((el) => getComputedStyle(el).visibility), 'visible');
  });
});

test('going offline shows a banner', async () => {
  await scenario(browser, server, 'offline', async (page, context) => {
    await page.goto('/');
    await h1(page, 'Upcoming events');
    await context.setOffline(true);
    const banner = page.getByRole('status').filter({ hasText: 'You are offline.' });
    await banner.waitFor({ state: 'visible' });
    await context.setOffline(false);
    await banner.waitFor({ state: 'hidden' });
  });
});

test('server trouble is explained, and "Try again" recovers', async () => {
  await scenario(browser, server, 'server-trouble', async (page) => {
    let failing = true;
    await page.route('**/api/v1/public/events?*', (route) => failing
      ? route.fulfill({
        status: 503,
        contentType: 'application/json',
        headers: { 'Retry-After': '2' },
        body: JSON.stringify({ error: { code: 'database_unavailable', message: 'The database is unavailable; try again shortly' } }),
      })
      : route.continue());
    await page.goto('/');
    await h1(page, 'Upcoming events');
    await page.getByText('The events could not be loaded.').waitFor();
    assert.equal(await page.locator('article').count(), 0);
    failing = false;
    await page.getByRole('button', { name: 'Try again', exact: true }).click();
    await page.getByRole('link', { name: 'Open Air', exact: true }).waitFor();
    await page.getByText('The events could not be loaded.').waitFor({ state: 'hidden' });
  });
});

// --------------------------------------------------- accessibility, looks --

/**
 * The pages, each in the state worth checking. `open` brings a page there;
 * `dark` also takes dark screenshots.
 */
const PAGES = [
  { name: 'events', open: async (page) => { await page.goto('/'); await h1(page, 'Upcoming events'); await page.locator('article').first().waitFor(); }, dark: true },
  { name: 'event', open: async (page) => { await openEvent(page, rock); }, dark: true },
  {
    name: 'event-quote',
    open: async (page) => {
      await openEvent(page, rock);
      await choose(page, rock.types.Standard, 2);
      await couponInput(page).fill('NOPE');
      await applyCoupon(page).click();
      await waitForText(page.locator('#coupon-error'), /\S/);
    },
  },
  { name: 'login', open: async (page) => { await page.goto('/login'); await h1(page, 'Log in'); } },
  {
    name: 'login-invalid',
    open: async (page) => {
      await page.goto('/login');
      await h1(page, 'Log in');
      await page.getByRole('button', { name: 'Log in', exact: true }).click();
      await waitFor(async () => (await page.locator('[aria-invalid="true"]').count()) > 0, 'the form to mark the empty fields');
    },
  },
  { name: 'register', open: async (page) => { await page.goto('/register'); await h1(page, 'Create an account'); } },
  {
    name: 'register-invalid',
    open: async (page) => {
      await page.goto('/register');
      await h1(page, 'Create an account');
      await page.getByLabel('Email', { exact: true }).fill('not-an-email');
      await page.getByLabel('Password', { exact: true }).fill('short');
      await page.getByRole('button', { name: 'Create account', exact: true }).click();
      await waitFor(async () => (await page.locator('[aria-invalid="true"]').count()) >= 2, 'the form to mark the bad fields');
    },
  },
  // The link asks for the password chosen at sign-up (shot with the form).
  { name: 'verify', open: async (page) => { await page.goto(verifyPath); await page.getByLabel('Password', { exact: true }).waitFor(); } },
  {
    name: 'verify-failed',
    open: async (page) => {
      await page.goto('/verify?token=expired-or-wrong');
      await page.getByRole('button', { name: 'Resend verification email', exact: true }).waitFor();
    },
  },
  { name: 'forgot-password', open: async (page) => { await page.goto('/forgot-password'); await page.getByRole('button', { name: 'Send reset link', exact: true }).waitFor(); } },
  { name: 'reset-password', open: async (page) => { await page.goto(resetPath); await page.getByLabel('New password', { exact: true }).waitFor(); } },
  { name: 'account', signedIn: true, open: async (page) => { await page.goto('/account'); await h1(page, 'Your account'); } },
  {
    name: 'account-delete-dialog',
    signedIn: true,
    open: async (page) => {
      await page.goto('/account');
      await h1(page, 'Your account');
      await page.getByRole('button', { name: 'Delete account', exact: true }).click();
      await page.getByRole('dialog').waitFor();
    },
  },
  {
    name: 'bookings',
    signedIn: true,
    open: async (page) => {
      await page.goto('/bookings');
      await h1(page, 'My bookings');
      await page.getByRole('main').locator(`a[href="/bookings/${held.id}"]`).first().waitFor();
    },
  },
  { name: 'booking-held', signedIn: true, open: async (page) => { await page.goto(`/bookings/${held.id}`); await bookingPage(page, 'Tickets held'); await page.getByRole('timer').waitFor(); } },
  { name: 'booking-confirmed', signedIn: true, open: async (page) => { await page.goto(`/bookings/${confirmed.id}`); await bookingPage(page, 'Booking confirmed'); } },
  {
    name: 'booking-cancel-dialog',
    signedIn: true,
    open: async (page) => {
      await page.goto(`/bookings/${confirmed.id}`);
      await bookingPage(page, 'Booking confirmed');
      await page.getByRole('button', { name: 'Cancel booking', exact: true }).click();
      await page.getByRole('dialog').waitFor();
    },
  },
  {
    name: 'tickets',
    signedIn: true,
    open: async (page) => {
      await page.goto('/tickets');
      await h1(page, 'My tickets');
      await page.getByRole('img', { name: /^QR code for entry: / }).first().waitFor();
    },
    dark: true,
  },
  { name: 'not-found', open: async (page) => { await page.goto('/nope'); await h1(page, 'Page not found'); }, dark: true },
];

for (const spec of PAGES) {
  test(`${spec.name}: no axe-core violations (light and dark), screenshots`, async () => {
    const context = spec.signedIn ? signedIn : anon;
    const page = await context.newPage();
    try {
      await page.setViewportSize(DESKTOP);
      await spec.open(page);
      await settle(page);
      const violations = await axeViolations(page, spec.name);

      await page.emulateMedia({ colorScheme: 'light' });
      await screenshot(page, `${spec.name}-desktop-light`);
      if (spec.dark) {
        await page.emulateMedia({ colorScheme: 'dark' });
        await screenshot(page, `${spec.name}-desktop-dark`);
      }

      // Phone: nothing wider than the screen.
      await page.setViewportSize(PHONE);
      await page.emulateMedia({ colorScheme: 'light' });
      await sleep(50);
      await screenshot(page, `${spec.name}-phone-light`);
      if (spec.dark) {
        await page.emulateMedia({ colorScheme: 'dark' });
        await screenshot(page, `${spec.name}-phone-dark`);
      }
      await page.emulateMedia({ colorScheme: null });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${spec.name} is ${overflow}px wider than a ${PHONE.width}px screen`);
      assert.deepEqual(violations, [], `axe-core found problems:\n${violations.join('\n')}`);
      checkAndReset(context);
    } finally {
      await page.close();
    }
  });
}

// ------------------------------------------------------------------ phones --

for (const size of [SMALL_PHONE, PHONE]) {
  test(`the main flow on a ${size.width}x${size.height} phone`, async () => {
    const who = await server.createAttendee({ prefix: `phone${size.width}` });
    await scenario(browser, server, `phone ${size.width}`, async (page, context) => {
      await logIn(context, server, who);
      const fits = async (what) => {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${what} is ${overflow}px wider than the screen`);
      };
      await page.goto('/');
      await h1(page, 'Upcoming events');
      await page.getByRole('link', { name: 'Open Air', exact: true }).waitFor();
      await fits('the events page');
      await page.getByRole('link', { name: NASTY_TITLE, exact: true }).tap();
      await h1(page, NASTY_TITLE);
      await fits('the event page');
      await choose(page, rock.types.Balcony, 1);
      await waitForText(page.getByRole('main'), new RegExp(euros(4000).replace('.', '\\.')));
      await getTickets(page).tap();
      await bookingPage(page, 'Tickets held');
      await page.getByRole('timer').waitFor();
      await fits('the booking page');
      await page.goto('/bookings');
      await h1(page, 'My bookings');
      await fits('the bookings page');
      const rows = server.bookingsOf(who.email);
      assert.deepEqual(rows.map((r) => [r.status, r.quantity, r.total]), [['held', 1, 4000]]);
    }, { phone: true, viewport: size });
  });
}

test('the shared pages broke no rules', async () => {
  checkAndReset(anon);
  checkAndReset(signedIn);
  await anon.close();
  await signedIn.close();
});

test('the server stops cleanly', async () => {
  await browser.close();
  browser = null;
  await server.stop();
});
