'use strict';
// users: the first engine resource — create, read, list (filters, sort,
// keyset pages), merge-patch update with If-Match — and what a user record
// means for signing in (passwords, active).

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { api, expectProblem, firstErrorField } = require('./lib/http');
const { uniqueName, strongPassword, signIn, newUser } = require('./lib/users');

// RFC 3339 in UTC, up to microseconds.
const TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|\+00:00)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_ID = '7d444840-9dc0-11d1-b245-5ffdce74fad2';
const USER_FIELDS = ['active', 'created_at', 'id', 'partner', 'role', 'updated_at', 'username', 'version'];

let server;
let admin;
let auditor;
let coordinator;
let batch; // users made for the list tests, in creation order, all named `${prefix}...`
let prefix;

before(async () => {
  server = await startServer();
  [admin, auditor, coordinator] = await Promise.all([
    newUser(server, { role: 'admin', prefix: 'uadm' }),
    newUser(server, { role: 'auditor', prefix: 'uaud' }),
    newUser(server, { role: 'coordinator', prefix: 'ucoo', partner: 'chorzow' }),
  ]);
  // The list tests look only at these (q=prefix), so that users made by
  // other test files at the same time do not matter.
  prefix = uniqueName('ul').replace('-', '') + '-';
  const specs = [
    { name: 'delta', partner: 'byczyna', role: 'advisor', active: true },
    { name: 'alpha', partner: 'chorzow', role: 'coordinator', active: true },
    { name: 'echo', partner: 'byczyna', role: 'coordinator', active: false },
    { name: 'bravo', partner: 'chorzow', role: 'advisor', active: true },
    { name: 'charlie', partner: 'byczyna', role: 'integration', active: true },
  ];
  batch = [];
  for (const s of specs) {
    // One at a time: created_at orders them.
    const res = await create({ username: `${prefix}${s.name}`, partner: s.partner, role: s.role, active: s.active });
    assert.equal(res.status, 201, res.text);
    batch.push(res.json);
  }
});

after(async () => {
  if (server) await server.stop();
});

function create(body, headers = admin.headers) {
  return api(server, 'POST', '/v1/users', { headers, body });
}

function get(id, headers = admin.headers) {
  return api(server, 'GET', `/v1/users/${id}`, { headers });
}

function patch(id, body, headers = {}, who = admin) {
  return api(server, 'PATCH', `/v1/users/${id}`, {
    headers: { ...who.headers, 'Content-Type': 'application/merge-patch+json', ...headers },
    body,
  });
}

function list(query, headers = admin.headers) {
  return api(server, 'GET', `/v1/users?${new URLSearchParams(query)}`, { headers });
}

/* A new user made over the API by the admin; resolves to {user, password, etag}. */
async function made(over = {}) {
  const password = over.password === undefined ? strongPassword() : over.password;
  const body = { username: uniqueName('uu'), partner: 'byczyna', role: 'advisor', password, ...over };
  if (body.password === null) delete body.password;
  const res = await create(body);
  assert.equal(res.status, 201, res.text);
  return { user: res.json, password, etag: res.headers.get('etag') };
}

function tokenRequest(username, password) {
  return api(server, 'POST', '/v1/auth/token', { body: { grant_type: 'password', username, password } });
}

function errorFor(p, field) {
  const e = (p.errors || []).find((x) => x.field === field);
  assert.ok(e, `an error on ${field} in ${JSON.stringify(p.errors)}`);
  return e;
}

/* Every page of the query from the first; the pages' responses. */
async function allPages(query) {
  const pages = [];
  let cursor = null;
  for (let i = 0; i < 50; i++) {
    const q = cursor === null ? query : { ...query, cursor };
    const res = await list(q);
    assert.equal(res.status, 200, `GET /v1/users?${new URLSearchParams(q)} (page ${i + 1}): ${res.text}`);
    pages.push(res);
    cursor = res.json.next_cursor;
    if (cursor === null) return pages;
  }
  assert.fail('more than 50 pages: next_cursor never became null');
}

/* Microseconds since the epoch of an RFC 3339 UTC timestamp, as a BigInt. */
function micros(ts) {
  const m = /^(.*T[0-9:]{8})(?:\.([0-9]{1,6}))?(?:Z|\+00:00)$/.exec(ts);
  assert.ok(m, `an RFC 3339 UTC timestamp: ${ts}`);
  return BigInt(Date.parse(`${m[1]}Z`)) * 1000n + BigInt((m[2] || '').padEnd(6, '0'));
}

const names = (items) => items.map((u) => u.username.slice(prefix.length));

// ---- create ----

test('an admin creates a user: 201 with Location, ETag "1" and the user, without its password', async () => {
  const username = uniqueName('ucr');
  const password = strongPassword();
  const started = Date.now();
  const res = await create({ username, partner: 'chorzow', role: 'coordinator', password });
  assert.equal(res.status, 201, res.text);
  const u = res.json;
  assert.deepEqual(Object.keys(u).sort(), USER_FIELDS, 'exactly the fields of a user');
  assert.match(u.id, UUID);
  assert.equal(u.username, username);
  assert.equal(u.partner, 'chorzow');
  assert.equal(u.role, 'coordinator');
  assert.equal(u.active, true, 'active defaults to true');
  assert.equal(u.version, 1);
  assert.equal(res.headers.get('location'), `/v1/users/${u.id}`);
  assert.equal(res.headers.get('etag'), '"1"');
  for (const f of ['created_at', 'updated_at']) {
    assert.match(u[f], TIMESTAMP, `${f} is RFC 3339 in UTC`);
    assert.ok(Math.abs(Date.parse(u[f]) - started) < 60000, `${f} ${u[f]} is about now`);
  }
  assert.equal(u.created_at, u.updated_at);
  assert.ok(!res.text.includes(password), 'the password is never returned');
  assert.ok(!/password|argon2|hash/i.test(res.text), `no password or hash in ${res.text}`);
});

test('the user an admin created signs in with its password', async () => {
  const { user, password } = await made({ role: 'auditor', partner: 'chorzow' });
  const t = await signIn(server, user.username, password);
  const me = await api(server, 'GET', '/v1/me', { headers: { Authorization: `Bearer ${t.access_token}` } });
  assert.equal(me.status, 200, me.text);
  assert.deepEqual({ sub: me.json.sub, role: me.json.role, partner: me.json.partner }, { sub: user.id, role: 'auditor', partner: 'chorzow' });
});

test('a user created without a password cannot sign in', async () => {
  const { user } = await made({ password: null });
  const res = await tokenRequest(user.username, strongPassword());
  expectProblem(res, 401);
  assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="ips-api"');
});

test('a user created with active false cannot sign in', async () => {
  const { user, password } = await made({ active: false });
  assert.equal(user.active, false);
  expectProblem(await tokenRequest(user.username, password), 401);
});

test('a user record never shows a password or its hash, in a read, a list or a patch', async () => {
  const { user, password } = await made();
  const read = await get(user.id);
  const listed = await list({ q: user.username });
  const patched = await patch(user.id, { role: 'auditor' }, { 'If-Match': read.headers.get('etag') });
  assert.equal(patched.status, 200, patched.text);
  for (const res of [read, listed, patched]) {
    assert.ok(!res.text.includes(password));
    assert.ok(!/password|argon2/i.test(res.text), res.text);
  }
  assert.deepEqual(Object.keys(read.json).sort(), USER_FIELDS);
  assert.deepEqual(Object.keys(listed.json.items[0]).sort(), USER_FIELDS);
});

test('a username already taken is 409 naming username', async () => {
  const { user } = await made();
  const res = await create({ username: user.username, partner: 'chorzow', role: 'auditor', password: strongPassword() });
  const p = expectProblem(res, 409);
  assert.equal(firstErrorField(p), 'username');
  const other = await create({ username: admin.username, partner: 'byczyna', role: 'admin' });
  assert.equal(firstErrorField(expectProblem(other, 409)), 'username', 'a user made with create-user counts too');
});

test('a bad username is 422 naming username', async () => {
  for (const username of ['Anna', 'a', '-anna', '.anna', '_anna', 'anna kowalska', 'anna@example.org', 'łucja', 'a'.repeat(65), '', 42, true, ['x'], "x' OR '1'='1"]) {
    const p = expectProblem(await create({ username, partner: 'byczyna', role: 'advisor' }), 422);
    assert.equal(firstErrorField(p), 'username', JSON.stringify(username));
  }
  // 64 characters of the alphabet are fine, and so are 2 (of which there
  // are few: an earlier run on the same database may have taken them).
  const long = await create({ username: uniqueName('m').padEnd(64, '9'), partner: 'byczyna', role: 'advisor' });
  assert.equal(long.status, 201, long.text);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const two = `${alphabet[Math.floor(Math.random() * 26)]}${alphabet[Math.floor(Math.random() * 36)]}`;
  const short = await create({ username: two, partner: 'byczyna', role: 'advisor' });
  if (short.status !== 201) assert.equal(firstErrorField(expectProblem(short, 409)), 'username', `${two}: a valid username, taken`);
});

test('a partner that is not a project partner is 422 on partner', async () => {
  for (const partner of ['nowhere', 'BYCZYNA', 'x', 'byczyna ', '', 7, null]) {
    const p = expectProblem(await create({ username: uniqueName('up'), partner, role: 'advisor' }), 422);
    assert.equal(firstErrorField(p), 'partner', JSON.stringify(partner));
  }
});

test('an unknown role is 422 on role', async () => {
  for (const role of ['root', 'Admin', '', 'admin ', 1, ['admin']]) {
    const p = expectProblem(await create({ username: uniqueName('ur'), partner: 'byczyna', role }), 422);
    assert.equal(firstErrorField(p), 'role', JSON.stringify(role));
  }
});

test('a password under 12 characters is 422; a well-known weak one is 422 too_weak', async () => {
  const short = expectProblem(await create({ username: uniqueName('uw'), partner: 'byczyna', role: 'advisor', password: 'short-pw' }), 422);
  assert.equal(firstErrorField(short), 'password');
  for (const password of ['password1234', 'Password1234', '123456789012']) {
    const p = expectProblem(await create({ username: uniqueName('uw'), partner: 'byczyna', role: 'advisor', password }), 422);
    const e = errorFor(p, 'password');
    assert.equal(e.code, 'too_weak', password);
  }
  const typed = expectProblem(await create({ username: uniqueName('uw'), partner: 'byczyna', role: 'advisor', password: 123456789012345 }), 422);
  assert.equal(firstErrorField(typed), 'password');
});

test('active must be a boolean', async () => {
  for (const active of ['true', 1, 'yes']) {
    const p = expectProblem(await create({ username: uniqueName('ua'), partner: 'byczyna', role: 'advisor', active }), 422);
    assert.equal(firstErrorField(p), 'active', JSON.stringify(active));
  }
});

test('a create without username, partner and role is 422 listing all three', async () => {
  const p = expectProblem(await create({}), 422);
  const fields = p.errors.map((e) => e.field).sort();
  assert.deepEqual(fields, ['partner', 'role', 'username']);
  assert.ok(p.errors.every((e) => e.code === 'required'), JSON.stringify(p.errors));
});

test('a create lists every bad field at once, an unknown partner among them', async () => {
  const many = expectProblem(await create({ username: 'Bad Name', partner: 'nowhere', role: 'root', password: 'x' }), 422);
  assert.deepEqual(many.errors.map((e) => e.field).sort(), ['partner', 'password', 'role', 'username'], JSON.stringify(many.errors));
});

test('unknown fields are 422 unknown_field; id, version, created_at and updated_at are 422 read_only', async () => {
  const base = { username: uniqueName('uf'), partner: 'byczyna', role: 'advisor' };
  const unknown = expectProblem(await create({ ...base, email: 'a@example.org', password_hash: '$argon2id$x' }), 422);
  assert.equal(errorFor(unknown, 'email').code, 'unknown_field');
  assert.equal(errorFor(unknown, 'password_hash').code, 'unknown_field');
  for (const [field, value] of [['id', UNKNOWN_ID], ['version', 5], ['created_at', '2020-01-01T00:00:00Z'], ['updated_at', '2020-01-01T00:00:00Z']]) {
    const p = expectProblem(await create({ ...base, [field]: value }), 422);
    assert.equal(errorFor(p, field).code, 'read_only', field);
  }
  const none = await list({ q: base.username });
  assert.deepEqual(none.json.items, [], 'none of them was created');
});

test('POST /v1/users with a body that is not a JSON object is 400; a text/plain one 415', async () => {
  for (const raw of ['[]', '"x"', '1', 'null', '{"username":']) {
    expectProblem(await api(server, 'POST', '/v1/users', { headers: { ...admin.headers, 'Content-Type': 'application/json' }, rawBody: raw }), 400);
  }
  expectProblem(await api(server, 'POST', '/v1/users', { headers: admin.headers }), 400);
  expectProblem(await api(server, 'POST', '/v1/users', { headers: { ...admin.headers, 'Content-Type': 'text/plain' }, rawBody: '{}' }), 415);
});

test('Idempotency-Key makes a retried create safe: the same key and body replay the first 201', async () => {
  const key = `users-${uniqueName('k')}`;
  const body = { username: uniqueName('uid'), partner: 'chorzow', role: 'auditor', password: strongPassword() };
  const first = await api(server, 'POST', '/v1/users', { headers: { ...admin.headers, 'Idempotency-Key': key }, body });
  assert.equal(first.status, 201, first.text);
  const again = await api(server, 'POST', '/v1/users', { headers: { ...admin.headers, 'Idempotency-Key': key }, body });
  assert.equal(again.status, 201, again.text);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.deepEqual(again.json, first.json);
  assert.equal(again.headers.get('location'), first.headers.get('location'));
  assert.equal(again.headers.get('etag'), first.headers.get('etag'));
  const other = await api(server, 'POST', '/v1/users', { headers: { ...admin.headers, 'Idempotency-Key': key }, body: { ...body, role: 'advisor' } });
  expectProblem(other, 422);
  const listed = await list({ q: body.username });
  assert.equal(listed.json.items.length, 1, 'one user, not two');
  const long = await api(server, 'POST', '/v1/users', { headers: { ...admin.headers, 'Idempotency-Key': 'k'.repeat(256) }, body: { ...body, username: uniqueName('uid') } });
  assert.equal(firstErrorField(expectProblem(long, 400)), 'Idempotency-Key');
});

// ---- read ----

test('GET /v1/users/{id} is the created record with ETag; If-None-Match with it is 304', async () => {
  const { user } = await made();
  const res = await get(user.id);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, user);
  assert.equal(res.headers.get('etag'), '"1"');
  const cached = await get(user.id, { ...admin.headers, 'If-None-Match': '"1"' });
  assert.equal(cached.status, 304);
  assert.equal(cached.text, '');
  assert.equal(cached.headers.get('etag'), '"1"');
  const listed = await get(user.id, { ...admin.headers, 'If-None-Match': '"7", "1"' });
  assert.equal(listed.status, 304);
  const other = await get(user.id, { ...admin.headers, 'If-None-Match': '"2"' });
  assert.equal(other.status, 200);
  assert.deepEqual(other.json, user);
});

test('an auditor reads users; a coordinator gets 403', async () => {
  const { user } = await made();
  const res = await get(user.id, auditor.headers);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json, user);
  expectProblem(await get(user.id, coordinator.headers), 403);
});

test('a malformed or unknown id is 404, before 403', async () => {
  for (const id of [UNKNOWN_ID, 'not-a-uuid', '1', `${UNKNOWN_ID}0`, UNKNOWN_ID.toUpperCase().replace(/-/g, ''), '%27%20OR%201%3D1']) {
    expectProblem(await get(id), 404);
    expectProblem(await get(id, coordinator.headers), 404);
  }
});

test('a query parameter on GET /v1/users/{id} is 400', async () => {
  const res = await api(server, 'GET', `/v1/users/${batch[0].id}?fields=username`, { headers: admin.headers });
  assert.equal(firstErrorField(expectProblem(res, 400)), 'fields');
});

// ---- list ----

test('GET /v1/users is a list envelope, newest first by default', async () => {
  const res = await list({ q: prefix });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json).sort(), ['items', 'next_cursor']);
  assert.equal(res.json.next_cursor, null);
  assert.equal(res.headers.get('link'), null, 'no Link without a next page');
  assert.deepEqual(res.json.items.map((u) => u.id), [...batch].reverse().map((u) => u.id));
  assert.deepEqual(res.json.items[0], batch[batch.length - 1], 'list items are the records as read');
  const explicit = await list({ q: prefix, sort: '-created_at' });
  assert.deepEqual(explicit.json, res.json);
});

test('paging with limit=1 visits every user once, with Link rel="next"', async () => {
  for (const sort of ['-created_at', 'created_at', 'username', '-username', 'updated_at', '-updated_at']) {
    const pages = await allPages({ q: prefix, limit: 1, sort });
    assert.equal(pages.length, batch.length, `sort=${sort}: one page a user`);
    const ids = pages.flatMap((p) => p.json.items.map((u) => u.id));
    assert.equal(new Set(ids).size, ids.length, `sort=${sort}: no user twice`);
    assert.deepEqual([...ids].sort(), batch.map((u) => u.id).sort(), `sort=${sort}: every user`);
    for (const p of pages.slice(0, -1)) {
      assert.equal(p.json.items.length, 1);
      assert.match(p.headers.get('link') || '', /rel="?next"?/, `sort=${sort}: Link on a page with a next`);
    }
    assert.equal(pages[pages.length - 1].headers.get('link'), null);
    const whole = await list({ q: prefix, sort, limit: 200 });
    assert.deepEqual(ids, whole.json.items.map((u) => u.id), `sort=${sort}: pages in the order of one page`);
  }
});

test('the Link header\'s next URL gives the same page as next_cursor', async () => {
  const first = await list({ q: prefix, limit: 2, sort: 'username' });
  const m = /<([^>]*)>\s*;\s*rel="?next"?/.exec(first.headers.get('link') || '');
  assert.ok(m, `Link: ${first.headers.get('link')}`);
  const url = new URL(m[1], server.url);
  const viaLink = await api(server, 'GET', url.pathname + url.search, { headers: admin.headers });
  const viaCursor = await list({ q: prefix, limit: 2, sort: 'username', cursor: first.json.next_cursor });
  assert.equal(viaLink.status, 200, viaLink.text);
  assert.deepEqual(viaLink.json, viaCursor.json);
  assert.deepEqual(names(viaLink.json.items), ['charlie', 'delta']);
});

test('sort=username is ascending by username; -username descending', async () => {
  const asc = await list({ q: prefix, sort: 'username' });
  assert.deepEqual(names(asc.json.items), ['alpha', 'bravo', 'charlie', 'delta', 'echo']);
  const desc = await list({ q: prefix, sort: '-username' });
  assert.deepEqual(names(desc.json.items), ['echo', 'delta', 'charlie', 'bravo', 'alpha']);
});

test('role, partner and active filter the list', async () => {
  const byRole = await list({ q: prefix, role: 'advisor', sort: 'username' });
  assert.deepEqual(names(byRole.json.items), ['bravo', 'delta']);
  const byPartner = await list({ q: prefix, partner: 'chorzow', sort: 'username' });
  assert.deepEqual(names(byPartner.json.items), ['alpha', 'bravo']);
  const inactive = await list({ q: prefix, active: 'false' });
  assert.deepEqual(names(inactive.json.items), ['echo']);
  const active = await list({ q: prefix, active: 'true', sort: 'username' });
  assert.deepEqual(names(active.json.items), ['alpha', 'bravo', 'charlie', 'delta']);
  const both = await list({ q: prefix, partner: 'byczyna', role: 'coordinator' });
  assert.deepEqual(names(both.json.items), ['echo']);
  const none = await list({ q: prefix, role: 'admin' });
  assert.deepEqual(none.json, { items: [], next_cursor: null });
});

test('q is a case-insensitive substring of the username, with % and _ plain characters', async () => {
  const res = await list({ q: `${prefix.toUpperCase()}CHAR` });
  assert.deepEqual(names(res.json.items), ['charlie']);
  const middle = await list({ q: 'lph', sort: 'username', limit: 200 });
  assert.ok(middle.json.items.some((u) => u.id === batch[1].id), 'a substring in the middle matches');
  assert.ok(middle.json.items.every((u) => u.username.includes('lph')));
  for (const q of [`${prefix}%`, `${prefix}_lpha`, `${prefix.slice(0, -1)}\\`]) {
    const r = await list({ q });
    assert.deepEqual(r.json.items, [], `q=${q}`);
  }
});

test('updated_since lists the users changed at or after it', async () => {
  const since = batch[2].updated_at;
  const res = await list({ q: prefix, updated_since: since, sort: 'created_at' });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.json.items.map((u) => u.id), batch.slice(2).map((u) => u.id), 'inclusive');
  const future = await list({ q: prefix, updated_since: '2999-01-01T00:00:00Z' });
  assert.deepEqual(future.json.items, []);
  const offset = await list({ q: prefix, updated_since: '2000-01-01T01:00:00+01:00' });
  assert.equal(offset.json.items.length, batch.length, 'an offset is allowed');
});

test('bad list parameters are 400 naming them', async () => {
  const cases = [
    [{ limit: '0' }, 'limit'], [{ limit: '201' }, 'limit'], [{ limit: 'abc' }, 'limit'], [{ limit: '' }, 'limit'],
    [{ sort: 'password' }, 'sort'], [{ sort: 'name' }, 'sort'], [{ sort: '+username' }, 'sort'],
    [{ role: 'root' }, 'role'], [{ active: 'maybe' }, 'active'], [{ active: '1' }, 'active'],
    [{ updated_since: 'yesterday' }, 'updated_since'], [{ updated_since: '2020-13-01T00:00:00Z' }, 'updated_since'],
    [{ cursor: 'garbage' }, 'cursor'], [{ q: '' }, 'q'], [{ q: 'a'.repeat(101) }, 'q'],
    [{ foo: '1' }, 'foo'], [{ password: 'x' }, 'password'], [{ username: 'x' }, 'username'],
  ];
  for (const [query, field] of cases) {
    const p = expectProblem(await list(query), 400);
    assert.equal(firstErrorField(p), field, JSON.stringify(query));
  }
});

test('partner must be a project partner\'s code: partner=nowhere is 400 naming partner', async () => {
  for (const partner of ['nowhere', 'BYCZYNA', '']) {
    const p = expectProblem(await list({ partner }), 400);
    assert.equal(firstErrorField(p), 'partner', `partner=${partner}`);
  }
});

test('a cursor of one sort order is 400 with another', async () => {
  const first = await list({ q: prefix, limit: 1, sort: 'username' });
  const res = await list({ q: prefix, limit: 1, sort: '-created_at', cursor: first.json.next_cursor });
  assert.equal(firstErrorField(expectProblem(res, 400)), 'cursor');
});

// ---- update ----

test('PATCH with If-Match changes the user: 200, ETag "2", version 2, a later updated_at', async () => {
  const { user } = await made({ role: 'advisor', partner: 'byczyna' });
  const res = await patch(user.id, { role: 'coordinator', partner: 'chorzow' }, { 'If-Match': '"1"' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('etag'), '"2"');
  assert.equal(res.json.version, 2);
  assert.equal(res.json.role, 'coordinator');
  assert.equal(res.json.partner, 'chorzow');
  assert.equal(res.json.username, user.username, 'what the patch does not name stays');
  assert.equal(res.json.active, true);
  assert.equal(res.json.created_at, user.created_at);
  assert.match(res.json.updated_at, TIMESTAMP);
  assert.ok(micros(res.json.updated_at) > micros(user.updated_at), `updated_at ${res.json.updated_at} after ${user.updated_at}`);
  const read = await get(user.id);
  assert.deepEqual(read.json, res.json);
  assert.equal(read.headers.get('etag'), '"2"');
  const json = await api(server, 'PATCH', `/v1/users/${user.id}`, {
    headers: { ...admin.headers, 'If-Match': '"2"', 'Content-Type': 'application/json' },
    body: { active: false },
  });
  assert.equal(json.status, 200, `application/json is accepted too: ${json.text}`);
  assert.equal(json.json.active, false);
  assert.equal(json.headers.get('etag'), '"3"');
});

test('PATCH without If-Match is 428, with a stale one 412', async () => {
  const { user } = await made();
  expectProblem(await patch(user.id, { role: 'auditor' }), 428);
  expectProblem(await patch(user.id, { role: 'auditor' }, { 'If-Match': '"2"' }), 412);
  const ok = await patch(user.id, { role: 'auditor' }, { 'If-Match': '"1"' });
  assert.equal(ok.status, 200, ok.text);
  expectProblem(await patch(user.id, { role: 'advisor' }, { 'If-Match': '"1"' }), 412);
  const read = await get(user.id);
  assert.equal(read.json.role, 'auditor', 'the stale patch changed nothing');
  assert.equal(read.json.version, 2);
});

test('PATCH with an invalid value is 422; null on a required field is 422 required', async () => {
  const { user } = await made();
  const h = { 'If-Match': '"1"' };
  for (const [body, field] of [[{ role: 'root' }, 'role'], [{ partner: 'nowhere' }, 'partner'], [{ username: 'Bad Name' }, 'username'],
    [{ active: 'no' }, 'active'], [{ password: 'short' }, 'password']]) {
    const p = expectProblem(await patch(user.id, body, h), 422);
    assert.equal(firstErrorField(p), field, JSON.stringify(body));
  }
  for (const field of ['username', 'partner', 'role']) {
    const p = expectProblem(await patch(user.id, { [field]: null }, h), 422);
    const e = errorFor(p, field);
    assert.equal(e.code, 'required', field);
  }
  const weak = expectProblem(await patch(user.id, { password: 'password1234' }, h), 422);
  assert.equal(errorFor(weak, 'password').code, 'too_weak');
  const read = await get(user.id);
  assert.deepEqual(read.json, user, 'nothing changed');
});

test('PATCH with unknown or read-only fields is 422', async () => {
  const { user } = await made();
  const h = { 'If-Match': '"1"' };
  assert.equal(errorFor(expectProblem(await patch(user.id, { email: 'x@example.org' }, h), 422), 'email').code, 'unknown_field');
  for (const [field, value] of [['id', UNKNOWN_ID], ['version', 9], ['created_at', '2020-01-01T00:00:00Z'], ['updated_at', '2020-01-01T00:00:00Z']]) {
    const p = expectProblem(await patch(user.id, { [field]: value }, h), 422);
    assert.equal(errorFor(p, field).code, 'read_only', field);
  }
  assert.equal((await get(user.id)).json.version, 1);
});

test('PATCH to a username already taken is 409 naming username', async () => {
  const a = await made();
  const b = await made();
  const p = expectProblem(await patch(b.user.id, { username: a.user.username }, { 'If-Match': '"1"' }), 409);
  assert.equal(firstErrorField(p), 'username');
  assert.equal((await get(b.user.id)).json.username, b.user.username);
});

test('a new password set by PATCH works for sign-in; the old one no longer does', async () => {
  const { user, password } = await made();
  await signIn(server, user.username, password);
  const fresh = strongPassword();
  const res = await patch(user.id, { password: fresh }, { 'If-Match': '"1"' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.version, 2);
  assert.ok(!res.text.includes(fresh));
  expectProblem(await tokenRequest(user.username, password), 401);
  await signIn(server, user.username, fresh);
  // A patch that does not name the password keeps it.
  assert.equal((await patch(user.id, { role: 'auditor' }, { 'If-Match': '"2"' })).status, 200);
  await signIn(server, user.username, fresh);
});

test('an admin sets a password on a user created without one, who then signs in', async () => {
  const { user } = await made({ password: null });
  const pw = strongPassword();
  assert.equal((await patch(user.id, { password: pw }, { 'If-Match': '"1"' })).status, 200);
  await signIn(server, user.username, pw);
});

test('PATCH of an unknown or malformed id is 404, before 403 for a non-admin', async () => {
  for (const id of [UNKNOWN_ID, 'nope']) {
    expectProblem(await patch(id, { role: 'auditor' }, { 'If-Match': '"1"' }), 404);
    expectProblem(await patch(id, { role: 'auditor' }, { 'If-Match': '"1"' }, auditor), 404);
    expectProblem(await patch(id, { role: 'auditor' }, { 'If-Match': '"1"' }, coordinator), 404);
  }
  const { user } = await made();
  expectProblem(await patch(user.id, { role: 'auditor' }, { 'If-Match': '"1"' }, auditor), 403);
  expectProblem(await patch(user.id, { role: 'auditor' }, {}, coordinator), 403); // 403 before 428
  assert.equal((await get(user.id)).json.version, 1);
});

test('PATCH with a body that is not a JSON object is 400; a text/plain one 415', async () => {
  const { user } = await made();
  for (const raw of ['[]', '"x"', 'null', '{"role":']) {
    const res = await api(server, 'PATCH', `/v1/users/${user.id}`, {
      headers: { ...admin.headers, 'If-Match': '"1"', 'Content-Type': 'application/merge-patch+json' },
      rawBody: raw,
    });
    expectProblem(res, 400);
  }
  const plain = await api(server, 'PATCH', `/v1/users/${user.id}`, {
    headers: { ...admin.headers, 'If-Match': '"1"', 'Content-Type': 'text/plain' },
    rawBody: '{"role":"auditor"}',
  });
  expectProblem(plain, 415);
  assert.equal((await get(user.id)).json.version, 1);
});

test('a user an admin disabled cannot sign in; enabled again, it can', async () => {
  const { user, password } = await made();
  assert.equal((await patch(user.id, { active: false }, { 'If-Match': '"1"' })).status, 200);
  expectProblem(await tokenRequest(user.username, password), 401);
  const inactive = await list({ q: user.username, active: 'false' });
  assert.deepEqual(inactive.json.items.map((u) => u.id), [user.id]);
  assert.equal((await patch(user.id, { active: true }, { 'If-Match': '"2"' })).status, 200);
  await signIn(server, user.username, password);
});

test('PATCH active: null is 422 naming active (must not be null); the user stays as it was', async () => {
  const { user } = await made();
  const res = await patch(user.id, { active: null }, { 'If-Match': '"1"' });
  const p = expectProblem(res, 422);
  const e = errorFor(p, 'active');
  assert.equal(e.code, 'invalid');
  assert.match(e.message, /must not be null/);
  const read = await get(user.id);
  assert.equal(read.headers.get('etag'), '"1"');
  assert.deepEqual(read.json, user);
});

test('a PATCH that changes nothing keeps version and ETag and writes no audit entry; a PATCH with a password always writes', async () => {
  const { user, password } = await made();
  for (const b of [{ active: true }, { role: user.role, partner: user.partner, username: user.username }, {}]) {
    const res = await patch(user.id, b, { 'If-Match': '"1"' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('etag'), '"1"', JSON.stringify(b));
    assert.deepEqual(res.json, user);
  }
  const audit = await api(server, 'GET', `/v1/audit?resource=users&resource_id=${user.id}`, { headers: admin.headers });
  assert.equal(audit.status, 200, audit.text);
  assert.deepEqual(audit.json.items.map((e) => e.action), ['create']);
  // the same password again is still a write (a new hash): never a no-op
  const again = await patch(user.id, { password }, { 'If-Match': '"1"' });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.headers.get('etag'), '"2"');
  assert.equal(again.json.version, 2);
  await signIn(server, user.username, password);
  const audit2 = await api(server, 'GET', `/v1/audit?resource=users&resource_id=${user.id}&action=update`, { headers: admin.headers });
  assert.equal(audit2.json.items.length, 1);
  assert.deepEqual(audit2.json.items[0].fields, ['password_hash']);
});

test('GET /v1/me with an unknown query parameter is 400 naming it', async () => {
  const res = await api(server, 'GET', '/v1/me?bogus=1', { headers: admin.headers });
  assert.equal(firstErrorField(expectProblem(res, 400)), 'bogus');
});
