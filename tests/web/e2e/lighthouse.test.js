// lighthouse.test.js: every page of the site under a performance budget
//
// Lighthouse (npm `lighthouse`, through its Node API) measures every page
// of the site against the real server, signed out and signed in, with its
// mobile and its desktop profile, in Debian's Chromium (started here with
// a remote-debugging port; nothing is downloaded, and the browser resolves
// no host name at all, so nothing but the local server can be asked; every
// request of every run is checked to have gone there).
//
// Budget (BUDGET below): every category (performance, accessibility, best
// practices, SEO) at least 95 and CLS at most 0.1 on both profiles; on the
// mobile profile also LCP at most 2.5 s and TBT at most 200 ms. The event
// page, where buyers tap quantity buttons, must not shift at all (CLS at
// most 0.05). A page over budget fails its test with the audits that
// failed and what they found.
//
// Noise. Lighthouse simulates a slow phone from an unthrottled load, and
// TBT scales the main thread's real work by a CPU slowdown: 4x by default,
// meant for a fast desktop. On a shared 2-core CI machine that would
// measure the load of the other tests. So before each mobile run the CPU
// is benchmarked (Lighthouse's own BenchmarkIndex) and the slowdown set to
// emulate the phone the mobile profile names, a Moto G Power (index 264,
// as Chrome DevTools' CPU calibration has it), never more than the default
// 4x. A run over budget only on timing (performance score, LCP, TBT, or a
// load Lighthouse gave up waiting for) is repeated, up to RUNS times, and
// passes if one run is within budget; CLS, accessibility, best practices
// and SEO are measured once. The test runs alone (tests/web/meson.build). The sanitizer build skips this file: it measures the site, and
// the normal build does that.
//
// Some audits do not apply to a page by design: pages the server marks
// noindex (pages[] in server/site/eva-pages.c) are not meant to be
// crawlable, and the not-found page is meant to answer 404.
//
// Output: a TAP diagnostic line a measurement, and the table of all scores
// at the end, also written to $EVERATO_WEB_REPORT_DIR/lighthouse.md (with
// the JSON report of every run over budget). docs/PERFORMANCE.md keeps the
// table: EVERATO_UPDATE_DOCS=1 rewrites it; otherwise the test checks that
// it has a row for every page measured.
//
// To measure less while working: EVERATO_LIGHTHOUSE_PAGES=event,events and
// EVERATO_LIGHTHOUSE_PROFILES=mobile.
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import lighthouse, { desktopConfig } from 'lighthouse';
import { pageFunctions } from 'lighthouse/core/lib/page-functions.js';
import puppeteer from 'puppeteer-core';

import { CHROMIUM, CHROMIUM_ARGS, SOURCE_ROOT, Server, pathOf, sleep } from '../harness.js';

const SANITIZED = Boolean(process.env.ASAN_OPTIONS || process.env.UBSAN_OPTIONS);
const REPORT_DIR = process.env.EVERATO_WEB_REPORT_DIR ?? '';
const DOC = path.join(SOURCE_ROOT, 'docs/PERFORMANCE.md');

const BUDGET = {
  category: 95,
  cls: 0.1,
  /** Mobile profile only. */
  lcpMs: 2500,
  tbtMs: 200,
};
/** Runs of one page at most, when only timing is over budget. */
const RUNS = 3;
/** Lighthouse's default CPU slowdown, and the phone its mobile profile emulates. */
const MAX_SLOWDOWN = 4;
const PHONE_BENCHMARK = 264;

const CATEGORIES = ['performance', 'accessibility', 'best-practices', 'seo'];
const SHORT = { performance: 'perf', accessibility: 'a11y', 'best-practices': 'bp', seo: 'seo' };
const TIMING = new Set(['performance', 'largest-contentful-paint', 'total-blocking-time']);

// --------------------------------------------------------------- the site --

let server;
let event;
let member;
let held;
let transfer;
let resetPath;

/**
 * The pages: `page` is the name the server gives it (<body data-page>, the
 * pages[] table of server/site/eva-pages.c), `url` where to load it, `shown`
 * how the table names it. `cls` tightens the budget.
 */
const PAGES = [
  { page: 'events', shown: '/', url: () => '/' },
  { page: 'event', shown: '/e/{slug}', url: () => `/e/${event.slug}`, cls: 0.05 },
  { page: 'login', shown: '/login', url: () => '/login' },
  { page: 'register', shown: '/register', url: () => '/register' },
  // Verifying may spend the token: a fresh account for every run.
  { page: 'verify', shown: '/verify?token=…', url: () => freshVerifyPath() },
  { page: 'forgot-password', shown: '/forgot-password', url: () => '/forgot-password' },
  { page: 'reset-password', shown: '/reset-password?token=…', url: () => resetPath },
  { page: 'account', shown: '/account', url: () => '/account', private: true },
  { page: 'bookings', shown: '/bookings', url: () => '/bookings', private: true },
  { page: 'booking', shown: '/bookings/{id}', url: () => `/bookings/${held.id}`, private: true },
  // Where a card payment comes back to (a hold without one, here).
  { page: 'booking-paid', shown: '/bookings/{id}/paid', url: () => `/bookings/${held.id}/paid?session_id=cs_test_lighthouse`,
    private: true },
  { page: 'booking-transfer', shown: '/bookings/{id}/transfer', url: () => `/bookings/${transfer.id}/transfer`, private: true },
  { page: 'not-found', shown: '404', url: () => '/no-such-page', status: 404 },
];

/**
 * Server pages no test here can bring about, and why. A page of the server
 * that is neither measured nor listed here fails the coverage test.
 */
const NOT_MEASURED = {
  error: 'only shown while the database is down (503); the layout of the not-found page',
};

const PROFILES = ['mobile', 'desktop'];
const STATES = ['signed out', 'signed in'];

function selected(envName, all) {
  const wanted = (process.env[envName] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return wanted.length ? all.filter((x) => wanted.includes(typeof x === 'string' ? x : x.page)) : all;
}
const MEASURED_PAGES = selected('EVERATO_LIGHTHOUSE_PAGES', PAGES);
const MEASURED_PROFILES = selected('EVERATO_LIGHTHOUSE_PROFILES', PROFILES);
const EVERYTHING = MEASURED_PAGES.length === PAGES.length && MEASURED_PROFILES.length === PROFILES.length;

async function freshVerifyPath() {
  const fresh = await server.createAttendee({ prefix: 'fresh', verified: false });
  return pathOf(await server.mailLink(fresh.email, '/verify'));
}

/** The server's page table (pages[]) and its fixed paths (routes[]). */
function serverPages() {
  const source = fs.readFileSync(path.join(SOURCE_ROOT, 'server/site/eva-pages.c'), 'utf8');
  const table = (name) => {
    const m = new RegExp(`\\b${name}\\[\\]\\s*=\\s*\\{([\\s\\S]*?)\\n\\};`).exec(source);
    assert.ok(m, `server/site/eva-pages.c has no ${name}[] table`);
    return [...m[1].matchAll(/\{\s*("[^}]*)\}/g)].map((row) => row[1]);
  };
  const pages = table('pages').map((row) => {
    const m = /^"([^"]+)",\s*(?:NULL|"[^"]*"),\s*(TRUE|FALSE)/.exec(row);
    assert.ok(m, `a pages[] row I cannot read: ${row}`);
    return { name: m[1], noindex: m[2] === 'TRUE' };
  });
  const routes = table('routes').map((row) => {
    const m = /^"([^"]+)",\s*"([^"]+)"/.exec(row);
    assert.ok(m, `a routes[] row I cannot read: ${row}`);
    return { path: m[1], page: m[2] };
  });
  return { pages, routes };
}

// ------------------------------------------------------------- the browser --

/** Debian's Chromium with a remote-debugging port, for Lighthouse. */
async function startChromium() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'everato-lighthouse-'));
  const child = spawn(CHROMIUM, [
    ...CHROMIUM_ARGS, '--headless', '--remote-debugging-port=0', `--user-data-dir=${profile}`,
    // No host name resolves: nothing but 127.0.0.1 can be reached.
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1', '--disable-features=Translate,OptimizationHints,MediaRouter',
    '--mute-audio', '--no-default-browser-check', '--password-store=basic', '--use-mock-keychain',
    'about:blank',
  ], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Chromium did not start:\n${log}`)), 60000);
    child.stderr.on('data', (chunk) => {
      log += chunk;
      const m = /DevTools listening on ws:\/\/[^:]+:(\d+)\//.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`Chromium exited (${code}):\n${log}`)));
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // A test process that dies must not leave its browser behind.
  const kill = () => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } };
  process.on('exit', kill);
  return {
    port,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
        await Promise.race([exited, sleep(5000)]);
        kill();
      }
      process.off('exit', kill);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

let chromium;
let browser;
let browserVersion = '';
/** A browser context for each state; the signed-in one holds the member's cookies. */
const contexts = {};

/** The member's cookies, as the server sets them on signing in. */
async function memberCookies() {
  const r = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: member.email, password: member.password }),
  });
  assert.equal(r.status, 200, 'member login');
  const host = new URL(server.url).hostname;
  return r.headers.getSetCookie().map((line) => {
    const [pair, ...attributes] = line.split(';').map((s) => s.trim());
    const at = pair.indexOf('=');
    return {
      name: pair.slice(0, at),
      value: pair.slice(at + 1),
      domain: host,
      path: '/',
      httpOnly: attributes.some((a) => /^httponly$/i.test(a)),
      sameSite: 'Lax',
    };
  });
}

// ------------------------------------------------------------- measuring --

/** Lighthouse's BenchmarkIndex of this machine, now. */
async function benchmark(page) {
  return page.evaluate(pageFunctions.computeBenchmarkIndex);
}

/**
 * One Lighthouse run of `url` in `state` with `profile`; returns the
 * report (lhr) and what it cost.
 */
async function measure(url, spec, state, profile, noindex) {
  const page = await contexts[state].newPage();
  try {
    const settings = {
      output: 'json',
      logLevel: 'error',
      onlyCategories: CATEGORIES,
      // Not scored, and slow to gather.
      disableFullPageScreenshot: true,
      skipAudits: [
        'bf-cache',
        // By design (see the top of this file).
        ...(noindex ? ['is-crawlable'] : []),
        ...(spec.status ? ['http-status-code'] : []),
      ],
      // The not-found page is meant to answer 404.
      ignoreStatusCode: Boolean(spec.status),
    };
    let index = null;
    let slowdown = 1;
    if (profile === 'mobile') {
      index = await benchmark(page);
      slowdown = Math.round(Math.min(MAX_SLOWDOWN, Math.max(1, index / PHONE_BENCHMARK)) * 10) / 10;
      settings.throttling = { cpuSlowdownMultiplier: slowdown };
    }
    const started = Date.now();
    const result = await lighthouse(`${server.url}${url}`, settings,
                                    profile === 'desktop' ? desktopConfig : undefined, page);
    assert.ok(result?.lhr, `Lighthouse gave no report for ${url}`);
    return { lhr: result.lhr, index, slowdown, ms: Date.now() - started };
  } finally {
    await page.close().catch(() => {});
  }
}

const scoreOf = (lhr, id) => Math.round((lhr.categories[id]?.score ?? 0) * 100);
const metric = (lhr, id) => lhr.audits[id]?.numericValue ?? NaN;

/** What a failed audit found, in a line or two. */
function auditFindings(audit) {
  const items = audit.details?.items ?? [];
  const nodes = items.map((item) => item.node?.selector ?? item.node?.snippet ?? item.url ??
                                    item.sourceLocation?.url ?? item.source?.url ?? item.description)
    .filter(Boolean).slice(0, 5);
  return `${audit.id} (${audit.score === null ? '—' : audit.score}${audit.displayValue ? `, ${audit.displayValue}` : ''})` +
    (nodes.length ? `: ${nodes.join(', ')}` : '');
}

/**
 * Where lhr is over the budget: [{what, timing, text}], empty when within.
 */
function overBudget(lhr, spec, profile) {
  const over = [];
  for (const id of CATEGORIES) {
    const score = scoreOf(lhr, id);
    if (score >= BUDGET.category)
      continue;
    const failed = lhr.categories[id].auditRefs
      .filter((ref) => ref.weight > 0 && lhr.audits[ref.id]?.score !== null && lhr.audits[ref.id]?.score < 1)
      .sort((a, b) => b.weight - a.weight)
      .map((ref) => auditFindings(lhr.audits[ref.id]));
    over.push({ what: id, timing: TIMING.has(id), text: `${lhr.categories[id].title} ${score} < ${BUDGET.category}: ${failed.join('; ')}` });
  }
  const cls = metric(lhr, 'cumulative-layout-shift');
  const clsLimit = spec.cls ?? BUDGET.cls;
  if (!(cls <= clsLimit))
    over.push({ what: 'cumulative-layout-shift', timing: false,
                text: `CLS ${cls.toFixed(3)} > ${clsLimit}: ${auditFindings(lhr.audits['layout-shifts'])}` });
  if (profile === 'mobile') {
    const lcp = metric(lhr, 'largest-contentful-paint');
    if (!(lcp <= BUDGET.lcpMs))
      over.push({ what: 'largest-contentful-paint', timing: true,
                  text: `LCP ${Math.round(lcp)} ms > ${BUDGET.lcpMs} ms: ${auditFindings(lhr.audits['largest-contentful-paint-element'])}` });
    const tbt = metric(lhr, 'total-blocking-time');
    if (!(tbt <= BUDGET.tbtMs))
      over.push({ what: 'total-blocking-time', timing: true,
                  text: `TBT ${Math.round(tbt)} ms > ${BUDGET.tbtMs} ms: ${auditFindings(lhr.audits['long-tasks'])}` });
  }
  return over;
}

/** Requests to anything but the server, from the report. */
function foreignRequests(lhr) {
  const origin = new URL(server.url).origin;
  return (lhr.audits['network-requests']?.details?.items ?? [])
    .map((item) => item.url)
    .filter((url) => !/^(data|blob|about):/.test(url) && new URL(url).origin !== origin);
}

/** The elements that moved, most first. */
function shifted(lhr) {
  return (lhr.audits['layout-shifts']?.details?.items ?? [])
    .map((item) => `${item.node?.selector ?? '?'} (${item.score.toFixed(3)})`).join(', ');
}

/** [{spec, state, profile, lhr, runs, slowdown, index, ms}] for the table. */
const results = [];

function line(r) {
  const { lhr } = r;
  const scores = CATEGORIES.map((id) => `${SHORT[id]} ${scoreOf(lhr, id)}`).join(' ');
  const final = pathOf(lhr.finalDisplayedUrl);
  return `${r.profile.padEnd(7)} ${r.state.padEnd(10)} ${r.spec.shown.padEnd(22)} ${scores}  ` +
    `CLS ${metric(lhr, 'cumulative-layout-shift').toFixed(3)} LCP ${(metric(lhr, 'largest-contentful-paint') / 1000).toFixed(1)} s ` +
    `TBT ${Math.round(metric(lhr, 'total-blocking-time'))} ms` +
    (r.profile === 'mobile' ? ` (CPU ${r.slowdown}x, index ${Math.round(r.index)})` : '') +
    (r.runs > 1 ? ` run ${r.runs}` : '') +
    (final.split('?')[0] !== r.url.split('?')[0] ? ` → ${final.split('?')[0]}` : '') +
    ` ${(r.ms / 1000).toFixed(1)} s` +
    (metric(lhr, 'cumulative-layout-shift') >= 0.005 ? `; shifted: ${shifted(lhr)}` : '');
}

function saveReport(name, lhr) {
  if (!REPORT_DIR)
    return;
  fs.mkdirSync(REPORT_DIR, { recursive: true });
  fs.writeFileSync(path.join(REPORT_DIR, `lighthouse-${name}.json`), JSON.stringify(lhr));
}

// ----------------------------------------------------------------- table --

const TABLE_START = '<!-- lighthouse-table: written by tests/web/e2e/lighthouse.test.js (EVERATO_UPDATE_DOCS=1) -->';
const TABLE_END = '<!-- /lighthouse-table -->';

function cell(r) {
  if (!r)
    return ['', '', '', ''];
  const { lhr } = r;
  return [
    CATEGORIES.map((id) => scoreOf(lhr, id)).join('/'),
    `${(metric(lhr, 'largest-contentful-paint') / 1000).toFixed(1)} s`,
    `${Math.round(metric(lhr, 'total-blocking-time'))} ms`,
    metric(lhr, 'cumulative-layout-shift').toFixed(3),
  ];
}

function table() {
  const rows = [
    '| Page | Signed | Mobile perf/a11y/bp/seo | LCP | TBT | CLS | Desktop perf/a11y/bp/seo | LCP | TBT | CLS |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const spec of MEASURED_PAGES)
    for (const state of STATES) {
      const find = (profile) => results.find((r) => r.spec === spec && r.state === state && r.profile === profile);
      const signed = state === 'signed in' ? 'in' : spec.private ? 'out (→ /login)' : 'out';
      rows.push(`| \`${spec.shown}\` | ${signed} | ${[...cell(find('mobile')), ...cell(find('desktop'))].join(' | ')} |`);
    }
  return rows.join('\n');
}

/** The first two cells (page and state) of each row of the docs' table. */
function tableKeys(text) {
  return text.split('\n').filter((l) => /^\| `/.test(l)).map((l) => l.split('|').slice(1, 3).map((c) => c.trim()).join(' '));
}

// ----------------------------------------------------------------- tests --

if (SANITIZED) {
  test('Lighthouse measures the site in the normal build', { skip: 'sanitizer build' }, () => {});
} else {
  before(async () => {
    server = await Server.start('lighthouse');
    // Content a real site would have: a few events, one of them with
    // several ticket types, one nearly sold out, and a longer description.
    event = await server.createEvent({
      title: 'Spring Concert of the City Orchestra',
      slug: 'spring-concert',
      description: 'The city orchestra plays Dvořák\'s New World Symphony and, after the interval, ' +
        'a programme of film music chosen by the audience.\n\nDoors open at 18:30. ' +
        'The hall has step-free access; tell us at the door if you need a seat near an exit.',
      venue: 'Town Hall',
      types: [
        { name: 'Standard', price: 2500, capacity: 300, description: 'A seat in the stalls.' },
        { name: 'Balcony', price: 4000, capacity: 8, description: 'The best view of the stage.' },
        { name: 'Student', price: 1200, capacity: 50 },
      ],
      coupons: [{ code: 'SPRING10', kind: 'percent', percent: 10 }],
    });
    for (const [i, title] of ['Jazz in the Park', 'Poetry Slam', 'Winter Market Night'].entries())
      await server.createEvent({ title, daysAhead: 40 + 10 * i, types: [{ name: 'Entry', price: 900 * i, capacity: 100 }] });

    member = await server.createAttendee({ prefix: 'member', name: 'Mary Member' });
    held = await server.hold(member, event.id, [{ ticket_type_id: event.types.Standard.id, quantity: 2 }],
                             { coupon: 'SPRING10' });
    // A booking to be paid by bank transfer.
    const harbour = await server.createEvent({
      title: 'Harbour Festival',
      daysAhead: 35,
      payment_methods: ['bank_transfer'],
      transfer_details: 'Harbour Events GmbH\nIBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX',
      types: [{ name: 'Day ticket', price: 3500, capacity: 200 }],
    });
    transfer = await server.hold(member, harbour.id, [{ ticket_type_id: harbour.types['Day ticket'].id, quantity: 2 }]);
    const session = await server.session(member);
    const checkout = await server.fetch('POST', `/api/v1/me/bookings/${transfer.id}/checkout`, {
      headers: { Cookie: session.cookie, 'X-CSRF-Token': session.csrf },
      body: { method: 'bank_transfer' },
    });
    assert.equal(checkout.status, 200, `checkout: ${checkout.text}`);

    const forgetful = await server.createAttendee({ prefix: 'forgetful' });
    const r = await server.fetch('POST', '/api/v1/auth/password-reset', { body: { email: forgetful.email } });
    assert.equal(r.status, 202);
    resetPath = pathOf(await server.mailLink(forgetful.email, '/reset-password'));

    chromium = await startChromium();
    browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chromium.port}`, defaultViewport: null });
    browserVersion = (await browser.version()).replace(/^(Headless)?Chrome\//, 'Chromium ');
    contexts['signed out'] = await browser.createBrowserContext();
    contexts['signed in'] = await browser.createBrowserContext();
    await contexts['signed in'].setCookie(...await memberCookies());
  });

  after(async () => {
    await browser?.disconnect().catch(() => {});
    await chromium?.stop();
    await server?.cleanUp();
  });

  test('every page of the server is measured', () => {
    const { pages, routes } = serverPages();
    const measured = new Set(PAGES.map((spec) => spec.page));
    const missing = pages.map((p) => p.name).filter((name) => !measured.has(name) && !(name in NOT_MEASURED));
    assert.deepEqual(missing, [], 'pages of server/site/eva-pages.c that PAGES does not measure');
    const paths = new Set(PAGES.map((spec) => spec.shown.split('?')[0]));
    const unmeasuredPaths = routes.filter((r) => !paths.has(r.path)).map((r) => r.path);
    assert.deepEqual(unmeasuredPaths, [], 'paths of routes[] in server/site/eva-pages.c that PAGES does not measure');
    for (const name of Object.keys(NOT_MEASURED))
      assert.ok(pages.some((p) => p.name === name), `NOT_MEASURED names ${name}, which the server no longer has`);
  });

  test('app.js and everything it imports are preloaded (it blocks the first paint)', () => {
    const js = path.join(SOURCE_ROOT, 'web/js');
    const closure = new Set();
    const visit = (file) => {
      const text = fs.readFileSync(path.join(js, file), 'utf8');
      for (const m of text.matchAll(/^import\s[^'"]*['"]\.\/([^'"]+)['"]/gm))
        if (!closure.has(m[1])) {
          closure.add(m[1]);
          visit(m[1]);
        }
    };
    visit('app.js');
    const layout = fs.readFileSync(path.join(SOURCE_ROOT, 'web/layout.html'), 'utf8');
    assert.match(layout, /<script type="module" src="\/js\/app\.js" blocking="render"><\/script>/);
    const preloaded = [...layout.matchAll(/<link rel="modulepreload" href="\/js\/([^"]+)">/g)].map((m) => m[1]);
    assert.deepEqual(preloaded.sort(), [...closure].sort(),
                     'web/layout.html should <link rel="modulepreload"> exactly the modules app.js imports');
  });

  const { pages: serverPageTable } = serverPages();
  for (const profile of MEASURED_PROFILES)
    for (const state of STATES)
      for (const spec of MEASURED_PAGES)
        test(`${profile}, ${state}: ${spec.shown} within budget`, async (t) => {
          const noindex = serverPageTable.find((p) => p.name === spec.page)?.noindex ?? false;
          // A private page sends a signed-out visitor to the login page
          // (measured with it, then); the not-found page answers 404.
          const redirected = spec.private && state === 'signed out';
          const expected = (w) => (redirected && / was redirected to /.test(w)) ||
                                  (spec.status && w.includes(`(Status code: ${spec.status})`));
          let problems = [];
          let r;
          for (let run = 1; run <= RUNS; run++) {
            const url = await spec.url();
            const m = await measure(url, spec, state, profile, noindex);
            r = { spec, state, profile, url, runs: run, ...m };
            t.diagnostic(line(r));
            assert.equal(m.lhr.runtimeError, undefined, `Lighthouse: ${JSON.stringify(m.lhr.runtimeError)}`);
            assert.deepEqual(foreignRequests(m.lhr), [], 'requests to other hosts');
            // A load that Lighthouse gave up waiting for counts as timing.
            problems = [
              ...m.lhr.runWarnings.filter((w) => !expected(w))
                .map((w) => ({ what: 'warning', timing: /too slowly/.test(w), text: `Lighthouse: ${w}` })),
              ...overBudget(m.lhr, spec, profile),
            ];
            if (problems.length === 0 || problems.some((o) => !o.timing))
              break;
          }
          results.push(r);

          // The page is the one meant. (Pages with a token in the address
          // take it out of there.)
          const final = new URL(r.lhr.finalDisplayedUrl);
          if (redirected)
            assert.equal(final.pathname + final.search, `/login?next=${encodeURIComponent(r.url)}`, 'where the page ended up');
          else
            assert.equal(final.pathname, new URL(r.url, server.url).pathname, 'where the page ended up');
          if (problems.length > 0) {
            saveReport(`${profile}-${state.replace(' ', '-')}-${spec.page}`, r.lhr);
            assert.fail(`${spec.shown} (${profile}, ${state}) is over budget:\n  ${problems.map((o) => o.text).join('\n  ')}`);
          }
        });

  test('the scores, in a table (docs/PERFORMANCE.md)', (t) => {
    const text = table();
    for (const row of text.split('\n'))
      t.diagnostic(row);
    if (REPORT_DIR) {
      fs.mkdirSync(REPORT_DIR, { recursive: true });
      fs.writeFileSync(path.join(REPORT_DIR, 'lighthouse.md'), `${text}\n`);
    }
    if (!EVERYTHING)
      return;
    const doc = fs.readFileSync(DOC, 'utf8');
    const start = doc.indexOf(TABLE_START);
    const end = doc.indexOf(TABLE_END);
    assert.ok(start >= 0 && end > start, `${DOC} has no ${TABLE_START} … ${TABLE_END} block`);
    if (process.env.EVERATO_UPDATE_DOCS === '1') {
      const stamp = `Measured ${new Date().toISOString().slice(0, 10)} with Lighthouse ` +
        `${results[0]?.lhr.lighthouseVersion} in ${browserVersion}.`;
      fs.writeFileSync(DOC, `${doc.slice(0, start + TABLE_START.length)}\n${stamp}\n\n${text}\n${doc.slice(end)}`);
      return;
    }
    assert.deepEqual(tableKeys(doc.slice(start, end)), tableKeys(text),
                     `the table in ${DOC} lists other pages than are measured: run this test with EVERATO_UPDATE_DOCS=1`);
  });

  test('the server stops cleanly', async () => {
    await browser.disconnect();
    browser = null;
    await server.stop();
  });
}
