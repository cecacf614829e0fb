'use strict';
// beneficiaries: the ESF participant record — every field rule (PESEL
// checksum, real date and century, derived birth date and gender, consent,
// support dates, live affiliations, the region's gminas, read-only fields),
// who sees personal data (DESIGN §2), the GDPR erasure, the role × partner
// matrix of src/auth/policy.c, and hostile input.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { api, expectProblem, firstErrorField, rawRequest } = require('./lib/http');
const R = require('./lib/records');
const { psql } = require('./lib/psql');

const {
  UUID, TIMESTAMP, UNKNOWN_ID, OUTSIDE_REGION_GMINA, PII_FIELDS, BENEFICIARY_FIELDS,
  peselOf, badChecksum, randomPerson, warsawToday, addDays, allowed, seesPii, mergePatchHeaders,
} = R;

let server;
let S; // staff of every role and partner
let T; // this file's tag: every beneficiary made here has it in last_name
let gminas;
let services; // seeded, by kind

before(async () => {
  server = await startServer();
  S = await R.staff(server, 'ben');
  T = R.tag('ben');
  gminas = await R.regionGminas(server);
  services = await R.seededServices(server, S.admin);
});

after(async () => {
  if (server) await server.stop();
});

// ---- helpers ----

function post(who, body, headers = {}) {
  return api(server, 'POST', '/v1/beneficiaries', { headers: { ...who.headers, ...headers }, body });
}

function get(who, id, headers = {}) {
  return api(server, 'GET', `/v1/beneficiaries/${id}`, { headers: { ...who.headers, ...headers } });
}

function list(who, query) {
  return api(server, 'GET', `/v1/beneficiaries?${new URLSearchParams(query)}`, { headers: who.headers });
}

function patch(who, id, body, etag) {
  return api(server, 'PATCH', `/v1/beneficiaries/${id}`, { headers: mergePatchHeaders(who, etag), body });
}

function del(who, id, etag) {
  const headers = { ...who.headers };
  if (etag) headers['If-Match'] = etag;
  return api(server, 'DELETE', `/v1/beneficiaries/${id}`, { headers });
}

function erase(who, id, etag, opts = {}) {
  const headers = { ...who.headers, ...(opts.headers || {}) };
  if (etag) headers['If-Match'] = etag;
  return api(server, 'POST', `/v1/beneficiaries/${id}/erasure${opts.query || ''}`, { headers, body: opts.body, rawBody: opts.rawBody });
}

/* A valid body for a new beneficiary (random PESEL and PII); over on top,
 * a field given as undefined left out. */
function body(over = {}) {
  const b = R.beneficiaryBody(T, R.pick(gminas), over);
  for (const [k, v] of Object.entries(b)) if (v === undefined) delete b[k];
  return b;
}

/* A new beneficiary made by who (admin by default): the record as its 201 showed it. */
function made(over = {}, who = S.admin) {
  return R.newBeneficiary(server, who, T, over);
}

function errorFor(p, field) {
  const e = (p.errors || []).find((x) => x.field === field);
  assert.ok(e, `an error on ${field} in ${JSON.stringify(p.errors)}`);
  return e;
}

function fieldsOf(p) {
  return (p.errors || []).map((e) => e.field).sort();
}

/* 422 with an error on field (code when given); returns the problem. */
async function rejected(resPromise, field, code) {
  const res = await resPromise;
  const p = expectProblem(res, 422);
  const e = errorFor(p, field);
  if (code) assert.equal(e.code, code, `${field}: ${JSON.stringify(p.errors)}`);
  assert.equal(e.pointer, `/${field}`, 'pointer is the JSON Pointer of the field');
  return p;
}

/* The PII values of record (as the admin sees it). */
function piiValues(rec) {
  return PII_FIELDS.map((f) => rec[f]).filter((v) => typeof v === 'string' && v.length > 0);
}

function assertPiiKeys(obj, shown, ctx) {
  for (const f of PII_FIELDS) assert.equal(f in obj, shown, `${ctx}: ${f} is ${shown ? 'present' : 'absent'} in ${JSON.stringify(obj)}`);
  assert.equal(typeof obj.first_name, 'string', `${ctx}: first_name shown`);
  assert.equal(typeof obj.last_name, 'string', `${ctx}: last_name shown`);
  const expected = shown ? BENEFICIARY_FIELDS : BENEFICIARY_FIELDS.filter((f) => !PII_FIELDS.includes(f));
  assert.deepEqual(Object.keys(obj).sort(), expected, `${ctx}: exactly these keys`);
}

function assertNoPiiIn(text, rec, ctx) {
  for (const v of piiValues(rec)) assert.ok(!String(text).includes(v), `${ctx}: the PII value ${v} appears in ${String(text).slice(0, 400)}`);
}

// ---- create, and the fields derived from the PESEL ----

test('POST /v1/beneficiaries creates a beneficiary: 201, Location, ETag "1", every field, owned by the token\'s partner', async () => {
  const b = body({ support_start: '2026-01-05', support_end: '2026-06-30' });
  const started = Date.now();
  const res = await post(S.coordinator.chorzow, b);
  assert.equal(res.status, 201, res.text);
  const r = res.json;
  assert.deepEqual(Object.keys(r).sort(), BENEFICIARY_FIELDS);
  assert.match(r.id, UUID);
  assert.equal(r.partner, 'chorzow', 'owned by the coordinator\'s partner');
  for (const f of ['first_name', 'last_name', 'pesel', 'teryt_gmina', 'consent_on', 'email', 'phone', 'street',
    'postal_code', 'education', 'labour_status', 'support_start', 'support_end']) {
    assert.equal(r[f], b[f], f);
  }
  assert.equal(r.es_entity_id, null);
  assert.equal(r.member_id, null);
  assert.equal(r.erased, false);
  assert.equal(r.version, 1);
  assert.equal(res.headers.get('location'), `/v1/beneficiaries/${r.id}`);
  assert.equal(res.headers.get('etag'), '"1"');
  for (const f of ['created_at', 'updated_at']) {
    assert.match(r[f], TIMESTAMP);
    assert.ok(Math.abs(Date.parse(r[f]) - started) < 60000, `${f} is about now`);
  }
  const read = await get(S.admin, r.id);
  assert.equal(read.status, 200);
  assert.deepEqual(read.json, r, 'a read gives what the create answered');
});

test('birth_date and gender are derived from the PESEL when absent, and birth_year from birth_date', async () => {
  for (const male of [true, false]) {
    const person = randomPerson({ male });
    const r = await made({ pesel: person.pesel });
    assert.equal(r.birth_date, person.birth_date, `birth_date from ${person.pesel}`);
    assert.equal(r.gender, male ? 'male' : 'female', `gender from ${person.pesel}`);
    assert.equal(r.birth_year, Number(person.birth_date.slice(0, 4)));
  }
  // the published example: 44051401359 is a man born on 14 May 1944
  const known = await post(S.admin, body({ pesel: '44051401359' }));
  if (known.status === 201) {
    assert.equal(known.json.birth_date, '1944-05-14');
    assert.equal(known.json.gender, 'male');
    assert.equal(known.json.birth_year, 1944);
    assert.equal((await del(S.admin, known.json.id, '"1"')).status, 204);
  } else {
    assert.equal(firstErrorField(expectProblem(known, 409)), 'pesel', 'taken by a record of another test');
  }
});

test('birth_date and gender that agree with the PESEL are accepted as given', async () => {
  const person = randomPerson();
  const r = await made({ pesel: person.pesel, birth_date: person.birth_date, gender: person.gender });
  assert.equal(r.birth_date, person.birth_date);
  assert.equal(r.gender, person.gender);
});

test('a birth_date that does not agree with the PESEL is 422 on birth_date; a gender that does not, 422 on gender', async () => {
  const person = randomPerson({ male: true });
  const p1 = await rejected(post(S.admin, body({ pesel: person.pesel, birth_date: addDays(person.birth_date, 1) })), 'birth_date');
  assert.ok(!fieldsOf(p1).includes('pesel'), 'the PESEL itself is fine');
  const p2 = await rejected(post(S.admin, body({ pesel: person.pesel, gender: 'female' })), 'gender');
  assert.ok(!fieldsOf(p2).includes('pesel'));
  const p3 = expectProblem(await post(S.admin, body({ pesel: person.pesel, gender: 'female', birth_date: '1930-01-01' })), 422);
  assert.deepEqual(fieldsOf(p3), ['birth_date', 'gender'], 'both at once');
  const none = await list(S.admin, { pesel: person.pesel });
  assert.deepEqual(none.json.items, [], 'nothing was created');
});

test('a PESEL with a bad checksum is 422 invalid_checksum on pesel', async () => {
  for (let i = 0; i < 5; i++) {
    const good = randomPerson().pesel;
    await rejected(post(S.admin, body({ pesel: badChecksum(good) })), 'pesel', 'invalid_checksum');
  }
  await rejected(post(S.admin, body({ pesel: '44051401358' })), 'pesel', 'invalid_checksum');
  await rejected(post(S.admin, body({ pesel: '00000000001' })), 'pesel', 'invalid_checksum');
});

test('a PESEL that is not 11 digits is 422 on pesel', async () => {
  for (const pesel of ['4405140135', '440514013590', '4405140135a', ' 44051401359', '44-05-14-013', '', 44051401359, true, ['44051401359']]) {
    await rejected(post(S.admin, body({ pesel })), 'pesel');
  }
});

test('a PESEL of a date that does not exist is 422 invalid_checksum even with a right check digit: 30 February, 31 April, month 13, day 0', async () => {
  for (const date of ['1990-02-30', '2004-02-30', '1850-02-30', '1990-04-31', '2010-06-31', '1990-13-01', '1990-01-00', '1990-01-32']) {
    const pesel = peselOf(date);
    await rejected(post(S.admin, body({ pesel })), 'pesel', 'invalid_checksum');
  }
  // months that no century uses: 00, 93
  for (const first10 of ['9000011234', '9093011234']) {
    const pesel = first10 + R.peselCheckDigit(first10);
    await rejected(post(S.admin, body({ pesel })), 'pesel', 'invalid_checksum');
  }
});

test('the PESEL month gives the century: 1800s month + 80, 1900s as is, 2000s month + 20 (leap years of each)', async () => {
  const cases = [
    ['1850-01-01', 1850], ['1804-02-29', 1804], ['1899-12-31', 1899],
    ['1904-02-29', 1904], ['1999-12-31', 1999],
    ['2000-02-29', 2000], ['2012-07-15', 2012],
  ];
  for (const [date, year] of cases) {
    const r = await made({ pesel: peselOf(date) });
    assert.equal(r.birth_date, date, `PESEL ${r.pesel} of ${date}`);
    assert.equal(r.birth_year, year);
  }
  // 29 February of a year that is no leap year in that century
  for (const date of ['1800-02-29', '1900-02-29', '2100-02-29', '2200-02-29']) {
    await rejected(post(S.admin, body({ pesel: peselOf(date) })), 'pesel', 'invalid_checksum');
  }
});

test('a PESEL of the 2100s (month + 40) or 2200s (month + 60) is read as such: a birth date in the future, 422 on birth_date', async () => {
  for (const date of ['2101-12-31', '2104-02-29', '2204-02-29', '2299-06-30']) {
    const pesel = peselOf(date);
    const p = expectProblem(await post(S.admin, body({ pesel })), 422);
    const e = errorFor(p, 'birth_date');
    assert.equal(e.code, 'invalid', `${date}: ${JSON.stringify(p.errors)}`);
    assert.ok(!p.errors.some((x) => x.field === 'pesel' && x.code === 'invalid_checksum'), `${pesel} (${date}) is a well-formed PESEL: ${JSON.stringify(p.errors)}`);
  }
});

test('gender is required without a PESEL; then birth_date is optional and birth_year follows it', async () => {
  const p = await rejected(post(S.admin, body({ pesel: undefined })), 'gender', 'required');
  assert.equal(p.errors.length, 1, JSON.stringify(p.errors));
  const plain = await made({ pesel: undefined, gender: 'female' });
  assert.equal(plain.pesel, null);
  assert.equal(plain.birth_date, null);
  assert.equal(plain.birth_year, null);
  assert.equal(plain.gender, 'female');
  const dated = await made({ pesel: undefined, gender: 'male', birth_date: '1980-05-05' });
  assert.equal(dated.birth_year, 1980);
  assert.equal(dated.birth_date, '1980-05-05');
  for (const gender of ['other', 'Female', 'f', '', 1, true]) {
    await rejected(post(S.admin, body({ pesel: undefined, gender })), 'gender');
  }
  await rejected(post(S.admin, body({ pesel: undefined, gender: null })), 'gender', 'required');
});

test('a birth_date in the future or not a real date is 422 on birth_date', async () => {
  for (const birth_date of [addDays(warsawToday(), 2), '2999-01-01', '1990-02-30', '1990-2-3', '05.05.1980', 19800505]) {
    await rejected(post(S.admin, body({ pesel: undefined, gender: 'female', birth_date })), 'birth_date');
  }
});

test('a PESEL is unique among live beneficiaries: 409 naming pesel on create and on patch', async () => {
  const first = await made();
  const dup = expectProblem(await post(S.coordinator.chorzow, body({ pesel: first.pesel })), 409);
  assert.equal(firstErrorField(dup), 'pesel');
  const other = await made({ pesel: undefined, gender: first.gender });
  const p = expectProblem(await patch(S.admin, other.id, { pesel: first.pesel, birth_date: first.birth_date }, '"1"'), 409);
  assert.equal(firstErrorField(p), 'pesel');
  assert.equal((await get(S.admin, other.id)).json.version, 1, 'the patch changed nothing');
});

test('a deleted beneficiary\'s PESEL can be used again', async () => {
  const first = await made();
  assert.equal((await del(S.admin, first.id, '"1"')).status, 204);
  const again = await made({ pesel: first.pesel });
  assert.notEqual(again.id, first.id);
  assert.equal(again.pesel, first.pesel);
  const found = await list(S.admin, { pesel: first.pesel });
  assert.deepEqual(found.json.items.map((b) => b.id), [again.id], 'the deleted one is not listed');
});

test('consent_on is required and may not be in the future; today (in Warsaw) and earlier are fine', async () => {
  await rejected(post(S.admin, body({ consent_on: undefined })), 'consent_on', 'required');
  await rejected(post(S.admin, body({ consent_on: null })), 'consent_on', 'required');
  for (const consent_on of [addDays(warsawToday(), 2), '2999-12-31']) {
    await rejected(post(S.admin, body({ consent_on })), 'consent_on', 'invalid');
  }
  for (const consent_on of ['2026-02-30', 'yesterday', '2026-1-1', '2026-01-01T00:00:00Z', 20260101, true]) {
    await rejected(post(S.admin, body({ consent_on })), 'consent_on', 'invalid');
  }
  const today = await made({ consent_on: warsawToday() });
  assert.equal(today.consent_on, warsawToday());
  const old = await made({ consent_on: '2019-03-01' });
  assert.equal(old.consent_on, '2019-03-01');
});

test('support_end before support_start is 422 on support_end; the same day, or either alone, is fine', async () => {
  await rejected(post(S.admin, body({ support_start: '2026-03-02', support_end: '2026-03-01' })), 'support_end', 'invalid');
  const same = await made({ support_start: '2026-03-02', support_end: '2026-03-02' });
  assert.equal(same.support_end, '2026-03-02');
  const startOnly = await made({ support_start: '2026-03-02' });
  assert.equal(startOnly.support_end, null);
  const endOnly = await made({ support_end: '2026-03-02' });
  assert.equal(endOnly.support_start, null);
  // a patch that puts the end before the stored start
  await rejected(patch(S.admin, startOnly.id, { support_end: '2026-03-01' }, '"1"'), 'support_end', 'invalid');
  for (const support_start of ['2026-02-30', 'soon', 5]) {
    await rejected(post(S.admin, body({ support_start })), 'support_start', 'invalid');
  }
});

test('es_entity_id must name a live ES entity: an unknown, deleted or malformed one is 422 naming es_entity_id', async () => {
  const entity = await R.newEsEntity(server, S.admin, T);
  const r = await made({ es_entity_id: entity.id });
  assert.equal(r.es_entity_id, entity.id);
  await rejected(post(S.admin, body({ es_entity_id: UNKNOWN_ID })), 'es_entity_id', 'invalid');
  for (const es_entity_id of ['nope', 42, '', `${entity.id}0`]) {
    await rejected(post(S.admin, body({ es_entity_id })), 'es_entity_id');
  }
  const gone = await R.newEsEntity(server, S.admin, T);
  await R.removed(server, S.admin, 'es-entities', gone.id, R.setupApi);
  await rejected(post(S.admin, body({ es_entity_id: gone.id })), 'es_entity_id', 'invalid');
  await rejected(patch(S.admin, r.id, { es_entity_id: gone.id }, '"1"'), 'es_entity_id', 'invalid');
  const cleared = await patch(S.admin, r.id, { es_entity_id: null }, '"1"');
  assert.equal(cleared.status, 200, cleared.text);
  assert.equal(cleared.json.es_entity_id, null);
});

test('member_id must name a live partnership member: an unknown, deleted or malformed one is 422 naming member_id', async () => {
  const member = await R.newMember(server, S.admin, T);
  const r = await made({ member_id: member.id });
  assert.equal(r.member_id, member.id);
  await rejected(post(S.admin, body({ member_id: UNKNOWN_ID })), 'member_id', 'invalid');
  for (const member_id of ['nope', 7, '']) {
    await rejected(post(S.admin, body({ member_id })), 'member_id');
  }
  const gone = await R.newMember(server, S.admin, T);
  await R.removed(server, S.admin, 'partnership-members', gone.id, R.setupApi);
  await rejected(post(S.admin, body({ member_id: gone.id })), 'member_id', 'invalid');
  await rejected(patch(S.admin, r.id, { member_id: gone.id }, '"1"'), 'member_id', 'invalid');
  const p = expectProblem(await post(S.admin, body({ es_entity_id: UNKNOWN_ID, member_id: UNKNOWN_ID })), 422);
  assert.deepEqual(fieldsOf(p), ['es_entity_id', 'member_id'], 'both at once');
});

test('teryt_gmina must be a gmina of the region: one outside it, a malformed one or none is 422 on teryt_gmina', async () => {
  await rejected(post(S.admin, body({ teryt_gmina: OUTSIDE_REGION_GMINA })), 'teryt_gmina', 'invalid');
  await rejected(post(S.admin, body({ teryt_gmina: '1601999' })), 'teryt_gmina', 'invalid');
  for (const teryt_gmina of ['160101', '16010111', 'abcdefg', '', 1601011]) {
    await rejected(post(S.admin, body({ teryt_gmina })), 'teryt_gmina');
  }
  await rejected(post(S.admin, body({ teryt_gmina: undefined })), 'teryt_gmina', 'required');
  for (const g of gminas.slice(0, 3)) assert.equal((await made({ teryt_gmina: g })).teryt_gmina, g);
  const old = await made({ teryt_gmina: '1609122' });
  assert.equal(old.teryt_gmina, '1609123', 'Tułowice\'s old code is stored as the current one');
});

test('birth_year and erased are read-only: 422 read_only when sent, on create and on patch', async () => {
  for (const [field, value] of [['birth_year', 1980], ['erased', false], ['erased', true], ['birth_year', null]]) {
    await rejected(post(S.admin, body({ [field]: value })), field, 'read_only');
  }
  const r = await made();
  for (const [field, value] of [['birth_year', 1900], ['erased', true]]) {
    await rejected(patch(S.admin, r.id, { [field]: value }, '"1"'), field, 'read_only');
  }
  const read = await get(S.admin, r.id);
  assert.equal(read.json.version, 1);
  assert.equal(read.json.erased, false);
});

test('id, version, created_at and updated_at are read-only; partner is set by an admin only', async () => {
  for (const [field, value] of [['id', UNKNOWN_ID], ['version', 3], ['created_at', '2020-01-01T00:00:00Z'], ['updated_at', '2020-01-01T00:00:00Z']]) {
    await rejected(post(S.admin, body({ [field]: value })), field, 'read_only');
  }
  for (const who of [S.coordinator.byczyna, S.advisor.chorzow]) {
    await rejected(post(who, body({ partner: who.partner })), 'partner', 'read_only');
  }
  const theirs = await made({ partner: 'chorzow' }, S.admin);
  assert.equal(theirs.partner, 'chorzow', 'the admin (of byczyna) made a record of chorzow');
  await rejected(post(S.admin, body({ partner: 'nowhere' })), 'partner', 'invalid');
  const mine = await made({}, S.coordinator.byczyna);
  await rejected(patch(S.coordinator.byczyna, mine.id, { partner: 'chorzow' }, '"1"'), 'partner', 'read_only');
  const moved = await patch(S.admin, mine.id, { partner: 'chorzow' }, '"1"');
  assert.equal(moved.status, 200, moved.text);
  assert.equal(moved.json.partner, 'chorzow');
});

test('first_name and last_name are required, 1 to 100 characters; unknown fields are 422 unknown_field', async () => {
  for (const f of ['first_name', 'last_name']) {
    await rejected(post(S.admin, body({ [f]: undefined })), f, 'required');
    await rejected(post(S.admin, body({ [f]: null })), f, 'required');
    await rejected(post(S.admin, body({ [f]: 'ł'.repeat(101) })), f, 'too_long');
    await rejected(post(S.admin, body({ [f]: 12 })), f, 'invalid');
  }
  const long = await made({ first_name: 'Ż'.repeat(100), last_name: `${T} ${'ś'.repeat(100 - T.length - 1)}` });
  assert.equal(long.first_name, 'Ż'.repeat(100), '100 characters (not bytes) are fine');
  for (const f of ['nationality', 'PESEL', 'birthDate', 'deleted_at']) {
    await rejected(post(S.admin, body({ [f]: 'x' })), f, 'unknown_field');
  }
});

test('education, labour_status, e-mail, phone, postal code and street are checked', async () => {
  const cases = [
    ['education', 'phd'], ['education', 'TERTIARY'], ['labour_status', 'retired'], ['labour_status', 3],
    ['email', 'not-an-email'], ['email', 'a@b'], ['email', `${'a'.repeat(250)}@example.org`],
    ['phone', 'call me'], ['phone', '12'], ['phone', '+48 600 000 000 000 000 000'],
    ['postal_code', '46220'], ['postal_code', '46-22'], ['postal_code', 'ab-cde'],
    ['street', 'u'.repeat(201)], ['street', 5],
  ];
  for (const [field, value] of cases) await rejected(post(S.admin, body({ [field]: value })), field);
  for (const education of ['none', 'primary', 'lower_secondary', 'upper_secondary', 'post_secondary', 'tertiary']) {
    assert.equal((await made({ education })).education, education);
  }
  for (const labour_status of ['employed', 'unemployed', 'long_term_unemployed', 'inactive', 'self_employed']) {
    assert.equal((await made({ labour_status })).labour_status, labour_status);
  }
});

test('a create with many bad fields lists every one of them at once', async () => {
  const p = expectProblem(await post(S.coordinator.byczyna, {
    first_name: '', pesel: '12345678901', teryt_gmina: OUTSIDE_REGION_GMINA, consent_on: '2999-01-01',
    education: 'phd', support_start: '2026-05-02', support_end: '2026-05-01', es_entity_id: UNKNOWN_ID,
    birth_year: 1, partner: 'chorzow', colour: 'blue',
  }), 422);
  const fields = fieldsOf(p);
  for (const f of ['first_name', 'last_name', 'pesel', 'gender', 'teryt_gmina', 'consent_on', 'education',
    'support_end', 'es_entity_id', 'birth_year', 'partner', 'colour']) {
    assert.ok(fields.includes(f), `${f} is among ${fields.join(', ')}`);
  }
  for (const e of p.errors) assert.equal(e.pointer, `/${e.field}`);
});

test('POST with a body that is not a JSON object is 400; text/plain is 415', async () => {
  for (const raw of ['[]', '"x"', '1', 'null', '{"first_name":']) {
    expectProblem(await api(server, 'POST', '/v1/beneficiaries', { headers: { ...S.admin.headers, 'Content-Type': 'application/json' }, rawBody: raw }), 400);
  }
  expectProblem(await api(server, 'POST', '/v1/beneficiaries', { headers: { ...S.admin.headers, 'Content-Type': 'text/plain' }, rawBody: JSON.stringify(body()) }), 415);
});

test('Idempotency-Key replays a create exactly; another body with the same key is 422', async () => {
  const key = R.tag('idem');
  const b = body();
  const first = await post(S.advisor.byczyna, b, { 'Idempotency-Key': key });
  assert.equal(first.status, 201, first.text);
  const again = await post(S.advisor.byczyna, b, { 'Idempotency-Key': key });
  assert.equal(again.status, 201, again.text);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.text, first.text);
  expectProblem(await post(S.advisor.byczyna, { ...b, education: 'tertiary' }, { 'Idempotency-Key': key }), 422);
  const found = await list(S.admin, { pesel: b.pesel });
  assert.equal(found.json.items.length, 1, 'one beneficiary, not two');
});

// ---- read, list, patch, delete ----

test('GET /v1/beneficiaries/{id} gives ETag; If-None-Match with it is 304; an unknown or malformed id is 404', async () => {
  const r = await made();
  const res = await get(S.auditor, r.id);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('etag'), '"1"');
  const cached = await get(S.auditor, r.id, { 'If-None-Match': '"1"' });
  assert.equal(cached.status, 304);
  assert.equal(cached.text, '');
  for (const id of [UNKNOWN_ID, 'nope', '1', `${UNKNOWN_ID}0`, "'%20OR%201=1--"]) {
    expectProblem(await get(S.admin, id), 404);
    expectProblem(await get(S.integration, id), 404);
  }
  expectProblem(await api(server, 'GET', `/v1/beneficiaries/${r.id}?pesel=${r.pesel}`, { headers: S.admin.headers }), 400);
});

test('PATCH merges the change with If-Match (428 without, 412 when stale) and gives version + 1', async () => {
  const r = await made({ education: 'primary', support_start: '2026-01-01' });
  expectProblem(await patch(S.admin, r.id, { education: 'tertiary' }), 428);
  const stale = expectProblem(await patch(S.admin, r.id, { education: 'tertiary' }, '"2"'), 412);
  assert.ok(stale);
  const res = await patch(S.admin, r.id, { education: 'tertiary', support_end: '2026-12-31', phone: null }, '"1"');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('etag'), '"2"');
  assert.equal(res.json.version, 2);
  assert.equal(res.json.education, 'tertiary');
  assert.equal(res.json.support_end, '2026-12-31');
  assert.equal(res.json.phone, null, 'null clears an optional field');
  assert.equal(res.json.pesel, r.pesel, 'what the patch does not name stays');
  assert.equal(res.json.first_name, r.first_name);
  assert.equal(res.json.birth_year, r.birth_year);
  assert.ok(Date.parse(res.json.updated_at) >= Date.parse(r.updated_at));
  expectProblem(await patch(S.admin, r.id, { education: 'none' }, '"1"'), 412);
  for (const f of ['first_name', 'last_name', 'teryt_gmina', 'consent_on']) {
    await rejected(patch(S.admin, r.id, { [f]: null }, '"2"'), f, 'required');
  }
  const json = await api(server, 'PATCH', `/v1/beneficiaries/${r.id}`, {
    headers: { ...S.admin.headers, 'If-Match': '"2"', 'Content-Type': 'application/json' }, body: { labour_status: 'employed' },
  });
  assert.equal(json.status, 200, `application/json works too: ${json.text}`);
  assert.equal(json.json.version, 3);
});

test('PATCH of the PESEL keeps the rules: a stored birth_date of the old PESEL is 422, cleared with it both are derived again', async () => {
  const r = await made();
  const next = randomPerson({ male: r.gender !== 'male' });
  const p = expectProblem(await patch(S.admin, r.id, { pesel: next.pesel }, '"1"'), 422);
  assert.ok(fieldsOf(p).includes('birth_date') || fieldsOf(p).includes('gender'), JSON.stringify(p.errors));
  const res = await patch(S.admin, r.id, { pesel: next.pesel, birth_date: null, gender: null }, '"1"');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.json.birth_date, next.birth_date);
  assert.equal(res.json.gender, next.gender);
  assert.equal(res.json.birth_year, Number(next.birth_date.slice(0, 4)));
  await rejected(patch(S.admin, r.id, { pesel: badChecksum(next.pesel) }, '"2"'), 'pesel', 'invalid_checksum');
  // without the PESEL, gender is required again
  await rejected(patch(S.admin, r.id, { pesel: null, gender: null }, '"2"'), 'gender', 'required');
});

test('DELETE needs If-Match; afterwards a read, a patch and another delete are 404 and lists leave it out', async () => {
  const r = await made();
  expectProblem(await del(S.admin, r.id), 428);
  expectProblem(await del(S.admin, r.id, '"9"'), 412);
  const res = await del(S.admin, r.id, '"1"');
  assert.equal(res.status, 204);
  assert.equal(res.text, '');
  expectProblem(await get(S.admin, r.id), 404);
  expectProblem(await patch(S.admin, r.id, { education: 'none' }, '"2"'), 404);
  expectProblem(await del(S.admin, r.id, '"2"'), 404);
  expectProblem(await erase(S.admin, r.id, '"2"'), 404);
  const listed = await list(S.admin, { q: r.last_name });
  assert.deepEqual(listed.json.items, []);
});

test('the list filters by gender, education, labour_status, teryt_gmina, es_entity_id, member_id and partner, and q finds names', async () => {
  const t = R.tag('f');
  const entity = await R.newEsEntity(server, S.admin, t);
  const member = await R.newMember(server, S.admin, t);
  const [g1, g2] = gminas.slice(5, 7);
  const specs = [
    { education: 'primary', labour_status: 'employed', teryt_gmina: g1, es_entity_id: entity.id, partner: 'byczyna' },
    { education: 'tertiary', labour_status: 'inactive', teryt_gmina: g2, member_id: member.id, partner: 'chorzow' },
    { education: 'tertiary', labour_status: 'employed', teryt_gmina: g1, es_entity_id: entity.id, member_id: member.id, partner: 'chorzow' },
  ];
  const recs = [];
  for (const s of specs) recs.push(await R.newBeneficiary(server, S.admin, `${T} ${t}`, s));
  const ids = (res) => res.json.items.map((b) => b.id).sort();
  const want = (...i) => i.map((k) => recs[k].id).sort();
  const q = { q: t };
  assert.deepEqual(ids(await list(S.admin, q)), want(0, 1, 2));
  assert.deepEqual(ids(await list(S.admin, { ...q, education: 'tertiary' })), want(1, 2));
  assert.deepEqual(ids(await list(S.admin, { ...q, labour_status: 'employed' })), want(0, 2));
  assert.deepEqual(ids(await list(S.admin, { ...q, teryt_gmina: g1 })), want(0, 2));
  assert.deepEqual(ids(await list(S.admin, { es_entity_id: entity.id })), want(0, 2));
  assert.deepEqual(ids(await list(S.admin, { member_id: member.id })), want(1, 2));
  assert.deepEqual(ids(await list(S.admin, { ...q, partner: 'chorzow' })), want(1, 2));
  assert.deepEqual(ids(await list(S.admin, { ...q, partner: 'byczyna', education: 'primary' })), want(0));
  const g = recs[0].gender;
  assert.deepEqual(ids(await list(S.admin, { ...q, gender: g })), recs.filter((r) => r.gender === g).map((r) => r.id).sort());
  assert.deepEqual(ids(await list(S.admin, { q: recs[1].first_name.toUpperCase() })), want(1), 'q is a case-insensitive substring of first_name');
  assert.deepEqual(ids(await list(S.integration, { q: t })), want(0, 1, 2), 'integration lists them too');
});

test('sort=last_name orders by last name both ways, and pages of limit=1 visit each once', async () => {
  const t = R.tag('s');
  const names = ['Cebula', 'Adamczyk', 'Ędrzejczak', 'Bąk', 'Zając'];
  const recs = [];
  for (const n of names) recs.push(await made({ last_name: `${t} ${n}` }));
  const asc = await list(S.admin, { q: t, sort: 'last_name' });
  assert.equal(asc.status, 200, asc.text);
  const got = asc.json.items.map((b) => b.last_name.slice(t.length + 1));
  assert.deepEqual(got, ['Adamczyk', 'Bąk', 'Cebula', 'Ędrzejczak', 'Zając'], 'Polish alphabetical order');
  const desc = await list(S.admin, { q: t, sort: '-last_name' });
  assert.deepEqual(desc.json.items.map((b) => b.id), [...asc.json.items.map((b) => b.id)].reverse());
  for (const sort of ['last_name', '-last_name', 'created_at', '-created_at', 'updated_at', '-updated_at']) {
    const seen = [];
    let cursor = null;
    for (let i = 0; i < 10; i++) {
      const res = await list(S.admin, { q: t, sort, limit: '1', ...(cursor ? { cursor } : {}) });
      assert.equal(res.status, 200, res.text);
      seen.push(...res.json.items.map((b) => b.id));
      cursor = res.json.next_cursor;
      if (!cursor) break;
      assert.match(res.headers.get('link') || '', /rel="?next"?/);
    }
    assert.equal(seen.length, recs.length, `sort=${sort}: every record once`);
    assert.equal(new Set(seen).size, recs.length);
    const whole = await list(S.admin, { q: t, sort });
    assert.deepEqual(seen, whole.json.items.map((b) => b.id), `sort=${sort}: pages in the order of one page`);
  }
});

test('bad list parameters are 400 naming them', async () => {
  const cases = [
    [{ gender: 'other' }, 'gender'], [{ education: 'phd' }, 'education'], [{ labour_status: 'x' }, 'labour_status'],
    [{ es_entity_id: 'nope' }, 'es_entity_id'], [{ member_id: '1' }, 'member_id'], [{ partner: 'nowhere' }, 'partner'],
    [{ sort: 'pesel' }, 'sort'], [{ sort: 'first_name' }, 'sort'], [{ sort: 'name' }, 'sort'], [{ limit: '0' }, 'limit'],
    [{ limit: '201' }, 'limit'], [{ cursor: 'garbage' }, 'cursor'], [{ q: '' }, 'q'], [{ q: 'x'.repeat(101) }, 'q'],
    [{ updated_since: 'yesterday' }, 'updated_since'], [{ birth_year: '1980' }, 'birth_year'], [{ erased: 'true' }, 'erased'],
    [{ email: 'a@example.org' }, 'email'], [{ first_name: 'Anna' }, 'first_name'], [{ foo: '1' }, 'foo'],
  ];
  for (const [query, field] of cases) {
    const p = expectProblem(await list(S.admin, query), 400);
    assert.equal(firstErrorField(p), field, JSON.stringify(query));
  }
});

// ---- personal data (DESIGN §2) ----

/* One beneficiary of each partner, with every PII field, as the admin sees it. */
async function onePerPartner() {
  const out = {};
  for (const partner of ['byczyna', 'chorzow']) {
    const made1 = await R.newBeneficiary(server, S.coordinator[partner], T, {});
    const read = await get(S.admin, made1.id);
    assert.equal(read.status, 200);
    for (const f of PII_FIELDS) assert.equal(typeof read.json[f], 'string', `${f} is set`);
    out[partner] = read.json;
  }
  return out;
}

test('PII keys are present exactly for admin, auditor and the own partner\'s coordinator and advisor — in a read and a list — and names for everyone', async () => {
  const recs = await onePerPartner();
  for (const who of S.all) {
    for (const rec of Object.values(recs)) {
      const shown = seesPii(who, rec.partner);
      const ctx = `${who.label} reading a beneficiary of ${rec.partner}`;
      const one = await get(who, rec.id);
      assert.equal(one.status, 200, `${ctx}: ${one.text}`);
      assertPiiKeys(one.json, shown, ctx);
      if (shown) for (const f of PII_FIELDS) assert.equal(one.json[f], rec[f], `${ctx}: ${f}`);
      else assertNoPiiIn(one.text, rec, ctx);
      const many = await list(who, { q: rec.last_name });
      assert.equal(many.status, 200, many.text);
      assert.equal(many.json.items.length, 1, `${ctx} (list)`);
      assertPiiKeys(many.json.items[0], shown, `${ctx} (list)`);
      if (!shown) assertNoPiiIn(many.text, rec, `${ctx} (list)`);
      // a list of both partners' records shows each as its partner allows
      const both = await list(who, { q: T, limit: '200' });
      for (const item of both.json.items) assertPiiKeys(item, seesPii(who, item.partner), `${who.label} listing (${item.partner})`);
      if (!shown) assertNoPiiIn(both.text, rec, `${ctx} (list of all)`);
    }
  }
});

test('the response to a create or a patch carries PII for whoever may write the beneficiary', async () => {
  const writers = [
    [S.admin, 'byczyna'], [S.admin, 'chorzow'],
    [S.coordinator.byczyna, 'byczyna'], [S.coordinator.chorzow, 'chorzow'],
    [S.advisor.byczyna, 'byczyna'], [S.advisor.chorzow, 'chorzow'],
  ];
  for (const [who, partner] of writers) {
    const b = body(who.role === 'admin' ? { partner } : {});
    const res = await post(who, b);
    assert.equal(res.status, 201, `${who.label}: ${res.text}`);
    assert.equal(res.json.partner, partner);
    assertPiiKeys(res.json, true, `${who.label} creating for ${partner}`);
    assert.equal(res.json.pesel, b.pesel);
    const p = await patch(who, res.json.id, { email: `new.${R.tag('e')}@example.org` }, '"1"');
    assert.equal(p.status, 200, p.text);
    assertPiiKeys(p.json, true, `${who.label} patching one of ${partner}`);
  }
});

test('?pesel= finds a beneficiary for admin, auditor, coordinator and advisor; for integration it is 400 naming pesel', async () => {
  const recs = await onePerPartner();
  for (const who of S.all) {
    for (const rec of Object.values(recs)) {
      const res = await list(who, { pesel: rec.pesel });
      if (who.role === 'integration') {
        const p = expectProblem(res, 400);
        assert.equal(firstErrorField(p), 'pesel');
        continue;
      }
      assert.equal(res.status, 200, `${who.label}: ${res.text}`);
      const shown = seesPii(who, rec.partner);
      if (shown) {
        assert.deepEqual(res.json.items.map((b) => b.id), [rec.id], `${who.label} finds the one of ${rec.partner} by PESEL`);
        assert.equal(res.json.items[0].pesel, rec.pesel);
      } else {
        // the other partner's record: whatever is listed, no PII in it
        for (const item of res.json.items) assertPiiKeys(item, false, `${who.label} looking up a PESEL of ${rec.partner}`);
        assertNoPiiIn(res.text, rec, `${who.label} looking up a PESEL of ${rec.partner}`);
      }
    }
  }
  const none = await list(S.admin, { pesel: randomPerson().pesel });
  assert.deepEqual(none.json.items, []);
});

test('a pesel or teryt_gmina filter that is no PESEL or TERYT code at all is 400 naming it', async () => {
  const failures = [];
  for (const [field, value] of [['pesel', 'abc'], ['pesel', '4405140135a'], ['pesel', "' OR 1=1"], ['pesel', '440514013590'],
    ['teryt_gmina', 'abc'], ['teryt_gmina', "1601011'"], ['teryt_gmina', '160101']]) {
    const res = await list(S.admin, { [field]: value });
    if (res.status !== 400 || firstErrorField(expectProblem(res, 400)) !== field) failures.push(`${field}=${value}: ${res.status} ${res.text.slice(0, 120)}`);
  }
  assert.deepEqual(failures, []);
});

test('no PII value reaches a caller who may not see it: not in refusals, not in the audit log, not in the change feed', async () => {
  const head = await R.feedHead(server, S.integration);
  const rec = (await onePerPartner()).byczyna;
  const outsiders = [S.coordinator.chorzow, S.advisor.chorzow, S.integration];
  for (const who of outsiders) {
    const responses = [
      await patch(who, rec.id, { education: 'none' }, '"1"'),
      await del(who, rec.id, '"1"'),
      await erase(who, rec.id, '"1"'),
      await get(who, `${rec.id}`, { 'If-None-Match': '"2"' }),
      await api(server, 'GET', `/v1/beneficiaries/${rec.id}/deliveries`, { headers: who.headers }),
      await list(who, { q: rec.first_name }),
    ];
    for (const res of responses) {
      assert.ok(res.status < 500, res.text);
      assertNoPiiIn(res.text, rec, `${who.label}: ${res.status}`);
    }
  }
  // the audit log keeps the names of the fields, never their values (even for the admin)
  const patchedRes = await patch(S.admin, rec.id, { email: `other.${R.tag('e')}@example.org`, street: 'ul. Inna 3' }, '"1"');
  assert.equal(patchedRes.status, 200, patchedRes.text);
  const audit = await R.auditOf(server, S.admin, 'beneficiaries', rec.id);
  assert.ok(audit.json.items.length >= 2, `create and update are audited: ${audit.text}`);
  const update = audit.json.items.find((e) => e.action === 'update');
  assert.ok(update, audit.text);
  assert.ok(update.fields.includes('email') && update.fields.includes('street'), JSON.stringify(update.fields));
  assertNoPiiIn(audit.text, rec, 'the audit log');
  assertNoPiiIn(audit.text, patchedRes.json, 'the audit log');
  const feed = await R.feedSince(server, S.integration, head);
  const mine = feed.filter((c) => c.resource === 'beneficiaries' && c.id === rec.id);
  assert.deepEqual(mine.map((c) => [c.op, c.version]), [['upsert', 1], ['upsert', 2]], 'the change feed has the create and the patch');
  assertNoPiiIn(JSON.stringify(mine), rec, 'the change feed');
});

// ---- erasure ----

test('only an admin may erase: the owner partner\'s coordinator and advisor, the auditor and integration get 403; an unknown id is 404 first', async () => {
  const rec = await made({}, S.coordinator.byczyna);
  for (const who of [S.coordinator.byczyna, S.advisor.byczyna, S.coordinator.chorzow, S.auditor, S.integration]) {
    expectProblem(await erase(who, rec.id, '"1"'), 403);
    expectProblem(await erase(who, UNKNOWN_ID, '"1"'), 404);
    expectProblem(await erase(who, 'not-a-uuid', '"1"'), 404);
  }
  const read = await get(S.admin, rec.id);
  assert.equal(read.json.erased, false);
  assert.equal(read.json.version, 1);
});

test('erasure needs If-Match: 428 without it, 412 when stale', async () => {
  const rec = await made();
  expectProblem(await erase(S.admin, rec.id), 428);
  const stale = await erase(S.admin, rec.id, '"2"');
  expectProblem(stale, 412);
  assert.equal(stale.headers.get('etag'), '"1"', 'the 412 carries the current ETag');
  assert.equal((await get(S.admin, rec.id)).json.erased, false);
});

test('erasure replaces names and PII by null, keeps gender, birth_year, gmina, education, labour status, consent and support dates; erased true, version + 1', async () => {
  const entity = await R.newEsEntity(server, S.admin, T);
  const member = await R.newMember(server, S.admin, T);
  const rec = await made({ es_entity_id: entity.id, member_id: member.id, support_start: '2026-01-10', support_end: '2026-02-20',
    education: 'post_secondary', labour_status: 'long_term_unemployed' }, S.coordinator.chorzow);
  const res = await erase(S.admin, rec.id, '"1"');
  assert.equal(res.status, 200, res.text);
  assert.equal(res.headers.get('etag'), '"2"');
  const e = res.json;
  assert.deepEqual(Object.keys(e).sort(), BENEFICIARY_FIELDS);
  for (const f of ['first_name', 'last_name', 'pesel', 'birth_date', 'street', 'postal_code', 'email', 'phone', 'es_entity_id', 'member_id']) {
    assert.equal(e[f], null, `${f} is null`);
  }
  for (const f of ['id', 'partner', 'gender', 'birth_year', 'teryt_gmina', 'education', 'labour_status', 'consent_on', 'support_start', 'support_end', 'created_at']) {
    assert.deepEqual(e[f], rec[f], `${f} is kept`);
  }
  assert.equal(e.erased, true);
  assert.equal(e.version, 2);
  assertNoPiiIn(res.text, rec, 'the erased record');
  for (const v of [rec.first_name, rec.last_name]) assert.ok(!res.text.includes(v), 'names are gone');
  for (const who of S.all) {
    const read = await get(who, rec.id);
    assert.equal(read.status, 200, `${who.label}: ${read.text}`);
    assert.equal(read.json.erased, true);
    assert.equal(read.json.first_name, null);
    assertNoPiiIn(read.text, rec, `${who.label} reading the erased record`);
    assert.ok(!read.text.includes(rec.last_name));
  }
});

test('an erased beneficiary cannot be patched or erased again (409), with a current If-Match', async () => {
  const rec = await made();
  assert.equal((await erase(S.admin, rec.id, '"1"')).status, 200);
  const p = await patch(S.admin, rec.id, { education: 'none' }, '"2"');
  expectProblem(p, 409);
  const p2 = await patch(S.admin, rec.id, { first_name: 'Wróciła' }, '"2"');
  expectProblem(p2, 409);
  expectProblem(await erase(S.admin, rec.id, '"2"'), 409);
  const read = await get(S.admin, rec.id);
  assert.equal(read.json.version, 2);
  assert.equal(read.json.first_name, null);
});

test('erasure reaches the stored answer of an Idempotency-Key create: a replay of the create is 410 with no PII, the person is not made again, and no row of idempotency_keys (nor of the audit log or the change feed) holds the PESEL or the names', async () => {
  const key = R.tag('idem-erase');
  assert.match(key, /^[A-Za-z0-9-]+$/);
  const b = body({ street: `ul. Wymazana ${R.tag('s')}` });
  const who = S.coordinator.byczyna;
  const first = await post(who, b, { 'Idempotency-Key': key });
  assert.equal(first.status, 201, first.text);
  const rec = first.json;
  const pii = [b.pesel, b.first_name, b.last_name, b.email, b.phone, b.street].filter(Boolean);
  for (const v of pii) assert.match(v, /^[^']+$/, 'a value that can go into SQL as a literal');
  const rowText = `SELECT count(*) FROM idempotency_keys k WHERE k::text LIKE '%${b.pesel}%'`;
  assert.equal(await psql(process.env.IPS_TEST_DATABASE_URL, rowText), '1', 'before the erasure the stored answer holds the PESEL');

  const erased = await erase(S.admin, rec.id.toUpperCase(), '"1"');
  assert.equal(erased.status, 200, erased.text);

  // the retry of the create, same key and body, then another body: 410, nothing of the person in it
  for (const again of [b, { ...b, education: 'tertiary' }]) {
    const res = await post(who, again, { 'Idempotency-Key': key });
    const p = expectProblem(res, 410);
    assert.equal(firstErrorField(p), 'Idempotency-Key');
    assert.equal(p.errors[0].code, 'erased');
    assert.equal(res.headers.get('idempotent-replayed'), null, 'not a replay');
    assert.equal(res.headers.get('location'), null);
    const all = `${res.text} ${JSON.stringify([...res.headers])}`;
    for (const v of pii) assert.ok(!all.includes(v), `${v} appears in ${all.slice(0, 400)}`);
  }
  // not created again: the PESEL names no live record, the erased one is still the only one made
  assert.deepEqual((await list(S.admin, { pesel: b.pesel })).json.items, []);
  assert.deepEqual((await list(S.admin, { q: b.last_name })).json.items.map((x) => x.id), [], 'no record with the names');
  assert.equal((await get(S.admin, rec.id)).json.erased, true);

  // what the table keeps: the key, claimed, and nothing of the request or the answer
  const url = process.env.IPS_TEST_DATABASE_URL;
  for (const v of pii) {
    for (const table of ['idempotency_keys', 'audit_log', 'changes']) {
      assert.equal(await psql(url, `SELECT count(*) FROM ${table} t WHERE t::text LIKE '%${v}%'`), '0', `${v} is in no row of ${table}`);
    }
  }
  assert.equal(await psql(url, `SELECT count(*) FROM idempotency_keys WHERE location LIKE '%${rec.id}%' OR body LIKE '%${rec.id}%'`), '0');
  assert.equal(await psql(url, `SELECT concat_ws(',', request_hash, status IS NULL, body IS NULL, etag IS NULL, location IS NULL) FROM idempotency_keys WHERE key = '${key}'`),
    'erased,t,t,t,t', 'the key is kept, and only that its record was erased (no request hash either)');
});

test('an erased beneficiary\'s PESEL, gone for good, may be given to a new record', async () => {
  const rec = await made();
  assert.equal((await erase(S.admin, rec.id, '"1"')).status, 200);
  const found = await list(S.admin, { pesel: rec.pesel });
  assert.deepEqual(found.json.items, [], 'the erased record is not found by its PESEL');
  const again = await made({ pesel: rec.pesel });
  assert.equal(again.pesel, rec.pesel);
});

test('erasure takes no body (400) and no query parameters (400)', async () => {
  const rec = await made();
  expectProblem(await erase(S.admin, rec.id, '"1"', { body: { reason: 'asked' } }), 400);
  expectProblem(await erase(S.admin, rec.id, '"1"', { query: '?force=true' }), 400);
  assert.equal((await get(S.admin, rec.id)).json.erased, false);
  assert.equal((await erase(S.admin, rec.id, '"1"')).status, 200);
});

test('erasure is audited (action erase, no values) and is an upsert in the change feed', async () => {
  const head = await R.feedHead(server, S.integration);
  const rec = await made();
  const res = await erase(S.admin, rec.id, '"1"', { headers: { 'X-Request-Id': `erase-${T}` } });
  assert.equal(res.status, 200, res.text);
  const audit = await R.auditOf(server, S.admin, 'beneficiaries', rec.id);
  const entry = audit.json.items.find((e) => e.action === 'erase');
  assert.ok(entry, `an erase entry: ${audit.text}`);
  assert.equal(entry.actor, S.admin.id);
  assert.equal(entry.request_id, `erase-${T}`);
  assert.equal(entry.resource, 'beneficiaries');
  assertNoPiiIn(audit.text, rec, 'the audit of the erasure');
  assert.ok(!audit.text.includes(rec.last_name), 'no names in the audit log');
  const feed = await R.feedSince(server, S.integration, head);
  const mine = feed.filter((c) => c.resource === 'beneficiaries' && c.id === rec.id);
  assert.deepEqual(mine.map((c) => [c.op, c.version]), [['upsert', 1], ['upsert', 2]]);
});

test('an erased beneficiary cannot be added to a delivery (422 beneficiary_id); its attendance given before stays listed without names, and so does its support history', async () => {
  const seminar = await R.newDelivery(server, S.coordinator.byczyna, T, { service_id: services.seminar.id, started_at: '2026-04-01T10:00:00Z' });
  const later = await R.newDelivery(server, S.coordinator.byczyna, T, { service_id: services.training.id, started_at: '2026-04-02T10:00:00Z' });
  const rec = await made({}, S.coordinator.byczyna);
  const put = await api(server, 'PUT', `/v1/deliveries/${seminar.id}/participants/${rec.id}`, { headers: S.coordinator.byczyna.headers, body: { attended: true } });
  assert.equal(put.status, 201, put.text);
  assert.equal((await erase(S.admin, rec.id, '"1"')).status, 200);
  const refused = await api(server, 'PUT', `/v1/deliveries/${later.id}/participants/${rec.id}`, { headers: S.coordinator.byczyna.headers, body: { attended: true } });
  assert.equal(firstErrorField(expectProblem(refused, 422)), 'beneficiary_id');
  const again = await api(server, 'PUT', `/v1/deliveries/${seminar.id}/participants/${rec.id}`, { headers: S.admin.headers, body: { attended: false } });
  assert.equal(firstErrorField(expectProblem(again, 422)), 'beneficiary_id', 'not even an admin changes an erased person\'s attendance');
  const listed = await api(server, 'GET', `/v1/deliveries/${seminar.id}/participants`, { headers: S.auditor.headers });
  assert.equal(listed.status, 200, listed.text);
  const item = listed.json.items.find((p) => p.beneficiary_id === rec.id);
  assert.ok(item, `the erased beneficiary's attendance is still listed: ${listed.text}`);
  assert.deepEqual(item, { beneficiary_id: rec.id, attended: true, first_name: null, last_name: null, partner: 'byczyna' });
  const history = await api(server, 'GET', `/v1/beneficiaries/${rec.id}/deliveries`, { headers: S.admin.headers });
  assert.equal(history.status, 200, history.text);
  assert.deepEqual(history.json.items.map((h) => h.delivery_id), [seminar.id], 'the support history is kept');
  assert.equal(history.json.items[0].kind, 'seminar');
  assert.equal(history.json.items[0].attended, true);
});

// ---- the role × partner matrix (src/auth/policy.c) ----

test('role × partner: who may read, list, create, update, delete and erase beneficiaries is exactly src/auth/policy.c', async () => {
  const failures = [];
  const expect = (cond, msg) => { if (!cond) failures.push(msg); };
  for (const who of S.all) {
    // create: owned by the caller's partner
    const c = await post(who, body());
    const mayCreate = allowed('beneficiaries', who, 'create');
    expect(c.status === (mayCreate ? 201 : 403), `${who.label} POST: ${c.status} (expected ${mayCreate ? 201 : 403})`);
    if (c.status === 201) expect(c.json.partner === who.partner, `${who.label} POST: partner ${c.json.partner}`);
    if (c.status !== 201) expectProblem(c, c.status);
    const l = await list(who, { q: T, limit: '5' });
    expect(l.status === 200, `${who.label} list: ${l.status}`);
    for (const owner of ['byczyna', 'chorzow']) {
      const rec = await made({ partner: owner }, S.admin);
      const ctx = `${who.label} on a record of ${owner}`;
      const r = await get(who, rec.id);
      expect(r.status === (allowed('beneficiaries', who, 'read', owner) ? 200 : 403), `${ctx}: GET ${r.status}`);
      const u = await patch(who, rec.id, { education: 'none' }, '"1"');
      const mayUpdate = allowed('beneficiaries', who, 'update', owner);
      expect(u.status === (mayUpdate ? 200 : 403), `${ctx}: PATCH ${u.status} (expected ${mayUpdate ? 200 : 403}) ${u.text.slice(0, 200)}`);
      const v = mayUpdate && u.status === 200 ? '"2"' : '"1"';
      const d = await del(who, rec.id, v);
      const mayDelete = allowed('beneficiaries', who, 'delete', owner);
      expect(d.status === (mayDelete ? 204 : 403), `${ctx}: DELETE ${d.status} (expected ${mayDelete ? 204 : 403})`);
      if (!mayDelete) {
        const still = await get(S.admin, rec.id);
        expect(still.status === 200 && still.json.version === (u.status === 200 ? 2 : 1), `${ctx}: a refused write changed nothing`);
      }
      const rec2 = await made({ partner: owner }, S.admin);
      const e = await erase(who, rec2.id, '"1"');
      const mayErase = allowed('beneficiaries', who, 'erase', owner);
      expect(e.status === (mayErase ? 200 : 403), `${ctx}: erasure ${e.status} (expected ${mayErase ? 200 : 403})`);
      if (!mayErase) expect((await get(S.admin, rec2.id)).json.erased === false, `${ctx}: a refused erasure erased`);
    }
  }
  assert.deepEqual(failures, []);
});

test('a forbidden write is 403 before If-Match is looked at (no 428 for who may not write)', async () => {
  const rec = await made({ partner: 'byczyna' });
  for (const who of [S.coordinator.chorzow, S.advisor.chorzow, S.auditor, S.integration]) {
    expectProblem(await patch(who, rec.id, { education: 'none' }), 403);
    expectProblem(await del(who, rec.id), 403);
  }
  expectProblem(await del(S.advisor.byczyna, rec.id), 403);
  expectProblem(await erase(S.coordinator.byczyna, rec.id), 403);
});

// ---- hostile input ----

const STRING_FIELDS = ['first_name', 'last_name', 'pesel', 'street', 'postal_code', 'email', 'phone', 'teryt_gmina', 'gender', 'education', 'labour_status'];
const ALL_FIELDS = [...STRING_FIELDS, 'birth_date', 'consent_on', 'support_start', 'support_end', 'es_entity_id', 'member_id'];

test('hostile bodies to POST and PATCH /v1/beneficiaries are a 4xx problem, never a 5xx', async () => {
  const rec = await made();
  const send = async (what, opts) => {
    const a = await api(server, 'POST', '/v1/beneficiaries', { ...opts, headers: { ...S.coordinator.byczyna.headers, ...(opts.headers || {}) } });
    R.expectClientError(a, `POST ${what}`);
    const b = await api(server, 'PATCH', `/v1/beneficiaries/${rec.id}`, { ...opts, headers: { ...S.admin.headers, 'If-Match': '"1"', ...(opts.headers || {}) } });
    R.expectClientError(b, `PATCH ${what}`);
  };
  for (const raw of R.GARBAGE_BODIES) await send(JSON.stringify(raw), { rawBody: raw, headers: { 'Content-Type': 'application/json' } });
  for (const f of ALL_FIELDS) {
    for (const v of R.WRONG_TYPES) await send(`${f}=${JSON.stringify(v)}`, { body: body({ [f]: v }) });
    await send(`${f}=100000 characters`, { body: body({ [f]: R.LONG }) });
    await send(`${f} with NUL`, { rawBody: JSON.stringify(body({ [f]: 'a\u0000b' })), headers: { 'Content-Type': 'application/json' } });
    await send(`${f}=huge number`, { rawBody: JSON.stringify(body()).replace(/}$/, `, "${f}": 123456789012345678901234567890}`), headers: { 'Content-Type': 'application/json' } });
    await send(`${f}=1e308`, { rawBody: JSON.stringify(body()).replace(/}$/, `, "${f}": 1e308}`), headers: { 'Content-Type': 'application/json' } });
  }
  await send('a 100000-character key', { body: { ...body(), ['k'.repeat(100000)]: 1 } });
  await send('a deep object', { body: { ...body(), notes: JSON.parse(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`) } });
  await send('a 1000-field body', { body: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, i])) });
  // the erasure takes no body: any body at all is refused, and nothing is erased
  for (const raw of [...R.GARBAGE_BODIES.filter((x) => x.length > 0), '{}', JSON.stringify({ confirm: R.LONG })]) {
    const res = await erase(S.admin, rec.id, '"1"', { rawBody: raw, headers: { 'Content-Type': 'application/json' } });
    R.expectClientError(res, `erasure with ${JSON.stringify(raw).slice(0, 40)}`);
  }
  const read = await get(S.admin, rec.id);
  assert.equal(read.json.version, 1, 'nothing was changed by any of it');
  assert.equal(read.json.erased, false);
});

test('non-UTF-8 bytes in a beneficiary body are 400, on a raw connection', async () => {
  const rec = await made();
  const u = new URL(server.url);
  for (const [method, path, extra] of [['POST', '/v1/beneficiaries', ''], ['PATCH', `/v1/beneficiaries/${rec.id}`, 'If-Match: "1"\r\n']]) {
    for (const bad of [Buffer.from([0xc3, 0x28]), Buffer.from([0xff, 0xfe]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82])]) {
      const json = Buffer.concat([Buffer.from(`{"first_name":"A`), bad, Buffer.from(`","last_name":"${T}","gender":"male","teryt_gmina":"${gminas[0]}","consent_on":"2026-01-01"}`)]);
      const head = `${method} ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${S.admin.token}\r\n` +
        `Content-Type: application/json\r\n${extra}Content-Length: ${json.length}\r\nConnection: close\r\n\r\n`;
      const res = await rawRequest(server, Buffer.concat([Buffer.from(head, 'latin1'), json]));
      assert.equal(res.status, 400, `${method} with ${bad.toString('hex')}: ${res.status} ${res.text}`);
    }
  }
  assert.equal((await get(S.admin, rec.id)).json.version, 1);
});

test('SQL-looking and unusual text is stored and read back verbatim', async () => {
  for (const s of R.SQLISH) {
    const r = await made({ first_name: s, street: `${s} 1` });
    assert.equal(r.first_name, s);
    const read = await get(S.admin, r.id);
    assert.equal(read.json.first_name, s);
    assert.equal(read.json.street, `${s} 1`);
    const found = await list(S.admin, { q: s });
    assert.ok(found.json.items.some((b) => b.id === r.id), `q=${s} finds it`);
  }
  const odd = await made({ first_name: 'Zoë 🙂 \u202e\u00a0"quoted" \\ back', last_name: `${T} O'Brien-Łęcka` });
  assert.equal((await get(S.admin, odd.id)).json.first_name, 'Zoë 🙂 \u202e\u00a0"quoted" \\ back');
  assert.equal(odd.last_name, `${T} O'Brien-Łęcka`);
});

test('hostile ids and query values on every beneficiary route are 404 or 400, never 5xx', async () => {
  const rec = await made();
  const ids = ["' OR 1=1 --", '%00', '..%2F..%2Fetc%2Fpasswd', 'x'.repeat(5000), '00000000-0000-0000-0000-000000000000', '%C3%28', `${rec.id}%00`];
  for (const id of ids) {
    for (const [method, path, b] of [['GET', `/v1/beneficiaries/${id}`], ['PATCH', `/v1/beneficiaries/${id}`, {}], ['DELETE', `/v1/beneficiaries/${id}`],
      ['POST', `/v1/beneficiaries/${id}/erasure`], ['GET', `/v1/beneficiaries/${id}/deliveries`]]) {
      const res = await api(server, method, path, { headers: { ...S.admin.headers, 'If-Match': '"1"' }, body: b });
      R.expectClientError(res, `${method} ${path.slice(0, 80)}`);
    }
  }
  const bad = ['q=%00', 'q=%C3%28', `q=${'x'.repeat(2000)}`, 'limit=99999999999999999999', 'limit=-1', 'limit=1e3',
    'sort=last_name;DROP', 'es_entity_id=%27', 'cursor=%FF%FE', 'updated_since=2026-13-45T99:99:99Z',
    'gender=male&gender=female', 'partner=%27%20OR%201=1', 'member_id=1%20OR%201=1'];
  for (const q of bad) {
    const res = await api(server, 'GET', `/v1/beneficiaries?${q}`, { headers: S.admin.headers });
    R.expectClientError(res, `GET /v1/beneficiaries?${q.slice(0, 60)}`);
  }
  for (const q of R.SQLISH) {
    const res = await api(server, 'GET', `/v1/beneficiaries?${new URLSearchParams({ q, sort: 'last_name' })}`, { headers: S.admin.headers });
    assert.equal(res.status, 200, `q=${q}: ${res.text}`);
    assert.ok(res.json.items.every((b) => `${b.first_name} ${b.last_name}`.toLowerCase().includes(q.toLowerCase())), `q=${q} matches only what contains it`);
  }
});

// ---- many reads at once ----

/* Reads by id the server answered from a statement shared with others. */
async function batchedReads() {
  const m = await api(server, 'GET', '/metrics');
  const line = m.text.split('\n').find((l) => l.startsWith('ips_db_reads_by_id_batched_total '));
  assert.ok(line, 'the metric ips_db_reads_by_id_batched_total');
  return Number(line.split(' ')[1]);
}

test('forty reads at once by every role, of both partners\' records and of unknown ids, each get their own record with their own view of its PII', async () => {
  // reads that arrive together are sent to the database together: no
  // answer may carry another request's record or another caller's view
  const records = [];
  for (const owner of [S.coordinator.byczyna, S.coordinator.chorzow]) {
    for (let i = 0; i < 3; i++) records.push(await made({}, owner));
  }
  const readers = S.all;
  const plan = [];
  for (let i = 0; i < 40; i++) {
    const who = readers[i % readers.length];
    const rec = i % 8 === 7 ? null : records[i % records.length];
    plan.push({ who, rec });
  }
  const batchedBefore = await batchedReads();
  const answers = await Promise.all(plan.map(({ who, rec }) => get(who, rec ? rec.id : R.UNKNOWN_ID)));
  // forty at once: some of them shared a statement, or this test shows nothing
  assert.ok(await batchedReads() > batchedBefore, 'some reads were batched');
  answers.forEach((res, i) => {
    const { who, rec } = plan[i];
    if (rec === null) {
      expectProblem(res, 404);
      return;
    }
    assert.equal(res.status, 200, `${who.label}: ${res.text}`);
    assert.equal(res.json.id, rec.id, `${who.label} got the record it asked for`);
    assert.equal(res.json.last_name, rec.last_name);
    assert.equal(res.headers.get('etag'), '"1"');
    if (seesPii(who, rec.partner)) assert.equal(res.json.pesel, rec.pesel, `${who.label} sees the PESEL of a ${rec.partner} record`);
    else assert.equal(res.json.pesel, undefined, `${who.label} does not see the PESEL of a ${rec.partner} record`);
  });
});
