// typecheck.test.js: the site's scripts pass `tsc --noEmit --checkJs`
// (strict; settings in tsconfig.json next to this file).
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';

import { HERE } from './paths.js';

test('tsc', { timeout: 300000 }, () => {
  const tsc = path.join(HERE, 'node_modules/typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', path.join(HERE, 'tsconfig.json')],
                        { encoding: 'utf8', cwd: HERE });
  assert.equal(run.error, undefined);
  assert.equal(run.status, 0, `tsc found problems:\n${run.stdout}${run.stderr}`);
});
