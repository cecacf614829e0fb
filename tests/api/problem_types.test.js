'use strict';
// Problem types: every kind of problem has its own type /problems/<slug>,
// listed by the served page GET /problems and by Problem.type of the
// contract alike; each kind the server can be made to send from outside is
// made here, and its type resolves to a page of this same service.

const net = require('node:net');
const crypto = require('node:crypto');
const { spawn, execFile } = require('node:child_process');
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spec, validateSchema } = require('./lib/contract');
const { startServer } = require('./lib/server');
const { startPgProxy } = require('./lib/pgproxy');
const { psql } = require('./lib/psql');
const { api, until } = require('./lib/http');
const { newUser, uniqueName, strongPassword } = require('./lib/users');
const { newService, newDelivery, beneficiaryBody, regionGminas, pick, UNKNOWN_ID } = require('./lib/records');

let server;
let admin;
before(async () => {
  server = await startServer();
  admin = await newUser(server, { role: 'admin', prefix: 'ptadm' });
});
after(async () => {
  if (server) await server.stop();
});

/* The kinds Problem.type of the contract lists: {slug: {status, title}}. */
function specKinds() {
  const type = spec().components.schemas.Problem.properties.type;
  return Object.fromEntries(type.anyOf.map((k) => {
    assert.match(k.const, /^\/problems\/[a-z0-9-]+$/, 'a type is /problems/<slug>');
    assert.ok(k.description && k.description.length > 40, `${k.const} has a description`);
    return [k.const.slice('/problems/'.length), { status: k['x-status'], title: k.title }];
  }));
}

/* Decodes the few entities the pages use. */
function unescapeHtml(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/* The kinds a served page names: {slug: {status, title}}, from its sections. */
function pageKinds(html) {
  const out = {};
  const section = /<section id="([^"]+)">([\s\S]*?)<\/section>/g;
  for (let m = section.exec(html); m; m = section.exec(html)) {
    const slug = /<code class="slug">([^<]*)<\/code>/.exec(m[2]);
    const status = /<dd class="status">(\d+)<\/dd>/.exec(m[2]);
    const title = /<dd class="title">([^<]*)<\/dd>/.exec(m[2]);
    assert.ok(slug && status && title, `section ${m[1]} names slug, status and title`);
    assert.equal(unescapeHtml(slug[1]), m[1], 'the anchor is the slug');
    out[m[1]] = { status: Number(status[1]), title: unescapeHtml(title[1]) };
  }
  return out;
}

test('GET /problems lists exactly the kinds of the contract, with the same statuses and titles', async () => {
  const res = await api(server, 'GET', '/problems');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  const served = pageKinds(res.text);
  assert.ok(Object.keys(served).length >= 25, `the page lists the kinds (${Object.keys(served).length})`);
  assert.deepEqual(served, specKinds());
  // no text of the table reaches the page unescaped
  assert.doesNotMatch(res.text.replace('<!DOCTYPE html>', '').replace(/<\/?(html|head|body|meta|title|h1|h2|p|ul|li|a|section|dl|dt|dd|code)\b[^>]*>/g, ''), /[<>]/);
  // a strong ETag: the same page is not sent again
  const etag = res.headers.get('etag');
  assert.match(etag, /^"[0-9]+(-gzip)?"$/); // fetch asks for gzip: the coded form's tag
  const again = await api(server, 'GET', '/problems', { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
});

test('GET /problems/{slug} is the page of one kind; an unknown slug is a 404 not-found problem', async () => {
  const res = await api(server, 'GET', '/problems/if-match-stale');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.deepEqual(pageKinds(res.text), { 'if-match-stale': specKinds()['if-match-stale'] });
  const unknown = await api(server, 'GET', '/problems/no-such-kind');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json.type, '/problems/not-found');
  const query = await api(server, 'GET', '/problems?x=1');
  assert.equal(query.json.type, '/problems/invalid-parameter');
});

// ---- every kind, made by the real server ----

const produced = new Map(); // slug -> the test that made it
const pages = new Map(); // type URI -> page text

/* Asserts that res is a problem of kind slug, with the contract's title and
 * status, and that its type resolves (against the server's URL) to a page
 * of this service that names the slug. */
async function expectKind(res, slug, what) {
  const kinds = specKinds();
  assert.ok(kinds[slug], `${slug} is a kind of the contract`);
  const ctx = `${what}: ${res.status} ${String(res.text).slice(0, 300)}`;
  assert.equal((res.headers.get('content-type') || '').split(';')[0], 'application/problem+json', ctx);
  assert.equal(res.json.type, `/problems/${slug}`, ctx);
  assert.equal(res.json.title, kinds[slug].title, ctx);
  assert.equal(res.json.status, kinds[slug].status, ctx);
  assert.equal(res.status, kinds[slug].status, ctx);
  const url = new URL(res.json.type, `${server.url}/v1/some/where`).href;
  assert.equal(url, `${server.url}/problems/${slug}`, 'a relative type resolves to this service');
  if (!pages.has(url)) {
    const page = await fetch(url);
    assert.equal(page.status, 200, `GET ${url}`);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    pages.set(url, await page.text());
  }
  assert.match(pages.get(url), new RegExp(`<code class="slug">${slug}</code>`), `the page of ${slug} names it`);
  produced.set(slug, what);
  return res.json;
}

// The shared responses whose problem example a test compared with a real answer.
const comparedExamples = new Set();

/* The problem example of a shared response of the contract (marked as compared). */
function exampleOf(component) {
  comparedExamples.add(component);
  return spec().components.responses[component].content['application/problem+json'].example;
}

/* Asserts that the answer is what the component's example shows. */
function matchesExample(problem, component) {
  const ex = exampleOf(component);
  for (const k of ['type', 'title', 'status', 'detail']) assert.equal(problem[k], ex[k], `${component} example: ${k}`);
  assert.deepEqual(problem.errors, ex.errors, `${component} example: errors`);
}

/* Sends bytes on a new connection; resolves to the parsed answer
 * {status, headers, text, json} once the server closes it. */
function rawExchange(target, bytes) {
  const { hostname, port } = new URL(target.url);
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: hostname, port: Number(port) });
    let text = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error('no answer within 5 s')); }, 5000);
    s.on('data', (d) => { text += d.toString('latin1'); });
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      const end = text.indexOf('\r\n\r\n');
      const head = text.slice(0, end).split('\r\n');
      const headers = new Headers();
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      }
      const body = text.slice(end + 4);
      resolve({ status: Number(head[0].split(' ')[1]), headers, text: body, json: JSON.parse(body) });
    });
    s.write(bytes);
  });
}

const json = (who, extra = {}) => ({ ...who.headers, ...extra });

test('400 malformed-request: framing the server cannot read (Content-Length not digits, a bad chunk size)', async () => {
  const post = (headers, body) => `POST /v1/es-entities HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;
  await expectKind(await rawExchange(server, post('Content-Length: 1x\r\n', '{}')), 'malformed-request', 'Content-Length: 1x');
  await expectKind(await rawExchange(server, post('Transfer-Encoding: chunked\r\n', 'zz\r\nabc\r\n0\r\n\r\n')),
    'malformed-request', 'a malformed chunk size');
});

test('400 malformed-body: malformed JSON, and a body where the operation takes none', async () => {
  await expectKind(await api(server, 'POST', '/v1/services', { headers: json(admin, { 'Content-Type': 'application/json' }), rawBody: '{' }),
    'malformed-body', 'malformed JSON');
  await expectKind(await api(server, 'POST', '/v1/services', { headers: admin.headers, body: [1] }), 'malformed-body', 'an array body');
});

test('400 invalid-parameter: a bad value and an unknown parameter; the BadRequest example is this answer', async () => {
  const p = await expectKind(await api(server, 'GET', '/v1/gminas?limit=500'), 'invalid-parameter', 'limit=500');
  matchesExample(p, 'BadRequest');
  await expectKind(await api(server, 'GET', '/v1/gminas?nope=1'), 'invalid-parameter', 'an unknown parameter');
});

test('400 invalid-header: an Idempotency-Key longer than 255 characters', async () => {
  const res = await api(server, 'POST', '/v1/services', {
    headers: json(admin, { 'Idempotency-Key': 'k'.repeat(256) }), body: { code: 'x', name: 'x', kind: 'advisory' },
  });
  const p = await expectKind(res, 'invalid-header', 'a long Idempotency-Key');
  assert.equal(p.errors[0].field, 'Idempotency-Key');
});

test('400 unsupported-grant-type: a grant_type the token endpoint does not know, as its example shows', async () => {
  const p = await expectKind(await api(server, 'POST', '/v1/auth/token', { body: { grant_type: 'client_credentials' } }),
    'unsupported-grant-type', 'grant_type client_credentials');
  const ex = spec().paths['/v1/auth/token'].post.responses['400'].content['application/problem+json'].example;
  for (const k of ['type', 'title', 'status', 'detail', 'errors']) assert.deepEqual(p[k], ex[k], k);
});

test('401 invalid-token (no token, a bad token) and invalid-credentials (a wrong password) are told apart', async () => {
  const none = await expectKind(await api(server, 'GET', '/v1/me'), 'invalid-token', 'no token');
  matchesExample(none, 'Unauthorized');
  await expectKind(await api(server, 'GET', '/v1/me', { headers: { Authorization: 'Bearer not.a.token' } }), 'invalid-token', 'a malformed token');
  await expectKind(await api(server, 'POST', '/v1/auth/token', {
    body: { grant_type: 'password', username: admin.username, password: strongPassword() },
  }), 'invalid-credentials', 'a wrong password');
});

test('403 forbidden (a role that may not write) and origin-not-allowed (a preflight from an unknown origin)', async () => {
  const auditor = await newUser(server, { role: 'auditor', prefix: 'ptaud' });
  const p = await expectKind(await api(server, 'POST', '/v1/services', { headers: auditor.headers, body: {} }), 'forbidden', 'an auditor writes');
  matchesExample(p, 'Forbidden');
  await expectKind(await api(server, 'OPTIONS', '/v1/services', {
    headers: { Origin: 'https://elsewhere.invalid', 'Access-Control-Request-Method': 'POST' },
  }), 'origin-not-allowed', 'a preflight from another origin');
});

test('404 not-found (no such record) and unknown-route (no such path); 405 method-not-allowed', async () => {
  const p = await expectKind(await api(server, 'GET', `/v1/services/${UNKNOWN_ID}`, { headers: admin.headers }), 'not-found', 'an unknown id');
  matchesExample(p, 'NotFound');
  await expectKind(await api(server, 'GET', '/v2/services'), 'unknown-route', 'an unknown path');
  const m = await expectKind(await api(server, 'DELETE', '/healthz'), 'method-not-allowed', 'DELETE /healthz');
  matchesExample(m, 'MethodNotAllowed');
});

test('409 already-exists, as the Conflict example shows: a service code used twice', async () => {
  const s = await newService(server, admin, 'ptdup');
  const p = await expectKind(await api(server, 'POST', '/v1/services', {
    headers: admin.headers, body: { code: s.code, name: 'again', kind: 'advisory' },
  }), 'already-exists', 'a code used twice');
  matchesExample(p, 'Conflict');
});

test('409 record-in-use: a service that deliveries refer to is not deleted', async () => {
  const s = await newService(server, admin, 'ptuse', { kind: 'training' });
  await newDelivery(server, admin, 'ptuse', { service_id: s.id });
  const res = await api(server, 'DELETE', `/v1/services/${s.id}`, { headers: json(admin, { 'If-Match': '"1"' }) });
  await expectKind(res, 'record-in-use', 'deleting a service with deliveries');
});

test('409 record-erased and 410 idempotency-key-erased: after an erasure', async () => {
  const key = crypto.randomUUID();
  const body = beneficiaryBody('pter', pick(await regionGminas(server)));
  for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
  const create = await api(server, 'POST', '/v1/beneficiaries', { headers: json(admin, { 'Idempotency-Key': key }), body });
  assert.equal(create.status, 201, create.text);
  const erase = (etag) => api(server, 'POST', `/v1/beneficiaries/${create.json.id}/erasure`, { headers: json(admin, { 'If-Match': etag }) });
  assert.equal((await erase(create.headers.get('etag'))).status, 200);
  const again = await api(server, 'GET', `/v1/beneficiaries/${create.json.id}`, { headers: admin.headers });
  await expectKind(await erase(again.headers.get('etag')), 'record-erased', 'a second erasure');
  const replay = await api(server, 'POST', '/v1/beneficiaries', { headers: json(admin, { 'Idempotency-Key': key }), body });
  matchesExample(await expectKind(replay, 'idempotency-key-erased', 'the create retried after the erasure'), 'Gone');
});

test('409 idempotency-key-in-flight: the first request with the key still holds it', async () => {
  const url = process.env.IPS_TEST_DATABASE_URL;
  const probe = crypto.randomUUID();
  const made = await api(server, 'POST', '/v1/services', {
    headers: json(admin, { 'Idempotency-Key': probe }), body: { code: `pt-${probe.slice(0, 8)}`, name: 'x', kind: 'advisory' },
  });
  assert.equal(made.status, 201, made.text);
  const scope = await psql(url, `SELECT scope FROM idempotency_keys WHERE key = '${probe}'`);
  assert.ok(scope.length > 0, 'the key is stored with its scope');
  // another session claims a new key of the same caller and keeps its transaction open
  const key = crypto.randomUUID();
  const tag = `held-${key}`;
  const holder = spawn('psql', ['-X', '-Atq', '-v', 'ON_ERROR_STOP=1', url], { stdio: ['pipe', 'ignore', 'ignore'] });
  holder.stdin.write(`BEGIN; INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ('${scope.replace(/'/g, "''")}', '${key}', 'x');\n`
    + `SELECT pg_sleep(20) /* ${tag} */;\nROLLBACK;\n`);
  holder.stdin.end();
  try {
    await until(async () => {
      const n = await psql(url, `SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%${tag}%' AND state = 'active' AND pid <> pg_backend_pid()`);
      return { ok: n === '1', value: n, describe: n };
    }, { timeoutMs: 10000, what: 'the other session holds the key' });
    const res = await api(server, 'POST', '/v1/services', {
      headers: json(admin, { 'Idempotency-Key': key }), body: { code: `pt-${key.slice(0, 8)}`, name: 'x', kind: 'advisory' }, timeoutMs: 15000,
    });
    await expectKind(res, 'idempotency-key-in-flight', 'a key another request still holds');
  } finally {
    await psql(url, `SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%${tag}%' AND pid <> pg_backend_pid()`);
    await new Promise((r) => (holder.exitCode !== null ? r() : holder.on('exit', r)));
  }
});

test('422 invalid-fields and idempotency-key-reused are told apart', async () => {
  const p = await expectKind(await api(server, 'POST', '/v1/partnership-members', { headers: admin.headers, body: { kind: 'ngo' } }),
    'invalid-fields', 'a member without a name');
  matchesExample(p, 'UnprocessableEntity');
  const key = crypto.randomUUID();
  const first = await api(server, 'POST', '/v1/services', {
    headers: json(admin, { 'Idempotency-Key': key }), body: { code: `pt-${key.slice(0, 8)}`, name: 'first', kind: 'advisory' },
  });
  assert.equal(first.status, 201, first.text);
  const other = await api(server, 'POST', '/v1/services', {
    headers: json(admin, { 'Idempotency-Key': key }), body: { code: `pt-${key.slice(0, 8)}`, name: 'another', kind: 'advisory' },
  });
  const reused = await expectKind(other, 'idempotency-key-reused', 'the key with another body');
  assert.equal(reused.errors[0].field, 'Idempotency-Key');
});

test('412 if-match-stale and 428 if-match-required, as their examples show', async () => {
  const s = await newService(server, admin, 'ptif');
  const patch = (extra) => api(server, 'PATCH', `/v1/services/${s.id}`, {
    headers: json(admin, { 'Content-Type': 'application/merge-patch+json', ...extra }), body: { name: 'renamed' },
  });
  matchesExample(await expectKind(await patch({ 'If-Match': '"99"' }), 'if-match-stale', 'a stale If-Match'), 'PreconditionFailed');
  matchesExample(await expectKind(await patch({}), 'if-match-required', 'no If-Match'), 'PreconditionRequired');
});

test('413 body-too-large and 415 unsupported-media-type, as their examples show', async () => {
  const big = await api(server, 'POST', '/v1/services', {
    headers: json(admin, { 'Content-Type': 'application/json' }), rawBody: `{"name":"${'a'.repeat(1100 * 1024)}"}`,
  });
  matchesExample(await expectKind(big, 'body-too-large', 'a body over 1 MiB'), 'PayloadTooLarge');
  const text = await api(server, 'POST', '/v1/services', { headers: json(admin, { 'Content-Type': 'text/plain' }), rawBody: '{}' });
  matchesExample(await expectKind(text, 'unsupported-media-type', 'a text/plain body'), 'UnsupportedMediaType');
});

test('414 uri-too-long, 431 header-fields-too-large, 501 not-implemented, 505 http-version-not-supported: before any handler', async () => {
  await expectKind(await rawExchange(server, `GET /${'a'.repeat(40000)} HTTP/1.1\r\nHost: x\r\n\r\n`), 'uri-too-long', 'a 40 kB path');
  await expectKind(await rawExchange(server, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40000)}\r\n\r\n`),
    'header-fields-too-large', 'a 40 kB header');
  await expectKind(await rawExchange(server, 'POST /v1/services HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}'),
    'not-implemented', 'Transfer-Encoding: gzip');
  await expectKind(await rawExchange(server, 'GET /healthz HTTP/2.5\r\nHost: x\r\n\r\n'), 'http-version-not-supported', 'HTTP/2.5');
});

test('429 sign-in-throttled after five failures for one username, as the TooManyRequests example shows', async () => {
  const username = uniqueName('ptthr');
  const attempt = () => api(server, 'POST', '/v1/auth/token', { body: { grant_type: 'password', username, password: strongPassword() } });
  let res;
  for (let i = 0; i < 6; i++) {
    res = await attempt();
    if (res.status === 429) break;
    assert.equal(res.status, 401, res.text);
  }
  matchesExample(await expectKind(res, 'sign-in-throttled', 'a sixth failed sign-in'), 'TooManyRequests');
});

test('503 overloaded: a long poll beyond IPS_LONG_POLL_MAX', async () => {
  const capped = await startServer({ env: { IPS_LONG_POLL_MAX: '1' } });
  try {
    const who = await newUser(capped, { role: 'integration', prefix: 'ptpoll' });
    const poll = () => api(capped, 'GET', '/v1/changes?after=999999999999&wait=3', { headers: who.headers, timeoutMs: 15000 });
    const waiting = poll();
    await new Promise((r) => setTimeout(r, 700));
    const res = await poll();
    const target = server;
    server = capped; // the type resolves against the server that answered
    try {
      await expectKind(res, 'overloaded', 'a second long poll');
    } finally {
      server = target;
    }
    assert.equal((await waiting).status, 200);
  } finally {
    await capped.stop();
  }
});

test('503 database-unavailable: the database cut, as the ServiceUnavailable example shows', async () => {
  const proxy = await startPgProxy(process.env.IPS_TEST_DATABASE_URL);
  const db = await startServer({ env: { IPS_DATABASE_URL: proxy.url, IPS_DB_CHECKOUT_TIMEOUT_MS: '500', IPS_DB_POOL_SIZE: '2' } });
  try {
    await proxy.cut();
    const res = await until(async () => {
      const r = await api(db, 'GET', '/v1/gminas/1604013');
      return { ok: r.status === 503, value: r, describe: `${r.status} ${r.text}` };
    }, { timeoutMs: 5000, what: 'a 503 with the database cut' });
    matchesExample(await expectKind(res, 'database-unavailable', 'a read with the database cut'), 'ServiceUnavailable');
  } finally {
    await db.stop();
    await proxy.close();
  }
});

test('503 schema-not-current: /readyz of a database whose schema this binary does not match', async () => {
  const base = new URL(process.env.IPS_TEST_DATABASE_URL);
  const name = `ips_problems_${crypto.randomBytes(4).toString('hex')}`;
  await psql(base.href, `CREATE DATABASE ${name}`);
  const url = new URL(base.href);
  url.pathname = `/${name}`;
  let db = null;
  try {
    await new Promise((resolve, reject) => execFile(process.env.IPS_BIN, ['migrate'], {
      env: { ...process.env, IPS_DATABASE_URL: url.href, IPS_LOG_LEVEL: 'warning' },
    }, (err, stdout, stderr) => (err ? reject(new Error(`migrate: ${stderr}`)) : resolve())));
    db = await startServer({ env: { IPS_DATABASE_URL: url.href } });
    assert.equal((await api(db, 'GET', '/readyz')).status, 200);
    await psql(url.href, 'DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)');
    const res = await api(db, 'GET', '/readyz');
    await expectKind(res, 'schema-not-current', '/readyz with a migration missing');
  } finally {
    if (db) await db.stop();
    await psql(base.href, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
});

test('every kind of the contract but internal-error was made by a test above', () => {
  const missing = Object.keys(specKinds()).filter((slug) => !produced.has(slug));
  // internal-error needs a fault of the server itself: nothing a client sends makes one
  assert.deepEqual(missing, ['internal-error']);
});

test('every problem example of the shared responses was compared with a real answer above (examples.test.js leaves them to this file)', async () => {
  const withExamples = Object.entries(spec().components.responses)
    .filter(([, r]) => r.content && r.content['application/problem+json'] && r.content['application/problem+json'].example)
    .map(([name]) => name);
  assert.ok(withExamples.length >= 10, `shared problem examples: ${withExamples.length}`);
  // InternalError: nothing a client sends makes a 500; its example is the
  // served kind's type and title, and a valid problem
  const internal = spec().components.responses.InternalError.content['application/problem+json'].example;
  const served = await fetch(new URL(internal.type, server.url));
  assert.equal(served.status, 200);
  assert.match(await served.text(), new RegExp(internal.title));
  const { valid, message } = validateSchema('#/components/schemas/Problem', internal);
  assert.ok(valid, message);
  assert.deepEqual(withExamples.filter((name) => !comparedExamples.has(name)), ['InternalError']);
});
