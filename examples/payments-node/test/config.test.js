'use strict';
// The service's settings and its request fingerprint, without a database:
// flags and environment variables, the DSN forms, the durations, and the
// usage errors, which must exit 2 with one line naming what is accepted.

const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { parseConfig, parseDuration, parseDSN, UsageError } = require('../lib/config');
const { fingerprint } = require('../lib/app');
const { MODES } = require('../lib/modes');
const h = require('../testing/harness');

const FILE = 'test/config.test.js';

function eq(t, actual, expected, what) {
  assert.deepStrictEqual(actual, expected, `${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}; ${h.rerun(FILE, t.name)}`);
}

// Goal: flags and environment variables give the settings, a flag winning
// over its variable, with the contract's defaults. Method: a table of
// command lines and environments and the settings they must give.
describe('settings from flags and the environment', () => {
  for (const c of [
    {
      name: 'flags',
      argv: ['--listen', '127.0.0.1:9000', '--dsn', 'postgres://u@h/db', '--mode', 'memory-only', '--work-delay', '1.5s'],
      env: {},
      want: { listen: { host: '127.0.0.1', port: 9000 }, pg: { connectionString: 'postgres://u@h/db' }, mode: 'memory-only', workDelayMs: 1500 },
    },
    {
      name: 'environment and defaults',
      argv: [],
      env: { DATABASE_URL: 'postgresql://x/y' },
      want: { listen: { host: '127.0.0.1', port: 8080 }, pg: { connectionString: 'postgresql://x/y' }, mode: 'correct', workDelayMs: 20 },
    },
    {
      name: 'a flag wins over its variable',
      argv: ['--mode=409-in-progress', '--listen=[::1]:0'],
      env: { MODE: 'memory-only', LISTEN: '0.0.0.0:1', DATABASE_URL: 'postgres://a/b', WORK_DELAY: '0' },
      want: { listen: { host: '::1', port: 0 }, pg: { connectionString: 'postgres://a/b' }, mode: '409-in-progress', workDelayMs: 0 },
    },
  ]) {
    test(c.name, (t) => eq(t, parseConfig(c.argv, c.env), c.want, 'settings'));
  }
});

// Goal: the DSN forms idemsim and users hand out: a URL as it is, and
// libpq's key=value pairs (what idemsim's throwaway servers print), quoted
// values included. Method: a table of DSNs and the pg settings they give.
describe('DSN forms', () => {
  for (const c of [
    { dsn: 'postgres://u:p@127.0.0.1:5432/db', want: { connectionString: 'postgres://u:p@127.0.0.1:5432/db' } },
    {
      dsn: 'host=127.0.0.1 port=5433 user=postgres dbname=pay sslmode=disable',
      want: { host: '127.0.0.1', port: 5433, user: 'postgres', database: 'pay', ssl: false },
    },
    { dsn: " password = 'it\\'s secret'  dbname=x ", want: { password: "it's secret", database: 'x' } },
    { dsn: 'host=/tmp sslmode=require', want: { host: '/tmp', ssl: true } },
  ]) {
    test(c.dsn, (t) => eq(t, parseDSN(c.dsn), c.want, 'pg settings'));
  }
});

// Goal: work delays read as Go writes single-unit durations, in ms. Method:
// a table of strings and the milliseconds they give.
describe('work delays', () => {
  for (const [s, ms] of [['0', 0], ['20ms', 20], ['1.5s', 1500], ['250us', 0.25], ['2m', 120000]]) {
    test(`work delay ${s}`, (t) => eq(t, parseDuration(s), ms, 'milliseconds'));
  }
});

// Goal: each bad setting is a UsageError naming the setting and what is
// accepted, and the process exits 2 with it on one line before touching a
// database. Method: a table of command lines, each checked by parseConfig
// and by running server.js.
describe('usage errors exit 2', () => {
  const dsn = ['--dsn', 'postgres://nobody@127.0.0.1:1/none'];
  for (const c of [
    { name: 'unknown mode', argv: [...dsn, '--mode', 'optimistic'], want: `unknown mode "optimistic": accepted modes are ${MODES.join(', ')}` },
    { name: 'no dsn', argv: ['--mode', 'correct'], want: '--dsn (or DATABASE_URL) is required' },
    { name: 'bad listen', argv: [...dsn, '--listen', '8080'], want: '--listen "8080": want HOST:PORT' },
    { name: 'bad delay', argv: [...dsn, '--work-delay', '20'], want: '--work-delay "20": want a duration' },
    { name: 'delay too long', argv: [...dsn, '--work-delay', '11m'], want: '--work-delay "11m": want a duration from 0 to 10m' },
    { name: 'unknown flag', argv: [...dsn, '--port', '1'], want: "Unknown option '--port'" },
    { name: 'bad dsn', argv: ['--dsn', 'host=a colour=blue'], want: '--dsn: unknown keyword "colour"' },
  ]) {
    test(c.name, async (t) => {
      assert.throws(() => parseConfig(c.argv, {}), UsageError, h.rerun(FILE, t.name));
      const run = await h.runService(c.argv);
      eq(t, run.code, 2, 'exit status');
      const first = run.stderr.split('\n')[0];
      assert.ok(first.startsWith('payments: ' + c.want), `first stderr line ${JSON.stringify(first)} should start with ${JSON.stringify('payments: ' + c.want)}; ${h.rerun(FILE, t.name)}`);
      eq(t, run.stdout, '', 'stdout');
    });
  }
});

// Goal: --help prints the usage and exits 0. Method: run server.js --help.
test('--help', async (t) => {
  const run = await h.runService(['--help']);
  eq(t, run.code, 0, 'exit status');
  assert.match(run.stdout, /^usage: node server.js --listen/, h.rerun(FILE, t.name));
});

// Goal: the fingerprint is the same for the same payment whatever the field
// order, and differs when a value does. Method: compare fingerprints.
test('fingerprints', (t) => {
  const a = fingerprint({ amount: 100, currency: 'usd', meta: { b: 1, a: [1, 2] } });
  eq(t, fingerprint({ meta: { a: [1, 2], b: 1 }, currency: 'usd', amount: 100 }), a, 'reordered fields');
  assert.notEqual(fingerprint({ amount: 101, currency: 'usd', meta: { b: 1, a: [1, 2] } }), a, h.rerun(FILE, t.name));
  assert.notEqual(fingerprint({ amount: 100, currency: 'usd', meta: { b: 1, a: [2, 1] } }), a, h.rerun(FILE, t.name));
});
