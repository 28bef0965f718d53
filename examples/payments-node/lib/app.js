'use strict';
// The HTTP side, on plain node:http: POST /payments hands a checked request to
// the mode, GET /payments?idempotency_key=K lists the payments made under K
// (for a checker counting effects), anything else is 404 or 405.

const crypto = require('node:crypto');
const store = require('./store');

const MAX_BODY = 64 * 1024;
const MAX_KEY = 255;

class HTTPError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// createHandler returns the request listener for http.createServer; pay is
// the mode's handler, pool the database the payments are listed from, and
// stopping says whether the service is shutting down (its answers then close
// their connections, so that a keep-alive client does not hold the stop).
function createHandler({ pool, pay, log, stopping = () => false }) {
  const send = (res, code, body) => {
    if (res.headersSent) return;
    const headers = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) };
    if (stopping()) headers.Connection = 'close';
    res.writeHead(code, headers);
    res.end(body);
  };
  return async (req, res) => {
    try {
      const url = parseURL(req.url);
      if (url.pathname !== '/payments') throw new HTTPError(404, `no such path ${url.pathname}: this service has /payments`);
      if (req.method === 'POST') {
        const request = await readPayment(req);
        const { code, body } = await pay(request);
        return send(res, code, body);
      }
      if (req.method === 'GET') {
        const key = url.searchParams.get('idempotency_key');
        if (!key) throw new HTTPError(400, 'missing query parameter idempotency_key');
        return send(res, 200, JSON.stringify(await store.listPayments(pool, key)));
      }
      res.setHeader('Allow', 'GET, POST');
      throw new HTTPError(405, `method ${req.method} not allowed on /payments: GET or POST`);
    } catch (err) {
      if (err instanceof HTTPError) return send(res, err.code, JSON.stringify({ error: err.message }));
      log(`payments: ${req.method} ${req.url}: ${err.stack || err}`);
      return send(res, 500, JSON.stringify({ error: 'internal error' }));
    }
  };
}

function parseURL(target) {
  try {
    return new URL(target, 'http://service.invalid');
  } catch {
    throw new HTTPError(400, 'the request target is not a URL path');
  }
}

// readPayment checks the key and the body of a POST and returns what the mode
// needs: {key, fingerprint, amount, currency}.
async function readPayment(req) {
  const key = req.headers['idempotency-key'];
  if (!key) throw new HTTPError(400, 'missing Idempotency-Key header');
  if (key.length > MAX_KEY) throw new HTTPError(400, `Idempotency-Key longer than ${MAX_KEY} characters`);
  const raw = await readBody(req);
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new HTTPError(400, 'the body is not JSON: want {"amount": <integer cents>, "currency": "usd"}');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HTTPError(400, 'the body is not a JSON object: want {"amount": <integer cents>, "currency": "usd"}');
  }
  if (!Number.isSafeInteger(body.amount) || body.amount <= 0) throw new HTTPError(400, 'amount must be a positive integer number of cents');
  if (typeof body.currency !== 'string' || !/^[a-z]{3}$/.test(body.currency)) throw new HTTPError(400, 'currency must be a three-letter lower-case code such as "usd"');
  return { key, fingerprint: fingerprint(body), amount: body.amount, currency: body.currency };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    // An oversized body is read to its end but not kept, so that the 413
    // still reaches a client that is busy sending.
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) reject(new HTTPError(413, `body larger than ${MAX_BODY} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
    // A client that goes away mid-body never sends its end.
    req.on('close', () => {
      if (!req.complete) reject(new HTTPError(400, 'the request body was cut short'));
    });
  });
}

// fingerprint identifies a request body whatever the order of its fields or
// its spacing, so that a retry that re-serializes the same payment matches.
function fingerprint(body) {
  return crypto.createHash('sha256').update(canonical(body)).digest('hex');
}

function canonical(v) {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (v !== null && typeof v === 'object') {
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

module.exports = { createHandler, fingerprint };
