'use strict';
// The audit log (GET /v1/audit) and the change feed (GET /v1/changes): every
// write leaves an audit entry with the request's X-Request-Id and the names
// (never the values) of the fields; every committed change is in the feed
// exactly once, in commit order, without gaps, also under concurrent writers
// and with long polling.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { api, expectProblem, firstErrorField } = require('./lib/http');
const { newTeam, ROLES, PARTNERS } = require('./lib/team');
const ids = require('./lib/ids');

const ES = '/v1/es-entities';
const PM = '/v1/partnership-members';
const TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|\+00:00)$/;
const AUDIT_KEYS = ['action', 'actor', 'at', 'fields', 'id', 'partner', 'request_id', 'resource', 'resource_id', 'role'];
const CHANGE_KEYS = ['at', 'id', 'op', 'resource', 'seq', 'version'];

const ctx = { server: null, team: null, tag: ids.tag('au') };

before(async () => {
  ctx.server = await startServer();
  ctx.team = await newTeam(ctx.server, 'au');
});

after(async () => {
  if (!ctx.server) return;
  if (ctx.server.exited()) console.error(`ips-api exited early: ${JSON.stringify(ctx.server.exited())}\n${ctx.server.stderr().slice(-4000)}`);
  await ctx.server.stop();
});

const admin = () => ctx.team.admin.byczyna;
const auditor = () => ctx.team.auditor.chorzow;

function esBody(over = {}) {
  return { name: `${ctx.tag} ES ${ids.tag('')}`, legal_form: 'cis', teryt_gmina: '1604013', nip: ids.nip(), ...over };
}

async function createEs(over = {}, who = admin(), headers = {}) {
  const res = await api(ctx.server, 'POST', ES, { headers: { ...who.headers, ...headers }, body: esBody(over) });
  assert.equal(res.status, 201, res.text);
  return res;
}

const audit = (query, who = admin()) => api(ctx.server, 'GET', `/v1/audit?${new URLSearchParams(query)}`, { headers: who.headers });
const changes = (query, who = admin(), timeoutMs) => api(ctx.server, 'GET', `/v1/changes?${new URLSearchParams(query)}`, { headers: who.headers, timeoutMs });

async function auditAll(query, who = admin()) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < 200; i++) {
    const res = await audit(cursor ? { ...query, cursor } : query, who);
    assert.equal(res.status, 200, res.text);
    items.push(...res.json.items);
    cursor = res.json.next_cursor;
    if (!cursor) return items;
  }
  throw new Error('too many audit pages');
}

/* The seq of the newest change now: reads the feed to its end. */
async function feedHead() {
  let after_ = 0;
  for (;;) {
    const res = await changes({ after: String(after_), limit: '1000' });
    assert.equal(res.status, 200, res.text);
    if (res.json.items.length === 0) return after_;
    after_ = res.json.next;
  }
}

/* Every change after `from` until the feed's end. */
async function changesSince(from) {
  const items = [];
  let after_ = from;
  for (;;) {
    const res = await changes({ after: String(after_), limit: '1000' });
    assert.equal(res.status, 200, res.text);
    if (res.json.items.length === 0) return items;
    items.push(...res.json.items);
    after_ = res.json.next;
  }
}

// ---- change feed -------------------------------------------------------------

test('changes: every authenticated role reads the feed; without a token it is 401', async () => {
  for (const role of ROLES) {
    for (const partner of PARTNERS) {
      const res = await changes({ limit: '5' }, ctx.team[role][partner]);
      assert.equal(res.status, 200, `${role}/${partner}: ${res.text}`);
      assert.deepEqual(Object.keys(res.json).sort(), ['items', 'next']);
    }
  }
  expectProblem(await api(ctx.server, 'GET', '/v1/changes'), 401);
  expectProblem(await api(ctx.server, 'GET', '/v1/changes', { headers: { Authorization: 'Bearer nope' } }), 401);
});

test('changes: items are {seq, resource, id, op, version, at}; next is the last seq; an empty page answers next = after', async () => {
  const res = await changes({ after: '0', limit: '7' });
  assert.equal(res.status, 200, res.text);
  assert.ok(res.json.items.length > 0 && res.json.items.length <= 7);
  let prev = 0;
  for (const c of res.json.items) {
    assert.deepEqual(Object.keys(c).sort(), CHANGE_KEYS);
    assert.ok(Number.isInteger(c.seq) && c.seq > prev, 'increasing seq');
    prev = c.seq;
    assert.ok(['upsert', 'delete'].includes(c.op));
    assert.match(c.at, TIMESTAMP);
    assert.ok(Number.isInteger(c.version) && c.version >= 1);
  }
  assert.equal(res.json.next, res.json.items[res.json.items.length - 1].seq);
  // from after=0 the feed starts with seq 1
  assert.equal(res.json.items[0].seq, 1);
  for (const after_ of ['999999999999999', '999999999999999999']) {
    const empty = await changes({ after: after_ });
    assert.equal(empty.status, 200, empty.text);
    assert.deepEqual(empty.json.items, []);
    // compared as text: 999999999999999999 is beyond the exact integers of a JavaScript number
    assert.match(empty.text, new RegExp(`"next"\\s*:\\s*${after_}\\s*}\\s*$`));
  }
  const head = await feedHead();
  const atHead = await changes({ after: String(head + 100000) });
  assert.deepEqual(atHead.json.items, []);
  assert.equal(atHead.json.next, head + 100000);
  // the default after is 0 and the default limit 100
  const def = await changes({});
  assert.equal(def.status, 200);
  assert.equal(def.json.items[0].seq, 1);
  assert.ok(def.json.items.length <= 100 && def.json.items.length >= Math.min(100, head), `default page of ${def.json.items.length}`);
  const big = await changes({ limit: '1000' });
  assert.ok(big.json.items.length <= 1000 && big.json.items.length >= Math.min(1000, head), `page of ${big.json.items.length}`);
});

test('changes: bad after, limit and wait, unknown and repeated parameters are 400 naming the parameter', async () => {
  const cases = [
    ['after=-1', 'after'], ['after=abc', 'after'], ['after=1.5', 'after'], ['after=', 'after'], ['after=1e3', 'after'],
    ['after=9999999999999999999999', 'after'], ['after=%FF', 'after'], ['after=+1', 'after'],
    ['limit=0', 'limit'], ['limit=1001', 'limit'], ['limit=x', 'limit'], ['limit=-5', 'limit'], ['limit=', 'limit'],
    ['wait=31', 'wait'], ['wait=-1', 'wait'], ['wait=abc', 'wait'], ['wait=1.5', 'wait'], ['wait=', 'wait'],
    ['cursor=abc', 'cursor'], ['since=1', 'since'], ['resource=es-entities', 'resource'], ['after=1&after=2', 'after'],
    ['limit=5&limit=5', 'limit'], ['wait=1&wait=1', 'wait'],
  ];
  for (const [query, field] of cases) {
    const res = await api(ctx.server, 'GET', `/v1/changes?${query}`, { headers: admin().headers });
    assert.equal(firstErrorField(expectProblem(res, 400)), field, `${query}: ${res.text}`);
  }
  for (const query of ['limit=1', 'limit=1000', 'wait=0', 'after=0', 'wait=30&after=0']) {
    const res = await api(ctx.server, 'GET', `/v1/changes?${query}`, { headers: admin().headers });
    assert.equal(res.status, 200, `${query}: ${res.text}`);
  }
});

test('changes: create, update and delete appear as upsert v1, upsert v2 and delete v3, in that order', async () => {
  const head = await feedHead();
  const es = (await createEs()).json;
  const p = await api(ctx.server, 'PATCH', `${ES}/${es.id}`, { headers: { ...admin().headers, 'If-Match': '"1"' }, body: { city: 'Opole' } });
  assert.equal(p.status, 200, p.text);
  const d = await api(ctx.server, 'DELETE', `${ES}/${es.id}`, { headers: { ...admin().headers, 'If-Match': '"2"' } });
  assert.equal(d.status, 204, d.text);
  const m = await api(ctx.server, 'POST', PM, { headers: admin().headers, body: { name: `${ctx.tag} member`, kind: 'ngo' } });
  assert.equal(m.status, 201, m.text);
  const md = await api(ctx.server, 'DELETE', `${PM}/${m.json.id}`, { headers: { ...admin().headers, 'If-Match': '"1"' } });
  assert.equal(md.status, 204, md.text);
  const all = await changesSince(head);
  const mine = all.filter((c) => c.id === es.id);
  assert.deepEqual(mine.map((c) => [c.resource, c.op, c.version]), [
    ['es-entities', 'upsert', 1], ['es-entities', 'upsert', 2], ['es-entities', 'delete', 3],
  ]);
  assert.ok(mine[0].seq < mine[1].seq && mine[1].seq < mine[2].seq);
  const member = all.filter((c) => c.id === m.json.id);
  assert.deepEqual(member.map((c) => [c.resource, c.op, c.version]), [
    ['partnership-members', 'upsert', 1], ['partnership-members', 'delete', 2],
  ]);
  assert.ok(member[0].seq > mine[2].seq, 'commit order');
  // a failed write is no change
  const bad = await api(ctx.server, 'POST', ES, { headers: admin().headers, body: esBody({ teryt_gmina: '2463011' }) });
  expectProblem(bad, 422);
  const stale = await api(ctx.server, 'PATCH', `${PM}/${m.json.id}`, { headers: { ...admin().headers, 'If-Match': '"1"' }, body: { city: 'x' } });
  expectProblem(stale, 404);
  const later = await changesSince(mine[2].seq);
  assert.equal(later.filter((c) => c.id === es.id || c.id === m.json.id).length, 2, 'only the member changes after the delete');
});

test('changes: a reader polling (after=next, limit 20) while 5 writers create 100 records sees each once, in increasing seq, without gaps', async () => {
  const head = await feedHead();
  const created = new Set();
  let writersDone = false;
  const writers = Promise.all(Array.from({ length: 5 }, (_, w) => (async () => {
    for (let i = 0; i < 20; i++) {
      const res = await api(ctx.server, 'POST', ES, { headers: ctx.team.coordinator[PARTNERS[w % 2]].headers, body: esBody({ name: `${ctx.tag} feed w${w} #${i}` }) });
      assert.equal(res.status, 201, res.text);
      created.add(res.json.id);
    }
  })())).finally(() => { writersDone = true; });
  const read = [];
  let next = head;
  const deadline = Date.now() + 90000;
  const seenMine = () => read.filter((c) => created.has(c.id)).length;
  let reads = 0;
  try {
    while (Date.now() < deadline) {
      const res = await changes({ after: String(next), limit: '20', wait: '1' });
      assert.equal(res.status, 200, res.text);
      reads++;
      assert.ok(res.json.items.length <= 20);
      read.push(...res.json.items);
      if (res.json.items.length) assert.equal(res.json.next, res.json.items[res.json.items.length - 1].seq);
      else assert.equal(res.json.next, next);
      next = res.json.next;
      if (writersDone && created.size === 100 && new Set(read.filter((c) => created.has(c.id)).map((c) => c.id)).size === 100) break;
    }
  } finally {
    await writers;
  }
  assert.equal(created.size, 100);
  assert.ok(reads > 1, 'the reader polled while the writers wrote');
  // in increasing seq order, with no gaps between consecutive seqs read
  assert.equal(read[0].seq, head + 1, 'the first change after the head');
  for (let i = 1; i < read.length; i++) {
    assert.equal(read[i].seq, read[i - 1].seq + 1, `no gap between seq ${read[i - 1].seq} and ${read[i].seq}`);
  }
  // each created record exactly once (as its first version)
  const mine = read.filter((c) => created.has(c.id));
  assert.equal(mine.length, 100, `seen ${seenMine()} of 100`);
  assert.equal(new Set(mine.map((c) => c.id)).size, 100);
  for (const c of mine) {
    assert.equal(c.resource, 'es-entities');
    assert.equal(c.op, 'upsert');
    assert.equal(c.version, 1);
  }
  // a second reader from the same point sees the same sequence
  const again = (await changesSince(head)).slice(0, read.length);
  assert.deepEqual(again.map((c) => c.seq), read.map((c) => c.seq));
  assert.deepEqual(again.map((c) => c.id), read.map((c) => c.id));
});

test('changes: wait=5 answers early (well under 5 s) when a write commits during the wait', async () => {
  const head = await feedHead();
  const started = Date.now();
  const poll = changes({ after: String(head), wait: '5' }, ctx.team.integration.chorzow, 15000);
  await new Promise((r) => setTimeout(r, 600));
  const es = (await createEs()).json;
  const res = await poll;
  const elapsed = Date.now() - started;
  assert.equal(res.status, 200, res.text);
  assert.ok(res.json.items.length >= 1, 'the long poll answers with the new change');
  assert.ok(elapsed < 3000, `answered after ${elapsed} ms`);
  assert.equal(res.json.items[0].seq, head + 1);
  // the new record is in it, or right after what it answered
  const rest = await changesSince(head);
  assert.ok(rest.some((c) => c.id === es.id));
  // a poll with nothing newer waits (up to 1 s) and answers an empty page with next = after
  const far = head + 1000000;
  const t0 = Date.now();
  const empty = await changes({ after: String(far), wait: '1' });
  const waited = Date.now() - t0;
  assert.equal(empty.status, 200);
  assert.deepEqual(empty.json.items, []);
  assert.equal(empty.json.next, far);
  assert.ok(waited >= 900, `waited ${waited} ms for wait=1`);
  assert.ok(waited < 4000, `waited ${waited} ms for wait=1`);
});

test('changes: a long poll holds up no other request, also on the client\'s other kept-alive connections', async () => {
  // Clients keep connections alive (fetch does): while one of them long-polls,
  // requests on the others must be answered at once.
  await Promise.all(Array.from({ length: 16 }, () => api(ctx.server, 'GET', '/healthz')));
  const far = (await feedHead()) + 1000000;
  const poll = changes({ after: String(far), wait: '4' }, admin(), 15000);
  await new Promise((r) => setTimeout(r, 300));
  const slow = [];
  for (let round = 0; round < 3; round++) {
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 16 }, () => api(ctx.server, 'GET', '/healthz', { timeoutMs: 15000 })));
    const ms = Date.now() - t0;
    if (ms > 1000) slow.push(ms);
  }
  const res = await poll;
  assert.equal(res.status, 200);
  assert.deepEqual(slow, [], `rounds of /healthz that waited for the long poll (ms): ${slow}`);
});

// ---- audit -------------------------------------------------------------------

test('audit: create, update and delete leave entries with the response\'s X-Request-Id, actor, role, partner and field names', async () => {
  const who = ctx.team.coordinator.chorzow;
  const rid = `h7-${ids.tag('')}`;
  const c = await createEs({ email: 'biuro@audit.example.pl', phone: '+48 600 700 800' }, who, { 'X-Request-Id': `${rid}.create` });
  assert.equal(c.headers.get('x-request-id'), `${rid}.create`);
  const id = c.json.id;
  const u = await api(ctx.server, 'PATCH', `${ES}/${id}`, {
    headers: { ...who.headers, 'If-Match': '"1"', 'X-Request-Id': `${rid}_update`, 'Content-Type': 'application/merge-patch+json' },
    body: { city: 'Olesno', name: c.json.name },
  });
  assert.equal(u.status, 200, u.text);
  const d = await api(ctx.server, 'DELETE', `${ES}/${id}`, { headers: { ...who.headers, 'If-Match': '"2"', 'X-Request-Id': `${rid}-delete` } });
  assert.equal(d.status, 204);
  assert.equal(d.headers.get('x-request-id'), `${rid}-delete`);
  const entries = await auditAll({ resource: 'es-entities', resource_id: id }, auditor());
  assert.deepEqual(entries.map((e) => e.action), ['delete', 'update', 'create'], 'newest first');
  for (const e of entries) {
    assert.deepEqual(Object.keys(e).sort(), AUDIT_KEYS);
    assert.equal(e.actor, who.id);
    assert.equal(e.role, 'coordinator');
    assert.equal(e.partner, 'chorzow');
    assert.equal(e.resource, 'es-entities');
    assert.equal(e.resource_id, id);
    assert.match(e.at, TIMESTAMP);
    assert.ok(Number.isInteger(e.id));
    assert.ok(Array.isArray(e.fields));
  }
  const [del, upd, cre] = entries;
  assert.equal(cre.request_id, `${rid}.create`);
  assert.equal(upd.request_id, `${rid}_update`);
  assert.equal(del.request_id, `${rid}-delete`);
  for (const f of ['name', 'legal_form', 'teryt_gmina', 'nip', 'email', 'phone']) assert.ok(cre.fields.includes(f), `create names ${f}: ${cre.fields}`);
  assert.ok(upd.fields.includes('city'), `update names city: ${upd.fields}`);
  assert.ok(!upd.fields.includes('name'), `an unchanged field is not named: ${upd.fields}`);
  assert.ok(!upd.fields.includes('email'), `an unchanged field is not named: ${upd.fields}`);
  assert.ok(cre.id < upd.id && upd.id < del.id);
  // the same for a member, by an admin setting the partner
  const m = await api(ctx.server, 'POST', PM, {
    headers: { ...admin().headers, 'X-Request-Id': `${rid}.member` }, body: { name: `${ctx.tag} m`, kind: 'business', partner: 'chorzow' },
  });
  assert.equal(m.status, 201, m.text);
  const me = await auditAll({ resource: 'partnership-members', resource_id: m.json.id });
  assert.equal(me.length, 1);
  assert.equal(me[0].action, 'create');
  assert.equal(me[0].request_id, `${rid}.member`);
  assert.equal(me[0].actor, admin().id);
  assert.equal(me[0].role, 'admin');
  assert.equal(me[0].partner, 'byczyna', 'the partner of the actor');
});

test('audit: an entry names fields, never their values (e-mail, phone, NIP, street, names)', async () => {
  const secret = ids.tag('s');
  const values = {
    name: `${ctx.tag} Tajna ${secret}`, email: `${secret}@tajne.example.pl`, phone: `+48 6${ids.randomDigits(8)}`,
    street: `ul. ${secret} 7`, nip: ids.nip(), krs: ids.krs(), offer: `oferta ${secret}`,
  };
  const rid = `h7v-${ids.tag('')}`;
  const c = await createEs(values, admin(), { 'X-Request-Id': rid });
  const id = c.json.id;
  const u = await api(ctx.server, 'PATCH', `${ES}/${id}`, {
    headers: { ...admin().headers, 'If-Match': '"1"' }, body: { email: `new.${secret}@tajne.example.pl`, phone: null, street: `ul. Nowa ${secret}` },
  });
  assert.equal(u.status, 200, u.text);
  const m = await api(ctx.server, 'POST', PM, {
    headers: admin().headers, body: { name: `${ctx.tag} member ${secret}`, kind: 'ngo', email: `m.${secret}@tajne.example.pl`, phone: '+48 77 111 22 33', representative: `Rep ${secret}` },
  });
  assert.equal(m.status, 201, m.text);
  const entries = [
    ...(await auditAll({ resource_id: id }, auditor())),
    ...(await auditAll({ resource_id: m.json.id }, auditor())),
  ];
  assert.equal(entries.length, 3);
  const text = JSON.stringify(entries);
  for (const v of [secret, values.phone, values.phone.replace(/ /g, ''), values.nip, values.krs, '77 111 22 33', 'tajne.example.pl']) {
    assert.ok(!text.includes(v), `the audit log holds no value (${v}): ${text}`);
  }
  const upd = entries.find((e) => e.action === 'update');
  assert.deepEqual([...upd.fields].sort(), ['email', 'phone', 'street']);
});

test('audit: newest first; limit=2 pages through cursor find every entry once', async () => {
  const es = (await createEs()).json;
  for (let v = 1; v <= 5; v++) {
    const p = await api(ctx.server, 'PATCH', `${ES}/${es.id}`, { headers: { ...admin().headers, 'If-Match': `"${v}"` }, body: { city: `Miasto ${v}` } });
    assert.equal(p.status, 200, p.text);
  }
  const seen = [];
  let cursor = null;
  let pages = 0;
  for (;;) {
    const res = await audit(cursor ? { resource_id: es.id, limit: '2', cursor } : { resource_id: es.id, limit: '2' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.json).sort(), ['items', 'next_cursor']);
    assert.ok(res.json.items.length <= 2);
    pages++;
    seen.push(...res.json.items);
    cursor = res.json.next_cursor;
    if (cursor) assert.match(res.headers.get('link') || '', /rel="?next"?/);
    else {
      assert.equal(res.headers.get('link'), null);
      break;
    }
  }
  assert.equal(pages, 3);
  assert.equal(seen.length, 6);
  assert.equal(new Set(seen.map((e) => e.id)).size, 6);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1].id > seen[i].id, 'newest first');
  assert.deepEqual(seen.map((e) => e.action), ['update', 'update', 'update', 'update', 'update', 'create']);
  // the whole log pages too: the first page of everything is newest first
  const top = await audit({ limit: '50' });
  for (let i = 1; i < top.json.items.length; i++) assert.ok(top.json.items[i - 1].id > top.json.items[i].id);
  assert.ok(Date.parse(top.json.items[0].at) >= Date.parse(top.json.items[top.json.items.length - 1].at));
});

test('audit: filters resource, resource_id, actor and action combine', async () => {
  const who = ctx.team.coordinator.byczyna;
  const fresh = await require('./lib/users').newUser(ctx.server, { role: 'coordinator', partner: 'chorzow', prefix: 'auf' });
  const es = (await createEs({}, fresh)).json;
  const p = await api(ctx.server, 'PATCH', `${ES}/${es.id}`, { headers: { ...fresh.headers, 'If-Match': '"1"' }, body: { city: 'Nysa' } });
  assert.equal(p.status, 200);
  const m = await api(ctx.server, 'POST', PM, { headers: fresh.headers, body: { name: `${ctx.tag} f`, kind: 'ngo' } });
  assert.equal(m.status, 201);
  const byActor = await auditAll({ actor: fresh.id });
  assert.deepEqual(byActor.map((e) => [e.action, e.resource]), [
    ['create', 'partnership-members'], ['update', 'es-entities'], ['create', 'es-entities'], ['sign_in', 'auth'],
  ]);
  for (const e of byActor) assert.equal(e.actor, fresh.id);
  assert.deepEqual((await auditAll({ actor: fresh.id, resource: 'es-entities' })).map((e) => e.action), ['update', 'create']);
  assert.deepEqual((await auditAll({ actor: fresh.id, action: 'create' })).map((e) => e.resource), ['partnership-members', 'es-entities']);
  assert.deepEqual((await auditAll({ actor: fresh.id, action: 'update', resource: 'es-entities', resource_id: es.id })).length, 1);
  assert.deepEqual(await auditAll({ actor: fresh.id, action: 'delete' }), []);
  assert.deepEqual(await auditAll({ actor: who.id, resource_id: es.id }), [], 'another actor did nothing to it');
  assert.deepEqual(await auditAll({ resource: 'partnership-members', resource_id: es.id }), []);
  const r = await audit({ resource: 'es-entities', action: 'create', limit: '20' });
  for (const e of r.json.items) {
    assert.equal(e.resource, 'es-entities');
    assert.equal(e.action, 'create');
  }
  assert.deepEqual((await auditAll({ actor: `${fresh.id}x` })), []);
});

test('audit: from and to take RFC 3339 timestamps and Europe/Warsaw dates, to inclusive', async () => {
  const es = (await createEs()).json;
  const [entry] = await auditAll({ resource_id: es.id });
  const at = entry.at;
  const find = async (q) => (await auditAll({ resource_id: es.id, ...q })).map((e) => e.id);
  assert.deepEqual(await find({ from: at }), [entry.id], 'from is inclusive');
  assert.deepEqual(await find({ to: at }), [entry.id], 'to is inclusive');
  assert.deepEqual(await find({ from: at, to: at }), [entry.id]);
  const plus = (ms) => new Date(Date.parse(at) + ms).toISOString();
  assert.deepEqual(await find({ from: plus(2) }), []);
  assert.deepEqual(await find({ to: plus(-2) }), []);
  assert.deepEqual(await find({ from: plus(-60000), to: plus(60000) }), [entry.id]);
  // another offset, same instant
  const local = new Date(Date.parse(at) - 1000);
  const withOffset = `${new Date(local.getTime() + 2 * 3600000).toISOString().slice(0, 19)}+02:00`;
  assert.deepEqual(await find({ from: withOffset }), [entry.id]);
  // dates: whole days of the Warsaw calendar
  const today = ids.warsawDate(0);
  assert.deepEqual(await find({ from: today, to: today }), [entry.id]);
  assert.deepEqual(await find({ from: ids.warsawDate(-1) }), [entry.id]);
  assert.deepEqual(await find({ to: ids.warsawDate(-1) }), []);
  assert.deepEqual(await find({ from: ids.warsawDate(1) }), []);
  assert.deepEqual(await find({ from: ids.warsawDate(-3), to: ids.warsawDate(3) }), [entry.id]);
  // a from after to finds nothing, but is no error
  assert.deepEqual(await find({ from: ids.warsawDate(1), to: ids.warsawDate(-1) }), []);
});

test('audit: only admin and auditor read it; coordinator, advisor and integration get 403; no token 401', async () => {
  for (const partner of PARTNERS) {
    for (const role of ROLES) {
      const res = await audit({ limit: '1' }, ctx.team[role][partner]);
      if (role === 'admin' || role === 'auditor') assert.equal(res.status, 200, `${role}/${partner}: ${res.text}`);
      else expectProblem(res, 403);
      // a forbidden caller learns nothing from its parameters either
      if (!(role === 'admin' || role === 'auditor')) expectProblem(await audit({ resource: 'auth' }, ctx.team[role][partner]), 403);
    }
  }
  expectProblem(await api(ctx.server, 'GET', '/v1/audit'), 401);
  expectProblem(await api(ctx.server, 'POST', '/v1/audit', { headers: admin().headers, body: {} }), 405);
  expectProblem(await api(ctx.server, 'DELETE', '/v1/audit', { headers: admin().headers }), 405);
  expectProblem(await api(ctx.server, 'POST', '/v1/changes', { headers: admin().headers, body: {} }), 405);
});

test('audit: sign-ins appear as action sign_in (resource auth), failed ones as sign_in_failed', async () => {
  const { newUser } = require('./lib/users');
  const u = await newUser(ctx.server, { role: 'advisor', partner: 'chorzow', prefix: 'aus' });
  const ok = await auditAll({ action: 'sign_in', actor: u.id }, auditor());
  assert.equal(ok.length, 1);
  assert.equal(ok[0].resource, 'auth');
  assert.equal(ok[0].resource_id, u.id);
  assert.equal(ok[0].role, 'advisor');
  assert.equal(ok[0].partner, 'chorzow');
  assert.match(ok[0].request_id, /^[A-Za-z0-9._-]{1,64}$/);
  const rid = `h7-signin-${ids.tag('')}`;
  const bad = await api(ctx.server, 'POST', '/v1/auth/token', {
    headers: { 'X-Request-Id': rid }, body: { grant_type: 'password', username: u.username, password: `${u.password}-wrong` },
  });
  expectProblem(bad, 401);
  const failed = await auditAll({ action: 'sign_in_failed', actor: u.id });
  assert.equal(failed.length, 1);
  assert.equal(failed[0].resource, 'auth');
  assert.equal(failed[0].request_id, rid);
  assert.ok(!JSON.stringify(failed[0]).includes(u.password), 'no password in the log');
  // the refresh is no sign-in with a password, but the second sign-in is
  const again = await api(ctx.server, 'POST', '/v1/auth/token', { body: { grant_type: 'password', username: u.username, password: u.password } });
  assert.equal(again.status, 200);
  assert.equal((await auditAll({ action: 'sign_in', actor: u.id })).length, 2);
  const both = await auditAll({ resource: 'auth', actor: u.id });
  assert.deepEqual(both.map((e) => e.action), ['sign_in', 'sign_in_failed', 'sign_in']);
});

test('audit: an invalid X-Request-Id is replaced by the server\'s own, and the entry carries that one', async () => {
  const res = await api(ctx.server, 'POST', ES, { headers: { ...admin().headers, 'X-Request-Id': 'not valid: spaces' }, body: esBody() });
  assert.equal(res.status, 201, res.text);
  const rid = res.headers.get('x-request-id');
  assert.notEqual(rid, 'not valid: spaces');
  const [e] = await auditAll({ resource_id: res.json.id });
  assert.equal(e.request_id, rid);
  const long = await api(ctx.server, 'POST', ES, { headers: { ...admin().headers, 'X-Request-Id': 'a'.repeat(65) }, body: esBody() });
  assert.equal(long.status, 201);
  assert.notEqual(long.headers.get('x-request-id'), 'a'.repeat(65));
  assert.equal((await auditAll({ resource_id: long.json.id }))[0].request_id, long.headers.get('x-request-id'));
  const max = 'b'.repeat(64);
  const ok = await api(ctx.server, 'POST', ES, { headers: { ...admin().headers, 'X-Request-Id': max }, body: esBody() });
  assert.equal(ok.headers.get('x-request-id'), max);
  assert.equal((await auditAll({ resource_id: ok.json.id }))[0].request_id, max);
});

test('audit: a write that fails (422, 412, 403, 409) leaves no entry', async () => {
  const es = (await createEs()).json;
  const rid = `h7f-${ids.tag('')}`;
  const tries = [
    api(ctx.server, 'PATCH', `${ES}/${es.id}`, { headers: { ...admin().headers, 'If-Match': '"1"', 'X-Request-Id': `${rid}-422` }, body: { teryt_gmina: '2463011' } }),
    api(ctx.server, 'PATCH', `${ES}/${es.id}`, { headers: { ...admin().headers, 'If-Match': '"9"', 'X-Request-Id': `${rid}-412` }, body: { city: 'x' } }),
    api(ctx.server, 'PATCH', `${ES}/${es.id}`, { headers: { ...ctx.team.coordinator.chorzow.headers, 'If-Match': '"1"', 'X-Request-Id': `${rid}-403` }, body: { city: 'x' } }),
    api(ctx.server, 'PATCH', `${ES}/${es.id}`, { headers: { ...admin().headers, 'If-Match': '"1"', 'X-Request-Id': `${rid}-409` }, body: { nip: (await createEs()).json.nip } }),
  ];
  const res = await Promise.all(tries);
  assert.deepEqual(res.map((r) => r.status), [422, 412, 403, 409]);
  const entries = await auditAll({ resource_id: es.id });
  assert.deepEqual(entries.map((e) => e.action), ['create']);
  assert.ok(!JSON.stringify(entries).includes(rid));
});

test('audit: bad parameters are 400 naming the parameter', async () => {
  const cases = [
    ['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=abc', 'limit'], ['limit=', 'limit'],
    ['cursor=abc', 'cursor'], ['cursor=eyJzIjoiLWNyZWF0ZWRfYXQiLCJrIjpbIngiXX0', 'cursor'],
    ['from=yesterday', 'from'], ['from=2026-02-30', 'from'], ['to=2026-13-01', 'to'], ['to=12:00', 'to'],
    ['from=2026-01-01T25:00:00Z', 'from'], ['from=', 'from'],
    ['resource=', 'resource'], [`resource=${'r'.repeat(201)}`, 'resource'], ['action=', 'action'], ['actor=', 'actor'],
    ['resource_id=', 'resource_id'], ['sort=at', 'sort'], ['q=x', 'q'], ['bogus=1', 'bogus'], ['partner=byczyna', 'partner'],
    ['action=create&action=update', 'action'], ['limit=1&limit=1', 'limit'], ['actor=%FF', 'actor'],
  ];
  for (const [query, field] of cases) {
    const res = await api(ctx.server, 'GET', `/v1/audit?${query}`, { headers: admin().headers });
    assert.equal(firstErrorField(expectProblem(res, 400)), field, `${query}: ${res.text}`);
  }
});

test('audit and changes: hostile query parameters are 400 or a plain 200, never 5xx', async () => {
  const queries = [
    `resource=${encodeURIComponent("es-entities' OR '1'='1")}`, `actor=${encodeURIComponent("'); DROP TABLE audit_log; --")}`,
    `resource_id=${encodeURIComponent('%_%')}`, `action=${'a'.repeat(200)}`, 'from=1e308', 'to=12345678901234567890',
    'limit=1e308', 'limit=12345678901234567890', 'cursor=%00', `cursor=${'A'.repeat(10000)}`, 'a=%', 'q=%ZZ',
    Array.from({ length: 300 }, (_, i) => `p${i}=1`).join('&'),
  ];
  for (const path of ['/v1/audit', '/v1/changes']) {
    for (const q of queries) {
      const res = await api(ctx.server, 'GET', `${path}?${q}`, { headers: admin().headers });
      if (res.status === 200) continue;
      expectProblem(res, 400);
    }
  }
  const sql = await audit({ actor: "'); DROP TABLE audit_log; --" });
  assert.equal(sql.status, 200);
  assert.deepEqual(sql.json.items, []);
  assert.equal((await audit({ limit: '1' })).status, 200, 'the table is still there');
});

test('changes: long polls beyond IPS_LONG_POLL_MAX get 503 with Retry-After at once, not an empty page that makes clients spin', async () => {
  const capped = await startServer({ env: { IPS_LONG_POLL_MAX: '2' } });
  try {
    const who = admin();
    const far = (await feedHead()) + 1000000;
    const poll = () => api(capped, 'GET', `/v1/changes?after=${far}&wait=3`, { headers: who.headers, timeoutMs: 15000 });
    const waiting = [poll(), poll()];
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    const third = await poll();
    expectProblem(third, 503);
    assert.match(third.headers.get('retry-after') || '', /^[0-9]+$/);
    assert.ok(Date.now() - t0 < 1000, `the answer beyond the cap comes at once: ${Date.now() - t0} ms`);
    for (const res of await Promise.all(waiting)) {
      assert.equal(res.status, 200, 'the two within the cap waited and answered an empty page');
      assert.deepEqual(res.json.items, []);
    }
    // with the slots free again, a poll waits as before
    const after = await api(capped, 'GET', `/v1/changes?after=${far}&wait=1`, { headers: who.headers });
    assert.equal(after.status, 200);
  } finally {
    await capped.stop();
  }
});
