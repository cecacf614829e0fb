'use strict';
// Records for the tests of beneficiaries, services, deliveries and
// attendance: valid PESELs for random dates, the staff of every role and
// partner, makers of records with random, distinguishable data (test files
// run in parallel on one database), the permission table of
// src/auth/policy.c for those resources, the change feed and the audit log.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { api, expectProblem } = require('./http');
const { documents } = require('./contract');
const { newUser } = require('./users');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// RFC 3339 in UTC, up to microseconds.
const TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|\+00:00)$/;
const UNKNOWN_ID = '7d444840-9dc0-11d1-b245-5ffdce74fad2';
// A well-formed TERYT gmina code outside Opolskie (Chorzów, Silesia).
const OUTSIDE_REGION_GMINA = '2463011';

const PII_FIELDS = ['pesel', 'birth_date', 'email', 'phone', 'street'];
const BENEFICIARY_FIELDS = [
  'id', 'partner', 'first_name', 'last_name', 'pesel', 'birth_date', 'gender', 'education', 'labour_status',
  'teryt_gmina', 'street', 'postal_code', 'email', 'phone', 'es_entity_id', 'member_id', 'consent_on',
  'support_start', 'support_end', 'birth_year', 'erased', 'version', 'created_at', 'updated_at',
].sort();
const SERVICE_FIELDS = ['id', 'partner', 'code', 'name', 'kind', 'description', 'active', 'version', 'created_at', 'updated_at'].sort();
const DELIVERY_FIELDS = [
  'id', 'partner', 'service_id', 'es_entity_id', 'started_at', 'hours', 'topic', 'location', 'advisor', 'guests',
  'notes', 'version', 'created_at', 'updated_at',
].sort();
const PARTICIPANT_FIELDS = ['beneficiary_id', 'attended', 'first_name', 'last_name', 'partner'].sort();
const HISTORY_FIELDS = ['delivery_id', 'service_id', 'kind', 'service_name', 'es_entity_id', 'started_at', 'hours',
  'topic', 'partner', 'attended'].sort();

const SERVICE_KINDS = ['advisory', 'legal', 'financial', 'marketing', 'information', 'training', 'seminar'];
const SEEDED_SERVICES = {
  advisory: 'doradztwo-biznesowe', legal: 'doradztwo-prawne', financial: 'doradztwo-finansowe',
  marketing: 'doradztwo-marketingowe', information: 'informacja', training: 'szkolenia', seminar: 'seminaria',
};

/* A short random tag that makes a test's data its own. */
function tag(prefix = 't') {
  return `${prefix}${crypto.randomBytes(5).toString('hex')}`;
}

function randomInt(min, max) {
  return min + crypto.randomInt(max - min + 1);
}

// ---- PESEL ----

const PESEL_WEIGHTS = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
const CENTURY_OFFSET = { 18: 80, 19: 0, 20: 20, 21: 40, 22: 60 };

function peselCheckDigit(first10) {
  const sum = PESEL_WEIGHTS.reduce((acc, w, i) => acc + w * Number(first10[i]), 0);
  return String((10 - (sum % 10)) % 10);
}

/*
 * The PESEL of a date 'YYYY-MM-DD' (not checked: 30 February gives the
 * PESEL a 30 February would have) with the right checksum. opts.male picks
 * the sex digit (odd male, even female); opts.serial the three digits before
 * it (random when absent).
 */
function peselOf(date, { male = crypto.randomInt(2) === 1, serial } = {}) {
  const [y, m, d] = date.split('-').map(Number);
  const offset = CENTURY_OFFSET[Math.floor(y / 100)];
  assert.ok(offset !== undefined, `no PESEL century for ${date}`);
  const s = serial === undefined ? String(randomInt(0, 999)).padStart(3, '0') : String(serial).padStart(3, '0');
  const sex = String(2 * randomInt(0, 4) + (male ? 1 : 0));
  const first10 = `${String(y % 100).padStart(2, '0')}${String(m + offset).padStart(2, '0')}${String(d).padStart(2, '0')}${s}${sex}`;
  return first10 + peselCheckDigit(first10);
}

/* The same PESEL with a wrong last digit. */
function badChecksum(pesel) {
  return pesel.slice(0, 10) + String((Number(pesel[10]) + 1 + randomInt(0, 8)) % 10);
}

const usedPesels = new Set();

/* A PESEL of a random real date between 1940 and 2005 that this process has
 * not handed out before: {pesel, birth_date, gender}. */
function randomPerson({ male } = {}) {
  for (;;) {
    const y = randomInt(1940, 2005);
    const m = randomInt(1, 12);
    const d = randomInt(1, 28);
    const birth = `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
    const isMale = male === undefined ? crypto.randomInt(2) === 1 : male;
    const pesel = peselOf(birth, { male: isMale });
    if (usedPesels.has(pesel)) continue;
    usedPesels.add(pesel);
    return { pesel, birth_date: birth, gender: isMale ? 'male' : 'female' };
  }
}

// ---- dates ----

/* Today's date in Europe/Warsaw, 'YYYY-MM-DD'. */
function warsawToday() {
  return require('./ids').warsawDateOf(new Date());
}

/* date 'YYYY-MM-DD' plus n days. */
function addDays(date, n) {
  const t = new Date(`${date}T12:00:00Z`);
  t.setUTCDate(t.getUTCDate() + n);
  return t.toISOString().slice(0, 10);
}

// ---- staff ----

/*
 * The users of every role: admin (byczyna), auditor (chorzow), integration
 * (byczyna), a coordinator and an advisor of each partner. Resolves to
 * {admin, auditor, integration, coordinator: {byczyna, chorzow},
 * advisor: {byczyna, chorzow}, all: [{label, user}]}.
 */
async function staff(server, prefix = 's') {
  const specs = [
    ['admin', 'admin', 'byczyna'], ['auditor', 'auditor', 'chorzow'], ['integration', 'integration', 'byczyna'],
    ['coordinator of byczyna', 'coordinator', 'byczyna'], ['coordinator of chorzow', 'coordinator', 'chorzow'],
    ['advisor of byczyna', 'advisor', 'byczyna'], ['advisor of chorzow', 'advisor', 'chorzow'],
  ];
  const users = await Promise.all(specs.map(([, role, partner]) => newUser(server, { role, partner, prefix: `${prefix}${role.slice(0, 3)}` })));
  const s = { coordinator: {}, advisor: {}, all: [] };
  specs.forEach(([label, role, partner], i) => {
    const u = users[i];
    u.label = label;
    if (role === 'coordinator' || role === 'advisor') s[role][partner] = u;
    else s[role] = u;
    s.all.push(u);
  });
  return s;
}

// ---- the permission table (src/auth/policy.c) ----

const NO = 'NO';
const OWN = 'OWN';
const ANY = 'ANY';
const readOnly = { read: ANY, create: NO, update: NO, delete: NO, erase: NO };
const POLICY = {
  beneficiaries: {
    admin: { read: ANY, create: ANY, update: ANY, delete: ANY, erase: ANY },
    coordinator: { read: ANY, create: OWN, update: OWN, delete: OWN, erase: NO },
    advisor: { read: ANY, create: OWN, update: OWN, delete: NO, erase: NO },
    auditor: readOnly,
    integration: readOnly,
  },
  services: {
    admin: { read: ANY, create: ANY, update: ANY, delete: ANY, erase: NO },
    coordinator: readOnly, advisor: readOnly, auditor: readOnly, integration: readOnly,
  },
  deliveries: {
    admin: { read: ANY, create: ANY, update: ANY, delete: ANY, erase: NO },
    coordinator: { read: ANY, create: OWN, update: OWN, delete: OWN, erase: NO },
    advisor: { read: ANY, create: OWN, update: OWN, delete: NO, erase: NO },
    auditor: readOnly,
    integration: readOnly,
  },
  // attendance: PUT is create, DELETE is delete; the record's partner is the delivery's
  participants: {
    admin: { read: ANY, create: ANY, update: ANY, delete: ANY, erase: NO },
    coordinator: { read: ANY, create: OWN, update: OWN, delete: OWN, erase: NO },
    advisor: { read: ANY, create: OWN, update: OWN, delete: NO, erase: NO },
    auditor: readOnly,
    integration: readOnly,
  },
};

/* Whether user may do action on a record of resource owned by recordPartner
 * (null for a create or a list), as policy.c says. */
function allowed(resource, user, action, recordPartner = null) {
  const scope = POLICY[resource][user.role][action];
  if (scope === ANY) return true;
  if (scope === OWN) return recordPartner === null || recordPartner === user.partner;
  return false;
}

/* Whether user sees the PII of a beneficiary owned by recordPartner (DESIGN §2). */
function seesPii(user, recordPartner) {
  if (user.role === 'admin' || user.role === 'auditor') return true;
  if (user.role === 'coordinator' || user.role === 'advisor') return user.partner === recordPartner;
  return false;
}

// ---- requests ----

/*
 * A request to a route that is not what these tests are about (es-entities,
 * partnership-members, audit, changes): checked against the contract when
 * api/openapi.yaml documents it, sent unchecked otherwise.
 */
function setupApi(server, method, path, opts = {}) {
  return api(server, method, path, { ...opts, check: documents(method, path) });
}

function jsonHeaders(who, extra = {}) {
  return { ...who.headers, ...extra };
}

function mergePatchHeaders(who, etag, extra = {}) {
  const h = { ...who.headers, 'Content-Type': 'application/merge-patch+json', ...extra };
  if (etag !== undefined && etag !== null) h['If-Match'] = etag;
  return h;
}

/* The current ETag of /v1/<resource>/<id>, read by the admin (or who). */
async function etagOf(server, who, resource, id) {
  const res = await api(server, 'GET', `/v1/${resource}/${id}`, { headers: who.headers });
  assert.equal(res.status, 200, `GET /v1/${resource}/${id}: ${res.status} ${res.text}`);
  return res.headers.get('etag');
}

/* POST /v1/<resource> as who; asserts 201 and resolves to the record. */
async function created(server, who, resource, body, route = api) {
  const res = await route(server, 'POST', `/v1/${resource}`, { headers: who.headers, body });
  assert.equal(res.status, 201, `POST /v1/${resource} as ${who.label || who.role} ${JSON.stringify(body).slice(0, 300)}: ${res.status} ${res.text}`);
  return res.json;
}

/* DELETE /v1/<resource>/<id> as who with the current ETag; asserts 204. */
async function removed(server, who, resource, id, route = api) {
  const cur = await route(server, 'GET', `/v1/${resource}/${id}`, { headers: who.headers });
  assert.equal(cur.status, 200, cur.text);
  const res = await route(server, 'DELETE', `/v1/${resource}/${id}`, { headers: { ...who.headers, 'If-Match': cur.headers.get('etag') } });
  assert.equal(res.status, 204, `DELETE /v1/${resource}/${id}: ${res.status} ${res.text}`);
}

/* PATCH /v1/<resource>/<id> as who with the current ETag (read by reader); resolves to the response. */
async function patched(server, who, resource, id, body, reader = who) {
  const etag = await etagOf(server, reader, resource, id);
  return api(server, 'PATCH', `/v1/${resource}/${id}`, { headers: mergePatchHeaders(who, etag), body });
}

// ---- makers ----

let gminaCache = null;
/* The region's gminas' TERYT codes (from GET /v1/gminas). */
async function regionGminas(server) {
  if (gminaCache) return gminaCache;
  const codes = [];
  let cursor = null;
  for (let i = 0; i < 20; i++) {
    const q = new URLSearchParams({ limit: '200', ...(cursor ? { cursor } : {}) });
    const res = await api(server, 'GET', `/v1/gminas?${q}`);
    assert.equal(res.status, 200, res.text);
    codes.push(...res.json.items.map((g) => g.teryt));
    cursor = res.json.next_cursor;
    if (!cursor) break;
  }
  assert.ok(codes.length > 50, `the region has its gminas: ${codes.length}`);
  gminaCache = codes;
  return codes;
}

function pick(list) {
  return list[crypto.randomInt(list.length)];
}

/* A valid beneficiary body with a random PESEL, names carrying t and PII. */
function beneficiaryBody(t, gmina, over = {}) {
  const person = randomPerson();
  const n = crypto.randomBytes(4).toString('hex');
  return {
    first_name: `Anna-${n}`,
    last_name: `Testowa ${t} ${n}`,
    pesel: person.pesel,
    teryt_gmina: gmina,
    consent_on: addDays(warsawToday(), -randomInt(1, 300)),
    email: `b.${n}@example.org`,
    phone: `+48 6${randomInt(10, 99)} ${randomInt(100, 999)} ${randomInt(100, 999)}`,
    street: `ul. Poufna ${n} ${randomInt(1, 99)}`,
    postal_code: `4${randomInt(5, 9)}-${String(randomInt(0, 999)).padStart(3, '0')}`,
    education: 'upper_secondary',
    labour_status: 'unemployed',
    ...over,
  };
}

/*
 * A new beneficiary made by who (POST /v1/beneficiaries), with a fresh
 * random PESEL (a new one again on the rare 409 of a PESEL another test file
 * took). over is merged over beneficiaryBody(); resolves to the record as
 * its 201 showed it to who.
 */
async function newBeneficiary(server, who, t, over = {}) {
  const gminas = await regionGminas(server);
  for (let attempt = 0; attempt < 5; attempt++) {
    const body = beneficiaryBody(t, over.teryt_gmina || pick(gminas), over);
    for (const [k, v] of Object.entries(body)) if (v === undefined) delete body[k];
    const res = await api(server, 'POST', '/v1/beneficiaries', { headers: who.headers, body });
    if (res.status === 409 && !('pesel' in over)) continue;
    assert.equal(res.status, 201, `POST /v1/beneficiaries as ${who.label || who.role}: ${res.status} ${res.text}`);
    return { ...res.json, _sent: body };
  }
  assert.fail('five PESELs in a row were taken');
}

/* A new ES entity (made by the admin); resolves to the record. */
async function newEsEntity(server, admin, t, over = {}) {
  const gminas = await regionGminas(server);
  return created(server, admin, 'es-entities', {
    name: `Spółdzielnia ${t} ${crypto.randomBytes(3).toString('hex')}`, legal_form: 'social_cooperative',
    teryt_gmina: pick(gminas), ...over,
  }, setupApi);
}

/* A new partnership member (made by the admin); resolves to the record. */
async function newMember(server, admin, t, over = {}) {
  return created(server, admin, 'partnership-members', {
    name: `Partner ${t} ${crypto.randomBytes(3).toString('hex')}`, kind: 'ngo', ...over,
  }, setupApi);
}

/* The seeded services by kind (read by who): {advisory: service, ...}. */
async function seededServices(server, who) {
  const out = {};
  for (const [kind, code] of Object.entries(SEEDED_SERVICES)) {
    const res = await api(server, 'GET', `/v1/services?code=${code}`, { headers: who.headers });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.items.length, 1, `one live service with the seeded code ${code}: ${res.text}`);
    out[kind] = res.json.items[0];
  }
  return out;
}

/* A new service made by the admin; resolves to the record. */
async function newService(server, admin, t, over = {}) {
  return created(server, admin, 'services', {
    code: `${t}-${crypto.randomBytes(3).toString('hex')}`, name: `Usługa ${t}`, kind: 'advisory', ...over,
  });
}

/* A new delivery made by who; over must name service_id (and es_entity_id where needed). */
async function newDelivery(server, who, t, over = {}) {
  return created(server, who, 'deliveries', {
    started_at: '2026-03-10T09:00:00Z', hours: 2, topic: `Spotkanie ${t}`, ...over,
  });
}

// ---- the change feed and the audit log ----

/* The seq of the newest change (a binary search with limit=1). */
async function feedHead(server, who) {
  const probe = async (after) => {
    const res = await setupApi(server, 'GET', `/v1/changes?after=${after}&limit=1`, { headers: who.headers });
    assert.equal(res.status, 200, res.text);
    return res.json.items.length > 0;
  };
  let lo = 0; // some change after lo, or lo = 0
  let hi = 1024;
  while (await probe(hi)) {
    lo = hi;
    hi *= 2;
  }
  // no change after hi; find the smallest after with none
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await probe(mid)) lo = mid;
    else hi = mid;
  }
  return (await probe(lo)) ? hi : lo;
}

/* Every change after seq (following next), up to now. */
async function feedSince(server, who, seq) {
  const items = [];
  let after = seq;
  for (let i = 0; i < 200; i++) {
    const res = await setupApi(server, 'GET', `/v1/changes?after=${after}&limit=1000`, { headers: who.headers });
    assert.equal(res.status, 200, res.text);
    items.push(...res.json.items);
    if (res.json.items.length === 0) return items;
    after = res.json.next;
  }
  return items;
}

/* The audit entries of resource/resource_id, newest first (read by the admin). */
async function auditOf(server, admin, resource, resourceId) {
  const q = new URLSearchParams({ resource, resource_id: resourceId, limit: '200' });
  const res = await setupApi(server, 'GET', `/v1/audit?${q}`, { headers: admin.headers });
  assert.equal(res.status, 200, res.text);
  return res;
}

// ---- hostile input ----

/* Asserts a 4xx problem (never a 5xx); returns the problem. */
function expectClientError(res, what = '') {
  assert.ok(res.status >= 400 && res.status < 500, `${what}: expected a 4xx, got ${res.status} ${String(res.text).slice(0, 300)}`);
  return expectProblem(res, res.status);
}

/* Values that no string, date, id or enum field takes (the empty string included). */
const WRONG_TYPES = [42, -1, 1.5, true, false, [], ['x'], {}, { a: 1 }, ''];
const LONG = 'ż'.repeat(100000);
const SQLISH = ["Robert'); DROP TABLE beneficiaries;--", "' OR '1'='1", '1; SELECT pg_sleep(5)', '$1::text', '\\x00 %_ \\'];

/* Raw JSON bodies that are no valid request. */
const GARBAGE_BODIES = ['', '{', '}', '[]', '"x"', '42', 'null', '{"a":}', "{'a':1}", '{"a":1}}', '\u0000', '{"a":"\\u0000"}',
  '{"hours": 1e400}', `{"x": ${'['.repeat(200)}${']'.repeat(200)}}`, '{"a":1,"a":2'];

module.exports = {
  UUID, TIMESTAMP, UNKNOWN_ID, OUTSIDE_REGION_GMINA, PII_FIELDS, BENEFICIARY_FIELDS, SERVICE_FIELDS, DELIVERY_FIELDS,
  PARTICIPANT_FIELDS, HISTORY_FIELDS, SERVICE_KINDS, SEEDED_SERVICES, POLICY,
  tag, randomInt, peselOf, peselCheckDigit, badChecksum, randomPerson, warsawToday, addDays,
  staff, allowed, seesPii, setupApi, jsonHeaders, mergePatchHeaders, etagOf, created, removed, patched,
  regionGminas, pick, beneficiaryBody, newBeneficiary, newEsEntity, newMember, seededServices, newService, newDelivery,
  feedHead, feedSince, auditOf, expectClientError, WRONG_TYPES, LONG, SQLISH, GARBAGE_BODIES,
};
