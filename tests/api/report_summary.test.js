'use strict';
// The indicators are read from a summary that the writing transactions keep
// (migration 0008). These tests write through the API in 2047 (a year no
// other test file uses) — deliveries at Warsaw day boundaries and on the
// days summer time starts and ends, attendance true and false, people in
// several deliveries, then every kind of change that moves a counted figure —
// and after each step compare every indicator of many periods with the
// straightforward query over the raw rows (GROUP BY / COUNT DISTINCT),
// written below. A trigger that misses a path makes them differ.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer } = require('./lib/server');
const { api } = require('./lib/http');
const contract = require('./lib/contract');
const { newUser } = require('./lib/users');
const { psql } = require('./lib/psql');

const KINDS = ['advisory', 'legal', 'financial', 'marketing', 'information', 'training', 'seminar'];
const T = `s47${crypto.randomBytes(4).toString('hex')}`;
const GMINAS = ['1604013', '1611073', '1661011', '1607053', '1601011'];
const EDUCATION = ['primary', 'tertiary', null, 'upper_secondary'];
const LABOUR = ['employed', 'unemployed', null, 'inactive', 'self_employed'];

// The periods compared after every step: the year, each partner's year,
// periods that cut in the middle, single Warsaw days at the edges (summer
// time starts on 2047-03-31 and ends on 2047-10-27).
const PERIODS = [
  ['2047-01-01', '2047-12-31', null], ['2047-01-01', '2047-12-31', 'byczyna'],
  ['2047-01-01', '2047-12-31', 'chorzow'], ['2047-01-01', '2047-01-01', null],
  ['2046-12-31', '2046-12-31', null], ['2047-03-30', '2047-03-30', null], ['2047-03-31', '2047-03-31', null],
  ['2047-03-31', '2047-03-31', 'byczyna'], ['2047-04-01', '2047-04-01', null],
  ['2047-02-15', '2047-06-15', null], ['2047-02-15', '2047-06-15', 'chorzow'],
  ['2047-04-01', '2047-10-27', null], ['2047-10-27', '2047-10-27', null], ['2047-10-28', '2047-12-31', 'byczyna'],
  ['2047-12-31', '2047-12-31', null], ['2047-06-01', '2047-06-30', null],
];

// Deliveries: UTC instants chosen for the Warsaw calendar (comments: Warsaw time).
const AT = [
  '2046-12-31T22:59:59Z', // 2046-12-31 23:59:59 CET: before the year
  '2046-12-31T23:30:00Z', // 2047-01-01 00:30 CET
  '2047-01-20T09:00:00Z',
  '2047-02-15T10:00:00Z',
  '2047-03-30T22:30:00Z', // 2047-03-30 23:30 CET
  '2047-03-30T23:30:00Z', // 2047-03-31 00:30 CET, the day summer time starts
  '2047-03-31T21:30:00Z', // 2047-03-31 23:30 CEST
  '2047-03-31T22:30:00Z', // 2047-04-01 00:30 CEST
  '2047-05-05T08:00:00Z',
  '2047-06-10T09:00:00Z',
  '2047-06-16T09:00:00Z',
  '2047-08-08T08:00:00Z',
  '2047-10-26T22:30:00Z', // 2047-10-27 00:30 CEST, the day summer time ends
  '2047-10-27T22:30:00Z', // 2047-10-27 23:30 CET
  '2047-12-31T22:30:00Z', // 2047-12-31 23:30 CET
  '2047-12-31T23:30:00Z', // 2048-01-01 00:30 CET: after the year
];

let server;
let admin;
const coordinator = {};
const services = {};
const entities = [];
const people = [];
const deliveries = [];

// A deterministic stream of choices, so that a failure can be replayed.
let seed = 47;
function pick(n) {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
}

function call(method, path, opts = {}) {
  const check = typeof contract.documents === 'function' ? contract.documents(method, path) : true;
  return api(server, method, path, { ...opts, check });
}

async function made(who, resource, body) {
  const res = await call('POST', `/v1/${resource}`, { headers: who.headers, body });
  assert.equal(res.status, 201, `POST /v1/${resource}: ${res.status} ${res.text}`);
  return res.json;
}

async function etag(path) {
  const res = await call('GET', path, { headers: admin.headers });
  assert.equal(res.status, 200, `GET ${path}: ${res.status} ${res.text}`);
  return res.headers.get('etag');
}

async function patched(path, body) {
  const res = await call('PATCH', path, {
    headers: { ...admin.headers, 'Content-Type': 'application/merge-patch+json', 'If-Match': await etag(path) }, body,
  });
  assert.equal(res.status, 200, `PATCH ${path}: ${res.status} ${res.text}`);
  return res.json;
}

async function deleted(path) {
  const res = await call('DELETE', path, { headers: { ...admin.headers, 'If-Match': await etag(path) } });
  assert.equal(res.status, 204, `DELETE ${path}: ${res.status} ${res.text}`);
}

async function attend(delivery, person, attended) {
  const res = await call('PUT', `/v1/deliveries/${delivery.id}/participants/${person.id}`, {
    headers: coordinator[delivery.partner].headers, body: { attended },
  });
  assert.ok(res.status === 201 || res.status === 200, `PUT attendance: ${res.status} ${res.text}`);
}

async function unattend(delivery, person) {
  const res = await call('DELETE', `/v1/deliveries/${delivery.id}/participants/${person.id}`, {
    headers: coordinator[delivery.partner].headers,
  });
  assert.equal(res.status, 204, `DELETE attendance: ${res.status} ${res.text}`);
}

function sqlText(v) {
  return v === null ? 'NULL::text' : `'${v}'::text`;
}

/* The indicators of a period straight from the raw rows: what the
 * report means, with no summary in between. */
function rawIndicators(from, to, partner) {
  return `
WITH d AS (
  SELECT d.*, s.kind FROM deliveries d JOIN services s ON s.id = d.service_id
   WHERE d.deleted_at IS NULL AND (d.started_at AT TIME ZONE 'Europe/Warsaw')::date BETWEEN '${from}' AND '${to}'
     AND (${sqlText(partner)} IS NULL OR d.partner = ${sqlText(partner)})),
 ents AS (SELECT d.kind, e.id, e.legal_form FROM d JOIN es_entities e ON e.id = d.es_entity_id AND e.deleted_at IS NULL),
 att AS (SELECT d.kind, b.id, b.gender, coalesce(b.education, 'unknown') AS education,
                coalesce(b.labour_status, 'unknown') AS labour_status, b.partner, g.powiat, g.high_poverty
           FROM d JOIN participants p ON p.delivery_id = d.id AND p.deleted_at IS NULL AND p.attended
           JOIN beneficiaries b ON b.id = p.beneficiary_id AND b.deleted_at IS NULL
           JOIN gminas g ON g.teryt = b.teryt_gmina),
 people AS (SELECT DISTINCT id, gender, education, labour_status, partner, powiat, high_poverty FROM att)
SELECT json_build_object(
  'es_entities', json_build_object('supported', (SELECT count(DISTINCT id) FROM ents),
     'social_cooperatives', (SELECT count(DISTINCT id) FROM ents WHERE legal_form = 'social_cooperative')),
  'by_service_kind', (SELECT json_object_agg(k.kind, json_build_object(
     'deliveries', (SELECT count(*) FROM d WHERE d.kind = k.kind),
     'hours', (SELECT coalesce(sum(hours), 0) FROM d WHERE d.kind = k.kind),
     'entities', (SELECT count(DISTINCT id) FROM ents WHERE ents.kind = k.kind),
     'participants', (SELECT count(DISTINCT id) FROM att WHERE att.kind = k.kind)))
     FROM unnest(ARRAY['${KINDS.join("','")}']) k(kind)),
  'total', (SELECT count(*) FROM people),
  'by_gender', (SELECT json_object_agg(v, (SELECT count(*) FROM people WHERE gender = v))
     FROM unnest(ARRAY['female', 'male']) v),
  'by_education', (SELECT json_object_agg(v, (SELECT count(*) FROM people WHERE education = v))
     FROM unnest(ARRAY['none', 'primary', 'lower_secondary', 'upper_secondary', 'post_secondary', 'tertiary', 'unknown']) v),
  'by_labour_status', (SELECT json_object_agg(v, (SELECT count(*) FROM people WHERE labour_status = v))
     FROM unnest(ARRAY['employed', 'unemployed', 'long_term_unemployed', 'inactive', 'self_employed', 'unknown']) v),
  'by_partner', (SELECT json_object_agg(code, (SELECT count(*) FROM people WHERE partner = code)) FROM project_partners),
  'by_powiat', (SELECT json_object_agg(teryt, (SELECT count(*) FROM people WHERE powiat = teryt)) FROM powiats),
  'high_poverty_gminas', (SELECT count(*) FROM people WHERE high_poverty),
  'seminars', json_build_object('count', (SELECT count(*) FROM d WHERE kind = 'seminar'),
     'beneficiary_attendees', (SELECT count(*) FROM att WHERE kind = 'seminar'),
     'guests', (SELECT coalesce(sum(guests), 0) FROM d WHERE kind = 'seminar')))`;
}

/* The API's answer in the shape of rawIndicators. */
function comparable(doc) {
  return {
    es_entities: { supported: doc.es_entities.supported, social_cooperatives: doc.es_entities.social_cooperatives },
    by_service_kind: doc.by_service_kind,
    total: doc.beneficiaries.total,
    by_gender: doc.beneficiaries.by_gender,
    by_education: doc.beneficiaries.by_education,
    by_labour_status: doc.beneficiaries.by_labour_status,
    by_partner: doc.beneficiaries.by_partner,
    by_powiat: doc.beneficiaries.by_powiat,
    high_poverty_gminas: doc.beneficiaries.high_poverty_gminas,
    seminars: doc.seminars,
  };
}

/* Every period's indicators from the API equal the raw query's. */
async function assertMatchesRaw(step) {
  let counted = 0;
  for (const [from, to, partner] of PERIODS) {
    const query = `from=${from}&to=${to}${partner ? `&partner=${partner}` : ''}`;
    const res = await api(server, 'GET', `/v1/reports/indicators?${query}`, { headers: admin.headers });
    assert.equal(res.status, 200, res.text);
    const raw = JSON.parse(await psql(process.env.IPS_TEST_DATABASE_URL, rawIndicators(from, to, partner)));
    assert.deepEqual(comparable(res.json), raw, `${step}: indicators ?${query}`);
    counted += raw.total;
  }
  assert.ok(counted > 0, `${step}: the periods hold people`);
}

before(async () => {
  server = await startServer();
  [admin, coordinator.byczyna, coordinator.chorzow] = await Promise.all([
    newUser(server, { role: 'admin', partner: 'byczyna', prefix: 'sadm' }),
    newUser(server, { role: 'coordinator', partner: 'byczyna', prefix: 'scob' }),
    newUser(server, { role: 'coordinator', partner: 'chorzow', prefix: 'scoc' }),
  ]);
  for (const kind of KINDS) {
    services[kind] = await made(admin, 'services', { code: `${T}-${kind}`, name: `Usługa ${kind} ${T}`, kind });
  }
  const forms = ['social_cooperative', 'foundation', 'social_cooperative', 'association', 'cooperative'];
  for (let i = 0; i < forms.length; i++) {
    entities.push(await made(admin, 'es-entities', { name: `Podmiot ${i} ${T}`, legal_form: forms[i], teryt_gmina: GMINAS[i] }));
  }
  for (let i = 0; i < 14; i++) {
    const partner = i % 3 === 0 ? 'chorzow' : 'byczyna';
    people.push(await made(coordinator[partner], 'beneficiaries', {
      first_name: `Osoba${i}`, last_name: `${T} ${i}`, gender: i % 2 ? 'male' : 'female',
      education: EDUCATION[i % EDUCATION.length], labour_status: LABOUR[i % LABOUR.length],
      teryt_gmina: GMINAS[i % GMINAS.length], consent_on: '2025-01-15',
    }));
  }
  // Two deliveries at every instant (one per partner, kinds in turn), and
  // a handful of people at each: some attended, some did not.
  for (let i = 0; i < AT.length * 2; i++) {
    const partner = i % 2 ? 'chorzow' : 'byczyna';
    const kind = KINDS[i % KINDS.length];
    const body = { service_id: services[kind].id, started_at: AT[i >> 1], hours: 0.25 * (1 + (i % 9)), topic: `${T} ${i}` };
    if (kind !== 'training' && (kind !== 'seminar' || i % 4 === 0)) body.es_entity_id = entities[pick(entities.length)].id;
    if (kind === 'seminar' || kind === 'training') body.guests = i % 5;
    const d = await made(coordinator[partner], 'deliveries', body);
    deliveries.push(d);
    for (let n = 1 + pick(4); n > 0; n--) await attend(d, people[pick(people.length)], pick(5) !== 0);
  }
});

after(async () => {
  if (!server) return;
  try {
    for (const d of deliveries) await deleted(`/v1/deliveries/${d.id}`).catch(() => {});
    for (const b of people) await deleted(`/v1/beneficiaries/${b.id}`).catch(() => {});
    for (const e of entities) await deleted(`/v1/es-entities/${e.id}`).catch(() => {});
    for (const s of Object.values(services)) await deleted(`/v1/services/${s.id}`).catch(() => {});
  } finally {
    await server.stop();
  }
});

test('the indicators of every period equal the raw rows\' GROUP BY / COUNT DISTINCT after the deliveries and attendance are written', async () => {
  await assertMatchesRaw('written');
});

test('attendance set to false, removed, added again and moved to another person: every period still equals the raw rows', async () => {
  await attend(deliveries[3], people[0], false);
  await attend(deliveries[5], people[1], true);
  await unattend(deliveries[5], people[1]);
  await attend(deliveries[9], people[2], true);
  await attend(deliveries[9], people[2], false);
  await attend(deliveries[9], people[2], true);
  await attend(deliveries[12], people[0], true);
  await attend(deliveries[30], people[0], true);
  await assertMatchesRaw('attendance changed');
});

test('a delivery moved across a Warsaw midnight, to another entity, other hours and guests, or deleted: still equal', async () => {
  await patched(`/v1/deliveries/${deliveries[4].id}`, { started_at: '2047-03-31T22:30:00Z' });
  await patched(`/v1/deliveries/${deliveries[10].id}`, { started_at: '2047-03-30T22:59:59Z' });
  await patched(`/v1/deliveries/${deliveries[2].id}`, { es_entity_id: entities[4].id, hours: 7.5 });
  await patched(`/v1/deliveries/${deliveries[6].id}`, { guests: 40 });
  await deleted(`/v1/deliveries/${deliveries[8].id}`);
  await deleted(`/v1/deliveries/${deliveries[17].id}`);
  await assertMatchesRaw('deliveries changed');
});

test('a person whose education, labour status, gmina and gender change, one erased and one deleted: still equal', async () => {
  await patched(`/v1/beneficiaries/${people[0].id}`, { education: 'post_secondary', labour_status: null, teryt_gmina: '1602033' });
  await patched(`/v1/beneficiaries/${people[1].id}`, { gender: 'male' });
  const path = `/v1/beneficiaries/${people[2].id}/erasure`;
  const erased = await call('POST', path, { headers: { ...admin.headers, 'If-Match': await etag(`/v1/beneficiaries/${people[2].id}`) } });
  assert.equal(erased.status, 200, erased.text);
  await deleted(`/v1/beneficiaries/${people[3].id}`);
  await assertMatchesRaw('people changed');
});

test('an entity deleted, one made a social cooperative, a service given another kind: still equal', async () => {
  await deleted(`/v1/es-entities/${entities[0].id}`);
  await patched(`/v1/es-entities/${entities[1].id}`, { legal_form: 'association' });
  await patched(`/v1/es-entities/${entities[3].id}`, { legal_form: 'social_cooperative' });
  await patched(`/v1/services/${services.legal.id}`, { kind: 'marketing' });
  await assertMatchesRaw('entities and services changed');
  await patched(`/v1/services/${services.legal.id}`, { kind: 'legal' });
  await assertMatchesRaw('service kind back');
});

test('the summary equals one rebuilt from the records (nothing drifted, whatever else ran)', async () => {
  // In one transaction: the summary as kept, then rebuilt from the records
  // of the same snapshot, compared, and rolled back.
  const out = await psql(process.env.IPS_TEST_DATABASE_URL, `
BEGIN ISOLATION LEVEL REPEATABLE READ;
LOCK TABLE report_delivery_days, report_subjects, report_daily, report_gaps IN EXCLUSIVE MODE;
CREATE TEMP TABLE kept_daily ON COMMIT DROP AS
  SELECT partner, kind, day, slot, firsts, lasts, amount FROM report_daily WHERE (firsts, lasts, amount) <> (0, 0, 0);
CREATE TEMP TABLE kept_days ON COMMIT DROP AS
  SELECT partner, kind, day, deliveries, hours, guests FROM report_delivery_days WHERE deliveries <> 0 OR hours <> 0 OR guests <> 0;
CREATE TEMP TABLE kept_gaps ON COMMIT DROP AS SELECT subject_type, subject, partner, kind, gap FROM report_gaps;
SELECT report_rebuild();
SELECT (SELECT count(*) FROM ((TABLE kept_daily EXCEPT ALL SELECT partner, kind, day, slot, firsts, lasts, amount FROM report_daily)
          UNION ALL (SELECT partner, kind, day, slot, firsts, lasts, amount FROM report_daily EXCEPT ALL TABLE kept_daily)) x)
    || ' ' || (SELECT count(*) FROM ((TABLE kept_days EXCEPT ALL SELECT partner, kind, day, deliveries, hours, guests FROM report_delivery_days WHERE deliveries <> 0 OR hours <> 0 OR guests <> 0)
          UNION ALL (SELECT partner, kind, day, deliveries, hours, guests FROM report_delivery_days WHERE deliveries <> 0 OR hours <> 0 OR guests <> 0 EXCEPT ALL TABLE kept_days)) x)
    || ' ' || (SELECT count(*) FROM ((TABLE kept_gaps EXCEPT ALL TABLE report_gaps) UNION ALL (TABLE report_gaps EXCEPT ALL TABLE kept_gaps)) x);
ROLLBACK;`);
  assert.equal(out.split('\n').pop(), '0 0 0', 'rows that differ: daily, delivery days, gaps');
});
