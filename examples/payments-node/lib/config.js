'use strict';
// The service's settings, from flags or the environment (a flag wins), checked
// before anything connects: a bad setting is a one-line usage error, and the
// caller exits with status 2.

const { parseArgs } = require('node:util');
const { MODES } = require('./modes');

class UsageError extends Error {}

const USAGE = `usage: node server.js --listen HOST:PORT --dsn POSTGRES_DSN --mode MODE [--work-delay DURATION]
  --listen      address to serve on (env LISTEN; default 127.0.0.1:8080; port 0 picks a free one)
  --dsn         PostgreSQL to use, as a URL or key=value pairs (env DATABASE_URL; required)
  --mode        ${MODES.join(', ')} (env MODE; default correct)
  --work-delay  how long each payment's work takes, e.g. 20ms, 1.5s, 0 (env WORK_DELAY; default 20ms)`;

const OPTIONS = {
  listen: { type: 'string' },
  dsn: { type: 'string' },
  mode: { type: 'string' },
  'work-delay': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

// parseConfig reads argv (without node and the script) and env. It returns
// {help: true} for --help, else {listen: {host, port}, pg, mode, workDelayMs};
// it throws UsageError naming what was wrong and what is accepted.
function parseConfig(argv, env) {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (err) {
    // parseArgs's messages name the offending flag; keep them on one line.
    throw new UsageError(`${err.message.split('\n')[0]} (accepted: --listen, --dsn, --mode, --work-delay, --help)`);
  }
  if (values.help) return { help: true };
  const pick = (flag, name, fallback) => (values[flag] !== undefined ? values[flag] : env[name] !== undefined && env[name] !== '' ? env[name] : fallback);

  const mode = pick('mode', 'MODE', 'correct');
  if (!MODES.includes(mode)) {
    throw new UsageError(`unknown mode ${JSON.stringify(mode)}: accepted modes are ${MODES.join(', ')}`);
  }
  const dsn = pick('dsn', 'DATABASE_URL', undefined);
  if (dsn === undefined) throw new UsageError('--dsn (or DATABASE_URL) is required: the PostgreSQL to use, as a URL or key=value pairs');
  return {
    listen: parseListen(pick('listen', 'LISTEN', '127.0.0.1:8080')),
    pg: parseDSN(dsn),
    mode,
    workDelayMs: parseDuration(pick('work-delay', 'WORK_DELAY', '20ms')),
  };
}

function parseListen(s) {
  const m = /^(.*):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  if (!m || m[1] === '' || port > 65535) {
    throw new UsageError(`--listen ${JSON.stringify(s)}: want HOST:PORT, e.g. 127.0.0.1:8080 (port 0 picks a free one)`);
  }
  // A bracketed IPv6 host ([::1]:8080) is given to listen() without brackets.
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

// The longest work delay accepted: long enough to hold a request open across
// a crash, short enough that a typo cannot hang a test for hours.
const MAX_DELAY_MS = 10 * 60 * 1000;
const UNIT_MS = { us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60000 };

// parseDuration reads a duration as Go writes one for a single unit (20ms,
// 1.5s, 2m) or a bare 0, into milliseconds.
function parseDuration(s) {
  if (s === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)(us|µs|ms|s|m)$/.exec(s);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
  if (!m || !(ms <= MAX_DELAY_MS)) {
    throw new UsageError(`--work-delay ${JSON.stringify(s)}: want a duration from 0 to 10m with a unit (us, ms, s, m), e.g. 20ms`);
  }
  return ms;
}

// KEYWORDS maps libpq's connection keywords to the pg package's settings.
// idemsim's own throwaway servers hand out DSNs as key=value pairs, which the
// pg package does not read, so they are parsed here; URLs go to pg as they are.
const KEYWORDS = { host: 'host', hostaddr: 'host', port: 'port', user: 'user', password: 'password', dbname: 'database', sslmode: 'sslmode', application_name: 'application_name' };

function parseDSN(dsn) {
  if (/^postgres(ql)?:\/\//.test(dsn)) return { connectionString: dsn };
  const out = {};
  // key = value, the value bare or single-quoted with backslash escapes.
  const re = /\s*([A-Za-z_]+)\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s']*))/y;
  let pos = 0;
  while (pos < dsn.length) {
    if (/^\s*$/.test(dsn.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(dsn);
    if (!m) throw new UsageError(`--dsn: cannot read ${JSON.stringify(dsn.slice(pos))}: want a postgres:// URL or key=value pairs (host, port, user, password, dbname, sslmode)`);
    pos = re.lastIndex;
    const key = m[1];
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    if (!(key in KEYWORDS)) throw new UsageError(`--dsn: unknown keyword ${JSON.stringify(key)}: accepted are ${Object.keys(KEYWORDS).join(', ')}`);
    out[KEYWORDS[key]] = value;
  }
  if (out.port !== undefined) {
    if (!/^\d{1,5}$/.test(out.port)) throw new UsageError(`--dsn: port ${JSON.stringify(out.port)} is not a number`);
    out.port = Number(out.port);
  }
  if (out.sslmode !== undefined) {
    // disable (and libpq's allow/prefer, which fall back to plain) is plain;
    // anything stronger asks pg for TLS.
    out.ssl = !['disable', 'allow', 'prefer'].includes(out.sslmode);
    delete out.sslmode;
  }
  return out;
}

module.exports = { parseConfig, parseDuration, parseDSN, UsageError, USAGE };
