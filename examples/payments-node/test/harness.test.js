'use strict';
// The test harness's gate: without PostgreSQL 15 the database tests are
// skipped with a message saying how to get it, and under CI=true they fail.

const { describe, test, beforeEach, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const h = require('../testing/harness');

const FILE = 'test/harness.test.js';

describe('postgresSkip', () => {
  // The environment the gate reads, put back after each case.
  let saved;
  beforeEach(() => {
    saved = { CI: process.env.CI, IDEMSIM_TEST_DSN: process.env.IDEMSIM_TEST_DSN };
    delete process.env.IDEMSIM_TEST_DSN;
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'idemsim-node-nopg-'));
  const full = fs.mkdtempSync(path.join(os.tmpdir(), 'idemsim-node-pg-bin-'));
  for (const p of ['postgres', 'initdb', 'pg_ctl']) fs.writeFileSync(path.join(full, p), '');
  process.on('exit', () => {
    fs.rmSync(empty, { recursive: true, force: true });
    fs.rmSync(full, { recursive: true, force: true });
  });

  // Goal: a directory without the programs skips (naming make live-deps)
  // outside CI, fails under CI=true, and one with them, or a DSN given,
  // lets the tests run. Method: call postgresSkip on an empty directory and
  // on one holding empty files named after the programs.
  for (const c of [
    { name: 'missing, CI unset', bin: empty, ci: undefined, want: 'skip' },
    { name: 'missing, CI=true', bin: empty, ci: 'true', want: 'throw' },
    { name: 'missing, a DSN given', bin: empty, ci: 'true', dsn: 'postgres://x/y', want: 'run' },
    { name: 'present', bin: full, ci: 'true', want: 'run' },
  ]) {
    test(c.name, (t) => {
      const rerun = h.rerun(FILE, t.name);
      if (c.ci === undefined) delete process.env.CI;
      else process.env.CI = c.ci;
      if (c.dsn) process.env.IDEMSIM_TEST_DSN = c.dsn;
      if (c.want === 'throw') {
        assert.throws(() => h.postgresSkip(c.bin), /LIVE TEST NOT RUN: PostgreSQL 15 is not installed.*CI=true requires/, rerun);
        return;
      }
      const got = h.postgresSkip(c.bin);
      if (c.want === 'run') assert.equal(got, false, rerun);
      else assert.match(String(got), /^LIVE TEST NOT RUN: PostgreSQL 15 is not installed .*make live-deps/, rerun);
    });
  }
});
