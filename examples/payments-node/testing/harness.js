'use strict';
// What the tests share: a throwaway PostgreSQL 15 (started with initdb and
// pg_ctl as the Go side's live/instance/postgres.go does, or the server
// IDEMSIM_TEST_DSN names), the service started as a child process exactly as
// a user starts it, and a little HTTP client. It lives outside test/ so that
// `node --test` does not run it as a test file.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const crypto = require('node:crypto');
const { Client } = require('pg');

const SERVICE_DIR = path.join(__dirname, '..');
const PG_BIN = '/usr/lib/postgresql/15/bin';
const PG_PROGRAMS = ['postgres', 'initdb', 'pg_ctl'];
// Bounds a server's start or stop, so that a stuck one fails the test
// instead of hanging it; generous for a loaded 2-core machine.
const START_LIMIT_MS = 30000;

// rerun is the command that reruns the named test, for failure messages.
function rerun(file, name) {
  return `rerun: cd examples/payments-node && node --test --test-name-pattern='${escapeRegExp(name).replace(/'/g, "'\\''")}' ${file}`;
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// postgresSkip says why the database tests cannot run here, or false (the
// caller prints the reason, loudly): they
// run on IDEMSIM_TEST_DSN's server, or on one of their own from the programs
// in bin. Under CI=true a missing server is an error instead: CI must never
// pass without running them.
function postgresSkip(bin = PG_BIN) {
  if (process.env.IDEMSIM_TEST_DSN) return false;
  const missing = PG_PROGRAMS.map((p) => path.join(bin, p)).filter((p) => !fs.existsSync(p));
  if (missing.length === 0) return false;
  const msg = `LIVE TEST NOT RUN: PostgreSQL 15 is not installed (${missing.join(', ')} missing); run \`make live-deps\` (as root) to install it, or set IDEMSIM_TEST_DSN to a server whose user may create databases`;
  if (process.env.CI === 'true') throw new Error(msg + ' — CI=true requires these tests to run');
  return msg;
}

// startPostgres returns {createDatabase(name) -> DSN, stop()}: a server of
// its own on a free loopback port, or the one IDEMSIM_TEST_DSN names (whose
// databases it creates are dropped again by stop).
async function startPostgres() {
  if (process.env.IDEMSIM_TEST_DSN) return sharedPostgres(process.env.IDEMSIM_TEST_DSN);
  // Not a directory under the user's private temporary one: run as root, the
  // server belongs to the postgres user, who must be able to reach it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idemsim-node-pg-'));
  const root = process.getuid && process.getuid() === 0;
  if (root) execFileSync('chown', ['postgres:postgres', dir]);
  const run = (prog, args) => {
    const file = path.join(PG_BIN, prog);
    const [cmd, argv] = root ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
    return execFileSync(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], timeout: START_LIMIT_MS });
  };
  const data = path.join(dir, 'data');
  let port;
  try {
    run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    port = await freePort();
    const opts = [`-c listen_addresses=127.0.0.1`, `-p ${port}`, `-k ${dir}`, '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=200'].join(' ');
    run('pg_ctl', ['-D', data, '-l', path.join(dir, 'server.log'), '-w', '-t', String(START_LIMIT_MS / 1000), '-o', opts, 'start']);
  } catch (err) {
    const logFile = path.join(dir, 'server.log');
    const serverLog = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`starting a throwaway PostgreSQL in ${dir}: ${err.message}\n${err.stderr || ''}${serverLog}`);
  }
  const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    createDatabase: (name) => createDatabase(admin, name).then(() => `postgres://postgres@127.0.0.1:${port}/${name}`),
    stop: async () => {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function sharedPostgres(dsn) {
  const created = [];
  // Names of their own, so that two test runs on one server do not meet.
  const prefix = 'idemsim_node_' + crypto.randomBytes(4).toString('hex') + '_';
  return {
    createDatabase: async (name) => {
      const db = prefix + name.replace(/[^a-z0-9_]/g, '_');
      await createDatabase(dsn, db);
      created.push(db);
      const url = new URL(dsn);
      url.pathname = '/' + db;
      return url.toString();
    },
    stop: async () => {
      const c = new Client({ connectionString: dsn });
      await c.connect();
      try {
        for (const db of created) await c.query(`drop database if exists "${db}" with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

async function createDatabase(adminDSN, name) {
  const c = new Client({ connectionString: adminDSN });
  await c.connect();
  try {
    await c.query(`create database "${name}"`);
  } finally {
    await c.end();
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const l = net.createServer();
    l.on('error', reject);
    l.listen(0, '127.0.0.1', () => {
      const { port } = l.address();
      l.close(() => resolve(port));
    });
  });
}

// runService runs server.js with args to its end (for the usage errors):
// {code, stdout, stderr}.
function runService(args, env = {}) {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, ['server.js', ...args], { cwd: SERVICE_DIR, env: { ...cleanEnv(), ...env } });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    proc.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

// The environment without the service's own variables, so that a developer's
// shell does not change what a test starts.
function cleanEnv() {
  const env = { ...process.env };
  for (const k of ['LISTEN', 'DATABASE_URL', 'MODE', 'WORK_DELAY']) delete env[k];
  return env;
}

// startService starts the service on a free port and waits for its
// "listening on" line. It returns {url, stop() -> exit code after SIGTERM,
// kill() -> after SIGKILL, stderr()}.
function startService({ dsn, mode, workDelay = '20ms', env = {} }) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['server.js', '--listen', '127.0.0.1:0', '--dsn', dsn, '--mode', mode, '--work-delay', workDelay], {
      cwd: SERVICE_DIR,
      env: { ...cleanEnv(), ...env },
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise((res) => proc.on('exit', (code, signal) => res({ code, signal })));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the service did not print "listening on" within ${START_LIMIT_MS}ms; stderr:\n${stderr}`));
    }, START_LIMIT_MS);
    proc.stderr.on('data', (d) => (stderr += d));
    proc.stdout.on('data', (d) => {
      stdout += d;
      const m = /^listening on (127\.0\.0\.1:\d+)$/m.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      resolve({
        url: `http://${m[1]}`,
        stdout: () => stdout,
        stderr: () => stderr,
        stop: async () => {
          proc.kill('SIGTERM');
          return exited;
        },
        kill: async () => {
          proc.kill('SIGKILL');
          return exited;
        },
      });
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (code ${code}, signal ${signal}) before listening; stderr:\n${stderr}`));
    });
  });
}

// post sends one payment request; key undefined sends none. It returns
// {status, body (the text), json}.
async function post(base, key, body) {
  const headers = { 'Content-Type': 'application/json' };
  if (key !== undefined) headers['Idempotency-Key'] = key;
  const res = await fetch(base + '/payments', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text, json: safeJSON(text) };
}

// effects lists the payments made under key, as a checker reads them.
async function effects(base, key) {
  const res = await fetch(`${base}/payments?idempotency_key=${encodeURIComponent(key)}`);
  if (res.status !== 200) throw new Error(`GET /payments answered ${res.status}: ${await res.text()}`);
  return res.json();
}

function safeJSON(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function newKey() {
  return 'k-' + crypto.randomBytes(8).toString('hex');
}

module.exports = { rerun, postgresSkip, startPostgres, startService, runService, post, effects, newKey };
