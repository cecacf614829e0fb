'use strict';
// services: the catalogue of support — seeded with one service of each kind,
// written by the admin only, read by every role; unique codes; a service in
// use cannot be deleted; an inactive one takes no new deliveries.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { api, expectProblem, firstErrorField, rawRequest } = require('./lib/http');
const R = require('./lib/records');

const { UUID, TIMESTAMP, UNKNOWN_ID, SERVICE_FIELDS, SERVICE_KINDS, SEEDED_SERVICES, allowed, mergePatchHeaders } = R;

let server;
let S;
let T;
let seeded;
let entity;

before(async () => {
  server = await startServer();
  S = await R.staff(server, 'svc');
  T = R.tag('svc');
  seeded = await R.seededServices(server, S.admin);
  entity = await R.newEsEntity(server, S.admin, T);
});

after(async () => {
  if (server) await server.stop();
});

function post(who, body, headers = {}) {
  return api(server, 'POST', '/v1/services', { headers: { ...who.headers, ...headers }, body });
}

function get(who, id, headers = {}) {
  return api(server, 'GET', `/v1/services/${id}`, { headers: { ...who.headers, ...headers } });
}

function list(who, query) {
  return api(server, 'GET', `/v1/services?${new URLSearchParams(query)}`, { headers: who.headers });
}

function patch(who, id, body, etag) {
  return api(server, 'PATCH', `/v1/services/${id}`, { headers: mergePatchHeaders(who, etag), body });
}

function del(who, id, etag) {
  const headers = { ...who.headers };
  if (etag) headers['If-Match'] = etag;
  return api(server, 'DELETE', `/v1/services/${id}`, { headers });
}

function code(suffix = '') {
  return `${T}-${R.tag('c')}${suffix}`;
}

function body(over = {}) {
  const b = { code: code(), name: `Usługa ${T} ${R.tag('n')}`, kind: 'advisory', description: 'Opis usługi.', ...over };
  for (const [k, v] of Object.entries(b)) if (v === undefined) delete b[k];
  return b;
}

function made(over = {}) {
  return R.newService(server, S.admin, T, over);
}

async function rejected(resPromise, field, code) {
  const p = expectProblem(await resPromise, 422);
  const e = (p.errors || []).find((x) => x.field === field);
  assert.ok(e, `an error on ${field} in ${JSON.stringify(p.errors)}`);
  if (code) assert.equal(e.code, code, `${field}: ${JSON.stringify(p.errors)}`);
  return p;
}

function delivery(who, over) {
  return api(server, 'POST', '/v1/deliveries', {
    headers: who.headers,
    body: { started_at: '2026-05-05T08:00:00Z', hours: 1.5, topic: `Temat ${T}`, es_entity_id: entity.id, ...over },
  });
}

// ---- the catalogue ----

test('the catalogue is seeded with one service of each of the seven kinds', async () => {
  assert.deepEqual(Object.keys(seeded).sort(), [...SERVICE_KINDS].sort());
  for (const [kind, s] of Object.entries(seeded)) {
    assert.equal(s.kind, kind, `${s.code} is a ${kind} service`);
    assert.equal(s.code, SEEDED_SERVICES[kind]);
    assert.deepEqual(Object.keys(s).sort(), SERVICE_FIELDS);
    assert.equal(typeof s.name, 'string');
    assert.ok(s.name.length > 0);
  }
  for (const kind of SERVICE_KINDS) {
    const res = await list(S.integration, { kind, limit: '200' });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.json.items.some((s) => s.code === SEEDED_SERVICES[kind]), `kind=${kind} lists the seeded one`);
    assert.ok(res.json.items.every((s) => s.kind === kind));
  }
});

test('every role reads the catalogue: the list and each service', async () => {
  for (const who of S.all) {
    const res = await list(who, { limit: '200', sort: 'name' });
    assert.equal(res.status, 200, `${who.label}: ${res.text}`);
    for (const s of Object.values(seeded)) {
      const one = await get(who, s.id);
      assert.equal(one.status, 200, `${who.label} GET ${s.code}: ${one.text}`);
      assert.equal(one.headers.get('etag'), `"${one.json.version}"`);
      assert.equal(one.json.id, s.id);
    }
  }
});

test('an admin creates a service: 201, Location, ETag "1", active by default, owned by the admin\'s partner', async () => {
  const b = body({ kind: 'legal' });
  const res = await post(S.admin, b);
  assert.equal(res.status, 201, res.text);
  const s = res.json;
  assert.deepEqual(Object.keys(s).sort(), SERVICE_FIELDS);
  assert.match(s.id, UUID);
  assert.equal(s.code, b.code);
  assert.equal(s.name, b.name);
  assert.equal(s.kind, 'legal');
  assert.equal(s.description, b.description);
  assert.equal(s.active, true, 'active defaults to true');
  assert.equal(s.partner, S.admin.partner);
  assert.equal(s.version, 1);
  assert.match(s.created_at, TIMESTAMP);
  assert.equal(res.headers.get('location'), `/v1/services/${s.id}`);
  assert.equal(res.headers.get('etag'), '"1"');
  assert.deepEqual((await get(S.auditor, s.id)).json, s);
  const inactive = await made({ active: false, kind: 'seminar', description: undefined });
  assert.equal(inactive.active, false);
  assert.equal(inactive.description, null);
});

test('every role but admin gets 403 on POST, PATCH and DELETE of a service', async () => {
  const s = await made();
  for (const who of S.all.filter((u) => u.role !== 'admin')) {
    expectProblem(await post(who, body()), 403);
    expectProblem(await patch(who, s.id, { name: 'Zmiana' }, '"1"'), 403);
    expectProblem(await del(who, s.id, '"1"'), 403);
    expectProblem(await patch(who, seeded.advisory.id, { active: false }, `"${seeded.advisory.version}"`), 403);
    expectProblem(await del(who, seeded.seminar.id, `"${seeded.seminar.version}"`), 403);
    // a record that does not exist is 404 first
    expectProblem(await patch(who, UNKNOWN_ID, { name: 'x' }, '"1"'), 404);
    expectProblem(await del(who, UNKNOWN_ID, '"1"'), 404);
  }
  const read = await get(S.admin, s.id);
  assert.equal(read.json.version, 1, 'nothing changed');
  assert.equal((await get(S.admin, seeded.advisory.id)).json.active, true);
});

test('the role matrix for services is exactly src/auth/policy.c: admin writes, everyone reads', async () => {
  const failures = [];
  for (const who of S.all) {
    const c = await post(who, body());
    const mayCreate = allowed('services', who, 'create');
    if (c.status !== (mayCreate ? 201 : 403)) failures.push(`${who.label} POST ${c.status}`);
    const s = await made();
    const r = await get(who, s.id);
    if (r.status !== 200) failures.push(`${who.label} GET ${r.status}`);
    const l = await list(who, { q: T });
    if (l.status !== 200) failures.push(`${who.label} list ${l.status}`);
    const u = await patch(who, s.id, { description: 'Nowy opis' }, '"1"');
    const mayUpdate = allowed('services', who, 'update', s.partner);
    if (u.status !== (mayUpdate ? 200 : 403)) failures.push(`${who.label} PATCH ${u.status}`);
    const d = await del(who, s.id, u.status === 200 ? '"2"' : '"1"');
    const mayDelete = allowed('services', who, 'delete', s.partner);
    if (d.status !== (mayDelete ? 204 : 403)) failures.push(`${who.label} DELETE ${d.status}`);
  }
  assert.deepEqual(failures, []);
});

test('code is unique among live services: 409 naming code on create and patch; a deleted service\'s code is free again', async () => {
  const a = await made();
  const dup = expectProblem(await post(S.admin, body({ code: a.code })), 409);
  assert.equal(firstErrorField(dup), 'code');
  const seededDup = expectProblem(await post(S.admin, body({ code: 'szkolenia' })), 409);
  assert.equal(firstErrorField(seededDup), 'code', 'a seeded code is taken');
  const b = await made();
  const p = expectProblem(await patch(S.admin, b.id, { code: a.code }, '"1"'), 409);
  assert.equal(firstErrorField(p), 'code');
  assert.equal((await del(S.admin, a.id, '"1"')).status, 204);
  const again = await post(S.admin, body({ code: a.code }));
  assert.equal(again.status, 201, again.text);
  assert.equal(again.json.code, a.code);
});

test('code is a slug of 2 to 64 lower-case letters, digits and dashes; name and kind are required; kind one of the seven', async () => {
  for (const c of ['A-B', 'a', 'a b', 'ą-b', 'a_b', 'a'.repeat(65), '', 12, null]) {
    await rejected(post(S.admin, body({ code: c })), 'code');
  }
  const long = await post(S.admin, body({ code: `${T}-${'z'.repeat(64 - T.length - 1)}` }));
  assert.equal(long.status, 201, `64 characters: ${long.text}`);
  await rejected(post(S.admin, body({ code: undefined })), 'code', 'required');
  await rejected(post(S.admin, body({ name: undefined })), 'name', 'required');
  await rejected(post(S.admin, body({ name: '' })), 'name');
  await rejected(post(S.admin, body({ name: 'n'.repeat(301) })), 'name', 'too_long');
  await rejected(post(S.admin, body({ kind: undefined })), 'kind', 'required');
  for (const kind of ['coaching', 'Advisory', '', 1, ['advisory']]) await rejected(post(S.admin, body({ kind })), 'kind');
  for (const kind of SERVICE_KINDS) assert.equal((await made({ kind })).kind, kind);
  await rejected(post(S.admin, body({ description: 'd'.repeat(4001) })), 'description', 'too_long');
  assert.equal((await made({ description: 'd'.repeat(4000) })).description.length, 4000);
  for (const active of ['true', 1, 'no', 0]) await rejected(post(S.admin, body({ active })), 'active');
  for (const [f, v] of [['id', UNKNOWN_ID], ['version', 2], ['created_at', '2020-01-01T00:00:00Z'], ['updated_at', '2020-01-01T00:00:00Z']]) {
    await rejected(post(S.admin, body({ [f]: v })), f, 'read_only');
  }
  await rejected(post(S.admin, body({ price: 100 })), 'price', 'unknown_field');
  const many = expectProblem(await post(S.admin, { code: 'X', kind: 'x', active: 'y' }), 422);
  assert.deepEqual(many.errors.map((e) => e.field).sort(), ['active', 'code', 'kind', 'name']);
});

test('PATCH a service with If-Match (428, 412): version + 1; null on a required field is 422 required', async () => {
  const s = await made({ kind: 'marketing' });
  expectProblem(await patch(S.admin, s.id, { name: 'Nowa nazwa' }), 428);
  expectProblem(await patch(S.admin, s.id, { name: 'Nowa nazwa' }, '"5"'), 412);
  const res = await patch(S.admin, s.id, { name: `Nowa nazwa ${T}`, description: null }, '"1"');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('etag'), '"2"');
  assert.equal(res.json.version, 2);
  assert.equal(res.json.name, `Nowa nazwa ${T}`);
  assert.equal(res.json.description, null);
  assert.equal(res.json.code, s.code);
  for (const f of ['code', 'name', 'kind']) await rejected(patch(S.admin, s.id, { [f]: null }, '"2"'), f, 'required');
  await rejected(patch(S.admin, s.id, { kind: 'coaching' }, '"2"'), 'kind');
  assert.equal((await get(S.admin, s.id)).json.version, 2);
});

test('the list filters by kind, active and code, q finds names, and sort=name pages both ways', async () => {
  const t = R.tag('l');
  const names = ['Doradztwo C', 'Analiza A', 'Bilans B', 'Ewaluacja E', 'Diagnoza D'];
  const recs = [];
  for (const [i, n] of names.entries()) {
    recs.push(await R.newService(server, S.admin, t, { name: `${t} ${n}`, kind: i % 2 ? 'training' : 'advisory', active: i !== 3 }));
  }
  const ids = (res) => res.json.items.map((s) => s.id).sort();
  assert.deepEqual(ids(await list(S.admin, { q: t })), recs.map((s) => s.id).sort());
  assert.deepEqual(ids(await list(S.admin, { q: t, kind: 'training' })), [recs[1].id, recs[3].id].sort());
  assert.deepEqual(ids(await list(S.admin, { q: t, active: 'false' })), [recs[3].id]);
  assert.deepEqual(ids(await list(S.admin, { q: t, active: 'true', kind: 'advisory' })), [recs[0].id, recs[2].id, recs[4].id].sort());
  assert.deepEqual(ids(await list(S.admin, { code: recs[2].code })), [recs[2].id]);
  assert.deepEqual(ids(await list(S.admin, { q: `${t} analiza`.toUpperCase() })), [recs[1].id]);
  const asc = await list(S.admin, { q: t, sort: 'name' });
  assert.deepEqual(asc.json.items.map((s) => s.name.slice(t.length + 1)), ['Analiza A', 'Bilans B', 'Diagnoza D', 'Doradztwo C', 'Ewaluacja E']);
  const desc = await list(S.admin, { q: t, sort: '-name' });
  assert.deepEqual(desc.json.items.map((s) => s.id), asc.json.items.map((s) => s.id).reverse());
  for (const sort of ['name', '-name', 'created_at', '-created_at']) {
    const seen = [];
    let cursor = null;
    for (let i = 0; i < 10; i++) {
      const res = await list(S.admin, { q: t, sort, limit: '2', ...(cursor ? { cursor } : {}) });
      assert.equal(res.status, 200, res.text);
      seen.push(...res.json.items.map((s) => s.id));
      cursor = res.json.next_cursor;
      if (!cursor) break;
    }
    assert.deepEqual(seen, (await list(S.admin, { q: t, sort })).json.items.map((s) => s.id), `sort=${sort}`);
  }
  for (const [query, field] of [[{ kind: 'coaching' }, 'kind'], [{ active: 'yes' }, 'active'], [{ sort: 'kind' }, 'sort'],
    [{ sort: 'code' }, 'sort'], [{ partner: 'nowhere' }, 'partner'], [{ description: 'x' }, 'description'], [{ limit: '0' }, 'limit'],
    [{ q: '' }, 'q'], [{ name: 'x' }, 'name']]) {
    assert.equal(firstErrorField(expectProblem(await list(S.admin, query), 400)), field, JSON.stringify(query));
  }
});

test('GET /v1/services/{id}: 304 on a matching If-None-Match; an unknown, malformed or deleted id is 404', async () => {
  const s = await made();
  const cached = await get(S.advisor.chorzow, s.id, { 'If-None-Match': '"1"' });
  assert.equal(cached.status, 304);
  for (const id of [UNKNOWN_ID, 'nope', `${s.id}x`]) expectProblem(await get(S.admin, id), 404);
  assert.equal((await del(S.admin, s.id, '"1"')).status, 204);
  expectProblem(await get(S.admin, s.id), 404);
  expectProblem(await patch(S.admin, s.id, { name: 'x' }, '"2"'), 404);
  expectProblem(await del(S.admin, s.id, '"2"'), 404);
  assert.deepEqual((await list(S.admin, { code: s.code })).json.items, [], 'gone from the list');
});

test('DELETE of a service needs If-Match (428, 412)', async () => {
  const s = await made();
  expectProblem(await del(S.admin, s.id), 428);
  expectProblem(await del(S.admin, s.id, '"3"'), 412);
  assert.equal((await get(S.admin, s.id)).status, 200);
});

test('a service that a live delivery uses cannot be deleted (409); once its deliveries are deleted it can', async () => {
  const s = await made({ kind: 'financial' });
  const d = await delivery(S.coordinator.chorzow, { service_id: s.id });
  assert.equal(d.status, 201, d.text);
  const refused = await del(S.admin, s.id, '"1"');
  expectProblem(refused, 409);
  assert.equal((await get(S.admin, s.id)).status, 200, 'still there');
  const dd = await api(server, 'DELETE', `/v1/deliveries/${d.json.id}`, { headers: { ...S.coordinator.chorzow.headers, 'If-Match': '"1"' } });
  assert.equal(dd.status, 204, dd.text);
  const ok = await del(S.admin, s.id, '"1"');
  assert.equal(ok.status, 204, ok.text);
});

test('an inactive service takes no new deliveries (422 service_id inactive), but its existing deliveries can still be patched', async () => {
  const s = await made({ kind: 'information' });
  const d = await delivery(S.advisor.byczyna, { service_id: s.id });
  assert.equal(d.status, 201, d.text);
  const off = await patch(S.admin, s.id, { active: false }, '"1"');
  assert.equal(off.status, 200, off.text);
  assert.equal(off.json.active, false);
  const refused = expectProblem(await delivery(S.advisor.byczyna, { service_id: s.id }), 422);
  const e = refused.errors.find((x) => x.field === 'service_id');
  assert.ok(e, JSON.stringify(refused.errors));
  assert.equal(e.code, 'inactive');
  const admin = expectProblem(await delivery(S.admin, { service_id: s.id }), 422);
  assert.equal(admin.errors.find((x) => x.field === 'service_id').code, 'inactive', 'not even for an admin');
  const p = await api(server, 'PATCH', `/v1/deliveries/${d.json.id}`, {
    headers: mergePatchHeaders(S.advisor.byczyna, '"1"'), body: { hours: 3.25, topic: `Poprawiony ${T}` },
  });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.hours, 3.25);
  assert.equal(p.json.service_id, s.id);
  const on = await patch(S.admin, s.id, { active: true }, '"2"');
  assert.equal(on.status, 200, on.text);
  const again = await delivery(S.advisor.byczyna, { service_id: s.id });
  assert.equal(again.status, 201, `active again, it takes deliveries: ${again.text}`);
});

test('a deleted or unknown service takes no deliveries (422 service_id)', async () => {
  const s = await made();
  assert.equal((await del(S.admin, s.id, '"1"')).status, 204);
  for (const service_id of [s.id, UNKNOWN_ID]) {
    const p = expectProblem(await delivery(S.coordinator.byczyna, { service_id }), 422);
    assert.equal(p.errors.find((x) => x.field === 'service_id').code, 'invalid', JSON.stringify(p.errors));
  }
});

test('service changes are audited and in the change feed', async () => {
  const head = await R.feedHead(server, S.integration);
  const s = await made();
  assert.equal((await patch(S.admin, s.id, { active: false }, '"1"')).status, 200);
  assert.equal((await del(S.admin, s.id, '"2"')).status, 204);
  const audit = await R.auditOf(server, S.admin, 'services', s.id);
  assert.deepEqual(audit.json.items.map((e) => e.action), ['delete', 'update', 'create']);
  assert.ok(audit.json.items.every((e) => e.actor === S.admin.id && e.role === 'admin'));
  assert.ok(audit.json.items[1].fields.includes('active'), JSON.stringify(audit.json.items[1]));
  const feed = (await R.feedSince(server, S.integration, head)).filter((c) => c.resource === 'services' && c.id === s.id);
  assert.deepEqual(feed.map((c) => [c.op, c.version]), [['upsert', 1], ['upsert', 2], ['delete', 3]]);
});

// ---- hostile input ----

test('hostile bodies to POST and PATCH /v1/services are a 4xx problem, never a 5xx', async () => {
  const s = await made();
  const send = async (what, opts) => {
    const a = await api(server, 'POST', '/v1/services', { ...opts, headers: { ...S.admin.headers, ...(opts.headers || {}) } });
    R.expectClientError(a, `POST ${what}`);
    const b = await api(server, 'PATCH', `/v1/services/${s.id}`, { ...opts, headers: { ...S.admin.headers, 'If-Match': '"1"', ...(opts.headers || {}) } });
    R.expectClientError(b, `PATCH ${what}`);
  };
  const json = { 'Content-Type': 'application/json' };
  for (const raw of R.GARBAGE_BODIES) await send(JSON.stringify(raw), { rawBody: raw, headers: json });
  for (const f of ['code', 'name', 'kind', 'description']) {
    for (const v of R.WRONG_TYPES) await send(`${f}=${JSON.stringify(v)}`, { body: body({ [f]: v }) });
    await send(`${f}=100000 characters`, { body: body({ [f]: R.LONG }) });
    await send(`${f} with NUL`, { rawBody: JSON.stringify(body({ [f]: 'a\u0000b' })), headers: json });
  }
  for (const v of ['true', 0, 1, [], {}, 'false']) await send(`active=${JSON.stringify(v)}`, { body: body({ active: v }) });
  await send('a huge number', { rawBody: `{"code":"${code()}","name":"n","kind":"advisory","active":123456789012345678901234567890}`, headers: json });
  await send('1e999', { rawBody: `{"code":"${code()}","name":"n","kind":"advisory","active":1e999}`, headers: json });
  await send('a 100000-character key', { body: { ...body(), ['k'.repeat(100000)]: 1 } });
  assert.equal((await get(S.admin, s.id)).json.version, 1);
});

test('non-UTF-8 bytes in a service body are 400', async () => {
  const u = new URL(server.url);
  for (const bad of [Buffer.from([0xc3, 0x28]), Buffer.from([0xff]), Buffer.from([0xf0, 0x28, 0x8c, 0x28])]) {
    const json = Buffer.concat([Buffer.from(`{"code":"${code()}","kind":"advisory","name":"U`), bad, Buffer.from('"}')]);
    const head = `POST /v1/services HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${S.admin.token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${json.length}\r\nConnection: close\r\n\r\n`;
    const res = await rawRequest(server, Buffer.concat([Buffer.from(head, 'latin1'), json]));
    assert.equal(res.status, 400, `${bad.toString('hex')}: ${res.status} ${res.text}`);
  }
});

test('SQL-looking names and descriptions are stored and read back verbatim', async () => {
  for (const str of R.SQLISH) {
    const s = await made({ name: `${T} ${str}`, description: str });
    const read = await get(S.integration, s.id);
    assert.equal(read.json.name, `${T} ${str}`);
    assert.equal(read.json.description, str);
    const found = await list(S.admin, { q: str });
    assert.ok(found.json.items.some((x) => x.id === s.id), `q=${str}`);
  }
  const c = expectProblem(await post(S.admin, body({ code: "x'; DROP TABLE services;--" })), 422);
  assert.ok(c.errors.some((e) => e.field === 'code'));
});

test('hostile ids and query values on the service routes are 404 or 400, never 5xx', async () => {
  for (const id of ["' OR 1=1 --", '%00', 'x'.repeat(5000), '%C3%28', '..%2F..']) {
    for (const [method, b] of [['GET'], ['PATCH', {}], ['DELETE']]) {
      const res = await api(server, method, `/v1/services/${id}`, { headers: { ...S.admin.headers, 'If-Match': '"1"' }, body: b });
      R.expectClientError(res, `${method} ${id.slice(0, 40)}`);
    }
  }
  for (const q of ['q=%00', 'q=%C3%28', 'kind=%27%20OR%201=1', 'active=1', 'limit=1e9', 'sort=name;', 'cursor=%27', 'code=a&code=b']) {
    R.expectClientError(await api(server, 'GET', `/v1/services?${q}`, { headers: S.admin.headers }), q);
  }
});

test('checks run in the order of DESIGN §2: a bad query parameter is 400 before the role is refused (403)', async () => {
  const failures = [];
  for (const [method, path] of [['POST', '/v1/services?x=1'], ['POST', '/v1/beneficiaries?limit=0'], ['POST', '/v1/deliveries?debug=true']]) {
    const res = await api(server, method, path, { headers: S.auditor.headers, body: {} });
    if (res.status !== 400) failures.push(`${method} ${path} as the auditor: ${res.status}`);
    else assert.equal(firstErrorField(expectProblem(res, 400)), new URLSearchParams(path.split('?')[1]).keys().next().value);
  }
  assert.deepEqual(failures, []);
});

test('PATCH active: null on a service is 422 naming active (must not be null); a patch that changes nothing keeps the ETag', async () => {
  const s = await made({ kind: 'legal' });
  const p = await rejected(patch(S.admin, s.id, { active: null }, '"1"'), 'active', 'invalid');
  assert.match(p.errors.find((e) => e.field === 'active').message, /must not be null/);
  const same = await patch(S.admin, s.id, { active: s.active, name: s.name }, '"1"');
  assert.equal(same.status, 200, same.text);
  assert.equal(same.headers.get('etag'), '"1"');
  assert.deepEqual(same.json, s);
  const read = await get(S.admin, s.id);
  assert.equal(read.headers.get('etag'), '"1"');
  assert.deepEqual(read.json, s);
});
