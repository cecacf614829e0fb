'use strict';
// The service behind PgBouncer in transaction mode (Debian's pgbouncer),
// configured as deploy/pgbouncer/pgbouncer.ini says: prepared statements
// off, timestamps in UTC on every server connection, and the long polls'
// LISTEN on a direct connection (IPS_DIRECT_DATABASE_URL). (A long poll
// also looks again once a second, so the second test holds without the
// direct connection too, only later: it checks the answer, not the path.)

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer } = require('./lib/server');
const { startPgBouncer } = require('./lib/clusters');
const { api } = require('./lib/http');
const { newUser } = require('./lib/users');
const R = require('./lib/records');

const DB = new URL(process.env.IPS_TEST_DATABASE_URL);
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$/;

let bouncer;
let server;

before(async () => {
  bouncer = await startPgBouncer(DB);
  server = await startServer({
    env: { IPS_DATABASE_URL: bouncer.url, IPS_DB_PREPARED_STATEMENTS: 'off', IPS_DIRECT_DATABASE_URL: DB.toString() },
  });
});

after(async () => {
  if (server) await server.stop();
  if (bouncer) await bouncer.stop();
});

test('through PgBouncer in transaction mode: created, read alone and many at once, listed and patched, timestamps in UTC', async () => {
  const admin = await newUser(server, { role: 'admin' });
  const T = R.tag('pgb');
  const entity = await R.newEsEntity(server, admin, T);
  assert.match(entity.created_at, RFC3339_UTC);
  const one = await api(server, 'GET', `/v1/es-entities/${entity.id}`, { headers: admin.headers });
  assert.equal(one.status, 200, one.text);
  assert.equal(one.json.name, entity.name);
  // more readers than PgBouncer has server connections
  const many = await Promise.all(Array.from({ length: 30 }, () =>
    api(server, 'GET', `/v1/es-entities/${entity.id}`, { headers: admin.headers })));
  for (const r of many) {
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.id, entity.id);
    assert.match(r.json.updated_at, RFC3339_UTC);
  }
  const list = await api(server, 'GET', `/v1/es-entities?q=${encodeURIComponent(T)}&limit=10`, { headers: admin.headers });
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(list.json.items.map((i) => i.id), [entity.id]);
  const changed = await R.patched(server, admin, 'es-entities', entity.id, { city: 'Kluczbork' });
  assert.equal(changed.status, 200, changed.text);
  assert.equal(changed.json.city, 'Kluczbork');
  assert.equal(changed.json.version, 2);
  assert.match(changed.json.updated_at, RFC3339_UTC);
});

test('long polls through PgBouncer deliver a write\'s change (their LISTEN on the direct connection)', async () => {
  const admin = await newUser(server, { role: 'admin' });
  const reader = await newUser(server, { role: 'integration' });
  const head = await R.feedHead(server, reader);
  const started = Date.now();
  let entityId = null;
  const log = [];
  const seen = new Set();
  // other test files write meanwhile: follow the feed until this change
  // (which may arrive before the POST that made it has answered)
  const found = (async () => {
    let after = head;
    while (Date.now() - started < 15000) {
      const polled = await api(server, 'GET', `/v1/changes?after=${after}&wait=5`, { headers: reader.headers, timeoutMs: 30000 });
      assert.equal(polled.status, 200, polled.text);
      log.push(`${Date.now() - started} ms: after=${after} got ${polled.json.items.map((c) => c.seq).join(',')}`);
      for (const c of polled.json.items) seen.add(c.id);
      if (entityId && seen.has(entityId)) return true;
      after = polled.json.next;
    }
    return false;
  })();
  await new Promise((r) => setTimeout(r, 500));
  const entity = await R.newEsEntity(server, admin, R.tag('pgbw'));
  entityId = entity.id;
  const createdAfter = Date.now() - started;
  assert.equal(await found, true, `the change of the new entity came through the feed (created ${createdAfter} ms in, feed head ${head}); ${log.join('; ')}`);
});

test('the participants CSV streams through PgBouncer (COPY in transaction mode): the new attendance is a row, formula cells neutralised', async () => {
  const admin = await newUser(server, { role: 'admin' });
  const T = R.tag('pgbcsv');
  const services = await R.seededServices(server, admin);
  const person = await R.newBeneficiary(server, admin, T, { last_name: `=HYPERLINK("x") ${T}` });
  const training = await R.newDelivery(server, admin, T, { service_id: services.training.id, started_at: '2026-05-04T09:00:00Z' });
  const put = await api(server, 'PUT', `/v1/deliveries/${training.id}/participants/${person.id}`, { headers: admin.headers, body: { attended: true } });
  assert.equal(put.status, 201, put.text);
  const csv = await api(server, 'GET', '/v1/reports/participants.csv?from=2026-05-04&to=2026-05-04', { headers: admin.headers });
  assert.equal(csv.status, 200, csv.text.slice(0, 300));
  assert.match(csv.headers.get('content-type'), /^text\/csv/);
  const row = csv.text.split('\r\n').find((line) => line.startsWith(`${person.id},`));
  assert.ok(row, `a row of ${person.id} in:\n${csv.text.slice(0, 600)}`);
  assert.ok(row.includes(`,"'=HYPERLINK(""x"") ${T}",`), row);
  assert.ok(row.endsWith(',training,2.00'), row);
});
