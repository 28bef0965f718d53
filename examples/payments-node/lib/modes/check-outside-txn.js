'use strict';
// check-outside-txn: look the key up; if it is new, make the payment and then
// store the key with its answer, each statement on its own. People write it
// because it reads like the definition of idempotency ("if we have seen the
// key, return what we returned") and it passes every test that sends one
// request at a time. What goes wrong: two requests with the same key that
// overlap (a client's retry after a timeout while the first is still
// working, or two workers handed the same job) both find no key, and both
// pay. The second one's key row is simply not written (the first one's is
// already there), so nothing even fails.

const store = require('../store');

module.exports = function checkOutsideTxn({ pool, workDelayMs }) {
  return async ({ key, fingerprint, amount, currency }) => {
    const row = await store.readKey(pool, key);
    if (row) return store.replay(row, fingerprint);
    await store.sleep(workDelayMs);
    const response = await store.insertPayment(pool, key, amount, currency);
    await pool.query(
      "insert into idempotency_keys (key, fingerprint, status, response_code, response_body) values ($1, $2, 'done', $3, $4) on conflict (key) do nothing",
      [key, fingerprint, response.code, response.body],
    );
    return response;
  };
};
