'use strict';
// HTTP core: health, readiness, metrics, routing errors, body limits,
// request ids, caching headers, CORS and the database going away.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { api, expectProblem, rawRequest, until, REQUEST_ID } = require('./lib/http');
const { startPgProxy } = require('./lib/pgproxy');

const ORIGIN = 'https://app.example.org';
const MAX_BODY = 1024;

let server;

before(async () => {
  server = await startServer({
    env: { IPS_MAX_BODY_BYTES: String(MAX_BODY), IPS_CORS_ORIGINS: ORIGIN },
  });
});

after(async () => {
  if (server) await server.stop();
});

function headerList(res, name) {
  return (res.headers.get(name) || '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
}

function jsonPadded(bytes) {
  const pad = 'x'.repeat(Math.max(0, bytes - '{"pad":""}'.length));
  return `{"pad":"${pad}"}`;
}

test('GET /healthz answers 200 {"status":"ok"}', async () => {
  const res = await api(server, 'GET', '/healthz');
  assert.equal(res.status, 200);
  assert.equal(res.json.status, 'ok');
});

test('GET /readyz answers 200 {"status":"ready"} while the database is reachable', async () => {
  const res = await api(server, 'GET', '/readyz');
  assert.equal(res.status, 200);
  assert.equal(res.json.status, 'ready');
});

test('GET /metrics is Prometheus text with requests by route and the pool size', async () => {
  await api(server, 'GET', '/healthz');
  await api(server, 'GET', '/v1/gminas/1604013');
  await api(server, 'GET', '/v1/nope-metrics-cardinality');
  const res = await api(server, 'GET', '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  assert.match(res.text, /^ips_http_requests_total\{[^}]*\broute="[^"]+"[^}]*\}\s+[0-9.e+]+\s*$/m,
    `ips_http_requests_total with a route label in:\n${res.text.slice(0, 2000)}`);
  assert.match(res.text, /^ips_db_pool_size(\{[^}]*\})?\s+[0-9.e+]+\s*$/m, `ips_db_pool_size in:\n${res.text.slice(0, 2000)}`);
  // route is the template, not the raw path: a label per TERYT code or per
  // unknown path would grow without bound.
  assert.doesNotMatch(res.text, /route="[^"]*1604013/, 'route label is the template, not the path');
  assert.doesNotMatch(res.text, /route="[^"]*nope-metrics-cardinality/, 'unknown paths share one route label');
});

test('unknown route is a 404 problem', async () => {
  const res = await api(server, 'GET', '/v1/nope');
  expectProblem(res, 404);
});

test('a path under /v1/gminas that is no route is a 404 problem', async () => {
  const res = await api(server, 'GET', '/v1/gminas/1604013/extra');
  expectProblem(res, 404);
});

test('wrong method is a 405 problem with Allow listing GET', async () => {
  const res = await api(server, 'POST', '/v1/gminas', { body: { name: 'Byczyna' } });
  expectProblem(res, 405);
  assert.ok(headerList(res, 'allow').includes('get'), `Allow: ${res.headers.get('allow')}`);
});

test('DELETE on a gmina is a 405 problem with Allow listing GET', async () => {
  const res = await api(server, 'DELETE', '/v1/gminas/1604013');
  expectProblem(res, 405);
  assert.ok(headerList(res, 'allow').includes('get'), `Allow: ${res.headers.get('allow')}`);
});

test('a body larger than IPS_MAX_BODY_BYTES is a 413 problem', async () => {
  const res = await api(server, 'POST', '/v1/gminas', {
    rawBody: jsonPadded(MAX_BODY * 2),
    headers: { 'Content-Type': 'application/json' },
  });
  expectProblem(res, 413);
});

test('a body of exactly IPS_MAX_BODY_BYTES is not a 413', async () => {
  const res = await api(server, 'POST', '/v1/gminas', {
    rawBody: jsonPadded(MAX_BODY),
    headers: { 'Content-Type': 'application/json' },
  });
  assert.notEqual(res.status, 413, res.text);
  expectProblem(res, 405);
});

test('a huge declared Content-Length is a 413 problem before any body is sent', async () => {
  const res = await rawRequest(server,
    'POST /v1/gminas HTTP/1.1\r\n' +
    'Host: 127.0.0.1\r\n' +
    'Content-Type: application/json\r\n' +
    'Content-Length: 107374182400\r\n' +
    'Connection: close\r\n' +
    '\r\n' +
    '{"a":');
  expectProblem(res, 413);
});

test('a text/plain body is a 415 problem', async () => {
  const res = await api(server, 'POST', '/v1/gminas', {
    rawBody: 'hello',
    headers: { 'Content-Type': 'text/plain' },
  });
  expectProblem(res, 415);
});

test('malformed JSON is a 400 problem', async () => {
  const res = await api(server, 'POST', '/v1/gminas', {
    rawBody: '{"a":',
    headers: { 'Content-Type': 'application/json' },
  });
  expectProblem(res, 400);
});

test('JSON nested 100 levels deep is a 400 problem', async () => {
  const deep = '{"a":'.repeat(100) + '1' + '}'.repeat(100);
  assert.ok(deep.length < MAX_BODY);
  const res = await api(server, 'POST', '/v1/gminas', {
    rawBody: deep,
    headers: { 'Content-Type': 'application/json' },
  });
  expectProblem(res, 400);
  const arrays = '['.repeat(100) + ']'.repeat(100);
  const res2 = await api(server, 'POST', '/v1/gminas', {
    rawBody: arrays,
    headers: { 'Content-Type': 'application/json' },
  });
  expectProblem(res2, 400);
});

test('non-UTF-8 bytes in a JSON body are a 400 problem', async () => {
  for (const bad of [[0xff, 0xfe], [0xc3, 0x28], [0xed, 0xa0, 0x80] /* a surrogate */, [0xc0, 0xaf] /* overlong */]) {
    const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bad), Buffer.from('"}')]);
    const res = await api(server, 'POST', '/v1/gminas', {
      rawBody: body,
      headers: { 'Content-Type': 'application/json' },
    });
    expectProblem(res, 400);
  }
});

test('non-UTF-8 bytes sent on a raw socket are a 400 problem', async () => {
  const body = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xa3, 0xf3, 0x64, 0xbc, 0x22, 0x7d]); // {"a":"<latin-2 Łódź>"}
  const head = Buffer.from(
    'POST /v1/gminas HTTP/1.1\r\n' +
    'Host: 127.0.0.1\r\n' +
    'Content-Type: application/json\r\n' +
    `Content-Length: ${body.length}\r\n` +
    'Connection: close\r\n\r\n', 'latin1');
  const res = await rawRequest(server, Buffer.concat([head, body]));
  expectProblem(res, 400);
});

test('a NUL in a JSON string is a 400 or 422, never a 5xx', async () => {
  for (const raw of ['{"name":"a\\u0000b"}', Buffer.from('{"name":"a\u0000b"}', 'utf8')]) {
    const res = await api(server, 'POST', '/v1/gminas', {
      rawBody: raw,
      headers: { 'Content-Type': 'application/json' },
    });
    assert.ok(res.status === 400 || res.status === 422, `status ${res.status}: ${res.text}`);
    expectProblem(res, res.status);
  }
});

test('a valid X-Request-Id is echoed back', async () => {
  const id = 'test-req.42_A';
  const res = await api(server, 'GET', '/healthz', { headers: { 'X-Request-Id': id } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-request-id'), id);
  const longest = 'a'.repeat(64);
  const res64 = await api(server, 'GET', '/healthz', { headers: { 'X-Request-Id': longest } });
  assert.equal(res64.headers.get('x-request-id'), longest);
});

test('a problem carries the request id of X-Request-Id', async () => {
  const id = 'problem-id-1';
  const res = await api(server, 'GET', '/v1/nope', { headers: { 'X-Request-Id': id } });
  const p = expectProblem(res, 404);
  assert.equal(p.request_id, id);
});

test('an invalid X-Request-Id is replaced by a generated one', async () => {
  for (const bad of ['bad id!', 'a'.repeat(65), 'semi;colon', 'caf\u00e9', '']) {
    const res = await api(server, 'GET', '/healthz', { headers: { 'X-Request-Id': bad } });
    assert.equal(res.status, 200);
    const got = res.headers.get('x-request-id');
    assert.match(got, REQUEST_ID, `generated request id ${got}`);
    assert.notEqual(got, bad);
  }
});

test('without X-Request-Id every response gets a distinct generated one', async () => {
  const a = await api(server, 'GET', '/healthz');
  const b = await api(server, 'GET', '/healthz');
  assert.match(a.headers.get('x-request-id'), REQUEST_ID);
  assert.match(b.headers.get('x-request-id'), REQUEST_ID);
  assert.notEqual(a.headers.get('x-request-id'), b.headers.get('x-request-id'));
});

test('every response has Cache-Control: no-store', async () => {
  const etag = (await api(server, 'GET', '/v1/gminas/1604013')).headers.get('etag');
  const requests = [
    ['GET', '/healthz', {}],
    ['GET', '/readyz', {}],
    ['GET', '/metrics', {}],
    ['GET', '/v1/gminas', {}],
    ['GET', '/v1/gminas/1604013', {}],
    ['GET', '/v1/gminas/1604013', { headers: { 'If-None-Match': etag } }],
    ['GET', '/v1/gminas/1234567', {}],
    ['GET', '/v1/gminas?limit=0', {}],
    ['GET', '/v1/nope', {}],
    ['POST', '/v1/gminas', { body: {} }],
    ['POST', '/v1/gminas', { rawBody: 'x', headers: { 'Content-Type': 'text/plain' } }],
    ['POST', '/v1/gminas', { rawBody: jsonPadded(MAX_BODY * 2), headers: { 'Content-Type': 'application/json' } }],
    ['OPTIONS', '/v1/gminas', { headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' } }],
  ];
  for (const [method, path, opts] of requests) {
    const res = await api(server, method, path, opts);
    assert.match(res.headers.get('cache-control') || '', /(^|[\s,])no-store($|[\s,])/,
      `${method} ${path} -> ${res.status}: Cache-Control ${res.headers.get('cache-control')}`);
  }
});

test('CORS preflight from a configured origin answers 204 with that origin and the allowed headers', async () => {
  const res = await api(server, 'OPTIONS', '/v1/gminas', {
    headers: {
      Origin: ORIGIN,
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'authorization, if-match, idempotency-key, x-request-id',
    },
  });
  assert.equal(res.status, 204, res.text);
  assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
  const allowed = headerList(res, 'access-control-allow-headers');
  for (const h of ['authorization', 'content-type', 'if-match', 'if-none-match', 'idempotency-key', 'x-request-id']) {
    assert.ok(allowed.includes(h), `Access-Control-Allow-Headers has ${h}: ${res.headers.get('access-control-allow-headers')}`);
  }
  const methods = headerList(res, 'access-control-allow-methods');
  assert.ok(methods.includes('get'), `Access-Control-Allow-Methods has GET: ${res.headers.get('access-control-allow-methods')}`);
  assert.notEqual(res.headers.get('access-control-allow-credentials'), 'true', 'no cookies: credentials are bearer tokens');
});

test('CORS preflight of a write needs no token', async () => {
  const res = await api(server, 'OPTIONS', '/v1/gminas/1604013', {
    headers: {
      Origin: ORIGIN,
      'Access-Control-Request-Method': 'PATCH',
      'Access-Control-Request-Headers': 'authorization, content-type, if-match',
    },
  });
  assert.equal(res.status, 204, res.text);
  assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
});

test('a GET from a configured origin carries Access-Control-Allow-Origin and the exposed headers', async () => {
  const res = await api(server, 'GET', '/v1/gminas/1604013', { headers: { Origin: ORIGIN } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
  const exposed = headerList(res, 'access-control-expose-headers');
  for (const h of ['etag', 'location', 'link', 'retry-after', 'ratelimit', 'ratelimit-policy', 'x-request-id', 'idempotent-replayed']) {
    assert.ok(exposed.includes(h), `Access-Control-Expose-Headers has ${h}: ${res.headers.get('access-control-expose-headers')}`);
  }
});

test('a problem from a configured origin carries Access-Control-Allow-Origin too', async () => {
  const res = await api(server, 'GET', '/v1/nope', { headers: { Origin: ORIGIN } });
  expectProblem(res, 404);
  assert.equal(res.headers.get('access-control-allow-origin'), ORIGIN);
});

test('an origin not in IPS_CORS_ORIGINS gets no Access-Control-Allow-Origin', async () => {
  const evil = 'https://evil.example.com';
  const get = await api(server, 'GET', '/v1/gminas/1604013', { headers: { Origin: evil } });
  assert.equal(get.status, 200);
  assert.equal(get.headers.get('access-control-allow-origin'), null);
  const pre = await api(server, 'OPTIONS', '/v1/gminas', {
    headers: { Origin: evil, 'Access-Control-Request-Method': 'GET' },
  });
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
  const suffix = await api(server, 'GET', '/healthz', { headers: { Origin: `${ORIGIN}.evil.example.com` } });
  assert.equal(suffix.headers.get('access-control-allow-origin'), null);
});

test('the database going down gives /readyz and the API 503 with Retry-After, and they recover without a restart', async () => {
  const proxy = await startPgProxy(process.env.IPS_TEST_DATABASE_URL);
  let db = null;
  try {
    db = await startServer({
      env: { IPS_DATABASE_URL: proxy.url, IPS_DB_CHECKOUT_TIMEOUT_MS: '500', IPS_DB_POOL_SIZE: '2' },
    });
    assert.equal((await api(db, 'GET', '/readyz')).status, 200);
    assert.equal((await api(db, 'GET', '/v1/gminas/1604013')).status, 200);

    await proxy.cut();

    // The first requests may still find out that their connection broke:
    // whatever they answer must be in the contract (api() checks), and
    // within a few seconds both are 503 with Retry-After.
    const ready = await until(async () => {
      const r = await api(db, 'GET', '/readyz');
      return { ok: r.status === 503, value: r, describe: `${r.status} ${r.text}` };
    }, { timeoutMs: 5000, what: '/readyz 503 with the database cut' });
    expectProblem(ready, 503);
    assert.match(ready.headers.get('retry-after') || '', /^[0-9]+$/);

    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const res = await api(db, 'GET', '/v1/gminas/1604013');
      expectProblem(res, 503);
      assert.match(res.headers.get('retry-after') || '', /^[0-9]+$/);
      assert.ok(Date.now() - started < 5000, 'a 503 comes within the checkout timeout, not after a hang');
    }
    const list = await api(db, 'GET', '/v1/gminas');
    expectProblem(list, 503);
    assert.equal((await api(db, 'GET', '/healthz')).status, 200, '/healthz does not need the database');

    await proxy.restore();

    await until(async () => {
      const r = await api(db, 'GET', '/readyz');
      return { ok: r.status === 200, value: r, describe: `${r.status} ${r.text}` };
    }, { timeoutMs: 10000, what: '/readyz 200 after the database came back' });
    const back = await until(async () => {
      const r = await api(db, 'GET', '/v1/gminas/1604013');
      return { ok: r.status === 200, value: r, describe: `${r.status} ${r.text}` };
    }, { timeoutMs: 10000, what: 'GET /v1/gminas/1604013 200 after the database came back' });
    assert.equal(back.json.name, 'Byczyna');
    assert.equal(db.exited(), null, 'the same server process served throughout');
  } finally {
    try {
      if (db) {
        await proxy.restore();
        await db.stop();
      }
    } finally {
      await proxy.close();
    }
  }
});

test('OPTIONS and 405 on a known path are counted and logged under its route pattern, not as unmatched', async () => {
  const unmatched = (text) => [...text.matchAll(/^ips_http_requests_total\{method="any",route="unmatched",status="[^"]+"\} (\d+)$/gm)]
    .reduce((sum, m) => sum + Number(m[1]), 0);
  const counted = (text, status) => {
    const m = text.match(new RegExp(`^ips_http_requests_total\\{method="other",route="/v1/gminas/\\{teryt\\}",status="${status}"\\} (\\d+)$`, 'm'));
    return m ? Number(m[1]) : 0;
  };
  const before = (await api(server, 'GET', '/metrics')).text;
  const logStart = server.stderr().length;
  const pre = await api(server, 'OPTIONS', '/v1/gminas/1604013', { headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'PATCH' } });
  assert.equal(pre.status, 204);
  const wrong = await api(server, 'DELETE', '/v1/gminas/1604013');
  expectProblem(wrong, 405);
  const after = (await api(server, 'GET', '/metrics')).text;
  assert.equal(counted(after, 204) - counted(before, 204), 1, 'the OPTIONS under the route');
  assert.equal(counted(after, 405) - counted(before, 405), 1, 'the 405 under the route');
  assert.equal(unmatched(after), unmatched(before), 'nothing more counted as unmatched');
  await until(async () => {
    const log = server.stderr().slice(logStart);
    return { ok: /access DELETE \/v1\/gminas\/\{teryt\} 405/.test(log), describe: log };
  }, { timeoutMs: 2000, what: 'the access line of the 405 names the route' });
  assert.doesNotMatch(server.stderr().slice(logStart), /access (OPTIONS|DELETE) unmatched/);
});

test('connections from one address are limited (IPS_MAX_CONNECTIONS_PER_CLIENT): slow sockets from it cannot take the slots of another', async () => {
  const net = require('node:net');
  const limited = await startServer({ env: { IPS_MAX_CONNECTIONS_PER_CLIENT: '4' } });
  const { hostname, port } = new URL(limited.url);
  const open = (localAddress) => new Promise((resolve) => {
    const s = net.connect({ host: hostname, port: Number(port), localAddress });
    s.on('error', () => {});
    s.once('connect', () => resolve(s));
  });
  // closed by the server: 'close' within the time, or still open
  const closedSoon = (s, ms) => new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    s.once('close', () => { clearTimeout(t); resolve(true); });
  });
  const slow = [];
  try {
    // four slow clients that sent half a request head
    for (let i = 0; i < 4; i++) {
      const s = await open('127.0.0.1');
      s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
      slow.push(s);
    }
    const fifth = await open('127.0.0.1');
    slow.push(fifth);
    assert.equal(await closedSoon(fifth, 2000), true, 'a fifth connection from the same address is closed at once');
    for (const s of slow.slice(0, 4)) assert.equal(s.destroyed, false, 'the first four stay open');
    // another address (all of 127.0.0.0/8 is this machine) is served meanwhile
    const other = await open('127.0.0.2');
    slow.push(other);
    const answer = await new Promise((resolve) => {
      let text = '';
      other.on('data', (d) => { text += d; if (text.includes('\r\n\r\n')) resolve(text); });
      other.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      setTimeout(() => resolve(text), 3000);
    });
    assert.match(answer, /^HTTP\/1\.1 200/, `another client is served: ${answer.slice(0, 80)}`);
  } finally {
    for (const s of slow) s.destroy();
    await limited.stop();
  }
});

test('a client that trickles its request head is closed after IPS_HTTP_HEAD_TIMEOUT_S, while others are served', async () => {
  const net = require('node:net');
  const strict = await startServer({ env: { IPS_HTTP_HEAD_TIMEOUT_S: '2' } });
  const { hostname, port } = new URL(strict.url);
  const s = net.connect({ host: hostname, port: Number(port) });
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  const head = 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200);
  let sent = 0;
  const started = Date.now();
  const closed = new Promise((resolve) => s.once('close', () => resolve(Date.now() - started)));
  // a byte every 300 ms: never idle for long, never a whole head
  const trickle = setInterval(() => { if (sent < head.length && !s.destroyed) s.write(head[sent++]); }, 300);
  try {
    const meanwhile = await api(strict, 'GET', '/healthz');
    assert.equal(meanwhile.status, 200, 'another client is served while the slow one trickles');
    const after = await Promise.race([closed, new Promise((r) => setTimeout(() => r(null), 8000))]);
    assert.ok(after !== null, 'the slow connection is closed');
    assert.ok(after >= 1500 && after < 6000, `closed ${after} ms after it opened (deadline 2 s)`);
    // a kept-alive client that sends whole requests is not affected
    const again = await api(strict, 'GET', '/healthz');
    assert.equal(again.status, 200);
  } finally {
    clearInterval(trickle);
    s.destroy();
    await strict.stop();
  }
});

/* Sends bytes on a new connection and collects everything until the server
 * closes it (or timeoutMs passes): {text, closedAfterMs (null: still open)}. */
function exchange(target, bytes, { timeoutMs = 3000 } = {}) {
  const net = require('node:net');
  const { hostname, port } = new URL(target.url);
  return new Promise((resolve) => {
    const s = net.connect({ host: hostname, port: Number(port) });
    const started = Date.now();
    let text = '';
    let closedAfterMs = null;
    const timer = setTimeout(() => { s.destroy(); resolve({ text, closedAfterMs }); }, timeoutMs);
    s.on('data', (d) => { text += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => {
      if (closedAfterMs === null) closedAfterMs = Date.now() - started;
      clearTimeout(timer);
      resolve({ text, closedAfterMs });
    });
    s.write(bytes);
  });
}

test('malformed framing (HTTP library refusals, bad Content-Length, unknown transfer codings) gets one problem+json answer and the connection closed', async () => {
  const post = (headers, body) => `POST /v1/es-entities HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;
  const cases = [
    ['a request head larger than the server keeps', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40000)}\r\n\r\n`, 431],
    ['a malformed chunk size', post('Transfer-Encoding: chunked\r\n', 'zz\r\nabc\r\n0\r\n\r\n'), 400],
    ['a chunk size over 2^64', post('Transfer-Encoding: chunked\r\n', '10000000000000000\r\n{}\r\n0\r\n\r\n'), 413],
    ['Content-Length: -1', post('Content-Length: -1\r\n', '{}'), 400],
    ['Content-Length: 1x', post('Content-Length: 1x\r\n', '{}'), 400],
    ['Content-Length: +2', post('Content-Length: +2\r\n', '{}'), 400],
    ['a Content-Length over 2^64', post('Content-Length: 99999999999999999999999\r\n', '{}'), 413],
    ['Content-Length: 2^64 - 1', post('Content-Length: 18446744073709551615\r\n', '{}'), 413],
    ['a transfer coding other than chunked', post('Transfer-Encoding: gzip\r\n', '{}'), 501],
    ['chunked after another coding', post('Transfer-Encoding: gzip, chunked\r\n', '2\r\n{}\r\n0\r\n\r\n'), 501],
    ['an HTTP version it does not speak', 'GET /healthz HTTP/2.5\r\nHost: x\r\n\r\n', 505],
  ];
  for (const [what, bytes, status] of cases) {
    const { text, closedAfterMs } = await exchange(server, bytes);
    assert.notEqual(closedAfterMs, null, `${what}: the server closes the connection after its answer`);
    const heads = text.match(/(^|\r\n)HTTP\/1\.[01] \d{3} /g) || [];
    assert.equal(heads.length, 1, `${what}: exactly one answer, got: ${JSON.stringify(text.slice(0, 400))}`);
    assert.match(text, new RegExp(`^HTTP/1\\.1 ${status} `), `${what}: ${text.slice(0, 80)}`);
    assert.match(text, /\r\ncontent-type: application\/problem\+json\r\n/i, `${what}: problem+json`);
    assert.doesNotMatch(text, /<html/i, `${what}: no HTML page`);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    assert.equal(body.status, status, what);
    assert.notEqual(body.title, 'Internal Server Error', `${what}: the title names the status`);
    assert.match(body.request_id, /^[A-Za-z0-9._-]{1,64}$/);
  }
  // nothing was created by any of them, and the server still serves
  const health = await api(server, 'GET', '/healthz');
  assert.equal(health.status, 200);
});

test('a body that never completes is closed after IPS_HTTP_BODY_TIMEOUT_S; a request inside its handler has no such deadline', async () => {
  const strict = await startServer({ env: { IPS_HTTP_HEAD_TIMEOUT_S: '1', IPS_HTTP_BODY_TIMEOUT_S: '2' } });
  try {
    const post = (headers, body) => `POST /v1/es-entities HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;
    // a chunk declared 2^64 - 1 bytes long followed by a few: never whole
    const huge = await exchange(strict, post('Transfer-Encoding: chunked\r\n', 'ffffffffffffffff\r\n{}'), { timeoutMs: 15000 });
    assert.notEqual(huge.closedAfterMs, null, 'a 2^64 - 1 byte chunk does not hold the connection');
    assert.ok(huge.closedAfterMs >= 1500 && huge.closedAfterMs < 6000, `closed after ${huge.closedAfterMs} ms (body deadline 2 s)`);
    // a declared length that is never sent
    const short = await exchange(strict, post('Content-Length: 500\r\n', '{"name":'), { timeoutMs: 15000 });
    assert.notEqual(short.closedAfterMs, null, 'a body shorter than its Content-Length does not hold the connection');
    assert.ok(short.closedAfterMs >= 1500 && short.closedAfterMs < 6000, `closed after ${short.closedAfterMs} ms`);
    // a long poll outlives both deadlines and gets its answer
    const { newUser } = require('./lib/users');
    const who = await newUser(strict, { role: 'integration' });
    const started = Date.now();
    const polled = await api(strict, 'GET', '/v1/changes?after=999999999&wait=3', { headers: who.headers, timeoutMs: 15000 });
    assert.equal(polled.status, 200, 'the long poll is answered, not cut off by the head or body deadline');
    assert.ok(Date.now() - started >= 2500, `it waited (${Date.now() - started} ms)`);
  } finally {
    await strict.stop();
  }
});
