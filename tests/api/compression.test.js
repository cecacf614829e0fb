'use strict';
// Content coding (RFC 9110 §8.4, §12.5.3): large JSON and CSV answers sent
// gzip-coded when Accept-Encoding asks for it, identity otherwise. fetch
// (undici) decodes gzip by itself and hides it, so these requests go
// through node:http and look at the bytes on the wire; each answer is
// checked against the contract once decoded. Through nginx (tests/topology)
// the same answers must arrive as the instances coded them: nginx neither
// codes them again nor strips the coding.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const https = require('node:https');
const zlib = require('node:zlib');
const { startServer } = require('./lib/server');
const { api, until } = require('./lib/http');
const { checkResponse } = require('./lib/contract');
const { newUser } = require('./lib/users');
const R = require('./lib/records');

const REQUEST_TIMEOUT_MS = 20000;
// A day no other test file writes deliveries on.
const DAY = 'from=2045-06-12&to=2045-06-12';
const PEOPLE = 200;

let server;
let admin;
let T;
let people = [];

/*
 * One request on a fresh connection; resolves to {status, headers (plain,
 * lower-case names), body (the bytes as sent), decoded (gunzipped when
 * Content-Encoding is gzip), text (decoded, as UTF-8)}. The answer is
 * checked against the contract unless check is false.
 */
function raw(method, path, headers = {}, { body, check = true } = {}) {
  const u = new URL(server.url);
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const sent = { ...headers, Connection: 'close' };
  if (payload) sent['Content-Length'] = payload.length;
  return new Promise((resolve, reject) => {
    // the front in tests/topology is https, its certificate in NODE_EXTRA_CA_CERTS
    const client = u.protocol === 'https:' ? https : http;
    const req = client.request({ host: u.hostname, port: u.port, method, path, headers: sent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        try {
          const bytes = Buffer.concat(chunks);
          const coding = res.headers['content-encoding'];
          const decoded = coding === 'gzip' && bytes.length ? zlib.gunzipSync(bytes) : bytes;
          const text = decoded.toString('utf8');
          if (check) checkResponse(method, path, res.statusCode, res.headers, text);
          resolve({ status: res.statusCode, headers: res.headers, body: bytes, decoded, text });
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

function varyNames(res) {
  return String(res.headers.vary || '').split(',').map((s) => s.trim().toLowerCase());
}

function expectIdentity(res, what) {
  assert.equal(res.status, 200, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
  assert.equal(res.headers['content-encoding'], undefined, `${what}: not coded`);
  assert.ok(varyNames(res).includes('accept-encoding'), `${what}: Vary ${res.headers.vary}`);
}

function expectGzip(res, what) {
  assert.equal(res.status, 200, `${what}: ${res.status}`);
  assert.equal(res.headers['content-encoding'], 'gzip', `${what}: Content-Encoding`);
  assert.ok(varyNames(res).includes('accept-encoding'), `${what}: Vary ${res.headers.vary}`);
}

/* A small pool of workers over jobs, so that set-up does not flood a busy machine. */
async function inTurn(jobs, workers = 6) {
  const out = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  }));
  return out;
}

const LIST = () => `/v1/beneficiaries?q=${T}&limit=200&sort=last_name`;

before(async () => {
  server = await startServer();
  admin = await newUser(server, { role: 'admin' });
  T = R.tag('gz');
  people = await inTurn(Array.from({ length: PEOPLE }, () => () => R.newBeneficiary(server, admin, T)));
  // two deliveries on DAY that every one of them attended: a CSV of 400 rows,
  // more than one block of the stream (64 KiB)
  const services = await R.seededServices(server, admin);
  for (const kind of ['training', 'seminar']) {
    const d = await R.newDelivery(server, admin, T, { service_id: services[kind].id, started_at: '2045-06-12T09:00:00Z' });
    await inTurn(people.map((b) => async () => {
      const res = await api(server, 'PUT', `/v1/deliveries/${d.id}/participants/${b.id}`, { headers: admin.headers, body: { attended: true } });
      assert.equal(res.status, 201, res.text);
    }));
  }
});

after(async () => {
  if (server) await server.stop();
});

test('a list of 200 beneficiaries with Accept-Encoding: gzip comes gzip-coded, and decodes to exactly the identity answer', async () => {
  const plain = await raw('GET', LIST(), admin.headers);
  expectIdentity(plain, 'without Accept-Encoding');
  assert.equal(JSON.parse(plain.text).items.length, PEOPLE);
  assert.equal(Number(plain.headers['content-length']), plain.body.length);
  const coded = await raw('GET', LIST(), { ...admin.headers, 'Accept-Encoding': 'gzip, deflate, br' });
  expectGzip(coded, 'with gzip');
  assert.equal(Number(coded.headers['content-length']), coded.body.length, 'Content-Length is the coded length');
  assert.ok(coded.body.length * 4 < plain.body.length, `coded ${coded.body.length} bytes, identity ${plain.body.length}`);
  assert.ok(coded.decoded.equals(plain.body), 'gunzipped, the same bytes as the identity answer');
});

test('gzip refused or not asked for: identity, with Vary all the same', async () => {
  for (const ae of [undefined, 'gzip;q=0', 'GZIP;Q=0, deflate', '*;q=0', 'identity;q=0', 'identity', 'br', '']) {
    const headers = { ...admin.headers };
    if (ae !== undefined) headers['Accept-Encoding'] = ae;
    const res = await raw('GET', LIST(), headers);
    expectIdentity(res, `Accept-Encoding ${JSON.stringify(ae)}`);
    assert.equal(JSON.parse(res.text).items.length, PEOPLE);
  }
  for (const ae of ['x-gzip', 'GZip;q=0.5', '*', 'deflate;q=1, gzip;q=0.1']) {
    expectGzip(await raw('GET', LIST(), { ...admin.headers, 'Accept-Encoding': ae }), `Accept-Encoding ${ae}`);
  }
});

test('a body under 1 KiB (one record) is not coded, and keeps its ETag', async () => {
  const b = people[0];
  const res = await raw('GET', `/v1/beneficiaries/${b.id}`, { ...admin.headers, 'Accept-Encoding': 'gzip' });
  expectIdentity(res, 'one beneficiary');
  assert.ok(res.body.length < 1024, `${res.body.length} bytes`);
  assert.equal(res.headers.etag, `"${b.version}"`);
  assert.equal(JSON.parse(res.text).id, b.id);
});

test('HEAD of a coded list carries the headers of its GET and no body', async () => {
  const headers = { ...admin.headers, 'Accept-Encoding': 'gzip' };
  const get = await raw('GET', LIST(), headers);
  const head = await raw('HEAD', LIST(), headers);
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  for (const h of ['content-type', 'content-encoding', 'content-length', 'vary', 'link']) {
    assert.equal(head.headers[h], get.headers[h], h);
  }
  assert.equal(head.headers['content-encoding'], 'gzip');
});

test('a coded record has its own ETag; If-None-Match with either form is a 304, and If-Match with the gzip form updates', async () => {
  // an entity with a long public offer: more than 1 KiB of JSON
  const entity = await R.newEsEntity(server, admin, T, { offer: `Oferta ${'szkolenia i doradztwo, '.repeat(100)}` });
  const path = `/v1/es-entities/${entity.id}`;
  const gz = { ...admin.headers, 'Accept-Encoding': 'gzip' };
  const plain = await raw('GET', path, admin.headers);
  const coded = await raw('GET', path, gz);
  expectIdentity(plain, 'identity');
  expectGzip(coded, 'gzip');
  assert.equal(plain.headers.etag, '"1"');
  assert.equal(coded.headers.etag, '"1-gzip"', 'the coded representation has a tag of its own');
  assert.ok(coded.decoded.equals(plain.body));
  const codedHead = await raw('HEAD', path, gz);
  assert.equal(codedHead.headers.etag, '"1-gzip"');
  assert.equal(codedHead.headers['content-length'], coded.headers['content-length']);

  // If-None-Match: either form means the client holds this version
  for (const [asked, sent, tag] of [[gz, '"1-gzip"', '"1-gzip"'], [gz, '"1"', '"1"'], [admin.headers, '"1"', '"1"'],
    [admin.headers, '"1-gzip"', '"1"'], [gz, 'W/"1-gzip"', '"1-gzip"'], [gz, '"7", "1-gzip"', '"1-gzip"']]) {
    const res = await raw('GET', path, { ...asked, 'If-None-Match': sent });
    assert.equal(res.status, 304, `If-None-Match ${sent}`);
    assert.equal(res.body.length, 0);
    assert.equal(res.headers.etag, tag, `the 304 for If-None-Match ${sent} names the representation asked for`);
    assert.ok(varyNames(res).includes('accept-encoding'), `Vary on the 304: ${res.headers.vary}`);
  }
  assert.equal((await raw('GET', path, { ...gz, 'If-None-Match': '"2-gzip"' })).status, 200);

  // the tag a client got with the coded answer is good for a write
  const patch = await raw('PATCH', path, { ...gz, 'Content-Type': 'application/merge-patch+json', 'If-Match': '"1-gzip"' },
    { body: { city: 'Byczyna' } });
  expectGzip(patch, 'PATCH with If-Match "1-gzip"');
  assert.equal(patch.headers.etag, '"2-gzip"');
  assert.equal(JSON.parse(patch.text).version, 2);
  const stale = await raw('PATCH', path, { ...admin.headers, 'Content-Type': 'application/merge-patch+json', 'If-Match': '"1-gzip"' },
    { body: { city: 'Opole' } });
  assert.equal(stale.status, 412);
  assert.equal(stale.headers.etag, '"2"');
  const again = await raw('PATCH', path, { ...admin.headers, 'Content-Type': 'application/merge-patch+json', 'If-Match': '"2-gzip"' },
    { body: { city: 'Opole' } });
  expectIdentity(again, 'PATCH without Accept-Encoding');
  assert.equal(again.headers.etag, '"3"');
});

test('the participants CSV is streamed gzip-coded (chunked, no Content-Length) and decodes to the same bytes', async () => {
  const path = `/v1/reports/participants.csv?${DAY}`;
  // a report may come from a replica a little behind (tests/topology): read until it has every row
  const plain = await until(async () => {
    const res = await raw('GET', path, admin.headers);
    const rows = res.text.split('\r\n').filter((line) => line.includes(T)).length;
    return { ok: res.status === 200 && rows === 2 * PEOPLE, value: res, describe: `${res.status}, ${rows} rows` };
  }, { timeoutMs: 30000, what: 'the CSV with every row of this file' });
  expectIdentity(plain, 'CSV');
  const coded = await raw('GET', path, { ...admin.headers, 'Accept-Encoding': 'gzip' });
  expectGzip(coded, 'CSV with gzip');
  assert.equal(coded.headers['content-type'], 'text/csv; charset=utf-8');
  assert.equal(coded.headers['content-disposition'], 'attachment; filename="participants.csv"');
  assert.equal(coded.headers['transfer-encoding'], 'chunked');
  assert.equal(coded.headers['content-length'], undefined);
  const mine = plain.text.split('\r\n').filter((line) => line.includes(T));
  assert.equal(mine.length, 2 * PEOPLE, 'a row per beneficiary of this file and kind');
  assert.ok(plain.body.length > 64 * 1024, `${plain.body.length} bytes: more than one block of the stream`);
  assert.ok(coded.decoded.equals(plain.body), 'gunzipped, the same bytes as the identity CSV');
  assert.ok(coded.body.length * 3 < plain.body.length, `coded ${coded.body.length} bytes, identity ${plain.body.length}`);
});

test('the contract and the documentation page come gzip-coded when asked, with a tag of their own that If-None-Match takes', async () => {
  for (const path of ['/openapi.yaml', '/openapi.json', '/docs/redoc.standalone.js']) {
    const plain = await raw('GET', path);
    expectIdentity(plain, path);
    const coded = await raw('GET', path, { 'Accept-Encoding': 'gzip' });
    expectGzip(coded, path);
    assert.ok(coded.decoded.equals(plain.body), `${path}: decodes to the identity bytes`);
    assert.ok(coded.body.length < plain.body.length / 2, `${path}: ${coded.body.length} of ${plain.body.length} bytes`);
    assert.equal(coded.headers.etag, plain.headers.etag.replace(/"$/, '-gzip"'), `${path}: the coded form's tag`);
    const again = await raw('GET', path, { 'Accept-Encoding': 'gzip', 'If-None-Match': coded.headers.etag });
    assert.equal(again.status, 304, path);
    assert.equal(again.headers.etag, coded.headers.etag, `${path}: the 304 names the coded form`);
  }
});

test('a garbage or oversized Accept-Encoding is identity or a 4xx, never a 5xx', async () => {
  const bad = [',,,;;;===', 'gzip;q=2', 'gzip;q=0.5x', 'gzip;q=', '"gzip"', '\u00ff\u00fe', 'gzip;;q=1',
    `${'gzip;'.repeat(2000)}`, 'a'.repeat(20000), `x;q=1, ${'deflate, '.repeat(3000)}`];
  for (const ae of bad) {
    const res = await raw('GET', LIST(), { ...admin.headers, 'Accept-Encoding': ae }, { check: false });
    const what = `Accept-Encoding of ${ae.length} characters (${JSON.stringify(ae.slice(0, 20))})`;
    assert.ok(res.status === 200 || (res.status >= 400 && res.status < 500), `${what}: ${res.status}`);
    if (res.status === 200) {
      assert.equal(res.headers['content-encoding'], undefined, what);
      checkResponse('GET', LIST(), res.status, res.headers, res.text);
    }
  }
  // too large for the server's header memory: refused with a 4xx
  const huge = await raw('GET', LIST(), { ...admin.headers, 'Accept-Encoding': `gzip;q=0, ${'a'.repeat(100000)}` }, { check: false });
  assert.ok(huge.status >= 400 && huge.status < 500, `a header of 100 kB: ${huge.status}`);
});
