'use strict';
// A small payments service that takes an Idempotency-Key, in one of five
// modes: correct, or one of four common mistakes (lib/modes). It exists to be
// checked from outside by `idemsim live --target`, which needs nothing from it
// but HTTP; README.md says how to run it.
//
//   node server.js --listen 127.0.0.1:8080 --dsn postgres://... --mode correct
//
// It creates its tables if they are absent, prints "listening on HOST:PORT"
// once it accepts requests, and exits 0 on SIGTERM or SIGINT after the
// requests in flight are answered. A bad flag exits 2; a database it cannot
// reach at start exits 1.

const http = require('node:http');
const { Pool } = require('pg');
const { parseConfig, UsageError, USAGE } = require('./lib/config');
const { createMode } = require('./lib/modes');
const { createHandler } = require('./lib/app');
const store = require('./lib/store');

// How long a stop waits for the requests in flight before closing their
// connections anyway.
const STOP_GRACE_MS = 5000;

function log(line) {
  process.stderr.write(line + '\n');
}

async function main() {
  let config;
  try {
    config = parseConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    log(`payments: ${err.message}`);
    log(USAGE);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }

  const pool = new Pool({ ...config.pg, max: 20 });
  // An idle connection the server drops (a database restart) must not take
  // the process down; the pool replaces it on the next request.
  pool.on('error', (err) => log(`payments: idle database connection: ${err.message}`));
  try {
    await store.migrate(pool);
  } catch (err) {
    log(`payments: cannot prepare the database: ${err.message}`);
    await pool.end().catch(() => {});
    process.exit(1);
  }

  let stopping = false;
  const pay = createMode(config.mode, { pool, workDelayMs: config.workDelayMs });
  const server = http.createServer(createHandler({ pool, pay, log, stopping: () => stopping }));
  server.on('error', (err) => {
    log(`payments: cannot listen on ${config.listen.host}:${config.listen.port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(config.listen.port, config.listen.host, () => {
    const { address, port } = server.address();
    const host = address.includes(':') ? `[${address}]` : address;
    process.stdout.write(`listening on ${host}:${port}\n`);
  });

  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => server.closeAllConnections(), STOP_GRACE_MS).unref();
    // Node 18's close() leaves idle keep-alive connections open; the
    // requests in flight close theirs when answered (see createHandler).
    server.closeIdleConnections();
    server.close(() => {
      pool.end().then(
        () => process.exit(0),
        () => process.exit(0),
      );
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  log(`payments: ${err.stack || err}`);
  process.exit(1);
});
