'use strict';
// memory-only: keys and their answers live in a Map in this process, looked
// up before the work and filled in after it. People write it because it is
// the quickest thing that works on a laptop: no table, no migration, and a
// retry a second later is answered from the map. What goes wrong: two
// overlapping requests with one key both miss the map (neither has finished),
// and both pay; a restart (a deploy, a crash) empties the map, so a retry
// that arrives after it pays again; and with more than one copy of the
// service, a retry that lands on another copy pays again too.

const store = require('../store');

module.exports = function memoryOnly({ pool, workDelayMs }) {
  const seen = new Map(); // key -> {fingerprint, response}
  return async ({ key, fingerprint, amount, currency }) => {
    const entry = seen.get(key);
    if (entry) {
      return entry.fingerprint === fingerprint ? entry.response : store.mismatch();
    }
    await store.sleep(workDelayMs);
    const response = await store.insertPayment(pool, key, amount, currency);
    seen.set(key, { fingerprint, response });
    return response;
  };
};
