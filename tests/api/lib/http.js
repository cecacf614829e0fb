'use strict';
// HTTP helpers for the black-box tests. Every response goes through the
// contract check (lib/contract.js) before a test sees it.

const assert = require('node:assert/strict');
const net = require('node:net');
const tls = require('node:tls');
const { checkResponse } = require('./contract');

const REQUEST_TIMEOUT_MS = 10000;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

function isJson(contentType) {
  const t = String(contentType || '').split(';')[0].trim().toLowerCase();
  return t === 'application/json' || /^application\/[^/]+\+json$/.test(t);
}

function parseJsonOrThrow(where, text) {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: JSON content type but the body does not parse (${e.message}): ${text.slice(0, 200)}`);
  }
}

/*
 * Sends one request to the server and checks the response against the
 * contract (throws a ContractError when it breaks it).
 *   server   {url} from startServer()
 *   method   'GET', 'POST', ...
 *   path     '/v1/gminas?limit=2' (sent as is)
 *   opts.headers  extra request headers
 *   opts.body     a value sent as JSON (Content-Type application/json unless given)
 *   opts.rawBody  a string or Buffer sent as is
 *   opts.check    false skips the contract check (default true)
 * Resolves to {status, headers (a Headers), text, json (parsed when the
 * response is JSON, else undefined)}.
 */
async function api(server, method, path, { headers = {}, body, rawBody, timeoutMs = REQUEST_TIMEOUT_MS, check = true } = {}) {
  const init = { method, headers: { ...headers }, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) };
  const has = (name) => Object.keys(init.headers).some((k) => k.toLowerCase() === name);
  if (rawBody !== undefined) {
    init.body = rawBody;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    if (!has('content-type')) init.headers['Content-Type'] = 'application/json';
  }
  const where = `${method} ${path}`;
  let res;
  try {
    res = await fetch(server.url + path, init);
  } catch (e) {
    const cause = e.cause ? ` (${e.cause.code || ''} ${e.cause.message || e.cause})` : '';
    throw new Error(`${where}: request failed: ${e.message}${cause}`);
  }
  const text = await res.text();
  if (check) checkResponse(method, path, res.status, res.headers, text);
  const json = isJson(res.headers.get('content-type')) && text.length ? parseJsonOrThrow(where, text) : undefined;
  return { status: res.status, headers: res.headers, text, json };
}

/*
 * Asserts that res is a problem+json answer with the given status and the
 * fields of the contract; returns the parsed problem.
 */
function expectProblem(res, status) {
  const ctx = `\n  response ${res.status}: ${String(res.text).slice(0, 500)}`;
  assert.equal(res.status, status, `expected a ${status} problem${ctx}`);
  const ct = res.headers.get('content-type') || '';
  assert.equal(ct.split(';')[0].trim().toLowerCase(), 'application/problem+json', `Content-Type ${ct}${ctx}`);
  const p = res.json;
  assert.ok(p && typeof p === 'object', `problem body is an object${ctx}`);
  for (const f of ['type', 'title', 'detail', 'request_id']) {
    assert.equal(typeof p[f], 'string', `problem.${f} is a string${ctx}`);
  }
  assert.equal(p.status, status, `problem.status${ctx}`);
  assert.match(p.request_id, REQUEST_ID, `problem.request_id${ctx}`);
  assert.equal(res.headers.get('x-request-id'), p.request_id, `X-Request-Id header equals problem.request_id${ctx}`);
  return p;
}

/*
 * The field named by the first entry of a problem's errors (asserting that
 * there is one).
 */
function firstErrorField(problem) {
  assert.ok(Array.isArray(problem.errors) && problem.errors.length > 0, `problem has errors[]: ${JSON.stringify(problem)}`);
  return problem.errors[0].field;
}

function decodeChunked(buf) {
  const parts = [];
  let i = 0;
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) return null;
    const size = parseInt(buf.subarray(i, eol).toString('latin1').split(';')[0].trim(), 16);
    if (Number.isNaN(size)) throw new Error('malformed chunked body');
    if (size === 0) return Buffer.concat(parts);
    if (buf.length < eol + 2 + size + 2) return null;
    parts.push(buf.subarray(eol + 2, eol + 2 + size));
    i = eol + 2 + size + 2;
  }
}

/*
 * Parses a buffered HTTP/1.1 response. Returns null while incomplete (unless
 * ended, when the rest of the bytes is the body).
 */
function parseResponse(buf, ended, method) {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) throw new Error(`not an HTTP response: ${lines[0]}`);
  const status = Number(m[1]);
  // An interim answer (100 Continue) is not the response: skip it.
  if (status >= 100 && status < 200 && status !== 101) return parseResponse(buf.subarray(end + 4), ended, method);
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const rest = buf.subarray(end + 4);
  let body;
  if (method === 'HEAD' || status === 204 || status === 304 || status === 101) {
    body = Buffer.alloc(0);
  } else if ((headers.get('transfer-encoding') || '').toLowerCase().includes('chunked')) {
    body = decodeChunked(rest);
    if (body === null) return null;
  } else if (headers.get('content-length') !== null) {
    const n = Number(headers.get('content-length'));
    if (rest.length < n) return ended ? { status, headers, body: rest, truncated: true } : null;
    body = rest.subarray(0, n);
  } else {
    if (!ended) return null;
    body = rest;
  }
  return { status, headers, body };
}

/*
 * Sends raw bytes (a request fetch cannot make: a huge declared
 * Content-Length, invalid UTF-8, ...) on a fresh connection and reads one
 * response. The request line gives the method and path for the contract
 * check, which runs unless opts.check is false. Resolves to
 * {status, headers (a Headers), body (Buffer), text, json}.
 * With opts.body, bytes are only the head (which should carry
 * `Expect: 100-continue`) and opts.body is sent after a `100 Continue`, or
 * after a second without an answer, as curl does: a server that refuses a
 * large body from its headers alone then answers before any of it is sent.
 */
function rawRequest(server, bytes, { timeoutMs = REQUEST_TIMEOUT_MS, check = true, body: deferredBody } = {}) {
  const u = new URL(server.url);
  const request = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1');
  const [method, path] = request.subarray(0, Math.max(0, request.indexOf('\r\n'))).toString('latin1').split(' ');
  return new Promise((resolve, reject) => {
    const chunks = [];
    let settled = false;
    // an https server (nginx in front, tests/topology) is reached over TLS,
    // verified against the trusted certificates (NODE_EXTRA_CA_CERTS)
    const secure = u.protocol === 'https:';
    const port = Number(u.port) || (secure ? 443 : 80);
    const socket = secure
      ? tls.connect({ host: u.hostname, port, servername: net.isIP(u.hostname) ? undefined : u.hostname })
      : net.connect({ host: u.hostname, port });
    const finish = (err, value) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(continueTimer);
      socket.destroy();
      if (err) reject(err);
      else resolve(value);
    };
    const tryParse = (ended) => {
      let parsed;
      try {
        parsed = parseResponse(Buffer.concat(chunks), ended, method);
      } catch (e) {
        finish(e);
        return;
      }
      if (!parsed) {
        if (ended) finish(new Error(`${method} ${path}: connection closed before a complete response (${Buffer.concat(chunks).length} bytes)`));
        return;
      }
      const text = parsed.body.toString('utf8');
      try {
        if (check) checkResponse(method, path, parsed.status, parsed.headers, text);
        const json = isJson(parsed.headers.get('content-type')) && text.length ? parseJsonOrThrow(`${method} ${path}`, text) : undefined;
        finish(null, { status: parsed.status, headers: parsed.headers, body: parsed.body, text, json });
      } catch (e) {
        finish(e);
      }
    };
    const timer = setTimeout(() => finish(new Error(`${method} ${path}: no complete response within ${timeoutMs} ms (got ${Buffer.concat(chunks).length} bytes)`)), timeoutMs);
    let bodySent = deferredBody === undefined;
    let continueTimer = null;
    const sendBody = () => {
      if (bodySent || settled) return;
      bodySent = true;
      clearTimeout(continueTimer);
      socket.write(deferredBody);
    };
    socket.on(secure ? 'secureConnect' : 'connect', () => {
      socket.write(request);
      if (!bodySent) continueTimer = setTimeout(sendBody, 1000);
    });
    socket.on('data', (d) => {
      chunks.push(d);
      if (!bodySent) {
        const got = Buffer.concat(chunks);
        if (/^HTTP\/1\.[01] 100[ \r]/.test(got.subarray(0, 16).toString('latin1')) && got.includes('\r\n\r\n')) sendBody();
        else clearTimeout(continueTimer); // a final answer came first: the body is not wanted
      }
      tryParse(false);
    });
    socket.on('end', () => tryParse(true));
    socket.on('error', (e) => {
      // A server that answers and closes before reading all we sent can
      // reset the connection: what arrived before counts.
      if (chunks.length) tryParse(true);
      else finish(new Error(`${method} ${path}: ${e.code || e.message}`));
    });
  });
}

/* Polls fn() every intervalMs until it returns a truthy value or timeoutMs
 * passes; resolves to that value or throws with the last one. */
async function until(fn, { timeoutMs = 10000, intervalMs = 200, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last && last.ok) return last.value;
    if (Date.now() > deadline) {
      throw new Error(`${what} not reached within ${timeoutMs} ms; last: ${last && last.describe ? last.describe : JSON.stringify(last)}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

module.exports = { api, expectProblem, firstErrorField, rawRequest, until, REQUEST_ID };
