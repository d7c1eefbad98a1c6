// i18n.test.js: the site's translations are complete and current
//
// Message ids are the English texts: the text of every element marked
// data-i18n, the attributes named by data-i18n-attr, every literal passed
// to t() in web/js, and the page titles and description the server writes
// into pages' heads (server/site/eva-pages.c). Each language of po/LINGUAS has a
// web/locales/<lang>.json mapping every id (and nothing else) to a
// translation with the same {placeholders}.
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';

import { SOURCE_ROOT, WEB } from './paths.js';

// ------------------------------------------------------------- sources --

function walk(dir, suffix) {
  if (!fs.existsSync(dir))
    return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory())
      return walk(full, suffix);
    return entry.name.endsWith(suffix) ? [full] : [];
  });
}

const rel = (file) => path.relative(SOURCE_ROOT, file);

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name) => {
    if (name[0] === '#')
      return String.fromCodePoint(name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16)
                                                                     : parseInt(name.slice(1), 10));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

const collapse = (text) => text.replace(/\s+/g, ' ').trim();

/** Attributes of a start tag's attribute text, as a Map (names lower case). */
function parseAttributes(text) {
  const attrs = new Map();
  const re = /([^\s=/>]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+)))?/g;
  for (const m of text.matchAll(re))
    attrs.set(m[1].toLowerCase(), decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
  return attrs;
}

/**
 * Message ids of an HTML file: [{id, where}], plus problems (strings).
 */
function htmlMessages(file) {
  const html = fs.readFileSync(file, 'utf8').replace(/<!--[\s\S]*?-->/g, (c) => ' '.repeat(c.length));
  const messages = [];
  const problems = [];
  const tagRe = /<([a-zA-Z][\w-]*)(\s(?:[^>"']|"[^"]*"|'[^']*')*)?>/g;
  for (const m of html.matchAll(tagRe)) {
    const tag = m[1].toLowerCase();
    const attrs = parseAttributes(m[2] ?? '');
    const line = html.slice(0, m.index).split('\n').length;
    const where = `${rel(file)}:${line}`;

    if (attrs.has('data-i18n')) {
      const explicit = attrs.get('data-i18n');
      const end = html.indexOf(`</${tag}`, m.index + m[0].length);
      const inner = end < 0 ? '' : html.slice(m.index + m[0].length, end);
      if (/<[a-zA-Z]/.test(inner))
        problems.push(`${where}: <${tag} data-i18n> holds markup, which translation would wipe out`);
      const id = explicit !== '' ? explicit : collapse(decodeEntities(inner));
      if (id === '')
        problems.push(`${where}: <${tag} data-i18n> has no text`);
      else
        messages.push({ id, where });
    }
    if (attrs.has('data-i18n-attr')) {
      for (const name of attrs.get('data-i18n-attr').split(/\s+/).filter(Boolean)) {
        const value = attrs.get(name.toLowerCase());
        if (value === undefined || value === '')
          problems.push(`${where}: data-i18n-attr names "${name}", which <${tag}> does not have`);
        else
          messages.push({ id: value, where: `${where} (${name})` });
      }
    }
  }
  return { messages, problems };
}

/** Unescapes the body of a JS string literal. */
function unescapeJs(body) {
  return body.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r?\n|.)/g, (whole, e) => {
    if (e[0] === 'u')
      return String.fromCodePoint(parseInt(e[1] === '{' ? e.slice(2, -1) : e.slice(1), 16));
    if (e[0] === 'x')
      return String.fromCharCode(parseInt(e.slice(1), 16));
    return { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', 0: '\0' }[e] ?? (e.startsWith('\n') || e.startsWith('\r') ? '' : e);
  });
}

/** Strips comments from JS source, keeping strings (and line numbers). */
function stripComments(src) {
  return src.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\[\s\S])*`/g,
                     (m) => (m[0] === '/' ? m.replace(/[^\n]/g, ' ') : m));
}

/**
 * Message ids of a JS file: the literal first arguments of t(); calls with
 * anything else are problems (the catalogue could not be checked).
 */
function jsMessages(file) {
  const src = stripComments(fs.readFileSync(file, 'utf8'));
  const messages = [];
  const problems = [];
  const callRe = /(?<![\w$.])t\s*\(\s*/g;
  for (const m of src.matchAll(callRe)) {
    const at = m.index + m[0].length;
    const line = src.slice(0, m.index).split('\n').length;
    const where = `${rel(file)}:${line}`;
    const rest = src.slice(at);
    const lit = /^(?:'((?:[^'\\\n]|\\.)*)'|"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\$]|\\[\s\S]|\$(?!\{))*)`)\s*[,)]/.exec(rest);
    if (lit)
      messages.push({ id: unescapeJs(lit[1] ?? lit[2] ?? lit[3]), where });
    else
      problems.push(`${where}: t() needs a string literal as its message id, not ${rest.split('\n')[0].slice(0, 60)}`);
  }
  return { messages, problems };
}

/**
 * Message ids the server puts into pages' heads (server/site/eva-pages.c): the
 * titles of its pages[] table and SITE_DESCRIPTION, translated with the
 * same catalogues.
 */
function serverMessages(file) {
  const src = fs.readFileSync(file, 'utf8');
  const messages = [];
  const problems = [];
  const lineOf = (index) => src.slice(0, index).split('\n').length;
  const table = /static const PageInfo pages\[\] = \{([\s\S]*?)\n\};/.exec(src);
  if (!table)
    problems.push(`${rel(file)}: its pages[] table was not found`);
  else
    for (const m of table[1].matchAll(/\{\s*"[^"]+",\s*(?:"((?:[^"\\]|\\.)*)"|NULL)\s*,/g))
      if (m[1] !== undefined)
        messages.push({ id: unescapeJs(m[1]), where: `${rel(file)}:${lineOf(table.index + m.index)}` });
  const description = /#define SITE_DESCRIPTION "((?:[^"\\]|\\.)*)"/.exec(src);
  if (!description)
    problems.push(`${rel(file)}: SITE_DESCRIPTION was not found`);
  else
    messages.push({ id: unescapeJs(description[1]), where: `${rel(file)}:${lineOf(description.index)}` });
  if (messages.length < 2)
    problems.push(`${rel(file)}: no page titles found`);
  return { messages, problems };
}

function placeholders(text) {
  return [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();
}

// ---------------------------------------------------------------- data --

const htmlFiles = [path.join(WEB, 'layout.html'), ...walk(path.join(WEB, 'pages'), '.html').sort()];
const jsFiles = walk(path.join(WEB, 'js'), '.js').sort()
  // The definition of t() itself passes its argument on.
  .filter((file) => path.basename(file) !== 'i18n.js');

const html = htmlFiles.filter((f) => fs.existsSync(f)).map(htmlMessages);
const js = jsFiles.map(jsMessages);
const server = serverMessages(path.join(SOURCE_ROOT, 'server/site/eva-pages.c'));
const messages = [...html, ...js, server].flatMap((r) => r.messages);
const ids = new Set(messages.map((m) => m.id));

const languages = fs.readFileSync(path.join(SOURCE_ROOT, 'po/LINGUAS'), 'utf8')
  .split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean).flatMap((l) => l.split(/\s+/));

function catalogue(lang) {
  const file = path.join(WEB, 'locales', `${lang}.json`);
  assert.ok(fs.existsSync(file), `${rel(file)} is missing (po/LINGUAS lists "${lang}")`);
  const data = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(typeof data, 'object');
  assert.ok(data !== null && !Array.isArray(data), `${rel(file)} must be one JSON object`);
  return data;
}

// --------------------------------------------------------------- tests --

test('the site has pages and scripts to check', () => {
  assert.ok(fs.existsSync(htmlFiles[0]), 'web/layout.html is missing');
  assert.ok(htmlFiles.length > 1, 'web/pages/*.html are missing');
  assert.ok(jsFiles.length > 0, 'web/js/*.js are missing');
  assert.ok(ids.size > 0, 'no translatable strings found');
});

test('translatable HTML holds plain text', () => {
  const problems = html.flatMap((r) => r.problems);
  assert.deepEqual(problems, []);
});

test('t() is always called with a literal message id', () => {
  const problems = js.flatMap((r) => r.problems);
  assert.deepEqual(problems, []);
});

test('the page titles the server writes are found', () => {
  assert.deepEqual(server.problems, []);
});

test('po/LINGUAS lists languages', () => {
  assert.ok(languages.length > 0);
});

for (const lang of languages) {
  test(`web/locales/${lang}.json exists and maps strings to non-empty strings`, () => {
    const data = catalogue(lang);
    const bad = Object.entries(data).filter(([, v]) => typeof v !== 'string' || v.trim() === '')
      .map(([k]) => k);
    assert.deepEqual(bad, [], 'entries without a translation');
  });

  test(`web/locales/${lang}.json translates every string of the site`, () => {
    const data = catalogue(lang);
    const missing = [];
    const seen = new Set();
    for (const m of messages)
      if (!Object.prototype.hasOwnProperty.call(data, m.id) && !seen.has(m.id)) {
        seen.add(m.id);
        missing.push(`${m.where}: ${JSON.stringify(m.id)}`);
      }
    assert.deepEqual(missing, []);
  });

  test(`web/locales/${lang}.json has no stale entries`, () => {
    const data = catalogue(lang);
    const stale = Object.keys(data).filter((k) => !ids.has(k));
    assert.deepEqual(stale, [], 'entries no page or script uses');
  });

  test(`web/locales/${lang}.json keeps every {placeholder}`, () => {
    const data = catalogue(lang);
    const wrong = [];
    for (const [id, text] of Object.entries(data)) {
      if (typeof text !== 'string')
        continue;
      const want = placeholders(id);
      const got = placeholders(text);
      if (want.join() !== got.join())
        wrong.push(`${JSON.stringify(id)}: {${want.join('}, {')}} but ${JSON.stringify(text)}`);
    }
    assert.deepEqual(wrong, []);
  });
}
