'use strict';
// correct: the key's row and the payment are written in one transaction, and
// the primary key on idempotency_keys decides which request pays. A request
// that meets a key whose first request is still running waits on that row
// (PostgreSQL makes an INSERT ... ON CONFLICT wait for the transaction that
// inserted the conflicting row), then reads what it committed and replays it,
// or answers 422 when its body is not the one the key was first used with.
// If the first request dies before committing, its row goes with it and the
// waiting retry makes the payment itself: nothing is left half done.

const store = require('../store');

module.exports = function correct({ pool, workDelayMs }) {
  return (req) => payInTransaction(pool, workDelayMs, req, true);
};

// payInTransaction is the flow above; with comparePayload false it replays the
// stored answer whatever the body (no-payload-check.js says why that is wrong).
async function payInTransaction(pool, workDelayMs, { key, fingerprint, amount, currency }, comparePayload) {
  return store.inTransaction(pool, async (tx) => {
    if (!(await store.claimKey(tx, key, fingerprint, 'in_progress'))) {
      // The row is committed by now: the insert waited for its transaction.
      const row = await store.readKey(tx, key);
      return comparePayload ? store.replay(row, fingerprint) : { code: row.response_code, body: row.response_body };
    }
    await store.sleep(workDelayMs);
    const response = await store.insertPayment(tx, key, amount, currency);
    await store.storeResponse(tx, key, response);
    return response;
  });
}

module.exports.payInTransaction = payInTransaction;
