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

// ---- project partners: the tenants -------------------------------------------

const { execFile } = require('node:child_process');
const { signIn, strongPassword, uniqueName } = require('./lib/users');

/* A new project partner made by the admin: its member record. */
const newPartner = (over = {}) => made({ kind: 'project_partner', name: `${ctx.tag} Partner ${ids.tag('')}`, ...over });

/* A user of partner made by the admin through the API, signed in. */
async function partnerUser(partner, role) {
  const username = uniqueName('pmt');
  const password = strongPassword();
  const res = await api(ctx.server, 'POST', '/v1/users', {
    headers: admin().headers, body: { username, partner, role, password },
  });
  assert.equal(res.status, 201, res.text);
  const t = await signIn(ctx.server, username, password);
  return { headers: { Authorization: `Bearer ${t.access_token}` } };
}

const me = (who) => api(ctx.server, 'GET', '/v1/me', { headers: who.headers });

async function memberByCode(c) {
  const items = await collect({ code: c });
  assert.equal(items.length, 1, `one member with code ${c}`);
  return (await get(items[0].id)).json;
}

test('partnership-members: a coordinator cannot create a project partner, nor make a member one: 403, before 428 and 422', async () => {
  const coord = ctx.team.coordinator.byczyna;
  expectProblem(await create(body({ kind: 'project_partner' }), coord), 403);
  // 403 comes before the body's validation
  expectProblem(await create(body({ kind: 'project_partner', name: null, nip: ids.badNip() }), coord), 403);
  const m = await made({ kind: 'ngo' }, coord);
  expectProblem(await patch(m.id, { kind: 'project_partner' }, '"1"', coord), 403);
  expectProblem(await patch(m.id, { kind: 'project_partner', name: null }, '"1"', coord), 403);
  const noIfMatch = await api(ctx.server, 'PATCH', `${PATH}/${m.id}`, {
    headers: { ...coord.headers, 'Content-Type': 'application/merge-patch+json' }, body: { kind: 'project_partner' },
  });
  expectProblem(noIfMatch, 403);
  const now = await get(m.id);
  assert.equal(now.json.kind, 'ngo');
  assert.equal(now.headers.get('etag'), '"1"');
  // other kinds stay the coordinator's to choose
  const changed = await patch(m.id, { kind: 'business' }, '"1"', coord);
  assert.equal(changed.status, 200, changed.text);
  // the admin may
  const byAdmin = await patch(m.id, { kind: 'project_partner' }, '"2"');
  assert.equal(byAdmin.status, 200, byAdmin.text);
});

test('partnership-members: a coordinator edits its own partner\'s row but cannot delete it or change its code or kind; its users keep signing in', async () => {
  const p = await newPartner();
  const moved = await patch(p.id, { partner: p.code }, '"1"'); // the partner owns its own row
  assert.equal(moved.status, 200, moved.text);
  const coord = await partnerUser(p.code, 'coordinator');
  const edited = await patch(p.id, { name: `${p.name} (edited)`, street: 'ul. Rynek 1', city: 'Byczyna' }, '"2"', coord);
  assert.equal(edited.status, 200, edited.text);
  assert.equal(edited.json.street, 'ul. Rynek 1');
  const lock = [
    ['kind', { kind: 'ngo' }], ['code', { code: `${p.code}-x` }], ['code cleared', { code: null }],
    ['kind with a name', { kind: 'other', name: `${p.name} x` }],
  ];
  for (const [what, b] of lock) {
    const res = await patch(p.id, b, '"3"', coord);
    expectProblem(res, 403);
    assert.match(res.json.detail, /admin/, what);
  }
  expectProblem(await del(p.id, '"3"', coord), 403);
  const noIfMatch = await api(ctx.server, 'DELETE', `${PATH}/${p.id}`, { headers: coord.headers });
  expectProblem(noIfMatch, 403);
  const after = await get(p.id);
  assert.equal(after.headers.get('etag'), '"3"');
  assert.equal(after.json.kind, 'project_partner');
  assert.equal(after.json.code, p.code);
  assert.equal((await me(coord)).status, 200, 'the partner\'s users are still let in');
  // the other partner's coordinator may not touch it at all
  expectProblem(await patch(p.id, { name: 'x' }, '"3"', ctx.team.coordinator.byczyna), 403);
  // nor the seeded partners' rows
  const byczyna = await memberByCode('byczyna');
  const etag = `"${byczyna.version}"`;
  for (const b of [{ kind: 'ngo' }, { code: 'byczyna-2' }]) expectProblem(await patch(byczyna.id, b, etag, ctx.team.coordinator.byczyna), 403);
  expectProblem(await del(byczyna.id, etag, ctx.team.coordinator.byczyna), 403);
  assert.equal((await get(byczyna.id)).headers.get('etag'), etag);
  assert.equal((await me(ctx.team.admin.byczyna)).status, 200);
});

test('partnership-members: a project partner with users is not deleted, re-coded or re-kinded, admin included: 409 naming why', async () => {
  const p = await newPartner();
  const user = await partnerUser(p.code, 'advisor');
  const gone = await del(p.id, '"1"');
  expectProblem(gone, 409);
  assert.match(gone.json.detail, /the partner still has users/);
  const recode = expectProblem(await patch(p.id, { code: `${p.code}-2` }, '"1"'), 409);
  assert.equal(firstErrorField(recode), 'code');
  assert.match(recode.errors[0].message, /still has users/);
  const rekind = expectProblem(await patch(p.id, { kind: 'ngo' }, '"1"'), 409);
  assert.equal(firstErrorField(rekind), 'kind');
  // 422 comes before 409
  hasError(expectProblem(await patch(p.id, { code: 'Bad Code' }, '"1"'), 422), 'code');
  const now = await get(p.id);
  assert.equal(now.headers.get('etag'), '"1"');
  assert.equal(now.json.code, p.code);
  assert.equal((await me(user)).status, 200);
  // its ordinary fields still change
  const renamed = await patch(p.id, { name: `${p.name} renamed` }, '"1"');
  assert.equal(renamed.status, 200, renamed.text);
});

test('partnership-members: a project partner with records is not deleted nor re-coded (409); once they are gone it is', async () => {
  const p = await newPartner();
  const owned = await made({ partner: p.code }); // a member record owned by the new partner
  const gone = await del(p.id, '"1"');
  expectProblem(gone, 409);
  assert.match(gone.json.detail, /the partner still has records/);
  const recode = expectProblem(await patch(p.id, { code: `${p.code}-2` }, '"1"'), 409);
  assert.equal(firstErrorField(recode), 'code');
  assert.match(recode.errors[0].message, /still has records/);
  assert.equal((await del(owned.id, '"1"')).status, 204);
  const recoded = await patch(p.id, { code: `${p.code}-2` }, '"1"');
  assert.equal(recoded.status, 200, recoded.text);
  assert.equal(recoded.json.code, `${p.code}-2`);
  assert.equal((await del(p.id, '"2"')).status, 204);
  // no longer a partner a record may name
  hasError(expectProblem(await create(body({ partner: `${p.code}-2` })), 422), 'partner', 'invalid');
  // a member that is not a project partner is deleted as before, records or not
  const plain = await made({ kind: 'ngo' });
  assert.equal((await del(plain.id, '"1"')).status, 204);
});

function psql(sql) {
  return new Promise((resolve) => {
    execFile('psql', ['-X', '-Atq', '-v', 'ON_ERROR_STOP=1', '-c', sql, process.env.IPS_TEST_DATABASE_URL],
      { timeout: 30000 }, (err, stdout, stderr) => resolve({ ok: !err, out: String(stdout), err: String(stderr) }));
  });
}

test('partnership-members: the database itself refuses to orphan a tenant (a second wall behind the service)', async () => {
  for (const sql of [
    "UPDATE partnership_members SET deleted_at = now() WHERE code = 'byczyna' AND deleted_at IS NULL",
    "UPDATE partnership_members SET code = 'byczyna-old' WHERE code = 'byczyna' AND deleted_at IS NULL",
    "UPDATE partnership_members SET kind = 'ngo' WHERE code = 'chorzow' AND deleted_at IS NULL",
    "DELETE FROM partnership_members WHERE code = 'chorzow'",
  ]) {
    const r = await psql(sql);
    assert.equal(r.ok, false, `${sql}: refused`);
    assert.match(r.err, /still has (users|records)/, sql);
  }
  const bad = await psql(`INSERT INTO users (username, partner, role) VALUES ('${uniqueName('orph')}', 'nowhere', 'auditor')`);
  assert.equal(bad.ok, false);
  assert.match(bad.err, /names no project partner/);
  const rec = await made();
  const moved = await psql(`UPDATE partnership_members SET partner = 'nowhere' WHERE id = '${rec.id}'`);
  assert.equal(moved.ok, false);
  assert.match(moved.err, /names no project partner/);
  assert.equal((await get(rec.id)).json.partner, 'byczyna');
  assert.equal((await me(ctx.team.coordinator.chorzow)).status, 200);
  assert.equal((await memberByCode('byczyna')).kind, 'project_partner');
});
