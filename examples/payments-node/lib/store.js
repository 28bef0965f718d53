'use strict';
// The tables and the statements every mode shares. A payment row is the
// effect a checker counts (by SQL on payments, or through GET /payments); the
// idempotency_keys table is where the database-backed modes remember a key,
// the fingerprint of the request that first used it and the answer it got.

const crypto = require('node:crypto');

// Any number for pg_advisory_xact_lock, as long as it is the same in every
// copy of the service: two copies starting at once on one database would
// otherwise race on CREATE TABLE IF NOT EXISTS and one would fail.
const SCHEMA_LOCK = 7319190;

const SCHEMA = [
  `create table if not exists payments (
     id text primary key,
     idempotency_key text,
     amount bigint,
     currency text,
     created_at timestamptz not null default now())`,
  'create index if not exists payments_idempotency_key on payments (idempotency_key)',
  `create table if not exists idempotency_keys (
     key text primary key,
     fingerprint text not null,
     status text not null,
     response_code int,
     response_body text,
     created_at timestamptz not null default now())`,
];

async function migrate(pool) {
  await inTransaction(pool, async (client) => {
    await client.query('select pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
    for (const stmt of SCHEMA) await client.query(stmt);
  });
}

// inTransaction runs fn(client) between begin and commit on one pooled
// connection, rolling back if fn throws.
async function inTransaction(pool, fn) {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

// insertPayment makes the payment: one row in payments. It returns the
// answer a client gets for it (status and JSON body).
async function insertPayment(db, key, amount, currency) {
  const id = 'pay_' + crypto.randomBytes(12).toString('hex');
  await db.query('insert into payments (id, idempotency_key, amount, currency) values ($1, $2, $3, $4)', [id, key, amount, currency]);
  return { code: 201, body: JSON.stringify({ id, amount, currency, status: 'succeeded' }) };
}

// listPayments is every payment made under key, oldest first.
async function listPayments(db, key) {
  const { rows } = await db.query(
    'select id, idempotency_key, amount::text as amount, currency, created_at from payments where idempotency_key = $1 order by created_at, id',
    [key],
  );
  return rows.map((r) => ({ id: r.id, idempotency_key: r.idempotency_key, amount: Number(r.amount), currency: r.currency, status: 'succeeded', created_at: r.created_at }));
}

// claimKey inserts the key's row with the given status unless the key is
// there. It answers whether this request made the row. Inside a transaction,
// a row another open transaction inserted makes it wait for that one's end.
async function claimKey(db, key, fingerprint, status) {
  const res = await db.query(
    'insert into idempotency_keys (key, fingerprint, status) values ($1, $2, $3) on conflict (key) do nothing',
    [key, fingerprint, status],
  );
  return res.rowCount === 1;
}

// readKey is the key's row, or undefined.
async function readKey(db, key) {
  const { rows } = await db.query('select fingerprint, status, response_code, response_body from idempotency_keys where key = $1', [key]);
  return rows[0];
}

// storeResponse records the answer the key's first request got and marks the
// key done.
async function storeResponse(db, key, response) {
  await db.query("update idempotency_keys set status = 'done', response_code = $2, response_body = $3 where key = $1", [key, response.code, response.body]);
}

// replay is the stored answer for a row that is done, or 422 when the
// request's fingerprint is not the one the key was first used with.
function replay(row, fingerprint) {
  if (row.fingerprint !== fingerprint) return mismatch();
  return { code: row.response_code, body: row.response_body };
}

function mismatch() {
  return { code: 422, body: JSON.stringify({ error: 'this Idempotency-Key was used with a different request body' }) };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = { migrate, inTransaction, insertPayment, listPayments, claimKey, readKey, storeResponse, replay, mismatch, sleep };
