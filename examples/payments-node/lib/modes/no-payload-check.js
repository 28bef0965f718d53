'use strict';
// no-payload-check: everything correct does, except comparing the request's
// body with the one the key was first used with. People leave the comparison
// out because the key alone looks like enough ("same key, same request") and
// the fingerprint is one more column to store. What goes wrong: a client that
// reuses a key for a different payment (a bug, or a key derived from
// something that repeats, such as an order number) gets the first payment's
// answer back, 201 and all, and believes the second payment was made. It
// never was.

const { payInTransaction } = require('./correct');

module.exports = function noPayloadCheck({ pool, workDelayMs }) {
  return (req) => payInTransaction(pool, workDelayMs, req, false);
};
