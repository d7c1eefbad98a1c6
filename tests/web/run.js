// run.js: runs one test file of the web suite with node:test, in TAP
//
//   node run.js [--browser] FILE.test.js
//
// Skips (TAP "1..0 # SKIP") only when Chromium is missing for a browser
// test; a missing tests/web/node_modules is an error that says what to run
// (./scripts/everato test installs both, so in CI nothing is skipped).
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { HERE } from './paths.js';

const args = process.argv.slice(2);
const browser = args[0] === '--browser';
const file = path.resolve(HERE, browser ? args[1] : args[0]);

function bail(reason) {
  process.stdout.write(`TAP version 13\nBail out! ${reason}\n`);
  process.exit(1);
}

function skip(reason) {
  process.stdout.write(`TAP version 13\n1..0 # SKIP ${reason}\n`);
  process.exit(0);
}

const [major] = process.versions.node.split('.').map(Number);
if (major < 18)
  bail(`Node.js ${process.versions.node} is too old: the web tests need 18 or newer`);

for (const name of ['playwright-core', 'axe-core', 'typescript', '@redocly/cli', 'lighthouse'])
  if (!fs.existsSync(path.join(HERE, 'node_modules', name, 'package.json')))
    bail(`tests/web/node_modules/${name} is missing: run "npm ci" in tests/web (./scripts/everato test does)`);

if (browser) {
  const chromium = process.env.EVERATO_CHROMIUM ?? '/usr/bin/chromium';
  if (!fs.existsSync(chromium))
    skip(`${chromium} not found (install the Debian package chromium)`);
  if (!process.env.EVERATO_TEST_PG)
    bail('EVERATO_TEST_PG is not set: run the tests with ./scripts/everato test, ' +
         'which starts a throwaway PostgreSQL cluster');
}

const child = spawn(process.execPath, ['--test', '--test-reporter=tap', file], {
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
});
for (const signal of ['SIGTERM', 'SIGINT'])
  process.on(signal, () => child.kill(signal));

// Meson's TAP parser ends a YAML block at the first empty line, and error
// messages (Playwright's call logs) have some: keep them inside the block.
// Colour codes go too.
let yaml = null;
let pending = '';
function emit(line) {
  line = line.replace(/\x1b\[[0-9;]*m/g, '');
  if (yaml === null) {
    const start = /^(\s+)---\s*$/.exec(line);
    if (start)
      yaml = start[1];
  } else if (/^\s+\.\.\.\s*$/.test(line)) {
    yaml = null;
  } else if (line.trim() === '') {
    line = `${yaml}  .`;
  } else if (!line.startsWith(yaml)) {
    line = `${yaml}  ${line}`;
  }
  process.stdout.write(line + '\n');
}
child.stdout.setEncoding('utf8');
child.stdout.on('data', (chunk) => {
  const lines = (pending + chunk).split('\n');
  pending = lines.pop();
  lines.forEach(emit);
});
child.on('close', (code, signal) => {
  if (pending !== '')
    emit(pending);
  process.exit(code ?? (signal ? 1 : 0));
});
