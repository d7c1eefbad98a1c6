// harness.js: what the web site's end-to-end tests share
//
// A test file starts ONE everato-server on a throwaway database of the
// cluster named by EVERATO_TEST_PG (as the integration tests do), seeds it
// through the admin API, and drives Debian's Chromium through playwright-core.
// Mail is not sent: without EVERATO_SMTP_URL the server writes each message
// as an .eml file to $EVERATO_DATA_DIR/mail/, which mailLink() reads.
//
// The server is stopped by the last test of each file (stopServer), which
// fails when it does not exit 0: a sanitizer report or a crash is a failure.
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

import { HERE, SOURCE_ROOT } from './paths.js';

export { HERE, SOURCE_ROOT };
export const SERVER_BIN = process.env.EVERATO_SERVER_BIN ??
  path.join(SOURCE_ROOT, 'build/server/everato-server');
export const CHROMIUM = process.env.EVERATO_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = process.env.EVERATO_WEB_SCREENSHOT_DIR ?? '';

/** Sanitizer builds are several times slower: wait longer for them. */
const SLOW = Boolean(process.env.ASAN_OPTIONS || process.env.UBSAN_OPTIONS);
export const TIMEOUT = Number(process.env.EVERATO_WEB_TIMEOUT_MS ?? (SLOW ? 30000 : 10000));

export const ADMIN_EMAIL = 'admin@everato.test';
export const ADMIN_PASSWORD = 'admin-password-' + randomBytes(6).toString('hex');
export const PASSWORD = 'correct horse battery';

let german = null;

/** The German for `english`, from the site's own catalogue. */
export function de(english) {
  german ??= JSON.parse(fs.readFileSync(path.join(SOURCE_ROOT, 'web/locales/de.json'), 'utf8'));
  assert.ok(typeof german[english] === 'string' && german[english] !== '',
            `web/locales/de.json has no translation of "${english}"`);
  return german[english];
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ------------------------------------------------------------------ psql --

const BASE_CONNINFO = process.env.EVERATO_TEST_PG ?? '';

function psqlBin() {
  const dir = process.env.EVERATO_PG_BINDIR;
  if (dir && fs.existsSync(path.join(dir, 'psql')))
    return path.join(dir, 'psql');
  return 'psql';
}

/**
 * Runs SQL through psql; :'name' in the text is replaced by vars[name],
 * quoted by psql. Returns the rows as arrays of strings.
 */
export function psql(conninfo, sql, vars = {}) {
  const args = ['-X', '-q', '-tA', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-d', conninfo];
  for (const [name, value] of Object.entries(vars))
    args.push('-v', `${name}=${value}`);
  const run = spawnSync(psqlBin(), args, { input: sql, encoding: 'utf8' });
  if (run.error)
    throw new Error(`psql: ${run.error.message}`);
  if (run.status !== 0)
    throw new Error(`psql failed (${run.status}): ${run.stderr}\n${sql}`);
  return run.stdout.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
}

function requireCluster() {
  if (BASE_CONNINFO === '')
    throw new Error('EVERATO_TEST_PG is not set: run the tests with ./scripts/everato test, ' +
                    'which starts a throwaway PostgreSQL cluster');
}

// ------------------------------------------------------------------ ports --

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (probe.address());
      probe.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- server --

const running = new Set();

// A test process that dies must not leave its server behind.
process.on('exit', () => {
  for (const server of running)
    try { server.child.kill('SIGKILL'); } catch { /* gone */ }
});

export class Server {
  /**
   * @param {string} name short name of the test file, for the database
   * @param {object} [options]
   * @param {Record<string, string>} [options.env] more environment for the
   *   server (EVERATO_STRIPE_*, EVERATO_TRANSFER_DETAILS…)
   */
  static async start(name, { env = {} } = {}) {
    requireCluster();
    const server = new Server();
    server.extraEnv = env;
    server.db = `web_${name.replace(/[^a-z0-9]/g, '_')}_${process.pid}_${randomBytes(3).toString('hex')}`;
    server.conninfo = `${BASE_CONNINFO} dbname=${server.db}`;
    server.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'everato-web-'));
    server.dataDir = path.join(server.tmp, 'data');
    server.mailDir = path.join(server.dataDir, 'mail');
    server.logPath = path.join(server.tmp, 'server.log');
    fs.mkdirSync(server.dataDir);

    psql(BASE_CONNINFO, `CREATE DATABASE "${server.db}"`);
    server.cli(['migrate', 'up']);
    server.cli(['create-admin', '--email', ADMIN_EMAIL, '--name', 'Test Admin',
                '--role', 'super_admin', '--password-stdin'], ADMIN_PASSWORD + '\n');

    // A port picked here, so that EVERATO_PUBLIC_URL (links in mails, the
    // canonical URL) is the address the browser uses. Another process may
    // take it in between: then try another.
    for (let attempt = 1; ; attempt++) {
      try {
        await server.serve(await freePort());
        break;
      } catch (error) {
        if (attempt >= 5 || !/already in use|cannot listen|bind/i.test(String(error)))
          throw error;
      }
    }
    await server.adminLogin();
    return server;
  }

  env(extra = {}) {
    const env = { ...process.env };
    for (const name of ['EVERATO_SMTP_URL', 'EVERATO_PUBLIC_URL', 'EVERATO_WEB_DIR',
                        'EVERATO_STRIPE_SECRET_KEY', 'EVERATO_STRIPE_WEBHOOK_SECRET'])
      delete env[name];
    // EVERATO_TEST_WEB_DIR serves a folder instead of the copy built into
    // the binary (handy while working on web/); the default tests what ships.
    if (process.env.EVERATO_TEST_WEB_DIR)
      env.EVERATO_WEB_DIR = process.env.EVERATO_TEST_WEB_DIR;
    return {
      ...env,
      EVERATO_DATABASE_URL: this.conninfo,
      EVERATO_DATA_DIR: this.dataDir,
      EVERATO_THREADS: '2',
      EVERATO_DB_POOL_SIZE: '4',
      // The tests sign up many accounts from one address.
      EVERATO_SIGNUP_LIMIT: '100000',
      EVERATO_MAIL_POLL_MS: '200',
      EVERATO_SHUTDOWN_TIMEOUT_MS: '2000',
      ...this.extraEnv,
      ...extra,
    };
  }

  cli(args, input) {
    const run = spawnSync(SERVER_BIN, args, { env: this.env(), input: input ?? '', encoding: 'utf8' });
    if (run.error)
      throw new Error(`${SERVER_BIN}: ${run.error.message}`);
    if (run.status !== 0)
      throw new Error(`everato-server ${args.join(' ')} exited ${run.status}:\n${run.stdout}${run.stderr}`);
    return run.stdout;
  }

  serve(port) {
    this.url = `http://127.0.0.1:${port}`;
    this.log = '';
    const logFile = fs.openSync(this.logPath, 'w');
    const child = spawn(SERVER_BIN, ['serve'], {
      env: this.env({ EVERATO_LISTEN: `127.0.0.1:${port}`, EVERATO_PUBLIC_URL: this.url }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    running.add(this);
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        running.delete(this);
        resolve({ code, signal });
      });
    });
    const collect = (chunk) => {
      this.log += chunk.toString();
      fs.writeSync(logFile, chunk);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('close', () => fs.closeSync(logFile));

    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`everato-server did not start in time:\n${this.log}`));
      }, 60000);
      const check = () => {
        const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(this.log);
        if (m) {
          clearTimeout(deadline);
          child.stdout.off('data', check);
          child.stderr.off('data', check);
          assert.equal(Number(m[1]), port);
          resolve(this);
        }
      };
      child.stdout.on('data', check);
      child.stderr.on('data', check);
      this.exited.then(({ code, signal }) => {
        clearTimeout(deadline);
        reject(new Error(`everato-server exited while starting (${code ?? signal}):\n${this.log}`));
      });
    });
  }

  /**
   * Stops the server with SIGTERM and returns how it ended; throws when it
   * did not exit 0 (a sanitizer report, a crash, a hang).
   */
  async stop() {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) {
      const result = this.child ? await this.exited : { code: 0, signal: null };
      if (result.code !== 0)
        throw new Error(`everato-server had already exited (${result.code ?? result.signal}):\n${this.log}`);
      return result;
    }
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30000);
    const result = await this.exited;
    clearTimeout(timer);
    if (result.code !== 0) {
      // The end of the log on stderr too: the report of a failed run keeps
      // stderr when it cuts the TAP output short.
      console.error(`# everato-server ended with ${result.code ?? result.signal}; its log ends:\n` +
                    this.log.split('\n').slice(-60).join('\n'));
      throw new Error(`everato-server did not stop cleanly (${result.code ?? result.signal}):\n${this.log}`);
    }
    return result;
  }

  /** Kills what is left and drops the database; for after(). */
  async cleanUp() {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    try {
      psql(BASE_CONNINFO, `DROP DATABASE IF EXISTS "${this.db}" WITH (FORCE)`);
    } catch (error) {
      console.error(`# ${error.message}`);
    }
    if (!process.env.EVERATO_WEB_KEEP_TMP)
      fs.rmSync(this.tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  }

  /** SQL on this server's database; see psql(). */
  sql(text, vars = {}) {
    return psql(this.conninfo, text, vars);
  }

  /** The first column of the first row, or null. */
  sqlValue(text, vars = {}) {
    const rows = this.sql(text, vars);
    return rows.length > 0 ? rows[0][0] : null;
  }

  // ---------------------------------------------------------------- HTTP --

  /** A request to the server from Node; JSON in, JSON (or text) out. */
  async fetch(method, urlPath, { body, headers = {}, token } = {}) {
    const init = { method, headers: { ...headers }, redirect: 'manual' };
    if (token)
      init.headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(this.url + urlPath, init);
    const text = await response.text();
    let json = null;
    if ((response.headers.get('content-type') ?? '').startsWith('application/json') && text !== '')
      json = JSON.parse(text);
    return { status: response.status, headers: response.headers, text, json };
  }

  async adminLogin() {
    const r = await this.fetch('POST', '/api/v1/admin/auth/login',
                               { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    assert.equal(r.status, 200, `admin login: ${r.text}`);
    this.token = r.json.access_token;
  }

  /** An admin API call that must answer with `expect`. */
  async admin(method, urlPath, body, expect) {
    let r = await this.fetch(method, urlPath, { body, token: this.token });
    if (r.status === 401) {
      await this.adminLogin();
      r = await this.fetch(method, urlPath, { body, token: this.token });
    }
    if (expect !== undefined)
      assert.equal(r.status, expect, `${method} ${urlPath}: ${r.text}`);
    return r.json;
  }

  /**
   * A published event with ticket types and coupons.
   * types: [{name, price, capacity, ...TicketTypeInput}]
   * coupons: [{code, kind, percent | amount, ...}] (ticket_type_ids by
   * type name in `types`)
   * Returns the event with `types` (by name → ticket type) and `slug`.
   */
  async createEvent({ types = [], coupons = [], publish = true, daysAhead = 30, ...fields }) {
    const starts = new Date(Date.now() + daysAhead * 86400000);
    starts.setUTCHours(17, 0, 0, 0);
    const ends = new Date(starts.getTime() + 3 * 3600000);
    const event = await this.admin('POST', '/api/v1/admin/events', {
      timezone: 'Europe/Berlin',
      starts_at: starts.toISOString(),
      ends_at: ends.toISOString(),
      currency: 'EUR',
      venue: 'Town Hall',
      address: 'Market Square 1, 10115 Berlin',
      description: 'An evening of music.',
      ...fields,
    }, 201);
    event.types = {};
    for (const [i, type] of types.entries()) {
      const created = await this.admin('POST', `/api/v1/admin/events/${event.id}/ticket-types`,
                                       { sort_order: i, ...type }, 201);
      event.types[type.name] = created;
    }
    for (const coupon of coupons) {
      const input = { ...coupon };
      if (input.ticket_types) {
        input.ticket_type_ids = input.ticket_types.map((name) => event.types[name].id);
        delete input.ticket_types;
      }
      await this.admin('POST', `/api/v1/admin/events/${event.id}/coupons`, input, 201);
    }
    if (publish)
      await this.admin('POST', `/api/v1/admin/events/${event.id}/publish`, undefined, 200);
    return event;
  }

  // ----------------------------------------------------------- attendees --

  /**
   * An attendee account made through the API; verified in the database
   * unless verified is false. Returns {email, password, name, id}.
   */
  async createAttendee({ name = 'Ada Lovelace', verified = true, locale = 'en', prefix = 'ada' } = {}) {
    const email = `${prefix}-${randomBytes(4).toString('hex')}@example.com`;
    const r = await this.fetch('POST', '/api/v1/auth/register',
                               { body: { email, password: PASSWORD, name, locale } });
    assert.equal(r.status, 202, `register: ${r.text}`);
    if (verified)
      this.sql(`UPDATE attendees SET status = 'active', email_verified_at = now() WHERE email = :'e'`,
               { e: email });
    const id = this.sqlValue(`SELECT id FROM attendees WHERE email = :'e'`, { e: email });
    return { email, password: PASSWORD, name, id };
  }

  /** A session for `who` from Node: {cookie, csrf}, for API calls. */
  async session(who) {
    const r = await this.fetch('POST', '/api/v1/auth/login',
                               { body: { email: who.email, password: who.password } });
    assert.equal(r.status, 200, `login: ${r.text}`);
    const cookie = /everato_session=[^;]+/.exec(r.headers.get('set-cookie') ?? '')[0];
    return { cookie, csrf: r.json.csrf_token };
  }

  /** Holds tickets as `who` through the API; returns the booking. */
  async hold(who, eventId, items, { coupon, expect = 201 } = {}) {
    const s = await this.session(who);
    const r = await this.fetch('POST', '/api/v1/bookings', {
      headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf, 'Idempotency-Key': randomBytes(8).toString('hex') },
      body: { event_id: eventId, items, ...(coupon ? { coupon_code: coupon } : {}) },
    });
    assert.equal(r.status, expect, `hold: ${r.text}`);
    return r.json;
  }

  /** Bookings of an attendee (by email): [{id, status, total, discount, quantity}]. */
  bookingsOf(email) {
    return this.sql(
      `SELECT b.id, b.status, b.total, b.discount, coalesce(b.coupon_id::text, ''),
              (SELECT sum(quantity) FROM booking_items i WHERE i.booking_id = b.id)
         FROM bookings b JOIN attendees a ON a.id = b.attendee_id
        WHERE a.email = :'e' ORDER BY b.created_at`, { e: email })
      .map(([id, status, total, discount, coupon, quantity]) =>
        ({ id, status, total: Number(total), discount: Number(discount), coupon, quantity: Number(quantity) }));
  }

  // ---------------------------------------------------------------- mail --

  /**
   * Waits for a mail to `email` holding a link to `linkPath` (/verify or
   * /reset-password) that is not in `seen`, and returns the link.
   */
  async mailLink(email, linkPath, { seen = [], timeout = TIMEOUT } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = [];
      let names = [];
      try {
        names = fs.readdirSync(this.mailDir).filter((n) => n.endsWith('.eml'));
      } catch { /* not there yet */ }
      names.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
      for (const name of names) {
        const mail = parseMail(fs.readFileSync(path.join(this.mailDir, name), 'latin1'));
        if (!mail.to.toLowerCase().includes(email.toLowerCase()))
          continue;
        const escaped = linkPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
        const re = new RegExp(`https?://[^\\s"'<>]+${escaped}\\?token=[A-Za-z0-9_-]+`, 'g');
        for (const part of mail.parts)
          for (const m of part.matchAll(re))
            if (!seen.includes(m[0]))
              found.push(m[0]);
      }
      if (found.length > 0)
        return found[found.length - 1];
      if (Date.now() > deadline)
        throw new Error(`no mail to ${email} with a ${linkPath} link in ${this.mailDir}`);
      await sleep(100);
    }
  }
}

/** Decodes a quoted-printable body to text (UTF-8). */
export function decodeQuotedPrintable(text) {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes = [];
  for (let i = 0; i < soft.length; i++) {
    const c = soft[i];
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(soft.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The To header and the decoded text of every part of a message. */
export function parseMail(raw) {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const to = /^To:\s*(.*)$/mi.exec(head)?.[1] ?? '';
  const boundary = /boundary="([^"]+)"/i.exec(head)?.[1];
  const body = raw.slice(split + 4);
  const chunks = boundary ? body.split(`--${boundary}`).slice(1, -1) : [head + '\r\n\r\n' + body];
  const parts = chunks.map((chunk) => {
    const at = chunk.indexOf('\r\n\r\n');
    const partHead = chunk.slice(0, at);
    const content = chunk.slice(at + 4);
    return /quoted-printable/i.test(partHead) ? decodeQuotedPrintable(content) : content;
  });
  return { to, parts };
}

// --------------------------------------------------------------- browser --

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                              '--disable-background-networking', '--disable-component-update',
                              '--disable-sync', '--disable-dev-shm-usage'];

export async function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
export const SMALL_PHONE = { width: 360, height: 740 };

/**
 * A fresh browser context on `server` (its own cookies and storage) that
 * watches everything the pages do: requests to any other host are blocked
 * and recorded, as are CSP violations, uncaught exceptions and console
 * errors. Call check() at the end of a test. Options: phone (a phone's
 * viewport), allowOrigins (more origins the pages may reach), and those of
 * browser.newContext().
 */
export async function openContext(browser, server, options = {}) {
  const { phone = false, allowOrigins = [], ...rest } = options;
  const context = await browser.newContext({
    baseURL: server.url,
    locale: 'en-US',
    timezoneId: 'Europe/Berlin',
    reducedMotion: 'reduce',
    serviceWorkers: 'block',
    viewport: phone ? PHONE : DESKTOP,
    ...(phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    ...rest,
  });
  context.setDefaultTimeout(TIMEOUT);
  context.setDefaultNavigationTimeout(TIMEOUT * 2);

  const watch = {
    foreign: [], csp: [], pageErrors: [], consoleErrors: [], dialogs: [],
  };
  // allowOrigins: servers of the test itself (the payment provider's
  // stand-in) that the pages may be sent to.
  const origins = new Set([new URL(server.url).origin, ...allowOrigins]);
  await context.route((url) => !origins.has(url.origin) && url.protocol !== 'data:' && url.protocol !== 'blob:',
                      (route) => {
                        watch.foreign.push(route.request().url());
                        return route.abort('blockedbyclient');
                      });
  await context.exposeBinding('__evaCspViolation', (_source, text) => { watch.csp.push(text); });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      // @ts-ignore: the binding exposed above
      window.__evaCspViolation(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} ` +
                               `at ${event.sourceFile}:${event.lineNumber}`);
    }, true);
  });
  const watchPage = (page) => {
    // After a navigation, wait until the page script is done setting the
    // page up, so that tests never type into a form nobody listens to yet.
    for (const name of ['goto', 'reload']) {
      const original = page[name].bind(page);
      page[`${name}Unready`] = original;
      page[name] = async (...args) => {
        const response = await original(...args);
        await ready(page);
        return response;
      };
    }
    page.on('pageerror', (error) => watch.pageErrors.push(`${page.url()}: ${error.stack ?? error}`));
    page.on('console', (message) => {
      if (message.type() !== 'error')
        return;
      const text = message.text();
      if (/Content.Security.Policy/i.test(text))
        watch.csp.push(text);
      // The browser's own note on a 4xx/5xx answer (e.g. GET /api/v1/me
      // while logged out) is no error of the site.
      else if (!/^Failed to load resource/.test(text))
        watch.consoleErrors.push(`${page.url()}: ${text}`);
    });
    page.on('dialog', (dialog) => {
      watch.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
  };
  context.on('page', watchPage);

  context.check = () => {
    assert.deepEqual(watch.foreign, [], 'requests to other hosts');
    assert.deepEqual(watch.csp, [], 'Content-Security-Policy violations');
    assert.deepEqual(watch.pageErrors, [], 'uncaught exceptions in the pages');
    assert.deepEqual(watch.consoleErrors, [], 'errors in the console');
    assert.deepEqual(watch.dialogs, [], 'alert/confirm/prompt dialogs');
  };
  context.watch = watch;
  return context;
}

/** Signs `who` in for the whole context (the session cookie lands in it). */
export async function logIn(context, server, who) {
  const r = await context.request.post(`${server.url}/api/v1/auth/login`,
                                       { data: { email: who.email, password: who.password } });
  assert.equal(r.status(), 200, `login: ${await r.text()}`);
}

// ---------------------------------------------------------------- waits --

/** Polls fn until it returns a truthy value; throws with `what` on time-out. */
export async function waitFor(fn, what, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last)
        return last;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(50);
  }
}

/** Waits until the locator's text matches `re`; returns the text. */
export async function waitForText(locator, re, timeout = TIMEOUT) {
  let text = '';
  await waitFor(async () => {
    text = (await locator.innerText()).replace(/\s+/g, ' ').trim();
    return re.test(text);
  }, `text ${re} in ${locator} (got "${text}")`, timeout);
  return text;
}

/**
 * Waits until the site's script has set the page up: app.js marks <body>
 * with data-ready="true" once the page's module has initialised.
 */
export async function ready(page) {
  await page.locator('body[data-ready="true"]').waitFor({ state: 'attached' });
}

/** Waits for the page's h1 named `name` (string: exact), set up and ready. */
export async function h1(page, name) {
  const heading = page.getByRole('heading', { level: 1, name, exact: typeof name === 'string' });
  await heading.waitFor({ state: 'visible' });
  await ready(page);
  return heading;
}

/** Waits until the page's path (and query) is `expected` (string or RegExp). */
export async function waitForPath(page, expected) {
  await waitFor(() => {
    const url = new URL(page.url());
    const here = url.pathname + url.search;
    return typeof expected === 'string' ? here === expected || url.pathname === expected
                                        : expected.test(here);
  }, `the page to be at ${expected} (at ${page.url()})`);
  await ready(page);
  return new URL(page.url());
}

/** Path and query of an absolute URL. */
export function pathOf(url) {
  const u = new URL(url);
  return u.pathname + u.search;
}

// ------------------------------------------------------------------- axe --

const AXE_SOURCE = fs.readFileSync(path.join(HERE, 'node_modules/axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe-core on the page as it is, in light and dark colour schemes;
 * returns a printable list of violations (empty: none). The script goes in
 * through page.evaluate, which the page's CSP does not govern.
 */
export async function axeViolations(page, label) {
  const found = [];
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    // Let styles settle (transitions are off: reducedMotion).
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const hasAxe = await page.evaluate(() => typeof (/** @type {any} */ (window)).axe === 'object');
    if (!hasAxe)
      await page.evaluate(AXE_SOURCE);
    const result = await page.evaluate((tags) =>
      (/** @type {any} */ (window)).axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS);
    for (const v of result.violations)
      found.push(`${label} (${colorScheme}): ${v.id} [${v.impact}] ${v.help}\n` +
                 v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}: ${n.failureSummary.replace(/\n/g, ' ')}`).join('\n'));
  }
  await page.emulateMedia({ colorScheme: null });
  return found;
}

// ----------------------------------------------------------- screenshots --

/** Saves a full-page PNG into EVERATO_WEB_SCREENSHOT_DIR, if set. */
export async function screenshot(page, name) {
  if (!SCREENSHOT_DIR)
    return;
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
}

/** Removes a screenshot an earlier run left (e.g. of a failure since fixed). */
export function removeScreenshot(name) {
  if (SCREENSHOT_DIR)
    fs.rmSync(path.join(SCREENSHOT_DIR, `${name}.png`), { force: true });
}

// --------------------------------------------------------------- formats --

/** Money as the site shows it for English visitors. */
export function euros(minor, locale = 'en-US') {
  return new Intl.NumberFormat(locale, { style: 'currency', currency: 'EUR' }).format(minor / 100);
}
