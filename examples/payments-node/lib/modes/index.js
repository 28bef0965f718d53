'use strict';
// The modes the service runs in: one correct implementation and four common
// mistakes, each in its own module that says the rule it follows. A mode is
// a function of {pool, workDelayMs} returning the handler of one payment
// request, ({key, fingerprint, amount, currency}) -> {code, body}.

const MODE_MODULES = {
  correct: './correct',
  'check-outside-txn': './check-outside-txn',
  '409-in-progress': './409-in-progress',
  'memory-only': './memory-only',
  'no-payload-check': './no-payload-check',
};

const MODES = Object.keys(MODE_MODULES);

function createMode(name, deps) {
  return require(MODE_MODULES[name])(deps);
}

module.exports = { MODES, createMode };
