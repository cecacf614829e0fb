'use strict';
// es-entities: the social economy entities the incubator supports — every
// convention of an engine resource (lib/engine_conventions.js), the
// validators (NIP, REGON, KRS, postal code, e-mail, phone, URL, TERYT of the
// region, founded_on, employees), the role x partner matrix, the public list
// (/v1/public/es-entities) and keyset paging while others insert.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { api, expectProblem, firstErrorField } = require('./lib/http');
const { newTeam } = require('./lib/team');
const ids = require('./lib/ids');
const { vectors } = require('./lib/vectors');
const { defineEngineTests, hasError } = require('./lib/engine_conventions');

const PATH = '/v1/es-entities';
const PUBLIC = '/v1/public/es-entities';
const FIELDS = ['name', 'legal_form', 'krs', 'nip', 'regon', 'teryt_gmina', 'postal_code', 'city', 'street', 'email',
  'phone', 'website', 'founded_on', 'employees', 'disadvantaged_employees', 'members', 'status', 'enrolled_on', 'offer',
  'public'];
const LEGAL_FORMS = ['social_cooperative', 'cooperative', 'foundation', 'association', 'cis', 'kis', 'zaz', 'wtz',
  'nonprofit_company', 'church_entity', 'other'];
const PUBLIC_FIELDS = ['city', 'id', 'legal_form', 'name', 'offer', 'teryt_gmina', 'website'];
const BYCZYNA = '1604013';
const CHORZOW = '2463011'; // a gmina of Śląskie: outside the region

const ctx = { server: null, team: null, tag: ids.tag('es') };

before(async () => {
  ctx.server = await startServer();
  ctx.team = await newTeam(ctx.server, 'es');
});

after(async () => {
  if (!ctx.server) return;
  // a server that died under a test: show how
  if (ctx.server.exited()) console.error(`ips-api exited early: ${JSON.stringify(ctx.server.exited())}\n${ctx.server.stderr().slice(-4000)}`);
  await ctx.server.stop();
});

let serial = 0;
function body(over = {}) {
  serial++;
  return {
    name: `${ctx.tag} Spółdzielnia ${serial} ${ids.tag('')}`,
    legal_form: 'social_cooperative',
    teryt_gmina: BYCZYNA,
    nip: ids.nip(),
    krs: ids.krs(),
    city: 'Byczyna',
    ...over,
  };
}

const admin = () => ctx.team.admin.byczyna;
const create = (b, who = admin()) => api(ctx.server, 'POST', PATH, { headers: who.headers, body: b });
const get = (id, who = admin()) => api(ctx.server, 'GET', `${PATH}/${id}`, { headers: who.headers });
const patch = (id, b, etag, who = admin()) => api(ctx.server, 'PATCH', `${PATH}/${id}`, {
  headers: { ...who.headers, 'Content-Type': 'application/merge-patch+json', 'If-Match': etag }, body: b,
});
const del = (id, etag, who = admin()) => api(ctx.server, 'DELETE', `${PATH}/${id}`, { headers: { ...who.headers, 'If-Match': etag } });
const list = (query, who = admin()) => api(ctx.server, 'GET', `${PATH}?${new URLSearchParams(query)}`, { headers: who.headers });
const publicList = (query, headers = {}) => api(ctx.server, 'GET', `${PUBLIC}?${new URLSearchParams(query)}`, { headers });

async function made(over = {}, who = admin()) {
  const res = await create(body(over), who);
  assert.equal(res.status, 201, res.text);
  return res.json;
}

async function collect(query, who = admin(), fetchPage = (q) => list(q, who)) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 500; i++) {
    const res = await fetchPage(cursor ? { ...query, cursor } : query);
    assert.equal(res.status, 200, res.text);
    items.push(...res.json.items);
    cursor = res.json.next_cursor;
    if (!cursor) return items;
  }
  throw new Error('too many pages');
}

defineEngineTests({
  label: 'es-entities',
  path: PATH,
  ctx,
  body,
  fields: FIELDS,
  required: ['name', 'legal_form', 'teryt_gmina'],
  optional: { city: 'Kluczbork', email: 'biuro@razem.example.pl', phone: '+48 77 413 40 00', website: 'https://razem.example.pl/o-nas' },
  defaults: { status: 'candidate', public: false },
  freeText: 'offer',
  bad: {
    nip: [ids.badNip(), 'invalid_checksum'],
    regon: ['123456789', 'invalid_checksum'],
    krs: ['12345', 'invalid'],
    postal_code: ['46220', 'invalid'],
    email: ['nope', 'invalid'],
    phone: ['abc', 'invalid'],
    website: ['ftp://razem.example.pl', 'invalid'],
    founded_on: ['2026-02-30', 'invalid'],
    employees: [-1, 'invalid'],
    members: ['7', 'invalid'],
    status: ['done', 'invalid'],
    public: ['yes', 'invalid'],
    city: ['x'.repeat(101), 'too_long'],
    street: ['x'.repeat(201), 'too_long'],
    offer: ['x'.repeat(4001), 'too_long'],
    enrolled_on: ['01.02.2026', 'invalid'],
  },
  unique: { nip: ids.nip, krs: ids.krs },
  badFilters: [
    ['legal_form=llc', 'legal_form'], ['legal_form=', 'legal_form'], ['status=done', 'status'], ['public=yes', 'public'],
    ['public=1', 'public'], ['nip=', 'nip'], ['teryt_gmina=', 'teryt_gmina'], ['city=Byczyna', 'city'], ['members=3', 'members'],
    ['krs=0000123456', 'krs'], ['id=7d444840-9dc0-11d1-b245-5ffdce74fad2', 'id'], ['version=1', 'version'],
  ],
});

// ---- filters ---------------------------------------------------------------

test('es-entities: list filters legal_form, nip, teryt_gmina, status, public and partner are equalities that combine', async () => {
  const q = `${ctx.tag}fl${ids.tag('')}`;
  const a = await made({ name: `${q} a`, legal_form: 'cis', status: 'active', public: true });
  const b = await made({ name: `${q} b`, legal_form: 'zaz', teryt_gmina: '1609122', status: 'active' });
  const c = await made({ name: `${q} c`, legal_form: 'cis', partner: 'chorzow', teryt_gmina: '1609123', public: true });
  const ids_ = async (query) => (await collect({ q, ...query })).map((x) => x.id).sort();
  assert.deepEqual(await ids_({ legal_form: 'cis' }), [a.id, c.id].sort());
  assert.deepEqual(await ids_({ legal_form: 'zaz' }), [b.id]);
  assert.deepEqual(await ids_({ legal_form: 'foundation' }), []);
  assert.deepEqual(await ids_({ nip: b.nip }), [b.id]);
  assert.deepEqual(await ids_({ teryt_gmina: '1609123' }), [b.id, c.id].sort());
  assert.deepEqual(await ids_({ teryt_gmina: '1609122' }), [b.id, c.id].sort(), 'the old code of Tułowice finds the current one');
  assert.deepEqual(await ids_({ teryt_gmina: BYCZYNA }), [a.id]);
  assert.deepEqual(await ids_({ status: 'active' }), [a.id, b.id].sort());
  assert.deepEqual(await ids_({ status: 'candidate' }), [c.id]);
  assert.deepEqual(await ids_({ public: 'true' }), [a.id, c.id].sort());
  assert.deepEqual(await ids_({ public: 'false' }), [b.id]);
  assert.deepEqual(await ids_({ partner: 'chorzow' }), [c.id]);
  assert.deepEqual(await ids_({ legal_form: 'cis', public: 'true', partner: 'byczyna' }), [a.id]);
  assert.deepEqual(await ids_({ legal_form: 'cis', status: 'active', teryt_gmina: '1609123' }), []);
  // filters without q work too (other files' records may match as well)
  const all = await collect({ nip: a.nip });
  assert.deepEqual(all.map((x) => x.id), [a.id]);
});

// ---- validators ------------------------------------------------------------

async function checkVectors(field, { extra = {} } = {}) {
  const v = vectors[field];
  for (const value of v.valid()) {
    const res = await create(body({ [field]: value, ...extra }));
    assert.equal(res.status, 201, `${field} ${JSON.stringify(value)} is valid: ${res.text}`);
    assert.equal(res.json[field], value);
    assert.equal((await get(res.json.id)).json[field], value);
    // free unique values (KRS, NIP) for the next run
    assert.equal((await del(res.json.id, '"1"')).status, 204);
  }
  for (const [value, codes] of v.invalid()) {
    const res = await create(body({ [field]: value, ...extra }));
    const p = expectProblem(res, 422);
    const e = p.errors.find((x) => x.field === field);
    assert.ok(e, `${field} ${JSON.stringify(value)} is invalid: ${res.text}`);
    assert.ok(codes.includes(e.code), `${field} ${JSON.stringify(value)}: code ${e.code}, expected one of ${codes}`);
    assert.equal(p.errors.length, 1, `only ${field} is at fault: ${res.text}`);
  }
  // and through PATCH
  const rec = await made();
  const [bad] = v.invalid()[0];
  hasError(expectProblem(await patch(rec.id, { [field]: bad }, '"1"'), 422), field);
  const good = v.valid()[0];
  const ok = await patch(rec.id, { [field]: good }, '"1"');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json[field], good);
}

test('es-entities: NIP must have a valid checksum (8567346215 is valid): 422 invalid_checksum otherwise', async () => {
  await checkVectors('nip');
  // 8567346215 itself: a 201, or a 409 when a record of another test holds it (which also means it passed the checksum)
  const res = await create(body({ nip: '8567346215' }));
  if (res.status === 201) {
    assert.equal(res.json.nip, '8567346215');
    assert.equal((await del(res.json.id, '"1"')).status, 204);
  } else {
    assert.equal(firstErrorField(expectProblem(res, 409)), 'nip');
  }
  // a NIP of a number type is not a string
  hasError(expectProblem(await create(body({ nip: 8567346215 })), 422), 'nip', 'invalid');
});

test('es-entities: REGON must be 9 or 14 digits with valid check digits', async () => {
  await checkVectors('regon');
});

test('es-entities: KRS must be 10 digits', async () => {
  await checkVectors('krs');
});

test('es-entities: postal_code must be NN-NNN', async () => {
  await checkVectors('postal_code');
});

test('es-entities: email must be an e-mail address', async () => {
  await checkVectors('email');
});

test('es-entities: phone must be a phone number', async () => {
  await checkVectors('phone');
});

test('es-entities: website must be an http or https URL', async () => {
  await checkVectors('website');
});

test('es-entities: teryt_gmina must be a gmina of the region: 2463011 (Chorzów) is 422; 1609122 is stored as 1609123', async () => {
  const ok = await create(body({ teryt_gmina: BYCZYNA }));
  assert.equal(ok.status, 201, ok.text);
  const tul = await create(body({ teryt_gmina: '1609122' }));
  assert.equal(tul.status, 201, tul.text);
  assert.equal(tul.json.teryt_gmina, '1609123');
  assert.equal((await get(tul.json.id)).json.teryt_gmina, '1609123');
  const cases = [CHORZOW, '1699011', '1604099', '160401', '16040130', '1604016', '0104011', '3404011', '1600011', 'abcdefg', ''];
  for (const teryt of cases) {
    const res = await create(body({ teryt_gmina: teryt }));
    const p = expectProblem(res, 422);
    hasError(p, 'teryt_gmina');
    assert.equal(p.errors.length, 1, res.text);
  }
  const p = expectProblem(await create(body({ teryt_gmina: CHORZOW })), 422);
  const e = hasError(p, 'teryt_gmina', 'invalid');
  assert.match(e.message, /region/, 'says it is not a gmina of the region');
  hasError(expectProblem(await create(body({ teryt_gmina: 1604013 })), 422), 'teryt_gmina', 'invalid');
  // PATCH out of the region is refused; to the old Tułowice code is stored as the new one
  hasError(expectProblem(await patch(ok.json.id, { teryt_gmina: CHORZOW }, '"1"'), 422), 'teryt_gmina', 'invalid');
  const moved = await patch(ok.json.id, { teryt_gmina: '1609122' }, '"1"');
  assert.equal(moved.status, 200, moved.text);
  assert.equal(moved.json.teryt_gmina, '1609123');
});

test('es-entities: founded_on must be a date not in the future (Europe/Warsaw)', async () => {
  for (const d of [ids.warsawDate(0), ids.warsawDate(-1), '1989-06-04', '2024-02-29']) {
    const res = await create(body({ founded_on: d }));
    assert.equal(res.status, 201, `${d}: ${res.text}`);
    assert.equal(res.json.founded_on, d);
  }
  for (const d of [ids.warsawDate(2), ids.warsawDate(400), '9999-12-31']) {
    hasError(expectProblem(await create(body({ founded_on: d })), 422), 'founded_on', 'invalid');
  }
  for (const d of ['2026-02-30', '2025-02-29', '2026-1-1', '26-01-01', '2026-01-01T00:00:00Z', '', 20260101]) {
    hasError(expectProblem(await create(body({ founded_on: d })), 422), 'founded_on');
  }
  const rec = await made({ founded_on: '2020-01-01' });
  hasError(expectProblem(await patch(rec.id, { founded_on: ids.warsawDate(3) }, '"1"'), 422), 'founded_on', 'invalid');
});

test('es-entities: employees and members are whole numbers >= 0; disadvantaged_employees from 0 to employees', async () => {
  for (const over of [
    { employees: 0, disadvantaged_employees: 0 }, { employees: 5, disadvantaged_employees: 5 },
    { employees: 5, disadvantaged_employees: 2, members: 7 }, { employees: 1000000 }, { members: 0 },
  ]) {
    const res = await create(body(over));
    assert.equal(res.status, 201, `${JSON.stringify(over)}: ${res.text}`);
    for (const [k, v] of Object.entries(over)) assert.equal(res.json[k], v);
  }
  const bad = [
    [{ employees: 5, disadvantaged_employees: 6 }, 'disadvantaged_employees'],
    [{ employees: 0, disadvantaged_employees: 1 }, 'disadvantaged_employees'],
    [{ disadvantaged_employees: 1 }, 'disadvantaged_employees'],
    [{ employees: -1 }, 'employees'], [{ employees: 1.5 }, 'employees'], [{ employees: '5' }, 'employees'],
    [{ employees: 1000001 }, 'employees'], [{ employees: true }, 'employees'],
    [{ disadvantaged_employees: -1, employees: 3 }, 'disadvantaged_employees'],
    [{ members: -1 }, 'members'], [{ members: 2.5 }, 'members'], [{ members: 1e308 }, 'members'],
  ];
  for (const [over, field] of bad) {
    hasError(expectProblem(await create(body(over)), 422), field, 'invalid');
  }
  // the patched record is validated as a whole
  const rec = await made({ employees: 5, disadvantaged_employees: 3 });
  hasError(expectProblem(await patch(rec.id, { employees: 2 }, '"1"'), 422), 'disadvantaged_employees', 'invalid');
  hasError(expectProblem(await patch(rec.id, { employees: null }, '"1"'), 422), 'disadvantaged_employees', 'invalid');
  const ok = await patch(rec.id, { employees: 3 }, '"1"');
  assert.equal(ok.status, 200, ok.text);
  const cleared = await patch(rec.id, { disadvantaged_employees: null, employees: null }, '"2"');
  assert.equal(cleared.status, 200, cleared.text);
  assert.equal(cleared.json.employees, null);
  assert.equal(cleared.json.disadvantaged_employees, null);
});

test('es-entities: legal_form and status take only their values; status defaults to candidate, public to false', async () => {
  for (const legal_form of LEGAL_FORMS) {
    const res = await create(body({ legal_form }));
    assert.equal(res.status, 201, `${legal_form}: ${res.text}`);
    assert.equal(res.json.legal_form, legal_form);
    assert.equal(res.json.status, 'candidate');
    assert.equal(res.json.public, false);
  }
  for (const status of ['candidate', 'active', 'completed', 'withdrawn']) {
    const res = await create(body({ status, public: true }));
    assert.equal(res.status, 201, res.text);
    assert.equal(res.json.status, status);
    assert.equal(res.json.public, true);
  }
  for (const v of ['Social_Cooperative', 'spółdzielnia', '', 'llc']) {
    hasError(expectProblem(await create(body({ legal_form: v })), 422), 'legal_form');
  }
  for (const v of ['Active', 'done', '', 1]) hasError(expectProblem(await create(body({ status: v })), 422), 'status', 'invalid');
  for (const v of ['true', 1, 0, 'false']) hasError(expectProblem(await create(body({ public: v })), 422), 'public', 'invalid');
});

// ---- the public list -------------------------------------------------------

test('/v1/public/es-entities: no token; only public records, each with exactly id, name, legal_form, city, teryt_gmina, website, offer', async () => {
  const q = `${ctx.tag}pub${ids.tag('')}`;
  const shown = await made({
    name: `${q} shown`, public: true, offer: 'Catering i usługi porządkowe', website: 'https://razem.example.pl',
    email: 'tajne@razem.example.pl', phone: '+48 600 100 200', street: 'ul. Prywatna 1', employees: 9, status: 'active',
  });
  const hidden = await made({ name: `${q} hidden`, public: false, offer: 'nie pokazuj' });
  const other = await made({ name: `${q} chorzow`, public: true, partner: 'chorzow', teryt_gmina: '1609122' });
  const res = await publicList({ q });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.json).sort(), ['items', 'next_cursor']);
  const byId = Object.fromEntries(res.json.items.map((x) => [x.id, x]));
  assert.deepEqual(Object.keys(byId).sort(), [shown.id, other.id].sort(), 'only the public ones');
  for (const item of res.json.items) assert.deepEqual(Object.keys(item).sort(), PUBLIC_FIELDS);
  assert.deepEqual(byId[shown.id], {
    id: shown.id, name: shown.name, legal_form: 'social_cooperative', city: 'Byczyna', teryt_gmina: BYCZYNA,
    website: 'https://razem.example.pl', offer: 'Catering i usługi porządkowe',
  });
  assert.equal(byId[other.id].teryt_gmina, '1609123');
  assert.ok(!res.text.includes('tajne@') && !res.text.includes('600 100 200') && !res.text.includes('Prywatna'));
  assert.ok(!res.text.includes(hidden.id));
  // every public item of the whole list is a public record
  const all = await collect({ limit: '200' }, null, (qq) => publicList(qq));
  for (const item of all) assert.deepEqual(Object.keys(item).sort(), PUBLIC_FIELDS);
  assert.ok(!all.some((x) => x.id === hidden.id));
  // a record made public later appears; made private or deleted it disappears
  const p = await patch(hidden.id, { public: true }, '"1"');
  assert.equal(p.status, 200, p.text);
  assert.ok((await publicList({ q })).json.items.some((x) => x.id === hidden.id));
  assert.equal((await patch(hidden.id, { public: false }, '"2"')).status, 200);
  assert.equal((await del(shown.id, '"1"')).status, 204);
  assert.deepEqual((await publicList({ q })).json.items.map((x) => x.id), [other.id]);
});

test('/v1/public/es-entities: filters legal_form, teryt_gmina, q, updated_since, sort and paging; other parameters are 400', async () => {
  const q = `${ctx.tag}pubf${ids.tag('')}`;
  const recs = [];
  for (const [n, legal_form, teryt] of [['c', 'cis', BYCZYNA], ['a', 'zaz', '1609123'], ['e', 'cis', '1609123'], ['b', 'kis', BYCZYNA], ['d', 'cis', BYCZYNA]]) {
    recs.push(await made({ name: `${q} ${n}`, legal_form, teryt_gmina: teryt, public: true }));
  }
  const names = async (query) => (await collect({ q, ...query }, null, (qq) => publicList(qq))).map((x) => x.name.slice(-1)).join('');
  assert.equal(await names({ sort: 'name', limit: '2' }), 'abcde');
  assert.equal(await names({ sort: '-name', limit: '2' }), 'edcba');
  assert.equal(await names({ sort: 'created_at' }), 'caebd');
  assert.equal(await names({}), 'dbeac', 'newest first by default');
  assert.equal(await names({ legal_form: 'cis', sort: 'name' }), 'cde');
  assert.equal(await names({ teryt_gmina: '1609123', sort: 'name' }), 'ae');
  assert.equal(await names({ teryt_gmina: BYCZYNA, legal_form: 'kis' }), 'b');
  assert.equal(await names({ updated_since: recs[3].updated_at, sort: 'created_at' }), 'bd');
  assert.equal(await names({ q: `${q} A`.toUpperCase() }), 'a');
  const page = await publicList({ q, limit: '2' });
  assert.equal(page.json.items.length, 2);
  assert.ok(page.json.next_cursor);
  assert.ok(page.headers.get('link'));
  for (const [query, field] of [
    ['partner=byczyna', 'partner'], ['public=false', 'public'], ['status=active', 'status'], ['nip=8567346215', 'nip'],
    ['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=x', 'limit'], ['sort=status', 'sort'], ['cursor=zzz', 'cursor'],
    ['legal_form=llc', 'legal_form'], ['q=', 'q'], ['updated_since=today', 'updated_since'], ['bogus=1', 'bogus'],
    ['limit=1&limit=1', 'limit'], ['q=%FF', 'q'],
  ]) {
    const res = await api(ctx.server, 'GET', `${PUBLIC}?${query}`);
    assert.equal(firstErrorField(expectProblem(res, 400)), field, `${query}: ${res.text}`);
  }
});

test('/v1/public/es-entities: teryt_gmina=1609122 (the old code of Tułowice) finds its entities, as the staff list does', async () => {
  const q = `${ctx.tag}pubt${ids.tag('')}`;
  const rec = await made({ name: `${q} tułowice`, teryt_gmina: '1609122', public: true });
  assert.equal(rec.teryt_gmina, '1609123');
  assert.deepEqual((await collect({ q, teryt_gmina: '1609122' })).map((x) => x.id), [rec.id], 'the staff list');
  assert.deepEqual((await collect({ q, teryt_gmina: '1609123' }, null, (qq) => publicList(qq))).map((x) => x.id), [rec.id]);
  assert.deepEqual((await collect({ q, teryt_gmina: '1609122' }, null, (qq) => publicList(qq))).map((x) => x.id), [rec.id],
    'the public list translates the old code like every other teryt_gmina filter');
});

test('/v1/public/es-entities: hostile query parameters are 400 (or a plain 200), never 5xx; SQL-looking text is searched verbatim', async () => {
  const q = `${ctx.tag}pubh${ids.tag('')}`;
  const rec = await made({ name: `'); DROP TABLE es_entities; -- ${q}`, public: true });
  const found = await publicList({ q: `'); DROP TABLE es_entities; -- ${q}` });
  assert.equal(found.status, 200, found.text);
  assert.deepEqual(found.json.items.map((x) => x.id), [rec.id]);
  assert.equal(found.json.items[0].name, rec.name);
  for (const query of [
    'q=%FF', 'q=a%00b', `q=${encodeURIComponent("' OR '1'='1")}`, 'limit=1e308', 'limit=12345678901234567890',
    'sort=name;DROP', `cursor=${'A'.repeat(5000)}`, 'cursor=%00', `legal_form=${encodeURIComponent("cis' OR '1'='1")}`,
    `teryt_gmina=${'1'.repeat(5000)}`, 'updated_since=%FF', `${'k'.repeat(5000)}=1`, 'a=%', 'q=%ZZ',
  ]) {
    const res = await api(ctx.server, 'GET', `${PUBLIC}?${query}`);
    if (res.status === 200) {
      assert.ok(!res.json.items.some((x) => x.id === rec.id) || query.startsWith('cursor'), query);
      continue;
    }
    expectProblem(res, 400);
  }
  // a token (even a bad one) changes nothing on a public route
  const withToken = await publicList({ q }, { Authorization: `Bearer ${admin().token}` });
  assert.equal(withToken.status, 200);
  assert.deepEqual(Object.keys(withToken.json.items[0]).sort(), PUBLIC_FIELDS);
});

test('/v1/public/es-entities: only GET of the list: a record path is 404, other methods 405 with Allow', async () => {
  const rec = await made({ public: true });
  expectProblem(await api(ctx.server, 'GET', `${PUBLIC}/${rec.id}`), 404);
  const post = await api(ctx.server, 'POST', PUBLIC, { body: body() });
  expectProblem(post, 405);
  assert.match(post.headers.get('allow') || '', /GET/);
  expectProblem(await api(ctx.server, 'DELETE', PUBLIC), 405);
  // the list of the staff still needs a token
  expectProblem(await api(ctx.server, 'GET', PATH), 401);
  expectProblem(await api(ctx.server, 'GET', `${PATH}/${rec.id}`), 401);
  expectProblem(await api(ctx.server, 'POST', PATH, { body: body() }), 401);
});

// ---- paging while others write ------------------------------------------------

test('es-entities: paging by created_at (limit 5) while another client inserts sees every earlier record exactly once', async () => {
  const q = `${ctx.tag}cc${ids.tag('')}`;
  const existing = [];
  for (let i = 0; i < 23; i++) existing.push((await made({ name: `${q} pre ${i}` })).id);
  let stop = false;
  const inserted = [];
  const writer = (async () => {
    let i = 0;
    while (!stop && i < 60) {
      const res = await create(body({ name: `${q} new ${i++}` }));
      assert.equal(res.status, 201, res.text);
      inserted.push(res.json.id);
    }
  })();
  const seen = [];
  let cursor = null;
  let pages = 0;
  try {
    for (;;) {
      const res = await list(cursor ? { q, sort: 'created_at', limit: '5', cursor } : { q, sort: 'created_at', limit: '5' });
      assert.equal(res.status, 200, res.text);
      assert.ok(res.json.items.length <= 5);
      seen.push(...res.json.items.map((x) => x.id));
      pages++;
      cursor = res.json.next_cursor;
      if (!cursor || pages > 100) break;
      await new Promise((r) => setTimeout(r, 15));
    }
  } finally {
    stop = true;
    await writer;
  }
  assert.equal(new Set(seen).size, seen.length, 'no record is seen twice');
  for (const id of existing) assert.equal(seen.filter((x) => x === id).length, 1, `earlier record ${id} seen exactly once`);
  // the earlier records come first, in creation order
  assert.deepEqual(seen.slice(0, existing.length), existing);
  assert.ok(inserted.length > 0, 'the writer wrote while paging');
  // what was seen of the new ones is in their order too
  const newSeen = seen.slice(existing.length);
  assert.deepEqual(newSeen, inserted.slice(0, newSeen.length));
});

test('es-entities: the same NIP may be used by a partnership member and an ES entity (separate registries)', async () => {
  const nip = ids.nip();
  const es = await create(body({ nip }));
  assert.equal(es.status, 201, es.text);
  const m = await api(ctx.server, 'POST', '/v1/partnership-members', {
    headers: admin().headers, body: { name: `${ctx.tag} member ${nip}`, kind: 'social_economy', nip },
  });
  assert.equal(m.status, 201, m.text);
});
