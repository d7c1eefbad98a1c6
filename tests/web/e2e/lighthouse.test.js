// lighthouse.test.js: every page of the site under a performance budget —
// Lighthouse (npm lighthouse, Debian's Chromium, nothing downloaded) on the
// mobile and desktop profiles, signed out and signed in.
//
// Budget (issue 20): every category (performance, accessibility, best
// practices, SEO) at least 95 and CLS ≤ 0.1 (the event page's ≤ 0.05) on
// both profiles; on the mobile one LCP ≤ 2.5 s and TBT ≤ 200 ms. A page
// over budget fails naming the audits that failed. Performance is measured
// with Lighthouse's default simulated throttling (lantern); on a busy
// machine blocking time still varies, so a page over budget in timing only
// is measured again, up to five runs, the best counting; every run is
// reported. A layout shift over budget in any run fails.
//
// One audit is skipped, on some pages only: SEO's "is-crawlable" on the
// pages that are private on purpose (the account, bookings, tickets,
// password and verification pages carry <meta name="robots"
// content="noindex">, see server/site/eva-pages.c). The test checks that
// they do. The not-found page is left out: Lighthouse does not audit a page
// answered with 404.
//
// The scores go to the TAP output (one line per page and profile) and, as a
// Markdown table, to lighthouse.md beside the screenshots; docs/PERFORMANCE.md
// keeps the table of the last run.
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import lighthouse, { desktopConfig } from 'lighthouse';
import { chromium } from 'playwright-core';

import { CHROMIUM, CHROMIUM_ARGS, SCREENSHOT_DIR, Server, pathOf, sleep } from '../harness.js';

const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
const BUDGET = {
  category: 95,
  cls: 0.1,
  eventCls: 0.05,
  lcpMs: 2500,   // mobile
  tbtMs: 200,    // mobile
};
const PROFILES = ['mobile', 'desktop'];
/** Runs of a page over budget in timing only before it fails. */
const RUNS = 5;
/** What a busy machine can make worse: retried (see below). */
const TIMING = /^(performance|total-blocking-time|largest-contentful-paint) /;
/** Only the pages whose name matches, e.g. "^event" (by hand, while working on one). */
const ONLY = process.env.EVERATO_LIGHTHOUSE_PAGES ? new RegExp(process.env.EVERATO_LIGHTHOUSE_PAGES) : null;
/** A sanitizer build measures the sanitizer: the budget is checked on the normal build. */
const SANITIZED = Boolean(process.env.ASAN_OPTIONS || process.env.UBSAN_OPTIONS);

let server;
let chrome;
let port;
let member;
const pages = [];
const rows = [];

// ---------------------------------------------------------------- Chromium --

/** Debian's Chromium with a DevTools port for Lighthouse; {port, stop}. */
async function startChromium() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'everato-lighthouse-'));
  const child = spawn(CHROMIUM, ['--headless=new', '--remote-debugging-port=0', `--user-data-dir=${profile}`,
                                 ...CHROMIUM_ARGS, 'about:blank'], { stdio: 'ignore' });
  process.on('exit', () => { try { child.kill('SIGKILL'); } catch { /* gone */ } });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const file = path.join(profile, 'DevToolsActivePort');
  for (let waited = 0; !fs.existsSync(file) || fs.readFileSync(file, 'utf8').indexOf('\n') < 0; waited += 50) {
    if (waited > 30000 || child.exitCode !== null)
      throw new Error(`${CHROMIUM} did not open a DevTools port`);
    await sleep(50);
  }
  return {
    port: Number(fs.readFileSync(file, 'utf8').split('\n')[0]),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      // Chromium's helper processes may still write into the profile for a
      // moment after the browser has gone (ENOTEMPTY): try a few times; a
      // leftover folder in the run's TMPDIR is removed with it anyway.
      try {
        fs.rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      } catch (error) {
        console.error(`# could not remove the Chromium profile ${profile}: ${error.message}`);
      }
    },
  };
}

/** Puts `who`'s session cookies into the Chromium Lighthouse drives. */
async function signInChromium(who) {
  const session = await server.session(who);
  const [name, value] = session.cookie.split('=');
  const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`);
  try {
    await browser.contexts()[0].addCookies([
      { name, value, url: server.url, httpOnly: true, sameSite: 'Lax' },
      { name: 'everato_signed_in', value: '1', url: server.url, sameSite: 'Lax' },
    ]);
  } finally {
    // Leaves Chromium running: only the connection goes.
    await browser.close();
  }
}

// ----------------------------------------------------------- Lighthouse --

/**
 * One Lighthouse run; returns the scores and what is over budget
 * (an empty list: nothing).
 */
async function audit(spec, profile) {
  const flags = {
    port,
    logLevel: 'error',
    output: 'json',
    onlyCategories: CATEGORIES,
    // Signed in: keep the session cookies Lighthouse would clear.
    disableStorageReset: spec.signedIn,
    ...(spec.private ? { skipAudits: ['is-crawlable'] } : {}),
  };
  const started = Date.now();
  const result = await lighthouse(server.url + spec.path, flags, profile === 'desktop' ? desktopConfig : undefined);
  const lhr = result.lhr;
  if (lhr.runtimeError)
    throw new Error(`${spec.name} (${profile}): Lighthouse: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
  // Same page (the verify and reset pages drop their token from the address).
  assert.equal(new URL(lhr.finalDisplayedUrl).pathname, new URL(server.url + spec.path).pathname,
               `${spec.name}: the page was redirected`);

  const score = (id) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
  const numeric = (id) => lhr.audits[id]?.numericValue ?? NaN;
  const run = {
    name: spec.name,
    profile,
    scores: Object.fromEntries(CATEGORIES.map((id) => [id, score(id)])),
    cls: numeric('cumulative-layout-shift'),
    lcp: numeric('largest-contentful-paint'),
    tbt: numeric('total-blocking-time'),
    seconds: (Date.now() - started) / 1000,
    benchmark: Math.round(lhr.environment?.benchmarkIndex ?? 0),
    over: [],
    // What costs points in the categories other than performance.
    lost: CATEGORIES.filter((id) => id !== 'performance').flatMap((id) => lhr.categories[id].auditRefs
      .filter((ref) => ref.weight > 0 && (lhr.audits[ref.id].score ?? 1) < 1).map((ref) => ref.id)),
  };

  for (const id of CATEGORIES)
    if (run.scores[id] < BUDGET.category) {
      // The audits that cost points, as Lighthouse names them.
      const lost = lhr.categories[id].auditRefs
        .filter((ref) => ref.weight > 0 && (lhr.audits[ref.id].score ?? 1) < 1)
        .map((ref) => `${ref.id} (${lhr.audits[ref.id].displayValue ?? lhr.audits[ref.id].score})`);
      run.over.push(`${id} ${run.scores[id]} < ${BUDGET.category}: ${lost.join(', ') || 'no audit named'}`);
    }
  const clsMax = spec.eventPage ? BUDGET.eventCls : BUDGET.cls;
  if (!(run.cls <= clsMax))
    run.over.push(`cumulative-layout-shift ${run.cls.toFixed(3)} > ${clsMax}` + layoutShifts(lhr));
  if (profile === 'mobile' && !(run.lcp <= BUDGET.lcpMs))
    run.over.push(`largest-contentful-paint ${Math.round(run.lcp)} ms > ${BUDGET.lcpMs} ms`);
  if (profile === 'mobile' && !(run.tbt <= BUDGET.tbtMs))
    run.over.push(`total-blocking-time ${Math.round(run.tbt)} ms > ${BUDGET.tbtMs} ms` + longTasks(lhr));

  if (spec.private) {
    const robots = await server.fetch('GET', spec.path, { headers: spec.signedIn ? { Cookie: spec.cookie } : {} });
    assert.match(robots.text, /<meta name="robots" content="noindex">/,
                 `${spec.name} skips is-crawlable but is not marked noindex`);
  }
  return run;
}

function shortUrl(url) {
  try {
    return pathOf(String(url));
  } catch {
    return String(url);
  }
}

/** The longest main-thread tasks (as measured, unthrottled), for a TBT over budget. */
function longTasks(lhr) {
  const items = (lhr.audits['long-tasks']?.details?.items ?? []).slice(0, 3);
  return items.length === 0 ? '' : ` (long tasks: ${items.map((i) => `${shortUrl(i.url)} ${Math.round(i.duration)} ms`).join(', ')})`;
}

/** The elements that moved, for a CLS over budget. */
function layoutShifts(lhr) {
  const items = lhr.audits['layout-shifts']?.details?.items ?? [];
  return items.length === 0 ? '' : ` (moved: ${items.map((i) => `${i.node?.selector} ${i.score.toFixed(3)}`).join(', ')})`;
}

/**
 * Before measuring a page again: waits (up to 20 s) until the
 * machine's load is below its number of cores, so that the next run
 * measures the page rather than the neighbours.
 */
async function quieter(t) {
  const cores = os.cpus().length;
  const started = Date.now();
  while (os.loadavg()[0] > cores && Date.now() - started < 20000)
    await sleep(2000);
  if (Date.now() - started >= 2000)
    t.diagnostic(`waited ${Math.round((Date.now() - started) / 1000)} s for a load below ${cores} ` +
                 `(now ${os.loadavg()[0].toFixed(1)})`);
}

function line(run) {
  const s = run.scores;
  return `${run.name} (${run.profile}): performance ${s.performance}, accessibility ${s.accessibility}, ` +
         `best practices ${s['best-practices']}, SEO ${s.seo}; CLS ${run.cls.toFixed(3)}, ` +
         `LCP ${Math.round(run.lcp)} ms, TBT ${Math.round(run.tbt)} ms` +
         (run.lost.length > 0 ? `; points lost to ${run.lost.join(', ')}` : '') +
         ` (${run.seconds.toFixed(1)} s, benchmark index ${run.benchmark})`;
}

function writeTable() {
  if (!SCREENSHOT_DIR || rows.length === 0)
    return;
  const out = ['| Page | Signed in | Profile | Perf | A11y | BP | SEO | CLS | LCP | TBT |',
               '|---|---|---|---:|---:|---:|---:|---:|---:|---:|'];
  for (const { spec, run } of rows)
    out.push(`| ${spec.name} (\`${spec.label}\`) | ${spec.signedIn ? 'yes' : 'no'} | ${run.profile} | ` +
             `${run.scores.performance} | ${run.scores.accessibility} | ${run.scores['best-practices']} | ` +
             `${run.scores.seo} | ${run.cls.toFixed(3)} | ${(run.lcp / 1000).toFixed(1)} s | ${Math.round(run.tbt)} ms |`);
  const dir = path.dirname(SCREENSHOT_DIR);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'lighthouse.md'), out.join('\n') + '\n');
}

// ----------------------------------------------------------------- setup --

before(async () => {
  server = await Server.start('lighthouse', { env: { EVERATO_TRANSFER_DETAILS: 'Everato Test\nIBAN DE89 3704 0044 0532 0130 00' } });
  const rock = await server.createEvent({
    title: 'Rock Night',
    slug: 'rock-night',
    description: 'An evening of loud guitars and drums.\nDoors open at 7.',
    venue: 'The Cellar',
    payment_methods: ['bank_transfer', 'at_door'],
    types: [
      { name: 'Standard', price: 2500, capacity: 100, description: 'A place to stand.' },
      { name: 'Balcony', price: 4000, capacity: 6 },
    ],
  });
  const openAir = await server.createEvent({
    title: 'Open Air', daysAhead: 45, types: [{ name: 'Lawn', price: 0, capacity: 500 }],
  });

  member = await server.createAttendee({ prefix: 'lighthouse', name: 'Mary Member' });
  const s = await server.session(member);
  const checkout = async (id, method) => {
    const r = await server.fetch('POST', `/api/v1/me/bookings/${id}/checkout`, {
      headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf }, body: { method },
    });
    assert.equal(r.status, 200, `checkout: ${r.text}`);
    return r.json.booking;
  };
  const standard = [{ ticket_type_id: rock.types.Standard.id, quantity: 2 }];
  // Paid by transfer and recorded: its return page says the payment came.
  // (First: an attendee may keep only two open holds of an event.)
  const paid = await checkout((await server.hold(member, rock.id, standard)).id, 'bank_transfer');
  await server.admin('POST', `/api/v1/admin/bookings/${paid.id}/mark-paid`,
                     { amount: paid.total, paid_on: new Date().toISOString().slice(0, 10) }, 200);
  const transfer = await checkout((await server.hold(member, rock.id, standard)).id, 'bank_transfer');
  assert.equal(transfer.status, 'pending_payment');
  const held = await server.hold(member, rock.id, standard);
  const confirmed = await server.hold(member, openAir.id, [{ ticket_type_id: openAir.types.Lawn.id, quantity: 2 }]);
  assert.equal(confirmed.status, 'confirmed');

  const fresh = await server.createAttendee({ prefix: 'fresh', verified: false });
  const verify = pathOf(await server.mailLink(fresh.email, '/verify'));
  const forgetful = await server.createAttendee({ prefix: 'forgetful' });
  assert.equal((await server.fetch('POST', '/api/v1/auth/password-reset', { body: { email: forgetful.email } })).status, 202);
  const reset = pathOf(await server.mailLink(forgetful.email, '/reset-password'));

  const out = (name, p, label = p, more = {}) => pages.push({ name, path: p, label, signedIn: false, ...more });
  const inn = (name, p, label = p, more = {}) => pages.push({ name, path: p, label, signedIn: true, cookie: s.cookie, ...more });
  out('events', '/');
  out('event', '/e/rock-night', '/e/{slug}', { eventPage: true });
  out('login', '/login');
  out('register', '/register');
  out('verify', verify, '/verify?token=…', { private: true });
  out('forgot-password', '/forgot-password', '/forgot-password', { private: true });
  out('reset-password', reset, '/reset-password?token=…', { private: true });
  inn('events, signed in', '/', '/');
  inn('event, signed in', '/e/rock-night', '/e/{slug}', { eventPage: true });
  inn('account', '/account', '/account', { private: true });
  inn('bookings', '/bookings', '/bookings', { private: true });
  inn('booking, held', `/bookings/${held.id}`, '/bookings/{id}', { private: true });
  inn('booking with tickets', `/bookings/${confirmed.id}`, '/bookings/{id}', { private: true });
  inn('checkout return', `/bookings/${paid.id}/paid?session_id=cs_test_none`, '/bookings/{id}/paid', { private: true });
  inn('bank transfer', `/bookings/${transfer.id}/transfer`, '/bookings/{id}/transfer', { private: true });
  inn('my tickets', '/tickets', '/tickets', { private: true });

  chrome = await startChromium();
  port = chrome.port;
});

after(async () => {
  writeTable();
  await chrome?.stop();
  await server?.cleanUp();
});

// ----------------------------------------------------------------- tests --

let signedInYet = false;

// Signed-out pages first: Lighthouse clears the origin's storage (and so
// the cookies) before those; the signed-in ones keep the session.
test('every page within the budget, mobile and desktop', { skip: SANITIZED && 'a sanitizer build' }, async (t) => {
  const failures = [];
  // A first run warms Chromium up (its first page is always slow); not counted.
  await audit({ name: 'warm-up', path: '/login', label: '/login', signedIn: false }, 'mobile');
  for (const spec of [...pages].sort((a, b) => Number(a.signedIn) - Number(b.signedIn))) {
    if (ONLY && !ONLY.test(spec.name))
      continue;
    if (spec.signedIn && !signedInYet) {
      await signInChromium(member);
      signedInYet = true;
    }
    for (const profile of PROFILES) {
      // A page over budget only in timing (blocking time, paint times, the
      // performance score) is measured again, up to RUNS times in all:
      // other work on a busy machine only ever adds time, so the page's own
      // cost is its best run. A layout shift or a lost point elsewhere
      // fails at once, whatever the other runs say. Every run is reported.
      const runs = [];
      let run;
      let firm = [];
      do {
        if (runs.length > 0)
          await quieter(t);
        run = await audit(spec, profile);
        runs.push(run);
        firm = firm.concat(run.over.filter((what) => !TIMING.test(what)));
        if (run.over.length > 0)
          t.diagnostic(`${line(run)} — over budget (run ${runs.length}): ${run.over.join('; ')}`);
      } while (run.over.length > 0 && firm.length === 0 && runs.length < RUNS);
      if (run.over.length > 0 || firm.length > 0)
        failures.push(`${spec.name} (${profile}), ${spec.label}: ` +
                      runs.map((r, i) => `run ${i + 1}: ${r.over.join('; ')}`).join(' | '));
      t.diagnostic(line(run));
      rows.push({ spec, run });
    }
  }
  assert.deepEqual(failures, [], `over budget:\n${failures.join('\n')}`);
});

test('the server stops cleanly', async () => {
  await chrome?.stop();
  chrome = null;
  await server.stop();
});
