'use strict';
// The conventions every owned engine resource keeps (DESIGN §2, §4), as
// top-level tests a test file defines for its resource with
// defineEngineTests(cfg). Used by members.test.js and es_entities.test.js.
//
// cfg:
//   label        'es-entities' (test names start with it)
//   path         '/v1/es-entities'
//   ctx          {server, team, tag}: filled in by the file's before()
//   body(over)   a valid create body with a name that contains ctx.tag (and
//                random unique values), with over merged on top
//   fields       every field of the record but id/partner/version/timestamps
//   required     the required fields
//   optional     {field: valid value}: optional fields with a value to set and clear
//   bad          {field: [value, code]}: one invalid value per field for the 422 test
//   unique       {field: generator}: fields unique among live records

const { test } = require('node:test');
const assert = require('node:assert/strict');
const { api, expectProblem, firstErrorField } = require('./http');
const { rawBytes, nonUtf8Json } = require('./raw');
const { ROLES, PARTNERS, otherPartner } = require('./team');
const ids = require('./ids');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TIMESTAMP = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|\+00:00)$/;
const UNKNOWN_ID = '7d444840-9dc0-11d1-b245-5ffdce74fad2';
const SQLISH = "'); DROP TABLE es_entities; --";

function errorsOf(p) {
  assert.ok(Array.isArray(p.errors), `problem has errors[]: ${JSON.stringify(p)}`);
  return p.errors;
}

/* Asserts that problem p has an error on field (with code, when given) and its pointer. */
function hasError(p, field, code) {
  const e = errorsOf(p).find((x) => x.field === field);
  assert.ok(e, `expected an error on ${field}: ${JSON.stringify(p.errors)}`);
  if (code) assert.equal(e.code, code, `code of the error on ${field}: ${JSON.stringify(e)}`);
  assert.equal(e.pointer, `/${field}`, `pointer of the error on ${field}`);
  assert.equal(typeof e.message, 'string');
  return e;
}

function isProblem4xx(res, where) {
  assert.ok(res.status >= 400 && res.status < 500, `${where}: expected a 4xx problem, got ${res.status}: ${String(res.text).slice(0, 300)}`);
  expectProblem(res, res.status);
}

function defineEngineTests(cfg) {
  const { label, path, ctx } = cfg;
  const admin = () => ctx.team.admin.byczyna;
  const h = (who, extra = {}) => ({ ...who.headers, ...extra });

  const create = (body, who = admin(), headers = {}) => api(ctx.server, 'POST', path, { headers: h(who, headers), body });
  const get = (id, who = admin(), headers = {}) => api(ctx.server, 'GET', `${path}/${id}`, { headers: h(who, headers) });
  const patch = (id, body, etag, who = admin(), headers = {}) => api(ctx.server, 'PATCH', `${path}/${id}`, {
    headers: h(who, { 'Content-Type': 'application/merge-patch+json', ...(etag ? { 'If-Match': etag } : {}), ...headers }),
    body,
  });
  const del = (id, etag, who = admin(), headers = {}) => api(ctx.server, 'DELETE', `${path}/${id}`, {
    headers: h(who, { ...(etag ? { 'If-Match': etag } : {}), ...headers }),
  });
  const list = (query, who = admin()) => api(ctx.server, 'GET', `${path}?${new URLSearchParams(query)}`, { headers: h(who) });

  async function made(over = {}, who = admin()) {
    const res = await create(cfg.body(over), who);
    assert.equal(res.status, 201, `create: ${res.text}`);
    return res.json;
  }

  /* Every page of a list (query without cursor), following next_cursor; returns {items, pages}. */
  async function collect(query, who = admin()) {
    const items = [];
    let pages = 0;
    let cursor = null;
    for (;;) {
      const res = await list(cursor ? { ...query, cursor } : query, who);
      assert.equal(res.status, 200, res.text);
      pages++;
      items.push(...res.json.items);
      cursor = res.json.next_cursor;
      if (!cursor) break;
      assert.ok(pages < 500, 'too many pages');
    }
    return { items, pages };
  }

  // ---- lists -----------------------------------------------------------------

  test(`${label}: list answers {items, next_cursor}; limit=2 pages through next_cursor and Link find every record exactly once`, async () => {
    const q = `${ctx.tag}pg${ids.tag('')}`;
    const recs = [];
    for (let i = 0; i < 5; i++) recs.push(await made({ name: `${q} ${i}` }));
    const seen = [];
    let url = `${path}?${new URLSearchParams({ q, limit: '2' })}`;
    let pages = 0;
    for (;;) {
      const res = await api(ctx.server, 'GET', url, { headers: admin().headers });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.json).sort(), ['items', 'next_cursor']);
      assert.ok(res.json.items.length <= 2, `a page of limit=2 has ${res.json.items.length} items`);
      pages++;
      seen.push(...res.json.items.map((x) => x.id));
      const link = res.headers.get('link');
      if (res.json.next_cursor === null) {
        assert.equal(link, null, 'no Link on the last page');
        break;
      }
      assert.equal(typeof res.json.next_cursor, 'string');
      assert.ok(link, 'a Link header when there is a next page');
      const m = /^<([^>]+)>;\s*rel="?next"?$/.exec(link);
      assert.ok(m, `Link: ${link}`);
      const next = new URL(m[1], ctx.server.url);
      assert.equal(next.searchParams.get('cursor'), res.json.next_cursor, 'the Link names next_cursor');
      assert.equal(next.searchParams.get('q'), q, 'the Link keeps the other parameters');
      // Follow the Link on odd pages, next_cursor on even ones: both work.
      url = pages % 2 ? `${next.pathname}${next.search}` : `${path}?${new URLSearchParams({ q, limit: '2', cursor: res.json.next_cursor })}`;
      assert.ok(pages < 10, 'too many pages');
    }
    assert.equal(pages, 3);
    assert.equal(new Set(seen).size, seen.length, `no duplicates: ${seen}`);
    // default order: newest first
    assert.deepEqual(seen, recs.map((r) => r.id).reverse());
    // the default limit is 50 and returns them all at once
    const all = await list({ q });
    assert.equal(all.json.items.length, 5);
    assert.equal(all.json.next_cursor, null);
  });

  test(`${label}: list sort by created_at, updated_at and name, ascending and with - for descending`, async () => {
    const q = `${ctx.tag}so${ids.tag('')}`;
    const order = ['c', 'a', 'e', 'b', 'd'];
    const recs = [];
    for (const n of order) recs.push(await made({ name: `${q} ${n}` }));
    // touch the first one created so that it is the last updated (a change:
    // a patch that changes nothing writes nothing)
    const p = await patch(recs[0].id, { [cfg.freeText]: 'touched' }, '"1"');
    assert.equal(p.status, 200, p.text);
    assert.equal(p.headers.get('etag'), '"2"');
    const names = async (sort) => (await collect({ q, sort, limit: '2' })).items.map((x) => x.name.slice(-1)).join('');
    assert.equal(await names('name'), 'abcde');
    assert.equal(await names('-name'), 'edcba');
    assert.equal(await names('created_at'), 'caebd');
    assert.equal(await names('-created_at'), 'dbeac');
    assert.equal(await names('updated_at'), 'aebdc');
    assert.equal(await names('-updated_at'), 'cdbea');
  });

  test(`${label}: list q is a case-insensitive substring of the name; % and _ are plain characters`, async () => {
    const q = `${ctx.tag}qq${ids.tag('')}`;
    const a = await made({ name: `Zażółć ${q}AxB` });
    const b = await made({ name: `50%_off ${q}` });
    const find = async (text) => (await collect({ q: text })).items.map((x) => x.id).sort();
    assert.deepEqual(await find(q.toUpperCase()), [a.id, b.id].sort());
    assert.deepEqual(await find(`ZAŻÓŁĆ ${q}`), [a.id]);
    assert.deepEqual(await find(`${q}A_B`), [], '_ is not a wildcard');
    assert.deepEqual(await find(`%_off ${q}`), [b.id]);
    assert.deepEqual(await find(`0%_OFF ${q}`.toLowerCase()), [b.id]);
    assert.deepEqual(await find(`${q}%B`), [], '% is not a wildcard');
  });

  test(`${label}: list updated_since keeps the records updated at or after the instant (inclusive)`, async () => {
    const q = `${ctx.tag}us${ids.tag('')}`;
    const older = await made({ name: `${q} older` });
    await new Promise((r) => setTimeout(r, 30));
    const newer = await made({ name: `${q} newer` });
    const since = async (ts) => (await collect({ q, updated_since: ts })).items.map((x) => x.id);
    assert.deepEqual(await since(newer.updated_at), [newer.id], 'inclusive: the record updated at the instant');
    const after = new Date(Date.parse(newer.updated_at) + 5).toISOString();
    assert.deepEqual(await since(after), []);
    const before = new Date(Date.parse(older.updated_at) - 1000).toISOString();
    assert.deepEqual((await since(before)).sort(), [older.id, newer.id].sort());
    // an update brings the older one in
    const p = await patch(older.id, { name: `${q} older2` }, '"1"');
    assert.equal(p.status, 200, p.text);
    assert.deepEqual((await since(p.json.updated_at)), [older.id]);
    // other RFC 3339 spellings: an offset and no fraction
    const r = await list({ q, updated_since: '2000-01-01T01:00:00+01:00' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.items.length, 2);
  });

  test(`${label}: list partner filter keeps that partner's records`, async () => {
    const q = `${ctx.tag}pf${ids.tag('')}`;
    const b = await made({ name: `${q} b` }, ctx.team.coordinator.byczyna);
    const c = await made({ name: `${q} c` }, ctx.team.coordinator.chorzow);
    assert.equal(b.partner, 'byczyna');
    assert.equal(c.partner, 'chorzow');
    for (const who of [admin(), ctx.team.integration.chorzow]) {
      assert.deepEqual((await collect({ q, partner: 'byczyna' }, who)).items.map((x) => x.id), [b.id]);
      assert.deepEqual((await collect({ q, partner: 'chorzow' }, who)).items.map((x) => x.id), [c.id]);
      assert.equal((await collect({ q }, who)).items.length, 2);
    }
  });

  test(`${label}: list rejects bad parameters with 400 naming the parameter`, async () => {
    const cases = [
      ['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=abc', 'limit'], ['limit=-1', 'limit'], ['limit=1.5', 'limit'],
      ['limit=', 'limit'], ['limit=12345678901234567890', 'limit'],
      ['bogus=1', 'bogus'], ['Limit=2', 'Limit'], ['limit=1&limit=2', 'limit'], ['q=a&q=b', 'q'],
      ['cursor=not-a-cursor', 'cursor'], ['cursor=eyJzIjoiLWlkIiwiayI6WyIyIl19', 'cursor'], [`cursor=${'A'.repeat(5000)}`, 'cursor'],
      ['partner=nowhere', 'partner'], ['partner=BAD%21', 'partner'], ['partner=', 'partner'],
      ['sort=bogus', 'sort'], ['sort=--name', 'sort'], ['sort=id', 'sort'], ['sort=', 'sort'],
      ['q=', 'q'], [`q=${'x'.repeat(101)}`, 'q'],
      ['updated_since=yesterday', 'updated_since'], ['updated_since=2026-01-01', 'updated_since'],
      ['updated_since=2026-13-01T00:00:00Z', 'updated_since'],
      ['partner=byczyna&partner=chorzow', 'partner'],
      ...(cfg.badFilters || []),
    ];
    for (const [query, field] of cases) {
      const res = await api(ctx.server, 'GET', `${path}?${query}`, { headers: admin().headers });
      const p = expectProblem(res, 400);
      assert.equal(firstErrorField(p), field, `${query}: ${res.text}`);
    }
    // a cursor of one sort is not a cursor of another
    const q = `${ctx.tag}cs${ids.tag('')}`;
    await made({ name: `${q} 1` });
    await made({ name: `${q} 2` });
    const page = await list({ q, limit: '1', sort: 'name' });
    assert.ok(page.json.next_cursor);
    const res = await list({ q, limit: '1', sort: 'created_at', cursor: page.json.next_cursor });
    assert.equal(firstErrorField(expectProblem(res, 400)), 'cursor');
    // limit 1 and 200 are fine
    for (const limit of ['1', '200']) assert.equal((await list({ q, limit })).status, 200);
  });

  // ---- read ------------------------------------------------------------------

  test(`${label}: GET answers the record with ETag "<version>"; a matching If-None-Match is 304`, async () => {
    const rec = await made();
    const res = await get(rec.id);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('etag'), '"1"');
    assert.deepEqual(res.json, rec);
    const nm = await get(rec.id, admin(), { 'If-None-Match': '"1"' });
    assert.equal(nm.status, 304);
    assert.equal(nm.text, '');
    assert.equal(nm.headers.get('etag'), '"1"');
    const other = await get(rec.id, admin(), { 'If-None-Match': '"2"' });
    assert.equal(other.status, 200);
    const p = await patch(rec.id, { name: `${rec.name} v2` }, '"1"');
    assert.equal(p.status, 200, p.text);
    const stale = await get(rec.id, admin(), { 'If-None-Match': '"1"' });
    assert.equal(stale.status, 200, 'a changed record is not 304');
    assert.equal(stale.headers.get('etag'), '"2"');
    assert.equal((await get(rec.id, admin(), { 'If-None-Match': '"2"' })).status, 304);
    // every role reads it
    for (const role of ROLES) assert.equal((await get(rec.id, ctx.team[role].chorzow)).status, 200, role);
  });

  test(`${label}: a malformed, unknown or deleted id is 404 on GET, PATCH and DELETE`, async () => {
    const rec = await made();
    const gone = await del(rec.id, '"1"');
    assert.equal(gone.status, 204, gone.text);
    for (const id of ['abc', '123', UNKNOWN_ID, `${UNKNOWN_ID}0`, UNKNOWN_ID.slice(0, 35), encodeURIComponent("' OR '1'='1"), rec.id]) {
      expectProblem(await get(id), 404);
      expectProblem(await patch(id, { name: 'x' }, '"1"'), 404);
      expectProblem(await del(id, '"1"'), 404);
    }
    // 404 comes before the role: an advisor gets 404 too
    expectProblem(await patch(UNKNOWN_ID, { name: 'x' }, '"1"', ctx.team.advisor.byczyna), 404);
    expectProblem(await del(UNKNOWN_ID, '"1"', ctx.team.auditor.byczyna), 404);
  });

  // ---- create ----------------------------------------------------------------

  test(`${label}: POST answers 201 with Location, ETag "1" and the whole record owned by the token's partner`, async () => {
    const who = ctx.team.coordinator.chorzow;
    const body = cfg.body();
    const res = await create(body, who);
    assert.equal(res.status, 201, res.text);
    const rec = res.json;
    assert.match(rec.id, UUID);
    assert.equal(res.headers.get('location'), `${path}/${rec.id}`);
    assert.equal(res.headers.get('etag'), '"1"');
    assert.equal(rec.partner, 'chorzow');
    assert.equal(rec.version, 1);
    assert.match(rec.created_at, TIMESTAMP);
    assert.equal(rec.updated_at, rec.created_at);
    assert.ok(Math.abs(Date.parse(rec.created_at) - Date.now()) < 60000, 'created_at is now');
    assert.deepEqual(Object.keys(rec).sort(), ['id', 'partner', ...cfg.fields, 'version', 'created_at', 'updated_at'].sort());
    for (const [k, v] of Object.entries(body)) assert.deepEqual(rec[k], v, k);
    for (const f of cfg.fields) if (!(f in body) && !(f in (cfg.defaults || {}))) assert.equal(rec[f], null, `${f} absent is null`);
    for (const [k, v] of Object.entries(cfg.defaults || {})) if (!(k in body)) assert.deepEqual(rec[k], v, `default of ${k}`);
    const again = await api(ctx.server, 'GET', res.headers.get('location'), { headers: who.headers });
    assert.equal(again.status, 200);
    assert.deepEqual(again.json, rec);
  });

  test(`${label}: POST 422 lists every bad field at once, each with field, pointer, code and message`, async () => {
    const body = cfg.body();
    for (const f of cfg.required) delete body[f];
    for (const [f, [v]] of Object.entries(cfg.bad)) body[f] = v;
    body.id = UNKNOWN_ID;
    body.version = 7;
    body.no_such_field = 1;
    const res = await create(body);
    const p = expectProblem(res, 422);
    for (const f of cfg.required) hasError(p, f, 'required');
    for (const [f, [, code]] of Object.entries(cfg.bad)) hasError(p, f, code);
    hasError(p, 'id', 'read_only');
    hasError(p, 'version', 'read_only');
    hasError(p, 'no_such_field', 'unknown_field');
  });

  test(`${label}: POST rejects unknown fields (unknown_field) and the server's fields (read_only)`, async () => {
    const cases = [
      [{ id: UNKNOWN_ID }, 'id', 'read_only'],
      [{ version: 1 }, 'version', 'read_only'],
      [{ created_at: '2026-01-01T00:00:00Z' }, 'created_at', 'read_only'],
      [{ updated_at: '2026-01-01T00:00:00Z' }, 'updated_at', 'read_only'],
      [{ Name: 'x' }, 'Name', 'unknown_field'],
      [{ deleted_at: null }, 'deleted_at', 'unknown_field'],
      [{ extra: { nested: true } }, 'extra', 'unknown_field'],
    ];
    for (const [over, field, code] of cases) {
      const p = expectProblem(await create(cfg.body(over)), 422);
      hasError(p, field, code);
    }
    const p = expectProblem(await patch((await made()).id, { version: 3, foo: 'x' }, '"1"'), 422);
    hasError(p, 'version', 'read_only');
    hasError(p, 'foo', 'unknown_field');
  });

  test(`${label}: only admin may set or change partner; anyone else gets 422 read_only`, async () => {
    const coord = ctx.team.coordinator.byczyna;
    for (const partner of ['byczyna', 'chorzow']) {
      hasError(expectProblem(await create(cfg.body({ partner }), coord), 422), 'partner', 'read_only');
    }
    const byAdmin = await create(cfg.body({ partner: 'chorzow' }), admin());
    assert.equal(byAdmin.status, 201, byAdmin.text);
    assert.equal(byAdmin.json.partner, 'chorzow');
    for (const partner of ['nowhere', 'BAD', 7, '', true]) {
      hasError(expectProblem(await create(cfg.body({ partner })), 422), 'partner', 'invalid');
    }
    const own = await made({}, coord);
    hasError(expectProblem(await patch(own.id, { partner: 'chorzow' }, '"1"', coord), 422), 'partner', 'read_only');
    const moved = await patch(own.id, { partner: 'chorzow' }, '"1"', admin());
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.json.partner, 'chorzow');
    // no longer the coordinator's partner's record
    expectProblem(await patch(own.id, { name: `${own.name} x` }, '"2"', coord), 403);
    hasError(expectProblem(await patch(own.id, { partner: 'nowhere' }, '"2"', admin()), 422), 'partner', 'invalid');
  });

  // ---- update ----------------------------------------------------------------

  test(`${label}: PATCH is a JSON merge patch: given fields change, null clears an optional field, version and ETag go up`, async () => {
    const [f1, v1] = Object.entries(cfg.optional)[0];
    const [f2, v2] = Object.entries(cfg.optional)[1];
    const rec = await made({ [f1]: v1 });
    assert.deepEqual(rec[f1], v1);
    await new Promise((r) => setTimeout(r, 5));
    const res = await patch(rec.id, { [f1]: null, [f2]: v2 }, '"1"');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('etag'), '"2"');
    const up = res.json;
    assert.equal(up.version, 2);
    assert.equal(up[f1], null);
    assert.deepEqual(up[f2], v2);
    assert.equal(up.created_at, rec.created_at);
    assert.ok(Date.parse(up.updated_at) >= Date.parse(rec.updated_at));
    assert.notEqual(up.updated_at, rec.updated_at);
    for (const f of cfg.fields) if (f !== f1 && f !== f2) assert.deepEqual(up[f], rec[f], `${f} unchanged`);
    assert.deepEqual((await get(rec.id)).json, up);
    // application/json is a merge patch too
    const json = await api(ctx.server, 'PATCH', `${path}/${rec.id}`, {
      headers: { ...admin().headers, 'If-Match': '"2"' }, body: { [f1]: v1 },
    });
    assert.equal(json.status, 200, json.text);
    assert.deepEqual(json.json[f1], v1);
    assert.equal(json.headers.get('etag'), '"3"');
    // another Content-Type is 415
    const text = await api(ctx.server, 'PATCH', `${path}/${rec.id}`, {
      headers: { ...admin().headers, 'If-Match': '"3"', 'Content-Type': 'text/plain' }, rawBody: '{}',
    });
    expectProblem(text, 415);
    const post = await api(ctx.server, 'POST', path, { headers: { ...admin().headers, 'Content-Type': 'text/plain' }, rawBody: JSON.stringify(cfg.body()) });
    expectProblem(post, 415);
  });

  test(`${label}: PATCH null on a required field is 422 required and the record stays as it was`, async () => {
    const rec = await made();
    const p = expectProblem(await patch(rec.id, Object.fromEntries(cfg.required.map((f) => [f, null])), '"1"'), 422);
    for (const f of cfg.required) hasError(p, f, 'required');
    // an invalid value with a valid one: nothing is written
    const [f1, v1] = Object.entries(cfg.optional)[0];
    const [bf, [bv, bcode]] = Object.entries(cfg.bad)[0];
    hasError(expectProblem(await patch(rec.id, { [f1]: v1, [bf]: bv }, '"1"'), 422), bf, bcode);
    const now = await get(rec.id);
    assert.deepEqual(now.json, rec);
    assert.equal(now.headers.get('etag'), '"1"');
  });

  /* The change-feed entries of record id, reading the whole feed (bounded). */
  async function feedOf(id) {
    const mine = [];
    let after = 0;
    for (let page = 0; page < 500; page++) {
      const res = await api(ctx.server, 'GET', `/v1/changes?after=${after}&limit=1000`, { headers: admin().headers });
      assert.equal(res.status, 200, res.text);
      if (res.json.items.length === 0) return mine;
      mine.push(...res.json.items.filter((c) => c.id === id));
      after = res.json.next;
    }
    throw new Error('too many change-feed pages');
  }

  test(`${label}: a PATCH that changes nothing keeps version and ETag: 200 with the record as it was, no audit or change-feed entry`, async () => {
    const rec = await made();
    const same = Object.fromEntries(cfg.fields.map((f) => [f, rec[f]]));
    for (const b of [same, { ...same, partner: rec.partner }, {}, { name: rec.name }]) {
      const res = await patch(rec.id, b, '"1"');
      assert.equal(res.status, 200, res.text);
      assert.equal(res.headers.get('etag'), '"1"', `${JSON.stringify(b).slice(0, 80)}: the same ETag`);
      assert.deepEqual(res.json, rec);
    }
    // a stale If-Match is still 412, a changed-nothing patch or not
    const stale = await patch(rec.id, { name: rec.name }, '"2"');
    expectProblem(stale, 412);
    assert.equal(stale.headers.get('etag'), '"1"');
    const now = await get(rec.id);
    assert.equal(now.headers.get('etag'), '"1"');
    assert.deepEqual(now.json, rec, 'updated_at unchanged too');
    const audit = await api(ctx.server, 'GET', `/v1/audit?resource_id=${rec.id}`, { headers: admin().headers });
    assert.equal(audit.status, 200, audit.text);
    assert.deepEqual(audit.json.items.map((e) => e.action), ['create']);
    assert.deepEqual((await feedOf(rec.id)).map((c) => c.version), [1]);
    // a real change afterwards is version 2: no version was spent
    const changed = await patch(rec.id, { name: `${rec.name} 2` }, '"1"');
    assert.equal(changed.status, 200, changed.text);
    assert.equal(changed.headers.get('etag'), '"2"');
    assert.deepEqual((await feedOf(rec.id)).map((c) => c.version), [1, 2]);
  });

  if (cfg.defaults) {
    test(`${label}: PATCH null on a field with a default (${Object.keys(cfg.defaults).join(', ')}) is 422 naming it; nothing is written`, async () => {
      const rec = await made();
      for (const f of Object.keys(cfg.defaults)) {
        const p = expectProblem(await patch(rec.id, { [f]: null }, '"1"'), 422);
        const e = hasError(p, f, 'invalid');
        assert.match(e.message, /must not be null/);
      }
      const all = expectProblem(await patch(rec.id, Object.fromEntries(Object.keys(cfg.defaults).map((f) => [f, null])), '"1"'), 422);
      for (const f of Object.keys(cfg.defaults)) hasError(all, f, 'invalid');
      const now = await get(rec.id);
      assert.equal(now.headers.get('etag'), '"1"');
      assert.deepEqual(now.json, rec);
      // on create, null or absent takes the default
      const made2 = await create(cfg.body(Object.fromEntries(Object.keys(cfg.defaults).map((f) => [f, null]))));
      assert.equal(made2.status, 201, made2.text);
      for (const [f, v] of Object.entries(cfg.defaults)) assert.deepEqual(made2.json[f], v, f);
    });
  }

  test(`${label}: PATCH without If-Match is 428; a stale If-Match is 412 carrying the current ETag`, async () => {
    const rec = await made();
    expectProblem(await patch(rec.id, { name: `${rec.name} x` }), 428);
    const ok = await patch(rec.id, { name: `${rec.name} y` }, '"1"');
    assert.equal(ok.status, 200);
    for (const stale of ['"1"', '"3"', '"0"', '1', '"abc"', '"1", "3"', '']) {
      const res = await patch(rec.id, { name: `${rec.name} z` }, stale);
      if (stale === '' && res.status === 428) continue; // an empty If-Match may count as none
      expectProblem(res, 412);
      assert.equal(res.headers.get('etag'), '"2"', `412 for If-Match ${stale} carries the current ETag`);
    }
    assert.equal((await get(rec.id)).json.name, `${rec.name} y`);
    // a list that names the current version matches (RFC 9110 13.1.1)
    const listed = await patch(rec.id, { name: `${rec.name} w` }, '"1", "2"');
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.headers.get('etag'), '"3"');
  });

  test(`${label}: If-Match uses the strong comparison: a weak W/"<version>" is 412 on PATCH and DELETE`, async () => {
    // RFC 9110 13.1.1: an origin server MUST use the strong comparison function for If-Match.
    const rec = await made();
    const p = await patch(rec.id, { name: `${rec.name} weak` }, 'W/"1"');
    expectProblem(p, 412);
    const d = await del(rec.id, 'W/"1"');
    expectProblem(d, 412);
    assert.equal((await get(rec.id)).headers.get('etag'), '"1"', 'nothing was written');
  });

  // ---- delete ----------------------------------------------------------------

  test(`${label}: DELETE needs If-Match (428, 412 with ETag), answers 204; then the record is 404 and gone from lists`, async () => {
    const q = `${ctx.tag}dl${ids.tag('')}`;
    const rec = await made({ name: `${q} doomed` });
    const keep = await made({ name: `${q} kept` });
    expectProblem(await del(rec.id), 428);
    const stale = await del(rec.id, '"2"');
    expectProblem(stale, 412);
    assert.equal(stale.headers.get('etag'), '"1"');
    const res = await del(rec.id, '"1"');
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    expectProblem(await get(rec.id), 404);
    expectProblem(await del(rec.id, '"1"'), 404);
    expectProblem(await patch(rec.id, { name: 'x' }, '"1"'), 404);
    const after = (await collect({ q })).items.map((x) => x.id);
    assert.deepEqual(after, [keep.id]);
    assert.ok(!(await collect({ q, sort: 'name' })).items.some((x) => x.id === rec.id));
    assert.ok(!(await collect({ q, updated_since: rec.created_at })).items.some((x) => x.id === rec.id));
  });

  // ---- uniqueness ------------------------------------------------------------

  for (const [field, gen] of Object.entries(cfg.unique)) {
    test(`${label}: ${field} is unique among live records: 409 naming ${field}; free again after a delete`, async () => {
      const value = gen();
      const first = await made({ [field]: value });
      const dup = await create(cfg.body({ [field]: value }));
      const p = expectProblem(dup, 409);
      assert.equal(firstErrorField(p), field, dup.text);
      // also through another partner's coordinator
      assert.equal(firstErrorField(expectProblem(await create(cfg.body({ [field]: value }), ctx.team.coordinator.chorzow), 409)), field);
      // a PATCH to a taken value
      const other = await made();
      const pp = await patch(other.id, { [field]: value }, '"1"');
      assert.equal(firstErrorField(expectProblem(pp, 409)), field);
      assert.equal((await get(other.id)).headers.get('etag'), '"1"', 'the failed patch wrote nothing');
      // PATCHing a record with its own value is no conflict (and no change)
      const same = await patch(first.id, { [field]: value }, '"1"');
      assert.equal(same.status, 200, same.text);
      assert.equal(same.headers.get('etag'), '"1"');
      // deleted: the value is free
      assert.equal((await del(first.id, '"1"')).status, 204);
      const reuse = await create(cfg.body({ [field]: value }));
      assert.equal(reuse.status, 201, reuse.text);
      assert.equal(reuse.json[field], value);
      const moved = await patch(other.id, { [field]: gen() }, '"1"');
      assert.equal(moved.status, 200, moved.text);
    });
  }

  // ---- role x partner --------------------------------------------------------

  const writes = (role, own) => role === 'admin' || (role === 'coordinator' && own);

  test(`${label}: role x partner: every role lists and reads both partners' records`, async () => {
    const q = `${ctx.tag}rr${ids.tag('')}`;
    const recs = { byczyna: await made({ name: `${q} b`, partner: 'byczyna' }), chorzow: await made({ name: `${q} c`, partner: 'chorzow' }) };
    for (const role of ROLES) {
      for (const partner of PARTNERS) {
        const who = ctx.team[role][partner];
        const l = await list({ q }, who);
        assert.equal(l.status, 200, `${role}/${partner} list: ${l.text}`);
        assert.deepEqual(l.json.items.map((x) => x.id).sort(), [recs.byczyna.id, recs.chorzow.id].sort(), `${role}/${partner} list`);
        for (const target of PARTNERS) {
          const r = await get(recs[target].id, who);
          assert.equal(r.status, 200, `${role}/${partner} reads ${target}'s: ${r.text}`);
          assert.deepEqual(r.json, recs[target]);
        }
      }
    }
  });

  test(`${label}: role x partner: only admin and coordinator create, owned by their partner; advisor, auditor, integration 403`, async () => {
    for (const role of ROLES) {
      for (const partner of PARTNERS) {
        const who = ctx.team[role][partner];
        const res = await create(cfg.body(), who);
        if (role === 'admin' || role === 'coordinator') {
          assert.equal(res.status, 201, `${role}/${partner} create: ${res.text}`);
          assert.equal(res.json.partner, partner);
        } else {
          expectProblem(res, 403);
        }
        // a forbidden create is 403 even with an invalid body (the role is checked first)
        if (!(role === 'admin' || role === 'coordinator')) expectProblem(await create({ bogus: 1 }, who), 403);
      }
    }
  });

  test(`${label}: role x partner: update allowed to admin on any record and to coordinator on its own partner's only`, async () => {
    const jobs = [];
    for (const role of ROLES) for (const partner of PARTNERS) for (const target of PARTNERS) jobs.push({ role, partner, target });
    await Promise.all(jobs.map(async (j) => { j.rec = await made({ partner: j.target }); }));
    for (const { role, partner, target, rec } of jobs) {
      const who = ctx.team[role][partner];
      const own = partner === target;
      const res = await patch(rec.id, { name: `${rec.name} by ${role}` }, '"1"', who);
      const where = `${role}/${partner} updates ${target}'s`;
      if (writes(role, own)) {
        assert.equal(res.status, 200, `${where}: ${res.text}`);
        assert.equal(res.json.partner, target, 'the owner stays');
      } else {
        expectProblem(res, 403);
        // 403 comes before 428 and 422
        expectProblem(await patch(rec.id, { name: null }, undefined, who), 403);
        assert.equal((await get(rec.id)).headers.get('etag'), '"1"', `${where}: nothing written`);
      }
    }
  });

  test(`${label}: role x partner: delete allowed to admin on any record and to coordinator on its own partner's only`, async () => {
    const jobs = [];
    for (const role of ROLES) for (const partner of PARTNERS) for (const target of PARTNERS) jobs.push({ role, partner, target });
    await Promise.all(jobs.map(async (j) => { j.rec = await made({ partner: j.target }); }));
    for (const { role, partner, target, rec } of jobs) {
      const who = ctx.team[role][partner];
      const own = partner === target;
      const res = await del(rec.id, '"1"', who);
      const where = `${role}/${partner} deletes ${target}'s`;
      if (writes(role, own)) {
        assert.equal(res.status, 204, `${where}: ${res.text}`);
        expectProblem(await get(rec.id), 404);
      } else {
        expectProblem(res, 403);
        expectProblem(await del(rec.id, undefined, who), 403);
        assert.equal((await get(rec.id)).status, 200, `${where}: still there`);
      }
    }
    void otherPartner;
  });

  // ---- concurrency and idempotency ----------------------------------------------

  test(`${label}: 20 concurrent PATCHes with the same If-Match: exactly one 200, the other 19 are 412`, async () => {
    const rec = await made();
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => patch(rec.id, { name: `${rec.name} #${i}` }, '"1"')));
    const ok = results.filter((r) => r.status === 200);
    const failed = results.filter((r) => r.status === 412);
    assert.equal(ok.length, 1, `statuses: ${results.map((r) => r.status)}`);
    assert.equal(failed.length, 19, `statuses: ${results.map((r) => r.status)}`);
    for (const r of failed) {
      expectProblem(r, 412);
      assert.equal(r.headers.get('etag'), '"2"');
    }
    const now = await get(rec.id);
    assert.equal(now.json.version, 2);
    assert.equal(now.json.name, ok[0].json.name);
  });

  const idem = (key, body, who = admin()) => create(body, who, { 'Idempotency-Key': key });
  const sameAnswer = (a, b) => {
    assert.equal(a.status, b.status);
    assert.equal(a.text, b.text, 'identical bodies');
    assert.equal(a.headers.get('etag'), b.headers.get('etag'));
    assert.equal(a.headers.get('location'), b.headers.get('location'));
  };

  test(`${label}: Idempotency-Key: a retry with the same body replays the first 201 exactly, marked Idempotent-Replayed: true`, async () => {
    const key = `k-${ids.tag('')}`;
    const body = cfg.body();
    const first = await idem(key, body);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const again = await idem(key, body);
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    sameAnswer(first, again);
    // the same JSON written differently is the same body
    const respaced = await api(ctx.server, 'POST', path, {
      headers: { ...admin().headers, 'Idempotency-Key': key, 'Content-Type': 'application/json' },
      rawBody: JSON.stringify(body, null, 2),
    });
    if (respaced.status === 201) sameAnswer(first, respaced);
    else expectProblem(respaced, 422);
    assert.equal((await collect({ q: body.name })).items.length, 1, 'one record');
    // even after the record changed, the replay is the first answer
    assert.equal((await patch(first.json.id, { name: `${body.name} changed` }, '"1"')).status, 200);
    sameAnswer(first, await idem(key, body));
  });

  test(`${label}: Idempotency-Key: the same key sent twice at once makes one record; the answers are identical`, async () => {
    const key = `k2-${ids.tag('')}`;
    const body = cfg.body();
    const [a, b] = await Promise.all([idem(key, body), idem(key, body)]);
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    sameAnswer(a, b);
    const replayed = [a, b].filter((r) => r.headers.get('idempotent-replayed') === 'true');
    assert.equal(replayed.length, 1, 'one of the two is the replay');
    assert.equal((await collect({ q: body.name })).items.length, 1, 'one record');
  });

  test(`${label}: Idempotency-Key: the same key sent 5 times at once makes one record; 4 replays of the first answer`, async () => {
    const key = `k5-${ids.tag('')}`;
    const body = cfg.body();
    const all = await Promise.all(Array.from({ length: 5 }, () => idem(key, body)));
    for (const r of all) assert.equal(r.status, 201, r.text);
    for (const r of all.slice(1)) sameAnswer(all[0], r);
    assert.equal(all.filter((r) => r.headers.get('idempotent-replayed') === 'true').length, 4);
    assert.equal((await collect({ q: body.name })).items.length, 1, 'one record');
  });

  test(`${label}: Idempotency-Key: another body is 422, 256 characters is 400 naming Idempotency-Key, keys are the caller's own`, async () => {
    const key = `k3-${ids.tag('')}`;
    // no unique fields, so that another caller may create the same body
    const body = cfg.body(Object.fromEntries(Object.keys(cfg.unique).map((k) => [k, undefined])));
    const first = await idem(key, body);
    assert.equal(first.status, 201, first.text);
    const other = await idem(key, cfg.body());
    expectProblem(other, 422);
    assert.equal(other.headers.get('idempotent-replayed'), null);
    // another caller with the same key: its own record
    const mine = await idem(key, body, ctx.team.admin.chorzow);
    assert.equal(mine.status, 201, mine.text);
    assert.equal(mine.headers.get('idempotent-replayed'), null);
    assert.notEqual(mine.json.id, first.json.id);
    // lengths
    const long = await idem('k'.repeat(256), cfg.body());
    assert.equal(firstErrorField(expectProblem(long, 400)), 'Idempotency-Key');
    const max = await idem(`${ids.tag('m')}${'k'.repeat(244)}`, cfg.body());
    assert.equal(max.status, 201, max.text);
    const empty = await api(ctx.server, 'POST', path, { headers: { ...admin().headers, 'Idempotency-Key': '' }, body: cfg.body() });
    if (empty.status !== 201) assert.equal(firstErrorField(expectProblem(empty, 400)), 'Idempotency-Key');
    // a 422 is not remembered: the same key with a fixed body then creates
    const k4 = `k4-${ids.tag('')}`;
    const bad = cfg.body({ [cfg.required[0]]: null });
    expectProblem(await idem(k4, bad), 422);
    const good = await idem(k4, cfg.body());
    assert.equal(good.status, 201, good.text);
  });

  // ---- hostile input ---------------------------------------------------------

  test(`${label}: hostile bodies on POST and PATCH are 4xx problems, never 5xx`, async () => {
    const rec = await made();
    const valid = cfg.body();
    const raws = [
      '{not json', '{"name": }', '', '   ', '[]', '[{"name": "x"}]', '"just a string"', '42', 'null', 'true',
      '{"a":1}{"b":2}', '{"name": "x",}', `{"name": "${'\\u'}d800"}`, '{"name": "\\u0000"}',
      JSON.stringify(valid).replace('{', '{"name": "a\\u0000b", '),
      `{"name": ${'['.repeat(5000)}${']'.repeat(5000)}}`,
      `${'{"a":'.repeat(200)}1${'}'.repeat(200)}`,
      JSON.stringify(valid).replace(/}$/, ', "employees": 12345678901234567890}'),
      JSON.stringify(valid).replace(/}$/, ', "employees": 1e999}'),
      Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{"name": 1}')]).toString('latin1'),
    ];
    const bodies = [
      { ...valid, name: 123 }, { ...valid, name: ['x'] }, { ...valid, name: { x: 1 } }, { ...valid, name: true },
      { ...valid, name: 'x'.repeat(100000) },
      { ...valid, notes: 'x'.repeat(100000) }, { ...valid, city: 'ż'.repeat(100000) },
      { ...valid, [cfg.required[1]]: 1e308 }, { ...valid, [cfg.required[1]]: -1e308 },
      { ...valid, nip: 8567346215 }, { ...valid, teryt_gmina: 1604013 },
      { ...valid, ...Object.fromEntries(Object.keys(cfg.optional).map((k) => [k, 1e308])) },
      { ...valid, ...Object.fromEntries(cfg.fields.map((k) => [k, 'x'.repeat(5000)])) },
      { ...valid, [`${'k'.repeat(10000)}`]: 1 },
      Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`f${i}`, i])),
    ];
    const send = async (method, url, opts, where) => {
      const res = await api(ctx.server, method, url, { ...opts, headers: { ...admin().headers, ...(method === 'PATCH' ? { 'If-Match': '"1"' } : {}), ...opts.headers } });
      isProblem4xx(res, where);
      return res;
    };
    for (const raw of raws) {
      for (const [method, url] of [['POST', path], ['PATCH', `${path}/${rec.id}`]]) {
        const res = await send(method, url, { rawBody: Buffer.from(raw, 'latin1'), headers: { 'Content-Type': 'application/json' } }, `${method} ${raw.slice(0, 40)}`);
        if (/^\s*(\[|"|42|null|true)/.test(raw) || raw.includes('\\u0000') || raw.includes('[[[[') || raw.includes('{"a":{"a"') || raw.startsWith('{not')) {
          assert.equal(res.status, 400, `${method} ${raw.slice(0, 40)}: ${res.text}`);
        }
      }
    }
    for (const body of bodies) {
      for (const [method, url] of [['POST', path], ['PATCH', `${path}/${rec.id}`]]) {
        const res = await send(method, url, { body }, `${method} ${JSON.stringify(body).slice(0, 60)}`);
        assert.ok([400, 422].includes(res.status), `${method}: ${res.status}`);
      }
    }
    // 100 000 characters is too_long, not a 5xx
    hasError(expectProblem(await create({ ...valid, name: 'x'.repeat(100000) }), 422), 'name', 'too_long');
    hasError(expectProblem(await patch(rec.id, { name: 'ż'.repeat(100000) }, '"1"'), 422), 'name', 'too_long');
    hasError(expectProblem(await create({ ...valid, name: 123 }), 422), 'name', 'invalid');
    // bytes that are not UTF-8: 400
    for (const [method, url] of [['POST', path], ['PATCH', `${path}/${rec.id}`]]) {
      const res = await rawBytes(ctx.server, method, url, {
        Authorization: `Bearer ${admin().token}`, 'Content-Type': 'application/json', 'If-Match': '"1"',
      }, nonUtf8Json(valid, 'name'));
      expectProblem(res, 400);
    }
    // a body too large is 413
    const huge = await api(ctx.server, 'POST', path, { headers: admin().headers, body: { ...valid, notes: 'x'.repeat(1100000) } });
    expectProblem(huge, 413);
    assert.equal((await get(rec.id)).headers.get('etag'), '"1"', 'nothing was written');
  });

  test(`${label}: SQL-looking, quoted and non-ASCII strings are stored verbatim and read back identical`, async () => {
    const q = `${ctx.tag}sq${ids.tag('')}`;
    const strings = {
      name: `${SQLISH} ${q}`,
      [cfg.freeText]: `" OR "1"="1 \\ \\\\ %_ $1 ''' /* */ ; SELECT pg_sleep(10); -- Zażółć gęślą jaźń 🙂 <script>alert(1)</script> \u200b`,
    };
    const res = await create(cfg.body(strings));
    assert.equal(res.status, 201, res.text);
    for (const [k, v] of Object.entries(strings)) assert.equal(res.json[k], v, k);
    const back = await get(res.json.id);
    for (const [k, v] of Object.entries(strings)) assert.equal(back.json[k], v, k);
    // searchable by the SQL-looking text, and nothing else is found
    const found = await collect({ q: `${SQLISH} ${q}` });
    assert.deepEqual(found.items.map((x) => x.id), [res.json.id]);
    const none = await collect({ q: `' OR '1'='1` });
    assert.ok(!none.items.some((x) => x.id === res.json.id));
    const p = await patch(res.json.id, { name: `${q} "); DELETE FROM ${path.split('/').pop().replace('-', '_')}; --` }, '"1"');
    assert.equal(p.status, 200, p.text);
    assert.equal((await get(res.json.id)).json.name, `${q} "); DELETE FROM ${path.split('/').pop().replace('-', '_')}; --`);
    // the table is still there
    assert.equal((await list({ limit: '1' })).status, 200);
  });

  test(`${label}: string lengths count characters: 300 Polish letters fit a name, 301 are too_long`, async () => {
    const r = await create(cfg.body({ name: 'ż'.repeat(300) }));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.name, 'ż'.repeat(300));
    hasError(expectProblem(await create(cfg.body({ name: 'ż'.repeat(301) })), 422), 'name', 'too_long');
    hasError(expectProblem(await create(cfg.body({ name: '' })), 422), 'name');
    const emoji = await create(cfg.body({ name: '🙂'.repeat(300) }));
    assert.equal(emoji.status, 201, emoji.text);
  });

  test(`${label}: hostile headers and bodies on GET and DELETE are 4xx problems (or the plain answer), never 5xx`, async () => {
    const rec = await made();
    for (const im of [`"${'9'.repeat(5000)}"`, `"'; DROP TABLE x; --"`, 'W/W/",,,', '"', ',,,', `"${'1'.repeat(30)}"`, '"-1"']) {
      const p = await patch(rec.id, { name: `${rec.name} x` }, im);
      expectProblem(p, 412);
      assert.equal(p.headers.get('etag'), '"1"');
      expectProblem(await del(rec.id, im), 412);
    }
    for (const inm of ['W/W/",,,', `"${'9'.repeat(5000)}"`, '"', 'W/"1"']) {
      const g = await get(rec.id, admin(), { 'If-None-Match': inm });
      assert.ok([200, 304].includes(g.status), `If-None-Match ${inm.slice(0, 20)}: ${g.status}`);
    }
    // a malformed JSON body on DELETE is a 400; nothing is deleted
    const garbage = await api(ctx.server, 'DELETE', `${path}/${rec.id}`, {
      headers: { ...admin().headers, 'If-Match': '"1"', 'Content-Type': 'application/json' }, rawBody: '{not json',
    });
    expectProblem(garbage, 400);
    assert.equal((await get(rec.id)).status, 200);
    // an Idempotency-Key of bytes that are not printable ASCII is 400 naming it
    for (const key of [Buffer.from([0x6b, 0xff, 0xfe]).toString('latin1'), 'a\tb', 'ż']) {
      const res = await rawBytes(ctx.server, 'POST', path, {
        Authorization: `Bearer ${admin().token}`, 'Content-Type': 'application/json', 'Idempotency-Key': Buffer.from(key, 'utf8').toString('latin1'),
      }, Buffer.from(JSON.stringify(cfg.body())));
      assert.equal(firstErrorField(expectProblem(res, 400)), 'Idempotency-Key');
    }
    // X-Request-Id with bytes that are not ASCII is replaced, never echoed
    const rid = await rawBytes(ctx.server, 'GET', `${path}/${rec.id}`, {
      Authorization: `Bearer ${admin().token}`, 'X-Request-Id': Buffer.from('ż\u0001x', 'utf8').toString('latin1'),
    });
    assert.equal(rid.status, 200);
    assert.match(rid.headers.get('x-request-id'), /^[A-Za-z0-9._-]{1,64}$/);
  });

  test(`${label}: hostile query parameters are 400 (or a plain 200), never 5xx`, async () => {
    const queries = [
      'q=%FF', 'q=%C3', 'q=a%00b', 'q=%27%29%3B%20DROP%20TABLE%20es_entities%3B%20--', `q=${encodeURIComponent("' OR 1=1 --")}`,
      'limit=1e308', 'limit=12345678901234567890', 'limit=%00', 'sort=name%00', 'sort=name;DROP', 'sort=-', `sort=${'-'.repeat(300)}`,
      'cursor=%FF', `cursor=${encodeURIComponent("' OR 1=1 --")}`, 'updated_since=%FF', `updated_since=${'9'.repeat(5000)}`,
      'partner=%27%3B--', `partner=${'a'.repeat(5000)}`, `${'k'.repeat(5000)}=1`, '%FF=1', 'a=%', 'q=%ZZ',
      Array.from({ length: 300 }, (_, i) => `p${i}=1`).join('&'),
    ];
    for (const query of queries) {
      const res = await api(ctx.server, 'GET', `${path}?${query}`, { headers: admin().headers });
      if (res.status === 200) continue;
      isProblem4xx(res, query.slice(0, 60));
      assert.equal(res.status, 400, `${query.slice(0, 60)}: ${res.text}`);
    }
    const sql = await api(ctx.server, 'GET', `${path}?q=${encodeURIComponent(SQLISH)}`, { headers: admin().headers });
    assert.equal(sql.status, 200);
  });
}

module.exports = { defineEngineTests, hasError, isProblem4xx, UNKNOWN_ID, UUID, TIMESTAMP, SQLISH };
