// typecheck.test.js: the site's scripts pass `tsc --noEmit --checkJs`
// (strict; settings in tsconfig.json next to this file).
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';

import { HERE, WEB } from './paths.js';

test('tsc', { timeout: 300000 }, () => {
  const tsc = path.join(HERE, 'node_modules/typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', path.join(HERE, 'tsconfig.json')],
                        { encoding: 'utf8', cwd: HERE });
  assert.equal(run.error, undefined);
  assert.equal(run.status, 0, `tsc found problems:\n${run.stdout}${run.stderr}`);
});

// The site's API types are docs/openapi.yaml's schemas (web/js/types.js
// imports web/js/api-types.d.ts): a script that reads a field the API does
// not send is refused.
test('tsc refuses a field the API does not have', { timeout: 300000 }, () => {
  const tsc = path.join(HERE, 'node_modules/typescript/bin/tsc');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'everato-tsc-'));
  try {
    const types = path.join(WEB, 'js', 'types.js').replaceAll('\\', '/');
    fs.writeFileSync(path.join(dir, 'probe.js'),
                     `/** @param {import('${types}').Booking} booking */\n` +
                     'export function probe (booking) { return [booking.total, booking.no_such_field]; }\n');
    const config = JSON.parse(fs.readFileSync(path.join(HERE, 'tsconfig.json'), 'utf8'));
    config.include = ['probe.js'];
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(config));
    const run = spawnSync(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', path.join(dir, 'tsconfig.json')],
                          { encoding: 'utf8', cwd: dir });
    assert.equal(run.error, undefined);
    assert.notEqual(run.status, 0, 'tsc accepted booking.no_such_field');
    assert.match(run.stdout, /no_such_field/);
    assert.doesNotMatch(run.stdout, /'total'/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
