'use strict';
// partnership-members: the members of the local partnership — every
// convention of an engine resource (lib/engine_conventions.js), the
// validators (code, NIP, REGON, KRS, postal code, e-mail, phone, any
// well-formed TERYT gmina code, dates, left_on >= joined_on) and the role x
// partner matrix.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { api, expectProblem, firstErrorField } = require('./lib/http');
const { newTeam } = require('./lib/team');
const ids = require('./lib/ids');
const { vectors } = require('./lib/vectors');
const { defineEngineTests, hasError } = require('./lib/engine_conventions');

const PATH = '/v1/partnership-members';
const FIELDS = ['name', 'kind', 'code', 'nip', 'regon', 'krs', 'teryt_gmina', 'city', 'street', 'postal_code', 'email',
  'phone', 'representative', 'joined_on', 'left_on', 'declaration_signed_on', 'notes'];
const KINDS = ['project_partner', 'local_government', 'business', 'social_economy', 'labour_market', 'social_assistance',
  'social_integration', 'ngo', 'other'];
const CHORZOW = '2463011'; // Chorzów (Śląskie): outside the region, fine for a member

const ctx = { server: null, team: null, tag: ids.tag('pm') };

before(async () => {
  ctx.server = await startServer();
  ctx.team = await newTeam(ctx.server, 'pm');
});

after(async () => {
  if (!ctx.server) return;
  if (ctx.server.exited()) console.error(`ips-api exited early: ${JSON.stringify(ctx.server.exited())}\n${ctx.server.stderr().slice(-4000)}`);
  await ctx.server.stop();
});

/* A code of [a-z0-9-]{2,32} that no other record uses. */
const code = () => ids.tag('c-');

let serial = 0;
function body(over = {}) {
  serial++;
  return {
    name: `${ctx.tag} Członek ${serial} ${ids.tag('')}`,
    kind: 'ngo',
    code: code(),
    nip: ids.nip(),
    krs: ids.krs(),
    teryt_gmina: '1604013',
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

async function made(over = {}, who = admin()) {
  const res = await create(body(over), who);
  assert.equal(res.status, 201, res.text);
  return res.json;
}

async function collect(query, who = admin()) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 500; i++) {
    const res = await list(cursor ? { ...query, cursor } : query, who);
    assert.equal(res.status, 200, res.text);
    items.push(...res.json.items);
    cursor = res.json.next_cursor;
    if (!cursor) return items;
  }
  throw new Error('too many pages');
}

defineEngineTests({
  label: 'partnership-members',
  path: PATH,
  ctx,
  body,
  fields: FIELDS,
  required: ['name', 'kind'],
  optional: { city: 'Kluczbork', email: 'sekretariat@gmina.example.pl', phone: '(77) 413-40-00', representative: 'Anna Nowak' },
  freeText: 'notes',
  bad: {
    code: ['Bad Code', 'invalid'],
    nip: [ids.badNip(), 'invalid_checksum'],
    regon: ['123456789', 'invalid_checksum'],
    krs: ['12345', 'invalid'],
    teryt_gmina: ['0104011', 'invalid'],
    postal_code: ['46220', 'invalid'],
    email: ['nope', 'invalid'],
    phone: ['abc', 'invalid'],
    joined_on: ['2026-02-30', 'invalid'],
    declaration_signed_on: ['yesterday', 'invalid'],
    city: ['x'.repeat(101), 'too_long'],
    street: ['x'.repeat(201), 'too_long'],
    representative: ['x'.repeat(201), 'too_long'],
    notes: ['x'.repeat(4001), 'too_long'],
  },
  unique: { nip: ids.nip, krs: ids.krs, code },
  badFilters: [
    ['kind=school', 'kind'], ['kind=', 'kind'], ['code=', 'code'], ['nip=', 'nip'], ['teryt_gmina=', 'teryt_gmina'],
    ['city=Opole', 'city'], ['regon=123456785', 'regon'], ['joined_on=2026-01-01', 'joined_on'], ['legal_form=cis', 'legal_form'],
  ],
});

// ---- filters ---------------------------------------------------------------

test('partnership-members: list filters kind, code, nip, teryt_gmina and partner are equalities that combine', async () => {
  const q = `${ctx.tag}fl${ids.tag('')}`;
  const a = await made({ name: `${q} a`, kind: 'local_government', teryt_gmina: CHORZOW });
  const b = await made({ name: `${q} b`, kind: 'business', teryt_gmina: '1609122' });
  const c = await made({ name: `${q} c`, kind: 'local_government', partner: 'chorzow', teryt_gmina: '1604013' });
  const ids_ = async (query) => (await collect({ q, ...query })).map((x) => x.id).sort();
  assert.deepEqual(await ids_({ kind: 'local_government' }), [a.id, c.id].sort());
  assert.deepEqual(await ids_({ kind: 'business' }), [b.id]);
  assert.deepEqual(await ids_({ kind: 'ngo' }), []);
  assert.deepEqual(await ids_({ code: b.code }), [b.id]);
  assert.deepEqual(await ids_({ nip: c.nip }), [c.id]);
  assert.deepEqual(await ids_({ teryt_gmina: CHORZOW }), [a.id]);
  assert.deepEqual(await ids_({ teryt_gmina: '1609123' }), [b.id]);
  assert.deepEqual(await ids_({ teryt_gmina: '1609122' }), [b.id], 'the old code of Tułowice finds the current one');
  assert.deepEqual(await ids_({ partner: 'chorzow' }), [c.id]);
  assert.deepEqual(await ids_({ partner: 'byczyna', kind: 'local_government' }), [a.id]);
  assert.deepEqual(await ids_({ kind: 'business', teryt_gmina: CHORZOW }), []);
  // without q: a code is unique, so exactly one
  assert.deepEqual((await collect({ code: a.code })).map((x) => x.id), [a.id]);
});

// ---- validators ------------------------------------------------------------

async function checkVectors(field) {
  const v = vectors[field];
  for (const value of v.valid()) {
    const res = await create(body({ [field]: value }));
    assert.equal(res.status, 201, `${field} ${JSON.stringify(value)} is valid: ${res.text}`);
    assert.equal(res.json[field], value);
    assert.equal((await del(res.json.id, '"1"')).status, 204);
  }
  for (const [value, codes] of v.invalid()) {
    const res = await create(body({ [field]: value }));
    const p = expectProblem(res, 422);
    const e = p.errors.find((x) => x.field === field);
    assert.ok(e, `${field} ${JSON.stringify(value)} is invalid: ${res.text}`);
    assert.ok(codes.includes(e.code), `${field} ${JSON.stringify(value)}: code ${e.code}, expected one of ${codes}`);
    assert.equal(p.errors.length, 1, `only ${field} is at fault: ${res.text}`);
  }
  const rec = await made();
  hasError(expectProblem(await patch(rec.id, { [field]: v.invalid()[0][0] }, '"1"'), 422), field);
  const good = v.valid()[0];
  const ok = await patch(rec.id, { [field]: good }, '"1"');
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.json[field], good);
}

test('partnership-members: NIP must have a valid checksum (8567346215 is valid): 422 invalid_checksum otherwise', async () => {
  await checkVectors('nip');
  const res = await create(body({ nip: '8567346215' }));
  if (res.status === 201) {
    assert.equal(res.json.nip, '8567346215');
    assert.equal((await del(res.json.id, '"1"')).status, 204);
  } else {
    assert.equal(firstErrorField(expectProblem(res, 409)), 'nip');
  }
});

test('partnership-members: REGON must be 9 or 14 digits with valid check digits', async () => {
  await checkVectors('regon');
});

test('partnership-members: KRS must be 10 digits', async () => {
  await checkVectors('krs');
});

test('partnership-members: postal_code must be NN-NNN', async () => {
  await checkVectors('postal_code');
});

test('partnership-members: email must be an e-mail address', async () => {
  await checkVectors('email');
});

test('partnership-members: phone must be a phone number', async () => {
  await checkVectors('phone');
});

test('partnership-members: code is a slug [a-z0-9-]{2,32}', async () => {
  const t = ids.randomDigits(6);
  for (const c of [`a${t}`, `${t}-x`, `-${t}-`, `${t}${'z'.repeat(32 - t.length)}`, `${t.slice(0, 2)}`]) {
    const res = await create(body({ code: c }));
    if (res.status === 409) continue; // two digits may be taken by another run
    assert.equal(res.status, 201, `${c}: ${res.text}`);
    assert.equal(res.json.code, c);
    assert.equal((await del(res.json.id, '"1"')).status, 204);
  }
  for (const [c, codes] of [
    ['a', ['too_short', 'invalid']], ['AB', ['invalid']], [`Ab${t}`, ['invalid']], ['a_b', ['invalid']], ['ab c', ['invalid']],
    ['żółw', ['invalid']], [`${t}${'z'.repeat(33 - t.length)}`, ['too_long', 'invalid']], ['', ['required', 'too_short', 'invalid']],
    ['a.b', ['invalid']], [12, ['invalid']],
  ]) {
    const res = await create(body({ code: c }));
    const p = expectProblem(res, 422);
    const e = p.errors.find((x) => x.field === 'code');
    assert.ok(e, `${JSON.stringify(c)}: ${res.text}`);
    assert.ok(codes.includes(e.code), `${JSON.stringify(c)}: code ${e.code}`);
  }
  // a code may be cleared (it is optional)
  const rec = await made();
  const cleared = await patch(rec.id, { code: null }, '"1"');
  assert.equal(cleared.status, 200, cleared.text);
  assert.equal(cleared.json.code, null);
  // two members without a code are no conflict
  assert.equal((await create(body({ code: undefined }))).status, 201);
  assert.equal((await create(body({ code: undefined }))).status, 201);
});

test('partnership-members: teryt_gmina is any well-formed gmina code: 2463011 (Chorzów) is fine; 1609122 is stored as 1609123', async () => {
  for (const teryt of [CHORZOW, '1604013', '0201011', '3262045', '1465011']) {
    const res = await create(body({ teryt_gmina: teryt }));
    assert.equal(res.status, 201, `${teryt}: ${res.text}`);
    assert.equal(res.json.teryt_gmina, teryt);
  }
  const tul = await made({ teryt_gmina: '1609122' });
  assert.equal(tul.teryt_gmina, '1609123');
  assert.equal((await get(tul.id)).json.teryt_gmina, '1609123');
  for (const teryt of ['0104011', '3404011', '0004011', '1600011', '1604001', '1604016', '1604010', '160401', '16040130', 'abcdefg', '', 1604013]) {
    const res = await create(body({ teryt_gmina: teryt }));
    hasError(expectProblem(res, 422), 'teryt_gmina');
  }
  const p = await patch(tul.id, { teryt_gmina: CHORZOW }, '"1"');
  assert.equal(p.status, 200, p.text);
  assert.equal(p.json.teryt_gmina, CHORZOW);
  const cleared = await patch(tul.id, { teryt_gmina: null }, '"2"');
  assert.equal(cleared.status, 200, cleared.text);
  assert.equal(cleared.json.teryt_gmina, null);
});

test('partnership-members: dates are YYYY-MM-DD; left_on must not be before joined_on', async () => {
  const ok = await made({ joined_on: '2024-02-29', left_on: '2024-02-29', declaration_signed_on: '2024-01-31' });
  assert.equal(ok.joined_on, '2024-02-29');
  assert.equal(ok.left_on, '2024-02-29');
  assert.equal(ok.declaration_signed_on, '2024-01-31');
  assert.equal((await create(body({ left_on: '2020-01-01' }))).status, 201, 'left_on alone is fine');
  assert.equal((await create(body({ joined_on: '2020-01-01', left_on: '2021-01-01' }))).status, 201);
  const p = expectProblem(await create(body({ joined_on: '2021-01-01', left_on: '2020-12-31' })), 422);
  hasError(p, 'left_on', 'invalid');
  assert.equal(p.errors.length, 1);
  for (const d of ['2025-02-29', '2026-13-01', '2026-1-1', '01.01.2026', '2026-01-01T00:00:00Z', '', 20260101, '2026-00-10', '0000-01-01']) {
    for (const field of ['joined_on', 'left_on', 'declaration_signed_on']) {
      hasError(expectProblem(await create(body({ [field]: d })), 422), field);
    }
  }
  // the patched record is validated as a whole
  const rec = await made({ joined_on: '2025-01-01', left_on: '2025-06-30' });
  hasError(expectProblem(await patch(rec.id, { joined_on: '2025-07-01' }, '"1"'), 422), 'left_on', 'invalid');
  hasError(expectProblem(await patch(rec.id, { left_on: '2024-12-31' }, '"1"'), 422), 'left_on', 'invalid');
  const moved = await patch(rec.id, { joined_on: '2025-07-01', left_on: null }, '"1"');
  assert.equal(moved.status, 200, moved.text);
  assert.equal(moved.json.left_on, null);
});

test('partnership-members: kind takes only its values', async () => {
  for (const kind of KINDS) {
    const res = await create(body({ kind }));
    assert.equal(res.status, 201, `${kind}: ${res.text}`);
    assert.equal(res.json.kind, kind);
  }
  for (const kind of ['NGO', 'school', '', 'project-partner', 3, null]) {
    const p = expectProblem(await create(body({ kind })), 422);
    hasError(p, 'kind', kind === null ? 'required' : undefined);
  }
});

test('partnership-members: notes up to 4000 characters, name up to 300, representative up to 200', async () => {
  const res = await create(body({ notes: 'ą'.repeat(4000), representative: 'r'.repeat(200), name: `${ctx.tag} ${'n'.repeat(280)}` }));
  assert.equal(res.status, 201, res.text);
  assert.equal(res.json.notes.length, 4000);
  const p = expectProblem(await create(body({ notes: 'ą'.repeat(4001), representative: 'r'.repeat(201), name: 'n'.repeat(301) })), 422);
  for (const f of ['notes', 'representative', 'name']) hasError(p, f, 'too_long');
});
