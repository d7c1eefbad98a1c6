// openapi-lint.test.js: docs/openapi.yaml passes Redocly CLI's lint with
// its recommended rules (and the choices in docs/redocly.yaml): no errors,
// no warnings.
//
// SPDX-License-Identifier: AGPL-3.0-or-later

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import assert from 'node:assert/strict';

import { HERE, SOURCE_ROOT } from './paths.js';

const CLI = path.join(HERE, 'node_modules/@redocly/cli/bin/cli.js');
// No telemetry, no update check: the tests never talk to the network.
const ENV = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' };

function lint(file, config) {
  const run = spawnSync(process.execPath,
                        [CLI, 'lint', file, '--config', config, '--format', 'json', '--max-problems', '10000'],
                        { encoding: 'utf8', cwd: SOURCE_ROOT, env: ENV });
  assert.equal(run.error, undefined);
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    assert.fail(`redocly gave no JSON report (exit ${run.status}):\n${run.stdout}${run.stderr}`);
  }
  return { status: run.status, problems: report.problems ?? [], totals: report.totals };
}

function describe(problems) {
  return problems.map((p) => {
    const where = p.location?.[0]?.pointer ?? '';
    return `${p.severity} ${p.ruleId} ${where}: ${p.message}`;
  }).join('\n');
}

test('openapi.yaml: no errors, no warnings', { timeout: 120000 }, () => {
  const result = lint('docs/openapi.yaml', 'docs/redocly.yaml');
  assert.equal(result.problems.length, 0, `redocly lint:\n${describe(result.problems)}`);
  assert.equal(result.status, 0);
});

test('the lint can fail: an operation without operationId is refused', { timeout: 120000 }, () => {
  const text = fs.readFileSync(path.join(SOURCE_ROOT, 'docs/openapi.yaml'), 'utf8');
  const broken = text.replace(/^(\s+)operationId: healthz\n/m, '');
  assert.notEqual(broken, text);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'everato-lint-'));
  try {
    const file = path.join(dir, 'openapi.yaml');
    fs.writeFileSync(file, broken);
    const result = lint(file, path.join(SOURCE_ROOT, 'docs/redocly.yaml'));
    assert.ok(result.problems.some((p) => p.ruleId === 'operation-operationId'),
              `expected operation-operationId, got:\n${describe(result.problems)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
