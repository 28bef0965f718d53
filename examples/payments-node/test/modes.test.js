'use strict';
// The five modes over HTTP, on a real PostgreSQL: what each answers to a
// retry, to a key reused with another body and to a request without a key,
// what racing requests with one key make of it, and what a crash or a
// restart leaves behind. Each test starts the service as a user would
// (node server.js ...) on a database of its own.

const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('pg');
const h = require('../testing/harness');

const FILE = 'test/modes.test.js';

// eq asserts actual equals expected, naming what was compared, both values
// and the command that reruns the test.
function eq(t, actual, expected, what) {
  assert.deepStrictEqual(actual, expected, `${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}; ${h.rerun(FILE, t.name)}`);
}

function ok(t, value, what) {
  assert.ok(value, `${what}; ${h.rerun(FILE, t.name)}`);
}

const PAYMENT = { amount: 1250, currency: 'usd' };
const OTHER = { amount: 9900, currency: 'usd' };

let pg;
let dbCount = 0;

// freshService starts the mode on a database no other test uses.
async function freshService(mode, workDelay) {
  const dsn = await pg.createDatabase(`m${++dbCount}_${mode.replace(/-/g, '_')}`);
  return { dsn, svc: await h.startService({ dsn, mode, workDelay }) };
}

const skip = h.postgresSkip();
if (skip) process.stderr.write(skip + '\n');

// The tests run four at a time: each has a database and a service of its
// own, and most of their time is the work delay's sleep.
describe('payments service on PostgreSQL', { skip, concurrency: 4 }, () => {
  before(async () => {
    pg = await h.startPostgres();
  });
  after(async () => {
    if (pg) await pg.stop();
  });

  // Goal: every mode keeps the contract for one client at a time: 201 with
  // the payment, the same status and body for a retry, 400 without a key;
  // a key reused with another body gets 422, except in no-payload-check,
  // which replays the first payment's answer and never makes the second.
  // Method: per mode, send the requests one after the other and count the
  // payments through GET /payments.
  for (const { mode, reuse } of [
    { mode: 'correct', reuse: '422' },
    { mode: 'check-outside-txn', reuse: '422' },
    { mode: '409-in-progress', reuse: '422' },
    { mode: 'memory-only', reuse: '422' },
    { mode: 'no-payload-check', reuse: 'wrong replay' },
  ]) {
    test(`${mode}: one client: replay, key reused (${reuse}), no key 400`, async (t) => {
      const { svc } = await freshService(mode, '20ms');
      try {
        const key = h.newKey();
        const first = await h.post(svc.url, key, PAYMENT);
        eq(t, first.status, 201, 'first request status');
        ok(t, /^pay_/.test(first.json.id), `the payment's id starts with pay_: ${first.body}`);
        eq(t, { ...first.json, id: 'ID' }, { id: 'ID', amount: 1250, currency: 'usd', status: 'succeeded' }, 'first response body');

        // A retry that writes the same body with its fields in another order
        // is the same request.
        const retry = await h.post(svc.url, key, '{"currency": "usd", "amount": 1250}');
        eq(t, [retry.status, retry.body], [first.status, first.body], 'retry status and body');

        const reused = await h.post(svc.url, key, OTHER);
        if (reuse === '422') {
          eq(t, reused.status, 422, 'key reused with another amount: status');
          ok(t, typeof reused.json.error === 'string', `a 422 carries {"error": ...}: ${reused.body}`);
        } else {
          eq(t, [reused.status, reused.body], [first.status, first.body], 'key reused with another amount: the first payment is replayed');
        }
        eq(t, (await h.effects(svc.url, key)).map((p) => [p.id, p.amount]), [[first.json.id, 1250]], 'payments under the key');

        const noKey = await h.post(svc.url, undefined, PAYMENT);
        eq(t, noKey.status, 400, 'no Idempotency-Key: status');
        ok(t, typeof noKey.json.error === 'string', `a 400 carries {"error": ...}: ${noKey.body}`);
      } finally {
        await svc.stop();
      }
    });
  }

  // Goal: racing requests with one key and one body: correct and
  // no-payload-check (which serializes on the key's row) make one payment and
  // give every request its answer; 409-in-progress makes one and answers 409
  // to the others while it works (and replays once it is done);
  // check-outside-txn and memory-only, which check before the work and record
  // after it, make a payment per request. Method: a work delay of 1s, so
  // that requests sent at once overlap in the work, then the statuses, the
  // payments' ids in the answers, and the payments GET /payments lists.
  for (const { mode, clients, payments, conflicts } of [
    { mode: 'correct', clients: 10, payments: 1, conflicts: 0 },
    { mode: 'no-payload-check', clients: 10, payments: 1, conflicts: 0 },
    { mode: '409-in-progress', clients: 10, payments: 1, conflicts: 9 },
    { mode: 'check-outside-txn', clients: 2, payments: 2, conflicts: 0 },
    { mode: 'memory-only', clients: 2, payments: 2, conflicts: 0 },
  ]) {
    test(`${mode}: ${clients} racing requests make ${payments} payment(s)`, async (t) => {
      const { svc } = await freshService(mode, '1s');
      try {
        const key = h.newKey();
        const answers = await Promise.all(Array.from({ length: clients }, () => h.post(svc.url, key, PAYMENT)));
        const statuses = answers.map((a) => a.status).sort();
        eq(t, statuses, [...Array(clients - conflicts).fill(201), ...Array(conflicts).fill(409)], 'statuses');
        const ids = new Set(answers.filter((a) => a.status === 201).map((a) => a.json.id));
        eq(t, ids.size, payments, 'distinct payment ids in the 201 answers');
        const listed = await h.effects(svc.url, key);
        eq(t, listed.length, payments, 'payments GET /payments lists under the key');
        eq(t, new Set(listed.map((p) => p.id)), ids, 'the listed payments are the answered ones');
        if (conflicts > 0) {
          const after = await h.post(svc.url, key, PAYMENT);
          eq(t, [after.status, after.json.id], [201, [...ids][0]], 'a retry after the work is done replays');
        }
      } finally {
        await svc.stop();
      }
    });
  }

  // Goal: two racing requests with one key and different amounts: correct
  // and 409-in-progress pay the one and answer 422 to the other (correct after
  // waiting for the first to commit); no-payload-check answers both with the
  // first payment; check-outside-txn and memory-only make both payments.
  // Method: a work delay of 1s, the two requests sent at once, their sorted
  // statuses and the payments listed under the key.
  for (const { mode, statuses, payments } of [
    { mode: 'correct', statuses: [201, 422], payments: 1 },
    { mode: 'no-payload-check', statuses: [201, 201], payments: 1 },
    { mode: '409-in-progress', statuses: [201, 422], payments: 1 },
    { mode: 'check-outside-txn', statuses: [201, 201], payments: 2 },
    { mode: 'memory-only', statuses: [201, 201], payments: 2 },
  ]) {
    test(`${mode}: racing requests with different amounts, ${payments} payment(s)`, async (t) => {
      const { svc } = await freshService(mode, '1s');
      try {
        const key = h.newKey();
        const answers = await Promise.all([h.post(svc.url, key, PAYMENT), h.post(svc.url, key, OTHER)]);
        eq(t, answers.map((a) => a.status).sort(), statuses, 'statuses');
        eq(t, (await h.effects(svc.url, key)).length, payments, 'payments under the key');
      } finally {
        await svc.stop();
      }
    });
  }

  // Goal: a process killed in the middle of a payment: correct and
  // no-payload-check roll the transaction back, so the retry after the
  // restart makes the payment; 409-in-progress leaves its key in progress,
  // so every retry gets 409 and the payment is never made (stuck). Method:
  // a 3s work delay, kill -9 once the database shows the request inside its
  // work (the key's row in progress, or a session idle in its transaction),
  // restart on the same database, retry twice.
  for (const { mode, retryStatus, payments } of [
    { mode: 'correct', retryStatus: 201, payments: 1 },
    { mode: 'no-payload-check', retryStatus: 201, payments: 1 },
    { mode: '409-in-progress', retryStatus: 409, payments: 0 },
  ]) {
    test(`${mode}: killed mid-payment, the retries get ${retryStatus}`, async (t) => {
      const { dsn, svc } = await freshService(mode, '3s');
      const key = h.newKey();
      const inFlight = h.post(svc.url, key, PAYMENT).catch((err) => err);
      await waitInWork(t, dsn, key);
      await svc.kill();
      ok(t, (await inFlight) instanceof Error, 'the request in flight loses its connection');
      const again = await h.startService({ dsn, mode, workDelay: '20ms' });
      try {
        for (const attempt of [1, 2]) {
          const retry = await h.post(again.url, key, PAYMENT);
          eq(t, retry.status, retryStatus, `retry ${attempt} after the restart: status`);
        }
        eq(t, (await h.effects(again.url, key)).length, payments, 'payments under the key');
      } finally {
        await again.stop();
      }
    });
  }

  // Goal: a restart between a payment and its retry: every database-backed
  // mode replays the payment, memory-only has forgotten the key and pays
  // again. Method: pay, stop the service with SIGTERM (it exits 0), start it
  // again on the same database, retry with the same key and body.
  for (const { mode, payments } of [
    { mode: 'correct', payments: 1 },
    { mode: 'check-outside-txn', payments: 1 },
    { mode: '409-in-progress', payments: 1 },
    { mode: 'memory-only', payments: 2 },
    { mode: 'no-payload-check', payments: 1 },
  ]) {
    test(`${mode}: restarted between a payment and its retry, ${payments} payment(s)`, async (t) => {
      const { dsn, svc } = await freshService(mode, '20ms');
      const key = h.newKey();
      const first = await h.post(svc.url, key, PAYMENT);
      eq(t, first.status, 201, 'first request status');
      eq(t, await svc.stop(), { code: 0, signal: null }, 'exit after SIGTERM');
      const again = await h.startService({ dsn, mode, workDelay: '20ms' });
      try {
        const retry = await h.post(again.url, key, PAYMENT);
        eq(t, retry.status, 201, 'retry status');
        eq(t, retry.json.id === first.json.id, payments === 1, `the retry replays the first payment (${first.json.id}, retry got ${retry.json.id})`);
        eq(t, (await h.effects(again.url, key)).length, payments, 'payments under the key');
      } finally {
        await again.stop();
      }
    });
  }

  // Goal: the service reads a key=value DSN, its payments table has the
  // shape the contract gives a checker's --effects-sql, and GET /payments
  // needs its key. Method: start it with a key=value DSN, pay once, run the
  // contract's count query, and ask GET /payments without the parameter.
  test('the effects query and GET /payments without a key', async (t) => {
    const dsn = await pg.createDatabase('effects');
    // The DSN as key=value pairs, the form idemsim's own throwaway servers
    // print, which the service must read as well as a URL.
    const u = new URL(dsn);
    const pairs = `host=${u.hostname} port=${u.port || 5432} user=${decodeURIComponent(u.username)} dbname=${u.pathname.slice(1)} sslmode=disable` + (u.password ? ` password='${decodeURIComponent(u.password).replace(/[\\']/g, '\\$&')}'` : '');
    const svc = await h.startService({ dsn: pairs, mode: 'correct', workDelay: '0' });
    const c = new Client({ connectionString: dsn });
    await c.connect();
    try {
      const key = h.newKey();
      eq(t, (await h.post(svc.url, key, PAYMENT)).status, 201, 'payment status');
      const { rows } = await c.query('select count(*)::int as n from payments where idempotency_key = $1', [key]);
      eq(t, rows[0].n, 1, "the contract's --effects-sql count");
      const res = await fetch(svc.url + '/payments');
      eq(t, res.status, 400, 'GET /payments without idempotency_key: status');
      const wrong = await fetch(svc.url + '/refunds', { method: 'POST' });
      eq(t, wrong.status, 404, 'POST /refunds: status');
    } finally {
      await c.end();
      await svc.stop();
    }
  });
});

// waitInWork waits until the database shows a request for key inside its
// work: the key's row committed as in progress (409-in-progress), or a
// session of the service idle inside a transaction (the transactional modes,
// whose row is not visible until commit).
async function waitInWork(t, dsn, key) {
  const c = new Client({ connectionString: dsn });
  await c.connect();
  try {
    for (let i = 0; i < 300; i++) {
      const { rows } = await c.query(
        `select exists (select 1 from idempotency_keys where key = $1 and status = 'in_progress')
             or exists (select 1 from pg_stat_activity where datname = current_database() and state = 'idle in transaction') as busy`,
        [key],
      );
      if (rows[0].busy) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await c.end();
  }
  ok(t, false, 'the request never showed up inside its work in the database');
}
