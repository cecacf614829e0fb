'use strict';
// deliveries: sessions of support — the field rules (the entity a service
// kind needs, hours, started_at), the owner partner, filters (Warsaw
// calendar days), sorting and pages; attendance (PUT/DELETE/list, who may
// change it, who may attend, audit and change feed); a beneficiary's support
// history; the role × partner matrix of src/auth/policy.c; hostile input.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { api, expectProblem, firstErrorField, rawRequest } = require('./lib/http');
const R = require('./lib/records');

const {
  UUID, TIMESTAMP, UNKNOWN_ID, PII_FIELDS, DELIVERY_FIELDS, PARTICIPANT_FIELDS, HISTORY_FIELDS, SERVICE_KINDS,
  allowed, mergePatchHeaders,
} = R;

let server;
let S;
let T;
let services; // seeded, by kind
let entity; // a live ES entity
let people; // {byczyna: beneficiary, chorzow: beneficiary} as the admin sees them

before(async () => {
  server = await startServer();
  S = await R.staff(server, 'del');
  T = R.tag('del');
  services = await R.seededServices(server, S.admin);
  entity = await R.newEsEntity(server, S.admin, T);
  people = {};
  for (const partner of ['byczyna', 'chorzow']) {
    const b = await R.newBeneficiary(server, S.coordinator[partner], T);
    people[partner] = (await api(server, 'GET', `/v1/beneficiaries/${b.id}`, { headers: S.admin.headers })).json;
  }
});

after(async () => {
  if (server) await server.stop();
});

// ---- helpers ----

function post(who, body, headers = {}) {
  return api(server, 'POST', '/v1/deliveries', { headers: { ...who.headers, ...headers }, body });
}

function get(who, id, headers = {}) {
  return api(server, 'GET', `/v1/deliveries/${id}`, { headers: { ...who.headers, ...headers } });
}

function list(who, query) {
  return api(server, 'GET', `/v1/deliveries?${new URLSearchParams(query)}`, { headers: who.headers });
}

function patch(who, id, body, etag) {
  return api(server, 'PATCH', `/v1/deliveries/${id}`, { headers: mergePatchHeaders(who, etag), body });
}

function del(who, id, etag) {
  const headers = { ...who.headers };
  if (etag) headers['If-Match'] = etag;
  return api(server, 'DELETE', `/v1/deliveries/${id}`, { headers });
}

function attend(who, delivery, beneficiary, body = { attended: true }, headers = {}) {
  return api(server, 'PUT', `/v1/deliveries/${delivery}/participants/${beneficiary}`, { headers: { ...who.headers, ...headers }, body });
}

function unattend(who, delivery, beneficiary, headers = {}) {
  return api(server, 'DELETE', `/v1/deliveries/${delivery}/participants/${beneficiary}`, { headers: { ...who.headers, ...headers } });
}

function participants(who, delivery, query = {}) {
  return api(server, 'GET', `/v1/deliveries/${delivery}/participants?${new URLSearchParams(query)}`, { headers: who.headers });
}

function history(who, beneficiary, query = {}) {
  return api(server, 'GET', `/v1/beneficiaries/${beneficiary}/deliveries?${new URLSearchParams(query)}`, { headers: who.headers });
}

/* A valid body: an advisory session for the file's entity. */
function body(over = {}) {
  const b = { service_id: services.advisory.id, es_entity_id: entity.id, started_at: '2026-03-10T09:00:00Z', hours: 2, topic: `Doradztwo ${T}`, ...over };
  for (const [k, v] of Object.entries(b)) if (v === undefined) delete b[k];
  return b;
}

async function made(over = {}, who = S.admin) {
  const res = await post(who, body(over));
  assert.equal(res.status, 201, `POST /v1/deliveries as ${who.label}: ${res.text}`);
  return res.json;
}

async function rejected(resPromise, field, code) {
  const p = expectProblem(await resPromise, 422);
  const e = (p.errors || []).find((x) => x.field === field);
  assert.ok(e, `an error on ${field} in ${JSON.stringify(p.errors)}`);
  if (code) assert.equal(e.code, code, `${field}: ${JSON.stringify(p.errors)}`);
  assert.equal(e.pointer, `/${field}`);
  return p;
}

function assertNoPii(text, ctx) {
  for (const b of Object.values(people)) {
    for (const f of PII_FIELDS) assert.ok(!String(text).includes(b[f]), `${ctx}: ${f} ${b[f]} appears in ${String(text).slice(0, 300)}`);
  }
}

// ---- create ----

test('POST /v1/deliveries creates a delivery owned by the token\'s partner: 201, Location, ETag "1", every field; hours a number', async () => {
  const b = body({ hours: 2.5, location: 'Byczyna, ul. Rynek 1', advisor: 'Jan Doradca', guests: 3, notes: 'Notatki.' });
  const res = await post(S.coordinator.chorzow, b);
  assert.equal(res.status, 201, res.text);
  const d = res.json;
  assert.deepEqual(Object.keys(d).sort(), DELIVERY_FIELDS);
  assert.match(d.id, UUID);
  assert.equal(d.partner, 'chorzow');
  for (const f of ['service_id', 'es_entity_id', 'topic', 'location', 'advisor', 'guests', 'notes']) assert.equal(d[f], b[f], f);
  assert.equal(typeof d.hours, 'number', `hours is a JSON number: ${res.text}`);
  assert.equal(d.hours, 2.5);
  assert.match(d.started_at, TIMESTAMP);
  assert.equal(Date.parse(d.started_at), Date.parse(b.started_at));
  assert.equal(d.version, 1);
  assert.equal(res.headers.get('location'), `/v1/deliveries/${d.id}`);
  assert.equal(res.headers.get('etag'), '"1"');
  const read = await get(S.integration, d.id);
  assert.equal(read.status, 200, read.text);
  assert.deepEqual(read.json, d);
  const bare = await made({ location: undefined }, S.advisor.byczyna);
  for (const f of ['location', 'advisor', 'guests', 'notes']) assert.equal(bare[f], null, `${f} is null when not given`);
  assert.equal(bare.partner, 'byczyna');
});

test('es_entity_id is required for advisory, legal, financial, marketing and information services, optional for training and seminar', async () => {
  for (const kind of SERVICE_KINDS) {
    const res = await post(S.coordinator.byczyna, body({ service_id: services[kind].id, es_entity_id: undefined }));
    if (kind === 'training' || kind === 'seminar') {
      assert.equal(res.status, 201, `${kind} without an entity: ${res.text}`);
      assert.equal(res.json.es_entity_id, null);
    } else {
      const p = expectProblem(res, 422);
      assert.deepEqual(p.errors.map((e) => [e.field, e.code]), [['es_entity_id', 'required']], `${kind}: ${JSON.stringify(p.errors)}`);
    }
    const withEntity = await post(S.coordinator.byczyna, body({ service_id: services[kind].id }));
    assert.equal(withEntity.status, 201, `${kind} with an entity: ${withEntity.text}`);
    assert.equal(withEntity.json.es_entity_id, entity.id);
    const explicitNull = await post(S.coordinator.byczyna, body({ service_id: services[kind].id, es_entity_id: null }));
    if (kind === 'training' || kind === 'seminar') assert.equal(explicitNull.status, 201, explicitNull.text);
    else assert.equal(firstErrorField(expectProblem(explicitNull, 422)), 'es_entity_id', `${kind} with es_entity_id null`);
  }
});

test('es_entity_id must name a live ES entity: unknown, deleted or malformed is 422 on es_entity_id', async () => {
  await rejected(post(S.admin, body({ es_entity_id: UNKNOWN_ID })), 'es_entity_id', 'invalid');
  await rejected(post(S.admin, body({ service_id: services.seminar.id, es_entity_id: UNKNOWN_ID })), 'es_entity_id', 'invalid');
  for (const es_entity_id of ['nope', 5, '', [entity.id]]) await rejected(post(S.admin, body({ es_entity_id })), 'es_entity_id');
  const gone = await R.newEsEntity(server, S.admin, T);
  const d = await made({ es_entity_id: gone.id });
  await R.removed(server, S.admin, 'es-entities', gone.id, R.setupApi);
  await rejected(post(S.admin, body({ es_entity_id: gone.id })), 'es_entity_id', 'invalid');
  await rejected(patch(S.admin, d.id, { topic: 'Zmiana' }, '"1"'), 'es_entity_id', 'invalid');
});

test('service_id is required and must name a live service (unknown, deleted or malformed: 422 on service_id)', async () => {
  await rejected(post(S.admin, body({ service_id: undefined })), 'service_id', 'required');
  await rejected(post(S.admin, body({ service_id: UNKNOWN_ID })), 'service_id', 'invalid');
  for (const service_id of ['szkolenia', 1, '']) await rejected(post(S.admin, body({ service_id })), 'service_id');
  const s = await R.newService(server, S.admin, T);
  const etag = await R.etagOf(server, S.admin, 'services', s.id);
  assert.equal((await api(server, 'DELETE', `/v1/services/${s.id}`, { headers: { ...S.admin.headers, 'If-Match': etag } })).status, 204);
  await rejected(post(S.admin, body({ service_id: s.id })), 'service_id', 'invalid');
});

test('hours: more than 0 and at most 24, at most two decimals, never rounded: 0, 24.01 and 1.555 are 422, 24 and 0.01 fine', async () => {
  for (const hours of [0, -0, -1, -0.01, 24.01, 24.001, 25, 1000, 1.555, 0.001, 1.005, 2.675, 0.005, 1e-9]) {
    await rejected(post(S.admin, body({ hours })), 'hours', 'invalid');
  }
  for (const hours of ['2', '2.5', true, null, [], {}]) {
    await rejected(post(S.admin, body({ hours })), 'hours');
  }
  await rejected(post(S.admin, body({ hours: undefined })), 'hours', 'required');
  for (const hours of [24, 0.01, 1, 1.5, 2.25, 7.1, 23.99, 0.1, 12.34]) {
    const d = await made({ hours });
    assert.equal(typeof d.hours, 'number');
    assert.equal(d.hours, hours, `hours ${hours} is kept exactly`);
    assert.equal((await get(S.admin, d.id)).json.hours, hours);
  }
  const d = await made({ hours: 1 });
  await rejected(patch(S.admin, d.id, { hours: 1.555 }, '"1"'), 'hours', 'invalid');
  await rejected(patch(S.admin, d.id, { hours: 0 }, '"1"'), 'hours', 'invalid');
  const ok = await patch(S.admin, d.id, { hours: 24 }, '"1"');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json.hours, 24);
  const raw = await api(server, 'POST', '/v1/deliveries', {
    headers: { ...S.admin.headers, 'Content-Type': 'application/json' }, rawBody: JSON.stringify(body()).replace('"hours":2', '"hours":2.50'),
  });
  assert.equal(raw.status, 201, `2.50 is two decimals: ${raw.text}`);
  assert.equal(raw.json.hours, 2.5);
  const three = await api(server, 'POST', '/v1/deliveries', {
    headers: { ...S.admin.headers, 'Content-Type': 'application/json' }, rawBody: JSON.stringify(body()).replace('"hours":2', '"hours":2.500'),
  });
  assert.ok(three.status === 201 || three.status === 422, `2.500 is the number 2.5: ${three.status}`);
});

test('hours with more than two decimals in the request is 422 even when the extra digits are tiny (2.0000000001 is not rounded to 2)', async () => {
  const failures = [];
  for (const lit of ['2.0000000001', '1.000000001', '1.00000001', '23.999999999', '0.010000001']) {
    const res = await api(server, 'POST', '/v1/deliveries', {
      headers: { ...S.admin.headers, 'Content-Type': 'application/json' }, rawBody: JSON.stringify(body({ hours: '@@' })).replace('"@@"', lit),
    });
    if (res.status !== 422) failures.push(`hours ${lit}: ${res.status}${res.json && res.json.hours !== undefined ? ` stored as ${res.json.hours}` : ''}`);
  }
  assert.deepEqual(failures, [], 'DESIGN §4: numbers with more decimals than a field allows are 422, never rounded');
});

test('started_at must be an RFC 3339 timestamp; an offset gives the same instant, answered in UTC', async () => {
  for (const started_at of ['2026-03-01', '2026-03-01 10:00:00', '2026-03-01T10:00:00', '2026-02-30T10:00:00Z', '2026-03-01T25:00:00Z',
    '2026-03-01T10:61:00Z', '2026-03-01T10:00:00+0100', '2026-03-01T10:00:00.1234567Z', 'yesterday', '', 1772359200, true]) {
    await rejected(post(S.admin, body({ started_at })), 'started_at', 'invalid');
  }
  await rejected(post(S.admin, body({ started_at: undefined })), 'started_at', 'required');
  for (const [given, utc] of [['2026-03-01T10:00:00+01:00', '2026-03-01T09:00:00Z'], ['2026-07-01T00:30:00+02:00', '2026-06-30T22:30:00Z'],
    ['2026-03-01T10:00:00.123456Z', '2026-03-01T10:00:00.123Z'], ['2026-03-01T10:00:00-05:30', '2026-03-01T15:30:00Z']]) {
    const d = await made({ started_at: given });
    assert.match(d.started_at, TIMESTAMP, `answered in UTC: ${d.started_at}`);
    assert.equal(Date.parse(d.started_at), Date.parse(utc), `${given} is ${utc}`);
  }
  const micro = await made({ started_at: '2026-03-01T10:00:00.123456Z' });
  assert.ok(micro.started_at.includes('.123456'), `microseconds are kept: ${micro.started_at}`);
});

test('topic is required (1 to 500); location ≤ 300, advisor ≤ 200, notes ≤ 4000; guests a whole number ≥ 0', async () => {
  await rejected(post(S.admin, body({ topic: undefined })), 'topic', 'required');
  await rejected(post(S.admin, body({ topic: '' })), 'topic');
  await rejected(post(S.admin, body({ topic: 't'.repeat(501) })), 'topic', 'too_long');
  assert.equal((await made({ topic: `${T} ${'ó'.repeat(500 - T.length - 1)}` })).topic.length, 500);
  await rejected(post(S.admin, body({ location: 'l'.repeat(301) })), 'location', 'too_long');
  await rejected(post(S.admin, body({ advisor: 'a'.repeat(201) })), 'advisor', 'too_long');
  await rejected(post(S.admin, body({ notes: 'n'.repeat(4001) })), 'notes', 'too_long');
  for (const guests of [-1, 1.5, '3', true, 1e12]) await rejected(post(S.admin, body({ guests })), 'guests');
  assert.equal((await made({ guests: 0 })).guests, 0);
  assert.equal((await made({ guests: 250 })).guests, 250);
  for (const [f, v] of [['id', UNKNOWN_ID], ['version', 1], ['created_at', '2026-01-01T00:00:00Z'], ['updated_at', '2026-01-01T00:00:00Z']]) {
    await rejected(post(S.admin, body({ [f]: v })), f, 'read_only');
  }
  for (const f of ['kind', 'participants', 'beneficiary_id', 'ended_at']) await rejected(post(S.admin, body({ [f]: 'x' })), f, 'unknown_field');
  const many = expectProblem(await post(S.admin, { hours: 1.555, started_at: 'now', guests: -1 }), 422);
  const fields = many.errors.map((e) => e.field).sort();
  for (const f of ['guests', 'hours', 'service_id', 'started_at', 'topic']) assert.ok(fields.includes(f), `${f} among ${fields}`);
});

test('the owner partner comes from the token; only an admin may set it (422 read_only for anyone else)', async () => {
  for (const who of [S.coordinator.byczyna, S.advisor.chorzow]) {
    await rejected(post(who, body({ partner: who.partner })), 'partner', 'read_only');
    assert.equal((await made({}, who)).partner, who.partner);
  }
  const theirs = await made({ partner: 'chorzow' }, S.admin);
  assert.equal(theirs.partner, 'chorzow');
  await rejected(post(S.admin, body({ partner: 'nowhere' })), 'partner', 'invalid');
  await rejected(patch(S.coordinator.chorzow, theirs.id, { partner: 'byczyna' }, '"1"'), 'partner', 'read_only');
  const moved = await patch(S.admin, theirs.id, { partner: 'byczyna' }, '"1"');
  assert.equal(moved.status, 200, moved.text);
  assert.equal(moved.json.partner, 'byczyna');
});

test('PATCH a delivery with If-Match (428, 412): version + 1, the patched record checked as a whole', async () => {
  const d = await made({}, S.coordinator.byczyna);
  expectProblem(await patch(S.coordinator.byczyna, d.id, { topic: 'x' }), 428);
  expectProblem(await patch(S.coordinator.byczyna, d.id, { topic: 'x' }, '"2"'), 412);
  const res = await patch(S.coordinator.byczyna, d.id, { topic: `Zmieniony ${T}`, hours: 3.75, notes: 'n' }, '"1"');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('etag'), '"2"');
  assert.equal(res.json.version, 2);
  assert.equal(res.json.hours, 3.75);
  assert.equal(res.json.started_at, d.started_at, 'what the patch does not name stays');
  await rejected(patch(S.coordinator.byczyna, d.id, { es_entity_id: null }, '"2"'), 'es_entity_id', 'required');
  const toSeminar = await patch(S.coordinator.byczyna, d.id, { service_id: services.seminar.id, es_entity_id: null }, '"2"');
  assert.equal(toSeminar.status, 200, `a seminar needs no entity: ${toSeminar.text}`);
  for (const f of ['service_id', 'started_at', 'hours', 'topic']) await rejected(patch(S.coordinator.byczyna, d.id, { [f]: null }, '"3"'), f, 'required');
  await rejected(patch(S.coordinator.byczyna, d.id, { started_at: '2026-13-01T00:00:00Z' }, '"3"'), 'started_at', 'invalid');
});

test('DELETE a delivery with If-Match: 204, then 404 on read, patch, delete and its attendance; gone from the list', async () => {
  const d = await made({ topic: `Usuwany ${T} ${R.tag('x')}` }, S.coordinator.chorzow);
  expectProblem(await del(S.coordinator.chorzow, d.id), 428);
  expectProblem(await del(S.coordinator.chorzow, d.id, '"7"'), 412);
  assert.equal((await del(S.coordinator.chorzow, d.id, '"1"')).status, 204);
  expectProblem(await get(S.admin, d.id), 404);
  expectProblem(await patch(S.admin, d.id, { topic: 'x' }, '"2"'), 404);
  expectProblem(await del(S.admin, d.id, '"2"'), 404);
  expectProblem(await participants(S.admin, d.id), 404);
  expectProblem(await attend(S.admin, d.id, people.byczyna.id), 404);
  expectProblem(await unattend(S.admin, d.id, people.byczyna.id), 404);
  assert.deepEqual((await list(S.admin, { q: d.topic })).json.items, []);
});

test('GET /v1/deliveries/{id}: ETag and 304; an unknown or malformed id is 404', async () => {
  const d = await made();
  const cached = await get(S.auditor, d.id, { 'If-None-Match': '"1"' });
  assert.equal(cached.status, 304);
  for (const id of [UNKNOWN_ID, 'x', `${d.id}1`]) expectProblem(await get(S.admin, id), 404);
  expectProblem(await api(server, 'GET', `/v1/deliveries/${d.id}?kind=advisory`, { headers: S.admin.headers }), 400);
});

// ---- list: filters, Warsaw days, sorting, pages ----

let filterSet = null;
/* Six deliveries with one topic tag, across kinds, entities, partners and days. */
async function filterDeliveries() {
  if (filterSet) return filterSet;
  const t = R.tag('fd');
  const a = await R.newEsEntity(server, S.admin, t);
  const b = await R.newEsEntity(server, S.admin, t);
  const specs = [
    // 2026-03-01T23:30Z is 00:30 on 2 March in Warsaw (CET, +01:00)
    [S.coordinator.byczyna, { service_id: services.advisory.id, es_entity_id: a.id, started_at: '2026-03-01T23:30:00Z' }],
    // 23:59:59 on 1 March in Warsaw
    [S.coordinator.chorzow, { service_id: services.seminar.id, es_entity_id: undefined, started_at: '2026-03-01T22:59:59Z' }],
    // 23:30 on 2 March in Warsaw
    [S.advisor.chorzow, { service_id: services.training.id, es_entity_id: b.id, started_at: '2026-03-02T22:30:00Z' }],
    // 2026-07-01T22:30Z is 00:30 on 2 July in Warsaw (CEST, +02:00)
    [S.coordinator.byczyna, { service_id: services.legal.id, es_entity_id: a.id, started_at: '2026-07-01T22:30:00Z' }],
    // 23:59 on 1 July in Warsaw
    [S.advisor.byczyna, { service_id: services.seminar.id, es_entity_id: b.id, started_at: '2026-07-01T21:59:00Z' }],
    [S.admin, { service_id: services.advisory.id, es_entity_id: b.id, started_at: '2026-10-25T00:30:00Z', partner: 'chorzow' }],
  ];
  const ds = [];
  for (const [who, over] of specs) ds.push(await made({ topic: `Filtr ${t}`, ...over }, who));
  filterSet = { t, a, b, ds };
  return filterSet;
}

test('from and to are Europe/Warsaw calendar days, inclusive: a delivery at 2026-03-01T23:30:00Z is on 2 March', async () => {
  const { t, ds } = await filterDeliveries();
  const ids = async (q) => {
    const res = await list(S.admin, { q: t, ...q });
    assert.equal(res.status, 200, res.text);
    return res.json.items.map((d) => d.id).sort();
  };
  const want = (...i) => i.map((k) => ds[k].id).sort();
  assert.deepEqual(await ids({ from: '2026-03-02', to: '2026-03-02' }), want(0, 2), '2 March in Warsaw');
  assert.deepEqual(await ids({ from: '2026-03-01', to: '2026-03-01' }), want(1), '1 March in Warsaw');
  assert.deepEqual(await ids({ to: '2026-03-01' }), want(1));
  assert.deepEqual(await ids({ from: '2026-03-03', to: '2026-06-30' }), []);
  assert.deepEqual(await ids({ from: '2026-07-01', to: '2026-07-01' }), want(4), '1 July in Warsaw (summer time)');
  assert.deepEqual(await ids({ from: '2026-07-02', to: '2026-07-02' }), want(3), '2 July in Warsaw (summer time)');
  assert.deepEqual(await ids({ from: '2026-07-02' }), want(3, 5));
  assert.deepEqual(await ids({ from: '2026-10-25', to: '2026-10-25' }), want(5), 'the day summer time ends');
  assert.deepEqual(await ids({}), want(0, 1, 2, 3, 4, 5));
});

test('the list filters by service_id, es_entity_id, partner and kind (the service\'s), combined with AND', async () => {
  const { t, a, b, ds } = await filterDeliveries();
  const ids = async (q) => {
    const res = await list(S.integration, q);
    assert.equal(res.status, 200, res.text);
    return res.json.items.map((d) => d.id).sort();
  };
  const want = (...i) => i.map((k) => ds[k].id).sort();
  assert.deepEqual(await ids({ es_entity_id: a.id }), want(0, 3));
  assert.deepEqual(await ids({ es_entity_id: b.id }), want(2, 4, 5));
  assert.deepEqual(await ids({ q: t, service_id: services.seminar.id }), want(1, 4));
  assert.deepEqual(await ids({ q: t, kind: 'seminar' }), want(1, 4));
  assert.deepEqual(await ids({ q: t, kind: 'advisory' }), want(0, 5));
  assert.deepEqual(await ids({ q: t, kind: 'financial' }), []);
  assert.deepEqual(await ids({ q: t, partner: 'chorzow' }), want(1, 2, 5));
  assert.deepEqual(await ids({ q: t, partner: 'byczyna', kind: 'seminar' }), want(4));
  assert.deepEqual(await ids({ es_entity_id: b.id, kind: 'training', partner: 'chorzow' }), want(2));
  assert.deepEqual(await ids({ q: t.toUpperCase(), from: '2026-03-02', to: '2026-07-01', partner: 'chorzow' }), want(2));
  const legal = await list(S.admin, { kind: 'legal', limit: '200' });
  assert.ok(legal.json.items.some((d) => d.id === ds[3].id));
  assert.ok(!legal.json.items.some((d) => d.service_id === services.advisory.id || d.service_id === services.seminar.id), 'kind=legal lists no other kind');
});

test('sort=started_at orders by the start both ways, and pages of limit=2 visit each delivery once', async () => {
  const { t, ds } = await filterDeliveries();
  const byStart = [...ds].sort((x, y) => Date.parse(x.started_at) - Date.parse(y.started_at)).map((d) => d.id);
  for (const [sort, expected] of [['started_at', byStart], ['-started_at', [...byStart].reverse()]]) {
    const seen = [];
    let cursor = null;
    let pages = 0;
    for (let i = 0; i < 10; i++) {
      const res = await list(S.admin, { q: t, sort, limit: '2', ...(cursor ? { cursor } : {}) });
      assert.equal(res.status, 200, res.text);
      pages++;
      seen.push(...res.json.items.map((d) => d.id));
      cursor = res.json.next_cursor;
      if (!cursor) break;
      assert.match(res.headers.get('link') || '', /rel="?next"?/);
    }
    assert.equal(pages, 3, `sort=${sort}: three pages of two`);
    assert.deepEqual(seen, expected, `sort=${sort}`);
  }
  const def = await list(S.admin, { q: t });
  assert.deepEqual(def.json.items.map((d) => d.id), [...ds].reverse().map((d) => d.id), 'newest first by default');
});

test('bad list parameters are 400 naming them', async () => {
  const cases = [
    [{ from: '2026-02-30' }, 'from'], [{ to: '03/01/2026' }, 'to'], [{ from: '2026-03-01T00:00:00Z' }, 'from'], [{ to: '' }, 'to'],
    [{ kind: 'coaching' }, 'kind'], [{ service_id: 'nope' }, 'service_id'], [{ es_entity_id: '1' }, 'es_entity_id'],
    [{ partner: 'nowhere' }, 'partner'], [{ sort: 'hours' }, 'sort'], [{ sort: 'topic' }, 'sort'], [{ sort: 'started' }, 'sort'],
    [{ hours: '2' }, 'hours'], [{ topic: 'x' }, 'topic'], [{ beneficiary_id: UNKNOWN_ID }, 'beneficiary_id'], [{ limit: '201' }, 'limit'],
    [{ cursor: 'abc' }, 'cursor'], [{ updated_since: '2026-03-01' }, 'updated_since'],
  ];
  for (const [query, field] of cases) {
    assert.equal(firstErrorField(expectProblem(await list(S.admin, query), 400)), field, JSON.stringify(query));
  }
});

// ---- attendance ----

test('PUT attendance is 201 when the beneficiary is added, 200 when it was there (the same body again too); the answer is the item', async () => {
  const d = await made({}, S.coordinator.byczyna);
  const b = people.byczyna;
  const first = await attend(S.coordinator.byczyna, d.id, b.id, { attended: true });
  assert.equal(first.status, 201, first.text);
  assert.deepEqual(first.json, { beneficiary_id: b.id, attended: true, first_name: b.first_name, last_name: b.last_name, partner: 'byczyna' });
  const same = await attend(S.coordinator.byczyna, d.id, b.id, { attended: true });
  assert.equal(same.status, 200, same.text);
  assert.deepEqual(same.json, first.json);
  const changed = await attend(S.advisor.byczyna, d.id, b.id, { attended: false });
  assert.equal(changed.status, 200, changed.text);
  assert.equal(changed.json.attended, false);
  const listed = await participants(S.admin, d.id);
  assert.deepEqual(listed.json.items, [changed.json], 'one item, as changed');
});

test('20 concurrent PUTs of the same new attendance: exactly one 201 and 19 × 200, one row, one create in the audit and the change feed; the same when it is put back after a DELETE', async () => {
  const N = 20;
  const head = await R.feedHead(server, S.integration);
  const d = await made({}, S.coordinator.byczyna);
  const b = people.byczyna;
  const key = `${d.id}/${b.id}`;
  const statuses = async (attended) => {
    const answers = await Promise.all(Array.from({ length: N }, () => attend(S.coordinator.byczyna, d.id, b.id, { attended })));
    for (const a of answers) {
      assert.ok(a.status === 200 || a.status === 201, `${a.status} ${a.text}`);
      assert.deepEqual(a.json, { beneficiary_id: b.id, attended, first_name: b.first_name, last_name: b.last_name, partner: 'byczyna' });
    }
    return answers.map((a) => a.status).sort();
  };
  assert.deepEqual(await statuses(true), [...Array(N - 1).fill(200), 201], 'one 201, the rest 200');
  assert.deepEqual((await participants(S.admin, d.id)).json.items.map((i) => [i.beneficiary_id, i.attended]), [[b.id, true]], 'one row');
  let audit = await R.auditOf(server, S.admin, 'participants', key);
  assert.deepEqual(audit.json.items.map((e) => e.action), ['create'], `one audit entry: ${audit.text}`);

  assert.equal((await unattend(S.coordinator.byczyna, d.id, b.id)).status, 204);
  assert.deepEqual(await statuses(false), [...Array(N - 1).fill(200), 201], 'put back: one 201, the rest 200');
  assert.deepEqual((await participants(S.admin, d.id)).json.items.map((i) => [i.beneficiary_id, i.attended]), [[b.id, false]]);
  audit = await R.auditOf(server, S.admin, 'participants', key);
  assert.equal(audit.json.items.length, 3, `create, delete and one write putting it back: ${audit.text}`);
  const feed = (await R.feedSince(server, S.integration, head)).filter((c) => c.resource === 'participants' && c.id === key);
  assert.deepEqual(feed.map((c) => [c.op, c.version]), [['upsert', 1], ['delete', 2], ['upsert', 3]], `the change feed of ${key}`);
});

test('DELETE attendance is 204, then 404; a PUT afterwards adds the beneficiary again (201)', async () => {
  const d = await made({}, S.coordinator.chorzow);
  const b = people.chorzow;
  assert.equal((await attend(S.coordinator.chorzow, d.id, b.id)).status, 201);
  const gone = await unattend(S.coordinator.chorzow, d.id, b.id);
  assert.equal(gone.status, 204, `the coordinator of the delivery's partner takes a person off: ${gone.text}`);
  assert.equal(gone.text, '');
  expectProblem(await unattend(S.coordinator.chorzow, d.id, b.id), 404);
  expectProblem(await unattend(S.coordinator.chorzow, d.id, people.byczyna.id), 404, 'never on it');
  expectProblem(await unattend(S.coordinator.chorzow, d.id, UNKNOWN_ID), 404);
  assert.deepEqual((await participants(S.admin, d.id)).json.items, []);
  const back = await attend(S.coordinator.chorzow, d.id, b.id, { attended: false });
  assert.equal(back.status, 201, back.text);
  assert.equal(back.json.attended, false);
});

test('an advisor deletes nothing, attendance included: its DELETE on its own partner\'s delivery is 403 and the person stays; the coordinator\'s is 204', async () => {
  const d = await made({}, S.advisor.byczyna);
  const b = people.byczyna;
  assert.equal((await attend(S.advisor.byczyna, d.id, b.id)).status, 201, 'the advisor adds a person');
  assert.equal((await attend(S.advisor.byczyna, d.id, b.id, { attended: false })).status, 200, 'and marks them');
  const refused = expectProblem(await unattend(S.advisor.byczyna, d.id, b.id), 403);
  assert.ok(!JSON.stringify(refused).includes(b.last_name), 'the refusal names nobody');
  assert.deepEqual((await participants(S.admin, d.id)).json.items.map((i) => [i.beneficiary_id, i.attended]), [[b.id, false]],
    'the person is still on the delivery');
  const gone = await unattend(S.coordinator.byczyna, d.id, b.id);
  assert.equal(gone.status, 204, gone.text);
  assert.deepEqual((await participants(S.admin, d.id)).json.items, []);
});

test('a beneficiary of the other partner may attend; the list shows names and partner to every role and never PII', async () => {
  const d = await made({ service_id: services.seminar.id, es_entity_id: undefined }, S.coordinator.byczyna);
  const own = await attend(S.coordinator.byczyna, d.id, people.byczyna.id);
  assert.equal(own.status, 201, own.text);
  const theirs = await attend(S.advisor.byczyna, d.id, people.chorzow.id, { attended: false });
  assert.equal(theirs.status, 201, `a beneficiary of chorzow attends a byczyna seminar: ${theirs.text}`);
  assert.equal(theirs.json.partner, 'chorzow', 'partner is the beneficiary\'s');
  assertNoPii(own.text + theirs.text, 'the PUT answers');
  for (const who of S.all) {
    const res = await participants(who, d.id);
    assert.equal(res.status, 200, `${who.label}: ${res.text}`);
    const items = res.json.items;
    assert.equal(items.length, 2);
    for (const item of items) {
      assert.deepEqual(Object.keys(item).sort(), PARTICIPANT_FIELDS, `${who.label}: exactly the item's keys`);
      const p = Object.values(people).find((x) => x.id === item.beneficiary_id);
      assert.equal(item.first_name, p.first_name);
      assert.equal(item.last_name, p.last_name);
      assert.equal(item.partner, p.partner);
    }
    assert.equal(items.find((i) => i.beneficiary_id === people.chorzow.id).attended, false);
    assertNoPii(res.text, `${who.label} listing participants`);
  }
  const seen = [];
  let cursor = null;
  for (let i = 0; i < 5; i++) {
    const res = await participants(S.admin, d.id, { limit: '1', ...(cursor ? { cursor } : {}) });
    assert.equal(res.status, 200, res.text);
    seen.push(...res.json.items.map((x) => x.beneficiary_id));
    cursor = res.json.next_cursor;
    if (!cursor) break;
  }
  assert.deepEqual([...seen].sort(), [people.byczyna.id, people.chorzow.id].sort(), 'pages of one visit both');
  for (const [q, field] of [[{ limit: '0' }, 'limit'], [{ cursor: 'x' }, 'cursor'], [{ sort: 'last_name' }, 'sort'], [{ attended: 'true' }, 'attended']]) {
    assert.equal(firstErrorField(expectProblem(await participants(S.admin, d.id, q), 400)), field, JSON.stringify(q));
  }
});

test('only the delivery\'s partner (coordinator or advisor) or an admin may change its attendance: the other partner\'s coordinator, the auditor and integration get 403', async () => {
  const d = await made({ service_id: services.seminar.id, es_entity_id: undefined }, S.coordinator.byczyna);
  const b = people.chorzow; // even a person of their own partner
  for (const who of [S.coordinator.chorzow, S.advisor.chorzow, S.auditor, S.integration]) {
    expectProblem(await attend(who, d.id, b.id), 403);
    expectProblem(await attend(who, d.id, b.id, {}), 403, '403 comes before the body');
  }
  assert.equal((await attend(S.admin, d.id, b.id)).status, 201, 'an admin may');
  for (const who of [S.coordinator.chorzow, S.advisor.chorzow, S.auditor, S.integration]) {
    expectProblem(await unattend(who, d.id, b.id), 403);
    expectProblem(await attend(who, d.id, b.id, { attended: false }), 403);
  }
  assert.deepEqual((await participants(S.admin, d.id)).json.items.map((i) => [i.beneficiary_id, i.attended]), [[b.id, true]], 'nothing changed');
  for (const who of [S.coordinator.chorzow, S.auditor, S.integration]) {
    expectProblem(await attend(who, UNKNOWN_ID, b.id), 404, '404 before 403');
  }
});

test('a deleted, erased or unknown beneficiary cannot be added: 422 naming beneficiary_id; a malformed id in the path is 404', async () => {
  const d = await made({}, S.coordinator.byczyna);
  const deleted = await R.newBeneficiary(server, S.coordinator.byczyna, T);
  const erased = await R.newBeneficiary(server, S.coordinator.byczyna, T);
  assert.equal((await api(server, 'DELETE', `/v1/beneficiaries/${deleted.id}`, { headers: { ...S.coordinator.byczyna.headers, 'If-Match': '"1"' } })).status, 204);
  assert.equal((await api(server, 'POST', `/v1/beneficiaries/${erased.id}/erasure`, { headers: { ...S.admin.headers, 'If-Match': '"1"' } })).status, 200);
  for (const id of [deleted.id, erased.id, UNKNOWN_ID]) {
    const p = expectProblem(await attend(S.coordinator.byczyna, d.id, id), 422);
    assert.equal(firstErrorField(p), 'beneficiary_id', id);
  }
  for (const id of ['nope', '1', `${UNKNOWN_ID}0`]) {
    expectProblem(await attend(S.coordinator.byczyna, d.id, id), 404);
    expectProblem(await unattend(S.coordinator.byczyna, d.id, id), 404);
  }
  assert.deepEqual((await participants(S.admin, d.id)).json.items, []);
  // the body is checked before the beneficiary
  const p = expectProblem(await attend(S.coordinator.byczyna, d.id, UNKNOWN_ID, { attended: 'yes' }), 422);
  assert.equal(firstErrorField(p), 'attended');
});

test('the attendance body is exactly {"attended": bool}: anything else is 422 on the field; not JSON 400; text/plain 415', async () => {
  const d = await made({}, S.coordinator.byczyna);
  const b = people.byczyna.id;
  for (const [bodyValue, field, code] of [[{}, 'attended', 'required'], [{ attended: null }, 'attended', 'required'],
    [{ attended: 'yes' }, 'attended', 'invalid'], [{ attended: 1 }, 'attended', 'invalid'], [{ attended: 'true' }, 'attended', 'invalid'],
    [{ attended: true, note: 'x' }, 'note', 'unknown_field'], [{ attended: true, beneficiary_id: b }, 'beneficiary_id', 'unknown_field'],
    [{ attended: true, partner: 'chorzow' }, 'partner', 'unknown_field']]) {
    const p = expectProblem(await attend(S.coordinator.byczyna, d.id, b, bodyValue), 422);
    const e = p.errors.find((x) => x.field === field);
    assert.ok(e, `${JSON.stringify(bodyValue)}: ${JSON.stringify(p.errors)}`);
    assert.equal(e.code, code, JSON.stringify(bodyValue));
  }
  for (const raw of ['[]', 'true', '"x"', '{"attended":', 'null']) {
    expectProblem(await api(server, 'PUT', `/v1/deliveries/${d.id}/participants/${b}`, { headers: { ...S.coordinator.byczyna.headers, 'Content-Type': 'application/json' }, rawBody: raw }), 400);
  }
  expectProblem(await api(server, 'PUT', `/v1/deliveries/${d.id}/participants/${b}`, { headers: { ...S.coordinator.byczyna.headers, 'Content-Type': 'text/plain' }, rawBody: '{"attended":true}' }), 415);
  assert.deepEqual((await participants(S.admin, d.id)).json.items, [], 'none of it added anyone');
  expectProblem(await api(server, 'PUT', `/v1/deliveries/${d.id}/participants/${b}?x=1`, { headers: S.admin.headers, body: { attended: true } }), 400);
});

test('every attendance change is in the audit (participants, <delivery>/<beneficiary>) and in the change feed; a PUT that changes nothing is neither', async () => {
  const head = await R.feedHead(server, S.integration);
  const d = await made({}, S.coordinator.chorzow);
  const b = people.byczyna.id;
  const key = `${d.id}/${b}`;
  const rid = (n) => `att-${T}-${n}`;
  assert.equal((await attend(S.coordinator.chorzow, d.id, b, { attended: true }, { 'X-Request-Id': rid(1) })).status, 201);
  assert.equal((await attend(S.coordinator.chorzow, d.id, b, { attended: true }, { 'X-Request-Id': rid(2) })).status, 200);
  assert.equal((await attend(S.advisor.chorzow, d.id, b, { attended: false }, { 'X-Request-Id': rid(3) })).status, 200);
  assert.equal((await unattend(S.coordinator.chorzow, d.id, b, { 'X-Request-Id': rid(4) })).status, 204);
  assert.equal((await attend(S.admin, d.id, b, { attended: true }, { 'X-Request-Id': rid(5) })).status, 201);
  const audit = await R.auditOf(server, S.admin, 'participants', key);
  const entries = [...audit.json.items].reverse(); // oldest first
  assert.deepEqual(entries.map((e) => e.request_id), [rid(1), rid(3), rid(4), rid(5)], `one entry a change, none for the PUT that changed nothing: ${audit.text}`);
  assert.deepEqual(entries.slice(0, 3).map((e) => e.action), ['create', 'update', 'delete']);
  assert.ok(['create', 'update'].includes(entries[3].action), `adding the person back: ${entries[3].action}`);
  assert.deepEqual(entries.map((e) => [e.actor, e.role, e.partner]), [
    [S.coordinator.chorzow.id, 'coordinator', 'chorzow'], [S.advisor.chorzow.id, 'advisor', 'chorzow'],
    [S.coordinator.chorzow.id, 'coordinator', 'chorzow'], [S.admin.id, 'admin', 'byczyna'],
  ]);
  assert.ok(entries.every((e) => e.resource === 'participants' && e.resource_id === key));
  const auditorView = await R.auditOf(server, S.auditor, 'participants', key);
  assert.equal(auditorView.json.items.length, 4, 'the auditor reads it too');
  const feed = (await R.feedSince(server, S.integration, head)).filter((c) => c.resource === 'participants' && c.id === key);
  assert.deepEqual(feed.map((c) => [c.op, c.version]), [['upsert', 1], ['upsert', 2], ['delete', 3], ['upsert', 4]], `the change feed of ${key}`);
  assertNoPii(audit.text + JSON.stringify(feed), 'the audit and the feed of attendance');
});

// ---- the support history ----

test('GET /v1/beneficiaries/{id}/deliveries is the support history: each delivery the person is on, by started_at, with kind, service, hours and attended', async () => {
  const p = await R.newBeneficiary(server, S.coordinator.byczyna, T);
  const da = await made({ service_id: services.advisory.id, started_at: '2026-03-05T10:00:00Z', hours: 1.25 }, S.coordinator.byczyna);
  const db = await made({ service_id: services.seminar.id, es_entity_id: undefined, started_at: '2026-01-10T10:00:00Z', hours: 4 }, S.coordinator.byczyna);
  const dc = await made({ service_id: services.training.id, started_at: '2026-02-01T08:00:00Z', hours: 6.5 }, S.coordinator.chorzow);
  const dn = await made({ started_at: '2026-02-15T08:00:00Z' }, S.coordinator.byczyna); // not attended by p
  assert.equal((await attend(S.coordinator.byczyna, da.id, p.id, { attended: true })).status, 201);
  assert.equal((await attend(S.coordinator.byczyna, db.id, p.id, { attended: false })).status, 201);
  assert.equal((await attend(S.coordinator.chorzow, dc.id, p.id, { attended: true })).status, 201, 'the other partner\'s training');
  const res = await history(S.admin, p.id);
  assert.equal(res.status, 200, res.text);
  const items = res.json.items;
  assert.deepEqual(items.map((h) => h.delivery_id), [db.id, dc.id, da.id], 'by started_at');
  assert.ok(!items.some((h) => h.delivery_id === dn.id));
  for (const h of items) assert.deepEqual(Object.keys(h).sort(), HISTORY_FIELDS);
  assert.deepEqual(items[0], {
    delivery_id: db.id, service_id: services.seminar.id, kind: 'seminar', service_name: services.seminar.name, es_entity_id: null,
    started_at: items[0].started_at, hours: 4, topic: db.topic, partner: 'byczyna', attended: false,
  });
  assert.equal(Date.parse(items[0].started_at), Date.parse(db.started_at));
  assert.match(items[0].started_at, TIMESTAMP);
  assert.deepEqual([items[1].kind, items[1].partner, items[1].hours, items[1].attended, items[1].es_entity_id], ['training', 'chorzow', 6.5, true, entity.id]);
  assert.deepEqual([items[2].kind, items[2].service_name, items[2].hours], ['advisory', services.advisory.name, 1.25]);
  // pages
  const seen = [];
  let cursor = null;
  for (let i = 0; i < 5; i++) {
    const page = await history(S.integration, p.id, { limit: '1', ...(cursor ? { cursor } : {}) });
    assert.equal(page.status, 200, page.text);
    seen.push(...page.json.items.map((h) => h.delivery_id));
    cursor = page.json.next_cursor;
    if (!cursor) break;
  }
  assert.deepEqual(seen, [db.id, dc.id, da.id]);
  // every role reads it, none sees PII in it
  for (const who of S.all) {
    const r = await history(who, p.id);
    assert.equal(r.status, 200, `${who.label}: ${r.text}`);
    assert.equal(r.json.items.length, 3);
    const full = (await api(server, 'GET', `/v1/beneficiaries/${p.id}`, { headers: S.admin.headers })).json;
    for (const f of PII_FIELDS) assert.ok(!r.text.includes(full[f]), `${who.label}: no ${f} in the history`);
  }
  // taken off one delivery, and another deleted: both gone from the history
  assert.equal((await unattend(S.coordinator.chorzow, dc.id, p.id)).status, 204);
  assert.equal((await del(S.coordinator.byczyna, da.id, '"1"')).status, 204);
  assert.deepEqual((await history(S.admin, p.id)).json.items.map((h) => h.delivery_id), [db.id]);
});

test('the support history of an unknown or deleted beneficiary is 404; its only parameters are limit and cursor', async () => {
  const p = await R.newBeneficiary(server, S.coordinator.chorzow, T);
  assert.deepEqual((await history(S.admin, p.id)).json, { items: [], next_cursor: null }, 'no support yet');
  for (const [q, field] of [[{ sort: 'started_at' }, 'sort'], [{ kind: 'seminar' }, 'kind'], [{ limit: '0' }, 'limit'], [{ cursor: 'x' }, 'cursor']]) {
    assert.equal(firstErrorField(expectProblem(await history(S.admin, p.id, q), 400)), field, JSON.stringify(q));
  }
  for (const id of [UNKNOWN_ID, 'nope']) expectProblem(await history(S.admin, id), 404);
  assert.equal((await api(server, 'DELETE', `/v1/beneficiaries/${p.id}`, { headers: { ...S.admin.headers, 'If-Match': '"1"' } })).status, 204);
  expectProblem(await history(S.admin, p.id), 404);
});

// ---- the role × partner matrix (src/auth/policy.c) ----

test('role × partner: who may read, list, create, update and delete deliveries is exactly src/auth/policy.c', async () => {
  const failures = [];
  const expect = (cond, msg) => { if (!cond) failures.push(msg); };
  for (const who of S.all) {
    const c = await post(who, body());
    const mayCreate = allowed('deliveries', who, 'create');
    expect(c.status === (mayCreate ? 201 : 403), `${who.label} POST: ${c.status}`);
    if (c.status === 201) expect(c.json.partner === who.partner, `${who.label} POST: owner ${c.json.partner}`);
    expect((await list(who, { q: T, limit: '3' })).status === 200, `${who.label} list`);
    for (const owner of ['byczyna', 'chorzow']) {
      const d = await made({ partner: owner }, S.admin);
      const ctx = `${who.label} on a delivery of ${owner}`;
      const r = await get(who, d.id);
      expect(r.status === (allowed('deliveries', who, 'read', owner) ? 200 : 403), `${ctx}: GET ${r.status}`);
      const u = await patch(who, d.id, { notes: 'zmiana' }, '"1"');
      const mayUpdate = allowed('deliveries', who, 'update', owner);
      expect(u.status === (mayUpdate ? 200 : 403), `${ctx}: PATCH ${u.status} (expected ${mayUpdate ? 200 : 403})`);
      const x = await del(who, d.id, u.status === 200 ? '"2"' : '"1"');
      const mayDelete = allowed('deliveries', who, 'delete', owner);
      expect(x.status === (mayDelete ? 204 : 403), `${ctx}: DELETE ${x.status} (expected ${mayDelete ? 204 : 403})`);
      if (!mayDelete) expect((await get(S.admin, d.id)).status === 200, `${ctx}: still there`);
    }
  }
  assert.deepEqual(failures, []);
});

test('role × partner: who may list, add and take off attendance is exactly src/auth/policy.c (the delivery\'s partner decides)', async () => {
  const failures = [];
  const expect = (cond, msg) => { if (!cond) failures.push(msg); };
  for (const who of S.all) {
    for (const owner of ['byczyna', 'chorzow']) {
      for (const person of Object.values(people)) {
        const d = await made({ partner: owner, service_id: services.seminar.id, es_entity_id: undefined }, S.admin);
        const ctx = `${who.label} on a delivery of ${owner}, a person of ${person.partner}`;
        const put = await attend(who, d.id, person.id);
        const mayPut = allowed('participants', who, 'create', owner);
        expect(put.status === (mayPut ? 201 : 403), `${ctx}: PUT ${put.status} (expected ${mayPut ? 201 : 403})`);
        const ensure = await attend(S.admin, d.id, person.id);
        expect(ensure.status === (mayPut ? 200 : 201), `${ctx}: the admin's PUT after it ${ensure.status}`);
        const l = await participants(who, d.id);
        expect(l.status === 200 && l.json.items.length === 1, `${ctx}: GET participants ${l.status}`);
        const rm = await unattend(who, d.id, person.id);
        const mayDelete = allowed('participants', who, 'delete', owner);
        expect(rm.status === (mayDelete ? 204 : 403), `${ctx}: DELETE ${rm.status} (expected ${mayDelete ? 204 : 403})`);
        const after = await participants(S.admin, d.id);
        expect(after.json.items.length === (mayDelete ? 0 : 1), `${ctx}: attendance after the DELETE`);
      }
    }
  }
  assert.deepEqual(failures, []);
});

// ---- hostile input ----

test('hostile bodies to POST and PATCH /v1/deliveries and to PUT attendance are a 4xx problem, never a 5xx', async () => {
  const d = await made({}, S.coordinator.byczyna);
  const json = { 'Content-Type': 'application/json' };
  const send = async (what, opts) => {
    const a = await api(server, 'POST', '/v1/deliveries', { ...opts, headers: { ...S.coordinator.byczyna.headers, ...(opts.headers || {}) } });
    R.expectClientError(a, `POST ${what}`);
    const b = await api(server, 'PATCH', `/v1/deliveries/${d.id}`, { ...opts, headers: { ...S.coordinator.byczyna.headers, 'If-Match': '"1"', ...(opts.headers || {}) } });
    R.expectClientError(b, `PATCH ${what}`);
  };
  for (const raw of R.GARBAGE_BODIES) await send(JSON.stringify(raw), { rawBody: raw, headers: json });
  for (const f of ['service_id', 'es_entity_id', 'started_at', 'topic', 'location', 'advisor', 'notes']) {
    for (const v of R.WRONG_TYPES) await send(`${f}=${JSON.stringify(v)}`, { body: body({ [f]: v }) });
    await send(`${f}=100000 characters`, { body: body({ [f]: R.LONG }) });
    await send(`${f} with NUL`, { rawBody: JSON.stringify(body({ [f]: 'a\u0000b' })), headers: json });
  }
  for (const f of ['hours', 'guests']) {
    for (const v of ['1', true, [], {}, -1, 1e308, -1e308, Number.MAX_SAFE_INTEGER, 2 ** 31, 0.1 ** 10, 'NaN']) {
      await send(`${f}=${v}`, { body: body({ [f]: v }) });
    }
    for (const lit of ['123456789012345678901234567890', '1e400', '-1e400', 'NaN', 'Infinity', '-0.0e0', '0x10', '1_000', '.5', '+1']) {
      await send(`${f}=${lit}`, { rawBody: JSON.stringify(body({ [f]: '@@' })).replace('"@@"', lit), headers: json });
    }
  }
  await send('a 100000-character key', { body: { ...body(), ['k'.repeat(100000)]: 1 } });
  assert.equal((await get(S.admin, d.id)).json.version, 1, 'nothing changed');
  // attendance
  const b = people.byczyna.id;
  for (const raw of R.GARBAGE_BODIES) {
    const res = await api(server, 'PUT', `/v1/deliveries/${d.id}/participants/${b}`, { headers: { ...S.coordinator.byczyna.headers, ...json }, rawBody: raw });
    R.expectClientError(res, `PUT attendance ${JSON.stringify(raw)}`);
  }
  for (const v of [...R.WRONG_TYPES.filter((x) => typeof x !== 'boolean'), R.LONG, 123456789, 'true', null]) {
    R.expectClientError(await attend(S.coordinator.byczyna, d.id, b, { attended: v }), `attended=${String(v).slice(0, 20)}`);
  }
  R.expectClientError(await attend(S.coordinator.byczyna, d.id, b, { attended: true, ['x'.repeat(100000)]: 1 }), 'a long key');
  assert.deepEqual((await participants(S.admin, d.id)).json.items, []);
});

test('non-UTF-8 bytes in a delivery or attendance body are 400', async () => {
  const d = await made({}, S.coordinator.byczyna);
  const u = new URL(server.url);
  const send = (method, path, bytes, extra = '') => {
    const head = `${method} ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${S.coordinator.byczyna.token}\r\n` +
      `Content-Type: application/json\r\n${extra}Content-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
    return rawRequest(server, Buffer.concat([Buffer.from(head, 'latin1'), bytes]));
  };
  for (const bad of [Buffer.from([0xc3, 0x28]), Buffer.from([0xff]), Buffer.from([0xed, 0xb0, 0x80]), Buffer.from([0xc0, 0xaf])]) {
    const topic = Buffer.concat([Buffer.from(`{"service_id":"${services.seminar.id}","started_at":"2026-03-01T10:00:00Z","hours":1,"topic":"T`), bad, Buffer.from('"}')]);
    assert.equal((await send('POST', '/v1/deliveries', topic)).status, 400, `POST ${bad.toString('hex')}`);
    assert.equal((await send('PATCH', `/v1/deliveries/${d.id}`, Buffer.concat([Buffer.from('{"topic":"'), bad, Buffer.from('"}')]), 'If-Match: "1"\r\n')).status, 400);
    const att = Buffer.concat([Buffer.from('{"attended":true,"'), bad, Buffer.from('":1}')]);
    assert.equal((await send('PUT', `/v1/deliveries/${d.id}/participants/${people.byczyna.id}`, att)).status, 400, `PUT ${bad.toString('hex')}`);
  }
  assert.equal((await get(S.admin, d.id)).json.version, 1);
});

test('SQL-looking topics, locations and notes are stored and read back verbatim', async () => {
  for (const s of R.SQLISH) {
    const d = await made({ topic: `${T} ${s}`, location: s, notes: s, advisor: s });
    const read = await get(S.integration, d.id);
    for (const f of ['location', 'notes', 'advisor']) assert.equal(read.json[f], s, f);
    assert.equal(read.json.topic, `${T} ${s}`);
    const found = await list(S.admin, { q: s });
    assert.ok(found.json.items.some((x) => x.id === d.id), `q=${s} finds it`);
  }
});

test('hostile ids and query values on the delivery and attendance routes are 404 or 400, never 5xx', async () => {
  const d = await made();
  const ids = ["' OR 1=1 --", '%00', 'x'.repeat(5000), '%C3%28', '..%2F..', '00000000-0000-0000-0000-000000000000', `${d.id}%00`];
  for (const id of ids) {
    const routes = [['GET', `/v1/deliveries/${id}`], ['PATCH', `/v1/deliveries/${id}`, {}], ['DELETE', `/v1/deliveries/${id}`],
      ['GET', `/v1/deliveries/${id}/participants`], ['PUT', `/v1/deliveries/${id}/participants/${people.byczyna.id}`, { attended: true }],
      ['PUT', `/v1/deliveries/${d.id}/participants/${id}`, { attended: true }], ['DELETE', `/v1/deliveries/${d.id}/participants/${id}`],
      ['DELETE', `/v1/deliveries/${id}/participants/${id}`]];
    for (const [method, path, b] of routes) {
      R.expectClientError(await api(server, method, path, { headers: { ...S.admin.headers, 'If-Match': '"1"' }, body: b }), `${method} ${path.slice(0, 90)}`);
    }
  }
  for (const q of ['from=%00', 'to=2026-03-01%27', 'kind=%27%20OR%201=1', 'service_id=%27', 'q=%C3%28', 'q=%00', 'limit=1e9',
    'sort=started_at;DROP', 'cursor=%FF', 'from=99999-01-01', 'to=2026-03-01&to=2026-03-02', 'partner=' + 'p'.repeat(1000)]) {
    R.expectClientError(await api(server, 'GET', `/v1/deliveries?${q}`, { headers: S.admin.headers }), q);
  }
  for (const q of ['limit=-5', 'cursor=%27%20OR%201=1', 'limit=abc']) {
    R.expectClientError(await participants(S.admin, d.id, Object.fromEntries(new URLSearchParams(q))), `participants ${q}`);
  }
});
