'use strict';
// 409-in-progress: commit an "in progress" row for the key first, then do the
// work, then store the answer; a request that finds the key in progress gets
// 409 Conflict. People write it because holding a transaction open across the
// work looks expensive, and the early row does stop two overlapping requests
// from both paying. What goes wrong: if the process dies between committing
// the row and storing the answer (a crash, a deploy, an OOM kill), nothing
// ever finishes the key. Every retry with it gets 409 forever, so the client
// can neither get its payment made nor learn that it was not: the payment is
// stuck, or lost if the client reads 409 as "already done".

const store = require('../store');

const IN_PROGRESS = { code: 409, body: JSON.stringify({ error: 'a request with this Idempotency-Key is in progress' }) };

module.exports = function inProgress409({ pool, workDelayMs }) {
  return async ({ key, fingerprint, amount, currency }) => {
    if (!(await store.claimKey(pool, key, fingerprint, 'in_progress'))) {
      const row = await store.readKey(pool, key);
      if (row.fingerprint !== fingerprint) return store.mismatch();
      return row.status === 'in_progress' ? IN_PROGRESS : store.replay(row, fingerprint);
    }
    await store.sleep(workDelayMs);
    return store.inTransaction(pool, async (tx) => {
      const response = await store.insertPayment(tx, key, amount, currency);
      await store.storeResponse(tx, key, response);
      return response;
    });
  };
};
